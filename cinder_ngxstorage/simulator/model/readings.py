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
variant is one switch here plus the branch at the single place that
consults it (listed in each switch's comment); nothing else changes.

A reading is passed to ``ArrayState(..., reading=...)`` and
``Simulator(..., reading=...)``; it is configuration, never dumped.
"""


class Reading(object):
    """The switches, with the strict reading as defaults.

    :param statuses: HTTP status per kind of failure (see
        :mod:`.errors`). Consulted by :meth:`status_of`, which the
        operation layer (``dispatch.py``) and the HTTP front use.
    :param conflict_statuses: status per :class:`~.errors.Conflict`
        reason, overriding ``statuses['conflict']`` for that reason.
    :param target_create_answer: ``'mapped'`` answers ``{id, luns,
        success}``; ``'empty'`` answers ``{}``. Consulted by
        ``views.Views._target_create_answer``.
    :param chap_secret_in_reads: ``'shown'`` returns the CHAP password in
        auth group reads; ``'masked'`` returns ``'********'``. Consulted
        by ``views.Views._group_view``.
    :param snapshot_with_clones: ``'refuse'`` answers a conflict when a
        deleted snapshot still has clones. Consulted by
        ``snapshots.Snapshots.snapshot_delete``; a ``'cascade'`` reading
        goes there.
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
    #: Allowed values of each choice switch; the first is the default.
    CHOICES = {
        'target_create_answer': ('mapped', 'empty'),
        'chap_secret_in_reads': ('shown', 'masked'),
        'snapshot_with_clones': ('refuse',),
    }
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
