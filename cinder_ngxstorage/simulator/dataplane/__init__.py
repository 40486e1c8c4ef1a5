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

"""The simulator's data plane: LUN bytes in files, exported through tgtd.

Kept apart from the array model (``model/``), which calls it through the
hooks of ``backing.NullBacking`` while it holds its lock. Its parts:

``files``
    :class:`FileBacking`: each LUN is a sparse file, a snapshot a
    point-in-time copy (reflink or sparse copy), clones, rollbacks and
    extends on those files; ``used_bytes`` follows the data written.

``tgtd``
    :class:`~.tgtd.TgtDaemon`: the simulator's own ``tgtd`` on the portal
    group's addresses, with a private management socket; start, stop,
    crash cleanup, ``tgtadm``.

``exporter``
    :class:`TgtExporter`: mirrors the array's targets, LUN mappings,
    initiator ACLs and CHAP accounts into that tgtd, each change a diff.

``processes``
    Process and port helpers (:func:`tgt_missing`,
    :func:`resolve_free_ports`, pid checks, masked command lines).

``errors``
    :class:`DataPlaneError`.

This module holds :class:`DataPlane`, the backing object the state is
given: files, plus the exporter when iSCSI is on (then LUN numbers start
at 1: tgt keeps LUN 0 of every target for its controller device), and the
sweep of stale temporary data dirs. The names above are importable from
``dataplane`` itself, as before the split.

Nothing here logs a CHAP secret: ``tgtadm`` command lines are logged
with the password masked, and errors never carry a command line.
"""

import logging
import os
import shutil
import tempfile

from cinder_ngxstorage.simulator import backing as backing_mod
from cinder_ngxstorage.simulator.dataplane.errors import _ControlPortBusy  # noqa
from cinder_ngxstorage.simulator.dataplane.errors import DataPlaneError  # noqa
from cinder_ngxstorage.simulator.dataplane.exporter import SCSI_ID_LEN  # noqa
from cinder_ngxstorage.simulator.dataplane.exporter import SCSI_PRODUCT  # noqa
from cinder_ngxstorage.simulator.dataplane.exporter import SCSI_VENDOR  # noqa
from cinder_ngxstorage.simulator.dataplane.exporter import TgtExporter
from cinder_ngxstorage.simulator.dataplane.files import _data_extents  # noqa
from cinder_ngxstorage.simulator.dataplane.files import _NO_REFLINK  # noqa
from cinder_ngxstorage.simulator.dataplane.files import _reflink  # noqa
from cinder_ngxstorage.simulator.dataplane.files import _remove  # noqa
from cinder_ngxstorage.simulator.dataplane.files import _safe_name  # noqa
from cinder_ngxstorage.simulator.dataplane.files import _sparse_copy  # noqa
from cinder_ngxstorage.simulator.dataplane.files import _ZERO_CHUNK  # noqa
from cinder_ngxstorage.simulator.dataplane.files import COPY_CHUNK  # noqa
from cinder_ngxstorage.simulator.dataplane.files import copy_into  # noqa
from cinder_ngxstorage.simulator.dataplane.files import FICLONE  # noqa
from cinder_ngxstorage.simulator.dataplane.files import FileBacking
from cinder_ngxstorage.simulator.dataplane.files import MIN_USED_BYTES  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import _cmdline  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import _mask_command  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import _pdeathsig_setter  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import _pid_alive
from cinder_ngxstorage.simulator.dataplane.processes import _portal_key  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import _split_portal  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import _try_port  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import resolve_free_ports  # noqa
from cinder_ngxstorage.simulator.dataplane.processes import tgt_missing
from cinder_ngxstorage.simulator.dataplane.tgtd import TGTADM_TIMEOUT  # noqa
from cinder_ngxstorage.simulator.dataplane.tgtd import TGTD_START_TIMEOUT  # noqa
from cinder_ngxstorage.simulator.dataplane.tgtd import TGTD_STOP_TIMEOUT  # noqa
from cinder_ngxstorage.simulator.dataplane.tgtd import TgtDaemon  # noqa

LOG = logging.getLogger(__name__)

TEMP_PREFIX = 'ngxsim-data-'
OWNER_FILE = 'owner.pid'


def sweep_stale_temp_dirs(base=None):
    """Remove temporary data dirs whose simulator process is gone.

    A temporary data dir holds ``owner.pid``; a run killed before it could
    clean up leaves the dir behind (its tgtd died with it). Dirs whose
    owner is alive, or that name no owner, are left alone. Returns the
    paths removed.
    """
    base = base or tempfile.gettempdir()
    removed = []
    try:
        names = os.listdir(base)
    except OSError:
        return removed
    for name in sorted(names):
        if not name.startswith(TEMP_PREFIX):
            continue
        path = os.path.join(base, name)
        try:
            with open(os.path.join(path, OWNER_FILE)) as handle:
                pid = int(handle.read().strip())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


class DataPlane(backing_mod.NullBacking):
    """LUN files, plus tgtd exports when iSCSI is on.

    :param data_dir: where LUN and snapshot files live; None makes a
        temporary directory, removed on :meth:`close` (or, if this process
        is killed first, by the next temporary data plane's sweep).
    :param iscsi: export through tgtd. When tgtd or tgtadm is missing the
        data plane keeps the files only and :attr:`iscsi_problem` says
        why (the simulator reports it on start).
    """

    def __init__(self, data_dir=None, iscsi=False, tgtd='tgtd',
                 tgtadm='tgtadm'):
        self.temporary = data_dir is None
        if data_dir is None:
            sweep_stale_temp_dirs()
            data_dir = tempfile.mkdtemp(prefix=TEMP_PREFIX)
            with open(os.path.join(data_dir, OWNER_FILE), 'w') as handle:
                handle.write('%d\n' % os.getpid())
        self.files = FileBacking(data_dir)
        self.data_dir = self.files.data_dir
        self.iscsi_requested = bool(iscsi)
        self.iscsi_problem = None
        self.exporter = None
        if iscsi:
            self.iscsi_problem = tgt_missing(tgtd, tgtadm)
            if self.iscsi_problem:
                LOG.warning('Simulator data plane: iSCSI export off: %s',
                            self.iscsi_problem)
            else:
                self.exporter = TgtExporter(
                    os.path.join(self.data_dir, 'tgtd'),
                    self.files.lun_path, tgtd=tgtd, tgtadm=tgtadm)
        self._closed = False

    def __repr__(self):
        return '<DataPlane %s iscsi=%s>' % (self.data_dir,
                                            self.iscsi_active)

    @property
    def first_lun_number(self):
        """1 when exporting through tgt (LUN 0 is tgt's), else 0."""
        return 1 if self.exporter is not None else 0

    @property
    def iscsi_active(self):
        """Whether LUNs are exported over iSCSI."""
        return self.exporter is not None and self.exporter.started

    def status(self):
        """One line for the operator: what the data plane does."""
        if self.exporter is not None:
            return ('data plane on: LUN files in %s, exported by tgtd '
                    '(pid %s) on %s; LUN numbers start at 1'
                    % (self.data_dir, self.exporter.pid,
                       ', '.join(self.exporter.portals)))
        text = 'data plane on: LUN files in %s' % self.data_dir
        if self.iscsi_problem:
            text += ('; iSCSI export off: %s (control plane and files '
                     'only)' % self.iscsi_problem)
        else:
            text += '; no iSCSI export (--iscsi not given)'
        return text

    def lun_path(self, vol_id):
        """The file holding a LUN's bytes."""
        return self.files.lun_path(vol_id)

    def snapshot_path(self, snap_id):
        """The file holding a snapshot's bytes."""
        return self.files.snapshot_path(snap_id)

    def start(self, state):
        """Match the files to state, start tgtd and export state's view."""
        dump = state.dump()
        self.files.reconcile(
            {lun['vol_id']: int(lun['size']) for lun in dump['luns']},
            {snap['snap_id']: int(snap['size'])
             for snap in dump['snapshots']})
        if self.exporter is not None:
            self.exporter.start(state.portals)
            self.exporter.serve_only(state.serving_portals)
            self.exporter.apply(state.export_view())

    # -- hooks (called by the state under its lock) ----------------------

    def lun_created(self, vol_id, size_bytes):
        """A fresh sparse file (reads zeros)."""
        self.files.create_lun(vol_id, size_bytes)

    def lun_resized(self, vol_id, size_bytes):
        """Grow the file; tgt learns the size from exports_changed."""
        self.files.resize_lun(vol_id, size_bytes)

    def lun_deleted(self, vol_id):
        """Remove the file."""
        self.files.delete_lun(vol_id)

    def snapshot_created(self, vol_id, snap_id):
        """Copy the LUN's bytes as they are now."""
        self.files.snapshot_lun(vol_id, snap_id)

    def snapshot_deleted(self, snap_id):
        """Remove the snapshot's file."""
        self.files.delete_snapshot(snap_id)

    def clone_created(self, snap_id, new_vol_id, size_bytes):
        """A new LUN file from the snapshot's bytes."""
        self.files.clone_snapshot(snap_id, new_vol_id, size_bytes)

    def lun_restored(self, vol_id, snap_id, size_bytes):
        """Copy the snapshot's bytes back into the LUN's file."""
        self.files.restore_lun(vol_id, snap_id, size_bytes)

    def used_bytes(self, vol_id):
        """Allocated bytes of the LUN's file."""
        return self.files.used_bytes(vol_id)

    def exports_changed(self, view):
        """Bring tgtd in step with view (when iSCSI is on)."""
        if self.exporter is not None:
            self.exporter.apply(view)

    def controllers_changed(self, serving_portals, moved_iqns):
        """Listen on the serving portals only; end the moved targets' logins.

        The failed controller's sessions die with it: the initiator logs
        in again through a portal that serves (see simulator.rst).
        """
        if self.exporter is not None:
            self.exporter.serve_only(serving_portals)
            for iqn in moved_iqns:
                tid = self.exporter.tid_of(iqn)
                if tid is not None:
                    self.exporter.drop_sessions(tid)

    def close(self):
        """Stop tgtd; remove the data directory if it was temporary."""
        if self._closed:
            return
        self._closed = True
        if self.exporter is not None:
            self.exporter.stop()
        if self.temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)
