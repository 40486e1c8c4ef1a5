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

"""REST calls per driver operation: the documented count, no more.

Every operation of ``benchmarks/operations.py`` (the table the benchmarks
and ``doc/source/benchmarks.rst`` show) runs against the simulator, empty
and preloaded with LUNs and hosts, and must make exactly the documented
number of calls, seen alike by the client's counters and the simulator's
request log. Counts only: no timing is asserted.
"""

from benchmarks import harness
from benchmarks import operations
from benchmarks import simserver
import testtools

from cinder_ngxstorage.simulator import Simulator
from tests import common


class RestEconomyTest(testtools.TestCase):
    """The driver against an empty array."""

    PRELOAD_LUNS = 0
    PRELOAD_HOSTS = 0

    def setUp(self):
        super().setUp()
        common.detect_leaks(self)
        self.useFixture(common.Coordination())
        sim = Simulator(pools=simserver.POOLS, portals=simserver.PORTALS)
        sim.__enter__()
        self.addCleanup(sim.__exit__, None, None, None)
        simserver.preload(sim.state, self.PRELOAD_LUNS, self.PRELOAD_HOSTS)
        self.bench = harness.Bench(harness.InProcessArray(sim))
        self.assertTrue(self.bench.setup.log_matches)
        self.bench.warm_up()

    def check(self, key):
        operation = operations.BY_KEY[key]
        if not operations.available(operation, self.bench.driver):
            self.skipTest('%s is not implemented by the driver' % key)
        for _attempt in range(2):
            sample = self.bench.measure(operation.prepare(self.bench))
            self.assertEqual(operation.expected, sample.calls,
                             '%s: %s' % (key, sample.by_method))
            self.assertTrue(sample.log_matches,
                            '%s: the simulator saw other requests than '
                            'the client counted' % key)

    def test_documented_counts_are_minimal_or_explained(self):
        for operation in operations.OPERATIONS:
            if operation.expected != operation.minimum:
                self.assertTrue(operation.note, operation.key)


def _add_tests(cls):
    for operation in operations.OPERATIONS:
        def test(self, key=operation.key):
            self.check(key)
        test.__name__ = 'test_%s' % operation.key
        test.__doc__ = '%s: %d REST call(s).' % (operation.title,
                                                 operation.expected)
        setattr(cls, test.__name__, test)


_add_tests(RestEconomyTest)


class RestEconomyPreloadedTest(RestEconomyTest):
    """The same counts with LUNs, snapshots and other hosts on the array."""

    PRELOAD_LUNS = 300
    PRELOAD_HOSTS = 30
