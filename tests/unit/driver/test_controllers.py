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

"""controllers: owner matching, ngxstorage_portals_by_owner, PortalMap."""

import testtools

from cinder_ngxstorage import controllers


class OwnerMatchTest(testtools.TestCase):

    def test_short_and_full_names(self):
        self.assertTrue(controllers.owner_matches('A', 'NGX123_A'))
        self.assertTrue(controllers.owner_matches('b', 'NGX123_B'))
        self.assertTrue(controllers.owner_matches('NGX123_B', 'NGX123_B'))
        self.assertTrue(controllers.owner_matches('1', '1'))
        self.assertFalse(controllers.owner_matches('A', 'NGX123_B'))
        self.assertFalse(controllers.owner_matches('A', '1'))
        self.assertFalse(controllers.owner_matches('OTHER_A', 'NGX123_A'))


class ParseTest(testtools.TestCase):

    def test_entries(self):
        self.assertEqual(
            [('A', '192.0.2.1:3260'), ('B', '192.0.2.2:3261'),
             ('NGX_A', '[fd00::1]:3260'), ('1', '[fd00::2]:3262'),
             ('B', '[fd00::3]:3260')],
            controllers.parse_portals_by_owner(
                ['A:192.0.2.1', ' B:192.0.2.2:3261 ', 'NGX_A:[fd00::1]',
                 '1:[fd00::2]:3262', 'B:fd00::3']))

    def test_bad_entries_named(self):
        for entry in ('192.0.2.1', 'A:', ':192.0.2.1', 'A:host.example',
                      'A:192.0.2.1:0', 'A:192.0.2.1:x', 'A:[fd00::1]x'):
            err = self.assertRaises(ValueError,
                                    controllers.parse_portals_by_owner,
                                    ['B:192.0.2.9', entry])
            self.assertEqual(entry, str(err))


class PortalMapTest(testtools.TestCase):

    def test_owner_portals_or_fallback(self):
        pmap = controllers.PortalMap(
            [('A', '192.0.2.1:3260'), ('NGX_B', '192.0.2.2:3260'),
             ('a', '192.0.2.3:3260')], ['198.51.100.1:3260'])
        self.assertEqual(['192.0.2.1:3260', '192.0.2.3:3260'],
                         pmap.portals('NGX_A'))
        self.assertEqual(['192.0.2.2:3260'], pmap.portals('NGX_B'))
        self.assertEqual(['198.51.100.1:3260'], pmap.portals('1'))
        self.assertTrue(pmap.knows('NGX_A'))
        self.assertFalse(pmap.knows('1'))
