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

"""Persistence: the whole model as a JSON-able dict, and back.

:meth:`Persistence.dump` copies the records (ids included) and
:meth:`Persistence.load` rebuilds a state from them, with the derived
indexes recomputed and the set of used ids restored so that none is ever
reused. The reading, backing and ``on_change`` are configuration, given
again to ``load``, never dumped.
"""

import copy

#: Version of the :meth:`Persistence.dump` format.
DUMP_FORMAT = 1


class Persistence(object):
    """Dump and load (see the module docstring)."""

    def dump(self):
        """Return the whole state as a JSON-able dict (ids included)."""
        with self.lock:
            return copy.deepcopy({
                'format': DUMP_FORMAT,
                'service_tag': self._service_tag,
                'owners': self._owners,
                'portal_groups': list(self._portal_groups.values()),
                'failed_controllers': self._failed,
                'moved_by_failover': self._moved,
                'pools': list(self._pools.values()),
                'luns': list(self._luns.values()),
                'snapshots': list(self._snaps.values()),
                'targets': list(self._targets.values()),
                'auth_groups': list(self._groups.values()),
                'schedules': list(self._schedules.values()),
                'license': self._license,
                'logs': self._logs,
                'counters': self._counters,
            })

    @classmethod
    def load(cls, data, backing=None, on_change=None, reading=None):
        """Rebuild a state from :meth:`dump` output (ValueError if bad)."""
        if not isinstance(data, dict) or data.get('format') != DUMP_FORMAT:
            raise ValueError('not a simulator state dump (format %d)'
                             % DUMP_FORMAT)
        data = copy.deepcopy(data)
        state = cls.__new__(cls)
        state._init_runtime(backing, on_change, reading)
        try:
            state._service_tag = data['service_tag']
            state._owners = list(data['owners'])
            if 'portal_groups' in data:
                groups = data['portal_groups']
            else:
                # A dump from before several portal groups.
                groups = [data['portal_group']]
            state._portal_groups = {g['id']: g for g in groups}
            state._failed = list(data.get('failed_controllers') or [])
            state._moved = dict(data.get('moved_by_failover') or {})
            state._pools = {p['name']: p for p in data['pools']}
            state._luns = {lun['vol_id']: lun for lun in data['luns']}
            state._snaps = {s['snap_id']: s for s in data['snapshots']}
            state._targets = {t['id']: t for t in data['targets']}
            state._groups = {g['id']: g for g in data['auth_groups']}
            state._schedules = {s['vol_id']: s for s in data['schedules']}
            state._license = data['license']
            state._logs = {k: list(data['logs'][k])
                           for k in ('alert', 'audit', 'system_event')}
            state._counters = data['counters']
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError('corrupt simulator state dump: %s: %s'
                             % (type(exc).__name__, exc))
        ids = set(state._portal_groups)
        ids.update(p['id'] for p in state._pools.values())
        ids.update(state._luns)
        ids.update(state._snaps)
        ids.update(state._targets)
        ids.update(state._groups)
        ids.update(s['id'] for s in state._schedules.values())
        for group in state._groups.values():
            ids.update(i['id'] for i in group['initiators'])
        state._ids = ids
        state._reindex()
        return state
