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

"""Two controllers on the wire: portals per owner, failover, failback.

Controller A's portal group listens on 127.0.0.1, B's on 127.0.0.2 (one
free port). After the simulator's failover of A, A's portal no longer
takes logins; a volume of A's pool, detached and attached again, is read
and written through B's portal, the one its new connection info names.
"""

from cinder_ngxstorage.simulator import Simulator
from tests.dataplane import base
from tests.dataplane import initiator


class FailoverDataPlaneTest(base.DataPlaneTestCase):

    POOLS = ('poola:10G:A', 'poolb:10G:B')

    def make_simulator(self):
        self.require_data_path()
        port = base.free_port()
        self.portal_a = '127.0.0.1:%d' % port
        self.portal_b = '127.0.0.2:%d' % port
        return Simulator(pools=self.POOLS, iscsi=True, portal_groups=(
            'pgA:A:%s' % self.portal_a, 'pgB:B:%s' % self.portal_b))

    def test_failover_reattach_reads_and_writes_through_b(self):
        vol_a = self.create_volume(pool='poola')
        vol_b = self.create_volume(pool='poolb')
        data_a, iqn = self.attach(vol_a)
        data_b, _iqn = self.attach(vol_b)
        self.assertEqual([self.portal_a], data_a['target_portals'])
        self.assertEqual([self.portal_b], data_b['target_portals'])
        self.io(data_a, iqn, 'write -P 0x5a 0 1M')
        self.io(data_b, iqn, 'write -P 0x3c 0 1M')

        self.sim.failover(from_='A')
        # A's portal takes no login any more; B's volume is unaffected.
        self.assert_refused(data_a, iqn)
        self.assert_reads(data_b, iqn, '0x3c')

        self.detach(vol_a)
        again, iqn = self.attach(vol_a)
        self.assertEqual([self.portal_b], again['target_portals'])
        self.assert_reads(again, iqn, '0x5a')
        self.io(again, iqn, 'write -P 0x6b 1M 1M', 'read -P 0x6b 1M 1M')

        # Detached, the volume is no longer reachable through B.
        self.detach(vol_a)
        rc, output = initiator.qemu_io(again, iqn, 'read 0 4k')
        self.assertNotEqual(0, rc, output)
        self.assertNotIn(vol_a.provider_id, [
            lun['vol_id'] for t in self.sim.state.export_view()['targets']
            for lun in t['luns']])
        self.assert_reads(data_b, iqn, '0x3c')

        # Failback: A's portal serves again, and A's volumes go there.
        self.detach(vol_b)
        self.sim.failback('A')
        self.driver.get_volume_stats(refresh=True)
        data_a, iqn = self.attach(vol_a)
        self.assertEqual([self.portal_a], data_a['target_portals'])
        self.assert_reads(data_a, iqn, '0x6b', offset='1M')
        self.detach(vol_a)
        self.assertEqual({}, self.sim.dataplane.exporter.exported())
