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

"""The devstack plugin's functions, run by bash against devstack stubs.

:class:`DevstackHarness` sources ``devstack/override-defaults``,
``devstack/settings`` and ``devstack/plugin.sh`` in ``bash`` the way
``stack.sh`` does (phase by phase, with devstack's ``configure_cinder``
loop), with devstack's functions replaced by stubs: every ``iniset`` is
applied, in order, to build the rendered ``cinder.conf`` and
``tempest.conf`` that the tests check; the other stubs record their
calls. ``run_process`` can start the command for real (see
tests/functional/test_devstack_simulator).
"""

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEVSTACK = os.path.join(ROOT, 'devstack')


def env_flag(name):
    """Whether the environment variable name is set to a true value."""
    return os.environ.get(name, '').lower() in ('1', 'true', 'yes')


# devstack's functions, as far as the plugin uses them. iniset logs its
# arguments; DevstackHarness.ini() applies them in order to build the file
# (as devstack's iniset would: one value per option, the last one wins).
STUBS = r'''
function _record { echo "$*" >> "$WORK/calls.log"; }
function iniset {
    if [[ "$1" == "-sudo" ]]; then shift; fi
    _record "iniset $*"
    # file, section, option, value: applied by DevstackHarness.ini().
    printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$WORK/ini.log"
}
function is_service_enabled {
    local service
    for service in "$@"; do
        [[ ,${ENABLED_SERVICES}, =~ ,${service}, ]] && return 0
    done
    return 1
}
function enable_service { ENABLED_SERVICES+=",$1"; }
function define_plugin { _record "define_plugin $*"; }
function die { echo "DIE: $*" >&2; exit 3; }
function warn { _record "warn $*"; }
function echo_summary { _record "summary $*"; }
function setup_develop { _record "setup_develop $*"; }
function install_package { _record "install_package $*"; }
function get_python_exec_prefix { dirname "$PYTHON"; }
function generate_hex_string {
    "$PYTHON" -c 'import secrets, sys
print(secrets.token_hex(int(sys.argv[1])))' "$1"
}
function sudo { "$@"; }
function run_process {
    _record "run_process $1|$2|$3|$4"
    if [[ "$LIVE_RUN_PROCESS" == "1" ]]; then
        # exec: the recorded pid is the service itself, as under systemd.
        eval "exec $2" >"$WORK/$1.log" 2>&1 &
        echo $! > "$WORK/$1.pid"
    fi
}
function stop_process {
    _record "stop_process $1"
    if [[ -f "$WORK/$1.pid" ]]; then
        kill "$(cat "$WORK/$1.pid")" 2>/dev/null || true
    fi
}
function openstack {
    _record "openstack $*"
    if [[ "$1 $2 $3" == "volume type show" ]]; then
        grep -qx "$4" "$WORK/types" 2>/dev/null
        return
    fi
    if [[ "$1 $2 $3" == "volume type create" ]]; then
        echo "${@: -1}" >> "$WORK/types"
    fi
}
# devstack's configure_cinder backend loop (lib/cinder).
function configure_cinder {
    local enabled_backends="" default_name="" be be_name be_type
    for be in ${CINDER_ENABLED_BACKENDS//,/ }; do
        be_type=${be%%:*}
        be_name=${be##*:}
        if type configure_cinder_backend_${be_type} >/dev/null 2>&1; then
            configure_cinder_backend_${be_type} ${be_name}
        fi
        if [[ -z "$default_name" ]]; then
            default_name=$be_name
        fi
        enabled_backends+=$be_name,
    done
    iniset $CINDER_CONF DEFAULT enabled_backends ${enabled_backends%,*}
    iniset $CINDER_CONF DEFAULT default_volume_type ${default_name}
}
function run_phase {
    source "$DEVSTACK_DIR/plugin.sh" "$@"
}
'''


class DevstackHarness(object):
    """A scratch devstack: stubs, a work dir, and a way to run phases."""

    def __init__(self, test):
        if not shutil.which('bash'):
            if env_flag('CI'):
                test.fail('bash is missing')
            test.skipTest('bash is not installed')
        self.work = tempfile.mkdtemp(prefix='ngx-devstack-')
        test.addCleanup(shutil.rmtree, self.work, True)
        self.cinder_conf = os.path.join(self.work, 'cinder.conf')
        self.tempest_conf = os.path.join(self.work, 'tempest.conf')
        with open(os.path.join(self.work, 'stubs.sh'), 'w') as handle:
            handle.write(STUBS)

    def run(self, body, env=None, check=True, timeout=120):
        """Run body after sourcing the plugin's settings; return stdout.

        env: devstack variables (local.conf's) set before the settings.
        """
        variables = {
            'DEST': os.path.join(self.work, 'opt'),
            'DATA_DIR': os.path.join(self.work, 'data'),
            'CINDER_CONF': self.cinder_conf,
            'TEMPEST_CONFIG': self.tempest_conf,
            'STACK_USER': 'stack',
            'SERVICE_HOST': '192.0.2.50',
            'ENABLED_SERVICES': 'key,c-api,c-sch,c-vol,cinder,tempest',
            'NGXSTORAGE_DIR': ROOT,
        }
        variables.update(env or {})
        lines = ['source "$WORK/stubs.sh"']
        lines += ['%s=%s' % (key, _quote(value))
                  for key, value in sorted(variables.items())]
        lines += ['source "$DEVSTACK_DIR/override-defaults"',
                  'source "$DEVSTACK_DIR/settings"',
                  # Defines the plugin's functions, runs no phase.
                  'source "$DEVSTACK_DIR/plugin.sh"',
                  textwrap.dedent(body)]
        script = '\n'.join(lines) + '\n'
        proc_env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'),
                    'HOME': self.work, 'WORK': self.work,
                    'DEVSTACK_DIR': DEVSTACK, 'PYTHON': sys.executable,
                    'LIVE_RUN_PROCESS': (env or {}).get(
                        'LIVE_RUN_PROCESS', '0')}
        proc = subprocess.run(['bash', '-c', script], env=proc_env,
                              capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError('bash exited %d:\n%s\n%s' % (
                proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
        return proc

    def stack(self, env=None, phases=('install', 'post-config', 'extra',
                                      'test-config'), check=True):
        """stack.sh's order: pre-install, configure_cinder, phases."""
        body = ['run_phase stack pre-install', 'configure_cinder']
        body += ['run_phase stack %s' % phase for phase in phases]
        return self.run('\n'.join(body), env=env, check=check)

    def calls(self):
        """The recorded stub calls, one string each."""
        path = os.path.join(self.work, 'calls.log')
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            return handle.read().splitlines()

    def ini(self, path):
        """The ini file at path as the recorded iniset calls left it."""
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str
        log = os.path.join(self.work, 'ini.log')
        if os.path.exists(log):
            with open(log) as handle:
                for line in handle.read().splitlines():
                    target, section, option, value = line.split('\t')
                    if target != path:
                        continue
                    if (section != 'DEFAULT'
                            and not parser.has_section(section)):
                        parser.add_section(section)
                    parser.set(section, option, value)
        return parser


def _quote(value):
    return "'%s'" % str(value).replace("'", "'\\''")


ARRAY = {
    'NGXSTORAGE_SAN_IP': '192.0.2.10',
    'NGXSTORAGE_API_TOKEN': 'array-token-0123456789',
    'NGXSTORAGE_POOLS': 'nvme1,nvme2',
    'NGXSTORAGE_PORTAL_GROUP': 'iscsi-portals',
}


class SettingsTestCase(testtools.TestCase):
    """settings and override-defaults: the modes and the backend list."""

    def setUp(self):
        super().setUp()
        self.harness = DevstackHarness(self)

    def test_default_backend_list(self):
        out = self.harness.run('echo "$CINDER_ENABLED_BACKENDS"').stdout
        self.assertEqual('ngxstorage:ngxstorage', out.strip())

    def test_local_conf_backend_list_kept(self):
        out = self.harness.run(
            'echo "$CINDER_ENABLED_BACKENDS"',
            env={'CINDER_ENABLED_BACKENDS': 'lvm:lvm1,ngxstorage:ngx'})
        self.assertEqual('lvm:lvm1,ngxstorage:ngx', out.stdout.strip())

    def test_simulator_mode_without_array(self):
        out = self.harness.run(
            'echo "$NGXSTORAGE_SIMULATOR $ENABLED_SERVICES"').stdout
        mode, services = out.split()
        self.assertEqual('True', mode)
        self.assertIn('ngx-sim', services.split(','))

    def test_array_mode(self):
        out = self.harness.run(
            'echo "$NGXSTORAGE_SIMULATOR $ENABLED_SERVICES"',
            env=ARRAY).stdout
        mode, services = out.split()
        self.assertEqual('False', mode)
        self.assertNotIn('ngx-sim', services.split(','))

    def test_simulator_tokens_are_random(self):
        out = self.harness.run(
            'echo "$NGXSTORAGE_SIM_TOKEN $NGXSTORAGE_SIM_ADMIN_TOKEN"')
        token, admin = out.stdout.split()
        self.assertEqual(40, len(token))
        self.assertNotEqual(token, admin)


class ArrayModeTestCase(testtools.TestCase):
    """A real array: the backend section, types and Tempest flags."""

    def setUp(self):
        super().setUp()
        self.harness = DevstackHarness(self)

    def test_backend_section(self):
        self.harness.stack(env=dict(ARRAY, NGXSTORAGE_ISCSI_PORTALS=(
            '198.51.100.1:3260,198.51.100.2')))
        conf = self.harness.ini(self.harness.cinder_conf)
        self.assertEqual('ngxstorage', conf['DEFAULT']['enabled_backends'])
        self.assertEqual('ngxstorage',
                         conf['DEFAULT']['default_volume_type'])
        self.assertEqual({
            'volume_driver': 'cinder_ngxstorage.driver.NGXStorageISCSIDriver',
            'volume_backend_name': 'ngxstorage',
            'san_thin_provision': 'True',
            'use_chap_auth': 'True',
            'san_ip': '192.0.2.10',
            'ngxstorage_use_https': 'True',
            'driver_ssl_cert_verify': 'True',
            'ngxstorage_api_token': 'array-token-0123456789',
            'ngxstorage_pools': 'nvme1,nvme2',
            'ngxstorage_portal_group': 'iscsi-portals',
            'ngxstorage_iscsi_portals': '198.51.100.1:3260,198.51.100.2',
        }, {key: value for key, value in conf['ngxstorage'].items()
            if key not in conf.defaults()})

    def test_optional_settings(self):
        self.harness.stack(env=dict(
            ARRAY, NGXSTORAGE_SAN_API_PORT='8443',
            NGXSTORAGE_CA_BUNDLE='/etc/ssl/ngx-ca.pem',
            NGXSTORAGE_CHAP='False', NGXSTORAGE_THIN='False'))
        section = self.harness.ini(self.harness.cinder_conf)['ngxstorage']
        self.assertEqual('8443', section['san_api_port'])
        self.assertEqual('/etc/ssl/ngx-ca.pem',
                         section['driver_ssl_cert_path'])
        self.assertEqual('False', section['use_chap_auth'])
        self.assertEqual('False', section['san_thin_provision'])

    def test_two_backends_beside_lvm(self):
        self.harness.stack(env=dict(
            ARRAY, CINDER_ENABLED_BACKENDS='lvm:lvm1,ngxstorage:ngx-a,'
            'ngxstorage:ngx-b'))
        conf = self.harness.ini(self.harness.cinder_conf)
        self.assertEqual('lvm1,ngx-a,ngx-b',
                         conf['DEFAULT']['enabled_backends'])
        for name in ('ngx-a', 'ngx-b'):
            self.assertEqual(name, conf[name]['volume_backend_name'])
            self.assertEqual('192.0.2.10', conf[name]['san_ip'])
        self.assertFalse(conf.has_section('lvm1'))
        tempest = self.harness.ini(self.harness.tempest_conf)
        self.assertEqual('ngx-a,ngx-b', tempest['volume']['backend_names'])
        self.assertEqual(
            'True', tempest['volume-feature-enabled']['multi_backend'])

    def test_missing_token_dies(self):
        env = dict(ARRAY)
        del env['NGXSTORAGE_API_TOKEN']
        proc = self.harness.stack(env=env, check=False)
        self.assertEqual(3, proc.returncode)
        self.assertIn('NGXSTORAGE_API_TOKEN', proc.stderr)

    def test_install_driver_only(self):
        self.harness.stack(env=ARRAY, phases=('install',))
        calls = self.harness.calls()
        self.assertEqual(['setup_develop %s' % ROOT],
                         [c for c in calls if c.startswith('setup_develop')])
        self.assertEqual([], [c for c in calls
                              if c.startswith(('run_process',
                                               'install_package'))])

    def test_volume_types(self):
        self.harness.stack(env=ARRAY)
        creates = [c for c in self.harness.calls()
                   if c.startswith('openstack volume type create')]
        self.assertEqual([
            'openstack volume type create --property '
            'volume_backend_name=ngxstorage ngxstorage',
            'openstack volume type create --property '
            'volume_backend_name=ngxstorage --property '
            'provisioning:type=thick ngxstorage-thick'], creates)

    def test_volume_types_existing_kept(self):
        with open(os.path.join(self.harness.work, 'types'), 'w') as handle:
            handle.write('ngxstorage\n')
        self.harness.stack(env=dict(ARRAY,
                                    NGXSTORAGE_CREATE_THICK_TYPE='False'))
        creates = [c for c in self.harness.calls()
                   if c.startswith('openstack volume type create')]
        self.assertEqual([], creates)

    def test_tempest_flags(self):
        self.harness.stack(env=ARRAY)
        tempest = self.harness.ini(self.harness.tempest_conf)
        self.assertEqual('iSCSI', tempest['volume']['storage_protocol'])
        self.assertEqual('NGXStorage', tempest['volume']['vendor_name'])
        self.assertEqual('ngxstorage', tempest['volume']['backend_names'])
        flags = dict(tempest['volume-feature-enabled'])
        for name in ('snapshot', 'clone', 'extend_attached_volume',
                     'extend_volume_with_snapshot', 'volume_revert'):
            self.assertEqual('True', flags[name], name)
        for name in ('consistency_group', 'replication'):
            self.assertEqual('False', flags[name], name)
        self.assertNotIn('multi_backend', flags)

    def test_tempest_manage_flags_follow_the_driver(self):
        """manage_* on when the driver defines them, with Tempest's refs."""
        from cinder_ngxstorage import driver
        cls = driver.NGXStorageISCSIDriver

        def ours(name):
            return getattr(cls, name).__module__.startswith(
                'cinder_ngxstorage')

        self.harness.stack(env=ARRAY)
        tempest = self.harness.ini(self.harness.tempest_conf)
        flags = tempest['volume-feature-enabled']
        self.assertEqual(str(ours('manage_existing')),
                         flags['manage_volume'])
        self.assertEqual(str(ours('manage_existing_snapshot')),
                         flags['manage_snapshot'])
        if ours('manage_existing'):
            self.assertEqual('source-name,volume-%s',
                             tempest['volume']['manage_volume_ref'])
        if ours('manage_existing_snapshot'):
            self.assertEqual('source-name,snapshot-%s',
                             tempest['volume']['manage_snapshot_ref'])

    def test_no_ngxstorage_backend_does_nothing(self):
        self.harness.stack(env=dict(ARRAY,
                                    CINDER_ENABLED_BACKENDS='lvm:lvm1'))
        calls = self.harness.calls()
        self.assertTrue(any(c.startswith('warn') for c in calls))
        self.assertEqual([], [c for c in calls
                              if c.startswith(('setup_develop',
                                               'openstack'))])

    def test_unstack_leaves_array_alone(self):
        self.harness.run('run_phase unstack', env=ARRAY)
        self.assertEqual([], [c for c in self.harness.calls()
                              if c.startswith('stop_process')])


class SimulatorModeTestCase(testtools.TestCase):
    """No array: the simulator's command line and the section for it."""

    def setUp(self):
        super().setUp()
        self.harness = DevstackHarness(self)

    def test_install(self):
        sim_dir = os.path.join(self.harness.work, 'data',
                               'ngxstorage-simulator')
        os.makedirs(sim_dir)
        self.harness.stack(phases=('install',))
        calls = self.harness.calls()
        self.assertIn('setup_develop %s simulator' % ROOT, calls)
        self.assertIn('install_package tgt', calls)
        self.assertFalse(os.path.exists(sim_dir))

    def test_api_only_installs_no_tgt(self):
        self.harness.stack(env={'NGXSTORAGE_SIM_ISCSI': 'False'},
                           phases=('install',))
        self.assertNotIn('install_package tgt', self.harness.calls())

    def test_backend_section_before_start(self):
        out = self.harness.run(
            'configure_cinder_backend_ngxstorage ngx\n'
            'echo "$NGXSTORAGE_SIM_TOKEN"',
            env={'NGXSTORAGE_SIM_POOLS': 'pool1:100G pool2:50G:B'})
        section = self.harness.ini(self.harness.cinder_conf)['ngx']
        self.assertEqual('127.0.0.1', section['san_ip'])
        self.assertEqual('8089', section['san_api_port'])
        self.assertEqual('False', section['ngxstorage_use_https'])
        self.assertEqual(out.stdout.strip(),
                         section['ngxstorage_api_token'])
        self.assertEqual('pool1,pool2', section['ngxstorage_pools'])
        self.assertEqual('DefaultPortalGroup',
                         section['ngxstorage_portal_group'])

    def test_command_line(self):
        out = self.harness.run(
            'ngxstorage_sim_command',
            env={'NGXSTORAGE_SIM_TOKEN': 't' * 40,
                 'NGXSTORAGE_SIM_ADMIN_TOKEN': 'a' * 40,
                 'NGXSTORAGE_SIM_POOLS': 'pool1:100G pool2:50G:B'})
        sim_dir = os.path.join(self.harness.work, 'data',
                               'ngxstorage-simulator')
        expected = (
            "/bin/bash -c 'exec %s/ngxstorage-simulator --host 127.0.0.1 "
            "--port 8089 --token %s --admin-token %s --state-file "
            "%s/state.json --pool pool1:100G --pool pool2:50G:B --portal "
            "192.0.2.50:3261 --iscsi --data-dir %s/data >%s/ready.json'"
            % (os.path.dirname(sys.executable), 't' * 40, 'a' * 40,
               sim_dir, sim_dir, sim_dir))
        self.assertEqual(expected, out.stdout.strip())

    def test_command_line_api_only_custom_portals(self):
        out = self.harness.run(
            'ngxstorage_sim_command',
            env={'NGXSTORAGE_SIM_ISCSI': 'False',
                 'NGXSTORAGE_SIM_PORTALS': '10.0.0.5:3260 10.0.1.5:3260'})
        command = out.stdout.strip()
        self.assertIn('--portal 10.0.0.5:3260 --portal 10.0.1.5:3260',
                      command)
        self.assertNotIn('--iscsi', command)

    def test_simulator_not_started_with_timeout(self):
        """A simulator that never prints its ready line: a clear death."""
        proc = self.harness.stack(
            env={'NGXSTORAGE_SIM_TIMEOUT': '1'},
            phases=('post-config',), check=False)
        self.assertEqual(3, proc.returncode)
        self.assertIn('did not start', proc.stderr)
        [run] = [c for c in self.harness.calls()
                 if c.startswith('run_process')]
        service, command, group, user = run[len('run_process '):].split('|')
        self.assertEqual('ngx-sim', service)
        self.assertEqual('root', user)

    def test_unstack_stops_simulator(self):
        self.harness.run('run_phase unstack')
        self.assertIn('stop_process ngx-sim', self.harness.calls())

    def test_clean_removes_data(self):
        sim_dir = os.path.join(self.harness.work, 'data',
                               'ngxstorage-simulator')
        os.makedirs(os.path.join(sim_dir, 'data'))
        self.harness.run('run_phase clean')
        self.assertFalse(os.path.exists(sim_dir))
