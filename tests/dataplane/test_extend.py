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

"""Extending an attached volume: the initiator sees the new capacity."""

from tests.dataplane import base
from tests.dataplane import initiator
from tests.functional.driver import fake_db

GiB = base.GiB


class ExtendTest(base.DataPlaneTestCase):

    def test_extend_seen_on_the_open_session(self):
        vol = self.create_volume(size=1)
        data, iqn = self.attach(vol)
        self.io(data, iqn, 'write -P 0x5a 0 1M')
        with initiator.QemuIoSession(data, iqn) as session:
            self.assertIn('1 GiB', session.run('length'))
            self.driver.extend_volume(vol, 2)
            vol.size = 2
            # qemu caches the size; its truncate re-reads READ CAPACITY
            # on the session that stays logged in, and succeeds only if
            # the target now reports 2 GiB.
            output = session.run('truncate 2G')
            self.assertNotIn('Cannot', output)
            self.assertIn('2 GiB', session.run('length'))
            output = session.run('write -P 0x66 2047M 1M')
            self.assertIn('wrote 1048576/1048576', output)
            output = session.run('read -P 0x5a 0 1M')
            self.assertNotIn('verification failed', output)
        # A fresh login sees the new size and both writes.
        self.assertEqual(2 * GiB, self.capacity(data, iqn))
        self.assertEqual(2 * GiB, self.capacity(data, iqn, portal_index=1))
        self.assert_reads(data, iqn, '0x66', offset='2047M')
        self.assert_reads(data, iqn, '0x5a')

    def test_revert_to_a_smaller_snapshot_shrinks_back_then_grows(self):
        # Cinder reverts only an available volume of the snapshot's
        # volume_size: the array snapshot is smaller when it was taken on
        # the array, the volume extended, then the snapshot managed.
        vol = self.create_volume(size=1)
        data, iqn = self.attach(vol)
        self.io(data, iqn, 'write -P 0x5a 0 1M')
        self.driver.client.create_snapshot('daily1', vol.provider_id)
        self.driver.extend_volume(vol, 3)
        vol.size = 3
        self.assertEqual(3 * GiB, self.capacity(data, iqn))
        self.io(data, iqn, 'write -P 0x99 0 1M', 'write -P 0x99 2G 1M')
        self.detach(vol)
        self.useFixture(fake_db.FakeCinderDB())
        ref = {'source-name': 'daily1'}
        snap = self.snapshot(vol)
        snap.volume_size = self.driver.manage_existing_snapshot_get_size(
            snap, ref)
        snap.update(self.driver.manage_existing_snapshot(snap, ref) or {})
        self.assertEqual(3, snap.volume_size)
        # The array rolls size back too; the driver grows it again to the
        # volume's size, and the LUN exported again has it.
        self.driver.revert_to_snapshot(self.ctx, vol, snap)
        data, iqn = self.attach(vol)
        self.assertEqual(3 * GiB, self.capacity(data, iqn))
        self.assert_reads(data, iqn, '0x5a')
        self.assert_reads(data, iqn, '0', offset='2G')
        data2, _iqn = self.attach(self.create_volume())
        self.assertEqual(data['target_iqn'], data2['target_iqn'])
        self.assertEqual(2, data2['target_lun'])
        self.assertEqual([1, 2], self.exported_luns(data))
