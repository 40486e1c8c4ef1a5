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

"""Unit tests of cinder_ngxstorage.redaction."""

import json
import logging

import fixtures
import testtools

from cinder_ngxstorage import redaction

SECRET = 'qaxwscedrfv4!'


class MaskDataTest(testtools.TestCase):
    """Masking of decoded data."""

    def test_secret_keys_at_any_depth(self):
        data = {
            'username': 'u',
            'password': SECRET,
            'nested': [{'chap': {'username': 'c', 'password': SECRET}},
                       {'Authorization': 'Bearer ' + SECRET}],
            'api_key': SECRET, 'X-Auth-Token': SECRET,
            'chap_secret': SECRET, 'client_secret': 12345,
            'headers': ({'Cookie': SECRET},),
        }
        masked = redaction.mask_data(data)
        self.assertNotIn(SECRET, json.dumps(masked))
        self.assertNotIn('12345', json.dumps(masked))
        self.assertEqual('u', masked['username'])
        self.assertEqual('***', masked['nested'][0]['chap'])
        self.assertIsInstance(masked['headers'], tuple)

    def test_input_unchanged_and_harmless_keys_kept(self):
        data = {'chap_status': 1, 'group_id': 'g', 'auth_group_id': '1',
                'password': SECRET, 'owner': None, 'token': None}
        masked = redaction.mask_data(data)
        self.assertEqual(SECRET, data['password'])
        self.assertEqual({'chap_status': 1, 'group_id': 'g',
                          'auth_group_id': '1', 'password': '***',
                          'owner': None, 'token': None}, masked)

    def test_string_values_masked_as_text(self):
        masked = redaction.mask_data(
            {'message': 'login with password=%s failed' % SECRET})
        self.assertEqual('login with password=*** failed',
                         masked['message'])

    def test_scalars(self):
        self.assertEqual(3, redaction.mask_data(3))
        self.assertIsNone(redaction.mask_data(None))


class MaskTextTest(testtools.TestCase):
    """Masking of free text."""

    def test_forms(self):
        cases = [
            ('{"password": "%s", "username": "u"}' % SECRET,
             '{"password": "***", "username": "u"}'),
            ("{'secret': '%s'}" % SECRET, "{'secret': '***'}"),
            ('Authorization: Bearer %s next' % SECRET,
             'Authorization: Bearer *** next'),
            ('(sent Bearer %s)' % SECRET, '(sent Bearer ***)'),
            ('{"Authorization": "Bearer %s"}' % SECRET,
             '{"Authorization": "***"}'),
            ('password=%s&x=1' % SECRET, 'password=***&x=1'),
            ('token: %s, other' % SECRET, 'token: ***, other'),
            ("{'chap': {'password': '%s', 'username': 'u'}}" % SECRET,
             "{'chap': ***}"),
            (r'{\"password\": \"%s\"}' % SECRET, r'{\"password\": \"***\"}'),
            ('chap_status: 1', 'chap_status: 1'),
            ('nothing to hide', 'nothing to hide'),
        ]
        for text, expected in cases:
            self.assertEqual(expected, redaction.mask_text(text), text)

    def test_non_string(self):
        self.assertEqual("{'password': '***'}",
                         redaction.mask_text({'password': SECRET}))


class MaskJsonTest(testtools.TestCase):
    """Masking of JSON documents and of anything."""

    def test_json_text(self):
        text = json.dumps([{'chap': {'password': SECRET}, 'chap_status': 1}])
        self.assertEqual([{'chap': '***', 'chap_status': 1}],
                         json.loads(redaction.mask_json(text)))
        self.assertEqual([{'chap': '***', 'chap_status': 1}],
                         json.loads(redaction.mask_json(text.encode())))

    def test_not_json(self):
        self.assertEqual('<p>password=*** </p>',
                         redaction.mask_json('<p>password=%s </p>' % SECRET))
        self.assertEqual('"just a string"',
                         redaction.mask_json('"just a string"'))

    def test_mask_dispatch(self):
        self.assertEqual({'token': '***'},
                         redaction.mask({'token': SECRET}))
        self.assertEqual('{"token": "***"}',
                         redaction.mask('{"token": "x"}'))
        self.assertEqual(7, redaction.mask(7))


class MaskSecretValuesTest(testtools.TestCase):
    """Masking of known secret values wherever they are."""

    def test_text_and_encoded_forms(self):
        secret = 'a/b "c"'
        text = 'x %s y %s z %s' % (secret, 'a%2Fb%20%22c%22',
                                   json.dumps(secret)[1:-1])
        self.assertEqual('x *** y *** z ***',
                         redaction.mask_secret_values(text, [secret]))

    def test_data(self):
        data = {'k': ['..%s..' % SECRET], SECRET: 1, 'n': 2}
        self.assertEqual({'k': ['..***..'], '***': 1, 'n': 2},
                         redaction.mask_secret_values(data, (SECRET,)))

    def test_empty_secrets_ignored(self):
        self.assertEqual('abc',
                         redaction.mask_secret_values('abc', ['', None]))
        self.assertEqual('abc', redaction.mask_secret_values('abc', None))


class RedactingFilterTest(testtools.TestCase):
    """The logging filter."""

    def test_filter(self):
        logger = logging.getLogger('test_redaction_filter')
        logs = self.useFixture(fixtures.FakeLogger(
            name='test_redaction_filter', level=logging.DEBUG))
        flt = redaction.RedactingFilter(secrets=('known-value-1',))
        logger.addFilter(flt)
        self.addCleanup(logger.removeFilter, flt)
        logger.debug('headers %s', {'Authorization': 'Bearer abc'})
        logger.debug('the value %s', 'known-value-1')
        self.assertNotIn('abc', logs.output)
        self.assertNotIn('known-value-1', logs.output)
        self.assertIn("'Authorization': '***'", logs.output)
