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

"""The README's main command: tools/demo.py, run as a user runs it.

The walk-through must pass (exit 0, nothing left on the array, the I/O
steps run when the data plane is there), and with ``--keep`` the
python-cinderclient commands it prints must work, as printed, against the
Cinder it leaves running.
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

import testtools
from testtools import content

from tests.functional.driver.base import env_flag
from tests.stack import harness

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEMO = os.path.join(REPO, 'tools', 'demo.py')
TIMEOUT = 300


def _env():
    env = dict(os.environ)
    env.pop('OS_AUTH_TYPE', None)
    env.pop('CINDER_ENDPOINT', None)
    return env


class DemoTest(testtools.TestCase):
    """tools/demo.py end to end, in its own process."""

    def setUp(self):
        super().setUp()
        self.dataplane = harness.dataplane_available()
        if not self.dataplane and env_flag('CI'):
            self.fail('no iSCSI data plane and CI is true: %s'
                      % '; '.join(harness.dataplane_problems()))

    def _check_walkthrough(self, output):
        self.assertIn(' 0 failed,', output)
        self.assertIn('nothing left on the array', output)
        self.assertNotIn('FAILED', output)
        self.assertNotIn('not run', output)
        self.assertNotIn('password', output.lower())
        if self.dataplane:
            self.assertIn('iSCSI data plane: on', output)
            self.assertNotIn('skipped', output)
            self.assertIn('the snapshot\'s data is back', output)

    def test_walkthrough(self):
        """One command: every step passes and the array ends empty."""
        result = subprocess.run([sys.executable, DEMO], cwd=REPO,
                                env=_env(), capture_output=True, text=True,
                                timeout=TIMEOUT)
        self.addDetail('stdout', content.text_content(
            result.stdout))
        self.assertEqual(0, result.returncode, result.stderr[-3000:])
        self._check_walkthrough(result.stdout)

    def test_keep_serves_the_printed_cinder_commands(self):
        """--keep: the printed cinderclient commands work as printed."""
        proc = subprocess.Popen(
            [sys.executable, DEMO, '--keep'], cwd=REPO, env=_env(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        watchdog = threading.Timer(TIMEOUT, proc.kill)
        watchdog.start()
        self.addCleanup(watchdog.cancel)
        self.addCleanup(self._stop, proc)
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith('  .venv/bin/cinder delete'):
                break
        output = ''.join(lines)
        self.addDetail('stdout', content.text_content(output))
        self._check_walkthrough(output)
        exports = [line.strip() for line in lines
                   if line.startswith('  export ')]
        commands = [line.strip() for line in lines
                    if line.startswith('  .venv/bin/cinder ')]
        self.assertEqual(2, len(exports))
        self.assertNotEqual([], commands)
        endpoint = re.search(r'Cinder is running: (\S+)', output).group(1)
        client = harness.make_client(endpoint)
        wait = harness.Waiter(client)
        for command in commands:
            # The demo names .venv's client; use this test environment's
            # (a series' .venv-SERIES, tools/run-series.sh).
            command = command.replace(
                '.venv/bin/', os.path.dirname(sys.executable) + '/', 1)
            script = '; '.join(exports + [command])
            result = subprocess.run(['bash', '-c', script], cwd=REPO,
                                    env=_env(), capture_output=True,
                                    text=True, timeout=120)
            self.assertEqual(0, result.returncode,
                             '%s: %s %s' % (command, result.stdout,
                                            result.stderr))
            self._settle(client, wait)
        self.assertEqual([], client.volumes.list())
        proc.send_signal(signal.SIGINT)
        self.assertEqual(0, proc.wait(60))

    @staticmethod
    def _settle(client, wait):
        """Let what the last command started finish."""
        for snap in client.volume_snapshots.list():
            if snap.status == 'creating':
                wait.snapshot(snap.id)
        for vol in client.volumes.list():
            if vol.status in ('creating', 'extending'):
                wait.volume(vol.id)
            elif vol.status == 'deleting':
                wait.volume_deleted(vol.id)

    @staticmethod
    def _stop(proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 30
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            if proc.poll() is None:
                proc.kill()
        proc.wait()
        proc.stdout.close()
