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

"""Why the array refused a request: the one taxonomy of refusals.

The reference documents no error at all (API-NOTES 3): a real array may
refuse a duplicate name, a LUN with dependents or a full target with 409,
400, 422, or HTTP 200 and ``"success": false``, and its words may sit in
``message``, ``error``, ``detail``, ``errors`` or ``reason`` (the client
finds them, see ``client._array_message``). A status code therefore does
not say *why*; this module tells the reasons apart by the array's words
and gives the driver one name per reason:

=================  =========================================================
``ALREADY_EXISTS``  the name (or mapping) exists: adopt it after checking
                    that it is what was asked for
``HAS_DEPENDENTS``  snapshots, clones, mappings or a schedule still use the
                    object: the only reason that defers a deletion
``TARGET_FULL``     the target holds ``maxlun`` LUNs: use another target
``LIMIT``           another count limit (``maxsnap``)
``NO_SPACE``        the pool is full
``POOL_OFFLINE``    the pool is offline or faulted
``LICENCE``         the licence expired or lacks the feature
``OWNER``           object and target are on different controllers
``NEWER_SNAPSHOTS`` a restore refused: the snapshot is not the newest
``NOT_FOUND``       the object is gone (a 404, or a refusal that says so)
``UNKNOWN``         words the driver does not know
=================  =========================================================

``UNKNOWN`` is never read as the convenient reason: a deletion refused for
an unknown reason is deferred only when reading the array's state shows a
dependent, a create is adopted only when the object found by name is the
one asked for, and everything else fails loudly (see the driver).

This module has no Cinder imports; :func:`operator_hint` is plain text the
driver puts into its Cinder exceptions.
"""

import re

from cinder_ngxstorage import exception

ALREADY_EXISTS = 'already_exists'
HAS_DEPENDENTS = 'has_dependents'
TARGET_FULL = 'target_full'
LIMIT = 'limit'
NO_SPACE = 'no_space'
POOL_OFFLINE = 'pool_offline'
LICENCE = 'licence'
OWNER = 'owner'
NOT_FOUND = 'not_found'
NEWER_SNAPSHOTS = 'newer_snapshots'
UNKNOWN = 'unknown'

#: The client errors that are the array saying "no" to a well-formed
#: request: 409, 400/422 and other 4xx, and 200 with success false.
#: 401/403 (key) and 404 are errors of their own and not refusals.
REFUSED = (exception.Conflict, exception.ValidationFailed,
           exception.RequestFailed)

# Words, checked in this order: the first match wins. "not found" comes
# first ("does not exist" is not "exists"); "already" before the
# dependents because "LUN x already has a snapshot schedule" is a duplicate,
# not a dependent; "maxlun" before the generic limit words.
_RULES = (
    (NOT_FOUND, (r'\bnot found\b', r'\bdoes not exist\b', r'\bno such\b',
                 r'\bnot exist', r'\bunknown (vol|snap|lun|target|id)')),
    (ALREADY_EXISTS, (r'\balready\b', r'\bduplicat',
                      r'\bname (is )?(taken|in use)\b')),
    (TARGET_FULL, (r'\bmaxlun\b', r'\btarget\b.*\bfull\b',
                   r'\btoo many luns?\b',
                   r'\bmaximum number of luns?\b')),
    (NO_SPACE, (r'\bno (free )?space\b', r'\bnot enough (free )?space\b',
                r'\bout of space\b', r'\binsufficient\b', r'\bquota\b',
                r'\bpool\b.*\bfull\b', r'\bno room\b')),
    (POOL_OFFLINE, (r'\boffline\b', r'\bfaulted\b', r'\bdegraded\b',
                    r'\bsuspended\b', r'\bunavail')),
    (LICENCE, (r'\blicen[cs]', r'\bnot licensed\b', r'\bexpired\b')),
    (NEWER_SNAPSHOTS, (r'\bnot the (newest|latest|most recent)\b',
                       r'\bnewer\b', r'\bmore recent\b')),
    (LIMIT, (r'\bmaxsnap\b', r'\blimit\b', r'\bmaximum\b', r'\bexceed')),
    (OWNER, (r'\bcontroller\b', r'\bbelongs to\b', r'\bowner\b')),
    (HAS_DEPENDENTS, (r'\bhas \d* ?snapshots?', r'\bsnapshot\(s\)',
                      r'\bclones?\b', r'\bclone\(s\)', r'\bmapped\b',
                      r'\bschedule\b', r'\bstill has\b', r'\bbound to\b',
                      r'\bbinded\b', r'\bdependen', r'\bin use\b',
                      r'\bbusy\b', r'\bchild', r'\bhas \d+ luns?\b')),
    # "exists" alone last: "dependent clones exist" is not a duplicate.
    (ALREADY_EXISTS, (r'\bexists\b',)),
)
_COMPILED = tuple((reason, tuple(re.compile(p, re.IGNORECASE)
                                 for p in patterns))
                  for reason, patterns in _RULES)


def classify_words(text):
    """The reason the words ``text`` give, or UNKNOWN."""
    text = text or ''
    for reason, patterns in _COMPILED:
        if any(p.search(text) for p in patterns):
            return reason
    return UNKNOWN


def is_refusal(err):
    """Whether err is the array refusing (any status, see REFUSED)."""
    return isinstance(err, REFUSED)


def classify(err):
    """The reason of a client error (a refusal or a 404).

    A 404 is NOT_FOUND whatever it says; a refusal is classified by its
    words; anything else (a transient error, a bad answer) is UNKNOWN.
    """
    if isinstance(err, exception.NotFound):
        return NOT_FOUND
    if not is_refusal(err):
        return UNKNOWN
    return classify_words(err.message)


_HINTS = {
    ALREADY_EXISTS: 'An object of that name exists on the array and is not '
                    'the one Cinder asked for: remove or rename it on the '
                    'array, then retry.',
    HAS_DEPENDENTS: 'Other array objects (snapshots, clones, mappings or a '
                    'snapshot schedule) still use it.',
    TARGET_FULL: 'The iSCSI target holds maxlun LUNs: detach volumes from '
                 'this host or raise the array\'s maxlun.',
    LIMIT: 'An array limit is reached (e.g. snapshots per LUN): delete '
           'snapshots on the array, then retry.',
    NO_SPACE: 'The pool is full: free space in the pool or extend it, then '
              'retry.',
    POOL_OFFLINE: 'The pool is offline: repair it on the array (or remove '
                  'it from ngxstorage_pools), then retry.',
    LICENCE: 'The array licence expired or lacks the feature: renew or '
             'install the licence, then retry.',
    OWNER: 'The LUN and the target are on different controllers: check '
           'the pool owners on the array.',
    NEWER_SNAPSHOTS: 'The array restores only the newest snapshot of a '
                     'LUN.',
    NOT_FOUND: 'The array no longer has the object.',
    UNKNOWN: 'The array refused for a reason the driver does not know: '
             'read the array\'s message above and its logs.',
}


def operator_hint(reason):
    """What an operator can do about a refusal of this reason (text)."""
    return _HINTS.get(reason, _HINTS[UNKNOWN])


def describe(reason):
    """A short human name of a reason ('pool offline')."""
    return reason.replace('_', ' ')
