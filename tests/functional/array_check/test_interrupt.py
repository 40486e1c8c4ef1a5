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

"""A kit stopped half way leaves nothing behind.

A fault rule of the simulator holds one request of the cascade probes
(the kit has made LUNs, targets, an auth group, snapshots and a clone by
then) for a minute; the kit is then interrupted (SIGINT, SIGTERM: it
sweeps before it exits) or killed (SIGKILL: the next run, or
``--cleanup-only``, sweeps from the journal).
"""

import os
import signal
import time

from cinder_ngxstorage.array_check import report
from cinder_ngxstorage.array_check import wire
from tests.functional.array_check import base

#: The GET of a snapshot after Delete All (cascade probes).
HELD = r'^/api/v2/snapshot/[0-9a-f]{40}$'


class TestInterrupted(base.KitTestCase):

    def start_held(self, sim, method='GET', path=HELD, nth=1):
        rule = sim.faults.add(method=method, path=path, phase='before',
                              action='delay', delay=60, times=1, nth=nth)
        proc = base.kit_process(sim, self.journal)
        self.addCleanup(_reap, proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            fired = [r for r in sim.faults.rules() if r['id'] == rule]
            if fired and fired[0]['fired']:
                break
            if proc.poll() is not None:
                self.fail('the kit ended early: %s' % (proc.communicate(),))
            time.sleep(0.05)
        else:
            self.fail('the kit never reached the held request')
        self.assertNotEqual([], base.kit_objects(sim))
        self.assertTrue(os.path.exists(self.journal))
        return proc

    def interrupt(self, signum):
        with base.make_simulator() as sim:
            proc = self.start_held(sim)
            proc.send_signal(signum)
            _out, err = proc.communicate(timeout=60)
            self.assertEqual(report.ERROR, proc.returncode, err)
            self.assertIn('interrupted', err)
            self.assert_clean(sim)

    def test_sigint_cleans_up(self):
        self.interrupt(signal.SIGINT)

    def test_sigterm_cleans_up(self):
        self.interrupt(signal.SIGTERM)

    def test_sigkill_then_cleanup_only(self):
        with base.make_simulator() as sim:
            proc = self.start_held(sim)
            proc.kill()
            proc.communicate(timeout=60)
            sim.faults.clear()
            left = base.kit_objects(sim)
            self.assertNotEqual([], left)
            status, text = base.run_kit(sim, self.journal, '--cleanup-only')
            self.assertEqual(report.OK, status, text)
            self.assert_clean(sim)

    def test_sigkill_then_next_run(self):
        with base.make_simulator() as sim:
            proc = self.start_held(sim)
            proc.kill()
            proc.communicate(timeout=60)
            sim.faults.clear()
            status, doc = base.run_kit(sim, self.journal)
            self.assertEqual(report.OK, status)
            self.assertEqual([], doc['variants'])
            self.assert_clean(sim)

    def test_sigkill_with_many_mapped_luns(self):
        # Held at the second Add LUN of the maxlun probe: dozens of LUNs
        # mapped, and targets the listed scsi_id does not address (the
        # journal has their ids), LUNs unmapped by scsi_lunid.
        names = ['target-id-not-scsi-id', 'lun-ids-are-scsi-lunids']
        with base.make_simulator(names) as sim:
            proc = self.start_held(sim, 'PUT', r'^/api/v2/iscsi_target/lun/',
                                   nth=5)
            proc.kill()
            proc.communicate(timeout=60)
            sim.faults.clear()
            mapped = sum(len(target['luns']) for target in _luns(
                sim.state.dump()['targets']))
            self.assertGreater(mapped, 10)
            status, text = base.run_kit(sim, self.journal, '--cleanup-only')
            self.assertEqual(report.OK, status, text)
            self.assert_clean(sim)

    def test_other_objects_untouched(self):
        # An object that is not the kit's survives a sweep, even one
        # whose name looks like another kit run's.
        with base.make_simulator() as sim:
            api = wire.Api(sim.url, sim.token)
            self.addCleanup(api.close)
            for name in ('cinder-volume', 'ngxchkother1'):
                self.assertTrue(api.call('POST', '/lun/', {
                    'pool_name': 'pool1', 'name': name, 'size': 1}).ok)
            proc = self.start_held(sim)
            proc.kill()
            proc.communicate(timeout=60)
            sim.faults.clear()
            status, _text = base.run_kit(sim, self.journal, '--cleanup-only')
            self.assertEqual(report.OK, status)
            names = sorted(lun['name'] for lun in
                           _luns(sim.state.dump()['luns']))
            self.assertEqual(['cinder-volume', 'ngxchkother1'], names)


def _luns(table):
    return table.values() if isinstance(table, dict) else table


def _reap(proc):
    if proc.poll() is None:
        proc.kill()
        proc.communicate()
