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

"""Typed records of the array's answers: the one place JSON keys are read.

:class:`~cinder_ngxstorage.client.NGXStorageClient` returns the decoded
JSON of each call. The code above it (driver, exports, manage, deferred)
never reads a key of it: it hands the answer to the ``from_answer()`` of
the record below that matches the call, and reads attributes.

Parsing is defensive where the reference (and API-NOTES 9) says answers
vary: numbers may come as strings (``"vol_size": "1073741824"``,
``"lun_number": "0"``), flags as ints, strings or booleans (``1``,
``"1"``, ``"true"``), optional fields may be missing or null. A field the
driver cannot work without (an id, a target's IQN, a LUN number) that is
missing or of the wrong type, or an answer of the wrong shape (a list
where an object is due), raises
:class:`~cinder_ngxstorage.exception.InvalidResponse` with a short
description that names the field, never a value (answers may hold CHAP
secrets). So a KeyError or TypeError above this module is a bug of ours,
not a strange array.

Records are immutable; listings have the look-ups by name the driver
needs (``LunList.by_name``...).
"""

import dataclasses
import types

from cinder_ngxstorage import exception

# Longest id the driver keeps (ids go into Cinder's database and URLs).
_MAX_ID = 200


# -- field parsing ---------------------------------------------------------

def _malformed(what, problem):
    return exception.InvalidResponse(
        'the array\'s answer to %s is not understood: %s' % (what, problem))


def _object(data, what):
    if not isinstance(data, dict):
        raise _malformed(what, 'an object was expected, got %s'
                         % type(data).__name__)
    return data


def _objects(data, what):
    """The items of a JSON array of objects."""
    if not isinstance(data, list):
        raise _malformed(what, 'a list was expected, got %s'
                         % type(data).__name__)
    for item in data:
        _object(item, what + ' item')
    return data


def _optional_list(data, key, what):
    """data[key] as a list of objects; missing or null is empty."""
    value = data.get(key)
    if value is None:
        return []
    return _objects(value, '%s (%s)' % (what, key))


def require_id(value, what):
    """``value`` if it is a usable array id, else InvalidResponse.

    :param what: what the id is, for the message (``'vol_id of the new
        LUN'``).
    """
    if isinstance(value, str) and value.strip() and len(value) <= _MAX_ID:
        return value
    raise exception.InvalidResponse(
        'the array answered no usable %s (got %s)'
        % (what, type(value).__name__))


def _id(data, key, what):
    return require_id(data.get(key), '%s in %s' % (key, what))


def _text(data, key, default=None):
    """An optional scalar as text: numbers become strings."""
    value = data.get(key)
    if value is None or isinstance(value, (dict, list)):
        return default
    return str(value)


def _required_text(data, key, what):
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise _malformed(what, 'field %s missing or not a string (%s)'
                         % (key, type(value).__name__))
    return value


def _int(value, default=None):
    """An int from an int or a string of digits ("16384", "1.0")."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, (str, float)):
        try:
            return int(float(value))
        except (ValueError, OverflowError):
            return default
    return default


def _required_int(data, key, what):
    value = _int(data.get(key))
    if value is None:
        raise _malformed(what, 'field %s missing or not a number' % key)
    return value


def _flag(value):
    """True for 1, "1", true, "true", "yes", "on"."""
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    if isinstance(value, (bool, int)):
        return bool(value)
    return False


def _frozen(mapping):
    return types.MappingProxyType(dict(mapping))


class _Listing(tuple):
    """A tuple of records with look-ups by name.

    A subclass names its ``record`` class and ``what`` the answer is (for
    messages); the answer is a JSON array of that record's objects.
    """

    record = None
    what = None

    @classmethod
    def from_answer(cls, data):
        """Parse a JSON array of records."""
        return cls(cls.record.from_answer(item)
                   for item in _objects(data, cls.what))

    def by_name(self, name):
        """The first record named name, or None."""
        for record in self:
            if record.name == name:
                return record
        return None

    def by_id(self, object_id):
        """The record whose id is object_id, or None."""
        for record in self:
            if record.id == object_id:
                return record
        return None

    def has_name(self, name):
        """Whether a record is named name."""
        return self.by_name(name) is not None


def says_success(data):
    """Whether an answer says ``success`` true (1, "true"...).

    The client already turns ``success`` false into an error; an answer
    without ``success`` (``{}``, no body) confirms nothing.
    """
    return isinstance(data, dict) and _flag(data.get('success'))


# -- LUNs ------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class LunEntry:
    """A LUN as ``GET /lun/`` lists it (reference lines 1020-1045)."""

    id: str  # vol_id
    name: str
    pool: str
    owner: str

    @classmethod
    def from_answer(cls, data):
        what = 'the LUN list'
        _object(data, what)
        return cls(_id(data, 'vol_id', what), _text(data, 'name'),
                   _text(data, 'pool'), _text(data, 'owner'))


class LunList(_Listing):
    """``GET /lun/``: every LUN (name, pool, owner, vol_id)."""

    record = LunEntry
    what = 'the LUN list'

    def find(self, name, pool=None):
        """The LUN named name (in pool, when given), or None."""
        for lun in self:
            if lun.name == name and (pool is None or lun.pool == pool):
                return lun
        return None


@dataclasses.dataclass(frozen=True)
class Lun:
    """A LUN's detail (``GET /lun/{vol_id}``, items of ``/lun/list``).

    Sizes in bytes; ``protocols`` maps a protocol to the target(s) that
    export the LUN (None when the answer does not say).
    """

    id: str  # vol_id
    name: str = None  # vol_name
    pool: str = None  # pool_name
    owner: str = None
    size: int = None  # vol_size, bytes
    blocksize: int = None  # bytes
    provision_type: str = None  # 'thin' or 'full'
    compress: str = None
    dedup: str = None
    flash_cache: str = None
    dram_cache: str = None
    io_type: str = None
    qos_priority: int = None
    clone: str = ''  # '<lun>@<snapshot>' of a clone's origin
    protocols: types.MappingProxyType = None

    @classmethod
    def from_answer(cls, data, vol_id=None):
        """Parse a detail; vol_id when known (the answer's is optional)."""
        what = 'the LUN detail'
        _object(data, what)
        if vol_id is None:
            vol_id = _id(data, 'vol_id', what)
        protocols = data.get('protocols')
        if protocols is not None:
            if not isinstance(protocols, dict):
                raise _malformed(what, 'field protocols is not an object')
            protocols = _frozen(
                (str(k), None if v is None else str(v))
                for k, v in protocols.items())
        return cls(
            id=vol_id,
            name=_text(data, 'vol_name'),
            pool=_text(data, 'pool_name'),
            owner=_text(data, 'owner'),
            size=_int(data.get('vol_size')),
            blocksize=_int(data.get('blocksize')),
            provision_type=_text(data, 'provision_type'),
            compress=_text(data, 'compress'),
            dedup=_text(data, 'dedup'),
            flash_cache=_text(data, 'flash_cache'),
            dram_cache=_text(data, 'dram_cache'),
            io_type=_text(data, 'io_type'),
            qos_priority=_int(data.get('qos_priority')),
            clone=_text(data, 'clone', ''),
            protocols=protocols)

    @property
    def exported_to(self):
        """The targets that export the LUN (text), '' when none."""
        return ', '.join(v for v in (self.protocols or {}).values() if v)

    @property
    def iscsi_mapped(self):
        """Whether an iSCSI target exports it; None when not said."""
        if self.protocols is None:
            return None
        return bool(self.protocols.get('iscsi'))


class LunDetailList(_Listing):
    """``GET /lun/list``: every LUN's detail."""

    record = Lun
    what = 'the LUN detail list'


def created_lun_id(data):
    """vol_id of the LUN ``POST /lun/`` made (reference lines 851-862)."""
    what = 'the LUN create'
    luns = _objects(_object(data, what).get('luns'), what + ' (luns)')
    if not luns:
        raise _malformed(what, 'no LUN in luns')
    return require_id(luns[0].get('vol_id'), 'vol_id of the new LUN')


def cloned_lun_id(data):
    """vol_id of the LUN a snapshot clone made (reference line 1464)."""
    return require_id(_object(data, 'the clone').get('vol_id'),
                      'vol_id of the clone')


# -- snapshots -------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A LUN snapshot as listed, detailed or created.

    ``lun_name`` is the snapshot's LUN (``vol_name`` in details, ``lun_name``
    in ``GET /snapshot``); ``has_clones`` is ``binded``.
    """

    id: str  # snap_id
    name: str = None  # snap_name
    lun_name: str = None
    pool: str = None
    created: str = None  # seconds since the epoch, as the array says it
    has_clones: bool = False

    @classmethod
    def from_answer(cls, data):
        what = 'the snapshot'
        _object(data, what)
        lun_name = _text(data, 'vol_name')
        if lun_name is None:
            lun_name = _text(data, 'lun_name')
        return cls(_id(data, 'snap_id', what), _text(data, 'snap_name'),
                   lun_name, _text(data, 'pool_name'),
                   _text(data, 'created'), _flag(data.get('binded')))


class SnapshotList(_Listing):
    """The LUN snapshots of ``GET /snapshot`` or ``/snapshot/list``.

    The answer is ``{"luns": [...], "shares": [...]}``; share snapshots
    are not the driver's business. A missing ``luns`` is no snapshot.
    """

    @classmethod
    def from_answer(cls, data):
        what = 'the snapshot list'
        return cls(Snapshot.from_answer(item) for item in
                   _optional_list(_object(data, what), 'luns', what))

    def ids_by_name(self):
        """{snap_name: snap_id} of every snapshot."""
        return {snap.name: snap.id for snap in self}

    def find(self, snap_id=None, name=None):
        """The first snapshot with this id and this name (each if given)."""
        for snap in self:
            if snap_id and snap.id != snap_id:
                continue
            if name and snap.name != name:
                continue
            return snap
        return None


def created_snapshot_id(data):
    """snap_id of the snapshot ``POST /snapshot/`` made."""
    return require_id(_object(data, 'the snapshot create').get('snap_id'),
                      'snap_id of the new snapshot')


# -- iSCSI targets ---------------------------------------------------------

def lun_map(data, what='the target LUNs'):
    """{vol_id: lun_number} of the ``luns`` of a target answer.

    Target detail, target create, Add LUN and Delete LUN answers all carry
    ``luns``: items with ``vol_id`` and ``lun_number`` (a string).
    Missing or null ``luns`` is no LUN.
    """
    luns = _optional_list(_object(data, what), 'luns', what)
    return {require_id(lun.get('vol_id'), 'vol_id in ' + what):
            _required_int(lun, 'lun_number', what) for lun in luns}


def has_lun_map(data):
    """Whether a target answer carries its ``luns`` at all."""
    return isinstance(data, dict) and isinstance(data.get('luns'), list)


@dataclasses.dataclass(frozen=True)
class TargetEntry:
    """A target as ``GET /iscsi_target/`` lists it."""

    id: str  # scsi_id
    name: str  # scsi_target_name ('' when missing)
    owner: str  # '' when missing

    @classmethod
    def from_answer(cls, data):
        what = 'the target list'
        _object(data, what)
        return cls(_id(data, 'scsi_id', what),
                   _text(data, 'scsi_target_name', ''),
                   _text(data, 'owner', ''))


class TargetList(_Listing):
    """``GET /iscsi_target/``: every target (name, id, owner)."""

    record = TargetEntry
    what = 'the target list'


@dataclasses.dataclass(frozen=True)
class Target:
    """A target's detail (``GET /iscsi_target/{id}``, ``/list`` items).

    ``luns`` is its LUN map, {vol_id: lun_number}.
    """

    id: str  # scsi_id
    name: str  # scsi_target_name
    owner: str  # '' when missing
    iqn: str  # target_iqn
    iqn_name: str = None  # the array's IQN base
    group_id: str = None  # auth group
    luns: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _frozen({}))

    @classmethod
    def from_answer(cls, data, target_id=None):
        """Parse a detail; target_id when known (it is not re-checked)."""
        what = 'the target detail'
        _object(data, what)
        if target_id is None:
            target_id = _id(data, 'scsi_id', what)
        return cls(target_id,
                   _required_text(data, 'scsi_target_name', what),
                   _text(data, 'owner', ''),
                   _required_text(data, 'target_iqn', what),
                   _text(data, 'iqn_name'),
                   _text(data, 'group_id'),
                   _frozen(lun_map(data, what)))


class TargetDetailList(_Listing):
    """``GET /iscsi_target/list``: every target's detail."""

    record = Target
    what = 'the target detail list'


@dataclasses.dataclass(frozen=True)
class CreatedTarget:
    """What ``POST /target/iscsi/`` answers: the id and the LUN map.

    It has no IQN (reference lines 383-403).
    """

    id: str
    luns: types.MappingProxyType

    @classmethod
    def from_answer(cls, data):
        what = 'the target create'
        return cls(require_id(_object(data, what).get('id'),
                              'id of the new target'),
                   _frozen(lun_map(data, what)))


# -- auth groups -----------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class AuthGroupEntry:
    """An auth group as ``GET /auth_group/`` lists it."""

    id: str  # group_id
    name: str  # group_name ('' when missing)
    owner: str = None

    @classmethod
    def from_answer(cls, data):
        what = 'the auth group list'
        _object(data, what)
        return cls(_id(data, 'group_id', what),
                   _text(data, 'group_name', ''), _text(data, 'owner'))


class AuthGroupList(_Listing):
    """``GET /auth_group/``: every auth group."""

    record = AuthGroupEntry
    what = 'the auth group list'


@dataclasses.dataclass(frozen=True)
class AuthGroup:
    """An auth group's detail (``GET /auth_group/{id}``).

    ``iqns`` maps each initiator IQN to its entry id; ``chap`` is
    (username, secret) when CHAP is on (``chap_status`` 1 or true), else
    None; either may be None when the answer masks or omits it. The
    secret is kept out of the repr.
    """

    id: str  # group_id
    name: str = None
    owner: str = None
    iqns: types.MappingProxyType = dataclasses.field(
        default_factory=lambda: _frozen({}))
    chap: tuple = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_answer(cls, data, group_id=None):
        """Parse a detail; group_id when known (the answer's is optional)."""
        what = 'the auth group detail'
        _object(data, what)
        if group_id is None:
            group_id = _id(data, 'group_id', what)
        iqns = {}
        for item in _optional_list(data, 'initiator', what):
            iqns[_required_text(item, 'iqn', what)] = _text(item, 'id')
        chap = None
        if _flag(data.get('chap_status')):
            # CHAP is on. A firmware may mask the secret ('********'),
            # omit it or the whole credential: the secret is then None
            # (unknown), never the mask.
            credential = data.get('chap') or {}
            credential = _object(credential, what + ' (chap)')
            chap = (_text(credential, 'username'),
                    _secret(_text(credential, 'password')))
        return cls(group_id, _text(data, 'group_name'),
                   _text(data, 'owner'), _frozen(iqns), chap)


def _secret(value):
    """A CHAP secret as read, or None when masked or missing."""
    if not value or not value.strip('*•xX#'):
        return None
    return value


def created_group_id(data):
    """id of the auth group ``POST /auth_group/`` made."""
    return require_id(_object(data, 'the auth group create').get('id'),
                      'id of the new auth group')


# -- capacity and start-up checks ------------------------------------------

@dataclasses.dataclass(frozen=True)
class PoolCapacity:
    """One pool's ``info`` in ``GET /status/capacity``, in bytes.

    A pool the answer does not have, or a size it does not give, is 0
    (``logical_*``: None when not given).

    Which fields mean usable space is read from the reference's example
    (lines 1680-1713): ``total_size``/``free_size`` count raw space (pool
    ``test``: ``free_size`` 11215 GB where ``logical_avail`` is 7303 GB,
    a third lower: the redundancy's share), and ``logical_reserved`` is
    the space all protocols use (225168031232 against iscsi + replica +
    shares = 225133151024, 0.02 % apart), not the LUNs' provisioned
    sizes. So :attr:`free` is ``logical_avail`` and :attr:`total` is
    ``total_size`` in the same usable unit: scaled by ``logical_avail /
    free_size``. That needs no reading of ``logical_reserved`` (an array
    may answer the provisioned sizes there) and is exact where the raw
    and usable fields agree. An answer without ``logical_avail`` is read
    through the raw fields.
    """

    name: str
    total_size: int = 0  # raw
    free_size: int = 0  # raw
    allocated: int = 0  # allocated_size
    logical_avail: int = None  # usable free
    logical_reserved: int = None  # usable space used by all protocols

    @classmethod
    def from_answer(cls, data, name):
        """The capacity of pool name from the whole capacity answer."""
        entry = _object(data, 'the capacity').get(name)
        info = entry.get('info') if isinstance(entry, dict) else None
        if not isinstance(info, dict):
            return cls(name)
        return cls(name, *(_int(info.get(key), 0) for key in (
            'total_size', 'free_size', 'allocated_size')),
            *(_int(info.get(key)) for key in (
                'logical_avail', 'logical_reserved')))

    @property
    def free(self):
        """Usable free bytes (logical_avail, else free_size)."""
        if self.logical_avail is None:
            return self.free_size
        return min(self.logical_avail, self.free_size or self.logical_avail)

    @property
    def total(self):
        """Usable total bytes: total_size in the unit of logical_avail."""
        if self.logical_avail is None or self.free_size <= 0:
            # A full pool shows no ratio: its raw total, or what is used.
            if self.logical_avail is None:
                return self.total_size
            return self.free + self.allocated
        return int(self.total_size * self.free / self.free_size)

    @property
    def used(self):
        """Usable bytes in use (total - free)."""
        return max(0, self.total - self.free)


@dataclasses.dataclass(frozen=True)
class SystemInfo:
    """What the driver reads of ``GET /status/system_info``."""

    maxlun: int  # most LUNs in one target (API-NOTES 13); 64 if not said

    @classmethod
    def from_answer(cls, data):
        # "0", a negative number or none: not a usable limit. 64 then;
        # a target that is full sooner says so when a LUN is added.
        maxlun = _int(_object(data, 'the system info').get('maxlun'), 64)
        return cls(maxlun if maxlun > 0 else 64)


@dataclasses.dataclass(frozen=True)
class Licence:
    """The licence's features and validity (``GET /status/license``)."""

    features: frozenset
    expire_time: int = None  # epoch seconds; None when not said

    @classmethod
    def from_answer(cls, data):
        _object(data, 'the licence')
        return cls(frozenset(k for k, v in data.items()
                             if k not in ('expire_time', 'start_time')
                             and _flag(v)),
                   _int(data.get('expire_time')))

    def has(self, feature):
        """Whether the licence has feature ('snapshot', 'datareduce'...)."""
        return feature in self.features


@dataclasses.dataclass(frozen=True)
class Services:
    """Which services run (``GET /status/services``)."""

    states: types.MappingProxyType  # service name -> enabled (bool)

    @classmethod
    def from_answer(cls, data):
        _object(data, 'the services')
        return cls(_frozen((str(k), _flag(v)) for k, v in data.items()))

    def running(self, service):
        """Whether service is enabled; None when the answer omits it."""
        return self.states.get(service)


@dataclasses.dataclass(frozen=True)
class Rates:
    """``GET /status/iops`` or ``/status/bandwidth``: read, write, total."""

    read: int = 0
    write: int = 0
    total: int = 0

    @classmethod
    def from_answer(cls, data):
        _object(data, 'the rates')
        return cls(*(_int(data.get(key), 0)
                     for key in ('read', 'write', 'total')))


@dataclasses.dataclass(frozen=True)
class Cpu:
    """``GET /status/cpu``: utilisation in percent and load averages."""

    utilization: int = 0  # current_utilization
    average_utilization: int = 0
    load_1_min: float = 0.0

    @classmethod
    def from_answer(cls, data):
        _object(data, 'the CPU status')
        try:
            load = float(data.get('load_1_min') or 0)
        except (TypeError, ValueError):
            load = 0.0
        return cls(_int(data.get('current_utilization'), 0),
                   _int(data.get('average_utilization'), 0), load)


@dataclasses.dataclass(frozen=True)
class PoolStatus:
    """A pool's health in ``GET /status/pools``."""

    name: str  # pool_name
    status: str  # 'ONLINE' when healthy
    owner: str  # controller; '1' when not said

    @classmethod
    def from_answer(cls, data):
        what = 'the pool status'
        _object(data, what)
        return cls(_text(data, 'pool_name'), _text(data, 'status'),
                   _text(data, 'owner', '1'))


class PoolStatusList(_Listing):
    """``GET /status/pools``: every pool's health."""

    record = PoolStatus
    what = 'the pool status'


@dataclasses.dataclass(frozen=True)
class PortalGroup:
    """A portal group, listed or detailed (API-NOTES 11)."""

    id: str
    name: str = None  # portal_name
    listen_ips: tuple = ()  # 'ip' or 'ip:port' (detail only)
    owner: str = None  # controller (None when not said)

    @classmethod
    def from_answer(cls, data):
        what = 'the portal group'
        _object(data, what)
        return cls(_id(data, 'id', what), _text(data, 'portal_name'),
                   _listen_ips(data.get('listen_ips'), what),
                   _text(data, 'owner'))


_ADDRESS_KEYS = ('ip', 'address', 'addr', 'host', 'listen_ip', 'ip_address')


def _listen_ips(value, what):
    """``listen_ips`` as 'ip' / 'ip:port' / '[v6]:port' strings.

    The reference never shows its items (API-NOTES 11): a list of strings,
    of objects (``{"ip": ..., "port": ...}``), or one string of addresses
    separated by commas or spaces are all read.
    """
    if not value:
        return ()
    if isinstance(value, str):
        value = value.replace(',', ' ').split()
    if not isinstance(value, (list, tuple)):
        raise _malformed(what, 'field listen_ips is not a list')
    found = []
    for item in value:
        if isinstance(item, dict):
            address = next((str(item[k]) for k in _ADDRESS_KEYS
                            if item.get(k) not in (None, '')), None)
            if address is None:
                raise _malformed(what, 'a listen_ips item has no address')
            port = _int(item.get('port'))
            if port:
                if ':' in address and not address.startswith('['):
                    address = '[%s]' % address
                address = '%s:%d' % (address, port)
            found.append(address)
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            found.extend(str(item).replace(',', ' ').split())
        else:
            raise _malformed(what, 'a listen_ips item is a %s'
                             % type(item).__name__)
    return tuple(found)


class PortalGroupList(_Listing):
    """``GET /portal_group``: every portal group."""

    record = PortalGroup
    what = 'the portal group list'

    def find(self, id_or_name):
        """The group whose id or name is id_or_name, or None."""
        return self.by_id(id_or_name) or self.by_name(id_or_name)
