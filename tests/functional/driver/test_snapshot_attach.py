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

"""Snapshot attach (backups from a temporary snapshot) on the simulator.

The API maps LUNs, not snapshots: a snapshot is attached through a
temporary clone, which no path may leave behind.
"""

from cinder import exception
from oslo_config import cfg

from cinder_ngxstorage import naming
from tests.functional.driver import base

CONF = cfg.CONF


class SnapshotAttachTest(base.DriverTestCase):

    def setUp(self):
        super().setUp()
        self.vol = self.create_volume()
        self.snap = self.create_snapshot(self.vol)
        self.conn = self.connector('backup-1')
        self.clone_name = naming.snapshot_export_name(self.snap.id)

    def clones(self):
        return [lun for lun in self.sim.state.luns()
                if lun['vol_name'] == self.clone_name]

    def attach(self):
        self.driver.create_export_snapshot(self.ctx, self.snap, self.conn)
        return self.driver.initialize_connection_snapshot(self.snap,
                                                          self.conn)

    def assert_gone(self):
        self.assertEqual([], self.clones())
        self.assertEqual([], [t for t in self.sim.state.targets()
                              if t['luns']])
        # The snapshot is free to go: nothing depends on it.
        self.driver.delete_snapshot(self.snap)
        self.assertEqual([], self.sim.state.snapshots())

    def test_attach_detach_leaves_nothing(self):
        info = self.attach()
        self.assertEqual('iscsi', info['driver_volume_type'])
        [clone] = self.clones()
        self.assertEqual('%s@%s' % (naming.volume_name(self.vol.name_id),
                                    naming.snapshot_name(self.snap.id)),
                         clone['clone'])
        [target] = [t for t in self.sim.state.targets() if t['luns']]
        self.assertEqual(clone['vol_id'], target['luns'][0]['vol_id'])
        self.assertEqual(info['data']['target_iqn'], target['target_iqn'])
        self.assertEqual('ro', info['data']['access_mode'])
        self.driver.terminate_connection_snapshot(self.snap, self.conn)
        self.driver.remove_export_snapshot(self.ctx, self.snap)
        self.assert_gone()

    def test_initialize_without_export_makes_the_clone(self):
        self.driver.initialize_connection_snapshot(self.snap, self.conn)
        self.assertEqual(1, len(self.clones()))
        # A repeated export finds it: one clone.
        self.driver.create_export_snapshot(self.ctx, self.snap, self.conn)
        self.assertEqual(1, len(self.clones()))
        self.driver.remove_export_snapshot(self.ctx, self.snap)
        self.assert_gone()

    def test_failed_map_removes_the_clone(self):
        self.driver.create_export_snapshot(self.ctx, self.snap, self.conn)
        self.sim.faults.add(method='POST', path=r'^/api/v2/auth_group',
                            status=500, times=10)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.driver.initialize_connection_snapshot,
                          self.snap, self.conn)
        self.sim.faults.clear()
        # What the manager does next: remove_export_snapshot.
        self.driver.remove_export_snapshot(self.ctx, self.snap)
        self.assert_gone()

    def test_forced_terminate_after_failed_backup_attach(self):
        """The backup manager only terminates (force) after a failure."""
        self.attach()
        self.driver.terminate_connection_snapshot(self.snap, None,
                                                  force=True)
        self.assert_gone()

    def test_export_lost_answer_adopted(self):
        self.sim.faults.add(method='POST', path=r'^/api/v2/snapshot/clone',
                            phase='after', action='drop')
        self.driver.create_export_snapshot(self.ctx, self.snap, self.conn)
        self.assertEqual(1, len(self.clones()))
        self.driver.remove_export_snapshot(self.ctx, self.snap)
        self.assert_gone()

    def test_clone_not_manageable(self):
        self.attach()
        [entry] = [e for e in self.driver.get_manageable_volumes(
            [], None, 10, 0, ['reference'], ['asc'])
            if e['reference']['source-name'] == self.clone_name]
        self.assertFalse(entry['safe_to_manage'])
        self.assertIn('Temporary clone', entry['reason_not_safe'])
        self.driver.terminate_connection_snapshot(self.snap, self.conn)
        self.assert_gone()

    def test_backup_use_temp_snapshot_follows_the_option(self):
        self.assertFalse(self.driver.backup_use_temp_snapshot())
        group = self.driver.configuration.config_group
        CONF.set_override('backup_use_temp_snapshot', True, group=group)
        self.addCleanup(CONF.clear_override, 'backup_use_temp_snapshot',
                        group=group)
        self.assertTrue(self.driver.backup_use_temp_snapshot())
