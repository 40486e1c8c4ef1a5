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

"""The array model of the NGXStorage simulator.

:class:`ArrayState` holds everything an NGXStorage array knows about its
pools, LUNs, snapshots, iSCSI targets, auth groups, schedules and logs, as
plain Python data. It has one method per REST operation of the API
reference v2.4.1 (named after the operation id, ``lun.create`` ->
``lun_create``), each taking a :class:`RequestContext` and a dict of
already validated parameters and returning the JSON-able response body.
Semantic failures raise :class:`ApiError` carrying the HTTP status.

The module is pure standard-library Python with no HTTP: the HTTP front
(``server.py``) validates formats, checks keys and calls in here. Every
operation runs atomically under one re-entrant lock; the data-plane hooks
(``backing.py``) are called inside the operation, and ``on_change`` after
every successful mutation. The reading decisions the model takes where the
reference is silent are listed in ``doc/source/simulator-model.rst``.
"""

import contextlib
import copy
import functools
import ipaddress
import logging
import re
import secrets
import threading
import time
import uuid

from cinder_ngxstorage.simulator import backing as backing_mod

LOG = logging.getLogger(__name__)

#: Version of the :meth:`ArrayState.dump` format.
DUMP_FORMAT = 1

APP_VERSION = '2.4.1'
OS_VERSION = '13.2'
PRODUCT = 'H2000G2'

MAX_LUNS_PER_TARGET = 64
MAX_SNAPSHOTS_PER_LUN = 2048
MAX_LUN_BYTES = 1 << 50           # 1 PiB
MAX_QUANTITY = 100
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
LUN_UNITS = ('M', 'G', 'T')
BLOCKSIZES = {'auto': 16384, '4k': 4096, '8k': 8192, '16k': 16384,
              '32k': 32768, '64k': 65536, '128k': 131072}
QOS_PRIORITIES = (4, 8, 16, 32, 64, 128)
IO_TYPES = ('transactional', 'sequential')
ON_OFF = ('on', 'off')
POOL_STATUSES = ('ONLINE', 'DEGRADED', 'OFFLINE')
ALERT_TYPES = ('INFO', 'WARNING', 'ERROR', 'FATAL')

LUN_NAME_RE = re.compile(r'^[A-Za-z0-9_-]{1,30}$')
TARGET_NAME_RE = LUN_NAME_RE
GROUP_NAME_RE = re.compile(r'^[A-Za-z0-9]{1,30}$')
SNAP_NAME_RE = re.compile(r'^[A-Za-z0-9_-]{1,999}$')
POOL_NAME_RE = re.compile(r'^[A-Za-z0-9]{1,20}$')
SERVICE_TAG_RE = re.compile(r'^[A-Za-z0-9]{1,18}$')
CHAP_USER_RE = re.compile(r'^[A-Za-z0-9._-]{1,64}$')
CHAP_SECRET_RE = re.compile(r'^[\x21-\x7e]{12,16}$')
IQN_ALIAS_RE = re.compile(r'^[A-Za-z0-9_.:-]{1,64}$')
_LABEL = r'[a-z0-9](?:[a-z0-9-]*[a-z0-9])?'
# Naming authority in lower case (a reversed DNS name), identifier after
# the colon in either case: what real initiators generate.
IQN_RE = re.compile(r'^iqn\.[0-9]{4}-(?:0[1-9]|1[0-2])\.%s(?:\.%s)*'
                    r'(?::[A-Za-z0-9._:-]+)?$' % (_LABEL, _LABEL))
EUI_RE = re.compile(r'^eui\.[0-9A-Fa-f]{16}$')
NAA_RE = re.compile(r'^naa\.(?:[0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$')
IQN_MAX_LEN = 223
SIZE_RE = re.compile(r'^\s*([0-9]+)\s*([BKMGTP]?)(?:I?B)?\s*$', re.IGNORECASE)
CRON_FIELD_RE = re.compile(r'^[0-9*,-]+$')
CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))

DAY_NAMES = ('Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday',
             'Friday', 'Saturday', 'Sunday')
MONTH_NAMES = (None, 'January', 'February', 'March', 'April', 'May', 'June',
               'July', 'August', 'September', 'October', 'November',
               'December')
_WDAY_ABBR = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MON_ABBR = (None, 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug',
             'Sep', 'Oct', 'Nov', 'Dec')

#: Method and documented path of every mutating operation, for the audit
#: log (the state does not see the HTTP request, only its parameters).
MUTATING_OPS = {
    'auth_group.create': ('POST', '/api/v2/auth_group/'),
    'auth_group.delete': ('DELETE', '/api/v2/auth_group/{id}'),
    'auth_group.rename': ('PATCH', '/api/v2/auth_group/{id}'),
    'auth_group.chap_set': ('PATCH', '/api/v2/auth_group/chap/{id}'),
    'auth_group.chap_delete': ('DELETE', '/api/v2/auth_group/chap/{id}'),
    'auth_group.iqn_add': ('PATCH', '/api/v2/auth_group/iqn/{id}'),
    'auth_group.iqn_delete': ('DELETE',
                              '/api/v2/auth_group/iqn/{iqn_id}/'),
    'iscsi_target.create': ('POST', '/api/v2/target/iscsi/'),
    'iscsi_target.delete': ('DELETE', '/api/v2/iscsi_target/{id}'),
    'iscsi_target.rename': ('PATCH', '/api/v2/iscsi_target/{id}'),
    'iscsi_target.portal_group': (
        'PATCH', '/api/v2/iscsi_target/portal_group/{target_id}'),
    'iscsi_target.auth_group': (
        'PATCH', '/api/v2/iscsi_target/auth_group/{target_id}'),
    'iscsi_target.lun_add': ('PUT', '/api/v2/iscsi_target/lun/{id}/'),
    'iscsi_target.lun_remove': ('PATCH', '/api/v2/iscsi_target/lun/{id}'),
    'lun.create': ('POST', '/api/v2/lun/'),
    'lun.delete': ('DELETE', '/api/v2/lun/{vol_id}'),
    'lun.modify': ('PATCH', '/api/v2/lun/{vol_id}'),
    'snapshot.create': ('POST', '/api/v2/snapshot/'),
    'snapshot.delete': ('DELETE', '/api/v2/snapshot/{snap_id}'),
    'snapshot.delete_all': ('DELETE', '/api/v2/snapshot/all/{vol_id}'),
    'snapshot.clone': ('POST', '/api/v2/snapshot/clone/{snap_id}'),
    'snapshot.restore': ('POST', '/api/v2/snapshot/restore/{snap_id}'),
    'snapshot.schedule_create': ('POST',
                                 '/api/v2/snapshot/schedule/{vol_id}'),
    'snapshot.schedule_delete': ('DELETE',
                                 '/api/v2/snapshot/schedule/{vol_id}'),
}

#: Sortable fields of each log (``host`` is the audit entry's ``rhost``).
LOG_SORT_FIELDS = {
    'alert': ('id', 'time', 'event_id', 'type', 'description'),
    'audit': ('time', 'id', 'user', 'host', 'agent', 'description'),
    'system_event': ('time', 'id', 'function', 'action', 'sensor'),
}


class ApiError(Exception):
    """A failed API operation, carrying the HTTP status to answer.

    ``message`` is the array's words for the failure; it never contains a
    secret (CHAP secret, key).
    """

    def __init__(self, status, message):
        super(ApiError, self).__init__(message)
        self.status = int(status)
        self.message = message

    def __repr__(self):
        return 'ApiError(%d, %r)' % (self.status, self.message)


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
    if owner is not None and not re.match(r'^[A-Za-z0-9_-]{1,20}$', owner):
        raise ValueError('invalid pool owner %r' % (owner,))
    return name, size, owner


def valid_iqn(name):
    """Tell whether ``name`` is an RFC 3720 iSCSI name (iqn, eui, naa)."""
    if not isinstance(name, str) or len(name) > IQN_MAX_LEN:
        return False
    return bool(IQN_RE.match(name) or EUI_RE.match(name)
                or NAA_RE.match(name))


def describe_cron(cron_time):
    """Return the array-style human reading (``h_read``) of a cron line.

    ``'5 * * * *'`` reads ``' 5 minutes past every hour of every day'``,
    as in the reference. ApiError 400 when the expression is invalid.
    """
    minute, hour, dom, month, dow = _cron_fields(cron_time)
    if minute == '*':
        minute_text = 'every minute'
    elif minute.isdigit():
        minute_text = '%s minutes' % minute
    else:
        minute_text = 'minutes %s' % minute
    if hour == '*':
        hour_text = 'every hour'
    elif hour.isdigit():
        hour_text = 'hour %s' % hour
    else:
        hour_text = 'hours %s' % hour
    month_text = (None if month == '*'
                  else _cron_names(month, MONTH_NAMES))
    if dom == '*' and dow == '*':
        day_text = 'every day'
        if month_text:
            day_text += ' in %s' % month_text
    elif dom == '*':
        day_text = 'every %s' % _cron_names(dow, DAY_NAMES)
        if month_text:
            day_text += ' in %s' % month_text
    else:
        day_text = 'day %s of %s' % (dom, month_text or 'every month')
        if dow != '*':
            day_text += ' and every %s' % _cron_names(dow, DAY_NAMES)
    return ' %s past %s of %s' % (minute_text, hour_text, day_text)


def _cron_names(field, names):
    return re.sub(r'[0-9]+', lambda m: names[int(m.group(0))], field)


def _cron_fields(cron_time):
    if not isinstance(cron_time, str):
        raise ApiError(400, 'cron_time must be a string')
    fields = cron_time.split()
    if len(fields) != 5:
        raise ApiError(400, 'cron_time must have 5 fields: minute hour '
                            'day-of-month month day-of-week')
    for field, (low, high) in zip(fields, CRON_RANGES):
        if not CRON_FIELD_RE.match(field):
            raise ApiError(400, 'invalid cron field %r' % field)
        if field == '*':
            continue
        for item in field.split(','):
            bounds = item.split('-')
            if (len(bounds) not in (1, 2)
                    or not all(b.isdigit() for b in bounds)):
                raise ApiError(400, 'invalid cron field %r' % field)
            values = [int(b) for b in bounds]
            if any(v < low or v > high for v in values) or (
                    len(values) == 2 and values[0] > values[1]):
                raise ApiError(400, 'cron field %r out of range %d-%d'
                               % (field, low, high))
    return fields


def _new_hex():
    return secrets.token_hex(20)


def _fmt_local(ts, fmt):
    return time.strftime(fmt, time.localtime(ts))


def _array_date(ts):
    """Format like the array's ``date``: 'Mon Apr 1 09:48:29 +03 2024'."""
    lt = time.localtime(ts)
    offset = lt.tm_gmtoff or 0
    sign = '-' if offset < 0 else '+'
    hours, rest = divmod(abs(offset), 3600)
    zone = '%s%02d' % (sign, hours)
    if rest // 60:
        zone += '%02d' % (rest // 60)
    return '%s %s %d %s %s %d' % (
        _WDAY_ABBR[lt.tm_wday], _MON_ABBR[lt.tm_mon], lt.tm_mday,
        time.strftime('%H:%M:%S', lt), zone, lt.tm_year)


def _uptime_text(seconds):
    seconds = max(0, int(seconds))
    parts = []
    for unit, length in (('day', 86400), ('hour', 3600), ('minute', 60)):
        count, seconds = divmod(seconds, length)
        if count or parts:
            parts.append('%d %s%s' % (count, unit, '' if count == 1 else 's'))
    parts.append('%d second%s' % (seconds, '' if seconds == 1 else 's'))
    return ', '.join(parts)


def _parse_time_bound(text, end):
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        raise ApiError(400, 'invalid time filter %r' % (text,))
    value = text.strip()
    if value.isdigit():
        return float(value)
    # An end bound given to the day (or minute) includes that whole day
    # (or minute).
    for fmt, span in (('%Y-%m-%d %H:%M:%S', 0), ('%Y-%m-%dT%H:%M:%S', 0),
                      ('%m/%d/%Y %H:%M:%S', 0),
                      ('%Y-%m-%d %H:%M', 59), ('%Y-%m-%dT%H:%M', 59),
                      ('%Y-%m-%d', 86399), ('%m/%d/%Y', 86399)):
        try:
            parsed = time.strptime(value, fmt)
        except ValueError:
            continue
        stamp = time.mktime(parsed)
        return stamp + span if end else stamp
    raise ApiError(400, 'invalid time filter %r' % (text,))


def _render_path(template, params):
    return re.sub(r'\{(\w+)\}',
                  lambda m: str(params.get(m.group(1), m.group(0))),
                  template)


# Parameter readers: the server validates formats, but the state must not
# crash when called directly with a missing or badly typed value.

def _req_str(params, key):
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise ApiError(400, '%s is required and must be a string' % key)
    return value


def _opt_choice(params, key, choices, default=None):
    value = params.get(key)
    if value is None:
        return default
    if value not in choices:
        raise ApiError(400, '%s must be one of %s' % (
            key, ', '.join(str(c) for c in choices)))
    return value


def _req_int(params, key, default=None):
    value = params.get(key)
    if value is None:
        value = default
    if value is None:
        raise ApiError(400, '%s is required' % key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError(400, '%s must be an integer' % key)
    return value


def _str_list(params, key, required):
    value = params.get(key)
    if value is None:
        if required:
            raise ApiError(400, '%s is required' % key)
        return []
    if (not isinstance(value, (list, tuple))
            or not all(isinstance(v, str) and v for v in value)):
        raise ApiError(400, '%s must be an array of strings' % key)
    if len(set(value)) != len(value):
        raise ApiError(400, '%s lists the same id twice' % key)
    return list(value)


def _mutation(op_id):
    """Wrap a mutating operation: lock, licence, audit, on_change.

    The wrapped function returns ``(response, description)``; the
    description (object names, never secrets) goes to the audit log.
    """
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, ctx=None, params=None):
            ctx = ctx if ctx is not None else RequestContext()
            params = dict(params or {})
            with self.lock:
                self._check_license_valid()
                try:
                    response, description = func(self, ctx, params)
                except ApiError as exc:
                    if exc.status >= 500:
                        # A data-plane hook failed part way: whatever was
                        # committed before must still be persisted.
                        self._changed()
                    raise
                except Exception as exc:
                    LOG.exception('Simulator operation %s failed', op_id)
                    self._changed()
                    raise ApiError(500, 'internal error in %s: %s'
                                   % (op_id, type(exc).__name__))
                method, template = MUTATING_OPS[op_id]
                self._audit(ctx, '%s %s: %s' % (
                    method, _render_path(template, params), description))
                self._changed()
                return response
        wrapper.op_id = op_id
        wrapper.mutating = True
        return wrapper
    return decorator


def _read(op_id):
    """Wrap a read operation: lock, default context, params copy."""
    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, ctx=None, params=None):
            ctx = ctx if ctx is not None else RequestContext()
            params = dict(params or {})
            with self.lock:
                return func(self, ctx, params)
        wrapper.op_id = op_id
        wrapper.mutating = False
        return wrapper
    return decorator


class ArrayState(object):
    """The simulated array: control-plane state and its 60 operations.

    ``pools`` is an iterable of pool specs (``'pool1:100G'``,
    ``'pool2:50G:B'``) or tuples ``(name, size[, owner])``. A pool owner
    ``A``/``B`` (or ``<SERVICETAG>_A``/``_B``) makes the array
    dual-controller; pools without one then belong to controller A.
    """

    def __init__(self, pools, portals=('127.0.0.1:3260',),
                 service_tag='NGXSIM01', backing=None, on_change=None):
        if not isinstance(service_tag, str) or not SERVICE_TAG_RE.match(
                service_tag):
            raise ValueError('service tag must be 1-18 letters or digits')
        self.lock = threading.RLock()
        self.backing = backing if backing is not None else (
            backing_mod.NullBacking())
        self.on_change = on_change
        self.boot_time = time.time()
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
        listen = [_normalise_portal(p) for p in portals]
        self._portal_group = {'id': self._new_id(),
                              'name': DEFAULT_PORTAL_NAME,
                              'owner': self._owners[0],
                              'listen_ips': listen}
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

    # ----------------------------------------------------------------
    # construction helpers
    # ----------------------------------------------------------------

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
            new = _new_hex()
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

    def _reindex(self):
        """Build the indexes that keep requests O(1) on big arrays.

        LUN names, SCSI LUN ids and each pool's model usage (see
        :meth:`_count_lun`) are kept up to date by the operations; they
        are derived, never dumped.
        """
        self._lun_names = {lun['name'] for lun in self._luns.values()}
        self._scsi_lunids = {lun['scsi_lunid']
                             for lun in self._luns.values()}
        self._usage = {name: {'luns': 0, 'provisioned': 0, 'snapshots': 0}
                       for name in self._pools}
        for lun in self._luns.values():
            self._count_lun(lun, 1)
        for snap in self._snaps.values():
            self._count_snap(snap, 1)

    def _count_lun(self, lun, sign):
        """Add (sign 1) or remove (-1) a LUN's share of its pool usage."""
        usage = self._usage[lun['pool']]
        usage['luns'] += sign * (lun['used'] if lun['thin'] else lun['size'])
        usage['provisioned'] += sign * lun['size']

    def _count_snap(self, snap, sign):
        """Add (sign 1) or remove (-1) a snapshot's reserved bytes."""
        pool = self._luns[snap['vol_id']]['pool']
        self._usage[pool]['snapshots'] += sign * snap['reserved']

    # ----------------------------------------------------------------
    # public properties and admin helpers
    # ----------------------------------------------------------------

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
        """Id of the array's only portal group."""
        return self._portal_group['id']

    @property
    def portals(self):
        """The portal group's listen addresses, ``ip:port``."""
        return list(self._portal_group['listen_ips'])

    def set_pool_status(self, name, status):
        """Set a pool's health (ONLINE, DEGRADED or OFFLINE).

        Raises ApiError 404 for an unknown pool, 400 for a bad status.
        A status change raises an alert. An OFFLINE pool refuses LUN and
        snapshot changes with 409.
        """
        with self.lock:
            pool = self._pools.get(name)
            if pool is None:
                raise ApiError(404, 'pool %s not found' % name)
            status = str(status).upper()
            if status not in POOL_STATUSES:
                raise ApiError(400, 'pool status must be one of %s'
                               % ', '.join(POOL_STATUSES))
            if pool['status'] != status:
                pool['status'] = status
                level = {'ONLINE': 'INFO', 'DEGRADED': 'WARNING',
                         'OFFLINE': 'ERROR'}[status]
                self._add_alert(level, 'Pool %s state changed to %s'
                                % (name, status))
            self._changed()

    def set_license(self, **flags):
        """Change licence fields (``snapshot=0``, ``expire_time=...``).

        Feature flags take 0/1 (or booleans); capacities take strings;
        times take epoch seconds. An unknown field raises ApiError 400.
        """
        with self.lock:
            update = {}
            for key, value in flags.items():
                if key not in self._license:
                    raise ApiError(400, 'unknown licence field %s' % key)
                current = self._license[key]
                if isinstance(current, str):
                    update[key] = str(value)
                elif isinstance(value, (bool, int, float)):
                    update[key] = int(value)
                else:
                    raise ApiError(400, 'licence field %s takes a number'
                                   % key)
            self._license.update(update)
            if update:
                self._add_alert('INFO', 'Licence updated: %s' % ', '.join(
                    '%s=%s' % (k, update[k]) for k in sorted(update)))
            self._changed()

    def run_schedule(self, vol_id):
        """Fire a LUN's snapshot schedule once.

        Creates the snapshot ``auto-<epoch>-<n>`` and deletes the oldest
        unbound scheduled snapshots beyond ``keep_max``. Returns the
        snapshot (create-response shape) plus ``pruned`` (snapshot names).
        ApiError 404 without LUN or schedule, 409 as snapshot create.
        """
        with self.lock:
            lun = self._luns.get(vol_id)
            if lun is None:
                raise ApiError(404, 'LUN %s not found' % vol_id)
            schedule = self._schedules.get(vol_id)
            if schedule is None:
                raise ApiError(404, 'LUN %s has no snapshot schedule'
                               % lun['name'])
            self._check_license_valid()
            self._check_licensed('autosnapshot')
            self._counters['auto'] += 1
            name = 'auto-%d-%d' % (int(time.time()), self._counters['auto'])
            try:
                snap = self._take_snapshot(lun, name, scheduled=True)
            except ApiError as exc:
                self._add_alert('ERROR', 'Scheduled snapshot of LUN %s '
                                'failed: %s' % (lun['name'], exc.message))
                self._changed()
                raise
            pruned = []
            mine = sorted((s for s in self._snaps.values()
                           if s['vol_id'] == vol_id and s['scheduled']),
                          key=lambda s: s['seq'])
            excess = len(mine) - schedule['keep_max']
            bound = self._bound_snap_ids()
            try:
                for old in mine:
                    if excess <= 0:
                        break
                    if old['snap_id'] in bound:
                        continue
                    self._hook('snapshot_deleted', old['snap_id'])
                    self._count_snap(old, -1)
                    del self._snaps[old['snap_id']]
                    pruned.append(old['name'])
                    excess -= 1
            finally:
                self._add_alert('INFO', 'Scheduled snapshot %s of LUN %s '
                                'created%s' % (
                                    name, lun['name'],
                                    '; pruned %s' % ', '.join(pruned)
                                    if pruned else ''))
                self._changed()
            response = self._snap_create_view(snap)
            response['pruned'] = pruned
            return response

    # ----------------------------------------------------------------
    # internal checks and lookups
    # ----------------------------------------------------------------

    def _changed(self):
        if self.on_change is None:
            return
        try:
            self.on_change(self)
        except Exception:
            LOG.exception('Simulator on_change callback failed')

    def _hook(self, name, *args):
        method = getattr(self.backing, name, None)
        if method is None:
            return None
        try:
            return method(*args)
        except ApiError:
            raise
        except Exception as exc:
            LOG.exception('Simulator data plane hook %s failed', name)
            raise ApiError(500, 'data plane failure in %s: %s'
                           % (name, type(exc).__name__))

    def _exports_watched(self):
        """Whether the data plane wants export changes (not NullBacking).

        Without one, neither the view nor the rollback copy is made: they
        cost time in proportion to every target and auth group.
        """
        hook = getattr(self.backing, 'exports_changed', None)
        return hook is not None and getattr(hook, '__func__', None) is not (
            backing_mod.NullBacking.exports_changed)

    def _exports_changed(self, saved=None):
        """Tell the data plane; on failure restore ``saved`` and raise."""
        if not self._exports_watched():
            return
        try:
            self._hook('exports_changed', self._export_view())
        except ApiError:
            if saved is None:
                # The change (a resize, a rollback) is already on the
                # data plane: keep the model in step with it.
                LOG.warning('Simulator data plane refused an export '
                            'update; model kept')
                return
            self._targets, self._groups = saved
            raise

    @contextlib.contextmanager
    def _export_change(self):
        """Change targets or auth groups, then mirror it on the data plane.

        If the data plane refuses, the model goes back to what it was
        before the change and the operation fails.
        """
        saved = None
        if self._exports_watched():
            saved = copy.deepcopy(self._targets), copy.deepcopy(self._groups)
        yield
        self._exports_changed(saved)

    def _check_license_valid(self):
        if self._license['expire_time'] < time.time():
            raise ApiError(409, 'licence expired')

    def _check_licensed(self, feature):
        if not self._license.get(feature):
            raise ApiError(409, 'feature %s is not licensed' % feature)

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
            raise ApiError(404, 'pool %s not found' % name)
        if not self._in_scope(ctx, pool):
            raise ApiError(403, 'pool %s is outside the key\'s scope' % name)
        return pool

    def _pool_by_id(self, ctx, pool_id):
        for pool in self._pools.values():
            if pool['id'] == pool_id:
                if not self._in_scope(ctx, pool):
                    raise ApiError(403, 'pool %s is outside the key\'s '
                                        'scope' % pool_id)
                return pool
        raise ApiError(404, 'pool %s not found' % pool_id)

    def _lun(self, ctx, vol_id):
        lun = self._luns.get(vol_id) if isinstance(vol_id, str) else None
        if lun is None:
            raise ApiError(404, 'LUN %s not found' % (vol_id,))
        if not self._lun_in_scope(ctx, lun):
            raise ApiError(403, 'LUN %s is in a pool outside the key\'s '
                                'scope' % vol_id)
        return lun

    def _snap(self, ctx, snap_id):
        snap = self._snaps.get(snap_id) if isinstance(snap_id, str) else None
        if snap is None:
            raise ApiError(404, 'snapshot %s not found' % (snap_id,))
        if not self._lun_in_scope(ctx, self._luns[snap['vol_id']]):
            raise ApiError(403, 'snapshot %s is in a pool outside the '
                                'key\'s scope' % snap_id)
        return snap

    def _target(self, target_id):
        target = (self._targets.get(target_id)
                  if isinstance(target_id, str) else None)
        if target is None:
            raise ApiError(404, 'iSCSI target %s not found' % (target_id,))
        return target

    def _group(self, group_id):
        group = (self._groups.get(group_id)
                 if isinstance(group_id, str) else None)
        if group is None:
            raise ApiError(404, 'auth group %s not found' % (group_id,))
        return group

    def _portal(self, portal_group_id):
        if portal_group_id != self._portal_group['id']:
            raise ApiError(404, 'portal group %s not found'
                           % (portal_group_id,))
        return self._portal_group

    @staticmethod
    def _check_owner(params, obj_owner, what):
        owner = _req_str(params, 'owner')
        if owner != obj_owner:
            raise ApiError(400, 'owner %s does not match the %s owner %s'
                           % (owner, what, obj_owner))

    def _valid_owner(self, params):
        owner = _req_str(params, 'owner')
        if owner not in self._owners:
            raise ApiError(400, 'owner must be one of %s'
                           % ', '.join(self._owners))
        return owner

    @staticmethod
    def _check_group_mutable(group):
        if group['id'] == DEFAULT_GROUP_ID:
            raise ApiError(409, '%s cannot be changed or deleted'
                           % DEFAULT_GROUP_NAME)

    @staticmethod
    def _check_pool_writable(pool):
        if pool['status'] == 'OFFLINE':
            raise ApiError(409, 'pool %s is OFFLINE' % pool['name'])

    def _check_lun_name_free(self, name):
        if name in self._lun_names:
            raise ApiError(409, 'LUN name %s already exists' % name)

    # ----------------------------------------------------------------
    # capacity
    # ----------------------------------------------------------------

    def _lun_used(self, lun):
        used = self._hook('used_bytes', lun['vol_id'])
        if used is None:
            return lun['used']
        return max(0, int(used))

    def _lun_consumption(self, lun, used=None):
        if lun['thin']:
            return self._lun_used(lun) if used is None else used
        return lun['size']

    def _live_used_bytes(self):
        """Whether the data plane reports LUN usage (not NullBacking's)."""
        hook = getattr(self.backing, 'used_bytes', None)
        return hook is not None and getattr(hook, '__func__', None) is not (
            backing_mod.NullBacking.used_bytes)

    def _pool_usage(self, pool_name):
        index = self._usage[pool_name]
        luns_bytes = index['luns']
        provisioned = index['provisioned']
        snaps_bytes = index['snapshots']
        if self._live_used_bytes():
            # Thin LUNs use what the data plane says: add them up.
            luns_bytes = 0
            for lun in self._luns.values():
                if lun['pool'] == pool_name:
                    luns_bytes += self._lun_consumption(lun)
        total = self._pools[pool_name]['size']
        consumed = luns_bytes + snaps_bytes
        return {'total': total, 'consumed': consumed,
                'free': max(0, total - consumed),
                'provisioned': provisioned, 'luns': luns_bytes,
                'snapshots': snaps_bytes}

    def _pool_free(self, pool_name):
        return self._pool_usage(pool_name)['free']

    def _need_space(self, pool_name, needed, what):
        free = self._pool_free(pool_name)
        if needed > free:
            raise ApiError(409, 'not enough space in pool %s for %s: %d '
                           'bytes needed, %d free'
                           % (pool_name, what, needed, free))

    def _capacity_info(self, pool):
        usage = self._pool_usage(pool['name'])
        return {
            'allocated_size': str(usage['consumed']),
            'compress_ratio': '1.00',
            'dedup_ratio': '1.00x',
            'free_size': str(usage['free']),
            'logical_avail': str(usage['free']),
            'logical_reserved': str(usage['provisioned']),
            'total_size': str(usage['total']),
        }, {
            'iscsi': str(usage['consumed']),
            'replica': '0',
            'shares': '0',
        }

    # ----------------------------------------------------------------
    # indexes computed on demand
    # ----------------------------------------------------------------

    def _bound_snap_ids(self):
        return {lun['clone_of'] for lun in self._luns.values()
                if lun['clone_of']}

    def _newest_snap_ids(self):
        newest = {}
        for snap in self._snaps.values():
            best = newest.get(snap['vol_id'])
            if best is None or snap['seq'] > best['seq']:
                newest[snap['vol_id']] = snap
        return {s['snap_id'] for s in newest.values()}

    def _mapping(self):
        """vol_id -> list of targets mapping it, in creation order."""
        mapping = {}
        for target in self._targets.values():
            for entry in target['luns']:
                mapping.setdefault(entry['vol_id'], []).append(target)
        return mapping

    def _snaps_of(self, vol_id):
        return sorted((s for s in self._snaps.values()
                       if s['vol_id'] == vol_id), key=lambda s: s['seq'])

    # ----------------------------------------------------------------
    # renderers (the reference's shapes, field for field)
    # ----------------------------------------------------------------

    def _lun_detail(self, lun, mapping=None, snap_bytes=None):
        if mapping is None:
            mapping = self._mapping()
        if snap_bytes is None:
            snap_bytes = sum(s['reserved'] for s in self._snaps.values()
                             if s['vol_id'] == lun['vol_id'])
        targets = mapping.get(lun['vol_id'], [])
        pool = self._pools[lun['pool']]
        return {
            'blocksize': str(lun['blocksize']),
            'clone': lun['clone'],
            'dedup': lun['dedup'],
            'vol_size': str(lun['size']),
            'pool_name': lun['pool'],
            'compress_ratio': '1.00' if lun['compress'] == 'on' else '-',
            'owner': pool['owner'],
            'vol_name': lun['name'],
            'qos_priority': lun['qos_priority'],
            'vol_id': lun['vol_id'],
            'scsi_lunid': lun['scsi_lunid'],
            'vol_used': str(self._lun_used(lun)),
            'flash_cache': lun['flash_cache'],
            'protocols': {
                'fc': None,
                'iscsi': (','.join(t['name'] for t in targets)
                          if targets else None),
            },
            'dram_cache': lun['dram_cache'],
            'compress': lun['compress'],
            'io_type': lun['io_type'],
            'sizebysnapshots': str(snap_bytes),
            'provision_type': 'thin' if lun['thin'] else 'full',
        }

    def _lun_brief(self, lun):
        return {'name': lun['name'], 'pool': lun['pool'],
                'owner': self._pools[lun['pool']]['owner'],
                'vol_id': lun['vol_id']}

    def _target_lun_entry(self, entry, profile=False):
        lun = self._luns[entry['vol_id']]
        view = {}
        if profile:
            view['profile'] = '-'
        view.update({
            'lun_id': lun['scsi_lunid'],
            'lun_name': lun['name'],
            'lun_number': str(entry['lun_number']),
            'pool_name': lun['pool'],
            'vol_id': lun['vol_id'],
        })
        return view

    def _target_luns(self, ctx, target, profile=False):
        entries = sorted(target['luns'], key=lambda e: e['lun_number'])
        return [self._target_lun_entry(e, profile) for e in entries
                if self._lun_in_scope(ctx, self._luns[e['vol_id']])]

    def _target_iqn(self, target):
        return '%s%s:%s' % (TARGET_IQN_BASE, self._service_tag.lower(),
                            target['name'])

    def _target_detail(self, ctx, target):
        group = self._groups[target['auth_group_id']]
        return {
            'target_iqn': self._target_iqn(target),
            'scsi_target_name': target['name'],
            'portal_id': target['portal_group_id'],
            'iqn_name': TARGET_IQN_BASE + self._service_tag.lower(),
            'portal_name': self._portal_group['name'],
            'scsi_id': target['id'],
            'luns': self._target_luns(ctx, target, profile=True),
            'group_id': group['id'],
            'owner': target['owner'],
            'group_name': group['name'],
        }

    @staticmethod
    def _target_brief(target):
        return {'scsi_target_name': target['name'], 'scsi_id': target['id'],
                'owner': target['owner']}

    @staticmethod
    def _group_view(group, detail):
        if group['id'] == DEFAULT_GROUP_ID:
            return {'group_id': group['id'], 'group_name': group['name']}
        view = {}
        if group['chap']:
            view['chap'] = {'password': group['chap']['password'],
                            'username': group['chap']['username']}
        if detail:
            view['chap_status'] = 1 if group['chap'] else 0
        view['group_id'] = group['id']
        view['group_name'] = group['name']
        if detail:
            view['initiator'] = [dict(i) for i in group['initiators']]
        view['owner'] = group['owner']
        return view

    def _snap_view(self, snap, bound, newest, brief=False):
        lun = self._luns[snap['vol_id']]
        if brief:
            return {'snap_id': snap['snap_id'], 'lun_name': lun['name'],
                    'pool_name': lun['pool'], 'snap_name': snap['name']}
        return {
            'reserved': str(snap['reserved']),
            'pool_name': lun['pool'],
            'binded': 1 if snap['snap_id'] in bound else 0,
            'restore': 1 if snap['snap_id'] in newest else 0,
            'snap_name': snap['name'],
            'snap_id': snap['snap_id'],
            'vol_name': lun['name'],
            'created': str(snap['created']),
        }

    def _snap_create_view(self, snap):
        lun = self._luns[snap['vol_id']]
        return {
            'binded': 1 if snap['snap_id'] in self._bound_snap_ids() else 0,
            'created': str(snap['created']),
            'pool_name': lun['pool'],
            'reserved': str(snap['reserved']),
            'restore': 1 if snap['snap_id'] in self._newest_snap_ids()
            else 0,
            'snap_id': snap['snap_id'],
            'snap_vol': '%s@%s' % (lun['name'], snap['name']),
            'vol_name': lun['name'],
        }

    @staticmethod
    def _integrity(pool):
        info = {'ONLINE': 'No info',
                'DEGRADED': 'One or more devices are faulted; the pool '
                            'continues to function in a degraded state.',
                'OFFLINE': 'The pool cannot be opened: too many devices '
                           'are unavailable.'}[pool['status']]
        # "integrity" is the scrub: it can start unless the pool is
        # OFFLINE, and none is running.
        return {'can_start': 0 if pool['status'] == 'OFFLINE' else 1,
                'can_stop': 0,
                'info': info}

    def _pool_detail(self, pool):
        data = []
        for index, number in enumerate(pool['disks']):
            state = 'ONLINE'
            info = ''
            if pool['status'] == 'OFFLINE':
                state = 'UNAVAIL'
                info = 'cannot open'
            elif pool['status'] == 'DEGRADED' and index == len(
                    pool['disks']) - 1:
                state = 'FAULTED'
                info = 'too many errors'
            data.append({'state': state, 'info': info, 'lunid': '',
                         'stripe_info': 'c-1',
                         'enclosure': 'E1:S%d' % number,
                         'disk': 'HDD%d' % number})
        return {
            'encryption': 0,
            'owner': pool['owner'],
            'stripe_len': len(pool['disks']),
            'status': pool['status'],
            'is_nvme': 1,
            'raidtype': pool['raidtype'],
            'data': data,
            'pool_name': pool['name'],
            'integrity': self._integrity(pool),
            'pool_id': pool['id'],
        }

    # ----------------------------------------------------------------
    # logs
    # ----------------------------------------------------------------

    def _add_log(self, kind, **fields):
        self._counters[kind] += 1
        entry = {'id': self._counters[kind], 'ts': time.time()}
        entry.update(fields)
        entries = self._logs[kind]
        entries.append(entry)
        if len(entries) > LOG_RETENTION:
            del entries[:len(entries) - LOG_RETENTION]
        return entry

    def _add_alert(self, level, description):
        return self._add_log('alert', type=level, description=description,
                             event_id=str(uuid.uuid4()))

    def _audit(self, ctx, description):
        return self._add_log('audit', user=ctx.key_name,
                             rhost=ctx.remote_addr,
                             agent=ctx.user_agent or '',
                             description=description)

    @staticmethod
    def _render_log(kind, entry):
        if kind == 'alert':
            return {'description': entry['description'],
                    'event_id': entry['event_id'], 'id': entry['id'],
                    'notify': None,
                    'time': _fmt_local(entry['ts'], '%Y-%m-%d %H:%M:%S'),
                    'type': entry['type']}
        if kind == 'audit':
            return {'agent': entry['agent'],
                    'description': entry['description'], 'id': entry['id'],
                    'rhost': entry['rhost'],
                    'time': _fmt_local(entry['ts'], '%Y-%m-%d %H:%M:%S'),
                    'user': entry['user']}
        return {'action': entry['action'], 'function': entry['function'],
                'id': entry['id'], 'sensor': entry['sensor'],
                'time': _fmt_local(entry['ts'], '%m/%d/%Y %H:%M:%S')}

    def _query_log(self, kind, params, exact=(), contains=()):
        entries = list(self._logs[kind])
        time_range = params.get('time_range')
        if time_range is not None:
            if (not isinstance(time_range, (list, tuple))
                    or len(time_range) != 2):
                raise ApiError(400, 'filter[time][] takes a start and an '
                                    'end')
            start = _parse_time_bound(time_range[0], end=False)
            end = _parse_time_bound(time_range[1], end=True)
            entries = [e for e in entries if start <= int(e['ts']) <= end]
        types = params.get('types')
        if types is not None:
            if isinstance(types, str):
                types = [types]
            wanted = set()
            for value in types:
                if not isinstance(value, str) or (
                        value.upper() not in ALERT_TYPES):
                    raise ApiError(400, 'filter[type][] values are info, '
                                        'warning, error, fatal')
                wanted.add(value.upper())
            entries = [e for e in entries if e['type'] in wanted]
        for name, field in exact:
            value = params.get(name)
            if value is not None:
                entries = [e for e in entries if e[field] == value]
        for name in contains:
            value = params.get(name)
            if value is not None:
                needle = str(value).lower()
                entries = [e for e in entries
                           if needle in str(e[name]).lower()]
        sort = params.get('sort')
        if sort is None:
            sort = ['id']
        elif isinstance(sort, str):
            sort = [sort]
        fields = []
        for name in sort:
            if name not in LOG_SORT_FIELDS[kind]:
                raise ApiError(400, 'sort[] values are %s'
                               % ', '.join(LOG_SORT_FIELDS[kind]))
            fields.append({'host': 'rhost', 'time': 'ts'}.get(name, name))
        order = params.get('order')
        if order is None:
            order = 'asc'
        if order not in ('asc', 'desc'):
            raise ApiError(400, 'order must be asc or desc')
        entries.sort(key=lambda e: tuple(e[f] for f in fields) + (e['id'],),
                     reverse=(order == 'desc'))
        limit = params.get('limit')
        page = params.get('page')
        if limit is not None:
            if (isinstance(limit, bool) or not isinstance(limit, int)
                    or not 0 <= limit <= 1000):
                raise ApiError(400, 'limit must be an integer 0-1000')
        if page is not None:
            if isinstance(page, bool) or not isinstance(page, int) or (
                    page < 1):
                raise ApiError(400, 'page must be an integer from 1')
        if limit:
            first = ((page or 1) - 1) * limit
            entries = entries[first:first + limit]
        elif page and page > 1:
            entries = []
        return [self._render_log(kind, e) for e in entries]

    # ----------------------------------------------------------------
    # auth groups
    # ----------------------------------------------------------------

    def _check_group_name(self, name, group_id=None):
        if not isinstance(name, str) or not GROUP_NAME_RE.match(name):
            raise ApiError(400, 'auth group name must be 1-30 letters or '
                                'digits')
        for group in self._groups.values():
            if group['name'] == name and group['id'] != group_id:
                raise ApiError(409, 'auth group %s already exists' % name)

    @_mutation('auth_group.create')
    def auth_group_create(self, ctx, params):
        """Create an auth group; answers ``{"id", "success": true}``."""
        name = _req_str(params, 'name')
        if not GROUP_NAME_RE.match(name):
            raise ApiError(400, 'auth group name must be 1-30 letters or '
                                'digits')
        owner = self._valid_owner(params)
        self._check_group_name(name)
        with self._export_change():
            group = {'id': self._new_id(), 'name': name, 'owner': owner,
                     'chap': None, 'initiators': []}
            self._groups[group['id']] = group
        return ({'id': group['id'], 'success': True},
                'created auth group %s (owner %s)' % (name, owner))

    @_mutation('auth_group.delete')
    def auth_group_delete(self, ctx, params):
        """Delete an auth group (409 while a target uses it)."""
        group = self._group(params.get('id'))
        self._check_group_mutable(group)
        users = [t['name'] for t in self._targets.values()
                 if t['auth_group_id'] == group['id']]
        if users:
            raise ApiError(409, 'auth group %s is bound to target(s) %s'
                           % (group['name'], ', '.join(users)))
        with self._export_change():
            del self._groups[group['id']]
        return {'success': True}, 'deleted auth group %s' % group['name']

    @_mutation('auth_group.rename')
    def auth_group_rename(self, ctx, params):
        """Rename an auth group; the body owner must be the group's."""
        name = _req_str(params, 'name')
        if not GROUP_NAME_RE.match(name):
            raise ApiError(400, 'auth group name must be 1-30 letters or '
                                'digits')
        _req_str(params, 'owner')
        group = self._group(params.get('id'))
        self._check_group_mutable(group)
        self._check_owner(params, group['owner'], 'auth group')
        self._check_group_name(name, group['id'])
        old = group['name']
        with self._export_change():
            group['name'] = name
        return {'success': True}, 'renamed auth group %s to %s' % (old, name)

    @_mutation('auth_group.chap_set')
    def auth_group_chap_set(self, ctx, params):
        """Set (replace) the group's CHAP credential."""
        username = _req_str(params, 'username')
        password = _req_str(params, 'password')
        if not CHAP_USER_RE.match(username):
            raise ApiError(400, 'CHAP username must be 1-64 of '
                                'A-Z a-z 0-9 . _ -')
        if not CHAP_SECRET_RE.match(password):
            raise ApiError(400, 'CHAP secret must be 12-16 printable '
                                'characters without spaces')
        _req_str(params, 'owner')
        group = self._group(params.get('id'))
        self._check_group_mutable(group)
        self._check_owner(params, group['owner'], 'auth group')
        with self._export_change():
            group['chap'] = {'username': username, 'password': password}
        return ({'success': True},
                'set CHAP credential on auth group %s' % group['name'])

    @_mutation('auth_group.chap_delete')
    def auth_group_chap_delete(self, ctx, params):
        """Remove the group's CHAP credential (404 when none is set)."""
        group = self._group(params.get('id'))
        self._check_group_mutable(group)
        if not group['chap']:
            raise ApiError(404, 'auth group %s has no CHAP credential'
                           % group['name'])
        with self._export_change():
            group['chap'] = None
        return ({'success': True},
                'removed CHAP credential from auth group %s'
                % group['name'])

    @_mutation('auth_group.iqn_add')
    def auth_group_iqn_add(self, ctx, params):
        """Admit an initiator IQN; answers ``{"id", "success": true}``."""
        iqn = _req_str(params, 'iqn')
        alias = _req_str(params, 'iqn_alias')
        if not valid_iqn(iqn):
            raise ApiError(400, 'invalid iSCSI name %s (iqn., eui. or naa. '
                                'form required)' % iqn)
        if not IQN_ALIAS_RE.match(alias):
            raise ApiError(400, 'iqn_alias must be 1-64 of '
                                'A-Z a-z 0-9 _ . : -')
        _req_str(params, 'owner')
        group = self._group(params.get('id'))
        self._check_group_mutable(group)
        self._check_owner(params, group['owner'], 'auth group')
        for other in self._groups.values():
            for entry in other['initiators']:
                if entry['iqn'].lower() == iqn.lower():
                    raise ApiError(409, 'initiator %s is already in auth '
                                        'group %s' % (iqn, other['name']))
        with self._export_change():
            entry = {'id': self._new_id(), 'iqn': iqn, 'iqn_alias': alias}
            group['initiators'].append(entry)
        return ({'id': entry['id'], 'success': True},
                'added initiator %s to auth group %s' % (iqn, group['name']))

    @_mutation('auth_group.iqn_delete')
    def auth_group_iqn_delete(self, ctx, params):
        """Remove an initiator by its entry id; answers ``{}``."""
        iqn_id = params.get('iqn_id')
        for group in self._groups.values():
            for entry in group['initiators']:
                if entry['id'] == iqn_id:
                    with self._export_change():
                        group['initiators'].remove(entry)
                    return {}, 'removed initiator %s from auth group %s' % (
                        entry['iqn'], group['name'])
        raise ApiError(404, 'initiator %s not found' % (iqn_id,))

    @_read('auth_group.detail')
    def auth_group_detail(self, ctx, params):
        """One auth group with CHAP, chap_status and initiators."""
        return self._group_view(self._group(params.get('id')), detail=True)

    @_read('auth_group.detail_list')
    def auth_group_detail_list(self, ctx, params):
        """Every auth group in detail."""
        return [self._group_view(g, detail=True)
                for g in self._groups.values()]

    @_read('auth_group.list')
    def auth_group_list(self, ctx, params):
        """Every auth group: id, name, owner (and chap when set)."""
        return [self._group_view(g, detail=False)
                for g in self._groups.values()]

    # ----------------------------------------------------------------
    # iSCSI targets
    # ----------------------------------------------------------------

    def _check_target_name(self, name, target_id=None):
        if not isinstance(name, str) or not TARGET_NAME_RE.match(name):
            raise ApiError(400, 'target name must be 1-30 of '
                                'A-Z a-z 0-9 _ -')
        for target in self._targets.values():
            if target['name'] == name and target['id'] != target_id:
                raise ApiError(409, 'iSCSI target %s already exists' % name)

    @staticmethod
    def _lun_ids(params):
        vol_ids = _str_list(params, 'lun_ids', required=True)
        if not vol_ids:
            raise ApiError(400, 'lun_ids is empty')
        _req_str(params, 'owner')
        return vol_ids

    def _map_luns(self, target, luns):
        """Check the 409 rules and map ``luns`` into ``target``."""
        mapped = {e['vol_id'] for e in target['luns']}
        for lun in luns:
            owner = self._pools[lun['pool']]['owner']
            if owner != target['owner']:
                raise ApiError(409, 'LUN %s belongs to controller %s, '
                                    'target %s to %s' % (
                                        lun['name'], owner, target['name'],
                                        target['owner']))
            if lun['vol_id'] in mapped:
                raise ApiError(409, 'LUN %s is already in target %s'
                               % (lun['name'], target['name']))
        if len(target['luns']) + len(luns) > MAX_LUNS_PER_TARGET:
            raise ApiError(409, 'target %s would exceed maxlun %d'
                           % (target['name'], MAX_LUNS_PER_TARGET))
        numbers = {e['lun_number'] for e in target['luns']}
        number = int(getattr(self.backing, 'first_lun_number', 0) or 0)
        added = []
        for lun in luns:
            while number in numbers:
                number += 1
            entry = {'vol_id': lun['vol_id'], 'lun_number': number}
            numbers.add(number)
            target['luns'].append(entry)
            added.append(entry)
        return added

    @_mutation('iscsi_target.create')
    def iscsi_target_create(self, ctx, params):
        """Create a target, mapping ``lun_ids`` like Add LUN."""
        name = _req_str(params, 'name')
        if not TARGET_NAME_RE.match(name):
            raise ApiError(400, 'target name must be 1-30 of '
                                'A-Z a-z 0-9 _ -')
        owner = self._valid_owner(params)
        vol_ids = _str_list(params, 'lun_ids', required=False)
        group = self._group(_req_str(params, 'auth_group_id'))
        portal = self._portal(_req_str(params, 'portal_group_id'))
        luns = [self._lun(ctx, v) for v in vol_ids]
        self._check_target_name(name)
        target = {'id': self._new_id(), 'name': name, 'owner': owner,
                  'auth_group_id': group['id'],
                  'portal_group_id': portal['id'], 'luns': [],
                  'created': int(time.time())}
        added = self._map_luns(target, luns)
        with self._export_change():
            self._targets[target['id']] = target
        response = {'id': target['id'],
                    'luns': [self._target_lun_entry(e) for e in added],
                    'success': True}
        text = 'created iSCSI target %s (owner %s)' % (name, owner)
        if luns:
            text += ' with LUN(s) %s' % ', '.join(lun['name'] for lun in luns)
        return response, text

    @_mutation('iscsi_target.delete')
    def iscsi_target_delete(self, ctx, params):
        """Delete a target (409 while LUNs are mapped in it)."""
        target = self._target(params.get('id'))
        if target['luns']:
            raise ApiError(409, 'iSCSI target %s still has %d LUN(s)'
                           % (target['name'], len(target['luns'])))
        with self._export_change():
            del self._targets[target['id']]
        return {'success': True}, 'deleted iSCSI target %s' % target['name']

    @_mutation('iscsi_target.rename')
    def iscsi_target_rename(self, ctx, params):
        """Rename a target (its target_iqn changes with it)."""
        name = _req_str(params, 'name')
        if not TARGET_NAME_RE.match(name):
            raise ApiError(400, 'target name must be 1-30 of '
                                'A-Z a-z 0-9 _ -')
        _req_str(params, 'owner')
        target = self._target(params.get('id'))
        self._check_owner(params, target['owner'], 'target')
        self._check_target_name(name, target['id'])
        old = target['name']
        with self._export_change():
            target['name'] = name
        return {'success': True}, 'renamed iSCSI target %s to %s' % (
            old, name)

    @_mutation('iscsi_target.portal_group')
    def iscsi_target_portal_group(self, ctx, params):
        """Change the portal group of a target."""
        portal_group_id = _req_str(params, 'portal_group_id')
        _req_str(params, 'owner')
        target = self._target(params.get('target_id'))
        portal = self._portal(portal_group_id)
        self._check_owner(params, target['owner'], 'target')
        with self._export_change():
            target['portal_group_id'] = portal['id']
        return {'success': True}, 'set portal group %s on target %s' % (
            portal['name'], target['name'])

    @_mutation('iscsi_target.auth_group')
    def iscsi_target_auth_group(self, ctx, params):
        """Bind another auth group (of either owner) to a target."""
        auth_group_id = _req_str(params, 'auth_group_id')
        _req_str(params, 'owner')
        target = self._target(params.get('target_id'))
        group = self._group(auth_group_id)
        self._check_owner(params, target['owner'], 'target')
        with self._export_change():
            target['auth_group_id'] = group['id']
        return {'success': True}, 'bound auth group %s to target %s' % (
            group['name'], target['name'])

    @_mutation('iscsi_target.lun_add')
    def iscsi_target_lun_add(self, ctx, params):
        """Map LUNs (by vol_id); answers the newly mapped LUNs."""
        vol_ids = self._lun_ids(params)
        target = self._target(params.get('id'))
        luns = [self._lun(ctx, vol_id) for vol_id in vol_ids]
        self._check_owner(params, target['owner'], 'target')
        with self._export_change():
            added = self._map_luns(target, luns)
        return ({'luns': [self._target_lun_entry(e) for e in added],
                 'success': True},
                'mapped LUN(s) %s in target %s' % (
                    ', '.join(lun['name'] for lun in luns), target['name']))

    @_mutation('iscsi_target.lun_remove')
    def iscsi_target_lun_remove(self, ctx, params):
        """Unmap LUNs; answers the LUNs that remain in the target."""
        vol_ids = self._lun_ids(params)
        target = self._target(params.get('id'))
        mapped = {e['vol_id'] for e in target['luns']}
        names = []
        for vol_id in vol_ids:
            if vol_id not in self._luns or vol_id not in mapped:
                raise ApiError(404, 'LUN %s is not in target %s'
                               % (vol_id, target['name']))
        for vol_id in vol_ids:
            names.append(self._lun(ctx, vol_id)['name'])
        self._check_owner(params, target['owner'], 'target')
        with self._export_change():
            target['luns'] = [e for e in target['luns']
                              if e['vol_id'] not in vol_ids]
        return ({'luns': self._target_luns(ctx, target), 'success': True},
                'unmapped LUN(s) %s from target %s' % (
                    ', '.join(names), target['name']))

    @_read('iscsi_target.detail')
    def iscsi_target_detail(self, ctx, params):
        """One target with IQN, groups and its (in-scope) LUNs."""
        return self._target_detail(ctx, self._target(params.get('id')))

    @_read('iscsi_target.detail_list')
    def iscsi_target_detail_list(self, ctx, params):
        """Every target in detail."""
        return [self._target_detail(ctx, t) for t in self._targets.values()]

    @_read('iscsi_target.list')
    def iscsi_target_list(self, ctx, params):
        """Every target: name, id and owner."""
        return [self._target_brief(t) for t in self._targets.values()]

    # ----------------------------------------------------------------
    # logs
    # ----------------------------------------------------------------

    @_read('log.alert')
    def log_alert(self, ctx, params):
        """Alert log, filtered by type and time, sorted and paged."""
        return self._query_log('alert', params)

    @_read('log.audit')
    def log_audit(self, ctx, params):
        """Audit log: one entry per successful mutating call."""
        return self._query_log(
            'audit', params, exact=(('user', 'user'), ('host', 'rhost')),
            contains=('agent', 'description'))

    @_read('log.system_event')
    def log_system_event(self, ctx, params):
        """Hardware/system event log."""
        return self._query_log('system_event', params,
                               contains=('function', 'action', 'sensor'))

    # ----------------------------------------------------------------
    # LUNs
    # ----------------------------------------------------------------

    @staticmethod
    def _size_bytes(params, required):
        size = params.get('size')
        sing = params.get('sing')
        letter = params.get('size_letter')
        if sing is not None and letter is not None and sing != letter:
            raise ApiError(400, 'sing and size_letter disagree')
        unit = sing if sing is not None else letter
        if size is None:
            if required:
                raise ApiError(400, 'size is required')
            if unit is not None:
                raise ApiError(400, 'sing given without size')
            return None
        size = _req_int(params, 'size')
        if unit is None:
            unit = 'G'
        if unit not in LUN_UNITS:
            raise ApiError(400, 'sing must be M, G or T')
        if size < 1:
            raise ApiError(400, 'size must be 1 or greater')
        size_bytes = size * UNITS[unit]
        if size_bytes > MAX_LUN_BYTES:
            raise ApiError(400, 'size %d%s is beyond the maximum LUN size '
                                'of 1P' % (size, unit))
        return size_bytes

    @staticmethod
    def _lun_properties(params, defaults):
        props = {}
        for key, field in (('deduplication', 'dedup'),
                           ('compression', 'compress'),
                           ('flash_cache', 'flash_cache'),
                           ('dram_cache', 'dram_cache')):
            default = None
            if defaults:
                default = 'on' if key.endswith('cache') else 'off'
            value = _opt_choice(params, key, ON_OFF, default)
            if value is not None:
                props[field] = value
        thin = _opt_choice(params, 'thin_provision', ON_OFF,
                           'off' if defaults else None)
        if thin is not None:
            props['thin'] = thin == 'on'
        io_type = _opt_choice(params, 'io_type', IO_TYPES,
                              'transactional' if defaults else None)
        if io_type is not None:
            props['io_type'] = io_type
        if params.get('qos_priority') is not None:
            qos = _req_int(params, 'qos_priority')
            if qos not in QOS_PRIORITIES:
                raise ApiError(400, 'qos_priority must be one of %s' % (
                    ', '.join(str(q) for q in QOS_PRIORITIES)))
            props['qos_priority'] = qos
        elif defaults:
            props['qos_priority'] = 16
        force = params.get('force')
        if force is not None and force not in (True, False, 'true', 'false'):
            raise ApiError(400, 'force must be true or false')
        return props

    def _check_datareduce(self, props):
        if props.get('dedup') == 'on' or props.get('compress') == 'on':
            self._check_licensed('datareduce')

    @_mutation('lun.create')
    def lun_create(self, ctx, params):
        """Create ``quantity`` LUNs (``<name>_<i>`` when more than one)."""
        pool_name = _req_str(params, 'pool_name')
        name = _req_str(params, 'name')
        size_bytes = self._size_bytes(params, required=True)
        props = self._lun_properties(params, defaults=True)
        blocksize = _opt_choice(params, 'blocksize',
                                tuple(b for b in BLOCKSIZES if b != 'auto'),
                                'auto')
        quantity = _req_int(params, 'quantity', 1)
        if not 1 <= quantity <= MAX_QUANTITY:
            raise ApiError(400, 'quantity must be 1-%d' % MAX_QUANTITY)
        names = [name] if quantity == 1 else [
            '%s_%d' % (name, i) for i in range(1, quantity + 1)]
        for lun_name in names:
            if not LUN_NAME_RE.match(lun_name):
                raise ApiError(400, 'LUN name %s must be 1-30 of '
                                    'A-Z a-z 0-9 _ -' % lun_name)
        pool = self._pool_by_name(ctx, pool_name)
        self._check_pool_writable(pool)
        self._check_datareduce(props)
        for lun_name in names:
            self._check_lun_name_free(lun_name)
        each = NEW_LUN_USED if props['thin'] else size_bytes
        self._need_space(pool_name, each * quantity,
                         '%d LUN(s) of %d bytes' % (quantity, size_bytes))
        created = []
        try:
            for lun_name in names:
                vol_id = self._new_id()
                self._hook('lun_created', vol_id, size_bytes)
                lun = {'vol_id': vol_id,
                       'scsi_lunid': self._new_scsi_lunid(),
                       'name': lun_name, 'pool': pool_name,
                       'size': size_bytes, 'used': NEW_LUN_USED,
                       'blocksize': BLOCKSIZES[blocksize],
                       'clone': '', 'clone_of': '',
                       'created': int(time.time())}
                lun.update(props)
                created.append(lun)
        except ApiError:
            for lun in created:
                try:
                    self.backing.lun_deleted(lun['vol_id'])
                except Exception:
                    LOG.exception('Simulator could not undo LUN %s on '
                                  'the data plane', lun['vol_id'])
            raise
        for lun in created:
            self._luns[lun['vol_id']] = lun
            self._lun_names.add(lun['name'])
            self._count_lun(lun, 1)
        response = {'luns': [{'scsi_lunid': lun['scsi_lunid'],
                              'success': 'true',
                              'vol_id': lun['vol_id'],
                              'vol_used': str(lun['used'])}
                             for lun in created],
                    'success': True}
        return response, 'created %s LUN %s (%d bytes) in pool %s' % (
            'thin' if props['thin'] else 'thick', ', '.join(names),
            size_bytes, pool_name)

    @_mutation('lun.delete')
    def lun_delete(self, ctx, params):
        """Delete a LUN (409 with snapshots, mappings or a schedule)."""
        lun = self._lun(ctx, params.get('vol_id'))
        self._check_pool_writable(self._pools[lun['pool']])
        snaps = self._snaps_of(lun['vol_id'])
        if snaps:
            raise ApiError(409, 'LUN %s has %d snapshot(s)'
                           % (lun['name'], len(snaps)))
        targets = self._mapping().get(lun['vol_id'])
        if targets:
            raise ApiError(409, 'LUN %s is mapped to target(s) %s' % (
                lun['name'], ', '.join(t['name'] for t in targets)))
        if lun['vol_id'] in self._schedules:
            raise ApiError(409, 'LUN %s has a snapshot schedule'
                           % lun['name'])
        self._hook('lun_deleted', lun['vol_id'])
        self._count_lun(lun, -1)
        self._lun_names.discard(lun['name'])
        self._scsi_lunids.discard(lun['scsi_lunid'])
        del self._luns[lun['vol_id']]
        return {'success': True}, 'deleted LUN %s in pool %s' % (
            lun['name'], lun['pool'])

    @_mutation('lun.modify')
    def lun_modify(self, ctx, params):
        """Extend a LUN or change its properties; shrinking is 400."""
        size_bytes = self._size_bytes(params, required=False)
        props = self._lun_properties(params, defaults=False)
        if params.get('blocksize') is not None:
            raise ApiError(400, 'blocksize cannot be changed')
        if size_bytes is None and not props:
            raise ApiError(400, 'nothing to modify')
        lun = self._lun(ctx, params.get('vol_id'))
        if size_bytes is not None and size_bytes < lun['size']:
            raise ApiError(400, 'LUN %s cannot shrink from %d to %d bytes'
                           % (lun['name'], lun['size'], size_bytes))
        self._check_pool_writable(self._pools[lun['pool']])
        self._check_datareduce(props)
        new_size = lun['size'] if size_bytes is None else size_bytes
        thin = props.get('thin', lun['thin'])
        if not thin:
            before = self._lun_consumption(lun)
            self._need_space(lun['pool'], new_size - before,
                             'LUN %s' % lun['name'])
        resized = new_size != lun['size']
        if resized:
            self._hook('lun_resized', lun['vol_id'], new_size)
        self._count_lun(lun, -1)
        lun.update(props)
        lun['size'] = new_size
        self._count_lun(lun, 1)
        if resized and lun['vol_id'] in self._mapping():
            self._exports_changed()
        changes = ['%s=%s' % (k, props[k]) for k in sorted(props)]
        if resized:
            changes.insert(0, 'size=%d' % new_size)
        return ({'success': True, 'vol_size': str(lun['size'])},
                'modified LUN %s: %s' % (
                    lun['name'], ', '.join(changes) or 'no change'))

    @_read('lun.detail')
    def lun_detail(self, ctx, params):
        """One LUN in detail."""
        return self._lun_detail(self._lun(ctx, params.get('vol_id')))

    @_read('lun.detail_list')
    def lun_detail_list(self, ctx, params):
        """Every LUN of the key's pools in detail."""
        mapping = self._mapping()
        snap_bytes = {}
        for snap in self._snaps.values():
            snap_bytes[snap['vol_id']] = (
                snap_bytes.get(snap['vol_id'], 0) + snap['reserved'])
        return [self._lun_detail(lun, mapping,
                                 snap_bytes.get(lun['vol_id'], 0))
                for lun in self._luns.values()
                if self._lun_in_scope(ctx, lun)]

    @_read('lun.list')
    def lun_list(self, ctx, params):
        """Every LUN of the key's pools: name, pool, owner, vol_id."""
        return [self._lun_brief(lun) for lun in self._luns.values()
                if self._lun_in_scope(ctx, lun)]

    # ----------------------------------------------------------------
    # pools and portal groups
    # ----------------------------------------------------------------

    @_read('pool.detail')
    def pool_detail(self, ctx, params):
        """One pool (by pool_id) with disks and integrity."""
        return self._pool_detail(self._pool_by_id(ctx, params.get('id')))

    @_read('pool.detail_list')
    def pool_detail_list(self, ctx, params):
        """Every pool of the key's scope in detail."""
        return [self._pool_detail(p) for p in self._scoped_pools(ctx)]

    @_read('pool.list')
    def pool_list(self, ctx, params):
        """Every pool of the key's scope: name, owner, id."""
        return [{'pool_name': p['name'], 'owner': p['owner'],
                 'pool_id': p['id']} for p in self._scoped_pools(ctx)]

    @_read('pool.overview')
    def pool_overview(self, ctx, params):
        """Capacity and protocol usage of every pool in scope."""
        result = []
        for pool in self._scoped_pools(ctx):
            info, usage = self._capacity_info(pool)
            capacity = {
                'allocated_size': info['allocated_size'],
                'compress_ratio': info['compress_ratio'],
                'dedup_ratio': info['dedup_ratio'],
                'flashtier_total': 0,
                'flashtier_used': 0,
                'free_size': info['free_size'],
                'logical_avail': info['logical_avail'],
                'logical_reserved': info['logical_reserved'],
                'total_size': info['total_size'],
            }
            result.append({
                'blocksize': str(BLOCKSIZES['auto']),
                'capacity': capacity,
                'endurance': 0,
                'is_flash': 1,
                'optimization': 0,
                'owner': pool['owner'],
                'pool_name': pool['name'],
                'protocol_usage': usage,
                'raidtype': pool['raidtype'],
            })
        return result

    def _portal_view(self, detail):
        view = {'id': self._portal_group['id'],
                'portal_name': self._portal_group['name'],
                'owner': self._portal_group['owner']}
        if detail:
            view['listen_ips'] = list(self._portal_group['listen_ips'])
        return view

    @_read('portal_group.detail')
    def portal_group_detail(self, ctx, params):
        """The portal group with its ``listen_ips``."""
        self._portal(params.get('id'))
        return self._portal_view(detail=True)

    @_read('portal_group.detail_list')
    def portal_group_detail_list(self, ctx, params):
        """Every portal group with its ``listen_ips``."""
        return [self._portal_view(detail=True)]

    @_read('portal_group.list')
    def portal_group_list(self, ctx, params):
        """Every portal group: id, portal_name, owner."""
        return [self._portal_view(detail=False)]

    # ----------------------------------------------------------------
    # snapshots
    # ----------------------------------------------------------------

    def _take_snapshot(self, lun, name, scheduled):
        """Checks and creation shared by snapshot.create and schedules."""
        if not isinstance(name, str) or not SNAP_NAME_RE.match(name):
            raise ApiError(400, 'snapshot name must be 1-999 of '
                                'A-Z a-z 0-9 _ -')
        self._check_licensed('snapshot')
        self._check_pool_writable(self._pools[lun['pool']])
        snaps = self._snaps_of(lun['vol_id'])
        if any(s['name'] == name for s in snaps):
            raise ApiError(409, 'snapshot %s of LUN %s already exists'
                           % (name, lun['name']))
        if len(snaps) >= MAX_SNAPSHOTS_PER_LUN:
            raise ApiError(409, 'LUN %s has reached maxsnap %d'
                           % (lun['name'], MAX_SNAPSHOTS_PER_LUN))
        self._need_space(lun['pool'], SNAPSHOT_RESERVED,
                         'snapshot %s' % name)
        snap_id = self._new_id()
        self._hook('snapshot_created', lun['vol_id'], snap_id)
        self._counters['snap_seq'] += 1
        snap = {'snap_id': snap_id, 'name': name, 'vol_id': lun['vol_id'],
                'created': int(time.time()), 'reserved': SNAPSHOT_RESERVED,
                'size': lun['size'], 'used': self._lun_used(lun),
                'seq': self._counters['snap_seq'], 'scheduled': scheduled}
        self._snaps[snap_id] = snap
        self._count_snap(snap, 1)
        return snap

    @_mutation('snapshot.create')
    def snapshot_create(self, ctx, params):
        """Snapshot the LUN ``volume_id``; answers the snapshot."""
        name = _req_str(params, 'name')
        if not SNAP_NAME_RE.match(name):
            raise ApiError(400, 'snapshot name must be 1-999 of '
                                'A-Z a-z 0-9 _ -')
        lun = self._lun(ctx, _req_str(params, 'volume_id'))
        snap = self._take_snapshot(lun, name, scheduled=False)
        return self._snap_create_view(snap), 'created snapshot %s@%s' % (
            lun['name'], name)

    def _delete_snapshot(self, snap):
        self._hook('snapshot_deleted', snap['snap_id'])
        self._count_snap(snap, -1)
        del self._snaps[snap['snap_id']]

    @_mutation('snapshot.delete')
    def snapshot_delete(self, ctx, params):
        """Delete a snapshot (409 while clones of it exist)."""
        snap = self._snap(ctx, params.get('snap_id'))
        lun = self._luns[snap['vol_id']]
        self._check_pool_writable(self._pools[lun['pool']])
        clones = [c['name'] for c in self._luns.values()
                  if c['clone_of'] == snap['snap_id']]
        if clones:
            raise ApiError(409, 'snapshot %s@%s has clone(s) %s' % (
                lun['name'], snap['name'], ', '.join(clones)))
        self._delete_snapshot(snap)
        return {'success': True}, 'deleted snapshot %s@%s' % (
            lun['name'], snap['name'])

    @_mutation('snapshot.delete_all')
    def snapshot_delete_all(self, ctx, params):
        """Delete a LUN's unbound snapshots; ``warning`` names the rest."""
        lun = self._lun(ctx, params.get('vol_id'))
        self._check_pool_writable(self._pools[lun['pool']])
        bound = self._bound_snap_ids()
        deleted = []
        kept = []
        for snap in self._snaps_of(lun['vol_id']):
            if snap['snap_id'] in bound:
                kept.append(snap['name'])
                continue
            self._delete_snapshot(snap)
            deleted.append(snap['name'])
        response = {'success': True}
        if kept:
            response['warning'] = (
                'snapshot(s) %s of LUN %s have clones and were not deleted'
                % (', '.join(kept), lun['name']))
        text = 'deleted %d snapshot(s) of LUN %s' % (
            len(deleted), lun['name'])
        if kept:
            text += ', kept %s' % ', '.join(kept)
        return response, text

    @_mutation('snapshot.clone')
    def snapshot_clone(self, ctx, params):
        """Clone a snapshot into a new LUN; answers its ``vol_id``."""
        name = _req_str(params, 'name')
        if not LUN_NAME_RE.match(name):
            raise ApiError(400, 'clone name %s must be 1-30 of '
                                'A-Z a-z 0-9 _ - (it becomes a LUN)' % name)
        snap = self._snap(ctx, params.get('snap_id'))
        origin = self._luns[snap['vol_id']]
        self._check_licensed('clone')
        self._check_pool_writable(self._pools[origin['pool']])
        self._check_lun_name_free(name)
        self._need_space(origin['pool'],
                         NEW_LUN_USED if origin['thin'] else snap['size'],
                         'clone %s' % name)
        vol_id = self._new_id()
        self._hook('clone_created', snap['snap_id'], vol_id, snap['size'])
        lun = {'vol_id': vol_id, 'scsi_lunid': self._new_scsi_lunid(),
               'name': name, 'pool': origin['pool'], 'size': snap['size'],
               'used': NEW_LUN_USED,
               'clone': '%s@%s' % (origin['name'], snap['name']),
               'clone_of': snap['snap_id'], 'created': int(time.time())}
        for key in ('blocksize', 'thin', 'dedup', 'compress', 'io_type',
                    'qos_priority', 'flash_cache', 'dram_cache'):
            lun[key] = origin[key]
        self._luns[vol_id] = lun
        self._lun_names.add(name)
        self._count_lun(lun, 1)
        return {'success': True, 'vol_id': vol_id}, (
            'cloned snapshot %s into LUN %s' % (lun['clone'], name))

    @_mutation('snapshot.restore')
    def snapshot_restore(self, ctx, params):
        """Roll a LUN back to its newest snapshot (size included)."""
        snap = self._snap(ctx, params.get('snap_id'))
        lun = self._luns[snap['vol_id']]
        self._check_licensed('snapshot')
        self._check_pool_writable(self._pools[lun['pool']])
        if snap['snap_id'] not in self._newest_snap_ids():
            raise ApiError(409, 'snapshot %s@%s is not the newest snapshot '
                                'of the LUN' % (lun['name'], snap['name']))
        self._hook('lun_restored', lun['vol_id'], snap['snap_id'],
                   snap['size'])
        resized = lun['size'] != snap['size']
        self._count_lun(lun, -1)
        lun['size'] = snap['size']
        lun['used'] = snap['used']
        self._count_lun(lun, 1)
        if resized and lun['vol_id'] in self._mapping():
            self._exports_changed()
        return {'success': True}, 'restored LUN %s to snapshot %s' % (
            lun['name'], snap['name'])

    def _schedule_view(self, schedule):
        lun = self._luns[schedule['vol_id']]
        return {'c_time': schedule['cron_time'],
                'h_read': describe_cron(schedule['cron_time']),
                'id': schedule['id'],
                'keep_max': schedule['keep_max'],
                'owner': self._pools[lun['pool']]['owner'],
                'vol_id': schedule['vol_id'],
                'vol_type': 'lun'}

    @_read('snapshot.schedule_detail')
    def snapshot_schedule_detail(self, ctx, params):
        """The LUN's snapshot schedule (404 when it has none)."""
        lun = self._lun(ctx, params.get('vol_id'))
        schedule = self._schedules.get(lun['vol_id'])
        if schedule is None:
            raise ApiError(404, 'LUN %s has no snapshot schedule'
                           % lun['name'])
        return self._schedule_view(schedule)

    @_mutation('snapshot.schedule_create')
    def snapshot_schedule_create(self, ctx, params):
        """Create the LUN's only snapshot schedule (409 if one exists)."""
        cron_time = _req_str(params, 'cron_time')
        h_read = describe_cron(cron_time)
        keep_max = _req_int(params, 'keep_max')
        if not 1 <= keep_max <= 512:
            raise ApiError(400, 'keep_max must be 1-512')
        lun = self._lun(ctx, params.get('vol_id'))
        self._check_licensed('autosnapshot')
        if lun['vol_id'] in self._schedules:
            raise ApiError(409, 'LUN %s already has a snapshot schedule'
                           % lun['name'])
        self._schedules[lun['vol_id']] = {
            'id': self._new_id(), 'vol_id': lun['vol_id'],
            'cron_time': cron_time, 'keep_max': keep_max,
            'created': int(time.time())}
        return {'h_read': h_read, 'success': True}, (
            'created snapshot schedule "%s" keep %d on LUN %s'
            % (cron_time, keep_max, lun['name']))

    @_mutation('snapshot.schedule_delete')
    def snapshot_schedule_delete(self, ctx, params):
        """Delete the LUN's snapshot schedule; answers ``{}``."""
        lun = self._lun(ctx, params.get('vol_id'))
        if lun['vol_id'] not in self._schedules:
            raise ApiError(404, 'LUN %s has no snapshot schedule'
                           % lun['name'])
        del self._schedules[lun['vol_id']]
        return {}, 'deleted snapshot schedule of LUN %s' % lun['name']

    @_read('snapshot.detail')
    def snapshot_detail(self, ctx, params):
        """One snapshot with binded, restore and reserved."""
        snap = self._snap(ctx, params.get('snap_id'))
        return self._snap_view(snap, self._bound_snap_ids(),
                               self._newest_snap_ids())

    def _listed_snaps(self, ctx, params):
        vol_id = params.get('vol_id')
        if vol_id is not None:
            lun = self._lun(ctx, vol_id)
            return self._snaps_of(lun['vol_id'])
        return sorted((s for s in self._snaps.values()
                       if self._lun_in_scope(ctx, self._luns[s['vol_id']])),
                      key=lambda s: s['seq'])

    @_read('snapshot.detail_list')
    def snapshot_detail_list(self, ctx, params):
        """Snapshots (of ``vol_id`` when given) in detail."""
        snaps = self._listed_snaps(ctx, params)
        bound = self._bound_snap_ids()
        newest = self._newest_snap_ids()
        return {'shares': [],
                'luns': [self._snap_view(s, bound, newest) for s in snaps]}

    @_read('snapshot.list')
    def snapshot_list(self, ctx, params):
        """Snapshots (of ``vol_id`` when given): id, names, pool."""
        snaps = self._listed_snaps(ctx, params)
        return {'luns': [self._snap_view(s, None, None, brief=True)
                         for s in snaps],
                'shares': []}

    # ----------------------------------------------------------------
    # status and network
    # ----------------------------------------------------------------

    @_read('status.bandwidth')
    def status_bandwidth(self, ctx, params):
        """Throughput in bytes/s (an idle simulator: zeros)."""
        return {'read': 0, 'total': 0, 'write': 0}

    @_read('status.cache')
    def status_cache(self, ctx, params):
        """Cache statistics: ``{}`` as the reference documents."""
        return {}

    @_read('status.capacity')
    def status_capacity(self, ctx, params):
        """Capacity per pool name (byte counts as strings)."""
        result = {}
        for pool in self._scoped_pools(ctx):
            info, usage = self._capacity_info(pool)
            result[pool['name']] = {'info': info, 'protocol_usage': usage}
        return result

    @_read('status.cluster')
    def status_cluster(self, ctx, params):
        """Cluster state: both peers on dual, none on single."""
        if self.dual_controller:
            return {'connected': 1,
                    'interconnects': {'ethernet': 1, 'hbactive': 0,
                                      'hbdrive': 0, 'serial': 1},
                    'peers': [{'id': o} for o in self._owners],
                    'status': 'Master'}
        return {'connected': 0,
                'interconnects': {'ethernet': 0, 'hbactive': 0,
                                  'hbdrive': 0, 'serial': 0},
                'peers': [],
                'status': 'Standalone'}

    @_read('status.cpu')
    def status_cpu(self, ctx, params):
        """CPU utilisation (plausible idle figures)."""
        return {'average_utilization': 1, 'cpu_idle': '99',
                'current_utilization': 1, 'load_15_min': '0.41',
                'load_1_min': '0.38', 'load_5_min': '0.45'}

    @_read('status.enclosures')
    def status_enclosures(self, ctx, params):
        """The enclosure holding the pools' disks."""
        return [{'model': 'NVMEX11', 'no': 1, 'owner': '0',
                 'serial': 'NVMEX11'}]

    @_read('status.iops')
    def status_iops(self, ctx, params):
        """I/O operations per second (an idle simulator: zeros)."""
        return {'read': 0, 'total': 0, 'write': 0}

    @_read('status.license')
    def status_license(self, ctx, params):
        """Licence flags and validity period."""
        return dict(self._license)

    @_read('status.overloaded_volumes')
    def status_overloaded_volumes(self, ctx, params):
        """LUNs of the key's pools using 90% or more of their size."""
        volumes = []
        for lun in self._luns.values():
            if not self._lun_in_scope(ctx, lun):
                continue
            used = self._lun_used(lun)
            if used >= OVERLOAD_RATIO * lun['size']:
                volumes.append({'pool_name': lun['pool'],
                                'vol_id': lun['vol_id'],
                                'vol_name': lun['name'],
                                'vol_size': lun['size'],
                                'vol_type': 'lun',
                                'vol_used': used})
        return {'last_check_time': time.time(),
                'overloaded_volumes': volumes}

    @_read('status.pools')
    def status_pools(self, ctx, params):
        """Health of every pool in scope."""
        return [{'integrity': self._integrity(p), 'owner': p['owner'],
                 'pool_id': p['id'], 'pool_name': p['name'],
                 'status': p['status']} for p in self._scoped_pools(ctx)]

    @_read('status.services')
    def status_services(self, ctx, params):
        """Enabled (1) / disabled (0) services."""
        return {'callhome': 1, 'cifs': 1, 'mail_alert': 1, 'nfs': 1,
                'ntp': 1, 'remote_help': 0, 'replication': 1, 's3': 1,
                'san': 1, 'snmp': 1, 'snmp_trap': 0, 'syslog': 1}

    @_read('status.system_info')
    def status_system_info(self, ctx, params):
        """Model, versions, uptime and counts of the key's pools."""
        luns = [lun for lun in self._luns.values()
                if self._lun_in_scope(ctx, lun)]
        mapping = self._mapping()
        scoped = {lun['vol_id'] for lun in luns}
        snaps = sum(1 for s in self._snaps.values() if s['vol_id'] in scoped)
        now = time.time()
        return {
            'user_count': 1,
            'dramcachesize': '258GB',
            'scsi_initiators': sum(len(g['initiators'])
                                   for g in self._groups.values()),
            'used_lun': sum(1 for v in scoped if v in mapping),
            'shares': 0,
            'maxlun': str(MAX_LUNS_PER_TARGET),
            'product': PRODUCT,
            'controller_type': str(len(self._owners)),
            'app_version': APP_VERSION,
            'luns': len(luns),
            'date': _array_date(now),
            'uptime': _uptime_text(now - self.boot_time),
            'service_tag': self._service_tag,
            'maxsnap': str(MAX_SNAPSHOTS_PER_LUN),
            'fc_initiators': 0,
            'snapshot_count': str(snaps),
            'os_version': OS_VERSION,
        }

    @_read('network.info')
    def network_info(self, ctx, params):
        """Network settings: one data interface per portal address."""
        interfaces = []
        seen = []
        for portal in self._portal_group['listen_ips']:
            address = portal.rsplit(':', 1)[0].strip('[]')
            if address in seen:
                continue
            seen.append(address)
            ip = ipaddress.ip_address(address)
            interfaces.append({
                'name': 'ixl%d' % (len(seen) - 1),
                'ipv4': address if ip.version == 4 else '',
                'ipv6': address if ip.version == 6 else '',
                'netmask': ('255.0.0.0' if ip.is_loopback else
                            '255.255.255.0') if ip.version == 4 else '',
                'mtu': 9000,
                'link': 'up',
                'speed': '10000',
                'mac': '00:1b:21:%02x:%02x:%02x' % tuple(
                    ip.packed[-3:].rjust(3, b'\0')),
            })
        return {'hostname': self._service_tag.lower(),
                'default_gateway': '',
                'dns': [],
                'interfaces': interfaces}

    # ----------------------------------------------------------------
    # data plane view, dump/load, read helpers
    # ----------------------------------------------------------------

    def _export_view(self):
        targets = []
        for target in self._targets.values():
            luns = []
            for entry in sorted(target['luns'],
                                key=lambda e: e['lun_number']):
                lun = self._luns[entry['vol_id']]
                luns.append({'vol_id': lun['vol_id'],
                             'lun_number': entry['lun_number'],
                             'size': lun['size'], 'name': lun['name'],
                             'pool': lun['pool'],
                             'scsi_lunid': lun['scsi_lunid'],
                             'blocksize': lun['blocksize']})
            targets.append({'id': target['id'], 'name': target['name'],
                            'iqn': self._target_iqn(target),
                            'owner': target['owner'],
                            'auth_group_id': target['auth_group_id'],
                            'portal_group_id': target['portal_group_id'],
                            'portals': list(
                                self._portal_group['listen_ips']),
                            'luns': luns})
        groups = []
        for group in self._groups.values():
            groups.append({'id': group['id'], 'name': group['name'],
                           'owner': group['owner'],
                           'iqns': [i['iqn'] for i in group['initiators']],
                           'chap': dict(group['chap']) if group['chap']
                           else None})
        return {'service_tag': self._service_tag,
                'portals': list(self._portal_group['listen_ips']),
                'targets': targets, 'auth_groups': groups}

    def export_view(self):
        """Targets with IQN and LUNs, auth groups with IQNs and CHAP.

        A plain dict for the data plane (it holds CHAP secrets: never log
        it). Each target: id, name, iqn, owner, auth_group_id,
        portal_group_id, portals, luns (vol_id, lun_number, size, name,
        pool, scsi_lunid, blocksize); each auth group: id, name, owner,
        iqns, chap (None or {username, password}).
        """
        with self.lock:
            return self._export_view()

    def dump(self):
        """Return the whole state as a JSON-able dict (ids included)."""
        with self.lock:
            return copy.deepcopy({
                'format': DUMP_FORMAT,
                'service_tag': self._service_tag,
                'owners': self._owners,
                'portal_group': self._portal_group,
                'pools': list(self._pools.values()),
                'luns': list(self._luns.values()),
                'snapshots': list(self._snaps.values()),
                'targets': list(self._targets.values()),
                'auth_groups': list(self._groups.values()),
                'schedules': list(self._schedules.values()),
                'license': self._license,
                'logs': self._logs,
                'counters': self._counters,
            })

    @classmethod
    def load(cls, data, backing=None, on_change=None):
        """Rebuild a state from :meth:`dump` output (ValueError if bad)."""
        if not isinstance(data, dict) or data.get('format') != DUMP_FORMAT:
            raise ValueError('not a simulator state dump (format %d)'
                             % DUMP_FORMAT)
        data = copy.deepcopy(data)
        try:
            state = cls.__new__(cls)
            state.lock = threading.RLock()
            state.backing = backing if backing is not None else (
                backing_mod.NullBacking())
            state.on_change = on_change
            state.boot_time = time.time()
            state._service_tag = data['service_tag']
            state._owners = list(data['owners'])
            state._portal_group = data['portal_group']
            state._pools = {p['name']: p for p in data['pools']}
            state._luns = {lun['vol_id']: lun for lun in data['luns']}
            state._snaps = {s['snap_id']: s for s in data['snapshots']}
            state._targets = {t['id']: t for t in data['targets']}
            state._groups = {g['id']: g for g in data['auth_groups']}
            state._schedules = {s['vol_id']: s for s in data['schedules']}
            state._license = data['license']
            state._logs = {k: list(data['logs'][k])
                           for k in ('alert', 'audit', 'system_event')}
            state._counters = data['counters']
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError('corrupt simulator state dump: %s: %s'
                             % (type(exc).__name__, exc))
        ids = {state._portal_group['id']}
        ids.update(p['id'] for p in state._pools.values())
        ids.update(state._luns)
        ids.update(state._snaps)
        ids.update(state._targets)
        ids.update(state._groups)
        ids.update(s['id'] for s in state._schedules.values())
        for group in state._groups.values():
            ids.update(i['id'] for i in group['initiators'])
        state._ids = ids
        state._reindex()
        return state

    def luns(self):
        """All LUNs in detail-list shape (test helper, no scope)."""
        return self.lun_detail_list(RequestContext(), {})

    def snapshots(self):
        """All snapshots in detail shape plus ``vol_id`` (test helper)."""
        with self.lock:
            bound = self._bound_snap_ids()
            newest = self._newest_snap_ids()
            result = []
            for snap in sorted(self._snaps.values(), key=lambda s: s['seq']):
                view = self._snap_view(snap, bound, newest)
                view['vol_id'] = snap['vol_id']
                result.append(view)
            return result

    def targets(self):
        """All targets in detail shape (test helper, no scope)."""
        return self.iscsi_target_detail_list(RequestContext(), {})

    def auth_groups(self):
        """All auth groups in detail shape (test helper)."""
        return self.auth_group_detail_list(RequestContext(), {})

    def pools(self):
        """All pools: pool_name, owner, pool_id, size, status."""
        with self.lock:
            return [{'pool_name': p['name'], 'owner': p['owner'],
                     'pool_id': p['id'], 'size': p['size'],
                     'status': p['status']} for p in self._pools.values()]

    def schedules(self):
        """All snapshot schedules in detail shape (test helper)."""
        with self.lock:
            return [self._schedule_view(s) for s in self._schedules.values()]


def _normalise_portal(text):
    """Return ``ip:port`` (``[v6]:port``); port 3260 by default."""
    text = str(text).strip()
    port = 3260
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
