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

Three parts, kept apart from the array model (``state.py``), which calls
them through the hooks of ``backing.NullBacking`` while it holds its lock:

:class:`FileBacking`
    Each LUN is a sparse file of its size under ``<data dir>/luns``; a
    snapshot is a point-in-time copy under ``<data dir>/snapshots``
    (a reflink where the filesystem can, a sparse copy otherwise); a clone
    starts as a copy of its snapshot, a rollback copies the snapshot's
    bytes back into the LUN's file in place, an extend grows the file.
    ``used_bytes`` reads ``st_blocks``, so a thin LUN's ``vol_used`` and
    its pool's consumption follow the data really written.

:class:`TgtExporter`
    Runs the simulator's own ``tgtd`` on the portal group's addresses,
    with a private management socket, and mirrors the array's targets,
    LUN mappings, initiator ACLs and CHAP accounts into it, applying each
    change as a diff with ``tgtadm``.

:class:`DataPlane`
    The backing object the state is given: files, plus the exporter when
    iSCSI is on (then LUN numbers start at 1: tgt keeps LUN 0 of every
    target for its controller device).

Nothing here logs a CHAP secret: ``tgtadm`` command lines are logged
with the password masked, and errors never carry a command line.
"""

import ctypes
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

from cinder_ngxstorage.simulator import backing as backing_mod

LOG = logging.getLogger(__name__)

#: ioctl FICLONE: share all of a file's extents with another (reflink).
FICLONE = 0x40049409
_NO_REFLINK = (errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL,
               errno.EBADF, errno.ENOSYS, errno.EPERM)
COPY_CHUNK = 1 << 20
_ZERO_CHUNK = bytes(COPY_CHUNK)

#: What a LUN reports as used before any write (the model's figure).
MIN_USED_BYTES = 4096

#: SCSI identity of the logical units (tgt field limits: 8, 16, 36, 36).
SCSI_VENDOR = 'NGXSTOR'
SCSI_PRODUCT = 'H2000G2'
SCSI_ID_LEN = 36

TGTD_START_TIMEOUT = 15.0
TGTD_STOP_TIMEOUT = 10.0
TGTADM_TIMEOUT = 60.0
_MAX_CONTROL_PORTS = 50
_SUN_PATH_MAX = 107
_PR_SET_PDEATHSIG = 1


class DataPlaneError(Exception):
    """The data plane could not do what the array model asked.

    The message names objects and tgtadm's own words, never a secret.
    """


# ----------------------------------------------------------------------
# files
# ----------------------------------------------------------------------

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


# ----------------------------------------------------------------------
# tgtd
# ----------------------------------------------------------------------

def tgt_missing(tgtd='tgtd', tgtadm='tgtadm'):
    """Why tgtd cannot be used here (a sentence), or None."""
    missing = [tool for tool in (tgtd, tgtadm)
               if shutil.which(tool) is None]
    if missing:
        return ('%s not found (Debian package tgt)' % ' and '.join(missing))
    return None


def _pdeathsig_setter():
    """A function for preexec_fn: SIGKILL the child when its parent dies.

    libc is loaded here, in the parent: the child only calls prctl (no
    loading or importing between fork and exec). None if unavailable.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def set_pdeathsig():
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    return set_pdeathsig


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/stat' % pid) as stat:
            # A zombie is dead for our purpose.
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return True


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return [a.decode('utf-8', 'replace')
                    for a in handle.read().split(b'\0') if a]
    except OSError:
        return []


def _portal_key(text):
    """Normalise 'ip:port' / '[v6]:port' for comparisons."""
    text = text.strip()
    if text.startswith('['):
        host, _sep, port = text[1:].partition(']:')
    else:
        host, _sep, port = text.rpartition(':')
    return host.lower(), int(port)


def resolve_free_ports(portals, attempts=50):
    """Portals with port 0 get one port free on all their addresses.

    ``['127.0.0.1:0', '127.0.0.2:0']`` -> ``['127.0.0.1:N', '127.0.0.2:N']``
    (one port for all, as multipath setups expect); other portals are
    returned unchanged. The port is free when chosen; tgtd binds it a
    moment later.
    """
    portals = [str(p).strip() for p in portals]
    asked = []
    for portal in portals:
        host, port = _split_portal(portal)
        if port == 0:
            asked.append(host)
    if not asked:
        return portals
    for _attempt in range(attempts):
        port = _try_port(asked)
        if port:
            break
    else:
        raise DataPlaneError('no TCP port free on all of %s'
                             % ', '.join(asked))
    resolved = []
    for portal in portals:
        host, number = _split_portal(portal)
        if number == 0:
            portal = ('[%s]:%d' if ':' in host else '%s:%d') % (host, port)
        resolved.append(portal)
    return resolved


def _split_portal(portal):
    if portal.startswith('['):
        host, _sep, rest = portal[1:].partition(']')
        return host, int(rest[1:]) if rest.startswith(':') else 3260
    if portal.count(':') == 1:
        host, port = portal.split(':')
        return host, int(port)
    return portal, 3260


def _try_port(hosts):
    """A port bindable on every host now, or None."""
    sockets = []
    try:
        port = 0
        for host in hosts:
            family = socket.AF_INET6 if ':' in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sockets.append(sock)
            try:
                sock.bind((host, port))
            except OSError:
                return None
            port = sock.getsockname()[1]
        return port
    finally:
        for sock in sockets:
            sock.close()


class TgtExporter(object):
    """The simulator's own tgtd, kept in step with the array's exports.

    :param run_dir: directory for the pid file, the management socket
        and tgtd's log (a crashed run's leftovers there are cleaned up).
    :param lun_path: callable vol_id -> backing file of the LUN.
    """

    def __init__(self, run_dir, lun_path, tgtd='tgtd', tgtadm='tgtadm'):
        self.run_dir = os.path.abspath(run_dir)
        self.lun_path = lun_path
        self.tgtd = tgtd
        self.tgtadm_path = tgtadm
        self.portals = []
        self.control_port = None
        self.socket_base = None
        self._proc = None
        self._keeper = None
        self._log_file = None
        self._short_dir = None
        self._last_rc = None
        self._lock = threading.RLock()
        # What tgtd holds, as applied so far:
        # array target id -> {tid, iqn, luns {n: (path, size)},
        #                     initiators set, account user or None}
        self._targets = {}
        self._accounts = {}          # user -> password
        self._good_view = None       # last view applied without error
        self._pending_view = None    # a view given before start()
        self.started = False

    @property
    def pid(self):
        """tgtd's process id (None when not running)."""
        return self._proc.pid if self._proc is not None else None

    @property
    def pid_file(self):
        """JSON file naming the running tgtd, for crash cleanup."""
        return os.path.join(self.run_dir, 'tgtd.pid')

    # -- life cycle -----------------------------------------------------

    def start(self, portals):
        """Start tgtd on portals ('ip:port'), wait until it serves them."""
        with self._lock:
            if self.started:
                return
            if not portals:
                raise DataPlaneError('no iSCSI portal to listen on')
            self.portals = list(portals)
            os.makedirs(self.run_dir, mode=0o700, exist_ok=True)
            self.cleanup_leftovers()
            self.socket_base = self._socket_base()
            last_error = None
            for port in range(1, _MAX_CONTROL_PORTS + 1):
                try:
                    self._spawn(port)
                    break
                except _ControlPortBusy as exc:
                    last_error = exc
                    continue
            else:
                raise DataPlaneError('no free tgtd control port: %s'
                                     % last_error)
            self.started = True
            try:
                self._check_portals()
                if self._pending_view is not None:
                    view, self._pending_view = self._pending_view, None
                    self.apply(view)
            except Exception:
                self.stop()
                raise

    def _socket_base(self):
        base = os.path.join(self.run_dir, 'mgmt')
        if len(base) + 8 > _SUN_PATH_MAX:
            # Unix socket paths are short: use a private /tmp directory.
            short = tempfile.mkdtemp(prefix='ngxtgt-')
            self._short_dir = short
            base = os.path.join(short, 'mgmt')
        return base

    def _spawn(self, control_port):
        log_path = os.path.join(self.run_dir, 'tgtd.log')
        self._log_file = open(log_path, 'wb')
        portal_arg = ','.join('portal=%s' % p for p in self.portals)
        argv = [self.tgtd, '-f', '-C', str(control_port),
                '--iscsi', portal_arg]
        env = dict(os.environ, TGT_IPC_SOCKET=self.socket_base)
        started = {}
        ready = threading.Event()
        # tgtd dies with the simulator even when it is killed outright.
        preexec = _pdeathsig_setter()

        def keep():
            # Spawned from a thread that lives exactly as long as tgtd, so
            # the kernel's parent-death signal cannot hit it early.
            try:
                started['proc'] = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=self._log_file,
                    stderr=self._log_file, env=env, close_fds=True,
                    preexec_fn=preexec)
            except Exception as exc:
                started['error'] = exc
                ready.set()
                return
            ready.set()
            started['proc'].wait()

        self._keeper = threading.Thread(target=keep, name='ngxsim-tgtd',
                                        daemon=True)
        self._keeper.start()
        ready.wait()
        if 'error' in started:
            self._close_log()
            raise DataPlaneError('cannot run tgtd: %s' % started['error'])
        self._proc = started['proc']
        self.control_port = control_port
        self._write_pid_file()
        deadline = time.monotonic() + TGTD_START_TIMEOUT
        while True:
            if self._proc.poll() is not None:
                text = self._log_tail()
                self._forget_process()
                if 'another tgtd is using' in text:
                    raise _ControlPortBusy(text)
                raise DataPlaneError('tgtd exited at start (status %s): %s'
                                     % (self._last_rc, text))
            rc, _out, _err = self._run(['--op', 'show', '--mode', 'system'],
                                       check=False, quiet=True)
            if rc == 0:
                return
            if time.monotonic() > deadline:
                self._kill()
                self._forget_process()
                raise DataPlaneError('tgtd did not become ready in %.0f s'
                                     % TGTD_START_TIMEOUT)
            time.sleep(0.02)

    def _forget_process(self):
        self._last_rc = self._proc.returncode if self._proc else None
        if self._keeper is not None:
            self._keeper.join(5)
        self._proc = None
        self._keeper = None
        self._close_log()
        _remove(self.pid_file)

    def _close_log(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def _log_tail(self, lines=5):
        try:
            with open(os.path.join(self.run_dir, 'tgtd.log'), 'rb') as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 4096))
                text = log.read().decode('utf-8', 'replace')
        except OSError:
            return ''
        wanted = [line for line in text.splitlines()
                  if 'RDMA' not in line and 'oom' not in line
                  and 'nr_open' not in line]
        return ' | '.join(wanted[-lines:])

    def _write_pid_file(self):
        data = {'pid': self._proc.pid, 'control_port': self.control_port,
                'socket': self.socket_base, 'tgtd': self.tgtd}
        tmp = self.pid_file + '.tmp'
        with open(tmp, 'w') as handle:
            json.dump(data, handle)
        os.replace(tmp, self.pid_file)

    def _check_portals(self):
        _rc, out, _err = self._run(['--op', 'show', '--mode', 'portal'])
        listening = set()
        for line in out.splitlines():
            match = re.match(r'^\s*Portal:\s*(\S+),\d+\s*$', line)
            if match:
                listening.add(_portal_key(match.group(1)))
        missing = [p for p in self.portals
                   if _portal_key(p) not in listening]
        if missing:
            raise DataPlaneError(
                'tgtd could not listen on %s (address in use or not '
                'local?): %s' % (', '.join(missing), self._log_tail()))

    def cleanup_leftovers(self):
        """Stop a tgtd a crashed run of this run_dir left, drop its files.

        Returns the pid stopped, or None.
        """
        stopped = None
        try:
            with open(self.pid_file) as handle:
                data = json.load(handle)
        except FileNotFoundError:
            data = None
        except (OSError, ValueError):
            LOG.warning('Simulator data plane: unreadable %s, removed',
                        self.pid_file)
            data = None
        if data:
            pid = int(data.get('pid') or 0)
            argv = _cmdline(pid) if pid > 0 else []
            if (pid > 0 and _pid_alive(pid) and argv
                    and os.path.basename(argv[0]) == 'tgtd'
                    and str(data.get('control_port')) in argv):
                LOG.warning('Simulator data plane: stopping tgtd %d left '
                            'by a previous run', pid)
                self._stop_foreign(pid, data)
                stopped = pid
            socket_dir = os.path.dirname(str(data.get('socket') or ''))
            if os.path.basename(socket_dir).startswith('ngxtgt-'):
                shutil.rmtree(socket_dir, ignore_errors=True)
        _remove(self.pid_file)
        for name in os.listdir(self.run_dir):
            if name.startswith('mgmt.'):
                _remove(os.path.join(self.run_dir, name))
        return stopped

    def _stop_foreign(self, pid, data):
        saved = (self.control_port, self.socket_base)
        self.control_port = data.get('control_port')
        self.socket_base = data.get('socket')
        try:
            self._shutdown_daemon()
        except Exception:  # noqa: it is going to be killed anyway
            pass
        finally:
            self.control_port, self.socket_base = saved
        deadline = time.monotonic() + TGTD_STOP_TIMEOUT
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)

    def _shutdown_daemon(self):
        # tgtd ignores SIGTERM while it has targets: delete them, go
        # offline, then ask it to exit.
        rc, out, _err = self._run(['--op', 'show', '--mode', 'target'],
                                  check=False, quiet=True)
        if rc == 0:
            for tid in re.findall(r'^Target (\d+):', out, re.MULTILINE):
                self._run(['--op', 'delete', '--mode', 'target', '--tid',
                           tid, '--force'], check=False, quiet=True)
        self._run(['--op', 'update', '--mode', 'sys', '--name', 'State',
                   '-v', 'offline'], check=False, quiet=True)
        self._run(['--mode', 'system', '--op', 'delete'], check=False,
                  quiet=True)

    def stop(self):
        """Delete every target and stop tgtd; remove the run files."""
        with self._lock:
            if self._proc is not None:
                try:
                    self._shutdown_daemon()
                except Exception:
                    LOG.exception('Simulator data plane: tgtd shutdown '
                                  'failed; killing it')
                try:
                    self._proc.wait(TGTD_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    LOG.warning('Simulator data plane: tgtd did not exit; '
                                'killing it')
                    self._kill()
                self._forget_process()
            self.started = False
            self._targets = {}
            self._accounts = {}
            self._good_view = None
            if self.socket_base:
                for suffix in ('', '.lock'):
                    _remove('%s.%s%s' % (self.socket_base,
                                         self.control_port, suffix))
            if self._short_dir:
                shutil.rmtree(self._short_dir, ignore_errors=True)
                self._short_dir = None

    def _kill(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            try:
                self._proc.wait(TGTD_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass

    # -- tgtadm ---------------------------------------------------------

    def _run(self, args, check=True, quiet=False):
        """Run tgtadm against our tgtd; (rc, stdout, stderr)."""
        argv = [self.tgtadm_path, '-C', str(self.control_port),
                '--lld', 'iscsi'] + list(args)
        env = dict(os.environ, TGT_IPC_SOCKET=self.socket_base or '')
        shown = _mask_command(args)
        if not quiet:
            LOG.debug('tgtadm %s', shown)
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                    capture_output=True, env=env,
                                    timeout=TGTADM_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise DataPlaneError('tgtadm %s timed out' % shown)
        out = result.stdout.decode('utf-8', 'replace')
        err = result.stderr.decode('utf-8', 'replace').strip()
        if check and result.returncode != 0:
            raise DataPlaneError('tgtadm %s failed (rc %d): %s'
                                 % (shown, result.returncode, err))
        return result.returncode, out, err

    # -- reading tgtd ---------------------------------------------------

    def show_targets(self):
        """tgtadm's target listing (text), for tests and debugging."""
        return self._run(['--op', 'show', '--mode', 'target'])[1]

    def sessions(self, tid):
        """[(sid, cid, initiator)] of the connections to target tid."""
        rc, out, _err = self._run(['--op', 'show', '--mode', 'conn',
                                   '--tid', str(tid)], check=False,
                                  quiet=True)
        if rc != 0:
            return []
        found = []
        sid = cid = None
        for line in out.splitlines():
            line = line.strip()
            if line.startswith('Session:'):
                sid = line.split(':', 1)[1].strip()
            elif line.startswith('Connection:'):
                cid = line.split(':', 1)[1].strip()
            elif line.startswith('Initiator:') and sid and cid:
                name = line.split(':', 1)[1].strip().split()[0]
                found.append((sid, cid, name))
        return found

    def _drop_sessions(self, tid, initiators=None):
        """Close connections to tid (of the given initiators only)."""
        for sid, cid, name in self.sessions(tid):
            if initiators is not None and name not in initiators:
                continue
            LOG.info('Simulator data plane: closing session %s of %s on '
                     'tgt target %s', sid, name, tid)
            self._run(['--op', 'delete', '--mode', 'conn', '--tid',
                       str(tid), '--sid', sid, '--cid', cid], check=False)

    def tid_of(self, target_iqn):
        """tgt's tid of a target IQN (None if not exported)."""
        with self._lock:
            for entry in self._targets.values():
                if entry['iqn'] == target_iqn:
                    return entry['tid']
        return None

    def exported(self):
        """What tgtd holds: {target_iqn: {luns, initiators, account}}."""
        with self._lock:
            return {e['iqn']: {'tid': e['tid'], 'luns': dict(e['luns']),
                               'initiators': set(e['initiators']),
                               'account': e['account']}
                    for e in self._targets.values()}

    # -- applying the array's view --------------------------------------

    def apply(self, view):
        """Make tgtd export exactly what view (state.export_view) says.

        On failure the last view applied without error is put back
        (best effort) and DataPlaneError is raised, so tgtd stays in step
        with the model the state restores.
        """
        with self._lock:
            if not self.started:
                self._pending_view = view
                return
            try:
                self._apply(self._desired(view))
            except Exception:
                if self._good_view is not None:
                    try:
                        self._apply(self._desired(self._good_view))
                    except Exception:
                        LOG.exception('Simulator data plane: tgtd could '
                                      'not be put back in step')
                raise
            self._good_view = view

    def _desired(self, view):
        groups = {g['id']: g for g in view.get('auth_groups', ())}
        # A tgt account is global by user name: two groups with one user
        # name and different secrets cannot both be honoured, so their
        # targets admit nobody (fail closed) until that is resolved.
        secrets_by_user = {}
        for target in view.get('targets', ()):
            chap = (groups.get(target['auth_group_id']) or {}).get('chap')
            if chap:
                secrets_by_user.setdefault(chap['username'], set()).add(
                    chap['password'])
        clashing = {u for u, s in secrets_by_user.items() if len(s) > 1}
        for user in sorted(clashing):
            LOG.warning('Simulator data plane: CHAP user %s is set with '
                        'different secrets in several auth groups; their '
                        'targets admit nobody', user)
        desired = {}
        for target in view.get('targets', ()):
            group = groups.get(target['auth_group_id']) or {}
            chap = group.get('chap')
            initiators = set(group.get('iqns') or ())
            account = None
            if chap:
                account = (chap['username'], chap['password'])
                if chap['username'] in clashing:
                    initiators = set()
                    account = None
            luns = {}
            for lun in target.get('luns', ()):
                number = int(lun['lun_number'])
                if number == 0:
                    LOG.warning('Simulator data plane: LUN %s is number 0 '
                                'in target %s, which tgt keeps for its '
                                'controller: not exported', lun['vol_id'],
                                target['name'])
                    continue
                luns[number] = {
                    'vol_id': lun['vol_id'], 'size': int(lun['size']),
                    'path': self.lun_path(lun['vol_id']),
                    'scsi_id': str(lun.get('scsi_lunid')
                                   or lun['vol_id'])[-SCSI_ID_LEN:],
                    'scsi_sn': str(lun['vol_id'])[:SCSI_ID_LEN]}
            desired[target['id']] = {'iqn': target['iqn'], 'luns': luns,
                                     'initiators': initiators,
                                     'account': account}
        return desired

    def _apply(self, desired):
        applied = self._targets
        # 1. Targets gone (or renamed: tgt cannot rename a target).
        for target_id in list(applied):
            want = desired.get(target_id)
            if want is None or want['iqn'] != applied[target_id]['iqn']:
                self._delete_target(target_id)
        # 2. Make existing targets stricter first: drop initiators no
        #    longer admitted and, where the credential changes to another
        #    one, every initiator until the new one is bound (tgt checks
        #    both at login only, so no login slips in between).
        close_sessions = {}          # tid -> initiators (None: all)
        for target_id, entry in applied.items():
            want = desired[target_id]
            gone = entry['initiators'] - want['initiators']
            if gone:
                self._unbind_initiators(entry, gone)
                close_sessions[entry['tid']] = set(gone)
            have = self._credential(entry)
            if have is not None and want['account'] not in (None, have):
                self._unbind_initiators(entry, set(entry['initiators']))
                close_sessions[entry['tid']] = None
        # 3. Accounts: tgt's are global by user name. Those no longer
        #    needed or whose secret changed are unbound and deleted.
        needed = {}
        for want in desired.values():
            if want['account']:
                needed[want['account'][0]] = want['account'][1]
        for user in sorted(self._accounts):
            if needed.get(user) == self._accounts[user]:
                continue
            for entry in applied.values():
                if entry['account'] == user:
                    self._run(['--op', 'unbind', '--mode', 'account',
                               '--tid', str(entry['tid']), '--user', user])
                    entry['account'] = None
            self._run(['--op', 'delete', '--mode', 'account', '--user',
                       user])
            del self._accounts[user]
        for user, password in sorted(needed.items()):
            if user not in self._accounts:
                self._run(['--op', 'new', '--mode', 'account', '--user',
                           user, '--password', password])
                self._accounts[user] = password
        # 4. Each target: account, then initiators, then LUNs.
        for target_id in sorted(desired,
                                key=lambda t: desired[t]['iqn']):
            want = desired[target_id]
            entry = applied.get(target_id)
            if entry is None:
                entry = self._new_target(target_id, want['iqn'])
            self._apply_account(entry, want['account'])
            for name in sorted(want['initiators'] - entry['initiators']):
                self._run(['--op', 'bind', '--mode', 'target', '--tid',
                           str(entry['tid']), '--initiator-name', name])
                entry['initiators'].add(name)
            self._apply_luns(entry, want['luns'])
        # 5. Logins are checked when made: end those no longer admitted.
        for tid, initiators in sorted(close_sessions.items()):
            self._drop_sessions(tid, initiators)

    def _credential(self, entry):
        user = entry['account']
        if user is None:
            return None
        return (user, self._accounts.get(user))

    def _unbind_initiators(self, entry, names):
        for name in sorted(names):
            self._run(['--op', 'unbind', '--mode', 'target', '--tid',
                       str(entry['tid']), '--initiator-name', name])
            entry['initiators'].discard(name)

    def _free_tid(self):
        used = {e['tid'] for e in self._targets.values()}
        tid = 1
        while tid in used:
            tid += 1
        return tid

    def _new_target(self, target_id, iqn):
        tid = self._free_tid()
        self._run(['--op', 'new', '--mode', 'target', '--tid', str(tid),
                   '-T', iqn])
        entry = {'tid': tid, 'iqn': iqn, 'luns': {}, 'initiators': set(),
                 'account': None}
        self._targets[target_id] = entry
        return entry

    def _delete_target(self, target_id):
        entry = self._targets[target_id]
        # --force: also with LUNs and sessions (they are closed).
        self._run(['--op', 'delete', '--mode', 'target', '--tid',
                   str(entry['tid']), '--force'])
        del self._targets[target_id]

    def _apply_account(self, entry, account):
        user = account[0] if account else None
        old = entry['account']
        if old == user:
            return
        tid = str(entry['tid'])
        if user is not None:
            self._run(['--op', 'bind', '--mode', 'account', '--tid', tid,
                       '--user', user])
            entry['account'] = user
        if old is not None:
            self._run(['--op', 'unbind', '--mode', 'account', '--tid', tid,
                       '--user', old])
            if entry['account'] == old:
                entry['account'] = None

    def _apply_luns(self, entry, luns):
        tid = str(entry['tid'])
        for number in sorted(entry['luns']):
            path, _size = entry['luns'][number]
            want = luns.get(number)
            if want is None or want['path'] != path:
                self._run(['--op', 'delete', '--mode', 'logicalunit',
                           '--tid', tid, '--lun', str(number)])
                del entry['luns'][number]
        for number in sorted(luns):
            want = luns[number]
            have = entry['luns'].get(number)
            if have is None:
                self._run(['--op', 'new', '--mode', 'logicalunit', '--tid',
                           tid, '--lun', str(number), '--backing-store',
                           want['path']])
                entry['luns'][number] = (want['path'], want['size'])
                self._run(['--op', 'update', '--mode', 'logicalunit',
                           '--tid', tid, '--lun', str(number), '--params',
                           'vendor_id=%s,product_id=%s,scsi_id=%s,'
                           'scsi_sn=%s,thin_provisioning=1'
                           % (SCSI_VENDOR, SCSI_PRODUCT, want['scsi_id'],
                              want['scsi_sn'])])
            elif have[1] != want['size']:
                # tgt reads the size when it opens the backing store:
                # reopening the same path (the LU stays, sessions stay)
                # makes READ CAPACITY answer the new size at once.
                self._run(['--op', 'update', '--mode', 'logicalunit',
                           '--tid', tid, '--lun', str(number), '--params',
                           'online=0,path=%s' % want['path']])
                entry['luns'][number] = (want['path'], want['size'])


class _ControlPortBusy(DataPlaneError):
    """Another tgtd holds this control port's lock."""


def _mask_command(args):
    """tgtadm arguments as text, with any password masked."""
    shown = []
    hide = False
    for arg in args:
        shown.append('***' if hide else arg)
        hide = arg in ('--password', '-p')
    return ' '.join(shown)


# ----------------------------------------------------------------------
# the backing given to the state
# ----------------------------------------------------------------------

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

    def close(self):
        """Stop tgtd; remove the data directory if it was temporary."""
        if self._closed:
            return
        self._closed = True
        if self.exporter is not None:
            self.exporter.stop()
        if self.temporary:
            shutil.rmtree(self.data_dir, ignore_errors=True)
