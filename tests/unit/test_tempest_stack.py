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

"""tools/tempest/stack.py: the helper of the local Tempest run.

What it claims to Tempest (the feature flags) must follow the driver, and
its summary must count and fail the way Tempest's totals do.
"""

import configparser
import contextlib
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
from unittest import mock

import fixtures
import subunit
import testtools

from cinder_ngxstorage import driver as ngx_driver

HERE = os.path.dirname(os.path.abspath(__file__))
STACK = os.path.join(HERE, '..', '..', 'tools', 'tempest', 'stack.py')


def load_stack():
    """Import tools/tempest/stack.py (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location('tempest_stack', STACK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def subunit_stream(*events):
    """A subunit v2 byte stream of (test id, status, reason) events."""
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    for test_id, status, reason in events:
        writer.status(test_id=test_id, test_status='inprogress')
        if reason:
            writer.status(test_id=test_id, file_name='reason',
                          file_bytes=reason.encode(), eof=True,
                          mime_type='text/plain; charset=utf8')
        writer.status(test_id=test_id, test_status=status)
    return out.getvalue()


class CapabilitiesTest(testtools.TestCase):
    """The volume-feature-enabled flags come from the driver class."""

    def setUp(self):
        """Load the helper."""
        super().setUp()
        self.stack = load_stack()

    def test_current_driver(self):
        """Every feature the driver implements is on."""
        caps = self.stack.capabilities()
        for name in ('snapshot', 'clone', 'extend', 'volume_revert',
                     'manage_volume', 'manage_snapshot',
                     'extend_attached_volume'):
            self.assertTrue(caps[name], name)

    def test_base_class_stub_is_not_a_feature(self):
        """A method inherited from Cinder's BaseVD does not count."""
        from cinder.volume import driver as cinder_driver
        with mock.patch.object(ngx_driver.NGXStorageISCSIDriver,
                               'manage_existing',
                               cinder_driver.BaseVD.manage_existing,
                               create=True):
            caps = self.stack.capabilities()
        self.assertFalse(caps['manage_volume'])
        self.assertTrue(caps['manage_snapshot'])

    def test_tempest_conf(self):
        """tempest.conf carries the flags, refs and absent services."""
        out = os.path.join(self.useFixture(fixtures.TempDir()).path,
                           'tempest.conf')
        with contextlib.redirect_stdout(io.StringIO()):
            rc = self.stack.main([
                'tempest-conf', '--auth-url', 'http://127.0.0.1:1/v3',
                '--admin-password', 'pw', '--out', out,
                '--log-file', '/tmp/t.log', '--lock-path', '/tmp/l',
                '--backend-name', 'ngxstorage',
                '--manage-volume-ref', 'source-name,volume-%s',
                '--manage-snapshot-ref', 'source-name,snapshot-%s'])
        self.assertEqual(0, rc)
        conf = configparser.ConfigParser(interpolation=None)
        conf.read(out)
        flags = conf['volume-feature-enabled']
        self.assertEqual('true', flags['manage_volume'])
        self.assertEqual('false', flags['backup'])
        self.assertEqual('false', flags['multi_backend'])
        self.assertEqual('source-name,volume-%s',
                         conf['volume']['manage_volume_ref'])
        self.assertEqual('false', conf['service_available']['nova'])


class SummaryTest(testtools.TestCase):
    """Totals, skip reasons and the exit code of a run."""

    def _summary(self, stream):
        stack = load_stack()
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        path = os.path.join(tmp, 'summary.json')
        line = os.path.join(tmp, 'line')
        stdin = mock.Mock(buffer=io.BytesIO(stream))
        out = io.StringIO()
        with mock.patch.object(sys, 'stdin', stdin), \
                contextlib.redirect_stdout(out):
            rc = stack.main(['summary', '--json', path, '--seconds', '7',
                             '--line-file', line])
        with open(path) as f:
            summary = json.load(f)
        with open(line) as f:
            closing = f.read().strip()
        return rc, summary, closing, out.getvalue()

    def test_counts_and_reasons(self):
        """Passed, skipped (grouped by reason) and the closing line."""
        rc, summary, closing, out = self._summary(subunit_stream(
            ('a.test_one', 'success', None),
            ('setUpClass (a.B)', 'skip', 'Nova is not available'),
            ('setUpClass (a.B)', 'skip', 'Nova is not available'),
            ('a.test_two', 'skip', 'Backup disabled')))
        self.assertEqual(0, rc)
        self.assertEqual((4, 1, 3, 0), (
            summary['ran'], summary['passed'], summary['skipped'],
            summary['failed']))
        self.assertEqual(
            ['setUpClass (a.B)', 'setUpClass (a.B)'],
            summary['skips']['Nova is not available'])
        self.assertEqual('tempest: 1 passed, 0 failed, 3 skipped', closing)
        self.assertIn('ran 4, passed 1, skipped 3, failed 0 in 7s', out)

    def test_failure_fails(self):
        """One failed test: exit 1, and it is named."""
        rc, summary, closing, out = self._summary(subunit_stream(
            ('a.test_one', 'success', None), ('a.test_bad', 'fail', None)))
        self.assertEqual(1, rc)
        self.assertEqual(['a.test_bad'], summary['failed_tests'])
        self.assertIn('a.test_bad', out)

    def test_nothing_passed_fails(self):
        """An empty run (or only skips) is a failure too."""
        rc, summary, closing, out = self._summary(subunit_stream(
            ('a.test_one', 'skip', 'off')))
        self.assertEqual(1, rc)
