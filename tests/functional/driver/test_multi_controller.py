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

"""One backend over pools of both controllers (API-NOTES 10), multiattach.

A LUN can only be mapped in a target of its pool's controller, so each
host gets one target per controller it uses; volumes, snapshots, clones,
manage and retype stay on their pool's controller.
"""

from cinder import objects

from cinder_ngxstorage import stats as stats_mod
from tests.functional.driver import base
from tests.functional.driver import fake_db

OWNER_A = 'NGXSIM01_A'
OWNER_B = 'NGXSIM01_B'


class MultiControllerTest(base.DriverTestCase):

    POOLS = ('poola:100G:A', 'poolb:100G:B')

    def targets_by_host(self):
        """{(auth group name, owner): [vol_ids]} of every target."""
        groups = {g['group_id']: g['group_name']
                  for g in self.sim.state.auth_groups()}
        return {(groups[t['group_id']], t['owner']):
                sorted(lun['vol_id'] for lun in t['luns'])
                for t in self.sim.state.targets()}

    def test_multiattach_on_both_controllers(self):
        vol_a = self.create_volume(pool='poola', multiattach=True)
        vol_b = self.create_volume(pool='poolb', multiattach=True)
        hosts = ('compute-1', 'compute-2')
        infos = {}
        for host in hosts:
            for vol in (vol_a, vol_b):
                infos[host, vol.id] = self.driver.initialize_connection(
                    vol, self.connector(host))
                self.attachment(vol, host)
        group = {h: self.names().auth_group_name(h) for h in hosts}
        self.assertEqual(
            {(group[h], owner): [vol.provider_id]
             for h in hosts
             for owner, vol in ((OWNER_A, vol_a), (OWNER_B, vol_b))},
            self.targets_by_host())
        iqns = {info['data']['target_iqn'] for info in infos.values()}
        self.assertEqual(4, len(iqns))
        # Detaching compute-1 leaves compute-2's targets as they were.
        for vol in (vol_a, vol_b):
            vol.volume_attachment = objects.VolumeAttachmentList(
                objects=[a for a in vol.volume_attachment
                         if a.attached_host != 'compute-1'])
            self.assertFalse(self.driver.terminate_connection(
                vol, self.connector('compute-1')))
        self.assertEqual(
            {(group['compute-2'], OWNER_A): [vol_a.provider_id],
             (group['compute-2'], OWNER_B): [vol_b.provider_id]},
            self.targets_by_host())
        again = self.driver.initialize_connection(
            vol_b, self.connector('compute-2'))
        self.assertEqual(infos['compute-2', vol_b.id]['data'],
                         again['data'])
        for vol in (vol_a, vol_b):
            self.driver.terminate_connection(vol,
                                             self.connector('compute-2'))
            self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_stats_per_controller_pool(self):
        self.create_volume(size=3, pool='poolb')
        self.driver.client.on_request.reset()
        stats = self.driver.get_volume_stats(refresh=True)
        self.assertEqual(len(stats_mod.READS),
                         self.driver.client.on_request.total())
        pools = {p['pool_name']: p for p in stats['pools']}
        self.assertEqual({'poola', 'poolb'}, set(pools))
        self.assertEqual(3, pools['poolb']['provisioned_capacity_gb'])
        self.assertEqual(0, pools['poola']['provisioned_capacity_gb'])
        self.assertEqual(200, stats['total_capacity_gb'])
        for pool in pools.values():
            self.assertTrue(pool['multiattach'])
            self.assertTrue(pool['QoS_support'])

    def test_snapshots_clones_and_retype_stay_on_their_controller(self):
        vol = self.create_volume(pool='poolb')
        snap = self.create_snapshot(vol)
        clone = self.volume_from_snapshot(snap, pool='poolb')
        luns = {lun['vol_id']: lun for lun in self.sim.state.luns()}
        self.assertEqual(OWNER_B, luns[clone.provider_id]['owner'])
        new_type = {'id': 'x', 'extra_specs':
                    {'ngxstorage:qos_priority': '64'}, 'qos_specs_id': None}
        host_b = {'host': 'cinder@ngx#poolb'}
        host_a = {'host': 'cinder@ngx#poola'}
        self.assertEqual((True, None), self.driver.retype(
            self.ctx, clone, new_type, {}, host_b))
        self.assertIs(False, self.driver.retype(
            self.ctx, clone, new_type, {}, host_a))
        info = self.driver.initialize_connection(clone, self.connector())
        [target] = self.sim.state.targets()
        self.assertEqual(OWNER_B, target['owner'])
        self.assertEqual(target['target_iqn'], info['data']['target_iqn'])
        self.driver.terminate_connection(clone, self.connector())
        self.driver.delete_snapshot(snap)
        for obj in (vol, clone):
            self.driver.delete_volume(obj)
        self.assert_array_empty()

    def test_manage_in_the_b_pool_and_attach(self):
        self.useFixture(fake_db.FakeCinderDB())
        vol_id = self.driver.client.create_lun('poolb', 'onb', 1)['luns'][
            0]['vol_id']
        vol = self.volume(pool='poolb')
        ref = {'source-id': vol_id}
        vol.size = self.driver.manage_existing_get_size(vol, ref)
        vol.update(self.driver.manage_existing(vol, ref))
        self.driver.initialize_connection(vol, self.connector())
        [target] = self.sim.state.targets()
        self.assertEqual(OWNER_B, target['owner'])
        self.driver.terminate_connection(vol, self.connector())
        self.assertEqual([], self.sim.state.targets())
