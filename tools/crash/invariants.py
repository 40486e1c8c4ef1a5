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

"""The crash test's invariants, on the simulator's state (``GET
/_sim/state``) and what Cinder shows (API, plus the attachments'
connectors from its database).

:func:`check` takes plain data and returns a list of violations (dicts
with ``kind``, ``object`` and ``detail``), so that another checker (the
``ngxstorage-cinder-audit`` report) can replace or complement it with a
small change in run.py.

Invariants:

``orphan``       every array object this driver names (cv-, cs-, ci-, ce-)
                 belongs to something Cinder knows, or is a recorded
                 deferred deletion (a marker of the registry LUN);
``lost``         every volume / snapshot Cinder shows as usable
                 (available, in-use) exists on the array;
``size``         the array LUN is not smaller than Cinder's size;
``access``       no host can reach a volume Cinder does not show attached
                 to it: every LUN mapped in a target is a Cinder volume
                 with an *attached* attachment whose connector's initiator
                 is in the target's auth group;
``leftover``     (final check only) nothing of this deployment remains.

``notes`` (returned separately) are what Cinder itself loses without a
leak: an array LUN larger than Cinder's size (an extend Cinder never
recorded).
"""

from cinder_ngxstorage import naming

GIB = 1024 ** 3
USABLE = ('available', 'in-use')


def _index(state):
    luns = {lun['vol_id']: lun for lun in state.get('luns', [])}
    is_registry = getattr(naming, 'is_registry_name',
                          lambda n: n == naming.DEFERRED_REGISTRY_LUN)
    registry = [lun for lun in luns.values() if is_registry(lun['name'])]
    registry_ids = {lun['vol_id'] for lun in registry}
    markers = {s['name'] for s in state.get('snapshots', [])
               if s.get('vol_id') in registry_ids}
    return luns, registry_ids, markers


def check(state, volumes, snapshots, attachments, final=False):
    """Return (violations, notes).

    ``volumes`` / ``snapshots``: Cinder API detail records (all projects);
    ``attachments``: rows with ``volume_id``, ``attach_status`` and the
    ``connector`` (dict) from Cinder's database.
    """
    violations, notes = [], []

    def bad(kind, obj, detail):
        violations.append({'kind': kind, 'object': obj, 'detail': detail})

    luns, registry_ids, markers = _index(state)
    vol_by_name_id = {}
    for v in volumes:
        name_id = v.get('os-vol-mig-status-attr:name_id') or v['id']
        vol_by_name_id[name_id] = v
    snap_by_id = {s['id']: s for s in snapshots}
    array_vol_names = {}
    for lun in luns.values():
        decoded = naming.decode_name(lun['name'])
        if not decoded:
            continue
        prefix, uid = decoded
        array_vol_names[lun['name']] = lun
        deferred = naming.deferred_lun_marker(lun['vol_id']) in markers
        if prefix == naming.VOLUME_PREFIX:
            if uid not in vol_by_name_id and not deferred:
                bad('orphan', 'lun %s' % lun['name'],
                    'no Cinder volume %s and no deferred marker' % uid)
        elif prefix == naming.SNAPSHOT_EXPORT_PREFIX:
            if uid not in snap_by_id and not deferred:
                bad('orphan', 'lun %s' % lun['name'],
                    'snapshot export of unknown snapshot %s' % uid)
    snaps_by_name = {}
    for snap in state.get('snapshots', []):
        if snap.get('vol_id') in registry_ids:
            continue
        snaps_by_name[snap['name']] = snap
        decoded = naming.decode_name(snap['name'])
        if not decoded:
            continue
        prefix, uid = decoded
        deferred = naming.deferred_snapshot_marker(snap['snap_id']) in markers
        if prefix == naming.SNAPSHOT_PREFIX:
            if uid not in snap_by_id and not deferred:
                bad('orphan', 'snapshot %s' % snap['name'],
                    'no Cinder snapshot %s and no deferred marker' % uid)
        elif prefix == naming.CLONE_SNAPSHOT_PREFIX:
            if uid not in vol_by_name_id and not deferred:
                bad('orphan', 'snapshot %s' % snap['name'],
                    'clone origin of unknown volume %s, no deferred marker'
                    % uid)

    for name_id, v in vol_by_name_id.items():
        lun = array_vol_names.get(naming.volume_name(name_id))
        if v['status'] in USABLE and lun is None:
            bad('lost', 'volume %s' % v['id'],
                'Cinder shows it %s, the array has no LUN' % v['status'])
        if lun is not None:
            size = int(lun['size'])
            if size < v['size'] * GIB:
                bad('size', 'volume %s' % v['id'],
                    'array LUN %d bytes < Cinder size %d GiB'
                    % (size, v['size']))
            elif size > v['size'] * GIB and v['status'] in USABLE:
                notes.append('volume %s: array LUN %d GiB > Cinder size %d '
                             'GiB (an extend Cinder did not record)'
                             % (v['id'], size // GIB, v['size']))
    for s in snapshots:
        if s['status'] == 'available' and \
                naming.snapshot_name(s['id']) not in snaps_by_name:
            bad('lost', 'snapshot %s' % s['id'],
                'Cinder shows it available, the array has no snapshot')

    # access: LUN mappings against attached attachments' initiators.
    groups = {g['id']: g for g in state.get('auth_groups', [])}
    attached = {}
    for a in attachments:
        if a['attach_status'] != 'attached' or not a.get('connector'):
            continue
        attached.setdefault(a['volume_id'], set()).add(
            (a['connector'].get('initiator') or '').lower())
    for target in state.get('targets', []):
        group = groups.get(target.get('auth_group_id')) or {}
        initiators = {e['iqn'].lower() for e in group.get('initiators', [])}
        for entry in target.get('luns', []):
            lun = luns.get(entry['vol_id'])
            name = lun['name'] if lun else entry['vol_id']
            decoded = naming.decode_name(name) if lun else None
            if not initiators:
                continue    # nobody can log in to this target
            if not decoded or decoded[0] != naming.VOLUME_PREFIX:
                if decoded and decoded[0] == naming.SNAPSHOT_EXPORT_PREFIX:
                    continue   # snapshot attach (backups): not exercised
                bad('access', 'target %s lun %s' % (target['name'], name),
                    'mapped to %s: not a Cinder volume'
                    % ', '.join(sorted(initiators)))
                continue
            v = vol_by_name_id.get(decoded[1])
            vid = v['id'] if v else decoded[1]
            allowed = attached.get(vid, set())
            reach = initiators - allowed
            if reach:
                bad('access', 'volume %s' % vid,
                    'initiator(s) %s can reach it through target %s; '
                    'Cinder shows it attached to %s'
                    % (', '.join(sorted(reach)), target['name'],
                       ', '.join(sorted(allowed)) or 'nobody'))

    if final:
        for lun in luns.values():
            if lun['vol_id'] in registry_ids:
                continue
            if naming.decode_name(lun['name']):
                bad('leftover', 'lun %s' % lun['name'],
                    'still on the array after the teardown')
        for snap in state.get('snapshots', []):
            if snap.get('vol_id') in registry_ids:
                bad('leftover', 'deferred marker %s' % snap['name'],
                    'still recorded after the teardown and a restart')
            elif naming.decode_name(snap['name']):
                bad('leftover', 'snapshot %s' % snap['name'],
                    'still on the array after the teardown')
        for target in state.get('targets', []):
            if target.get('luns'):
                bad('leftover', 'target %s' % target['name'],
                    '%d LUN(s) still mapped after the teardown'
                    % len(target['luns']))
    return violations, notes
