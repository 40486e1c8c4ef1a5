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

"""What the driver does under each reading: the one table.

One row per variant of the registry (and ``strict``): a level, a
sentence, and the operations that fail loudly under it, each with a
fragment of the message. Levels:

``works``
    the driver copes; nothing to do.
``degraded``
    the driver works but something it reports is off (statistics).
``fails``
    some operations fail loudly, with the message named; no harm done:
    the array still holds what Cinder believes.
``UNSAFE``
    the driver would do something wrong without noticing (data loss,
    wrong credentials or portals handed out, objects leaked).

The kit exits 1 when the array matches an ``UNSAFE`` row, or answers in
a way no row covers. The same table is the expectation of the variant
matrix (``tests/functional/driver/test_variant_matrix.py``): every
operation of :data:`OPERATIONS` runs under every variant against the
simulator, and must work unless :data:`ROWS` names it, in which case it
must fail loudly with that fragment in its message, the simulator's
state still matching Cinder's. ``doc/source/variants.rst`` is generated
from it (:func:`rst_table`); a unit test holds the document to it.
"""

WORKS, DEGRADED, FAILS, UNSAFE = 'works', 'degraded', 'fails', 'UNSAFE'

#: The operations of the matrix, in documentation order: name -> what
#: is run (Cinder's calls to the driver).
OPERATIONS = (
    ('start', 'do_setup and check_for_setup_error of a new service'),
    ('create', 'create_volume'),
    ('snapshot', 'create_snapshot'),
    ('clone', 'create_cloned_volume (larger than its source)'),
    ('from-snapshot', 'create_volume_from_snapshot (larger)'),
    ('extend', 'extend_volume'),
    ('attach', 'initialize_connection on the service that made the '
     'host\'s target'),
    ('attach-other-service', 'initialize_connection on another service '
     '(no cached targets) for a host that has a target'),
    ('detach', 'terminate_connection on another service (after an attach)'),
    ('revert', 'revert_to_snapshot'),
    ('delete', 'delete_snapshot and delete_volume, with and without '
     'dependents, then the deferred collection'),
    ('manage', 'manage_existing and manage_existing_snapshot'),
)

#: The operation names.
OPERATION_NAMES = tuple(name for name, _what in OPERATIONS)

_PORTALS_NEEDED = 'set ngxstorage_iscsi_portals'
_LUN_ID_404 = 'failed: HTTP 404: LUN'
_TARGET_404 = 'failed: HTTP 404: iSCSI target'


class Row(object):
    """One reading: its level, what the driver does, what fails loudly.

    :param fails: ``{operation: message fragment}``; the operation fails
        loudly (a Cinder exception whose text holds the fragment).
    """

    def __init__(self, level, text, fails=None):
        self.level = level
        self.text = text
        self.fails = dict(fails or {})

    def outcome(self, operation):
        """``(works|fails, fragment or None)`` of operation."""
        if operation in self.fails:
            return FAILS, self.fails[operation]
        return WORKS, None


_SAME_CONFLICT = ('conflicts are told by the reason the array gives, '
                  'whatever the status; deletes with dependents are '
                  'decided from Cinder\'s database first')

#: name -> :class:`Row`.
ROWS = {
    'strict': Row(WORKS, 'the reading the driver is written for'),
    # refusals
    'conflict-400': Row(WORKS, _SAME_CONFLICT),
    'conflict-422': Row(WORKS, _SAME_CONFLICT),
    'conflict-200': Row(WORKS, 'a {"success": false} answer is a refusal, '
                        'told by its reason; ' + _SAME_CONFLICT),
    'reason-in-error-field': Row(WORKS, 'the client reads "error" too'),
    'errors-without-json': Row(WORKS, 'the client quotes the text body and '
                               'finds the reason in it'),
    # answers
    'target-create-empty': Row(WORKS, 'the new target is found by its '
                               'name'),
    'lun-create-no-id': Row(WORKS, 'the LUN is found by its name'),
    'lun-add-bare': Row(WORKS, 'the LUN number is read back from the '
                        'target'),
    'lun-remove-bare': Row(WORKS, 'the unmap is confirmed by a read'),
    'lun-modify-bare': Row(WORKS, 'the new size is confirmed by a read'),
    'strings-for-numbers': Row(WORKS, 'records parse numbers and flags '
                               'defensively'),
    'json-numbers': Row(WORKS, 'records take integers'),
    'json-booleans': Row(WORKS, 'records take booleans'),
    'strings-for-booleans': Row(WORKS, 'the client treats "false" as '
                                'failure'),
    # identifiers
    'target-id-not-scsi-id': Row(
        FAILS, 'a service addresses a target by the id its create '
        'answered; another service (or one restarted) knows only the '
        'listed scsi_id: its attach and detach on that target fail '
        '(404 on the target), nothing changed; the service that made '
        'the target detaches',
        fails={'attach-other-service': _TARGET_404,
               'detach': _TARGET_404}),
    'lun-ids-are-scsi-lunids': Row(
        FAILS, 'target create and Add LUN with a vol_id answer 404: every '
        'attach fails, no mapping made (a detach then has nothing to '
        'remove)',
        fails={'attach': _LUN_ID_404, 'attach-other-service': _LUN_ID_404}),
    'lun-numbers-array-wide': Row(WORKS, 'the LUN number is taken from the '
                                  'array, never computed'),
    # dependencies
    'cascade-snapshot-clones': Row(
        WORKS, 'a snapshot with clones Cinder knows is kept (deferred) '
        'without asking the array'),
    'cascade-delete-all': Row(
        WORKS, 'Delete All only after a read shows no snapshot of the LUN '
        'has clones'),
    'cascade-restore': Row(WORKS, 'a revert past a newer snapshot Cinder '
                           'knows is not asked of the array (Cinder '
                           'copies the data)'),
    # secrets
    'chap-masked': Row(WORKS, 'the CHAP secret is kept in Cinder\'s '
                       'database, never read back'),
    'chap-omitted': Row(WORKS, 'the CHAP secret is kept in Cinder\'s '
                        'database, never read back'),
    'chap-status-bool': Row(WORKS, 'records take true/false flags'),
    # export shapes
    'listen-ip': Row(WORKS, 'a bare address means port 3260'),
    'listen-objects': Row(WORKS, 'address and port read from the '
                          'objects'),
    'listen-csv': Row(WORKS, 'the string is split at commas'),
    'listen-wildcard': Row(
        FAILS, 'no usable portal: the service refuses to start until '
        'ngxstorage_iscsi_portals is set; then everything works',
        fails={'start': _PORTALS_NEEDED}),
    'ipv6-unbracketed': Row(WORKS, 'the port is the part after the last '
                            'colon; the address is bracketed'),
    # numbers
    'capacity-example': Row(DEGRADED, 'provisioned capacity reads the '
                            'used bytes: the scheduler over-commits'),
    'maxlun-per-array': Row(WORKS, 'works until 64 LUNs are mapped in the '
                            'whole array; then an attach fails loudly '
                            '(the array\'s limit refusal)'),
    'maxlun-zero': Row(WORKS, 'maxlun 0 is no limit: 64 per target '
                       'assumed'),
    'size-unit-megabytes': Row(WORKS, 'every size is sent with its '
                               'unit'),
}

#: name -> (level, what the driver will do): the kit's view.
TABLE = {name: (row_.level, row_.text) for name, row_ in ROWS.items()}

#: For an answer no reading explains.
UNKNOWN = (UNSAFE, 'no known reading: the driver\'s behaviour is unknown')
#: For a probe that could not observe anything.
UNOBSERVED = (WORKS, 'not observed on this array')


def row(name):
    """(level, text) for variant ``name`` (or ``strict``)."""
    return TABLE[name]


def outcome(name, operation):
    """``(works|fails, message fragment or None)`` of a matrix cell."""
    return ROWS[name].outcome(operation)


def rst_table(names):
    """The variant x operation table as reStructuredText lines.

    ``names``: the variants in documentation order. A cell is ``works``
    or ``fails: <fragment>``.
    """
    header = ['variant'] + list(OPERATION_NAMES)
    body = []
    for name in names:
        cells = [name]
        for operation in OPERATION_NAMES:
            level, fragment = outcome(name, operation)
            cells.append(level if fragment is None
                         else 'fails: "%s"' % fragment)
        body.append(cells)
    widths = [max(len(r[i]) for r in [header] + body)
              for i in range(len(header))]
    rule = '  '.join('=' * w for w in widths)

    def line(cells):
        return '  '.join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [rule, line(header), rule] + [line(c) for c in body] + [rule]


_DOC_HEAD = """\
.. Generated by python -m cinder_ngxstorage.array_check.driver_table from
   cinder_ngxstorage/array_check/driver_table.py: do not edit.

==========================================
The driver under each variant of the array
==========================================

The simulator can answer by 32 other readings of the API reference
(:doc:`simulator`, "Variants"). The table below says, for each of them
and each core operation, what the driver does: ``works`` (the array
holds what Cinder believes) or ``fails`` loudly (Cinder is told, with
the message quoted in part, and the array still holds what Cinder
believes: nothing Cinder has lost, no mapping after a reported detach,
no object after a reported delete). No cell is unsafe.

It is one table, ``cinder_ngxstorage/array_check/driver_table.py``:
the variant matrix (``tests/functional/driver/test_variant_matrix.py``)
runs every cell against the simulator under its variant and checks the
simulator's state, never the driver's view; the acceptance kit
(:doc:`array-check`) prints the same rows for the variants it finds on a
real array; a unit test holds this page to the table.

The operations
==============

"""

_DOC_MIDDLE = """
The matrix
==========

"""

_DOC_TAIL = """
Each variant also runs ``test_readings``' four scenarios (the lifecycle
on two services, a refusal for another reason, adoption, CHAP across
services) where the cells they use all work, and a slice of the fault
matrix (attach to a new host, detach, delete a volume, delete a snapshot
with a clone, each changing call's answer lost after the change and the
connection dropped after it) where those operations work. Under
``listen-wildcard`` everything but ``start`` runs with
``ngxstorage_iscsi_portals`` set.

What the driver does, variant by variant
========================================

"""


def document(names):
    """The text of ``doc/source/variants.rst``."""
    lines = [_DOC_HEAD.rstrip('\n') + '\n']
    for name, what in OPERATIONS:
        lines.append('``%s``' % name)
        lines.append('    %s' % what)
    lines.append(_DOC_MIDDLE.rstrip('\n') + '\n')
    lines.extend(rst_table(names))
    lines.append(_DOC_TAIL.rstrip('\n') + '\n')
    for name in names:
        row_ = ROWS[name]
        lines.append('``%s``' % name)
        lines.append('    %s: %s.' % (row_.level, row_.text))
    return '\n'.join(lines) + '\n'


def main():
    from cinder_ngxstorage.simulator import variants
    names = ['strict'] + [variant.name for variant in variants.VARIANTS]
    print(document(names), end='')


if __name__ == '__main__':
    main()
