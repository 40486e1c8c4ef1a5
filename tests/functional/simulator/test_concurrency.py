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

"""Concurrent requests from many threads."""

import threading

from tests.functional.simulator import base

API = base.API
THREADS = 16
PER_THREAD = 10


def run_threads(count, func):
    """Run func(index) in ``count`` threads; return results in order.

    Plain threads rather than concurrent.futures: under eventlet (Cinder's
    test packages patch the process) both are green, but the executor's
    C-level queue would block the whole hub.
    """
    results = [None] * count
    errors = []

    def body(index):
        try:
            results[index] = func(index)
        except Exception as e:  # noqa: B902 - reported below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,))
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


class ConcurrencyTest(base.SimulatorTestCase):
    """The server and the state under parallel load."""

    POOLS = ('pool1:1T',)

    def _worker(self, index):
        client = base.HttpClient(self.sim)
        try:
            return [client.create_lun('t%d_%d' % (index, n))
                    for n in range(PER_THREAD)]
        finally:
            client.close()

    def test_parallel_lun_creates(self):
        """Distinct ids, right counts, every request logged."""
        results = run_threads(THREADS, self._worker)
        vol_ids = [vol_id for chunk in results for vol_id in chunk]
        total = THREADS * PER_THREAD
        self.assertEqual(total, len(vol_ids))
        self.assertEqual(total, len(set(vol_ids)))
        self.assertEqual(sorted(vol_ids),
                         sorted(lun['vol_id'] for lun in
                                self.sim.state.luns()))
        listed = self.http.request('GET', API + '/lun/').json()
        self.assertEqual(total, len(listed))
        creates = [e for e in self.sim.requests if e['op_id'] == 'lun.create']
        self.assertEqual([200] * total, [e['status'] for e in creates])
        info = self.http.request('GET', API + '/status/system_info').json()
        self.assertEqual(total, int(info['luns']))

    def test_duplicate_names_race(self):
        """Many threads create the same name: exactly one wins."""
        def attempt(_index):
            client = base.HttpClient(self.sim)
            try:
                return client.request('POST', API + '/lun/', json={
                    'pool_name': 'pool1', 'name': 'same', 'size': 1,
                }).status_code
            finally:
                client.close()

        codes = sorted(run_threads(THREADS * 2, attempt))
        self.assertEqual([200] + [409] * (THREADS * 2 - 1), codes)

    def test_fault_counting_is_atomic(self):
        """nth/times counting holds under concurrency."""
        self.sim.faults.add(method='GET', path='/status/cpu', nth=3,
                            times=5, status=500)

        def call(_index):
            client = base.HttpClient(self.sim)
            try:
                return client.request('GET', API + '/status/cpu').status_code
            finally:
                client.close()

        codes = run_threads(40, call)
        self.assertEqual(5, codes.count(500))
        self.assertEqual(35, codes.count(200))
