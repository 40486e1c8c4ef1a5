# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Unit tests of the simulator's data plane without tgtd.

LUN files (sparse copies, in-place rollback, usage), the data plane with
the array model, and the order in which the exporter changes tgtd (with
a recorder standing in for tgtadm).
"""

import errno
import os
import subprocess
from unittest import mock

import fixtures
import testtools

from cinder_ngxstorage.simulator import dataplane as dp
from cinder_ngxstorage.simulator.dataplane import files as dp_files
from cinder_ngxstorage.simulator import state as st

MiB = 1 << 20
GiB = 1 << 30
SECRET = 'Sup3rS3cret!x'


def write_at(path, offset, data):
    with open(path, 'r+b') as handle:
        handle.seek(offset)
        handle.write(data)


def read_at(path, offset, length):
    with open(path, 'rb') as handle:
        handle.seek(offset)
        return handle.read(length)


def allocated(path):
    return os.stat(path).st_blocks * 512


class FileBackingTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.files = dp.FileBacking(self.dir)

    def test_new_lun_is_sparse_and_reads_zeros(self):
        self.files.create_lun('v1', GiB)
        path = self.files.lun_path('v1')
        self.assertEqual(GiB, os.path.getsize(path))
        self.assertLess(allocated(path), MiB)
        self.assertEqual(bytes(4096), read_at(path, GiB - 4096, 4096))
        self.assertEqual(dp.MIN_USED_BYTES, self.files.used_bytes('v1'))

    def test_used_bytes_follow_the_data(self):
        self.files.create_lun('v1', GiB)
        write_at(self.files.lun_path('v1'), 0, b'\x5a' * (4 * MiB))
        self.assertGreaterEqual(self.files.used_bytes('v1'), 4 * MiB)
        self.assertIsNone(self.files.used_bytes('nope'))

    def test_snapshot_is_point_in_time_and_sparse(self):
        self.files.create_lun('v1', GiB)
        lun = self.files.lun_path('v1')
        write_at(lun, 0, b'\x01' * MiB)
        write_at(lun, 512 * MiB, b'\x02' * MiB)
        # A chunk of written zeros stays a hole in the copy.
        write_at(lun, 100 * MiB, bytes(MiB))
        self.files.snapshot_lun('v1', 's1')
        write_at(lun, 0, b'\x03' * MiB)
        snap = self.files.snapshot_path('s1')
        self.assertEqual(GiB, os.path.getsize(snap))
        self.assertEqual(b'\x01' * MiB, read_at(snap, 0, MiB))
        self.assertEqual(b'\x02' * MiB, read_at(snap, 512 * MiB, MiB))
        self.assertEqual(bytes(MiB), read_at(snap, 100 * MiB, MiB))
        self.assertLessEqual(allocated(snap), 2 * MiB + 64 * 1024)
        self.assertEqual('sparse', self.files.last_copy)

    def test_clone_bigger_than_its_snapshot(self):
        self.files.create_lun('v1', GiB)
        write_at(self.files.lun_path('v1'), GiB - MiB, b'\x07' * MiB)
        self.files.snapshot_lun('v1', 's1')
        self.files.clone_snapshot('s1', 'v2', 2 * GiB)
        clone = self.files.lun_path('v2')
        self.assertEqual(2 * GiB, os.path.getsize(clone))
        self.assertEqual(b'\x07' * MiB, read_at(clone, GiB - MiB, MiB))
        self.assertEqual(bytes(MiB), read_at(clone, GiB, MiB))

    def test_restore_rewrites_the_same_inode(self):
        self.files.create_lun('v1', GiB)
        lun = self.files.lun_path('v1')
        write_at(lun, 0, b'\x01' * MiB)
        self.files.snapshot_lun('v1', 's1')
        inode = os.stat(lun).st_ino
        # tgtd keeps the LUN file open: the rollback must reach it.
        with open(lun, 'r+b') as held:
            write_at(lun, 0, b'\x09' * MiB)
            write_at(lun, 300 * MiB, b'\x09' * MiB)
            self.files.resize_lun('v1', 2 * GiB)
            self.files.restore_lun('v1', 's1', GiB)
            held.seek(0)
            self.assertEqual(b'\x01' * MiB, held.read(MiB))
        self.assertEqual(inode, os.stat(lun).st_ino)
        self.assertEqual(GiB, os.path.getsize(lun))
        self.assertEqual(bytes(MiB), read_at(lun, 300 * MiB, MiB))

    def test_delete(self):
        self.files.create_lun('v1', MiB)
        self.files.snapshot_lun('v1', 's1')
        self.files.delete_snapshot('s1')
        self.files.delete_lun('v1')
        self.assertEqual([], os.listdir(self.files.lun_dir))
        self.assertEqual([], os.listdir(self.files.snap_dir))
        # Deleting what is gone already is fine.
        self.files.delete_lun('v1')

    def test_reflink_used_when_the_filesystem_can(self):
        self.files.create_lun('v1', MiB)
        with mock.patch.object(dp_files.fcntl, 'ioctl') as ioctl:
            self.files.snapshot_lun('v1', 's1')
        self.assertEqual(dp.FICLONE, ioctl.call_args[0][1])
        self.assertEqual('reflink', self.files.last_copy)

    def test_reflink_refused_falls_back_to_sparse_copy(self):
        self.files.create_lun('v1', MiB)
        write_at(self.files.lun_path('v1'), 0, b'\x42' * 4096)
        refused = OSError(errno.EOPNOTSUPP, 'not supported')
        with mock.patch.object(dp_files.fcntl, 'ioctl', side_effect=refused):
            self.files.snapshot_lun('v1', 's1')
        self.assertEqual('sparse', self.files.last_copy)
        self.assertEqual(b'\x42' * 4096,
                         read_at(self.files.snapshot_path('s1'), 0, 4096))

    def test_failed_copy_leaves_no_file(self):
        self.files.create_lun('v1', MiB)
        with mock.patch.object(dp_files, '_sparse_copy',
                               side_effect=OSError(errno.ENOSPC, 'full')):
            self.assertRaises(OSError, self.files.snapshot_lun, 'v1', 's1')
        self.assertEqual([], os.listdir(self.files.snap_dir))

    def test_reconcile(self):
        self.files.create_lun('keep', MiB)
        self.files.create_lun('orphan', MiB)
        self.files.create_lun('short', MiB)
        created, removed = self.files.reconcile(
            {'keep': MiB, 'short': 2 * MiB, 'missing': 3 * MiB}, {})
        self.assertEqual(['missing'], created)
        self.assertEqual(['orphan.img'], removed)
        self.assertEqual(2 * MiB,
                         os.path.getsize(self.files.lun_path('short')))
        self.assertEqual(3 * MiB,
                         os.path.getsize(self.files.lun_path('missing')))

    def test_ids_must_be_plain_names(self):
        self.assertRaises(dp.DataPlaneError, self.files.lun_path, '../x')


class DataPlaneStateTest(testtools.TestCase):
    """The data plane (files only) behind the array model."""

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.plane = dp.DataPlane(data_dir=self.dir)
        self.addCleanup(self.plane.close)
        self.state = st.ArrayState(['pool1:10G'], backing=self.plane)
        self.ctx = st.RequestContext()

    def lun(self, name='v1', size=1, thin='on'):
        created = self.state.lun_create(self.ctx, {
            'pool_name': 'pool1', 'name': name, 'size': size,
            'thin_provision': thin})
        return created['luns'][0]['vol_id']

    def used(self, vol_id):
        detail = self.state.lun_detail(self.ctx, {'vol_id': vol_id})
        return int(detail['vol_used'])

    def test_files_follow_the_model(self):
        vol = self.lun()
        path = self.plane.lun_path(vol)
        self.assertEqual(GiB, os.path.getsize(path))
        write_at(path, 0, b'\x5a' * MiB)
        snap = self.state.snapshot_create(
            self.ctx, {'name': 's1', 'volume_id': vol})['snap_id']
        self.assertTrue(os.path.exists(self.plane.snapshot_path(snap)))
        clone = self.state.snapshot_clone(
            self.ctx, {'snap_id': snap, 'name': 'c1'})['vol_id']
        self.assertEqual(b'\x5a' * MiB,
                         read_at(self.plane.lun_path(clone), 0, MiB))
        self.state.lun_modify(self.ctx, {'vol_id': vol, 'size': 2})
        self.assertEqual(2 * GiB, os.path.getsize(path))
        write_at(path, 0, b'\x11' * MiB)
        self.state.snapshot_restore(self.ctx, {'snap_id': snap})
        self.assertEqual(GiB, os.path.getsize(path))
        self.assertEqual(b'\x5a' * MiB, read_at(path, 0, MiB))
        self.state.lun_delete(self.ctx, {'vol_id': clone})
        self.state.snapshot_delete(self.ctx, {'snap_id': snap})
        self.state.lun_delete(self.ctx, {'vol_id': vol})
        self.assertEqual([], os.listdir(self.plane.files.lun_dir))
        self.assertEqual([], os.listdir(self.plane.files.snap_dir))

    def test_thin_usage_and_pool_capacity_follow_the_files(self):
        vol = self.lun()
        self.assertEqual(st.NEW_LUN_USED, self.used(vol))
        free = int(self.state.status_capacity(
            self.ctx, {})['pool1']['info']['free_size'])
        write_at(self.plane.lun_path(vol), 0, b'\x01' * (8 * MiB))
        self.assertGreaterEqual(self.used(vol), 8 * MiB)
        after = int(self.state.status_capacity(
            self.ctx, {})['pool1']['info']['free_size'])
        self.assertGreaterEqual(free - after, 8 * MiB - st.NEW_LUN_USED)

    def test_thick_lun_counts_its_size(self):
        vol = self.lun(thin='off')
        info = self.state.status_capacity(self.ctx, {})['pool1']['info']
        self.assertEqual(GiB, int(info['allocated_size']))
        # The file is sparse all the same: thick is the model's promise.
        self.assertLess(allocated(self.plane.lun_path(vol)), MiB)

    def test_file_failure_refuses_the_operation(self):
        vol = self.lun()
        with mock.patch.object(dp.FileBacking, 'snapshot_lun',
                               side_effect=OSError(errno.ENOSPC, 'full')):
            err = self.assertRaises(st.ApiError, self.state.snapshot_create,
                                    self.ctx, {'name': 's1',
                                               'volume_id': vol})
        self.assertEqual(500, err.status)
        self.assertEqual([], self.state.snapshots())

    def test_no_iscsi_numbers_from_zero(self):
        self.assertEqual(0, self.plane.first_lun_number)
        self.assertFalse(self.plane.iscsi_active)
        self.assertIn('no iSCSI export', self.plane.status())


class DataPlaneWithoutTgtdTest(testtools.TestCase):

    def test_iscsi_asked_without_tgtd(self):
        plane = dp.DataPlane(iscsi=True, tgtd='/nonexistent/tgtd')
        self.addCleanup(plane.close)
        self.assertIsNone(plane.exporter)
        self.assertIn('/nonexistent/tgtd not found', plane.iscsi_problem)
        self.assertEqual(0, plane.first_lun_number)
        self.assertIn('iSCSI export off', plane.status())
        data_dir = plane.data_dir
        plane.close()
        self.assertFalse(os.path.exists(data_dir))

    def test_given_data_dir_is_kept(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        plane = dp.DataPlane(data_dir=data_dir)
        plane.files.create_lun('v1', MiB)
        plane.close()
        self.assertTrue(os.path.exists(plane.lun_path('v1')))


class RecordingExporter(dp.TgtExporter):
    """An exporter whose tgtadm calls are recorded, not run."""

    def __init__(self):
        super().__init__('/nonexistent', lambda vol_id: '/luns/' + vol_id)
        self.started = True
        self.commands = []
        self.fail_on = None

    def _run(self, args, check=True, quiet=False):
        text = dp._mask_command(args)
        if self.fail_on and self.fail_on in text:
            raise dp.DataPlaneError('tgtadm %s failed' % text)
        if args[:4] == ['--op', 'show', '--mode', 'conn']:
            return 0, '', ''
        self.commands.append(text)
        return 0, '', ''

    def take(self):
        commands, self.commands = self.commands, []
        return commands


def view(targets=(), groups=()):
    return {'service_tag': 'NGXSIM01', 'portals': ['127.0.0.1:3260'],
            'targets': list(targets), 'auth_groups': list(groups)}


def group(gid='g1', iqns=('iqn.2000-01.com.example:a',), chap=None):
    return {'id': gid, 'name': gid, 'owner': '1', 'iqns': list(iqns),
            'chap': chap}


def target(tid='t1', gid='g1', luns=((1, 'v1', GiB),), name='t1'):
    return {'id': tid, 'name': name,
            'iqn': 'iqn.2015-03.com.ngxio.ngxsim01:' + name, 'owner': '1',
            'auth_group_id': gid, 'portal_group_id': 'p',
            'portals': ['127.0.0.1:3260'],
            'luns': [{'vol_id': v, 'lun_number': n, 'size': s, 'name': v,
                      'pool': 'pool1', 'scsi_lunid': '589c00' + v,
                      'blocksize': 16384} for n, v, s in luns]}


class ExporterDiffTest(testtools.TestCase):
    """What the exporter asks tgtd, in which order."""

    CHAP = {'username': 'user1', 'password': SECRET}

    def setUp(self):
        super().setUp()
        self.exp = RecordingExporter()

    def index(self, commands, fragment):
        for i, command in enumerate(commands):
            if fragment in command:
                return i
        self.fail('%r not in %r' % (fragment, commands))

    def test_new_target_account_then_acl_then_luns(self):
        self.exp.apply(view([target()], [group(chap=self.CHAP)]))
        commands = self.exp.take()
        new_account = self.index(commands, '--mode account --user user1')
        bind_account = self.index(commands, 'bind --mode account --tid 1')
        bind_acl = self.index(commands, '--initiator-name')
        new_lu = self.index(commands, '--op new --mode logicalunit')
        self.assertLess(new_account, bind_account)
        self.assertLess(bind_account, bind_acl)
        self.assertLess(bind_acl, new_lu)
        self.assertIn('--backing-store /luns/v1', commands[new_lu])
        for command in commands:
            self.assertNotIn(SECRET, command)
        # The same view again changes nothing.
        self.exp.apply(view([target()], [group(chap=self.CHAP)]))
        self.assertEqual([], self.exp.take())

    def test_secret_change_closes_the_door_first(self):
        self.exp.apply(view([target()], [group(chap=self.CHAP)]))
        self.exp.take()
        new_chap = {'username': 'user1', 'password': 'An0therS3cret'}
        self.exp.apply(view([target()], [group(chap=new_chap)]))
        commands = self.exp.take()
        unbind_acl = self.index(commands, 'unbind --mode target')
        delete_account = self.index(commands,
                                    '--op delete --mode account')
        rebind_acl = self.index(commands, '--op bind --mode target')
        self.assertLess(unbind_acl, delete_account)
        self.assertLess(delete_account, rebind_acl)

    def test_removed_iqn_unbound_and_lun_removed(self):
        two = group(iqns=('iqn.2000-01.com.example:a',
                          'iqn.2000-01.com.example:b'))
        self.exp.apply(view([target(luns=((1, 'v1', GiB), (2, 'v2', GiB)))],
                            [two]))
        self.exp.take()
        self.exp.apply(view([target()], [group()]))
        commands = self.exp.take()
        self.assertIn('--op unbind --mode target --tid 1 --initiator-name '
                      'iqn.2000-01.com.example:b', commands)
        self.assertIn('--op delete --mode logicalunit --tid 1 --lun 2',
                      commands)

    def test_resize_reopens_the_backing_store(self):
        self.exp.apply(view([target()], [group()]))
        self.exp.take()
        self.exp.apply(view([target(luns=((1, 'v1', 2 * GiB),))],
                            [group()]))
        self.assertEqual(['--op update --mode logicalunit --tid 1 --lun 1 '
                          '--params online=0,path=/luns/v1'],
                         self.exp.take())

    def test_rename_recreates_the_target(self):
        self.exp.apply(view([target()], [group()]))
        self.exp.take()
        self.exp.apply(view([target(name='t2')], [group()]))
        commands = self.exp.take()
        self.assertEqual('--op delete --mode target --tid 1 --force',
                         commands[0])
        self.assertIn('--op new --mode target --tid 1 -T '
                      'iqn.2015-03.com.ngxio.ngxsim01:t2', commands)

    def test_default_group_admits_nobody(self):
        self.exp.apply(view([target(gid='1')], [group(gid='1', iqns=())]))
        commands = self.exp.take()
        self.assertEqual([], [c for c in commands if 'initiator' in c])

    def test_clashing_chap_users_fail_closed(self):
        other = {'username': 'user1', 'password': 'Different1234'}
        self.exp.apply(view(
            [target(), target(tid='t2', gid='g2', name='t2',
                              luns=((1, 'v2', GiB),))],
            [group(chap=self.CHAP),
             group(gid='g2', iqns=('iqn.2000-01.com.example:z',),
                   chap=other)]))
        commands = self.exp.take()
        self.assertEqual([], [c for c in commands if 'initiator' in c])
        self.assertEqual([], [c for c in commands if 'account' in c])

    def test_lun_zero_is_not_exported(self):
        self.exp.apply(view([target(luns=((0, 'v0', GiB),))], [group()]))
        self.assertEqual([], [c for c in self.exp.take()
                              if 'logicalunit' in c])

    def test_failure_puts_the_last_good_view_back(self):
        self.exp.apply(view([target()], [group()]))
        self.exp.take()
        self.exp.fail_on = '--lun 2'
        bigger = view([target(luns=((1, 'v1', GiB), (2, 'v2', GiB)))],
                      [group()])
        self.assertRaises(dp.DataPlaneError, self.exp.apply, bigger)
        self.exp.fail_on = None
        self.assertEqual({1}, set(
            self.exp.exported()[target()['iqn']]['luns']))

    def test_view_before_start_is_kept_for_start(self):
        exp = RecordingExporter()
        exp.started = False
        exp.apply(view([target()], [group()]))
        self.assertEqual([], exp.take())
        self.assertIsNotNone(exp._pending_view)

    def test_password_masked(self):
        self.assertEqual('--op new --user u --password ***',
                         dp._mask_command(['--op', 'new', '--user', 'u',
                                           '--password', SECRET]))


class FreePortTest(testtools.TestCase):

    def test_port_zero_resolved_once_for_all(self):
        resolved = dp.resolve_free_ports(['127.0.0.1:0', '127.0.0.2:0',
                                          '127.0.0.3:3260'])
        port = resolved[0].rsplit(':', 1)[1]
        self.assertNotEqual('0', port)
        self.assertEqual(['127.0.0.1:' + port, '127.0.0.2:' + port,
                          '127.0.0.3:3260'], resolved)

    def test_fixed_ports_unchanged(self):
        self.assertEqual(['10.0.0.1:3260', '10.0.0.2'],
                         dp.resolve_free_ports(['10.0.0.1:3260',
                                                '10.0.0.2']))


class SweepTest(testtools.TestCase):

    def test_dirs_of_dead_owners_are_removed(self):
        base = self.useFixture(fixtures.TempDir()).path
        gone = subprocess.Popen(['true'])
        gone.wait()
        owners = {'dead': gone.pid, 'mine': os.getpid(), 'unowned': None}
        for name, pid in owners.items():
            path = os.path.join(base, dp.TEMP_PREFIX + name)
            os.makedirs(os.path.join(path, 'luns'))
            if pid is not None:
                with open(os.path.join(path, dp.OWNER_FILE), 'w') as handle:
                    handle.write('%d\n' % pid)
        os.makedirs(os.path.join(base, 'something-else'))
        removed = dp.sweep_stale_temp_dirs(base)
        self.assertEqual([os.path.join(base, dp.TEMP_PREFIX + 'dead')],
                         removed)
        self.assertEqual(sorted([dp.TEMP_PREFIX + 'mine',
                                 dp.TEMP_PREFIX + 'unowned',
                                 'something-else']),
                         sorted(os.listdir(base)))

    def test_temporary_data_dir_names_its_owner(self):
        plane = dp.DataPlane()
        self.addCleanup(plane.close)
        with open(os.path.join(plane.data_dir, dp.OWNER_FILE)) as handle:
            self.assertEqual(os.getpid(), int(handle.read()))
