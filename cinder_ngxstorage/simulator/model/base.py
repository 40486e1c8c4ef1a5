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

"""The model's core: the array's objects, their ids, lookups and rules.

:class:`ModelBase` holds the plain data every other part works on (pools,
LUNs, snapshots, targets, auth groups, the portal groups, schedules,
licence, logs and counters), builds a fresh array from pool specs, finds
objects by id within the calling key's pool scope, and enforces the rules
shared by the parts (licence, owners, OFFLINE pools, unique LUN names).
It raises :mod:`.errors` domain errors and knows nothing of HTTP.

Also here: the array's constants, :class:`RequestContext` and the parsers
of the simulator's own configuration (pool specs, portals, portal
groups).
"""

import ipaddress
import logging
import re
import secrets
import threading
import time

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator import backing as backing_mod
from cinder_ngxstorage.simulator.model import errors
from cinder_ngxstorage.simulator.model import readings

LOG = logging.getLogger(__name__)

APP_VERSION = '2.4.1'
OS_VERSION = '13.2'
PRODUCT = 'H2000G2'

MAX_LUNS_PER_TARGET = 64
DEFAULT_ISCSI_PORT = 3260
MAX_SNAPSHOTS_PER_LUN = 2048
MAX_LUN_BYTES = 1 << 50           # 1 PiB
MAX_QUANTITY = api_spec.MAX_QUANTITY
NEW_LUN_USED = 4096
SNAPSHOT_RESERVED = 57344
LOG_RETENTION = 10000
OVERLOAD_RATIO = 0.9

DEFAULT_GROUP_ID = '1'
DEFAULT_GROUP_NAME = 'DefaultAuthGroup'
DEFAULT_PORTAL_NAME = 'DefaultPortalGroup'
TARGET_IQN_BASE = 'iqn.2015-03.com.ngxio.'
SCSI_LUNID_PREFIX = '589c00'

UNITS = {'B': 1, 'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40,
         'P': 1 << 50}
BLOCKSIZES = {'auto': 16384, '4k': 4096, '8k': 8192, '16k': 16384,
              '32k': 32768, '64k': 65536, '128k': 131072}
POOL_STATUSES = ('ONLINE', 'DEGRADED', 'OFFLINE')

# Configuration formats (start-up, not requests): a pool name as the API
# takes it, a service tag, a pool owner and a size such as '100G'.
POOL_NAME_RE = re.compile(api_spec.POOL_NAME[0])
SERVICE_TAG_RE = re.compile(r'^[A-Za-z0-9]{1,18}$')
OWNER_RE = re.compile(api_spec.OWNER[0])
PORTAL_GROUP_NAME_RE = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')
SIZE_RE = re.compile(r'^\s*([0-9]+)\s*([BKMGTP]?)(?:I?B)?\s*$', re.IGNORECASE)


class RequestContext(object):
    """Who is calling: built by the server for each request.

    ``pools`` is None when the key may see every pool, else a frozenset of
    the pool names (pool ids are accepted too) the key is limited to.
    """

    def __init__(self, key_name='admin', pools=None,
                 remote_addr='127.0.0.1', user_agent=''):
        self.key_name = key_name
        self.pools = None if pools is None else frozenset(pools)
        self.remote_addr = remote_addr
        self.user_agent = user_agent

    def __repr__(self):
        return ('RequestContext(key_name=%r, pools=%r, remote_addr=%r)'
                % (self.key_name, self.pools, self.remote_addr))


def parse_size(text):
    """Return the number of bytes in a size such as ``'100G'``.

    Units are binary (K, M, G, T, P; an optional ``B``/``iB`` suffix is
    accepted); a bare number is a byte count. ValueError when invalid.
    """
    if isinstance(text, bool):
        raise ValueError('invalid size %r' % (text,))
    if isinstance(text, int):
        if text <= 0:
            raise ValueError('size must be positive')
        return text
    match = SIZE_RE.match(str(text))
    if not match:
        raise ValueError('invalid size %r' % (text,))
    number = int(match.group(1))
    unit = (match.group(2) or 'B').upper()
    size = number * UNITS[unit]
    if size <= 0:
        raise ValueError('size must be positive: %r' % (text,))
    return size


def parse_pool_spec(text):
    """Parse ``NAME:SIZE[:OWNER]`` into ``(name, size_bytes, owner)``.

    ``owner`` is None (single controller), ``'A'``/``'B'`` or a full owner
    name such as ``'NGXSIM01_B'``, as given. ValueError when invalid.
    """
    parts = str(text).split(':')
    if len(parts) not in (2, 3):
        raise ValueError('pool spec must be NAME:SIZE[:OWNER], got %r'
                         % (text,))
    name = parts[0]
    if not POOL_NAME_RE.match(name):
        raise ValueError('pool name must be 1-20 letters or digits: %r'
                         % (name,))
    size = parse_size(parts[1])
    owner = parts[2] if len(parts) == 3 and parts[2] else None
    if owner is not None and not OWNER_RE.match(owner):
        raise ValueError('invalid pool owner %r' % (owner,))
    return name, size, owner


def parse_portal_group_spec(text, normalise=True):
    """Parse ``NAME:OWNER:IP[:PORT][,IP[:PORT]...]``.

    Returns ``(name, owner, [portal, ...])``; ``owner`` as given (``A``,
    ``B``, ``1`` or a full owner name), each portal ``ip:port`` (as
    written when not ``normalise``). IPv6 portals are written
    ``[addr]:port``. ValueError when invalid.
    """
    name, sep, rest = str(text).partition(':')
    owner, sep2, listen = rest.partition(':')
    if not (sep and sep2 and name and owner and listen):
        raise ValueError('portal group spec must be '
                         'NAME:OWNER:IP[:PORT][,IP[:PORT]...], got %r'
                         % (text,))
    if not PORTAL_GROUP_NAME_RE.match(name):
        raise ValueError('invalid portal group name %r' % (name,))
    if not OWNER_RE.match(owner):
        raise ValueError('invalid portal group owner %r' % (owner,))
    listen = [p.strip() for p in listen.split(',')]
    if normalise:
        listen = [normalise_portal(p) for p in listen]
    return name, owner, listen


def normalise_portal(text):
    """Return ``ip:port`` (``[v6]:port``); port 3260 by default."""
    text = str(text).strip()
    port = DEFAULT_ISCSI_PORT
    if text.startswith('['):
        host, _sep, rest = text[1:].partition(']')
        if rest:
            if not rest.startswith(':'):
                raise ValueError('invalid portal %r' % text)
            port = rest[1:]
    elif text.count(':') == 1:
        host, port = text.split(':')
    else:
        host = text
    try:
        address = ipaddress.ip_address(host)
        port = int(port)
    except ValueError:
        raise ValueError('invalid portal %r: IP[:PORT] expected' % text)
    if not 0 < port < 65536:
        raise ValueError('invalid portal port in %r' % text)
    if address.version == 6:
        return '[%s]:%d' % (address, port)
    return '%s:%d' % (address, port)


class ModelBase(object):
    """The array's data, its construction, lookups and shared rules.

    ``pools`` is an iterable of pool specs (``'pool1:100G'``,
    ``'pool2:50G:B'``) or tuples ``(name, size[, owner])``. A pool owner
    ``A``/``B`` (or ``<SERVICETAG>_A``/``_B``) makes the array
    dual-controller; pools without one then belong to controller A.

    ``portal_groups`` is None (one group, ``DefaultPortalGroup``, owned by
    the first controller, listening on ``portals``) or an iterable of
    specs ``NAME:OWNER:IP[:PORT][,IP[:PORT]...]`` or tuples ``(name,
    owner, [portals])``; an owner ``A``/``B`` is read as for pools.
    """

    def __init__(self, pools, portals=('127.0.0.1:3260',),
                 service_tag='NGXSIM01', backing=None, on_change=None,
                 reading=None, portal_groups=None):
        if not isinstance(service_tag, str) or not SERVICE_TAG_RE.match(
                service_tag):
            raise ValueError('service tag must be 1-18 letters or digits')
        self._init_runtime(backing, on_change, reading)
        self._ids = set()
        self._service_tag = service_tag
        specs = [self._pool_spec(p) for p in pools]
        dual = any(owner is not None for _n, _s, owner in specs)
        self._owners = ([service_tag + '_A', service_tag + '_B'] if dual
                        else ['1'])
        self._pools = {}
        disk = 0
        for name, size, owner in specs:
            if name in self._pools:
                raise ValueError('duplicate pool name %r' % name)
            disks = []
            for _i in range(2):
                disk += 1
                disks.append(disk)
            self._pools[name] = {
                'id': self._new_id(), 'name': name, 'size': size,
                'owner': self._owner_of(owner), 'status': 'ONLINE',
                'disks': disks, 'raidtype': 'raid1'}
        self._portal_groups = self._build_portal_groups(portals,
                                                        portal_groups)
        # Controllers taken down by failover (see model.controllers).
        self._failed = []
        self._moved = {}
        self._luns = {}
        self._snaps = {}
        self._targets = {}
        self._groups = {DEFAULT_GROUP_ID: {
            'id': DEFAULT_GROUP_ID, 'name': DEFAULT_GROUP_NAME,
            'owner': None, 'chap': None, 'initiators': []}}
        self._schedules = {}
        now = int(self.boot_time)
        self._license = {
            'autosnapshot': 1, 'clone': 1, 'datareduce': 1,
            'encryption': 1, 'expire_time': now + 365 * 86400,
            'flashcache': 1, 'flashtier': 1, 'hdd_capacity': '3000000',
            'metroscale': 1, 'none_vendor_drive': 1, 'replication': 1,
            's3': '3000000', 'snapshot': 1, 'software_update': 1,
            'ssd_capacity': '3000000', 'start_time': now - 30 * 86400}
        self._logs = {'alert': [], 'audit': [], 'system_event': []}
        self._counters = {'alert': 0, 'audit': 0, 'system_event': 0,
                          'snap_seq': 0, 'auto': 0}
        self._reindex()
        self._boot_logs()

    def _init_runtime(self, backing, on_change, reading):
        """Set what a state has besides its data (also used by load)."""
        self.lock = threading.RLock()
        self.backing = backing if backing is not None else (
            backing_mod.NullBacking())
        self.on_change = on_change
        self.reading = reading if reading is not None else readings.STRICT
        # Services switched off by an admin (set_service); not dumped.
        self._services_off = set()
        # Failovers and failbacks so far (the HTTP front fails the
        # requests in flight at one); not dumped.
        self.failover_epoch = 0
        self.boot_time = time.time()

    def _build_portal_groups(self, portals, specs):
        """The portal groups, id -> record, in the given order."""
        if specs is None:
            specs = [(DEFAULT_PORTAL_NAME, None, list(portals))]
        groups = {}
        names = set()
        seen = set()
        for spec in specs:
            if isinstance(spec, str):
                name, owner, listen = parse_portal_group_spec(spec)
            else:
                name, owner, listen = tuple(spec)
                listen = [normalise_portal(p) for p in listen]
            if not listen:
                raise ValueError('portal group %s has no portal' % name)
            if name in names:
                raise ValueError('duplicate portal group name %r' % name)
            for portal in listen:
                if portal in seen:
                    raise ValueError('portal %s is in two portal groups'
                                     % portal)
                seen.add(portal)
            names.add(name)
            group = {'id': self._new_id(), 'name': name,
                     'owner': self._owner_of(owner),
                     'listen_ips': list(listen)}
            groups[group['id']] = group
        if not groups:
            raise ValueError('at least one portal group is needed')
        return groups

    @staticmethod
    def _pool_spec(spec):
        if isinstance(spec, str):
            return parse_pool_spec(spec)
        spec = tuple(spec)
        if len(spec) not in (2, 3):
            raise ValueError('pool tuple must be (name, size[, owner])')
        name = spec[0]
        if not isinstance(name, str) or not POOL_NAME_RE.match(name):
            raise ValueError('pool name must be 1-20 letters or digits: %r'
                             % (name,))
        owner = spec[2] if len(spec) == 3 and spec[2] else None
        return name, parse_size(spec[1]), owner

    def _owner_of(self, owner):
        if len(self._owners) == 1:
            if owner is not None and str(owner) not in (
                    '1', 'A', 'a', self._owners[0]):
                raise ValueError('owner %r on a single-controller array '
                                 '(give a pool an owner A or B for two)'
                                 % (owner,))
            return self._owners[0]
        if owner is None:
            return self._owners[0]
        text = str(owner)
        if text.upper() in ('A', 'B'):
            return '%s_%s' % (self._service_tag, text.upper())
        if text in self._owners:
            return text
        raise ValueError('pool owner must be A, B, %s or %s, got %r'
                         % (self._owners[0], self._owners[1], text))

    def _boot_logs(self):
        self._add_alert('INFO', 'System started (simulator %s)'
                        % APP_VERSION)
        for pool in self._pools.values():
            self._add_alert('INFO', 'Pool %s imported' % pool['name'])
        for sensor in ('PS1 Status #0xc8', 'PS2 Status #0xc9'):
            self._add_log('system_event', action='Asserted',
                          function='Presence detected', sensor=sensor)

    def _new_id(self):
        while True:
            new = secrets.token_hex(20)
            if new not in self._ids:
                self._ids.add(new)
                return new

    def _new_scsi_lunid(self):
        prefix = SCSI_LUNID_PREFIX + self._service_tag.encode().hex()
        while True:
            candidate = prefix + secrets.token_hex(8)
            if candidate not in self._scsi_lunids:
                self._scsi_lunids.add(candidate)
                return candidate

    # -- public properties -------------------------------------------------

    @property
    def service_tag(self):
        """The array's service tag (``NGXSIM01`` by default)."""
        return self._service_tag

    @property
    def owners(self):
        """Controller names: ``['1']`` or ``[TAG_A, TAG_B]``."""
        return list(self._owners)

    @property
    def dual_controller(self):
        """True when the array has two controllers."""
        return len(self._owners) == 2

    @property
    def portal_group_id(self):
        """Id of the array's first portal group."""
        return next(iter(self._portal_groups))

    @property
    def portals(self):
        """Every portal group's listen addresses, ``ip:port``."""
        with self.lock:
            return [p for g in self._portal_groups.values()
                    for p in g['listen_ips']]

    def portal_groups(self):
        """The portal groups: [{id, name, owner, listen_ips}] (a copy)."""
        with self.lock:
            return [dict(g, listen_ips=list(g['listen_ips']))
                    for g in self._portal_groups.values()]

    # -- side effects: persistence callback, data-plane hooks --------------

    def _changed(self):
        if self.on_change is None:
            return
        try:
            self.on_change(self)
        except Exception:
            LOG.exception('Simulator on_change callback failed')

    def _hook(self, name, *args):
        """Call a data-plane hook; its failure is :class:`Unavailable`."""
        method = getattr(self.backing, name, None)
        if method is None:
            return None
        try:
            return method(*args)
        except errors.DomainError:
            raise
        except Exception as exc:
            LOG.exception('Simulator data plane hook %s failed', name)
            raise errors.Unavailable('data plane failure in %s: %s'
                                     % (name, type(exc).__name__))

    # -- shared rules --------------------------------------------------------

    def _check_license_valid(self):
        if self._license['expire_time'] < time.time():
            raise errors.Conflict('licence expired', 'licence')

    def _check_licensed(self, feature):
        if not self._license.get(feature):
            raise errors.Conflict('feature %s is not licensed' % feature,
                                  'licence')

    def _check_owner(self, params, obj_owner, what):
        owner = params['owner']
        if owner != obj_owner:
            raise errors.Invalid('owner %s does not match the %s owner %s'
                                 % (owner, what, obj_owner))

    def _valid_owner(self, params):
        owner = params['owner']
        if owner not in self._owners:
            raise errors.Invalid('owner must be one of %s'
                                 % ', '.join(self._owners))
        if owner in self._failed:
            raise errors.Conflict('controller %s is down (failed over): '
                                  'create it on the other controller'
                                  % owner, 'controller')
        return owner

    @staticmethod
    def _check_pool_writable(pool):
        if pool['status'] == 'OFFLINE':
            raise errors.Conflict('pool %s is OFFLINE' % pool['name'],
                                  'offline')

    def _check_lun_writable(self, lun):
        """A LUN (and its snapshots) may change only in a pool not OFFLINE."""
        self._check_pool_writable(self._pools[lun['pool']])

    def _check_lun_name_free(self, name):
        if name in self._lun_names:
            raise errors.Conflict('LUN name %s already exists' % name,
                                  'exists')

    # -- lookups within the key's pool scope ---------------------------------

    @staticmethod
    def _in_scope(ctx, pool):
        return (ctx.pools is None or pool['name'] in ctx.pools
                or pool['id'] in ctx.pools)

    def _scoped_pools(self, ctx):
        return [p for p in self._pools.values() if self._in_scope(ctx, p)]

    def _lun_in_scope(self, ctx, lun):
        return self._in_scope(ctx, self._pools[lun['pool']])

    def _pool_by_name(self, ctx, name):
        pool = self._pools.get(name)
        if pool is None:
            raise errors.NotFound('pool %s not found' % name)
        if not self._in_scope(ctx, pool):
            raise errors.Forbidden('pool %s is outside the key\'s scope'
                                   % name)
        return pool

    def _pool_by_id(self, ctx, pool_id):
        for pool in self._pools.values():
            if pool['id'] == pool_id:
                if not self._in_scope(ctx, pool):
                    raise errors.Forbidden('pool %s is outside the key\'s '
                                           'scope' % pool_id)
                return pool
        raise errors.NotFound('pool %s not found' % pool_id)

    def _lun(self, ctx, vol_id):
        lun = self._luns.get(vol_id) if isinstance(vol_id, str) else None
        if lun is None:
            raise errors.NotFound('LUN %s not found' % (vol_id,))
        if not self._lun_in_scope(ctx, lun):
            raise errors.Forbidden('LUN %s is in a pool outside the key\'s '
                                   'scope' % vol_id)
        return lun

    def _snap(self, ctx, snap_id):
        snap = self._snaps.get(snap_id) if isinstance(snap_id, str) else None
        if snap is None:
            raise errors.NotFound('snapshot %s not found' % (snap_id,))
        if not self._lun_in_scope(ctx, self._luns[snap['vol_id']]):
            raise errors.Forbidden('snapshot %s is in a pool outside the '
                                   'key\'s scope' % snap_id)
        return snap

    def _target(self, target_id):
        target = (self._targets.get(target_id)
                  if isinstance(target_id, str) else None)
        if target is None:
            raise errors.NotFound('iSCSI target %s not found'
                                  % (target_id,))
        return target

    def _group(self, group_id):
        group = (self._groups.get(group_id)
                 if isinstance(group_id, str) else None)
        if group is None:
            raise errors.NotFound('auth group %s not found' % (group_id,))
        return group

    def _portal(self, portal_group_id):
        group = (self._portal_groups.get(portal_group_id)
                 if isinstance(portal_group_id, str) else None)
        if group is None:
            raise errors.NotFound('portal group %s not found'
                                  % (portal_group_id,))
        return group
