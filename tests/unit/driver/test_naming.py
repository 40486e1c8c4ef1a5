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

"""Unit tests of naming.py: array names of Cinder objects.

The array's limits (API-NOTES 7): LUN, clone and target names 1-30 of
``[A-Za-z0-9_-]``; auth group names 1-30 alphanumerics; snapshot names
1-999 of ``[A-Za-z0-9_-]``; CHAP user names 1-64 of ``[A-Za-z0-9._-]``;
iqn_alias 1-64 of ``[A-Za-z0-9_.:-]``.
"""

import re
import uuid

import testtools

from cinder_ngxstorage import exports
from cinder_ngxstorage import naming

LUN_NAME_RE = re.compile(r'^[A-Za-z0-9_-]{1,30}$')
TARGET_NAME_RE = LUN_NAME_RE
AUTH_GROUP_RE = re.compile(r'^[A-Za-z0-9]{1,30}$')
SNAPSHOT_NAME_RE = re.compile(r'^[A-Za-z0-9_-]{1,999}$')
CHAP_USER_RE = re.compile(r'^[A-Za-z0-9._-]{1,64}$')
IQN_ALIAS_RE = re.compile(r'^[A-Za-z0-9_.:-]{1,64}$')

UUIDS = [str(uuid.UUID(int=0)), str(uuid.UUID(int=2 ** 128 - 1)),
         '8c2b6a1e-0f3d-4d7e-9a51-3e2f6b7c8d90'] + [
    str(uuid.uuid4()) for _ in range(50)]

HOSTS = ['h', 'compute-1', 'compute-1.example.org',
         'a-very-long-host-name-%s.region-one.cloud.example.org' % ('x' * 80),
         'hôte-unicode-ß', 'host with spaces', 'UPPER.Case', '10.0.0.7',
         'host:with:colons', '']

OWNERS = ['1', 'NGXSIM01_A', 'NGXSIM01_B', 'RSA3Q866_A', 'RSA3Q866_B']

ENCODERS = (naming.volume_name, naming.snapshot_name,
            naming.clone_snapshot_name)


class NameLimitsTestCase(testtools.TestCase):
    """Every name fits the array's rules."""

    def test_lun_names(self):
        """Volume LUN names: 1-30 of [A-Za-z0-9_-]."""
        for value in UUIDS:
            name = naming.volume_name(value)
            self.assertRegex(name, LUN_NAME_RE)
            self.assertEqual(29, len(name))

    def test_snapshot_names(self):
        """Snapshot and internal clone-snapshot names fit (and fit a LUN).

        Clone names become LUN names, so the stricter LUN rule is used.
        """
        for value in UUIDS:
            for encode in (naming.snapshot_name,
                           naming.clone_snapshot_name):
                self.assertRegex(encode(value), LUN_NAME_RE)

    def test_auth_group_names(self):
        """Auth group names: 1-30 alphanumerics, even for odd hosts."""
        for host in HOSTS:
            name = naming.auth_group_name(host)
            self.assertRegex(name, AUTH_GROUP_RE)
            self.assertLessEqual(len(name), 30)

    def test_target_names(self):
        """Target names: 1-30 of [A-Za-z0-9_-] for plausible indexes."""
        for host in HOSTS:
            for owner in OWNERS:
                for index in (0, 1, 9, 10, 99, 9999):
                    self.assertRegex(
                        naming.target_name(host, owner, index),
                        TARGET_NAME_RE)

    def test_chap_user_names(self):
        """CHAP user names: 1-64 of [A-Za-z0-9._-]."""
        for host in HOSTS:
            self.assertRegex(naming.chap_username(host), CHAP_USER_RE)

    def test_iqn_alias(self):
        """The initiator alias of a host fits the array's rule."""
        for host in HOSTS:
            self.assertRegex(exports._alias(host), IQN_ALIAS_RE)

    def test_deferred_markers(self):
        """Registry markers are valid snapshot names."""
        array_id = 'f5d09c2614f903f1c1700e14a36a329f763c56bd'
        for marker in (naming.deferred_snapshot_marker(array_id),
                       naming.deferred_lun_marker(array_id)):
            self.assertRegex(marker, SNAPSHOT_NAME_RE)
        self.assertRegex(naming.DEFERRED_REGISTRY_LUN, LUN_NAME_RE)


class DeterminismTestCase(testtools.TestCase):
    """Names depend only on their inputs."""

    def test_same_input_same_name(self):
        """Every encoder is a pure function."""
        for value in UUIDS[:5]:
            for encode in ENCODERS:
                self.assertEqual(encode(value), encode(value))
        for host in HOSTS:
            self.assertEqual(naming.auth_group_name(host),
                             naming.auth_group_name(host))
            self.assertEqual(naming.target_name(host, 'X_A', 3),
                             naming.target_name(host, 'X_A', 3))
            self.assertEqual(naming.chap_username(host),
                             naming.chap_username(host))

    def test_known_value(self):
        """A fixed UUID has a fixed name (documented base32 encoding)."""
        self.assertEqual('cv-aaaaaaaaaaaaaaaaaaaaaaaaaa',
                         naming.volume_name(str(uuid.UUID(int=0))))
        self.assertEqual(
            'cv-rqvwuhqphvgx5gsrhyxww7ensa',
            naming.volume_name('8c2b6a1e-0f3d-4d7e-9a51-3e2f6b7c8d90'))

    def test_uuid_forms_agree(self):
        """Upper case or hyphen-less forms of an id give the same name."""
        value = '8c2b6a1e-0f3d-4d7e-9a51-3e2f6b7c8d90'
        self.assertEqual(naming.volume_name(value),
                         naming.volume_name(value.upper()))
        self.assertEqual(naming.volume_name(value),
                         naming.volume_name(value.replace('-', '')))

    def test_distinct_inputs_distinct_names(self):
        """Different ids, hosts, owners or indexes never share a name."""
        for encode in ENCODERS:
            names = {encode(value) for value in UUIDS}
            self.assertEqual(len(UUIDS), len(names))
        groups = {naming.auth_group_name(h) for h in HOSTS}
        self.assertEqual(len(HOSTS), len(groups))
        targets = {naming.target_name(h, o, i) for h in HOSTS
                   for o in ('1', 'X_A', 'X_B') for i in range(12)}
        self.assertEqual(len(HOSTS) * 3 * 12, len(targets))

    def test_target_index_round_trip(self):
        """target_index reads back the index of a host's target."""
        for host in HOSTS[:4]:
            for owner in OWNERS:
                for index in (0, 1, 10, 11, 123):
                    name = naming.target_name(host, owner, index)
                    self.assertEqual(index,
                                     naming.target_index(host, owner, name))

    def test_target_index_foreign_names(self):
        """Another host's, owner's or a foreign target is not ours."""
        name = naming.target_name('compute-1', 'X_A', 0)
        self.assertIsNone(naming.target_index('compute-2', 'X_A', name))
        self.assertIsNone(naming.target_index('compute-1', 'X_B', name))
        self.assertIsNone(naming.target_index('compute-1', 'X_A', 'tgt1'))
        self.assertIsNone(naming.target_index('compute-1', 'X_A',
                                              name + 'x'))

    def test_owner_tags(self):
        """Controller tags: a, b for dual controllers, 1 for single."""
        self.assertEqual('a', naming.owner_tag('RSA3Q866_A'))
        self.assertEqual('b', naming.owner_tag('RSA3Q866_B'))
        self.assertEqual('1', naming.owner_tag('1'))
        self.assertEqual('1', naming.owner_tag(''))


class ReversibilityTestCase(testtools.TestCase):
    """decode_name traces an array name back to the Cinder id."""

    def test_round_trip(self):
        """decode_name(encode(x)) == (prefix, x) for every encoder."""
        for value in UUIDS:
            for encode, prefix in (
                    (naming.volume_name, naming.VOLUME_PREFIX),
                    (naming.snapshot_name, naming.SNAPSHOT_PREFIX),
                    (naming.clone_snapshot_name,
                     naming.CLONE_SNAPSHOT_PREFIX)):
                self.assertEqual((prefix, value),
                                 naming.decode_name(encode(value)))

    def test_foreign_names(self):
        """Names this driver did not make decode to None."""
        for name in ('', 'lun1', 'cv-', 'cv-short',
                     'cv-' + 'a' * 25, 'cv-' + 'a' * 27,
                     'cv-' + '1' * 26,  # '1' is not base32
                     'xx-' + 'a' * 26,
                     naming.DEFERRED_REGISTRY_LUN,
                     naming.deferred_lun_marker('f' * 40),
                     naming.target_name('h', '1', 0),
                     naming.auth_group_name('h')):
            self.assertIsNone(naming.decode_name(name), name)


class PrefixesTestCase(testtools.TestCase):
    """Prefixes tell the kinds of object apart."""

    def test_object_prefixes_distinct(self):
        """No prefix of a Cinder object kind starts another."""
        prefixes = naming.CINDER_PREFIXES
        self.assertEqual(len(prefixes), len(set(prefixes)))
        for one in prefixes:
            for other in prefixes:
                if one != other:
                    self.assertFalse(other.startswith(one))

    def test_deferred_prefixes_distinct(self):
        """Marker prefixes differ from each other and the object kinds."""
        markers = (naming.DEFERRED_SNAPSHOT_PREFIX,
                   naming.DEFERRED_LUN_PREFIX)
        self.assertFalse(markers[0].startswith(markers[1]))
        self.assertFalse(markers[1].startswith(markers[0]))
        for marker in markers:
            for prefix in naming.CINDER_PREFIXES:
                self.assertFalse(marker.startswith(prefix))
                self.assertFalse(prefix.startswith(marker))

    def test_registry_and_host_objects_not_cinder_objects(self):
        """Registry, targets and groups never look like volume names."""
        for name in (naming.DEFERRED_REGISTRY_LUN,
                     naming.target_name('h', '1', 0),
                     naming.auth_group_name('h')):
            for prefix in naming.CINDER_PREFIXES:
                self.assertFalse(name.startswith(prefix), name)
        self.assertTrue(naming.target_name('h', '1', 0).startswith(
            naming.TARGET_PREFIX))
        self.assertTrue(naming.auth_group_name('h').startswith(
            naming.AUTH_GROUP_PREFIX))
