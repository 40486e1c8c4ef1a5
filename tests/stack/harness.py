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

"""Real Cinder in one process, with the NGXStorage driver on the simulator.

Shared by the stack suite (``tests/stack/``, on top of Cinder's functional
test base) and by the demo (``tools/demo.py``, on its own): the installed
files Cinder needs, the backend section pointing the driver at a
simulator, the simulator with its data plane when ``tgtd`` is there, a
python-cinderclient talking to the API without Keystone, and waits on
volume states.

Everything goes through the Cinder REST API; only the array's state is
looked at directly, through the simulator.
"""

import importlib.metadata
import os
import socket
import time

from cinderclient import client as cinder_client
from cinderclient.contrib import noauth
from cinderclient import exceptions as cinder_exc
from keystoneauth1 import session as ks_session
from oslo_serialization import jsonutils
from oslo_utils import importutils

from cinder_ngxstorage import naming
from cinder_ngxstorage.simulator import Simulator
from tests import common
from tests.dataplane import initiator

# Attachments 3.27, extend in-use 3.42, revert 3.40, attach complete 3.44.
API_VERSION = '3.44'
BACKEND = 'ngx'
BACKEND_NAME = 'ngx'
USER_ID = 'stack-user'
# A hex project id: it has to match Cinder's project_id_regex.
PROJECT_ID = '4e6f2b7c1d8a4f0e9b3c5a7d2e1f0c9b'
TYPE_NAME = 'ngxstorage'
DRIVER = 'cinder_ngxstorage.driver.NGXStorageISCSIDriver'
INITIATOR = 'iqn.1993-08.org.debian:01:ngxstack0001'


class StackError(Exception):
    """A Cinder resource did not reach the state waited for."""


def installed_file(relative):
    """Path of a file pip installed with Cinder (e.g. etc/cinder/...).

    pip puts Cinder's etc/ files under the environment's prefix, not next
    to the package, where Cinder's own test base looks for them.
    """
    for entry in importlib.metadata.files('cinder') or ():
        if str(entry).replace('\\', '/').endswith(relative):
            path = str(entry.locate())
            if os.path.exists(path):
                return os.path.abspath(path)
    raise StackError('cinder has no installed file %s' % relative)


def dataplane_problems():
    """Why real iSCSI I/O cannot run here ([] when it can).

    The simulator exports LUNs through tgtd; qemu-io (with qemu's iscsi
    block driver) and libiscsi's tools are the initiator.
    """
    return initiator.missing_tools()


def dataplane_available():
    """Whether the simulator can export LUNs through tgtd here."""
    return not dataplane_problems()


def free_port():
    """A TCP port free on 127.0.0.1 (and so usually on 127.0.0.2)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def make_simulator(pools=('pool1:100G', 'pool2:100G'), dataplane=False,
                   **kwargs):
    """A started simulator; with the data plane on two loopback portals.

    With ``dataplane``, check ``sim.dataplane.iscsi_active``: tgtd may
    still have refused to start (``sim.dataplane.iscsi_problem`` says why).
    """
    if dataplane:
        port = free_port()
        return Simulator(pools=pools, portals=('127.0.0.1:%d' % port,
                                               '127.0.0.2:%d' % port),
                         iscsi=True, **kwargs).start()
    return Simulator(pools=pools, portals=('127.0.0.1:3260',
                                           '127.0.0.2:3260'),
                     **kwargs).start()


def backend_section(sim, pools=None):
    """The [ngx] backend section pointing the driver at sim (strings)."""
    pools = pools or [p['pool_name'] for p in sim.state.pools()]
    section = {'volume_driver': DRIVER}
    for key, value in common.backend_options(
            sim, pools, volume_backend_name=BACKEND_NAME).items():
        section[key] = (','.join(value) if isinstance(value, list)
                        else str(value))
    return section


def make_client(endpoint, version=API_VERSION):
    """python-cinderclient on endpoint (``http://host:port/v3``), no auth.

    Cinder's noauth pipeline takes the token ``user:project`` as is and
    makes an admin context, as ``cinder --os-auth-type noauth`` does.
    """
    auth = noauth.CinderNoAuthPlugin(USER_ID, PROJECT_ID, endpoint=endpoint)
    sess = ks_session.Session(auth=auth)
    return cinder_client.Client(version, session=sess)


def io_problem(connection_info, initiator_iqn, *commands):
    """Run qemu-io over the connection; None if all went well, else why."""
    rc, output = initiator.qemu_io(connection_info, initiator_iqn, *commands)
    if rc != 0 or 'verification failed' in output or \
            "can't open" in output:
        return 'qemu-io rc %s: %s' % (rc, ' '.join(output.split()))
    return None


def connector(host='stack-compute-1', initiator=INITIATOR):
    """An os-brick style connector for the attachments API."""
    return common.connector(host, initiator, multipath=False,
                            ip='127.0.0.1', os_type='linux',
                            do_local_attach=False)


class Waiter(object):
    """Polls Cinder resources until they settle."""

    def __init__(self, client, timeout=60.0, interval=0.2):
        self.client = client
        self.timeout = timeout
        self.interval = interval

    def _until(self, fetch, done, what):
        deadline = time.monotonic() + self.timeout
        last = None
        while True:
            last = fetch()
            if done(last):
                return last
            if time.monotonic() > deadline:
                raise StackError('%s: gave up after %.0f s, last seen %r'
                                 % (what, self.timeout, last))
            time.sleep(self.interval)

    def volume(self, volume_id, status='available', field='status'):
        """Wait for a volume's status; StackError on error or timeout."""
        def done(vol):
            value = getattr(vol, field)
            if value != status and value.startswith('error'):
                raise StackError('volume %s went to %s (waiting for %s)%s'
                                 % (volume_id, value, status,
                                    self.user_message(volume_id)))
            return value == status
        return self._until(lambda: self.client.volumes.get(volume_id),
                           done, 'volume %s to be %s' % (volume_id, status))

    def user_message(self, resource_id):
        """': <Cinder's latest user message about it>', or ''."""
        try:
            messages = [m for m in self.client.messages.list()
                        if m.resource_uuid == resource_id]
        except Exception:  # only to enrich an error
            return ''
        if not messages:
            return ''
        return ': %s' % messages[-1].user_message

    def volume_status(self, volume_id, statuses):
        """Wait for a volume to reach any of statuses (errors included)."""
        return self._until(lambda: self.client.volumes.get(volume_id),
                           lambda v: v.status in statuses,
                           'volume %s to be one of %s'
                           % (volume_id, statuses))

    def snapshot(self, snapshot_id, status='available'):
        """Wait for a snapshot's status."""
        def done(snap):
            if snap.status != status and snap.status.startswith('error'):
                raise StackError('snapshot %s went to %s'
                                 % (snapshot_id, snap.status))
            return snap.status == status
        return self._until(lambda: self.client.volume_snapshots.get(
            snapshot_id), done, 'snapshot %s to be %s'
            % (snapshot_id, status))

    def _gone(self, get, object_id):
        try:
            obj = get(object_id)
        except cinder_exc.NotFound:
            return True
        if obj.status.startswith('error'):
            raise StackError('%s went to %s while being deleted'
                             % (object_id, obj.status))
        return False

    def volume_deleted(self, volume_id):
        """Wait until the volume is gone from Cinder."""
        return self._until(
            lambda: self._gone(self.client.volumes.get, volume_id),
            bool, 'volume %s to be deleted' % volume_id)

    def snapshot_deleted(self, snapshot_id):
        """Wait until the snapshot is gone from Cinder."""
        return self._until(
            lambda: self._gone(self.client.volume_snapshots.get,
                               snapshot_id),
            bool, 'snapshot %s to be deleted' % snapshot_id)

    def _pools(self):
        return {p.name.split('#')[-1]: p for p in
                self.client.pools.list(detailed=True)}

    def pools(self, names):
        """Wait until the scheduler knows every pool in names."""
        return self._until(self._pools,
                           lambda pools: set(names) <= set(pools),
                           'the scheduler to report pools %s' % (names,))

    def until_pools(self, done):
        """Wait until done(get-pools by pool name) is true."""
        return self._until(self._pools, done, 'pool stats')


def pool_of(volume):
    """The pool a Cinder volume landed on (os-vol-host-attr:host)."""
    host = getattr(volume, 'os-vol-host-attr:host') or ''
    return host.partition('#')[2]


def array_leftovers(sim):
    """What of ours is on the array: LUNs, snapshots, markers, exports.

    The driver's deferred-deletion registry LUN is left out; its
    snapshots (markers of objects waiting for their dependents) are
    listed under ``deferred``.
    """
    state = sim.state
    registry = naming.is_registry_name
    snaps = state.snapshots()
    return {
        'luns': sorted(lun['vol_name'] for lun in state.luns()
                       if not registry(lun['vol_name'])),
        'snapshots': sorted(s['snap_name'] for s in snaps
                            if not registry(s['vol_name'])),
        'deferred': sorted(s['snap_name'] for s in snaps
                           if registry(s['vol_name'])),
        'targets': sorted(t.get('scsi_target_name', t.get('scsi_id'))
                          for t in state.targets()),
        'auth_groups': [g['group_id'] for g in state.auth_groups()
                        if g['group_id'] != '1'],
    }


def json_round_trip(func):
    """Wrap a scheduler method so its answer crosses 'the wire'.

    In-process messaging hands the scheduler's answer to the API as is,
    without the JSON trip a real transport makes; the API's pool view
    needs plain dicts (the scheduler keeps capabilities in read-only
    mappings).
    """
    def wrapper(manager, context, *args, **kwargs):
        return jsonutils.loads(jsonutils.dumps(
            func(manager, context, *args, **kwargs)))
    wrapper.wrapped = func
    return wrapper


CINDER_CONF = """\
[DEFAULT]
auth_strategy = noauth
transport_url = fake:/
enabled_backends = {backend}
default_volume_type = {type_name}
state_path = {workdir}
api_paste_config = {api_paste}
resource_query_filters_file = {filters}
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = {api_port}
osapi_volume_workers = 1
scheduler_driver_init_wait_time = 1
scheduler_max_attempts = 1
# One process: Cinder keeps the service id of its heartbeat in a class
# attribute, so only the last service started (the scheduler) would beat
# and the volume service would look down after this long. They share the
# process; nothing to detect.
service_down_time = 86400
log_file = {log_file}
use_stderr = false
debug = false

[database]
connection = sqlite://

[oslo_concurrency]
lock_path = {workdir}/locks

[coordination]
backend_url = file://{workdir}/locks

[oslo_messaging_notifications]
driver = noop

[key_manager]
backend = cinder.keymgr.conf_key_mgr.ConfKeyManager

[{backend}]
{backend_section}
"""


class InProcessCinder(object):
    """Cinder's API, scheduler and volume service in this process.

    What ``cinder-api``, ``cinder-scheduler`` and ``cinder-volume`` do at
    start, from a real cinder.conf written to ``workdir`` (the token is
    in it: the file is made readable by its owner only): SQLite in
    memory, in-process messaging, no Keystone (``auth_strategy =
    noauth``). The volume service is ``<host>@ngx`` with our driver on
    ``sim``. One per process: Cinder's configuration is global.
    """

    def __init__(self, sim, workdir, api_port=0, host='demo'):
        self.sim = sim
        self.workdir = workdir
        self.api_port = api_port
        self.host = host
        self.conf_file = os.path.join(workdir, 'cinder.conf')
        self.log_file = os.path.join(workdir, 'cinder.log')
        self.services = []
        self.api = None
        self.endpoint = None

    def write_conf(self):
        """Write cinder.conf (owner-only: it holds the array token)."""
        section = '\n'.join('%s = %s' % item for item in
                            backend_section(self.sim).items())
        text = CINDER_CONF.format(
            backend=BACKEND, type_name=TYPE_NAME, workdir=self.workdir,
            api_paste=installed_file('etc/cinder/api-paste.ini'),
            filters=installed_file('etc/cinder/resource_filters.json'),
            api_port=self.api_port, log_file=self.log_file,
            backend_section=section)
        os.makedirs(os.path.join(self.workdir, 'locks'), exist_ok=True)
        fd = os.open(self.conf_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, 'w') as conf:
            conf.write(text)

    def start(self):
        """Configure Cinder, create its database, start the services."""
        from cinder.common import config  # noqa: F401 (registers options)
        from cinder.db import migration
        from cinder import objects
        from cinder import service
        from cinder import version
        from oslo_config import cfg
        from oslo_log import log as logging
        from oslo_service import wsgi

        objects.register_all()
        conf = cfg.CONF
        logging.register_options(conf)
        wsgi.register_opts(conf)
        self.write_conf()
        conf(['--config-file', self.conf_file], project='cinder',
             version=version.version_string(), default_config_files=[])
        logging.setup(conf, 'cinder')
        migration.db_sync()
        scheduler_manager = importutils.import_module(
            'cinder.scheduler.manager')
        manager_class = scheduler_manager.SchedulerManager
        if not hasattr(manager_class.get_pools, 'wrapped'):
            manager_class.get_pools = json_round_trip(manager_class.get_pools)
        volume = service.Service.create(
            host='%s@%s' % (self.host, BACKEND), binary='cinder-volume',
            service_name=BACKEND, coordination=True)
        volume.start()
        self.services.append(volume)
        scheduler = service.Service.create(host=self.host,
                                           binary='cinder-scheduler')
        scheduler.start()
        self.services.append(scheduler)
        self.api = service.WSGIService('osapi_volume')
        self.api.start()
        self.endpoint = 'http://%s:%s/v3' % (self.api.host, self.api.port)
        return self

    @property
    def volume_service(self):
        """The cinder-volume service (its manager holds the driver)."""
        return self.services[0]

    def stop(self):
        """Stop the API and the services."""
        if self.api is not None:
            self.api.stop()
            self.api.wait()
            self.api = None
        for svc in reversed(self.services):
            svc.stop()
        for svc in reversed(self.services):
            try:
                svc.wait()
            except Exception:  # noqa: S110 (stopping anyway)
                pass
        self.services = []
