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

"""The kit names each simulator variant, and leaves nothing behind.

One simulator per registry variant (and the strict reading, and a few
combinations); the kit's verdict must be exactly the simulator's variant
set, and no object with the kit's prefix may remain.
"""

import contextlib
import io
import re

from cinder_ngxstorage.array_check import cli
from cinder_ngxstorage.array_check import driver_table
from cinder_ngxstorage.array_check import report
from cinder_ngxstorage.simulator import variants
from tests.functional.array_check import base

#: Combinations: several classes at once (verdicts must stay exact).
COMBINATIONS = (
    ('conflict-422', 'chap-masked', 'listen-csv', 'json-numbers',
     'lun-ids-are-scsi-lunids', 'cascade-restore', 'lun-add-bare'),
    ('errors-without-json', 'target-create-empty', 'strings-for-booleans',
     'lun-numbers-array-wide', 'maxlun-per-array', 'size-unit-megabytes',
     'strings-for-numbers', 'capacity-example'),
    ('conflict-200', 'reason-in-error-field', 'chap-omitted',
     'chap-status-bool', 'listen-ip', 'cascade-snapshot-clones',
     'cascade-delete-all', 'lun-create-no-id', 'lun-remove-bare',
     'lun-modify-bare', 'maxlun-zero'),
    ('target-id-not-scsi-id', 'json-booleans', 'ipv6-unbracketed',
     'conflict-400'),
)

#: Combinations the kit cannot fully tell apart: simulator variants ->
#: the verdict (doc/source/array-check.rst, "What the kit cannot tell").
HIDDEN = (
    (('json-booleans', 'chap-status-bool'), ['json-booleans']),
    (('listen-objects', 'ipv6-unbracketed'), ['listen-objects']),
    (('listen-wildcard', 'ipv6-unbracketed'), ['listen-wildcard']),
)


def expected_status(names):
    levels = [driver_table.row(name)[0] for name in names]
    return (report.UNSAFE if driver_table.UNSAFE in levels
            else report.OK)


class TestVerdicts(base.KitTestCase):

    def check(self, names):
        with base.make_simulator(names) as sim:
            status, doc = base.run_kit(sim, self.journal)
            self.assertIsInstance(doc, dict, doc)
            self.assertEqual([], doc['problems'])
            self.assertEqual(sorted(names), doc['variants'])
            self.assertEqual([], [f['key'] for f in doc['findings']
                                  if f['unknown']])
            self.assertEqual(expected_status(names), status)
            self.assertEqual({}, doc['leftover'])
            self.assert_clean(sim)
        return doc

    def test_strict(self):
        doc = self.check([])
        # Every registry variant is a candidate of some probe.
        candidates = set()
        for finding in doc['findings']:
            candidates.update(finding['candidates'])
        self.assertEqual(set(variants.REGISTRY), candidates)

    def test_combinations(self):
        for names in COMBINATIONS:
            self.check(list(names))

    def test_text_report_keeps_secrets(self):
        with base.make_simulator(['chap-masked']) as sim:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                status = cli.main(base.kit_args(
                    sim, self.journal, '--token', sim.token))
            text = out.getvalue()
            self.assertEqual(expected_status(['chap-masked']), status)
            self.assertIn('variants matched: chap-masked', text)
            self.assertIn('exit status %d' % status, text)
            self.assertIn('array: product H2000G2 app_version 2.4.1', text)
            self.assertNotIn(sim.token, text)
            prefix = re.search(r'ngxchk[0-9a-f]{6}', text).group(0)
            secret = ('Kit%s' % prefix[-9:])[:16]
            self.assertNotIn(secret, text)
            self.assert_clean(sim)

    def test_array_without_quantity(self):
        # The third LUN create is the maxlun probe's (quantity): refused,
        # the kit makes the LUNs one by one.
        with base.make_simulator(['maxlun-per-array']) as sim:
            sim.faults.add(method='POST', path=r'^/api/v2/lun/?$', nth=3,
                           action='status', status=400)
            _status, doc = base.run_kit(sim, self.journal)
            self.assertEqual(['maxlun-per-array'], doc['variants'])
            self.assertEqual([], doc['problems'])
            self.assertGreater(len([r for r in sim.requests
                                    if r['op_id'] == 'lun.create']), 60)
            self.assert_clean(sim)

    def test_what_the_kit_cannot_tell(self):
        for names, verdict in HIDDEN:
            with base.make_simulator(names) as sim:
                _status, doc = base.run_kit(sim, self.journal)
                self.assertEqual(verdict, doc['variants'])
                self.assert_clean(sim)


def _variant_test(name):
    def test(self):
        self.check([name])
    test.__name__ = 'test_variant_%s' % name.replace('-', '_')
    test.__doc__ = 'The kit names the variant %s.' % name
    return test


for _name in variants.REGISTRY:
    _test = _variant_test(_name)
    setattr(TestVerdicts, _test.__name__, _test)
