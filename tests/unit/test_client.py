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

"""Unit tests of NGXStorageClient with the HTTP layer mocked.

requests_mock stands in for the array: these tests pin the exact method,
path, query and body of each of the 60 operations, the error mapping, the
retry policy, the counters and the masking of secrets.
"""

import inspect
import json
import logging
import re
import threading
from unittest import mock
import urllib.parse

import fixtures
import requests
import requests_mock
from requests_mock.contrib import fixture as rm_fixture
import testtools
from urllib3 import exceptions as urllib3_exc

from cinder_ngxstorage import client
from cinder_ngxstorage import exception
from cinder_ngxstorage.simulator import api_spec

BASE = 'https://array.example.com'
TOKEN = 'tok-5f1d2c9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e'
CHAP_SECRET = 'Chap-S3cret!x9'
V = 'f5d09c2614f903f1c1700e14a36a329f763c56bd'
S = '816479d3d58565ea7670d7c3dc9a25fb143e96e6'
T = 'fc9a57b1fd478fa0aa72fb1bb81cd5129eb1de3f'
G = '59f5004ecb2944f1b456c904f2e9ee9e541c31bb'
P = 'b42ecdf4c9a0e6677546fb4da04b0ebede0476e5'
Q = 'aa5fce737911a2686ca219a71c8e784e8116623b'
IQN = 'iqn.1993-08.org.debian:01:107dc7e4254a'

# (client method, args, kwargs, HTTP method, path, query pairs, body)
OPERATIONS = [
    # Auth group
    ('create_auth_group', ('grp1', '1'), {}, 'POST', '/api/v2/auth_group/',
     None, {'name': 'grp1', 'owner': '1'}),
    ('delete_auth_group', (G,), {}, 'DELETE', '/api/v2/auth_group/' + G,
     None, None),
    ('rename_auth_group', (G, 'grp2', 'X_A'), {}, 'PATCH',
     '/api/v2/auth_group/' + G, None, {'name': 'grp2', 'owner': 'X_A'}),
    ('set_auth_group_chap', (G, 'chapuser', CHAP_SECRET, '1'), {}, 'PATCH',
     '/api/v2/auth_group/chap/' + G, None,
     {'username': 'chapuser', 'password': CHAP_SECRET, 'owner': '1'}),
    ('delete_auth_group_chap', (G,), {}, 'DELETE',
     '/api/v2/auth_group/chap/' + G, None, None),
    ('add_auth_group_iqn', (G, IQN, 'host1', '1'), {}, 'PATCH',
     '/api/v2/auth_group/iqn/' + G, None,
     {'iqn': IQN, 'iqn_alias': 'host1', 'owner': '1'}),
    ('delete_auth_group_iqn', (Q,), {}, 'DELETE',
     '/api/v2/auth_group/iqn/%s/' % Q, None, None),
    ('get_auth_group', (G,), {}, 'GET', '/api/v2/auth_group/' + G, None,
     None),
    ('list_auth_groups_detail', (), {}, 'GET', '/api/v2/auth_group/list',
     None, None),
    ('list_auth_groups', (), {}, 'GET', '/api/v2/auth_group/', None, None),
    # iSCSI target
    ('create_target', ('tgt1', '1', P, '1'), {}, 'POST',
     '/api/v2/target/iscsi/', None,
     {'name': 'tgt1', 'auth_group_id': '1', 'portal_group_id': P,
      'owner': '1'}),
    ('create_target', ('tgt1', G, P, 'X_B'), {'lun_ids': [V]}, 'POST',
     '/api/v2/target/iscsi/', None,
     {'name': 'tgt1', 'auth_group_id': G, 'portal_group_id': P,
      'owner': 'X_B', 'lun_ids': [V]}),
    ('delete_target', (T,), {}, 'DELETE', '/api/v2/iscsi_target/' + T, None,
     None),
    ('rename_target', (T, 'tgt2', '1'), {}, 'PATCH',
     '/api/v2/iscsi_target/' + T, None, {'name': 'tgt2', 'owner': '1'}),
    ('change_target_portal_group', (T, P, '1'), {}, 'PATCH',
     '/api/v2/iscsi_target/portal_group/' + T, None,
     {'portal_group_id': P, 'owner': '1'}),
    ('change_target_auth_group', (T, G, '1'), {}, 'PATCH',
     '/api/v2/iscsi_target/auth_group/' + T, None,
     {'auth_group_id': G, 'owner': '1'}),
    ('add_target_luns', (T, [V, S], '1'), {}, 'PUT',
     '/api/v2/iscsi_target/lun/%s/' % T, None,
     {'lun_ids': [V, S], 'owner': '1'}),
    ('add_target_luns', (T, V, '1'), {}, 'PUT',
     '/api/v2/iscsi_target/lun/%s/' % T, None,
     {'lun_ids': [V], 'owner': '1'}),
    ('remove_target_luns', (T, [V], '1'), {}, 'PATCH',
     '/api/v2/iscsi_target/lun/' + T, None, {'lun_ids': [V], 'owner': '1'}),
    ('get_target', (T,), {}, 'GET', '/api/v2/iscsi_target/' + T, None,
     None),
    ('list_targets_detail', (), {}, 'GET', '/api/v2/iscsi_target/list',
     None, None),
    ('list_targets', (), {}, 'GET', '/api/v2/iscsi_target/', None, None),
    # Log
    ('list_alert_logs', (), {}, 'GET', '/api/v2/log/alert', None, None),
    ('list_alert_logs', (),
     {'types': ['info', 'error'],
      'time_range': ('2025-03-01 00:00:00', '2025-03-31 23:59:59'),
      'sort': ['time', 'id'], 'order': 'desc', 'limit': 10, 'page': 2},
     'GET', '/api/v2/log/alert',
     [('filter[type][]', 'info'), ('filter[type][]', 'error'),
      ('filter[time][]', '2025-03-01 00:00:00'),
      ('filter[time][]', '2025-03-31 23:59:59'),
      ('sort[]', 'time'), ('sort[]', 'id'), ('order', 'desc'),
      ('limit', '10'), ('page', '2')], None),
    ('list_alert_logs', (), {'types': 'warning'}, 'GET', '/api/v2/log/alert',
     [('filter[type][]', 'warning')], None),
    ('list_audit_logs', (), {}, 'GET', '/api/v2/log/audit', None, None),
    ('list_audit_logs', (),
     {'time_range': ['a', 'b'], 'sort': 'time', 'order': 'asc', 'limit': 0,
      'page': 1, 'user': 'admin', 'host': '192.0.2.9', 'agent': 'cinder',
      'description': 'lun & co'},
     'GET', '/api/v2/log/audit',
     [('filter[time][]', 'a'), ('filter[time][]', 'b'), ('sort[]', 'time'),
      ('order', 'asc'), ('limit', '0'), ('page', '1'),
      ('filter[agent]', 'cinder'), ('filter[description]', 'lun & co'),
      ('filter[host]', '192.0.2.9'), ('filter[user]', 'admin')], None),
    ('list_system_events', (), {}, 'GET', '/api/v2/log/system_event', None,
     None),
    ('list_system_events', (),
     {'limit': 5, 'function': 'Power cycle ()', 'action': 'Asserted',
      'sensor': 'Watchdog2 #0xca'},
     'GET', '/api/v2/log/system_event',
     [('limit', '5'), ('filter[action]', 'Asserted'),
      ('filter[function]', 'Power cycle ()'),
      ('filter[sensor]', 'Watchdog2 #0xca')], None),
    # LUN
    ('create_lun', ('pool1', 'lun1', 2), {}, 'POST', '/api/v2/lun/', None,
     {'pool_name': 'pool1', 'name': 'lun1', 'size': 2}),
    ('create_lun', ('pool1', 'lun1', 2),
     {'sing': 'T', 'blocksize': '32k', 'deduplication': 'on',
      'compression': 'off', 'thin_provision': 'on', 'io_type': 'sequential',
      'qos_priority': 32, 'flash_cache': 'on', 'dram_cache': 'off',
      'quantity': 1},
     'POST', '/api/v2/lun/', None,
     {'pool_name': 'pool1', 'name': 'lun1', 'size': 2, 'sing': 'T',
      'blocksize': '32k', 'deduplication': 'on', 'compression': 'off',
      'thin_provision': 'on', 'io_type': 'sequential', 'qos_priority': 32,
      'flash_cache': 'on', 'dram_cache': 'off', 'quantity': 1}),
    ('create_lun', ('pool1', 'lun1', 2), {'thin_provision': None}, 'POST',
     '/api/v2/lun/', None, {'pool_name': 'pool1', 'name': 'lun1', 'size': 2}),
    ('delete_lun', (V,), {}, 'DELETE', '/api/v2/lun/' + V, None, None),
    ('modify_lun', (V,), {'size': 3}, 'PATCH', '/api/v2/lun/' + V, None,
     {'size': 3}),
    ('modify_lun', (V,),
     {'size': 512, 'sing': 'M', 'deduplication': 'off', 'compression': 'on',
      'thin_provision': 'off', 'io_type': 'transactional', 'qos_priority': 4,
      'flash_cache': 'off', 'dram_cache': 'on'},
     'PATCH', '/api/v2/lun/' + V, None,
     {'size': 512, 'sing': 'M', 'deduplication': 'off', 'compression': 'on',
      'thin_provision': 'off', 'io_type': 'transactional', 'qos_priority': 4,
      'flash_cache': 'off', 'dram_cache': 'on'}),
    ('get_lun', (V,), {}, 'GET', '/api/v2/lun/' + V, None, None),
    ('list_luns_detail', (), {}, 'GET', '/api/v2/lun/list', None, None),
    ('list_luns', (), {}, 'GET', '/api/v2/lun/', None, None),
    # Pool
    ('get_pool', (P,), {}, 'GET', '/api/v2/pool/%s/' % P, None, None),
    ('list_pools_detail', (), {}, 'GET', '/api/v2/pool/list', None, None),
    ('list_pools', (), {}, 'GET', '/api/v2/pool', None, None),
    ('get_pools_overview', (), {}, 'GET', '/api/v2/pool/overview', None,
     None),
    # Portal group
    ('get_portal_group', (P,), {}, 'GET', '/api/v2/portal_group/' + P, None,
     None),
    ('list_portal_groups_detail', (), {}, 'GET',
     '/api/v2/portal_group/list', None, None),
    ('list_portal_groups', (), {}, 'GET', '/api/v2/portal_group', None,
     None),
    # Snapshot
    ('create_snapshot', ('snap1', V), {}, 'POST', '/api/v2/snapshot/', None,
     {'name': 'snap1', 'volume_id': V}),
    ('delete_snapshot', (S,), {}, 'DELETE', '/api/v2/snapshot/' + S, None,
     None),
    ('delete_all_snapshots', (V,), {}, 'DELETE',
     '/api/v2/snapshot/all/' + V, None, None),
    ('clone_snapshot', (S, 'clone1'), {}, 'POST',
     '/api/v2/snapshot/clone/' + S, None, {'name': 'clone1'}),
    ('restore_snapshot', (S,), {}, 'POST', '/api/v2/snapshot/restore/' + S,
     None, None),
    ('get_snapshot_schedule', (V,), {}, 'GET',
     '/api/v2/snapshot/schedule/' + V, None, None),
    ('create_snapshot_schedule', (V, '45 23 * * 6', 30), {}, 'POST',
     '/api/v2/snapshot/schedule/' + V, None,
     {'cron_time': '45 23 * * 6', 'keep_max': 30}),
    ('delete_snapshot_schedule', (V,), {}, 'DELETE',
     '/api/v2/snapshot/schedule/' + V, None, None),
    ('get_snapshot', (S,), {}, 'GET', '/api/v2/snapshot/' + S, None, None),
    ('list_snapshots_detail', (), {}, 'GET', '/api/v2/snapshot/list', None,
     None),
    ('list_snapshots_detail', (V,), {}, 'GET', '/api/v2/snapshot/list',
     [('vol_id', V)], None),
    ('list_snapshots', (), {}, 'GET', '/api/v2/snapshot', None, None),
    ('list_snapshots', (), {'vol_id': V}, 'GET', '/api/v2/snapshot',
     [('vol_id', V)], None),
    # Status
    ('get_bandwidth', (), {}, 'GET', '/api/v2/status/bandwidth', None, None),
    ('get_cache', (), {}, 'GET', '/api/v2/status/cache', None, None),
    ('get_capacity', (), {}, 'GET', '/api/v2/status/capacity', None, None),
    ('get_cluster', (), {}, 'GET', '/api/v2/status/cluster', None, None),
    ('get_cpu', (), {}, 'GET', '/api/v2/status/cpu', None, None),
    ('get_enclosures', (), {}, 'GET', '/api/v2/status/enclosures', None,
     None),
    ('get_iops', (), {}, 'GET', '/api/v2/status/iops', None, None),
    ('get_license', (), {}, 'GET', '/api/v2/status/license', None, None),
    ('get_overloaded_volumes', (), {}, 'GET',
     '/api/v2/status/overloaded_volumes', None, None),
    ('get_pool_status', (), {}, 'GET', '/api/v2/status/pools', None, None),
    ('get_services', (), {}, 'GET', '/api/v2/status/services', None, None),
    ('get_system_info', (), {}, 'GET', '/api/v2/status/system_info', None,
     None),
    # Network
    ('get_network_info', (), {}, 'GET', '/api/v2/network/info', None, None),
]

NON_API_METHODS = frozenset(['close'])


def _api_method_names():
    return sorted(
        name for name, _ in inspect.getmembers(client.NGXStorageClient,
                                               inspect.isfunction)
        if not name.startswith('_') and name not in NON_API_METHODS)


def _refused():
    """The exception requests raises when the connection is refused."""
    reason = urllib3_exc.NewConnectionError(
        None, 'Failed to establish a new connection: [Errno 111] '
        'Connection refused')
    return requests.exceptions.ConnectionError(
        urllib3_exc.MaxRetryError(None, '/api/v2/x', reason))


def _reset():
    """The exception requests raises when the array drops the request."""
    return requests.exceptions.ConnectionError(
        urllib3_exc.ProtocolError(
            'Connection aborted.',
            ConnectionResetError(104, 'Connection reset by peer')))


class ClientTestCase(testtools.TestCase):
    """Common set-up: a client and a mocked array."""

    def setUp(self):
        super(ClientTestCase, self).setUp()
        self.http = self.useFixture(rm_fixture.Fixture())
        self._http_base = 0
        # Keep the client's log lines out of the test output.
        self.useFixture(fixtures.FakeLogger(name='cinder_ngxstorage',
                                            level=logging.INFO))
        logger = logging.getLogger('cinder_ngxstorage')
        self.addCleanup(setattr, logger, 'propagate', logger.propagate)
        logger.propagate = False
        self.sleep = self.useFixture(fixtures.MockPatch(
            'cinder_ngxstorage.client.time.sleep', autospec=True)).mock
        self.client = self.make_client()

    def reset_http(self):
        self._http_base = self.http.call_count

    def http_calls(self):
        """HTTP requests made since set-up or the last reset_http()."""
        return self.http.call_count - self._http_base

    def make_client(self, **kwargs):
        kwargs.setdefault('retries', 3)
        kwargs.setdefault('backoff', 0.5)
        kwargs.setdefault('on_request', client.CallCounter())
        return client.NGXStorageClient(BASE, TOKEN, **kwargs)

    def register(self, method, path, responses):
        self.http.register_uri(method, BASE + path, responses)

    def capture_logs(self, level=logging.DEBUG):
        return self.useFixture(fixtures.FakeLogger(
            name='cinder_ngxstorage', level=level,
            format='%(levelname)s %(message)s'))


class RequestShapeTest(ClientTestCase):
    """Each operation sends the documented method, path, query and body."""

    def test_table_covers_every_method(self):
        self.assertEqual(_api_method_names(),
                         sorted(set(op[0] for op in OPERATIONS)))
        self.assertEqual(60, len(_api_method_names()))

    def test_each_operation(self):
        self.http.register_uri(requests_mock.ANY, requests_mock.ANY,
                               json={'success': True})
        for (name, args, kwargs, method, path, query,
             body) in OPERATIONS:
            self.reset_http()
            result = getattr(self.client, name)(*args, **kwargs)
            self.assertEqual({'success': True}, result, name)
            self.assertEqual(1, self.http_calls(), name)
            sent = self.http.last_request
            url = urllib.parse.urlsplit(sent.url)
            self.assertEqual(method, sent.method, name)
            self.assertEqual(path, url.path, name)
            self.assertEqual(query or [],
                             urllib.parse.parse_qsl(url.query,
                                                    keep_blank_values=True),
                             name)
            if body is None:
                self.assertIsNone(sent.body, name)
            else:
                self.assertEqual(body, sent.json(), name)
                self.assertEqual('application/json',
                                 sent.headers['Content-Type'], name)
            self.assertEqual('Bearer ' + TOKEN,
                             sent.headers['Authorization'], name)
            self.assertEqual('application/json', sent.headers['Accept'])
            self.assertEqual('cinder-ngxstorage',
                             sent.headers['User-Agent'])
            self.assertEqual((10.0, 60.0), sent.timeout)
            self.assertFalse(sent.allow_redirects)

    def test_paths_match_api_spec(self):
        # The simulator's operation table is the other reading of the
        # reference: both must agree on every method and path template.
        self.assertEqual(sorted(client.OPERATION_IDS),
                         _api_method_names())
        self.assertEqual(sorted(op.op_id for op in api_spec.OPERATIONS),
                         sorted(client.OPERATION_IDS.values()))
        self.http.register_uri(requests_mock.ANY, requests_mock.ANY,
                               json={'success': True})
        for name, args, kwargs, method, path, _q, _b in OPERATIONS:
            op = api_spec.get(client.OPERATION_IDS[name])
            self.assertEqual(op.method, method, name)
            pattern = re.sub(r'\\\{\w+\\\}', '[^/]+', re.escape(op.path))
            self.assertRegex(path, '^%s$' % pattern, name)

    def test_log_query_wire_form(self):
        self.register('GET', '/api/v2/log/alert', [{'json': []}])
        self.client.list_alert_logs(types=['info', 'error'],
                                    time_range=('s', 'e'), sort='time')
        query = urllib.parse.urlsplit(self.http.last_request.url).query
        self.assertEqual(
            'filter%5Btype%5D%5B%5D=info&filter%5Btype%5D%5B%5D=error&'
            'filter%5Btime%5D%5B%5D=s&filter%5Btime%5D%5B%5D=e&'
            'sort%5B%5D=time', query)

    def test_time_range_needs_two_bounds(self):
        self.assertRaises(ValueError, self.client.list_audit_logs,
                          time_range=('only-start',))

    def test_path_parameters_are_escaped(self):
        self.register('GET', '/api/v2/lun/a%2Fb%20c%3F%23', [{'json': {}}])
        self.client.get_lun('a/b c?#')
        self.assertEqual('/api/v2/lun/a%2Fb%20c%3F%23',
                         urllib.parse.urlsplit(
                             self.http.last_request.url).path)

    def test_path_parameters_that_change_the_path_are_refused(self):
        for bad in ('', None, '.', '..', True):
            self.assertRaises(ValueError, self.client.get_lun, bad)
            self.assertRaises(ValueError, self.client.delete_lun, bad)
        self.assertEqual(0, self.http_calls())

    def test_unknown_lun_property_is_refused(self):
        self.assertRaises(TypeError, self.client.create_lun, 'p', 'n', 1,
                          force='true')
        self.assertRaises(TypeError, self.client.modify_lun, V,
                          blocksize='8k')
        self.assertEqual(0, self.http_calls())

    def test_base_url_forms(self):
        self.assertEqual(
            'https://10.0.0.5',
            client.NGXStorageClient('https://10.0.0.5/', TOKEN).base_url)
        self.assertEqual(
            'http://127.0.0.1:8080',
            client.NGXStorageClient('http://127.0.0.1:8080/api/v2/',
                                    TOKEN).base_url)
        for bad in ('10.0.0.5', 'ftp://h', 'https://', None,
                    'https://admin:pw@h'):
            self.assertRaises(ValueError, client.NGXStorageClient, bad,
                              TOKEN)
        self.assertRaises(ValueError, client.NGXStorageClient, BASE, '')

    def test_verify_options(self):
        ca = self.useFixture(fixtures.TempDir()).join('ca.pem')
        with open(ca, 'w') as f:
            f.write('not really a CA\n')
        self.register('GET', '/api/v2/pool', [{'json': []}])
        c = client.NGXStorageClient(BASE, TOKEN, verify=ca,
                                    connect_timeout=3, read_timeout=7)
        c.list_pools()
        self.assertEqual(ca, self.http.last_request.verify)
        self.assertEqual((3.0, 7.0), self.http.last_request.timeout)
        c = client.NGXStorageClient(BASE, TOKEN, verify=False)
        c.list_pools()
        self.assertIs(False, self.http.last_request.verify)
        self.assertRaises(ValueError, client.NGXStorageClient, BASE, TOKEN,
                          verify='/nonexistent/ca.pem')
        self.assertRaises(ValueError, client.NGXStorageClient, BASE, TOKEN,
                          verify=1)

    def test_connection_pool_size(self):
        c = self.make_client(pool_maxsize=7)
        adapter = c._session.get_adapter(BASE)
        self.assertEqual(7, adapter._pool_maxsize)
        self.assertIs(adapter, c._session.get_adapter('http://h'))

    def test_user_agent(self):
        self.register('GET', '/api/v2/pool', [{'json': []}])
        self.make_client(user_agent='ua/1').list_pools()
        self.assertEqual('ua/1',
                         self.http.last_request.headers['User-Agent'])


class ResponseTest(ClientTestCase):
    """Decoding of answers and mapping of errors."""

    def setUp(self):
        super(ResponseTest, self).setUp()
        self.client = self.make_client(retries=0)

    def test_returns_decoded_json_unmodified(self):
        answer = [{'vol_size': '1073741824', 'qos_priority': 16,
                   'protocols': {'iscsi': None}}]
        self.register('GET', '/api/v2/lun/list', [{'json': answer}])
        self.assertEqual(answer, self.client.list_luns_detail())

    def test_string_true_success_is_success(self):
        answer = {'success': 'true', 'id': G}
        self.register('POST', '/api/v2/auth_group/', [{'json': answer}])
        self.assertEqual(answer, self.client.create_auth_group('g', '1'))

    def test_error_status_mapping(self):
        cases = [(400, exception.ValidationFailed),
                 (401, exception.AuthenticationFailed),
                 (403, exception.PermissionDenied),
                 (404, exception.NotFound),
                 (409, exception.Conflict),
                 (422, exception.ValidationFailed),
                 (405, exception.RequestFailed),
                 (429, exception.RequestFailed),
                 (500, exception.ServerError),
                 (502, exception.ServerError),
                 (503, exception.ServerError)]
        for status, cls in cases:
            self.register('GET', '/api/v2/lun/' + V, [{
                'status_code': status,
                'json': {'success': False,
                         'message': 'array says %d' % status}}])
            err = self.assertRaises(cls, self.client.get_lun, V)
            self.assertEqual(status, err.status)
            self.assertEqual('GET', err.method)
            self.assertEqual('/api/v2/lun/' + V, err.path)
            self.assertEqual('array says %d' % status, err.message)
            self.assertEqual('GET /api/v2/lun/%s failed: HTTP %d: array '
                             'says %d' % (V, status, status), str(err))
            self.assertIsInstance(err, exception.NGXStorageError)

    def test_transient_hierarchy(self):
        for cls in (exception.ServerError, exception.ConnectionFailed,
                    exception.RequestTimeout,
                    exception.TLSVerificationFailed):
            self.assertTrue(issubclass(cls, exception.TransientError))
        self.assertTrue(issubclass(exception.TLSVerificationFailed,
                                   exception.ConnectionFailed))
        for cls in (exception.RequestFailed, exception.NotFound,
                    exception.Conflict, exception.InvalidResponse,
                    exception.ValidationFailed):
            self.assertFalse(issubclass(cls, exception.TransientError))

    def test_success_false_is_an_error(self):
        for flag in (False, 'false', 'False', ' FALSE '):
            self.register('POST', '/api/v2/lun/', [{
                'json': {'success': flag, 'message': 'pool is full'}}])
            err = self.assertRaises(exception.RequestFailed,
                                    self.client.create_lun, 'p', 'l', 1)
            self.assertEqual(200, err.status)
            self.assertEqual('pool is full', err.message)
            self.assertEqual('POST /api/v2/lun/ failed: HTTP 200: pool is '
                             'full', str(err))

    def test_success_false_without_message(self):
        self.register('DELETE', '/api/v2/lun/' + V,
                      [{'json': {'success': 'false'}}])
        err = self.assertRaises(exception.RequestFailed,
                                self.client.delete_lun, V)
        self.assertIn('success', err.message)

    def test_lun_entry_success_false_is_an_error(self):
        self.register('POST', '/api/v2/lun/', [{'json': {
            'success': True,
            'luns': [{'success': 'false', 'message': 'no space'}]}}])
        err = self.assertRaises(exception.RequestFailed,
                                self.client.create_lun, 'p', 'l', 1)
        self.assertEqual('no space', err.message)

    def test_html_body(self):
        self.register('GET', '/api/v2/pool', [{
            'text': '<html><body><h1>Welcome</h1><p>Log in</p></body>'
                    '</html>',
            'headers': {'Content-Type': 'text/html'}}])
        err = self.assertRaises(exception.InvalidResponse,
                                self.client.list_pools)
        self.assertIn('not valid JSON', err.message)
        self.assertIn('text/html', err.message)
        self.assertIn('Welcome Log in', err.message)
        self.assertNotIn('<h1>', err.message)

    def test_html_error_page_keeps_status_mapping(self):
        self.register('GET', '/api/v2/pool', [{
            'status_code': 502,
            'text': '<html><title>502 Bad Gateway</title></html>'}])
        err = self.assertRaises(exception.ServerError,
                                self.client.list_pools)
        self.assertEqual('502 Bad Gateway', err.message)

    def test_truncated_json(self):
        self.register('GET', '/api/v2/lun/list',
                      [{'text': '[{"vol_id": "abc", "vol_size": "10'}])
        self.assertRaises(exception.InvalidResponse,
                          self.client.list_luns_detail)

    def test_over_size_body(self):
        big = b'[' + b'0,' * (client.MAX_BODY_BYTES // 2) + b'0]'
        self.register('GET', '/api/v2/lun/list', [{'content': big}])
        err = self.assertRaises(exception.InvalidResponse,
                                self.client.list_luns_detail)
        self.assertIn('limit', err.message)

    def test_over_size_content_length(self):
        self.register('GET', '/api/v2/lun/list', [{
            'content': b'[]',
            'headers': {'Content-Length': str(client.MAX_BODY_BYTES + 1)}}])
        self.assertRaises(exception.InvalidResponse,
                          self.client.list_luns_detail)

    def test_empty_body(self):
        self.register('DELETE', '/api/v2/snapshot/schedule/' + V,
                      [{'text': ''}])
        self.assertEqual({}, self.client.delete_snapshot_schedule(V))
        self.register('GET', '/api/v2/pool', [{'text': ''}])
        self.assertRaises(exception.InvalidResponse, self.client.list_pools)

    def test_empty_object_is_returned(self):
        self.register('DELETE', '/api/v2/auth_group/iqn/%s/' % Q,
                      [{'json': {}}])
        self.assertEqual({}, self.client.delete_auth_group_iqn(Q))

    def test_redirect_is_not_followed(self):
        self.register('POST', '/api/v2/lun/', [{
            'status_code': 301,
            'headers': {'Location': 'https://other/api/v2/lun/'}}])
        err = self.assertRaises(exception.InvalidResponse,
                                self.client.create_lun, 'p', 'l', 1)
        self.assertIn('https://other/api/v2/lun/', err.message)
        self.assertEqual(1, self.http_calls())

    def test_error_without_json_message(self):
        self.register('GET', '/api/v2/pool', [{
            'status_code': 409, 'json': {'success': False,
                                         'code': 'E_BUSY'}}])
        err = self.assertRaises(exception.Conflict, self.client.list_pools)
        self.assertIn('E_BUSY', err.message)

    def test_exception_pickles(self):
        import pickle
        err = exception.Conflict('busy', method='GET', path='/x',
                                 status=409)
        copy = pickle.loads(pickle.dumps(err))
        self.assertEqual((str(err), 409, '/x'),
                         (str(copy), copy.status, copy.path))

    def test_exception_without_request(self):
        self.assertEqual('boom', str(exception.NGXStorageError('boom')))
        self.assertEqual('not found', str(exception.NotFound()))
        self.assertEqual('GET /p failed: refused', str(
            exception.ConnectionFailed('refused', method='GET',
                                       path='/p')))


class TransportErrorTest(ClientTestCase):
    """Failures before any answer arrived."""

    def setUp(self):
        super(TransportErrorTest, self).setUp()
        self.client = self.make_client(retries=0)

    def test_refused(self):
        self.register('GET', '/api/v2/pool', [{'exc': _refused()}])
        err = self.assertRaises(exception.ConnectionFailed,
                                self.client.list_pools)
        self.assertIs(False, err.request_sent)
        self.assertIsNone(err.status)
        self.assertIn('cannot connect to array.example.com', str(err))

    def test_reset(self):
        self.register('GET', '/api/v2/pool', [{'exc': _reset()}])
        err = self.assertRaises(exception.ConnectionFailed,
                                self.client.list_pools)
        self.assertIs(True, err.request_sent)

    def test_connect_timeout(self):
        self.register('GET', '/api/v2/pool',
                      [{'exc': requests.exceptions.ConnectTimeout}])
        err = self.assertRaises(exception.RequestTimeout,
                                self.client.list_pools)
        self.assertIs(False, err.request_sent)

    def test_read_timeout(self):
        self.register('GET', '/api/v2/pool',
                      [{'exc': requests.exceptions.ReadTimeout}])
        err = self.assertRaises(exception.RequestTimeout,
                                self.client.list_pools)
        self.assertIs(True, err.request_sent)
        self.assertIn('60.0 s', err.message)

    def test_certificate_verification_failed(self):
        exc = requests.exceptions.SSLError(urllib3_exc.MaxRetryError(
            None, '/', urllib3_exc.SSLError(
                '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify '
                'failed: self-signed certificate')))
        self.register('GET', '/api/v2/pool', [{'exc': exc}])
        err = self.assertRaises(exception.TLSVerificationFailed,
                                self.client.list_pools)
        self.assertIn('certificate verification failed for '
                      'array.example.com', str(err))
        self.assertIn('CA bundle', str(err))

    def test_tls_to_a_plain_port(self):
        exc = requests.exceptions.SSLError(urllib3_exc.MaxRetryError(
            None, '/', urllib3_exc.SSLError(
                '[SSL: WRONG_VERSION_NUMBER] wrong version number')))
        self.register('GET', '/api/v2/pool', [{'exc': exc}])
        err = self.assertRaises(exception.ConnectionFailed,
                                self.client.list_pools)
        self.assertNotIsInstance(err, exception.TLSVerificationFailed)
        self.assertIn('plain HTTP', str(err))

    def test_plain_http_to_a_tls_port(self):
        c = client.NGXStorageClient('http://array.example.com:443', TOKEN,
                                    retries=0)
        self.http.register_uri(
            'GET', 'http://array.example.com:443/api/v2/pool',
            exc=requests.exceptions.ConnectionError(
                urllib3_exc.ProtocolError(
                    'Connection aborted.', ConnectionResetError(104, 'x'))))
        err = self.assertRaises(exception.ConnectionFailed, c.list_pools)
        self.assertIn('https://', str(err))


class RetryTest(ClientTestCase):
    """Retries happen only where sending again is safe."""

    def test_get_retried_on_503_then_succeeds(self):
        logs = self.capture_logs(logging.WARNING)
        self.register('GET', '/api/v2/lun/' + V, [
            {'status_code': 503, 'json': {'message': 'busy'}},
            {'status_code': 503, 'json': {'message': 'busy'}},
            {'json': {'vol_id': V}}])
        self.assertEqual({'vol_id': V}, self.client.get_lun(V))
        self.assertEqual(3, self.http_calls())
        self.assertEqual(1, self.client.on_request.counts['get_lun'])
        self.assertEqual([mock.call(0.5), mock.call(1.0)],
                         self.sleep.call_args_list)
        self.assertEqual(2, logs.output.count('WARNING'))
        self.assertIn('retry 1 of 3', logs.output)
        self.assertNotIn(TOKEN, logs.output)

    def test_get_gives_up_after_retries(self):
        self.register('GET', '/api/v2/pool', [{'status_code': 500,
                                               'json': {'message': 'x'}}])
        self.assertRaises(exception.ServerError, self.client.list_pools)
        self.assertEqual(4, self.http_calls())
        self.assertEqual([mock.call(0.5), mock.call(1.0), mock.call(2.0)],
                         self.sleep.call_args_list)

    def test_backoff_is_capped(self):
        c = self.make_client(retries=4, backoff=20)
        self.register('GET', '/api/v2/pool', [{'exc': _reset()}])
        self.assertRaises(exception.ConnectionFailed, c.list_pools)
        self.assertEqual([mock.call(20.0), mock.call(30.0),
                          mock.call(30.0), mock.call(30.0)],
                         self.sleep.call_args_list)

    def test_no_retries_configured(self):
        c = self.make_client(retries=0)
        self.register('GET', '/api/v2/pool', [{'status_code': 503}])
        self.assertRaises(exception.ServerError, c.list_pools)
        self.assertEqual(1, self.http_calls())

    def test_get_retried_on_timeout_and_reset(self):
        self.register('GET', '/api/v2/pool', [
            {'exc': requests.exceptions.ReadTimeout},
            {'exc': _reset()},
            {'json': []}])
        self.assertEqual([], self.client.list_pools())
        self.assertEqual(3, self.http_calls())

    def test_4xx_never_retried(self):
        for status in (400, 401, 403, 404, 409, 429):
            self.reset_http()
            self.register('GET', '/api/v2/pool', [{'status_code': status}])
            self.assertRaises(exception.NGXStorageError,
                              self.client.list_pools)
            self.assertEqual(1, self.http_calls(), status)
            self.register('DELETE', '/api/v2/lun/' + V,
                          [{'status_code': status}])
            self.reset_http()
            self.assertRaises(exception.NGXStorageError,
                              self.client.delete_lun, V)
            self.assertEqual(1, self.http_calls(), status)

    def test_success_false_not_retried(self):
        self.register('GET', '/api/v2/pool',
                      [{'json': {'success': False}}])
        self.assertRaises(exception.RequestFailed, self.client.list_pools)
        self.assertEqual(1, self.http_calls())

    def test_invalid_response_not_retried(self):
        self.register('GET', '/api/v2/pool', [{'text': '<html>'}])
        self.assertRaises(exception.InvalidResponse, self.client.list_pools)
        self.assertEqual(1, self.http_calls())

    def test_post_not_retried_on_500(self):
        self.register('POST', '/api/v2/lun/', [
            {'status_code': 500, 'json': {'message': 'oops'}},
            {'json': {'success': True}}])
        self.assertRaises(exception.ServerError, self.client.create_lun,
                          'p', 'l', 1)
        self.assertEqual(1, self.http_calls())
        self.sleep.assert_not_called()

    def test_post_not_retried_on_read_timeout(self):
        self.register('POST', '/api/v2/snapshot/', [
            {'exc': requests.exceptions.ReadTimeout},
            {'json': {'success': True}}])
        self.assertRaises(exception.RequestTimeout,
                          self.client.create_snapshot, 's', V)
        self.assertEqual(1, self.http_calls())

    def test_mutations_not_retried_on_reset(self):
        calls = [('POST', '/api/v2/lun/', 'create_lun', ('p', 'l', 1)),
                 ('PUT', '/api/v2/iscsi_target/lun/%s/' % T,
                  'add_target_luns', (T, [V], '1')),
                 ('PATCH', '/api/v2/lun/' + V, 'modify_lun', (V,))]
        for method, path, name, args in calls:
            self.reset_http()
            self.register(method, path, [{'exc': _reset()},
                                         {'json': {'success': True}}])
            self.assertRaises(exception.ConnectionFailed,
                              getattr(self.client, name), *args)
            self.assertEqual(1, self.http_calls(), name)

    def test_post_retried_when_connection_refused(self):
        self.register('POST', '/api/v2/lun/', [
            {'exc': _refused()},
            {'exc': requests.exceptions.ConnectTimeout},
            {'json': {'success': True, 'luns': []}}])
        self.assertEqual({'success': True, 'luns': []},
                         self.client.create_lun('p', 'l', 1))
        self.assertEqual(3, self.http_calls())
        self.assertEqual(1, self.client.on_request.counts['create_lun'])

    def test_delete_retried_and_404_on_retry_is_success(self):
        self.register('DELETE', '/api/v2/lun/' + V, [
            {'status_code': 503, 'json': {'message': 'busy'}},
            {'status_code': 404, 'json': {'success': False,
                                          'message': 'no such LUN'}}])
        self.assertEqual({'success': True}, self.client.delete_lun(V))
        self.assertEqual(2, self.http_calls())

    def test_delete_after_read_timeout_404_is_success(self):
        self.register('DELETE', '/api/v2/snapshot/' + S, [
            {'exc': requests.exceptions.ReadTimeout},
            {'status_code': 404}])
        self.assertEqual({'success': True}, self.client.delete_snapshot(S))

    def test_delete_404_on_first_attempt_is_not_found(self):
        self.register('DELETE', '/api/v2/lun/' + V, [{'status_code': 404}])
        self.assertRaises(exception.NotFound, self.client.delete_lun, V)
        self.assertEqual(1, self.http_calls())

    def test_delete_404_after_refused_is_not_found(self):
        # The refused attempt never reached the array: the 404 is real.
        self.register('DELETE', '/api/v2/lun/' + V, [
            {'exc': _refused()}, {'status_code': 404}])
        self.assertRaises(exception.NotFound, self.client.delete_lun, V)
        self.assertEqual(2, self.http_calls())

    def test_tls_verification_not_retried(self):
        exc = requests.exceptions.SSLError(
            'certificate verify failed: unable to get local issuer')
        self.register('GET', '/api/v2/pool', [{'exc': exc}])
        self.assertRaises(exception.TLSVerificationFailed,
                          self.client.list_pools)
        self.assertEqual(1, self.http_calls())


class CounterTest(ClientTestCase):
    """Per-method call counters."""

    def test_counts_per_method(self):
        self.http.register_uri(requests_mock.ANY, requests_mock.ANY,
                               json={'success': True})
        self.client.list_pools()
        self.client.list_pools()
        self.client.get_lun(V)
        self.assertEqual({'list_pools': 2, 'get_lun': 1},
                         dict(self.client.on_request.counts))
        self.assertEqual(3, self.client.on_request.total())
        self.client.on_request.reset()
        self.assertEqual(0, self.client.on_request.total())
        self.assertEqual(0, self.client.on_request.counts['list_pools'])

    def test_failed_calls_count(self):
        self.register('GET', '/api/v2/pool', [{'status_code': 404}])
        self.assertRaises(exception.NotFound, self.client.list_pools)
        self.assertEqual(1, self.client.on_request.counts['list_pools'])

    def test_concurrent_counting(self):
        self.http.register_uri(requests_mock.ANY, requests_mock.ANY,
                               json={'success': True})
        errors = []

        def worker():
            try:
                for _ in range(50):
                    self.client.get_cpu()
                    self.client.get_iops()
            except Exception as exc:  # pragma: no cover
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([], errors)
        self.assertEqual(400, self.client.on_request.counts['get_cpu'])
        self.assertEqual(400, self.client.on_request.counts['get_iops'])
        self.assertEqual(800, self.client.on_request.total())


class RedactionTest(ClientTestCase):
    """Neither the API key nor a CHAP secret leaks anywhere."""

    def test_debug_log_one_line_per_call(self):
        logs = self.capture_logs()
        self.register('GET', '/api/v2/lun/' + V, [{'json': {'vol_id': V}}])
        self.client.get_lun(V)
        lines = [ln for ln in logs.output.splitlines() if ln]
        self.assertEqual(1, len(lines))
        self.assertRegex(lines[0], r'^DEBUG GET /api/v2/lun/%s -> 200 in '
                         r'\d+ ms; request: -; response: \{"vol_id": "%s"\}$'
                         % (V, V))

    def test_chap_secret_and_token_not_logged(self):
        logs = self.capture_logs()
        self.register('PATCH', '/api/v2/auth_group/chap/' + G, [
            {'status_code': 400,
             'json': {'success': False,
                      'message': 'bad secret %s for token %s'
                                 % (CHAP_SECRET, TOKEN)}},
            {'json': {'success': True, 'echo': CHAP_SECRET}}])
        err = self.assertRaises(exception.ValidationFailed,
                                self.client.set_auth_group_chap,
                                G, 'user1', CHAP_SECRET, '1')
        self.assertEqual({'success': True, 'echo': CHAP_SECRET},
                         self.client.set_auth_group_chap(G, 'user1',
                                                         CHAP_SECRET, '1'))
        self.assertEqual({'username': 'user1', 'password': CHAP_SECRET,
                          'owner': '1'}, self.http.last_request.json())
        for text in (logs.output, str(err), repr(err), err.message):
            self.assertNotIn(CHAP_SECRET, text)
            self.assertNotIn(TOKEN, text)
        self.assertIn('PATCH /api/v2/auth_group/chap/%s -> 400' % G,
                      logs.output)
        self.assertIn('"password": "***"', logs.output)
        self.assertIn('"username": "user1"', logs.output)

    def test_chap_secret_in_response_not_logged(self):
        logs = self.capture_logs()
        answer = {'chap': {'password': CHAP_SECRET, 'username': 'u'},
                  'chap_status': 1, 'group_id': G, 'initiator': []}
        self.register('GET', '/api/v2/auth_group/' + G, [{'json': answer}])
        self.assertEqual(answer, self.client.get_auth_group(G))
        self.register('GET', '/api/v2/auth_group/list', [{'json': [answer]}])
        self.assertEqual([answer], self.client.list_auth_groups_detail())
        self.assertNotIn(CHAP_SECRET, logs.output)
        self.assertIn('"chap_status": 1', logs.output)

    def test_echoed_body_masked_in_exception(self):
        self.register('PATCH', '/api/v2/auth_group/chap/' + G, [{
            'status_code': 500,
            'text': 'Traceback: body={"password": "%s"} '
                    'Authorization: Bearer %s' % (CHAP_SECRET, TOKEN)}])
        err = self.assertRaises(exception.ServerError,
                                self.make_client(retries=0)
                                .set_auth_group_chap,
                                G, 'u', CHAP_SECRET, '1')
        self.assertNotIn(CHAP_SECRET, str(err))
        self.assertNotIn(TOKEN, str(err))

    def test_exception_message_masks_key_value_pairs(self):
        err = exception.ValidationFailed(
            'bad body {"username": "u", "password": "hunter2hunter2"}',
            method='PATCH', path='/api/v2/auth_group/chap/x', status=400)
        self.assertNotIn('hunter2hunter2', str(err))
        self.assertIn('"username": "u"', str(err))

    def test_client_repr_and_str(self):
        for text in (repr(self.client), str(self.client),
                     repr(self.client._session.auth)):
            self.assertNotIn(TOKEN, text)
        self.assertIn('array.example.com', repr(self.client))

    def test_token_not_in_transport_errors_or_retry_warnings(self):
        logs = self.capture_logs()
        self.register('GET', '/api/v2/pool', [
            {'exc': requests.exceptions.ConnectionError(
                'reset while sending Authorization: Bearer %s' % TOKEN)}])
        err = self.assertRaises(exception.ConnectionFailed,
                                self.client.list_pools)
        self.assertNotIn(TOKEN, str(err))
        self.assertIn('WARNING', logs.output)
        self.assertNotIn(TOKEN, logs.output)

    def test_token_sent_only_in_authorization_header(self):
        self.register('POST', '/api/v2/lun/', [{'json': {'success': True}}])
        self.client.create_lun('p', 'l', 1)
        sent = self.http.last_request
        self.assertNotIn(TOKEN, sent.url)
        self.assertNotIn(TOKEN, sent.body.decode()
                         if isinstance(sent.body, bytes) else sent.body)

    def test_netrc_does_not_replace_the_key(self):
        home = self.useFixture(fixtures.TempHomeDir()).path
        with open(home + '/.netrc', 'w') as f:
            f.write('machine array.example.com login a password b\n')
        self.register('GET', '/api/v2/pool', [{'json': []}])
        self.make_client().list_pools()
        self.assertEqual('Bearer ' + TOKEN,
                         self.http.last_request.headers['Authorization'])

    def test_logged_request_body_is_json(self):
        logs = self.capture_logs()
        self.register('POST', '/api/v2/snapshot/', [{'json': {'snap_id': S}}])
        self.client.create_snapshot('s1', V)
        line = logs.output.strip()
        request = line.split('; request: ', 1)[1].split('; response: ')[0]
        self.assertEqual({'name': 's1', 'volume_id': V}, json.loads(request))
