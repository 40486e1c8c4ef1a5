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

Host objects are named from a digest of the connector's host name (host
names are free text and can be long): auth group ``cinder<24 chars>``,
targets ``ch-<20 chars>-<owner tag><n>``.
"""

import base64
import hashlib
import re
import uuid

VOLUME_PREFIX = 'cv-'
SNAPSHOT_PREFIX = 'cs-'
CLONE_SNAPSHOT_PREFIX = 'ci-'
# The temporary clone through which a snapshot is attached (a backup).
SNAPSHOT_EXPORT_PREFIX = 'ce-'
# Objects whose name starts with one of these were made by this driver.
CINDER_PREFIXES = (VOLUME_PREFIX, SNAPSHOT_PREFIX, CLONE_SNAPSHOT_PREFIX,
                   SNAPSHOT_EXPORT_PREFIX)

# The LUN whose snapshots record objects waiting for deletion (see
# driver docs, "deferred deletion").
DEFERRED_REGISTRY_LUN = 'cinder-deferred-delete'
DEFERRED_SNAPSHOT_PREFIX = 'snap-'
DEFERRED_LUN_PREFIX = 'lun-'

AUTH_GROUP_PREFIX = 'cinder'
TARGET_PREFIX = 'ch-'


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


def auth_group_name(host):
    """Auth group of a connector host: 30 alphanumerics."""
    return AUTH_GROUP_PREFIX + _digest(host, 24)


def chap_username(host):
    """CHAP user name of a connector host."""
    return 'cinder-' + _digest(host, 24)


def owner_tag(owner):
    """One lower-case character naming a controller: 'a', 'b' or '1'."""
    return owner[-1].lower() if owner else '1'


def target_name(host, owner, index):
    """Target number index of a host for LUNs of controller owner."""
    return '%s%s-%s%d' % (TARGET_PREFIX, _digest(host, 20),
                          owner_tag(owner), index)


def target_index(host, owner, name):
    """Index of a target this driver named for (host, owner), else None."""
    stem = '%s%s-%s' % (TARGET_PREFIX, _digest(host, 20), owner_tag(owner))
    if name.startswith(stem) and name[len(stem):].isdigit():
        return int(name[len(stem):])
    return None


def deferred_snapshot_marker(snap_id):
    """Marker (a registry snapshot name) for a snapshot awaiting deletion."""
    return DEFERRED_SNAPSHOT_PREFIX + snap_id


def deferred_lun_marker(vol_id):
    """Marker (a registry snapshot name) for a LUN awaiting deletion."""
    return DEFERRED_LUN_PREFIX + vol_id


_TARGET_NAME_RE = re.compile(r'^%s[a-z2-7]{20}-[ab1][0-9]+$'
                             % re.escape(TARGET_PREFIX))
_AUTH_GROUP_NAME_RE = re.compile(r'^%s[a-z2-7]{24}$'
                                 % re.escape(AUTH_GROUP_PREFIX))


def is_target_name(name):
    """Whether name is a host target this driver names (any host)."""
    return bool(_TARGET_NAME_RE.match(name or ''))


def is_auth_group_name(name):
    """Whether name is a host auth group this driver names (any host)."""
    return bool(_AUTH_GROUP_NAME_RE.match(name or ''))
