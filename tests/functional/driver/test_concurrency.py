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

"""Concurrent attaches to one new host: one auth group, one target."""

from concurrent import futures

from tests.functional.driver import base


class ConcurrentAttachTest(base.DriverTestCase):

    def test_32_threads_attach_to_one_new_host(self):
        vols = [self.create_volume() for _ in range(32)]
        conn = self.connector(host='busy-host')
        with futures.ThreadPoolExecutor(32) as pool:
            infos = list(pool.map(
                lambda v: self.driver.initialize_connection(v, conn), vols))
        groups = [g for g in self.sim.state.auth_groups()
                  if g['group_id'] != '1']
        self.assertEqual(1, len(groups))
        [target] = self.sim.state.targets()
        numbers = [info['data']['target_lun'] for info in infos]
        self.assertEqual(32, len(set(numbers)))
        self.assertEqual(sorted(numbers),
                         sorted(int(e['lun_number']) for e in target['luns']))
        secrets = {info['data']['auth_password'] for info in infos}
        self.assertEqual(1, len(secrets))
        with futures.ThreadPoolExecutor(32) as pool:
            list(pool.map(
                lambda v: self.driver.terminate_connection(v, conn), vols))
        for vol in vols:
            self.driver.delete_volume(vol)
        self.assert_array_empty()
