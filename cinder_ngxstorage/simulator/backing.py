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

"""Data-plane hook interface of the simulator's array model.

:class:`~cinder_ngxstorage.simulator.state.ArrayState` keeps the control
plane (LUNs, snapshots, targets, auth groups) as plain Python data. A
*backing* is the optional data plane behind it: something that creates
real block devices for LUNs and exports them over iSCSI. The state calls
the hooks below inside each operation, while it holds its lock, and
before it commits the change, so a hook that raises leaves the model
unchanged (the state answers HTTP 500 for an unexpected exception).

:class:`NullBacking` is the default: it does nothing, and the simulator
is then a control-plane-only array.
"""


class NullBacking(object):
    """A data plane that stores nothing and exports nothing.

    Subclass it and override the hooks you need; every hook has a
    harmless default so a subclass only implements what it backs.
    """

    #: The lun_number given to the first LUN of a target. 0 is what the
    #: array does; a data plane exporting through tgt sets 1, because tgt
    #: keeps LUN 0 of every target for its controller device.
    first_lun_number = 0

    def lun_created(self, vol_id, size_bytes):
        """A LUN of ``size_bytes`` bytes is about to be created."""

    def lun_resized(self, vol_id, size_bytes):
        """A LUN is about to be extended to ``size_bytes`` bytes."""

    def lun_deleted(self, vol_id):
        """A LUN is about to be deleted."""

    def snapshot_created(self, vol_id, snap_id):
        """A snapshot ``snap_id`` of LUN ``vol_id`` is about to be taken."""

    def snapshot_deleted(self, snap_id):
        """A snapshot is about to be deleted."""

    def clone_created(self, snap_id, new_vol_id, size_bytes):
        """A new LUN is about to be cloned from snapshot ``snap_id``."""

    def lun_restored(self, vol_id, snap_id, size_bytes):
        """A LUN is about to be rolled back to snapshot ``snap_id``.

        ``size_bytes`` is the LUN size after the rollback (the size the
        LUN had when the snapshot was taken).
        """

    def used_bytes(self, vol_id):
        """Return the bytes a LUN really uses, or None.

        None means "keep the model's figure" (4096 for a new LUN). The
        state reports this as the LUN's ``vol_used`` and, for a thin LUN,
        charges it to the pool.
        """
        return None

    def exports_changed(self, view):
        """The iSCSI export configuration changed.

        ``view`` is a plain dict (see ``ArrayState.export_view``) with the
        targets, their LUNs and the auth groups including CHAP secrets:
        it is meant for the data plane only and must not be logged.
        """

    def controllers_changed(self, serving_portals, moved_iqns):
        """A controller failed over or came back.

        ``serving_portals`` are the portals that serve logins now (the
        failed controller's no longer do); ``moved_iqns`` the targets whose
        controller changed (their sessions were on the other one).
        """

    def close(self):
        """Release whatever the data plane holds."""
