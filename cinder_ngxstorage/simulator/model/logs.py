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

"""Logs: the alert, audit and system event logs and their queries.

:class:`Logs` appends entries (at most ``LOG_RETENTION`` per log, oldest
dropped) and answers the three ``log.*`` operations: filter by time, type
or field, sort, page. ``api_spec`` has validated the query (sort fields,
order, limit, page, the forms of a time bound); here only the parsing of
the time bounds remains. Audit entries are written by the operation
layer (:mod:`.dispatch`), one per successful mutating call.
"""

import time
import uuid

from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors

# Query names of the audit log's fields that the entries spell otherwise.
_FIELD_OF = {'host': 'rhost', 'time': 'ts'}
_TIME_FORMATS = (
    ('%Y-%m-%d %H:%M:%S', 0), ('%Y-%m-%dT%H:%M:%S', 0),
    ('%m/%d/%Y %H:%M:%S', 0),
    ('%Y-%m-%d %H:%M', 59), ('%Y-%m-%dT%H:%M', 59),
    ('%Y-%m-%d', 86399), ('%m/%d/%Y', 86399))


def parse_time_bound(text, end):
    """Return the epoch of a ``filter[time][]`` bound.

    An end bound given to the day (or minute) includes that whole day (or
    minute). :class:`~.errors.Invalid` for a date that does not exist.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    value = str(text).strip()
    if value.isdigit():
        return float(value)
    for fmt, span in _TIME_FORMATS:
        try:
            parsed = time.strptime(value, fmt)
        except ValueError:
            continue
        stamp = time.mktime(parsed)
        return stamp + span if end else stamp
    raise errors.Invalid('invalid time filter %r' % (text,))


class Logs(object):
    """The three logs (see the module docstring)."""

    def _add_log(self, kind, **fields):
        self._counters[kind] += 1
        entry = {'id': self._counters[kind], 'ts': time.time()}
        entry.update(fields)
        entries = self._logs[kind]
        entries.append(entry)
        if len(entries) > base.LOG_RETENTION:
            del entries[:len(entries) - base.LOG_RETENTION]
        return entry

    def _add_alert(self, level, description):
        return self._add_log('alert', type=level, description=description,
                             event_id=str(uuid.uuid4()))

    def _audit(self, ctx, description):
        return self._add_log('audit', user=ctx.key_name,
                             rhost=ctx.remote_addr,
                             agent=ctx.user_agent or '',
                             description=description)

    def _query_log(self, kind, params, exact=(), contains=()):
        entries = list(self._logs[kind])
        time_range = params.get('time_range')
        if time_range is not None:
            start = parse_time_bound(time_range[0], end=False)
            end = parse_time_bound(time_range[1], end=True)
            entries = [e for e in entries if start <= int(e['ts']) <= end]
        types = params.get('types')
        if types is not None:
            wanted = {value.upper() for value in types}
            entries = [e for e in entries if e['type'] in wanted]
        for name, field in exact:
            value = params.get(name)
            if value is not None:
                entries = [e for e in entries if e[field] == value]
        for name in contains:
            value = params.get(name)
            if value is not None:
                needle = str(value).lower()
                entries = [e for e in entries
                           if needle in str(e[name]).lower()]
        fields = [_FIELD_OF.get(name, name)
                  for name in params.get('sort') or ['id']]
        entries.sort(key=lambda e: tuple(e[f] for f in fields) + (e['id'],),
                     reverse=(params.get('order') == 'desc'))
        limit = params.get('limit')
        page = params.get('page')
        if limit:
            first = ((page or 1) - 1) * limit
            entries = entries[first:first + limit]
        elif page and page > 1:
            entries = []
        return [self._render_log(kind, e) for e in entries]

    @dispatch.operation('log.alert')
    def log_alert(self, ctx, params):
        """Alert log, filtered by type and time, sorted and paged."""
        return self._query_log('alert', params)

    @dispatch.operation('log.audit')
    def log_audit(self, ctx, params):
        """Audit log: one entry per successful mutating call."""
        return self._query_log(
            'audit', params, exact=(('user', 'user'), ('host', 'rhost')),
            contains=('agent', 'description'))

    @dispatch.operation('log.system_event')
    def log_system_event(self, ctx, params):
        """Hardware/system event log."""
        return self._query_log('system_event', params,
                               contains=('function', 'action', 'sensor'))
