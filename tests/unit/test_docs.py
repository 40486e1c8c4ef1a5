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

"""What the documentation and the CI files claim, checked against the code.

* doc/source/support-matrix.rst: each row's Yes/Generic/No against the
  driver's methods, reported capabilities and class attributes;
* doc/source/tempest.rst: the tempest.conf table against what the devstack
  plugin writes;
* tools/generate_config_sample.py: the generated backend section loads
  with oslo.config, has every option the driver reads, and the permission
  list covers every endpoint the driver probes at start;
* .zuul.yaml: the job's shape and its plugin;
* releasenotes/notes: every note is valid for reno.
"""

import glob
import os
import re
import subprocess
import sys

import fixtures
from oslo_config import cfg
from reno import config as reno_config
import testtools
import yaml

from cinder_ngxstorage import driver as ngx_driver
from tests.unit.driver import fakes
from tests.unit import test_devstack

ROOT = test_devstack.ROOT
DOC = os.path.join(ROOT, 'doc', 'source')
TOOLS = os.path.join(ROOT, 'tools')


def list_table_rows(path):
    """Rows (lists of cell texts) of the list-tables of an rst file."""
    with open(path, encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    rows, row = [], None
    for line in lines:
        match = re.match(r'^   \* - ?(.*)$', line)
        if match:
            row = [match.group(1)]
            rows.append(row)
            continue
        match = re.match(r'^     - ?(.*)$', line)
        if match and row is not None:
            row.append(match.group(1))
            continue
        if line.startswith('       ') and row is not None:
            row[-1] += ' ' + line.strip()
            continue
        if line.strip() and not line.startswith(' '):
            row = None
    return [[c.strip() for c in r] for r in rows]


def defined_by_us(cls, name):
    """Whether name on cls comes from this project's code."""
    value = getattr(cls, name, None)
    module = getattr(value, '__module__', '') or ''
    return value is not None and module.startswith('cinder_ngxstorage')


class SupportMatrixTestCase(fakes.DriverTestCase):
    """support-matrix.rst says what the code does."""

    def setUp(self):
        super().setUp()
        drv = self.ready_driver()
        self.client.get_capacity.return_value = {
            'pool1': {'info': {'total_size': '1', 'free_size': '1'}},
            'pool2': {'info': {'total_size': '1', 'free_size': '1'}}}
        self.stats = drv.get_volume_stats(refresh=True)['pools'][0]
        self.rows = list_table_rows(os.path.join(DOC, 'support-matrix.rst'))

    def test_rows_parsed(self):
        self.assertEqual(['Feature', 'Supported', 'Checked against',
                          'Notes'], self.rows[0])
        self.assertGreater(len(self.rows), 20)
        for row in self.rows[1:]:
            self.assertIn(row[1], ('Yes', 'Generic', 'No'), row)

    def test_claims_match_code(self):
        cls = ngx_driver.NGXStorageISCSIDriver
        wrong = []
        for feature, supported, checks, _notes in self.rows[1:]:
            for token in re.findall(r'``([^`]+)``', checks):
                if token.startswith('stats:'):
                    value = bool(self.stats.get(token[len('stats:'):]))
                    ok = value == (supported == 'Yes')
                elif token.startswith('attr:'):
                    value = bool(getattr(cls, token[len('attr:'):], False))
                    ok = value == (supported == 'Yes')
                elif supported == 'Yes':
                    ok = defined_by_us(cls, token)
                elif supported == 'Generic':
                    ok = (hasattr(cls, token)
                          and not defined_by_us(cls, token))
                else:
                    ok = not defined_by_us(cls, token)
                if not ok:
                    wrong.append('%s: %s is %s' % (feature, token, supported))
        self.assertEqual([], wrong)


class TempestTableTestCase(testtools.TestCase):
    """tempest.rst's tempest.conf table is what the devstack plugin writes."""

    def test_table_matches_plugin(self):
        harness = test_devstack.DevstackHarness(self)
        harness.stack(env=test_devstack.ARRAY)
        written = harness.ini(harness.tempest_conf)
        rows = list_table_rows(os.path.join(DOC, 'tempest.rst'))
        self.assertEqual(['section', 'option', 'value', 'why'], rows[0])
        documented = {}
        for section, option, value, _why in rows[1:]:
            documented[(section.strip('`'), option.strip('`'))] = \
                value.strip('`')
        actual = {(section, option): value
                  for section in written.sections()
                  for option, value in written[section].items()
                  if section in ('volume', 'volume-feature-enabled')}
        self.assertEqual(actual, documented)


class ConfigSampleTestCase(testtools.TestCase):
    """The generated backend section and permission list."""

    def generate(self, *args):
        proc = subprocess.run(
            [sys.executable, os.path.join(TOOLS, 'generate_config_sample.py')]
            + list(args), capture_output=True, text=True, timeout=120,
            cwd=ROOT)
        self.assertEqual(0, proc.returncode, proc.stderr[-2000:])
        return proc.stdout

    def test_backend_section_loads(self):
        text = self.generate('--backend', 'ngx-sample')
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'cinder.conf')
        with open(path, 'w') as handle:
            handle.write(text)
        conf = cfg.ConfigOpts()
        opts = list(ngx_driver.NGXStorageISCSIDriver.get_driver_options())
        conf.register_opts(opts + [cfg.StrOpt('volume_driver'),
                                   cfg.StrOpt('volume_backend_name')],
                           group='ngx-sample')
        conf.register_opt(cfg.ListOpt('enabled_backends'))
        conf(args=[], default_config_files=[path])
        group = conf['ngx-sample']
        self.assertEqual(['ngx-sample'], conf.enabled_backends)
        self.assertEqual('cinder_ngxstorage.driver.NGXStorageISCSIDriver',
                         group.volume_driver)
        self.assertEqual('192.0.2.10', group.san_ip)
        self.assertEqual(['pool1', 'pool2'], group.ngxstorage_pools)
        self.assertTrue(group.ngxstorage_api_token)
        self.assertTrue(group.ngxstorage_portal_group)
        required = {'san_ip', 'ngxstorage_api_token', 'ngxstorage_pools',
                    'ngxstorage_portal_group'}
        for opt in opts:
            self.assertRegex(text, r'(?m)^#?%s =' % opt.name)
            if opt.name not in required:
                self.assertEqual(opt.default, group[opt.name], opt.name)

    def test_permissions_cover_startup_probes(self):
        text = self.generate('--permissions')
        listed = set(re.findall(r'\b[a-z_]+\.[a-z_]+\b', text))
        probed = {endpoint for endpoint, _probe
                  in ngx_driver._PERMISSION_PROBES}
        self.assertEqual(set(), probed - listed)
        for needed in ('status.system_info', 'status.capacity',
                       'portal_group.list', 'lun.create'):
            self.assertIn(needed, listed)

    def test_generator_config_file(self):
        path = os.path.join(ROOT, 'etc', 'oslo-config-generator',
                            'cinder-ngxstorage.conf')
        parser = cfg.ConfigParser(path, {})
        parser.parse()
        self.assertEqual(['cinder_ngxstorage'],
                         parser.sections['DEFAULT']['namespace'])


class ZuulTestCase(testtools.TestCase):
    """.zuul.yaml: a devstack-tempest job that enables this plugin."""

    def test_job(self):
        with open(os.path.join(ROOT, '.zuul.yaml')) as handle:
            entries = yaml.safe_load(handle)
        jobs = {e['job']['name']: e['job'] for e in entries if 'job' in e}
        job = jobs['cinder-ngxstorage-tempest']
        self.assertEqual('devstack-tempest', job['parent'])
        variables = job['vars']
        with open(os.path.join(ROOT, 'devstack', 'settings')) as handle:
            plugin = re.search(r'^define_plugin (\S+)', handle.read(),
                               re.M).group(1)
        self.assertIn(plugin, variables['devstack_plugins'])
        self.assertIn('cinder-tempest-plugin', variables['tempest_plugins'])
        self.assertEqual('ngxstorage:ngxstorage', variables[
            'devstack_localrc']['CINDER_ENABLED_BACKENDS'])
        regex = re.compile(variables['tempest_test_regex'])
        for test_id in (
                'tempest.api.volume.test_volumes_get.VolumesGetTest.'
                'test_volume_create_get_update_delete[id-x]',
                'tempest.scenario.test_volume_boot_pattern.'
                'TestVolumeBootPattern.test_volume_boot_pattern[id-x]',
                'cinder_tempest_plugin.api.volume.test_volume_revert.'
                'VolumeRevertTests.test_volume_revert_to_snapshot[id-x]'):
            self.assertTrue(regex.search(test_id), test_id)
        self.assertFalse(regex.search(
            'cinder_tempest_plugin.rbac.v3.test_volume_actions.X.test[id]'))
        self.assertFalse(regex.search(
            'tempest.api.identity.admin.v3.test_users.UsersV3TestJSON.'
            'test_list_users[id-x]'))


class ReleaseNotesTestCase(testtools.TestCase):
    """Every note is a mapping of reno's sections to lists of text."""

    def test_notes_valid(self):
        sections = {name for name, *_rest
                    in reno_config.Config(ROOT, 'releasenotes').sections}
        notes = glob.glob(os.path.join(ROOT, 'releasenotes', 'notes',
                                       '*.yaml'))
        self.assertGreater(len(notes), 3)
        for path in notes:
            self.assertRegex(os.path.basename(path),
                             r'^[a-z0-9-]+-[0-9a-f]{16}\.yaml$')
            with open(path) as handle:
                note = yaml.safe_load(handle)
            self.assertIsInstance(note, dict, path)
            for key, value in note.items():
                if key == 'prelude':
                    self.assertIsInstance(value, str, path)
                    continue
                self.assertIn(key, sections, path)
                self.assertIsInstance(value, list, path)
                for item in value:
                    self.assertIsInstance(item, str, path)
