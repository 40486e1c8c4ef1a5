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

"""Volume type extra specs, QoS specs, retype and migration."""

from unittest import mock
import uuid

from cinder import exception
from cinder import objects
from cinder.volume import qos_specs as cinder_qos_specs
import fixtures

from cinder_ngxstorage import naming
from cinder_ngxstorage import stats as stats_mod
from tests.functional.driver import base

GIB = 1024 ** 3
MUTATING = ('POST', 'PATCH', 'PUT', 'DELETE')


class TypesTestCase(base.DriverTestCase):
    """Helpers to make volume types and read LUN properties."""

    def vtype(self, extra_specs=None, qos=None, **kwargs):
        """A VolumeType object (as a volume carries it)."""
        vtype = objects.VolumeType(self.ctx, id=str(uuid.uuid4()),
                                   name=kwargs.get('name', 'type'),
                                   extra_specs=dict(extra_specs or {}))
        if qos is not None:
            consumer, specs = qos
            qos_obj = objects.QualityOfServiceSpecs(
                self.ctx, id=str(uuid.uuid4()), name='qos',
                consumer=consumer, specs=dict(specs))
            vtype.qos_specs_id = qos_obj.id
            vtype.qos_specs = qos_obj
        return vtype

    def typed_volume(self, vtype, size=1, pool='pool1', create=True):
        vol = self.volume(size=size, pool=pool, volume_type_id=vtype.id,
                          volume_type=vtype)
        if create:
            vol.update(self.driver.create_volume(vol) or {})
        return vol

    def lun(self, vol_id):
        [detail] = [lun for lun in self.sim.state.luns()
                    if lun['vol_id'] == vol_id]
        return detail

    def props(self, vol_id):
        lun = self.lun(vol_id)
        return {key: lun[key] for key in (
            'provision_type', 'compress', 'dedup', 'blocksize', 'io_type',
            'flash_cache', 'dram_cache', 'qos_priority')}

    def mutations(self):
        return [r for r in self.sim.requests
                if r['method'] in MUTATING and r['path'].startswith('/api')]


class ExtraSpecsTest(TypesTestCase):

    def test_every_vendor_spec(self):
        vtype = self.vtype({
            'ngxstorage:thin_provision': 'off',
            'ngxstorage:compression': '<is> True',
            'ngxstorage:deduplication': 'true',
            'ngxstorage:blocksize': '4K',
            'ngxstorage:io_type': 'Sequential',
            'ngxstorage:flash_cache': 'off',
            'ngxstorage:dram_cache': 'False',
            'ngxstorage:qos_priority': '64',
            'volume_backend_name': 'ngx',       # not ours: ignored
            'capabilities:something': 'x',      # not ours: ignored
        })
        vol = self.typed_volume(vtype)
        self.assertEqual({'provision_type': 'full', 'compress': 'on',
                          'dedup': 'on', 'blocksize': '4096',
                          'io_type': 'sequential', 'flash_cache': 'off',
                          'dram_cache': 'off', 'qos_priority': 64},
                         self.props(vol.provider_id))

    def test_standard_keys(self):
        vtype = self.vtype({'provisioning:type': 'thin',
                            'compression': '<is> True',
                            'dedup': '<is> False'})
        vol = self.typed_volume(vtype)
        props = self.props(vol.provider_id)
        self.assertEqual(('thin', 'on', 'off'),
                         (props['provision_type'], props['compress'],
                          props['dedup']))

    def test_no_type_uses_array_defaults(self):
        vol = self.create_volume()
        self.assertEqual({'provision_type': 'thin', 'compress': 'off',
                          'dedup': 'off', 'blocksize': '16384',
                          'io_type': 'transactional', 'flash_cache': 'on',
                          'dram_cache': 'on', 'qos_priority': 16},
                         self.props(vol.provider_id))

    def assert_invalid(self, extra_specs, *words, qos=None):
        """create_volume refuses before any array call, naming the key."""
        vol = self.typed_volume(self.vtype(extra_specs, qos=qos),
                                create=False)
        self.driver.client.on_request.reset()
        err = self.assertRaises(exception.InvalidVolumeType,
                                self.driver.create_volume, vol)
        self.assertEqual(0, self.driver.client.on_request.total())
        for word in words:
            self.assertIn(word, str(err))

    def test_invalid_values_refused(self):
        self.assert_invalid({'ngxstorage:blocksize': '2k'},
                            'ngxstorage:blocksize', '4k, 8k, 16k, 32k, '
                            '64k, 128k')
        self.assert_invalid({'ngxstorage:qos_priority': '5'},
                            'ngxstorage:qos_priority', '4, 8, 16, 32, 64, '
                            '128')
        self.assert_invalid({'ngxstorage:qos_priority': 'high'},
                            'ngxstorage:qos_priority')
        self.assert_invalid({'ngxstorage:io_type': 'random'},
                            'ngxstorage:io_type', 'transactional, '
                            'sequential')
        self.assert_invalid({'ngxstorage:compression': 'maybe'},
                            'ngxstorage:compression', 'on, off')
        self.assert_invalid({'ngxstorage:flash_cache': 'fast'},
                            'ngxstorage:flash_cache')
        self.assert_invalid({'provisioning:type': 'fat'},
                            'provisioning:type', 'thin, thick')
        self.assert_invalid({'compression': '<or> True <or> False'},
                            'compression')
        self.assert_invalid({'ngxstorage:dedup': 'on'},
                            'unknown extra spec ngxstorage:dedup',
                            'ngxstorage:deduplication')
        self.assert_invalid({'provisioning:type': 'thin',
                             'ngxstorage:thin_provision': 'off'},
                            'provisioning:type',
                            'ngxstorage:thin_provision')
        self.assert_invalid({'dedup': '<is> True',
                             'ngxstorage:deduplication': 'off'},
                            'dedup', 'ngxstorage:deduplication')
        self.assertEqual([], self.luns())

    def test_datareduce_unlicensed(self):
        self.sim.set_license(datareduce=0)
        self.driver = self.make_driver()
        self.assert_invalid({'compression': '<is> True'}, 'datareduce')
        self.assert_invalid({'ngxstorage:deduplication': 'on'},
                            'datareduce')
        # Asking for no compression is fine.
        self.typed_volume(self.vtype({'compression': '<is> False'}))
        stats = self.driver.get_volume_stats(refresh=True)
        for pool in stats['pools']:
            self.assertEqual([False], pool['compression'])
            self.assertEqual([False], pool['dedup'])
            self.assertEqual(['off'], pool['ngxstorage:compression'])

    def test_stats_report_the_capabilities_without_extra_calls(self):
        self.driver.client.on_request.reset()
        stats = self.driver.get_volume_stats(refresh=True)
        self.assertEqual(len(stats_mod.READS),
                         self.driver.client.on_request.total())
        for pool in stats['pools']:
            self.assertIs(True, pool['QoS_support'])
            self.assertEqual([True, False], pool['compression'])
            self.assertEqual([True, False], pool['dedup'])
            self.assertEqual(['4k', '8k', '16k', '32k', '64k', '128k'],
                             pool['ngxstorage:blocksize'])
            self.assertEqual([4, 8, 16, 32, 64, 128],
                             pool['ngxstorage:qos_priority'])
            self.assertEqual(['transactional', 'sequential'],
                             pool['ngxstorage:io_type'])
            for flag in ('thin_provision', 'flash_cache', 'dram_cache',
                         'compression', 'deduplication'):
                self.assertEqual(['on', 'off'],
                                 pool['ngxstorage:' + flag])

    def test_scheduler_filters_on_the_capabilities(self):
        from cinder.scheduler.filters import capabilities_filter
        flt = capabilities_filter.CapabilitiesFilter()
        [pool] = [p for p in self.driver.get_volume_stats(refresh=True)[
            'pools'] if p['pool_name'] == 'pool1']

        def passes(specs):
            return flt._satisfies_extra_specs(
                pool, {'resource_type': {'extra_specs': specs}})
        self.assertTrue(passes({'compression': '<is> True'}))
        self.assertTrue(passes({'dedup': '<is> False'}))
        self.assertTrue(passes({'capabilities:QoS_support': '<is> True'}))
        self.assertTrue(passes({'ngxstorage:blocksize': '4k'}))
        self.sim.set_license(datareduce=0)
        self.driver = self.make_driver()
        [pool] = [p for p in self.driver.get_volume_stats(refresh=True)[
            'pools'] if p['pool_name'] == 'pool1']
        self.assertFalse(passes({'compression': '<is> True'}))
        self.assertTrue(passes({'compression': '<is> False'}))

    def test_vendor_properties_for_get_capabilities(self):
        self.driver.init_capabilities()
        props = self.driver.capabilities['properties']
        self.assertEqual(['4k', '8k', '16k', '32k', '64k', '128k'],
                         props['ngxstorage:blocksize']['enum'])
        self.assertEqual(16, props['ngxstorage:qos_priority']['default'])
        self.assertEqual('integer', props['ngxstorage:qos_priority']['type'])
        self.assertEqual('on', props['ngxstorage:thin_provision']['default'])
        self.assertIn('thin_provisioning', props)   # Cinder's standard ones

    def test_clone_takes_the_new_type(self):
        src = self.create_volume()
        vtype = self.vtype({'ngxstorage:compression': 'on',
                            'ngxstorage:qos_priority': '128'})
        clone = self.typed_volume(vtype, create=False)
        clone.update(self.driver.create_cloned_volume(clone, src))
        props = self.props(clone.provider_id)
        self.assertEqual(('on', 128), (props['compress'],
                                       props['qos_priority']))
        snap = self.create_snapshot(src)
        from_snap = self.typed_volume(vtype, size=2, create=False)
        from_snap.update(self.driver.create_volume_from_snapshot(from_snap,
                                                                 snap))
        props = self.props(from_snap.provider_id)
        self.assertEqual(('on', 128), (props['compress'],
                                       props['qos_priority']))
        self.assertEqual(str(2 * GIB), self.lun(from_snap.provider_id)[
            'vol_size'])

    def test_clone_with_another_blocksize_refused_before_cloning(self):
        src = self.create_volume()
        snap = self.create_snapshot(src)
        luns = self.luns()
        vtype = self.vtype({'ngxstorage:blocksize': '64k'})
        for call, origin in ((self.driver.create_cloned_volume, src),
                             (self.driver.create_volume_from_snapshot,
                              snap)):
            err = self.assertRaises(exception.InvalidVolumeType, call,
                                    self.typed_volume(vtype, create=False),
                                    origin)
            self.assertIn('64k', str(err))
        self.assertEqual(luns, self.luns())
        self.assertEqual(1, len(self.sim.state.snapshots()))
        # The same blocksize is fine.
        same = self.typed_volume(self.vtype({'ngxstorage:blocksize': '16k'}),
                                 create=False)
        same.update(self.driver.create_volume_from_snapshot(same, snap))


class QoSTest(TypesTestCase):

    def test_back_end_and_both_applied(self):
        for consumer in ('back-end', 'both'):
            vol = self.typed_volume(self.vtype(
                qos=(consumer, {'qos_priority': '32',
                                'total_iops_sec': '500'})))
            self.assertEqual(32, self.props(vol.provider_id)['qos_priority'])

    def test_front_end_ignored(self):
        vol = self.typed_volume(self.vtype(
            qos=('front-end', {'qos_priority': '128'})))
        self.assertEqual(16, self.props(vol.provider_id)['qos_priority'])

    def test_invalid_qos_refused(self):
        for specs, qos in (({}, ('back-end', {'qos_priority': '3'})),
                           ({'ngxstorage:qos_priority': '32'},
                            ('both', {'qos_priority': '64'}))):
            vol = self.typed_volume(self.vtype(specs, qos=qos),
                                    create=False)
            self.driver.client.on_request.reset()
            err = self.assertRaises(exception.InvalidVolumeType,
                                    self.driver.create_volume, vol)
            self.assertIn('qos_priority', str(err))
            self.assertEqual(0, self.driver.client.on_request.total())

    def test_same_value_from_both_sources_is_fine(self):
        vol = self.typed_volume(self.vtype(
            {'ngxstorage:qos_priority': '64'},
            qos=('back-end', {'qos_priority': 64})))
        self.assertEqual(64, self.props(vol.provider_id)['qos_priority'])


class RetypeTest(TypesTestCase):

    def setUp(self):
        super().setUp()
        # Cinder hands retype the new type as a dict; its QoS specs are
        # read from the database by id.
        self.qos_db = {}
        self.useFixture(fixtures.MockPatchObject(
            cinder_qos_specs, 'get_qos_specs', autospec=True,
            side_effect=lambda ctxt, spec_id: self.qos_db[spec_id]))

    def new_type(self, extra_specs=None, qos=None):
        """The new type as the volume manager passes it to retype."""
        new = {'id': str(uuid.uuid4()), 'name': 'new',
               'extra_specs': dict(extra_specs or {}),
               'qos_specs_id': None}
        if qos is not None:
            spec_id = str(uuid.uuid4())
            self.qos_db[spec_id] = {'id': spec_id, 'name': 'q',
                                    'consumer': qos[0],
                                    'specs': dict(qos[1])}
            new['qos_specs_id'] = spec_id
        return new

    @staticmethod
    def host(pool='pool1'):
        return {'host': 'cinder@ngx#%s' % pool, 'capabilities': {}}

    def retype(self, vol, new, pool='pool1'):
        self.sim.clear_requests()
        self.driver.client.on_request.reset()
        return self.driver.retype(self.ctx, vol, new, {}, self.host(pool))

    def test_in_place_with_one_modify(self):
        vol = self.typed_volume(self.vtype({'provisioning:type': 'thin'}))
        vol_id = vol.provider_id
        new = self.new_type({'provisioning:type': 'thick',
                             'ngxstorage:compression': 'on',
                             'ngxstorage:io_type': 'sequential',
                             'ngxstorage:flash_cache': 'off'},
                            qos=('back-end', {'qos_priority': '128'}))
        self.assertEqual((True, None), self.retype(vol, new))
        self.assertEqual({'get_lun': 1, 'modify_lun': 1},
                         dict(self.driver.client.on_request.counts))
        self.assertEqual({'provision_type': 'full', 'compress': 'on',
                          'dedup': 'off', 'blocksize': '16384',
                          'io_type': 'sequential', 'flash_cache': 'off',
                          'dram_cache': 'on', 'qos_priority': 128},
                         self.props(vol_id))
        self.assertEqual([vol_id], [lun['vol_id'] for lun in
                                    self.sim.state.luns()
                                    if not naming.is_registry_name(
                                        lun['vol_name'])])

    def test_properties_of_the_old_type_go_back_to_defaults(self):
        vol = self.typed_volume(self.vtype(
            {'ngxstorage:compression': 'on', 'ngxstorage:io_type':
             'sequential', 'provisioning:type': 'thick'},
            qos=('back-end', {'qos_priority': '4'})))
        self.assertEqual((True, None), self.retype(vol, self.new_type()))
        props = self.props(vol.provider_id)
        self.assertEqual(('off', 'transactional', 16, 'thin'),
                         (props['compress'], props['io_type'],
                          props['qos_priority'], props['provision_type']))

    def test_nothing_to_change(self):
        vol = self.typed_volume(self.vtype({'ngxstorage:qos_priority': '8'}))
        new = self.new_type({'ngxstorage:qos_priority': '8',
                             'ngxstorage:blocksize': '16k'})
        self.assertEqual((True, None), self.retype(vol, new))
        self.assertEqual({'get_lun': 1},
                         dict(self.driver.client.on_request.counts))
        self.assertEqual([], self.mutations())

    def test_other_pool_migrates(self):
        vol = self.create_volume()
        self.assertIs(False, self.retype(vol, self.new_type(), pool='pool2'))
        self.assertEqual(0, self.driver.client.on_request.total())

    def test_other_blocksize_migrates(self):
        vol = self.create_volume()
        before = self.props(vol.provider_id)
        new = self.new_type({'ngxstorage:blocksize': '128k',
                             'ngxstorage:compression': 'on'})
        self.assertIs(False, self.retype(vol, new))
        self.assertEqual([], self.mutations())
        self.assertEqual(before, self.props(vol.provider_id))

    def test_invalid_new_type_refused(self):
        vol = self.create_volume()
        for new in (self.new_type({'ngxstorage:io_type': 'bursty'}),
                    self.new_type(qos=('both', {'qos_priority': '7'}))):
            self.assertRaises(exception.InvalidVolumeType, self.retype,
                              vol, new)
            self.assertEqual(0, self.driver.client.on_request.total())

    def test_attached_volume_retyped_in_place(self):
        vol = self.create_volume()
        conn = self.connector()
        info = self.driver.initialize_connection(vol, conn)
        new = self.new_type({'ngxstorage:dram_cache': 'off'})
        self.assertEqual((True, None), self.retype(vol, new))
        self.assertEqual('off', self.props(vol.provider_id)['dram_cache'])
        [target] = self.sim.state.targets()
        self.assertEqual(info['data']['target_iqn'], target['target_iqn'])
        self.assertEqual([vol.provider_id],
                         [lun['vol_id'] for lun in target['luns']])

    def test_retype_of_a_managed_lun_keeps_what_no_type_sets(self):
        vol_id = self.driver.client.create_lun(
            'pool1', 'legacy', 1, compression='on')['luns'][0]['vol_id']
        vol = self.volume()
        vol.provider_id = vol_id
        new = self.new_type({'ngxstorage:qos_priority': '32'})
        self.assertEqual((True, None), self.retype(vol, new))
        props = self.props(vol_id)
        self.assertEqual(('on', 32), (props['compress'],
                                      props['qos_priority']))


class MigrationTest(TypesTestCase):
    """update_migrated_volume and Cinder's record swap keep data safe."""

    def test_generic_migration_keeps_the_migrated_lun(self):
        # Imported here: it needs Cinder's objects registered (base).
        from cinder.volume import manager as cinder_manager
        src = self.create_volume(size=1)
        dest = self.create_volume(size=1, pool='pool2')
        src_lun, dest_lun = src.provider_id, dest.provider_id
        # What the volume manager does when the copy is done: its own
        # update_migrated_volume (which calls the driver's), then the
        # record swap, then deleting the temporary record.
        mgr = cinder_manager.VolumeManager.__new__(
            cinder_manager.VolumeManager)
        mgr.driver = self.driver
        with mock.patch.object(objects.Volume, 'save', autospec=True):
            cinder_manager.VolumeManager.update_migrated_volume(
                mgr, self.ctx, src, dest, 'available')
            temporary = src.finish_volume_migration(dest)
        self.assertEqual(dest_lun, src.provider_id)
        self.assertEqual(src_lun, temporary.provider_id)
        self.assertEqual(dest.id, src.name_id)
        self.driver.delete_volume(temporary)
        self.assertEqual([naming.volume_name(dest.id)], self.luns())
        # The migrated volume works on its new LUN.
        snap = self.create_snapshot(src)
        [array_snap] = self.sim.state.snapshots()
        self.assertEqual(dest_lun, array_snap['vol_id'])
        self.delete(snap, src)
        self.assert_array_empty()

    def test_update_migrated_volume_leaves_provider_id_to_cinder(self):
        src = self.create_volume()
        dest = self.create_volume()
        update = self.driver.update_migrated_volume(self.ctx, src, dest,
                                                    'available')
        self.assertEqual({'_name_id': dest.id, 'provider_location': None},
                         update)
