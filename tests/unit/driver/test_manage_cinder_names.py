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

"""Manage references by Cinder's names ('volume-<uuid>', 'snapshot-<uuid>').

Tempest's manage tests unmanage an object, then manage it back by a name
made from the Cinder id through a template ([volume] manage_volume_ref,
manage_snapshot_ref). The driver names array objects from the Cinder id in
its own encoding, so Cinder's names stand for those array names.
"""

from unittest import mock
import uuid

from cinder import context
from cinder import exception
import testtools

from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage import deferred
from cinder_ngxstorage import manage
from cinder_ngxstorage import naming
from tests import common


class ArrayNameTest(testtools.TestCase):
    """manage.array_name."""

    def test_volume_name(self):
        """'volume-<uuid>' is the LUN name made from that id."""
        vid = str(uuid.uuid4())
        self.assertEqual(naming.volume_name(vid),
                         manage.array_name('volume-' + vid, 'LUN'))

    def test_snapshot_name(self):
        """'snapshot-<uuid>' is the array snapshot name of that id."""
        sid = str(uuid.uuid4())
        self.assertEqual(naming.snapshot_name(sid),
                         manage.array_name('snapshot-' + sid, 'snapshot'))

    def test_not_a_cinder_name(self):
        """Other names, bad ids and the other kind stand for nothing."""
        sid = str(uuid.uuid4())
        for name, what in (('lun1', 'LUN'), ('volume-xyz', 'LUN'),
                           (None, 'LUN'), ('snapshot-' + sid, 'LUN'),
                           ('volume-' + sid, 'snapshot')):
            self.assertIsNone(manage.array_name(name, what), name)


class ReferenceTest(testtools.TestCase):
    """Manageable finds objects by Cinder's names, literal names first."""

    def setUp(self):
        """A mocked client and an empty deferred-deletion registry."""
        super().setUp()
        self.client = mock.create_autospec(ngx_client.NGXStorageClient,
                                           instance=True)
        deferred_deletions = mock.create_autospec(
            deferred.DeferredDeletions, instance=True)
        deferred_deletions.markers.return_value = []
        self.manageable = manage.Manageable(self.client, ['pool1'],
                                            deferred_deletions)
        for name in ('cinder_volumes_with', 'cinder_snapshots_with'):
            patcher = mock.patch.object(manage, name, autospec=True,
                                        return_value=[])
            patcher.start()
            self.addCleanup(patcher.stop)
        ctx = context.get_admin_context()
        self.snapshot = common.snapshot(ctx, common.volume(ctx))

    def _luns(self, *names):
        self.client.list_luns.return_value = [
            {'name': name, 'vol_id': 'id-' + name} for name in names]
        self.client.get_lun.side_effect = lambda vol_id: {
            'vol_id': vol_id, 'vol_name': vol_id[3:], 'pool_name': 'pool1',
            'vol_size': str(1024 ** 3), 'protocols': {}}

    def test_lun_by_cinder_volume_name(self):
        """source-name volume-<uuid> finds the LUN cv-... of that volume."""
        vid = str(uuid.uuid4())
        self._luns('lun1', naming.volume_name(vid))
        detail = self.manageable.find_lun({'source-name': 'volume-' + vid})
        self.assertEqual(naming.volume_name(vid), detail.name)
        self.client.get_lun.assert_called_once_with(
            'id-' + naming.volume_name(vid))

    def test_lun_by_cinder_name_absent(self):
        """A Cinder name whose LUN is not there is an invalid reference."""
        self._luns('lun1')
        self.assertRaises(exception.ManageExistingInvalidReference,
                          self.manageable.find_lun,
                          {'source-name': 'volume-' + str(uuid.uuid4())})

    def test_lun_by_array_name_unchanged(self):
        """An array name is used as it is."""
        self._luns('lun1')
        self.assertEqual('lun1', self.manageable.find_lun(
            {'source-name': 'lun1'}).name)

    def _snapshots(self, *names):
        self.client.list_snapshots.return_value = {'luns': [
            {'snap_name': name, 'snap_id': 'sid-' + name}
            for name in names]}

    def test_snapshot_by_cinder_name(self):
        """source-name snapshot-<uuid> finds the snapshot cs-...."""
        sid = str(uuid.uuid4())
        self._snapshots('other', naming.snapshot_name(sid))
        item = self.manageable.snapshot_to_manage(
            self.snapshot, 'vol1', {'source-name': 'snapshot-' + sid})
        self.assertEqual('sid-' + naming.snapshot_name(sid),
                         item.id)

    def test_snapshot_literal_name_wins(self):
        """A snapshot literally named snapshot-<uuid> is the one chosen."""
        sid = str(uuid.uuid4())
        self._snapshots(naming.snapshot_name(sid), 'snapshot-' + sid)
        item = self.manageable.snapshot_to_manage(
            self.snapshot, 'vol1', {'source-name': 'snapshot-' + sid})
        self.assertEqual('sid-snapshot-' + sid, item.id)
