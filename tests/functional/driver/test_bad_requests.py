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

"""Bad requests from Cinder: clear errors, and nothing made on the array.

Sizes beyond the pool's free space, zero or negative sizes, a shrink,
unicode and very long display names and descriptions, unknown or
malformed extra specs.
"""

import uuid

from cinder import exception
from cinder import objects

from tests.functional.driver import base

GIB = 1024 ** 3


class BadRequestTest(base.DriverTestCase):
    """Each refused request leaves the array as it was."""

    def assert_refused(self, func, *args, errors=(exception.CinderException,),
                       words=()):
        before = self.inventory()
        err = self.assertRaises(errors, func, *args)
        text = str(err)
        for word in words:
            self.assertIn(word, text)
        self.assertEqual(before, self.inventory())
        return text

    def inventory(self):
        state = self.sim.state
        return (sorted((lun['vol_name'], lun['vol_size'])
                       for lun in state.luns()),
                sorted(s['snap_name'] for s in state.snapshots()))

    def thick_driver(self):
        self.driver = self.make_driver(san_thin_provision=False)

    def test_thick_volume_beyond_free_space(self):
        self.thick_driver()
        vol = self.volume(size=201)
        self.assert_refused(self.driver.create_volume, vol,
                            words=(vol.id, 'pool1'))

    def test_extend_beyond_free_space(self):
        self.thick_driver()
        vol = self.create_volume(size=100)
        self.assert_refused(self.driver.extend_volume, vol, 250,
                            words=(vol.id, '250'))

    def test_clone_beyond_free_space(self):
        self.thick_driver()
        src = self.create_volume(size=100)
        new = self.volume(size=150)
        before = self.inventory()
        self.assertRaises(exception.CinderException,
                          self.driver.create_cloned_volume, new, src)
        # Nothing of the failed clone is left (its internal snapshot
        # included).
        self.assertEqual(before, self.inventory())

    def test_zero_and_negative_sizes(self):
        """Refused by the driver: the array never sees them."""
        vol = self.create_volume(size=2)
        snap = self.create_snapshot(vol)
        self.sim.clear_requests()
        for size in (0, -1):
            new = self.volume(size=1)
            new.size = size
            for func, args in ((self.driver.create_volume, (new,)),
                               (self.driver.create_cloned_volume,
                                (new, vol)),
                               (self.driver.create_volume_from_snapshot,
                                (new, snap))):
                self.assert_refused(func, *args, words=(new.id, 'size'),
                                    errors=(exception.InvalidInput,))
        for size in (0, -1, 1, 2):
            self.assert_refused(self.driver.extend_volume, vol, size,
                                words=(vol.id, 'size'),
                                errors=(exception.InvalidInput,))
        self.assertEqual([], self.sim.requests)

    def test_unicode_and_long_names(self):
        """Display names never reach the array: LUNs are named by id."""
        name = 'Ünïcødé ☃ 名前 ' * 40
        vol = self.create_volume(display_name=name,
                                 display_description=name * 10)
        snap = self.snapshot(vol, display_name=name,
                             display_description=name)
        snap.update(self.driver.create_snapshot(snap))
        new = self.volume_from_snapshot(snap, display_name=name)
        info = self.driver.initialize_connection(
            new, self.connector(host='höst-名前-' + 'x' * 300))
        self.assertEqual('iscsi', info['driver_volume_type'])
        for lun in self.sim.state.luns():
            self.assertTrue(lun['vol_name'].isascii())
            self.assertLessEqual(len(lun['vol_name']), 30)
        self.driver.terminate_connection(
            new, self.connector(host='höst-名前-' + 'x' * 300))
        self.delete(new, snap, vol)
        self.assert_array_empty()

    def vtype(self, **specs):
        return objects.VolumeType(self.ctx, id=str(uuid.uuid4()),
                                  name='t', extra_specs=specs)

    def test_unknown_or_malformed_extra_specs(self):
        for specs in ({'ngxstorage:bogus': 'on'},
                      {'ngxstorage:blocksize': '3k'},
                      {'ngxstorage:compression': 'sometimes'},
                      {'provisioning:type': 'fat'}):
            vtype = self.vtype(**specs)
            vol = self.volume(volume_type_id=vtype.id, volume_type=vtype)
            self.sim.clear_requests()
            text = self.assert_refused(
                self.driver.create_volume, vol,
                errors=(exception.InvalidVolumeType,))
            self.assertIn(list(specs)[0], text)
            self.assertEqual([], [r for r in self.sim.requests
                                  if r['method'] != 'GET'])

    def test_other_backends_specs_are_ignored(self):
        vtype = self.vtype(**{'capabilities:foo': 'bar',
                              'othervendor:thing': '1',
                              'volume_backend_name': 'ngx'})
        vol = self.create_volume(volume_type_id=vtype.id, volume_type=vtype)
        self.assertIsNotNone(vol.provider_id)
