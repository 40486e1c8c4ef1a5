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

"""A real iSCSI initiator for tests: qemu-io, qemu-img and libiscsi tools.

Every function takes ``connection_data`` (the ``data`` of the
connection_info the driver returned) and the initiator IQN of the
connector, and logs in exactly as that initiator would: portal, target
IQN, LUN and CHAP credentials come from the connection data only.

Command lines carry the CHAP secret (qemu and libiscsi take it no other
way); this module never puts a command line into its results or errors.
"""

import os
import re
import select
import shutil
import subprocess
import time

QEMU_IO = 'qemu-io'
QEMU_IMG = 'qemu-img'
READCAPACITY = 'iscsi-readcapacity16'
TIMEOUT = 120

#: Tools the data path tests need, with the Debian package of each.
TOOLS = {'tgtd': 'tgt', 'tgtadm': 'tgt', QEMU_IO: 'qemu-utils',
         QEMU_IMG: 'qemu-utils', READCAPACITY: 'libiscsi-bin'}


def missing_tools():
    """Sentences naming what is missing to run the data path tests."""
    missing = ['%s (Debian package %s)' % (tool, package)
               for tool, package in sorted(TOOLS.items())
               if shutil.which(tool) is None]
    if not missing and not _qemu_has_iscsi():
        missing.append('the iscsi block driver of qemu (Debian package '
                       'qemu-block-extra)')
    return missing


def _qemu_has_iscsi():
    try:
        result = subprocess.run([QEMU_IMG, '--help'], capture_output=True,
                                text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    match = re.search(r'Supported formats:(.*)', result.stdout)
    return bool(match) and 'iscsi' in match.group(1).split()


def path(connection_data, portal_index=0):
    """(portal, target IQN, LUN) of one path of the connection."""
    data = connection_data
    portals = data.get('target_portals') or [data['target_portal']]
    iqns = data.get('target_iqns') or [data['target_iqn']] * len(portals)
    luns = data.get('target_luns') or [data['target_lun']] * len(portals)
    return (portals[portal_index], iqns[portal_index],
            int(luns[portal_index]))


def _credentials(connection_data):
    if connection_data.get('auth_method') == 'CHAP':
        return (connection_data['auth_username'],
                connection_data['auth_password'])
    return None


def _opt(value):
    # qemu's option syntax: a comma inside a value is written twice.
    return str(value).replace(',', ',,')


def image_opts(connection_data, initiator_iqn, portal_index=0):
    """qemu ``--image-opts`` text logging in as initiator_iqn."""
    portal, target, lun = path(connection_data, portal_index)
    opts = ['driver=iscsi', 'transport=tcp', 'portal=%s' % _opt(portal),
            'target=%s' % _opt(target), 'lun=%d' % lun]
    creds = _credentials(connection_data)
    if creds:
        opts += ['user=%s' % _opt(creds[0]), 'password=%s' % _opt(creds[1])]
    opts.append('initiator-name=%s' % _opt(initiator_iqn))
    return ','.join(opts)


def _run(argv, stdin=None):
    try:
        result = subprocess.run(argv, input=stdin, capture_output=True,
                                text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        return 124, 'timed out after %ss: %s' % (exc.timeout, exc.output)
    return result.returncode, result.stdout + result.stderr


def qemu_io(connection_data, initiator_iqn, *commands, portal_index=0):
    """Run qemu-io commands on the volume; returns (rc, output).

    E.g. ``qemu_io(data, iqn, 'write -P 0x5a 0 1M', 'read -P 0x5a 0 1M')``.
    A ``read -P`` that does not match prints "Pattern verification
    failed"; a refused login makes rc non-zero with libiscsi's reason.
    """
    argv = [QEMU_IO, '--image-opts',
            image_opts(connection_data, initiator_iqn, portal_index)]
    for command in commands:
        argv += ['-c', command]
    return _run(argv)


def write_file(connection_data, initiator_iqn, source, offset=0,
               portal_index=0):
    """Write a local file's bytes to the volume at offset; (rc, output)."""
    size = os.path.getsize(source)
    return qemu_io(connection_data, initiator_iqn,
                   'write -s %s %d %d' % (source, offset, size),
                   portal_index=portal_index)


def read_to_file(connection_data, initiator_iqn, target_file, length,
                 portal_index=0, block=1 << 20):
    """Copy the volume's first length bytes into a local file.

    qemu-img dd, so the bytes travel through the iSCSI login. length is
    a multiple of block. Returns (rc, output).
    """
    if length % block:
        raise ValueError('length must be a multiple of %d' % block)
    opts = image_opts(connection_data, initiator_iqn, portal_index)
    return _run([QEMU_IMG, 'dd', '--image-opts', '-O', 'raw',
                 'bs=%d' % block, 'count=%d' % (length // block),
                 'if=%s' % opts, 'of=%s' % target_file])


def _iscsi_url(connection_data, portal_index=0, lun=True):
    portal, target, number = path(connection_data, portal_index)
    creds = _credentials(connection_data)
    auth = ''
    if creds:
        # libiscsi's URL syntax: '%' between user and secret.
        auth = '%s%%%s@' % creds
    url = 'iscsi://%s%s/%s' % (auth, portal, target)
    if lun:
        url += '/%d' % number
    return url


def read_capacity(connection_data, initiator_iqn, portal_index=0):
    """The LUN's size in bytes by a fresh login (iscsi-readcapacity16).

    Returns (rc, size or None, output).
    """
    rc, output = _run([READCAPACITY, '-i', initiator_iqn,
                       _iscsi_url(connection_data, portal_index)])
    match = re.search(r'Total size:\s*(\d+)', output)
    return rc, int(match.group(1)) if match and rc == 0 else None, output


class QemuIoSession(object):
    """One qemu-io process kept logged in, fed commands one at a time.

    Used to show what an initiator sees on a session that stays open
    (e.g. across an extend). Use as a context manager.
    """

    PROMPT = b'qemu-io> '

    def __init__(self, connection_data, initiator_iqn, portal_index=0):
        self._proc = subprocess.Popen(
            [QEMU_IO, '--image-opts',
             image_opts(connection_data, initiator_iqn, portal_index)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, bufsize=0)
        self._pending = b''
        # qemu-io prints its prompt once it has opened the image.
        self.opening = self._until_prompt()

    def _until_prompt(self, timeout=TIMEOUT):
        # qemu-io reads one command at a time and prints the prompt
        # (without a newline) before waiting for the next: read until it.
        deadline = time.monotonic() + timeout
        fd = self._proc.stdout.fileno()
        data = self._pending
        while not data.endswith(self.PROMPT):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError('qemu-io gave no prompt in %ss: %r'
                                   % (timeout, data[-300:]))
            ready, _w, _x = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self._pending = b''
                return data.decode('utf-8', 'replace')
            data += chunk
        self._pending = b''
        return data[:-len(self.PROMPT)].decode('utf-8', 'replace')

    def run(self, command):
        """Send one command; return its output (up to the next prompt)."""
        self._proc.stdin.write(command.encode() + b'\n')
        self._proc.stdin.flush()
        return self._until_prompt()

    def kill(self):
        """End qemu-io at once (e.g. while libiscsi retries a login)."""
        if self._proc.poll() is None:
            self._proc.kill()
        return self._proc.wait()

    def close(self):
        """Quit qemu-io (killing it if it does not quit); return rc."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.write(b'quit\n')
                self._proc.stdin.close()
                return self._proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
        return self._proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_value, tb):
        self.close()
