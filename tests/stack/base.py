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

"""Real Cinder (API, scheduler, volume manager) on the simulator.

:class:`StackTestCase` builds on Cinder's own functional test base: an
in-memory SQLite database, in-process messaging, the services started for
each test and stopped after it, every configuration change undone. On top
of it: a simulator with two pools (its iSCSI data plane on when ``tgtd`` is
installed; required when ``CI`` is true), the backend section ``[ngx]``
with our driver, the volume service ``stack@ngx`` and a volume type bound
to it. Tests talk to Cinder only through its REST API
(python-cinderclient, no Keystone) and look at the array directly.
"""

import logging
from unittest import mock

from cinder import context
from cinder import objects
from cinder import service
from cinder.tests.functional import functional_helpers
from cinderclient import exceptions as cinder_exc
from eventlet import greenthread
from oslo_config import cfg
from oslo_service import wsgi
from oslo_utils import importutils

from cinder_ngxstorage import naming
from cinder_ngxstorage.simulator import state as sim_state
from tests import common
from tests.functional.driver.base import env_flag
from tests.stack import harness

CONF = cfg.CONF
objects.register_all()
# Whose records a test can read in manager_log.
LOGGERS = ('cinder.volume.manager', 'cinder.volume.flows',
           'cinder_ngxstorage')


class LogCollector(logging.Handler):
    """Keeps the records of a logger (the volume manager's, ...)."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def messages(self, levelno=logging.DEBUG):
        """The formatted messages at levelno or above."""
        return [r.getMessage() for r in self.records if r.levelno >= levelno]


class StackTestCase(functional_helpers._FunctionalTestBase):
    """Cinder's API, scheduler and volume service on a simulated array."""

    _osapi_version = harness.API_VERSION
    POOLS = ('pool1:100G', 'pool2:100G')
    RESOURCE_FILTER_PATH = harness.installed_file(
        'etc/cinder/resource_filters.json')
    VOLUME_HOST = 'stack@%s' % harness.BACKEND

    def setUp(self):
        # First: the detector learns the simulator's token as it is made,
        # and checks for leaks after every other clean-up.
        common.detect_leaks(self)
        problems = harness.dataplane_problems()
        self.dataplane = not problems
        self.sim = harness.make_simulator(self.POOLS,
                                          dataplane=self.dataplane)
        if self.dataplane and not self.sim.dataplane.iscsi_active:
            problems = [self.sim.dataplane.iscsi_problem]
            self.dataplane = False
        if problems and env_flag('CI'):
            # Fail, not skip: CI must run the data plane.
            self.sim.stop()
            raise AssertionError('no iSCSI data plane and CI is true: %s'
                                 % '; '.join(problems))
        self.manager_log = LogCollector()
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self.manager_log)
        # Registered first, so run last: after the base has stopped the
        # services (and dropped this test's attributes, hence the args).
        self.addCleanup(self._stop_extras, self.sim, self.manager_log)
        super().setUp()
        manager_class = importutils.import_class(
            'cinder.scheduler.manager.SchedulerManager')
        self.mock_object(manager_class, 'get_pools',
                         harness.json_round_trip(manager_class.get_pools))
        self.cinder = harness.make_client(self.auth_url)
        self.wait = harness.Waiter(self.cinder)
        self.pools = self.wait.pools(
            [spec.split(':')[0] for spec in self.POOLS])
        self.vtype = self.cinder.volume_types.create(harness.TYPE_NAME)
        self.vtype.set_keys({'volume_backend_name': harness.BACKEND_NAME})

    @staticmethod
    def _stop_extras(sim, collector):
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(collector)
        sim.stop()

    # -- the Cinder side ------------------------------------------------

    def _get_flags(self):
        flags = super()._get_flags()
        flags['enabled_backends'] = {'v': [harness.BACKEND]}
        # The scheduler waits this long for the first capabilities at
        # start; the tests wait for the pools through the API instead.
        flags['scheduler_driver_init_wait_time'] = {'v': 1}
        flags['auth_strategy'] = {'v': 'noauth'}
        # In one process Cinder keeps the heartbeat's service id in a class
        # attribute: the last service started (the scheduler) gets every
        # heartbeat, and the volume service looks down after this long.
        flags['service_down_time'] = {'v': 86400}
        # The base set up has reset CONF already: safe to load the
        # section now; CONF.reset() at cleanup drops it again.
        self.fixture.load_raw_values(group=harness.BACKEND,
                                     **harness.backend_section(self.sim))
        return flags

    def start_service(self, name, host=None, **kwargs):
        """Start the volume service as our backend, the others as is."""
        if name == 'volume':
            host = self.VOLUME_HOST
            kwargs.setdefault('service_name', harness.BACKEND)
            kwargs.setdefault('coordination', True)
        # The base starts the scheduler with eventlet.sleep mocked out;
        # a green thread that waits meanwhile (the simulator's tgtd
        # keeper polls its child with eventlet.sleep) would spin forever
        # without yielding. The scheduler's own wait is short anyway.
        with mock.patch('eventlet.sleep', greenthread.sleep):
            return super().start_service(name, host=host, **kwargs)

    def _start_api_service(self):
        # The base looks for api-paste.ini next to the package sources;
        # pip installs it under the environment's etc/cinder.
        wsgi.register_opts(CONF)
        self.override_config('api_paste_config', harness.installed_file(
            'etc/cinder/api-paste.ini'))
        self.osapi = service.WSGIService('osapi_volume')
        self.osapi.start()
        self.auth_url = 'http://%s:%s/v3' % (self.osapi.host,
                                             self.osapi.port)

    def publish_stats(self):
        """Have the volume service send fresh stats to the scheduler.

        What its periodic task does every periodic_interval (60 s).
        """
        self.volume.manager.publish_service_capabilities(
            context.get_admin_context())

    @property
    def driver(self):
        """The driver instance inside the volume manager."""
        return self.volume.manager.driver

    # -- helpers --------------------------------------------------------

    def create_volume(self, size=1, status='available', **kwargs):
        """Create a volume of our type and wait for it to settle."""
        kwargs.setdefault('volume_type', self.vtype.id)
        vol = self.cinder.volumes.create(size, **kwargs)
        self.addCleanup(self._delete_quietly, vol.id)
        if status is None:
            return vol
        return self.wait.volume(vol.id, status)

    def _delete_quietly(self, volume_id):
        """Cleanup for a failed test: the array is checked elsewhere."""
        try:
            self.cinder.volumes.delete(volume_id, cascade=True)
        except cinder_exc.NotFound:
            return
        except cinder_exc.ClientException:
            try:
                self.cinder.volumes.force_delete(volume_id)
            except cinder_exc.ClientException:
                return
        try:
            self.wait.volume_deleted(volume_id)
        except harness.StackError:
            pass

    def create_snapshot(self, volume_id, **kwargs):
        """Snapshot a volume and wait for it."""
        snap = self.cinder.volume_snapshots.create(volume_id, **kwargs)
        return self.wait.snapshot(snap.id)

    def delete_volume(self, volume_id, **kwargs):
        """Delete through the API and wait until Cinder forgot it."""
        self.cinder.volumes.delete(volume_id, **kwargs)
        self.wait.volume_deleted(volume_id)

    def delete_snapshot(self, snapshot_id):
        """Delete a snapshot through the API and wait."""
        self.cinder.volume_snapshots.delete(snapshot_id)
        self.wait.snapshot_deleted(snapshot_id)

    def lun_of(self, volume_id):
        """The array's LUN of a volume (detail-list shape), or None."""
        name = naming.volume_name(volume_id)
        for lun in self.sim.state.luns():
            if lun['vol_name'] == name:
                return lun
        return None

    def portals(self):
        """The iSCSI portals of the array's portal group."""
        return self.sim.state.portal_group_detail(
            sim_state.RequestContext(),
            {'id': self.sim.portal_group_id})['listen_ips']

    def attach(self, volume_id, connector=None):
        """Attachment create with a connector, then complete.

        Returns (attachment id, connection_info). The API shows
        connection_info flat: the driver's data with driver_volume_type.
        """
        attachment = self.cinder.attachments.create(
            volume_id, connector or harness.connector())
        self.assertEqual('reserved', attachment['status'])
        self.cinder.attachments.complete(attachment['id'])
        self.wait.volume(volume_id, 'in-use')
        return attachment['id'], attachment['connection_info']

    def detach(self, attachment_id, volume_id):
        """Attachment delete; wait until the volume is available."""
        self.cinder.attachments.delete(attachment_id)
        return self.wait.volume(volume_id, 'available')

    def io(self, connection_info, *commands, initiator=harness.INITIATOR):
        """qemu-io over iSCSI with the connection_info; assert success."""
        problem = harness.io_problem(connection_info, initiator, *commands)
        self.assertIsNone(problem)

    def assert_array_empty(self):
        """Nothing of ours is left on the array."""
        self.assertEqual({'luns': [], 'snapshots': [], 'deferred': [],
                          'targets': [], 'auth_groups': []},
                         harness.array_leftovers(self.sim))
