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

"""Unit tests of options.py and its oslo-config-generator entry point."""

import importlib.metadata
import os
import re
import subprocess
import sys

from oslo_config import cfg
import testtools

from cinder_ngxstorage import options

EXPECTED = (
    'ngxstorage_api_token', 'ngxstorage_pools', 'ngxstorage_portal_group',
    'ngxstorage_iscsi_portals', 'ngxstorage_use_https',
    'ngxstorage_verify_tls', 'ngxstorage_ca_bundle', 'ngxstorage_chap',
    'ngxstorage_api_timeout', 'ngxstorage_api_retries',
    'ngxstorage_api_pool_size', 'ngxstorage_license_warning_days',
)


class ListOptsTestCase(testtools.TestCase):
    """list_opts: what the config generator and docs see."""

    def test_backend_defaults_group(self):
        """One group, backend_defaults, holding every driver option."""
        listed = options.list_opts()
        self.assertEqual(['backend_defaults'], [g for g, opts in listed])
        names = [opt.name for opt in listed[0][1]]
        self.assertEqual(sorted(EXPECTED), sorted(names))
        self.assertEqual([o.name for o in options.NGXSTORAGE_OPTS], names)

    def test_every_option_has_help(self):
        """Each option has help text (a sentence, not a stub)."""
        for opt in options.list_opts()[0][1]:
            self.assertIsInstance(opt, cfg.Opt)
            self.assertTrue(opt.help, opt.name)
            self.assertGreater(len(opt.help), 20, opt.name)
            self.assertTrue(opt.name.startswith('ngxstorage_'), opt.name)

    def test_copies_not_the_registered_objects(self):
        """list_opts returns copies: the generator cannot alter ours."""
        listed = options.list_opts()[0][1]
        for copy, original in zip(listed, options.NGXSTORAGE_OPTS):
            self.assertIsNot(copy, original)
            self.assertEqual(copy.name, original.name)

    def test_token_is_secret(self):
        """The token is a secret option (masked when options are logged)."""
        by_name = {o.name: o for o in options.list_opts()[0][1]}
        self.assertTrue(by_name['ngxstorage_api_token'].secret)
        for name, opt in by_name.items():
            if name != 'ngxstorage_api_token':
                self.assertFalse(opt.secret, name)

    def test_defaults(self):
        """Secure and documented defaults."""
        by_name = {o.name: o for o in options.NGXSTORAGE_OPTS}
        self.assertIs(True, by_name['ngxstorage_use_https'].default)
        self.assertIs(True, by_name['ngxstorage_verify_tls'].default)
        self.assertIs(True, by_name['ngxstorage_chap'].default)
        self.assertIsNone(by_name['ngxstorage_api_token'].default)
        self.assertEqual([], by_name['ngxstorage_pools'].default)

    def test_registered_under_backend_defaults(self):
        """The options can be read from [backend_defaults]."""
        self.assertIs(True, cfg.CONF.backend_defaults.ngxstorage_use_https)

    def test_entry_point(self):
        """setup.cfg registers list_opts for oslo.config.opts."""
        points = importlib.metadata.entry_points(group='oslo.config.opts')
        ours = [p for p in points if p.name == 'cinder_ngxstorage']
        self.assertEqual(1, len(ours))
        self.assertIs(options.list_opts, ours[0].load())


class ConfigGeneratorTestCase(testtools.TestCase):
    """oslo-config-generator --namespace cinder_ngxstorage."""

    def test_generator_prints_every_option(self):
        """The sample config shows each option under backend_defaults."""
        generator = os.path.join(os.path.dirname(sys.executable),
                                 'oslo-config-generator')
        if not os.path.exists(generator):
            self.skipTest('oslo-config-generator not installed')
        result = subprocess.run(
            [generator, '--namespace', 'cinder_ngxstorage'],
            capture_output=True, text=True, timeout=120, check=False)
        self.assertEqual(0, result.returncode, result.stderr)
        output = result.stdout
        self.assertIn('[backend_defaults]', output)
        section = output.split('[backend_defaults]', 1)[1]
        for name in EXPECTED:
            self.assertIsNotNone(
                re.search(r'^#%s =( |$)' % name, section, re.MULTILINE),
                name)
        # The help text is carried into the sample.
        self.assertIn('API Management', section)
