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

"""Two controllers: portals per owner, and a controller failover mid-life.

The simulator's failover switch gives controller A's pools, targets and
auth groups to B; the driver must still find and remove every mapping,
attach the volumes of the moved pools on B, and hand out B's portals.
"""

from cinder import exception

from cinder_ngxstorage.simulator import Simulator
from cinder_ngxstorage import stats as stats_mod
from tests.functional.driver import base

A = 'NGXSIM01_A'
B = 'NGXSIM01_B'
PORTALS_A = ['127.0.0.1:3260', '127.0.0.2:3260']
PORTALS_B = ['127.0.0.3:3260']
GROUPS = ('pgA:A:%s' % ','.join(PORTALS_A), 'pgB:B:%s' % PORTALS_B[0])


class ControllerTestCase(base.DriverTestCase):
    """Pools and portal groups on both controllers."""

    POOLS = ('poola:100G:A', 'poolb:100G:B')

    def make_simulator(self):
        return Simulator(pools=self.POOLS, portal_groups=GROUPS)

    def mappings(self):
        """{(target name, owner): [vol_id, ...]} of every target."""
        return {(t['scsi_target_name'], t['owner']):
                sorted(lun['vol_id'] for lun in t['luns'])
                for t in self.sim.state.targets()}

    def assert_no_host_objects(self):
        self.assertEqual([], self.sim.state.targets())
        self.assertEqual(['1'], [g['group_id']
                                 for g in self.sim.state.auth_groups()])

    def owner_refusals(self):
        """API requests the array refused (4xx) since the last clear."""
        return [r for r in self.sim.requests
                if r['status'] and 400 <= r['status'] < 500]


class PortalsPerOwnerTest(ControllerTestCase):

    def test_connection_info_has_the_owners_portals(self):
        vol_a = self.create_volume(pool='poola')
        vol_b = self.create_volume(pool='poolb')
        info_a = self.driver.initialize_connection(vol_a, self.connector())
        info_b = self.driver.initialize_connection(vol_b, self.connector())
        self.assertEqual(PORTALS_A, info_a['data']['target_portals'])
        self.assertEqual(PORTALS_A[0], info_a['data']['target_portal'])
        self.assertEqual([info_a['data']['target_iqn']] * 2,
                         info_a['data']['target_iqns'])
        self.assertEqual(PORTALS_B, info_b['data']['target_portals'])
        self.assertEqual(1, len(info_b['data']['target_luns']))
        for vol in (vol_a, vol_b):
            self.driver.terminate_connection(vol, self.connector())
            self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_option_where_one_group_cannot_tell(self):
        """One portal group lists both controllers' addresses."""
        sim = Simulator(pools=self.POOLS, portals=PORTALS_A + PORTALS_B)
        sim.start()
        self.addCleanup(sim.stop)
        self.sim = sim
        drv = self.make_driver(ngxstorage_portals_by_owner=[
            'A:127.0.0.1', 'a:127.0.0.2:3260', '%s:127.0.0.3' % B])
        self.driver = drv
        vol_a = self.create_volume(pool='poola')
        vol_b = self.create_volume(pool='poolb')
        self.assertEqual(PORTALS_A, drv.initialize_connection(
            vol_a, self.connector())['data']['target_portals'])
        self.assertEqual(PORTALS_B, drv.initialize_connection(
            vol_b, self.connector())['data']['target_portals'])

    def test_option_checked_at_setup(self):
        for entries, words in (
                (['A:not-an-ip'], 'A:not-an-ip'),
                (['127.0.0.1'], '127.0.0.1'),
                (['A:127.0.0.1'], B)):
            err = self.assertRaises(
                exception.VolumeDriverException, self.make_driver,
                ngxstorage_portals_by_owner=entries)
            self.assertIn('ngxstorage_portals_by_owner', str(err))
            self.assertIn(words, str(err))


class FailoverTest(ControllerTestCase):

    def attach(self, vol, host='compute-1'):
        info = self.driver.initialize_connection(vol, self.connector(host))
        self.attachment(vol, host)
        return info

    def test_failover_mid_life(self):
        """Attached on A; A fails; detach and re-attach on B, nothing left.

        No stats period runs in between: the driver's owners and cached
        targets are stale and the array's refusals correct them.
        """
        vol_a = self.create_volume(pool='poola')
        vol_a2 = self.create_volume(pool='poola')
        vol_b = self.create_volume(pool='poolb')
        for vol in (vol_a, vol_a2, vol_b):
            self.attach(vol)
        name_a = self.driver.exports.names.target_name('compute-1', A, 0)
        self.assertEqual(
            {(name_a, A): sorted([vol_a.provider_id, vol_a2.provider_id]),
             (self.driver.exports.names.target_name('compute-1', B, 0), B):
             [vol_b.provider_id]}, self.mappings())
        self.sim.failover(from_='A')
        self.assertEqual({B}, {owner for _n, owner in self.mappings()})
        # Detach with the stale owner A: the LUN goes from the old target.
        self.sim.clear_requests()
        self.assertFalse(self.driver.terminate_connection(
            vol_a, self.connector()))
        self.assertEqual(['iscsi_target.lun_remove'],
                         [r['op_id'] for r in self.owner_refusals()])
        self.assertEqual([vol_a2.provider_id],
                         self.mappings()[name_a, B])
        # Re-attach: a new target on A is refused (A is down), then the
        # owners are read again and the LUN goes to B (the host view read
        # again, its auth group is adopted: a 409 'exists').
        self.sim.clear_requests()
        info = self.driver.initialize_connection(vol_a, self.connector())
        self.assertEqual(['iscsi_target.create', 'auth_group.create'],
                         [r['op_id'] for r in self.owner_refusals()])
        self.assertEqual(B, self.driver.pool_owners['poola'])
        self.assertEqual(PORTALS_B, info['data']['target_portals'])
        mapped = [(key, luns) for key, luns in self.mappings().items()
                  if vol_a.provider_id in luns]
        self.assertEqual(1, len(mapped))
        self.assertEqual(B, mapped[0][0][1])
        # Every mapping is found and removed.
        for vol in (vol_a, vol_a2, vol_b):
            self.assertFalse(self.driver.terminate_connection(
                vol, self.connector()))
        self.assert_no_host_objects()
        for vol in (vol_a, vol_a2, vol_b):
            self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_periodic_owner_refresh(self):
        """The stats period takes the new owners, with no call of its own."""
        vol_a = self.create_volume(pool='poola')
        self.attach(vol_a)
        self.assertEqual(A, self.driver.pool_owners['poola'])
        self.sim.failover(to='B')
        self.driver.client.on_request.reset()
        self.driver.get_volume_stats(refresh=True)
        self.assertEqual(len(stats_mod.READS),
                         self.driver.client.on_request.total())
        self.assertEqual({'poola': B, 'poolb': B}, self.driver.pool_owners)
        self.assertEqual(B, self.driver.exports.group_owner)
        # The host view was dropped: detach reads it again and finds the
        # '-a0' target, now B's, with no refusal.
        self.sim.clear_requests()
        self.assertFalse(self.driver.terminate_connection(
            vol_a, self.connector()))
        self.assertEqual([], self.owner_refusals())
        self.assert_no_host_objects()
        # A new attachment lands on B straight away.
        info = self.attach(vol_a, 'compute-2')
        self.assertEqual([], self.owner_refusals())
        self.assertEqual(PORTALS_B, info['data']['target_portals'])
        names = self.driver.exports.names
        self.assertEqual({(names.target_name('compute-2', B, 0), B):
                          [vol_a.provider_id]}, self.mappings())
        # Failback: the next period gives poola back to A.
        self.driver.terminate_connection(vol_a, self.connector('compute-2'))
        self.sim.failback('A')
        self.driver.get_volume_stats(refresh=True)
        self.assertEqual({'poola': A, 'poolb': B}, self.driver.pool_owners)
        info = self.driver.initialize_connection(vol_a, self.connector())
        self.assertEqual(PORTALS_A, info['data']['target_portals'])
        self.driver.terminate_connection(vol_a, self.connector())
        self.driver.delete_volume(vol_a)
        self.assert_array_empty()

    def test_reused_target_after_failover(self):
        """The host's '-a0' target, now B's, takes the next LUN of B."""
        vol_a = self.create_volume(pool='poola')
        vol_b = self.create_volume(pool='poolb')
        self.attach(vol_a)
        self.sim.failover(from_='A')
        self.driver.get_volume_stats(refresh=True)
        self.attach(vol_b)
        name_a = self.driver.exports.names.target_name('compute-1', A, 0)
        self.assertEqual({(name_a, B): sorted([vol_a.provider_id,
                                               vol_b.provider_id])},
                         self.mappings())
        for vol in (vol_a, vol_b):
            self.driver.terminate_connection(vol, self.connector())
        self.assert_no_host_objects()

    def test_force_detach_after_failover(self):
        vol_a = self.create_volume(pool='poola', multiattach=True)
        self.attach(vol_a, 'compute-1')
        self.attach(vol_a, 'compute-2')
        self.sim.failover(from_='A')
        self.driver.terminate_connection(vol_a, None)
        self.assert_no_host_objects()
