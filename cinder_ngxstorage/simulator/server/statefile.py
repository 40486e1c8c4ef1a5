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

"""The state file: the model saved as JSON after every change.

:func:`write_state_file` writes atomically (temporary file, fsync,
``os.replace``, mode 0600); :func:`read_state_file` reads one back;
:class:`StateFileWriter` is the ``on_change`` callback that saves the
state after each mutating operation (``ngxstorage-simulator
--state-file``).
"""

import json
import logging
import os
import tempfile
import threading

LOG = logging.getLogger(__name__)


def write_state_file(path, data):
    """Write ``data`` as JSON to ``path`` atomically (tmp + os.replace)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path),
                               suffix='.tmp', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(data, f, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_state_file(path):
    """Return the JSON content of a state file."""
    with open(path, encoding='utf-8') as f:
        return json.load(f)


class StateFileWriter(object):
    """``on_change`` callback that saves the state after each mutation."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        self.errors = 0

    def __call__(self, state):
        """Dump ``state`` and write it; a failure is logged, not raised."""
        with state.lock:
            data = state.dump()
            with self._lock:
                try:
                    write_state_file(self.path, data)
                except (OSError, TypeError, ValueError) as e:
                    self.errors += 1
                    LOG.error('Cannot write state file %s: %s',
                              self.path, e)
