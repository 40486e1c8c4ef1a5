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

"""The audit's comparison (audit/scan.py) on hand-made inventories.

The cases the functional tests do not plant: active-active volumes (by
cluster), a pool shared with another backend, a clone being made, a
snapshot being read through its temporary clone, a deleted volume whose
LUN still carries a live snapshot, attachments that name their host only
in ``attached_host``; and the troubleshooting guide documents every kind.
"""

import os
import uuid

import testtools

from cinder_ngxstorage.audit import report as rpt
from cinder_ngxstorage.audit import scan
from cinder_ngxstorage import naming
from cinder_ngxstorage import records

DOC = os.path.join(os.path.dirname(__file__), '..', '..', 'doc', 'source',
                   'troubleshooting.rst')
HOST = 'node1@ngx'
NAMES = naming.HostNames('unit', 'pg1')


def _id():
    return uuid.uuid4().hex + '00000000'


def lun(name, pool='pool1'):
    return records.LunEntry(_id(), name, pool, '1')


def snap(name, on, clones=False):
    return records.Snapshot(_id(), name, on.name, on.pool, None, clones)


def target(host, luns=(), group_id='g1'):
    return records.Target(_id(), NAMES.target_name(host, '1', 0), '1',
                          'iqn.x:t', None, group_id,
                          {vol_id: n for n, vol_id in enumerate(luns)})


def volume(host=HOST + '#pool1', deleted=False, status='available',
           cluster_name=None, provider_id=None, vol_id=None):
    vol_id = vol_id or str(uuid.uuid4())
    return scan.DbVolume(vol_id, vol_id, host, cluster_name, status,
                         deleted, provider_id)


class CompareTest(testtools.TestCase):

    def compare(self, luns=(), snapshots=(), targets=(), groups=(),
                volumes=(), cinder_snapshots=(), attachments=(),
                cluster=None):
        array = scan.ArrayView(records.LunList(luns),
                               records.SnapshotList(snapshots),
                               records.TargetDetailList(targets),
                               records.AuthGroupList(groups))
        cinder = scan.CinderView(HOST, cluster, list(volumes),
                                 list(cinder_snapshots), list(attachments))
        report = rpt.Report('ngx', HOST, ('pool1',))
        return scan.compare(array, cinder, ('pool1',), report, NAMES)

    def kinds(self, report):
        return sorted(f.kind for f in report.findings)

    def test_active_active_volume_is_ours_by_cluster(self):
        vol = volume(host='node2@ngx#pool1', cluster_name='ha@ngx#pool1',
                     provider_id='f' * 40)
        report = self.compare(volumes=[vol], cluster='ha@ngx')
        self.assertEqual([rpt.VOLUME_WITHOUT_LUN], self.kinds(report))
        self.assertEqual([], self.kinds(self.compare(volumes=[vol])))

    def test_shared_pool_other_backend(self):
        vol = volume(host='node1@other#pool1', deleted=True)
        report = self.compare(luns=[lun(naming.volume_name(vol.id))],
                              volumes=[vol])
        self.assertEqual([], report.findings)

    def test_clone_being_made_keeps_its_internal_snapshot(self):
        src = lun(naming.volume_name(str(uuid.uuid4())))
        new = volume(status='creating')
        internal = snap(naming.clone_snapshot_name(new.id), src)
        src_vol = volume(vol_id=naming.decode_name(src.name)[1],
                         provider_id=src.id)
        self.assertEqual([], self.compare(
            luns=[src], snapshots=[internal],
            volumes=[src_vol, new]).findings)
        failed = volume(vol_id=new.id, status='error')
        self.assertEqual([rpt.INTERNAL_SNAPSHOT], self.kinds(self.compare(
            luns=[src], snapshots=[internal], volumes=[src_vol, failed])))

    def test_temporary_clone_being_read(self):
        snapshot_id = str(uuid.uuid4())
        clone = lun(naming.snapshot_export_name(snapshot_id))
        row = scan.DbSnapshot(snapshot_id, str(uuid.uuid4()), 'backing-up',
                              False, _id())
        self.assertEqual([], self.compare(
            luns=[clone], cinder_snapshots=[row]).findings)

    def test_deleted_volume_with_live_snapshot_is_not_fixed(self):
        vol = volume(deleted=True)
        the_lun = lun(naming.volume_name(vol.id))
        snapshot = scan.DbSnapshot(str(uuid.uuid4()), vol.id, 'available',
                                   False, None)
        array_snap = snap(naming.snapshot_name(snapshot.id), the_lun)
        array_snap = records.Snapshot(array_snap.id, array_snap.name,
                                      array_snap.lun_name, 'pool1')
        report = self.compare(luns=[the_lun], snapshots=[array_snap],
                              volumes=[vol], cinder_snapshots=[snapshot])
        [finding] = report.findings
        self.assertEqual(rpt.LUN_WITHOUT_VOLUME, finding.kind)
        self.assertEqual(rpt.NONE, finding.action)

    def test_attachment_host_from_attached_host(self):
        vol = volume()
        the_lun = lun(naming.volume_name(vol.id))
        mapped = target('compute-1', [the_lun.id])
        att = scan.DbAttachment(vol.id, 'compute-1', 'attached')
        self.assertEqual([], self.compare(
            luns=[the_lun], targets=[mapped], volumes=[vol],
            attachments=[att]).findings)
        other = scan.DbAttachment(vol.id, 'compute-2', 'attached')
        detached = scan.DbAttachment(vol.id, 'compute-1', 'detached')
        self.assertEqual([rpt.MAPPING_WITHOUT_ATTACHMENT],
                         self.kinds(self.compare(
                             luns=[the_lun], targets=[mapped],
                             volumes=[vol], attachments=[other, detached])))

    def test_violations_leave_out_deferred_deletions(self):
        report = rpt.Report('ngx', HOST, ('pool1',))
        report.add(rpt.Finding(rpt.DEFERRED_DELETION, 'x', '-', 'v', 'a'))
        self.assertEqual([], report.violations())
        self.assertEqual(0, report.exit_code())
        report.add(rpt.Finding(rpt.EMPTY_TARGET, 'y', '-', 'v', 'a'))
        self.assertEqual([rpt.EMPTY_TARGET],
                         [f.kind for f in report.violations()])
        self.assertEqual(1, report.exit_code())

    def test_every_kind_documented(self):
        with open(DOC) as doc:
            text = doc.read()
        self.assertEqual([], [kind for kind in rpt.KINDS
                              if '``%s``' % kind not in text])
