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

"""Volume and snapshot operations of the driver against the simulator."""

import uuid

from cinder import exception
from cinder import objects

from cinder_ngxstorage import naming
from cinder_ngxstorage import stats as stats_mod
from tests.functional.driver import base

GIB = 1024 ** 3


class VolumeLifecycleTest(base.DriverTestCase):

    def lun_detail(self, vol_id):
        [lun] = [lun for lun in self.sim.state.luns()
                 if lun['vol_id'] == vol_id]
        return lun

    def test_create_and_delete_volume(self):
        vol = self.create_volume(size=2, pool='pool2')
        lun = self.lun_detail(vol.provider_id)
        self.assertEqual(naming.volume_name(vol.name_id), lun['vol_name'])
        self.assertEqual('pool2', lun['pool_name'])
        self.assertEqual(str(2 * GIB), lun['vol_size'])
        self.assertEqual('thin', lun['provision_type'])
        self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_thick_volume_when_thin_is_off(self):
        self.driver = self.make_driver(san_thin_provision=False)
        vol = self.create_volume()
        self.assertEqual('full',
                         self.lun_detail(vol.provider_id)['provision_type'])

    def test_volume_type_provisioning_wins(self):
        vtype = objects.VolumeType(
            self.ctx, id=str(uuid.uuid4()), name='thick',
            extra_specs={'provisioning:type': 'thick'})
        vol = self.create_volume(volume_type_id=vtype.id,
                                 volume_type=vtype)
        self.assertEqual('full',
                         self.lun_detail(vol.provider_id)['provision_type'])

    def test_delete_missing_volume_is_success(self):
        vol = self.create_volume()
        self.driver.delete_volume(vol)
        self.driver.delete_volume(vol)  # gone already: a warning only
        never_created = self.volume()
        self.driver.delete_volume(never_created)
        self.assert_array_empty()

    def test_create_volume_larger_than_pool_fails_cleanly(self):
        self.driver = self.make_driver(san_thin_provision=False)
        vol = self.volume(size=500)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.driver.create_volume, vol)
        self.assertIn(vol.id, str(err))
        self.assertIn('pool1', str(err))
        self.assertEqual([], self.luns())

    def test_extend(self):
        vol = self.create_volume(size=1)
        self.driver.extend_volume(vol, 3)
        self.assertEqual(str(3 * GIB),
                         self.lun_detail(vol.provider_id)['vol_size'])

    def test_snapshot_create_delete(self):
        vol = self.create_volume()
        snap = self.create_snapshot(vol)
        [array_snap] = self.sim.state.snapshots()
        self.assertEqual(snap.provider_id, array_snap['snap_id'])
        self.assertEqual(naming.snapshot_name(snap.id),
                         array_snap['snap_name'])
        self.driver.delete_snapshot(snap)
        self.driver.delete_snapshot(snap)  # gone already: success
        self.assertEqual([], self.sim.state.snapshots())
        self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_volume_from_snapshot_bigger(self):
        vol = self.create_volume(size=1)
        snap = self.create_snapshot(vol)
        new = self.volume_from_snapshot(snap, size=4)
        lun = self.lun_detail(new.provider_id)
        self.assertEqual(str(4 * GIB), lun['vol_size'])
        self.assertEqual('%s@%s' % (naming.volume_name(vol.name_id),
                                    naming.snapshot_name(snap.id)),
                         lun['clone'])
        # The snapshot has a clone: Cinder may still delete it, and the
        # volume; the array keeps both until the clone goes.
        self.delete(snap, vol)
        self.assertEqual(2, len(self.luns()))
        self.driver.delete_volume(new)
        self.assert_array_empty()

    def test_cloned_volume(self):
        src = self.create_volume(size=2)
        clone = self.clone_of(src, size=3)
        self.assertEqual(str(3 * GIB),
                         self.lun_detail(clone.provider_id)['vol_size'])
        # The source can go first; its internal snapshot keeps it alive
        # on the array until the clone is deleted.
        self.delete(src, clone)
        self.assert_array_empty()

    def test_clone_deleted_before_source(self):
        src = self.create_volume()
        clone = self.clone_of(src)
        self.driver.delete_volume(clone)
        self.assertEqual([], self.sim.state.snapshots())
        self.driver.delete_volume(src)
        self.assert_array_empty()

    def test_chain_of_dependents(self):
        # v1 -> s1 -> v2 -> s2 -> v3, deleted from the root.
        v1 = self.create_volume()
        s1 = self.create_snapshot(v1)
        v2 = self.volume_from_snapshot(s1)
        s2 = self.create_snapshot(v2)
        v3 = self.volume_from_snapshot(s2)
        for obj in (s1, s2):
            self.driver.delete_snapshot(obj)
        for obj in (v1, v2):
            self.driver.delete_volume(obj)
        self.assertEqual(3, len(self.luns()))
        self.driver.delete_volume(v3)
        self.assert_array_empty()

    def test_revert_to_snapshot(self):
        # As Cinder calls it: the volume available and of the snapshot's
        # volume_size (its API refuses a revert otherwise; a smaller
        # array snapshot is a managed one, see test_manage), here an
        # extended volume snapshotted after the extend.
        vol = self.create_volume(size=1)
        self.driver.extend_volume(vol, 2)
        vol.size = 2
        snap = self.create_snapshot(vol)
        self.assertEqual(vol.size, snap.volume_size)
        self.sim.clear_requests()
        self.driver.revert_to_snapshot(self.ctx, vol, snap)
        # Rolled back in place with one restore; nothing to grow back.
        self.assertEqual(
            [('POST', '/api/v2/snapshot/restore/%s' % snap.provider_id)],
            [(r['method'], r['path']) for r in self.sim.requests
             if r['method'] != 'GET'])
        self.assertEqual(str(2 * GIB),
                         self.lun_detail(vol.provider_id)['vol_size'])
        self.assertEqual([naming.snapshot_name(snap.id)],
                         [s['snap_name'] for s in self.sim.state.snapshots()
                          if s['vol_id'] == vol.provider_id])
        self.assertFalse(self.driver.snapshot_revert_use_temp_snapshot())

    def test_revert_past_newer_snapshot_falls_back_to_cinder(self):
        vol = self.create_volume()
        snap = self.create_snapshot(vol)
        self.create_snapshot(vol)
        self.assertRaises(NotImplementedError,
                          self.driver.revert_to_snapshot, self.ctx, vol,
                          snap)

    def test_create_volume_adopts_lun_after_lost_response(self):
        vol = self.volume(size=1)
        self.sim.faults.add(method='POST', path=r'^/api/v2/lun/?$',
                            phase='after', action='status', status=500)
        vol.update(self.driver.create_volume(vol))
        self.assertEqual([naming.volume_name(vol.name_id)], self.luns())
        [lun] = [lun for lun in self.sim.state.luns()
                 if lun['vol_name'] == naming.volume_name(vol.name_id)]
        self.assertEqual(vol.provider_id, lun['vol_id'])

    def test_create_volume_retry_does_not_duplicate(self):
        vol = self.volume(size=1)
        first = self.driver.create_volume(vol)
        second = self.driver.create_volume(vol)
        self.assertEqual(first, second)
        self.assertEqual(1, len(self.luns()))

    def test_create_snapshot_adopts_after_dropped_connection(self):
        vol = self.create_volume()
        self.sim.faults.add(method='POST', path=r'^/api/v2/snapshot/?$',
                            phase='after', action='drop')
        snap = self.create_snapshot(vol)
        [array_snap] = self.sim.state.snapshots()
        self.assertEqual(array_snap['snap_id'], snap.provider_id)

    def test_stats(self):
        self.create_volume(size=5, pool='pool2')
        self.driver.client.on_request.reset()
        stats = self.driver.get_volume_stats(refresh=True)
        # Fixed reads (capacity, health, licence, LUN list, load).
        self.assertEqual(len(stats_mod.READS),
                         self.driver.client.on_request.total())
        self.assertEqual('up', stats['backend_state'])
        self.assertEqual('NGXStorage', stats['vendor_name'])
        self.assertEqual('iSCSI', stats['storage_protocol'])
        pools = {p['pool_name']: p for p in stats['pools']}
        self.assertEqual({'pool1', 'pool2'}, set(pools))
        self.assertEqual(200, pools['pool1']['total_capacity_gb'])
        self.assertEqual(5, pools['pool2']['provisioned_capacity_gb'])
        # Thin: provisioned 5 GiB, hardly anything consumed yet.
        self.assertLessEqual(pools['pool2']['free_capacity_gb'], 100)
        self.assertGreater(pools['pool2']['free_capacity_gb'], 99)
        for key in ('thin_provisioning_support', 'multiattach',
                    'online_extend_support'):
            self.assertTrue(pools['pool1'][key])
