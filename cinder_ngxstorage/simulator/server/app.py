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

"""The simulator's WSGI application: routing, the API and admin paths.

:class:`SimulatorApp` is the WSGI application.  For every request under
``/api/v2`` it applies, in this order: the configured latency, ``before``
faults, the API key (401), routing (404 / 405, :class:`Router`), the
endpoint permission (403), validation against :mod:`api_spec` (400), then
runs the operation (``state.perform(op_id, ctx, params)``), whose
:class:`ApiError` carries the status the state's reading gives a refusal
(strictly: 403 pool scope, 404, 409), and finally ``after`` faults.  Every
such request is written to the :class:`RequestLog`. Answers and failures
are written as the state's reading says (:mod:`.wire`: numbers, booleans,
the failure body).
Paths under ``/_sim/`` are the admin API (header ``X-Sim-Admin``); faults
and latency never apply to them.

A controller failover (``POST /_sim/failover``) ends every API request
in flight at that moment without an answer (the connection is closed, as
when the controller that served the management address dies) and, for
the ``takeover_seconds`` the body may give, answers new ones 503 while
the survivor takes the management address over.
"""

import collections
import hmac
import json
import logging
import threading
import time
import traceback
from urllib import parse

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator import keys as keys_mod
from cinder_ngxstorage.simulator.server import wire
from cinder_ngxstorage.simulator import state as state_mod

LOG = logging.getLogger(__name__)

ADMIN_PREFIX = '/_sim'
ADMIN_HEADER = 'X-Sim-Admin'
REQUEST_LOG_SIZE = 100000

_REASONS = {
    200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
    404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
    413: 'Payload Too Large', 422: 'Unprocessable Entity',
    429: 'Too Many Requests', 500: 'Internal Server Error',
    502: 'Bad Gateway', 503: 'Service Unavailable',
    504: 'Gateway Timeout',
}


class DropConnection(Exception):
    """Raised by the app to make the server close without answering."""


class _Reply(Exception):
    """Internal: answer ``status`` with an error body."""

    def __init__(self, status, message, headers=None):
        super(_Reply, self).__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []


class RawBody(object):
    """An answer body sent as it is (the ``body``/``truncate`` faults)."""

    def __init__(self, data, content_type='application/json'):
        self.data = data
        self.content_type = content_type


def json_response(start_response, status, data, headers=None):
    """Start a JSON response and return the WSGI body iterable.

    ``data`` is encoded as JSON, or sent as it is when a :class:`RawBody`.
    """
    content_type = 'application/json'
    if isinstance(data, RawBody):
        body, content_type = data.data, data.content_type
    else:
        body = json.dumps(data).encode('utf-8')
    reason = _REASONS.get(status, 'Unknown')
    start_response('%d %s' % (status, reason),
                   [('Content-Type', content_type),
                    ('Content-Length', str(len(body)))] + list(headers or []))
    return [body]


def error_body(message):
    """Return the error body the simulator answers with."""
    return {'success': False, 'message': message}


# -- routing -----------------------------------------------------------------

def split_path(path):
    """Split a URL path into segments; one trailing slash is ignored.

    Returns None when the path has an empty segment (``//``).
    """
    if path.endswith('/') and len(path) > 1:
        path = path[:-1]
    segments = path.split('/')[1:]
    if any(s == '' for s in segments):
        return None
    return segments


class Router(object):
    """Map (method, path) to an operation of the table.

    Paths are matched with or without their trailing slash; a static
    segment beats a ``{param}`` (``/auth_group/list`` is the detail list,
    not the detail of a group called "list").
    """

    def __init__(self, operations, prefix=api_spec.API_PREFIX):
        self.prefix = prefix
        self._routes = [(op, op.segments) for op in operations]

    @staticmethod
    def _match(template, segments):
        if len(template) != len(segments):
            return None
        params = {}
        score = []
        for pattern, segment in zip(template, segments):
            if pattern.startswith('{') and pattern.endswith('}'):
                params[pattern[1:-1]] = segment
                score.append(0)
            elif pattern == segment:
                score.append(1)
            else:
                return None
        return tuple(score), params

    def resolve(self, method, path):
        """Return ``(operation, path_params)``.

        Raises ``_Reply`` 404 for an unknown path and 405 (with an
        ``Allow`` header) for a known path with another method.
        """
        segments = split_path(path)
        prefix = self.prefix.strip('/').split('/')
        if segments is None or segments[:len(prefix)] != prefix:
            raise _Reply(404, 'No such endpoint: %s' % path[:200])
        segments = segments[len(prefix):]
        best = None
        allowed = set()
        for op, template in self._routes:
            found = self._match(template, segments)
            if found is None:
                continue
            if op.method != method:
                allowed.add(op.method)
                continue
            if best is None or found[0] > best[0]:
                best = (found[0], op, found[1])
        if best is None:
            if allowed:
                raise _Reply(405, 'Method %s not allowed on %s'
                             % (method, path[:200]),
                             [('Allow', ', '.join(sorted(allowed)))])
            raise _Reply(404, 'No such endpoint: %s' % path[:200])
        return best[1], best[2]


# -- the WSGI application ----------------------------------------------------

class RequestLog(object):
    """Bounded, thread-safe log of API requests."""

    def __init__(self, size=REQUEST_LOG_SIZE):
        self._lock = threading.Lock()
        self._entries = collections.deque(maxlen=size)

    def append(self, entry):
        """Add one entry (a dict)."""
        with self._lock:
            self._entries.append(entry)

    def entries(self):
        """Return a list copy of the entries, oldest first."""
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self):
        """Forget every entry."""
        with self._lock:
            self._entries.clear()


def _read_body(environ):
    """Read the request body from a WSGI environ (at most the limit)."""
    stream = environ.get('wsgi.input')
    if stream is None:
        return b''
    try:
        length = int(environ.get('CONTENT_LENGTH') or 0)
    except ValueError:
        raise _Reply(400, 'Invalid Content-Length header')
    if length > api_spec.MAX_BODY_BYTES:
        raise _Reply(400, 'Request body larger than %d bytes'
                     % api_spec.MAX_BODY_BYTES)
    return stream.read(length) if length > 0 else b''


class SimulatorApp(object):
    """The WSGI application of the simulator (API + admin paths)."""

    def __init__(self, state, keystore, faults, admin_token, latency_ms=0,
                 stop_event=None, request_log=None):
        self.state = state
        self.keys = keystore
        self.faults = faults
        self.admin_token = admin_token
        self.latency = max(0, latency_ms) / 1000.0
        self.stop_event = stop_event or threading.Event()
        self.request_log = request_log or RequestLog()
        self.router = Router(api_spec.OPERATIONS)
        # monotonic time until which the API answers 503 (takeover).
        self._takeover_until = 0.0

    def __call__(self, environ, start_response):
        """Answer one request (WSGI entry point)."""
        path = environ.get('PATH_INFO') or '/'
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + '/'):
            return self._admin(environ, start_response, path)
        return self._api(environ, start_response, path)

    # -- API ---------------------------------------------------------------

    def _sleep(self, seconds):
        if seconds > 0:
            self.stop_event.wait(seconds)

    def _apply_fault(self, rule, entry, reply=None):
        """Act on a firing rule; return the reply to send, or None.

        ``reply`` is the real one (``after`` phase).
        """
        entry['fault'] = rule['id']
        self._sleep(rule['delay'])
        if rule['action'] == 'drop':
            entry['status'] = None
            self.request_log.append(entry)
            raise DropConnection()
        if rule['action'] == 'status':
            return rule['status'], error_body(rule['message']), []
        if rule['action'] == 'body':
            return rule['status'], RawBody(rule['body'].encode('utf-8'),
                                           rule['content_type']), []
        if rule['action'] == 'truncate':
            status, data, headers = reply or (
                rule['status'], error_body(rule['message']), [])
            raw = (data.data if isinstance(data, RawBody)
                   else json.dumps(data).encode('utf-8'))
            return status, RawBody(raw[:len(raw) // 2]), headers
        return None

    def _cut_by_failover(self, epoch, entry):
        """Drop the request when a failover happened since ``epoch``."""
        if self.state.failover_epoch != epoch:
            entry['status'] = None
            entry['fault'] = 'failover'
            self.request_log.append(entry)
            raise DropConnection()

    def _api(self, environ, start_response, path):
        method = environ.get('REQUEST_METHOD', 'GET').upper()
        entry = {'method': method, 'path': path,
                 'query': environ.get('QUERY_STRING', ''), 'op_id': None,
                 'status': None, 'time': time.time(), 'fault': None,
                 'key': None}
        epoch = self.state.failover_epoch
        try:
            # Label the entry even when a fault answers before routing.
            entry['op_id'] = self.router.resolve(method, path)[0].op_id
        except _Reply:
            pass
        self._sleep(self.latency)
        reply = None
        rule = self.faults.match(method, path, 'before')
        if rule is not None:
            reply = self._apply_fault(rule, entry)
        if reply is None and time.monotonic() < self._takeover_until:
            entry['fault'] = 'takeover'
            reply = 503, self._failure('Controller takeover in progress: '
                                       'retry later'), [('Retry-After', '1')]
        if reply is None:
            self._cut_by_failover(epoch, entry)
            reply = self._handle(environ, method, path, entry, epoch)
            self._cut_by_failover(epoch, entry)
            rule = self.faults.match(method, path, 'after')
            if rule is not None:
                reply = self._apply_fault(rule, entry, reply) or reply
        status, data, headers = reply
        entry['status'] = status
        self.request_log.append(entry)
        return json_response(start_response, status, data, headers)

    def _handle(self, environ, method, path, entry, epoch=None):
        """Authenticate, route, validate and dispatch one API request."""
        try:
            body = _read_body(environ)
            if not path.startswith(api_spec.API_PREFIX + '/'):
                raise _Reply(404, 'No such endpoint: %s' % path[:200])
            try:
                key = self.keys.authenticate(
                    environ.get('HTTP_AUTHORIZATION'))
            except keys_mod.AuthError as e:
                raise _Reply(e.status, e.message,
                             [('WWW-Authenticate',
                               'Bearer realm="ngxstorage"')])
            entry['key'] = key.name
            op, path_params = self.router.resolve(method, path)
            entry['op_id'] = op.op_id
            try:
                self.keys.authorize(key, op.permission)
            except keys_mod.AuthError as e:
                raise _Reply(e.status, e.message)
            query = parse.parse_qsl(environ.get('QUERY_STRING', ''),
                                    keep_blank_values=True)
            try:
                params = api_spec.validate(op, path_params, query, body)
            except api_spec.ValidationError as e:
                raise _Reply(self.state.reading.statuses['malformed'],
                             e.message)
            ctx = state_mod.RequestContext(
                key_name=key.name, pools=key.pools,
                remote_addr=environ.get('REMOTE_ADDR', ''),
                user_agent=environ.get('HTTP_USER_AGENT', ''))
            if epoch is not None:
                self._cut_by_failover(epoch, entry)
            try:
                # The state's reading chose the status of a refusal.
                result = self.state.perform(op.op_id, ctx, params)
            except state_mod.ApiError as e:
                raise _Reply(e.status, e.message)
            if result is None:
                result = {}
            return 200, wire.scalars(result, self.state.reading), []
        except _Reply as e:
            return e.status, self._failure(e.message), e.headers
        except DropConnection:
            raise
        except Exception as e:  # noqa: B902 - any bug becomes a 500
            LOG.error('Unexpected error in %s %s: %s', method, path,
                      traceback.format_exc())
            return 500, self._failure('Internal simulator error (%s)'
                                      % type(e).__name__), []

    def _failure(self, message):
        """The body of a failed API request, as the reading writes it."""
        body = wire.failure(message, self.state.reading)
        if isinstance(body, tuple):
            return RawBody(*body)
        return body

    # -- admin -------------------------------------------------------------

    def _admin(self, environ, start_response, path):
        method = environ.get('REQUEST_METHOD', 'GET').upper()
        try:
            body = _read_body(environ)
            given = environ.get('HTTP_X_SIM_ADMIN', '')
            if not given or not hmac.compare_digest(
                    given.encode('utf-8'),
                    self.admin_token.encode('utf-8')):
                raise _Reply(401, 'Admin path: header %s with the admin '
                                  'token required' % ADMIN_HEADER)
            segments = split_path(path)
            if segments is None:
                raise _Reply(404, 'No such admin path')
            data = self._admin_body(body)
            result = self._admin_dispatch(method, segments[1:], data)
            return json_response(start_response, 200, result)
        except _Reply as e:
            return json_response(start_response, e.status,
                                 error_body(e.message), e.headers)
        except state_mod.ApiError as e:
            return json_response(start_response, e.status,
                                 error_body(e.message))
        except KeyError as e:
            return json_response(start_response, 404,
                                 error_body('Not found: %s' % e))
        except (TypeError, ValueError) as e:
            return json_response(start_response, 400, error_body(str(e)))

    def _failover(self, data):
        """``POST /_sim/failover`` {"from"|"to", "takeover_seconds"}."""
        if not data or set(data) - {'from', 'to', 'takeover_seconds'} or (
                'from' not in data and 'to' not in data):
            raise ValueError('body must be {"from": "A" | "B"} or {"to": '
                             '"A" | "B"}, optionally with '
                             '"takeover_seconds": N')
        takeover = data.get('takeover_seconds', 0)
        if isinstance(takeover, bool) or not isinstance(
                takeover, (int, float)) or not 0 <= takeover <= 3600:
            raise ValueError('takeover_seconds must be 0 to 3600')
        result = self.state.failover(failed=data.get('from'),
                                     survivor=data.get('to'))
        self._takeover_until = time.monotonic() + takeover
        return result

    @staticmethod
    def _admin_body(body):
        if not body.strip():
            return {}
        try:
            data = json.loads(body.decode('utf-8'))
        except (UnicodeDecodeError, ValueError):
            raise _Reply(400, 'Admin request body is not valid JSON')
        if not isinstance(data, dict):
            raise _Reply(400, 'Admin request body must be a JSON object')
        return data

    def _admin_dispatch(self, method, segments, data):
        """Run one admin request; ``segments`` follow ``/_sim``."""
        route = (method,) + tuple(segments[:1])
        if route == ('GET', 'faults') and len(segments) == 1:
            return self.faults.rules()
        if route == ('POST', 'faults') and len(segments) == 1:
            return {'id': self.faults.add(**data)}
        if route == ('DELETE', 'faults') and len(segments) == 1:
            self.faults.clear()
            return {}
        if route == ('DELETE', 'faults') and len(segments) == 2:
            try:
                self.faults.remove(int(segments[1]))
            except ValueError:
                raise KeyError('fault rule %s' % segments[1][:40])
            return {}
        if route == ('GET', 'requests') and len(segments) == 1:
            return self.request_log.entries()
        if route == ('DELETE', 'requests') and len(segments) == 1:
            self.request_log.clear()
            return {}
        if route == ('GET', 'state') and len(segments) == 1:
            with self.state.lock:
                return self.state.dump()
        if route == ('GET', 'keys') and len(segments) == 1:
            return [k.to_dict() for k in self.keys.keys()]
        if route == ('POST', 'keys') and len(segments) == 1:
            token = self.keys.add_dict(data)
            return {'name': data['name'], 'token': token}
        if (route == ('POST', 'pools') and len(segments) == 3 and
                segments[2] == 'status'):
            if set(data) != {'status'}:
                raise ValueError('body must be {"status": "ONLINE" | '
                                 '"DEGRADED" | "OFFLINE"}')
            self.state.set_pool_status(segments[1], data['status'])
            return {}
        if route == ('POST', 'failover') and len(segments) == 1:
            return self._failover(data)
        if route == ('POST', 'failback') and len(segments) == 1:
            if set(data) != {'controller'}:
                raise ValueError('body must be {"controller": "A" | "B"}')
            return self.state.failback(data['controller'])
        if route == ('GET', 'controllers') and len(segments) == 1:
            return {'owners': self.state.owners,
                    'failed': self.state.failed_controllers,
                    'serving_portals': self.state.serving_portals,
                    'portal_groups': self.state.portal_groups()}
        if route == ('POST', 'license') and len(segments) == 1:
            self.state.set_license(**data)
            return {}
        if (route == ('POST', 'schedules') and len(segments) == 3 and
                segments[2] == 'run'):
            result = self.state.run_schedule(segments[1])
            return {} if result is None else result
        raise _Reply(404, 'No such admin path: %s /_sim/%s'
                     % (method, '/'.join(segments)[:200]))
