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

"""Deferred deletion of array objects that still have dependents.

The array works like ZFS: a clone is a LUN that depends on its origin
snapshot, the array refuses to delete a snapshot that has clones (409) and a
LUN that has snapshots (409), and it cannot rename anything. Cinder, though,
lets a user delete a snapshot that has a volume created from it, or a volume
whose snapshots have clones. Those deletions must succeed for Cinder while
the array objects stay until their last dependent is gone.

The driver records each such object as a *marker*: a snapshot of one
internal, never exported LUN of the backend, the *registry*
(``cinder-dd-<namespace>-<digest of the backend name>``, see
:func:`naming.registry_lun_name`; ``cinder-deferred-delete`` before
namespaces), called ``snap-<snap_id>`` or ``lun-<vol_id>``. Markers are
visible to any administrator on the array and to every cinder-volume
service. Garbage collection tries to delete each recorded object (a 404
means someone did it already) and drops the marker when the object is gone;
it runs after a clone is deleted, when the driver starts and periodically
with the statistics. The registry LUN itself is kept (it is 1 MiB, thin).

The driver never relies on the array to refuse a destructive call: an
array that cascades (a snapshot delete that takes its clones, a "delete
all snapshots" that takes those with clones) would destroy volumes Cinder
still has. So a marked snapshot is deleted only when a read shows it has
no clones, and a LUN's snapshots are freed one by one when a listing shows
that some have clones.
"""

from oslo_log import log as logging

from cinder_ngxstorage import answers
from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import naming
from cinder_ngxstorage import records
from cinder_ngxstorage import refusals

LOG = logging.getLogger(__name__)


class RegistryUnavailable(ngx_exc.NGXStorageError):
    """The registry LUN could not be created or found.

    A full first pool, a key that may not create LUNs there, a pool
    offline, a 5xx: deferring is then impossible for now, which must
    neither stop the service nor fail a user's delete.
    """

    default_message = 'the deferred-deletion registry is unavailable'


def registry_unusable(err):
    """Whether err means the registry cannot take a marker for now.

    No registry, a key that may not write there, or a refusal for a
    lasting reason (no space, snapshot limit, pool offline, licence). A
    transient failure or unknown words are not: the caller fails and the
    user's retry records the deletion.
    """
    if isinstance(err, (RegistryUnavailable, ngx_exc.PermissionDenied)):
        return True
    return refusals.is_refusal(err) and refusals.classify(err) in (
        refusals.NO_SPACE, refusals.LIMIT, refusals.POOL_OFFLINE,
        refusals.LICENCE)


class DeferredDeletions:
    """The registry of objects that wait for their dependents to go."""

    def __init__(self, client, registry_pool,
                 registry_name=naming.DEFERRED_REGISTRY_LUN):
        self.client = client
        self.registry_pool = registry_pool
        # One registry per backend of a deployment (see
        # naming.registry_lun_name): in the backend's first pool, which its
        # key can reach, and never another deployment's or backend's.
        self.registry_name = registry_name
        self._registry_id = None

    def registry_id(self):
        """vol_id of the registry LUN, created on first use."""
        if self._registry_id is None:
            try:
                self._registry_id = self._find_or_create_registry()
            except ngx_exc.NGXStorageError as err:
                raise RegistryUnavailable(
                    'the deferred-deletion registry LUN %s cannot be '
                    'created or found in pool %s: %s'
                    % (self.registry_name, self.registry_pool,
                       err)) from err
        return self._registry_id

    def _find_or_create_registry(self):
        try:
            vol_id = records.created_lun_id(self.client.create_lun(
                self.registry_pool, self.registry_name, 1,
                sing='M', thin_provision='on'))
            LOG.info('Created the deferred-deletion registry LUN %s.',
                     vol_id)
            return vol_id
        except refusals.REFUSED + answers.UNCERTAIN as err:
            if not answers.may_have_created(err):
                raise  # No space, pool offline...: nothing was made.
        # It exists (made by another service, or by this request when its
        # answer was lost or lacked the id): the array has no lookup by
        # name, so this is one listing per service start.
        lun = records.LunList.from_answer(self.client.list_luns()).by_name(
            self.registry_name)
        if lun is not None:
            return lun.id
        raise ngx_exc.NGXStorageError(
            message='the registry LUN %s could not be created or found'
            % self.registry_name,
            method='POST', path='/api/v2/lun/', status=409)

    def _add_marker(self, marker):
        for attempt in (1, 2):
            try:
                self.client.create_snapshot(marker, self.registry_id())
                return
            except refusals.REFUSED:
                # Marked already (a retry, a lost answer), or refused
                # (snapshot limit, no space): only the registry tells.
                if marker in self.markers():
                    return
                raise
            except ngx_exc.NotFound:
                if attempt == 2:
                    raise
                # The registry was removed by hand: make it again.
                self._registry_id = None

    def defer_snapshot(self, snap_id):
        """Record that snapshot snap_id is to go once its clones are gone."""
        self._add_marker(naming.deferred_snapshot_marker(snap_id))
        LOG.info('Snapshot %s has clones: its deletion is deferred.',
                 snap_id)

    def defer_lun(self, vol_id):
        """Record that LUN vol_id is to go once its snapshots can go."""
        self._add_marker(naming.deferred_lun_marker(vol_id))
        LOG.info('LUN %s has dependent clones: its deletion is deferred.',
                 vol_id)

    def markers(self):
        """{marker name: marker snap_id} of every pending deletion."""
        return records.SnapshotList.from_answer(self.client.list_snapshots(
            vol_id=self.registry_id())).ids_by_name()

    def collect(self, limit=None):
        """Delete every recorded object that has no dependents any more.

        Deleting one object can free another (a LUN waits for its
        snapshot, which waited for a clone that was itself a deferred LUN),
        so passes repeat while they make progress, at most ``limit``
        deletions when given (bounded work for periodic runs). Each pass
        with snapshot markers reads the snapshots' details once: a
        snapshot with clones is not asked to go. Returns the number of
        objects deleted.
        """
        deleted = 0
        progress = True
        while progress and (limit is None or deleted < limit):
            progress = False
            markers = self.markers()
            bound = self._snapshots_with_clones(markers)
            for marker, marker_id in sorted(markers.items()):
                if limit is not None and deleted >= limit:
                    break
                if self._try_delete(marker, bound):
                    self._drop_marker(marker_id)
                    deleted += 1
                    progress = True
        return deleted

    def _snapshots_with_clones(self, markers):
        """snap_ids with clones, read once when a snapshot is marked."""
        if not any(m.startswith(naming.DEFERRED_SNAPSHOT_PREFIX)
                   for m in markers):
            return set()
        return {snap.id for snap in records.SnapshotList.from_answer(
            self.client.list_snapshots_detail()) if snap.has_clones}

    def _try_delete(self, marker, bound=frozenset()):
        try:
            if marker.startswith(naming.DEFERRED_SNAPSHOT_PREFIX):
                snap_id = marker[len(naming.DEFERRED_SNAPSHOT_PREFIX):]
                if snap_id in bound:
                    return False  # Its clones are still there.
                delete_confirmed(self.client.delete_snapshot(snap_id),
                                 lambda: self.client.get_snapshot(snap_id),
                                 'snapshot %s' % snap_id)
            elif marker.startswith(naming.DEFERRED_LUN_PREFIX):
                vol_id = marker[len(naming.DEFERRED_LUN_PREFIX):]
                delete_lun_and_free_snapshots(self.client, vol_id)
            else:
                LOG.warning('Unknown marker %s in the deferred-deletion '
                            'registry: left alone.', marker)
                return False
        except ngx_exc.NotFound:
            return True
        except refusals.REFUSED as err:
            # Still waiting (dependents), or refused for another reason:
            # either way the marker stays and a later run tries again.
            LOG.debug('%(marker)s stays deferred: %(err)s',
                      {'marker': marker, 'err': err})
            return False
        LOG.info('Deleted %s after its last dependent went.', marker)
        return True

    def _drop_marker(self, marker_id):
        try:
            self.client.delete_snapshot(marker_id)
        except ngx_exc.NotFound:
            pass


def delete_confirmed(answer, read, what):
    """Check that a delete the array answered did delete.

    An answer that says ``success`` true is the confirmation (the strict
    reading: no extra call). Otherwise (``{}``, no body, a body without
    ``success``) one read must answer 404; if the object is still there,
    RequestFailed.
    """
    if records.says_success(answer):
        return
    try:
        read()
    except ngx_exc.NotFound:
        return
    raise ngx_exc.RequestFailed(
        '%s is still on the array after its delete was answered' % what)


def snapshot_has_clones(client, snap_id):
    """Whether the snapshot's detail says it has clones (one read)."""
    try:
        return records.Snapshot.from_answer(
            client.get_snapshot(snap_id)).has_clones
    except ngx_exc.NotFound:
        return False


def delete_lun_and_free_snapshots(client, vol_id):
    """Delete a LUN, first removing its snapshots that have no clones.

    An array-side snapshot schedule of the LUN is deleted with it.
    Raises a refusal that classifies as has-dependents when snapshots with
    clones remain (the LUN must wait), NotFound when the LUN is gone
    already, and any other refusal as it is.

    The first call is the delete (one call for a LUN without snapshots,
    the common case). After a refusal, one listing of the LUN's snapshots
    decides how to free them: "delete all" only when none has clones (an
    array that reads "delete all" as "and their clones" would otherwise
    destroy volumes), else one delete per snapshot without clones.
    """
    try:
        delete_confirmed(client.delete_lun(vol_id),
                         lambda: client.get_lun(vol_id), 'LUN %s' % vol_id)
        return
    except refusals.REFUSED as err:
        if refusals.classify(err) not in (refusals.HAS_DEPENDENTS,
                                          refusals.UNKNOWN):
            raise
    # What blocks the delete: an array-side snapshot schedule (the array
    # refuses to delete a LUN that has one; it goes with the LUN, as it
    # would go on snapshotting a deleted volume), internal clone sources
    # whose clones are gone, scheduled snapshots. Snapshots with clones
    # stay.
    try:
        client.delete_snapshot_schedule(vol_id)
    except ngx_exc.NotFound:
        pass
    snaps = records.SnapshotList.from_answer(
        client.list_snapshots_detail(vol_id=vol_id))
    with_clones = [snap for snap in snaps if snap.has_clones]
    if not with_clones:
        client.delete_all_snapshots(vol_id)
    else:
        for snap in snaps:
            if snap.has_clones:
                continue
            try:
                client.delete_snapshot(snap.id)
            except ngx_exc.NotFound:
                pass
        raise ngx_exc.Conflict(
            'LUN %s has %d snapshot(s) with clones'
            % (vol_id, len(with_clones)),
            method='DELETE', path='/api/v2/lun/%s' % vol_id)
    delete_confirmed(client.delete_lun(vol_id),
                     lambda: client.get_lun(vol_id), 'LUN %s' % vol_id)
