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

"""Access never outlives an attachment.

A failed attach undoes what it did for the host: for every REST call of
the attach (new host, known host, a full target spilling to a new one)
and each fault (refused with 409; answer lost after the change; the
connection dropped before the request), the array afterwards holds
exactly what it held before the attach, no mapping of the LUN for the
host and no new object of the host, with no clean-up run in between. An
attach that survives the fault leaves what a clean attach leaves. Also:
Cinder's own attach on the cinder-volume node (BaseVD._attach_volume,
used by the revert fallback and the volume/image copies), what a failed
detach or undo leaves (removed by the host's next attach or detach), and
the replacement of a reinstalled host's initiator.
"""

import collections
from unittest import mock

from cinder import exception
from cinder import objects

from cinder_ngxstorage import naming
from tests.functional.driver import base
from tests.functional.driver import fake_db
from tests.functional.driver import faultlib

FAULTS = collections.OrderedDict([
    ('409', dict(phase='before', action='status', status=409,
                 message='Simulated conflict')),
    ('lost-answer', dict(phase='after', action='drop')),
    ('dropped-before', dict(phase='before', action='drop')),
])


def host_mappings(names, state, host, vol_id):
    """Targets of host (by name) that map vol_id."""
    return [t['scsi_target_name'] for t in state.targets()
            if names.is_target_of(host, t['scsi_target_name'])
            and vol_id in {lun['vol_id'] for lun in t['luns']}]


class RollbackMatrixTest(base.DriverTestCase):
    """Every call of the attach path x each fault: nothing stays."""

    def make_driver(self, setup=True, **extra):
        extra.setdefault('ngxstorage_api_retries', 0)
        return super().make_driver(setup=setup, **extra)

    # -- the prepared arrays ----------------------------------------------

    def new_host(self):
        return self.create_volume()

    def known_host(self):
        old = self.create_volume()
        self.driver.initialize_connection(old, self.connector('host-a'))
        return self.create_volume()

    def full_target(self):
        # The target holds maxlun LUNs, the last added by another service:
        # this one thinks there is room, the array refuses (full) and the
        # LUN goes to a new target.
        conn = self.connector('host-a')
        vols = [self.create_volume() for _ in range(self.driver.maxlun)]
        for vol in vols[:-1]:
            self.driver.initialize_connection(vol, conn)
        self.make_driver().initialize_connection(vols[-1], conn)
        return self.create_volume()

    # -- the matrix -------------------------------------------------------

    def run_matrix(self, prepare, kind):
        vol = prepare()
        conn = self.connector('host-a')
        baseline = self.sim.state.dump()
        before = faultlib.inventory(self.sim.state)
        self.sim.clear_requests()
        faultlib.clone_driver(self.driver).initialize_connection(
            vol.obj_clone(), conn)
        trace = faultlib.record_trace(self.sim.requests)
        expected = faultlib.inventory(self.sim.state)
        self.assertTrue(trace)
        problems = []
        failures = 0
        for index in range(len(trace)):
            faultlib.restore_state(self.sim, baseline)
            drv = faultlib.clone_driver(self.driver)
            self.sim.faults.clear()
            self.sim.faults.add(**faultlib.rule_for_call(
                trace, index, **FAULTS[kind]))
            case = 'call %d %s %s' % ((index,) + trace[index])
            try:
                drv.initialize_connection(vol.obj_clone(), conn)
            except exception.VolumeBackendAPIException as err:
                failures += 1
                after = faultlib.inventory(self.sim.state)
                if after != before:
                    problems.append('%s: failed (%s) and left %s' % (
                        case, err, faultlib.difference(before, after)))
                elif host_mappings(self.names(), self.sim.state, 'host-a',
                                   vol.provider_id):
                    problems.append('%s: the LUN stays mapped' % case)
                elif 'undone' not in str(err):
                    problems.append('%s: the error does not say the '
                                    'attach was undone: %s' % (case, err))
            else:
                after = faultlib.inventory(self.sim.state)
                if after != expected:
                    problems.append('%s: succeeded but left %s' % (
                        case, faultlib.difference(expected, after)))
            finally:
                self.sim.faults.clear()
        self.assertEqual([], problems)
        return failures


def _matrix_test(prepare, kind):
    def test(self):
        self.run_matrix(getattr(self, prepare), kind)
    test.__doc__ = 'Attach (%s), %s at each call: nothing stays.' % (
        prepare, kind)
    return test


for _prepare in ('new_host', 'known_host', 'full_target'):
    for _kind in FAULTS:
        setattr(RollbackMatrixTest, 'test_%s_%s' % (
            _prepare, _kind.replace('-', '_')), _matrix_test(_prepare, _kind))
del _prepare, _kind


class RollbackTest(base.DriverTestCase):
    """The undo's limits, and Cinder's generic attach paths."""

    def make_driver(self, setup=True, **extra):
        extra.setdefault('ngxstorage_api_retries', 0)
        return super().make_driver(setup=setup, **extra)

    def ours(self):
        """Targets and auth groups of ours on the array, by name."""
        state = self.sim.state
        return (sorted(t['scsi_target_name'] for t in state.targets()),
                sorted(g['group_name'] for g in state.auth_groups()
                       if g['group_id'] != '1'))

    def test_other_attachment_on_the_host_keeps_the_mapping(self):
        # The LUN is mapped for a live attachment of the host; a second
        # attach of it on the same host (multiattach) fails on a read:
        # the undo keeps the mapping the first attachment uses.
        vol = self.create_volume(multiattach=True)
        conn = self.connector('host-a')
        self.driver.initialize_connection(vol, conn)
        self.attachment(vol, 'host-a')
        self.driver.exports.forget('host-a')
        self.sim.faults.add(method='POST', path='/auth_group/$',
                            status=500)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.driver.initialize_connection, vol, conn)
        self.assertIn('stays mapped', str(err))
        self.assertEqual(1, len(host_mappings(
            self.names(), self.sim.state, 'host-a', vol.provider_id)))

    def test_failed_undo_is_said_and_repaired_by_next_detach(self):
        vol = self.create_volume()
        other = self.create_volume()
        conn = self.connector('host-a')
        self.driver.initialize_connection(other, conn)
        # The LUN add's answer is lost and every Remove LUN fails: the
        # mapping stays, and the error says so.
        self.sim.faults.add(method='PUT', path='/iscsi_target/lun/',
                            phase='after', action='drop')
        self.sim.faults.add(method='PATCH', path='/iscsi_target/lun/[^/]+$',
                            status=500, times=1)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.driver.initialize_connection, vol, conn)
        self.assertIn('Undoing the attach failed', str(err))
        self.assertIn(vol.provider_id, str(err))
        self.assertTrue(host_mappings(self.names(), self.sim.state, 'host-a',
                                      vol.provider_id))
        self.sim.faults.clear()
        # The host's next operation (here the detach of the other
        # volume) removes the mapping, then the host's objects.
        self.driver.terminate_connection(other, conn)
        self.assertEqual(([], []), self.ours())

    def test_failed_undo_is_repaired_by_next_attach_of_another(self):
        vol = self.create_volume()
        conn = self.connector('host-a')
        self.sim.faults.add(method='POST', path='/target/iscsi/',
                            status=500)
        self.sim.faults.add(method='DELETE', path='/auth_group/', status=500)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.driver.initialize_connection, vol, conn)
        self.assertIn('Undoing the attach failed', str(err))
        self.assertEqual([self.names().auth_group_name('host-a')],
                         self.ours()[1])
        self.sim.faults.clear()
        # The group is reused by the next attach.
        other = self.create_volume()
        self.driver.initialize_connection(other, conn)
        self.assertEqual(1, len(self.ours()[1]))
        self.assertFalse(host_mappings(self.names(), self.sim.state, 'host-a',
                                       vol.provider_id))

    def test_empty_target_left_by_detach_goes_at_next_attach(self):
        # Two controllers: the detach of pool2's LUN cannot remove its
        # emptied target; the host's next attach (on pool1) does.
        a = self.create_volume(pool='pool1')
        b = self.create_volume(pool='pool2')
        conn = self.connector('host-a')
        self.driver.initialize_connection(a, conn)
        self.driver.initialize_connection(b, conn)
        self.driver.terminate_connection(a, conn)
        self.sim.faults.add(method='DELETE', path='/iscsi_target/',
                            status=500, times=1)
        self.driver.terminate_connection(b, conn)
        self.assertEqual(1, len(self.ours()[0]))
        c = self.create_volume(pool='pool1')
        self.driver.initialize_connection(c, conn)
        targets = self.sim.state.targets()
        self.assertEqual([1], [len(t['luns']) for t in targets])

    def test_empty_group_left_by_detach_goes_at_next_detach(self):
        a = self.create_volume()
        b = self.create_volume()
        conn = self.connector('host-a')
        other = self.connector('host-b')
        self.driver.initialize_connection(a, conn)
        self.driver.initialize_connection(b, other)
        self.sim.faults.add(method='DELETE', path='/auth_group/',
                            status=500, times=1)
        self.driver.terminate_connection(a, conn)
        self.assertIn(self.names().auth_group_name('host-a'), self.ours()[1])
        # A detach on host-a of a volume it does not map: the repair
        # happens under host-a's lock.
        self.driver.terminate_connection(b, conn)
        self.assertEqual([self.names().auth_group_name('host-b')],
                         self.ours()[1])

    # -- Cinder's attach on the cinder-volume node ------------------------

    def local_connector(self):
        return self.connector('cinder-node')

    def test_generic_attach_failure_leaves_no_mapping(self):
        # BaseVD._attach_volume (revert fallback, copy volume/image):
        # when initialize_connection fails Cinder only calls
        # remove_export.
        vol = self.create_volume()
        self.sim.faults.add(method='POST', path='/target/iscsi/',
                            phase='after', action='drop')
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.driver._attach_volume, self.ctx, vol,
                          self.local_connector())
        self.assertEqual(([], []), self.ours())

    def test_generic_connect_failure_leaves_no_mapping(self):
        # The device does not show up: Cinder detaches with force.
        vol = self.create_volume()
        with mock.patch.object(self.driver, '_connect_device',
                               side_effect=OSError('no device')):
            self.assertRaises(OSError, self.driver._attach_volume,
                              self.ctx, vol, self.local_connector())
        self.assertEqual(([], []), self.ours())

    def test_generic_attach_then_detach(self):
        vol = self.create_volume()
        props = self.local_connector()
        with mock.patch.object(self.driver, '_connect_device',
                               return_value={'connector': mock.Mock(),
                                             'conn': None, 'device': {}}):
            info, vol = self.driver._attach_volume(self.ctx, vol, props)
        self.assertTrue(host_mappings(
            self.names(), self.sim.state, 'cinder-node', vol.provider_id))
        info['conn'] = {'data': {}}
        self.driver._detach_volume(self.ctx, info, vol, props)
        self.assertEqual(([], []), self.ours())

    def test_snapshot_attach_failure_leaves_no_mapping(self):
        vol = self.create_volume()
        snap = self.create_snapshot(vol)
        self.sim.faults.add(method='PATCH', path='/auth_group/iqn/',
                            phase='after', action='drop')
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.driver.initialize_connection_snapshot, snap,
                          self.connector('backup-node'))
        self.assertEqual(([], []), self.ours())
        # The temporary clone is gone too.
        self.assertEqual([naming.volume_name(vol.name_id)], self.luns())


class InitiatorReplacementTest(base.DriverTestCase):
    """A host's group admits only the initiators Cinder attaches from."""

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(fake_db.FakeCinderDB())
        self.driver.db = mock.sentinel.db

    def group_iqns(self, host='host-a'):
        [group] = [g for g in self.sim.state.auth_groups()
                   if g['group_name'] == self.names().auth_group_name(host)]
        return sorted(i['iqn'] for i in group.get('initiator') or ())

    def live(self, vol, conn):
        """Record vol's live attachment through conn in Cinder's DB."""
        att = self.attachment(vol, conn['host'])
        att.connector = conn
        att.volume = vol
        vol.host = self.driver.host + '#pool1'
        self.db.attachments.append(att)
        return att

    def test_reinstalled_host_replaces_the_old_initiator(self):
        # The host attached with its old IQN; Cinder has no live
        # attachment through it any more (the host was reinstalled).
        old_conn = self.connector('host-a', initiator='iqn.2004-10.org:old')
        new_conn = self.connector('host-a', initiator='iqn.2004-10.org:new')
        a = self.create_volume()
        b = self.create_volume()
        self.driver.initialize_connection(a, old_conn)
        self.driver.initialize_connection(b, new_conn)
        self.assertEqual(['iqn.2004-10.org:new'], self.group_iqns())
        # A service that starts cold does it too.
        c = self.create_volume()
        drv = self.make_driver()
        drv.db = mock.sentinel.db
        drv.initialize_connection(c, old_conn)
        drv.initialize_connection(c, new_conn)
        self.assertEqual(['iqn.2004-10.org:new'], self.group_iqns())

    def test_old_initiator_stays_while_an_attachment_uses_it(self):
        old_conn = self.connector('host-a', initiator='iqn.2004-10.org:old')
        new_conn = self.connector('host-a', initiator='iqn.2004-10.org:new')
        a = self.create_volume()
        b = self.create_volume()
        self.driver.initialize_connection(a, old_conn)
        self.live(a, old_conn)
        self.driver.initialize_connection(b, new_conn)
        self.assertEqual(['iqn.2004-10.org:new', 'iqn.2004-10.org:old'],
                         self.group_iqns())
        # Once that attachment is gone, the next attach drops it.
        self.driver.terminate_connection(a, old_conn)
        self.db.attachments[:] = []
        c = self.create_volume()
        self.driver.initialize_connection(c, new_conn)
        self.assertEqual(['iqn.2004-10.org:new'], self.group_iqns())

    def test_without_database_old_initiators_stay(self):
        self.driver.db = None
        old_conn = self.connector('host-a', initiator='iqn.2004-10.org:old')
        new_conn = self.connector('host-a', initiator='iqn.2004-10.org:new')
        a = self.create_volume()
        b = self.create_volume()
        self.driver.initialize_connection(a, old_conn)
        self.driver.initialize_connection(b, new_conn)
        self.assertEqual(['iqn.2004-10.org:new', 'iqn.2004-10.org:old'],
                         self.group_iqns())

    def test_attachment_of_another_backend_does_not_count(self):
        old_conn = self.connector('host-a', initiator='iqn.2004-10.org:old')
        new_conn = self.connector('host-a', initiator='iqn.2004-10.org:new')
        a = self.create_volume()
        b = self.create_volume()
        self.driver.initialize_connection(a, old_conn)
        self.driver.terminate_connection(a, old_conn)
        elsewhere = objects.Volume(id=a.id, host='cinder@lvm#lvm')
        att = self.live(a, old_conn)
        att.volume = elsewhere
        self.driver.initialize_connection(a, old_conn)
        self.driver.initialize_connection(b, new_conn)
        self.assertEqual(['iqn.2004-10.org:new'], self.group_iqns())

    def test_attachment_without_connector_keeps_old_initiators(self):
        old_conn = self.connector('host-a', initiator='iqn.2004-10.org:old')
        new_conn = self.connector('host-a', initiator='iqn.2004-10.org:new')
        a = self.create_volume()
        b = self.create_volume()
        self.driver.initialize_connection(a, old_conn)
        self.live(a, old_conn).connector = None
        self.driver.initialize_connection(b, new_conn)
        self.assertEqual(['iqn.2004-10.org:new', 'iqn.2004-10.org:old'],
                         self.group_iqns())
