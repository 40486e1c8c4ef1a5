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

"""What the driver on main does under each reading: the one table.

One row per variant of the registry (and ``strict``): a level and a
sentence. Levels:

``works``
    the driver copes; nothing to do.
``degraded``
    the driver works but something it reports is off (statistics).
``fails``
    the operation fails loudly, with the message named; no harm done.
``UNSAFE``
    the driver would do something wrong without noticing (data loss,
    wrong credentials or portals handed out, objects leaked).

The kit exits 1 when the array matches an ``UNSAFE`` row, or answers in
a way no row covers. The rows describe the driver as merged on main when
the kit was written (``cinder_ngxstorage/driver.py``, ``exports.py``,
``records.py``); update them when the driver changes (the driver-safety
work makes several ``fails`` and ``UNSAFE`` rows ``works``).
"""

WORKS, DEGRADED, FAILS, UNSAFE = 'works', 'degraded', 'fails', 'UNSAFE'

#: name -> (level, what the driver will do).
TABLE = {
    'strict': (WORKS, 'the reading the driver is written for'),
    # refusals
    'conflict-400': (FAILS, 'a conflict becomes ValidationFailed, not '
                     'Conflict: no adoption of a LUN a lost answer made, '
                     'snapshots with clones are not deferred'),
    'conflict-422': (FAILS, 'as conflict-400 (422 maps to '
                     'ValidationFailed)'),
    'conflict-200': (FAILS, 'a conflict becomes RequestFailed ("success '
                     'false"), not Conflict; as conflict-400'),
    'reason-in-error-field': (WORKS, 'the client reads "error" too'),
    'errors-without-json': (WORKS, 'the client quotes the text body'),
    # answers
    'target-create-empty': (FAILS, 'InvalidResponse "id of the new target"'
                            ' after the target was made: attach fails, an '
                            'empty target is left for the start-up sweep'),
    'lun-create-no-id': (WORKS, 'InvalidResponse is an uncertain answer: '
                         'the LUN is adopted by name'),
    'lun-add-bare': (FAILS, 'InvalidResponse "does not list LUN ... in '
                     'target": attach fails'),
    'lun-remove-bare': (WORKS, 'the answer is not read'),
    'lun-modify-bare': (WORKS, 'the answer is not read'),
    'strings-for-numbers': (WORKS, 'records parse numbers and flags '
                            'defensively'),
    'json-numbers': (WORKS, 'records take integers'),
    'json-booleans': (WORKS, 'records take booleans'),
    'strings-for-booleans': (WORKS, 'the client treats "false" as failure'),
    # identifiers
    'target-id-not-scsi-id': (UNSAFE, 'the driver addresses targets by the '
                              'listed scsi_id: target paths answer 404, '
                              'which deletes read as "gone already", so '
                              'targets leak and mapping fails'),
    'lun-ids-are-scsi-lunids': (FAILS, 'Add LUN with a vol_id answers 404: '
                                'attach fails with NotFound'),
    'lun-numbers-array-wide': (WORKS, 'the LUN number is taken from the '
                               'array\'s answer, never computed'),
    # dependencies
    'cascade-snapshot-clones': (UNSAFE, 'deleting a Cinder snapshot deletes '
                                'the volumes cloned from it (the driver '
                                'relies on the refusal to defer it)'),
    'cascade-delete-all': (UNSAFE, 'Delete All would delete snapshots with '
                           'clones and the clones with them'),
    'cascade-restore': (UNSAFE, 'restoring an older snapshot silently '
                        'deletes the newer snapshots'),
    # secrets
    'chap-masked': (UNSAFE, 'the driver reads the CHAP secret back from the '
                    'group and hands out the mask: logins are refused'),
    'chap-omitted': (UNSAFE, 'the driver reads the CHAP secret back and '
                     'hands out none: logins are refused'),
    'chap-status-bool': (WORKS, 'records take true/false flags'),
    # export shapes
    'listen-ip': (WORKS, 'a bare address means port 3260'),
    'listen-objects': (UNSAFE, 'the objects are turned into text and '
                       'handed out as portals (unless portals are '
                       'configured)'),
    'listen-csv': (FAILS, 'InvalidResponse "field listen_ips is not a '
                   'list" (unless portals are configured)'),
    'listen-wildcard': (UNSAFE, 'the wildcard address is handed out as the '
                        'portal (unless portals are configured)'),
    'ipv6-unbracketed': (UNSAFE, '"addr:port" of an IPv6 portal is handed '
                         'out as it is; the port cannot be told from the '
                         'address'),
    # numbers
    'capacity-example': (DEGRADED, 'provisioned capacity reads the used '
                         'bytes: the scheduler over-commits'),
    'maxlun-per-array': (FAILS, 'the 65th mapping anywhere is refused: '
                         'attach fails with Conflict'),
    'maxlun-zero': (FAILS, 'maxlun 0: every attach wants a new target and '
                    'fails'),
    'size-unit-megabytes': (UNSAFE, 'the driver sends sizes without "sing": '
                            'volumes are made 1024 times too small'),
}

#: For an answer no reading explains.
UNKNOWN = (UNSAFE, 'no known reading: the driver\'s behaviour is unknown')
#: For a probe that could not observe anything.
UNOBSERVED = (WORKS, 'not observed on this array')


def row(name):
    """(level, text) for variant ``name`` (or ``strict``)."""
    return TABLE[name]
