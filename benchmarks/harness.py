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

"""What the benchmarks measure with: the array, a driver and a meter.

An *array* is either :class:`ArrayProcess` (the simulator in a process of
its own, see :mod:`.simserver`; the benchmarks use it) or
:class:`InProcessArray` (a :class:`Simulator` of the caller's; the
regression test uses it). Both can change the latency added to every API
request and tell which API requests they served.

:class:`Bench` sets a driver up against an array, makes Cinder volume and
snapshot objects and measures one driver call: the REST calls the client
counted, the requests the array logged (they must agree) and the wall time.
"""

import collections
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
import uuid

from cinder import context
from cinder import coordination

from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage import driver as ngx_driver
from tests import common

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- arrays ----------------------------------------------------------------

class ArrayProcess:
    """The simulated array in its own process, preloaded (see simserver)."""

    def __init__(self, luns=10, hosts=1):
        self.luns = luns
        self.hosts = hosts
        self._proc = subprocess.Popen(
            [sys.executable, '-m', 'benchmarks.simserver',
             '--luns', str(luns), '--hosts', str(hosts)],
            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True)
        line = self._proc.stdout.readline()
        if not line:
            self._proc.wait()
            raise RuntimeError('the simulator process exited with %s'
                               % self._proc.returncode)
        self.info = json.loads(line)
        self.url = self.info['url']
        self.token = self.info['token']
        self.portal_group_id = self.info['portal_group_id']

    def command(self, cmd, **args):
        """Send one command; return the simulator's answer (a dict)."""
        args['cmd'] = cmd
        self._proc.stdin.write(json.dumps(args) + '\n')
        self._proc.stdin.flush()
        return json.loads(self._proc.stdout.readline())

    def set_latency(self, ms):
        """Latency added to every API request from now on."""
        self.command('latency', ms=ms)

    def take_log(self):
        """Counter op_id -> API requests served since the last call."""
        return collections.Counter(self.command('log')['ops'])

    def stats(self):
        """Memory, CPU time and object counts of the simulator."""
        return self.command('stats')

    def close(self):
        """Stop the simulator process."""
        if self._proc.poll() is None:
            try:
                self.command('quit')
            except (OSError, ValueError):
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


class InProcessArray:
    """A running Simulator of the caller's, seen as a benchmark array."""

    def __init__(self, sim):
        self.sim = sim
        self.url = sim.url
        self.token = sim.token
        self.portal_group_id = sim.portal_group_id
        sim.clear_requests()

    def set_latency(self, ms):
        """Latency added to every API request from now on."""
        self.sim.app.latency = max(0, ms) / 1000.0

    def take_log(self):
        """Counter op_id -> API requests served since the last call."""
        entries = self.sim.requests
        self.sim.clear_requests()
        return collections.Counter(e['op_id'] for e in entries)

    def close(self):
        """Nothing: the caller owns the simulator."""


# -- the driver and its measurement ----------------------------------------

@dataclasses.dataclass
class Sample:
    """One measured driver call."""

    calls: int            # REST calls the client counted
    by_method: dict       # client method -> calls
    logged: int           # API requests the array served
    log_matches: bool     # the array saw exactly the client's calls
    seconds: float        # wall time of the driver call
    in_requests: float    # of which inside the client's requests


class Bench:
    """A driver set up against an array, and the tools to measure it."""

    def __init__(self, array, pools=('pool1',), **options):
        if not coordination.COORDINATOR.started:
            raise RuntimeError('Bench needs Cinder\'s lock coordinator: '
                               'use tests.common.Coordination')
        self.array = array
        self.ctx = context.get_admin_context()
        group = 'ngx-bench-%s' % uuid.uuid4().hex[:8]
        settings = common.backend_options(
            array, pools, ngxstorage_api_timeout=60,
            ngxstorage_api_pool_size=64)
        settings.update(options)
        conf = common.driver_configuration(group, **settings)
        self.pool = pools[0]
        self.driver = ngx_driver.NGXStorageISCSIDriver(
            configuration=conf, host='cinder@ngx')
        self.driver.db = common.InitiatorData()  # Cinder's database.
        self._hosts = 0
        self._request_seconds = 0.0
        self.setup = self.measure(self._setup)
        self._time_requests()

    def _time_requests(self):
        """Add up the time during which a client HTTP request is open.

        Requests made at once overlap: the time counted is that of their
        union, so the rest is still the driver's own time.
        """
        client = self.driver.client
        send = client._request
        lock = threading.Lock()
        open_since = [0, 0.0]  # requests open, since when

        def timed(*args, **kwargs):
            with lock:
                if not open_since[0]:
                    open_since[1] = time.perf_counter()
                open_since[0] += 1
            try:
                return send(*args, **kwargs)
            finally:
                with lock:
                    open_since[0] -= 1
                    if not open_since[0]:
                        self._request_seconds += (time.perf_counter()
                                                  - open_since[1])
        client._request = timed

    def _setup(self):
        self.driver.do_setup(self.ctx)
        self.driver.client.on_request = ngx_client.CallCounter()
        self.driver.check_for_setup_error()

    def warm_up(self):
        """What a service in use has done already (not measured).

        Opens the HTTP connection and attaches once, so the driver knows
        how the array names target IQNs (see exports._created_target).
        """
        self.driver.get_volume_stats(refresh=True)
        vol = self.create_volume()
        conn = self.new_host()
        self.driver.initialize_connection(vol, conn)
        self.driver.terminate_connection(vol, conn)
        self.driver.delete_volume(vol)

    @property
    def client(self):
        """The driver's REST client."""
        return self.driver.client

    # -- measuring ------------------------------------------------------

    def measure(self, func, latency_ms=None):
        """Run func once; return a Sample (latency set for its duration)."""
        self.array.take_log()
        if self.driver.client is not None:
            self.driver.client.on_request.reset()
        if latency_ms:
            self.array.set_latency(latency_ms)
        self._request_seconds = 0.0
        try:
            start = time.perf_counter()
            func()
            seconds = time.perf_counter() - start
        finally:
            if latency_ms:
                self.array.set_latency(0)
        counts = collections.Counter(self.driver.client.on_request.counts)
        logged = self.array.take_log()
        expected = collections.Counter({
            ngx_client.OPERATION_IDS[name]: n
            for name, n in counts.items()})
        return Sample(calls=sum(counts.values()), by_method=dict(counts),
                      logged=sum(logged.values()),
                      log_matches=expected == logged, seconds=seconds,
                      in_requests=self._request_seconds)

    # -- Cinder objects -------------------------------------------------

    def volume(self, size=1):
        """A Cinder volume object (not created on the array)."""
        return common.volume(self.ctx, size=size, pool=self.pool)

    def create_volume(self, size=1):
        """A Cinder volume with its LUN."""
        vol = self.volume(size)
        vol.update(self.driver.create_volume(vol) or {})
        return vol

    def snapshot(self, volume):
        """A Cinder snapshot object of volume (not on the array)."""
        return common.snapshot(self.ctx, volume)

    def create_snapshot(self, volume):
        """A Cinder snapshot with its array snapshot."""
        snap = self.snapshot(volume)
        snap.update(self.driver.create_snapshot(snap) or {})
        return snap

    def new_host(self):
        """The connector of a host never seen before."""
        self._hosts += 1
        host = 'bench-host-%s-%d' % (uuid.uuid4().hex[:6], self._hosts)
        return common.connector(host)

    def record_attachment(self, volume, conn):
        """Record a live attachment of volume on the host (as Cinder does)."""
        common.attach(volume, conn['host'], ctx=self.ctx)

    def attach(self, volume, conn):
        """initialize_connection, recording the attachment."""
        info = self.driver.initialize_connection(volume, conn)
        self.record_attachment(volume, conn)
        return info
