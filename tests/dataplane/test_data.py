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

"""Bytes through iSCSI: snapshots, clones, revert, new volumes, checksum."""

import hashlib
import os
import tempfile

from tests.dataplane import base
from tests.dataplane import initiator

MiB = base.MiB
GiB = base.GiB


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for chunk in iter(lambda: handle.read(MiB), b''):
            digest.update(chunk)
    return digest.hexdigest()


class DataTest(base.DataPlaneTestCase):

    def test_lun_numbers_start_at_one(self):
        """tgt keeps LUN 0: the array numbers LUNs from 1 in this mode."""
        data, _iqn = self.attach(self.create_volume())
        self.assertEqual(1, data['target_lun'])
        data2, _iqn = self.attach(self.create_volume())
        self.assertEqual(data['target_iqn'], data2['target_iqn'])
        self.assertEqual(2, data2['target_lun'])
        self.assertEqual([1, 2], self.exported_luns(data))

    def test_snapshot_volume_from_snapshot_and_revert(self):
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        self.io(data, iqn, 'write -P 0x5a 0 1M', 'write -P 0x5a 512M 1M')
        snap = self.create_snapshot(vol)
        self.io(data, iqn, 'write -P 0xa5 0 1M')
        self.assert_reads(data, iqn, '0xa5')
        # A volume created from the snapshot holds the first pattern.
        from_snap = self.volume_from_snapshot(snap)
        fdata, fiqn = self.attach(from_snap)
        self.assert_reads(fdata, fiqn, '0x5a')
        self.assert_reads(fdata, fiqn, '0x5a', offset='512M')
        # Writing the new volume leaves the origin alone.
        self.io(fdata, fiqn, 'write -P 0x11 0 1M')
        self.assert_reads(data, iqn, '0xa5')
        # Revert (Cinder reverts only an available volume: detached
        # first) brings the first pattern back once attached again.
        self.detach(vol)
        self.driver.revert_to_snapshot(self.ctx, vol, snap)
        data, iqn = self.attach(vol)
        self.assert_reads(data, iqn, '0x5a')
        self.assert_reads(data, iqn, '0x5a', offset='512M')
        self.assert_reads(fdata, fiqn, '0x11')

    def test_clone_reads_source_at_clone_time(self):
        src = self.create_volume()
        data, iqn = self.attach(src)
        self.io(data, iqn, 'write -P 0x21 0 1M', 'write -P 0x22 900M 1M')
        clone = self.clone_of(src)
        self.io(data, iqn, 'write -P 0x33 0 1M', 'write -P 0x33 900M 1M')
        cdata, ciqn = self.attach(clone)
        self.assert_reads(cdata, ciqn, '0x21')
        self.assert_reads(cdata, ciqn, '0x22', offset='900M')
        self.assert_reads(data, iqn, '0x33')

    def test_bigger_volume_from_snapshot(self):
        vol = self.create_volume(size=1)
        data, iqn = self.attach(vol)
        self.io(data, iqn, 'write -P 0x44 0 1M',
                'write -P 0x45 1023M 1M')
        snap = self.create_snapshot(vol)
        bigger = self.volume_from_snapshot(snap, size=2)
        bdata, biqn = self.attach(bigger)
        self.assertEqual(2 * GiB, self.capacity(bdata, biqn))
        self.assert_reads(bdata, biqn, '0x44')
        self.assert_reads(bdata, biqn, '0x45', offset='1023M')
        # The added space reads zeros and takes writes up to the end.
        self.assert_reads(bdata, biqn, '0', offset='1024M')
        self.io(bdata, biqn, 'write -P 0x46 2047M 1M',
                'read -P 0x46 2047M 1M')
        # The same through a bigger clone of a volume.
        clone = self.clone_of(vol, size=3)
        cdata, ciqn = self.attach(clone)
        self.assertEqual(3 * GiB, self.capacity(cdata, ciqn))
        self.assert_reads(cdata, ciqn, '0x45', offset='1023M')

    def test_new_volume_reads_zeros_after_a_deleted_one(self):
        old = self.create_volume()
        data, iqn = self.attach(old)
        self.io(data, iqn, 'write -P 0x77 0 4M', 'write -P 0x77 1020M 4M')
        old_lun = self.sim.dataplane.lun_path(old.provider_id)
        self.detach(old)
        self.driver.delete_volume(old)
        self.assertFalse(os.path.exists(old_lun))
        new = self.create_volume()
        ndata, niqn = self.attach(new)
        self.assert_reads(ndata, niqn, '0', length='4M')
        self.assert_reads(ndata, niqn, '0', offset='1020M', length='4M')
        # Even behind the very same target IQN and LUN number.
        self.assertEqual(data['target_iqn'], ndata['target_iqn'])
        self.assertEqual(data['target_lun'], ndata['target_lun'])

    def test_thin_usage_follows_the_data(self):
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        before = int(self.sim.client_view_lun(vol.provider_id)['vol_used'])
        self.assertLess(before, MiB)
        self.io(data, iqn, 'write -P 0x5a 0 8M')
        after = int(self.sim.client_view_lun(vol.provider_id)['vol_used'])
        self.assertGreaterEqual(after, 8 * MiB)
        # The driver's pool statistics see it too (allocated bytes).
        capacity = self.sim.state.status_capacity(None, {})
        allocated = int(capacity['pool1']['info']['allocated_size'])
        self.assertGreaterEqual(allocated, 8 * MiB)
        # A discard (UNMAP: the driver reports discard) gives it back.
        self.io(data, iqn, 'discard 0 8M', 'read -P 0 0 8M')
        freed = int(self.sim.client_view_lun(vol.provider_id)['vol_used'])
        self.assertLess(freed, after)

    def test_random_64mib_checksum_through_snapshot_clone(self):
        size = 64 * MiB
        workdir = tempfile.mkdtemp(prefix='ngx-dp-')
        self.addCleanup(_rmtree, workdir)
        payload = os.path.join(workdir, 'payload')
        with open(payload, 'wb') as handle:
            handle.write(os.urandom(size))
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        rc, output = initiator.write_file(data, iqn, payload)
        self.assertEqual(0, rc, output)
        snap = self.create_snapshot(vol)
        # Written after the snapshot: must not reach the clone.
        self.io(data, iqn, 'write -P 0xee 0 1M')
        clone = self.volume_from_snapshot(snap)
        cdata, ciqn = self.attach(clone, host='compute-2')
        readback = os.path.join(workdir, 'readback')
        rc, output = initiator.read_to_file(cdata, ciqn, readback, size)
        self.assertEqual(0, rc, output)
        self.assertEqual(size, os.path.getsize(readback))
        self.assertEqual(sha256_of(payload), sha256_of(readback))


def _rmtree(path):
    for name in os.listdir(path):
        os.unlink(os.path.join(path, name))
    os.rmdir(path)
