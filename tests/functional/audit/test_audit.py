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

"""The audit against the simulator and a real Cinder database.

Each test writes a cinder.conf with two backend sections on one
simulator (``ngxa`` on pool1, ``ngxb`` on pool2; pool3 stands for another
deployment), makes volumes, snapshots and attachments through Cinder's
objects in a SQLite database (Cinder's own schema, made once per process
by ``db sync``) and through the driver, plants orphans by hand, and runs
the audit's Python API and command line. Every test has its own service
host, so the rows of other tests are other backends' rows.
"""

import configparser
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
from unittest import mock
import uuid

from cinder import context
from cinder.db import api as db_api
from cinder import objects
from oslo_config import cfg
from oslo_db.sqlalchemy import enginefacade
import testtools

from cinder_ngxstorage import audit
from cinder_ngxstorage.audit import backend as audit_backend
from cinder_ngxstorage.audit import cli
from cinder_ngxstorage.audit import report as rpt
from cinder_ngxstorage import naming
from cinder_ngxstorage import records
from cinder_ngxstorage.simulator import Simulator
from tests import common

CONF = cfg.CONF
DRIVER = audit_backend.DRIVER
# One database per test process: Cinder's engine is made once.
_DB = {}

CONF_TEMPLATE = """[DEFAULT]
host = {host}
enabled_backends = ngxa,ngxb
state_path = {workdir}

[database]
connection = sqlite:///{db}

[coordination]
backend_url = file://{workdir}/locks

[ngxa]
{ngxa}

[ngxb]
{ngxb}
"""


def _section(sim, pool, name):
    lines = ['volume_driver = %s' % DRIVER]
    for key, value in common.backend_options(
            sim, [pool], volume_backend_name=name).items():
        value = ','.join(value) if isinstance(value, list) else value
        lines.append('%s = %s' % (key, value))
    return '\n'.join(lines)


def _database_path():
    if 'path' not in _DB:
        _DB['path'] = os.path.join(tempfile.mkdtemp(prefix='ngx-audit-db-'),
                                   'cinder.sqlite')
    return _DB['path']


class AuditTestCase(testtools.TestCase):
    """A simulator, a cinder.conf for it and Cinder's database."""

    def setUp(self):
        super().setUp()
        common.detect_leaks(self)
        self.sim = Simulator(pools=('pool1:100G', 'pool2:100G',
                                    'pool3:100G'),
                             portals=('127.0.0.1:3260',))
        self.sim.__enter__()
        self.addCleanup(self.sim.__exit__, None, None, None)
        self.workdir = self.useFixture(
            __import__('fixtures').TempDir()).path
        self.host = 'audit-%s' % uuid.uuid4().hex[:8]
        self.conf_file = os.path.join(self.workdir, 'cinder.conf')
        fd = os.open(self.conf_file, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, 'w') as conf:
            conf.write(CONF_TEMPLATE.format(
                host=self.host, workdir=self.workdir, db=_database_path(),
                ngxa=_section(self.sim, 'pool1', 'ngxa'),
                ngxb=_section(self.sim, 'pool2', 'ngxb')))
        self.addCleanup(CONF.clear)
        self.use_database()
        audit_backend.load_configuration([self.conf_file])
        if not _DB.get('synced'):
            from cinder.db import migration
            migration.db_sync()
            _DB['synced'] = True
        self.ctx = context.get_admin_context()
        self.vtype = objects.VolumeType.get_by_name_or_id(
            self.ctx, '__DEFAULT__')
        self.coordination = self.useFixture(common.Coordination())
        self.drivers = {name: audit_backend.open_backend(name).driver
                        for name in ('ngxa', 'ngxb')}

    def use_database(self):
        """Cinder's database API on this process's SQLite file.

        Patched in for this test only: the driver tests that share the
        worker run without a database (their CHAP secrets are not kept).
        """
        factory = enginefacade._TransactionFactory()
        factory.configure(connection='sqlite:///' + _database_path())
        self.addCleanup(db_api.main_context_manager.patch_factory(factory))
        self.addCleanup(factory.dispose_pool)

    # -- making Cinder objects ------------------------------------------

    def volume(self, backend='ngxa', lun=True, **fields):
        """A volume row of backend (and its LUN, made by the driver)."""
        pool = {'ngxa': 'pool1', 'ngxb': 'pool2'}[backend]
        fields.setdefault('status', 'available')
        vol = objects.Volume(
            context=self.ctx, size=1, host='%s@%s#%s' % (self.host, backend,
                                                         pool),
            volume_type_id=self.vtype.id, project_id='p', user_id='u',
            attach_status='detached', **fields)
        vol.create()
        if lun:
            vol.update(self.drivers[backend].create_volume(vol))
            vol.save()
        return vol

    def snapshot(self, vol, backend='ngxa', array=True, **fields):
        fields.setdefault('status', 'available')
        snap = objects.Snapshot(
            context=self.ctx, volume_id=vol.id, volume_size=vol.size,
            volume_type_id=self.vtype.id, project_id='p', user_id='u',
            **fields)
        snap.create()
        if array:
            snap.update(self.drivers[backend].create_snapshot(snap))
            snap.save()
        return snap

    def attach(self, vol, host, backend='ngxa'):
        """A live attachment with its connector, and the mapping."""
        connector = common.connector(host)
        att = objects.VolumeAttachment(
            context=self.ctx, volume_id=vol.id, attached_host=host,
            attach_status='attached', connector=connector)
        att.create()
        self.drivers[backend].initialize_connection(vol, connector)
        return att

    def map_only(self, vol, host, backend='ngxa'):
        """The mapping of an attach whose attachment was never saved."""
        self.drivers[backend].initialize_connection(
            vol, common.connector(host))

    # -- the array --------------------------------------------------------

    def array_state(self):
        """Every object on the array, by name (comparable before/after)."""
        state = self.sim.state
        return {
            'luns': sorted((lun['vol_name'], lun['pool_name'])
                           for lun in state.luns()),
            'snapshots': sorted(s['snap_name'] for s in state.snapshots()),
            'targets': sorted(
                (t['scsi_target_name'],
                 tuple(sorted(lun['vol_id'] for lun in t['luns'])))
                for t in state.targets()),
            'groups': sorted(g['group_name'] for g in state.auth_groups()),
        }

    @property
    def names(self):
        """The host object names of ngxa's deployment."""
        return self.drivers['ngxa'].exports.names

    def run_audit(self, backend='ngxa', **kwargs):
        return audit.run([self.conf_file], backend, **kwargs)

    def kinds(self, report):
        return sorted(f.kind for f in report.findings)


class OrphanTest(AuditTestCase):
    """Every kind of finding, planted by hand, found and fixed exactly."""

    def plant(self):
        """Plant one of each kind on ngxa; return what --fix must remove.

        Alongside: healthy objects of ngxa, orphans of ngxb (pool2) and
        objects of another deployment (pool3, foreign names), which the
        audit of ngxa must neither report nor touch.
        """
        client = self.drivers['ngxa'].client
        owner = self.drivers['ngxa'].pool_owners['pool1']
        pg = self.drivers['ngxa'].portal_group_id
        # Healthy: a volume with a snapshot, attached on compute-ok.
        healthy = self.volume()
        self.snapshot(healthy)
        self.attach(healthy, 'compute-ok')
        # A LUN whose volume row is deleted (and mapped: unmapped first).
        gone = self.volume()
        self.map_only(gone, 'compute-gone')
        gone.destroy()
        # A LUN Cinder has no row for.
        unknown = naming.volume_name(str(uuid.uuid4()))
        client.create_lun('pool1', unknown, 1)
        # A snapshot whose row is deleted.
        snap_gone = self.snapshot(healthy)
        snap_gone.destroy()
        # An internal clone snapshot without its clone.
        client.create_snapshot(
            naming.clone_snapshot_name(str(uuid.uuid4())),
            healthy.provider_id)
        # A temporary snapshot-export clone nobody reads.
        exported = self.snapshot(healthy)
        self.drivers['ngxa'].create_export_snapshot(self.ctx, exported,
                                                    None)
        # A mapping without attachment (the attachment was never saved).
        stray = self.volume()
        self.map_only(stray, 'compute-stray')
        # An empty target and an unbound auth group of this deployment.
        group = records.created_group_id(client.create_auth_group(
            self.names.auth_group_name('ghost-1'), owner))
        client.create_target(self.names.target_name('ghost-1', owner, 0),
                             group, pg, owner)
        client.create_auth_group(self.names.auth_group_name('ghost-2'), owner)
        # Rows without array objects.
        self.volume(lun=False, provider_id='f' * 40)
        self.snapshot(healthy, array=False, provider_id='e' * 40)
        # A deferred deletion: a deleted snapshot with a clone.
        origin = self.snapshot(healthy)
        clone = self.volume(lun=False, snapshot_id=origin.id)
        clone.update(self.drivers['ngxa'].create_volume_from_snapshot(
            clone, origin))
        clone.save()
        self.drivers['ngxa'].delete_snapshot(origin)
        origin.destroy()
        # Another backend's orphans (pool2).
        other = self.volume('ngxb')
        self.map_only(other, 'compute-b', 'ngxb')
        other_gone = self.volume('ngxb')
        other_gone.destroy()
        # Another deployment: its LUN in pool3, mapped; an operator's
        # empty target and unbound group.
        foreign = records.created_lun_id(client.create_lun(
            'pool3', naming.volume_name(str(uuid.uuid4())), 1))
        fgroup = records.created_group_id(client.create_auth_group(
            'opsgroup', owner))
        client.create_target('opstarget', fgroup, pg, owner)
        client.create_auth_group('opsgroup2', owner)
        mine = records.created_group_id(client.create_auth_group(
            self.names.auth_group_name('foreign-host'), owner))
        client.create_target(self.names.target_name('foreign-host', owner, 0),
                             mine, pg, owner, lun_ids=[foreign])
        return {'gone': gone, 'unknown': unknown, 'stray': stray,
                'snap_gone': snap_gone, 'exported': exported,
                'other': other, 'other_gone': other_gone}

    def test_report_finds_each_kind_and_changes_nothing(self):
        self.plant()
        before = self.array_state()
        report = self.run_audit()
        self.assertEqual(before, self.array_state())
        self.assertEqual(sorted([
            rpt.DEFERRED_DELETION, rpt.EMPTY_TARGET, rpt.INTERNAL_SNAPSHOT,
            rpt.LUN_WITHOUT_VOLUME, rpt.MAPPING_WITHOUT_ATTACHMENT,
            rpt.SNAPSHOT_WITHOUT_ARRAY_SNAPSHOT,
            rpt.SNAPSHOT_WITHOUT_SNAPSHOT, rpt.TEMPORARY_CLONE,
            rpt.UNBOUND_AUTH_GROUP, rpt.UNKNOWN_LUN,
            rpt.VOLUME_WITHOUT_LUN]), self.kinds(report),
            audit.render_table(report))
        self.assertEqual(len(report.findings) - 1, len(report.violations()))
        self.assertEqual(1, report.exit_code())
        text = audit.render_table(report)
        self.assertNotIn('pool2', text.split('\n', 1)[1])
        self.assertNotIn('ops', text)

    def test_fix_removes_exactly_the_orphans(self):
        planted = self.plant()
        before = self.array_state()
        report = self.run_audit(fix=True)
        self.assertEqual([], report.failed(), audit.render_table(report))
        self.assertEqual(0, report.exit_code())
        after = self.array_state()
        removed_luns = set(before['luns']) - set(after['luns'])
        self.assertEqual({
            (naming.volume_name(planted['gone'].name_id), 'pool1'),
            (naming.snapshot_export_name(planted['exported'].id), 'pool1'),
        }, removed_luns)
        self.assertEqual(set(), set(after['luns']) - set(before['luns']))
        removed_snaps = set(before['snapshots']) - set(after['snapshots'])
        self.assertEqual(2, len(removed_snaps), removed_snaps)
        self.assertIn(naming.snapshot_name(planted['snap_gone'].id),
                      removed_snaps)
        self.assertEqual(1, len([s for s in removed_snaps
                                 if s.startswith('ci-')]))
        removed_targets = {t[0] for t in before['targets']} - {
            t[0] for t in after['targets']}
        self.assertEqual({self.names.target_name('ghost-1', '1', 0),
                          self.names.target_name('compute-gone', '1', 0),
                          self.names.target_name('compute-stray', '1', 0)},
                         removed_targets)
        self.assertEqual({self.names.auth_group_name(h) for h in (
            'ghost-1', 'ghost-2', 'compute-gone', 'compute-stray')},
            set(before['groups']) - set(after['groups']))
        # The unknown LUN stays without --delete-unknown-luns.
        self.assertIn((planted['unknown'], 'pool1'), after['luns'])
        # Again: only what needs a human (or the flag) is left.
        again = self.run_audit()
        self.assertEqual(sorted([
            rpt.DEFERRED_DELETION, rpt.SNAPSHOT_WITHOUT_ARRAY_SNAPSHOT,
            rpt.UNKNOWN_LUN, rpt.VOLUME_WITHOUT_LUN]), self.kinds(again))
        # Another backend's orphans are still there, and its audit sees
        # them.
        other = self.run_audit('ngxb')
        self.assertEqual(sorted([rpt.LUN_WITHOUT_VOLUME,
                                 rpt.MAPPING_WITHOUT_ATTACHMENT]),
                         self.kinds(other))

    def test_delete_unknown_luns(self):
        planted = self.plant()
        report = self.run_audit(fix=True, delete_unknown_luns=True)
        self.assertEqual([rpt.DONE], [f.result for f in
                                      report.of_kind(rpt.UNKNOWN_LUN)])
        self.assertNotIn((planted['unknown'], 'pool1'),
                         self.array_state()['luns'])
        # The other deployment's LUN (pool3) is untouched.
        self.assertEqual(1, len([lun for lun in self.array_state()['luns']
                                 if lun[1] == 'pool3']))


class CommandLineTest(AuditTestCase):
    """ngxstorage-cinder-audit as operators run it.

    One run in a new process (``python -m``); the others call the
    command's main() here (a new process costs seconds of imports).
    """

    def check_secrets(self, *texts):
        for text in texts:
            self.assertNotIn(self.sim.token, text)

    def process(self, *args):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        proc = subprocess.run(
            [sys.executable, '-W', 'ignore', '-m', 'cinder_ngxstorage.audit',
             '--config-file', self.conf_file] + list(args),
            capture_output=True, text=True, env=env, timeout=60)
        self.check_secrets(proc.stdout, proc.stderr)
        return proc.returncode, proc.stdout, proc.stderr

    def main(self, *args):
        out, err = io.StringIO(), io.StringIO()
        # What the command's logging set-up does, undone after the test.
        logger = logging.getLogger('cinder_ngxstorage.audit')
        handler = logging.StreamHandler(err)
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)
        self.addCleanup(logger.setLevel, logger.level)
        logger.setLevel(logging.INFO)
        with mock.patch('sys.stdout', out), mock.patch('sys.stderr', err), \
                mock.patch.object(cli, '_setup_logging'):
            try:
                code = cli.main(['--config-file', self.conf_file]
                                + list(args))
            except SystemExit as exc:
                code = exc.code
        self.check_secrets(out.getvalue(), err.getvalue())
        return code, out.getvalue(), err.getvalue()

    def test_report_fix_clean(self):
        stray = self.volume()
        self.map_only(stray, 'compute-stray')
        code, out, err = self.process('--backend', 'ngxa', '--format',
                                      'json')
        self.assertEqual(1, code, err)
        data = json.loads(out)
        self.assertEqual([rpt.MAPPING_WITHOUT_ATTACHMENT],
                         [f['kind'] for f in data['findings']])
        self.assertEqual(1, data['violations'])
        code, out, err = self.main('--backend', 'ngxa', '--fix')
        self.assertEqual(0, code, err)
        self.assertIn('mapping-without-attachment', out)
        self.assertIn('Audit fix of mapping-without-attachment', err)
        self.assertEqual([], self.array_state()['targets'])
        code, out, err = self.main('--backend', 'ngxa')
        self.assertEqual(0, code, err)
        self.assertIn('0 finding(s)', out)

    def test_usage_and_connection_errors(self):
        code, _out, err = self.main('--backend', 'nosuch')
        self.assertEqual(2, code)
        self.assertIn('enabled_backends', err)
        code, _out, _err = self.main('--backend', 'ngxa',
                                     '--delete-unknown-luns')
        self.assertEqual(2, code)
        self.sim.__exit__(None, None, None)
        code, _out, err = self.main('--backend', 'ngxa')
        self.assertEqual(2, code)
        self.assertIn('cannot be set up', err)

    def test_api_with_loaded_configuration(self):
        # A process that runs Cinder itself: CONF is loaded already.
        self.volume()
        self.assertEqual([], audit.run(None, 'ngxa').violations())

    def test_console_script_declared(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))))
        parser = configparser.ConfigParser()
        parser.read(os.path.join(root, 'setup.cfg'))
        self.assertIn('ngxstorage-cinder-audit = '
                      'cinder_ngxstorage.audit.cli:main',
                      parser['entry_points']['console_scripts'])
