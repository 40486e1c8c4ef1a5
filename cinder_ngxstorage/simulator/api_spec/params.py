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
"""The machinery of the operation table: parameters, operations, formats.

:class:`Param` (one parameter and its constraints), :class:`Operation`
(one documented operation: id, method, path, parameters),
:class:`ValidationError`, the format constants shared by the table and the
model (names, ids, IQNs, CHAP, cron, log time bounds) and the small
builders the table in :mod:`.operations` is written with.
"""

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
        # The op id is also the permission id of the API keys.
        self.op_id = self.permission = op_id
        self.method, self.path, self.summary = method, path, summary
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
