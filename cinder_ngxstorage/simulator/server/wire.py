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

"""How scalars and failures are written on the wire, by the reading.

The model answers the reference's own mix (byte counts and LUN numbers
as strings, flags and priorities as integers, ``success`` a JSON boolean
except ``"true"`` in LUN create entries). Two switches of the reading
rewrite an API answer just before it is sent (:func:`scalars`):

* ``numbers``: ``strings`` writes every integer as a string; ``json``
  writes the numeric strings of :data:`NUMERIC_FIELDS` as integers.
* ``booleans``: ``json`` writes the 0/1 flags of :data:`FLAG_FIELDS` and
  every ``success`` as JSON booleans; ``strings`` writes every
  ``success`` as ``"true"``/``"false"``.

:func:`failure` renders a failure by the ``error_body`` switch.
"""

#: Fields whose values are decimal strings in the reference (bytes,
#: LUN numbers, epoch times, limits and counts). ``iscsi``, ``replica``
#: and ``shares`` count only inside ``protocol_usage``.
NUMERIC_FIELDS = frozenset((
    'allocated_size', 'blocksize', 'controller_type', 'created',
    'free_size', 'hdd_capacity', 'logical_avail', 'logical_reserved',
    'lun_number', 'maxlun', 'maxsnap', 'reserved', 'sizebysnapshots',
    'snapshot_count', 'ssd_capacity', 'total_size', 'vol_size', 'vol_used',
))
_USAGE_FIELDS = frozenset(('iscsi', 'replica', 'shares'))
#: Fields whose 0/1 integers are flags (auth groups, snapshots, pools,
#: cluster, licence, services).
FLAG_FIELDS = frozenset((
    'autosnapshot', 'binded', 'callhome', 'can_start', 'can_stop',
    'chap_status', 'cifs', 'clone', 'connected', 'datareduce',
    'encryption', 'ethernet', 'flashcache', 'flashtier', 'hbactive',
    'hbdrive', 'is_flash', 'is_nvme', 'mail_alert', 'metroscale', 'nfs',
    'none_vendor_drive', 'ntp', 'remote_help', 'replication', 'restore',
    's3', 'san', 'serial', 'snapshot', 'snmp', 'snmp_trap',
    'software_update', 'syslog',
))


def _scalar(key, parent, value, numbers, booleans):
    if key == 'success' and isinstance(value, (bool, str)):
        truth = value is True or value == 'true'
        if booleans == 'json':
            return truth
        if booleans == 'strings':
            return 'true' if truth else 'false'
        return value
    if (booleans == 'json' and key in FLAG_FIELDS and value in (0, 1)
            and type(value) is int):
        return bool(value)
    if numbers == 'strings' and type(value) is int:
        return str(value)
    if (numbers == 'json' and isinstance(value, str) and value.isdigit()
            and value.isascii() and (key in NUMERIC_FIELDS or (
                parent == 'protocol_usage' and key in _USAGE_FIELDS))):
        return int(value)
    return value


def _walk(value, key, parent, numbers, booleans):
    if isinstance(value, dict):
        return {k: _walk(v, k, key, numbers, booleans)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, key, parent, numbers, booleans) for v in value]
    return _scalar(key, parent, value, numbers, booleans)


def scalars(body, reading):
    """Return ``body`` with numbers and booleans written by ``reading``."""
    # Reading switches numbers and booleans.
    numbers, booleans = reading.numbers, reading.booleans
    if numbers == 'reference' and booleans == 'reference':
        return body
    return _walk(body, None, None, numbers, booleans)


def failure(message, reading):
    """The body of a failed API request: a dict, or ``(bytes, type)``.

    ``error_body`` ``message`` (strict): ``{"success": false, "message"}``;
    ``error_field``: ``{"success": false, "error"}``; ``text``: the
    message as ``text/plain``, no JSON at all.
    """
    # Reading switch error_body.
    shape = reading.error_body
    if shape == 'text':
        return message.encode('utf-8'), 'text/plain; charset=utf-8'
    field = 'error' if shape == 'error_field' else 'message'
    return scalars({'success': False, field: message}, reading)
