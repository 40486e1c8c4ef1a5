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

"""Driver against the simulator over real HTTP: shared fixtures."""

import os
import uuid

from cinder import context
from oslo_config import cfg
import testtools

from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import naming
from cinder_ngxstorage.simulator import Simulator
from tests import common

CONF = cfg.CONF


make_configuration = common.driver_configuration


def driver_settings(sim, pools=None, **extra):
    """Options pointing a driver at a running simulator."""
    return common.backend_options(
        sim, pools or [p['pool_name'] for p in sim.state.pools()], **extra)


class DriverTestCase(testtools.TestCase):
    """A simulator and a driver set up against it."""

    POOLS = ('pool1:200G', 'pool2:100G')
    PORTALS = ('127.0.0.1:3260', '127.0.0.2:3260')

    def setUp(self):
        super().setUp()
        common.detect_leaks(self)
        self.useFixture(common.Coordination())
        self.sim = self.make_simulator()
        self.sim.__enter__()
        self.addCleanup(self.sim.__exit__, None, None, None)
        self.ctx = context.get_admin_context()
        # Cinder's database of the test's deployment (what the driver
        # keeps there: the namespace, CHAP secrets).
        self.deployment_db = common.InitiatorData()
        self.driver = self.make_driver()

    def make_simulator(self):
        """The test's simulator, not started (control plane only here)."""
        return Simulator(pools=self.POOLS, portals=self.PORTALS)

    def make_driver(self, setup=True, deployment_db=None, **extra):
        """A driver (a volume service) of the test's deployment.

        deployment_db: Cinder's database of another deployment (a
        :class:`common.InitiatorData`) for a driver of another cloud.
        """
        group = 'ngx-%s' % uuid.uuid4().hex[:8]
        conf = make_configuration(group, **driver_settings(self.sim, **extra))
        self.addCleanup(CONF.clear_override, 'san_ip', group=group)
        drv = ngx_driver.NGXStorageISCSIDriver(configuration=conf,
                                               host='cinder@ngx')
        drv.db = deployment_db or self.deployment_db
        if setup:
            drv.do_setup(self.ctx)
            drv.client.on_request = ngx_client.CallCounter()
            drv.check_for_setup_error()
        return drv

    # -- Cinder objects -------------------------------------------------

    def volume(self, size=1, pool='pool1', **updates):
        """A Cinder volume object scheduled to pool (no LUN yet)."""
        return common.volume(self.ctx, size=size, pool=pool, **updates)

    def create_volume(self, size=1, pool='pool1', **updates):
        vol = self.volume(size, pool, **updates)
        vol.update(self.driver.create_volume(vol) or {})
        return vol

    def snapshot(self, volume, **updates):
        """A Cinder snapshot object of volume (no array snapshot yet)."""
        return common.snapshot(self.ctx, volume, **updates)

    def create_snapshot(self, volume):
        snap = self.snapshot(volume)
        snap.update(self.driver.create_snapshot(snap) or {})
        return snap

    def volume_from_snapshot(self, snap, size=1, pool='pool1', **updates):
        """A Cinder volume created from snap by the driver."""
        vol = self.volume(size, pool, **updates)
        vol.update(self.driver.create_volume_from_snapshot(vol, snap))
        return vol

    def clone_of(self, src, size=1, pool='pool1', **updates):
        """A Cinder volume cloned from src by the driver."""
        vol = self.volume(size, pool, **updates)
        vol.update(self.driver.create_cloned_volume(vol, src))
        return vol

    def delete(self, *objs):
        """Delete Cinder snapshots and volumes, in this order."""
        for obj in objs:
            # delete_snapshot or delete_volume.
            getattr(self.driver, 'delete_' + obj.obj_name().lower())(obj)

    def attachment(self, volume, host):
        """Record a live attachment of volume on host (as Cinder does)."""
        return common.attach(volume, host, ctx=self.ctx)

    @staticmethod
    def connector(host='compute-1', initiator=None, **extra):
        return common.connector(host, initiator, **extra)

    # -- array state ----------------------------------------------------

    def luns(self):
        """Names of the LUNs on the array, the registries left out."""
        return sorted(lun['vol_name'] for lun in self.sim.state.luns()
                      if not naming.is_registry_name(lun['vol_name']))

    def names(self, drv=None):
        """The host-object names of a driver (the test's by default)."""
        return (drv or self.driver).exports.names

    def assert_array_empty(self):
        """No LUN, snapshot, target or auth group of ours is left."""
        state = self.sim.state
        self.assertEqual([], self.luns())
        self.assertEqual([], [s for s in state.snapshots()])
        self.assertEqual([], [t for t in state.targets()])
        self.assertEqual(['1'], [g['group_id'] for g in state.auth_groups()])


def env_flag(name):
    return os.environ.get(name, '').lower() in ('1', 'true', 'yes')
