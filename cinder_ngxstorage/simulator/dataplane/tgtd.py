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

"""The simulator's own tgtd process (:class:`TgtDaemon`).

Starts tgtd on the portal group's addresses with a private management
socket and control port, checks that it listens, cleans up a crashed
run's tgtd and files, stops it; runs ``tgtadm`` against it and reads its
sessions. :class:`~.exporter.TgtExporter` adds the mirroring of the
array's exports.
"""

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from cinder_ngxstorage.simulator.dataplane.errors import _ControlPortBusy
from cinder_ngxstorage.simulator.dataplane.errors import DataPlaneError
from cinder_ngxstorage.simulator.dataplane.files import _remove
from cinder_ngxstorage.simulator.dataplane.processes import _cmdline
from cinder_ngxstorage.simulator.dataplane.processes import _mask_command
from cinder_ngxstorage.simulator.dataplane.processes import _pdeathsig_setter
from cinder_ngxstorage.simulator.dataplane.processes import _pid_alive
from cinder_ngxstorage.simulator.dataplane.processes import _portal_key

LOG = logging.getLogger(__name__)

TGTD_START_TIMEOUT = 15.0
TGTD_STOP_TIMEOUT = 10.0
TGTADM_TIMEOUT = 60.0
_MAX_CONTROL_PORTS = 50
_SUN_PATH_MAX = 107


class TgtDaemon(object):
    """The simulator's own tgtd: its process and tgtadm.

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
        self.serving = []
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
            self.serving = list(portals)
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

    def serve_only(self, portals):
        """Listen on ``portals`` only, of those tgtd was started with.

        A portal of the start set not in ``portals`` is deleted from
        tgtd (it refuses connections: new logins fail there; sessions
        already made through it are not ended); one given again is
        created anew. Portals outside the start set are ignored.
        """
        wanted = {_portal_key(p) for p in portals}
        with self._lock:
            self.serving = [p for p in self.portals
                            if _portal_key(p) in wanted]
            if not self.started:
                return
            listening = self._listening()
            for portal in self.portals:
                key = _portal_key(portal)
                if key in wanted and key not in listening:
                    self._run(['--op', 'new', '--mode', 'portal',
                               '--param', 'portal=%s' % portal])
                elif key not in wanted and key in listening:
                    self._run(['--op', 'delete', '--mode', 'portal',
                               '--param', 'portal=%s' % portal])

    def drop_sessions(self, tid):
        """End every session of tgt target ``tid``."""
        with self._lock:
            self._drop_sessions(tid)

    def _listening(self):
        _rc, out, _err = self._run(['--op', 'show', '--mode', 'portal'])
        listening = set()
        for line in out.splitlines():
            match = re.match(r'^\s*Portal:\s*(\S+),\d+\s*$', line)
            if match:
                listening.add(_portal_key(match.group(1)))
        return listening

    def _check_portals(self):
        listening = self._listening()
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
