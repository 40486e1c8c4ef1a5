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

"""The release artefacts: ``python -m build`` makes an sdist and a wheel.

The working tree (what git would commit: tracked and new, not ignored
files, with the git history pbr versions from) is copied to a scratch
directory and built there without build isolation (no network), once for
the class. The wheel is then installed with ``--no-deps`` into a fresh
virtualenv that sees the test environment's packages (Cinder) through a
``.pth`` file, as it would be installed beside Cinder, and must load the
driver by its import path, run the console script and the simulator, and
expose its options to ``oslo-config-generator``.
"""

import configparser
import email.parser
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile

import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def env_flag(name):
    """Whether the environment variable name is set to a true value."""
    return os.environ.get(name, '').lower() in ('1', 'true', 'yes')


def _run(args, cwd=None, timeout=300, env=None):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)
    if proc.returncode != 0:
        raise AssertionError('%s exited %d:\n%s\n%s' % (
            ' '.join(args), proc.returncode, proc.stdout[-3000:],
            proc.stderr[-3000:]))
    return proc.stdout


def copy_worktree(dest):
    """Copy what git would commit, and .git, to dest; stage it there."""
    listing = _run(['git', 'ls-files', '-z', '--cached', '--others',
                    '--exclude-standard'], cwd=ROOT)
    for rel in sorted(set(filter(None, listing.split('\0')))):
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue  # deleted in the working tree
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))
    if os.path.isdir(os.path.join(ROOT, '.git')):
        shutil.copytree(os.path.join(ROOT, '.git'), os.path.join(dest, '.git'))
    else:
        # A git worktree (.git is a file naming the repository): a clone
        # of its branch has the same history.
        clone = os.path.join(dest, '.git-clone')
        _run(['git', 'clone', '--quiet', '--no-checkout', ROOT, clone])
        os.rename(os.path.join(clone, '.git'), os.path.join(dest, '.git'))
        os.rmdir(clone)
    # pbr puts git's file list in the sdist: stage new files in the copy.
    _run(['git', 'add', '-A'], cwd=dest)


class PackagingTestCase(testtools.TestCase):
    """sdist and wheel contents, and the wheel installed beside Cinder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix='ngx-packaging-')
        cls.missing = [name for name in ('build', 'wheel')
                       if importlib.util.find_spec(name) is None]
        if cls.missing or not shutil.which('git'):
            return
        src = os.path.join(cls.tmp, 'src')
        copy_worktree(src)
        cls.dist = os.path.join(cls.tmp, 'dist')
        _run([sys.executable, '-m', 'build', '--no-isolation', '--outdir',
              cls.dist, src])
        names = sorted(os.listdir(cls.dist))
        cls.wheel = os.path.join(
            cls.dist, [n for n in names if n.endswith('.whl')][0])
        cls.sdist = os.path.join(
            cls.dist, [n for n in names if n.endswith('.tar.gz')][0])
        cls.src = src

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        if self.missing or not shutil.which('git'):
            what = ', '.join(self.missing) or 'git'
            if env_flag('CI'):
                self.fail('packaging tools missing: %s (test-requirements)'
                          % what)
            self.skipTest('packaging tools missing: %s' % what)

    # -- the wheel --------------------------------------------------------

    def wheel_files(self):
        with zipfile.ZipFile(self.wheel) as archive:
            return archive.namelist()

    def wheel_member(self, suffix):
        with zipfile.ZipFile(self.wheel) as archive:
            [name] = [n for n in archive.namelist()
                      if n.endswith('.dist-info/' + suffix)]
            return archive.read(name).decode('utf-8')

    def test_wheel_has_every_module(self):
        package = os.path.join(self.src, 'cinder_ngxstorage')
        expected = set()
        for dirpath, _dirs, files in os.walk(package):
            for name in files:
                if name.endswith('.py'):
                    expected.add(os.path.relpath(
                        os.path.join(dirpath, name), self.src))
        files = set(self.wheel_files())
        self.assertEqual(set(), expected - files)
        self.assertIn('cinder_ngxstorage/driver.py', files)
        self.assertIn('cinder_ngxstorage/simulator/cli.py', files)
        self.assertEqual([], [n for n in files if n.startswith('tests/')])

    def test_wheel_entry_points(self):
        entry_points = configparser.ConfigParser()
        entry_points.read_string(self.wheel_member('entry_points.txt'))
        self.assertEqual('cinder_ngxstorage.simulator.cli:main',
                         entry_points['console_scripts'][
                             'ngxstorage-simulator'])
        self.assertEqual('cinder_ngxstorage.options:list_opts',
                         entry_points['oslo.config.opts'][
                             'cinder_ngxstorage'])

    def test_wheel_metadata(self):
        meta = email.parser.Parser().parsestr(self.wheel_member('METADATA'))
        self.assertEqual('cinder-ngxstorage', meta['Name'])
        self.assertEqual('>=3.10', meta['Requires-Python'])
        requires = meta.get_all('Requires-Dist')
        self.assertIn('Werkzeug>=2.3.0; extra == "simulator"', requires)
        self.assertIn('simulator', meta.get_all('Provides-Extra'))
        plain = [r for r in requires if 'extra ==' not in r]
        # Installed beside Cinder: no requirement may pull in Cinder.
        self.assertEqual([], [r for r in plain
                              if r.lower().startswith('cinder')])
        self.assertIn('os-brick>=6.7.3', plain)

    # -- the sdist --------------------------------------------------------

    def test_sdist_contents(self):
        with tarfile.open(self.sdist) as archive:
            names = archive.getnames()
        top = names[0].split('/')[0]
        rel = {n[len(top) + 1:] for n in names if '/' in n}
        for wanted in ('setup.cfg', 'setup.py', 'README.rst', 'AUTHORS',
                       'ChangeLog', 'requirements.txt',
                       'cinder_ngxstorage/driver.py',
                       'devstack/plugin.sh', 'devstack/settings',
                       'doc/source/index.rst', 'doc/source/conf.py',
                       'etc/oslo-config-generator/cinder-ngxstorage.conf',
                       'releasenotes/source/conf.py', '.zuul.yaml'):
            self.assertIn(wanted, rel)
        self.assertTrue(any(n.startswith('releasenotes/notes/')
                            and n.endswith('.yaml') for n in rel))
        self.assertEqual([], [n for n in rel
                              if n.startswith(('.venv/', '.stestr/', '.git/',
                                               '.tox/'))])

    # -- installed beside Cinder ----------------------------------------

    def test_install_beside_cinder(self):
        venv = os.path.join(self.tmp, 'venv')
        _run([sys.executable, '-m', 'venv', '--without-pip', venv])
        python = os.path.join(venv, 'bin', 'python')
        site = _run([python, '-c', 'import sysconfig; '
                     'print(sysconfig.get_paths()["purelib"])']).strip()
        # Cinder and the simulator's Werkzeug come from the test
        # environment, after the new venv's own packages.
        with open(os.path.join(site, 'cinder_env.pth'), 'w') as handle:
            handle.write(sysconfig.get_paths()['purelib'] + '\n')
        _run([sys.executable, '-m', 'pip', '--python', python, 'install',
              '--no-deps', '--no-index', '--quiet', self.wheel])

        where = _run([python, '-W', 'ignore', '-c',
                      'import cinder_ngxstorage, json\n'
                      'from cinder_ngxstorage.driver import '
                      'NGXStorageISCSIDriver\n'
                      'from importlib import metadata\n'
                      'dist = metadata.distribution("cinder-ngxstorage")\n'
                      'print(json.dumps([cinder_ngxstorage.__file__, '
                      'NGXStorageISCSIDriver.VERSION, dist.version]))'],
                     cwd=self.tmp)  # not the checkout: '' is on sys.path
        module_file, version, dist_version = json.loads(
            where.strip().splitlines()[-1])
        self.assertTrue(module_file.startswith(venv), module_file)
        self.assertEqual(os.path.basename(self.wheel).split('-')[1],
                         dist_version)
        self.assertTrue(version)

        script = os.path.join(venv, 'bin', 'ngxstorage-simulator')
        self.assertIn('usage: ngxstorage-simulator',
                      _run([script, '--help'], timeout=60))

        sample = _run([python, '-W', 'ignore', '-m', 'oslo_config.generator',
                       '--namespace', 'cinder_ngxstorage'], timeout=60,
                      cwd=self.tmp)
        self.assertIn('[backend_defaults]', sample)
        self.assertIn('#ngxstorage_api_token = <None>', sample)

        proc = subprocess.Popen([script, '--port', '0'],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            ready = json.loads(proc.stdout.readline())
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
        self.assertTrue(ready['url'].startswith('http://127.0.0.1:'))
        self.assertEqual(0, proc.returncode)
