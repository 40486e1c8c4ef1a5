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

"""What the scheduler does with the driver's stats: space, health.

Real Cinder (API, scheduler with its default filters, volume service)
on the simulator: thick volumes are never over-subscribed and thin ones
are; a pool the array reports OFFLINE takes no new volume; an array that
stops answering is published down within one stats period, creates end
in "No valid backend", and it comes back by itself.
"""

from tests.stack import base
from tests.stack import harness


class SchedulerTestCase(base.StackTestCase):
    """Helpers: types, failed creates, one stats period."""

    def typed(self, name, **extra_specs):
        vtype = self.cinder.volume_types.create(name)
        self.addCleanup(self.cinder.volume_types.delete, vtype.id)
        specs = {'volume_backend_name': harness.BACKEND_NAME}
        specs.update(extra_specs)
        vtype.set_keys(specs)
        return vtype

    def refused(self, size, **kwargs):
        """A create the scheduler refuses: error, no LUN, the message."""
        vol = self.create_volume(size, status=None, **kwargs)
        vol = self.wait.volume_status(vol.id, ('error', 'available'))
        self.assertEqual('error', vol.status)
        self.assertIsNone(self.lun_of(vol.id))
        # Cinder's user message for NoValidBackend.
        self.assertIn('Could not find any available weighted backend',
                      self.wait.user_message(vol.id))
        return vol

    def stats_period(self, done):
        """One stats period: publish, wait until get-pools shows done."""
        self.publish_stats()
        return self.wait.until_pools(done)


class OverSubscriptionTest(SchedulerTestCase):
    """Thick from free space, thin over-subscribed (one 10 GiB pool)."""

    POOLS = ('pool1:10G',)

    def test_thick_refused_thin_placed_on_oversubscribed_space(self):
        thick = self.typed('ngx-thick', **{'provisioning:type': 'thick'})
        self.create_volume(8, volume_type=thick.id)
        pools = self.stats_period(
            lambda pools: pools['pool1'].free_capacity_gb < 3)
        pool = pools['pool1']
        self.assertEqual(10.0, pool.total_capacity_gb)
        self.assertEqual(8.0, pool.provisioned_capacity_gb)
        self.assertTrue(pool.thin_provisioning_support)
        # 5 GiB only fit over-subscribed: refused thick, placed thin.
        self.refused(5, volume_type=thick.id)
        thin = self.create_volume(5)
        self.assertEqual('thin', self.lun_of(thin.id)['provision_type'])
        self.assertEqual('pool1', harness.pool_of(thin))
        pools = self.stats_period(
            lambda pools: pools['pool1'].provisioned_capacity_gb == 13.0)
        self.assertEqual(20.0, pools['pool1'].max_over_subscription_ratio)


class AutoRatioTest(SchedulerTestCase):
    """max_over_subscription_ratio = auto: Cinder's formula, published."""

    def test_auto_ratio_follows_provisioned_space(self):
        self.override_config('max_over_subscription_ratio', 'auto',
                             group=harness.BACKEND)
        vol = self.create_volume(5)
        pool = harness.pool_of(vol)
        other = 'pool2' if pool == 'pool1' else 'pool1'
        pools = self.stats_period(
            lambda pools: pools[pool].provisioned_capacity_gb == 5.0)
        # 1 + provisioned / (used + 1): a thin LUN uses ~nothing yet.
        self.assertEqual(6.0, pools[pool].max_over_subscription_ratio)
        # Nothing provisioned: Cinder's initial 20.
        self.assertEqual(20.0, pools[other].max_over_subscription_ratio)
        self.assertEqual('up', pools[pool].backend_state)


class HealthTest(SchedulerTestCase):
    """Pool health and an array that stops answering."""

    def test_offline_pool_takes_no_volume(self):
        self.sim.set_pool_status('pool1', 'OFFLINE')
        self.addCleanup(self.sim.set_pool_status, 'pool1', 'ONLINE')
        pools = self.stats_period(
            lambda pools: pools['pool1'].free_capacity_gb == 0)
        self.assertEqual('down', pools['pool1'].backend_state)
        self.assertIn('OFFLINE', pools['pool1'].backend_state_reason)
        self.assertEqual('up', pools['pool2'].backend_state)
        for _ in range(3):
            vol = self.create_volume(1)
            self.assertEqual('pool2', harness.pool_of(vol))
        self.assertTrue(any('pool pool1 is OFFLINE' in message
                            for message in self.manager_log.messages()))
        self.sim.set_pool_status('pool1', 'ONLINE')
        pools = self.stats_period(
            lambda pools: pools['pool1'].free_capacity_gb > 0)
        self.assertEqual('up', pools['pool1'].backend_state)

    def test_array_stopped_down_then_up_by_itself(self):
        server = self.sim._server
        port = self.sim.port
        server.stop()
        pools = self.stats_period(
            lambda pools: all(p.backend_state == 'down'
                              for p in pools.values()))
        for pool in pools.values():
            self.assertEqual(0, pool.total_capacity_gb)
            self.assertEqual(0, pool.free_capacity_gb)
            self.assertIn('could not be read', pool.backend_state_reason)
        self.assertTrue(any('reported down' in message
                            for message in self.manager_log.messages()))
        self.refused(1)
        # The simulator returns on the same address.
        server.requested_port = port
        server.stop_event.clear()
        server.start()
        pools = self.stats_period(
            lambda pools: all(p.backend_state == 'up'
                              for p in pools.values()))
        self.assertEqual(100.0, pools['pool1'].total_capacity_gb)
        vol = self.create_volume(1)
        self.assertIsNotNone(self.lun_of(vol.id))


class GroupsTest(SchedulerTestCase):
    """Generic groups work; consistent snapshot groups are refused."""

    def group_type(self, name, **specs):
        gtype = self.cinder.group_types.create(name)
        self.addCleanup(self.cinder.group_types.delete, gtype.id)
        if specs:
            gtype.set_keys(specs)
        return gtype

    def wait_group(self, group_id, statuses):
        return self.wait._until(
            lambda: self.cinder.groups.get(group_id),
            lambda group: group.status in statuses,
            'group %s to be one of %s' % (group_id, statuses))

    def test_generic_group_and_its_snapshot(self):
        gtype = self.group_type('ngx-generic')
        group = self.cinder.groups.create(gtype.id, self.vtype.id)
        self.assertEqual('available', self.wait_group(
            group.id, ('available', 'error')).status)
        vol = self.create_volume(1, group_id=group.id)
        self.assertIsNotNone(self.lun_of(vol.id))
        snap = self.cinder.group_snapshots.create(group.id)
        snap = self.wait._until(
            lambda: self.cinder.group_snapshots.get(snap.id),
            lambda s: s.status in ('available', 'error'),
            'group snapshot %s' % snap.id)
        self.assertEqual('available', snap.status)
        # Generic: one array snapshot of the group's one LUN.
        self.assertEqual(1, len(self.sim.state.snapshots()))
        self.cinder.group_snapshots.delete(snap.id)
        self.wait._until(
            lambda: [s for s in self.cinder.group_snapshots.list()
                     if s.id == snap.id],
            lambda found: not found, 'group snapshot deleted')
        self.cinder.groups.delete(group.id, delete_volumes=True)
        self.group_gone(group.id)
        self.assert_array_empty()

    def test_consistent_snapshot_group_refused(self):
        gtype = self.group_type(
            'ngx-consistent',
            consistent_group_snapshot_enabled='<is> True')
        group = self.cinder.groups.create(gtype.id, self.vtype.id)
        self.assertEqual('error', self.wait_group(
            group.id, ('available', 'error')).status)
        self.assertTrue(any(
            'no consistent group snapshot' in message
            for message in self.manager_log.messages()))
        self.cinder.groups.delete(group.id)
        self.group_gone(group.id)

    def group_gone(self, group_id):
        self.wait._until(
            lambda: [g for g in self.cinder.groups.list()
                     if g.id == group_id],
            lambda found: not found, 'group %s deleted' % group_id)
