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

"""Two controllers: portal groups per owner, failover and failback."""

import os
import shutil
import tempfile
import threading

import requests

from cinder_ngxstorage.simulator import cli
from cinder_ngxstorage.simulator import Simulator
from tests.functional.simulator.base import API
from tests.functional.simulator.base import HttpClient
from tests.functional.simulator.base import SimulatorTestCase

A = 'NGXSIM01_A'
B = 'NGXSIM01_B'
GROUPS = ('pgA:A:192.0.2.10:3260,192.0.2.11:3260', 'pgB:B:192.0.2.20')


class PortalGroupsTest(SimulatorTestCase):
    """Several portal groups, each with an owner and its portals."""

    POOLS = ('pool1:10G:A', 'pool2:10G:B')
    SIM_KWARGS = {'portal_groups': GROUPS}

    def test_groups_listed_with_owner_and_portals(self):
        listed = self.http.request('GET', API + '/portal_group/list').json()
        self.assertEqual(
            [('pgA', A, ['192.0.2.10:3260', '192.0.2.11:3260']),
             ('pgB', B, ['192.0.2.20:3260'])],
            [(g['portal_name'], g['owner'], g['listen_ips'])
             for g in listed])
        brief = self.http.request('GET', API + '/portal_group').json()
        self.assertEqual([A, B], [g['owner'] for g in brief])
        detail = self.http.request(
            'GET', API + '/portal_group/%s' % listed[1]['id']).json()
        self.assertEqual(['192.0.2.20:3260'], detail['listen_ips'])

    def test_target_names_its_portal_group(self):
        groups = self.sim.portal_groups()
        group = self.http.request('POST', API + '/auth_group/', json={
            'name': 'ag', 'owner': B}).json()['id']
        created = self.http.request('POST', API + '/target/iscsi/', json={
            'name': 't1', 'owner': B, 'auth_group_id': group,
            'portal_group_id': groups[1]['id']})
        self.assertEqual(200, created.status_code, created.text)
        detail = self.http.request(
            'GET', API + '/iscsi_target/%s' % created.json()['id']).json()
        self.assertEqual('pgB', detail['portal_name'])

    def test_default_is_one_group(self):
        with Simulator(pools=('pool1:1G',)) as sim:
            self.assertEqual([('DefaultPortalGroup', '1',
                               ['127.0.0.1:3260'])],
                             [(g['name'], g['owner'], g['listen_ips'])
                              for g in sim.portal_groups()])

    def test_bad_specs_refused(self):
        for groups in (('pgA:A',), ('pgA:C:192.0.2.1',),
                       ('pgA:A:192.0.2.1', 'pgA:B:192.0.2.2'),
                       ('pgA:A:192.0.2.1', 'pgB:B:192.0.2.1'),
                       ('pgA:A:not-an-ip',)):
            self.assertRaises(ValueError, Simulator,
                              pools=self.POOLS, portal_groups=groups)


class FailoverTest(SimulatorTestCase):
    """POST /_sim/failover and /_sim/failback."""

    POOLS = ('pool1:10G:A', 'pool2:10G:B')
    SIM_KWARGS = {'portal_groups': GROUPS}

    def _target(self, name, owner, vol_ids=()):
        group = self.http.request('POST', API + '/auth_group/', json={
            'name': 'ag' + name, 'owner': owner}).json()['id']
        portal = [g['id'] for g in self.sim.portal_groups()
                  if g['owner'] == owner][0]
        response = self.http.request('POST', API + '/target/iscsi/', json={
            'name': name, 'owner': owner, 'auth_group_id': group,
            'portal_group_id': portal, 'lun_ids': list(vol_ids)})
        self.assertEqual(200, response.status_code, response.text)
        return response.json()['id']

    def _owners(self):
        pools = {p['pool_name']: p['owner'] for p in
                 self.http.request('GET', API + '/pool').json()}
        luns = {lun['name']: lun['owner'] for lun in
                self.http.request('GET', API + '/lun/').json()}
        targets = {t['scsi_target_name']: t['owner'] for t in
                   self.http.request('GET',
                                     API + '/iscsi_target/list').json()}
        groups = {g['group_name']: g['owner'] for g in
                  self.http.request('GET', API + '/auth_group/').json()
                  if g['group_name'] != 'DefaultAuthGroup'}
        return pools, luns, targets, groups

    def test_failover_moves_everything_of_a_to_b(self):
        vol_a = self.http.create_lun('la', pool='pool1')
        self.http.create_lun('lb', pool='pool2')
        self._target('ta', A, [vol_a])
        self._target('tb', B)
        response = self.http.admin('POST', '/failover', json={'from': 'A'})
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual({'failed': A, 'survivor': B, 'pools': ['pool1'],
                          'targets': ['ta'], 'auth_groups': ['agta']},
                         response.json())
        self.assertEqual(({'pool1': B, 'pool2': B}, {'la': B, 'lb': B},
                          {'ta': B, 'tb': B}, {'agta': B, 'agtb': B}),
                         self._owners())
        status = self.http.request('GET', API + '/status/pools').json()
        self.assertEqual({B}, {p['owner'] for p in status})
        controllers = self.http.admin('GET', '/controllers').json()
        self.assertEqual([A], controllers['failed'])
        self.assertEqual(['192.0.2.20:3260'], controllers['serving_portals'])
        # The LUN of pool1 now goes only to targets of B.
        vol_a2 = self.http.create_lun('la2', pool='pool1')
        self._target('tb2', B, [vol_a2])
        refused = self.http.request('POST', API + '/target/iscsi/', json={
            'name': 'ta2', 'owner': A, 'auth_group_id': '1',
            'portal_group_id': self.sim.portal_group_id,
            'lun_ids': [vol_a2]})
        self.assertError(refused, 409, 'controller')

    def test_failback_gives_back(self):
        vol_a = self.http.create_lun('la', pool='pool1')
        self._target('ta', A, [vol_a])
        self.http.admin('POST', '/failover', json={'to': 'B'})
        vol_a2 = self.http.create_lun('la2', pool='pool1')
        self._target('tnew', B, [vol_a2])
        response = self.http.admin('POST', '/failback',
                                   json={'controller': 'A'})
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual(['ta', 'tnew'], response.json()['targets'])
        pools, luns, targets, groups = self._owners()
        self.assertEqual({'pool1': A, 'pool2': B}, pools)
        self.assertEqual({'ta': A, 'tnew': A}, targets)
        # agtnew, made on B during the failover, is bound only to tnew,
        # which goes back: it goes back with it.
        self.assertEqual({'agta': A, 'agtnew': A}, groups)
        self.assertEqual(['agta', 'agtnew'], response.json()['auth_groups'])
        self.assertEqual([], self.http.admin('GET', '/controllers')
                         .json()['failed'])

    def test_failback_refused_for_mixed_target(self):
        vol_a = self.http.create_lun('la', pool='pool1')
        vol_b = self.http.create_lun('lb', pool='pool2')
        self.sim.failover(from_='A')
        self._target('mixed', B, [vol_a, vol_b])
        self.assertError(self.http.admin('POST', '/failback',
                                         json={'controller': 'A'}),
                         409, 'mixed', 'both controllers')
        self.assertEqual([A], self.sim.state.failed_controllers)

    def test_bad_requests(self):
        for body in ({}, {'from': 'C'}, {'from': 'A', 'to': 'A'},
                     {'from': 'A', 'x': 1},
                     {'from': 'A', 'takeover_seconds': -1}):
            response = self.http.admin('POST', '/failover', json=body)
            self.assertIn(response.status_code, (400, 422), body)
        self.sim.failover(from_='A')
        self.assertError(self.http.admin('POST', '/failover',
                                         json={'from': 'B'}), 409, 'down')
        self.assertError(self.http.admin('POST', '/failback',
                                         json={'controller': 'B'}),
                         409, 'not down')
        with Simulator(pools=('pool1:1G',)) as single:
            client = HttpClient(single)
            self.addCleanup(client.close)
            self.assertError_(client.admin('POST', '/failover',
                                           json={'from': 'A'}), 409)

    def assertError_(self, response, status):
        self.assertEqual(status, response.status_code, response.text)

    def test_takeover_window_answers_503(self):
        self.http.admin('POST', '/failover',
                        json={'from': 'A', 'takeover_seconds': 30})
        response = self.http.request('GET', API + '/pool')
        self.assertEqual(503, response.status_code)
        self.assertEqual('1', response.headers['Retry-After'])
        self.assertEqual('takeover', self.sim.requests[-1]['fault'])

    def test_request_in_flight_is_dropped(self):
        """A request being served when the failover happens gets no answer.

        The request is held inside the operation while the failover runs;
        it is then performed but its answer is never sent.
        """
        entered = threading.Event()
        release = threading.Event()
        original = self.sim.state.perform

        def perform(op_id, ctx=None, params=None, validate=False):
            if op_id == 'pool.list':
                entered.set()
                release.wait(10)
            return original(op_id, ctx, params, validate)

        self.sim.state.perform = perform
        outcome = {}

        def call():
            try:
                outcome['status'] = self.http.request(
                    'GET', API + '/pool').status_code
            except requests.ConnectionError as exc:
                outcome['error'] = exc

        thread = threading.Thread(target=call)
        thread.start()
        self.assertTrue(entered.wait(10))
        self.sim.failover(from_='A')
        release.set()
        thread.join(20)
        self.assertIn('error', outcome, outcome)
        self.assertEqual((None, 'failover'),
                         (self.sim.requests[-1]['status'],
                          self.sim.requests[-1]['fault']))
        # The next request is answered, with the new owners.
        self.assertEqual({B}, {p['owner'] for p in self.http.request(
            'GET', API + '/pool').json()})


class FailoverPersistedTest(SimulatorTestCase):
    """The state file keeps portal groups and ownership over a restart."""

    POOLS = ('pool1:10G:A', 'pool2:10G:B')

    def test_restart_keeps_failover(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, 'state.json')
        with Simulator(pools=self.POOLS, portal_groups=GROUPS,
                       state_file=path) as sim:
            sim.failover(from_='A')
        with Simulator(state_file=path) as sim:
            self.assertTrue(sim.loaded_from_file)
            self.assertEqual([A], sim.state.failed_controllers)
            self.assertEqual(['192.0.2.20:3260'], sim.state.serving_portals)
            self.assertEqual(['pgA', 'pgB'],
                             [g['name'] for g in sim.portal_groups()])
            self.assertEqual({B}, {p['owner'] for p in sim.state.pools()})
            sim.failback('A')
        with Simulator(state_file=path) as sim:
            self.assertEqual([], sim.state.failed_controllers)
            self.assertEqual({'pool1': A, 'pool2': B},
                             {p['pool_name']: p['owner']
                              for p in sim.state.pools()})

    def test_old_dump_with_one_portal_group_loads(self):
        with Simulator(pools=self.POOLS) as sim:
            dump = sim.state.dump()
        groups = dump.pop('portal_groups')
        dump.pop('failed_controllers')
        dump.pop('moved_by_failover')
        dump['portal_group'] = groups[0]
        state = type(self.sim.state).load(dump)
        self.assertEqual(groups[0]['id'], state.portal_group_id)
        self.assertEqual([], state.failed_controllers)


class PortalGroupCliTest(SimulatorTestCase):
    """--portal-group on the command line."""

    def test_parser_and_ready_line(self):
        args = cli.build_parser().parse_args(
            ['--portal-group', GROUPS[0], '--portal-group', GROUPS[1]])
        self.assertEqual(list(GROUPS), args.portal_group)
        with Simulator(pools=('pool1:1G:A',), portal_groups=GROUPS) as sim:
            line = cli.ready_line(sim)
        self.assertIn('"portal_groups"', line)
        self.assertIn('192.0.2.11:3260', line)

    def test_portal_and_portal_group_exclude(self):
        self.assertEqual(2, cli.main(['--portal', '192.0.2.1',
                                      '--portal-group', GROUPS[0]]))
