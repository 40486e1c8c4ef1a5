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
internal, never exported LUN named ``cinder-deferred-delete`` (the
*registry*), called ``snap-<snap_id>`` or ``lun-<vol_id>``. Markers are
visible to any administrator on the array and to every cinder-volume
service. Garbage collection tries to delete each recorded object (a 404
means someone did it already) and drops the marker when the object is gone;
it runs after a clone is deleted and when the driver starts. The registry
LUN itself is kept (it is 1 MiB, thin).
"""

from oslo_log import log as logging

from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import naming
from cinder_ngxstorage import records

LOG = logging.getLogger(__name__)


class DeferredDeletions:
    """The registry of objects that wait for their dependents to go."""

    def __init__(self, client, registry_pool):
        self.client = client
        self.registry_pool = registry_pool
        self._registry_id = None

    def registry_id(self):
        """vol_id of the registry LUN, created on first use."""
        if self._registry_id is None:
            self._registry_id = self._find_or_create_registry()
        return self._registry_id

    def _find_or_create_registry(self):
        try:
            vol_id = records.created_lun_id(self.client.create_lun(
                self.registry_pool, naming.DEFERRED_REGISTRY_LUN, 1,
                sing='M', thin_provision='on'))
            LOG.info('Created the deferred-deletion registry LUN %s.',
                     vol_id)
            return vol_id
        except ngx_exc.Conflict:
            pass
        # It exists (made by another service): the array has no lookup by
        # name, so this is one listing per service start.
        lun = records.LunList.from_answer(self.client.list_luns()).by_name(
            naming.DEFERRED_REGISTRY_LUN)
        if lun is not None:
            return lun.id
        raise ngx_exc.NGXStorageError(
            message='the registry LUN %s could not be created or found'
            % naming.DEFERRED_REGISTRY_LUN,
            method='POST', path='/api/v2/lun/', status=409)

    def _add_marker(self, marker):
        for attempt in (1, 2):
            try:
                self.client.create_snapshot(marker, self.registry_id())
                return
            except ngx_exc.Conflict:
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

    def collect(self):
        """Delete every recorded object that has no dependents any more.

        Deleting one object can free another (a LUN waits for its
        snapshot, which waited for a clone that was itself a deferred LUN),
        so passes repeat while they make progress. Returns the number of
        objects deleted.
        """
        deleted = 0
        progress = True
        while progress:
            progress = False
            for marker, marker_id in sorted(self.markers().items()):
                if self._try_delete(marker):
                    self._drop_marker(marker_id)
                    deleted += 1
                    progress = True
        return deleted

    def _try_delete(self, marker):
        try:
            if marker.startswith(naming.DEFERRED_SNAPSHOT_PREFIX):
                self.client.delete_snapshot(
                    marker[len(naming.DEFERRED_SNAPSHOT_PREFIX):])
            elif marker.startswith(naming.DEFERRED_LUN_PREFIX):
                vol_id = marker[len(naming.DEFERRED_LUN_PREFIX):]
                delete_lun_and_free_snapshots(self.client, vol_id)
            else:
                LOG.warning('Unknown marker %s in the deferred-deletion '
                            'registry: left alone.', marker)
                return False
        except ngx_exc.NotFound:
            return True
        except ngx_exc.Conflict:
            return False
        LOG.info('Deleted %s after its last dependent went.', marker)
        return True

    def _drop_marker(self, marker_id):
        try:
            self.client.delete_snapshot(marker_id)
        except ngx_exc.NotFound:
            pass


def delete_lun_and_free_snapshots(client, vol_id):
    """Delete a LUN, first removing its snapshots that have no clones.

    An array-side snapshot schedule of the LUN is deleted with it.
    Raises Conflict when snapshots with clones remain (the LUN must wait),
    NotFound when the LUN is gone already.
    """
    try:
        client.delete_lun(vol_id)
        return
    except ngx_exc.Conflict:
        pass
    # What blocks the delete: an array-side snapshot schedule (the array
    # refuses to delete a LUN that has one; it goes with the LUN, as it
    # would go on snapshotting a deleted volume), internal clone sources
    # whose clones are gone, scheduled snapshots. Snapshots with clones
    # stay.
    try:
        client.delete_snapshot_schedule(vol_id)
    except ngx_exc.NotFound:
        pass
    client.delete_all_snapshots(vol_id)
    client.delete_lun(vol_id)
