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

"""A snapshot's bytes read through its connection (what a backup reads).

The snapshot is attached through the driver's temporary clone while the
volume keeps being written over its own, open session: the snapshot
reads what the volume held when it was taken, every time.
"""

from cinder_ngxstorage import naming
from tests.dataplane import base
from tests.dataplane import initiator


class SnapshotAttachDataTest(base.DataPlaneTestCase):

    def test_snapshot_reads_its_bytes_while_the_volume_is_written(self):
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        self.io(data, iqn, 'write -P 0x5a 0 1M', 'write -P 0x5b 64M 1M')
        snap = self.create_snapshot(vol)
        conn = self.connector(host='backup-1')
        self.driver.create_export_snapshot(self.ctx, snap, conn)
        info = self.driver.initialize_connection_snapshot(snap, conn)
        sdata = info['data']
        self.assertNotEqual(data['target_iqn'], sdata['target_iqn'])
        with initiator.QemuIoSession(data, iqn) as writer:
            self.assertNotIn('can\'t open', writer.opening)
            for round_ in range(3):
                pattern = '0x%02x' % (0x10 + round_)
                output = writer.run('write -P %s 0 1M' % pattern)
                self.assertIn('wrote', output)
                writer.run('write -P %s 64M 1M' % pattern)
                # The volume has the new bytes; the snapshot the old.
                self.assert_reads(data, iqn, pattern)
                self.assert_reads(sdata, conn['initiator'], '0x5a')
                self.assert_reads(sdata, conn['initiator'], '0x5b',
                                  offset='64M')
        # What a backup would copy: the whole first MiB, as taken.
        self.assert_reads(sdata, conn['initiator'], '0x5a', length='1M')
        self.driver.terminate_connection_snapshot(snap, conn)
        self.driver.remove_export_snapshot(self.ctx, snap)
        self.assertEqual([], [
            lun for lun in self.sim.state.luns()
            if lun['vol_name'] == naming.snapshot_export_name(snap.id)])
        # Detached: the backup host may no longer log in.
        self.assert_refused(sdata, conn['initiator'])
        self.assert_reads(data, iqn, '0x12')
