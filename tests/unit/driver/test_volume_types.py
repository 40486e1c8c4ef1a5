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

"""Extra specs and QoS specs parsing, retype planning, manage helpers."""

from unittest import mock
import uuid

from cinder import context
from cinder import exception
from cinder import objects
from cinder.volume import qos_specs as cinder_qos_specs
import testtools

from cinder_ngxstorage import manage
from cinder_ngxstorage import records
from cinder_ngxstorage import volume_types as vt

objects.register_all()


class ParseTestCase(testtools.TestCase):
    """parse_extra_specs: every key, value form and refusal."""

    def parse(self, specs, qos=None, strict=True):
        return vt.parse_extra_specs(specs, qos, strict=strict)

    def invalid(self, specs, *words, qos=None):
        err = self.assertRaises(exception.InvalidVolumeType, self.parse,
                                specs, qos)
        for word in words:
            self.assertIn(word, str(err))
        return err

    def test_empty(self):
        self.assertEqual({}, self.parse(None))
        self.assertEqual({}, self.parse({}))

    def test_flag_forms(self):
        for value, expected in (('on', 'on'), ('OFF', 'off'),
                                ('True', 'on'), ('false', 'off'),
                                ('<is> True', 'on'), ('<is>  False', 'off'),
                                ('yes', 'on'), ('0', 'off'), (True, 'on')):
            self.assertEqual({'flash_cache': expected},
                             self.parse({'ngxstorage:flash_cache': value}),
                             value)

    def test_every_vendor_key(self):
        self.assertEqual(
            {'thin_provision': 'on', 'compression': 'off',
             'deduplication': 'on', 'flash_cache': 'off',
             'dram_cache': 'on', 'blocksize': '32k',
             'io_type': 'sequential', 'qos_priority': 128},
            self.parse({'ngxstorage:thin_provision': 'on',
                        'ngxstorage:compression': 'off',
                        'ngxstorage:deduplication': '<is> True',
                        'ngxstorage:flash_cache': 'off',
                        'ngxstorage:dram_cache': 'on',
                        'ngxstorage:blocksize': '32K',
                        'ngxstorage:io_type': ' Sequential ',
                        'ngxstorage:qos_priority': '128'}))

    def test_standard_keys(self):
        self.assertEqual(
            {'thin_provision': 'off', 'compression': 'on',
             'deduplication': 'off'},
            self.parse({'provisioning:type': 'thick',
                        'compression': '<is> True', 'dedup': 'False'}))
        self.assertEqual({'thin_provision': 'on'},
                         self.parse({'provisioning:type': 'Thin'}))

    def test_other_keys_ignored(self):
        self.assertEqual({}, self.parse({
            'volume_backend_name': 'ngx', 'multiattach': '<is> True',
            'capabilities:compression': '<is> True',
            'othervendor:iops': '5'}))

    def test_invalid_values(self):
        self.invalid({'ngxstorage:blocksize': '4096'},
                     'ngxstorage:blocksize', "'4096'",
                     '4k, 8k, 16k, 32k, 64k, 128k')
        self.invalid({'ngxstorage:blocksize': 'auto'}, 'blocksize')
        self.invalid({'ngxstorage:qos_priority': '12'},
                     '4, 8, 16, 32, 64, 128')
        self.invalid({'ngxstorage:qos_priority': '16.0'}, 'qos_priority')
        self.invalid({'ngxstorage:io_type': 'mixed'},
                     'transactional, sequential')
        self.invalid({'ngxstorage:dram_cache': 'sometimes'},
                     'ngxstorage:dram_cache', '<is> True')
        self.invalid({'provisioning:type': 'compressed'}, 'thin, thick')
        self.invalid({'dedup': 'lz4'}, 'dedup')
        self.invalid({'compression': '<in> x'}, 'compression')

    def test_unknown_vendor_key(self):
        self.invalid({'ngxstorage:blocksiz': '4k'},
                     'unknown extra spec ngxstorage:blocksiz',
                     'ngxstorage:blocksize')

    def test_conflicts(self):
        self.invalid({'provisioning:type': 'thick',
                      'ngxstorage:thin_provision': 'on'},
                     'provisioning:type', 'ngxstorage:thin_provision',
                     'set only one')
        self.invalid({'compression': '<is> True',
                      'ngxstorage:compression': 'off'},
                     'compression')
        # Agreeing keys are fine.
        self.assertEqual({'thin_provision': 'off'},
                         self.parse({'provisioning:type': 'thick',
                                     'ngxstorage:thin_provision': 'off'}))

    def test_qos_consumers(self):
        for consumer in ('back-end', 'both'):
            self.assertEqual(
                {'qos_priority': 64},
                self.parse({}, {'consumer': consumer,
                                'specs': {'qos_priority': '64',
                                          'read_iops_sec': '100'}}))
        self.assertEqual({}, self.parse(
            {}, {'consumer': 'front-end', 'specs': {'qos_priority': '64'}}))
        self.assertEqual({}, self.parse(
            {}, {'consumer': 'back-end', 'specs': {}}))

    def test_qos_refusals(self):
        self.invalid({}, 'QoS spec qos_priority', '4, 8',
                     qos={'consumer': 'back-end',
                          'specs': {'qos_priority': 'urgent'}})
        self.invalid({'ngxstorage:qos_priority': '8'},
                     'ngxstorage:qos_priority', 'QoS spec qos_priority',
                     qos={'consumer': 'both',
                          'specs': {'qos_priority': '16'}})

    def test_lenient_parse_drops_bad_keys(self):
        self.assertEqual(
            {'io_type': 'sequential', 'thin_provision': 'on'},
            self.parse({'ngxstorage:io_type': 'sequential',
                        'ngxstorage:blocksize': 'huge',
                        'ngxstorage:nonsense': 'x',
                        'provisioning:type': 'thin',
                        'ngxstorage:thin_provision': 'off'}, strict=False))

    def test_licence(self):
        vt.check_licensed({'compression': 'on'}, True)
        vt.check_licensed({'compression': 'off', 'deduplication': 'off'},
                          False)
        err = self.assertRaises(exception.InvalidVolumeType,
                                vt.check_licensed,
                                {'compression': 'on', 'deduplication': 'on'},
                                False)
        self.assertIn('compression, deduplication', str(err))
        self.assertIn('datareduce', str(err))


class TypeSourcesTestCase(testtools.TestCase):
    """Where a type's specs and QoS come from (object, dict, None)."""

    def setUp(self):
        super().setUp()
        self.ctx = context.get_admin_context()

    def test_none(self):
        self.assertEqual({}, vt.type_properties(None))
        self.assertIsNone(vt.qos_of_type(None))

    def test_object_with_loaded_qos(self):
        vtype = objects.VolumeType(self.ctx, id=str(uuid.uuid4()),
                                   extra_specs={'ngxstorage:io_type':
                                                'sequential'})
        vtype.qos_specs = objects.QualityOfServiceSpecs(
            self.ctx, consumer='back-end', specs={'qos_priority': '4'})
        self.assertEqual({'io_type': 'sequential', 'qos_priority': 4},
                         vt.type_properties(vtype))

    def test_object_without_qos_reads_nothing(self):
        vtype = objects.VolumeType(self.ctx, id=str(uuid.uuid4()),
                                   extra_specs={}, qos_specs_id=None)
        with mock.patch.object(objects.QualityOfServiceSpecs,
                               'get_by_id', autospec=True) as get:
            self.assertIsNone(vt.qos_of_type(vtype))
        get.assert_not_called()

    def test_object_with_qos_id_lazy_loads(self):
        spec_id = str(uuid.uuid4())
        vtype = objects.VolumeType(self.ctx, id=str(uuid.uuid4()),
                                   extra_specs={}, qos_specs_id=spec_id)
        loaded = objects.QualityOfServiceSpecs(
            self.ctx, id=spec_id, consumer='both',
            specs={'qos_priority': '8'})
        with mock.patch.object(objects.QualityOfServiceSpecs, 'get_by_id',
                               autospec=True, return_value=loaded) as get:
            self.assertEqual({'qos_priority': 8}, vt.type_properties(vtype))
        get.assert_called_once_with(self.ctx, spec_id)

    def test_dict_reads_qos_by_id(self):
        spec_id = str(uuid.uuid4())
        new_type = {'id': 'x', 'extra_specs': {'dedup': '<is> True'},
                    'qos_specs_id': spec_id}
        with mock.patch.object(
                cinder_qos_specs, 'get_qos_specs', autospec=True,
                return_value={'consumer': 'back-end',
                              'specs': {'qos_priority': '32'}}) as get:
            self.assertEqual({'deduplication': 'on', 'qos_priority': 32},
                             vt.type_properties(new_type))
        self.assertEqual(spec_id, get.call_args.args[1])

    def test_dict_without_qos(self):
        self.assertEqual({}, vt.type_properties({'id': 'x',
                                                 'extra_specs': None}))


class LunPlanTestCase(testtools.TestCase):
    """What a LUN has, what it should get, what cannot be had in place."""

    DETAIL = {'vol_id': 'a' * 40, 'provision_type': 'thin',
              'compress': 'off', 'dedup': 'off',
              'flash_cache': 'on', 'dram_cache': 'on',
              'io_type': 'transactional', 'qos_priority': '16',
              'blocksize': '16384'}

    def test_lun_properties(self):
        self.assertEqual(
            {'thin_provision': 'on', 'compression': 'off',
             'deduplication': 'off', 'flash_cache': 'on', 'dram_cache': 'on',
             'io_type': 'transactional', 'qos_priority': 16,
             'blocksize': '16k'},
            vt.lun_properties(self.DETAIL))
        odd = vt.lun_properties({'vol_id': 'a' * 40,
                                 'provision_type': 'full',
                                 'qos_priority': None, 'blocksize': '1000'})
        self.assertEqual(('off', None, None),
                         (odd['thin_provision'], odd['qos_priority'],
                          odd['blocksize']))

    def test_changes_only_modifiable_and_different(self):
        current = vt.lun_properties(self.DETAIL)
        self.assertEqual(
            {'compression': 'on', 'qos_priority': 64},
            vt.changes_for(current, {'compression': 'on',
                                     'qos_priority': 64,
                                     'io_type': 'transactional',
                                     'blocksize': '4k'}))

    def test_blocksize_conflict(self):
        current = vt.lun_properties(self.DETAIL)
        self.assertIsNone(vt.blocksize_conflict(current, {}))
        self.assertIsNone(vt.blocksize_conflict(current,
                                                {'blocksize': '16k'}))
        text = vt.blocksize_conflict(current, {'blocksize': '4k'})
        self.assertIn('16k', text)
        self.assertIn('4k', text)

    def test_retype_properties(self):
        old = {'compression': 'on', 'qos_priority': 4,
               'thin_provision': 'off', 'blocksize': '4k',
               'io_type': 'sequential'}
        new = {'io_type': 'sequential', 'dram_cache': 'off'}
        self.assertEqual(
            {'io_type': 'sequential', 'dram_cache': 'off',
             'compression': 'off', 'qos_priority': 16,
             'thin_provision': 'on'},
            vt.retype_properties(old, new, 'on'))
        self.assertEqual({}, vt.retype_properties({}, {}, 'off'))

    def test_blocksize_names(self):
        self.assertEqual('4k', vt.blocksize_name(4096))
        self.assertEqual('128k', vt.blocksize_name(131072))
        self.assertIsNone(vt.blocksize_name(512))


class CapabilitiesTestCase(testtools.TestCase):
    """What the pools report and get-capabilities shows."""

    def test_licensed(self):
        caps = vt.pool_capabilities(True)
        self.assertIs(True, caps['QoS_support'])
        self.assertEqual([True, False], caps['compression'])
        self.assertEqual([True, False], caps['dedup'])
        self.assertEqual(['on', 'off'], caps['ngxstorage:deduplication'])
        self.assertEqual(set(vt.VENDOR_SPECS),
                         {k for k in caps if k.startswith('ngxstorage:')})

    def test_unlicensed(self):
        caps = vt.pool_capabilities(False)
        self.assertEqual([False], caps['compression'])
        self.assertEqual(['off'], caps['ngxstorage:compression'])
        self.assertEqual(['on', 'off'], caps['ngxstorage:flash_cache'])

    def test_vendor_properties(self):
        props = {key: (kind, extra) for key, title, desc, kind, extra
                 in vt.vendor_properties('off')}
        self.assertEqual(set(vt.VENDOR_SPECS), set(props))
        self.assertEqual('off', props['ngxstorage:thin_provision'][1][
            'default'])
        self.assertEqual('integer', props['ngxstorage:qos_priority'][0])
        self.assertNotIn('default', props['ngxstorage:blocksize'][1])


class ManageHelpersTestCase(testtools.TestCase):
    """Small pure helpers of manage.py."""

    def test_size_gib(self):
        self.assertEqual(1, manage.size_gib(str(1024 ** 3)))
        self.assertEqual(2, manage.size_gib(1024 ** 3 + 1))
        self.assertEqual(1, manage.size_gib(4096))
        self.assertEqual(0, manage.size_gib(None))

    def test_parse_reference(self):
        self.assertEqual(('a' * 40, None),
                         manage.parse_reference({'source-id': 'a' * 40},
                                                'LUN'))
        self.assertEqual((None, 'lun1'),
                         manage.parse_reference({'source-name': 'lun1'},
                                                'LUN'))
        for ref in ({}, None, 'lun1', {'source-name': ''}):
            err = self.assertRaises(exception.ManageExistingInvalidReference,
                                    manage.parse_reference, ref, 'snapshot')
            self.assertIn('snap_id', str(err))

    def test_exported_to(self):
        def exported_to(**fields):
            return records.Lun.from_answer(
                dict(fields, vol_id='a' * 40)).exported_to
        self.assertEqual('', exported_to())
        self.assertEqual('', exported_to(
            protocols={'fc': None, 'iscsi': None}))
        self.assertEqual('t1,t2', exported_to(
            protocols={'fc': None, 'iscsi': 't1,t2'}))

    def test_paginate_defaults(self):
        entries = [{'reference': {'source-name': n}, 'size': s}
                   for n, s in (('b', 1), ('a', 2), ('c', 3))]
        self.assertEqual(['a', 'b', 'c'],
                         [e['reference']['source-name'] for e in
                          manage.paginate(entries, None, None, None, None,
                                          None)])
        self.assertEqual(['c'],
                         [e['reference']['source-name'] for e in
                          manage.paginate(entries, None, 1, 0, ['size'],
                                          ['desc'])])
