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

"""The simulator's HTTP front.

==============  ============================================================
``app``         :class:`SimulatorApp`, the WSGI application: latency and
                faults, API keys, routing (:class:`Router`), validation
                with :mod:`api_spec`, ``state.perform``, the admin API
                under ``/_sim/``, the :class:`RequestLog`.
``httpd``       :class:`SimulatorServer`: werkzeug's threaded server with
                our request handler (keep-alive, complete body reads,
                dropped connections, TLS handshake per connection);
                :func:`make_tls_context`, :func:`bind_socket`.
``statefile``   The state file: :func:`write_state_file`,
                :func:`read_state_file`, :class:`StateFileWriter`.
``wire``        Numbers, booleans and failure bodies as the state's
                reading writes them on the wire.
==============  ============================================================

The names are importable from ``server`` itself, as before the split.
"""

from cinder_ngxstorage.simulator.server.app import ADMIN_HEADER  # noqa
from cinder_ngxstorage.simulator.server.app import ADMIN_PREFIX  # noqa
from cinder_ngxstorage.simulator.server.app import DropConnection  # noqa
from cinder_ngxstorage.simulator.server.app import error_body  # noqa
from cinder_ngxstorage.simulator.server.app import json_response  # noqa
from cinder_ngxstorage.simulator.server.app import RawBody  # noqa
from cinder_ngxstorage.simulator.server.app import REQUEST_LOG_SIZE  # noqa
from cinder_ngxstorage.simulator.server.app import RequestLog  # noqa
from cinder_ngxstorage.simulator.server.app import Router  # noqa
from cinder_ngxstorage.simulator.server.app import SimulatorApp  # noqa
from cinder_ngxstorage.simulator.server.app import split_path  # noqa
from cinder_ngxstorage.simulator.server.httpd import bind_socket  # noqa
from cinder_ngxstorage.simulator.server.httpd import HANDSHAKE_TIMEOUT  # noqa
from cinder_ngxstorage.simulator.server.httpd import IDLE_TIMEOUT  # noqa
from cinder_ngxstorage.simulator.server.httpd import make_tls_context  # noqa
from cinder_ngxstorage.simulator.server.httpd import SimulatorServer  # noqa
from cinder_ngxstorage.simulator.server.statefile import read_state_file  # noqa
from cinder_ngxstorage.simulator.server.statefile import StateFileWriter  # noqa
from cinder_ngxstorage.simulator.server.statefile import write_state_file  # noqa
