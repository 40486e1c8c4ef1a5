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

"""Bad configuration: the service start fails with one useful message.

Every required option missing or malformed, an unreachable address, a
wrong, expired or under-scoped key, a pool or portal group that does not
exist, plain HTTP to a TLS endpoint and the reverse, an unverifiable
certificate: do_setup or check_for_setup_error (Cinder runs both at
start) raises one VolumeDriverException whose message names the option to
fix. TLS verification is on by default and tested both ways.
"""

import logging
import socket
import tempfile
import time

from cinder import exception
import fixtures
from oslo_config import cfg

from cinder_ngxstorage import options
from cinder_ngxstorage.simulator import Simulator
from tests import common
from tests.functional.driver import base


class BadConfigTest(base.DriverTestCase):
    """Each bad setting is named in the one error of the service start."""

    def start_service(self, **settings):
        """do_setup + check_for_setup_error; the error they raise."""
        err = self.assertRaises(exception.VolumeDriverException,
                                self.make_driver, **settings)
        text = str(err)
        self.assertIn('NGXStorage backend', text)
        self.assertNotIn(self.sim.token, text)
        return text

    def assert_names(self, option, **settings):
        text = self.start_service(**settings)
        self.assertIn(option, text)
        return text

    def test_missing_required_options(self):
        for option, empty in (('san_ip', ''),
                              ('ngxstorage_api_token', None),
                              ('ngxstorage_pools', []),
                              ('ngxstorage_portal_group', None)):
            self.assert_names(option, **{option: empty})

    def test_every_missing_option_in_one_message(self):
        text = self.start_service(san_ip='', ngxstorage_api_token=None,
                                  ngxstorage_pools=[],
                                  ngxstorage_portal_group=None)
        for option in ('san_ip', 'ngxstorage_api_token', 'ngxstorage_pools',
                       'ngxstorage_portal_group'):
            self.assertIn(option, text)

    def test_san_service_off(self):
        self.sim.state.set_service('san', False)
        text = self.start_service()
        self.assertIn('SAN (iSCSI) service is off', text)
        self.sim.state.set_service('san', True)
        self.make_driver()

    def test_credentials_in_san_ip_masked(self):
        text = self.assert_names('san_ip', san_ip='admin:Pa55w0rdX@10.0.0.1')
        self.assertNotIn('Pa55w0rdX', text)

    def test_malformed_address(self):
        for value in ('not a host name!', 'http://10.0.0.1', '10.0.0.1/x',
                      'user@10.0.0.1'):
            self.assert_names('san_ip', san_ip=value)

    def test_malformed_values_are_refused_by_oslo_config(self):
        """Types and bounds: the option's name is in oslo.config's error."""
        conf = cfg.ConfigOpts()
        conf.register_opts(options.NGXSTORAGE_OPTS, group='ngx')
        for option, value in (('ngxstorage_api_timeout', '0'),
                              ('ngxstorage_api_timeout', 'soon'),
                              ('ngxstorage_api_retries', '-1'),
                              ('ngxstorage_verify_tls', 'maybe')):
            with tempfile.NamedTemporaryFile('w', suffix='.conf') as f:
                f.write('[ngx]\n%s = %s\n' % (option, value))
                f.flush()
                conf(args=['--config-file', f.name])
                err = self.assertRaises(
                    cfg.ConfigFileValueError, getattr, conf.ngx, option)
                self.assertIn(option, str(err))
            conf.reset()

    def test_missing_ca_bundle_file(self):
        self.assert_names('ngxstorage_ca_bundle',
                          ngxstorage_ca_bundle='/nonexistent/ca.pem')

    def test_unreachable_address(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()  # Nothing listens there: connection refused.
        text = self.assert_names('san_ip', san_api_port=port)
        self.assertIn('san_api_port', text)

    def test_no_answer(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        sock.listen(8)  # Accepts connections, never answers.
        self.addCleanup(sock.close)
        start = time.monotonic()
        text = self.assert_names('san_ip', san_api_port=sock.getsockname()[1],
                                 ngxstorage_api_timeout=1,
                                 ngxstorage_api_retries=0)
        self.assertIn('ngxstorage_api_timeout', text)
        self.assertLess(time.monotonic() - start, 30)

    def test_wrong_token(self):
        self.assert_names('ngxstorage_api_token',
                          ngxstorage_api_token='w' * 40)

    def test_expired_key(self):
        token = self.sim.add_key('expired', expires_at=time.time() - 60)
        text = self.assert_names('ngxstorage_api_token',
                                 ngxstorage_api_token=token)
        self.assertIn('expired', text)

    def test_key_expires_while_running(self):
        """A key that expires later: every call names the option."""
        token = self.sim.add_key('soon')
        drv = self.make_driver(ngxstorage_api_token=token)
        [key] = [k for k in self.sim.keys.keys() if k.name == 'soon']
        key.expires_at = time.time() - 1
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                drv.create_volume, self.volume())
        self.assertIn('ngxstorage_api_token', str(err))
        self.assertEqual([], self.luns())
        key.expires_at = None  # Renewed: the same call works.
        drv.create_volume(self.volume())

    def test_key_without_permissions(self):
        token = self.sim.add_key('reader', permissions=(
            'status.*', 'pool.*', 'portal_group.*', 'lun.list',
            'lun.detail'))
        text = self.assert_names('ngxstorage_api_token',
                                 ngxstorage_api_token=token)
        for endpoint in ('lun.create', 'iscsi_target.create',
                         'auth_group.chap_set'):
            self.assertIn(endpoint, text)

    def test_key_scoped_to_other_pools(self):
        token = self.sim.add_key('pool2-only', pools=['pool2'])
        text = self.assert_names('ngxstorage_pools',
                                 ngxstorage_api_token=token)
        self.assertIn('pool1', text)

    def test_nonexistent_pool(self):
        text = self.assert_names('ngxstorage_pools',
                                 ngxstorage_pools=['pool1', 'nopool'])
        self.assertIn('nopool', text)

    def test_nonexistent_portal_group(self):
        text = self.assert_names('ngxstorage_portal_group',
                                 ngxstorage_portal_group='nowhere')
        self.assertIn('nowhere', text)

    def test_several_problems_in_one_message(self):
        text = self.start_service(ngxstorage_pools=['nopool'],
                                  ngxstorage_portal_group='nowhere')
        self.assertIn('ngxstorage_pools', text)
        self.assertIn('ngxstorage_portal_group', text)

    def test_https_to_a_plain_http_endpoint(self):
        self.assert_names('ngxstorage_use_https', ngxstorage_use_https=True)


class TLSConfigTest(base.DriverTestCase):
    """An HTTPS array with a certificate from a private CA."""

    def setUp(self):
        directory = tempfile.mkdtemp(prefix='ngx-tls-')
        self.cert_file, self.key_file, self.ca_file = common.tls_files(
            directory)
        super().setUp()

    def make_driver(self, setup=True, **extra):
        if not getattr(self, 'sim', None) or not self.sim.url.startswith(
                'https'):
            self.sim.__exit__(None, None, None)
            self.sim = Simulator(pools=self.POOLS, portals=self.PORTALS,
                                 tls_cert=self.cert_file,
                                 tls_key=self.key_file)
            self.sim.__enter__()
            self.addCleanup(self.sim.__exit__, None, None, None)
        extra.setdefault('driver_ssl_cert_path', self.ca_file)
        return super().make_driver(setup=setup, **extra)

    def test_verification_is_on_by_default(self):
        # Cinder's driver_ssl_cert_verify defaults to False; unset, the
        # driver verifies.
        self.assertEqual(('ngxstorage_verify_tls', True),
                         options.ALIASES['driver_ssl_cert_verify'])
        [opt] = [o for o in options.NGXSTORAGE_OPTS
                 if o.name == 'ngxstorage_verify_tls']
        self.assertIsNone(opt.default)
        [opt] = [o for o in options.NGXSTORAGE_OPTS
                 if o.name == 'ngxstorage_use_https']
        self.assertIs(True, opt.default)

    def test_with_the_ca_bundle(self):
        self.assertTrue(self.sim.url.startswith('https://'))
        vol = self.create_volume()
        self.driver.delete_volume(vol)

    def test_unknown_ca_is_refused(self):
        err = self.assertRaises(exception.VolumeDriverException,
                                self.make_driver, driver_ssl_cert_path=None)
        self.assertIn('driver_ssl_cert_path', str(err))
        self.assertIn('certificate', str(err))

    def test_verification_off_works_and_warns(self):
        logs = self.useFixture(fixtures.FakeLogger(
            name='cinder_ngxstorage', level=logging.WARNING))
        drv = self.make_driver(driver_ssl_cert_path=None,
                               driver_ssl_cert_verify=False)
        drv.get_volume_stats(refresh=True)
        self.assertIn('verification', logs.output)

    def test_deprecated_aliases_still_work(self):
        """ngxstorage_ca_bundle / ngxstorage_verify_tls: read, warned."""
        logs = self.useFixture(fixtures.FakeLogger(
            name='cinder_ngxstorage', level=logging.WARNING))
        options._warned.clear()
        drv = self.make_driver(driver_ssl_cert_path=None,
                               ngxstorage_ca_bundle=self.ca_file)
        self.assertEqual('up', drv.get_volume_stats(
            refresh=True)['backend_state'])
        self.assertEqual(1, logs.output.count(
            'ngxstorage_ca_bundle is deprecated'))
        self.assertIn('driver_ssl_cert_path', logs.output)

    def test_plain_http_to_a_tls_endpoint(self):
        err = self.assertRaises(exception.VolumeDriverException,
                                self.make_driver,
                                ngxstorage_use_https=False)
        self.assertIn('ngxstorage_use_https', str(err))
