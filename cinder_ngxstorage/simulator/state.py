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

"""The simulated array: :class:`ArrayState`, composed of the model parts.

:class:`ArrayState` holds everything an NGXStorage array knows about its
pools, LUNs, snapshots, iSCSI targets, auth groups, schedules and logs, as
plain Python data, with one method per REST operation of the API
reference v2.4.1 (named after the operation id, ``lun.create`` ->
``lun_create``), each taking a :class:`RequestContext` and a dict of
params and returning the JSON-able response body; a refusal raises
:class:`ApiError` with the status the :class:`Reading` gives it.

The class only composes the parts of :mod:`.model` (one concern each,
see ``doc/source/simulator-model.rst``); this module also keeps the names
its callers import (``ApiError``, ``RequestContext``, the constants).
There is no HTTP here: the HTTP front (``server/``) validates a request
with ``api_spec`` and calls :meth:`ArrayState.perform`.
"""

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import capacity
from cinder_ngxstorage.simulator.model import controllers
from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors
from cinder_ngxstorage.simulator.model import exports
from cinder_ngxstorage.simulator.model import logs
from cinder_ngxstorage.simulator.model import luns
from cinder_ngxstorage.simulator.model import persistence
from cinder_ngxstorage.simulator.model import readings
from cinder_ngxstorage.simulator.model import snapshots
from cinder_ngxstorage.simulator.model import status
from cinder_ngxstorage.simulator.model import views

ApiError = errors.ApiError
RequestContext = base.RequestContext
Reading = readings.Reading
parse_size = base.parse_size
parse_pool_spec = base.parse_pool_spec
parse_portal_group_spec = base.parse_portal_group_spec
DUMP_FORMAT = persistence.DUMP_FORMAT
DEFAULT_PORTAL_NAME = base.DEFAULT_PORTAL_NAME
MAX_QUANTITY = base.MAX_QUANTITY
NEW_LUN_USED = base.NEW_LUN_USED


class ArrayState(dispatch.Dispatcher, luns.Luns, snapshots.Snapshots,
                 exports.Exports, status.Status, logs.Logs, views.Views,
                 capacity.Capacity, controllers.Controllers,
                 persistence.Persistence,
                 base.ModelBase):
    """The simulated array: control-plane state and its 60 operations.

    ``ArrayState(pools, portals=..., service_tag=..., backing=...,
    on_change=..., reading=..., portal_groups=...)``; see
    :class:`~.model.base.ModelBase` for the pool and portal group specs
    and :class:`~.model.readings.Reading` for ``reading`` (the strict
    reading when None).
    """

    # -- whole-array reads for tests and tools (no key scope) --------------

    def luns(self):
        """All LUNs in detail-list shape (test helper, no scope)."""
        return self.lun_detail_list(RequestContext(), {})

    def snapshots(self):
        """All snapshots in detail shape plus ``vol_id`` (test helper)."""
        with self.lock:
            bound = self._bound_snap_ids()
            newest = self._newest_snap_ids()
            result = []
            for snap in sorted(self._snaps.values(), key=lambda s: s['seq']):
                view = self._snap_view(snap, bound, newest)
                view['vol_id'] = snap['vol_id']
                result.append(view)
            return result

    def targets(self):
        """All targets in detail shape (test helper, no scope)."""
        return self.iscsi_target_detail_list(RequestContext(), {})

    def auth_groups(self):
        """All auth groups in detail shape (test helper)."""
        return self.auth_group_detail_list(RequestContext(), {})

    def pools(self):
        """All pools: pool_name, owner, pool_id, size, status."""
        with self.lock:
            return [{'pool_name': p['name'], 'owner': p['owner'],
                     'pool_id': p['id'], 'size': p['size'],
                     'status': p['status']} for p in self._pools.values()]

    def schedules(self):
        """All snapshot schedules in detail shape (test helper)."""
        with self.lock:
            return [self._schedule_view(s) for s in self._schedules.values()]


def _check_complete():
    # Every operation of the table has its method in one of the parts.
    for op in api_spec.OPERATIONS:
        dispatch.implementation(ArrayState, op.op_id)


_check_complete()
