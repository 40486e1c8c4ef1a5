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

"""Two cinder-volume services of one cluster racing to attach one host.

The services are two processes with their own driver, sharing a real
distributed lock backend (Redis through tooz) started by the test.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from tests.functional.driver import base


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RedisServer(object):
    """A throw-away redis-server on loopback."""

    def __init__(self):
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix='ngx-redis-')
        self.proc = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1',
             '--save', '', '--appendonly', 'no', '--dir', self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(('127.0.0.1', self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError('redis-server did not start')

    @property
    def url(self):
        return 'redis://127.0.0.1:%d' % self.port

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


class ActiveActiveAttachTest(base.DriverTestCase):

    def setUp(self):
        super().setUp()
        if not shutil.which('redis-server'):
            if base.env_flag('CI'):
                self.fail('redis-server is missing (Debian redis-server)')
            self.skipTest('redis-server is not installed')
        self.redis = RedisServer()
        self.addCleanup(self.redis.stop)

    def run_service(self, volumes, connector):
        job = {'backend_url': self.redis.url,
               # Another process, no shared database: the namespace the
               # test's driver generated, as an operator would set it.
               'settings': base.driver_settings(
                   self.sim, ngxstorage_namespace=self.names().namespace),
               'connector': connector,
               'volumes': [{'id': v.id, 'provider_id': v.provider_id}
                           for v in volumes]}
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))))
        proc = subprocess.Popen(
            [sys.executable, '-m', 'tests.functional.driver.attach_worker'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=root, text=True)
        proc.stdin.write(json.dumps(job))
        proc.stdin.close()
        return proc

    def test_two_services_attach_one_new_host(self):
        vols = [self.create_volume() for _ in range(16)]
        conn = self.connector(host='shared-host')
        procs = [self.run_service(vols[:8], conn),
                 self.run_service(vols[8:], conn)]
        infos = []
        for proc in procs:
            out = proc.stdout.read()
            err = proc.stderr.read()
            self.assertEqual(0, proc.wait(120), err[-3000:])
            infos += json.loads(out.strip().splitlines()[-1])
        groups = [g for g in self.sim.state.auth_groups()
                  if g['group_id'] != '1']
        self.assertEqual(1, len(groups))
        [target] = self.sim.state.targets()
        self.assertEqual(16, len(target['luns']))
        self.assertEqual(16, len({i['target_lun'] for i in infos}))
        self.assertEqual(1, len({i['auth_password'] for i in infos}))
        for vol in vols:
            self.driver.terminate_connection(vol, conn)
            self.driver.delete_volume(vol)
        self.assert_array_empty()
