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

"""What interrupted operations leave is removed, and nothing else."""

from cinder import exception

from tests.functional.driver import base


class LeftoversTest(base.DriverTestCase):
    """Empty targets and unbound groups of ours go at service start."""

    def test_interrupted_detach_is_finished_at_start(self):
        vol = self.create_volume()
        conn = self.connector('host-a')
        self.driver.initialize_connection(vol, conn)
        # The target's deletion fails: the detach still succeeds.
        self.sim.faults.add(method='DELETE', path='/iscsi_target/',
                            status=500, times=0)
        self.assertFalse(self.driver.terminate_connection(vol, conn))
        self.sim.faults.clear()
        [target] = self.sim.state.targets()
        self.assertEqual([], target['luns'])
        self.make_driver()  # A service start.
        self.assertEqual([], self.sim.state.targets())
        self.assertEqual(['1'], [g['group_id']
                                 for g in self.sim.state.auth_groups()])

    def test_failed_attach_group_is_removed(self):
        # The attach undoes its group itself; when that fails too, the
        # next service start removes it.
        vol = self.create_volume()
        self.sim.faults.add(method='POST', path='/target/iscsi/',
                            status=500)
        self.sim.faults.add(method='DELETE', path='/auth_group/',
                            status=500, times=0)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.driver.initialize_connection, vol,
                          self.connector('host-a'))
        self.sim.faults.clear()
        self.assertEqual([self.names().auth_group_name('host-a')],
                         [g['group_name'] for g in
                          self.sim.state.auth_groups()
                          if g['group_id'] != '1'])
        self.make_driver()
        self.assert_array_empty_but(['cv'])

    def test_other_objects_are_left_alone(self):
        client = self.driver.client
        group = client.create_auth_group('admingroup', '1')['id']
        client.create_target('admin-target', group, self.sim.portal_group_id,
                             '1')
        vol = self.create_volume()
        info = self.driver.initialize_connection(vol,
                                                 self.connector('host-a'))
        self.make_driver()
        names = sorted(t['scsi_target_name'] for t in self.sim.state.targets())
        self.assertEqual(2, len(names))
        self.assertIn('admin-target', names)
        self.assertIn(info['data']['target_iqn'].rpartition(':')[2], names)
        self.assertIn('admingroup', [g['group_name'] for g in
                                     self.sim.state.auth_groups()])

    def assert_array_empty_but(self, prefixes):
        self.assertEqual([], self.sim.state.targets())
        self.assertEqual(['1'], [g['group_id']
                                 for g in self.sim.state.auth_groups()])
        for name in self.luns():
            self.assertTrue(name.startswith(tuple(prefixes)), name)
