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

"""API keys over HTTP: 401 / 403 matrix, pool scope, check order."""

import json
import os
import tempfile
import time

from cinder_ngxstorage.simulator import keys
from tests.functional.simulator import base

API = base.API


class AuthMatrixTest(base.SimulatorTestCase):
    """Who may call what."""

    def test_default_key_works(self):
        """The default key may call everything."""
        response = self.http.request('GET', API + '/pool')
        self.assertEqual(200, response.status_code)

    def test_no_key(self):
        """No Authorization header: 401 with a Bearer challenge."""
        response = self.http.request('GET', API + '/pool', token=False)
        self.assertError(response, 401, 'Authorization')
        self.assertIn('Bearer', response.headers['WWW-Authenticate'])

    def test_wrong_scheme(self):
        """Basic (or any non-Bearer) authorization: 401."""
        response = self.http.request(
            'GET', API + '/pool', token=False,
            headers={'Authorization': 'Basic %s' % self.sim.token})
        self.assertError(response, 401, 'Bearer')

    def test_scheme_is_case_insensitive(self):
        """'bearer' works like 'Bearer' (RFC 7235)."""
        response = self.http.request(
            'GET', API + '/pool', token=False,
            headers={'Authorization': 'bearer %s' % self.sim.token})
        self.assertEqual(200, response.status_code)

    def test_wrong_key(self):
        """Unknown key: 401, and the message does not echo it."""
        response = self.http.request('GET', API + '/pool',
                                     token='not-a-key-1234567890')
        message = self.assertError(response, 401, 'Unknown API key')
        self.assertNotIn('not-a-key-1234567890', message)

    def test_expired_key(self):
        """A key whose expiry passed: 401."""
        token = self.sim.add_key('old', expires_at=time.time() - 1)
        response = self.http.request('GET', API + '/pool', token=token)
        self.assertError(response, 401, 'expired')

    def test_not_yet_expired_key(self):
        """A key expiring in the future works."""
        token = self.sim.add_key('young', expires_at='2999-01-01T00:00:00Z')
        response = self.http.request('GET', API + '/pool', token=token)
        self.assertEqual(200, response.status_code)

    def test_disabled_key(self):
        """A disabled key: 401."""
        token = self.sim.add_key('off', enabled=False)
        response = self.http.request('GET', API + '/pool', token=token)
        self.assertError(response, 401, 'disabled')

    def test_endpoint_not_permitted(self):
        """A key without the operation's permission: 403."""
        token = self.sim.add_key('monitor', permissions=('status.*',
                                                         'pool.list'))
        self.assertEqual(200, self.http.request(
            'GET', API + '/status/capacity', token=token).status_code)
        self.assertEqual(200, self.http.request(
            'GET', API + '/pool', token=token).status_code)
        response = self.http.request('GET', API + '/lun/', token=token)
        self.assertError(response, 403, 'lun.list', 'monitor')
        response = self.http.request(
            'POST', API + '/lun/', token=token,
            json={'pool_name': 'pool1', 'name': 'x', 'size': 1})
        self.assertError(response, 403, 'lun.create')
        self.assertEqual([], self.sim.state.luns())

    def test_exact_permission(self):
        """A permission may name one operation exactly."""
        token = self.sim.add_key('creator', permissions=['lun.create'])
        self.http.create_lun('l1', token=token)
        response = self.http.request('GET', API + '/lun/list', token=token)
        self.assertError(response, 403, 'lun.detail_list')

    def test_pool_out_of_scope(self):
        """A key limited to pool2 cannot touch pool1's objects: 403."""
        vol_in_pool1 = self.http.create_lun('l1', pool='pool1')
        vol_in_pool2 = self.http.create_lun('l2', pool='pool2')
        token = self.sim.add_key('pool2only', pools=['pool2'])
        response = self.http.request(
            'POST', API + '/lun/', token=token,
            json={'pool_name': 'pool1', 'name': 'l3', 'size': 1})
        self.assertEqual(403, response.status_code, response.text)
        response = self.http.request('GET', API + '/lun/' + vol_in_pool1,
                                     token=token)
        self.assertEqual(403, response.status_code, response.text)
        response = self.http.request('DELETE', API + '/lun/' + vol_in_pool1,
                                     token=token)
        self.assertEqual(403, response.status_code, response.text)
        response = self.http.request('GET', API + '/lun/' + vol_in_pool2,
                                     token=token)
        self.assertEqual(200, response.status_code, response.text)
        listed = self.http.request('GET', API + '/lun/', token=token).json()
        self.assertEqual([vol_in_pool2], [lun['vol_id'] for lun in listed])
        capacity = self.http.request('GET', API + '/status/capacity',
                                     token=token).json()
        self.assertEqual(['pool2'], sorted(capacity))
        self.assertEqual(2, len(self.sim.state.luns()))

    def test_check_order_401_before_403_before_400(self):
        """401 beats 403 (endpoint) beats 400 (validation)."""
        token = self.sim.add_key('monitor', permissions=('status.*',))
        bad_body = {'pool_name': 'pool1', 'name': 'bad name!', 'size': 1}
        response = self.http.request('POST', API + '/lun/', token=False,
                                     json=bad_body)
        self.assertEqual(401, response.status_code)
        response = self.http.request('POST', API + '/lun/', token=token,
                                     json=bad_body)
        self.assertEqual(403, response.status_code)
        response = self.http.request('POST', API + '/lun/', json=bad_body)
        self.assertEqual(400, response.status_code)

    def test_check_order_400_before_404(self):
        """A malformed id is a 400 even though no such object exists."""
        response = self.http.request('DELETE', API + '/lun/zz')
        self.assertError(response, 400, "'vol_id'")
        response = self.http.request('DELETE', API + '/lun/' + 'ab' * 20)
        self.assertEqual(404, response.status_code)

    def test_unknown_path_needs_a_key_first(self):
        """Under /api/v2 the key is checked before routing."""
        response = self.http.request('GET', API + '/nothing', token=False)
        self.assertEqual(401, response.status_code)
        response = self.http.request('GET', API + '/nothing')
        self.assertEqual(404, response.status_code)

    def test_audit_names_the_key(self):
        """The audit log's user is the key name, never the token."""
        token = self.sim.add_key('auditor')
        self.http.create_lun('l1', token=token)
        entries = self.http.request('GET', API + '/log/audit',
                                    params={'filter[user]': 'auditor'})
        self.assertEqual(200, entries.status_code)
        self.assertEqual(1, len(entries.json()))
        self.assertNotIn(token, entries.text)
        self.assertNotIn(self.sim.token, entries.text)


class AdminAuthTest(base.SimulatorTestCase):
    """The /_sim/ admin paths require the admin token."""

    def test_admin_needs_admin_token(self):
        """No header or a wrong one: 401; the API token is not enough."""
        for token in ('', 'wrong', self.sim.token):
            response = self.http.admin('GET', '/requests', admin_token=token)
            self.assertError(response, 401, 'X-Sim-Admin')
        self.assertEqual(200, self.http.admin('GET', '/requests')
                         .status_code)

    def test_admin_token_is_not_an_api_key(self):
        """The admin token does not open the API."""
        response = self.http.request('GET', API + '/pool',
                                     token=self.sim.admin_token)
        self.assertEqual(401, response.status_code)

    def test_add_key_over_admin_path(self):
        """POST /_sim/keys adds a working, limited key."""
        response = self.http.admin('POST', '/keys', json={
            'name': 'ci', 'permissions': ['pool.*']})
        self.assertEqual(200, response.status_code, response.text)
        token = response.json()['token']
        self.assertEqual(200, self.http.request(
            'GET', API + '/pool', token=token).status_code)
        self.assertEqual(403, self.http.request(
            'GET', API + '/lun/', token=token).status_code)
        listed = self.http.admin('GET', '/keys').json()
        self.assertEqual(['admin', 'ci'], [k['name'] for k in listed])
        self.assertNotIn(token, json.dumps(listed))

    def test_bad_key_over_admin_path(self):
        """A malformed key: 400."""
        response = self.http.admin('POST', '/keys', json={'token': 'x'})
        self.assertEqual(400, response.status_code)
        response = self.http.admin('POST', '/keys', json={
            'name': 'dup', 'token': self.sim.token})
        self.assertEqual(400, response.status_code)


class KeysFileTest(base.SimulatorTestCase):
    """Keys loaded from a keys file."""

    def test_keys_file(self):
        """List form and object form; ISO and epoch expiry."""
        directory = tempfile.mkdtemp()
        path = os.path.join(directory, 'keys.json')
        with open(path, 'w') as f:
            json.dump({'keys': [
                {'name': 'reader', 'token': 'reader-token-123',
                 'permissions': ['*.list', '*.detail_list', 'status.*']},
                {'name': 'gone', 'token': 'gone-token-123',
                 'expires_at': '2001-01-01T00:00:00'},
                {'name': 'epoch', 'token': 'epoch-token-123',
                 'expires_at': time.time() + 3600, 'pools': ['pool1']},
            ]}, f)
        self.assertEqual(['reader', 'gone', 'epoch'],
                         self.sim.keys.load_file(path))
        self.assertEqual(200, self.http.request(
            'GET', API + '/lun/list', token='reader-token-123').status_code)
        self.assertEqual(403, self.http.request(
            'DELETE', API + '/lun/' + 'a' * 40,
            token='reader-token-123').status_code)
        self.assertEqual(401, self.http.request(
            'GET', API + '/pool', token='gone-token-123').status_code)
        capacity = self.http.request('GET', API + '/status/capacity',
                                     token='epoch-token-123').json()
        self.assertEqual(['pool1'], list(capacity))

    def test_key_repr_hides_token(self):
        """An ApiKey's repr and dict never show the token."""
        key = keys.ApiKey('k', 'secret-token-xyz')
        self.assertNotIn('secret-token-xyz', repr(key))
        self.assertNotIn('secret-token-xyz', json.dumps(key.to_dict()))
