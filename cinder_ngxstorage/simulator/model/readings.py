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

"""Readings of the API reference: the named switches of the model.

The reference documents success bodies only, so the simulator reads it
where it is silent (``doc/source/simulator-model.rst``). Most readings are
fixed rules of the model; the ones another array (or another reading of
the reference) might plausibly answer differently are switches of
:class:`Reading`, each with today's strict reading as its default. A
switch is one section of :data:`SWITCHES` plus the branch at the single
place that consults it (its ``consulted`` entry); nothing else changes.
The named variants setting them are in
:mod:`cinder_ngxstorage.simulator.variants`.

A reading is passed to ``ArrayState(..., reading=...)`` and
``Simulator(..., reading=...)`` (or named variants to
``Simulator(variants=...)``); it is configuration, never dumped.
"""

import configparser


#: The choice switches of :class:`Reading`, one section each: its values
#: (the strict one first), the one place that consults it
#: (``module.function`` in the simulator package) and what it means.
SWITCHES = r"""
# Refusals: the body of a failure

[error_body]
values = message error_field text
consulted = server.wire.failure
doc = The body of a failed API request: {"success": false, "message"},
    the reason in "error" instead, or text/plain.

# Answers

[target_create_answer]
values = mapped empty
consulted = model.views._target_create_answer
doc = Target create answers {id, luns, success}, or {} as its prose
    says.

[lun_create_answer]
values = ids no_id
consulted = model.views._lun_create_answer
doc = LUN create entries carry vol_id, or leave it out.

[lun_add_answer]
values = added bare
consulted = model.views._lun_add_answer
doc = Add LUN answers the newly bound LUNs, or success alone.

[lun_remove_answer]
values = remaining bare
consulted = model.views._lun_remove_answer
doc = Delete LUN answers the remaining LUNs, or success alone.

[lun_modify_answer]
values = size bare
consulted = model.views._lun_modify_answer
doc = LUN modify answers the new vol_size, or success alone.

[numbers]
values = reference strings json
consulted = server.wire.scalars
doc = Integers and numeric strings as the reference mixes them, every
    integer a string, or every numeric string an integer.

[booleans]
values = reference json strings
consulted = server.wire.scalars
doc = Flags 0/1 and success a boolean as the reference has them, flags
    and success JSON booleans, or success the string "true"/"false".

# Identifiers

[target_scsi_id]
values = target_id distinct
consulted = model.views._target_scsi_id
doc = A target's scsi_id is its id (the paths'), or another value.

[lun_ids_kind]
values = vol_id scsi_lunid
consulted = model.exports._vol_id_of
doc = lun_ids of target create, Add LUN and Delete LUN are vol_ids, or
    scsi_lunids.

[lun_numbering]
values = per_target array
consulted = model.exports._used_lun_numbers
doc = LUN numbers are per target, or unique in the array.

# Dependencies

[snapshot_with_clones]
values = refuse cascade
consulted = model.snapshots.snapshot_delete
doc = Deleting a snapshot with clones is refused, or deletes the clones.

[delete_all_with_clones]
values = keep cascade
consulted = model.snapshots.snapshot_delete_all
doc = Delete All keeps the snapshots with clones (warning), or deletes
    them and their clones.

[restore_older]
values = refuse cascade
consulted = model.snapshots.snapshot_restore
doc = Restoring a snapshot that is not the newest is refused, or deletes
    the newer ones.

# Secrets

[chap_secret_in_reads]
values = shown masked omitted
consulted = model.views._chap_view
doc = Auth group reads show the CHAP password, mask it, or omit it.

[chap_status]
values = integer boolean
consulted = model.views._group_view
doc = chap_status is 1/0, or true/false.

# Export shapes

[listen_ips]
values = ip_port ip objects csv wildcard
consulted = model.views._listen_ips
doc = The portal group's listen_ips: ip:port strings, bare ips on 3260,
    objects, one comma-separated string, or the wildcard address.

[ipv6_portals]
values = bracketed bare
consulted = model.views._portal_address
doc = IPv6 portals written [addr]:port, or addr:port.

# Numbers

[capacity]
values = model example
consulted = model.views._capacity_info
doc = logical_avail and logical_reserved by the model (free,
    provisioned), or as the reference example suggests.

[maxlun_scope]
values = target array
consulted = model.exports._check_maxlun
doc = maxlun bounds the LUNs of a target, or of the whole array.

[maxlun_reported]
values = limit zero
consulted = model.status.status_system_info
doc = system_info reports maxlun, or "0".

[default_size_unit]
values = G M
consulted = model.luns._size_bytes
doc = The unit of a size without sing: G, or M.
"""


def _parse_switches(text):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    choices, consulted = {}, {}
    for switch in parser.sections():
        choices[switch] = tuple(parser[switch]['values'].split())
        module, function = parser[switch]['consulted'].rsplit('.', 1)
        consulted[switch] = '%s:%s' % (module, function)
    return choices, consulted


class Reading(object):
    """The switches, with the strict reading as defaults.

    The named variants that set them, with the reference lines each comes
    from, are in :mod:`cinder_ngxstorage.simulator.variants`.

    :param statuses: HTTP status per kind of failure (see
        :mod:`.errors`). Consulted by :meth:`status_of`, which the
        operation layer (``dispatch.py``) and the HTTP front use.
    :param conflict_statuses: status per :class:`~.errors.Conflict`
        reason, overriding ``statuses['conflict']`` for that reason.

    The choice switches (:attr:`CHOICES`, the strict value first) and the
    one place each is consulted are listed in :attr:`CONSULTED`.
    """

    #: Failure kind -> status of the strict reading.
    STATUSES = {
        'malformed': 400,     # the request broke api_spec (validation)
        'invalid': 400,
        'forbidden': 403,
        'not_found': 404,
        'conflict': 409,
        'unavailable': 500,
    }
    #: switch -> allowed values, the first the default; switch ->
    #: ``module:function`` consulting it (from :data:`SWITCHES`).
    CHOICES, CONSULTED = _parse_switches(SWITCHES)
    MASKED_SECRET = '********'

    def __init__(self, name='strict', statuses=None, conflict_statuses=None,
                 **choices):
        self.name = name
        self.statuses = dict(self.STATUSES)
        for kind, status in (statuses or {}).items():
            if kind not in self.STATUSES:
                raise ValueError('unknown failure kind %r' % (kind,))
            self.statuses[kind] = int(status)
        self.conflict_statuses = {reason: int(status) for reason, status
                                  in (conflict_statuses or {}).items()}
        for switch, values in self.CHOICES.items():
            value = choices.pop(switch, values[0])
            if value not in values:
                raise ValueError('reading switch %s takes %s, not %r'
                                 % (switch, ', '.join(values), value))
            setattr(self, switch, value)
        if choices:
            raise ValueError('unknown reading switch(es): %s'
                             % ', '.join(sorted(choices)))

    def __repr__(self):
        return '<Reading %s>' % self.name

    def changes(self):
        """The switches that differ from the strict reading (a dict)."""
        found = {}
        for kind, status in sorted(self.statuses.items()):
            if status != self.STATUSES[kind]:
                found.setdefault('statuses', {})[kind] = status
        if self.conflict_statuses:
            found['conflict_statuses'] = dict(self.conflict_statuses)
        for switch, values in sorted(self.CHOICES.items()):
            if getattr(self, switch) != values[0]:
                found[switch] = getattr(self, switch)
        return found

    def status_of(self, error):
        """Return the HTTP status that answers a :class:`DomainError`."""
        reason = getattr(error, 'reason', None)
        if reason in self.conflict_statuses:
            return self.conflict_statuses[reason]
        return self.statuses[error.kind]

    def variant(self, name, **changes):
        """Return a reading named ``name`` with some switches changed."""
        settings = {'statuses': dict(self.statuses),
                    'conflict_statuses': dict(self.conflict_statuses)}
        settings.update((s, getattr(self, s)) for s in self.CHOICES)
        for key, value in changes.items():
            if key in ('statuses', 'conflict_statuses'):
                settings[key].update(value)
            else:
                settings[key] = value
        return Reading(name, **settings)


#: The strict reading: what the simulator answered before readings existed.
STRICT = Reading()
