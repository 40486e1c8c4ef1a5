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

"""Volume types: extra specs and QoS specs as LUN properties.

A volume type asks for LUN properties with ``ngxstorage:`` extra specs,
Cinder's standard ``provisioning:type``, ``compression`` and ``dedup``
keys, and QoS specs (consumer ``back-end`` or ``both``) with
``qos_priority``. This module turns them into the properties of the LUN
create and modify calls (the reference's names and values), rejecting
anything the array would not take with an ``InvalidVolumeType`` that
names the key and the allowed values, before any array call.

It also says what the pools report to the scheduler and which property
changes a retype can make in place (everything but the pool and the
blocksize, which the array cannot change on an existing LUN).

Only the keys a type sets are sent: the array's documented defaults
apply to the others (thin provisioning follows ``san_thin_provision``).
"""

from cinder import context as cinder_context
from cinder import exception
from cinder.i18n import _
from cinder.volume import qos_specs as cinder_qos_specs
from oslo_log import log as logging
from oslo_utils import strutils

from cinder_ngxstorage import records

LOG = logging.getLogger(__name__)

VENDOR = 'ngxstorage'
PREFIX = VENDOR + ':'

# LUN property values the array accepts (vendor reference, LUN create).
ON_OFF = ('on', 'off')
BLOCKSIZES = ('4k', '8k', '16k', '32k', '64k', '128k')
BLOCKSIZE_BYTES = {name: int(name[:-1]) * 1024 for name in BLOCKSIZES}
IO_TYPES = ('transactional', 'sequential')
QOS_PRIORITIES = (4, 8, 16, 32, 64, 128)

# The array's documented defaults of the properties a create leaves out
# (thin_provision: the driver sends it always, from the type or from
# san_thin_provision).
ARRAY_DEFAULTS = {
    'deduplication': 'off',
    'compression': 'off',
    'flash_cache': 'on',
    'dram_cache': 'on',
    'io_type': 'transactional',
    'qos_priority': 16,
}

# Properties the array changes on an existing LUN (LUN modify). The
# blocksize is fixed at creation.
MODIFIABLE = ('thin_provision', 'compression', 'deduplication',
              'flash_cache', 'dram_cache', 'io_type', 'qos_priority')

# ngxstorage: extra spec -> LUN property. The key is the property name.
_FLAGS = ('thin_provision', 'compression', 'deduplication',
          'flash_cache', 'dram_cache')
VENDOR_SPECS = tuple(PREFIX + name for name in
                     _FLAGS + ('blocksize', 'io_type', 'qos_priority'))

# Cinder's standard keys that map onto the same properties.
PROVISIONING_KEY = 'provisioning:type'
STANDARD_FLAGS = {'compression': 'compression', 'dedup': 'deduplication'}

# QoS specs key (consumer back-end or both).
QOS_KEY = 'qos_priority'
QOS_CONSUMERS = ('back-end', 'both')

# What each vendor key means: shown by "cinder get-capabilities".
_DESCRIPTIONS = {
    'thin_provision': (_('Thin provisioning'),
                       _('Allocate the LUN on write (on) or reserve its '
                         'full size at creation (off).')),
    'compression': (_('Compression'),
                    _('Compress the LUN (needs the datareduce licence).')),
    'deduplication': (_('Deduplication'),
                      _('Deduplicate the LUN (needs the datareduce '
                        'licence).')),
    'flash_cache': (_('Flash cache'),
                    _('Use the flash read cache for the LUN.')),
    'dram_cache': (_('DRAM cache'), _('Use the DRAM cache for the LUN.')),
    'blocksize': (_('Block size'),
                  _('Block size of the LUN; fixed at creation (a retype '
                    'to another block size migrates the data).')),
    'io_type': (_('I/O type'),
                _('Tune the LUN for transactional (random) or sequential '
                  'I/O.')),
    'qos_priority': (_('QoS priority'),
                     _('Relative share of the array\'s I/O for the LUN '
                       '(16 is the default; a QoS spec with consumer '
                       'back-end or both can set it too).')),
}


def _invalid(key, value, allowed):
    reason = _('%(key)s is %(value)r: allowed values are %(allowed)s.') % {
        'key': key, 'value': value,
        'allowed': ', '.join(str(a) for a in allowed)}
    return exception.InvalidVolumeType(reason=reason)


def _strip_is(value):
    """'<is> True' -> 'True' (the scheduler's boolean syntax)."""
    text = str(value).strip()
    if text.lower().startswith('<is>'):
        text = text[4:].strip()
    return text


def parse_flag(key, value):
    """'on' or 'off' from on/off, true/false, yes/no, 1/0 or '<is> X'."""
    text = _strip_is(value).lower()
    if text in ON_OFF:
        return text
    parsed = strutils.bool_from_string(text, strict=False, default=None)
    if parsed is None:
        raise _invalid(key, value, ('on', 'off', 'True', 'False',
                                    '<is> True', '<is> False'))
    return 'on' if parsed else 'off'


def parse_blocksize(key, value):
    """One of 4k..128k (case does not matter)."""
    text = str(value).strip().lower()
    if text not in BLOCKSIZES:
        raise _invalid(key, value, BLOCKSIZES)
    return text


def parse_io_type(key, value):
    """transactional or sequential."""
    text = str(value).strip().lower()
    if text not in IO_TYPES:
        raise _invalid(key, value, IO_TYPES)
    return text


def parse_qos_priority(key, value):
    """4, 8, 16, 32, 64 or 128 (an integer or its text)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise _invalid(key, value, QOS_PRIORITIES)
    if number not in QOS_PRIORITIES:
        raise _invalid(key, value, QOS_PRIORITIES)
    return number


def parse_provisioning(key, value):
    """provisioning:type thin/thick -> thin_provision on/off."""
    text = str(value).strip().lower()
    if text not in ('thin', 'thick'):
        raise _invalid(key, value, ('thin', 'thick'))
    return 'on' if text == 'thin' else 'off'


_PARSERS = dict({name: parse_flag for name in _FLAGS},
                blocksize=parse_blocksize, io_type=parse_io_type,
                qos_priority=parse_qos_priority)


def _set(props, sources, prop, value, key):
    """Record prop=value from key; two keys that disagree are an error."""
    if prop in props and props[prop] != value:
        reason = _('%(first)s and %(second)s ask for different values of '
                   '%(prop)s (%(a)s, %(b)s): set only one of them.') % {
            'first': sources[prop], 'second': key, 'prop': prop,
            'a': props[prop], 'b': value}
        raise exception.InvalidVolumeType(reason=reason)
    props[prop] = value
    sources.setdefault(prop, key)


def parse_extra_specs(extra_specs, qos=None, strict=True):
    """LUN properties that extra specs and QoS specs ask for.

    :param extra_specs: the type's extra specs (dict, may be None)
    :param qos: the type's QoS specs as ``{'consumer', 'specs'}`` or None
    :param strict: raise on an invalid key or value; otherwise leave it
        out (used to read an old type that may have been edited since)
    :returns: dict of LUN create/modify properties (reference names and
        values), only those asked for
    :raises InvalidVolumeType: naming the key and the allowed values
    """
    props = {}
    sources = {}
    items = list((extra_specs or {}).items())
    if qos and qos.get('consumer') in QOS_CONSUMERS:
        for key, value in (qos.get('specs') or {}).items():
            if key == QOS_KEY:
                items.append(('qos_specs:' + key, value))
            elif qos.get('consumer') == 'back-end':
                # (With 'both', the other keys are for the hypervisor.)
                LOG.warning('QoS spec %s is not used by the NGXStorage '
                            'array: only %s is.', key, QOS_KEY)
    for key, value in items:
        try:
            if key == PROVISIONING_KEY:
                _set(props, sources, 'thin_provision',
                     parse_provisioning(key, value), key)
            elif key in STANDARD_FLAGS:
                _set(props, sources, STANDARD_FLAGS[key],
                     parse_flag(key, value), key)
            elif key == 'qos_specs:' + QOS_KEY:
                _set(props, sources, 'qos_priority',
                     parse_qos_priority('QoS spec ' + QOS_KEY, value),
                     'QoS spec ' + QOS_KEY)
            elif key.startswith(PREFIX):
                name = key[len(PREFIX):]
                if name not in _PARSERS:
                    reason = _('unknown extra spec %(key)s: the NGXStorage '
                               'driver knows %(known)s.') % {
                        'key': key, 'known': ', '.join(VENDOR_SPECS)}
                    raise exception.InvalidVolumeType(reason=reason)
                _set(props, sources, name, _PARSERS[name](key, value), key)
        except exception.InvalidVolumeType:
            if strict:
                raise
            LOG.warning('Ignoring invalid volume type key %s.', key)
    return props


def qos_of_type(volume_type):
    """QoS specs ``{'consumer', 'specs'}`` of a type, or None.

    Takes a VolumeType object (a volume's type) or the dict Cinder hands to
    retype; the specs are read from the database when not loaded.
    """
    if volume_type is None:
        return None
    if isinstance(volume_type, dict):
        loaded = volume_type.get('qos_specs')
        if loaded is None and volume_type.get('qos_specs_id'):
            loaded = cinder_qos_specs.get_qos_specs(
                cinder_context.get_admin_context(),
                volume_type['qos_specs_id'])
    elif (volume_type.obj_attr_is_set('qos_specs')
          or volume_type.obj_attr_is_set('qos_specs_id')
          and volume_type.qos_specs_id):
        loaded = volume_type.qos_specs
    else:
        loaded = None
    if loaded is None:
        return None
    return {'consumer': loaded.get('consumer') if isinstance(loaded, dict)
            else loaded.consumer,
            'specs': dict((loaded.get('specs') if isinstance(loaded, dict)
                           else loaded.specs) or {})}


def type_properties(volume_type, strict=True):
    """LUN properties a volume type (object, dict or None) asks for."""
    if volume_type is None:
        return {}
    if isinstance(volume_type, dict):
        specs = volume_type.get('extra_specs') or {}
    else:
        specs = volume_type.extra_specs or {}
    return parse_extra_specs(specs, qos_of_type(volume_type), strict=strict)


def check_licensed(props, datareduce):
    """Refuse compression/deduplication when the array lacks the licence."""
    wanted = [p for p in ('compression', 'deduplication')
              if props.get(p) == 'on']
    if wanted and not datareduce:
        reason = _('the volume type asks for %s, but the array licence '
                   'lacks datareduce.') % ', '.join(wanted)
        raise exception.InvalidVolumeType(reason=reason)


# -- what a LUN has --------------------------------------------------------

def blocksize_name(size_bytes):
    """'16k' for 16384 (None for a size outside the array's list)."""
    for name, size in BLOCKSIZE_BYTES.items():
        if size == size_bytes:
            return name
    return None


def lun_properties(lun):
    """The LUN's current properties (reference names).

    :param lun: a :class:`records.Lun` (or a LUN detail answer, parsed
        here).
    """
    if isinstance(lun, dict):
        lun = records.Lun.from_answer(lun)
    return {
        'thin_provision': 'on' if lun.provision_type == 'thin' else 'off',
        'compression': lun.compress,
        'deduplication': lun.dedup,
        'flash_cache': lun.flash_cache,
        'dram_cache': lun.dram_cache,
        'io_type': lun.io_type,
        'qos_priority': lun.qos_priority,
        'blocksize': blocksize_name(lun.blocksize),
    }


def changes_for(current, wanted):
    """The modifiable properties of wanted that current does not have."""
    return {prop: value for prop, value in wanted.items()
            if prop in MODIFIABLE and current.get(prop) != value}


def blocksize_conflict(current, wanted):
    """Text saying why the blocksize cannot be had in place, or None."""
    want = wanted.get('blocksize')
    if want is None or current.get('blocksize') == want:
        return None
    return (_('the LUN has blocksize %(have)s and the type asks for '
              '%(want)s; the array cannot change a LUN\'s blocksize')
            % {'have': current.get('blocksize') or 'unknown',
               'want': want})


def retype_properties(old, new, default_thin):
    """What a LUN should have after a retype from type old to type new.

    Keys the new type sets win. A property the old type set and the new
    one does not goes back to the array's default (thin provisioning to
    san_thin_provision), so a retyped volume looks like one created with
    the new type. A property neither type sets is left as it is (a managed
    LUN keeps what it had).
    """
    wanted = dict(new)
    for prop in old:
        if prop in wanted or prop not in MODIFIABLE:
            continue
        if prop == 'thin_provision':
            wanted[prop] = default_thin
        else:
            wanted[prop] = ARRAY_DEFAULTS[prop]
    return wanted


# -- what the pools report ---------------------------------------------------

def pool_capabilities(datareduce):
    """Capabilities of every pool, for the scheduler and operators.

    Cinder's standard ``compression`` and ``dedup`` (lists: either is
    possible; only False without the datareduce licence) are what the
    CapabilitiesFilter matches; the ``ngxstorage:`` keys list the values
    each vendor extra spec takes.
    """
    reducing = ['on', 'off'] if datareduce else ['off']
    caps = {
        'QoS_support': True,
        'compression': [True, False] if datareduce else [False],
        'dedup': [True, False] if datareduce else [False],
    }
    for name in _FLAGS:
        caps[PREFIX + name] = (list(reducing)
                               if name in ('compression', 'deduplication')
                               else list(ON_OFF))
    caps[PREFIX + 'blocksize'] = list(BLOCKSIZES)
    caps[PREFIX + 'io_type'] = list(IO_TYPES)
    caps[PREFIX + 'qos_priority'] = list(QOS_PRIORITIES)
    return caps


def vendor_properties(default_thin):
    """(key, title, description, type, extra) of every vendor extra spec.

    For BaseVD._init_vendor_properties (``cinder get-capabilities``).
    """
    result = []
    for name in _FLAGS + ('blocksize', 'io_type', 'qos_priority'):
        title, description = _DESCRIPTIONS[name]
        if name in _FLAGS:
            default = (default_thin if name == 'thin_provision'
                       else ARRAY_DEFAULTS[name])
            extra = {'enum': list(ON_OFF), 'default': default}
            kind = 'string'
        elif name == 'blocksize':
            extra = {'enum': list(BLOCKSIZES)}
            kind = 'string'
        elif name == 'io_type':
            extra = {'enum': list(IO_TYPES),
                     'default': ARRAY_DEFAULTS['io_type']}
            kind = 'string'
        else:
            extra = {'enum': list(QOS_PRIORITIES),
                     'default': ARRAY_DEFAULTS['qos_priority']}
            kind = 'integer'
        result.append((PREFIX + name, title, description, kind, extra))
    return result
