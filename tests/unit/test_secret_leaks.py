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

"""The secret-leak detector fails a leaking test, then goes away.

Each test runs a small inner test that installs
:class:`tests.secret_leaks.SecretLeakDetector` the way the base classes
do, and checks its outcome; the leaks planted on purpose are dropped
again, so that they do not count against the process.
"""

import logging
import secrets
import unittest

from cinder import exception as cinder_exception
import fixtures
import testtools

from cinder_ngxstorage import client
from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import exports
from cinder_ngxstorage.simulator import keys
from tests import common
from tests import secret_leaks


def run_inner(body, unittest_case=False):
    """Run body(test) in a test under the detector; the result."""
    base = unittest.TestCase if unittest_case else testtools.TestCase

    class Inner(base):
        def setUp(self):
            super().setUp()
            common.detect_leaks(self)

        def test_it(self):
            body(self)

    result = unittest.TestResult()
    Inner('test_it').run(result)
    return result


class DetectorFixtureTest(testtools.TestCase):
    """A planted secret fails the test; nothing stays patched after."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        mark = len(secret_leaks.leaks())
        # The leaks planted on purpose must not fail other checks.
        self.addCleanup(secret_leaks.forget_leaks, mark)
        self.secret = secrets.token_hex(20)
        secret_leaks.register(self.secret)

    def assert_failed_with_leak(self, result):
        problems = result.failures + result.errors
        self.assertEqual(1, len(problems), problems)
        text = problems[0][1]
        self.assertIn('secret leak', text)
        self.assertNotIn(self.secret, text)
        self.assertIn('***', text)

    def test_secret_in_a_log_record_fails_the_test(self):
        result = run_inner(lambda t: logging.getLogger(
            'cinder_ngxstorage.test').debug('oops: Bearer %s', self.secret))
        self.assert_failed_with_leak(result)

    def test_secret_in_a_cinder_exception_fails_the_test(self):
        result = run_inner(
            lambda t: cinder_exception.VolumeBackendAPIException(
                data='token %s' % self.secret))
        self.assert_failed_with_leak(result)

    def test_secret_in_an_ngxstorage_error_fails_the_test(self):
        result = run_inner(lambda t: ngx_exc.NGXStorageError(
            message='key %s' % self.secret, method='GET', path='/x'))
        self.assert_failed_with_leak(result)

    def test_unittest_case_fails_too(self):
        result = run_inner(lambda t: logging.getLogger('x').warning(
            'key=%s', self.secret), unittest_case=True)
        self.assert_failed_with_leak(result)

    def test_a_clean_test_passes(self):
        result = run_inner(lambda t: logging.getLogger(
            'cinder_ngxstorage.test').debug('nothing secret here'))
        self.assertTrue(result.wasSuccessful(),
                        result.failures + result.errors)

    def test_secrets_made_under_it_are_learnt(self):
        made = []
        run_inner(lambda t: made.append(exports.generate_chap_secret()))
        self.assertTrue(secret_leaks.find('x %s y' % made[0]))

    def test_everything_is_undone_after_the_test(self):
        patched = [(keys.KeyStore, 'add'),
                   (client.NGXStorageClient, '__init__'),
                   (client.NGXStorageClient, 'set_auth_group_chap'),
                   (exports, 'generate_chap_secret'),
                   (ngx_exc.NGXStorageError, '__init__'),
                   (cinder_exception.CinderException, '__init__')]
        before = [getattr(owner, name) for owner, name in patched]
        factory = logging.getLogRecordFactory()
        levels = {name: logging.getLogger(name).level
                  for name in secret_leaks.DEBUG_LOGGERS}
        during = []

        def body(test):
            during.extend(getattr(owner, name) for owner, name in patched)
            during.append(logging.getLogRecordFactory())
            test.assertEqual(
                [logging.DEBUG] * len(levels),
                [logging.getLogger(n).level for n in levels])

        result = run_inner(body)
        self.assertTrue(result.wasSuccessful(),
                        result.failures + result.errors)
        for old, new in zip(before + [factory], during):
            self.assertIsNot(old, new)
        self.assertEqual(before, [getattr(owner, name)
                                  for owner, name in patched])
        self.assertIs(factory, logging.getLogRecordFactory())
        self.assertEqual(levels, {name: logging.getLogger(name).level
                                  for name in secret_leaks.DEBUG_LOGGERS})
        # Not installed any more: a leak now is not seen.
        mark = len(secret_leaks.leaks())
        logging.getLogger('cinder_ngxstorage.test').error(
            'after: %s', self.secret)
        self.assertEqual([], secret_leaks.leaks(mark))
