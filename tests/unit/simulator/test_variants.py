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

"""The variant registry: names, combinations, docs, coverage, selection."""

import contextlib
import inspect
import io
import os
import re

import testtools

from cinder_ngxstorage import simulator
from cinder_ngxstorage.simulator import cli
from cinder_ngxstorage.simulator.model import readings
from cinder_ngxstorage.simulator import state as st
from cinder_ngxstorage.simulator import variants
from tests.functional.simulator import test_variants as http_variants
from tests.unit import test_devstack

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
PACKAGE = os.path.join(ROOT, 'cinder_ngxstorage', 'simulator')
SIMULATOR_RST = os.path.join(ROOT, 'doc', 'source', 'simulator.rst')
REFERENCE_LINES = 1971


class TestRegistry(testtools.TestCase):

    def test_every_variant_builds_a_reading(self):
        for variant in variants.VARIANTS:
            reading = variants.reading_for([variant.name])
            self.assertEqual(variant.name, reading.name)
            self.assertTrue(reading.changes(), variant.name)
            self.assertIn(variant.klass, variants.CLASSES)
            self.assertTrue(variant.wire)

    def test_names_are_unique_and_well_formed(self):
        names = [v.name for v in variants.VARIANTS]
        self.assertEqual(len(names), len(set(names)))
        for name in names:
            self.assertRegex(name, '^[a-z0-9]+(-[a-z0-9]+)*$')

    def test_reference_lines_exist(self):
        for variant in variants.VARIANTS:
            self.assertTrue(variant.lines, variant.name)
            for line in variant.lines:
                first, last = line if isinstance(line, tuple) else (line,
                                                                    line)
                self.assertTrue(1 <= first <= last <= REFERENCE_LINES,
                                '%s: %r' % (variant.name, line))

    def test_every_switch_has_a_variant(self):
        set_by_variants = set()
        for variant in variants.VARIANTS:
            set_by_variants.update(variant.changes)
        self.assertEqual(set(), set(readings.Reading.CHOICES) -
                         set_by_variants)

    def test_every_choice_consulted_once_where_documented(self):
        sources = {}
        for folder, _dirs, files in os.walk(PACKAGE):
            for name in files:
                if name.endswith('.py') and name != 'readings.py':
                    path = os.path.join(folder, name)
                    with open(path) as handle:
                        sources[os.path.relpath(path, PACKAGE)] = (
                            handle.read())
        for switch, place in readings.Reading.CONSULTED.items():
            pattern = r'reading\.%s\b' % switch
            where = [path for path, text in sources.items()
                     for _m in re.finditer(pattern, text)]
            self.assertEqual(1, len(where), '%s read at %s'
                             % (switch, where))
            module, function = place.split(':')
            self.assertEqual(module.replace('.', os.sep) + '.py', where[0],
                             '%s: read in %s, documented at %s'
                             % (switch, where[0], place))
            text = sources[where[0]]
            start = text.index('def %s(' % function)
            end = text.find('\n    def ', start + 1)
            body = text[start:] if end < 0 else text[start:end]
            self.assertRegex(body, pattern,
                             '%s not read in %s' % (switch, place))
        self.assertEqual(set(readings.Reading.CHOICES),
                         set(readings.Reading.CONSULTED))

    def test_combination(self):
        reading = variants.reading_for(['conflict-422', 'chap-masked',
                                        'listen-csv', 'conflict-422'])
        self.assertEqual('conflict-422+chap-masked+listen-csv',
                         reading.name)
        self.assertEqual(422, reading.statuses['conflict'])
        self.assertEqual('masked', reading.chap_secret_in_reads)
        self.assertEqual('csv', reading.listen_ips)
        self.assertEqual(404, reading.statuses['not_found'])

    def test_same_switch_twice_is_refused(self):
        for pair in (('conflict-400', 'conflict-422'),
                     ('chap-masked', 'chap-omitted'),
                     ('listen-csv', 'listen-objects'),
                     ('strings-for-numbers', 'json-numbers'),
                     ('json-booleans', 'strings-for-booleans')):
            error = self.assertRaises(ValueError, variants.reading_for,
                                      pair)
            for name in pair:
                self.assertIn(name, str(error))

    def test_excluded_pair_is_refused(self):
        error = self.assertRaises(ValueError, variants.reading_for,
                                  ['errors-without-json', 'conflict-200'])
        self.assertIn('cannot be combined', str(error))

    def test_unknown_name(self):
        error = self.assertRaises(ValueError, variants.reading_for,
                                  ['conflict-418'])
        self.assertIn('conflict-418', str(error))
        self.assertIn('conflict-422', str(error))

    def test_base_reading_kept(self):
        base = readings.STRICT.variant('mine', statuses={'malformed': 422})
        reading = variants.reading_for(['chap-masked'], base=base)
        self.assertEqual(422, reading.statuses['malformed'])
        self.assertEqual('mine+chap-masked', reading.name)
        self.assertIs(base, variants.reading_for([], base=base))


class TestDocumentedAndCovered(testtools.TestCase):
    """Every registered variant is in simulator.rst's table and tested."""

    def test_documented_in_simulator_rst(self):
        with open(SIMULATOR_RST) as handle:
            text = handle.read()
        rows = {}
        for block in text.split('   * - ')[1:]:
            match = re.match(r'^``([a-z0-9-]+)``\n(.*)$', block, re.S)
            if match:
                rows[match.group(1)] = match.group(2)
        for variant in variants.VARIANTS:
            self.assertIn(variant.name, rows,
                          '%s missing from simulator.rst' % variant.name)
            row = rows[variant.name]
            self.assertIn(variant.klass, row, variant.name)
            self.assertIn('- %s\n' % variant.line_text, row, variant.name)

    def test_covered_by_a_test(self):
        covered = set()
        for module in (http_variants, inspect.getmodule(self)):
            for _name, obj in inspect.getmembers(module, inspect.isclass):
                covered.update(getattr(obj, 'VARIANTS', ()))
        self.assertEqual(set(), set(variants.REGISTRY) - covered)


class TestModelVariants(testtools.TestCase):
    """Variants whose effect shows in the model's own answers."""

    VARIANTS = ('conflict-400', 'size-unit-megabytes')

    def test_direct_callers_get_the_variant(self):
        sim = simulator.Simulator(variants=list(self.VARIANTS))
        self.assertEqual(list(self.VARIANTS), sim.variants)
        state = sim.state
        state.lun_create(params={'pool_name': 'pool1', 'name': 'v',
                                 'size': 3})
        lun = state.lun_list()[0]
        detail = state.lun_detail(params={'vol_id': lun['vol_id']})
        self.assertEqual(str(3 << 20), detail['vol_size'])
        error = self.assertRaises(
            st.ApiError, state.lun_create,
            params={'pool_name': 'pool1', 'name': 'v', 'size': 3})
        self.assertEqual(400, error.status)
        sim.stop()

    def test_one_name_as_a_string(self):
        sim = simulator.Simulator(variants='chap-masked')
        self.assertEqual(['chap-masked'], sim.variants)
        self.assertEqual('masked', sim.state.reading.chap_secret_in_reads)
        sim.stop()

    def test_bad_combination_refused(self):
        self.assertRaises(ValueError, simulator.Simulator,
                          variants=['listen-ip', 'listen-csv'])


class TestCommandLine(testtools.TestCase):

    def run_cli(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(
                err):
            code = cli.main(list(argv))
        return code, out.getvalue(), err.getvalue()

    def test_list_variants(self):
        code, out, _err = self.run_cli('--list-variants')
        self.assertEqual(0, code)
        lines = out.splitlines()
        self.assertEqual(len(variants.VARIANTS), len(lines))
        for variant in variants.VARIANTS:
            self.assertIn(variant.name, out)
        self.assertIn('lines 362, 383-403', out)

    def test_unknown_variant_exits_2(self):
        code, out, err = self.run_cli('--variant', 'nope')
        self.assertEqual(2, code)
        self.assertEqual('', out)
        self.assertIn('nope', err)

    def test_conflicting_variants_exit_2(self):
        code, _out, err = self.run_cli('--variant', 'conflict-400',
                                       '--variant', 'conflict-200')
        self.assertEqual(2, code)
        self.assertIn('conflict', err)

    def test_parser_repeats(self):
        args = cli.build_parser().parse_args(['--variant', 'a',
                                              '--variant', 'b'])
        self.assertEqual(['a', 'b'], args.variant)


class TestDevstack(testtools.TestCase):

    def test_variants_on_the_command_line(self):
        harness = test_devstack.DevstackHarness(self)
        out = harness.run('ngxstorage_sim_command', env={
            'NGXSTORAGE_SIMULATOR_VARIANTS': 'conflict-400 chap-masked'})
        self.assertIn('--variant conflict-400 --variant chap-masked',
                      out.stdout)
        out = harness.run('ngxstorage_sim_command')
        self.assertNotIn('--variant', out.stdout)
