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

"""Fuzzing the simulator: no 5xx that was not injected.

Schemathesis generates requests for every operation of the simulator's
own OpenAPI description (``api_spec.render_openapi``): valid ones
(positive mode, which create, change and delete objects) and invalid ones
(negative mode: wrong types, missing or unknown fields, out-of-range
values). Hypothesis also sends raw bodies (random bytes, truncated and
non-object JSON) to every operation that takes one. With no fault rule
set, the simulator must never answer 5xx nor drop a connection.

Bounded: ``NGX_FUZZ_EXAMPLES`` examples per operation and mode (default
8), derandomized so a run is repeatable; the counts are printed.
"""

import collections
import os
import sys

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import Phase
from hypothesis import settings
from hypothesis import strategies as st
import requests
try:
    import schemathesis
except ImportError:  # the 2024.1 series cannot have it (tools/series.sh)
    schemathesis = None

from cinder_ngxstorage.simulator import api_spec
from tests.functional.simulator import base

EXAMPLES = int(os.environ.get('NGX_FUZZ_EXAMPLES', 8))

_SETTINGS = dict(max_examples=EXAMPLES, deadline=None, database=None,
                 derandomize=True, phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=list(HealthCheck))


class SimulatorFuzzTest(base.SimulatorTestCase):
    """Generated requests never make the simulator fail."""

    def setUp(self):
        super().setUp()
        self.session = requests.Session()
        self.addCleanup(self.session.close)
        self.headers = {'Authorization': 'Bearer %s' % self.sim.token}
        self.statuses = collections.Counter()
        self.server_errors = []

    def send(self, label, func):
        try:
            response = func()
        except requests.exceptions.ConnectionError as err:
            self.server_errors.append('%s: connection lost (%s)'
                                      % (label, err))
            return
        except (ValueError, requests.exceptions.RequestException):
            # A request the HTTP library refuses to send (negative mode
            # can generate header or URL values no client can put on the
            # wire): not the simulator's business.
            self.statuses['unsendable'] += 1
            return
        self.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.server_errors.append('%s -> %d %s' % (
                label, response.status_code, response.text[:300]))

    def test_schema_driven(self):
        if schemathesis is None:
            if os.environ.get('CI', '').lower() in ('1', 'true', 'yes'):
                self.fail('schemathesis is not installed and CI is true')
            self.skipTest('schemathesis is not installed')
        schema = schemathesis.openapi.from_dict(
            api_spec.render_openapi(server_url=self.sim.url))
        operations = [result.ok() for result in schema.get_all_operations()]
        self.assertEqual(len(api_spec.OPERATIONS), len(operations))
        modes = (schemathesis.GenerationMode.POSITIVE,
                 schemathesis.GenerationMode.NEGATIVE)
        for operation in operations:
            for mode in modes:
                strategy = operation.as_strategy(generation_mode=mode)

                @settings(**_SETTINGS)
                @given(strategy)
                def run(case):
                    self.send('%s %s (%s): %s' % (
                        case.method, case.formatted_path, mode.value,
                        case.as_curl_command()[:300]),
                        lambda: case.call(base_url=self.sim.url,
                                          session=self.session,
                                          headers=self.headers, timeout=30))
                run()
        self.finish('schema-driven')

    def test_raw_bodies(self):
        bodies = st.one_of(
            st.binary(max_size=512),
            st.text(max_size=256).map(lambda t: t.encode('utf-8')),
            st.sampled_from([b'{', b'{"name": ', b'[]', b'null', b'"x"',
                             b'1e999', b'{"size": 1e400}', b'\xff\xfe',
                             b'{"name": "a", "name": "b"}',
                             b'{"owner": {"$ne": 1}}']))
        for op in api_spec.OPERATIONS:
            if not op.has_body:
                continue
            path = op.path.replace('{', '').replace('}', '')

            @settings(**_SETTINGS)
            @given(bodies)
            def run(body):
                self.send('%s %s raw %r' % (op.method, path, body[:80]),
                          lambda: self.session.request(
                              op.method, self.sim.url + path, data=body,
                              headers=dict(self.headers, **{
                                  'Content-Type': 'application/json'}),
                              timeout=30))
            run()
        self.finish('raw bodies')

    def finish(self, what):
        sys.stdout.write('\nfuzz %s: %d requests, statuses %s\n' % (
            what, sum(self.statuses.values()),
            dict(sorted(self.statuses.items(), key=str))))
        self.assertEqual([], self.sim.faults.rules())
        self.assertEqual([], self.server_errors)
        self.assertGreater(sum(self.statuses.values()), 0)
