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

"""Shared fixtures of the driver unit tests.

:class:`DriverTestCase` builds the driver on a real Cinder backend
configuration section (a unique group per test), replaces the HTTP client
by an autospec mock of :class:`NGXStorageClient` (so a call with a wrong
signature fails), answers the start-up checks the way a healthy array does,
and starts Cinder's lock coordinator with a file backend. Every test also
checks, when it ends, that neither the API token nor the CHAP secret was
written to any log record.
"""

import logging
from unittest import mock
import uuid

from cinder import context
from cinder import coordination
from cinder.volume import configuration
from cinder.volume import driver as cinder_driver
from cinder.volume.drivers.san import san
import fixtures
from oslo_config import cfg
import testtools

from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import exports
from cinder_ngxstorage import naming
from cinder_ngxstorage import options
from tests import common

CONF = cfg.CONF
GiB = 1024 ** 3

TOKEN = 'ngxK3y4c1b0e9f7d6a5b4c3d2e1f0a9b8c7d6e5f4a3b2'
CHAP_SECRET = 'Zq8vLw3RtY6uPp1N'
SAN_IP = '192.0.2.5'
BACKEND = 'ngx'
POOLS = ['pool1', 'pool2']
PORTAL_GROUP = 'pg1'
LISTEN_IPS = ['192.0.2.10:3260', '192.0.2.11']
PORTALS = ['192.0.2.10:3260', '192.0.2.11:3260']
HOST = 'compute-1.example.org'
OTHER_HOST = 'compute-2.example.org'
INITIATOR = 'iqn.1993-08.org.debian:01:107dc7e4254a'
SERVICE_TAG = 'ngxsim01'

# Array ids: 40 lower-case hex characters.
PG_ID = 'b42ecdf4c9a0e6677546fb4da04b0ebede0476e5'
# The deployment namespace the unit tests set (no database here).
NAMESPACE = 'unit'
NAMES = naming.HostNames(NAMESPACE, PG_ID)
REGISTRY = naming.registry_lun_name(NAMESPACE, 'ngx')
REGISTRY_ID = '0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e'
VOL_ID = 'f5d09c2614f903f1c1700e14a36a329f763c56bd'
SRC_VOL_ID = 'a1d09c2614f903f1c1700e14a36a329f763c56b0'
CLONE_ID = 'c10e09c2614f903f1c1700e14a36a329f763c56b'
SNAP_ID = '816479d3d58565ea7670d7c3dc9a25fb143e96e6'
TARGET_ID = 'fc9a57b1fd478fa0aa72fb1bb81cd5129eb1de3f'
OTHER_TARGET_ID = 'ee9a57b1fd478fa0aa72fb1bb81cd5129eb1de30'
GROUP_ID = '59f5004ecb2944f1b456c904f2e9ee9e541c31bb'
OTHER_GROUP_ID = '69f5004ecb2944f1b456c904f2e9ee9e541c31b0'
IQN_ENTRY_ID = 'aa5fce737911a2686ca219a71c8e784e8116623b'

VOLUME_UUID = '8c2b6a1e-0f3d-4d7e-9a51-3e2f6b7c8d90'
SRC_VOLUME_UUID = '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9'
SNAPSHOT_UUID = '4e5f6a7b-8c9d-4eaf-b0c1-d2e3f4a5b6c7'
NAME_UUID = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a'

# Endpoint permission probed at start-up -> the client method probing it.
PROBED_METHODS = {
    'lun.create': 'create_lun',
    'lun.modify': 'modify_lun',
    'lun.delete': 'delete_lun',
    'snapshot.create': 'create_snapshot',
    'snapshot.delete': 'delete_snapshot',
    'snapshot.clone': 'clone_snapshot',
    'snapshot.restore': 'restore_snapshot',
    'snapshot.schedule_delete': 'delete_snapshot_schedule',
    'iscsi_target.create': 'create_target',
    'iscsi_target.lun_add': 'add_target_luns',
    'iscsi_target.lun_remove': 'remove_target_luns',
    'iscsi_target.delete': 'delete_target',
    'auth_group.create': 'create_auth_group',
    'auth_group.iqn_add': 'add_auth_group_iqn',
    'auth_group.iqn_delete': 'delete_auth_group_iqn',
    'auth_group.chap_set': 'set_auth_group_chap',
    'auth_group.delete': 'delete_auth_group',
}


def error(cls, message='refused', status=None, method='GET',
          path='/api/v2/x'):
    """A client error as NGXStorageClient raises it."""
    return cls(message=message, method=method, path=path, status=status)


def target_detail(host=HOST, owner='1', index=0, target_id=TARGET_ID,
                  luns=((VOL_ID, 0),), group_id=GROUP_ID):
    """Target detail as the array answers it."""
    name = NAMES.target_name(host, owner, index)
    return {
        'scsi_id': target_id,
        'scsi_target_name': name,
        'owner': owner,
        'group_id': group_id,
        'portal_id': PG_ID,
        'target_iqn': 'iqn.2015-03.com.ngxio.%s:%s' % (SERVICE_TAG, name),
        'luns': [{'vol_id': vol_id, 'lun_id': '1', 'lun_number': str(num),
                  'lun_name': 'x', 'pool_name': 'pool1'}
                 for vol_id, num in luns],
    }


def target_iqn(host=HOST, owner='1', index=0):
    """IQN of a host's target as the array builds it."""
    return 'iqn.2015-03.com.ngxio.%s:%s' % (
        SERVICE_TAG, NAMES.target_name(host, owner, index))


class DriverTestCase(testtools.TestCase):
    """Base: a driver on a unique config group, the client mocked."""

    def setUp(self):
        super().setUp()
        self.logger = self.useFixture(
            fixtures.FakeLogger(level=logging.DEBUG,
                                format='%(levelname)s %(name)s %(message)s'))
        self.useFixture(common.Coordination())
        self.ctx = context.get_admin_context()
        self.group = 'ngx_unit_%s' % uuid.uuid4().hex
        self.conf = configuration.Configuration(cinder_driver.volume_opts,
                                                config_group=self.group)
        self.conf.append_config_values(san.san_opts)
        self.conf.append_config_values(options.NGXSTORAGE_OPTS)
        self.configure(san_ip=SAN_IP, ngxstorage_api_token=TOKEN,
                       ngxstorage_pools=list(POOLS),
                       ngxstorage_portal_group=PORTAL_GROUP,
                       ngxstorage_namespace=NAMESPACE,
                       volume_backend_name=BACKEND)
        # A known CHAP secret, so that the tests can look for it.
        chap = mock.patch.object(exports, 'generate_chap_secret',
                                 autospec=True, return_value=CHAP_SECRET)
        chap.start()
        self.addCleanup(chap.stop)
        self.addCleanup(self.assert_no_secret_logged)

    # -- configuration ---------------------------------------------------

    def configure(self, **values):
        """Set options of this test's backend section."""
        for name, value in values.items():
            CONF.set_override(name, value, group=self.group)
            self.addCleanup(CONF.clear_override, name, group=self.group)

    def clear(self, *names):
        """Unset options (back to their defaults, e.g. None)."""
        for name in names:
            CONF.set_override(name, None, group=self.group)
            self.addCleanup(CONF.clear_override, name, group=self.group)

    # -- the driver ------------------------------------------------------

    def make_driver(self):
        """A driver instance on this test's configuration."""
        return ngx_driver.NGXStorageISCSIDriver(configuration=self.conf)

    def do_setup(self, drv):
        """Run do_setup with the client class replaced by an autospec.

        Returns (client class mock, client instance mock).
        """
        with mock.patch.object(ngx_client, 'NGXStorageClient',
                               autospec=True) as client_cls:
            drv.do_setup(self.ctx)
        client = client_cls.return_value
        self.assertIs(client, drv.client)
        return client_cls, client

    def healthy_array(self, client, owners=None, maxlun='64',
                      listen_ips=None, markers=()):
        """Make client answer the start-up checks as a healthy array.

        Every permission probe is refused as invalid (400), as the array
        answers a key that may use the endpoint.
        """
        owners = owners or {}
        client.get_system_info.return_value = {
            'maxlun': maxlun, 'service_tag': SERVICE_TAG.upper()}
        client.get_license.return_value = {'snapshot': 1, 'clone': 1,
                                           'datareduce': 1}
        client.get_pool_status.return_value = [
            {'pool_name': name, 'status': 'ONLINE',
             'owner': owners.get(name, '1'), 'pool_id': 'p%d' % i}
            for i, name in enumerate(POOLS)]
        client.get_services.return_value = {'san': 1, 'nfs': 1}
        client.list_portal_groups.return_value = [
            {'id': PG_ID, 'portal_name': PORTAL_GROUP, 'owner': '1'}]
        client.get_portal_group.return_value = {
            'id': PG_ID, 'portal_name': PORTAL_GROUP, 'owner': '1',
            'listen_ips': list(LISTEN_IPS if listen_ips is None
                               else listen_ips)}
        for method in PROBED_METHODS.values():
            getattr(client, method).side_effect = error(
                ngx_exc.ValidationFailed, 'invalid input', 400)

        def create_lun(pool_name, name, size, **properties):
            if name == REGISTRY:
                return {'luns': [{'vol_id': REGISTRY_ID}], 'success': True}
            raise error(ngx_exc.ValidationFailed, 'invalid name', 400,
                        'POST', '/api/v2/lun/')
        client.create_lun.side_effect = create_lun
        client.list_snapshots.return_value = {
            'luns': [{'snap_name': m, 'snap_id': 'm%d' % i}
                     for i, m in enumerate(markers)], 'shares': []}

    def ready_driver(self, owners=None, chap=True):
        """A driver set up against a healthy array; client mock reset."""
        self.configure(use_chap_auth=chap)
        drv = self.make_driver()
        unused, client = self.do_setup(drv)
        self.healthy_array(client, owners=owners)
        drv.check_for_setup_error()
        client.reset_mock(return_value=True, side_effect=True)
        # Plain answers for lists, so that an unexpected lookup finds
        # nothing rather than a MagicMock.
        client.list_luns.return_value = []
        client.list_targets.return_value = []
        client.list_targets_detail.return_value = []
        client.list_auth_groups.return_value = []
        client.list_snapshots.return_value = {'luns': [], 'shares': []}
        client.list_snapshots_detail.return_value = {'luns': [],
                                                     'shares': []}
        # A snapshot's detail: no clones (read before its delete).
        client.get_snapshot.return_value = {'snap_id': SNAP_ID,
                                            'binded': 0}
        # Deletes answer success true, as the reference documents (an
        # answer without it costs the driver a confirming read).
        for method in ('delete_lun', 'delete_snapshot', 'delete_target',
                       'delete_auth_group', 'delete_all_snapshots'):
            getattr(client, method).return_value = {'success': True}
        self.client = client
        return drv

    # -- Cinder objects --------------------------------------------------

    def volume(self, pool='pool1', **updates):
        """A Cinder volume on this backend (in pool)."""
        updates.setdefault('id', VOLUME_UUID)
        updates.setdefault('provider_id', VOL_ID)
        return common.volume(self.ctx, pool=pool, backend=BACKEND,
                             **updates)

    def snapshot(self, volume, **updates):
        """A Cinder snapshot of volume."""
        updates.setdefault('id', SNAPSHOT_UUID)
        updates.setdefault('provider_id', SNAP_ID)
        return common.snapshot(self.ctx, volume, **updates)

    def attachments(self, volume, *hosts_and_states):
        """Give volume attachments: (attached_host, attach_status)..."""
        volume.volume_attachment = None
        for host, status in hosts_and_states:
            common.attach(volume, host, status, ctx=self.ctx)

    @staticmethod
    def connector(host=HOST, initiator=INITIATOR, multipath=True):
        """A connector as os-brick builds it."""
        return common.connector(host, initiator, multipath,
                                ip='192.0.2.100', enforce_multipath=False)

    # -- checks ----------------------------------------------------------

    def assert_no_secret_logged(self):
        """No log record of the test holds the API token or CHAP secret."""
        output = self.logger.output
        self.assertNotIn(TOKEN, output)
        self.assertNotIn(CHAP_SECRET, output)

    def assert_no_secret(self, text):
        """text holds neither the API token nor the CHAP secret."""
        self.assertNotIn(TOKEN, text)
        self.assertNotIn(CHAP_SECRET, text)

    def spy_locks(self):
        """Record the names of the coordination locks taken."""
        real = coordination.COORDINATOR.get_lock
        spy = mock.patch.object(coordination.COORDINATOR, 'get_lock',
                                autospec=True, side_effect=real)
        self.addCleanup(spy.stop)
        return spy.start()


def lock_name(host=None, target_name=None):
    """The coordination lock the driver takes for a host."""
    return 'ngxstorage-host-' + (NAMES.lock_key(host) if host is not None
                                 else NAMES.lock_key_of(target_name))
