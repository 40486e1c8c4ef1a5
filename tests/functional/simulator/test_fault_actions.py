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

"""The body and truncate fault actions and random (probability) faults."""

import json

from cinder_ngxstorage.simulator import faults
from tests.functional.simulator import base

API = base.API
LUN_POST = r'^/api/v2/lun/?$'


class FaultActionTest(base.SimulatorTestCase):
    """Bad answers and random faults."""

    def _create(self, name):
        return self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': name, 'size': 1})

    def test_body_replaces_the_answer(self):
        page = '<html><body>502 Bad Gateway</body></html>'
        self.sim.faults.add(method='GET', path='/status/pools',
                            action='body', status=502, body=page,
                            content_type='text/html')
        response = self.http.request('GET', API + '/status/pools')
        self.assertEqual(502, response.status_code)
        self.assertEqual('text/html', response.headers['Content-Type'])
        self.assertEqual(page, response.text)

    def test_body_after_commits(self):
        self.sim.faults.add(method='POST', path=LUN_POST, phase='after',
                            action='body', status=200,
                            body='{"success": true}')
        response = self._create('l1')
        self.assertEqual({'success': True}, response.json())
        self.assertEqual(['l1'], [lun['vol_name']
                                  for lun in self.sim.state.luns()])

    def test_truncate_after(self):
        self.sim.faults.add(method='POST', path=LUN_POST, phase='after',
                            action='truncate')
        response = self._create('l1')
        self.assertEqual(200, response.status_code)
        self.assertRaises(ValueError, json.loads, response.text)
        self.assertTrue(response.text.startswith('{'))
        self.assertEqual(1, len(self.sim.state.luns()))

    def test_truncate_before(self):
        self.sim.faults.add(method='POST', path=LUN_POST, phase='before',
                            action='truncate', status=503)
        response = self._create('l1')
        self.assertEqual(503, response.status_code)
        self.assertRaises(ValueError, json.loads, response.text)
        self.assertEqual([], self.sim.state.luns())

    def test_probability(self):
        self.sim.faults.reseed(7)
        rule = self.sim.faults.add(method='GET', path='/status/cpu',
                                   status=503, times=0, probability=0.25)
        codes = [self.http.request('GET', API + '/status/cpu').status_code
                 for _ in range(200)]
        failed = codes.count(503)
        self.assertEqual(200, failed + codes.count(200))
        self.assertTrue(20 <= failed <= 80, failed)
        [info] = [r for r in self.sim.faults.rules() if r['id'] == rule]
        self.assertEqual(failed, info['fired'])
        self.assertEqual(200, info['seen'])

    def test_probability_is_repeatable(self):
        def draws():
            self.sim.faults.clear()
            self.sim.faults.reseed(42)
            self.sim.faults.add(method='GET', path='/status/cpu',
                                status=503, times=0, probability=0.5)
            return [self.http.request('GET', API + '/status/cpu')
                    .status_code for _ in range(30)]
        self.assertEqual(draws(), draws())

    def test_through_the_admin_api(self):
        response = self.http.admin('POST', '/faults', json={
            'method': 'GET', 'path': '/status/cpu', 'action': 'body',
            'status': 200, 'body': '[1, 2]'})
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual([1, 2], self.http.request(
            'GET', API + '/status/cpu').json())

    def test_bad_arguments(self):
        injector = faults.FaultInjector()
        for kwargs in ({'action': 'body'},
                       {'action': 'body', 'body': 5},
                       {'action': 'status', 'status': 200},
                       {'probability': 0},
                       {'probability': 1.5},
                       {'probability': True},
                       {'content_type': ''}):
            self.assertRaises(ValueError, injector.add, **kwargs)
        injector.add(action='body', status=200, body='')
