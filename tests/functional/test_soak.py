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

"""A bounded soak: concurrent lifecycles against a faulty array.

``WORKERS`` threads share one driver (as the green threads of one
cinder-volume service do) and each runs ``LIFECYCLES`` lifecycles of
create, attach, detach, snapshot, volume from snapshot, clone, extend and
deletes, on its own host, while the simulator injects random faults on a
few percent of the calls (500 before or after the change, dropped
connections and timeouts after it, 409). Each operation succeeds or raises
a Cinder exception; a failed one is handled as Cinder would (a failed
create is deleted, a failed attach detached, a failed delete or detach
retried). At the end, with the faults gone, the service restarts (its
clean-up runs) and the array must hold nothing: no LUN, snapshot, target,
auth group or deferred-deletion marker.

The summary (operations, failures by kind, leftovers) is printed;
``NGX_SOAK_WORKERS``, ``NGX_SOAK_LIFECYCLES`` and ``NGX_SOAK_SEED``
change the size and the draws.
"""

import collections
import os
import random
import sys
import threading
import time

from cinder import exception

from cinder_ngxstorage import naming
from tests.functional.driver import base
from tests.functional.driver import faultlib

WORKERS = int(os.environ.get('NGX_SOAK_WORKERS', 8))
LIFECYCLES = int(os.environ.get('NGX_SOAK_LIFECYCLES', 50))
SEED = int(os.environ.get('NGX_SOAK_SEED', 20240611))
# Attempts at a clean-up (delete, detach) before it counts as stuck.
ATTEMPTS = 12

FAULTS = (
    dict(phase='before', action='status', status=500, probability=0.015),
    dict(phase='after', action='status', status=500, probability=0.01),
    dict(phase='after', action='drop', probability=0.01),
    dict(phase='after', action='delay', delay=0.5, probability=0.005),
    dict(phase='before', action='status', status=409, probability=0.005),
)


class SoakTest(base.DriverTestCase):
    """Lifecycles under random faults leave the array empty."""

    POOLS = ('pool1:2T', 'pool2:1T')

    def setUp(self):
        super().setUp()
        self.lock = threading.Lock()
        self.done = collections.Counter()
        self.failures = collections.Counter()
        self.crashes = []
        self.stuck = []

    def record(self, op, err=None):
        with self.lock:
            self.done[op] += 1
            if err is not None:
                cause = type(err.__cause__).__name__ if err.__cause__ \
                    else '-'
                self.failures['%s: %s (%s)' % (op, type(err).__name__,
                                               cause)] += 1

    def call(self, op, func, *args):
        """One driver call: (True, result) or (False, Cinder error)."""
        try:
            result = func(*args)
        except exception.CinderException as err:
            self.record(op, err)
            return False, err
        except Exception as err:
            with self.lock:
                self.crashes.append('%s: %r' % (op, err))
            self.record(op, err)
            return False, err
        self.record(op)
        return True, result

    def until_done(self, op, func, *args):
        """A clean-up Cinder repeats until it works (bounded)."""
        for _attempt in range(ATTEMPTS):
            ok, result = self.call(op, func, *args)
            if ok:
                return result
        with self.lock:
            self.stuck.append('%s %s' % (op, args[0].id))

    def lifecycle(self, drv, host, rng):
        vol = self.volume(size=1, pool=rng.choice(('pool1', 'pool2')))
        ok, update = self.call('create', drv.create_volume, vol)
        if not ok:
            self.until_done('delete', drv.delete_volume, vol)
            return
        vol.update(update)
        conn = self.connector(host)
        ok, _info = self.call('attach', drv.initialize_connection, vol, conn)
        self.until_done('detach', drv.terminate_connection, vol, conn)
        snap = self.snapshot(vol)
        ok, update = self.call('snapshot', drv.create_snapshot, snap)
        snap.update(update if ok else {})
        clones = []
        if ok:
            new = self.volume(size=2, pool=self._pool(vol))
            ok, update = self.call('from_snapshot',
                                   drv.create_volume_from_snapshot, new, snap)
            new.update(update if ok else {})
            clones.append(new)
        new = self.volume(size=1, pool=self._pool(vol))
        ok, update = self.call('clone', drv.create_cloned_volume, new, vol)
        new.update(update if ok else {})
        clones.append(new)
        ok, _none = self.call('extend', drv.extend_volume, vol, 2)
        if ok:
            vol.size = 2
        # Cinder's order: snapshots before their volume; clones any time.
        rng.shuffle(clones)
        self.until_done('delete', drv.delete_volume, clones.pop())
        self.until_done('delete_snapshot', drv.delete_snapshot, snap)
        for clone in clones:
            self.until_done('delete', drv.delete_volume, clone)
        self.until_done('delete', drv.delete_volume, vol)

    @staticmethod
    def _pool(vol):
        return vol.host.partition('#')[2]

    def worker(self, drv, number):
        rng = random.Random(SEED + number)
        for _lifecycle in range(LIFECYCLES):
            try:
                self.lifecycle(drv, 'soak-host-%d' % number, rng)
            except Exception as err:  # A bug of this test: report it.
                with self.lock:
                    self.crashes.append('lifecycle: %r' % err)

    def leftovers(self):
        """Every object of ours still on the array (names)."""
        return [item for item in faultlib.inventory(self.sim.state)]

    def test_soak(self):
        drv = faultlib.clone_driver(self.driver, warm=False,
                                    read_timeout=0.3)
        drv.client._backoff = 0.02
        self.sim.faults.reseed(SEED)
        for fault in FAULTS:
            self.sim.faults.add(times=0, **fault)
        start = time.monotonic()
        threads = [threading.Thread(target=self.worker, args=(drv, n))
                   for n in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
        fired = sum(rule['fired'] for rule in self.sim.faults.rules())
        requests = len(self.sim.requests)
        self.sim.faults.clear()
        # The next service start cleans up what interrupted operations
        # left (deferred deletions, empty targets and groups).
        self.make_driver()
        left = self.leftovers()
        registry = [lun for lun in self.sim.state.luns()
                    if naming.is_registry_name(lun['vol_name'])]
        summary = [
            'soak: %d workers x %d lifecycles in %.1f s; %d API requests, '
            '%d faults injected' % (WORKERS, LIFECYCLES, elapsed, requests,
                                    fired),
            'operations done: %d (%s)' % (
                sum(self.done.values()),
                ', '.join('%s %d' % kv for kv in sorted(self.done.items()))),
            'failures by kind: %d' % sum(self.failures.values())]
        summary += ['  %5d %s' % (n, kind) for kind, n in
                    sorted(self.failures.items())]
        summary += ['crashes (not Cinder exceptions): %d' % len(self.crashes),
                    'stuck clean-ups: %d' % len(self.stuck),
                    'leftover objects: %d' % len(left)]
        summary += ['  %s' % (item,) for item in left]
        text = '\n'.join(summary)
        sys.stdout.write('\n%s\n' % text)
        self.addDetail('soak-summary', _text(text))
        self.assertEqual([], self.crashes)
        self.assertEqual([], self.stuck)
        self.assertEqual([], left)
        self.assertLessEqual(len(registry), 1)
        self.assertGreater(fired, 0)
        self.assertGreater(sum(self.failures.values()), 0)


def _text(text):
    from testtools import content
    return content.text_content(text)
