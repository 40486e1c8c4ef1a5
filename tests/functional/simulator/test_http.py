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

"""The HTTP front: routing, trailing slashes, keep-alive, request log,
admin paths and life cycle."""

import http.client
import json
import os
import socket
import subprocess
import sys
import textwrap
import urllib.parse

import requests

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator import Simulator
from tests.functional.simulator import base

API = base.API


def _example_path(op):
    path = op.path
    for param in op.path_params:
        path = path.replace('{%s}' % param.name, param.example)
    return path


class RoutingTest(base.SimulatorTestCase):
    """Every documented path reaches its operation."""

    def _op_of_last_request(self):
        return self.sim.requests[-1]['op_id']

    def test_every_documented_path_routes_to_its_operation(self):
        """With and without trailing slash, each path finds its op."""
        for op in api_spec.OPERATIONS:
            path = _example_path(op)
            stripped = path.rstrip('/')
            for variant in (stripped, stripped + '/'):
                response = self.http.request(op.method, variant,
                                             json=None)
                self.assertNotIn(response.status_code, (404, 405)
                                 if not op.path_params else (405,),
                                 '%s %s' % (op.method, variant))
                self.assertEqual(op.op_id, self._op_of_last_request(),
                                 '%s %s' % (op.method, variant))

    def test_static_segment_beats_parameter(self):
        """/auth_group/list is the detail list, not group 'list'."""
        for path, op_id in (('/auth_group/list', 'auth_group.detail_list'),
                            ('/iscsi_target/list',
                             'iscsi_target.detail_list'),
                            ('/lun/list', 'lun.detail_list'),
                            ('/pool/list', 'pool.detail_list'),
                            ('/pool/overview', 'pool.overview'),
                            ('/portal_group/list',
                             'portal_group.detail_list'),
                            ('/snapshot/list', 'snapshot.detail_list')):
            response = self.http.request('GET', API + path)
            self.assertEqual(200, response.status_code, path)
            self.assertEqual(op_id, self._op_of_last_request())
            self.assertIsInstance(response.json(), (list, dict))

    def test_lists_are_lists(self):
        """The detail list answers a JSON array."""
        self.assertEqual([{'group_id': '1',
                           'group_name': 'DefaultAuthGroup'}],
                         self.http.request(
                             'GET', API + '/auth_group/list').json())

    def test_unknown_path(self):
        """Unknown paths are 404; double slashes are not normalised."""
        for path in (API + '/lun/a/b', API + '/nothing', API + '//lun/',
                     '/api/v3/lun/', '/', '/favicon.ico'):
            response = self.http.request('GET', path)
            self.assertEqual(404, response.status_code, path)
            self.assertIs(False, response.json()['success'])

    def test_wrong_method(self):
        """A known path with another method: 405 with Allow."""
        response = self.http.request('PUT', API + '/lun/')
        self.assertError(response, 405, 'PUT')
        self.assertEqual('GET, POST', response.headers['Allow'])

    def test_json_content_type(self):
        """Every answer is JSON."""
        for path in ('/pool', '/nothing'):
            response = self.http.request('GET', API + path)
            self.assertEqual('application/json',
                             response.headers['Content-Type'])

    def test_query_parsing(self):
        """Log queries: repeated filter[type][], sort[], paging."""
        self.sim.set_pool_status('pool1', 'DEGRADED')
        response = self.http.request('GET', API + '/log/alert', params=[
            ('filter[type][]', 'WARNING'), ('filter[type][]', 'error'),
            ('sort[]', 'time'), ('order', 'desc'), ('limit', '5'),
            ('page', '1')])
        self.assertEqual(200, response.status_code, response.text)
        self.assertTrue(response.json())
        self.assertEqual({'WARNING'}, {e['type'] for e in response.json()})
        response = self.http.request('GET', API + '/log/alert', params=[
            ('filter[time][]', '2000-01-01'),
            ('filter[time][]', '2999-01-01 00:00:00')])
        self.assertEqual(200, response.status_code, response.text)
        self.assertTrue(response.json())

    def test_snapshot_list_query(self):
        """snapshot list accepts vol_id in the query."""
        vol_id = self.http.create_lun('l1')
        response = self.http.request('GET', API + '/snapshot',
                                     params={'vol_id': vol_id})
        self.assertEqual(200, response.status_code, response.text)

    def test_chunked_body(self):
        """A chunked request body is read like a sized one."""
        body = json.dumps({'pool_name': 'pool1', 'name': 'chunky',
                           'size': 1}).encode()
        response = self.http.request(
            'POST', API + '/lun/', data=iter([body[:10], body[10:]]),
            headers={'Content-Type': 'application/json'})
        self.assertEqual(200, response.status_code, response.text)

    def test_body_too_large(self):
        """A body over the limit: 400, and the connection is closed."""
        data = b'{"name": "' + b'a' * api_spec.MAX_BODY_BYTES + b'"}'
        response = self.http.request('POST', API + '/lun/', data=data)
        self.assertError(response, 400, 'larger than')
        self.assertEqual(200, self.http.request(
            'GET', API + '/pool').status_code)


class KeepAliveTest(base.SimulatorTestCase):
    """HTTP/1.1 persistent connections."""

    def _connection(self):
        parts = urllib.parse.urlsplit(self.sim.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                          timeout=30)
        self.addCleanup(conn.close)
        return conn

    def _call(self, conn, method, path, body=None):
        headers = {'Authorization': 'Bearer ' + self.sim.token}
        if body is not None:
            body = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response, data

    def test_connection_is_reused(self):
        """Several requests, bodies and errors on one connection."""
        conn = self._connection()
        response, _data = self._call(conn, 'GET', API + '/pool')
        self.assertEqual(200, response.status)
        first_socket = conn.sock
        self.assertIsNone(response.getheader('Connection'))
        response, data = self._call(conn, 'POST', API + '/lun/', {
            'pool_name': 'pool1', 'name': 'l1', 'size': 1})
        self.assertEqual(200, response.status, data)
        response, _data = self._call(conn, 'POST', API + '/lun/', {
            'pool_name': 'pool1', 'name': 'bad name', 'size': 1})
        self.assertEqual(400, response.status)
        response, _data = self._call(conn, 'GET', API + '/nothing')
        self.assertEqual(404, response.status)
        response, _data = self._call(conn, 'GET', API + '/lun/')
        self.assertEqual(200, response.status)
        self.assertIs(first_socket, conn.sock)

    def test_connection_close_is_honoured(self):
        """A client asking to close gets Connection: close."""
        conn = self._connection()
        conn.request('GET', API + '/pool', headers={
            'Authorization': 'Bearer ' + self.sim.token,
            'Connection': 'close'})
        response = conn.getresponse()
        response.read()
        self.assertEqual('close', response.getheader('Connection'))

    def test_http_10(self):
        """An HTTP/1.0 request is answered and the connection closed."""
        parts = urllib.parse.urlsplit(self.sim.url)
        with socket.create_connection((parts.hostname, parts.port),
                                      timeout=30) as sock:
            sock.sendall(('GET %s/pool HTTP/1.0\r\nAuthorization: Bearer '
                          '%s\r\n\r\n' % (API, self.sim.token)).encode())
            data = b''
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b'HTTP/1.1 200'))
        self.assertIn(b'Connection: close', data)

    def test_stop_closes_kept_alive_connections(self):
        """After stop, a pooled connection no longer reaches the API."""
        session = base.new_session()
        self.addCleanup(session.close)
        url = self.sim.url + API + '/pool'
        headers = {'Authorization': 'Bearer ' + self.sim.token}
        self.assertEqual(200, session.get(url, headers=headers,
                                          timeout=30).status_code)
        self.sim.stop()
        self.assertRaises(requests.ConnectionError, session.get, url,
                          headers=headers, timeout=30)


class RequestLogTest(base.SimulatorTestCase):
    """The request log."""

    def test_entries(self):
        """Each API request is logged with op id, status and key."""
        self.sim.clear_requests()
        self.http.request('GET', API + '/pool')
        self.http.request('GET', API + '/lun/', token='nope')
        self.http.request('DELETE', API + '/lun/' + 'a' * 40)
        self.http.request('GET', API + '/log/audit',
                          params={'limit': '1'})
        self.http.admin('GET', '/state')
        entries = self.sim.requests
        self.assertEqual(
            [('GET', API + '/pool', 'pool.list', 200, 'admin'),
             ('GET', API + '/lun/', 'lun.list', 401, None),
             ('DELETE', API + '/lun/' + 'a' * 40, 'lun.delete', 404,
              'admin'),
             ('GET', API + '/log/audit', 'log.audit', 200, 'admin')],
            [(e['method'], e['path'], e['op_id'], e['status'], e['key'])
             for e in entries])
        self.assertEqual('limit=1', entries[-1]['query'])
        self.assertTrue(all(isinstance(e['time'], float) for e in entries))

    def test_admin_requests_and_clear(self):
        """GET and DELETE /_sim/requests."""
        self.http.request('GET', API + '/pool')
        listed = self.http.admin('GET', '/requests').json()
        self.assertEqual(['pool.list'], [e['op_id'] for e in listed])
        self.assertEqual(200, self.http.admin('DELETE', '/requests')
                         .status_code)
        self.assertEqual([], self.sim.requests)

    def test_no_secret_in_log(self):
        """Tokens and CHAP secrets never reach the request log."""
        created = self.http.request('POST', API + '/auth_group/', json={
            'name': 'g1', 'owner': '1'}).json()
        self.http.request('PATCH', API + '/auth_group/chap/' + created['id'],
                          json={'username': 'u1', 'password': 'secret12345678',
                                'owner': '1'})
        text = json.dumps(self.sim.requests)
        self.assertNotIn('secret12345678', text)
        self.assertNotIn(self.sim.token, text)


class AdminPathsTest(base.SimulatorTestCase):
    """The /_sim/ admin paths."""

    POOLS = ('pool1:100G',)

    def test_state_dump(self):
        """GET /_sim/state returns the dump with our LUN."""
        vol_id = self.http.create_lun('l1')
        dump = self.http.admin('GET', '/state').json()
        self.assertEqual([vol_id], [lun['vol_id'] for lun in dump['luns']])

    def test_pool_status(self):
        """POST /_sim/pools/<name>/status changes the pool health."""
        response = self.http.admin('POST', '/pools/pool1/status',
                                   json={'status': 'DEGRADED'})
        self.assertEqual(200, response.status_code, response.text)
        pools = self.http.request('GET', API + '/status/pools').json()
        self.assertEqual('DEGRADED', pools[0]['status'])
        self.assertEqual(404, self.http.admin(
            'POST', '/pools/nope/status',
            json={'status': 'ONLINE'}).status_code)
        self.assertEqual(400, self.http.admin(
            'POST', '/pools/pool1/status', json={'status': 'ON'})
            .status_code)

    def test_license(self):
        """POST /_sim/license changes licence flags."""
        response = self.http.admin('POST', '/license', json={'clone': 0})
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual(0, self.http.request(
            'GET', API + '/status/license').json()['clone'])
        self.assertEqual(400, self.http.admin(
            'POST', '/license', json={'bogus': 1}).status_code)

    def test_run_schedule(self):
        """POST /_sim/schedules/<vol_id>/run takes a snapshot."""
        vol_id = self.http.create_lun('l1')
        response = self.http.request(
            'POST', API + '/snapshot/schedule/' + vol_id,
            json={'cron_time': '5 * * * *', 'keep_max': 2})
        self.assertEqual(200, response.status_code, response.text)
        response = self.http.admin('POST', '/schedules/%s/run' % vol_id)
        self.assertEqual(200, response.status_code, response.text)
        snaps = self.http.request('GET', API + '/snapshot/list',
                                  params={'vol_id': vol_id}).json()
        self.assertEqual(1, len(snaps['luns']))
        self.assertEqual(404, self.http.admin(
            'POST', '/schedules/%s/run' % ('b' * 40)).status_code)

    def test_unknown_admin_path(self):
        """An unknown admin path: 404; a bad body: 400."""
        self.assertEqual(404, self.http.admin('GET', '/nothing')
                         .status_code)
        response = self.http.session.post(
            self.sim.url + '/_sim/license', data='[1]',
            headers={'X-Sim-Admin': self.sim.admin_token}, timeout=30)
        self.assertEqual(400, response.status_code)


class LifeCycleTest(base.SimulatorTestCase):
    """Starting and stopping."""

    def test_latency(self):
        """latency_ms delays requests but they still succeed."""
        with Simulator(pools=('p1:1G',), latency_ms=20) as sim:
            client = base.HttpClient(sim)
            self.addCleanup(client.close)
            self.assertEqual(200, client.request('GET', API + '/pool')
                             .status_code)

    def test_stop_is_idempotent(self):
        """stop() twice is harmless; the port is released."""
        port = self.sim.port
        self.sim.stop()
        self.sim.stop()
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(('127.0.0.1', port))

    def test_works_under_eventlet(self):
        """Serving in a process eventlet patched after socketserver.

        Cinder's test packages patch the process late; the accept loop
        must not use a real poll() that starves the green threads.
        """
        script = textwrap.dedent("""
            import socketserver  # noqa - imported before patching
            import eventlet
            eventlet.monkey_patch()
            import http.client
            from cinder_ngxstorage.simulator import Simulator
            with Simulator(pools=('p1:1G',)) as sim:
                conn = http.client.HTTPConnection('127.0.0.1', sim.port,
                                                  timeout=20)
                conn.request('GET', '/api/v2/pool', headers={
                    'Authorization': 'Bearer ' + sim.token})
                print(conn.getresponse().status)
        """)
        env = dict(os.environ, PYTHONWARNINGS='ignore')
        result = subprocess.run([sys.executable, '-c', script],
                                capture_output=True, timeout=120, env=env)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertEqual(b'200', result.stdout.strip())

    def test_client_view_lun(self):
        """client_view_lun shows the LUN detail of the API."""
        vol_id = self.http.create_lun('l1')
        self.assertEqual(
            self.http.request('GET', API + '/lun/' + vol_id).json(),
            self.sim.client_view_lun(vol_id))
