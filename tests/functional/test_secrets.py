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

"""No token or CHAP secret in logs, errors or reprs; CHAP from a CSPRNG.

The base classes of the functional suites install
:class:`tests.secret_leaks.SecretLeakDetector` for each test: every token
and CHAP secret made is tracked and every log record (DEBUG on),
NGXStorage error and Cinder exception is checked when it is made, and the
test fails on its own leaks (tests/unit/test_secret_leaks.py shows it
does, and that nothing stays patched after). The tests here prove the
detector works, run a workload that handles secrets in every way the
driver does (CHAP on every host, bad keys, faults, retries, bad answers)
and check the reprs of every object holding one, and check the process
as a whole.
"""

import logging
import secrets
import string
from unittest import mock

from cinder import exception
import fixtures

from cinder_ngxstorage import exports
from tests.functional.driver import base
from tests import secret_leaks


class DetectorTest(base.DriverTestCase):
    """The detector sees what it must see."""

    def test_a_logged_secret_is_caught(self):
        mark = len(secret_leaks.leaks())
        secret = secrets.token_hex(20)
        secret_leaks.register(secret)
        logging.getLogger('cinder_ngxstorage.test').debug(
            'oops: Bearer %s', secret)
        found = secret_leaks.leaks(mark)
        secret_leaks.forget_leaks(mark)
        self.assertEqual(1, len(found))
        self.assertNotIn(secret, found[0]['excerpt'])
        self.assertIn('***', found[0]['excerpt'])

    def test_a_secret_in_an_exception_is_caught(self):
        mark = len(secret_leaks.leaks())
        exception.VolumeBackendAPIException(data='token %s' % self.sim.token)
        found = secret_leaks.leaks(mark)
        secret_leaks.forget_leaks(mark)
        self.assertEqual(1, len(found))

    def test_secrets_are_learnt_when_made(self):
        self.assertTrue(secret_leaks.find('x %s y' % self.sim.token))
        self.assertTrue(secret_leaks.find(self.sim.admin_token))
        self.assertTrue(secret_leaks.find(exports.generate_chap_secret()))
        token = self.sim.add_key('other')
        self.assertTrue(secret_leaks.find('%s,' % token))


class WorkloadTest(base.DriverTestCase):
    """Everything the driver does with secrets, then every repr."""

    def test_workload_leaks_nothing(self):
        mark = len(secret_leaks.leaks())
        debug = self.useFixture(_DebugLog())
        vols = [self.create_volume() for _ in range(3)]
        infos = []
        for number, vol in enumerate(vols):
            infos.append(self.driver.initialize_connection(
                vol, self.connector('host-%d' % number)))
        # Another service reads the CHAP secret back from the array.
        other = self.make_driver()
        infos.append(other.initialize_connection(
            vols[0], self.connector('host-1')))
        # Faults: retried reads, lost answers, an expired key.
        self.sim.faults.add(method='GET', phase='before', status=503)
        self.driver.get_volume_stats(refresh=True)
        self.sim.faults.add(method='POST', path='/api/v2/snapshot/$',
                            phase='after', action='drop')
        snap = self.create_snapshot(vols[0])
        self.sim.faults.add(phase='before', status=401, times=0,
                            message='API key admin has expired')
        errors = [self.assertRaises(exception.VolumeBackendAPIException,
                                    self.driver.extend_volume, vols[1], 2)]
        self.sim.faults.clear()
        # A wrong key and a bad answer echoing the request.
        errors.append(self.assertRaises(
            exception.VolumeDriverException, self.make_driver,
            ngxstorage_api_token='x' * 40))
        # An array that echoes the key in its error message.
        third = self.make_driver()
        self.sim.faults.add(method='PATCH', path='/chap/', phase='before',
                            action='body', status=500,
                            body='{"message": "bad request from key %s"}'
                            % self.sim.token)
        errors.append(self.assertRaises(
            exception.VolumeBackendAPIException,
            third.initialize_connection, vols[0],
            self.connector('host-new')))
        self.sim.faults.clear()
        for number, vol in enumerate(vols):
            self.driver.terminate_connection(
                vol, self.connector('host-%d' % number))
        self.driver.delete_snapshot(snap)

        chap = [info['data']['auth_password'] for info in infos]
        self.assertTrue(all(secret_leaks.find(c) for c in chap))
        for err in errors:
            secret_leaks.check_text(str(err), 'str(error)')
            secret_leaks.check_text(repr(err), 'repr(error)')
            secret_leaks.check_text(repr(err.__cause__), 'repr(cause)')
        for obj in (self.driver, other, self.driver.client, other.client,
                    self.driver.exports, self.sim, self.sim.keys,
                    self.driver.configuration):
            secret_leaks.check_text(repr(obj), 'repr %s' % type(obj))
        for entry in other.exports._cache.values():
            secret_leaks.check_text(repr(entry), 'repr HostExport')
        for key in self.sim.keys.keys():
            secret_leaks.check_text(repr(key), 'repr ApiKey')
        for rule in self.sim.faults.rules():
            secret_leaks.check_text(repr(rule), 'fault rule')
        secret_leaks.assert_no_leaks(mark)
        # The capture ran at DEBUG and saw the CHAP calls (masked).
        self.assertIn('/api/v2/auth_group/chap/', debug.text)
        self.assertIn('***', debug.text)


class ChapSecretTest(base.DriverTestCase):
    """CHAP secrets: unique per host, 16 characters, from a CSPRNG."""

    def test_unique_per_host_and_stable(self):
        vol = self.create_volume()
        secrets_seen = {}
        for number in range(12):
            host = 'host-%d' % number
            info = self.driver.initialize_connection(vol,
                                                     self.connector(host))
            secrets_seen[host] = info['data']['auth_password']
        again = self.make_driver().initialize_connection(
            vol, self.connector('host-3'))
        self.assertEqual(secrets_seen['host-3'],
                         again['data']['auth_password'])
        values = list(secrets_seen.values())
        self.assertEqual(len(values), len(set(values)))
        alphabet = set(string.ascii_letters + string.digits)
        for value in values:
            self.assertEqual(16, len(value))
            self.assertLessEqual(set(value), alphabet)
        on_array = [g['chap']['password'] for g in self.sim.state.auth_groups()
                    if g.get('chap')]
        self.assertEqual(sorted(values), sorted(on_array))

    def test_drawn_from_the_secrets_module(self):
        with mock.patch.object(exports.secrets, 'choice', autospec=True,
                               side_effect=secrets.choice) as choice:
            value = exports.generate_chap_secret()
        self.assertEqual(exports.CHAP_SECRET_LENGTH, choice.call_count)
        self.assertIs(secrets, exports.secrets)
        self.assertEqual(16, len(value))
        self.assertEqual(200, len({exports.generate_chap_secret()
                                   for _ in range(200)}))


class WholeProcessTest(base.DriverTestCase):
    """Nothing leaked anywhere in this test process so far."""

    def test_no_leak_so_far(self):
        self.assertGreater(secret_leaks.known_count(), 0)
        secret_leaks.assert_no_leaks()


class _DebugLog(fixtures.Fixture):
    """Collects the text of DEBUG records of the driver and client."""

    def _setUp(self):
        self.records = []
        handler = logging.Handler(logging.DEBUG)
        handler.emit = lambda record: self.records.append(
            record.getMessage())
        logger = logging.getLogger('cinder_ngxstorage')
        self.addCleanup(logger.setLevel, logger.level)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)

    @property
    def text(self):
        """Every message collected, one a line."""
        return '\n'.join(self.records)
