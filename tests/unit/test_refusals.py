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


"""The refusal taxonomy: the array's words -> one reason.

Table-driven: the simulator's messages (model/*.py), the reference's
wording, other plausible firmware wordings, and unknown words, which must
stay UNKNOWN (the safe choice: never read as "has dependents").
"""

from requests_mock.contrib import fixture as rm_fixture
import testtools

from cinder_ngxstorage import client
from cinder_ngxstorage import exception
from cinder_ngxstorage import refusals

V = 'a' * 40

# (words, reason)
WORDS = [
    # The simulator's messages.
    ('LUN name cv-abc already exists', refusals.ALREADY_EXISTS),
    ('auth group cvgabc already exists', refusals.ALREADY_EXISTS),
    ('initiator iqn.1994-05.com.x:y is already in auth group g',
     refusals.ALREADY_EXISTS),
    ('iSCSI target ct-abc already exists', refusals.ALREADY_EXISTS),
    ('LUN cv-a is already in target ct-b', refusals.ALREADY_EXISTS),
    ('snapshot cs-1 of LUN cv-a already exists', refusals.ALREADY_EXISTS),
    ('LUN cv-a already has a snapshot schedule', refusals.ALREADY_EXISTS),
    ('LUN cv-a has 2 snapshot(s)', refusals.HAS_DEPENDENTS),
    ('LUN cv-a is mapped to target(s) ct-b', refusals.HAS_DEPENDENTS),
    ('LUN cv-a has a snapshot schedule', refusals.HAS_DEPENDENTS),
    ('snapshot cv-a@cs-b has clone(s) cv-c', refusals.HAS_DEPENDENTS),
    ('auth group g is bound to target(s) t', refusals.HAS_DEPENDENTS),
    ('iSCSI target ct-a still has 3 LUN(s)', refusals.HAS_DEPENDENTS),
    ('target ct-a would exceed maxlun 64', refusals.TARGET_FULL),
    ('LUN cv-a has reached maxsnap 256', refusals.LIMIT),
    ('not enough space in pool pool1 for LUN cv-a: 5 bytes needed, 1 '
     'free', refusals.NO_SPACE),
    ('pool pool1 is OFFLINE', refusals.POOL_OFFLINE),
    ('licence expired', refusals.LICENCE),
    ('feature snapshot is not licensed', refusals.LICENCE),
    ('LUN cv-a belongs to controller A, target ct-b to B', refusals.OWNER),
    ('snapshot cv-a@cs-b is not the newest snapshot of the LUN',
     refusals.NEWER_SNAPSHOTS),
    # Other plausible wordings.
    ('Duplicate entry for name', refusals.ALREADY_EXISTS),
    ('Name is taken', refusals.ALREADY_EXISTS),
    ('Volume is busy', refusals.HAS_DEPENDENTS),
    ('dataset has children; dependent clones exist',
     refusals.HAS_DEPENDENTS),
    ('Target is full', refusals.TARGET_FULL),
    ('Too many LUNs in target', refusals.TARGET_FULL),
    ('No space left on device', refusals.NO_SPACE),
    ('Insufficient free capacity', refusals.NO_SPACE),
    ('out of space', refusals.NO_SPACE),
    ('Pool is faulted', refusals.POOL_OFFLINE),
    ('License has expired', refusals.LICENCE),
    ('Volume does not exist', refusals.NOT_FOUND),
    ('no such snapshot', refusals.NOT_FOUND),
    ('snapshot has newer snapshots', refusals.NEWER_SNAPSHOTS),
    # Unknown words: never a convenient reason.
    ('', refusals.UNKNOWN),
    (None, refusals.UNKNOWN),
    ('operation failed', refusals.UNKNOWN),
    ('Error 0x1f2a', refusals.UNKNOWN),
    ('ngx.default_group cannot be changed or deleted', refusals.UNKNOWN),
]


class ClassifyWordsTest(testtools.TestCase):

    def test_table(self):
        for words, reason in WORDS:
            self.assertEqual(reason, refusals.classify_words(words),
                             words)

    def test_every_reason_has_a_hint(self):
        for reason in (refusals.ALREADY_EXISTS, refusals.HAS_DEPENDENTS,
                       refusals.TARGET_FULL, refusals.LIMIT,
                       refusals.NO_SPACE, refusals.POOL_OFFLINE,
                       refusals.LICENCE, refusals.OWNER,
                       refusals.NOT_FOUND, refusals.NEWER_SNAPSHOTS,
                       refusals.UNKNOWN):
            self.assertTrue(refusals.operator_hint(reason))
        self.assertEqual(refusals.operator_hint(refusals.UNKNOWN),
                         refusals.operator_hint('something else'))


class ClassifyErrorTest(testtools.TestCase):
    """Any status that refuses is classified the same way by its words."""

    def test_status_does_not_decide(self):
        for cls, status in ((exception.Conflict, 409),
                            (exception.ValidationFailed, 400),
                            (exception.ValidationFailed, 422),
                            (exception.RequestFailed, 200)):
            for words, reason in (
                    ('LUN cv-a has 2 snapshot(s)', refusals.HAS_DEPENDENTS),
                    ('pool p1 is OFFLINE', refusals.POOL_OFFLINE),
                    ('whatever', refusals.UNKNOWN)):
                err = cls(words, 'DELETE', '/api/v2/lun/x', status)
                self.assertTrue(refusals.is_refusal(err))
                self.assertEqual(reason, refusals.classify(err))

    def test_not_found_and_non_refusals(self):
        self.assertEqual(refusals.NOT_FOUND, refusals.classify(
            exception.NotFound('LUN has 2 snapshot(s)', status=404)))
        for err in (exception.ServerError('has clones', status=500),
                    exception.PermissionDenied('mapped', status=403),
                    exception.InvalidResponse('already exists')):
            self.assertFalse(refusals.is_refusal(err))
            self.assertEqual(refusals.UNKNOWN, refusals.classify(err))


class ClientMessageTest(testtools.TestCase):
    """The client finds the array's words wherever the body puts them."""

    BASE = 'https://array.example:443'

    def setUp(self):
        super().setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self.client = client.NGXStorageClient(self.BASE, 'k' * 20,
                                              retries=0)

    def refusal(self, status, **answer):
        self.http.register_uri('DELETE', self.BASE + '/api/v2/lun/' + V,
                               [dict(status_code=status, **answer)])
        return self.assertRaises(exception.NGXStorageError,
                                 self.client.delete_lun, V)

    def test_message_fields(self):
        words = 'LUN cv-a has 2 snapshot(s)'
        for body in ({'success': False, 'message': words},
                     {'success': False, 'error': words},
                     {'success': 'false', 'detail': words},
                     {'errors': [words]},
                     {'errors': [{'message': words}]},
                     {'error': {'code': 17, 'message': words}},
                     {'success': False, 'reason': words}):
            for status in (409, 400, 422, 200):
                err = self.refusal(status, json=body)
                self.assertTrue(refusals.is_refusal(err), (status, body))
                self.assertIn(words, err.message)
                self.assertEqual(refusals.HAS_DEPENDENTS,
                                 refusals.classify(err), (status, body))

    def test_body_that_is_not_json(self):
        for status, cls in ((409, exception.Conflict),
                            (400, exception.ValidationFailed),
                            (422, exception.ValidationFailed)):
            err = self.refusal(status, text='<html><body>pool p1 is '
                               'OFFLINE</body></html>')
            self.assertIsInstance(err, cls)
            self.assertEqual(refusals.POOL_OFFLINE, refusals.classify(err))
        err = self.refusal(409, text='')
        self.assertIsInstance(err, exception.Conflict)
        self.assertEqual(refusals.UNKNOWN, refusals.classify(err))
