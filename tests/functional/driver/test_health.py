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

"""Health in the stats, against the simulator: licence and pools."""

import logging
import time

import fixtures

from tests.functional.driver import base


class HealthTest(base.DriverTestCase):

    def stats(self):
        return self.driver.get_volume_stats(refresh=True)

    def test_expired_licence_down_then_up(self):
        logs = self.useFixture(fixtures.FakeLogger(
            name='cinder_ngxstorage', level=logging.INFO))
        self.sim.set_license(expire_time=int(time.time()) - 3600)
        stats = self.stats()
        self.assertEqual('down', stats['backend_state'])
        self.assertIn('licence expired', stats['backend_state_reason'])
        self.assertEqual([0, 0], [p['free_capacity_gb']
                                  for p in stats['pools']])
        self.sim.set_license(expire_time=int(time.time()) + 365 * 86400)
        self.assertEqual('up', self.stats()['backend_state'])
        self.assertIn('reachable again', logs.output)

    def test_licence_expiring_soon_warned(self):
        logs = self.useFixture(fixtures.FakeLogger(
            name='cinder_ngxstorage', level=logging.WARNING))
        self.sim.set_license(expire_time=int(time.time()) + 3 * 86400)
        self.assertEqual('up', self.stats()['backend_state'])
        self.assertIn('licence expires', logs.output)

    def test_degraded_pool_published_without_space(self):
        self.sim.set_pool_status('pool2', 'DEGRADED')
        pools = {p['pool_name']: p for p in self.stats()['pools']}
        self.assertEqual('down', pools['pool2']['backend_state'])
        self.assertEqual(0, pools['pool2']['free_capacity_gb'])
        self.assertEqual('DEGRADED', pools['pool2']['pool_status'])
        self.assertEqual('up', pools['pool1']['backend_state'])
        self.assertGreater(pools['pool1']['free_capacity_gb'], 0)
        self.sim.set_pool_status('pool2', 'ONLINE')
        pools = {p['pool_name']: p for p in self.stats()['pools']}
        self.assertEqual('up', pools['pool2']['backend_state'])

    def test_array_gone_is_down_never_an_exception(self):
        self.sim.stop()
        stats = self.stats()
        self.assertEqual('down', stats['backend_state'])
        self.assertIn('could not be read', stats['backend_state_reason'])
