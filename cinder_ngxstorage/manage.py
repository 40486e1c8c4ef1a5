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

"""Existing LUNs and snapshots: listing them, bringing them under Cinder.

The array cannot rename a LUN, so a managed volume keeps its array name
(whatever it is) and is found through its ``provider_id`` (the vol_id)
alone, like every volume of this driver; a managed snapshot likewise
through its snap_id. Unmanaging changes nothing on the array.

A reference names a LUN by ``source-name`` (its array name) or
``source-id`` (its vol_id); a snapshot by ``source-name`` (its name on
the volume's LUN) or ``source-id`` (its snap_id). What may not be managed,
and why:

* an object Cinder manages already (its id is some volume's or snapshot's
  provider_id);
* a LUN exported to a target (Cinder would not know that host);
* the driver's internal objects: the deferred-deletion registry LUN and
  its markers, LUNs and snapshots waiting there for deletion, and the
  snapshots the driver takes to clone a volume (``ci-``);
* a LUN in a pool this backend does not serve, or in another pool than
  the one of the host given to Cinder.

The manageable listings also mark unsafe a LUN or snapshot named by a
Cinder driver (``cv-``/``cs-`` and a UUID) that is no volume or snapshot
of this deployment's database, deleted ones included: another OpenStack
deployment sharing the array may use it (UUIDs do not collide, so one of
ours is always in our database). A registry LUN of any deployment or
backend is never offered either.
"""

import math

from cinder import context as cinder_context
from cinder import exception
from cinder.i18n import _
from cinder import objects
from cinder.volume import volume_utils
from oslo_log import log as logging

from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import naming
from cinder_ngxstorage import records
from cinder_ngxstorage import volume_types

LOG = logging.getLogger(__name__)

GiB = 1024 ** 3

# provider_location of a snapshot brought in by manage_existing_snapshot:
# the array does not report a snapshot's size, so the size of a volume
# made from it (or of a volume reverted to it) is checked on the array.
MANAGED_SNAPSHOT_LOCATION = 'ngxstorage:managed'

REASON_MANAGED = _('Already managed by Cinder.')
REASON_REGISTRY = _('Internal LUN of the Cinder driver (the registry of '
                    'deferred deletions).')
REASON_MARKER = _('Internal marker of the Cinder driver (a deferred '
                  'deletion).')
REASON_DEFERRED = _('Deleted in Cinder; kept on the array until its '
                    'clones are gone (deferred deletion).')
REASON_CLONE_SOURCE = _('Internal snapshot of the Cinder driver (the '
                        'source of a cloned volume).')
REASON_EXPORTED = _('Exported to target(s) %s: unmap it on the array '
                    'first.')
REASON_SNAPSHOT_EXPORT = _('Temporary clone of the Cinder driver (a '
                           'snapshot attached for a backup); removed when '
                           'the snapshot is detached.')
REASON_OTHER_DEPLOYMENT = _('Named by a Cinder driver but not an object of '
                            'this Cinder deployment (its database does not '
                            'know %s): it may belong to another OpenStack '
                            'deployment sharing the array. Manage it by '
                            'name only if you know nothing else uses it.')
REASON_NO_SIZE = _('The array reports no readable size for it (vol_size), '
                   'so Cinder cannot size the volume; check the LUN on the '
                   'array.')


def size_gib(size_bytes):
    """Whole GiB holding size_bytes (rounded up, at least 1)."""
    try:
        size = int(size_bytes)
    except (TypeError, ValueError):
        return 0
    return max(1, int(math.ceil(size / float(GiB))))


def is_managed_snapshot(snapshot):
    """Whether Cinder snapshot was brought in by manage_existing_snapshot."""
    return snapshot.provider_location == MANAGED_SNAPSHOT_LOCATION


def paginate(entries, marker, limit, offset, sort_keys, sort_dirs):
    """Cinder's paging and sorting of manageable entries."""
    if limit is None:
        limit = len(entries)
    return volume_utils.paginate_entries_list(
        entries, marker, limit, offset, sort_keys or ['reference'],
        sort_dirs or ['asc'])


def _invalid_ref(existing_ref, reason):
    return exception.ManageExistingInvalidReference(
        existing_ref=existing_ref, reason=reason)


def parse_reference(existing_ref, what):
    """(id, name) of a reference: at least one of them set."""
    ref = existing_ref if isinstance(existing_ref, dict) else {}
    object_id = ref.get('source-id')
    name = ref.get('source-name')
    if not object_id and not name:
        raise _invalid_ref(existing_ref, _(
            'give source-name (the %(what)s\'s name on the array) or '
            'source-id (its %(id)s).') % {
                'what': what,
                'id': 'vol_id' if what == 'LUN' else 'snap_id'})
    return object_id, name


# Cinder's own names of the objects this driver made, 'volume-<uuid>' and
# 'snapshot-<uuid>' (as Cinder shows them), stand for their array names:
# after an unmanage they name the object back without a look at the array
# (Tempest's manage tests do so through [volume] manage_volume_ref and
# manage_snapshot_ref). A literal array name always wins.
_CINDER_NAMES = {'LUN': ('volume-', naming.volume_name),
                 'snapshot': ('snapshot-', naming.snapshot_name)}


def array_name(name, what):
    """The array name a Cinder name ('volume-<uuid>') stands for, or None."""
    prefix, convert = _CINDER_NAMES[what]
    if not isinstance(name, str) or not name.startswith(prefix):
        return None
    try:
        return convert(name[len(prefix):])
    except ValueError:
        return None


def cinder_volumes_with(vol_id):
    """Ids of live Cinder volumes (any backend) whose provider_id is vol_id.

    Cinder itself does not stop an object from being managed twice.
    """
    found = objects.VolumeList.get_all(
        cinder_context.get_admin_context(), filters={'provider_id': vol_id})
    return [volume.id for volume in found]


def cinder_snapshots_with(snap_id):
    """Ids of live Cinder snapshots whose provider_id is snap_id."""
    found = objects.SnapshotList.get_all(
        cinder_context.get_admin_context(), {'provider_id': snap_id})
    return [snapshot.id for snapshot in found]


def known_to_cinder(name):
    """Whether a cv-/cs- name is a volume/snapshot in Cinder's database.

    Deleted rows count (an unmanaged or migrated volume keeps its name);
    True for other names. A database failure reads as unknown.
    """
    decoded = naming.decode_name(name or '')
    if decoded is None or decoded[0] not in (naming.VOLUME_PREFIX,
                                             naming.SNAPSHOT_PREFIX):
        return True
    prefix, obj_id = decoded
    ctx = cinder_context.get_admin_context(read_deleted='yes')
    try:
        if prefix == naming.VOLUME_PREFIX:
            return bool(objects.VolumeList.get_all(
                ctx, filters={'id': obj_id}))
        return bool(objects.SnapshotList.get_all(ctx, {'id': obj_id}))
    except Exception as err:
        LOG.warning('Could not look %(name)s up in Cinder\'s database '
                    '(%(err)s).', {'name': name, 'err': type(err).__name__})
        return False


class Manageable:
    """Finds, checks and lists the objects Cinder may manage."""

    def __init__(self, client, pools, deferred):
        self.client = client
        self.pools = list(pools)
        self.deferred = deferred

    def _pending(self):
        """(vol_ids, snap_ids) waiting in the deferred-deletion registry."""
        luns, snaps = set(), set()
        for marker in self.deferred.markers():
            if marker.startswith(naming.DEFERRED_LUN_PREFIX):
                luns.add(marker[len(naming.DEFERRED_LUN_PREFIX):])
            elif marker.startswith(naming.DEFERRED_SNAPSHOT_PREFIX):
                snaps.add(marker[len(naming.DEFERRED_SNAPSHOT_PREFIX):])
        return luns, snaps

    # -- volumes --------------------------------------------------------

    def find_lun(self, existing_ref):
        """The detail (:class:`records.Lun`) of the LUN a reference names."""
        vol_id, name = parse_reference(existing_ref, 'LUN')
        if not vol_id:
            luns = records.LunList.from_answer(self.client.list_luns())
            if not luns.has_name(name):
                name = array_name(name, 'LUN') or name
            lun = luns.by_name(name)
            if lun is None:
                raise _invalid_ref(existing_ref, _(
                    'there is no LUN named %s on the array (or the API key '
                    'may not see its pool).') % name)
            vol_id = lun.id
        try:
            answer = self.client.get_lun(vol_id)
        except (ngx_exc.NotFound, ngx_exc.ValidationFailed):
            raise _invalid_ref(existing_ref, _(
                'there is no LUN with vol_id %s on the array.') % vol_id)
        detail = records.Lun.from_answer(answer, vol_id)
        if name and detail.name != name:
            raise _invalid_ref(existing_ref, _(
                'source-id %(id)s is LUN %(lun)s, not %(name)s.') % {
                    'id': vol_id, 'lun': detail.name, 'name': name})
        return detail

    def lun_problem(self, detail, pending_luns):
        """Why a LUN (a :class:`records.Lun`) must not be managed, or None."""
        if naming.is_registry_name(detail.name):
            return REASON_REGISTRY
        if detail.id in pending_luns:
            return REASON_DEFERRED
        if (naming.decode_name(detail.name or '') or ('',))[0] == (
                naming.SNAPSHOT_EXPORT_PREFIX):
            return REASON_SNAPSHOT_EXPORT
        targets = detail.exported_to
        if targets:
            return REASON_EXPORTED % targets
        if not detail.size or detail.size < 0:
            return REASON_NO_SIZE
        return None

    def lun_to_manage(self, volume, existing_ref):
        """The detail of the LUN to manage as volume, after every check."""
        detail = self.find_lun(existing_ref)
        name, pool = detail.name, detail.pool
        if pool not in self.pools:
            raise _invalid_ref(existing_ref, _(
                'LUN %(name)s is in pool %(pool)s, which this backend does '
                'not serve (ngxstorage_pools).') % {'name': name,
                                                    'pool': pool})
        wanted_pool = (volume_utils.extract_host(volume.host, 'pool')
                       or self.pools[0])
        if pool != wanted_pool:
            raise _invalid_ref(existing_ref, _(
                'LUN %(name)s is in pool %(pool)s, not %(wanted)s: manage '
                'it on host %(host)s#%(pool)s.') % {
                    'name': name, 'pool': pool, 'wanted': wanted_pool,
                    'host': volume_utils.extract_host(volume.host,
                                                      'backend')})
        problem = self.lun_problem(detail, self._pending()[0])
        if problem is None:
            users = [i for i in cinder_volumes_with(detail.id)
                     if i != volume.id]
            if users:
                problem = _('%(why)s (volume %(id)s)') % {
                    'why': REASON_MANAGED, 'id': users[0]}
        if problem:
            raise _invalid_ref(existing_ref, _('LUN %(name)s cannot be '
                                               'managed: %(why)s') % {
                'name': name, 'why': problem})
        return detail

    def adapt_lun(self, detail, size_gb, wanted):
        """Give a LUN to be managed its size in GiB and the type's wishes.

        One LUN modify at most: the LUN grows to the whole GiB Cinder
        counts (a LUN is never shrunk, so no data is lost) and takes the
        properties the volume type sets. A blocksize the type asks for and
        the LUN lacks cannot be had: ManageExistingVolumeTypeMismatch,
        before anything changes.
        """
        current = volume_types.lun_properties(detail)
        conflict = volume_types.blocksize_conflict(current, wanted)
        if conflict:
            raise exception.ManageExistingVolumeTypeMismatch(reason=_(
                'LUN %(name)s: %(why)s. Use a volume type without '
                'ngxstorage:blocksize or with the LUN\'s.') % {
                    'name': detail.name, 'why': conflict})
        changes = volume_types.changes_for(current, wanted)
        if (detail.size or 0) < size_gb * GiB:
            changes['size'] = size_gb
        if changes:
            self.client.modify_lun(detail.id, **changes)
            LOG.info('LUN %(name)s changed to be managed: %(changes)s.',
                     {'name': detail.name, 'changes': changes})
        return changes

    def volume_entries(self, cinder_volumes):
        """One manageable-volume entry per LUN of this backend's pools."""
        by_provider = {}
        by_name = {}
        for volume in cinder_volumes:
            if volume.provider_id:
                by_provider[volume.provider_id] = volume.id
            else:
                # Made before provider_id was kept: its name says it.
                by_name[naming.volume_name(volume.name_id)] = volume.id
        pending_luns = self._pending()[0]
        entries = []
        for detail in records.LunDetailList.from_answer(
                self.client.list_luns_detail()):
            if detail.pool not in self.pools:
                continue
            name = detail.name
            cinder_id = by_provider.get(detail.id) or by_name.get(name)
            reason = (REASON_MANAGED if cinder_id
                      else self.lun_problem(detail, pending_luns))
            if reason is None and not known_to_cinder(name):
                reason = REASON_OTHER_DEPLOYMENT % name
            entries.append({
                'reference': {'source-name': name},
                'size': size_gib(detail.size),
                'safe_to_manage': reason is None,
                'reason_not_safe': reason,
                'cinder_id': cinder_id,
                'extra_info': _lun_info(detail),
            })
        return entries

    # -- snapshots ------------------------------------------------------

    def snapshot_to_manage(self, snapshot, vol_id, existing_ref):
        """The snapshot (records.Snapshot) of LUN vol_id a reference names."""
        snap_id, name = parse_reference(existing_ref, 'snapshot')
        snaps = records.SnapshotList.from_answer(
            self.client.list_snapshots(vol_id=vol_id))
        if name and not snaps.has_name(name):
            name = array_name(name, 'snapshot') or name
        item = snaps.find(snap_id, name)
        if item is None:
            raise _invalid_ref(existing_ref, _(
                'the LUN of volume %(vol)s has no such snapshot.') % {
                    'vol': snapshot.volume_id})
        problem = None
        if (item.name or '').startswith(naming.CLONE_SNAPSHOT_PREFIX):
            problem = REASON_CLONE_SOURCE
        elif item.id in self._pending()[1]:
            problem = REASON_DEFERRED
        else:
            users = [i for i in cinder_snapshots_with(item.id)
                     if i != snapshot.id]
            if users:
                problem = _('%(why)s (snapshot %(id)s)') % {
                    'why': REASON_MANAGED, 'id': users[0]}
        if problem:
            raise _invalid_ref(existing_ref, _(
                'snapshot %(name)s cannot be managed: %(why)s') % {
                    'name': item.name, 'why': problem})
        return item

    def snapshot_entries(self, cinder_snapshots):
        """One manageable-snapshot entry per snapshot of this backend."""
        by_provider = {}
        by_name = {}
        for snap in cinder_snapshots:
            if snap.provider_id:
                by_provider[snap.provider_id] = snap.id
            else:
                by_name[naming.snapshot_name(snap.id)] = snap.id
        luns = {detail.name: detail
                for detail in records.LunDetailList.from_answer(
                    self.client.list_luns_detail())
                if detail.pool in self.pools}
        pending_snaps = self._pending()[1]
        entries = []
        for item in records.SnapshotList.from_answer(
                self.client.list_snapshots_detail()):
            lun = luns.get(item.lun_name)
            if lun is None:
                continue
            name = item.name or ''
            cinder_id = by_provider.get(item.id) or by_name.get(name)
            if cinder_id:
                reason = REASON_MANAGED
            elif naming.is_registry_name(lun.name):
                reason = REASON_MARKER
            elif name.startswith(naming.CLONE_SNAPSHOT_PREFIX):
                reason = REASON_CLONE_SOURCE
            elif item.id in pending_snaps:
                reason = REASON_DEFERRED
            elif not known_to_cinder(name):
                reason = REASON_OTHER_DEPLOYMENT % name
            else:
                reason = None
            info = {'snap_id': item.id,
                    'created': str(item.created),
                    'has_clones': str(item.has_clones)}
            entries.append({
                'reference': {'source-name': name},
                'size': size_gib(lun.size),
                'safe_to_manage': reason is None,
                'reason_not_safe': reason,
                'cinder_id': cinder_id,
                'extra_info': info,
                'source_reference': {'source-name': lun.name},
            })
        return entries

    # -- sizes of objects made from managed snapshots ---------------------

    def grow_to(self, vol_id, size_gb):
        """Grow LUN vol_id to size_gb GiB if it is smaller (one read)."""
        detail = records.Lun.from_answer(self.client.get_lun(vol_id),
                                         vol_id)
        if (detail.size or 0) < size_gb * GiB:
            self.client.modify_lun(vol_id, size=size_gb, sing='G')


def _lun_info(detail):
    """extra_info of a manageable LUN: what an operator wants to see."""
    current = volume_types.lun_properties(detail)
    info = {
        'vol_id': detail.id,
        'pool': detail.pool,
        'thin_provision': current['thin_provision'],
        'blocksize': current['blocksize'] or str(detail.blocksize),
        'qos_priority': str(current['qos_priority']),
    }
    if detail.clone:
        info['clone_of'] = detail.clone
    return info
