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

"""How Cinder objects are named on the array.

The array limits LUN and target names to 30 characters of
``[A-Za-z0-9_-]`` and auth group names to 30 alphanumerics, so a Cinder
UUID (36 characters) does not fit as it is. Its 16 bytes in lower-case
base32 without padding are 26 characters; a three character prefix says what
the object is. The encoding is reversible, so an array object can always be
traced back to the Cinder object it belongs to:

=================  ===================================  ===================
prefix             object                               encoded id
=================  ===================================  ===================
``cv-``            LUN of a Cinder volume               volume.name_id
``cs-``            snapshot of a Cinder snapshot        snapshot.id
``ci-``            internal snapshot for a clone        new volume name_id
=================  ===================================  ===================

Host objects (auth groups, targets, CHAP user names) are named from the
*deployment namespace* and a digest of the connector's host name (host
names are free text and can be long, and two OpenStack clouds may both
have a ``compute-1``). The namespace is 1-8 lower-case letters or digits:
``ngxstorage_namespace`` when set, else a random id generated once per
Cinder deployment and kept in Cinder's database (see
``doc/source/shared-arrays.rst``). With ``<ns>`` the namespace, ``<h>`` a
digest of the host and ``<p>`` a digest of the portal group:

=================  ==========================================  ===========
object             name                                        length
=================  ==========================================  ===========
auth group         ``cg<len(ns)><ns><h>``                      30
target             ``ct-<ns>-<h10><p>-<owner tag><n>``         27 + digits
CHAP user name     ``cinder-<ns>-<h16>``                       <= 32
=================  ==========================================  ===========

The digest ``<h10>`` (the first 10 characters of the host's digest) is
shared by every name of a host, so the host's lock key follows from any
of its objects' names. :class:`HostNames` makes and recognises the names
of one namespace and portal group; its ``owns_*`` predicates are the one
place that says "a host object of THIS deployment".

Before namespaces (driver 1.1) the names were ``cinder<h24>`` (auth
group) and ``ch-<h20>-<owner tag><n>`` (target), the same for every
deployment; the ``legacy_*`` functions recognise them for the upgrade
path only.
"""

import base64
import hashlib
import re
import secrets
import uuid

VOLUME_PREFIX = 'cv-'
SNAPSHOT_PREFIX = 'cs-'
CLONE_SNAPSHOT_PREFIX = 'ci-'
# The temporary clone through which a snapshot is attached (a backup).
SNAPSHOT_EXPORT_PREFIX = 'ce-'
# Objects whose name starts with one of these were made by this driver.
CINDER_PREFIXES = (VOLUME_PREFIX, SNAPSHOT_PREFIX, CLONE_SNAPSHOT_PREFIX,
                   SNAPSHOT_EXPORT_PREFIX)

# The LUN whose snapshots recorded objects waiting for deletion before
# namespaces (driver 1.1, one per array); now see registry_lun_name.
DEFERRED_REGISTRY_LUN = 'cinder-deferred-delete'
DEFERRED_SNAPSHOT_PREFIX = 'snap-'
DEFERRED_LUN_PREFIX = 'lun-'

AUTH_GROUP_PREFIX = 'cg'
TARGET_PREFIX = 'ct-'
CHAP_USER_PREFIX = 'cinder-'
# Names made before namespaces (driver 1.1): the upgrade path only.
LEGACY_AUTH_GROUP_PREFIX = 'cinder'
LEGACY_TARGET_PREFIX = 'ch-'
# The deferred-deletion registry of a backend (see registry_lun_name).
REGISTRY_PREFIX = 'cinder-dd-'

NAMESPACE_RE = re.compile(r'^[a-z0-9]{1,8}$')
# Length of a generated namespace: 6 base32 characters, 30 bits.
GENERATED_NAMESPACE_LENGTH = 6
_HOST_KEY_LENGTH = 10


def _encode_uuid(value):
    raw = uuid.UUID(str(value)).bytes
    return base64.b32encode(raw).decode('ascii').rstrip('=').lower()


def _decode_uuid(text):
    padded = text.upper() + '=' * (-len(text) % 8)
    return str(uuid.UUID(bytes=base64.b32decode(padded)))


def _digest(text, length):
    digest = hashlib.sha256(text.encode('utf-8')).digest()
    return base64.b32encode(digest).decode('ascii').lower()[:length]


def volume_name(name_id):
    """Array LUN name of a Cinder volume (from volume.name_id)."""
    return VOLUME_PREFIX + _encode_uuid(name_id)


def snapshot_name(snapshot_id):
    """Array snapshot name of a Cinder snapshot."""
    return SNAPSHOT_PREFIX + _encode_uuid(snapshot_id)


def clone_snapshot_name(name_id):
    """Internal snapshot taken to clone a volume into volume name_id."""
    return CLONE_SNAPSHOT_PREFIX + _encode_uuid(name_id)


def snapshot_export_name(snapshot_id):
    """LUN name of the temporary clone that exports a Cinder snapshot."""
    return SNAPSHOT_EXPORT_PREFIX + _encode_uuid(snapshot_id)


def decode_name(name):
    """Return (prefix, uuid) for a name this driver made, else None."""
    for prefix in CINDER_PREFIXES:
        if name.startswith(prefix) and len(name) == len(prefix) + 26:
            try:
                return prefix, _decode_uuid(name[len(prefix):])
            except ValueError:
                return None
    return None


def valid_namespace(namespace):
    """Whether namespace is 1-8 lower-case letters or digits."""
    return bool(NAMESPACE_RE.match(namespace or ''))


def new_namespace():
    """A random namespace for a new deployment (lower-case base32)."""
    raw = secrets.token_bytes(5)
    return base64.b32encode(raw).decode('ascii').lower()[
        :GENERATED_NAMESPACE_LENGTH]


def owner_tag(owner):
    """One lower-case character naming a controller: 'a', 'b' or '1'."""
    return owner[-1].lower() if owner else '1'


class HostNames(object):
    """Names of the host objects of one deployment and portal group."""

    def __init__(self, namespace, portal_group=''):
        if not valid_namespace(namespace):
            raise ValueError('namespace %r is not 1-8 lower-case letters '
                             'or digits' % (namespace,))
        self.namespace = namespace
        self.portal_group = str(portal_group or '')
        size = len(namespace)
        # Fill each name to the array's 30 characters: the shorter the
        # namespace, the longer the digests.
        self._group_digest = 27 - size
        self._portal = _digest('portal-group:' + self.portal_group,
                               11 - size)
        self._group_re = re.compile(r'^%s%d%s([a-z2-7]{%d})$' % (
            AUTH_GROUP_PREFIX, size, namespace, self._group_digest))
        self._target_re = re.compile(
            r'^%s%s-([a-z2-7]{%d})([a-z2-7]{%d})-([a-z0-9])([0-9]{1,3})$'
            % (TARGET_PREFIX, namespace, _HOST_KEY_LENGTH, 11 - size))

    def __repr__(self):
        return 'HostNames(%r, %r)' % (self.namespace, self.portal_group)

    def auth_group_name(self, host):
        """Auth group of a connector host: 30 alphanumerics."""
        return '%s%d%s%s' % (AUTH_GROUP_PREFIX, len(self.namespace),
                             self.namespace,
                             _digest(host, self._group_digest))

    def chap_username(self, host):
        """CHAP user name of a connector host."""
        return '%s%s-%s' % (CHAP_USER_PREFIX, self.namespace,
                            _digest(host, 16))

    def _target_stem(self, host):
        return '%s%s-%s%s-' % (TARGET_PREFIX, self.namespace,
                               _digest(host, _HOST_KEY_LENGTH),
                               self._portal)

    def target_name(self, host, owner, index):
        """Target number index (0-999) of a host on controller owner."""
        return '%s%s%d' % (self._target_stem(host), owner_tag(owner), index)

    def target_index(self, host, owner, name):
        """Index of a target named for (host, owner), else None."""
        stem = self._target_stem(host) + owner_tag(owner)
        if name.startswith(stem) and name[len(stem):].isdigit():
            return int(name[len(stem):])
        return None

    def is_target_of(self, host, name):
        """Whether name is one of host's targets, on either controller.

        The owner tag in the name is the controller it was made on; a
        failover gives the target to the other one, so every tag is tried.
        """
        return any(self.target_index(host, tag, name) is not None
                   for tag in ('A', 'B', '1'))

    def lock_key(self, host):
        """Coordination lock key of a host in this namespace."""
        return '%s-%s' % (self.namespace, _digest(host, _HOST_KEY_LENGTH))

    def owns_auth_group(self, name):
        """Whether name is a host auth group of this namespace."""
        return bool(self._group_re.match(name or ''))

    def owns_target(self, name, any_portal_group=True):
        """Whether name is a host target of this namespace.

        Of any portal group (the deployment's other backends) unless
        any_portal_group is False.
        """
        match = self._target_re.match(name or '')
        if not match:
            return False
        return any_portal_group or match.group(2) == self._portal

    def lock_key_of(self, name):
        """Lock key of the host of a target or auth group name, or None.

        Our names and legacy ones (their digest starts the same way, so
        a legacy object locks with its host here); None for others.
        """
        match = self._target_re.match(name or '')
        if match:
            return '%s-%s' % (self.namespace, match.group(1))
        match = self._group_re.match(name or '')
        if match:
            # Every digest of a host starts the same way.
            return '%s-%s' % (self.namespace,
                              match.group(1)[:_HOST_KEY_LENGTH])
        for prefix, test in ((LEGACY_TARGET_PREFIX, is_legacy_target_name),
                             (LEGACY_AUTH_GROUP_PREFIX,
                              is_legacy_auth_group_name)):
            if test(name):
                return '%s-%s' % (self.namespace,
                                  name[len(prefix):][:_HOST_KEY_LENGTH])
        return None


def legacy_auth_group_name(host):
    """The auth group driver 1.1 made for a host (every deployment)."""
    return LEGACY_AUTH_GROUP_PREFIX + _digest(host, 24)


def legacy_target_index(host, owner, name):
    """Index of a target driver 1.1 named for (host, owner), else None."""
    stem = '%s%s-%s' % (LEGACY_TARGET_PREFIX, _digest(host, 20),
                        owner_tag(owner))
    if name.startswith(stem) and name[len(stem):].isdigit():
        return int(name[len(stem):])
    return None


def registry_lun_name(namespace, backend):
    """Deferred-deletion registry LUN of one backend of a deployment."""
    return '%s%s-%s' % (REGISTRY_PREFIX, namespace,
                        _digest('backend:' + backend, 19 - len(namespace)))


def is_registry_name(name):
    """Whether name is a registry LUN (any deployment, or legacy)."""
    return name == DEFERRED_REGISTRY_LUN or bool(
        _REGISTRY_NAME_RE.match(name or ''))


def deferred_snapshot_marker(snap_id):
    """Marker (a registry snapshot name) for a snapshot awaiting deletion."""
    return DEFERRED_SNAPSHOT_PREFIX + snap_id


def deferred_lun_marker(vol_id):
    """Marker (a registry snapshot name) for a LUN awaiting deletion."""
    return DEFERRED_LUN_PREFIX + vol_id


_LEGACY_TARGET_NAME_RE = re.compile(r'^%s[a-z2-7]{20}-[a-z0-9][0-9]+$'
                                    % re.escape(LEGACY_TARGET_PREFIX))
_LEGACY_AUTH_GROUP_NAME_RE = re.compile(
    r'^%s[a-z2-7]{24}$' % re.escape(LEGACY_AUTH_GROUP_PREFIX))
_REGISTRY_NAME_RE = re.compile(r'^%s[a-z0-9]{1,8}-[a-z2-7]{11,18}$'
                               % re.escape(REGISTRY_PREFIX))


def is_legacy_target_name(name):
    """Whether name is a target driver 1.1 named (any deployment)."""
    return bool(_LEGACY_TARGET_NAME_RE.match(name or ''))


def is_legacy_auth_group_name(name):
    """Whether name is an auth group driver 1.1 named (any deployment)."""
    return bool(_LEGACY_AUTH_GROUP_NAME_RE.match(name or ''))
