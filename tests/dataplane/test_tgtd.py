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

"""The simulator's tgtd: start, stop, crashes, restarts, busy portals."""

import json
import os
import signal
import socket
import subprocess
import time

import fixtures
import testtools

from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage.simulator import dataplane
from cinder_ngxstorage.simulator import Simulator
from cinder_ngxstorage.simulator import state as st
from tests.dataplane import base
from tests.dataplane import initiator
from tests.functional.driver import base as driver_base
from tests.functional.simulator import test_cli

INITIATOR = 'iqn.1993-08.org.debian:01:dataplane'
SECRET = 'Sup3rS3cret!x'


def wait_until(predicate, timeout=30.0):
    """Poll predicate until true or timeout; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def dead(pid):
    return not dataplane._pid_alive(pid)


def tgtd_children():
    """Pids of live tgtd processes this test process started."""
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            with open('/proc/%s/comm' % name) as handle:
                comm = handle.read().strip()
        except OSError:
            continue
        if (comm == 'tgtd' and fields[0] != 'Z'
                and int(fields[1]) == os.getpid()):
            found.append(int(name))
    return found


def export_one_lun(sim, initiator_iqn=INITIATOR, chap=True):
    """A LUN mapped in a target that admits initiator_iqn; (vol, target)."""
    ctx = st.RequestContext()
    state = sim.state
    owner = state.owners[0]
    pool = state.pools()[0]['pool_name']
    vol_id = state.lun_create(ctx, {
        'pool_name': pool, 'name': 'dp-lun', 'size': 1,
        'thin_provision': 'on'})['luns'][0]['vol_id']
    group = state.auth_group_create(ctx, {'name': 'dpgroup',
                                          'owner': owner})['id']
    state.auth_group_iqn_add(ctx, {'id': group, 'iqn': initiator_iqn,
                                   'iqn_alias': 'dp', 'owner': owner})
    if chap:
        state.auth_group_chap_set(ctx, {'id': group, 'username': 'dpuser',
                                        'password': SECRET,
                                        'owner': owner})
    target = state.iscsi_target_create(ctx, {
        'name': 'dp-target', 'auth_group_id': group,
        'portal_group_id': sim.portal_group_id, 'owner': owner,
        'lun_ids': [vol_id]})['id']
    return vol_id, target


def connection_data(sim, target_id, portal_index=0, chap=True):
    """connection_info data for the target's first LUN (as a driver would).

    Built from the array's answers only: portals, IQN, LUN number, CHAP.
    """
    [detail] = [t for t in sim.state.targets() if t['scsi_id'] == target_id]
    portals = sim.state.portals
    data = {'target_portal': portals[portal_index],
            'target_portals': portals,
            'target_iqn': detail['target_iqn'],
            'target_iqns': [detail['target_iqn']] * len(portals),
            'target_lun': int(detail['luns'][0]['lun_number']),
            'target_luns': [int(detail['luns'][0]['lun_number'])]
            * len(portals)}
    if chap:
        data.update(auth_method='CHAP', auth_username='dpuser',
                    auth_password=SECRET)
    return data


class TgtdTestCase(testtools.TestCase):
    """Needs tgt, qemu and libiscsi; fails rather than skips under CI."""

    def setUp(self):
        super().setUp()
        missing = initiator.missing_tools()
        if missing:
            reason = 'missing: %s' % '; '.join(missing)
            if driver_base.env_flag('CI'):
                self.fail('CI is true: %s' % reason)
            self.skipTest(reason)
        self.port = base.free_port()
        self.portals = ('127.0.0.1:%d' % self.port,
                        '127.0.0.2:%d' % self.port)

    def simulator(self, **kwargs):
        kwargs.setdefault('pools', ('pool1:10G',))
        kwargs.setdefault('portals', self.portals)
        sim = Simulator(iscsi=True, **kwargs)
        sim.start()
        self.addCleanup(sim.stop)
        return sim


class LifecycleTest(TgtdTestCase):

    def test_stop_leaves_no_process_and_no_files(self):
        sim = self.simulator()
        self.assertTrue(sim.dataplane.iscsi_active)
        self.assertEqual(1, sim.dataplane.first_lun_number)
        # tgtd ignores SIGTERM while it has targets: give it one.
        export_one_lun(sim)
        pid = sim.dataplane.exporter.pid
        data_dir = sim.dataplane.data_dir
        self.assertIn(pid, tgtd_children())
        sim.stop()
        self.assertTrue(dead(pid))
        self.assertEqual([], tgtd_children())
        # The temporary data directory went with it.
        self.assertFalse(os.path.exists(data_dir))

    def test_port_zero_portals_get_one_free_port(self):
        sim = self.simulator(portals=('127.0.0.1:0', '127.0.0.2:0'))
        [one, two] = sim.state.portals
        port = int(one.rsplit(':', 1)[1])
        self.assertNotEqual(0, port)
        self.assertEqual(['127.0.0.1:%d' % port, '127.0.0.2:%d' % port],
                         [one, two])
        self.assertEqual([one, two], sim.dataplane.exporter.portals)
        _vol_id, target_id = export_one_lun(sim)
        for index in (0, 1):
            data = connection_data(sim, target_id, portal_index=index)
            rc, _size, output = initiator.read_capacity(data, INITIATOR)
            self.assertEqual(0, rc, output)

    def test_given_data_dir_keeps_luns_not_run_files(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        sim = self.simulator(data_dir=data_dir)
        vol_id, _target = export_one_lun(sim)
        sim.stop()
        self.assertTrue(os.path.exists(sim.dataplane.lun_path(vol_id)))
        # tgtd's log stays for a post-mortem; pid file and socket go.
        run_files = os.listdir(os.path.join(data_dir, 'tgtd'))
        self.assertEqual(['tgtd.log'], run_files)

    def test_portal_in_use_fails_the_start_cleanly(self):
        with socket.socket() as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind(('127.0.0.1', self.port))
            busy.listen(1)
            sim = Simulator(pools=('pool1:10G',), portals=self.portals,
                            iscsi=True)
            err = self.assertRaises(dataplane.DataPlaneError, sim.start)
        self.assertIn('127.0.0.1:%d' % self.port, str(err))
        self.assertEqual([], tgtd_children())
        self.assertFalse(os.path.exists(sim.dataplane.data_dir))

    def test_leftover_tgtd_of_a_crashed_run_is_stopped(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        run_dir = os.path.join(data_dir, 'tgtd')
        os.makedirs(run_dir)
        # What a crashed run leaves: its tgtd still on the portal, a pid
        # file, the management socket, LUN files nobody knows.
        socket_base = os.path.join(run_dir, 'mgmt')
        leftover = subprocess.Popen(
            ['tgtd', '-f', '-C', '1', '--iscsi',
             'portal=%s' % self.portals[0]],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, TGT_IPC_SOCKET=socket_base))
        self.addCleanup(_reap, leftover)
        with open(os.path.join(run_dir, 'tgtd.pid'), 'w') as handle:
            json.dump({'pid': leftover.pid, 'control_port': 1,
                       'socket': socket_base}, handle)
        self.assertTrue(wait_until(
            lambda: os.path.exists(socket_base + '.1')))
        subprocess.run(['tgtadm', '-C', '1', '--lld', 'iscsi', '--op',
                        'new', '--mode', 'target', '--tid', '1', '-T',
                        'iqn.2000-01.com.example:stale'],
                       env=dict(os.environ, TGT_IPC_SOCKET=socket_base),
                       check=True, capture_output=True)
        os.makedirs(os.path.join(data_dir, 'luns'))
        orphan = os.path.join(data_dir, 'luns', 'deadbeef.img')
        with open(orphan, 'wb') as handle:
            handle.truncate(1 << 20)
        sim = self.simulator(data_dir=data_dir)
        self.assertIsNotNone(leftover.poll())
        self.assertFalse(os.path.exists(orphan))
        self.assertNotEqual(leftover.pid, sim.dataplane.exporter.pid)
        # The new tgtd serves the portal the old one held.
        _vol_id, target_id = export_one_lun(sim)
        data = connection_data(sim, target_id)
        rc, size, output = initiator.read_capacity(data, INITIATOR)
        self.assertEqual(0, rc, output)
        self.assertEqual(1 << 30, size)

    def test_state_file_restart_exports_the_same_bytes(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        state_file = os.path.join(data_dir, 'state.json')
        sim = self.simulator(data_dir=data_dir, state_file=state_file)
        _vol_id, target_id = export_one_lun(sim)
        data = connection_data(sim, target_id, portal_index=1)
        rc, output = initiator.qemu_io(data, INITIATOR,
                                       'write -P 0x5a 0 1M')
        self.assertEqual(0, rc, output)
        sim.stop()
        again = self.simulator(data_dir=data_dir, state_file=state_file)
        self.assertTrue(again.loaded_from_file)
        self.assertEqual(data, connection_data(again, target_id,
                                               portal_index=1))
        rc, output = initiator.qemu_io(data, INITIATOR,
                                       'read -P 0x5a 0 1M')
        self.assertEqual(0, rc, output)
        self.assertNotIn('verification failed', output)


class CliTest(TgtdTestCase):
    """ngxstorage-simulator --iscsi: messages, signals and a hard kill."""

    def cli(self, *args):
        proc = test_cli.CliProcess(self, *args)
        ready = proc.ready()
        return proc, ready

    def tgtd_pid(self, data_dir):
        with open(os.path.join(data_dir, 'tgtd', 'tgtd.pid')) as handle:
            return json.load(handle)['pid']

    def test_sigterm_stops_tgtd(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        proc, ready = self.cli('--pool', 'pool1:10G', '--portal',
                               self.portals[0], '--data-dir', data_dir,
                               '--iscsi')
        self.assertEqual([self.portals[0]], ready['portals'])
        pid = self.tgtd_pid(data_dir)
        self.assertFalse(dead(pid))
        code, _rest, err = proc.stop(signal.SIGTERM)
        self.assertEqual(0, code, err)
        self.assertIn('exported by tgtd (pid %d)' % pid, err)
        self.assertIn('LUN numbers start at 1', err)
        self.assertNotIn('data plane off', err)
        self.assertTrue(wait_until(lambda: dead(pid)))

    def test_killed_simulator_takes_tgtd_along_and_restarts(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        state_file = os.path.join(data_dir, 'state.json')
        args = ('--pool', 'pool1:10G', '--portal', self.portals[0],
                '--portal', self.portals[1], '--data-dir', data_dir,
                '--state-file', state_file, '--iscsi')
        proc, ready = self.cli(*args)
        client = ngx_client.NGXStorageClient(ready['url'], ready['token'],
                                             retries=0)
        self.addCleanup(client.close)
        vol_id = client.create_lun('pool1', 'killed', 1)['luns'][0]['vol_id']
        group = client.create_auth_group('killed', '1')['id']
        client.add_auth_group_iqn(group, INITIATOR, 'dp', '1')
        client.create_target('killed', group, ready['portal_group_id'],
                             '1', lun_ids=[vol_id])
        pid = self.tgtd_pid(data_dir)
        proc.proc.kill()
        proc.proc.wait()
        # Its tgtd dies with it (parent-death signal) ...
        self.assertTrue(wait_until(lambda: dead(pid)))
        # ... and the next run on the same data dir and portals starts,
        # re-exporting the saved targets.
        proc2, ready2 = self.cli(*args)
        client2 = client_for(ready2)
        self.addCleanup(client2.close)
        [target] = client2.list_targets_detail()
        data = {'target_portal': self.portals[1],
                'target_iqn': target['target_iqn'],
                'target_lun': int(target['luns'][0]['lun_number'])}
        rc, size, output = initiator.read_capacity(data, INITIATOR)
        self.assertEqual(0, rc, output)
        self.assertEqual(1 << 30, size)
        code, _rest, err = proc2.stop(signal.SIGTERM)
        self.assertEqual(0, code, err)

    def test_without_tgtd_the_cli_says_so(self):
        # PATH without tgtd: the simulator serves the control plane.
        env_path = os.path.dirname(test_cli._command()[0])
        proc = subprocess.Popen(
            test_cli._command() + ['--iscsi', '--portal', self.portals[0]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, env=dict(os.environ, PATH=env_path))
        self.addCleanup(_reap, proc)
        line = proc.stdout.readline()
        self.assertIn(b'"url"', line)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
        self.assertEqual(0, proc.returncode, err)
        self.assertIn(b'iSCSI export off: tgtd and tgtadm not found', err)


def client_for(ready):
    return ngx_client.NGXStorageClient(ready['url'], ready['token'],
                                       retries=0)


def _reap(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()
