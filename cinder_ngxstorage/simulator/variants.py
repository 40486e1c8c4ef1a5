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

"""The named variants: other plausible readings of the API reference.

The simulator answers by the strict reading of
``ngxstorage-rest-api-v2.4.1.txt`` unless told otherwise. Where the
reference is silent or contradicts itself, a real array may read it
differently; each such reading is a :class:`Variant` here: a name, its
class, the reference lines it comes from, the switches of
:class:`~cinder_ngxstorage.simulator.model.readings.Reading` it sets, and
what changes on the wire. :data:`REGISTRY` is the one list; the table in
``doc/source/simulator.rst`` documents every entry.

Variants combine (``ngxstorage-simulator --variant A --variant B``,
``Simulator(variants=['A', 'B'])``, devstack's
``NGXSTORAGE_SIMULATOR_VARIANTS="A B"``); :func:`reading_for` refuses an
unknown name and a combination whose variants set one switch to two
values or exclude each other.
"""

import configparser

from cinder_ngxstorage.simulator.model import readings

#: The reference the line numbers are of.
REFERENCE = 'ngxstorage-rest-api-v2.4.1.txt'

#: The classes, in documentation order.
CLASSES = ('refusals', 'answers', 'identifiers', 'dependencies', 'secrets',
           'export shapes', 'numbers')


class Variant(object):
    """One named reading: switches of :class:`Reading` and their story.

    :param lines: reference line numbers, ints or ``(first, last)``.
    :param changes: keyword arguments of :meth:`Reading.variant`.
    :param wire: what changes on the wire, one sentence or two.
    :param excludes: names of variants this one cannot combine with
        besides those setting the same switch differently.
    """

    def __init__(self, name, klass, lines, changes, wire, excludes=()):
        if klass not in CLASSES:
            raise ValueError('unknown variant class %r' % (klass,))
        self.name = name
        self.klass = klass
        self.lines = tuple(lines)
        self.changes = dict(changes)
        self.wire = wire
        self.excludes = tuple(excludes)

    def __repr__(self):
        return '<Variant %s>' % self.name

    @property
    def line_text(self):
        """The reference lines as text: ``362, 383-403``."""
        return ', '.join('%d-%d' % line if isinstance(line, tuple)
                         else str(line) for line in self.lines)

    def settings(self):
        """``{switch: value}``, statuses flattened to ``statuses.kind``."""
        flat = {}
        for key, value in self.changes.items():
            if isinstance(value, dict):
                for sub, subvalue in value.items():
                    flat['%s.%s' % (key, sub)] = subvalue
            else:
                flat[key] = value
        return flat


#: The registry, one section a variant: its class, the reference lines it
#: comes from, the switches of ``Reading`` it sets (``switch=value``,
#: ``statuses.<kind>=<status>``), the variants it cannot combine with
#: besides those setting a switch differently, and what changes on the
#: wire (the text of the table in ``doc/source/simulator.rst``).
REGISTRY_TEXT = r"""
# -- refusals --------------------------------------------------------------

[conflict-400]
class = refusals
lines = 1967-1971, 49, 856
set = statuses.conflict=400
wire = A conflict (name taken, dependents, limits, owner, no space, licence,
    OFFLINE pool, not the newest snapshot, default group) answers 400
    instead of 409.

[conflict-422]
class = refusals
lines = 1967-1971, 49, 856
set = statuses.conflict=422
wire = A conflict answers 422 instead of 409.

[conflict-200]
class = refusals
lines = 1967-1971, 49, 856
set = statuses.conflict=200
wire = A conflict answers HTTP 200 with {"success": false, "message"}.

[reason-in-error-field]
class = refusals
lines = 1967-1971
set = error_body=error_field
wire = Every failure of the API carries its reason in "error": {"success":
    false, "error": "..."}; there is no "message".

[errors-without-json]
class = refusals
lines = 1967-1971
set = error_body=text
excludes = conflict-200
wire = Every failure of the API answers its status with a text/plain body
    (the reason), no JSON at all.

# -- answers ---------------------------------------------------------------

[target-create-empty]
class = answers
lines = 362, 383-403
set = target_create_answer=empty
wire = Target create answers {} (as its prose says), without the new target's
    id or LUNs.

[lun-create-no-id]
class = answers
lines = 814, 851-862
set = lun_create_answer=no_id
wire = LUN create answers its "luns" entries without "vol_id" (scsi_lunid,
    success and vol_used only).

[lun-add-bare]
class = answers
lines = 498, 518-530
set = lun_add_answer=bare
wire = Add LUN answers {"success": true} without the newly bound LUNs (and so
    without their lun_number).

[lun-remove-bare]
class = answers
lines = 534, 554-566
set = lun_remove_answer=bare
wire = Delete LUN answers {"success": true} without the remaining LUNs.

[lun-modify-bare]
class = answers
lines = 883, 915-919
set = lun_modify_answer=bare
wire = LUN modify answers {"success": true} without "vol_size".

[strings-for-numbers]
class = answers
lines = 216, 680, 943, 1399, 1403, 1499, 1940
set = numbers=strings
wire = Every JSON integer of an answer is a string: qos_priority "16", binded
    "0", chap_status "1", keep_max "3", log ids, counts.

[json-numbers]
class = answers
lines = 935-946, 1683-1689, 1942
set = numbers=json
wire = Byte counts, LUN numbers, times and limits are JSON integers (vol_size
    1073741824, lun_number 0, maxlun 64), not strings.

[json-booleans]
class = answers
lines = 216, 856, 1399, 1403, 1820
set = booleans=json
wire = The 0/1 flags (chap_status, binded, restore, licence and service
    flags, can_start...) are true/false, and every "success" is a JSON
    boolean (also LUN create's "true").

[strings-for-booleans]
class = answers
lines = 49, 473, 856
set = booleans=strings
wire = Every "success" is the string "true" or "false" (failures too), as the
    reference's LUN create entries and prose say.

# -- identifiers -----------------------------------------------------------

[target-id-not-scsi-id]
class = identifiers
lines = 385, 406, 569, 587, 617, 652
set = target_scsi_id=distinct
wire = The "scsi_id" of target list and detail is another value than the id
    target paths take (create answers that id).

[lun-ids-are-scsi-lunids]
class = identifiers
lines = 375, 388, 498, 509, 534, 545, 550
set = lun_ids_kind=scsi_lunid
wire = lun_ids of target create, Add LUN and Delete LUN are the LUNs'
    scsi_lunid (the lun_id of target LUN entries); a vol_id is not found
    (404).

[lun-numbers-array-wide]
class = identifiers
lines = 384-401
set = lun_numbering=array
wire = A new mapping gets the lowest LUN number unused in any target (a new
    target's first LUN may be 7); the data plane exports that number.

# -- dependencies ----------------------------------------------------------

[cascade-snapshot-clones]
class = dependencies
lines = 1411, 1446
set = snapshot_with_clones=cascade
wire = Deleting a snapshot with clones deletes the clones (with their
    snapshots, clones and schedules; unmapped from their targets) and
    answers {"success": true}.

[cascade-delete-all]
class = dependencies
lines = 1428, 1438-1442
set = delete_all_with_clones=cascade
wire = Delete All deletes every snapshot of the LUN, those with clones too
    (and the clones), without "warning".

[cascade-restore]
class = dependencies
lines = 1467, 1477-1480
set = restore_older=cascade
wire = Restoring an older snapshot deletes the newer snapshots (and their
    clones) and succeeds instead of 409.

# -- secrets ---------------------------------------------------------------

[chap-masked]
class = secrets
lines = 200, 211-216, 245-250, 319-323
set = chap_secret_in_reads=masked
wire = Auth group reads show the CHAP password masked, as eight asterisks.

[chap-omitted]
class = secrets
lines = 200, 211-216, 245-250, 319-323, 267-273
set = chap_secret_in_reads=omitted
wire = Auth group reads show "chap" with "username" only, no "password".

[chap-status-bool]
class = secrets
lines = 200, 216, 268
set = chap_status=boolean
wire = "chap_status" is true/false instead of 1/0.

# -- export shapes ---------------------------------------------------------

[listen-ip]
class = export shapes
lines = 1249, 1259-1301, 1313-1356
set = listen_ips=ip
wire = listen_ips items are bare addresses ("192.0.2.10") when the portal is
    on port 3260, "ip:port" otherwise.

[listen-objects]
class = export shapes
lines = 1249, 1259-1301, 1313-1356
set = listen_ips=objects
wire = listen_ips items are objects {"ip": "192.0.2.10", "port": 3260}.

[listen-csv]
class = export shapes
lines = 1249, 1259-1301, 1313-1356
set = listen_ips=csv
wire = listen_ips is one comma-separated string
    "192.0.2.10:3260,192.0.2.11:3260".

[listen-wildcard]
class = export shapes
lines = 1249, 1259-1301, 1313-1356
set = listen_ips=wildcard
wire = listen_ips is the wildcard the array binds, "0.0.0.0:3260"
    ("[::]:3260" for IPv6 portals): no usable address.

[ipv6-unbracketed]
class = export shapes
lines = 1249, 1259-1301, 1313-1356
set = ipv6_portals=bare
wire = IPv6 portals are written without brackets, "fd00::10:3260"; IPv4 ones
    unchanged.

# -- numbers ---------------------------------------------------------------

[capacity-example]
class = numbers
lines = 1683-1694, 1699-1710, 1221-1230
set = capacity=example
wire = logical_avail is 65% of free_size and logical_reserved the bytes used
    (allocated), not the sum of the LUN sizes.

[maxlun-per-array]
class = numbers
lines = 1940, 1942
set = maxlun_scope=array
wire = maxlun (64) bounds the LUNs mapped in the whole array: the 65th mapped
    LUN anywhere is a conflict.

[maxlun-zero]
class = numbers
lines = 1942
set = maxlun_reported=zero
wire = system_info answers "maxlun": "0"; the limit of 64 LUNs per target
    still holds.

[size-unit-megabytes]
class = numbers
lines = 814, 825, 844, 894, 905-906
set = default_size_unit=M
wire = A LUN create or modify "size" without "sing"/"size_letter" counts
    megabytes, not gigabytes.
"""


def _parse_lines(text):
    lines = []
    for part in text.split(','):
        first, _sep, last = part.strip().partition('-')
        lines.append((int(first), int(last)) if last else int(first))
    return lines


def _parse_settings(text):
    changes = {}
    for item in text.split():
        switch, _sep, value = item.partition('=')
        if switch.startswith('statuses.'):
            changes.setdefault('statuses', {})[
                switch.split('.', 1)[1]] = int(value)
        else:
            changes[switch] = value
    return changes


def _load(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return tuple(
        Variant(name, section['class'], _parse_lines(section['lines']),
                _parse_settings(section['set']),
                ' '.join(section['wire'].split()),
                excludes=section.get('excludes', '').split())
        for name, section in parser.items() if name != parser.default_section)


#: Every variant, in documentation order.
VARIANTS = _load(REGISTRY_TEXT)

#: name -> :class:`Variant`.
REGISTRY = {variant.name: variant for variant in VARIANTS}


def get(name):
    """Return the variant ``name``; ValueError naming the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError('unknown simulator variant %r (known: %s)'
                         % (name, ', '.join(sorted(REGISTRY))))


def check(names):
    """Return the variants ``names`` as a list, refusing bad mixtures.

    ValueError for an unknown name, for two variants that set one switch
    to different values (e.g. ``conflict-400`` and ``conflict-422``) and
    for variants that exclude each other.
    """
    chosen = []
    for name in names:
        variant = get(name)
        if variant not in chosen:
            chosen.append(variant)
    for index, first in enumerate(chosen):
        for second in chosen[index + 1:]:
            if (second.name in first.excludes or
                    first.name in second.excludes):
                raise ValueError('simulator variants %s and %s cannot be '
                                 'combined' % (first.name, second.name))
            one, two = first.settings(), second.settings()
            for switch in sorted(set(one) & set(two)):
                if one[switch] != two[switch]:
                    raise ValueError(
                        'simulator variants %s and %s conflict: %s is %r '
                        'in one and %r in the other'
                        % (first.name, second.name, switch, one[switch],
                           two[switch]))
    return chosen


def reading_for(names, base=None):
    """The :class:`Reading` of the variants ``names`` (combined).

    ``base`` is the reading they change (the strict one by default);
    without names it is returned as it is.
    """
    base = readings.STRICT if base is None else base
    chosen = check(names)
    if not chosen:
        return base
    changes = {}
    for variant in chosen:
        for key, value in variant.changes.items():
            if isinstance(value, dict):
                changes.setdefault(key, {}).update(value)
            else:
                changes[key] = value
    name = '+'.join(v.name for v in chosen)
    if base is not readings.STRICT:
        name = '%s+%s' % (base.name, name)
    return base.variant(name, **changes)


def listing():
    """The variants as text, one a line (``--list-variants``)."""
    width = max(len(name) for name in REGISTRY)
    lines = []
    for klass in CLASSES:
        for variant in VARIANTS:
            if variant.klass == klass:
                lines.append('%-*s  %-13s  lines %s: %s' % (
                    width, variant.name, klass, variant.line_text,
                    variant.wire))
    return '\n'.join(lines)
