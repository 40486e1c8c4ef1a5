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

"""Unit tests of the array check's table, journal, report and usage."""

import io
import os
import tempfile
from unittest import mock

import testtools

from cinder_ngxstorage.array_check import cli
from cinder_ngxstorage.array_check import driver_table
from cinder_ngxstorage.array_check import journal
from cinder_ngxstorage.array_check import probes
from cinder_ngxstorage.array_check import report
from cinder_ngxstorage.simulator import variants


class TestDriverTable(testtools.TestCase):

    def test_every_variant_has_a_row(self):
        self.assertEqual(set(variants.REGISTRY) | {'strict'},
                         set(driver_table.TABLE))
        levels = {driver_table.WORKS, driver_table.DEGRADED,
                  driver_table.FAILS, driver_table.UNSAFE}
        for name, (level, text) in driver_table.TABLE.items():
            self.assertIn(level, levels, name)
            self.assertTrue(text, name)

    def test_rows_are_the_matrix_expectations(self):
        """One table: a level, and the cells that fail loudly."""
        self.assertEqual(set(driver_table.TABLE), set(driver_table.ROWS))
        for name, row in driver_table.ROWS.items():
            self.assertEqual((row.level, row.text), driver_table.row(name))
            self.assertNotEqual(driver_table.UNSAFE, row.level, name)
            self.assertEqual(row.level == driver_table.FAILS,
                             bool(row.fails), name)
            self.assertLessEqual(set(row.fails),
                                 set(driver_table.OPERATION_NAMES), name)
            for operation in driver_table.OPERATION_NAMES:
                level, fragment = driver_table.outcome(name, operation)
                self.assertEqual(operation in row.fails,
                                 level == driver_table.FAILS)
                self.assertEqual(row.fails.get(operation), fragment)
                if fragment is not None:
                    self.assertTrue(fragment.strip(), (name, operation))

    def test_documented_table_is_the_table(self):
        """doc/source/variants.rst holds the generated table."""
        names = ['strict'] + [v.name for v in variants.VARIANTS]
        path = os.path.join(os.path.dirname(__file__), '..', '..', 'doc',
                            'source', 'variants.rst')
        with open(path) as doc:
            text = doc.read()
        expected = '\n'.join(driver_table.rst_table(names))
        self.assertIn(expected, text, 'regenerate the table with: python '
                      '-m cinder_ngxstorage.array_check.driver_table')
        for name in names:
            self.assertIn(driver_table.ROWS[name].text, ' '.join(
                text.split()), name)

    @mock.patch.dict(driver_table.TABLE, {'chap-masked': (
        driver_table.UNSAFE, 'a row of a driver that hands out the mask')})
    def test_exit_status(self):
        safe = probes.Finding('a', 'x', ['listen-ip'], ['listen-ip'])
        unsafe = probes.Finding('b', 'x', ['chap-masked'], ['chap-masked'])
        unknown = probes.Finding('c', 'x', ['listen-ip'], unknown=True)
        hidden = probes.Finding('d', 'x', ['ipv6-unbracketed'],
                                observable=False)
        self.assertEqual(report.OK, report.exit_status([safe, hidden]))
        self.assertEqual(report.UNSAFE, report.exit_status([safe, unsafe]))
        self.assertEqual(report.UNSAFE, report.exit_status([unknown]))
        self.assertEqual(['b', 'c'], report.unsafe([safe, unsafe, unknown,
                                                    hidden]))

    def test_lines_come_from_the_registry(self):
        finding = probes.Finding('a', 'x', ['conflict-400', 'conflict-422'])
        self.assertEqual(variants.REGISTRY['conflict-400'].line_text,
                         finding.lines)

    def test_render(self):
        finding = probes.Finding('listen-ips', 'x', ['listen-csv'],
                                 ['listen-csv'], 'a string')
        text = report.render([finding], {'listen-csv'})
        self.assertIn('[listen-csv]', text)
        self.assertIn('works: listen-csv: the string is split at', text)
        self.assertIn('variants matched: listen-csv', text)
        self.assertIn('unsafe for the driver: nothing', text)
        self.assertIn('nothing left on the array', text)


class TestJournal(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(tempfile.mkdtemp(), 'journal')
        self.addCleanup(lambda: os.path.exists(self.path) and
                        os.unlink(self.path))

    def test_prefix_then_objects_and_a_cut_line(self):
        kit = journal.Journal(self.path, 'ngxchkabc123')
        kit.record('lun', 'v1', 'ngxchkabc123l1')
        with open(self.path, 'a') as handle:
            handle.write('{"kind": "tar')  # killed mid-write
        self.assertEqual((['ngxchkabc123'],
                          [('lun', 'v1', 'ngxchkabc123l1')]),
                         journal.read(self.path))

    def test_only_kit_names(self):
        self.assertRaises(ValueError, journal.Journal, None, 'cinder')
        kit = journal.Journal(None, 'ngxchkabc123')
        self.assertRaises(ValueError, kit.record, 'lun', 'v', 'volume-1')

    def test_sweep_without_kit_prefixes_does_nothing(self):
        api = mock.Mock()
        self.assertEqual({}, journal.sweep(api, ['volume-', '']))
        api.call.assert_not_called()


class TestUsage(testtools.TestCase):

    def run_main(self, argv, env=None):
        err = io.StringIO()
        with mock.patch.dict(os.environ, env or {}, clear=False), \
                mock.patch('sys.stderr', err):
            if env is None:
                os.environ.pop(cli.TOKEN_ENV, None)
            try:
                return cli.main(argv), err.getvalue()
            except SystemExit as exc:
                return exc.code, err.getvalue()

    def test_no_token_is_a_usage_error(self):
        status, err = self.run_main(['--url', 'http://127.0.0.1:1',
                                     '--pool', 'p'])
        self.assertEqual(report.ERROR, status)
        self.assertIn(cli.TOKEN_ENV, err)

    def test_no_pool_is_a_usage_error(self):
        status, _err = self.run_main(['--url', 'http://127.0.0.1:1'],
                                     {cli.TOKEN_ENV: 'x' * 40})
        self.assertEqual(report.ERROR, status)

    def test_unreachable_array(self):
        status, err = self.run_main(
            ['--url', 'http://127.0.0.1:1', '--pool', 'p', '--journal',
             _journal_path()], {cli.TOKEN_ENV: 'secret-token-1234'})
        self.assertEqual(report.ERROR, status)
        self.assertNotIn('secret-token-1234', err)


def _journal_path():
    return os.path.join(tempfile.mkdtemp(), 'journal')
