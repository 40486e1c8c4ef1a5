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

"""Array-side snapshot schedules on LUNs Cinder manages.

The policy (doc/source/volume-types.rst, "Snapshot schedules"): the driver
never makes schedules and leaves them alone, except that deleting a volume
deletes its LUN's schedule and the scheduled snapshots with it (the array
refuses to delete a LUN that has either). Scheduled snapshots with clones
defer the deletion like any other snapshot with clones.
"""

from cinder_ngxstorage import naming
from tests.functional.driver import base
from tests.functional.driver import fake_db

CRON = '0 * * * *'


class ScheduleTest(base.DriverTestCase):

    def schedule(self, vol_id, keep_max=10, runs=0):
        self.driver.client.create_snapshot_schedule(vol_id, CRON, keep_max)
        return [self.sim.run_schedule(vol_id)['snap_id']
                for _ in range(runs)]

    def snap_names(self, vol_id):
        return [s['snap_name'] for s in self.sim.state.snapshots()
                if s['vol_id'] == vol_id]

    def test_delete_volume_with_schedule_and_scheduled_snapshots(self):
        vol = self.create_volume()
        self.schedule(vol.provider_id, runs=2)
        self.assertEqual(2, len(self.snap_names(vol.provider_id)))
        self.driver.delete_volume(vol)
        self.assert_array_empty()
        self.assertEqual([], self.sim.state.schedules())

    def test_scheduled_snapshot_with_array_clone_defers_the_delete(self):
        vol = self.create_volume()
        [auto] = self.schedule(vol.provider_id, runs=1)
        # An administrator clones a scheduled snapshot on the array.
        clone_id = self.driver.client.clone_snapshot(auto, 'adminclone')[
            'vol_id']
        self.driver.delete_volume(vol)           # success for Cinder
        # The schedule went with the volume: no new snapshots.
        self.assertEqual([], self.sim.state.schedules())
        self.assertIn(naming.volume_name(vol.name_id), self.luns())
        self.assertEqual(1, len(self.snap_names(vol.provider_id)))
        # Once the clone is gone, collection finishes the deletion.
        self.driver.client.delete_lun(clone_id)
        self.assertEqual(1, self.driver.deferred.collect())
        self.assert_array_empty()

    def test_pruning_never_takes_cinder_snapshots(self):
        vol = self.create_volume()
        snap = self.create_snapshot(vol)
        self.schedule(vol.provider_id, keep_max=1, runs=3)
        names = self.snap_names(vol.provider_id)
        self.assertIn(naming.snapshot_name(snap.id), names)
        self.assertEqual(2, len(names))
        self.delete(snap, vol)
        self.assert_array_empty()

    def test_revert_past_a_scheduled_snapshot_falls_back_to_cinder(self):
        vol = self.create_volume()
        snap = self.create_snapshot(vol)
        self.schedule(vol.provider_id, runs=1)
        self.assertRaises(NotImplementedError,
                          self.driver.revert_to_snapshot, self.ctx, vol,
                          snap)
        self.assertEqual(2, len(self.snap_names(vol.provider_id)))

    def test_clones_and_snapshots_of_a_scheduled_volume(self):
        src = self.create_volume()
        self.schedule(src.provider_id, runs=1)
        snap = self.create_snapshot(src)
        self.sim.run_schedule(src.provider_id)
        clone = self.clone_of(src)
        from_snap = self.volume_from_snapshot(snap)
        self.driver.delete_snapshot(snap)
        for vol in (src, clone, from_snap):
            self.driver.delete_volume(vol)
        self.assert_array_empty()
        self.assertEqual([], self.sim.state.schedules())


class ManagedScheduleTest(base.DriverTestCase):

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(fake_db.FakeCinderDB())

    def test_manage_and_unmanage_leave_the_schedule(self):
        client = self.driver.client
        vol_id = client.create_lun('pool1', 'scheduled', 1)['luns'][0][
            'vol_id']
        client.create_snapshot_schedule(vol_id, CRON, 2)
        auto = self.sim.run_schedule(vol_id)
        vol = self.volume()
        ref = {'source-name': 'scheduled'}
        vol.size = self.driver.manage_existing_get_size(vol, ref)
        vol.update(self.driver.manage_existing(vol, ref))
        self.db.add(vol)
        self.assertEqual(1, len(self.sim.state.schedules()))
        # A scheduled snapshot may be managed like any other ...
        [entry] = [e for e in self.driver.get_manageable_snapshots(
            [], None, 10, 0, ['reference'], ['asc'])
            if e['reference']['source-name'] == auto['snap_vol'].split(
                '@')[1]]
        self.assertTrue(entry['safe_to_manage'])
        snap = self.snapshot(vol)
        snap.update(self.driver.manage_existing_snapshot(
            snap, entry['reference']))
        # ... and the schedule may prune it: deleting it is then a no-op.
        for _ in range(3):
            self.sim.run_schedule(vol_id)
        self.assertNotIn(snap.provider_id,
                         [s['snap_id'] for s in self.sim.state.snapshots()])
        self.driver.delete_snapshot(snap)
        self.driver.unmanage(vol)
        self.assertEqual(1, len(self.sim.state.schedules()))
