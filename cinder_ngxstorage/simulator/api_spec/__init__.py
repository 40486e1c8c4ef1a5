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
"""The 60 operations of the NGXStorage REST API v2.4.1 as a table.

This package is the single source of the simulator's request validation
and of the contract tests: every operation has an id (also its permission
id), the method and path as documented, and the constraints of its path,
query and body parameters, taken from the reference's Details column and
from the project's reading of it (``API-NOTES.md``). Its parts:

==============  ============================================================
``params``      :class:`Param`, :class:`Operation`, :class:`ValidationError`
                and the formats (names, ids, IQNs, CHAP, cron, time bounds).
``operations``  The table: :data:`OPERATIONS`, :func:`get`.
``validation``  :func:`validate` (a raw HTTP request), :func:`check_params`
                (a direct caller's params), :func:`decode_body`.
``openapi``     :func:`render_openapi`, :func:`param_schema`.
==============  ============================================================

The names are importable from ``api_spec`` itself, as before the split.
"""

from cinder_ngxstorage.simulator.api_spec.openapi import param_schema  # noqa
from cinder_ngxstorage.simulator.api_spec.openapi import render_openapi  # noqa
from cinder_ngxstorage.simulator.api_spec.operations import BY_ID  # noqa
from cinder_ngxstorage.simulator.api_spec.operations import get  # noqa
from cinder_ngxstorage.simulator.api_spec.operations import OPERATIONS  # noqa
from cinder_ngxstorage.simulator.api_spec.params import AG_NAME  # noqa
from cinder_ngxstorage.simulator.api_spec.params import ANY_1_40  # noqa
from cinder_ngxstorage.simulator.api_spec.params import API_PREFIX  # noqa
from cinder_ngxstorage.simulator.api_spec.params import CHAP_SECRET  # noqa
from cinder_ngxstorage.simulator.api_spec.params import CHAP_USER  # noqa
from cinder_ngxstorage.simulator.api_spec.params import CRON  # noqa
from cinder_ngxstorage.simulator.api_spec.params import cron_is_valid  # noqa
from cinder_ngxstorage.simulator.api_spec.params import HEX_1_40  # noqa
from cinder_ngxstorage.simulator.api_spec.params import HEX_5_40  # noqa
from cinder_ngxstorage.simulator.api_spec.params import IQN  # noqa
from cinder_ngxstorage.simulator.api_spec.params import IQN_ALIAS  # noqa
from cinder_ngxstorage.simulator.api_spec.params import LUN_NAME  # noqa
from cinder_ngxstorage.simulator.api_spec.params import MAX_BODY_BYTES  # noqa
from cinder_ngxstorage.simulator.api_spec.params import MAX_QUANTITY  # noqa
from cinder_ngxstorage.simulator.api_spec.params import ON_OFF  # noqa
from cinder_ngxstorage.simulator.api_spec.params import Operation  # noqa
from cinder_ngxstorage.simulator.api_spec.params import OWNER  # noqa
from cinder_ngxstorage.simulator.api_spec.params import Param  # noqa
from cinder_ngxstorage.simulator.api_spec.params import POOL_NAME  # noqa
from cinder_ngxstorage.simulator.api_spec.params import SEGMENT  # noqa
from cinder_ngxstorage.simulator.api_spec.params import SNAP_NAME  # noqa
from cinder_ngxstorage.simulator.api_spec.params import TIME_BOUND  # noqa
from cinder_ngxstorage.simulator.api_spec.params import ValidationError  # noqa
from cinder_ngxstorage.simulator.api_spec.validation import check_params  # noqa
from cinder_ngxstorage.simulator.api_spec.validation import decode_body  # noqa
from cinder_ngxstorage.simulator.api_spec.validation import validate  # noqa
