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

"""Two OpenStack deployments on one array, several backends in one.

Cloud A is the test's driver (its database ``self.deployment_db``);
cloud B is a driver with a database of its own. Both have a host called
``compute-1`` with different initiators. Every check is on the
simulator's state.
"""

from cinder import exception

from cinder_ngxstorage import naming
from cinder_ngxstorage.simulator import Simulator
from cinder_ngxstorage.simulator import state as state_mod
from tests import common
from tests.functional.driver import base
from tests.functional.driver import fake_db

HOST = 'compute-1'
IQN_A = 'iqn.1993-08.org.debian:01:cloud-a-compute-1'
IQN_B = 'iqn.1993-08.org.debian:01:cloud-b-compute-1'


class TwoCloudsTest(base.DriverTestCase):
    """Same host names, different databases: nothing is shared."""

    def setUp(self):
        super().setUp()
        self.cloud_b = self.make_driver(deployment_db=common.InitiatorData())
        self.cinder_db = self.useFixture(fake_db.FakeCinderDB())

    def create_in(self, drv, pool='pool1'):
        vol = self.volume(pool=pool)
        vol.update(drv.create_volume(vol) or {})
        return vol

    def objects_of(self, drv):
        """The host objects and LUNs of one cloud, as the array has them."""
        names = self.names(drv)
        state = self.sim.state
        return {
            'groups': sorted((g['group_name'], tuple(sorted(
                i['iqn'] for i in g.get('initiator', ()))), g.get(
                    'chap_status'))
                for g in state.auth_groups()
                if names.owns_auth_group(g['group_name'])),
            'targets': sorted((t['scsi_target_name'], t['group_name'],
                               tuple(sorted((lun['vol_id'],
                                             lun['lun_number'])
                                            for lun in t['luns'])))
                              for t in state.targets()
                              if names.owns_target(t['scsi_target_name'])),
        }

    def attach_both(self):
        vol_a, vol_b = self.create_in(self.driver), self.create_in(
            self.cloud_b)
        self.cinder_db.add(vol_a)
        info_a = self.driver.initialize_connection(
            vol_a, self.connector(HOST, IQN_A))
        info_b = self.cloud_b.initialize_connection(
            vol_b, self.connector(HOST, IQN_B))
        return vol_a, vol_b, info_a, info_b

    def test_namespaces_generated_and_kept(self):
        ns_a = self.names().namespace
        self.assertEqual(ns_a, self.deployment_db.namespace())
        self.assertNotEqual(ns_a, self.names(self.cloud_b).namespace)
        # Another service of cloud A reads the same namespace.
        self.assertEqual(ns_a, self.names(self.make_driver()).namespace)

    def test_same_host_name_separate_objects(self):
        vol_a, vol_b, info_a, info_b = self.attach_both()
        a, b = self.objects_of(self.driver), self.objects_of(self.cloud_b)
        self.assertEqual([(IQN_A,)], [g[1] for g in a['groups']])
        self.assertEqual([(IQN_B,)], [g[1] for g in b['groups']])
        self.assertEqual([vol_a.provider_id],
                         [lun[0] for t in a['targets'] for lun in t[2]])
        self.assertEqual([vol_b.provider_id],
                         [lun[0] for t in b['targets'] for lun in t[2]])
        self.assertNotEqual(info_a['data']['target_iqn'],
                            info_b['data']['target_iqn'])
        self.assertNotEqual(info_a['data']['auth_username'],
                            info_b['data']['auth_username'])
        self.assertNotEqual(info_a['data']['auth_password'],
                            info_b['data']['auth_password'])
        # Only these two groups and targets exist.
        self.assertEqual(3, len(self.sim.state.auth_groups()))
        self.assertEqual(2, len(self.sim.state.targets()))

    def test_detach_delete_and_cleanup_leave_the_other_cloud_alone(self):
        vol_a, vol_b, _a, _b = self.attach_both()
        luns_b = [lun for lun in self.sim.state.luns()
                  if lun['vol_id'] == vol_b.provider_id]
        # An empty target and an unbound group of cloud B (what an
        # interrupted detach of B leaves): A's start-up must keep them.
        ctx = state_mod.RequestContext()
        names_b = self.names(self.cloud_b)
        group = self.sim.state.auth_group_create(ctx, {
            'name': names_b.auth_group_name('compute-9'), 'owner': '1'})
        self.sim.state.iscsi_target_create(ctx, {
            'name': names_b.target_name('compute-8', '1', 0),
            'auth_group_id': group['id'],
            'portal_group_id': self.sim.state.portal_group_id,
            'owner': '1', 'lun_ids': []})
        before_b = self.objects_of(self.cloud_b)
        self.driver.terminate_connection(vol_a, self.connector(HOST, IQN_A))
        self.driver.delete_volume(vol_a)
        self.make_driver()  # A service start of cloud A: clean-up.
        self.driver.terminate_connection(vol_a, None)  # Force: no-op.
        self.assertEqual({'groups': [], 'targets': []},
                         self.objects_of(self.driver))
        self.assertEqual(before_b, self.objects_of(self.cloud_b))
        self.assertEqual(luns_b, [lun for lun in self.sim.state.luns()
                                  if lun['vol_id'] == vol_b.provider_id])
        # B's own start-up removes its leftovers (and only those).
        self.make_driver(deployment_db=self.cloud_b.db)
        self.assertEqual(1, len(self.objects_of(self.cloud_b)['targets']))

    def test_force_detach_unmaps_only_that_volume(self):
        vol_a, vol_b, _a, _b = self.attach_both()
        before_b = self.objects_of(self.cloud_b)
        self.driver.terminate_connection(vol_a, None)
        self.assertEqual([], self.objects_of(self.driver)['targets'])
        self.assertEqual(before_b, self.objects_of(self.cloud_b))

    def test_manageable_listing_marks_the_other_clouds_objects(self):
        vol_a = self.create_in(self.driver)
        vol_b = self.create_in(self.cloud_b)
        self.cinder_db.add(vol_a)
        snap_b = self.snapshot(vol_b)
        snap_b.update(self.cloud_b.create_snapshot(snap_b) or {})
        self.sim.state.lun_create(state_mod.RequestContext(), {
            'pool_name': 'pool1', 'name': 'plain', 'size': 1})
        before = (self.sim.state.luns(), self.sim.state.snapshots())
        entries = {e['reference']['source-name']: e
                   for e in self.driver.get_manageable_volumes(
                       [vol_a], None, 100, 0, ['size'], ['asc'])}
        other = entries[naming.volume_name(vol_b.name_id)]
        self.assertFalse(other['safe_to_manage'])
        self.assertIn('another OpenStack deployment',
                      other['reason_not_safe'])
        self.assertTrue(entries['plain']['safe_to_manage'])
        self.assertIn('Already managed', entries[naming.volume_name(
            vol_a.name_id)]['reason_not_safe'])
        snaps = {e['reference']['source-name']: e
                 for e in self.driver.get_manageable_snapshots(
                     [], None, 100, 0, ['size'], ['asc'])}
        other_snap = snaps[naming.snapshot_name(snap_b.id)]
        self.assertFalse(other_snap['safe_to_manage'])
        self.assertIn('another OpenStack deployment',
                      other_snap['reason_not_safe'])
        self.assertEqual(before, (self.sim.state.luns(),
                                  self.sim.state.snapshots()))

    def test_same_initiator_in_two_clouds_fails_loudly(self):
        vol_a, vol_b = self.create_in(self.driver), self.create_in(
            self.cloud_b)
        self.driver.initialize_connection(vol_a, self.connector(HOST, IQN_A))
        before = (self.sim.state.auth_groups(), self.sim.state.targets())
        err = self.assertRaises(
            exception.VolumeBackendAPIException,
            self.cloud_b.initialize_connection, vol_b,
            self.connector('other-name', IQN_A))
        group_a = self.names().auth_group_name(HOST)
        self.assertIn(group_a, str(err))
        self.assertIn(IQN_A, str(err))
        self.assertIn('remove the initiator from %s' % group_a, str(err))
        # Nothing of B was left, nothing of A changed.
        self.assertEqual(before, (self.sim.state.auth_groups(),
                                  self.sim.state.targets()))

    def test_chap_secret_survives_the_group(self):
        vol = self.create_in(self.driver)
        conn = self.connector(HOST, IQN_A)
        first = self.driver.initialize_connection(vol, conn)['data']
        self.driver.terminate_connection(vol, conn)
        self.assertEqual({'groups': [], 'targets': []},
                         self.objects_of(self.driver))
        again = self.driver.initialize_connection(vol, conn)['data']
        self.assertEqual(first['auth_password'], again['auth_password'])
        self.assertEqual(first['auth_username'], again['auth_username'])
        self.driver.terminate_connection(vol, conn)
        # Another service of the backend, after the group is gone again.
        other = self.make_driver()
        third = other.initialize_connection(vol, conn)['data']
        self.assertEqual(first['auth_password'], third['auth_password'])
        [group] = [g for g in self.sim.state.auth_groups()
                   if self.names().owns_auth_group(g['group_name'])]
        self.assertEqual(1, group['chap_status'])


class LegacyObjectsTest(base.DriverTestCase):
    """Host objects driver 1.1 made (same names in every deployment)."""

    def setUp(self):
        super().setUp()
        self.cinder_db = self.useFixture(fake_db.FakeCinderDB())

    def legacy_export(self, vol_id, iqn=IQN_A, host=HOST):
        """A legacy group and target of host mapping vol_id."""
        ctx = state_mod.RequestContext()
        state = self.sim.state
        group = state.auth_group_create(ctx, {
            'name': naming.legacy_auth_group_name(host), 'owner': '1'})
        state.auth_group_iqn_add(ctx, {'id': group['id'], 'iqn': iqn,
                                       'iqn_alias': host, 'owner': '1'})
        state.iscsi_target_create(ctx, {
            'name': 'ch-%s-10' % naming._digest(host, 20),
            'auth_group_id': group['id'],
            'portal_group_id': state.portal_group_id, 'owner': '1',
            'lun_ids': [vol_id]})
        return group['id']

    def test_detach_and_force_detach_find_legacy_mappings(self):
        vols = [self.create_volume() for _ in range(2)]
        for vol in vols:
            self.legacy_export(vol.provider_id, host='h-%s' % vol.id[:4],
                               iqn='iqn.2000-01.x:%s' % vol.id[:4])
        self.driver.terminate_connection(
            vols[0], self.connector('h-%s' % vols[0].id[:4]))
        self.driver.terminate_connection(vols[1], None)
        self.assertEqual([], self.sim.state.targets())
        self.assertEqual(['1'], [g['group_id']
                                 for g in self.sim.state.auth_groups()])

    def test_legacy_group_of_our_volumes_is_taken_over(self):
        old, new = self.create_volume(), self.create_volume()
        self.cinder_db.add(old, new)
        group_id = self.legacy_export(old.provider_id)
        self.driver.initialize_connection(new, self.connector(HOST, IQN_A))
        [group] = [g for g in self.sim.state.auth_groups()
                   if g['group_id'] != '1']
        self.assertEqual(group_id, group['group_id'])
        self.assertEqual(self.names().auth_group_name(HOST),
                         group['group_name'])
        self.assertEqual(2, len(self.sim.state.targets()))
        for vol in (old, new):
            self.driver.terminate_connection(vol,
                                             self.connector(HOST, IQN_A))
            self.driver.delete_volume(vol)
        self.assert_array_empty()

    def test_legacy_group_with_unknown_luns_is_never_adopted(self):
        foreign, ours = self.create_volume(), self.create_volume()
        self.cinder_db.add(ours)  # foreign: not in this deployment.
        self.legacy_export(foreign.provider_id)
        before = (self.sim.state.auth_groups(), self.sim.state.targets())
        err = self.assertRaises(
            exception.VolumeBackendAPIException,
            self.driver.initialize_connection, ours,
            self.connector(HOST, IQN_A))
        self.assertIn(naming.legacy_auth_group_name(HOST), str(err))
        self.assertIn('earlier version of this driver', str(err))
        self.assertEqual(before, (self.sim.state.auth_groups(),
                                  self.sim.state.targets()))


class TwoBackendsTest(base.DriverTestCase):
    """Two backends of one service, keys scoped to their own pools."""

    def make_backend(self, pool, name):
        self.tokens = getattr(self, 'tokens', {})
        if pool not in self.tokens:
            self.tokens[pool] = self.sim.add_key('%s-only' % pool,
                                                 pools=[pool])
        token = self.tokens[pool]
        return self.make_driver(ngxstorage_pools=[pool],
                                ngxstorage_api_token=token,
                                volume_backend_name=name)

    def setUp(self):
        super().setUp()
        self.one = self.make_backend('pool1', 'ngx-one')
        self.two = self.make_backend('pool2', 'ngx-two')

    def lifecycle(self, drv, pool, conn):
        """Volume, snapshot, clone, attach; snapshot deleted (deferred)."""
        vol = self.volume(pool=pool)
        vol.update(drv.create_volume(vol) or {})
        snap = self.snapshot(vol)
        snap.update(drv.create_snapshot(snap) or {})
        clone = self.volume(pool=pool)
        clone.update(drv.create_volume_from_snapshot(clone, snap))
        drv.delete_snapshot(snap)
        infos = [drv.initialize_connection(v, conn) for v in (vol, clone)]
        return [vol, clone], infos

    def mapped(self):
        return sorted(lun['vol_id'] for t in self.sim.state.targets()
                      for lun in t['luns'])

    def test_full_lifecycle_on_both(self):
        conn = self.connector(HOST)
        vols_one, _i = self.lifecycle(self.one, 'pool1', conn)
        vols_two, _i = self.lifecycle(self.two, 'pool2', conn)
        # One group for the host (the array admits an IQN once).
        groups = [g for g in self.sim.state.auth_groups()
                  if g['group_id'] != '1']
        self.assertEqual(1, len(groups))
        registries = {lun['vol_name']: lun['pool_name']
                      for lun in self.sim.state.luns()
                      if naming.is_registry_name(lun['vol_name'])}
        self.assertEqual('pool1', registries[self.one.deferred.registry_name])
        self.assertEqual('pool2', registries[self.two.deferred.registry_name])
        ids_two = sorted(v.provider_id for v in vols_two)
        # Backend one detaches, force-detaches and restarts: backend
        # two's mappings stay.
        self.one.terminate_connection(vols_one[0], conn)
        self.one.terminate_connection(vols_one[1], None)
        self.make_backend('pool1', 'ngx-one')
        self.assertEqual(ids_two, self.mapped())
        for vol in vols_one[::-1]:
            self.one.delete_volume(vol)
        self.assertEqual(ids_two, self.mapped())
        for vol in vols_two:
            self.two.terminate_connection(vol, conn)
        for vol in vols_two[::-1]:
            self.two.delete_volume(vol)
        self.assertEqual([], self.luns())
        self.assertEqual([], self.sim.state.targets())
        self.assertEqual(['1'], [g['group_id']
                                 for g in self.sim.state.auth_groups()])


class TwoBackendsTwoPortalGroupsTest(TwoBackendsTest):
    """The same, each backend with a portal group of its own."""

    GROUPS = (('pg1', None, ['127.0.0.1:3260']),
              ('pg2', None, ['127.0.0.2:3260']))

    def make_simulator(self):
        return Simulator(pools=self.POOLS, portal_groups=self.GROUPS)

    def make_backend(self, pool, name):
        group = {'pool1': 'pg1', 'pool2': 'pg2'}[pool]
        [group_id] = [g['id'] for g in self.sim.portal_groups()
                      if g['name'] == group]
        self.tokens = getattr(self, 'tokens', {})
        if pool not in self.tokens:
            self.tokens[pool] = self.sim.add_key('%s-only' % pool,
                                                 pools=[pool])
        return self.make_driver(ngxstorage_pools=[pool],
                                ngxstorage_api_token=self.tokens[pool],
                                ngxstorage_portal_group=group_id,
                                volume_backend_name=name)

    def test_targets_and_portals_per_backend(self):
        conn = self.connector(HOST)
        _v, infos_one = self.lifecycle(self.one, 'pool1', conn)
        _v, infos_two = self.lifecycle(self.two, 'pool2', conn)
        self.assertEqual({'127.0.0.1:3260'}, {
            p for i in infos_one for p in i['data']['target_portals']})
        self.assertEqual({'127.0.0.2:3260'}, {
            p for i in infos_two for p in i['data']['target_portals']})
        groups = {g['name']: g['id'] for g in self.sim.portal_groups()}
        # One target per backend (its portal group), one auth group.
        bound = sorted((t['portal_id'], len(t['luns']))
                       for t in self.sim.state.targets())
        self.assertEqual(sorted([(groups['pg1'], 2), (groups['pg2'], 2)]),
                         bound)
        self.assertEqual(1, len([g for g in self.sim.state.auth_groups()
                                 if g['group_id'] != '1']))
