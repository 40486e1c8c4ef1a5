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

"""Snapshots, clones, rollbacks and snapshot schedules.

:class:`Snapshots` implements the ``snapshot.*`` operations and the
admin helper :meth:`~Snapshots.run_schedule` with the model's invariants:
snapshot names unique per LUN, at most ``MAX_SNAPSHOTS_PER_LUN``, space
reserved in the pool, features licensed, a snapshot with clones not
deleted, a rollback only to the newest snapshot, one schedule per LUN.

Three switches of the reading make the array cascade instead of refusing
(as ``zfs destroy -R`` / ``zfs rollback -R`` do): ``snapshot_with_clones``
(deleting a snapshot deletes its clones), ``delete_all_with_clones``
(Delete All deletes the snapshots with clones, and the clones) and
``restore_older`` (restoring an older snapshot deletes the newer ones and
their clones). A clone deleted so goes with its own snapshots, clones and
schedule, and is first taken out of the targets mapping it
(``exports._unmap_lun``, then ``luns._remove_lun``): the data plane
deletes its file and stops exporting it.
"""

import time

from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import cron
from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors


class Snapshots(object):
    """The ``snapshot.*`` operations and schedules."""

    def _take_snapshot(self, lun, name, scheduled):
        """Checks and creation shared by snapshot.create and schedules."""
        self._check_licensed('snapshot')
        self._check_lun_writable(lun)
        snaps = self._snaps_of(lun['vol_id'])
        if any(s['name'] == name for s in snaps):
            raise errors.Conflict('snapshot %s of LUN %s already exists'
                                  % (name, lun['name']), 'exists')
        if len(snaps) >= base.MAX_SNAPSHOTS_PER_LUN:
            raise errors.Conflict('LUN %s has reached maxsnap %d'
                                  % (lun['name'],
                                     base.MAX_SNAPSHOTS_PER_LUN), 'limit')
        self._need_space(lun['pool'], base.SNAPSHOT_RESERVED,
                         'snapshot %s' % name)
        snap_id = self._new_id()
        self._hook('snapshot_created', lun['vol_id'], snap_id)
        self._counters['snap_seq'] += 1
        snap = {'snap_id': snap_id, 'name': name, 'vol_id': lun['vol_id'],
                'created': int(time.time()),
                'reserved': base.SNAPSHOT_RESERVED,
                'size': lun['size'], 'used': self._lun_used(lun),
                'seq': self._counters['snap_seq'], 'scheduled': scheduled}
        self._snaps[snap_id] = snap
        self._count_snap(snap, 1)
        return snap

    def _delete_snapshot(self, snap):
        self._hook('snapshot_deleted', snap['snap_id'])
        self._count_snap(snap, -1)
        del self._snaps[snap['snap_id']]

    def _clones_of(self, snap):
        return [lun for lun in self._luns.values()
                if lun['clone_of'] == snap['snap_id']]

    def _delete_snapshot_tree(self, snap, gone):
        """Delete a snapshot and its clones with all they hold (cascade).

        ``gone`` collects the names of the LUNs deleted.
        """
        for clone in self._clones_of(snap):
            for child in self._snaps_of(clone['vol_id']):
                self._delete_snapshot_tree(child, gone)
            self._schedules.pop(clone['vol_id'], None)
            self._unmap_lun(clone)
            self._remove_lun(clone)
            gone.append(clone['name'])
        self._delete_snapshot(snap)

    @staticmethod
    def _cascade_text(gone):
        return ' and clone(s) %s' % ', '.join(gone) if gone else ''

    @dispatch.operation('snapshot.create')
    def snapshot_create(self, ctx, params):
        """Snapshot the LUN ``volume_id``; answers the snapshot."""
        name = params['name']
        lun = self._lun(ctx, params['volume_id'])
        snap = self._take_snapshot(lun, name, scheduled=False)
        return (self._snap_create_view(snap),
                'created snapshot %s' % self._snap_label(snap))

    @dispatch.operation('snapshot.delete')
    def snapshot_delete(self, ctx, params):
        """Delete a snapshot (refused while clones of it exist)."""
        snap = self._snap(ctx, params.get('snap_id'))
        lun = self._luns[snap['vol_id']]
        self._check_lun_writable(lun)
        clones = [c['name'] for c in self._clones_of(snap)]
        label = self._snap_label(snap)
        # Reading switch snapshot_with_clones: refuse, or cascade.
        if clones and self.reading.snapshot_with_clones == 'refuse':
            raise errors.Conflict('snapshot %s has clone(s) %s' % (
                label, ', '.join(clones)), 'in_use')
        gone = []
        self._delete_snapshot_tree(snap, gone)
        return {'success': True}, 'deleted snapshot %s%s' % (
            label, self._cascade_text(gone))

    @dispatch.operation('snapshot.delete_all')
    def snapshot_delete_all(self, ctx, params):
        """Delete a LUN's unbound snapshots; ``warning`` names the rest."""
        lun = self._lun(ctx, params.get('vol_id'))
        self._check_lun_writable(lun)
        bound = self._bound_snap_ids()
        # Reading switch delete_all_with_clones: keep the snapshots with
        # clones (and warn), or cascade to the clones.
        cascade = self.reading.delete_all_with_clones == 'cascade'
        deleted = []
        kept = []
        gone = []
        for snap in self._snaps_of(lun['vol_id']):
            if snap['snap_id'] in bound and not cascade:
                kept.append(snap['name'])
                continue
            self._delete_snapshot_tree(snap, gone)
            deleted.append(snap['name'])
        response = {'success': True}
        if kept:
            response['warning'] = (
                'snapshot(s) %s of LUN %s have clones and were not deleted'
                % (', '.join(kept), lun['name']))
        text = 'deleted %d snapshot(s)%s of LUN %s' % (
            len(deleted), self._cascade_text(gone), lun['name'])
        if kept:
            text += ', kept %s' % ', '.join(kept)
        return response, text

    @dispatch.operation('snapshot.clone')
    def snapshot_clone(self, ctx, params):
        """Clone a snapshot into a new LUN; answers its ``vol_id``."""
        name = params['name']
        snap = self._snap(ctx, params.get('snap_id'))
        origin = self._luns[snap['vol_id']]
        self._check_licensed('clone')
        self._check_lun_writable(origin)
        self._check_lun_name_free(name)
        self._need_space(origin['pool'],
                         base.NEW_LUN_USED if origin['thin']
                         else snap['size'], 'clone %s' % name)
        vol_id = self._new_id()
        self._hook('clone_created', snap['snap_id'], vol_id, snap['size'])
        lun = {'vol_id': vol_id, 'scsi_lunid': self._new_scsi_lunid(),
               'name': name, 'pool': origin['pool'], 'size': snap['size'],
               'used': base.NEW_LUN_USED,
               'clone': self._snap_label(snap),
               'clone_of': snap['snap_id'], 'created': int(time.time())}
        for key in ('blocksize', 'thin', 'dedup', 'compress', 'io_type',
                    'qos_priority', 'flash_cache', 'dram_cache'):
            lun[key] = origin[key]
        self._add_lun(lun)
        return {'success': True, 'vol_id': vol_id}, (
            'cloned snapshot %s into LUN %s' % (lun['clone'], name))

    @dispatch.operation('snapshot.restore')
    def snapshot_restore(self, ctx, params):
        """Roll a LUN back to its newest snapshot (size included)."""
        snap = self._snap(ctx, params.get('snap_id'))
        lun = self._luns[snap['vol_id']]
        self._check_licensed('snapshot')
        self._check_lun_writable(lun)
        newer = [s for s in self._snaps_of(lun['vol_id'])
                 if s['seq'] > snap['seq']]
        # Reading switch restore_older: refuse, or delete the newer
        # snapshots (and their clones) first.
        if newer and self.reading.restore_older == 'refuse':
            raise errors.Conflict('snapshot %s is not the newest snapshot '
                                  'of the LUN' % self._snap_label(snap),
                                  'not_newest')
        gone = []
        for other in reversed(newer):
            self._delete_snapshot_tree(other, gone)
        self._hook('lun_restored', lun['vol_id'], snap['snap_id'],
                   snap['size'])
        resized = lun['size'] != snap['size']
        self._count_lun(lun, -1)
        lun['size'] = snap['size']
        lun['used'] = snap['used']
        self._count_lun(lun, 1)
        if resized:
            self._lun_resized(lun)
        text = 'restored LUN %s to snapshot %s' % (lun['name'], snap['name'])
        if newer:
            text += ', deleting newer snapshot(s) %s%s' % (
                ', '.join(s['name'] for s in newer), self._cascade_text(gone))
        return {'success': True}, text

    @dispatch.operation('snapshot.detail')
    def snapshot_detail(self, ctx, params):
        """One snapshot with binded, restore and reserved."""
        snap = self._snap(ctx, params.get('snap_id'))
        return self._snap_view(snap, self._bound_snap_ids(),
                               self._newest_snap_ids())

    def _listed_snaps(self, ctx, params):
        vol_id = params.get('vol_id')
        if vol_id is not None:
            lun = self._lun(ctx, vol_id)
            return self._snaps_of(lun['vol_id'])
        return sorted((s for s in self._snaps.values()
                       if self._lun_in_scope(ctx, self._luns[s['vol_id']])),
                      key=lambda s: s['seq'])

    @dispatch.operation('snapshot.detail_list')
    def snapshot_detail_list(self, ctx, params):
        """Snapshots (of ``vol_id`` when given) in detail."""
        snaps = self._listed_snaps(ctx, params)
        bound = self._bound_snap_ids()
        newest = self._newest_snap_ids()
        return {'shares': [],
                'luns': [self._snap_view(s, bound, newest) for s in snaps]}

    @dispatch.operation('snapshot.list')
    def snapshot_list(self, ctx, params):
        """Snapshots (of ``vol_id`` when given): id, names, pool."""
        snaps = self._listed_snaps(ctx, params)
        return {'luns': [self._snap_view(s, None, None, brief=True)
                         for s in snaps],
                'shares': []}

    # -- schedules ---------------------------------------------------------

    def _schedule_of(self, lun):
        schedule = self._schedules.get(lun['vol_id'])
        if schedule is None:
            raise errors.NotFound('LUN %s has no snapshot schedule'
                                  % lun['name'])
        return schedule

    @dispatch.operation('snapshot.schedule_detail')
    def snapshot_schedule_detail(self, ctx, params):
        """The LUN's snapshot schedule (not found when it has none)."""
        lun = self._lun(ctx, params.get('vol_id'))
        return self._schedule_view(self._schedule_of(lun))

    @dispatch.operation('snapshot.schedule_create')
    def snapshot_schedule_create(self, ctx, params):
        """Create the LUN's only snapshot schedule."""
        cron_time = params['cron_time']
        keep_max = params['keep_max']
        lun = self._lun(ctx, params.get('vol_id'))
        self._check_licensed('autosnapshot')
        if lun['vol_id'] in self._schedules:
            raise errors.Conflict('LUN %s already has a snapshot schedule'
                                  % lun['name'], 'exists')
        self._schedules[lun['vol_id']] = {
            'id': self._new_id(), 'vol_id': lun['vol_id'],
            'cron_time': cron_time, 'keep_max': keep_max,
            'created': int(time.time())}
        return {'h_read': cron.describe_cron(cron_time), 'success': True}, (
            'created snapshot schedule "%s" keep %d on LUN %s'
            % (cron_time, keep_max, lun['name']))

    @dispatch.operation('snapshot.schedule_delete')
    def snapshot_schedule_delete(self, ctx, params):
        """Delete the LUN's snapshot schedule; answers ``{}``."""
        lun = self._lun(ctx, params.get('vol_id'))
        self._schedule_of(lun)
        del self._schedules[lun['vol_id']]
        return {}, 'deleted snapshot schedule of LUN %s' % lun['name']

    @dispatch.admin
    def run_schedule(self, vol_id):
        """Fire a LUN's snapshot schedule once.

        Creates the snapshot ``auto-<epoch>-<n>`` and deletes the oldest
        unbound scheduled snapshots beyond ``keep_max``. Returns the
        snapshot (create-response shape) plus ``pruned`` (snapshot names).
        Not found without LUN or schedule; conflicts as snapshot create.
        """
        lun = self._luns.get(vol_id)
        if lun is None:
            raise errors.NotFound('LUN %s not found' % vol_id)
        schedule = self._schedule_of(lun)
        self._check_license_valid()
        self._check_licensed('autosnapshot')
        self._counters['auto'] += 1
        name = 'auto-%d-%d' % (int(time.time()), self._counters['auto'])
        try:
            snap = self._take_snapshot(lun, name, scheduled=True)
        except errors.DomainError as exc:
            self._add_alert('ERROR', 'Scheduled snapshot of LUN %s '
                            'failed: %s' % (lun['name'], exc.message))
            self._changed()
            raise
        pruned = []
        mine = sorted((s for s in self._snaps.values()
                       if s['vol_id'] == vol_id and s['scheduled']),
                      key=lambda s: s['seq'])
        excess = len(mine) - schedule['keep_max']
        bound = self._bound_snap_ids()
        try:
            for old in mine:
                if excess <= 0:
                    break
                if old['snap_id'] in bound:
                    continue
                self._delete_snapshot(old)
                pruned.append(old['name'])
                excess -= 1
        finally:
            self._add_alert('INFO', 'Scheduled snapshot %s of LUN %s '
                            'created%s' % (
                                name, lun['name'],
                                '; pruned %s' % ', '.join(pruned)
                                if pruned else ''))
            self._changed()
        response = self._snap_create_view(snap)
        response['pruned'] = pruned
        return response
