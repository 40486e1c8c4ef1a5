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

"""The devstack plugin's simulator mode, end to end without devstack.

The plugin's phases run in bash with devstack's functions stubbed (see
tests/unit/test_devstack.py), except that ``run_process`` really starts the
command the plugin gives it: the real ``ngxstorage-simulator``. The plugin
must read the simulator's ready line and leave a backend section with which
the driver starts and reports its pools; with the data plane (the plugin's
default: tgtd, as root), a volume attached through that section takes
writes and reads them back over iSCSI.
"""

import os
import shutil
import signal
import socket
import time
import uuid

from cinder import context
import testtools

from cinder_ngxstorage import driver as ngx_driver
from tests import common
from tests.dataplane import initiator
from tests.functional.driver import base
from tests.unit import test_devstack


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class DevstackSimulatorTestCase(testtools.TestCase):
    """stack install + post-config start a simulator the driver can use."""

    def setUp(self):
        super().setUp()
        common.detect_leaks(self)
        self.useFixture(common.Coordination())
        self.harness = test_devstack.DevstackHarness(self)
        self.port = _free_port()
        self.env = {'LIVE_RUN_PROCESS': '1',
                    'NGXSTORAGE_SIM_ISCSI': 'False',
                    'NGXSTORAGE_SIM_PORT': str(self.port),
                    'NGXSTORAGE_SIM_POOLS': 'pool1:100G pool2:50G',
                    'NGXSTORAGE_SIM_PORTALS': '127.0.0.1:3261',
                    'STACK_USER': os.environ.get('USER', 'root')}
        self.addCleanup(self._kill)

    def _kill(self):
        pid_file = os.path.join(self.harness.work, 'ngx-sim.pid')
        if os.path.exists(pid_file):
            with open(pid_file) as handle:
                pid = int(handle.read().strip())
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            # Wait for it to stop its tgtd before the work dir (its run
            # files) goes; it is not our child, so poll.
            deadline = time.monotonic() + 60
            while os.path.exists('/proc/%d' % pid):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    break
                time.sleep(0.1)

    def stack_and_start_driver(self):
        """Run the phases; return the driver set up from cinder.conf."""
        out = self.harness.stack(env=self.env,
                                 phases=('install', 'post-config')).stdout
        self.assertIn('ngxstorage-simulator ready at http://127.0.0.1:%d'
                      % self.port, out)
        conf = self.harness.ini(self.harness.cinder_conf)
        section = dict(conf['ngxstorage'])
        for key in conf.defaults():
            section.pop(key, None)
        ready = os.path.join(self.harness.work, 'data',
                             'ngxstorage-simulator', 'ready.json')
        with open(ready) as handle:
            ready_line = handle.read()
        # The portal group id came from the ready line.
        self.assertIn('"portal_group_id": "%s"'
                      % section['ngxstorage_portal_group'], ready_line)

        group = 'ngx-devstack-%s' % uuid.uuid4().hex[:8]
        section.pop('volume_driver')
        drv_conf = base.make_configuration(group, **section)
        for key in section:
            self.addCleanup(base.CONF.clear_override, key, group=group)
        drv = ngx_driver.NGXStorageISCSIDriver(configuration=drv_conf,
                                               host='devstack@ngxstorage')
        drv.db = common.InitiatorData()  # Cinder's database.
        drv.do_setup(context.get_admin_context())
        drv.check_for_setup_error()
        return drv

    def test_stack_then_driver_starts(self):
        drv = self.stack_and_start_driver()
        stats = drv.get_volume_stats(refresh=True)
        self.assertEqual(['pool1', 'pool2'],
                         [pool['pool_name'] for pool in stats['pools']])
        self.assertEqual(150.0, stats['total_capacity_gb'])

        self.harness.run('run_phase unstack', env=self.env)
        self.assertIn('stop_process ngx-sim', self.harness.calls())

    def test_stack_with_data_plane(self):
        """The plugin's default mode: a volume usable over iSCSI."""
        missing = initiator.missing_tools()
        if os.geteuid() != 0:
            missing.append('root (tgtd)')
        if missing:
            if base.env_flag('CI'):
                self.fail('missing: %s' % ', '.join(missing))
            self.skipTest('missing: %s' % ', '.join(missing))
        self.assertTrue(shutil.which('tgtd'))
        self.env.update({'NGXSTORAGE_SIM_ISCSI': 'True',
                         'NGXSTORAGE_SIM_PORTALS':
                         '127.0.0.1:%d' % _free_port()})
        drv = self.stack_and_start_driver()
        vol = common.volume(context.get_admin_context(), size=1,
                            service_host='devstack', backend='ngxstorage')
        vol.update(drv.create_volume(vol) or {})
        self.addCleanup(drv.delete_volume, vol)
        conn = common.connector(host='devstack-compute')
        info = drv.initialize_connection(vol, conn)
        self.addCleanup(drv.terminate_connection, vol, conn)
        rc, output = initiator.qemu_io(
            info['data'], conn['initiator'], 'write -P 0x5a 0 1M',
            'read -P 0x5a 0 1M')
        self.assertEqual(0, rc, output)
        self.assertNotIn('Pattern verification failed', output)
