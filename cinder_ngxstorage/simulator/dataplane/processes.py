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

"""Process and port helpers of the data plane.

Whether tgtd is installed (:func:`tgt_missing`), a child that dies with
its parent (:func:`_pdeathsig_setter`), whether a pid lives and what it
runs (:func:`_pid_alive`, :func:`_cmdline`), portals and free ports
(:func:`resolve_free_ports`), a command line with its password masked
(:func:`_mask_command`).
"""

import ctypes
import os
import shutil
import signal
import socket

from cinder_ngxstorage.simulator.dataplane.errors import DataPlaneError

_PR_SET_PDEATHSIG = 1


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


def _mask_command(args):
    """tgtadm arguments as text, with any password masked."""
    shown = []
    hide = False
    for arg in args:
        shown.append('***' if hide else arg)
        hide = arg in ('--password', '-p')
    return ' '.join(shown)
