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

"""Target IQNs of new targets: read back once, then formed by the driver."""

from unittest import mock

import testtools

from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage import exports

BASE = 'iqn.2015-03.com.ngxio.ngxsim01'
GROUP_ID = 'a' * 40


class CreatedTargetTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.client = mock.create_autospec(ngx_client.NGXStorageClient,
                                           instance=True)
        self.client.create_auth_group.return_value = {'id': GROUP_ID}
        self.client.create_target.side_effect = self.create_target
        self.client.get_target.side_effect = self.get_target
        self.exports = exports.HostExports(self.client, 'p' * 40, False, 64,
                                           '1')
        self.targets = {}
        self.iqn_of = lambda name: '%s:%s' % (BASE, name)
        self.name_of = self.exports.names.target_name

    def create_target(self, name, group_id, portal_group_id, owner,
                      lun_ids=None):
        target_id = '%040x' % (len(self.targets) + 1)
        luns = [{'vol_id': v, 'lun_number': str(i), 'lun_id': 'x',
                 'lun_name': 'x', 'pool_name': 'pool1'}
                for i, v in enumerate(lun_ids or ())]
        self.targets[target_id] = (name, owner, luns)
        return {'id': target_id, 'luns': luns, 'success': True}

    def get_target(self, target_id):
        name, owner, luns = self.targets[target_id]
        return {'scsi_id': target_id, 'scsi_target_name': name,
                'owner': owner, 'iqn_name': BASE,
                'target_iqn': self.iqn_of(name), 'luns': luns}

    def attach_new_host(self, index):
        host = 'host-%d' % index
        _entry, target, lun = self.exports.attach(
            host, 'iqn.1993-08.org.debian:01:%d' % index, 'v%d' % index, '1')
        self.assertEqual(0, lun)
        return host, target

    def test_read_back_once_then_formed(self):
        host, target = self.attach_new_host(1)
        self.assertEqual(1, self.client.get_target.call_count)
        self.assertEqual(self.iqn_of(self.name_of(host, '1', 0)),
                         target.iqn)
        for index in (2, 3):
            host, target = self.attach_new_host(index)
            self.assertEqual(
                self.iqn_of(self.name_of(host, '1', 0)), target.iqn)
        self.assertEqual(1, self.client.get_target.call_count)

    def test_other_iqn_scheme_is_read_every_time(self):
        self.iqn_of = lambda name: 'iqn.2000-01.com.example:%s.x' % name
        for index in (1, 2, 3):
            host, target = self.attach_new_host(index)
            self.assertEqual(
                self.iqn_of(self.name_of(host, '1', 0)), target.iqn)
        self.assertEqual(3, self.client.get_target.call_count)

    def test_per_controller(self):
        self.attach_new_host(1)
        host = 'host-b'
        _entry, target, _lun = self.exports.attach(
            host, 'iqn.1993-08.org.debian:01:b', 'vb', 'NGXSIM01_B')
        self.assertEqual(2, self.client.get_target.call_count)
        self.assertEqual(
            self.iqn_of(self.name_of(host, 'NGXSIM01_B', 0)),
            target.iqn)
