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

"""The ngxstorage-simulator console script, and state-file persistence."""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

from cinder_ngxstorage.simulator import Simulator
from tests.functional.simulator import base

API = base.API
READY_KEYS = {'url', 'token', 'admin_token', 'portal_group_id', 'pools',
              'portals', 'portal_groups', 'variants', 'pid'}


def _command():
    script = os.path.join(os.path.dirname(sys.executable),
                          'ngxstorage-simulator')
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', 'cinder_ngxstorage.simulator.cli']


class _Endpoint(object):
    """What HttpClient needs of a Simulator, from a ready line."""

    def __init__(self, ready):
        self.url = ready['url']
        self.token = ready['token']
        self.admin_token = ready['admin_token']


class CliProcess(object):
    """A running ngxstorage-simulator process."""

    def __init__(self, test, *args):
        self.proc = subprocess.Popen(
            _command() + list(args), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        test.addCleanup(self._cleanup)
        self.first_line = None

    def _cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()

    def ready(self, timeout=60):
        """Wait for the ready line and return it decoded."""
        readable, _w, _x = select.select([self.proc.stdout], [], [],
                                         timeout)
        if not readable:
            raise AssertionError('no ready line within %s s' % timeout)
        self.first_line = self.proc.stdout.readline()
        if not self.first_line:
            _out, err = self.proc.communicate(timeout=60)
            raise AssertionError('simulator exited: %s' % err.decode())
        return json.loads(self.first_line)

    def stop(self, signum=signal.SIGTERM, timeout=60):
        """Signal the process; return (exit code, stdout rest, stderr)."""
        self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out.decode(), err.decode()

    def finish(self, timeout=60):
        """Wait for an exiting process; return (code, stdout, stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out.decode(), err.decode()


class CliTest(unittest.TestCase):
    """Start, ready line, serve, stop on a signal."""

    def _client(self, ready):
        client = base.HttpClient(_Endpoint(ready))
        self.addCleanup(client.close)
        return client

    def test_ready_line_and_sigterm(self):
        """One JSON line when ready; SIGTERM exits 0 with nothing more."""
        proc = CliProcess(self, '--pool', 'alpha:10G', '--pool', 'beta:5G:B',
                          '--portal', '127.0.0.1:3260', '--portal',
                          '127.0.0.2', '--token', 'first-token-1234',
                          '--token', 'second-token-1234',
                          '--service-tag', 'TAG42')
        ready = proc.ready()
        self.assertEqual(READY_KEYS, set(ready))
        self.assertEqual('first-token-1234', ready['token'])
        self.assertEqual(['alpha', 'beta'], ready['pools'])
        self.assertEqual(['127.0.0.1:3260', '127.0.0.2:3260'],
                         ready['portals'])
        self.assertEqual(proc.proc.pid, ready['pid'])
        self.assertTrue(ready['url'].startswith('http://127.0.0.1:'))
        client = self._client(ready)
        pools = client.request('GET', API + '/pool').json()
        self.assertEqual(['TAG42_A', 'TAG42_B'],
                         [p['owner'] for p in pools])
        self.assertEqual(200, client.request(
            'GET', API + '/pool', token='second-token-1234').status_code)
        self.assertEqual(200, client.admin('GET', '/requests').status_code)
        detail = client.request(
            'GET', API + '/portal_group/' + ready['portal_group_id'])
        self.assertEqual(200, detail.status_code)
        code, rest, err = proc.stop(signal.SIGTERM)
        self.assertEqual(0, code, err)
        self.assertEqual('', rest)
        self.assertIn('data plane off', err)

    def test_sigint(self):
        """SIGINT stops cleanly too."""
        proc = CliProcess(self)
        ready = proc.ready()
        self.assertEqual(40, len(ready['token']))
        self.assertEqual(['pool1', 'pool2'], ready['pools'])
        code, rest, err = proc.stop(signal.SIGINT)
        self.assertEqual(0, code, err)
        self.assertEqual('', rest)

    def test_keys_file_and_admin_token(self):
        """--keys-file keys work; --admin-token is used."""
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        keys_file = os.path.join(directory, 'keys.json')
        with open(keys_file, 'w') as f:
            json.dump([{'name': 'ro', 'token': 'read-only-1234',
                        'permissions': ['status.*']}], f)
        proc = CliProcess(self, '--keys-file', keys_file, '--admin-token',
                          'admin-secret-1234')
        ready = proc.ready()
        self.assertEqual('admin-secret-1234', ready['admin_token'])
        client = self._client(ready)
        self.assertEqual(200, client.request(
            'GET', API + '/status/cpu', token='read-only-1234').status_code)
        self.assertEqual(403, client.request(
            'GET', API + '/pool', token='read-only-1234').status_code)
        self.assertEqual(0, proc.stop()[0])

    def test_bad_arguments_exit_non_zero(self):
        """A bad pool spec or half a TLS pair: exit code != 0."""
        for args in (['--pool', 'bad name:1G'], ['--tls-cert', 'x.pem']):
            proc = CliProcess(self, *args)
            code, out, err = proc.finish()
            self.assertNotEqual(0, code)
            self.assertEqual('', out)
            self.assertIn('ngxstorage-simulator', err)

    def test_state_file_persists_across_restart(self):
        """Start, create, stop, start again: the same ids."""
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        state_file = os.path.join(directory, 'state.json')
        proc = CliProcess(self, '--state-file', state_file, '--pool',
                          'pool1:10G')
        ready = proc.ready()
        client = self._client(ready)
        vol_id = client.create_lun('keepme')
        group = client.request('POST', API + '/auth_group/', json={
            'name': 'grp1', 'owner': '1'}).json()['id']
        pools = client.request('GET', API + '/pool').json()
        self.assertEqual(0, proc.stop()[0])
        client.close()

        proc = CliProcess(self, '--state-file', state_file, '--pool',
                          'other:1G')
        again = proc.ready()
        self.assertEqual(ready['portal_group_id'], again['portal_group_id'])
        self.assertEqual(['pool1'], again['pools'])
        client = self._client(again)
        self.assertEqual(pools, client.request('GET', API + '/pool').json())
        luns = client.request('GET', API + '/lun/').json()
        self.assertEqual([(vol_id, 'keepme')],
                         [(lun['vol_id'], lun['name']) for lun in luns])
        self.assertEqual(200, client.request(
            'GET', API + '/auth_group/' + group).status_code)
        code, _rest, err = proc.stop()
        self.assertEqual(0, code)
        self.assertIn('ignored', err)

    def test_corrupt_state_file(self):
        """A state file that is not a dump: exit 1, file left alone."""
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        state_file = os.path.join(directory, 'state.json')
        with open(state_file, 'w') as f:
            f.write('{"not": "a dump"}')
        code, out, err = CliProcess(self, '--state-file',
                                    state_file).finish()
        self.assertEqual(1, code)
        self.assertIn('cannot start', err)
        with open(state_file) as f:
            self.assertEqual('{"not": "a dump"}', f.read())


class PythonStateFileTest(unittest.TestCase):
    """The Simulator fixture's state_file."""

    def test_restart_keeps_everything(self):
        """LUN, snapshot and pool ids survive a restart."""
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        state_file = os.path.join(directory, 'state.json')
        with Simulator(pools=('pool1:10G',), state_file=state_file) as sim:
            client = base.HttpClient(sim)
            vol_id = client.create_lun('l1')
            snap = client.request('POST', API + '/snapshot/', json={
                'name': 's1', 'volume_id': vol_id}).json()
            portal_group_id = sim.portal_group_id
            before = sim.state.dump()
            client.close()
        self.assertEqual(0o600, os.stat(state_file).st_mode & 0o777)
        self.assertEqual([], [n for n in os.listdir(directory)
                              if n != 'state.json'])
        with Simulator(state_file=state_file) as sim:
            self.assertTrue(sim.loaded_from_file)
            self.assertEqual(portal_group_id, sim.portal_group_id)
            self.assertEqual([vol_id],
                             [lun['vol_id'] for lun in sim.state.luns()])
            self.assertEqual([snap['snap_id']],
                             [s['snap_id'] for s in sim.state.snapshots()])
            after = sim.state.dump()
        self.assertEqual(before['pools'], after['pools'])
