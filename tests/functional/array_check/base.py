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

"""Running ngxstorage-array-check against a simulator, in or out of process.

:func:`run_kit` calls the command's ``main`` in this process and returns
(exit status, the JSON report); :func:`kit_process` starts it as
``python -m cinder_ngxstorage.array_check.cli``; :func:`kit_objects` lists
what a kit run left in a simulator's state.
"""

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile

import testtools

from cinder_ngxstorage.array_check import cli
from cinder_ngxstorage.simulator import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
#: Two portals, so both the IPv4 and the IPv6 readings show.
PORTALS = ('127.0.0.1:3260', '[fd00::10]:3260')
POOLS = ('pool1:500G', 'pool2:100G:B')


def make_simulator(variants=(), **kwargs):
    kwargs.setdefault('pools', POOLS)
    kwargs.setdefault('portals', PORTALS)
    return Simulator(variants=list(variants), **kwargs)


def kit_args(sim, journal, *extra):
    return ['--url', sim.url, '--pool', 'pool1', '--journal', journal,
            '--quiet'] + list(extra)


def run_kit(sim, journal, *extra):
    """(exit status, report dict) of an in-process run with --json."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        with _token(sim.token):
            status = cli.main(kit_args(sim, journal, '--json', *extra))
    text = out.getvalue()
    return status, (json.loads(text) if text.strip().startswith('{')
                    else text)


@contextlib.contextmanager
def _token(token):
    saved = os.environ.get(cli.TOKEN_ENV)
    os.environ[cli.TOKEN_ENV] = token
    try:
        yield
    finally:
        if saved is None:
            del os.environ[cli.TOKEN_ENV]
        else:
            os.environ[cli.TOKEN_ENV] = saved


def kit_process(sim, journal, *extra):
    """The command in a subprocess (stdout and stderr piped)."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env[cli.TOKEN_ENV] = sim.token
    return subprocess.Popen(
        [sys.executable, '-m', 'cinder_ngxstorage.array_check.cli'] +
        kit_args(sim, journal, *extra), env=env, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kit_objects(sim):
    """Names of the kit's objects in the simulator's state (a list)."""
    state = sim.state.dump()
    found = []
    for table in ('luns', 'targets', 'auth_groups', 'snapshots',
                  'schedules'):
        items = state.get(table) or ()
        if isinstance(items, dict):
            items = items.values()
        for item in items:
            text = json.dumps(item)
            if 'ngxchk' in text:
                found.append('%s: %s' % (table, text[:120]))
    return found


class KitTestCase(testtools.TestCase):
    """A temporary journal path for each test."""

    def setUp(self):
        super().setUp()
        tmp = tempfile.mkdtemp(prefix='array-check-')
        self.addCleanup(_rmtree, tmp)
        self.journal = os.path.join(tmp, 'journal')

    def assert_clean(self, sim):
        self.assertEqual([], kit_objects(sim))
        self.assertFalse(os.path.exists(self.journal),
                         'the journal stays after a clean sweep')


def _rmtree(path):
    import shutil
    shutil.rmtree(path, ignore_errors=True)
