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

"""Fault injection over HTTP: before/after, status/drop/delay, nth/times."""

import requests

from cinder_ngxstorage.simulator import faults
from tests.functional.simulator import base

API = base.API
LUN_POST = r'^/api/v2/lun/?$'


class FaultTest(base.SimulatorTestCase):
    """Faults set through the Python API."""

    def _create(self, name):
        return self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': name, 'size': 1})

    def _lun_names(self):
        return sorted(lun['vol_name'] for lun in self.sim.state.luns())

    def test_before_status_does_not_touch_state(self):
        """A before fault answers its status and changes nothing."""
        rule = self.sim.faults.add(method='POST', path=LUN_POST,
                                   phase='before', action='status',
                                   status=503, message='busy, try later')
        response = self._create('l1')
        self.assertError(response, 503, 'busy, try later')
        self.assertEqual([], self._lun_names())
        self.assertEqual(200, self._create('l1').status_code)
        self.assertEqual(['l1'], self._lun_names())
        entries = [e for e in self.sim.requests if e['op_id'] == 'lun.create']
        self.assertEqual([(503, rule), (200, None)],
                         [(e['status'], e['fault']) for e in entries])

    def test_after_status_commits_the_change(self):
        """An after fault answers 500 for a change that happened."""
        self.sim.faults.add(method='POST', path=LUN_POST, phase='after',
                            status=500)
        response = self._create('l1')
        self.assertError(response, 500, 'Simulated fault')
        self.assertEqual(['l1'], self._lun_names())
        # The retry of a create that did happen meets the duplicate.
        self.assertEqual(409, self._create('l1').status_code)

    def test_after_fault_on_failed_operation(self):
        """An after fault also replaces a failing operation's answer."""
        self.sim.faults.add(method='DELETE', path=r'/lun/', phase='after',
                            status=502)
        response = self.http.request('DELETE', API + '/lun/' + 'a' * 40)
        self.assertEqual(502, response.status_code)

    def test_nth_and_times(self):
        """nth=2 times=2 fires on the 2nd and 3rd matching requests."""
        self.sim.faults.add(method='GET', path=r'/status/cpu', nth=2,
                            times=2, status=500)
        codes = [self.http.request('GET', API + '/status/cpu').status_code
                 for _i in range(5)]
        self.assertEqual([200, 500, 500, 200, 200], codes)
        rule = self.sim.faults.rules()[0]
        # An exhausted rule stops counting.
        self.assertEqual((3, 2), (rule['seen'], rule['fired']))

    def test_times_zero_is_forever(self):
        """times=0 fires on every matching request."""
        self.sim.faults.add(method=None, path=r'/status/', times=0,
                            status=503)
        for path in ('/status/cpu', '/status/iops', '/status/cpu'):
            self.assertEqual(503, self.http.request(
                'GET', API + path).status_code)
        self.assertEqual(200, self.http.request(
            'GET', API + '/pool').status_code)

    def test_method_filter(self):
        """A rule for POST leaves GET alone."""
        self.sim.faults.add(method='POST', path=r'/lun', times=0)
        self.assertEqual(200, self.http.request(
            'GET', API + '/lun/').status_code)
        self.assertEqual(500, self._create('l1').status_code)

    def test_first_firing_rule_wins(self):
        """Rules are tried in order; the first in its window fires."""
        first = self.sim.faults.add(method='GET', path='cpu', status=501)
        second = self.sim.faults.add(method='GET', path='cpu', status=502)
        self.assertEqual(501, self.http.request(
            'GET', API + '/status/cpu').status_code)
        self.assertEqual(502, self.http.request(
            'GET', API + '/status/cpu').status_code)
        self.assertEqual(200, self.http.request(
            'GET', API + '/status/cpu').status_code)
        self.assertEqual([first, second, None],
                         [e['fault'] for e in self.sim.requests])

    def test_drop_before(self):
        """A dropped request gets no answer and changes nothing."""
        self.sim.faults.add(method='POST', path=LUN_POST, action='drop')
        self.assertRaises(requests.ConnectionError, self._create, 'l1')
        self.assertEqual([], self._lun_names())
        self.assertEqual(200, self._create('l1').status_code)
        self.assertIsNone(self.sim.requests[0]['status'])

    def test_drop_after_commits(self):
        """Dropped after the change: the client errs, the LUN exists."""
        self.sim.faults.add(method='POST', path=LUN_POST, phase='after',
                            action='drop')
        self.assertRaises(requests.ConnectionError, self._create, 'l1')
        self.assertEqual(['l1'], self._lun_names())
        # The same session goes on with a new connection.
        self.assertEqual(200, self.http.request(
            'GET', API + '/lun/').status_code)

    def test_drop_on_kept_alive_connection(self):
        """A drop on a reused connection is a connection error too."""
        self.assertEqual(200, self.http.request(
            'GET', API + '/pool').status_code)
        self.sim.faults.add(method='GET', path='/pool', action='drop')
        self.assertRaises(requests.ConnectionError, self.http.request,
                          'GET', API + '/pool')

    def test_delay_after_causes_read_timeout(self):
        """A delay beyond the client's read timeout; the change is made.

        The client times out, yet the LUN was created before the delay.
        """
        self.sim.faults.add(method='POST', path=LUN_POST, phase='after',
                            action='delay', delay=5.0)
        self.assertRaises(requests.exceptions.ReadTimeout,
                          self.http.request, 'POST', API + '/lun/',
                          json={'pool_name': 'pool1', 'name': 'l1',
                                'size': 1},
                          timeout=(5, 0.3))
        self.assertEqual(['l1'], self._lun_names())

    def test_delay_then_normal_answer(self):
        """A short delay still answers normally."""
        self.sim.faults.add(method='GET', path='/pool', action='delay',
                            delay=0.05)
        response = self.http.request('GET', API + '/pool')
        self.assertEqual(200, response.status_code)
        self.assertEqual(1, self.sim.requests[-1]['fault'])

    def test_faults_never_fire_on_admin_paths(self):
        """A catch-all rule leaves /_sim/ alone."""
        self.sim.faults.add(method=None, path=r'.*', times=0, status=500)
        self.assertEqual(500, self.http.request(
            'GET', API + '/pool').status_code)
        response = self.http.admin('GET', '/requests')
        self.assertEqual(200, response.status_code)
        self.assertEqual(1, self.sim.faults.rules()[0]['seen'])

    def test_clear(self):
        """clear() removes every rule."""
        self.sim.faults.add(method=None, path=r'.*', times=0)
        self.sim.faults.clear()
        self.assertEqual(200, self.http.request(
            'GET', API + '/pool').status_code)

    def test_bad_rules(self):
        """Malformed rules raise ValueError."""
        injector = faults.FaultInjector()
        for kwargs in ({'phase': 'during'}, {'action': 'explode'},
                       {'status': 200}, {'status': True}, {'nth': 0},
                       {'times': -1}, {'delay': -1}, {'path': '('},
                       {'method': 'P O'}):
            self.assertRaises(ValueError, injector.add, **kwargs)


class AdminFaultTest(base.SimulatorTestCase):
    """Faults set through POST/DELETE /_sim/faults."""

    def test_add_list_remove_clear(self):
        """The admin fault API mirrors the Python one."""
        response = self.http.admin('POST', '/faults', json={
            'method': 'POST', 'path': LUN_POST, 'phase': 'after',
            'action': 'status', 'status': 503, 'message': 'later'})
        self.assertEqual(200, response.status_code, response.text)
        rule_id = response.json()['id']
        response = self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'l1', 'size': 1})
        self.assertError(response, 503, 'later')
        self.assertEqual(1, len(self.sim.state.luns()))
        rules = self.http.admin('GET', '/faults').json()
        self.assertEqual([(rule_id, 1)], [(r['id'], r['fired'])
                                          for r in rules])
        self.assertEqual(200, self.http.admin(
            'DELETE', '/faults/%d' % rule_id).status_code)
        self.assertEqual(404, self.http.admin(
            'DELETE', '/faults/%d' % rule_id).status_code)
        self.http.admin('POST', '/faults', json={'path': '.*'})
        self.assertEqual(200, self.http.admin('DELETE', '/faults')
                         .status_code)
        self.assertEqual([], self.sim.faults.rules())

    def test_bad_rule_is_400(self):
        """A malformed rule over HTTP: 400."""
        for body in ({'phase': 'x'}, {'bogus': 1}, {'status': 'x'}):
            response = self.http.admin('POST', '/faults', json=body)
            self.assertEqual(400, response.status_code, body)

    def test_admin_drop(self):
        """A drop rule set over HTTP drops the API request."""
        self.http.admin('POST', '/faults', json={
            'method': 'GET', 'path': '/pool', 'action': 'drop'})
        self.assertRaises(requests.ConnectionError, self.http.request,
                          'GET', API + '/pool')
