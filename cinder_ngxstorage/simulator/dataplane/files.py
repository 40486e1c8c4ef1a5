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

"""LUN and snapshot bytes in files (:class:`FileBacking`).

Each LUN is a sparse file of its size under ``<data dir>/luns``; a
snapshot is a point-in-time copy under ``<data dir>/snapshots`` (a reflink
where the filesystem can, a sparse copy otherwise: :func:`copy_into`); a
clone starts as a copy of its snapshot, a rollback copies the snapshot's
bytes back into the LUN's file in place, an extend grows the file.
``used_bytes`` reads ``st_blocks``, so a thin LUN's ``vol_used`` and its
pool's consumption follow the data really written.
"""

import errno
import fcntl
import logging
import os
import re

from cinder_ngxstorage.simulator.dataplane.errors import DataPlaneError

LOG = logging.getLogger(__name__)

#: ioctl FICLONE: share all of a file's extents with another (reflink).
FICLONE = 0x40049409
_NO_REFLINK = (errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL,
               errno.EBADF, errno.ENOSYS, errno.EPERM)
COPY_CHUNK = 1 << 20
_ZERO_CHUNK = bytes(COPY_CHUNK)

#: What a LUN reports as used before any write (the model's figure).
MIN_USED_BYTES = 4096


def _reflink(src_fd, dst_fd):
    """Share src's extents with dst; False if the filesystem cannot."""
    try:
        fcntl.ioctl(dst_fd, FICLONE, src_fd)
    except OSError as exc:
        if exc.errno in _NO_REFLINK:
            return False
        raise
    return True


def _data_extents(fd, length):
    """(start, end) ranges of fd that may hold data, below length."""
    offset = 0
    while offset < length:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                return
            if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                # No hole support here: treat everything as data (the
                # zero check below still keeps the copy sparse).
                yield offset, length
                return
            raise
        if start >= length:
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), length)
        yield start, end
        offset = end


def _sparse_copy(src_fd, dst_fd, length):
    """Copy length bytes, leaving holes for holes and for zero chunks."""
    for start, end in _data_extents(src_fd, length):
        offset = start
        while offset < end:
            count = min(COPY_CHUNK, end - offset)
            data = os.pread(src_fd, count, offset)
            if not data:
                break
            if data != _ZERO_CHUNK[:len(data)]:
                view = memoryview(data)
                written = 0
                while written < len(data):
                    written += os.pwrite(dst_fd, view[written:],
                                         offset + written)
            offset += len(data)


def copy_into(src_path, dst_fd, size):
    """Make the open file dst_fd a copy of src_path, sized size bytes.

    The destination keeps its inode (tgtd may hold it open): it is emptied,
    then reflinked or sparsely copied, then cut or grown to size.
    Returns 'reflink' or 'sparse'.
    """
    with open(src_path, 'rb') as src:
        src_fd = src.fileno()
        length = min(os.fstat(src_fd).st_size, size)
        os.ftruncate(dst_fd, 0)
        how = 'sparse'
        if _reflink(src_fd, dst_fd):
            how = 'reflink'
        else:
            _sparse_copy(src_fd, dst_fd, length)
        os.ftruncate(dst_fd, size)
    return how


class FileBacking(object):
    """LUNs and snapshots as sparse files in a data directory."""

    def __init__(self, data_dir):
        self.data_dir = os.path.abspath(data_dir)
        self.lun_dir = os.path.join(self.data_dir, 'luns')
        self.snap_dir = os.path.join(self.data_dir, 'snapshots')
        for path in (self.data_dir, self.lun_dir, self.snap_dir):
            os.makedirs(path, mode=0o700, exist_ok=True)
        #: How the last copy was made: 'reflink', 'sparse' or None.
        self.last_copy = None

    def lun_path(self, vol_id):
        """The file holding a LUN's bytes."""
        return os.path.join(self.lun_dir, _safe_name(vol_id) + '.img')

    def snapshot_path(self, snap_id):
        """The file holding a snapshot's bytes."""
        return os.path.join(self.snap_dir, _safe_name(snap_id) + '.img')

    def _new_file(self, path, size, source=None):
        """Create path (atomically) empty or as a copy of source."""
        tmp = path + '.tmp'
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            if source is None:
                os.ftruncate(fd, size)
            else:
                self.last_copy = copy_into(source, fd, size)
            os.close(fd)
            fd = None
            os.replace(tmp, path)
        except BaseException:
            if fd is not None:
                os.close(fd)
            _remove(tmp)
            raise

    def create_lun(self, vol_id, size_bytes):
        """A new LUN: a fresh sparse file, so it reads zeros."""
        self._new_file(self.lun_path(vol_id), size_bytes)

    def resize_lun(self, vol_id, size_bytes):
        """Grow a LUN's file (the array never shrinks a LUN)."""
        path = self.lun_path(vol_id)
        if not os.path.exists(path):
            raise DataPlaneError('LUN %s has no backing file' % vol_id)
        os.truncate(path, size_bytes)

    def delete_lun(self, vol_id):
        """Remove a LUN's file."""
        _remove(self.lun_path(vol_id))

    def snapshot_lun(self, vol_id, snap_id):
        """Copy a LUN's bytes as they are now into a snapshot file."""
        source = self.lun_path(vol_id)
        self._new_file(self.snapshot_path(snap_id),
                       os.path.getsize(source), source=source)

    def delete_snapshot(self, snap_id):
        """Remove a snapshot's file."""
        _remove(self.snapshot_path(snap_id))

    def clone_snapshot(self, snap_id, vol_id, size_bytes):
        """A new LUN starting from a snapshot's bytes."""
        self._new_file(self.lun_path(vol_id), size_bytes,
                       source=self.snapshot_path(snap_id))

    def restore_lun(self, vol_id, snap_id, size_bytes):
        """Roll a LUN's bytes back to a snapshot, in the same inode."""
        fd = os.open(self.lun_path(vol_id), os.O_RDWR)
        try:
            self.last_copy = copy_into(self.snapshot_path(snap_id), fd,
                                       size_bytes)
        finally:
            os.close(fd)

    def used_bytes(self, vol_id):
        """Bytes the LUN's file occupies (at least MIN_USED_BYTES)."""
        try:
            blocks = os.stat(self.lun_path(vol_id)).st_blocks
        except FileNotFoundError:
            return None
        return max(MIN_USED_BYTES, blocks * 512)

    def reconcile(self, luns, snapshots):
        """Match the files to the model; returns (created, removed).

        luns and snapshots map ids to sizes. A missing file is created
        empty (its data is lost: warned), a file of the wrong size is
        cut or grown, and files the model does not know (left by a run
        that crashed or had no state file) are removed.
        """
        created = []
        removed = []
        for directory, wanted, path_of in (
                (self.lun_dir, luns, self.lun_path),
                (self.snap_dir, snapshots, self.snapshot_path)):
            known = {os.path.basename(path_of(i)): i for i in wanted}
            for name in sorted(os.listdir(directory)):
                if name not in known:
                    _remove(os.path.join(directory, name))
                    removed.append(name)
            for object_id, size in sorted(wanted.items()):
                path = path_of(object_id)
                if not os.path.exists(path):
                    LOG.warning('Simulator data plane: no file for %s; '
                                'it starts empty', object_id)
                    self._new_file(path, size)
                    created.append(object_id)
                elif os.path.getsize(path) != size:
                    os.truncate(path, size)
        return created, removed


def _safe_name(object_id):
    text = str(object_id)
    if not re.match(r'^[A-Za-z0-9_-]{1,128}$', text):
        raise DataPlaneError('unexpected object id %r' % text)
    return text


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
