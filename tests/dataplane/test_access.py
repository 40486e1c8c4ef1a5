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

"""Who may log in: initiator ACLs, CHAP, detach, multiattach, multipath."""

from cinder import objects

from cinder_ngxstorage.simulator import state as st
from tests import common
from tests.dataplane import base
from tests.dataplane import initiator

AUTH_FAILURE = 'Authentication failure'


class AccessTest(base.DataPlaneTestCase):

    def test_another_hosts_initiator_is_refused(self):
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        self.io(data, iqn, 'write -P 0x5a 0 1M')
        other = self.connector(host='compute-9')['initiator']
        # Refused with the right CHAP credentials, on either portal.
        self.assert_refused(data, other)
        self.assert_refused(data, other, portal_index=1)
        rc, _size, output = initiator.read_capacity(data, other)
        self.assertNotEqual(0, rc, output)

    def test_wrong_chap_secret_is_refused(self):
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        self.assertEqual('CHAP', data['auth_method'])
        secret = data['auth_password']
        wrong = dict(data, auth_password=(
            'A' if secret[0] != 'A' else 'B') + secret[1:])
        self.assert_refused(wrong, iqn, why=AUTH_FAILURE)
        no_chap = {k: v for k, v in data.items()
                   if not k.startswith('auth_')}
        self.assert_refused(no_chap, iqn, why=AUTH_FAILURE)
        wrong_user = dict(data, auth_username='someone-else')
        self.assert_refused(wrong_user, iqn, why=AUTH_FAILURE)
        # The right ones still get in.
        self.io(data, iqn, 'read 0 4k')

    def test_without_chap_the_initiator_name_decides(self):
        self.driver = self.make_driver(use_chap_auth=False)
        data, iqn = self.attach(self.create_volume())
        self.assertNotIn('auth_method', data)
        self.io(data, iqn, 'write -P 0x12 0 1M', 'read -P 0x12 0 1M')
        self.assert_refused(data, self.connector(host='compute-9')[
            'initiator'])

    def test_terminate_connection_removes_lun_and_access(self):
        keep = self.create_volume()
        gone = self.create_volume()
        kdata, iqn = self.attach(keep)
        gdata, _iqn = self.attach(gone)
        self.assertEqual(kdata['target_iqn'], gdata['target_iqn'])
        self.io(gdata, iqn, 'write -P 0x31 0 1M')
        self.assertEqual([1, 2], self.exported_luns(gdata))
        self.detach(gone)
        # The LUN is gone from the target at once; the other stays.
        self.assertEqual([kdata['target_lun']], self.exported_luns(gdata))
        rc, output = initiator.qemu_io(gdata, iqn, 'read 0 4k')
        self.assertNotEqual(0, rc, output)
        self.assertIn('LOGICAL_UNIT_NOT_SUPPORTED', output)
        self.io(kdata, iqn, 'read 0 4k')
        # The host's last volume: target and ACL go, the login is refused.
        self.detach(keep)
        self.assertIsNone(self.exported_luns(kdata))
        self.assert_refused(kdata, iqn)
        self.assertEqual({}, self.sim.dataplane.exporter.exported())

    def test_multiattach_two_hosts_read_the_same_bytes(self):
        vol = self.create_volume(multiattach=True)
        adata, aiqn = self.attach(vol, host='compute-1')
        bdata, biqn = self.attach(vol, host='compute-2')
        self.assertNotEqual(aiqn, biqn)
        self.assertNotEqual(adata['target_iqn'], bdata['target_iqn'])
        self.assertNotEqual(adata['auth_password'], bdata['auth_password'])
        self.io(adata, aiqn, 'write -P 0x6b 0 1M', 'write -P 0x6c 700M 1M')
        self.assert_reads(bdata, biqn, '0x6b')
        self.assert_reads(bdata, biqn, '0x6c', offset='700M')
        self.io(bdata, biqn, 'write -P 0x6d 4M 1M')
        self.assert_reads(adata, aiqn, '0x6d', offset='4M')
        # Each host only through its own target and credentials.
        self.assert_refused(bdata, aiqn)
        self.assert_refused(dict(bdata, auth_username=adata['auth_username'],
                                 auth_password=adata['auth_password']),
                            biqn, why=AUTH_FAILURE)
        # Detaching one host leaves the other's access intact.
        vol.volume_attachment = objects.VolumeAttachmentList(objects=[])
        self.detach(vol, host='compute-1')
        self.assert_refused(adata, aiqn)
        self.assert_reads(bdata, biqn, '0x6b')

    def test_multipath_both_portals_reach_the_same_lun(self):
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        self.assertEqual(list(self.portals), data['target_portals'])
        self.assertEqual([data['target_iqn']] * 2, data['target_iqns'])
        self.assertEqual([data['target_lun']] * 2, data['target_luns'])
        self.io(data, iqn, 'write -P 0x3c 0 1M', portal_index=0)
        self.assert_reads(data, iqn, '0x3c', portal_index=1)
        self.io(data, iqn, 'write -P 0x3d 1M 1M', portal_index=1)
        self.assert_reads(data, iqn, '0x3d', offset='1M', portal_index=0)
        self.assertEqual(self.capacity(data, iqn, portal_index=0),
                         self.capacity(data, iqn, portal_index=1))

    def test_removed_iqn_loses_its_open_session(self):
        vol = self.create_volume()
        data, iqn = self.attach(vol)
        exporter = self.sim.dataplane.exporter
        tid = exporter.tid_of(data['target_iqn'])
        session = initiator.QemuIoSession(data, iqn)
        self.addCleanup(session.kill)
        self.assertIn('1 GiB', session.run('length'))
        self.assertEqual([iqn], [s[2] for s in exporter.sessions(tid)])
        # An administrator removes the IQN from the host's auth group.
        [group] = [g for g in self.sim.state.auth_groups()
                   if g['group_id'] != '1']
        [entry] = group['initiator']
        self.sim.state.auth_group_iqn_delete(st.RequestContext(),
                                             {'iqn_id': entry['id']})
        self.assertEqual([], exporter.sessions(tid))
        session.kill()
        self.assert_refused(data, iqn)


class TwoCloudsAccessTest(base.DataPlaneTestCase):
    """Two deployments with a host of the same name: no cross logins."""

    def test_each_cloud_reaches_only_its_own_luns(self):
        cloud_b = self.make_driver(deployment_db=common.InitiatorData())
        vol_a = self.create_volume()
        vol_b = self.volume()
        vol_b.update(cloud_b.create_volume(vol_b) or {})
        iqn_a = 'iqn.1993-08.org.debian:01:cloud-a-host'
        iqn_b = 'iqn.1993-08.org.debian:01:cloud-b-host'
        data_a, _iqn = self.attach(vol_a, 'compute-1', iqn_a)
        data_b = cloud_b.initialize_connection(
            vol_b, self.connector(host='compute-1', initiator=iqn_b))['data']
        self.assertNotEqual(data_a['target_iqn'], data_b['target_iqn'])
        self.io(data_a, iqn_a, 'write -P 0xa1 0 1M')
        self.io(data_b, iqn_b, 'write -P 0xb2 0 1M')
        # The other cloud's initiator is refused, with the other cloud's
        # credentials (the target's ACL) or with its own (CHAP).
        self.assert_refused(data_a, iqn_b)
        self.assert_refused(data_b, iqn_a)
        own_b = dict(data_a, auth_username=data_b['auth_username'],
                     auth_password=data_b['auth_password'])
        self.assert_refused(own_b, iqn_b)
        self.assert_reads(data_a, iqn_a, '0xa1')
        self.assert_reads(data_b, iqn_b, '0xb2')
        # Cloud A's detach leaves cloud B's host logged in and working.
        self.detach(vol_a, 'compute-1', iqn_a)
        self.assert_refused(data_a, iqn_a)
        self.assert_reads(data_b, iqn_b, '0xb2')
