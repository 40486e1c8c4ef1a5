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

"""``--fix``: remove what the audit proved orphaned, and nothing else.

Each finding is acted on by its kind; every action is logged and its
result recorded on the finding (done, deferred, skipped, failed). Host
objects are changed under the host's coordination lock, as the driver
changes them, and each object is read again before it goes (an attach
may have used it since the audit read it). LUNs and snapshots with
dependents (clones) are recorded in the deferred-deletion registry: the
driver deletes them once their clones are gone.

LUNs and snapshots Cinder does not know at all (no row, not even a
deleted one) may belong to another deployment or to an operator: they
are removed only with ``delete_unknown_luns``.
"""

from oslo_log import log as logging

from cinder_ngxstorage.audit import report as rpt
from cinder_ngxstorage import deferred
from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import exports
from cinder_ngxstorage import records
from cinder_ngxstorage import refusals

LOG = logging.getLogger(__name__)


class Fixer:
    """Acts on the findings of a report with a set-up driver's pieces."""

    def __init__(self, drv, delete_unknown_luns=False):
        self.client = drv.client
        self.exports = drv.exports
        self.deferred = drv.deferred
        self.delete_unknown_luns = delete_unknown_luns
        self._handlers = {
            rpt.LUN_WITHOUT_VOLUME: self._delete_lun,
            rpt.TEMPORARY_CLONE: self._delete_lun,
            rpt.UNKNOWN_LUN: self._delete_unknown_lun,
            rpt.SNAPSHOT_WITHOUT_SNAPSHOT: self._delete_snapshot,
            rpt.INTERNAL_SNAPSHOT: self._delete_snapshot,
            rpt.UNKNOWN_SNAPSHOT: self._delete_unknown_snapshot,
            rpt.MAPPING_WITHOUT_ATTACHMENT: self._unmap,
            rpt.EMPTY_TARGET: self._delete_target,
            rpt.UNBOUND_AUTH_GROUP: self._delete_group,
        }

    # Mappings first (a LUN unmapped can go), then LUNs (their snapshots
    # go with them), then snapshots, then host objects (emptied above).
    _ORDER = (rpt.MAPPING_WITHOUT_ATTACHMENT, rpt.LUN_WITHOUT_VOLUME,
              rpt.TEMPORARY_CLONE, rpt.UNKNOWN_LUN,
              rpt.SNAPSHOT_WITHOUT_SNAPSHOT, rpt.INTERNAL_SNAPSHOT,
              rpt.UNKNOWN_SNAPSHOT, rpt.EMPTY_TARGET,
              rpt.UNBOUND_AUTH_GROUP)

    def apply(self, report):
        """Act on every finding; record each result. Returns report."""
        report.fixed = True
        for kind in self._ORDER:
            for finding in report.of_kind(kind):
                self._act(finding)
        return report

    def _act(self, finding):
        if finding.action in (rpt.NONE, rpt.WAIT):
            return
        handler = self._handlers[finding.kind]
        try:
            finding.result = handler(finding) or rpt.DONE
        except (ngx_exc.NGXStorageError, deferred.RegistryUnavailable) as err:
            finding.result = rpt.FAILED
            finding.note = 'failed: %s' % err
            LOG.error('Audit fix of %(obj)s failed: %(err)s',
                      {'obj': finding.array_object, 'err': err})
            return
        LOG.info('Audit fix of %(kind)s %(obj)s (%(cinder)s): %(action)s: '
                 '%(result)s.', {'kind': finding.kind,
                                 'obj': finding.array_object,
                                 'cinder': finding.cinder_object,
                                 'action': finding.action,
                                 'result': finding.result})

    # -- LUNs and snapshots ---------------------------------------------

    def _unmap_everywhere(self, vol_id):
        for target, group_id in self.exports.targets_with_lun(vol_id):
            ngx_driver._run_host_locked(
                self.exports.names.lock_key_of(target.name),
                lambda: self.exports.force_unmap(target, group_id, vol_id))

    def _delete_lun(self, finding):
        vol_id = finding.ids['vol_id']
        self._unmap_everywhere(vol_id)
        try:
            deferred.delete_lun_and_free_snapshots(self.client, vol_id)
        except ngx_exc.NotFound:
            return rpt.DONE  # Gone meanwhile.
        except refusals.REFUSED as err:
            if refusals.classify(err) not in (refusals.HAS_DEPENDENTS,
                                              refusals.UNKNOWN):
                raise
            self.deferred.defer_lun(vol_id)
            return rpt.DEFERRED
        return rpt.DONE

    def _delete_unknown_lun(self, finding):
        if not self.delete_unknown_luns:
            return rpt.SKIPPED
        return self._delete_lun(finding)

    def _delete_snapshot(self, finding):
        snap_id = finding.ids['snap_id']
        if finding.ids.get('has_clones') or deferred.snapshot_has_clones(
                self.client, snap_id):
            self.deferred.defer_snapshot(snap_id)
            return rpt.DEFERRED
        try:
            deferred.delete_confirmed(
                self.client.delete_snapshot(snap_id),
                lambda: self.client.get_snapshot(snap_id),
                'snapshot %s' % snap_id)
        except ngx_exc.NotFound:
            pass  # Went with its LUN.
        return rpt.DONE

    def _delete_unknown_snapshot(self, finding):
        if not self.delete_unknown_luns:
            return rpt.SKIPPED
        return self._delete_snapshot(finding)

    # -- host objects -----------------------------------------------------

    def _target(self, target_id):
        try:
            return records.Target.from_answer(
                self.client.get_target(target_id), target_id)
        except ngx_exc.NotFound:
            return None

    def _unmap(self, finding):
        ids = finding.ids

        def unmap():
            target = self._target(ids['target_id'])
            if target is None or ids['vol_id'] not in target.luns:
                return rpt.SKIPPED  # Unmapped meanwhile.
            self.exports.force_unmap(exports.Target.from_record(target),
                                     target.group_id, ids['vol_id'])
            return rpt.DONE
        return ngx_driver._run_host_locked(
            self.exports.names.lock_key_of(ids['target_name']), unmap)

    def _delete_target(self, finding):
        ids = finding.ids

        def delete():
            target = self._target(ids['target_id'])
            if target is None:
                return rpt.DONE
            if target.luns:
                finding.note = 'used again since the audit read it'
                return rpt.SKIPPED
            self.client.delete_target(target.id)
            if target.group_id and target.group_id != '1':
                self._delete_group_if_unbound(target.group_id)
            return rpt.DONE
        return ngx_driver._run_host_locked(
            self.exports.names.lock_key_of(ids['target_name']), delete)

    def _delete_group_if_unbound(self, group_id):
        bound = {t.group_id for t in records.TargetDetailList.from_answer(
            self.client.list_targets_detail())}
        if group_id in bound:
            return rpt.SKIPPED
        try:
            self.client.delete_auth_group(group_id)
        except ngx_exc.NotFound:
            pass
        except refusals.REFUSED:
            return rpt.SKIPPED  # Bound since.
        return rpt.DONE

    def _delete_group(self, finding):
        return ngx_driver._run_host_locked(
            self.exports.names.lock_key_of(finding.ids['group_name']),
            lambda: self._delete_group_if_unbound(finding.ids['group_id']))
