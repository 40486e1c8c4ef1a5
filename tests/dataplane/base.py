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

"""The data path fixture: the driver, a simulator exporting through tgtd.

:class:`DataPlaneTestCase` is the functional driver fixture with the
simulator's iSCSI data plane on: its own tgtd listening on two loopback
portals (127.0.0.1 and 127.0.0.2) on one free port. Tests reach the
volumes only through what the driver returns (connection_info) and a
real initiator (:mod:`tests.dataplane.initiator`).

When tgtd, qemu or libiscsi's tools are missing, the tests skip; with
``CI=true`` they fail instead.
"""

import socket

from cinder_ngxstorage.simulator import Simulator
from tests.dataplane import initiator
from tests.functional.driver import base

MiB = 1 << 20
GiB = 1 << 30


def free_port():
    """A TCP port free on 127.0.0.1 (and so, in practice, on 127.0.0.2)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class DataPlaneTestCase(base.DriverTestCase):
    """A driver against a simulator whose LUNs are real iSCSI disks."""

    POOLS = ('pool1:200G', 'pool2:100G')

    def setUp(self):
        super().setUp()
        if not self.sim.dataplane.iscsi_active:
            self.not_here('the simulator has no iSCSI export: %s'
                          % self.sim.dataplane.iscsi_problem)

    def make_simulator(self):
        """A simulator exporting through tgtd on two loopback portals."""
        self.require_data_path()
        port = free_port()
        self.portals = ('127.0.0.1:%d' % port, '127.0.0.2:%d' % port)
        return Simulator(pools=self.POOLS, portals=self.portals,
                         iscsi=True)

    def not_here(self, reason):
        """Skip, or fail under CI=true (CI must run the data path)."""
        if base.env_flag('CI'):
            self.fail('data path test cannot run and CI is true: %s'
                      % reason)
        self.skipTest(reason)

    def require_data_path(self):
        """Skip (fail under CI) unless every tool is installed."""
        missing = initiator.missing_tools()
        if missing:
            self.not_here('missing: %s' % '; '.join(missing))

    # -- attach through the driver --------------------------------------

    def attach(self, volume, host='compute-1', initiator_iqn=None):
        """initialize_connection for host; (connection data, IQN)."""
        conn = self.connector(host=host, initiator=initiator_iqn)
        info = self.driver.initialize_connection(volume, conn)
        self.assertEqual('iscsi', info['driver_volume_type'])
        return info['data'], conn['initiator']

    def detach(self, volume, host='compute-1', initiator_iqn=None):
        """terminate_connection for host."""
        self.driver.terminate_connection(
            volume, self.connector(host=host, initiator=initiator_iqn))

    # -- initiator assertions -------------------------------------------

    def io(self, data, iqn, *commands, portal_index=0):
        """Run qemu-io commands that must all succeed; return output."""
        rc, output = initiator.qemu_io(data, iqn, *commands,
                                       portal_index=portal_index)
        self.assertEqual(0, rc, 'qemu-io failed: %s' % output)
        self.assertNotIn('verification failed', output)
        self.assertNotIn('can\'t open', output)
        return output

    def assert_reads(self, data, iqn, pattern, offset=0, length='1M',
                     portal_index=0):
        """The volume holds byte pattern at offset (length bytes)."""
        self.io(data, iqn, 'read -P %s %s %s' % (pattern, offset, length),
                portal_index=portal_index)

    def assert_refused(self, data, iqn, portal_index=0, why=None):
        """A login as iqn with data's credentials is refused."""
        rc, output = initiator.qemu_io(data, iqn, 'read 0 512',
                                       portal_index=portal_index)
        self.assertNotEqual(0, rc, 'login was accepted: %s' % output)
        self.assertIn('can\'t open', output)
        if why:
            self.assertIn(why, output)
        return output

    def capacity(self, data, iqn, portal_index=0):
        """Size in bytes the target reports on a fresh login."""
        rc, size, output = initiator.read_capacity(
            data, iqn, portal_index=portal_index)
        self.assertEqual(0, rc, output)
        return size

    def exported_luns(self, data):
        """LUN numbers tgtd exports in the connection's target."""
        exported = self.sim.dataplane.exporter.exported()
        entry = exported.get(data['target_iqn'])
        return sorted(entry['luns']) if entry else None
