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

"""The array model's failures, in the model's words, not HTTP's.

The model parts raise a :class:`DomainError` subclass: :class:`Invalid`
(a request the array understands but refuses, such as a shrink),
:class:`Forbidden` (an object outside the key's pool scope),
:class:`NotFound`, :class:`Conflict` (with a ``reason`` code naming the
rule) and :class:`Unavailable` (the data plane failed). None of them knows
an HTTP status: :class:`~.readings.Reading` maps them, and the operation
layer (:mod:`.dispatch`) turns them into the :class:`ApiError` the HTTP
front and direct callers see. ``message`` never holds a secret.
"""


class DomainError(Exception):
    """A refused or failed model operation (see the subclasses)."""

    #: Key of the error in :attr:`Reading.statuses`, set by the class
    #: statement (``class NotFound(DomainError, kind='not_found')``).
    kind = None

    def __init_subclass__(cls, kind=None, **kwargs):
        super(DomainError, cls).__init_subclass__(**kwargs)
        cls.kind = kind

    def __init__(self, message):
        super(DomainError, self).__init__(message)
        self.message = message

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, self.message)


class Invalid(DomainError, kind='invalid'):
    """A well-formed request the model refuses (shrink, owner mismatch)."""


class Forbidden(DomainError, kind='forbidden'):
    """The object lies in a pool outside the calling key's scope."""


class NotFound(DomainError, kind='not_found'):
    """No object with that id (or name)."""


#: Reason codes of :class:`Conflict`, one per rule of the model.
CONFLICT_REASONS = (
    'exists',          # the name is taken
    'in_use',          # dependents: snapshots, clones, mappings, schedule
    'limit',           # maxlun, maxsnap
    'owner',           # LUN and target on different controllers
    'no_space',        # the pool is full
    'licence',         # licence expired or feature not licensed
    'offline',         # the pool is OFFLINE
    'not_newest',      # restore from a snapshot that is not the newest
    'default_group',   # the default auth group is read-only
    'controller',      # failover: single controller, or one already down
)


class Conflict(DomainError, kind='conflict'):
    """The array's state forbids the change; ``reason`` names the rule."""

    def __init__(self, message, reason):
        if reason not in CONFLICT_REASONS:
            raise ValueError('unknown conflict reason %r' % (reason,))
        super(Conflict, self).__init__(message)
        self.reason = reason

    def __repr__(self):
        return 'Conflict(%r, reason=%r)' % (self.message, self.reason)


class Unavailable(DomainError, kind='unavailable'):
    """The data plane (or an unexpected bug) made the operation fail."""


class ApiError(Exception):
    """A failed operation as answered: HTTP status plus the message.

    Raised by the operation layer (:mod:`.dispatch`) after the reading
    chose the status; the HTTP front answers
    ``{"success": false, "message"}`` with ``status``.
    """

    def __init__(self, status, message):
        super(ApiError, self).__init__(message)
        self.status = int(status)
        self.message = message

    def __repr__(self):
        return 'ApiError(%d, %r)' % (self.status, self.message)
