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

"""Compare what the array holds for one backend with Cinder's database.

Two read-only inventories, :class:`ArrayView` (one listing each of LUNs,
snapshot details, target details and auth groups, plus the markers of the
deferred-deletion registry, which is found, never created) and
:class:`CinderView` (volumes, snapshots and attachments, deleted rows
included), and one pure function, :func:`compare`, that turns them into
findings. Nothing here changes the array or the database.

Which host objects belong to this deployment is decided in one place,
:func:`is_ours`.
"""

import dataclasses
import json

from cinder_ngxstorage.audit import report as rpt
from cinder_ngxstorage import naming
from cinder_ngxstorage import records

# Volume and snapshot statuses in which the array object may rightly be
# missing (being made, failed to be made, being deleted).
_NO_OBJECT_EXPECTED = frozenset((
    'creating', 'error', 'deleting', 'error_deleting', 'managing',
    'error_managing', 'unmanaging'))
# Attachment states that hold a mapping.
_DETACHED = 'detached'


def is_ours(names, kind, name):
    """Whether a host object (kind 'target' or 'group') is this deployment's.

    The one place the audit decides it, from the deployment's names
    (:class:`naming.HostNames`): host objects carry no backend, they
    serve every backend of the deployment on this array. Objects of
    driver 1.1 (legacy names) cannot be proven ours and are left alone.
    """
    if kind == 'target':
        return names.owns_target(name)
    return names.owns_auth_group(name)


@dataclasses.dataclass
class ArrayView:
    """What the array holds (read once)."""

    luns: records.LunList
    snapshots: records.SnapshotList
    targets: records.TargetDetailList
    groups: records.AuthGroupList
    registry_id: str = None
    markers: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, client, registry_pool, registry_name):
        """One listing of each kind; the registry is found, not made."""
        luns = records.LunList.from_answer(client.list_luns())
        snapshots = records.SnapshotList.from_answer(
            client.list_snapshots_detail())
        targets = records.TargetDetailList.from_answer(
            client.list_targets_detail())
        groups = records.AuthGroupList.from_answer(client.list_auth_groups())
        view = cls(luns, snapshots, targets, groups)
        registry = luns.find(registry_name, registry_pool)
        if registry is not None:
            view.registry_id = registry.id
            view.markers = {
                s.name: s.id for s in snapshots
                if s.lun_name == registry_name
                and s.pool == registry_pool}
        return view


@dataclasses.dataclass(frozen=True)
class DbVolume:
    id: str
    name_id: str
    host: str
    cluster_name: str
    status: str
    deleted: bool
    provider_id: str = None


@dataclasses.dataclass(frozen=True)
class DbSnapshot:
    id: str
    volume_id: str
    status: str
    deleted: bool
    provider_id: str = None


@dataclasses.dataclass(frozen=True)
class DbAttachment:
    volume_id: str
    host: str  # the connector's host (or attached_host), None if unknown
    status: str


@dataclasses.dataclass
class CinderView:
    """The rows of Cinder's database the audit needs (deleted included).

    ``service_host`` is ``<host>@<backend>`` as cinder-volume runs it,
    ``cluster`` ``<cluster>@<backend>`` for active-active (else None).
    """

    service_host: str
    cluster: str
    volumes: list
    snapshots: list
    attachments: list

    @classmethod
    def read(cls, ctxt, db, service_host, cluster):
        """Read the rows with ctxt (an admin context reading deleted)."""
        volumes = [DbVolume(v.id, v._name_id or v.id, v.host,
                            v.cluster_name, v.status, bool(v.deleted),
                            v.provider_id)
                   for v in db.volume_get_all(ctxt)]
        snapshots = [DbSnapshot(s.id, s.volume_id, s.status,
                                bool(s.deleted), s.provider_id)
                     for s in db.snapshot_get_all(ctxt)]
        attachments = [DbAttachment(a.volume_id, _attachment_host(a),
                                    a.attach_status)
                       for a in db.volume_attachment_get_all(ctxt)
                       if not a.deleted]
        return cls(service_host, cluster, volumes, snapshots, attachments)

    def is_ours(self, volume):
        """Whether a volume row is on this backend (host or cluster)."""
        if _backend_of(volume.host) == self.service_host:
            return True
        return bool(self.cluster
                    and _backend_of(volume.cluster_name) == self.cluster)


def _backend_of(host):
    """'host@backend' of 'host@backend#pool' (None stays None)."""
    return host.partition('#')[0] if host else None


def _attachment_host(att):
    connector = att.connector
    if isinstance(connector, str):
        try:
            connector = json.loads(connector)
        except ValueError:
            connector = None
    if isinstance(connector, dict) and connector.get('host'):
        return connector['host']
    return att.attached_host


def compare(array, cinder, pools, report, names):
    """Add to report every mismatch between array and cinder for pools.

    names: the deployment's :class:`naming.HostNames`.
    """
    _Comparison(array, cinder, tuple(pools), report, names).run()
    return report


class _Comparison:

    def __init__(self, array, cinder, pools, report, names):
        self.names = names
        self.array = array
        self.cinder = cinder
        self.pools = pools
        self.report = report
        self.volumes_by_name_id = {}
        for vol in cinder.volumes:
            self.volumes_by_name_id.setdefault(vol.name_id, []).append(vol)
        self.volumes_by_id = {v.id: v for v in cinder.volumes}
        self.snapshots_by_id = {s.id: s for s in cinder.snapshots}
        self.live_by_provider_id = {v.provider_id: v for v in cinder.volumes
                                    if v.provider_id and not v.deleted}
        self.attachments = {}
        for att in cinder.attachments:
            if att.status != _DETACHED:
                self.attachments.setdefault(att.volume_id, []).append(att)
        self.deferred_luns = set()
        self.deferred_snaps = set()
        self.lun_by_id = {lun.id: lun for lun in array.luns}
        # (pool, LUN name) -> its snapshots
        self.snaps_of = {}
        for snap in array.snapshots:
            self.snaps_of.setdefault((snap.pool, snap.lun_name),
                                     []).append(snap)
        self.mapped_in = {}  # vol_id -> [target]
        for target in array.targets:
            for vol_id in target.luns:
                self.mapped_in.setdefault(vol_id, []).append(target)

    def run(self):
        self._deferred()
        self._luns()
        self._snapshots()
        self._mappings()
        self._host_objects()
        self._missing_luns()
        self._missing_snapshots()

    def add(self, *args, **kwargs):
        return self.report.add(rpt.Finding(*args, **kwargs))

    # -- the registry ----------------------------------------------------

    def _deferred(self):
        snap_by_id = {s.id: s for s in self.array.snapshots}
        for marker in sorted(self.array.markers):
            if marker.startswith(naming.DEFERRED_LUN_PREFIX):
                vol_id = marker[len(naming.DEFERRED_LUN_PREFIX):]
                lun = self.lun_by_id.get(vol_id)
                if lun is not None and lun.pool not in self.pools:
                    continue
                self.deferred_luns.add(vol_id)
                what = ('LUN %s (%s)' % (lun.name, vol_id) if lun
                        else 'LUN %s (gone)' % vol_id)
                cinder = self._cinder_of_name(lun.name if lun else None)
            elif marker.startswith(naming.DEFERRED_SNAPSHOT_PREFIX):
                snap_id = marker[len(naming.DEFERRED_SNAPSHOT_PREFIX):]
                snap = snap_by_id.get(snap_id)
                if snap is not None and snap.pool not in self.pools:
                    continue
                self.deferred_snaps.add(snap_id)
                what = ('snapshot %s (%s)' % (snap.name, snap_id) if snap
                        else 'snapshot %s (gone)' % snap_id)
                cinder = self._cinder_of_name(snap.name if snap else None)
            else:
                continue
            self.add(rpt.DEFERRED_DELETION, what, cinder,
                     'deletion deferred until its dependents go',
                     rpt.WAIT, {'marker': marker})

    def _cinder_of_name(self, name):
        decoded = naming.decode_name(name or '')
        if decoded is None:
            return '-'
        prefix, uid = decoded
        kind = {naming.VOLUME_PREFIX: 'volume',
                naming.SNAPSHOT_PREFIX: 'snapshot',
                naming.CLONE_SNAPSHOT_PREFIX: 'volume',
                naming.SNAPSHOT_EXPORT_PREFIX: 'snapshot'}[prefix]
        return '%s %s' % (kind, uid)

    # -- LUNs --------------------------------------------------------------

    def _our_luns(self):
        for lun in self.array.luns:
            if lun.pool not in self.pools or lun.id == self.array.registry_id:
                continue
            if lun.id in self.deferred_luns:
                continue
            decoded = naming.decode_name(lun.name or '')
            if decoded is not None:
                yield lun, decoded[0], decoded[1]

    def _lun_note(self, lun):
        notes = []
        with_clones = [s for s in self.snaps_of.get((lun.pool, lun.name), ())
                       if s.has_clones]
        if with_clones:
            notes.append('%d snapshot(s) with clones: the LUN goes once '
                         'they do (deferred)' % len(with_clones))
        targets = self.mapped_in.get(lun.id, ())
        if targets:
            notes.append('mapped in %s: unmapped first'
                         % ', '.join(sorted(t.name for t in targets)))
        return '; '.join(notes) or None

    def _luns(self):
        for lun, prefix, uid in self._our_luns():
            if prefix == naming.VOLUME_PREFIX:
                self._volume_lun(lun, uid)
            elif prefix == naming.SNAPSHOT_EXPORT_PREFIX:
                self._export_lun(lun, uid)

    def _volume_lun(self, lun, name_id):
        rows = self.volumes_by_name_id.get(name_id, [])
        if any(not v.deleted for v in rows) or (
                lun.id in self.live_by_provider_id):
            return
        what = 'LUN %s (%s)' % (lun.name, lun.id)
        ids = {'vol_id': lun.id, 'pool': lun.pool}
        if not rows:
            self.add(rpt.UNKNOWN_LUN, what, '-',
                     'no volume row, not even deleted (another deployment, '
                     'an operator?)', rpt.NEEDS_FLAG, ids,
                     note=self._lun_note(lun))
            return
        if not any(self.cinder.is_ours(v) for v in rows):
            return  # Another backend's (a shared pool).
        live_snaps = self._live_snapshots_on(lun)
        if live_snaps:
            self.add(rpt.LUN_WITHOUT_VOLUME, what, 'volume %s' % rows[0].id,
                     'the volume is deleted but snapshot(s) %s are not'
                     % ', '.join(live_snaps), rpt.NONE, ids)
            return
        self.add(rpt.LUN_WITHOUT_VOLUME, what, 'volume %s' % rows[0].id,
                 'the volume is deleted', rpt.DELETE_LUN, ids,
                 note=self._lun_note(lun))

    def _live_snapshots_on(self, lun):
        """Ids of live Cinder snapshots whose array snapshot is on lun."""
        live = []
        for snap in self.snaps_of.get((lun.pool, lun.name), ()):
            decoded = naming.decode_name(snap.name or '')
            if decoded and decoded[0] == naming.SNAPSHOT_PREFIX:
                row = self.snapshots_by_id.get(decoded[1])
                if row is not None and not row.deleted:
                    live.append(row.id)
        return sorted(live)

    def _export_lun(self, lun, snapshot_id):
        snap = self.snapshots_by_id.get(snapshot_id)
        what = 'LUN %s (%s)' % (lun.name, lun.id)
        if snap is None:
            verdict, cinder = 'no snapshot row', '-'
        elif snap.deleted:
            verdict, cinder = 'the snapshot is deleted', 'snapshot ' + snap.id
        elif snap.status == 'available' and lun.id not in self.mapped_in:
            verdict = 'the snapshot is not being read (available, unmapped)'
            cinder = 'snapshot ' + snap.id
        else:
            return  # A backup reads it now.
        if snap is not None and not self._snapshot_is_ours(snap):
            return
        self.add(rpt.TEMPORARY_CLONE, what, cinder, verdict, rpt.DELETE_LUN,
                 {'vol_id': lun.id, 'pool': lun.pool},
                 note=self._lun_note(lun))

    # -- snapshots ---------------------------------------------------------

    def _snapshot_is_ours(self, snap):
        vol = self.volumes_by_id.get(snap.volume_id)
        return vol is None or self.cinder.is_ours(vol)

    def _snapshots(self):
        for snap in self.array.snapshots:
            if (snap.pool not in self.pools or snap.id in self.deferred_snaps
                    or naming.is_registry_name(snap.lun_name)):
                continue
            decoded = naming.decode_name(snap.name or '')
            if decoded is None:
                continue
            prefix, uid = decoded
            if prefix == naming.SNAPSHOT_PREFIX:
                self._cinder_snapshot(snap, uid)
            elif prefix == naming.CLONE_SNAPSHOT_PREFIX:
                self._clone_snapshot(snap, uid)

    def _snapshot_action(self, snap):
        return rpt.DEFER if snap.has_clones else rpt.DELETE_SNAPSHOT

    def _cinder_snapshot(self, snap, snapshot_id):
        row = self.snapshots_by_id.get(snapshot_id)
        what = 'snapshot %s (%s) of LUN %s' % (snap.name, snap.id,
                                               snap.lun_name)
        ids = {'snap_id': snap.id, 'has_clones': snap.has_clones}
        note = ('it has clones: recorded as a deferred deletion'
                if snap.has_clones else None)
        if row is None:
            self.add(rpt.UNKNOWN_SNAPSHOT, what, '-',
                     'no snapshot row, not even deleted (another '
                     'deployment, an operator?)', rpt.NEEDS_FLAG, ids,
                     note=note)
        elif row.deleted and self._snapshot_is_ours(row):
            self.add(rpt.SNAPSHOT_WITHOUT_SNAPSHOT, what,
                     'snapshot %s' % row.id, 'the snapshot is deleted',
                     self._snapshot_action(snap), ids, note=note)

    def _clone_snapshot(self, snap, name_id):
        if snap.has_clones:
            return  # Its clone (a volume, or an orphan LUN) needs it.
        rows = self.volumes_by_name_id.get(name_id, [])
        if any(v.status == 'creating' and not v.deleted for v in rows):
            return  # The clone is being made.
        cinder = 'volume %s' % rows[0].id if rows else '-'
        self.add(rpt.INTERNAL_SNAPSHOT,
                 'snapshot %s (%s) of LUN %s' % (snap.name, snap.id,
                                                 snap.lun_name),
                 cinder, 'internal clone snapshot without a clone',
                 rpt.DELETE_SNAPSHOT,
                 {'snap_id': snap.id, 'has_clones': False})

    # -- host objects --------------------------------------------------------

    def _volume_of_lun(self, lun):
        vol = self.live_by_provider_id.get(lun.id)
        if vol is not None:
            return vol
        decoded = naming.decode_name(lun.name or '')
        if decoded and decoded[0] == naming.VOLUME_PREFIX:
            for row in self.volumes_by_name_id.get(decoded[1], ()):
                if not row.deleted:
                    return row
        return None

    def _mappings(self):
        for target in self.array.targets:
            if not is_ours(self.names, 'target', target.name):
                continue
            for vol_id in sorted(target.luns):
                lun = self.lun_by_id.get(vol_id)
                if lun is None or lun.pool not in self.pools:
                    continue
                vol = self._volume_of_lun(lun)
                if vol is None or not self.cinder.is_ours(vol):
                    # No volume: the LUN's own finding unmaps it; a
                    # snapshot's temporary clone has no attachment rows.
                    continue
                hosts = {a.host for a in self.attachments.get(vol.id, ())
                         if a.host}
                if any(self.names.is_target_of(h, target.name)
                       for h in hosts):
                    continue
                self.add(rpt.MAPPING_WITHOUT_ATTACHMENT,
                         'target %s: LUN %s (%s)' % (target.name, lun.name,
                                                     lun.id),
                         'volume %s' % vol.id,
                         'no live attachment on the host of this target',
                         rpt.UNMAP,
                         {'target_id': target.id, 'target_name': target.name,
                          'group_id': target.group_id, 'vol_id': lun.id})

    def _host_objects(self):
        bound = set()
        for target in self.array.targets:
            bound.add(target.group_id)
            if target.luns or not is_ours(self.names, 'target', target.name):
                continue
            self.add(rpt.EMPTY_TARGET,
                     'target %s (%s)' % (target.name, target.id), '-',
                     'no LUN: serves no host', rpt.DELETE_TARGET,
                     {'target_id': target.id, 'target_name': target.name,
                      'group_id': target.group_id})
        for group in self.array.groups:
            if group.id in bound or not is_ours(self.names, 'group',
                                                group.name):
                continue
            self.add(rpt.UNBOUND_AUTH_GROUP,
                     'auth group %s (%s)' % (group.name, group.id), '-',
                     'bound to no target: serves no host', rpt.DELETE_GROUP,
                     {'group_id': group.id, 'group_name': group.name})

    # -- Cinder objects without array objects ----------------------------

    def _missing_luns(self):
        names = {lun.name for lun in self.array.luns}
        for vol in self.cinder.volumes:
            if (vol.deleted or vol.status in _NO_OBJECT_EXPECTED
                    or not self.cinder.is_ours(vol)):
                continue
            if vol.provider_id:
                if vol.provider_id in self.lun_by_id:
                    continue
            elif naming.volume_name(vol.name_id) in names:
                continue
            self.add(rpt.VOLUME_WITHOUT_LUN,
                     'LUN %s' % (vol.provider_id
                                 or naming.volume_name(vol.name_id)),
                     'volume %s (%s)' % (vol.id, vol.status),
                     'the volume\'s LUN is not on the array', rpt.NONE)

    def _missing_snapshots(self):
        ids = {s.id for s in self.array.snapshots}
        names = {s.name for s in self.array.snapshots}
        for snap in self.cinder.snapshots:
            if snap.deleted or snap.status in _NO_OBJECT_EXPECTED:
                continue
            vol = self.volumes_by_id.get(snap.volume_id)
            if vol is None or not self.cinder.is_ours(vol):
                continue
            if snap.provider_id:
                if snap.provider_id in ids:
                    continue
            elif naming.snapshot_name(snap.id) in names:
                continue
            self.add(rpt.SNAPSHOT_WITHOUT_ARRAY_SNAPSHOT,
                     'snapshot %s' % (snap.provider_id
                                      or naming.snapshot_name(snap.id)),
                     'snapshot %s (%s)' % (snap.id, snap.status),
                     'the snapshot\'s array snapshot is missing', rpt.NONE)
