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

"""Manage, unmanage and list existing LUNs and snapshots."""

import json
import uuid

from cinder import exception
from cinder import objects

from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import manage
from cinder_ngxstorage import naming
from tests.functional.driver import base
from tests.functional.driver import fake_db

GIB = 1024 ** 3

MUTATING = ('POST', 'PATCH', 'PUT', 'DELETE')


class ManageTestCase(base.DriverTestCase):
    """A driver, a simulator and the Cinder DB lookups of manage."""

    def setUp(self):
        super().setUp()
        self.db = self.useFixture(fake_db.FakeCinderDB())

    def legacy_lun(self, name, size=2, pool='pool1', **props):
        """A LUN made on the array without Cinder; its vol_id."""
        created = self.driver.client.create_lun(pool, name, size, **props)
        return created['luns'][0]['vol_id']

    def lun(self, vol_id):
        [detail] = [lun for lun in self.sim.state.luns()
                    if lun['vol_id'] == vol_id]
        return detail

    def manage_volume(self, ref, pool='pool1', **updates):
        """Manage ref as a new Cinder volume, as the manager does."""
        vol = self.volume(pool=pool, **updates)
        vol.size = self.driver.manage_existing_get_size(vol, ref)
        vol.update(self.driver.manage_existing(vol, ref) or {})
        self.db.add(vol)
        return vol

    def manage_snapshot(self, volume, ref):
        snap = self.snapshot(volume)
        snap.volume_size = self.driver.manage_existing_snapshot_get_size(
            snap, ref)
        snap.update(self.driver.manage_existing_snapshot(snap, ref) or {})
        self.db.add(snap)
        return snap

    def mutations(self):
        return [r for r in self.sim.requests
                if r['method'] in MUTATING and r['path'].startswith('/api')]

    def assert_refused(self, ref, *words, pool='pool1',
                       exc=exception.ManageExistingInvalidReference):
        """Both manage calls refuse ref, change nothing, say why."""
        self.sim.clear_requests()
        vol = self.volume(pool=pool)
        for call in (self.driver.manage_existing_get_size,
                     self.driver.manage_existing):
            err = self.assertRaises(exc, call, vol, ref)
            for word in words:
                self.assertIn(word, str(err))
        self.assertEqual([], self.mutations())
        return err


class ManageVolumeTest(ManageTestCase):

    def test_manage_by_name_and_use(self):
        vol_id = self.legacy_lun('legacy1', size=3)
        vol = self.manage_volume({'source-name': 'legacy1'})
        self.assertEqual(3, vol.size)
        self.assertEqual(vol_id, vol.provider_id)
        self.assertIsNone(vol.provider_location)
        # The array cannot rename: the LUN keeps its name.
        self.assertEqual('legacy1', self.lun(vol_id)['vol_name'])
        # Everything works through provider_id.
        snap = self.create_snapshot(vol)
        clone = self.volume_from_snapshot(snap, size=4)
        self.assertEqual('legacy1@%s' % naming.snapshot_name(snap.id),
                         self.lun(clone.provider_id)['clone'])
        self.driver.extend_volume(vol, 5)
        self.assertEqual(str(5 * GIB), self.lun(vol_id)['vol_size'])
        info = self.driver.initialize_connection(vol, self.connector())
        [target] = self.sim.state.targets()
        self.assertEqual(info['data']['target_iqn'], target['target_iqn'])
        self.assertEqual([vol_id], [lun['vol_id'] for lun in target['luns']])
        self.driver.terminate_connection(vol, self.connector())
        self.delete(clone, snap, vol)
        self.assert_array_empty()

    def test_manage_by_id(self):
        vol_id = self.legacy_lun('legacy2')
        vol = self.manage_volume({'source-id': vol_id})
        self.assertEqual(vol_id, vol.provider_id)
        self.assertEqual(2, vol.size)

    def test_name_and_id_must_agree(self):
        vol_id = self.legacy_lun('legacy3')
        self.legacy_lun('legacy4')
        self.manage_volume({'source-name': 'legacy3', 'source-id': vol_id})
        self.assert_refused({'source-name': 'legacy4', 'source-id': vol_id},
                            'legacy3', 'not legacy4')

    def test_bad_references(self):
        self.assert_refused({}, 'source-name', 'source-id')
        self.assert_refused({'source-name': 'nosuchlun'}, 'nosuchlun')
        self.assert_refused({'source-id': 'ab' * 20}, 'ab' * 20)
        self.assert_refused({'source-id': 'not-hex'}, 'not-hex')
        self.assert_refused({'name': 'legacy'}, 'source-name')

    def test_size_rounded_up_and_lun_grown(self):
        vol_id = self.legacy_lun('halfgig', size=1536, sing='M')
        vol = self.volume()
        self.assertEqual(
            2, self.driver.manage_existing_get_size(
                vol, {'source-name': 'halfgig'}))
        # get_size changes nothing; manage grows the LUN to whole GiB.
        self.assertEqual(str(1536 * 1024 ** 2), self.lun(vol_id)['vol_size'])
        vol = self.manage_volume({'source-name': 'halfgig'})
        self.assertEqual(2, vol.size)
        self.assertEqual(str(2 * GIB), self.lun(vol_id)['vol_size'])

    def test_exported_lun_refused(self):
        vol_id = self.legacy_lun('exported')
        self.driver.client.create_target('manualtarget', '1',
                                         self.sim.portal_group_id, '1',
                                         lun_ids=[vol_id])
        self.assert_refused({'source-name': 'exported'}, 'Exported',
                            'manualtarget')
        [entry] = [e for e in self.driver.get_manageable_volumes(
            [], None, 10, 0, ['reference'], ['asc'])
            if e['reference']['source-name'] == 'exported']
        self.assertFalse(entry['safe_to_manage'])
        self.assertIn('manualtarget', entry['reason_not_safe'])

    def test_lun_managed_by_cinder_refused(self):
        vol = self.create_volume()
        self.db.add(vol)
        name = naming.volume_name(vol.name_id)
        self.assert_refused({'source-name': name}, 'Already managed',
                            vol.id)
        self.assert_refused({'source-id': vol.provider_id},
                            'Already managed')

    def test_internal_luns_refused(self):
        # A deferred deletion: the source of a clone deleted in Cinder.
        src = self.create_volume()
        snap = self.create_snapshot(src)
        self.volume_from_snapshot(snap)
        self.delete(snap, src)
        self.assertIn(naming.volume_name(src.name_id), self.luns())
        self.assert_refused({'source-id': src.provider_id}, 'deferred')
        self.assert_refused({'source-name':
                             self.driver.deferred.registry_name},
                            'registry')

    def test_lun_in_another_pool_refused(self):
        self.legacy_lun('inpool2', pool='pool2')
        self.assert_refused({'source-name': 'inpool2'}, 'pool2',
                            'cinder@ngx#pool2')
        vol = self.manage_volume({'source-name': 'inpool2'}, pool='pool2')
        self.assertEqual('pool2', self.lun(vol.provider_id)['pool_name'])

    def test_lun_in_unserved_pool_refused(self):
        self.driver = self.make_driver(ngxstorage_pools=['pool1'])
        self.legacy_lun('elsewhere', pool='pool2')
        self.assert_refused({'source-name': 'elsewhere'}, 'ngxstorage_pools')
        self.assertEqual(
            [], [e for e in self.driver.get_manageable_volumes(
                [], None, 10, 0, ['reference'], ['asc'])
                if e['reference']['source-name'] == 'elsewhere'])

    def test_type_properties_applied_in_one_modify(self):
        vol_id = self.legacy_lun('typed', size=1536, sing='M',
                                 thin_provision='on')
        vtype = objects.VolumeType(
            self.ctx, id=str(uuid.uuid4()), name='gold',
            extra_specs={'ngxstorage:compression': 'on',
                         'ngxstorage:qos_priority': '64',
                         'ngxstorage:io_type': 'sequential'})
        self.driver.client.on_request.reset()
        self.manage_volume({'source-name': 'typed'},
                           volume_type_id=vtype.id, volume_type=vtype)
        self.assertEqual(1, self.driver.client.on_request.counts['modify_lun'])
        lun = self.lun(vol_id)
        self.assertEqual(('on', 64, 'sequential', 'thin', str(2 * GIB)),
                         (lun['compress'], lun['qos_priority'],
                          lun['io_type'], lun['provision_type'],
                          lun['vol_size']))

    def test_blocksize_mismatch_refused(self):
        vol_id = self.legacy_lun('small', blocksize='4k')
        before = self.lun(vol_id)
        vtype = objects.VolumeType(
            self.ctx, id=str(uuid.uuid4()), name='8k',
            extra_specs={'ngxstorage:blocksize': '8k'})
        self.sim.clear_requests()
        vol = self.volume(volume_type_id=vtype.id, volume_type=vtype)
        err = self.assertRaises(exception.ManageExistingVolumeTypeMismatch,
                                self.driver.manage_existing, vol,
                                {'source-name': 'small'})
        self.assertIn('4k', str(err))
        self.assertIn('8k', str(err))
        self.assertEqual([], self.mutations())
        self.assertEqual(before, self.lun(vol_id))

    def test_invalid_type_refused_before_any_call(self):
        self.legacy_lun('badtype')
        vtype = objects.VolumeType(
            self.ctx, id=str(uuid.uuid4()), name='bad',
            extra_specs={'ngxstorage:qos_priority': '5'})
        vol = self.volume(volume_type_id=vtype.id, volume_type=vtype)
        self.driver.client.on_request.reset()
        self.assertRaises(exception.InvalidVolumeType,
                          self.driver.manage_existing, vol,
                          {'source-name': 'badtype'})
        self.assertEqual(0, self.driver.client.on_request.total())

    def test_unmanage_leaves_the_array_untouched(self):
        vol_id = self.legacy_lun('keepme')
        vol = self.manage_volume({'source-name': 'keepme'})
        before = self.sim.state.luns()
        self.sim.clear_requests()
        self.driver.unmanage(vol)
        self.assertEqual([], self.mutations())
        self.assertEqual(before, self.sim.state.luns())
        self.assertEqual('keepme', self.lun(vol_id)['vol_name'])

    def test_round_trip_manage_unmanage_manage(self):
        vol_id = self.legacy_lun('roundtrip')
        first = self.manage_volume({'source-name': 'roundtrip'})
        self.driver.initialize_connection(first, self.connector())
        self.driver.terminate_connection(first, self.connector())
        self.driver.unmanage(first)
        self.db.remove(first)
        second = self.manage_volume({'source-name': 'roundtrip'})
        self.assertEqual(vol_id, second.provider_id)
        self.assertNotEqual(first.id, second.id)
        self.driver.delete_volume(second)
        self.assert_array_empty()

    def test_cinder_volume_unmanaged_and_managed_again(self):
        # A volume Cinder made (cv- name) is found by provider_id after
        # being managed under another id: never by its name.
        made = self.create_volume()
        self.db.add(made)
        self.driver.unmanage(made)
        self.db.remove(made)
        name = naming.volume_name(made.name_id)
        again = self.manage_volume({'source-name': name})
        self.assertEqual(made.provider_id, again.provider_id)
        snap = self.create_snapshot(again)
        self.delete(snap, again)
        self.assert_array_empty()

    def test_managed_clone_collects_its_origin(self):
        src = self.create_volume()
        snap = self.create_snapshot(src)
        clone = self.volume_from_snapshot(snap)
        self.driver.unmanage(clone)
        self.driver.delete_snapshot(snap)   # deferred: it has a clone
        self.driver.delete_volume(src)      # deferred: its snapshot
        vol = self.manage_volume({'source-id': clone.provider_id})
        self.assertEqual(ngx_driver.CLONE_LOCATION, vol.provider_location)
        self.driver.delete_volume(vol)
        self.assert_array_empty()


class ManageableVolumesListTest(ManageTestCase):

    def setUp(self):
        super().setUp()
        self.made = self.create_volume(size=1)
        self.db.add(self.made)
        self.legacy_lun('alpha', size=3)
        self.legacy_lun('beta', size=1)
        self.legacy_lun('gamma', size=2, pool='pool2')

    def entries(self, cinder_volumes=None, marker=None, limit=100,
                offset=0, sort_keys=('reference',), sort_dirs=('asc',)):
        if cinder_volumes is None:
            cinder_volumes = [self.made]
        return self.driver.get_manageable_volumes(
            cinder_volumes, marker, limit, offset, list(sort_keys),
            list(sort_dirs))

    def test_entries(self):
        entries = {e['reference']['source-name']: e for e in self.entries()}
        made = naming.volume_name(self.made.name_id)
        self.assertEqual({'alpha', 'beta', 'gamma', made,
                          self.driver.deferred.registry_name}, set(entries))
        alpha = entries['alpha']
        self.assertTrue(alpha['safe_to_manage'])
        self.assertIsNone(alpha['reason_not_safe'])
        self.assertIsNone(alpha['cinder_id'])
        self.assertEqual(3, alpha['size'])
        self.assertEqual('pool1', alpha['extra_info']['pool'])
        # Made without thin_provision: the array's default, thick.
        self.assertEqual('off', alpha['extra_info']['thin_provision'])
        self.assertEqual('pool2', entries['gamma']['extra_info']['pool'])
        self.assertFalse(entries[made]['safe_to_manage'])
        self.assertEqual(self.made.id, entries[made]['cinder_id'])
        self.assertIn('Already managed', entries[made]['reason_not_safe'])
        registry = entries[self.driver.deferred.registry_name]
        self.assertFalse(registry['safe_to_manage'])
        self.assertIn('registry', registry['reason_not_safe'])
        # Cinder's API turns them into objects: the field types fit.
        listed = objects.ManageableVolumeList.from_primitives(
            self.ctx, list(entries.values()))
        self.assertEqual(5, len(listed))

    def test_managed_volume_found_by_provider_id(self):
        vol = self.manage_volume({'source-name': 'alpha'})
        entries = {e['reference']['source-name']: e
                   for e in self.entries([self.made, vol])}
        self.assertEqual(vol.id, entries['alpha']['cinder_id'])
        self.assertFalse(entries['alpha']['safe_to_manage'])

    def test_listing_is_two_calls(self):
        self.entries()
        self.driver.client.on_request.reset()
        self.entries()
        self.assertEqual({'list_luns_detail': 1, 'list_snapshots': 1},
                         dict(self.driver.client.on_request.counts))

    def test_sort_and_page(self):
        by_size = self.entries(sort_keys=['size', 'reference'],
                               sort_dirs=['desc', 'asc'])
        self.assertEqual(
            ['alpha', 'gamma'],
            [e['reference']['source-name'] for e in by_size[:2]])
        names = [e['reference']['source-name'] for e in self.entries()]
        self.assertEqual(sorted(names), names)
        page1 = self.entries(limit=2)
        page2 = self.entries(marker=page1[-1]['reference'], limit=2)
        page3 = self.entries(
            marker=json.dumps(page2[-1]['reference']), limit=2)
        self.assertEqual(names, [e['reference']['source-name']
                                 for e in page1 + page2 + page3])
        self.assertEqual(names[1:3], [e['reference']['source-name']
                                      for e in self.entries(limit=2,
                                                            offset=1)])
        self.assertRaises(exception.InvalidInput, self.entries,
                          marker={'source-name': 'nosuch'})


class ManageSnapshotTest(ManageTestCase):

    def setUp(self):
        super().setUp()
        self.vol_id = self.legacy_lun('withsnaps', size=1)
        self.vol = self.manage_volume({'source-name': 'withsnaps'})
        client = self.driver.client
        self.snap_id = client.create_snapshot('daily1', self.vol_id)[
            'snap_id']

    def test_manage_by_name_and_id(self):
        snap = self.manage_snapshot(self.vol, {'source-name': 'daily1'})
        self.assertEqual(self.snap_id, snap.provider_id)
        self.assertEqual(manage.MANAGED_SNAPSHOT_LOCATION,
                         snap.provider_location)
        self.assertEqual(1, snap.volume_size)
        self.driver.unmanage_snapshot(snap)
        self.db.remove(snap)
        again = self.manage_snapshot(self.vol, {'source-id': self.snap_id})
        self.assertEqual(self.snap_id, again.provider_id)
        self.driver.delete_snapshot(again)
        self.assertEqual([], self.sim.state.snapshots())

    def assert_snapshot_refused(self, volume, ref, *words):
        self.sim.clear_requests()
        snap = self.snapshot(volume)
        for call in (self.driver.manage_existing_snapshot_get_size,
                     self.driver.manage_existing_snapshot):
            err = self.assertRaises(exception.ManageExistingInvalidReference,
                                    call, snap, ref)
            for word in words:
                self.assertIn(word, str(err))
        self.assertEqual([], self.mutations())

    def test_refusals(self):
        self.assert_snapshot_refused(self.vol, {}, 'source-name')
        self.assert_snapshot_refused(self.vol, {'source-name': 'nosuch'},
                                     'no such snapshot')
        # A snapshot of another LUN is not this volume's.
        other_id = self.legacy_lun('other')
        other_snap = self.driver.client.create_snapshot('daily1', other_id)
        self.assert_snapshot_refused(
            self.vol, {'source-id': other_snap['snap_id']},
            'no such snapshot')
        # Managed already.
        snap = self.manage_snapshot(self.vol, {'source-name': 'daily1'})
        self.assert_snapshot_refused(self.vol, {'source-name': 'daily1'},
                                     'Already managed', snap.id)
        # The driver's internal clone source.
        clone = self.clone_of(self.vol)
        internal = naming.clone_snapshot_name(clone.name_id)
        self.assert_snapshot_refused(self.vol, {'source-name': internal},
                                     'source of a cloned volume')
        # Waiting for a deferred deletion.
        cinder_snap = self.create_snapshot(self.vol)
        self.volume_from_snapshot(cinder_snap)
        self.driver.delete_snapshot(cinder_snap)
        self.assert_snapshot_refused(
            self.vol, {'source-id': cinder_snap.provider_id}, 'deferred')

    def test_volume_from_managed_snapshot_has_its_full_size(self):
        # Snapshot at 1 GiB, LUN grown to 2 GiB, then the snapshot is
        # managed: Cinder counts it at 2 GiB, the array clone is 1 GiB.
        self.driver.extend_volume(self.vol, 2)
        self.vol.size = 2
        snap = self.manage_snapshot(self.vol, {'source-name': 'daily1'})
        self.assertEqual(2, snap.volume_size)
        new = self.volume_from_snapshot(snap, size=2)
        self.assertEqual(str(2 * GIB), self.lun(new.provider_id)['vol_size'])
        # Revert rolls the size back too; the volume is grown back.
        self.driver.delete_volume(new)
        self.driver.revert_to_snapshot(self.ctx, self.vol, snap)
        self.assertEqual(str(2 * GIB), self.lun(self.vol_id)['vol_size'])


class ManageableSnapshotsListTest(ManageTestCase):

    def test_entries(self):
        vol = self.create_volume()
        self.db.add(vol)
        cinder_snap = self.create_snapshot(vol)
        self.db.add(cinder_snap)
        client = self.driver.client
        client.create_snapshot('manual', vol.provider_id)
        clone = self.clone_of(vol)
        other = self.create_snapshot(vol)
        self.volume_from_snapshot(other)
        self.driver.delete_snapshot(other)     # deferred
        entries = self.driver.get_manageable_snapshots(
            [cinder_snap], None, 100, 0, ['reference'], ['asc'])
        by_name = {e['reference']['source-name']: e for e in entries}
        lun_name = naming.volume_name(vol.name_id)
        manual = by_name['manual']
        self.assertTrue(manual['safe_to_manage'])
        self.assertEqual({'source-name': lun_name},
                         manual['source_reference'])
        self.assertEqual(1, manual['size'])
        mine = by_name[naming.snapshot_name(cinder_snap.id)]
        self.assertEqual(cinder_snap.id, mine['cinder_id'])
        self.assertIn('Already managed', mine['reason_not_safe'])
        internal = by_name[naming.clone_snapshot_name(clone.name_id)]
        self.assertIn('source of a cloned volume',
                      internal['reason_not_safe'])
        deferred = by_name[naming.snapshot_name(other.id)]
        self.assertIn('deferred', deferred['reason_not_safe'])
        self.assertEqual('True', deferred['extra_info']['has_clones'])
        marker = by_name[naming.deferred_snapshot_marker(other.provider_id)]
        self.assertIn('marker', marker['reason_not_safe'])
        self.assertEqual({'source-name': self.driver.deferred.registry_name},
                         marker['source_reference'])
        listed = objects.ManageableSnapshotList.from_primitives(
            self.ctx, entries)
        self.assertEqual(len(entries), len(listed))
        page = self.driver.get_manageable_snapshots(
            [cinder_snap], None, 2, 1, ['size', 'reference'],
            ['asc', 'desc'])
        self.assertEqual(2, len(page))
