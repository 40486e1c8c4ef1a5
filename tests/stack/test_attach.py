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

"""The attachments API with a connector, and real I/O through it.

Attachment create returns the driver's iSCSI connection_info; with the
simulator's data plane (tgtd) qemu-io logs in with exactly that (portal,
target, LUN, CHAP, initiator name) and writes and reads blocks. Extend
while attached, revert and clones are checked on the data too.
"""

from cinder_ngxstorage import naming
from tests.stack import base
from tests.stack import harness

GIB = 1024 ** 3


class AttachTest(base.StackTestCase):
    """Attach, I/O, extend in use and detach through Cinder's API."""

    def test_attach_io_detach(self):
        """connection_info works for an initiator; detach cleans the host."""
        vol = self.create_volume(1)
        attachment_id, info = self.attach(vol.id)
        self.assertEqual('iscsi', info['driver_volume_type'])
        self.assertEqual(
            sorted(self.portals()), sorted(info['target_portals']))
        self.assertEqual('CHAP', info['auth_method'])
        self.assertRegex(info['auth_username'], r'^cinder-[a-z0-9]{1,8}-')
        self.assertTrue(info['auth_username'].endswith(
            naming.HostNames('x').chap_username(
                harness.connector()['host']).rsplit('-', 1)[1]))
        self.assertIn('auth_password', info)
        targets = self.sim.state.targets()
        self.assertEqual(1, len(targets))
        self.assertEqual(targets[0]['target_iqn'], info['target_iqn'])
        self.assertEqual([self.lun_of(vol.id)['vol_id']],
                         [lun['vol_id'] for lun in targets[0]['luns']])
        self.assertEqual(int(targets[0]['luns'][0]['lun_number']),
                         info['target_lun'])
        groups = [g for g in self.sim.state.auth_groups()
                  if g['group_id'] != '1']
        self.assertEqual(1, len(groups))
        self.assertIn(harness.INITIATOR, str(groups[0]))
        vol = self.cinder.volumes.get(vol.id)
        self.assertEqual('in-use', vol.status)
        self.assertEqual([attachment_id],
                         [a['attachment_id'] for a in vol.attachments])

        if self.dataplane:
            self.io(info, 'write -P 0x5a 0 1M', 'read -P 0x5a 0 1M')
            self.io(info, 'read -P 0x5a 0 1M')

        self.detach(attachment_id, vol.id)
        left = harness.array_leftovers(self.sim)
        self.assertEqual([], left['targets'])
        self.assertEqual([], left['auth_groups'])
        self.delete_volume(vol.id)
        self.assert_array_empty()

    def test_extend_in_use(self):
        """Extend while attached: the LUN grows under the session."""
        vol = self.create_volume(1)
        attachment_id, info = self.attach(vol.id)
        self.cinder.volumes.extend(vol.id, 2)
        vol = self.wait.volume(vol.id, 'in-use')
        self.assertEqual(2, vol.size)
        self.assertEqual(str(2 * GIB), self.lun_of(vol.id)['vol_size'])
        if self.dataplane:
            # A new session sees the new size: write past the old end.
            self.io(info, 'write -P 0x33 1536M 1M', 'read -P 0x33 1536M 1M')
        self.detach(attachment_id, vol.id)

    def test_two_volumes_share_the_host_target(self):
        """A second volume for the same host reuses its target."""
        first = self.create_volume(1)
        second = self.create_volume(1)
        a1, info1 = self.attach(first.id)
        a2, info2 = self.attach(second.id)
        self.assertEqual(info1['target_iqn'], info2['target_iqn'])
        self.assertNotEqual(info1['target_lun'], info2['target_lun'])
        if self.dataplane:
            self.io(info1, 'write -P 0x11 0 64k')
            self.io(info2, 'write -P 0x22 0 64k')
            self.io(info1, 'read -P 0x11 0 64k')
            self.io(info2, 'read -P 0x22 0 64k')
        self.detach(a1, first.id)
        self.assertEqual(1, len(self.sim.state.targets()))
        self.detach(a2, second.id)
        self.assertEqual([], self.sim.state.targets())


class DataTest(base.StackTestCase):
    """Snapshots, clones and revert, checked on the data (tgtd needed)."""

    def setUp(self):
        super().setUp()
        if not self.dataplane:
            self.skipTest('no iSCSI data plane here (tgtd); CI has it')

    def write(self, volume_id, *commands):
        """Attach, run qemu-io commands, detach."""
        attachment_id, info = self.attach(volume_id)
        try:
            return self.io(info, *commands)
        finally:
            self.detach(attachment_id, volume_id)

    def test_revert_brings_the_data_back(self):
        """Data written after the snapshot is gone after a revert."""
        vol = self.create_volume(1)
        self.write(vol.id, 'write -P 0x5a 0 1M')
        snap = self.create_snapshot(vol.id)
        self.write(vol.id, 'write -P 0xa5 0 1M', 'read -P 0xa5 0 1M')
        self.cinder.volumes.revert_to_snapshot(vol, snap)
        self.wait.volume(vol.id)
        self.write(vol.id, 'read -P 0x5a 0 1M')
        # The check can fail: the overwritten pattern is gone.
        attachment_id, info = self.attach(vol.id)
        self.assertIn('verification failed', harness.io_problem(
            info, harness.INITIATOR, 'read -P 0xa5 0 1M'))
        self.detach(attachment_id, vol.id)

    def test_clones_carry_the_data(self):
        """From a snapshot (bigger) and a clone: the source's blocks."""
        vol = self.create_volume(1)
        self.write(vol.id, 'write -P 0x5a 0 1M', 'write -P 0x77 1023M 1M')
        snap = self.create_snapshot(vol.id)
        self.write(vol.id, 'write -P 0xa5 0 1M')
        from_snap = self.create_volume(2, snapshot_id=snap.id)
        self.write(from_snap.id, 'read -P 0x5a 0 1M', 'read -P 0x77 1023M 1M',
                   'write -P 0x33 1536M 1M', 'read -P 0x33 1536M 1M')
        clone = self.create_volume(1, source_volid=vol.id)
        self.write(clone.id, 'read -P 0xa5 0 1M', 'read -P 0x77 1023M 1M')
