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

"""Attach and detach through per-host auth groups and targets."""

from tests.functional.driver import base


class AttachTest(base.DriverTestCase):

    def group_of(self, host):
        [group] = [g for g in self.sim.state.auth_groups()
                   if g['group_name'] == self.names().auth_group_name(host)]
        return group

    def test_connection_properties(self):
        vol = self.create_volume()
        conn = self.connector()
        info = self.driver.initialize_connection(vol, conn)
        self.assertEqual('iscsi', info['driver_volume_type'])
        data = info['data']
        [target] = self.sim.state.targets()
        [entry] = target['luns']
        self.assertEqual(vol.provider_id, entry['vol_id'])
        self.assertEqual(target['target_iqn'], data['target_iqn'])
        self.assertEqual(int(entry['lun_number']), data['target_lun'])
        self.assertEqual(list(self.PORTALS), data['target_portals'])
        self.assertEqual(self.PORTALS[0], data['target_portal'])
        self.assertEqual([data['target_iqn']] * 2, data['target_iqns'])
        self.assertEqual([data['target_lun']] * 2, data['target_luns'])
        # report_discard_supported is off by default.
        self.assertIs(False, data['discard'])
        self.assertEqual(vol.id, data['volume_id'])
        # CHAP: the group holds the host's IQN and the returned secret.
        group = self.group_of(conn['host'])
        self.assertEqual([conn['initiator']],
                         [i['iqn'] for i in group['initiator']])
        self.assertEqual('CHAP', data['auth_method'])
        self.assertEqual(group['chap']['username'], data['auth_username'])
        self.assertEqual(group['chap']['password'], data['auth_password'])
        self.assertEqual(16, len(data['auth_password']))
        self.assertEqual(group['group_id'], target['group_id'])
        self.assertEqual(self.sim.portal_group_id, target['portal_id'])

    def test_no_chap(self):
        self.driver = self.make_driver(use_chap_auth=False)
        info = self.driver.initialize_connection(self.create_volume(),
                                                 self.connector())
        self.assertNotIn('auth_method', info['data'])
        self.assertEqual(0, self.group_of('compute-1')['chap_status'])

    def test_chap_secret_stable_and_unique_per_host(self):
        vols = [self.create_volume() for _ in range(3)]
        first = self.driver.initialize_connection(vols[0], self.connector())
        # Another service (fresh driver, empty cache) reads it back.
        other = self.make_driver()
        second = other.initialize_connection(vols[1], self.connector())
        self.assertEqual(first['data']['auth_password'],
                         second['data']['auth_password'])
        third = self.driver.initialize_connection(
            vols[2], self.connector(host='compute-2'))
        self.assertNotEqual(first['data']['auth_password'],
                            third['data']['auth_password'])

    def test_known_host_attach_is_one_call(self):
        vols = [self.create_volume() for _ in range(2)]
        self.driver.initialize_connection(vols[0], self.connector())
        self.driver.client.on_request.reset()
        self.driver.initialize_connection(vols[1], self.connector())
        self.assertEqual({'add_target_luns': 1},
                         dict(self.driver.client.on_request.counts))

    def test_new_host_attach_calls(self):
        vol = self.create_volume()
        self.driver.client.on_request.reset()
        self.driver.initialize_connection(vol, self.connector())
        self.assertEqual({'create_auth_group': 1, 'add_auth_group_iqn': 1,
                          'set_auth_group_chap': 1, 'create_target': 1,
                          'get_target': 1},
                         dict(self.driver.client.on_request.counts))

    def test_attach_twice_is_idempotent(self):
        vol = self.create_volume()
        first = self.driver.initialize_connection(vol, self.connector())
        second = self.driver.initialize_connection(vol, self.connector())
        self.assertEqual(first, second)
        [target] = self.sim.state.targets()
        self.assertEqual(1, len(target['luns']))

    def test_lun_numbers_come_from_the_array(self):
        vols = [self.create_volume() for _ in range(3)]
        luns = [self.driver.initialize_connection(v, self.connector())
                ['data']['target_lun'] for v in vols]
        self.assertEqual(3, len(set(luns)))
        [target] = self.sim.state.targets()
        self.assertEqual(sorted(luns),
                         sorted(int(e['lun_number']) for e in target['luns']))

    def test_detach_cleans_up_the_host(self):
        vols = [self.create_volume() for _ in range(2)]
        conn = self.connector()
        for vol in vols:
            self.driver.initialize_connection(vol, conn)
        self.assertFalse(self.driver.terminate_connection(vols[0], conn))
        [target] = self.sim.state.targets()
        self.assertEqual([vols[1].provider_id],
                         [e['vol_id'] for e in target['luns']])
        self.driver.terminate_connection(vols[1], conn)
        self.assertEqual([], self.sim.state.targets())
        for vol in vols:
            self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_detach_by_another_service(self):
        vol = self.create_volume()
        conn = self.connector()
        self.driver.initialize_connection(vol, conn)
        self.make_driver().terminate_connection(vol, conn)
        self.assertEqual([], self.sim.state.targets())
        # This service's cache is stale now; attaching again still works.
        info = self.driver.initialize_connection(vol, conn)
        [target] = self.sim.state.targets()
        self.assertEqual(target['target_iqn'], info['data']['target_iqn'])

    def test_maxlun_spills_to_a_second_target(self):
        vols = [self.create_volume() for _ in range(65)]
        conn = self.connector()
        iqns = {self.driver.initialize_connection(v, conn)['data']
                ['target_iqn'] for v in vols}
        self.assertEqual(2, len(iqns))
        sizes = sorted(len(t['luns']) for t in self.sim.state.targets())
        self.assertEqual([1, 64], sizes)
        for vol in vols:
            self.driver.terminate_connection(vol, conn)
        self.assertEqual([], self.sim.state.targets())

    def test_multiattach_same_host_keeps_mapping(self):
        vol = self.create_volume(multiattach=True)
        conn = self.connector()
        self.driver.initialize_connection(vol, conn)
        self.attachment(vol, conn['host'])
        self.attachment(vol, conn['host'])
        self.assertTrue(self.driver.terminate_connection(vol, conn))
        self.assertEqual(1, len(self.sim.state.targets()))

    def test_multiattach_two_hosts(self):
        vol = self.create_volume(multiattach=True)
        conns = [self.connector('compute-1'), self.connector('compute-2')]
        infos = [self.driver.initialize_connection(vol, c) for c in conns]
        self.assertNotEqual(infos[0]['data']['target_iqn'],
                            infos[1]['data']['target_iqn'])
        self.driver.terminate_connection(vol, conns[0])
        [target] = self.sim.state.targets()
        self.assertEqual(infos[1]['data']['target_iqn'],
                         target['target_iqn'])

    def test_force_detach_removes_every_mapping(self):
        vol = self.create_volume(multiattach=True)
        for host in ('compute-1', 'compute-2'):
            self.driver.initialize_connection(vol, self.connector(host))
        self.driver.terminate_connection(vol, None)
        self.assertEqual([], self.sim.state.targets())
        self.assertEqual(['1'], [g['group_id']
                                 for g in self.sim.state.auth_groups()])

    def test_delete_attached_volume(self):
        vol = self.create_volume()
        self.driver.initialize_connection(vol, self.connector())
        self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_new_initiator_of_known_host(self):
        vol1, vol2 = self.create_volume(), self.create_volume()
        self.driver.initialize_connection(vol1, self.connector())
        self.driver.initialize_connection(
            vol2, self.connector(initiator='iqn.2004-10.com.example:new'))
        self.assertEqual(2, len(self.group_of('compute-1')['initiator']))


class DualControllerAttachTest(base.DriverTestCase):

    POOLS = ('poola:100G:A', 'poolb:100G:B')

    def test_one_target_per_owner(self):
        vol_a = self.create_volume(pool='poola')
        vol_b = self.create_volume(pool='poolb')
        conn = self.connector()
        info_a = self.driver.initialize_connection(vol_a, conn)
        info_b = self.driver.initialize_connection(vol_b, conn)
        self.assertNotEqual(info_a['data']['target_iqn'],
                            info_b['data']['target_iqn'])
        owners = sorted(t['owner'] for t in self.sim.state.targets())
        self.assertEqual(['NGXSIM01_A', 'NGXSIM01_B'], owners)
        self.assertEqual(1, len([g for g in self.sim.state.auth_groups()
                                 if g['group_id'] != '1']))
        stats = self.driver.get_volume_stats(refresh=True)
        self.assertEqual({'poola', 'poolb'},
                         {p['pool_name'] for p in stats['pools']})
        self.driver.terminate_connection(vol_a, conn)
        self.driver.terminate_connection(vol_b, conn)
        for vol in (vol_a, vol_b):
            self.driver.delete_volume(vol)
        self.assert_array_empty()
