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

"""Unit tests of NGXStorageISCSIDriver with the HTTP client mocked.

The client is an autospec mock of NGXStorageClient: the driver's real
export (exports.py) and deferred-deletion (deferred.py) code runs on top of
it, and each test states the exact calls the array must see. Every error
branch of the driver is driven by a typed client error.
"""

import ast
import datetime
import os
import tempfile
import time
from unittest import mock

from cinder import exception
from cinder.volume import configuration
from cinder.volume import driver as cinder_driver

from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage import deferred
from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import exports
from cinder_ngxstorage import manage
from cinder_ngxstorage import naming
from cinder_ngxstorage import options
from cinder_ngxstorage import ownership
from cinder_ngxstorage import stats as stats_mod
from cinder_ngxstorage import volume_types
from tests.unit.driver import fakes

GiB = fakes.GiB
ANY = mock.ANY
PG_ID = fakes.PG_ID
VOL_ID = fakes.VOL_ID
SNAP_ID = fakes.SNAP_ID
CLONE_ID = fakes.CLONE_ID


def client_methods_used():
    """Client methods called by the driver's modules."""
    public = {name for name in dir(ngx_client.NGXStorageClient)
              if not name.startswith('_')}
    used = set()
    for module in (ngx_driver, exports, ownership, deferred, manage,
                   volume_types):
        with open(module.__file__) as source:
            tree = ast.parse(source.read())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr in public):
                continue
            owner = node.func.value
            if (isinstance(owner, ast.Name) and owner.id in ('c', 'client')
                    or isinstance(owner, ast.Attribute)
                    and owner.attr == 'client'):
                used.add(node.func.attr)
    return used


class DoSetupTestCase(fakes.DriverTestCase):
    """do_setup: option problems and how the client is made."""

    def _setup_error(self):
        drv = self.make_driver()
        with mock.patch.object(ngx_client, 'NGXStorageClient',
                               autospec=True) as client_cls:
            err = self.assertRaises(exception.VolumeDriverException,
                                    drv.do_setup, self.ctx)
        client_cls.assert_not_called()
        self.assertIsNone(drv.client)
        return str(err)

    def test_client_made_from_options(self):
        """Defaults: HTTPS on 443, verification on, the option values."""
        drv = self.make_driver()
        client_cls, client = self.do_setup(drv)
        client_cls.assert_called_once_with(
            'https://%s:443' % fakes.SAN_IP, fakes.TOKEN, verify=True,
            connect_timeout=10.0, read_timeout=60.0, retries=3,
            pool_maxsize=32, user_agent='cinder-ngxstorage/1.1.0')

    def test_http_and_port(self):
        """ngxstorage_use_https off and san_api_port set."""
        self.configure(ngxstorage_use_https=False, san_api_port=8080)
        client_cls, unused = self.do_setup(self.make_driver())
        self.assertEqual('http://%s:8080' % fakes.SAN_IP,
                         client_cls.call_args.args[0])

    def test_http_default_port(self):
        """HTTP without san_api_port goes to port 80."""
        self.configure(ngxstorage_use_https=False)
        client_cls, unused = self.do_setup(self.make_driver())
        self.assertEqual('http://%s:80' % fakes.SAN_IP,
                         client_cls.call_args.args[0])

    def test_ipv6_address_bracketed(self):
        """An IPv6 san_ip becomes a bracketed URL host."""
        self.configure(san_ip='2001:db8::5')
        client_cls, unused = self.do_setup(self.make_driver())
        self.assertEqual('https://[2001:db8::5]:443',
                         client_cls.call_args.args[0])

    def test_ca_bundle(self):
        """A CA bundle is what the client verifies against."""
        bundle = tempfile.NamedTemporaryFile(suffix='.pem')
        self.addCleanup(bundle.close)
        self.configure(ngxstorage_ca_bundle=bundle.name)
        client_cls, unused = self.do_setup(self.make_driver())
        self.assertEqual(bundle.name, client_cls.call_args.kwargs['verify'])

    def test_verify_off(self):
        """ngxstorage_verify_tls False turns verification off."""
        self.configure(ngxstorage_verify_tls=False)
        client_cls, unused = self.do_setup(self.make_driver())
        self.assertIs(False, client_cls.call_args.kwargs['verify'])

    def test_timeouts_and_pool(self):
        """A short API timeout also bounds the connect timeout."""
        self.configure(ngxstorage_api_timeout=5.0, ngxstorage_api_retries=0,
                       ngxstorage_api_pool_size=4)
        client_cls, unused = self.do_setup(self.make_driver())
        kwargs = client_cls.call_args.kwargs
        self.assertEqual(5.0, kwargs['connect_timeout'])
        self.assertEqual(5.0, kwargs['read_timeout'])
        self.assertEqual(0, kwargs['retries'])
        self.assertEqual(4, kwargs['pool_maxsize'])

    def test_every_missing_option_in_one_message(self):
        """All problems are listed together, numbered, in one error."""
        self.clear('san_ip', 'ngxstorage_api_token',
                   'ngxstorage_portal_group')
        self.configure(ngxstorage_pools=[])
        msg = self._setup_error()
        for option in ('san_ip', 'ngxstorage_api_token', 'ngxstorage_pools',
                       'ngxstorage_portal_group'):
            self.assertIn(option, msg)
        for number in ('(1)', '(2)', '(3)', '(4)'):
            self.assertIn(number, msg)
        self.assertIn(fakes.BACKEND, msg)

    def test_each_missing_option_named(self):
        """Each missing option alone is named, and only it."""
        required = {'san_ip': None, 'ngxstorage_api_token': None,
                    'ngxstorage_pools': [], 'ngxstorage_portal_group': None}
        for option, empty in required.items():
            self.configure(**{option: empty})
            msg = self._setup_error()
            self.assertIn(option, msg)
            self.assertIn('(1)', msg)
            self.assertNotIn('(2)', msg)
            self.configure(**{option: {
                'san_ip': fakes.SAN_IP,
                'ngxstorage_api_token': fakes.TOKEN,
                'ngxstorage_pools': fakes.POOLS,
                'ngxstorage_portal_group': fakes.PORTAL_GROUP}[option]})

    def test_ca_bundle_without_verification(self):
        """A CA bundle with verification off is a contradiction."""
        self.configure(ngxstorage_ca_bundle='/etc/ssl/ngx.pem',
                       ngxstorage_verify_tls=False)
        msg = self._setup_error()
        self.assertIn('ngxstorage_ca_bundle', msg)
        self.assertIn('ngxstorage_verify_tls', msg)

    def test_problems_listed_with_bundle_problem(self):
        """Missing options and the bundle contradiction come together."""
        self.clear('san_ip')
        self.configure(ngxstorage_ca_bundle='/etc/ssl/ngx.pem',
                       ngxstorage_verify_tls=False)
        msg = self._setup_error()
        self.assertIn('(1) san_ip', msg)
        self.assertIn('(2) ngxstorage_ca_bundle', msg)

    def test_missing_ca_bundle_file_is_an_option_problem(self):
        """A CA bundle path that does not exist names the option.

        The real client refuses it with a ValueError; do_setup must report
        it like every other option problem (VolumeDriverException naming
        ngxstorage_ca_bundle), not let a bare ValueError escape.
        """
        missing = os.path.join(tempfile.gettempdir(),
                               'ngx-no-such-bundle-%s.pem' % id(self))
        self.configure(ngxstorage_ca_bundle=missing)
        drv = self.make_driver()
        err = self.assertRaises(exception.VolumeDriverException,
                                drv.do_setup, self.ctx)
        self.assertIn('ngxstorage_ca_bundle', str(err))

    def test_token_never_in_setup_error(self):
        """The problem list never shows the API token."""
        self.clear('san_ip')
        msg = self._setup_error()
        self.assert_no_secret(msg)


class CheckForSetupErrorTestCase(fakes.DriverTestCase):
    """check_for_setup_error: every array problem, named, at once."""

    def setUp(self):
        super().setUp()
        self.drv = self.make_driver()
        unused, self.client = self.do_setup(self.drv)
        self.healthy_array(self.client)

    def _error(self):
        err = self.assertRaises(exception.VolumeDriverException,
                                self.drv.check_for_setup_error)
        self.assertIsNone(self.drv.exports)
        msg = str(err)
        self.assert_no_secret(msg)
        return msg

    def test_healthy_array(self):
        """A healthy array: exports and deferred deletions are ready."""
        self.client.get_system_info.return_value['maxlun'] = '32'
        self.drv.check_for_setup_error()
        self.assertIsInstance(self.drv.exports, exports.HostExports)
        self.assertEqual(PG_ID, self.drv.exports.portal_group_id)
        self.assertEqual(32, self.drv.exports.maxlun)
        self.assertTrue(self.drv.exports.use_chap)
        self.assertEqual(fakes.PORTALS, self.drv.portals)
        self.assertEqual({'pool1': '1', 'pool2': '1'}, self.drv.pool_owners)
        # Deferred deletions are collected when the driver starts.
        self.client.create_lun.assert_any_call(
            'pool1', fakes.REGISTRY, 1, sing='M',
            thin_provision='on')
        self.client.list_snapshots.assert_called_with(
            vol_id=fakes.REGISTRY_ID)

    def test_portal_group_by_id(self):
        """ngxstorage_portal_group may be the group's id."""
        self.configure(ngxstorage_portal_group=PG_ID)
        self.drv.check_for_setup_error()
        self.client.get_portal_group.assert_called_once_with(PG_ID)

    def test_configured_portals_override(self):
        """ngxstorage_iscsi_portals replaces listen_ips, port 3260 added."""
        self.configure(ngxstorage_iscsi_portals=[
            '198.51.100.7', '198.51.100.8:3261', '[2001:db8::7]'])
        self.drv.check_for_setup_error()
        self.assertEqual(['198.51.100.7:3260', '198.51.100.8:3261',
                          '[2001:db8::7]:3260'], self.drv.portals)

    def test_pending_deferred_deletions_collected_at_start(self):
        """Objects recorded for later deletion are deleted at start."""
        marker = naming.deferred_snapshot_marker(SNAP_ID)
        self.client.list_snapshots.side_effect = [
            {'luns': []},  # the permission probe
            {'luns': [{'snap_name': marker, 'snap_id': 'm1'}]},
            {'luns': []}]
        # The marked snapshot's clones are read before it is deleted.
        self.client.list_snapshots_detail.return_value = {'luns': [
            {'snap_id': SNAP_ID, 'binded': 0}]}
        self.client.delete_snapshot.side_effect = None
        self.client.delete_snapshot.return_value = {'success': True}
        self.drv.check_for_setup_error()
        self.assertEqual([mock.call(SNAP_ID), mock.call('m1')],
                         [c for c in self.client.delete_snapshot.mock_calls
                          if c.args[0] in (SNAP_ID, 'm1')])

    def test_deferred_collection_failure(self):
        """A failing collection at start is logged; the service starts."""
        def list_snapshots(vol_id=None):
            if vol_id == 'x':  # the permission probe
                raise fakes.error(ngx_exc.ValidationFailed, 'bad id', 400)
            raise fakes.error(ngx_exc.ServerError, 'boom', 500)
        self.client.list_snapshots.side_effect = list_snapshots
        self.drv.check_for_setup_error()
        self.assertIn('Could not collect deferred deletions',
                      self.logger.output)
        self.assertIsNotNone(self.drv.exports)

    def test_registry_not_creatable(self):
        """A full first pool (no registry) does not stop the service."""
        self.client.create_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'not enough space in pool pool1 for LUN '
            + fakes.REGISTRY + ': 1 bytes needed, 0 free', 409)
        self.drv.check_for_setup_error()
        self.assertIn('Could not collect deferred deletions',
                      self.logger.output)
        self.assertIn('not enough space', self.logger.output)

    def test_probe_failure_is_unknown_not_permitted(self):
        """A 5xx or a timeout in a probe: unknown, retry; not permitted."""
        for exc in (fakes.error(ngx_exc.ServerError, 'boom', 500),
                    fakes.error(ngx_exc.RequestTimeout, 'slow')):
            self.client.delete_lun.side_effect = exc
            msg = self._error()
            self.assertIn('lun.delete could not be checked', msg)
            self.assertIn('retry', msg)
            self.assertNotIn('not permitted', msg)

    def test_san_service_off(self):
        """The SAN service off on the array fails setup clearly."""
        self.client.get_services.return_value = {'san': 0, 'nfs': 1}
        msg = self._error()
        self.assertIn('SAN (iSCSI) service is off', msg)

    def test_san_ip_with_credentials_masked(self):
        """A san_ip with user:password@ never shows the password."""
        self.configure(san_ip='admin:S3cretPw@192.0.2.5')
        drv = self.make_driver()
        err = self.assertRaises(exception.VolumeDriverException,
                                drv.do_setup, self.ctx)
        self.assertNotIn('S3cretPw', str(err))
        self.assertNotIn('S3cretPw', self.logger.output)
        self.assertIn('***@192.0.2.5', str(err))

    def _unreachable(self, exc):
        self.client.get_system_info.side_effect = exc
        msg = self._error()
        self.client.get_license.assert_not_called()
        self.assertIn(fakes.SAN_IP, msg)
        return msg

    def test_array_unreachable(self):
        """No answer: the address options are named."""
        msg = self._unreachable(fakes.error(
            ngx_exc.ConnectionFailed, 'connection refused'))
        self.assertIn('san_ip', msg)
        self.assertIn('ngxstorage_use_https', msg)
        self.assertIn('connection refused', msg)

    def test_array_timeout(self):
        """A timeout: the address options are named."""
        msg = self._unreachable(fakes.error(ngx_exc.RequestTimeout))
        self.assertIn('san_api_port', msg)

    def test_api_key_refused(self):
        """401: the token option is named."""
        msg = self._unreachable(fakes.error(
            ngx_exc.AuthenticationFailed, 'unknown key', 401))
        self.assertIn('ngxstorage_api_token', msg)
        self.assertIn('401', msg)

    def test_tls_verification_failed(self):
        """TLS verification failure: the CA bundle option is named."""
        msg = self._unreachable(fakes.error(
            ngx_exc.TLSVerificationFailed, 'self-signed certificate'))
        self.assertIn('ngxstorage_ca_bundle', msg)

    def test_system_info_forbidden(self):
        """403 on the first call: the key's permissions are named."""
        msg = self._unreachable(fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403))
        self.assertIn('API Management', msg)

    def test_invalid_response(self):
        """An HTML page instead of JSON is reported."""
        msg = self._unreachable(fakes.error(
            ngx_exc.InvalidResponse, 'HTML page instead of JSON', 200))
        self.assertIn('HTML page instead of JSON', msg)

    def test_missing_pool(self):
        """A configured pool the array (or the key) does not have."""
        self.client.get_pool_status.return_value.pop()
        msg = self._error()
        self.assertIn('pool2', msg)
        self.assertIn('ngxstorage_pools', msg)
        self.assertNotIn('pool1', msg)

    def test_pool_not_online(self):
        """A DEGRADED or OFFLINE pool is warned about, not fatal.

        The service keeps serving the volumes it has; the stats publish
        the pool with no space (StatsTestCase).
        """
        status = self.client.get_pool_status.return_value
        status[0]['status'] = 'DEGRADED'
        status[1]['status'] = 'OFFLINE'
        self.drv.check_for_setup_error()
        self.assertIsNotNone(self.drv.exports)
        self.assertIn('Pool pool1 is DEGRADED', self.logger.output)
        self.assertIn('Pool pool2 is OFFLINE', self.logger.output)

    def test_pool_status_unreadable(self):
        """Pool status refused: named, with the permission hint."""
        self.client.get_pool_status.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        msg = self._error()
        self.assertIn('pool status', msg)
        self.assertIn('API Management', msg)

    def test_portal_group_missing(self):
        """An unknown portal group names the option."""
        self.client.list_portal_groups.return_value = [
            {'id': 'f' * 40, 'portal_name': 'other', 'owner': '1'}]
        msg = self._error()
        self.assertIn('portal group pg1', msg)
        self.assertIn('ngxstorage_portal_group', msg)

    def test_portal_group_without_portals(self):
        """A portal group without listen_ips and no configured portals."""
        self.client.get_portal_group.return_value['listen_ips'] = []
        msg = self._error()
        self.assertIn('no portal', msg)
        self.assertIn('ngxstorage_iscsi_portals', msg)

    def test_listen_ips_bare_ipv6_and_wildcards(self):
        """A bare IPv6 gets brackets; wildcard addresses are dropped."""
        self.client.get_portal_group.return_value['listen_ips'] = [
            '2001:db8::7', '0.0.0.0:3260', '[::]:3260', '192.0.2.9']
        self.drv.check_for_setup_error()
        self.assertEqual(['[2001:db8::7]:3260', '192.0.2.9:3260'],
                         self.drv.portals)

    def test_listen_ips_only_wildcard(self):
        """Only a wildcard: refused, naming ngxstorage_iscsi_portals."""
        self.client.get_portal_group.return_value['listen_ips'] = [
            '0.0.0.0:3260']
        msg = self._error()
        self.assertIn('wildcard', msg)
        self.assertIn('ngxstorage_iscsi_portals', msg)

    def test_portal_group_without_portals_but_configured(self):
        """Configured portals make an empty portal group usable."""
        self.client.get_portal_group.return_value['listen_ips'] = []
        self.configure(ngxstorage_iscsi_portals=['198.51.100.7'])
        self.drv.check_for_setup_error()
        self.assertEqual(['198.51.100.7:3260'], self.drv.portals)

    def test_portal_groups_unreadable(self):
        """Portal groups refused: named."""
        self.client.list_portal_groups.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        msg = self._error()
        self.assertIn('portal groups could not be read', msg)

    def test_licence_without_snapshot_and_clone(self):
        """A licence lacking snapshot and clone names both."""
        self.client.get_license.return_value = {'snapshot': 0, 'clone': '0'}
        msg = self._error()
        self.assertIn('snapshot, clone', msg)

    def test_licence_without_clone(self):
        """A licence lacking only clone names only clone."""
        self.client.get_license.return_value = {'snapshot': '1'}
        msg = self._error()
        self.assertIn('licence lacks clone', msg)

    def test_licence_unreadable(self):
        """The licence could not be read: named."""
        self.client.get_license.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        msg = self._error()
        self.assertIn('licence could not be read', msg)

    def test_every_permission_probe_named(self):
        """403 on any probed endpoint names that endpoint, and only it."""
        for endpoint, method in sorted(fakes.PROBED_METHODS.items()):
            self.healthy_array(self.client)
            getattr(self.client, method).side_effect = fakes.error(
                ngx_exc.PermissionDenied, 'forbidden', 403)
            msg = self._error()
            self.assertIn('not permitted to use %s:' % endpoint, msg)

    def test_several_permissions_denied(self):
        """Denied endpoints are listed together; permitted ones are not."""
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        self.client.set_auth_group_chap.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        msg = self._error()
        self.assertIn('lun.delete, auth_group.chap_set', msg)
        self.assertNotIn('lun.create', msg)

    def test_probe_answered_404_is_permitted(self):
        """A probe answered 404 (unknown id) means the key may use it."""
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.NotFound, 'no such LUN', 404)
        self.drv.check_for_setup_error()
        self.assertIsNotNone(self.drv.exports)

    def test_all_problems_together(self):
        """Pool, licence, portal group and permissions in one error."""
        self.client.get_pool_status.return_value[1]['pool_name'] = 'nope'
        self.client.get_license.return_value = {'snapshot': 1, 'clone': 0}
        self.client.list_portal_groups.return_value = []
        self.client.create_target.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        msg = self._error()
        for part in ('licence lacks clone', 'pool pool2 does not exist',
                     'portal group pg1 does not exist',
                     'iscsi_target.create', '(1)', '(2)', '(3)', '(4)'):
            self.assertIn(part, msg)

    def test_every_endpoint_the_driver_uses_is_checked(self):
        """Each endpoint the driver calls is checked when it starts.

        A key lacking a permission should be named by
        check_for_setup_error, not found out by the first attach, stats
        report or delete that needs it. Every client method called by
        the driver's modules must be called (probed or
        used) during a healthy start-up.
        """
        used = client_methods_used()
        self.drv.check_for_setup_error()
        called = {name for name, args, kwargs in self.client.mock_calls}
        unchecked = sorted(used - called)
        self.assertEqual([], unchecked,
                         'client methods the driver uses but never checks '
                         'at start-up: %s' % ', '.join(unchecked))

    def test_problems_logged_once_without_secrets(self):
        """The problem list is logged as an error."""
        self.client.get_pool_status.return_value = []
        self._error()
        self.assertIn('ERROR cinder_ngxstorage.driver', self.logger.output)


class CreateVolumeTestCase(fakes.DriverTestCase):
    """create_volume, with adoption of a LUN a lost answer left."""

    def setUp(self):
        super().setUp()
        self.drv = self.ready_driver()
        self.vol = self.volume(size=2, provider_id=None)
        self.name = naming.volume_name(self.vol.name_id)

    def test_create(self):
        """A LUN named from name_id in the volume's pool; its id kept."""
        self.client.create_lun.return_value = {
            'luns': [{'vol_id': VOL_ID, 'success': True}], 'success': True}
        update = self.drv.create_volume(self.vol)
        self.assertEqual(VOL_ID, update['provider_id'])
        self.client.create_lun.assert_called_once_with(
            'pool1', self.name, 2, sing='G', thin_provision='on')
        self.assertEqual(1, len(self.client.mock_calls))

    def test_create_uses_name_id(self):
        """A migrated volume is named from name_id, not id."""
        vol = self.volume(provider_id=None, _name_id=fakes.NAME_UUID)
        self.client.create_lun.return_value = {'luns': [{'vol_id': VOL_ID}]}
        self.drv.create_volume(vol)
        self.assertEqual(naming.volume_name(fakes.NAME_UUID),
                         self.client.create_lun.call_args.args[1])

    def test_create_thick_in_pool2(self):
        """san_thin_provision False; the pool from volume.host."""
        self.configure(san_thin_provision=False)
        vol = self.volume(pool='pool2', provider_id=None)
        self.client.create_lun.return_value = {'luns': [{'vol_id': VOL_ID}]}
        self.drv.create_volume(vol)
        self.client.create_lun.assert_called_once_with(
            'pool2', ANY, 1, sing='G', thin_provision='off')

    def test_host_without_pool_uses_first_pool(self):
        """A host without #pool falls back to the first pool."""
        vol = self.volume(pool=None, provider_id=None)
        self.client.create_lun.return_value = {'luns': [{'vol_id': VOL_ID}]}
        self.drv.create_volume(vol)
        self.assertEqual('pool1', self.client.create_lun.call_args.args[0])

    def _lost_answer(self, exc, luns, size=2 * GiB):
        self.client.create_lun.side_effect = exc
        self.client.list_luns.return_value = luns
        self.client.get_lun.return_value = {'vol_id': VOL_ID,
                                            'vol_size': str(size)}

    def test_lost_answer_adopts_own_lun(self):
        """TransientError, but the LUN exists with name, pool and size."""
        self._lost_answer(
            fakes.error(ngx_exc.RequestTimeout, 'read timeout'),
            [{'name': 'other', 'pool': 'pool1', 'vol_id': 'x' * 40},
             {'name': self.name, 'pool': 'pool1', 'vol_id': VOL_ID}])
        update = self.drv.create_volume(self.vol)
        self.assertEqual(VOL_ID, update['provider_id'])
        self.client.get_lun.assert_called_once_with(VOL_ID)

    def test_lost_answer_nothing_made(self):
        """TransientError and no LUN of that name: an API error."""
        self._lost_answer(fakes.error(ngx_exc.ServerError, 'boom', 500), [])
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.create_volume, self.vol)
        self.assertIn('create volume %s in pool pool1' % self.vol.id,
                      str(err))
        self.assertIn('san_ip', str(err))

    def test_lost_answer_other_size_not_adopted(self):
        """A LUN of that name but another size is not ours to adopt."""
        self._lost_answer(
            fakes.error(ngx_exc.ConnectionFailed, 'reset'),
            [{'name': self.name, 'pool': 'pool1', 'vol_id': VOL_ID}],
            size=1 * GiB)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.create_volume, self.vol)

    def test_lost_answer_other_pool_not_adopted(self):
        """A LUN of that name in another pool is not adopted."""
        self._lost_answer(
            fakes.error(ngx_exc.ConnectionFailed, 'reset'),
            [{'name': self.name, 'pool': 'pool2', 'vol_id': VOL_ID}])
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.create_volume, self.vol)
        self.client.get_lun.assert_not_called()

    def test_conflict_adopts_own_lun(self):
        """A retried create meets its own LUN (409): adopted."""
        self._lost_answer(
            fakes.error(ngx_exc.Conflict, 'name exists', 409),
            [{'name': self.name, 'pool': 'pool1', 'vol_id': VOL_ID}])
        self.assertEqual(VOL_ID,
                         self.drv.create_volume(self.vol)['provider_id'])

    def test_conflict_without_own_lun(self):
        """409 (e.g. no space) without our LUN: an API error."""
        self._lost_answer(
            fakes.error(ngx_exc.Conflict, 'not enough space', 409), [])
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.create_volume, self.vol)
        self.assertIn('not enough space', str(err))

    def test_validation_error_not_adopted(self):
        """A 400 is a plain error: no lookup."""
        self.client.create_lun.side_effect = fakes.error(
            ngx_exc.ValidationFailed, 'bad size', 400)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.create_volume, self.vol)
        self.client.list_luns.assert_not_called()


class DeleteVolumeTestCase(fakes.DriverTestCase):
    """delete_volume: gone LUNs, snapshots, mappings, deferral."""

    def setUp(self):
        super().setUp()
        self.drv = self.ready_driver()
        self.vol = self.volume()
        # A detail that does not say whether the LUN is mapped.
        self.client.get_lun.return_value = {'vol_id': VOL_ID}

    def test_delete(self):
        """The LUN of provider_id is deleted; no listing."""
        self.drv.delete_volume(self.vol)
        self.client.delete_lun.assert_called_once_with(VOL_ID)
        self.client.list_luns.assert_not_called()

    def test_delete_gone(self):
        """404: the LUN is gone already, which is success."""
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.NotFound, 'no LUN', 404)
        self.drv.delete_volume(self.vol)
        self.client.delete_lun.assert_called_once_with(VOL_ID)

    def test_delete_without_provider_id_looks_up_by_name(self):
        """No provider_id: the LUN is found by its name (name_id)."""
        vol = self.volume(provider_id=None, _name_id=fakes.NAME_UUID)
        self.client.list_luns.return_value = [
            {'name': naming.volume_name(fakes.VOLUME_UUID), 'pool': 'pool1',
             'vol_id': 'a' * 40},
            {'name': naming.volume_name(fakes.NAME_UUID), 'pool': 'pool1',
             'vol_id': VOL_ID}]
        self.drv.delete_volume(vol)
        self.client.delete_lun.assert_called_once_with(VOL_ID)

    def test_delete_without_lun(self):
        """No provider_id and no LUN of that name: nothing to do."""
        vol = self.volume(provider_id=None)
        self.drv.delete_volume(vol)
        self.client.delete_lun.assert_not_called()

    def test_delete_frees_snapshots(self):
        """409: snapshots without clones are removed, then the LUN."""
        self.client.delete_lun.side_effect = [
            fakes.error(ngx_exc.Conflict, 'has snapshots', 409),
            {'success': True}]
        self.drv.delete_volume(self.vol)
        self.client.delete_all_snapshots.assert_called_once_with(VOL_ID)
        self.assertEqual(2, self.client.delete_lun.call_count)
        self.client.create_snapshot.assert_not_called()

    def test_still_conflict_not_mapped_is_deferred(self):
        """Still 409 and mapped nowhere: recorded for later deletion."""
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'snapshots with clones', 409)
        self.drv.delete_volume(self.vol)
        self.client.list_targets_detail.assert_called_once_with()
        self.client.create_snapshot.assert_called_once_with(
            naming.deferred_lun_marker(VOL_ID), fakes.REGISTRY_ID)

    def test_still_conflict_mapped_is_unmapped_everywhere(self):
        """Still 409 while mapped (force delete): unmapped, then deleted."""
        locks = self.spy_locks()
        conflict = fakes.error(ngx_exc.Conflict, 'mapped', 409)
        self.client.delete_lun.side_effect = [conflict, conflict,
                                              {'success': True}]
        self.client.list_targets_detail.return_value = [
            fakes.target_detail(luns=[(VOL_ID, 3), ('b' * 40, 4)]),
            fakes.target_detail(host=fakes.OTHER_HOST,
                                target_id=fakes.OTHER_TARGET_ID,
                                group_id=fakes.OTHER_GROUP_ID,
                                luns=[(VOL_ID, 0)]),
            {'scsi_id': 'd' * 40, 'scsi_target_name': 'not-ours',
             'owner': '1', 'target_iqn': 'iqn.x:y', 'group_id': '1',
             'luns': [{'vol_id': VOL_ID, 'lun_number': '0'}]}]
        self.client.remove_target_luns.side_effect = [
            {'luns': [{'vol_id': 'b' * 40, 'lun_number': '4'}]},
            {'luns': []}]
        self.drv.delete_volume(self.vol)
        self.assertEqual(
            [mock.call(fakes.TARGET_ID, [VOL_ID], '1'),
             mock.call(fakes.OTHER_TARGET_ID, [VOL_ID], '1')],
            self.client.remove_target_luns.mock_calls)
        # The emptied target of the other host and its group are removed.
        self.client.delete_target.assert_called_once_with(
            fakes.OTHER_TARGET_ID)
        self.client.delete_auth_group.assert_called_once_with(
            fakes.OTHER_GROUP_ID)
        self.assertEqual(3, self.client.delete_lun.call_count)
        self.client.create_snapshot.assert_not_called()
        taken = {c.args[0] for c in locks.mock_calls}
        self.assertEqual({fakes.lock_name(host=fakes.HOST),
                          fakes.lock_name(host=fakes.OTHER_HOST)}, taken)

    def test_internal_clone_snapshot_removed_after_clone(self):
        """A cloned volume's internal snapshot goes with it."""
        vol = self.volume(
            provider_location=ngx_driver.CLONE_INTERNAL_PREFIX + SNAP_ID)
        self.drv.delete_volume(vol)
        self.client.delete_lun.assert_called_once_with(VOL_ID)
        self.client.delete_snapshot.assert_called_once_with(SNAP_ID)
        # Then the deferred deletions are collected.
        self.client.list_snapshots.assert_called_with(
            vol_id=fakes.REGISTRY_ID)

    def test_internal_clone_snapshot_with_clones_deferred(self):
        """The internal snapshot still has clones: deferred."""
        vol = self.volume(
            provider_location=ngx_driver.CLONE_INTERNAL_PREFIX + SNAP_ID)
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'has clones', 409)
        self.drv.delete_volume(vol)
        self.client.create_snapshot.assert_called_once_with(
            naming.deferred_snapshot_marker(SNAP_ID), fakes.REGISTRY_ID)

    def test_internal_clone_snapshot_gone(self):
        """The internal snapshot is gone already: fine."""
        vol = self.volume(
            provider_location=ngx_driver.CLONE_INTERNAL_PREFIX + SNAP_ID)
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.NotFound, 'gone', 404)
        self.drv.delete_volume(vol)
        self.client.create_snapshot.assert_not_called()

    def test_clone_deleted_collects_deferred(self):
        """Deleting a clone may free its origin: collection runs."""
        vol = self.volume(provider_location=ngx_driver.CLONE_LOCATION)
        marker = naming.deferred_snapshot_marker(SNAP_ID)
        self.client.list_snapshots.side_effect = [
            {'luns': [{'snap_name': marker, 'snap_id': 'm1'}]},
            {'luns': []}]
        self.drv.delete_volume(vol)
        self.assertEqual([mock.call(SNAP_ID), mock.call('m1')],
                         self.client.delete_snapshot.mock_calls)

    def test_plain_volume_does_not_collect(self):
        """A plain volume's deletion does not list the registry."""
        self.drv.delete_volume(self.vol)
        self.client.list_snapshots.assert_not_called()

    def test_delete_error(self):
        """A 5xx is an API error naming the action and the hint."""
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.ServerError, 'internal error', 500, 'DELETE',
            '/api/v2/lun/' + VOL_ID)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.delete_volume, self.vol)
        self.assertIn('delete volume %s' % self.vol.id, str(err))
        self.assertIn('internal error', str(err))
        self.assertIn('san_ip', str(err))

    def test_deferral_error(self):
        """A deferral that cannot be recorded is logged; the delete is done.

        The LUN waits for its dependents either way; the user's delete
        must not end in error_deleting because the registry failed.
        """
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'snapshots with clones', 409)
        self.client.create_snapshot.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        self.drv.delete_volume(self.vol)
        self.assertIn('must then be deleted by hand', self.logger.output)

    def test_refusal_for_another_reason_is_not_deferred(self):
        """Only "has dependents" defers: a pool offline fails loudly."""
        for cls, status in ((ngx_exc.Conflict, 409),
                            (ngx_exc.ValidationFailed, 422),
                            (ngx_exc.RequestFailed, 200)):
            self.client.reset_mock()
            self.client.delete_lun.side_effect = fakes.error(
                cls, 'pool pool1 is OFFLINE', status)
            err = self.assertRaises(exception.VolumeBackendAPIException,
                                    self.drv.delete_volume, self.vol)
            self.assertIn('pool offline', str(err))
            self.assertIn('repair it', str(err))
            self.client.create_snapshot.assert_not_called()

    def test_unknown_refusal_without_dependents_fails(self):
        """Unknown words and no snapshot, no mapping: not deferred."""
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'operation failed', 409)
        self.client.get_lun.return_value = {'vol_id': VOL_ID,
                                            'protocols': {'iscsi': None}}
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.delete_volume, self.vol)
        self.client.create_snapshot.assert_not_called()

    def test_delete_all_not_used_when_snapshots_have_clones(self):
        """A snapshot with clones: freed one by one, never "delete all"."""
        self.client.delete_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'LUN cv-x has 2 snapshot(s)', 409)
        self.client.list_snapshots_detail.return_value = {'luns': [
            {'snap_id': 'b' * 40, 'binded': 1},
            {'snap_id': 'c' * 40, 'binded': '0'}]}
        self.drv.delete_volume(self.vol)
        self.client.delete_all_snapshots.assert_not_called()
        self.client.delete_snapshot.assert_called_once_with('c' * 40)
        self.client.create_snapshot.assert_called_once_with(
            naming.deferred_lun_marker(VOL_ID), fakes.REGISTRY_ID)

    def test_delete_without_success_is_confirmed(self):
        """An answer that does not say success: one read confirms."""
        self.client.delete_lun.return_value = {}
        self.client.get_lun.side_effect = fakes.error(
            ngx_exc.NotFound, 'no LUN', 404)
        self.drv.delete_volume(self.vol)
        self.client.get_lun.assert_called_once_with(VOL_ID)

    def test_delete_answered_but_lun_still_there(self):
        """The read finds the LUN: the delete is not reported done."""
        self.client.delete_lun.return_value = {}
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.delete_volume, self.vol)


class SnapshotTestCase(fakes.DriverTestCase):
    """create_snapshot and delete_snapshot."""

    def setUp(self):
        super().setUp()
        self.drv = self.ready_driver()
        self.vol = self.volume()
        self.snap = self.snapshot(self.vol, provider_id=None)
        self.name = naming.snapshot_name(self.snap.id)

    def test_create(self):
        """A snapshot named from the snapshot id; its id kept."""
        self.client.create_snapshot.return_value = {'snap_id': SNAP_ID}
        self.assertEqual({'provider_id': SNAP_ID},
                         self.drv.create_snapshot(self.snap))
        self.client.create_snapshot.assert_called_once_with(self.name,
                                                            VOL_ID)

    def test_delete_with_cinder_volumes_from_it_not_asked(self):
        """Cinder has volumes made from it: deferred, no delete call."""
        snap = self.snapshot(self.vol, provider_id=SNAP_ID)
        self.drv.db = mock.Mock()
        with mock.patch.object(ngx_driver.objects.VolumeList, 'get_all',
                               return_value=[self.volume()]) as get_all:
            self.drv.delete_snapshot(snap)
        self.assertEqual({'snapshot_id': snap.id},
                         get_all.call_args.kwargs['filters'])
        self.client.delete_snapshot.assert_not_called()
        self.client.create_snapshot.assert_called_once_with(
            naming.deferred_snapshot_marker(SNAP_ID), fakes.REGISTRY_ID)

    def test_delete_refused_for_another_reason_fails(self):
        """A licence refusal is not "has clones": not deferred."""
        snap = self.snapshot(self.vol, provider_id=SNAP_ID)
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.RequestFailed, 'licence expired', 200)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.delete_snapshot, snap)
        self.assertIn('licence', str(err))
        self.client.create_snapshot.assert_not_called()

    def test_delete_with_clones_cinder_does_not_know(self):
        """The detail shows clones: deferred, the array never asked."""
        snap = self.snapshot(self.vol, provider_id=SNAP_ID)
        self.client.get_snapshot.return_value = {'snap_id': SNAP_ID,
                                                 'binded': 1}
        self.drv.delete_snapshot(snap)
        self.client.get_snapshot.assert_called_once_with(SNAP_ID)
        self.client.delete_snapshot.assert_not_called()
        self.client.create_snapshot.assert_called_once_with(
            naming.deferred_snapshot_marker(SNAP_ID), fakes.REGISTRY_ID)

    def test_delete_gone_before_the_read(self):
        """The detail answers 404: gone already, nothing deleted."""
        snap = self.snapshot(self.vol, provider_id=SNAP_ID)
        self.client.get_snapshot.side_effect = fakes.error(
            ngx_exc.NotFound, 'no snapshot', 404)
        self.drv.delete_snapshot(snap)
        self.client.delete_snapshot.assert_not_called()

    def test_delete_unknown_words_read_the_snapshot(self):
        """Unknown words: the snapshot's detail decides (clones: defer)."""
        snap = self.snapshot(self.vol, provider_id=SNAP_ID)
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'E_BUSY_42', 409)
        self.client.get_snapshot.return_value = {'snap_id': SNAP_ID,
                                                 'binded': 'true'}
        self.drv.delete_snapshot(snap)
        self.client.create_snapshot.assert_called_once_with(
            naming.deferred_snapshot_marker(SNAP_ID), fakes.REGISTRY_ID)

    def test_create_lost_answer_adopts(self):
        """TransientError but the snapshot exists: adopted by name."""
        self.client.create_snapshot.side_effect = fakes.error(
            ngx_exc.RequestTimeout)
        self.client.list_snapshots.return_value = {'luns': [
            {'snap_name': 'other', 'snap_id': 'e' * 40},
            {'snap_name': self.name, 'snap_id': SNAP_ID}]}
        self.assertEqual({'provider_id': SNAP_ID},
                         self.drv.create_snapshot(self.snap))
        self.client.list_snapshots.assert_called_once_with(vol_id=VOL_ID)

    def test_create_conflict_without_own(self):
        """409 (maxsnap) without our snapshot: an API error."""
        self.client.create_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'maxsnap reached', 409)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.create_snapshot, self.snap)
        self.assertIn('create snapshot %s' % self.snap.id, str(err))
        self.assertIn('maxsnap reached', str(err))

    def test_create_volume_without_lun(self):
        """The volume has no LUN: VolumeNotFound."""
        self.snap.volume = self.volume(provider_id=None)
        self.assertRaises(exception.VolumeNotFound,
                          self.drv.create_snapshot, self.snap)
        self.client.create_snapshot.assert_not_called()

    def test_delete(self):
        """The array snapshot of provider_id is deleted."""
        self.drv.delete_snapshot(self.snapshot(self.vol))
        self.client.delete_snapshot.assert_called_once_with(SNAP_ID)

    def test_delete_gone(self):
        """404 is success."""
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.NotFound, 'gone', 404)
        self.drv.delete_snapshot(self.snapshot(self.vol))

    def test_delete_with_clones_deferred(self):
        """409 (clones exist): a deferred-deletion marker."""
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'has clones', 409)
        self.drv.delete_snapshot(self.snapshot(self.vol))
        self.client.create_snapshot.assert_called_once_with(
            naming.deferred_snapshot_marker(SNAP_ID), fakes.REGISTRY_ID)

    def test_delete_deferral_recreates_missing_registry(self):
        """The registry was removed by hand: made again, then marked."""
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'has clones', 409)
        self.client.create_snapshot.side_effect = [
            fakes.error(ngx_exc.NotFound, 'no LUN', 404), {'snap_id': 'm'}]
        self.client.create_lun.return_value = {
            'luns': [{'vol_id': 'f' * 40}]}
        self.drv.delete_snapshot(self.snapshot(self.vol))
        self.assertEqual(
            mock.call(naming.deferred_snapshot_marker(SNAP_ID), 'f' * 40),
            self.client.create_snapshot.mock_calls[-1])

    def test_delete_without_provider_id(self):
        """A failed create: looked up by name; none found, none deleted."""
        self.client.list_snapshots.return_value = {'luns': []}
        self.drv.delete_snapshot(self.snap)
        self.assertEqual([mock.call.list_snapshots(vol_id=VOL_ID)],
                         self.client.mock_calls)

    def test_delete_without_provider_id_found_by_name(self):
        """A create whose answer was lost: its snapshot is deleted."""
        self.client.list_snapshots.return_value = {'luns': [
            {'snap_name': naming.snapshot_name(self.snap.id),
             'snap_id': 'e' * 40}]}
        self.drv.delete_snapshot(self.snap)
        self.client.delete_snapshot.assert_called_once_with('e' * 40)

    def test_delete_error(self):
        """A 5xx is an API error."""
        self.client.delete_snapshot.side_effect = fakes.error(
            ngx_exc.ServerError, 'boom', 503)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.delete_snapshot,
                                self.snapshot(self.vol))
        self.assertIn('delete snapshot %s' % fakes.SNAPSHOT_UUID, str(err))


class CloneTestCase(fakes.DriverTestCase):
    """Volumes from snapshots and cloned volumes."""

    def setUp(self):
        super().setUp()
        self.drv = self.ready_driver()
        self.src = self.volume(id=fakes.SRC_VOLUME_UUID,
                               provider_id=fakes.SRC_VOL_ID, size=1)
        self.snap = self.snapshot(self.src)
        self.client.clone_snapshot.return_value = {'success': True,
                                                   'vol_id': CLONE_ID}
        self.client.create_snapshot.return_value = {'snap_id': SNAP_ID}

    def _new(self, size=1):
        return self.volume(size=size, provider_id=None)

    # -- from snapshot -----------------------------------------------

    def test_from_snapshot_same_size(self):
        """An array clone named from the new volume; no resize."""
        vol = self._new()
        update = self.drv.create_volume_from_snapshot(vol, self.snap)
        self.assertEqual({'provider_id': CLONE_ID,
                          'provider_location': ngx_driver.CLONE_LOCATION},
                         update)
        self.client.clone_snapshot.assert_called_once_with(
            SNAP_ID, naming.volume_name(vol.name_id))
        self.client.modify_lun.assert_not_called()

    def test_from_snapshot_bigger(self):
        """A bigger volume: the clone is grown to its size."""
        self.drv.create_volume_from_snapshot(self._new(3), self.snap)
        self.client.modify_lun.assert_called_once_with(
            CLONE_ID, size=3, sing='G')

    def test_from_snapshot_grow_fails_no_orphan(self):
        """Grow fails: the clone is deleted, then the error raised."""
        self.client.modify_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'no space', 409)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.create_volume_from_snapshot,
                                self._new(3), self.snap)
        self.client.delete_lun.assert_called_once_with(CLONE_ID)
        self.assertIn('no space', str(err))
        self.assertIn('from snapshot %s' % self.snap.id, str(err))

    def test_from_snapshot_lost_answer_adopts(self):
        """The clone's answer was lost: adopted by name and size."""
        vol = self._new()
        self.client.clone_snapshot.side_effect = fakes.error(
            ngx_exc.ConnectionFailed, 'reset')
        self.client.list_luns.return_value = [
            {'name': naming.volume_name(vol.name_id), 'pool': 'pool1',
             'vol_id': CLONE_ID}]
        self.client.get_lun.return_value = {'vol_size': str(GiB)}
        update = self.drv.create_volume_from_snapshot(vol, self.snap)
        self.assertEqual(CLONE_ID, update['provider_id'])

    def test_from_snapshot_lost_answer_nothing_made(self):
        """The clone's answer was lost and there is no clone: error."""
        self.client.clone_snapshot.side_effect = fakes.error(
            ngx_exc.ServerError, 'boom', 500)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.create_volume_from_snapshot,
                          self._new(), self.snap)
        self.client.delete_lun.assert_not_called()

    def test_from_snapshot_without_array_snapshot(self):
        """A snapshot without provider_id: SnapshotNotFound."""
        snap = self.snapshot(self.src, provider_id=None)
        self.assertRaises(exception.SnapshotNotFound,
                          self.drv.create_volume_from_snapshot,
                          self._new(), snap)
        self.client.clone_snapshot.assert_not_called()

    # -- cloned volume -----------------------------------------------

    def test_cloned_volume(self):
        """Internal snapshot of the source, then a clone of it."""
        vol = self._new()
        update = self.drv.create_cloned_volume(vol, self.src)
        self.client.create_snapshot.assert_called_once_with(
            naming.clone_snapshot_name(vol.name_id), fakes.SRC_VOL_ID)
        self.client.clone_snapshot.assert_called_once_with(
            SNAP_ID, naming.volume_name(vol.name_id))
        self.assertEqual(
            {'provider_id': CLONE_ID,
             'provider_location': ngx_driver.CLONE_INTERNAL_PREFIX + SNAP_ID},
            update)
        self.client.modify_lun.assert_not_called()

    def test_cloned_volume_bigger(self):
        """A bigger clone is grown."""
        self.drv.create_cloned_volume(self._new(4), self.src)
        self.client.modify_lun.assert_called_once_with(
            CLONE_ID, size=4, sing='G')

    def test_cloned_volume_clone_fails_removes_snapshot(self):
        """The clone fails: the internal snapshot is removed."""
        self.client.clone_snapshot.side_effect = fakes.error(
            ngx_exc.ValidationFailed, 'bad name', 400)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.create_cloned_volume,
                                self._new(), self.src)
        self.client.delete_snapshot.assert_called_once_with(SNAP_ID)
        self.assertIn('clone volume %s' % self.src.id, str(err))

    def test_cloned_volume_grow_fails_no_orphan(self):
        """Grow fails: the clone and the internal snapshot are removed."""
        self.client.modify_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'no space', 409)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.create_cloned_volume,
                          self._new(2), self.src)
        self.client.delete_lun.assert_called_once_with(CLONE_ID)
        self.client.delete_snapshot.assert_called_once_with(SNAP_ID)

    def test_cloned_volume_snapshot_fails(self):
        """The internal snapshot fails: no clone attempted."""
        self.client.create_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'maxsnap', 409)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.drv.create_cloned_volume,
                          self._new(), self.src)
        self.client.clone_snapshot.assert_not_called()

    def test_cloned_volume_source_without_lun(self):
        """The source has no LUN: VolumeNotFound."""
        src = self.volume(id=fakes.SRC_VOLUME_UUID, provider_id=None)
        self.assertRaises(exception.VolumeNotFound,
                          self.drv.create_cloned_volume, self._new(), src)


class ExtendRevertTestCase(fakes.DriverTestCase):
    """extend_volume and revert_to_snapshot."""

    def setUp(self):
        super().setUp()
        self.drv = self.ready_driver()

    def test_extend(self):
        """The LUN is resized to the new size in GiB."""
        self.drv.extend_volume(self.volume(size=1), 5)
        self.client.modify_lun.assert_called_once_with(
            VOL_ID, size=5, sing='G')

    def test_extend_error(self):
        """A refused resize is an API error naming size and volume."""
        self.client.modify_lun.side_effect = fakes.error(
            ngx_exc.Conflict, 'no space', 409)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.extend_volume, self.volume(), 5)
        self.assertIn('extend volume %s to 5 GiB' % fakes.VOLUME_UUID,
                      str(err))

    def test_extend_without_lun(self):
        """No LUN: VolumeNotFound."""
        self.assertRaises(exception.VolumeNotFound, self.drv.extend_volume,
                          self.volume(provider_id=None), 5)

    def test_revert(self):
        """The snapshot is restored in place."""
        vol = self.volume(size=1)
        self.drv.revert_to_snapshot(self.ctx, vol, self.snapshot(vol))
        self.client.restore_snapshot.assert_called_once_with(SNAP_ID)
        self.client.modify_lun.assert_not_called()

    def _listed(self, *created):
        """The LUN's snapshot details: SNAP_ID first, then others."""
        ids = [SNAP_ID] + [('%x' % (10 + i)) * 40
                           for i in range(len(created) - 1)]
        self.client.list_snapshots_detail.return_value = {'luns': [
            {'snap_id': snap_id, 'snap_name': 's%d' % i, 'created': when}
            for i, (snap_id, when) in enumerate(zip(ids, created))]}

    def test_revert_past_newer_array_snapshot_not_asked(self):
        """A newer array snapshot (outside Cinder): Cinder copies."""
        vol = self.volume(size=1)
        self._listed('1742901074', '1742901075')
        self.assertRaises(NotImplementedError, self.drv.revert_to_snapshot,
                          self.ctx, vol, self.snapshot(vol))
        self.client.list_snapshots_detail.assert_called_once_with(
            vol_id=VOL_ID)
        self.client.restore_snapshot.assert_not_called()

    def test_revert_unknown_creation_time_not_asked(self):
        """A creation time that is not a number: not restored."""
        vol = self.volume(size=1)
        self._listed('1742901074', None)
        self.assertRaises(NotImplementedError, self.drv.revert_to_snapshot,
                          self.ctx, vol, self.snapshot(vol))
        self.client.restore_snapshot.assert_not_called()

    def test_revert_older_or_same_second_snapshots_restored(self):
        """Older snapshots, or one of the same second: the array says."""
        vol = self.volume(size=1)
        self._listed('1742901074', '1742901000', 1742901074)
        self.drv.revert_to_snapshot(self.ctx, vol, self.snapshot(vol))
        self.client.restore_snapshot.assert_called_once_with(SNAP_ID)

    def test_revert_extended_volume_grown_back(self):
        """Restoring shrinks to the array snapshot's size: grown back.

        Cinder only reverts a volume of the snapshot's volume_size; the
        array snapshot is smaller when it was managed after the volume
        grew (Cinder records it at the volume's size).
        """
        vol = self.volume(size=3)
        snap = self.snapshot(
            vol, provider_location=manage.MANAGED_SNAPSHOT_LOCATION)
        self.assertEqual(vol.size, snap.volume_size)
        self.client.get_lun.return_value = {'vol_id': VOL_ID,
                                            'vol_size': str(fakes.GiB)}
        self.drv.revert_to_snapshot(self.ctx, vol, snap)
        self.assertEqual([mock.call.list_snapshots_detail(vol_id=VOL_ID),
                          mock.call.restore_snapshot(SNAP_ID),
                          mock.call.get_lun(VOL_ID),
                          mock.call.modify_lun(VOL_ID, size=3, sing='G')],
                         self.client.mock_calls)

    def test_revert_managed_snapshot_of_same_size(self):
        """A managed snapshot as big as the volume: nothing to grow."""
        vol = self.volume(size=3)
        snap = self.snapshot(
            vol, provider_location=manage.MANAGED_SNAPSHOT_LOCATION)
        self.client.get_lun.return_value = {'vol_id': VOL_ID,
                                            'vol_size': str(3 * fakes.GiB)}
        self.drv.revert_to_snapshot(self.ctx, vol, snap)
        self.client.restore_snapshot.assert_called_once_with(SNAP_ID)
        self.client.modify_lun.assert_not_called()

    def test_revert_conflict_falls_back(self):
        """409 (newer snapshots): NotImplementedError, Cinder copies."""
        vol = self.volume(size=3)
        self.client.restore_snapshot.side_effect = fakes.error(
            ngx_exc.Conflict, 'not the newest snapshot', 409)
        self.assertRaises(NotImplementedError, self.drv.revert_to_snapshot,
                          self.ctx, vol, self.snapshot(vol))
        self.client.get_lun.assert_not_called()
        self.client.modify_lun.assert_not_called()

    def test_revert_pool_offline_is_not_a_fallback(self):
        """A refusal for another reason fails; Cinder does not copy."""
        vol = self.volume()
        self.client.restore_snapshot.side_effect = fakes.error(
            ngx_exc.ValidationFailed, 'pool pool1 is OFFLINE', 422)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.revert_to_snapshot, self.ctx, vol,
                                self.snapshot(vol))
        self.assertIn('pool offline', str(err))

    def test_revert_with_newer_clone_not_asked_of_the_array(self):
        """A clone made after the snapshot: Cinder copies, no restore."""
        vol = self.volume()
        snap = self.snapshot(vol)
        snap.created_at = datetime.datetime(2026, 1, 1)
        clone = self.volume(
            provider_location=ngx_driver.CLONE_INTERNAL_PREFIX + 'c' * 40)
        clone.created_at = datetime.datetime(2026, 1, 2)
        self.drv.db = mock.Mock()
        with mock.patch.object(ngx_driver.objects.VolumeList, 'get_all',
                               return_value=[clone]) as get_all:
            self.assertRaises(NotImplementedError,
                              self.drv.revert_to_snapshot, self.ctx, vol,
                              snap)
        self.assertEqual({'source_volid': vol.id},
                         get_all.call_args.kwargs['filters'])
        self.client.restore_snapshot.assert_not_called()

    def test_revert_error(self):
        """Another failure is an API error."""
        vol = self.volume()
        self.client.restore_snapshot.side_effect = fakes.error(
            ngx_exc.ServerError, 'boom', 500)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.drv.revert_to_snapshot, self.ctx, vol,
                                self.snapshot(vol))
        self.assertIn('revert volume %s' % vol.id, str(err))

    def test_revert_without_array_snapshot(self):
        """A snapshot without provider_id: SnapshotNotFound."""
        vol = self.volume()
        self.assertRaises(exception.SnapshotNotFound,
                          self.drv.revert_to_snapshot, self.ctx, vol,
                          self.snapshot(vol, provider_id=None))

    def test_no_temporary_snapshot(self):
        """Revert must not take a backup snapshot (it would be newer)."""
        self.assertFalse(self.drv.snapshot_revert_use_temp_snapshot())


class ConnectionTestCase(fakes.DriverTestCase):
    """initialize_connection and terminate_connection."""

    def setUp(self):
        super().setUp()
        self.locks = self.spy_locks()

    def _new_host_answers(self, owner='1', lun='0'):
        client = self.client
        client.create_auth_group.return_value = {'id': fakes.GROUP_ID,
                                                 'success': True}
        client.add_auth_group_iqn.return_value = {'id': fakes.IQN_ENTRY_ID}
        client.set_auth_group_chap.return_value = {'success': True}
        client.create_target.return_value = {
            'id': fakes.TARGET_ID, 'success': True,
            'luns': [{'vol_id': VOL_ID, 'lun_number': lun}]}
        client.get_target.return_value = fakes.target_detail(
            owner=owner, luns=[(VOL_ID, int(lun))])

    def _attach(self, drv, vol=None, connector=None):
        return drv.initialize_connection(vol or self.volume(),
                                         connector or self.connector())

    def test_discard_follows_report_discard_supported(self):
        """Cinder's report_discard_supported says whether to discard."""
        for value in (False, True):
            self.configure(report_discard_supported=value)
            drv = self.ready_driver()
            self._new_host_answers()
            self.assertIs(value, self._attach(drv)['data']['discard'])

    def test_attach_new_host(self):
        """Group, IQN, CHAP and target are made; properties returned."""
        self.configure(report_discard_supported=True)
        drv = self.ready_driver()
        self._new_host_answers()
        info = self._attach(drv)
        self.assertEqual('iscsi', info['driver_volume_type'])
        iqn = fakes.target_iqn()
        self.assertEqual({
            'target_discovered': False,
            'target_portal': fakes.PORTALS[0],
            'target_iqn': iqn,
            'target_lun': 0,
            'target_portals': fakes.PORTALS,
            'target_iqns': [iqn, iqn],
            'target_luns': [0, 0],
            'volume_id': fakes.VOLUME_UUID,
            'discard': True,
            'auth_method': 'CHAP',
            'auth_username': fakes.NAMES.chap_username(fakes.HOST),
            'auth_password': fakes.CHAP_SECRET,
        }, info['data'])
        group_name = fakes.NAMES.auth_group_name(fakes.HOST)
        self.client.create_auth_group.assert_called_once_with(group_name,
                                                              '1')
        self.client.add_auth_group_iqn.assert_called_once_with(
            fakes.GROUP_ID, fakes.INITIATOR, ANY, '1')
        self.client.set_auth_group_chap.assert_called_once_with(
            fakes.GROUP_ID, fakes.NAMES.chap_username(fakes.HOST),
            fakes.CHAP_SECRET, '1')
        self.client.create_target.assert_called_once_with(
            fakes.NAMES.target_name(fakes.HOST, '1', 0), fakes.GROUP_ID, PG_ID,
            '1', lun_ids=[VOL_ID])
        self.assertEqual([mock.call(fakes.lock_name(host=fakes.HOST))],
                         self.locks.mock_calls)

    def test_attach_known_host_is_one_call(self):
        """A second volume for a known host: one add_target_luns call."""
        drv = self.ready_driver()
        self._new_host_answers()
        self._attach(drv)
        self.client.reset_mock()
        self.client.add_target_luns.return_value = {
            'luns': [{'vol_id': 'b' * 40, 'lun_number': '1'}]}
        info = self._attach(drv, self.volume(id=fakes.SRC_VOLUME_UUID,
                                             provider_id='b' * 40))
        self.assertEqual([mock.call.add_target_luns(
            fakes.TARGET_ID, ['b' * 40], '1')], self.client.mock_calls)
        self.assertEqual(1, info['data']['target_lun'])
        self.assertEqual([1, 1], info['data']['target_luns'])

    def _existing_group_answers(self, chap=True):
        self.client.create_auth_group.side_effect = fakes.error(
            ngx_exc.Conflict, 'auth group exists', 409)
        self.client.list_auth_groups.return_value = [
            {'group_id': 'a' * 40, 'group_name': 'cinderother'},
            {'group_id': fakes.GROUP_ID,
             'group_name': fakes.NAMES.auth_group_name(fakes.HOST)}]
        detail = {'group_id': fakes.GROUP_ID, 'chap_status': 0,
                  'initiator': [{'iqn': fakes.INITIATOR,
                                 'id': fakes.IQN_ENTRY_ID}]}
        if chap:
            detail['chap_status'] = 1
            detail['chap'] = {'username': 'cinder-from-array',
                              'password': fakes.CHAP_SECRET}
        self.client.get_auth_group.return_value = detail

    def test_attach_host_known_to_array_reuses_chap(self):
        """A host another service made: its group and CHAP are reused.

        The CHAP secret stays stable per host (no rotation), so hosts
        with sessions to other volumes keep working.
        """
        drv = self.ready_driver()
        self._new_host_answers()
        self._existing_group_answers()
        data = self._attach(drv)['data']
        self.assertEqual('cinder-from-array', data['auth_username'])
        self.assertEqual(fakes.CHAP_SECRET, data['auth_password'])
        self.client.get_auth_group.assert_called_once_with(fakes.GROUP_ID)
        self.client.set_auth_group_chap.assert_not_called()
        self.client.add_auth_group_iqn.assert_not_called()
        self.client.create_target.assert_called_once_with(
            ANY, fakes.GROUP_ID, PG_ID, '1', lun_ids=[VOL_ID])

    def test_attach_new_initiator_of_known_host(self):
        """A second initiator of a known host is added to its group."""
        drv = self.ready_driver()
        self._new_host_answers()
        self._existing_group_answers()
        other = 'iqn.1994-05.com.redhat:0123456789ab'
        self._attach(drv, connector=self.connector(initiator=other))
        self.client.add_auth_group_iqn.assert_called_once_with(
            fakes.GROUP_ID, other, ANY, '1')

    def test_attach_target_vanished_retries(self):
        """A cached target removed meanwhile (404): host re-read, retry."""
        drv = self.ready_driver()
        self._new_host_answers()
        self._attach(drv)
        self.client.reset_mock()
        self._existing_group_answers()
        self.client.add_target_luns.side_effect = fakes.error(
            ngx_exc.NotFound, 'no such target', 404)
        self.client.create_target.return_value = {'id': fakes.TARGET_ID}
        self.client.get_target.return_value = fakes.target_detail(
            luns=[('b' * 40, 0)])
        info = self._attach(drv, self.volume(id=fakes.SRC_VOLUME_UUID,
                                             provider_id='b' * 40))
        self.client.add_target_luns.assert_called_once_with(
            fakes.TARGET_ID, ['b' * 40], '1')
        self.client.create_target.assert_called_once_with(
            fakes.NAMES.target_name(fakes.HOST, '1', 0), fakes.GROUP_ID, PG_ID,
            '1', lun_ids=['b' * 40])
        self.assertEqual(0, info['data']['target_lun'])

    def test_attach_without_chap(self):
        """CHAP off: no auth fields, no CHAP call."""
        drv = self.ready_driver(chap=False)
        self._new_host_answers()
        data = self._attach(drv)['data']
        for key in ('auth_method', 'auth_username', 'auth_password'):
            self.assertNotIn(key, data)
        self.client.set_auth_group_chap.assert_not_called()

    def test_attach_single_portal(self):
        """One portal: singular and plural fields agree."""
        self.configure(ngxstorage_iscsi_portals=['198.51.100.7'])
        drv = self.ready_driver()
        self._new_host_answers()
        data = self._attach(drv)['data']
        self.assertEqual('198.51.100.7:3260', data['target_portal'])
        self.assertEqual(['198.51.100.7:3260'], data['target_portals'])
        self.assertEqual([fakes.target_iqn()], data['target_iqns'])
        self.assertEqual([0], data['target_luns'])

    def test_attach_dual_controller(self):
        """A pool of controller B: target of owner B, group of owner A."""
        drv = self.ready_driver(owners={'pool1': 'NGXSIM01_A',
                                        'pool2': 'NGXSIM01_B'})
        self._new_host_answers(owner='NGXSIM01_B')
        self._attach(drv, self.volume(pool='pool2'))
        self.client.create_auth_group.assert_called_once_with(
            ANY, 'NGXSIM01_A')
        self.client.create_target.assert_called_once_with(
            fakes.NAMES.target_name(fakes.HOST, 'NGXSIM01_B', 0),
            fakes.GROUP_ID,
            PG_ID, 'NGXSIM01_B', lun_ids=[VOL_ID])

    def test_attach_error(self):
        """A failure is an API error naming the volume and host."""
        drv = self.ready_driver()
        self.client.create_auth_group.side_effect = fakes.error(
            ngx_exc.PermissionDenied, 'forbidden', 403)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self._attach, drv)
        self.assertIn('attach volume %s to host %s'
                      % (fakes.VOLUME_UUID, fakes.HOST), str(err))
        self.assertIn('API Management', str(err))

    def test_attach_without_lun(self):
        """The volume has no LUN: VolumeNotFound, nothing made."""
        drv = self.ready_driver()
        self.assertRaises(exception.VolumeNotFound, self._attach, drv,
                          self.volume(provider_id=None))
        self.client.create_auth_group.assert_not_called()

    def _attached_driver(self):
        drv = self.ready_driver()
        self._new_host_answers()
        self._attach(drv)
        self.client.reset_mock()
        self.locks.reset_mock()
        return drv

    def test_detach_last_volume_removes_host_objects(self):
        """The last LUN leaves: target and auth group removed."""
        drv = self._attached_driver()
        self.client.remove_target_luns.return_value = {'luns': []}
        self.assertFalse(drv.terminate_connection(self.volume(),
                                                  self.connector()))
        self.assertEqual(
            [mock.call.remove_target_luns(fakes.TARGET_ID, [VOL_ID], '1'),
             mock.call.delete_target(fakes.TARGET_ID),
             mock.call.delete_auth_group(fakes.GROUP_ID)],
            self.client.mock_calls)
        self.assertEqual([mock.call(fakes.lock_name(host=fakes.HOST))],
                         self.locks.mock_calls)

    def test_detach_answer_without_remaining_luns_reads_target(self):
        """Remove LUN answers no map: one read confirms the unmap."""
        drv = self._attached_driver()
        self.client.remove_target_luns.return_value = {'success': True}
        self.client.get_target.return_value = fakes.target_detail()
        self.client.get_target.return_value['luns'] = [
            {'vol_id': 'b' * 40, 'lun_number': '1'}]
        drv.terminate_connection(self.volume(), self.connector())
        self.client.get_target.assert_called_once_with(fakes.TARGET_ID)
        self.client.delete_target.assert_not_called()

    def test_detach_not_done_while_still_mapped(self):
        """The answer (or the read) still lists the LUN: an error."""
        drv = self._attached_driver()
        self.client.remove_target_luns.return_value = {
            'luns': [{'vol_id': VOL_ID, 'lun_number': '0'}]}
        self.assertRaises(exception.VolumeBackendAPIException,
                          drv.terminate_connection, self.volume(),
                          self.connector())
        self.client.delete_target.assert_not_called()

    def test_detach_target_not_found_by_id_but_exporting(self):
        """404 by id while the LUN names the target: not reported done."""
        drv = self._attached_driver()
        self.client.remove_target_luns.side_effect = fakes.error(
            ngx_exc.NotFound, 'no target', 404)
        self.client.get_target.side_effect = fakes.error(
            ngx_exc.NotFound, 'no target', 404)
        self.client.get_lun.return_value = {
            'vol_id': VOL_ID, 'protocols': {
                'iscsi': fakes.NAMES.target_name(fakes.HOST, '1', 0)}}
        self.assertRaises(exception.VolumeBackendAPIException,
                          drv.terminate_connection, self.volume(),
                          self.connector())
        self.client.get_lun.return_value = {
            'vol_id': VOL_ID, 'protocols': {'iscsi': None}}
        drv.terminate_connection(self.volume(), self.connector())

    def test_detach_keeps_target_with_other_luns(self):
        """Other LUNs remain: target and group are kept."""
        drv = self._attached_driver()
        self.client.remove_target_luns.return_value = {
            'luns': [{'vol_id': 'b' * 40, 'lun_number': '1'}]}
        drv.terminate_connection(self.volume(), self.connector())
        self.client.delete_target.assert_not_called()
        self.client.delete_auth_group.assert_not_called()

    def test_detach_cold_cache_reads_host(self):
        """A service that never saw the host reads its objects first."""
        drv = self.ready_driver()
        self.client.list_auth_groups.return_value = [
            {'group_id': fakes.GROUP_ID,
             'group_name': fakes.NAMES.auth_group_name(fakes.HOST)}]
        self.client.get_auth_group.return_value = {
            'group_id': fakes.GROUP_ID, 'chap_status': 1,
            'chap': {'username': fakes.NAMES.chap_username(fakes.HOST),
                     'password': fakes.CHAP_SECRET},
            'initiator': [{'iqn': fakes.INITIATOR,
                           'id': fakes.IQN_ENTRY_ID}]}
        self.client.list_targets.return_value = [
            {'scsi_target_name': fakes.NAMES.target_name(fakes.HOST, '1', 0),
             'scsi_id': fakes.TARGET_ID, 'owner': '1'},
            {'scsi_target_name': fakes.NAMES.target_name(
                fakes.OTHER_HOST, '1', 0),
             'scsi_id': fakes.OTHER_TARGET_ID, 'owner': '1'}]
        self.client.get_target.return_value = fakes.target_detail()
        self.client.remove_target_luns.return_value = {'luns': []}
        self.assertFalse(drv.terminate_connection(self.volume(),
                                                  self.connector()))
        self.client.get_target.assert_called_once_with(fakes.TARGET_ID)
        self.client.remove_target_luns.assert_called_once_with(
            fakes.TARGET_ID, [VOL_ID], '1')
        self.client.delete_auth_group.assert_called_once_with(
            fakes.GROUP_ID)

    def test_detach_unknown_host(self):
        """A host with no objects on the array: nothing to do."""
        drv = self.ready_driver()
        self.assertFalse(drv.terminate_connection(self.volume(),
                                                  self.connector()))
        self.client.remove_target_luns.assert_not_called()

    def test_detach_finds_target_made_by_another_service(self):
        """A LUN in a host target this service never saw is unmapped.

        Another cinder-volume service (active-active) attached a volume
        of this host into a second target (the first was full). The
        cached view of this service holds only the first target; the
        cache is a hint, so a LUN found in no cached target must make the
        driver read the host again rather than leave the LUN mapped.
        """
        drv = self._attached_driver()
        other_vol = 'b' * 40
        first = fakes.target_detail()
        second = fakes.target_detail(index=1,
                                     target_id=fakes.OTHER_TARGET_ID,
                                     luns=[(other_vol, 0)])
        self.client.get_target.side_effect = lambda target_id: {
            fakes.TARGET_ID: first,
            fakes.OTHER_TARGET_ID: second}[target_id]
        self.client.list_targets.return_value = [
            {'scsi_target_name': t['scsi_target_name'],
             'scsi_id': t['scsi_id'], 'owner': '1'}
            for t in (first, second)]
        self.client.list_auth_groups.return_value = [
            {'group_id': fakes.GROUP_ID,
             'group_name': fakes.NAMES.auth_group_name(fakes.HOST)}]
        self.client.get_auth_group.return_value = {
            'group_id': fakes.GROUP_ID, 'chap_status': 0,
            'initiator': [{'iqn': fakes.INITIATOR,
                           'id': fakes.IQN_ENTRY_ID}]}
        self.client.remove_target_luns.return_value = {'luns': []}
        drv.terminate_connection(
            self.volume(id=fakes.SRC_VOLUME_UUID, provider_id=other_vol),
            self.connector())
        self.client.remove_target_luns.assert_called_once_with(
            fakes.OTHER_TARGET_ID, [other_vol], '1')

    def test_attach_target_name_stays_taken(self):
        """A target name taken twice is a Cinder error, not an internal.

        The first create_target conflict makes the driver read the host
        again and retry once; when the name is still taken by a target it
        cannot see (e.g. outside the key's scope), the error must reach
        Cinder as VolumeBackendAPIException naming the action.
        """
        drv = self.ready_driver()
        self._new_host_answers()
        self.client.create_auth_group.side_effect = [
            {'id': fakes.GROUP_ID},
            fakes.error(ngx_exc.Conflict, 'name exists', 409)]
        self.client.list_auth_groups.return_value = [
            {'group_id': fakes.GROUP_ID,
             'group_name': fakes.NAMES.auth_group_name(fakes.HOST)}]
        self.client.get_auth_group.return_value = {
            'group_id': fakes.GROUP_ID, 'chap_status': 1,
            'chap': {'username': fakes.NAMES.chap_username(fakes.HOST),
                     'password': fakes.CHAP_SECRET},
            'initiator': [{'iqn': fakes.INITIATOR,
                           'id': fakes.IQN_ENTRY_ID}]}
        self.client.create_target.side_effect = fakes.error(
            ngx_exc.Conflict, 'target name exists', 409)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self._attach, drv)
        self.assertIn('attach volume %s' % fakes.VOLUME_UUID, str(err))
        self.assertEqual(2, self.client.create_target.call_count)

    def test_multiattach_same_host_keeps_mapping(self):
        """Another attachment on the same host: True, nothing unmapped."""
        drv = self._attached_driver()
        vol = self.volume(multiattach=True)
        self.attachments(vol, (fakes.HOST, 'attached'),
                         (fakes.HOST, 'attached'))
        self.assertTrue(drv.terminate_connection(vol, self.connector()))
        self.assertEqual([], self.client.mock_calls)

    def test_multiattach_other_host_unmaps(self):
        """The other attachment is on another host: unmapped here."""
        drv = self._attached_driver()
        self.client.remove_target_luns.return_value = {'luns': []}
        vol = self.volume(multiattach=True)
        self.attachments(vol, (fakes.HOST, 'attached'),
                         (fakes.OTHER_HOST, 'attached'))
        self.assertFalse(drv.terminate_connection(vol, self.connector()))
        self.client.remove_target_luns.assert_called_once_with(
            fakes.TARGET_ID, [VOL_ID], '1')

    def test_multiattach_detached_attachment_ignored(self):
        """A detached attachment on the same host does not count."""
        drv = self._attached_driver()
        self.client.remove_target_luns.return_value = {'luns': []}
        vol = self.volume(multiattach=True)
        self.attachments(vol, (fakes.HOST, 'attached'),
                         (fakes.HOST, 'detached'))
        self.assertFalse(drv.terminate_connection(vol, self.connector()))
        self.client.remove_target_luns.assert_called_once()

    def test_force_detach_connector_none(self):
        """connector None: unmapped from every host's target."""
        drv = self._attached_driver()
        self.client.list_targets_detail.return_value = [
            fakes.target_detail(),
            fakes.target_detail(host=fakes.OTHER_HOST,
                                target_id=fakes.OTHER_TARGET_ID,
                                group_id=fakes.OTHER_GROUP_ID,
                                luns=[(VOL_ID, 2), ('b' * 40, 0)])]
        self.client.remove_target_luns.side_effect = [
            {'luns': []},
            {'luns': [{'vol_id': 'b' * 40, 'lun_number': '0'}]}]
        self.assertFalse(drv.terminate_connection(self.volume(), None))
        self.assertEqual(
            [mock.call(fakes.TARGET_ID, [VOL_ID], '1'),
             mock.call(fakes.OTHER_TARGET_ID, [VOL_ID], '1')],
            self.client.remove_target_luns.mock_calls)
        self.client.delete_target.assert_called_once_with(fakes.TARGET_ID)
        self.client.delete_auth_group.assert_called_once_with(
            fakes.GROUP_ID)
        self.assertEqual(
            sorted([fakes.lock_name(host=fakes.HOST),
                    fakes.lock_name(host=fakes.OTHER_HOST)]),
            sorted(c.args[0] for c in self.locks.mock_calls))

    def test_force_detach_forgets_cached_host(self):
        """After a force detach the host is read again on next attach."""
        drv = self._attached_driver()
        self.client.list_targets_detail.return_value = [
            fakes.target_detail()]
        self.client.remove_target_luns.return_value = {'luns': []}
        drv.terminate_connection(self.volume(), None)
        self.assertIsNone(drv.exports._cache.get(fakes.HOST))

    def test_force_detach_not_mapped(self):
        """connector None and mapped nowhere: nothing changed."""
        drv = self._attached_driver()
        self.assertFalse(drv.terminate_connection(self.volume(), None))
        self.client.remove_target_luns.assert_not_called()

    def test_detach_volume_without_lun(self):
        """A volume without LUN: nothing to unmap."""
        drv = self._attached_driver()
        self.assertFalse(drv.terminate_connection(
            self.volume(provider_id=None), self.connector()))
        self.assertEqual([mock.call.list_luns()], self.client.mock_calls)

    def test_detach_accepts_force_keyword(self):
        """The manager passes force=...; it is accepted."""
        drv = self._attached_driver()
        self.client.remove_target_luns.return_value = {'luns': []}
        self.assertFalse(drv.terminate_connection(
            self.volume(), self.connector(), force=True))

    def test_detach_error(self):
        """A failure is an API error naming the volume."""
        drv = self._attached_driver()
        self.client.remove_target_luns.side_effect = fakes.error(
            ngx_exc.ServerError, 'boom', 500)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                drv.terminate_connection, self.volume(),
                                self.connector())
        self.assertIn('detach volume %s' % fakes.VOLUME_UUID, str(err))

    def test_lock_keys_agree(self):
        """The lock of a host equals the lock derived from its targets.

        A force detach finds targets, not hosts; it must take the same
        lock as a normal attach/detach of that host.
        """
        for owner in ('1', 'NGXSIM01_A', 'NGXSIM01_B'):
            for index in (0, 1, 12):
                self.assertEqual(
                    fakes.lock_name(host=fakes.HOST),
                    fakes.lock_name(target_name=fakes.NAMES.target_name(
                        fakes.HOST, owner, index)))
        self.assertNotEqual(fakes.lock_name(host=fakes.HOST),
                            fakes.lock_name(host=fakes.OTHER_HOST))

    def test_export_methods_do_nothing(self):
        """create/ensure/remove_export make no API call."""
        drv = self.ready_driver()
        vol = self.volume()
        self.assertIsNone(drv.create_export(self.ctx, vol, self.connector()))
        self.assertIsNone(drv.ensure_export(self.ctx, vol))
        self.assertIsNone(drv.remove_export(self.ctx, vol))
        self.assertEqual([], self.client.mock_calls)


class StatsTestCase(fakes.DriverTestCase):
    """get_volume_stats: fixed calls, usable GiB, health, load."""

    # pool1 as the reference reads: raw total/free, usable logical_*.
    CAPACITY = {
        'pool1': {'info': {'total_size': str(150 * GiB),
                           'free_size': str(int(56.25 * GiB)),
                           'allocated_size': str(int(62.5 * GiB)),
                           'logical_reserved': str(int(62.5 * GiB)),
                           'logical_avail': str(int(37.5 * GiB))},
                  'protocol_usage': {'iscsi': str(int(62.5 * GiB))}},
        'pool2': {'info': {'total_size': str(50 * GiB),
                           'free_size': str(50 * GiB),
                           'allocated_size': '0'},
                  'protocol_usage': {'iscsi': '0'}},
    }
    LUNS = [
        {'vol_id': fakes.VOL_ID, 'vol_name': 'a', 'pool_name': 'pool1',
         'vol_size': str(100 * GiB)},
        {'vol_id': fakes.SRC_VOL_ID, 'vol_name': 'b', 'pool_name': 'pool1',
         'vol_size': str(150 * GiB)},
        {'vol_id': fakes.CLONE_ID, 'vol_name': 'c', 'pool_name': 'other',
         'vol_size': str(999 * GiB)},
    ]

    POOL_KEYS = ('pool_name', 'total_capacity_gb', 'free_capacity_gb',
                 'provisioned_capacity_gb', 'allocated_capacity_gb',
                 'thin_provisioning_support', 'thick_provisioning_support',
                 'max_over_subscription_ratio', 'reserved_percentage',
                 'QoS_support', 'multiattach', 'online_extend_support',
                 'backend_state', 'total_volumes', 'used_ratio',
                 'array_total_iops', 'array_total_bps',
                 'array_cpu_utilization', 'filter_function',
                 'goodness_function')

    def setUp(self):
        super().setUp()
        self.configure(reserved_percentage=10,
                       max_over_subscription_ratio='5.0')
        self.drv = self.ready_driver()
        self.healthy_stats()

    def healthy_stats(self):
        c = self.client
        c.get_capacity.side_effect = None
        c.get_capacity.return_value = self.CAPACITY
        c.get_pool_status.return_value = [
            {'pool_name': name, 'status': 'ONLINE', 'owner': '1'}
            for name in fakes.POOLS]
        c.get_license.return_value = {
            'snapshot': 1, 'clone': 1,
            'expire_time': int(time.time()) + 365 * 86400}
        c.list_luns_detail.return_value = self.LUNS
        c.get_iops.return_value = {'read': 10, 'write': 5, 'total': 15}
        c.get_bandwidth.return_value = {'read': 100, 'write': 50,
                                        'total': 150}
        c.get_cpu.return_value = {'current_utilization': 7,
                                  'average_utilization': 3,
                                  'load_1_min': '0.38'}

    def pools(self):
        stats = self.drv.get_volume_stats(refresh=True)
        return {p['pool_name']: p for p in stats['pools']}

    def test_fixed_calls(self):
        """Seven reads, whatever the number of LUNs."""
        self.drv.get_volume_stats(refresh=True)
        self.assertEqual([getattr(mock.call, name)()
                          for name in stats_mod.READS],
                         self.client.mock_calls)

    def test_backend_values(self):
        """Backend-wide values and sums."""
        stats = self.drv.get_volume_stats(refresh=True)
        self.assertEqual(fakes.BACKEND, stats['volume_backend_name'])
        self.assertEqual('NGXStorage', stats['vendor_name'])
        self.assertEqual('1.1.0', stats['driver_version'])
        self.assertEqual('iSCSI', stats['storage_protocol'])
        self.assertEqual('up', stats['backend_state'])
        self.assertEqual(150.0, stats['total_capacity_gb'])
        self.assertEqual(87.5, stats['free_capacity_gb'])

    def test_pools(self):
        """Usable capacity, provisioned = the pool's LUN sizes."""
        pools = self.pools()
        self.assertEqual(set(fakes.POOLS), set(pools))
        for pool in pools.values():
            for key in self.POOL_KEYS:
                self.assertIn(key, pool)
        pool1 = pools['pool1']
        # Usable: logical_avail 37.5 and the raw total 150 scaled by
        # 37.5 / 56.25, not the raw 150 / 56.25.
        self.assertEqual(100.0, pool1['total_capacity_gb'])
        self.assertEqual(37.5, pool1['free_capacity_gb'])
        self.assertEqual(250.0, pool1['provisioned_capacity_gb'])
        self.assertEqual(62.5, pool1['allocated_capacity_gb'])
        self.assertEqual(2, pool1['total_volumes'])
        self.assertEqual(0.625, pool1['used_ratio'])
        self.assertEqual(15, pool1['array_total_iops'])
        self.assertEqual(150, pool1['array_total_bps'])
        self.assertEqual(7, pool1['array_cpu_utilization'])
        self.assertEqual(5.0, pool1['max_over_subscription_ratio'])
        self.assertEqual(10, pool1['reserved_percentage'])
        self.assertTrue(pool1['thin_provisioning_support'])
        self.assertTrue(pool1['thick_provisioning_support'])
        self.assertTrue(pool1['multiattach'])
        pool2 = pools['pool2']
        # No logical fields: the raw ones.
        self.assertEqual(50.0, pool2['total_capacity_gb'])
        self.assertEqual(0, pool2['provisioned_capacity_gb'])
        self.assertEqual(0, pool2['total_volumes'])

    def test_reference_example(self):
        """The reference's capacity example: usable, not raw, figures."""
        self.client.get_capacity.return_value = {
            'pool1': {'info': {
                'allocated_size': '265214230528',
                'free_size': '11215018603315',
                'logical_avail': '7303574094336',
                'logical_reserved': '225168031232',
                'total_size': '11544872091648'}}}
        pool1 = self.pools()['pool1']
        self.assertEqual(6801.98, pool1['free_capacity_gb'])
        self.assertEqual(7002.04, pool1['total_capacity_gb'])

    def test_thin_support_follows_san_thin_provision(self):
        """Thick by default: no thin support, so no over-subscription."""
        for thin in (True, False):
            self.configure(san_thin_provision=thin)
            for pool in self.pools().values():
                self.assertEqual(
                    (thin, True),
                    (pool['thin_provisioning_support'],
                     pool['thick_provisioning_support']))
                if not thin:
                    self.assertEqual(1.0,
                                     pool['max_over_subscription_ratio'])

    def test_auto_ratio(self):
        """'auto' is computed with Cinder's formula; never raises."""
        self.configure(max_over_subscription_ratio='auto')
        pools = self.pools()
        # 1 + provisioned / (used + 1) = 1 + 250 / 63.5
        self.assertEqual(4.94, pools['pool1']['max_over_subscription_ratio'])
        # Nothing provisioned: Cinder's initial 20.
        self.assertEqual(20.0, pools['pool2']['max_over_subscription_ratio'])

    def test_pool_missing_from_capacity(self):
        """A pool the array does not report counts as empty."""
        self.client.get_capacity.return_value = {
            'pool1': self.CAPACITY['pool1']}
        pool2 = self.pools()['pool2']
        self.assertEqual(0, pool2['total_capacity_gb'])
        self.assertEqual(0, pool2['free_capacity_gb'])

    def test_cached_without_refresh(self):
        """Without refresh the last figures are returned, no call."""
        self.drv.get_volume_stats(refresh=True)
        self.client.reset_mock()
        self.drv.get_volume_stats(refresh=False)
        self.assertEqual([], self.client.mock_calls)

    def test_unreachable_is_down_then_up(self):
        """No exception: down with 0 capacities and why; up again."""
        self.client.get_capacity.side_effect = fakes.error(
            ngx_exc.RequestTimeout)
        stats = self.drv.get_volume_stats(refresh=True)
        self.assertEqual('down', stats['backend_state'])
        self.assertIn('could not be read', stats['backend_state_reason'])
        self.assertEqual(0, stats['total_capacity_gb'])
        for pool in stats['pools']:
            self.assertEqual('down', pool['backend_state'])
            self.assertEqual(0, pool['free_capacity_gb'])
            self.assertEqual(0, pool['total_capacity_gb'])
        self.assertIn('reported down', self.logger.output)
        self.assertIn('did not answer in time', self.logger.output)
        self.healthy_stats()
        stats = self.drv.get_volume_stats(refresh=True)
        self.assertEqual('up', stats['backend_state'])
        self.assertIn('reachable again', self.logger.output)

    def test_unreadable_answer_is_down(self):
        self.client.list_luns_detail.return_value = {'not': 'a list'}
        stats = self.drv.get_volume_stats(refresh=True)
        self.assertEqual('down', stats['backend_state'])

    def test_degraded_and_offline_pools_take_nothing(self):
        for status in ('DEGRADED', 'OFFLINE'):
            self.client.get_pool_status.return_value = [
                {'pool_name': 'pool1', 'status': status},
                {'pool_name': 'pool2', 'status': 'ONLINE'}]
            stats = self.drv.get_volume_stats(refresh=True)
            self.assertEqual('up', stats['backend_state'])
            pools = {p['pool_name']: p for p in stats['pools']}
            self.assertEqual('down', pools['pool1']['backend_state'])
            self.assertEqual(0, pools['pool1']['free_capacity_gb'])
            self.assertEqual(0, pools['pool1']['total_capacity_gb'])
            self.assertIn(status, pools['pool1']['backend_state_reason'])
            self.assertEqual('up', pools['pool2']['backend_state'])
            self.assertEqual(50.0, pools['pool2']['free_capacity_gb'])
            self.assertIn('pool pool1 is %s' % status, self.logger.output)

    def test_expired_licence_is_down(self):
        self.client.get_license.return_value = {
            'snapshot': 1, 'expire_time': int(time.time()) - 60}
        stats = self.drv.get_volume_stats(refresh=True)
        self.assertEqual('down', stats['backend_state'])
        self.assertIn('licence expired', stats['backend_state_reason'])

    def test_expiring_licence_warned_once_a_day(self):
        self.configure(ngxstorage_license_warning_days=30)
        self.client.get_license.return_value = {
            'snapshot': 1, 'expire_time': int(time.time()) + 5 * 86400}
        for _ in range(3):
            stats = self.drv.get_volume_stats(refresh=True)
            self.assertEqual('up', stats['backend_state'])
        self.assertEqual(1, self.logger.output.count('licence expires'))

    def test_load_figures_optional(self):
        """A key without the status endpoints still reports up, 0 load."""
        for name in ('get_iops', 'get_bandwidth', 'get_cpu'):
            getattr(self.client, name).side_effect = fakes.error(
                ngx_exc.PermissionDenied, status=403)
        pool1 = self.pools()['pool1']
        self.assertEqual('up', pool1['backend_state'])
        self.assertEqual(0, pool1['array_total_iops'])


class ManageSizeTestCase(fakes.DriverTestCase):
    """A LUN whose size cannot be read is not managed as 0 GiB."""

    def test_unreadable_size_is_an_error(self):
        drv = self.ready_driver()
        for size in (None, 'lots', '0'):
            detail = {'vol_id': VOL_ID, 'vol_name': 'legacy',
                      'pool_name': 'pool1', 'protocols': {}}
            if size is not None:
                detail['vol_size'] = size
            self.client.get_lun.return_value = detail
            err = self.assertRaises(
                exception.ManageExistingInvalidReference,
                drv.manage_existing_get_size,
                self.volume(provider_id=None), {'source-id': VOL_ID})
            self.assertIn('no readable size', str(err))

    def test_listing_marks_it_unsafe(self):
        drv = self.ready_driver()
        self.client.list_luns_detail.return_value = [
            {'vol_id': VOL_ID, 'vol_name': 'legacy', 'pool_name': 'pool1',
             'protocols': {}}]
        [entry] = drv.get_manageable_volumes([], None, 10, 0,
                                             ['reference'], ['asc'])
        self.assertFalse(entry['safe_to_manage'])
        self.assertIn('no readable size', entry['reason_not_safe'])


class GroupTestCase(fakes.DriverTestCase):
    """Generic groups go to Cinder; consistent snapshot groups refused."""

    def cinder_group(self, consistent):
        group = mock.Mock(id='g-1', group_type_id='t-1')
        patch = mock.patch.object(
            ngx_driver.volume_utils, 'is_group_a_cg_snapshot_type',
            autospec=True, return_value=consistent)
        patch.start()
        self.addCleanup(patch.stop)
        return group

    def test_generic_group_left_to_cinder(self):
        drv = self.ready_driver()
        self.assertRaises(NotImplementedError, drv.create_group, self.ctx,
                          self.cinder_group(False))
        self.assertEqual([], self.client.mock_calls)

    def test_consistent_group_refused(self):
        drv = self.ready_driver()
        err = self.assertRaises(exception.InvalidGroupType,
                                drv.create_group, self.ctx,
                                self.cinder_group(True))
        self.assertIn('no consistent group snapshot', str(err))
        self.assertEqual([], self.client.mock_calls)


class ErrorTranslationTestCase(fakes.DriverTestCase):
    """Client errors become Cinder errors with the action and a hint."""

    CASES = (
        (ngx_exc.AuthenticationFailed, 401, 'ngxstorage_api_token'),
        (ngx_exc.PermissionDenied, 403, 'API Management'),
        (ngx_exc.TLSVerificationFailed, None, 'ngxstorage_ca_bundle'),
        (ngx_exc.ConnectionFailed, None, 'san_ip'),
        (ngx_exc.RequestTimeout, None, 'san_ip'),
        (ngx_exc.ServerError, 503, 'san_ip'),
        (ngx_exc.ValidationFailed, 400, None),
        (ngx_exc.InvalidResponse, 200, None),
        (ngx_exc.RequestFailed, 200, None),
    )

    def setUp(self):
        super().setUp()
        self.drv = self.ready_driver()
        self.vol = self.volume()

    def test_each_error_class(self):
        """Action, array message and hint in the message; cause kept."""
        for cls, status, hint in self.CASES:
            err = fakes.error(cls, 'array says no (%s)' % cls.__name__,
                              status, 'PATCH', '/api/v2/lun/' + VOL_ID)
            self.client.modify_lun.side_effect = err
            raised = self.assertRaises(exception.VolumeBackendAPIException,
                                       self.drv.extend_volume, self.vol, 7)
            msg = str(raised)
            self.assertIn('extend volume %s to 7 GiB' % self.vol.id, msg)
            self.assertIn('array says no (%s)' % cls.__name__, msg)
            self.assertIn('PATCH /api/v2/lun/%s' % VOL_ID, msg)
            if hint:
                self.assertIn(hint, msg)
            self.assertIs(err, raised.__cause__)
            self.assert_no_secret(msg)
        # Each failure is logged once as an error.
        self.assertEqual(len(self.CASES),
                         self.logger.output.count('ERROR '))

    def test_unparsable_answer(self):
        """An answer records.py cannot parse: 'not understood', san_ip."""
        vol = self.volume(provider_id=None)
        for answer in ({'success': True}, [{'name': 'x', 'vol_id': 7}]):
            self.client.list_luns.return_value = answer
            raised = self.assertRaises(exception.VolumeBackendAPIException,
                                       self.drv.extend_volume, vol, 7)
            msg = str(raised)
            self.assertIn('extend volume %s to 7 GiB' % vol.id, msg)
            self.assertIn('not understood', msg)
            self.assertIn('san_ip', msg)
            self.assertIsInstance(raised.__cause__, ngx_exc.InvalidResponse)

    def test_bug_is_not_blamed_on_the_array(self):
        """A KeyError or TypeError above the records propagates as is."""
        for bug in (KeyError('vol_id'), TypeError('not subscriptable')):
            self.client.modify_lun.side_effect = bug
            raised = self.assertRaises(type(bug), self.drv.extend_volume,
                                       self.vol, 7)
            self.assertIs(bug, raised)

    def test_array_echoing_secrets(self):
        """An array message echoing the token or CHAP body is masked."""
        for text in ('Authorization: Bearer %s rejected' % fakes.TOKEN,
                     '{"username": "u", "password": "%s"}'
                     % fakes.CHAP_SECRET):
            self.client.modify_lun.side_effect = fakes.error(
                ngx_exc.ValidationFailed, text, 400)
            raised = self.assertRaises(exception.VolumeBackendAPIException,
                                       self.drv.extend_volume, self.vol, 7)
            self.assert_no_secret(str(raised))
            self.assert_no_secret(repr(raised))


class SecretsTestCase(fakes.DriverTestCase):
    """The token and CHAP secret never leave through logs or reprs."""

    def test_full_lifecycle_logs_no_secret(self):
        """Setup, create, attach with CHAP, detach, errors: no secret."""
        drv = self.ready_driver()
        client = self.client
        client.create_lun.return_value = {'luns': [{'vol_id': VOL_ID}]}
        vol = self.volume(provider_id=None)
        vol.provider_id = drv.create_volume(vol)['provider_id']
        client.create_auth_group.return_value = {'id': fakes.GROUP_ID}
        client.add_auth_group_iqn.return_value = {'id': fakes.IQN_ENTRY_ID}
        client.create_target.return_value = {'id': fakes.TARGET_ID}
        client.get_target.return_value = fakes.target_detail()
        info = drv.initialize_connection(vol, self.connector())
        self.assertEqual(fakes.CHAP_SECRET, info['data']['auth_password'])
        entry = drv.exports._cache[fakes.HOST]
        self.assertEqual(fakes.CHAP_SECRET, entry.chap[1])
        for text in (repr(drv), str(drv), repr(entry), str(entry),
                     repr(drv.exports), repr(drv.deferred)):
            self.assert_no_secret(text)
        client.remove_target_luns.side_effect = fakes.error(
            ngx_exc.AuthenticationFailed,
            'key Bearer %s expired' % fakes.TOKEN, 401)
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                drv.terminate_connection, vol,
                                self.connector())
        self.assert_no_secret(str(err))
        self.assertIn('detach volume', self.logger.output)
        self.assert_no_secret_logged()

    def test_setup_logs_no_token(self):
        """do_setup and a failing check do not log the token."""
        self.configure(ngxstorage_verify_tls=False)
        drv = self.make_driver()
        unused, client = self.do_setup(drv)
        client.get_system_info.side_effect = fakes.error(
            ngx_exc.AuthenticationFailed, 'bad key', 401)
        err = self.assertRaises(exception.VolumeDriverException,
                                drv.check_for_setup_error)
        self.assert_no_secret(str(err))
        self.assert_no_secret(repr(drv))
        self.assert_no_secret_logged()

    def test_real_client_repr_has_no_token(self):
        """The real client, made by do_setup, shows no token."""
        drv = self.make_driver()
        drv.do_setup(self.ctx)
        self.assertIsInstance(drv.client, ngx_client.NGXStorageClient)
        self.assert_no_secret(repr(drv.client))
        self.assert_no_secret(str(drv.client))
        self.assert_no_secret(repr(vars(drv)))
        drv.client.close()

    def test_token_option_is_secret(self):
        """oslo.config masks the token when it logs options."""
        opts = {o.name: o for o in options.NGXSTORAGE_OPTS}
        self.assertTrue(opts['ngxstorage_api_token'].secret)


class DriverOptionsTestCase(fakes.DriverTestCase):
    """get_driver_options and the appended option groups."""

    def test_driver_options(self):
        """NGXStorage options plus the reused san_* options."""
        names = {o.name for o in
                 ngx_driver.NGXStorageISCSIDriver.get_driver_options()}
        for opt in options.NGXSTORAGE_OPTS:
            self.assertIn(opt.name, names)
        for name in ('san_ip', 'san_api_port', 'san_thin_provision'):
            self.assertIn(name, names)
        self.assertNotIn('san_password', names)

    def test_san_options_available(self):
        """The driver appends the san and ngxstorage options itself."""
        conf = configuration.Configuration(
            cinder_driver.volume_opts, config_group=self.group + '_bare')
        drv = ngx_driver.NGXStorageISCSIDriver(configuration=conf)
        self.assertEqual('', drv.configuration.san_ip)
        self.assertEqual([], drv.configuration.ngxstorage_pools)
        self.assertIs(True, drv.configuration.san_thin_provision)
