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
# The longest namespace: the tightest fit of the array's limits.
NAMES = naming.HostNames('abcdefgh',
                         'b42ecdf4c9a0e6677546fb4da04b0ebede0476e5')
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
            name = NAMES.auth_group_name(host)
            self.assertRegex(name, AUTH_GROUP_RE)
            self.assertLessEqual(len(name), 30)

    def test_target_names(self):
        """Target names: 1-30 of [A-Za-z0-9_-] for plausible indexes."""
        for host in HOSTS:
            for owner in OWNERS:
                for index in (0, 1, 9, 10, 99, 999):
                    self.assertRegex(
                        NAMES.target_name(host, owner, index),
                        TARGET_NAME_RE)

    def test_chap_user_names(self):
        """CHAP user names: 1-64 of [A-Za-z0-9._-]."""
        for host in HOSTS:
            self.assertRegex(NAMES.chap_username(host), CHAP_USER_RE)

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
            self.assertEqual(NAMES.auth_group_name(host),
                             NAMES.auth_group_name(host))
            self.assertEqual(NAMES.target_name(host, 'X_A', 3),
                             NAMES.target_name(host, 'X_A', 3))
            self.assertEqual(NAMES.chap_username(host),
                             NAMES.chap_username(host))

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
        groups = {NAMES.auth_group_name(h) for h in HOSTS}
        self.assertEqual(len(HOSTS), len(groups))
        targets = {NAMES.target_name(h, o, i) for h in HOSTS
                   for o in ('1', 'X_A', 'X_B') for i in range(12)}
        self.assertEqual(len(HOSTS) * 3 * 12, len(targets))

    def test_target_index_round_trip(self):
        """target_index reads back the index of a host's target."""
        for host in HOSTS[:4]:
            for owner in OWNERS:
                for index in (0, 1, 10, 11, 123):
                    name = NAMES.target_name(host, owner, index)
                    self.assertEqual(index,
                                     NAMES.target_index(host, owner, name))

    def test_target_index_foreign_names(self):
        """Another host's, owner's or a foreign target is not ours."""
        name = NAMES.target_name('compute-1', 'X_A', 0)
        self.assertIsNone(NAMES.target_index('compute-2', 'X_A', name))
        self.assertIsNone(NAMES.target_index('compute-1', 'X_B', name))
        self.assertIsNone(NAMES.target_index('compute-1', 'X_A', 'tgt1'))
        self.assertIsNone(NAMES.target_index('compute-1', 'X_A',
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
                     NAMES.target_name('h', '1', 0),
                     NAMES.auth_group_name('h')):
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
                     NAMES.target_name('h', '1', 0),
                     NAMES.auth_group_name('h')):
            for prefix in naming.CINDER_PREFIXES:
                self.assertFalse(name.startswith(prefix), name)
        self.assertTrue(NAMES.target_name('h', '1', 0).startswith(
            naming.TARGET_PREFIX))
        self.assertTrue(NAMES.auth_group_name('h').startswith(
            naming.AUTH_GROUP_PREFIX))


class NamespaceTestCase(testtools.TestCase):
    """Host objects of two deployments (or portal groups) never clash."""

    def test_namespaces_validated(self):
        for good in ('a', 'abc123', 'abcdefgh', naming.new_namespace()):
            self.assertTrue(naming.valid_namespace(good), good)
            naming.HostNames(good)
        for bad in ('', 'ABC', 'abcdefghi', 'a-b', 'a b', None):
            self.assertFalse(naming.valid_namespace(bad), bad)
            self.assertRaises(ValueError, naming.HostNames, bad)

    def test_generated_namespaces_differ(self):
        self.assertEqual(50, len({naming.new_namespace()
                                  for _i in range(50)}))

    def test_every_namespace_fits(self):
        for ns in ('a', 'abcd', 'abcdefgh'):
            names = naming.HostNames(ns, 'pg')
            for host in HOSTS:
                group = names.auth_group_name(host)
                self.assertRegex(group, AUTH_GROUP_RE)
                self.assertEqual(30, len(group))
                target = names.target_name(host, 'X_B', 999)
                self.assertRegex(target, TARGET_NAME_RE)
                self.assertTrue(names.owns_target(target))
                self.assertTrue(names.owns_auth_group(group))
                self.assertEqual(names.lock_key(host),
                                 names.lock_key_of(target))
                self.assertEqual(names.lock_key(host),
                                 names.lock_key_of(group))
                self.assertEqual(999, names.target_index(host, 'X_B',
                                                         target))

    def test_two_deployments_never_share_names(self):
        one, two = naming.HostNames('one'), naming.HostNames('two')
        for host in HOSTS:
            self.assertNotEqual(one.auth_group_name(host),
                                two.auth_group_name(host))
            self.assertNotEqual(one.chap_username(host),
                                two.chap_username(host))
            self.assertNotEqual(one.lock_key(host), two.lock_key(host))
            target = one.target_name(host, '1', 0)
            self.assertFalse(two.owns_target(target))
            self.assertFalse(two.owns_auth_group(one.auth_group_name(host)))
            self.assertIsNone(two.target_index(host, '1', target))
        # A namespace that is a prefix of another is not confused with it.
        self.assertFalse(naming.HostNames('ab').owns_auth_group(
            naming.HostNames('abc').auth_group_name('h')))
        self.assertFalse(naming.HostNames('ab').owns_target(
            naming.HostNames('abc').target_name('h', '1', 0)))

    def test_portal_groups_have_their_own_targets(self):
        one, two = naming.HostNames('ns', 'pg1'), naming.HostNames('ns', 'pg2')
        target = one.target_name('compute-1', '1', 0)
        self.assertNotEqual(target, two.target_name('compute-1', '1', 0))
        self.assertIsNone(two.target_index('compute-1', '1', target))
        # One deployment: the same group, a target of either is its own.
        self.assertEqual(one.auth_group_name('h'), two.auth_group_name('h'))
        self.assertTrue(two.owns_target(target))
        self.assertFalse(two.owns_target(target, any_portal_group=False))
        self.assertEqual(one.lock_key('compute-1'), two.lock_key_of(target))

    def test_legacy_names(self):
        """Names of driver 1.1 are recognised, and never ours."""
        names = naming.HostNames('ns')
        group = naming.legacy_auth_group_name('compute-1')
        self.assertTrue(naming.is_legacy_auth_group_name(group))
        self.assertFalse(names.owns_auth_group(group))
        legacy_target = 'ch-%s-a0' % naming._digest('compute-1', 20)
        self.assertTrue(naming.is_legacy_target_name(legacy_target))
        self.assertFalse(names.owns_target(legacy_target))
        self.assertEqual(0, naming.legacy_target_index(
            'compute-1', 'X_A', legacy_target))
        self.assertEqual(names.lock_key('compute-1'),
                         names.lock_key_of(legacy_target))
        self.assertFalse(naming.is_legacy_target_name(
            names.target_name('compute-1', '1', 0)))
        self.assertFalse(naming.is_legacy_auth_group_name(
            names.auth_group_name('compute-1')))

    def test_registry_names(self):
        names = {naming.registry_lun_name(ns, backend)
                 for ns in ('a', 'abcdefgh') for backend in ('b1', 'b2')}
        self.assertEqual(4, len(names))
        for name in names | {naming.DEFERRED_REGISTRY_LUN}:
            self.assertRegex(name, LUN_NAME_RE)
            self.assertTrue(naming.is_registry_name(name))
        self.assertFalse(naming.is_registry_name('cinder-dd-x'))
