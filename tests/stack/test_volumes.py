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

"""Volumes, snapshots, clones, extend and revert through Cinder's API.

Each test drives real Cinder (API → scheduler → volume manager → driver)
with python-cinderclient and checks what the array holds afterwards.
"""

import logging

from oslo_config import cfg

from cinder_ngxstorage import naming
from tests.stack import base
from tests.stack import harness

CONF = cfg.CONF
GIB = 1024 ** 3


class PoolsTest(base.StackTestCase):
    """Pool stats, the scheduler's placement and pool_name extra specs."""

    def test_get_pools_shows_the_driver_stats(self):
        """get-pools lists both array pools with the driver's stats."""
        pools = {p.name: p for p in self.cinder.pools.list(detailed=True)}
        self.assertEqual({'stack@ngx#pool1', 'stack@ngx#pool2'}, set(pools))
        for name in ('pool1', 'pool2'):
            # cinderclient lifts the capabilities up to the pool itself.
            caps = {key: getattr(pools['stack@ngx#' + name], key)
                    for key in ('pool_name', 'vendor_name', 'driver_version',
                                'storage_protocol', 'volume_backend_name',
                                'total_capacity_gb', 'free_capacity_gb',
                                'thin_provisioning_support',
                                'thick_provisioning_support',
                                'online_extend_support', 'multiattach',
                                'location_info')}
            self.assertEqual(name, caps['pool_name'])
            self.assertEqual('NGXStorage', caps['vendor_name'])
            self.assertEqual(self.driver.VERSION, caps['driver_version'])
            self.assertEqual('iSCSI', caps['storage_protocol'])
            self.assertEqual(harness.BACKEND_NAME,
                             caps['volume_backend_name'])
            self.assertEqual(100.0, caps['total_capacity_gb'])
            self.assertEqual(100.0, caps['free_capacity_gb'])
            self.assertTrue(caps['thin_provisioning_support'])
            self.assertTrue(caps['thick_provisioning_support'])
            self.assertTrue(caps['online_extend_support'])
            self.assertTrue(caps['multiattach'])
            self.assertEqual('ngxstorage:127.0.0.1:%s' % name,
                             caps['location_info'])

    def test_scheduler_spreads_volumes_over_both_pools(self):
        """With equal pools, the capacity weigher alternates them."""
        first = self.create_volume(10)
        pool = harness.pool_of(first)
        self.assertEqual(pool, self.lun_of(first.id)['pool_name'])
        self.assertEqual(str(10 * GIB), self.lun_of(first.id)['vol_size'])
        # The stats the volume service sends every periodic_interval,
        # now: without them a report taken before the LUN existed could
        # still arrive and undo the scheduler's own accounting.
        self.publish_stats()
        pools = self.wait.until_pools(
            lambda pools: pools[pool].provisioned_capacity_gb == 10.0)
        other = self.create_volume(10)
        self.assertNotEqual(pool, harness.pool_of(other))
        self.assertEqual(harness.pool_of(other),
                         self.lun_of(other.id)['pool_name'])
        self.assertEqual(0.0, pools[harness.pool_of(other)]
                         .provisioned_capacity_gb)

    def test_pool_name_extra_spec_pins_the_pool(self):
        """A type with pool_name=X puts every volume in X."""
        for pool in ('pool2', 'pool1'):
            vtype = self.cinder.volume_types.create('ngx-' + pool)
            self.addCleanup(self.cinder.volume_types.delete, vtype.id)
            vtype.set_keys({'volume_backend_name': harness.BACKEND_NAME,
                            'pool_name': pool})
            for _ in range(2):
                vol = self.create_volume(2, volume_type=vtype.id)
                self.assertEqual(pool, harness.pool_of(vol))
                self.assertEqual(pool, self.lun_of(vol.id)['pool_name'])

    def test_thick_type_reserves_the_whole_size(self):
        """provisioning:type=thick makes a thick LUN."""
        vtype = self.cinder.volume_types.create('ngx-thick')
        self.addCleanup(self.cinder.volume_types.delete, vtype.id)
        vtype.set_keys({'volume_backend_name': harness.BACKEND_NAME,
                        'provisioning:type': 'thick'})
        vol = self.create_volume(3, volume_type=vtype.id)
        self.assertEqual('full', self.lun_of(vol.id)['provision_type'])
        thin = self.create_volume(3)
        self.assertEqual('thin', self.lun_of(thin.id)['provision_type'])


class LifecycleTest(base.StackTestCase):
    """Snapshots, clones, extend, revert and deletion order."""

    def test_snapshot_create_and_delete(self):
        """A Cinder snapshot is an array snapshot of the volume's LUN."""
        vol = self.create_volume(1)
        snap = self.create_snapshot(vol.id)
        on_array = self.sim.state.snapshots()
        self.assertEqual([naming.snapshot_name(snap.id)],
                         [s['snap_name'] for s in on_array])
        self.assertEqual(self.lun_of(vol.id)['vol_id'],
                         on_array[0]['vol_id'])
        self.delete_snapshot(snap.id)
        self.assertEqual([], self.sim.state.snapshots())
        self.delete_volume(vol.id)
        self.assert_array_empty()

    def test_volume_from_snapshot_bigger_and_clone(self):
        """From a snapshot at a bigger size, and a clone of a volume."""
        vol = self.create_volume(1)
        snap = self.create_snapshot(vol.id)
        from_snap = self.create_volume(2, snapshot_id=snap.id)
        self.assertEqual(2, from_snap.size)
        lun = self.lun_of(from_snap.id)
        self.assertEqual(str(2 * GIB), lun['vol_size'])
        self.assertEqual('%s@%s' % (naming.volume_name(vol.id),
                                    naming.snapshot_name(snap.id)),
                         lun['clone'])
        self.assertEqual(harness.pool_of(vol), harness.pool_of(from_snap))

        clone = self.create_volume(3, source_volid=vol.id)
        self.assertEqual(str(3 * GIB), self.lun_of(clone.id)['vol_size'])
        self.assertTrue(self.lun_of(clone.id)['clone'].startswith(
            naming.volume_name(vol.id) + '@'))

        for volume_id in (clone.id, from_snap.id):
            self.delete_volume(volume_id)
        self.delete_snapshot(snap.id)
        self.delete_volume(vol.id)
        self.assert_array_empty()

    def test_extend_available_volume(self):
        """Extend grows the LUN."""
        vol = self.create_volume(1)
        self.cinder.volumes.extend(vol.id, 4)
        vol = self.wait.volume(vol.id)
        self.assertEqual(4, vol.size)
        self.assertEqual(str(4 * GIB), self.lun_of(vol.id)['vol_size'])

    def test_revert_to_snapshot(self):
        """Revert restores the newest snapshot in place."""
        vol = self.create_volume(1)
        snap = self.create_snapshot(vol.id)
        lun_id = self.lun_of(vol.id)['vol_id']
        self.sim.clear_requests()
        self.cinder.volumes.revert_to_snapshot(vol, snap)
        vol = self.wait.volume(vol.id)
        restores = [r for r in self.sim.requests
                    if r['op_id'] == 'snapshot.restore']
        self.assertEqual(1, len(restores))
        self.assertEqual(200, restores[0]['status'])
        self.assertIn(self.sim.state.snapshots()[0]['snap_id'],
                      restores[0]['path'])
        # In place: same LUN, and no temporary snapshot left behind.
        self.assertEqual(lun_id, self.lun_of(vol.id)['vol_id'])
        self.assertEqual([naming.snapshot_name(snap.id)],
                         [s['snap_name'] for s in self.sim.state.snapshots()])

    def test_delete_volume_whose_snapshot_has_a_clone(self):
        """Origin first, then the clone: nothing is left on the array."""
        vol = self.create_volume(1)
        snap = self.create_snapshot(vol.id)
        child = self.create_volume(1, snapshot_id=snap.id)
        # Cinder lets both go while the array's clone still needs them.
        self.delete_snapshot(snap.id)
        self.delete_volume(vol.id)
        self.assertEqual([], self.cinder.volume_snapshots.list())
        self.assertEqual([child.id], [v.id for v in
                                      self.cinder.volumes.list()])
        left = harness.array_leftovers(self.sim)
        self.assertIn(naming.volume_name(vol.id), left['luns'])
        self.assertEqual([naming.snapshot_name(snap.id)], left['snapshots'])
        self.assertEqual(2, len(left['deferred']))
        self.delete_volume(child.id)
        self.assert_array_empty()

    def test_cascade_delete_with_a_dependent_clone(self):
        """Cascade delete of the origin, then of the clone."""
        vol = self.create_volume(1)
        snap = self.create_snapshot(vol.id)
        child = self.create_volume(1, snapshot_id=snap.id)
        clone = self.create_volume(1, source_volid=child.id)
        self.delete_volume(vol.id, cascade=True)
        self.wait.snapshot_deleted(snap.id)
        self.delete_volume(child.id)
        self.assertNotEqual([], harness.array_leftovers(self.sim)['luns'])
        self.delete_volume(clone.id)
        self.assert_array_empty()


class FailureTest(base.StackTestCase):
    """An array fault: error state, a useful log line, a clean delete.

    One scheduling attempt: when Cinder reschedules a failed create it
    clears the volume's host, and deleting a volume without a host only
    drops the database record; the driver is never asked (Cinder's
    behaviour, whatever the driver).
    """

    def _get_flags(self):
        flags = super()._get_flags()
        CONF.import_opt('scheduler_max_attempts', 'cinder.scheduler.driver')
        flags['scheduler_max_attempts'] = {'v': 1}
        return flags

    def test_failed_create_is_error_with_the_arrays_words(self):
        """Every attempt refused: error state, the cause in the log."""
        self.sim.faults.add(method='POST', path=r'^/api/v2/lun/?$',
                            status=500, message='controller A: internal error',
                            times=0)
        vol = self.create_volume(1, status=None)
        vol = self.wait.volume_status(vol.id, ('error',))
        logged = '\n'.join(self.manager_log.messages(logging.ERROR))
        self.assertIn('NGXStorage: failed to create volume %s' % vol.id,
                      logged)
        self.assertIn('POST /api/v2/lun/ failed: HTTP 500: controller A: '
                      'internal error', logged)
        self.assertNotIn(self.sim.token, logged)
        # Cinder's user messages name the failed create too.
        messages = [m for m in self.cinder.messages.list()
                    if m.resource_uuid == vol.id]
        self.assertNotEqual([], messages)
        self.assertIsNone(self.lun_of(vol.id))
        self.sim.faults.clear()
        self.delete_volume(vol.id)
        self.assert_array_empty()

    def test_delete_after_a_lost_create_answer_cleans_up(self):
        """A lost create answer: deleting the failed volume cleans up.

        The array made the LUN but the answer was lost, and so was the
        listing the driver reads to adopt it: the volume is in error with
        a LUN behind it, and deleting the volume deletes that LUN.
        """
        self.sim.faults.add(method='POST', path=r'^/api/v2/lun/?$',
                            phase='after', status=500,
                            message='controller A: internal error', times=0)
        self.sim.faults.add(method='GET', path=r'^/api/v2/lun/?$',
                            status=503, message='busy', times=0)
        vol = self.create_volume(1, status=None)
        vol = self.wait.volume_status(vol.id, ('error',))
        logged = '\n'.join(self.manager_log.messages(logging.ERROR))
        self.assertIn('NGXStorage: failed to create volume %s' % vol.id,
                      logged)
        self.assertIn('HTTP 503: busy', logged)
        self.assertIsNotNone(self.lun_of(vol.id))
        self.sim.faults.clear()
        self.delete_volume(vol.id)
        self.assert_array_empty()

    def test_failed_extend_keeps_the_size_and_delete_works(self):
        """A refused extend: error_extending, the LUN keeps its size."""
        vol = self.create_volume(1)
        self.sim.faults.add(method='PATCH', path=r'^/api/v2/lun/',
                            status=409, message='pool is out of space',
                            times=0)
        self.cinder.volumes.extend(vol.id, 2)
        vol = self.wait.volume_status(vol.id, ('error_extending',))
        self.assertEqual(1, vol.size)
        self.assertEqual(str(GIB), self.lun_of(vol.id)['vol_size'])
        logged = '\n'.join(self.manager_log.messages())
        self.assertIn('pool is out of space', logged)
        self.sim.faults.clear()
        self.delete_volume(vol.id)
        self.assert_array_empty()
