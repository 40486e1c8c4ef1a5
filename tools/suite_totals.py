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

"""Totals per test suite of a stestr run, one line each.

Reads a subunit v2 stream (``stestr last --subunit``) on stdin and prints
``series SERIES SUITE: N passed, N failed, N skipped`` for each suite
(tests/unit, tests/functional, tests/stack, tests/dataplane: the second
component of the test id), in that order. Exits 1 when a test failed or
the stream has no test of a suite named with ``--expect``.

``--sum`` instead reads such totals lines (and Tempest's) on stdin and
prints their sum: ``N passed, N failed, N skipped``.
"""

import argparse
import collections
import re
import sys

import subunit
import testtools

ORDER = ('unit', 'functional', 'stack', 'dataplane')


def sum_lines(lines):
    """The sum of the counts of totals lines, as one line."""
    sums = collections.Counter()
    for line in lines:
        for number, word in re.findall(r'(\d+) (passed|failed|skipped)',
                                       line):
            sums[word] += int(number)
    return '%d passed, %d failed, %d skipped' % (
        sums['passed'], sums['failed'], sums['skipped'])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv == ['--sum']:
        print(sum_lines(sys.stdin))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('series')
    parser.add_argument('--expect', action='append', default=[],
                        help='a suite that must have run (repeatable)')
    args = parser.parse_args(argv)

    collector = _Collector()
    results = testtools.StreamToDict(collector.add)
    results.startTestRun()
    subunit.ByteStreamToStreamResult(
        sys.stdin.buffer, non_subunit_name='stdout').run(results)
    results.stopTestRun()

    counts = collector.counts
    status = 0
    for suite in sorted(set(counts) | set(args.expect),
                        key=lambda s: (s not in ORDER,
                                       ORDER.index(s) if s in ORDER else 0,
                                       s)):
        c = counts.get(suite, collections.Counter())
        print('series %s %s: %d passed, %d failed, %d skipped'
              % (args.series, suite, c['passed'], c['failed'],
                 c['skipped']))
        if c['failed'] or not (c['passed'] + c['failed']):
            status = 1
    return status


class _Collector(object):
    """Counts test outcomes per suite."""

    def __init__(self):
        self.counts = collections.defaultdict(collections.Counter)

    def add(self, test):
        test_id = test['id']
        # A class or module fixture: "setUpClass (tests.unit.x.Case)".
        match = re.search(r'\((tests\.[^)]*)\)', test_id)
        if match:
            test_id = match.group(1)
        parts = test_id.split('.')
        if parts[0] != 'tests' or len(parts) < 3:
            suite = 'other'
        else:
            suite = parts[1]
        if test['status'] in ('success', 'xfail'):
            self.counts[suite]['passed'] += 1
        elif test['status'] == 'skip':
            self.counts[suite]['skipped'] += 1
        elif test['status'] in ('fail', 'uxsuccess'):
            self.counts[suite]['failed'] += 1


if __name__ == '__main__':
    sys.exit(main())
