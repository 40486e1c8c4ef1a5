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

"""The 60 operations of the NGXStorage REST API v2.4.1 as a table.

This module is the single source of the simulator's request validation and
of the contract tests: every operation has an id (also its permission id),
the method and path as documented, and the constraints of its path, query
and body parameters, taken from the reference's Details column and from the
project's reading of it (``API-NOTES.md``).

:func:`validate` turns a raw request (path parameters, query pairs, body
bytes) into the ``params`` dict handed to the state model, or raises
:class:`ValidationError` naming the parameter and the rule it broke.
:func:`render_openapi` renders the table as an OpenAPI 3 document.
"""

import json
import re

API_PREFIX = '/api/v2'

# Largest request body the simulator reads (bytes).
MAX_BODY_BYTES = 1024 * 1024
# Most LUNs one LUN create may make (``quantity``); the model's limit.
MAX_QUANTITY = 100


class ValidationError(Exception):
    """A request broke a documented constraint (HTTP 400).

    The message names the parameter, where it was (path, query, body) and
    the rule; it never repeats the rejected value, which may be a secret.
    """

    status = 400

    def __init__(self, message, param=None, location=None):
        super(ValidationError, self).__init__(message)
        self.message = message
        self.param = param
        self.location = location


class Param(object):
    """One parameter of an operation and its constraints.

    ``type`` is ``string``, ``integer`` or ``array`` (of strings).  Body
    values must have exactly that JSON type (an integer is never a bool or
    a numeric string); query values arrive as text and ``integer`` ones are
    parsed.  ``target`` is the key under which the value reaches the state
    (defaults to ``name``).  ``example`` is a valid value, used by the
    contract tests and the OpenAPI document.
    """

    def __init__(self, name, type='string', required=False, pattern=None,
                 rule=None, enum=None, ignore_case=False, minimum=None,
                 maximum=None, max_length=None, length_rule=None,
                 items=None, min_items=None, max_items=None, check=None,
                 check_rule=None, check_example=None, target=None,
                 example=None, description=None, secret=False):
        self.name = name
        self.type = type
        self.required = required
        self.pattern = pattern
        self._regex = re.compile(pattern) if pattern else None
        self.rule = rule
        self.enum = tuple(enum) if enum is not None else None
        self.ignore_case = ignore_case
        self.minimum = minimum
        self.maximum = maximum
        self.max_length = max_length
        self.length_rule = length_rule
        self.items = items
        self.min_items = min_items
        self.max_items = max_items
        self.check = check
        self.check_rule = check_rule
        # A value that passes the pattern but fails ``check`` (tests).
        self.check_example = check_example
        self.target = target or name
        self.example = example
        self.description = description
        self.secret = secret

    def __repr__(self):
        return '<Param %s %s>' % (self.name, self.type)

    def describe(self):
        """Return the human rule of this parameter, e.g. for messages."""
        if self.rule:
            return self.rule
        if self.enum is not None:
            return 'one of %s' % ', '.join(str(v) for v in self.enum)
        return 'a valid %s' % self.type

    def check_value(self, value):
        """Check a value of the right type against the constraints.

        Returns the (possibly normalised) value; raises ``ValueError`` with
        the rule text when a constraint is broken.
        """
        if self.type == 'array':
            if self.min_items is not None and len(value) < self.min_items:
                raise ValueError('must have at least %d item(s)'
                                 % self.min_items)
            if self.max_items is not None and len(value) > self.max_items:
                raise ValueError('must have at most %d item(s)'
                                 % self.max_items)
            if self.items is not None:
                out = []
                for index, item in enumerate(value):
                    try:
                        out.append(self.items.check_value(item))
                    except ValueError as e:
                        raise ValueError('item %d %s' % (index, e))
                return out
            return list(value)
        if self.enum is not None:
            if self.ignore_case and isinstance(value, str):
                lowered = value.lower()
                if lowered not in [str(v).lower() for v in self.enum]:
                    raise ValueError('must be %s (case-insensitive)'
                                     % self.describe())
                value = lowered
            elif value not in self.enum:
                raise ValueError('must be %s' % self.describe())
        if self.type == 'integer':
            if self.minimum is not None and value < self.minimum:
                raise ValueError('must be %s' % self.describe())
            if self.maximum is not None and value > self.maximum:
                raise ValueError('must be %s' % self.describe())
        if self.type == 'string':
            if self._regex is not None and not self._regex.fullmatch(value):
                raise ValueError('must be %s (pattern %s)'
                                 % (self.describe(), self.pattern))
            if self.max_length is not None and len(value) > self.max_length:
                raise ValueError('must be %s' % (
                    self.length_rule or
                    'at most %d characters' % self.max_length))
        if self.check is not None and not self.check(value):
            raise ValueError('must be %s' % (self.check_rule or
                                             self.describe()))
        return value


class Operation(object):
    """One documented operation of the API."""

    def __init__(self, op_id, method, path, summary, path_params=(),
                 query_params=(), body_params=(), min_body_fields=0,
                 aliases=None, requires=None, description=None):
        self.op_id = op_id
        self.permission = op_id
        self.method = method
        self.path = path
        self.summary = summary
        self.description = description or summary
        self.path_params = tuple(path_params)
        self.query_params = tuple(query_params)
        self.body_params = tuple(body_params)
        self.min_body_fields = min_body_fields
        # alias name -> canonical name (e.g. size_letter -> sing).
        self.aliases = dict(aliases or {})
        # body field -> field it needs (e.g. sing -> size on modify).
        self.requires = dict(requires or {})
        self.segments = tuple(
            s for s in path[len(API_PREFIX):].strip('/').split('/') if s)

    def __repr__(self):
        return '<Operation %s %s %s>' % (self.op_id, self.method, self.path)

    @property
    def mutating(self):
        """True for operations that change the array (not GET)."""
        return self.method != 'GET'

    @property
    def has_body(self):
        """True when the operation documents body parameters."""
        return bool(self.body_params)

    def param(self, location, name):
        """Return the :class:`Param` ``name`` of ``location``."""
        for p in getattr(self, location + '_params'):
            if p.name == name:
                return p
        raise KeyError(name)

    def all_params(self):
        """Yield ``(location, Param)`` for every parameter."""
        for location in ('path', 'query', 'body'):
            for p in getattr(self, location + '_params'):
                yield location, p


# -- constraint helpers ------------------------------------------------------

HEX_1_40 = (r'^[0-9a-fA-F]{1,40}$', '1-40 hexadecimal characters')
HEX_5_40 = (r'^[0-9a-fA-F]{5,40}$', '5-40 hexadecimal characters')
ANY_1_40 = (r'^[^/]{1,40}$', '1-40 characters')
SEGMENT = (r'^[^/]{1,255}$', 'a non-empty path segment')
LUN_NAME = (r'^[A-Za-z0-9_-]{1,30}$',
            '1-30 letters, numbers, underscores, or hyphens')
AG_NAME = (r'^[A-Za-z0-9]{1,30}$', '1-30 letters or numbers')
POOL_NAME = (r'^[A-Za-z0-9]{1,20}$', '1-20 letters or numbers')
OWNER = (r'^[A-Za-z0-9_-]{1,20}$',
         '1-20 letters, numbers, underscores, or hyphens')
SNAP_NAME = (r'^[A-Za-z0-9_-]{1,999}$',
             '1-999 letters, numbers, underscores, or hyphens')
CHAP_USER = (r'^[A-Za-z0-9._-]{1,64}$',
             '1-64 letters, numbers, dots, underscores, or hyphens')
CHAP_SECRET = (r'^[\x21-\x7e]{12,16}$',
               '12-16 printable non-space ASCII characters')
IQN_ALIAS = (r'^[A-Za-z0-9_.:-]{1,64}$',
             '1-64 letters, numbers, underscores, dots, colons, or hyphens')
_LABEL = r'[a-z0-9]([a-z0-9-]*[a-z0-9])?'
IQN = (r'^(iqn\.[0-9]{4}-(0[1-9]|1[0-2])\.' + _LABEL + r'(\.' + _LABEL +
       r')*(:[A-Za-z0-9._:-]+)?'
       r'|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16}([0-9A-Fa-f]{16})?)$',
       'an iSCSI name: iqn.yyyy-mm.reversed.domain[:identifier], '
       'eui.<16 hex> or naa.<16 or 32 hex> (at most 223 characters)')
CRON = (r'^[0-9*,-]+( [0-9*,-]+){4}$',
        'a cron expression of 5 fields (minute hour day-of-month month '
        'day-of-week) using numbers, asterisks, commas, and hyphens')
ON_OFF = ('on', 'off')
# Accepted forms of a filter[time][] bound: epoch seconds, a date, or a
# date and time ('YYYY-MM-DD HH:MM[:SS]', also with a 'T'), or the system
# event log's own 'MM/DD/YYYY[ HH:MM:SS]'.
TIME_BOUND = (r'^([0-9]{1,10}|[0-9]{4}-[0-9]{2}-[0-9]{2}'
              r'([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?)?'
              r'|[0-9]{2}/[0-9]{2}/[0-9]{4}( [0-9]{2}:[0-9]{2}:[0-9]{2})?)$',
              'epoch seconds, YYYY-MM-DD[ HH:MM[:SS]] or '
              'MM/DD/YYYY[ HH:MM:SS]')

_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def cron_is_valid(expression):
    """Return True when every field of a 5-field cron is in range.

    Each field is ``*`` or a comma list of ``N`` / ``N-M`` (N <= M) inside
    the field's range (minute 0-59, hour 0-23, day 1-31, month 1-12,
    weekday 0-7).
    """
    fields = expression.split(' ')
    if len(fields) != 5:
        return False
    for field, (low, high) in zip(fields, _CRON_RANGES):
        if field == '*':
            continue
        for part in field.split(','):
            bounds = part.split('-')
            if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
                return False
            numbers = [int(b) for b in bounds]
            if numbers[0] > numbers[-1]:
                return False
            if numbers[0] < low or numbers[-1] > high:
                return False
    return True


def _p(name, spec, **kwargs):
    """Build a string Param from a (pattern, rule) pair."""
    pattern, rule = spec
    return Param(name, pattern=pattern, rule=rule, **kwargs)


def _path(name, spec, example='a' * 40):
    return _p(name, spec, required=True, example=example)


def _owner(required=True):
    return _p('owner', OWNER, required=required, example='1')


def _onoff(name):
    return Param(name, enum=ON_OFF, example='on')


def _lun_ids(required):
    return Param('lun_ids', type='array', required=required,
                 items=_p('lun_ids[]', HEX_1_40, example='a' * 40),
                 min_items=1 if required else None,
                 rule='an array of vol_ids (1-40 hexadecimal characters)',
                 example=['a' * 40])


def _size_params():
    return [
        Param('size', type='integer', required=False, minimum=1,
              rule='an integer, 1 or greater', example=1),
        Param('sing', enum=('M', 'G', 'T'), example='G',
              rule='single character: M, G, or T'),
        Param('size_letter', enum=('M', 'G', 'T'), example='G',
              rule='single character: M, G, or T (alias of sing)'),
    ]


_LUN_PROPERTIES = [
    _onoff('deduplication'),
    _onoff('compression'),
    _onoff('thin_provision'),
    Param('io_type', enum=('transactional', 'sequential'),
          example='transactional'),
    Param('qos_priority', type='integer', enum=(4, 8, 16, 32, 64, 128),
          example=16),
    _onoff('flash_cache'),
    _onoff('dram_cache'),
    Param('force', enum=('true', 'false'), example='false',
          rule="the string 'true' or 'false'"),
]


def _log_common(sort_fields):
    return [
        Param('filter[time][]', type='array', target='time_range',
              items=_p('filter[time][]', TIME_BOUND),
              min_items=2, max_items=2,
              rule='exactly two values: first the start, then the end',
              example=['2025-01-01 00:00:00', '2030-01-01 00:00:00']),
        Param('sort[]', type='array', target='sort',
              items=Param('sort[]', enum=sort_fields), min_items=1,
              rule='fields among %s' % ', '.join(sort_fields),
              example=[sort_fields[0]]),
        Param('order', enum=('asc', 'desc'), rule='asc or desc',
              example='desc'),
        Param('limit', type='integer', minimum=0, maximum=1000,
              rule='an integer from 0 to 1000', example=10),
        Param('page', type='integer', minimum=1,
              rule='an integer, 1 or greater (pages are 1-based)',
              example=1),
    ]


def _log_filter(name):
    return Param('filter[%s]' % name, target=name, pattern=r'^.{1,255}$',
                 rule='1-255 characters', example='x')


def _no_params(op_id, path, summary):
    return Operation(op_id, 'GET', path, summary)


def _build_operations():
    p = API_PREFIX
    ops = []
    add = ops.append

    # -- Auth group --------------------------------------------------------
    add(Operation('auth_group.create', 'POST', p + '/auth_group/',
                  'Create an auth group',
                  body_params=[_p('name', AG_NAME, required=True,
                                  example='group1'),
                               _owner()]))
    add(Operation('auth_group.delete', 'DELETE', p + '/auth_group/{id}',
                  'Delete an auth group',
                  path_params=[_path('id', HEX_5_40)]))
    add(Operation('auth_group.rename', 'PATCH', p + '/auth_group/{id}',
                  'Change the name of an auth group',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_p('name', AG_NAME, required=True,
                                  example='group2'),
                               _owner()]))
    add(Operation('auth_group.chap_set', 'PATCH',
                  p + '/auth_group/chap/{id}',
                  'Add or replace the CHAP credential of an auth group',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_p('username', CHAP_USER, required=True,
                                  example='user1'),
                               _p('password', CHAP_SECRET, required=True,
                                  example='secret123456', secret=True),
                               _owner()]))
    add(Operation('auth_group.chap_delete', 'DELETE',
                  p + '/auth_group/chap/{id}',
                  'Delete the CHAP credential of an auth group',
                  path_params=[_path('id', HEX_5_40)]))
    add(Operation('auth_group.iqn_add', 'PATCH', p + '/auth_group/iqn/{id}',
                  'Add an initiator IQN to an auth group',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_owner(),
                               _p('iqn', IQN, required=True, max_length=223,
                                  length_rule='at most 223 characters',
                                  example='iqn.1993-08.org.debian:01:abc'),
                               _p('iqn_alias', IQN_ALIAS, required=True,
                                  example='host1')]))
    add(Operation('auth_group.iqn_delete', 'DELETE',
                  p + '/auth_group/iqn/{iqn_id}/',
                  'Delete an initiator IQN from its auth group',
                  path_params=[_path('iqn_id', HEX_5_40)]))
    add(Operation('auth_group.detail', 'GET', p + '/auth_group/{id}',
                  'Auth group detail',
                  path_params=[_p('id', (r'^[^/]{1,40}$',
                                         'up to 40 characters'),
                                  required=True, example='1')]))
    add(_no_params('auth_group.detail_list', p + '/auth_group/list',
                   'Auth group detail list'))
    add(_no_params('auth_group.list', p + '/auth_group/',
                   'Auth group list'))

    # -- iSCSI target ------------------------------------------------------
    add(Operation('iscsi_target.create', 'POST', p + '/target/iscsi/',
                  'Create an iSCSI target',
                  body_params=[_p('name', LUN_NAME, required=True,
                                  example='target1'),
                               _p('auth_group_id', HEX_1_40, required=True,
                                  example='1'),
                               _p('portal_group_id', HEX_1_40,
                                  required=True, example='a' * 40),
                               _owner(),
                               _lun_ids(required=False)]))
    add(Operation('iscsi_target.delete', 'DELETE',
                  p + '/iscsi_target/{id}', 'Delete an iSCSI target',
                  path_params=[_path('id', HEX_1_40)]))
    add(Operation('iscsi_target.rename', 'PATCH', p + '/iscsi_target/{id}',
                  'Change the name of an iSCSI target',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_p('name', LUN_NAME, required=True,
                                  example='target2'),
                               _owner()]))
    add(Operation('iscsi_target.portal_group', 'PATCH',
                  p + '/iscsi_target/portal_group/{target_id}',
                  'Change the portal group of an iSCSI target',
                  path_params=[_path('target_id', HEX_1_40)],
                  body_params=[_p('portal_group_id', HEX_1_40,
                                  required=True, example='a' * 40),
                               _owner()]))
    add(Operation('iscsi_target.auth_group', 'PATCH',
                  p + '/iscsi_target/auth_group/{target_id}',
                  'Change the auth group of an iSCSI target',
                  path_params=[_path('target_id', SEGMENT)],
                  body_params=[_p('auth_group_id', HEX_1_40, required=True,
                                  example='1'),
                               _owner()]))
    add(Operation('iscsi_target.lun_add', 'PUT',
                  p + '/iscsi_target/lun/{id}/',
                  'Add LUNs to an iSCSI target',
                  path_params=[_path('id', SEGMENT)],
                  body_params=[_lun_ids(required=True), _owner()]))
    add(Operation('iscsi_target.lun_remove', 'PATCH',
                  p + '/iscsi_target/lun/{id}',
                  'Remove LUNs from an iSCSI target',
                  path_params=[_path('id', HEX_1_40)],
                  body_params=[_lun_ids(required=True), _owner()]))
    add(Operation('iscsi_target.detail', 'GET', p + '/iscsi_target/{id}',
                  'iSCSI target detail',
                  path_params=[_path('id', HEX_1_40)]))
    add(_no_params('iscsi_target.detail_list', p + '/iscsi_target/list',
                   'iSCSI target detail list'))
    add(_no_params('iscsi_target.list', p + '/iscsi_target/',
                   'iSCSI target list'))

    # -- Log ---------------------------------------------------------------
    add(Operation('log.alert', 'GET', p + '/log/alert', 'Alert log',
                  query_params=[
                      Param('filter[type][]', type='array', target='types',
                            items=Param('filter[type][]',
                                        enum=('info', 'warning', 'error',
                                              'fatal'),
                                        ignore_case=True),
                            min_items=1,
                            rule='types among info, warning, error, fatal',
                            example=['warning'])] +
                  _log_common(('id', 'time', 'event_id', 'type',
                               'description'))))
    add(Operation('log.audit', 'GET', p + '/log/audit', 'Audit log',
                  query_params=_log_common(
                      ('time', 'id', 'user', 'host', 'agent',
                       'description')) +
                  [_log_filter(n) for n in ('user', 'host', 'agent',
                                            'description')]))
    add(Operation('log.system_event', 'GET', p + '/log/system_event',
                  'System event log',
                  query_params=_log_common(
                      ('time', 'id', 'function', 'action', 'sensor')) +
                  [_log_filter(n) for n in ('function', 'action',
                                            'sensor')]))

    # -- LUN ---------------------------------------------------------------
    create_size = _size_params()
    create_size[0] = Param('size', type='integer', required=True,
                           minimum=1, rule='an integer, 1 or greater',
                           example=1)
    add(Operation('lun.create', 'POST', p + '/lun/', 'Create LUNs',
                  body_params=[
                      _p('pool_name', POOL_NAME, required=True,
                         example='pool1'),
                      _p('name', LUN_NAME, required=True, example='lun1')] +
                  create_size +
                  [Param('blocksize',
                         enum=('4k', '8k', '16k', '32k', '64k', '128k'),
                         example='16k')] +
                  list(_LUN_PROPERTIES) +
                  # Details say "1 or greater"; the model creates at
                  # most MAX_QUANTITY LUNs per call.
                  [Param('quantity', type='integer', minimum=1,
                         maximum=MAX_QUANTITY,
                         rule='an integer from 1 to %d' % MAX_QUANTITY,
                         example=1)],
                  aliases={'size_letter': 'sing'}))
    add(Operation('lun.delete', 'DELETE', p + '/lun/{vol_id}',
                  'Delete a LUN',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('lun.modify', 'PATCH', p + '/lun/{vol_id}',
                  'Modify a LUN',
                  path_params=[_path('vol_id', HEX_1_40)],
                  body_params=_size_params() + list(_LUN_PROPERTIES),
                  min_body_fields=1,
                  aliases={'size_letter': 'sing'},
                  requires={'sing': 'size', 'size_letter': 'size'}))
    add(Operation('lun.detail', 'GET', p + '/lun/{vol_id}', 'LUN detail',
                  path_params=[_path('vol_id', SEGMENT)]))
    add(_no_params('lun.detail_list', p + '/lun/list', 'LUN detail list'))
    add(_no_params('lun.list', p + '/lun/', 'LUN list'))

    # -- Pool --------------------------------------------------------------
    add(Operation('pool.detail', 'GET', p + '/pool/{id}/', 'Pool detail',
                  path_params=[_path('id', ANY_1_40)]))
    add(_no_params('pool.detail_list', p + '/pool/list', 'Pool detail list'))
    add(_no_params('pool.list', p + '/pool', 'Pool list'))
    add(_no_params('pool.overview', p + '/pool/overview', 'Pool overview'))

    # -- Portal group ------------------------------------------------------
    add(Operation('portal_group.detail', 'GET', p + '/portal_group/{id}',
                  'Portal group detail',
                  path_params=[_path('id', HEX_1_40)]))
    add(_no_params('portal_group.detail_list', p + '/portal_group/list',
                   'Portal group detail list'))
    add(_no_params('portal_group.list', p + '/portal_group',
                   'Portal group list'))

    # -- Snapshot ----------------------------------------------------------
    add(Operation('snapshot.create', 'POST', p + '/snapshot/',
                  'Create a snapshot',
                  body_params=[_p('name', SNAP_NAME, required=True,
                                  example='snap1'),
                               _p('volume_id', HEX_1_40, required=True,
                                  example='a' * 40)]))
    add(Operation('snapshot.delete', 'DELETE', p + '/snapshot/{snap_id}',
                  'Delete a snapshot',
                  path_params=[_path('snap_id', HEX_1_40)]))
    add(Operation('snapshot.delete_all', 'DELETE',
                  p + '/snapshot/all/{vol_id}',
                  'Delete all snapshots of a LUN',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('snapshot.clone', 'POST',
                  p + '/snapshot/clone/{snap_id}',
                  'Clone a snapshot into a new LUN',
                  path_params=[_path('snap_id', SEGMENT)],
                  body_params=[_p('name', SNAP_NAME, required=True,
                                  max_length=30,
                                  length_rule='at most 30 characters (the '
                                              'clone becomes a LUN)',
                                  example='clone1')]))
    add(Operation('snapshot.restore', 'POST',
                  p + '/snapshot/restore/{snap_id}',
                  'Restore (roll back) a LUN to a snapshot',
                  path_params=[_path('snap_id', HEX_1_40)]))
    add(Operation('snapshot.schedule_detail', 'GET',
                  p + '/snapshot/schedule/{vol_id}',
                  'Snapshot schedule detail',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('snapshot.schedule_create', 'POST',
                  p + '/snapshot/schedule/{vol_id}',
                  'Create a snapshot schedule',
                  path_params=[_path('vol_id', HEX_1_40)],
                  body_params=[
                      _p('cron_time', CRON, required=True,
                         check=cron_is_valid,
                         check_rule='a cron expression whose fields are in '
                                    'range (minute 0-59, hour 0-23, day '
                                    '1-31, month 1-12, weekday 0-7)',
                         check_example='60 * * * *',
                         example='5 * * * *'),
                      Param('keep_max', type='integer', required=True,
                            minimum=1, maximum=512, rule='1 to 512',
                            example=3)]))
    add(Operation('snapshot.schedule_delete', 'DELETE',
                  p + '/snapshot/schedule/{vol_id}',
                  'Delete a snapshot schedule',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('snapshot.detail', 'GET', p + '/snapshot/{snap_id}',
                  'Snapshot detail',
                  path_params=[_path('snap_id', HEX_1_40)]))
    add(Operation('snapshot.detail_list', 'GET', p + '/snapshot/list',
                  'Snapshot detail list',
                  query_params=[_p('vol_id', HEX_1_40, example='a' * 40)]))
    add(Operation('snapshot.list', 'GET', p + '/snapshot', 'Snapshot list',
                  query_params=[_p('vol_id', HEX_1_40, example='a' * 40)]))

    # -- Status ------------------------------------------------------------
    for name in ('bandwidth', 'cache', 'capacity', 'cluster', 'cpu',
                 'enclosures', 'iops', 'license', 'overloaded_volumes',
                 'pools', 'services', 'system_info'):
        add(_no_params('status.' + name, p + '/status/' + name,
                       'Status: ' + name.replace('_', ' ')))

    # -- Network -----------------------------------------------------------
    add(_no_params('network.info', p + '/network/info', 'Network info'))
    return tuple(ops)


OPERATIONS = _build_operations()
BY_ID = {op.op_id: op for op in OPERATIONS}


def get(op_id):
    """Return the :class:`Operation` with this id (KeyError if unknown)."""
    return BY_ID[op_id]


def _json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, int):
        return 'integer'
    if isinstance(value, float):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'array'
    return 'object'


def _fail(location, name, rule):
    raise ValidationError('Invalid %s parameter %r: %s' % (location, name,
                                                           rule),
                          param=name, location=location)


def _check(location, param, value):
    try:
        return param.check_value(value)
    except ValueError as e:
        _fail(location, param.name, str(e))


def _reject_duplicates(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError('duplicate key %r in a JSON object' % key[:64])
        result[key] = value
    return result


def _reject_constant(name):
    raise ValueError('%s is not valid JSON' % name)


def decode_body(body):
    """Decode a request body into a dict, or None when it is empty.

    The body must be UTF-8 JSON text whose top level is an object, without
    duplicate keys and without NaN/Infinity; otherwise ValidationError.
    """
    if body is None or not body.strip():
        return None
    if len(body) > MAX_BODY_BYTES:
        raise ValidationError('Request body larger than %d bytes'
                              % MAX_BODY_BYTES, location='body')
    try:
        text = body.decode('utf-8')
        data = json.loads(text, object_pairs_hook=_reject_duplicates,
                          parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise ValidationError('Request body is not valid JSON: %s'
                              % str(e)[:120], location='body')
    if not isinstance(data, dict):
        raise ValidationError('Request body must be a JSON object, not %s'
                              % _json_type(data), location='body')
    return data


def _validate_path(op, path_params, params):
    for param in op.path_params:
        value = path_params.get(param.name)
        if value is None:
            _fail('path', param.name, 'is required')
        params[param.target] = _check('path', param, value)


def _validate_query(op, query_pairs, params):
    known = {p.name: p for p in op.query_params}
    seen = {}
    for key, value in query_pairs:
        if key not in known:
            raise ValidationError(
                'Unknown query parameter %r (%s takes %s)'
                % (key[:64], op.op_id,
                   ', '.join(sorted(known)) or 'no query parameters'),
                param=key, location='query')
        seen.setdefault(key, []).append(value)
    for name, values in seen.items():
        param = known[name]
        if param.type == 'array':
            params[param.target] = _check('query', param, values)
            continue
        if len(values) > 1:
            _fail('query', name, 'must be given at most once')
        value = values[0]
        if param.type == 'integer':
            if not re.fullmatch(r'[0-9]{1,9}', value):
                _fail('query', name, 'must be %s' % param.describe())
            value = int(value)
        params[param.target] = _check('query', param, value)


def _validate_body(op, body, params):
    data = decode_body(body)
    if not op.body_params:
        if data:
            raise ValidationError(
                'Unknown body parameter %r (%s takes no body)'
                % (sorted(data)[0][:64], op.op_id),
                param=sorted(data)[0], location='body')
        return
    if data is None:
        if not any(p.required for p in op.body_params) and \
                not op.min_body_fields:
            return
        needed = ', '.join(p.name for p in op.body_params if p.required)
        raise ValidationError('Request body must be a JSON object with %s'
                              % (needed or 'at least one field'),
                              location='body')
    known = {p.name: p for p in op.body_params}
    for key in sorted(data):
        if key not in known:
            raise ValidationError(
                'Unknown body parameter %r (%s takes %s)'
                % (key[:64], op.op_id, ', '.join(sorted(known))),
                param=key, location='body')
    for param in op.body_params:
        if param.name not in data:
            if param.required:
                raise ValidationError('Missing required body parameter %r'
                                      % param.name, param=param.name,
                                      location='body')
            continue
        value = data[param.name]
        actual = _json_type(value)
        if actual != param.type:
            _fail('body', param.name, 'must be of type %s, not %s'
                  % (param.type, actual))
        if param.type == 'array' and param.items is not None:
            for index, item in enumerate(value):
                if _json_type(item) != param.items.type:
                    _fail('body', param.name, 'item %d must be of type %s'
                          % (index, param.items.type))
        params[param.target] = _check('body', param, value)
    if op.min_body_fields and len(data) < op.min_body_fields:
        raise ValidationError('Request body must set at least %d of %s'
                              % (op.min_body_fields,
                                 ', '.join(sorted(known))),
                              location='body')
    for field, needed in sorted(op.requires.items()):
        if field in data and needed not in data:
            _fail('body', field, 'is only accepted together with %r'
                  % needed)
    _fold_aliases(op, params)


def _fold_aliases(op, params):
    for alias, canonical in sorted(op.aliases.items()):
        if alias in params:
            value = params.pop(alias)
            if canonical in params and params[canonical] != value:
                _fail('body', alias, 'must equal %r when both are given'
                      % canonical)
            params[canonical] = value


def validate(op, path_params, query_pairs, body):
    """Validate one request against ``op``; return the state's params.

    ``path_params`` maps the path template's names to the (decoded) path
    segments; ``query_pairs`` is a list of ``(name, value)`` in request
    order; ``body`` is the raw body (bytes, may be empty).  The result maps
    each parameter's ``target`` to its value: path parameters under their
    reference names, body fields as sent (``size_letter`` folded into
    ``sing``), log queries normalised (``types`` lower-cased list,
    ``time_range`` [start, end], ``sort`` list, ``order``, ``limit`` and
    ``page`` ints, ``user``/``host``/... strings).
    """
    params = {}
    _validate_path(op, path_params, params)
    _validate_query(op, query_pairs, params)
    _validate_body(op, body, params)
    return params


def check_params(op, given):
    """Check a direct caller's already decoded params against ``op``.

    ``given`` maps each parameter's ``target`` to its value, as
    :func:`validate` returns them (a None value counts as absent; a query
    array may be given as one string). Every constraint of the table
    applies, values must have exactly their JSON type. Returns the params
    :func:`validate` would return; raises :class:`ValidationError`.
    """
    known = {p.target: (location, p) for location, p in op.all_params()}
    params = {}
    body_fields = 0
    for key in sorted(given):
        value = given[key]
        if value is None:
            continue
        if key not in known:
            raise ValidationError('Unknown parameter %r (%s takes %s)'
                                  % (str(key)[:64], op.op_id,
                                     ', '.join(sorted(known)) or 'none'),
                                  param=key)
        location, param = known[key]
        if (location == 'query' and param.type == 'array'
                and isinstance(value, str)):
            value = [value]
        actual = _json_type(value)
        if actual != param.type:
            _fail(location, param.name, 'must be of type %s, not %s'
                  % (param.type, actual))
        if param.type == 'array' and param.items is not None:
            for index, item in enumerate(value):
                if _json_type(item) != param.items.type:
                    _fail(location, param.name,
                          'item %d must be of type %s'
                          % (index, param.items.type))
        params[key] = _check(location, param, value)
        body_fields += location == 'body'
    for location, param in op.all_params():
        if param.required and param.target not in params:
            _fail(location, param.name, 'is required')
    if op.min_body_fields and body_fields < op.min_body_fields:
        raise ValidationError('Request body must set at least %d of %s'
                              % (op.min_body_fields, ', '.join(
                                  sorted(p.name for p in op.body_params))),
                              location='body')
    for field, needed in sorted(op.requires.items()):
        if field in params and needed not in params:
            _fail('body', field, 'is only accepted together with %r'
                  % needed)
    _fold_aliases(op, params)
    return params


# -- OpenAPI ---------------------------------------------------------------

def _ci_pattern(words):
    parts = []
    for word in words:
        parts.append(''.join('[%s%s]' % (c.lower(), c.upper())
                             if c.isalpha() else re.escape(c)
                             for c in str(word)))
    return '^(%s)$' % '|'.join(parts)


def param_schema(param):
    """Return the JSON schema (OpenAPI 3.0 dialect) of one parameter."""
    schema = {'type': param.type}
    if param.type == 'array':
        schema['items'] = (param_schema(param.items) if param.items
                           else {'type': 'string'})
        if param.min_items is not None:
            schema['minItems'] = param.min_items
        if param.max_items is not None:
            schema['maxItems'] = param.max_items
    elif param.enum is not None and param.ignore_case:
        schema['pattern'] = _ci_pattern(param.enum)
    elif param.enum is not None:
        schema['enum'] = list(param.enum)
    if param.pattern:
        schema['pattern'] = param.pattern
    if param.max_length is not None:
        schema['maxLength'] = param.max_length
    if param.minimum is not None:
        schema['minimum'] = param.minimum
    if param.maximum is not None:
        schema['maximum'] = param.maximum
    rule = param.check_rule or param.rule
    if rule:
        schema['description'] = rule
    if param.secret:
        schema['format'] = 'password'
    return schema


def _error_response(description):
    return {'description': description,
            'content': {'application/json': {
                'schema': {'$ref': '#/components/schemas/Error'}}}}


def _server(url):
    """A server object; each ``{variable}`` of the URL gets a default."""
    server = {'url': url}
    names = re.findall(r'{([^{}]+)}', url)
    if names:
        # OpenAPI requires every variable of a server URL to be declared.
        server['variables'] = {name: {'default': 'localhost'}
                               for name in names}
    return server


def render_openapi(server_url='https://{host}'):
    """Render the operation table as an OpenAPI 3.0 document (a dict).

    Path keys are the documented paths (trailing slashes as documented);
    every operation carries its ``operationId`` (the op id) and an
    ``x-permission`` extension.  Body schemas forbid unknown fields.
    """
    paths = {}
    for op in OPERATIONS:
        entry = {
            'operationId': op.op_id,
            'summary': op.summary,
            'x-permission': op.permission,
            'tags': [op.op_id.split('.')[0]],
            'responses': {
                '200': {'description': 'Success',
                        'content': {'application/json': {'schema': {}}}},
                '400': _error_response('Validation failed'),
                '401': _error_response('Missing, unknown or expired key'),
                '403': _error_response('Endpoint or pool not permitted'),
                '404': _error_response('Unknown object'),
                '409': _error_response('Conflict'),
            },
        }
        parameters = []
        for param in op.path_params:
            parameters.append({'name': param.name, 'in': 'path',
                               'required': True,
                               'schema': param_schema(param)})
        for param in op.query_params:
            item = {'name': param.name, 'in': 'query',
                    'required': param.required,
                    'schema': param_schema(param)}
            if param.type == 'array':
                item['style'] = 'form'
                item['explode'] = True
            parameters.append(item)
        if parameters:
            entry['parameters'] = parameters
        if op.body_params:
            schema = {
                'type': 'object',
                'additionalProperties': False,
                'properties': {p.name: param_schema(p)
                               for p in op.body_params},
            }
            required = [p.name for p in op.body_params if p.required]
            if required:
                schema['required'] = required
            if op.min_body_fields:
                schema['minProperties'] = op.min_body_fields
            entry['requestBody'] = {
                'required': bool(required or op.min_body_fields),
                'content': {'application/json': {'schema': schema}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        'openapi': '3.0.3',
        'info': {
            'title': 'NGXStorage REST API (simulator reading)',
            'version': '2.4.1',
            'description': 'Rendered from cinder_ngxstorage.simulator.'
                           'api_spec: the documented operations with the '
                           'constraints the simulator enforces.',
        },
        'servers': [_server(server_url)],
        'security': [{'bearer': []}],
        'components': {
            'securitySchemes': {'bearer': {'type': 'http',
                                           'scheme': 'bearer'}},
            'schemas': {'Error': {
                'type': 'object',
                'required': ['success', 'message'],
                'properties': {'success': {'type': 'boolean'},
                               'message': {'type': 'string'}},
            }},
        },
        'paths': paths,
    }
