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

"""reconcile.unmap_unattached: mappings a killed attach left behind."""

from unittest import mock
import uuid

from cinder import exception
from cinder import objects
from oslo_config import cfg
import testtools

from cinder_ngxstorage import naming
from cinder_ngxstorage import reconcile
from tests.unit.driver import fakes

VOLUME = str(uuid.UUID(int=7))
VOL_ID = 'a' * 40


def _volume(host='tempest@ngx#pool1', name_id=None, connectors=()):
    att = [mock.Mock(connector=c) for c in connectors]
    return mock.Mock(name_id=name_id or VOLUME, host=host,
                     volume_attachment=att)


class UnmapUnattachedTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.names = naming.HostNames('ns1', 'pg1')
        self.target = self.names.target_name(fakes.HOST, '1', 0)
        detail = fakes.target_detail(luns=((VOL_ID, 1),))
        detail['scsi_target_name'] = self.target
        self.client = mock.Mock()
        self.client.list_targets_detail.return_value = [detail]
        self.client.list_luns.return_value = [
            {'vol_id': VOL_ID, 'name': naming.volume_name(VOLUME),
             'pool': 'pool1', 'owner': '1'}]
        self.exports = mock.Mock(names=self.names)
        patcher = mock.patch.object(objects.Volume, 'get_by_id')
        self.get = patcher.start()
        self.addCleanup(patcher.stop)

    def run_it(self, host='tempest@ngx'):
        return reconcile.unmap_unattached(
            self.client, self.exports, host, lambda key, func: func())

    def test_unbacked_mapping_removed(self):
        # The attach died after mapping: the attachment has no connector.
        self.get.return_value = _volume(connectors=(None,))
        self.assertEqual(1, self.run_it())
        target, group_id, vol_id = self.exports.force_unmap.call_args[0]
        self.assertEqual(VOL_ID, vol_id)
        self.assertEqual(self.target, target.name)

    def test_attached_host_kept(self):
        self.get.return_value = _volume(connectors=(
            {'host': fakes.HOST, 'initiator': fakes.INITIATOR},))
        self.assertEqual(0, self.run_it())
        self.exports.force_unmap.assert_not_called()

    def test_other_host_attachment_does_not_keep_it(self):
        self.get.return_value = _volume(connectors=(
            {'host': fakes.OTHER_HOST, 'initiator': 'iqn.x:y'},))
        self.assertEqual(1, self.run_it())

    def test_other_backend_migrated_or_unknown_volumes_skipped(self):
        for found in (_volume(host='other@ngx2#pool1'),
                      _volume(name_id=str(uuid.UUID(int=8))),
                      exception.VolumeNotFound(volume_id=VOLUME)):
            self.get.side_effect = [found] if isinstance(
                found, Exception) else None
            self.get.return_value = found
            self.assertEqual(0, self.run_it())
        self.exports.force_unmap.assert_not_called()

    def test_other_namespace_targets_left_alone(self):
        self.get.return_value = _volume(connectors=(None,))
        self.names = naming.HostNames('other', 'pg1')
        self.exports.names = self.names
        self.assertEqual(0, self.run_it())
        self.get.assert_not_called()

    def test_cluster_skipped(self):
        self.get.return_value = _volume(connectors=(None,))
        try:
            cfg.CONF.register_opt(cfg.StrOpt('cluster'))
        except cfg.DuplicateOptError:
            pass
        cfg.CONF.set_override('cluster', 'c1')
        self.addCleanup(cfg.CONF.clear_override, 'cluster')
        self.assertEqual(0, self.run_it())
        self.client.list_targets_detail.assert_not_called()
