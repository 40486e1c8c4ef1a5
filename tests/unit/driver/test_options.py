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
from unittest import mock

from cinder import exception
from cinder.volume import driver as cinder_driver
import fixtures
from oslo_config import cfg
import testtools

from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import options
from tests.unit.driver import fakes

CONF = cfg.CONF

EXPECTED = (
    'ngxstorage_api_token', 'ngxstorage_pools', 'ngxstorage_portal_group',
    'ngxstorage_iscsi_portals', 'ngxstorage_portals_by_owner',
    'ngxstorage_use_https',
    'ngxstorage_verify_tls', 'ngxstorage_ca_bundle', 'ngxstorage_chap',
    'ngxstorage_api_timeout', 'ngxstorage_api_retries',
    'ngxstorage_api_pool_size', 'ngxstorage_license_warning_days',
    'ngxstorage_namespace',
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
        # Deprecated aliases: unset by default, so Cinder's option or the
        # driver's secure default applies (see EffectiveTestCase).
        for name in ('ngxstorage_verify_tls', 'ngxstorage_chap',
                     'ngxstorage_ca_bundle'):
            self.assertIsNone(by_name[name].default, name)
            self.assertTrue(by_name[name].deprecated_for_removal, name)
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


class EffectiveTestCase(fakes.DriverTestCase):
    """Cinder's shared options, their deprecated aliases, the defaults."""

    def setUp(self):
        super().setUp()
        options._warned.clear()

    def effective(self):
        return {name: options.effective(self.conf, name)
                for name in options.ALIASES}

    def test_defaults_are_secure(self):
        """Nothing set: CHAP and TLS verification on (Cinder's: off)."""
        self.assertEqual({'use_chap_auth': True,
                          'driver_ssl_cert_verify': True,
                          'driver_ssl_cert_path': None}, self.effective())

    def test_cinder_options_honoured(self):
        self.configure(use_chap_auth=False, driver_ssl_cert_verify=False)
        self.assertEqual({'use_chap_auth': False,
                          'driver_ssl_cert_verify': False,
                          'driver_ssl_cert_path': None}, self.effective())
        self.configure(driver_ssl_cert_verify=True,
                       driver_ssl_cert_path='/etc/ssl/ngx')
        self.assertEqual('/etc/ssl/ngx',
                         self.effective()['driver_ssl_cert_path'])

    def test_backend_defaults_section_counts(self):
        """A value in [backend_defaults] applies too."""
        CONF.set_override('driver_ssl_cert_path', '/etc/ssl/shared',
                          group=options.SHARED_GROUP)
        self.addCleanup(CONF.clear_override, 'driver_ssl_cert_path',
                        group=options.SHARED_GROUP)
        self.configure(ngxstorage_ca_bundle='/etc/ssl/alias')
        self.assertEqual('/etc/ssl/shared',
                         self.effective()['driver_ssl_cert_path'])

    def test_backend_defaults_from_a_file(self):
        """use_chap_auth = False in cinder.conf's [backend_defaults]."""
        conf = cfg.ConfigOpts()
        conf.register_opts(cinder_driver.volume_opts,
                           group=options.SHARED_GROUP)
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'cinder.conf')
        with open(path, 'w') as handle:
            handle.write('[backend_defaults]\nuse_chap_auth = False\n')
        conf(args=[], default_config_files=[path])
        self.useFixture(fixtures.MonkeyPatch(
            'cinder_ngxstorage.options.CONF', conf))
        configuration = mock.Mock(config_group=options.SHARED_GROUP)
        configuration.safe_get.side_effect = (
            lambda name: conf[options.SHARED_GROUP].get(name))
        self.assertTrue(options.is_set(configuration, 'use_chap_auth'))
        self.assertIs(False, options.effective(configuration,
                                               'use_chap_auth'))
        self.assertFalse(options.is_set(configuration,
                                        'driver_ssl_cert_verify'))

    def test_aliases_read_and_warned_once(self):
        self.configure(ngxstorage_chap=False, ngxstorage_verify_tls=False,
                       ngxstorage_ca_bundle='/etc/ssl/ca.pem')
        for _ in range(3):
            self.assertEqual({'use_chap_auth': False,
                              'driver_ssl_cert_verify': False,
                              'driver_ssl_cert_path': '/etc/ssl/ca.pem'},
                             self.effective())
        for alias, name in (('ngxstorage_chap', 'use_chap_auth'),
                            ('ngxstorage_verify_tls',
                             'driver_ssl_cert_verify'),
                            ('ngxstorage_ca_bundle',
                             'driver_ssl_cert_path')):
            self.assertEqual(1, self.logger.output.count(
                'Option %s is deprecated' % alias))
            self.assertIn('set Cinder\'s %s instead' % name,
                          self.logger.output)

    def test_cinder_option_wins_over_alias(self):
        self.configure(ngxstorage_chap=False, use_chap_auth=True)
        self.assertIs(True, self.effective()['use_chap_auth'])

    def test_chap_off_makes_groups_without_credential(self):
        self.configure(use_chap_auth=False)
        drv = self.ready_driver(chap=False)
        self.assertFalse(drv.exports.use_chap)

    def test_chap_username_password_refused(self):
        for key in ('chap_username', 'chap_password'):
            self.configure(**{key: 'something-set'})
            drv = self.make_driver()
            err = self.assertRaises(exception.VolumeDriverException,
                                    drv.do_setup, self.ctx)
            self.assertIn('chap_username/chap_password do not apply',
                          str(err))
            self.configure(**{key: ''})

    def test_bad_ratio_refused_at_setup(self):
        self.configure(max_over_subscription_ratio='0.5')
        err = self.assertRaises(exception.VolumeDriverException,
                                self.make_driver().do_setup, self.ctx)
        self.assertIn('max_over_subscription_ratio 0.5', str(err))

    def test_driver_options_list_the_shared_ones(self):
        names = {opt.name: opt for opt in
                 ngx_driver.NGXStorageISCSIDriver.get_driver_options()}
        for name in ('use_chap_auth', 'driver_ssl_cert_verify',
                     'driver_ssl_cert_path', 'report_discard_supported',
                     'reserved_percentage', 'max_over_subscription_ratio',
                     'chap_username', 'chap_password'):
            self.assertIn(name, names)
        # Shown with the driver's defaults.
        self.assertIs(True, names['use_chap_auth'].default)
        self.assertIs(True, names['driver_ssl_cert_verify'].default)
