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

"""HTTP client for the NGXStorage REST API v2.4.1.

:class:`NGXStorageClient` has one method per documented operation (60),
named after the operation, sending the documented method and path.  It
knows HTTP and the API; it knows nothing of Cinder.

Everything that touches the wire goes through one private method,
:meth:`NGXStorageClient._request`, which sends, times and logs the call,
bounds and decodes the answer, maps failures to the typed exceptions of
:mod:`cinder_ngxstorage.exception` and retries only where that is safe:

* GET and DELETE are retried on transient failures (5xx, connection
  failures, timeouts).  A DELETE answered 404 after an earlier attempt may
  have reached the array is taken as done by that attempt.
* Any method is retried when the connection could not be established
  (refused, connect timeout): nothing reached the array.
* POST, PUT and PATCH are never sent again once they may have reached the
  array (read timeout, reset, 5xx): creating twice is worse than failing.
* 4xx answers and TLS verification failures are never retried.

The API key is sent as ``Authorization: Bearer <key>`` by a requests auth
object; it is never logged, never in an error message, never in a repr.

Methods return the decoded JSON as the array sent it;
:mod:`cinder_ngxstorage.records` turns it into typed records. Tests and
benchmarks that count calls give the client an ``on_request`` hook
(:class:`CallCounter`); by default there is none.
"""

import collections
import json
import logging
import os
import re
import threading
import time
import urllib.parse

import requests
from requests import adapters
from requests import auth
from urllib3 import exceptions as urllib3_exc

from cinder_ngxstorage import exception
from cinder_ngxstorage import redaction

LOG = logging.getLogger(__name__)

API_PREFIX = '/api/v2'

# Largest response body the client reads; an array answer is far smaller.
MAX_BODY_BYTES = 8 * 1024 * 1024

# Longest excerpt of a response body put in a log line or error message.
_LOG_BODY_CHARS = 2048
_MESSAGE_CHARS = 300

# Longest wait between two attempts, whatever the backoff factor.
_MAX_BACKOFF = 30.0

# Methods that may be sent again after they may have reached the array.
_IDEMPOTENT_METHODS = frozenset(['GET', 'HEAD', 'DELETE'])

# Client method -> operation id of the simulator's api_spec and of API key
# permissions (one entry per documented operation).
OPERATION_IDS = {
    'create_auth_group': 'auth_group.create',
    'delete_auth_group': 'auth_group.delete',
    'rename_auth_group': 'auth_group.rename',
    'set_auth_group_chap': 'auth_group.chap_set',
    'delete_auth_group_chap': 'auth_group.chap_delete',
    'add_auth_group_iqn': 'auth_group.iqn_add',
    'delete_auth_group_iqn': 'auth_group.iqn_delete',
    'get_auth_group': 'auth_group.detail',
    'list_auth_groups_detail': 'auth_group.detail_list',
    'list_auth_groups': 'auth_group.list',
    'create_target': 'iscsi_target.create',
    'delete_target': 'iscsi_target.delete',
    'rename_target': 'iscsi_target.rename',
    'change_target_portal_group': 'iscsi_target.portal_group',
    'change_target_auth_group': 'iscsi_target.auth_group',
    'add_target_luns': 'iscsi_target.lun_add',
    'remove_target_luns': 'iscsi_target.lun_remove',
    'get_target': 'iscsi_target.detail',
    'list_targets_detail': 'iscsi_target.detail_list',
    'list_targets': 'iscsi_target.list',
    'list_alert_logs': 'log.alert',
    'list_audit_logs': 'log.audit',
    'list_system_events': 'log.system_event',
    'create_lun': 'lun.create',
    'delete_lun': 'lun.delete',
    'modify_lun': 'lun.modify',
    'get_lun': 'lun.detail',
    'list_luns_detail': 'lun.detail_list',
    'list_luns': 'lun.list',
    'get_pool': 'pool.detail',
    'list_pools_detail': 'pool.detail_list',
    'list_pools': 'pool.list',
    'get_pools_overview': 'pool.overview',
    'get_portal_group': 'portal_group.detail',
    'list_portal_groups_detail': 'portal_group.detail_list',
    'list_portal_groups': 'portal_group.list',
    'create_snapshot': 'snapshot.create',
    'delete_snapshot': 'snapshot.delete',
    'delete_all_snapshots': 'snapshot.delete_all',
    'clone_snapshot': 'snapshot.clone',
    'restore_snapshot': 'snapshot.restore',
    'get_snapshot_schedule': 'snapshot.schedule_detail',
    'create_snapshot_schedule': 'snapshot.schedule_create',
    'delete_snapshot_schedule': 'snapshot.schedule_delete',
    'get_snapshot': 'snapshot.detail',
    'list_snapshots_detail': 'snapshot.detail_list',
    'list_snapshots': 'snapshot.list',
    'get_bandwidth': 'status.bandwidth',
    'get_cache': 'status.cache',
    'get_capacity': 'status.capacity',
    'get_cluster': 'status.cluster',
    'get_cpu': 'status.cpu',
    'get_enclosures': 'status.enclosures',
    'get_iops': 'status.iops',
    'get_license': 'status.license',
    'get_overloaded_volumes': 'status.overloaded_volumes',
    'get_pool_status': 'status.pools',
    'get_services': 'status.services',
    'get_system_info': 'status.system_info',
    'get_network_info': 'network.info',
}

_LUN_CREATE_PROPERTIES = frozenset([
    'sing', 'blocksize', 'deduplication', 'compression', 'thin_provision',
    'io_type', 'qos_priority', 'flash_cache', 'dram_cache', 'quantity'])

_LUN_MODIFY_PROPERTIES = frozenset([
    'size', 'sing', 'deduplication', 'compression', 'thin_provision',
    'io_type', 'qos_priority', 'flash_cache', 'dram_cache'])

_STATUS_ERRORS = {
    400: exception.ValidationFailed,
    401: exception.AuthenticationFailed,
    403: exception.PermissionDenied,
    404: exception.NotFound,
    409: exception.Conflict,
    422: exception.ValidationFailed,
}

_HTML_TAG_RE = re.compile(r'<[^>]*>')
_SPACES_RE = re.compile(r'\s+')


class _BearerAuth(auth.AuthBase):
    """Adds the API key; being an auth object it also keeps ~/.netrc out."""

    def __init__(self, token):
        self._token = token

    def __call__(self, request):
        request.headers['Authorization'] = 'Bearer %s' % self._token
        return request

    def __repr__(self):
        return '<_BearerAuth ***>'


def _path_param(value, name):
    """Escape one path parameter; refuse values that change the path."""
    if value is None or isinstance(value, bool):
        raise ValueError('%s must be a non-empty string, got %r'
                         % (name, value))
    text = str(value)
    if not text or text in ('.', '..'):
        raise ValueError('%s must be a non-empty string, got %r'
                         % (name, value))
    return urllib.parse.quote(text, safe='')


def _encode_query(query):
    """Encode (name, value) pairs, repeated names kept in order.

    ``filter[type][]=info&filter[type][]=error`` as the reference writes
    it goes on the wire percent-encoded (``filter%5Btype%5D%5B%5D=info``):
    requests/urllib3 encode brackets in a query whatever is given, and the
    two forms are the same query to any server.
    """
    parts = []
    for name, value in query:
        parts.append('%s=%s' % (urllib.parse.quote(name, safe=''),
                                urllib.parse.quote(str(value), safe='')))
    return '&'.join(parts)


def _as_list(value, name):
    if isinstance(value, str):
        return [value]
    try:
        return list(value)
    except TypeError:
        raise ValueError('%s must be a string or a list of strings, got %r'
                         % (name, value))


def _is_false(value):
    """True for the ways the array may say ``success: false``."""
    if value is False:
        return True
    if isinstance(value, str):
        return value.strip().lower() in ('false', '0', 'no')
    if isinstance(value, int) and not isinstance(value, bool):
        return value == 0
    return False


def _answers_failure(data):
    """Whether a 200 answer (a JSON object) says the request failed.

    ``success`` false (in any spelling), or, without any ``success``, a
    non-empty ``error`` or ``errors``: an array that reports failures in
    another field than ``success`` must not be read as having succeeded.
    """
    if 'success' in data:
        return _is_false(data['success'])
    return bool(data.get('error') or data.get('errors'))


def _text_excerpt(raw, limit=_MESSAGE_CHARS):
    """A short readable excerpt of a non-JSON body (HTML tags removed)."""
    text = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else raw
    text = _SPACES_RE.sub(' ', _HTML_TAG_RE.sub(' ', text)).strip()
    if len(text) > limit:
        text = text[:limit] + '...'
    return text


# Where an array may put its words in an error body, most specific first
# (the reference documents no error body: API-NOTES 3).
_MESSAGE_KEYS = ('message', 'error', 'errors', 'msg', 'detail', 'details',
                 'reason', 'error_message', 'description', 'warning')


def _words(value):
    """Text of a message field: a string, a list of them, or an object."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (list, tuple)):
        return '; '.join(filter(None, (_words(item) for item in value)))
    if isinstance(value, dict):
        found = _array_message(value, whole=False)
        return found or json.dumps(redaction.mask_data(value))
    if value is None or isinstance(value, bool):
        return ''
    return str(value)


def _array_message(data, whole=True):
    """The array's own words from a decoded error body, if any.

    The words may sit in any of _MESSAGE_KEYS, as a string, a list
    (``"errors": ["..."]``) or an object (``"error": {"message": ...}``).
    Without any, the whole (masked) body, so nothing is lost.
    """
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if value:
                text = _words(value)
                if text:
                    return text[:_MESSAGE_CHARS]
        if not whole:
            return None
        return json.dumps(redaction.mask_data(data))[:_MESSAGE_CHARS]
    if isinstance(data, (list, tuple)) and data:
        return _words(data)[:_MESSAGE_CHARS] or None
    if isinstance(data, str) and data:
        return data
    return None


def _root_cause(exc):
    """Walk requests/urllib3 wrappers down to the underlying error."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        nxt = getattr(exc, 'reason', None)
        if nxt is None and exc.args and isinstance(exc.args[0],
                                                   BaseException):
            nxt = exc.args[0]
        if nxt is None or not isinstance(nxt, BaseException):
            return exc
        exc = nxt
    return exc


def _connect_failed(exc):
    """True if a requests ConnectionError happened before sending.

    urllib3 reports a failure to open the connection (refused, unreachable,
    name resolution) as a NewConnectionError inside MaxRetryError; a
    failure after the request went out is a ProtocolError (reset, remote
    end closed without a response), and the request may have been acted
    upon.
    """
    inner = exc.args[0] if exc.args else None
    if isinstance(inner, urllib3_exc.MaxRetryError):
        reason = inner.reason
        return isinstance(reason, (urllib3_exc.NewConnectionError,
                                   urllib3_exc.ConnectTimeoutError))
    return isinstance(inner, urllib3_exc.NewConnectionError)


class CallCounter(object):
    """An ``on_request`` hook counting calls per client method.

    For tests and benchmarks: ``client.on_request = CallCounter()``. A call
    counts once however many HTTP attempts it took. Thread-safe.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.counts = collections.Counter()

    def __call__(self, name):
        with self._lock:
            self.counts[name] += 1

    def reset(self):
        """Set every counter back to zero."""
        with self._lock:
            self.counts.clear()

    def total(self):
        """Number of calls since creation or the last reset."""
        with self._lock:
            return sum(self.counts.values())


class NGXStorageClient(object):
    """Client of one NGXStorage array's REST API.

    Safe for concurrent use by several threads: one requests session with
    a connection pool of ``pool_maxsize`` connections.

    :param base_url: ``https://host[:port]`` (no ``/api/v2``; a trailing
        ``/api/v2`` is tolerated and removed).
    :param token: the API key, sent as a bearer token.
    :param verify: True (system/certifi CAs), False (no verification, not
        recommended) or the path of a CA bundle file.
    :param connect_timeout: seconds to establish a connection.
    :param read_timeout: seconds to wait for the array between bytes.
    :param retries: attempts after the first one, where retrying is safe.
    :param backoff: first wait between attempts in seconds, doubled at each
        retry (capped at 30 s).
    :param pool_maxsize: connections kept open to the array.
    :param user_agent: User-Agent header (the array's audit log shows it).
    :param on_request: None, or a callable called with the method's name
        once per call, before it is sent (see :class:`CallCounter`); also
        settable afterwards as the ``on_request`` attribute.
    """

    def __init__(self, base_url, token, verify=True, connect_timeout=10.0,
                 read_timeout=60.0, retries=3, backoff=0.5, pool_maxsize=32,
                 user_agent='cinder-ngxstorage', on_request=None):
        self._base_url = self._check_base_url(base_url)
        if not token or not isinstance(token, str):
            raise ValueError('token must be a non-empty string')
        self._token = token
        if not isinstance(verify, bool):
            if not isinstance(verify, str) or not verify:
                raise ValueError('verify must be True, False or the path '
                                 'of a CA bundle, got %r' % (verify,))
            if not os.path.exists(verify):
                raise ValueError('CA bundle %s does not exist' % verify)
        self._verify = verify
        self._timeout = (float(connect_timeout), float(read_timeout))
        self._retries = max(0, int(retries))
        self._backoff = max(0.0, float(backoff))
        self._host = urllib.parse.urlsplit(self._base_url).netloc

        self._session = requests.Session()
        self._session.auth = _BearerAuth(token)
        self._session.verify = verify
        self._session.headers.update({
            'Accept': 'application/json',
            'User-Agent': user_agent,
        })
        # No retries inside urllib3: this client decides what is safe.
        adapter = adapters.HTTPAdapter(pool_connections=1,
                                       pool_maxsize=int(pool_maxsize),
                                       max_retries=0)
        self._session.mount('https://', adapter)
        self._session.mount('http://', adapter)

        self.on_request = on_request
        if verify is False:
            LOG.warning('TLS certificate verification of the NGXStorage '
                        'array %s is disabled.', self._host)

    @staticmethod
    def _check_base_url(base_url):
        if not isinstance(base_url, str):
            raise ValueError('base_url must be a string')
        parts = urllib.parse.urlsplit(base_url.strip())
        if parts.scheme not in ('http', 'https') or not parts.hostname:
            raise ValueError('base_url must look like https://<host>[:port],'
                             ' got %r' % redaction.mask_text(base_url))
        if parts.username or parts.password:
            raise ValueError('base_url must not contain credentials; the '
                             'API key is given as the token')
        path = parts.path.rstrip('/')
        if path.endswith(API_PREFIX):
            path = path[:-len(API_PREFIX)]
        return urllib.parse.urlunsplit(
            (parts.scheme, parts.netloc, path, '', ''))

    def __repr__(self):
        return '<NGXStorageClient %s verify=%r>' % (
            self._base_url, self._verify)

    __str__ = __repr__

    @property
    def base_url(self):
        """The array's base URL (scheme, host, port)."""
        return self._base_url

    def close(self):
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # ------------------------------------------------------ the one path

    def _request(self, name, method, path, query=None, body=None,
                 secrets=()):
        """Send one API call and return its decoded JSON answer.

        :param name: the public method's name (for ``on_request``).
        :param method: HTTP method.
        :param path: URL path, path parameters already escaped.
        :param query: list of (name, value) pairs, or None.
        :param body: JSON-able request body, or None.
        :param secrets: secret values in this call, masked in logs/errors.
        :raises: a :class:`~cinder_ngxstorage.exception.NGXStorageError`.
        """
        if self.on_request is not None:
            self.on_request(name)
        secrets = (self._token,) + tuple(s for s in secrets if s)
        target = path
        if query:
            target = '%s?%s' % (path, _encode_query(query))
        attempt = 0
        may_have_acted = False
        while True:
            try:
                return self._attempt(method, path, target, body, secrets)
            except exception.NotFound:
                if method == 'DELETE' and may_have_acted:
                    # An earlier attempt reached the array and did the
                    # work; its answer was lost.
                    LOG.warning('%(method)s %(path)s: 404 on retry; the '
                                'earlier attempt deleted it.',
                                {'method': method, 'path': path})
                    return {'success': True}
                raise
            except exception.NGXStorageError as err:
                if not self._may_retry(method, err, attempt):
                    raise
                if err.request_sent is not False:
                    may_have_acted = True
                attempt += 1
                delay = min(self._backoff * (2 ** (attempt - 1)),
                            _MAX_BACKOFF)
                LOG.warning('%(method)s %(path)s failed (%(error)s): '
                            'retry %(n)d of %(max)d in %(delay).1f s.',
                            {'method': method, 'path': path,
                             'error': '%s: %s' % (type(err).__name__,
                                                  err.message),
                             'n': attempt, 'max': self._retries,
                             'delay': delay})
                if delay:
                    time.sleep(delay)

    def _may_retry(self, method, err, attempt):
        if attempt >= self._retries:
            return False
        if not isinstance(err, exception.TransientError):
            return False
        if isinstance(err, exception.TLSVerificationFailed):
            return False
        if err.request_sent is False:
            return True
        return method in _IDEMPOTENT_METHODS

    def _attempt(self, method, path, target, body, secrets):
        """One HTTP exchange: send, read, log, decode, map errors."""
        url = self._base_url + target
        start = time.monotonic()
        status = None
        raw = b''
        outcome = None
        try:
            try:
                # verify is given on each request: requests lets
                # REQUESTS_CA_BUNDLE override a session-level setting.
                response = self._session.request(
                    method, url, json=body, timeout=self._timeout,
                    verify=self._verify, stream=True,
                    allow_redirects=False)
            except requests.exceptions.RequestException as exc:
                raise self._transport_error(exc, method, path, secrets)
            status = response.status_code
            try:
                raw = self._read_body(response, method, path, secrets)
            finally:
                response.close()
            outcome = self._decode(response, raw, method, path, secrets)
            return outcome
        except exception.NGXStorageError as err:
            outcome = err
            raise
        finally:
            if LOG.isEnabledFor(logging.DEBUG):
                self._log_exchange(method, target, status, start, body,
                                   raw, outcome, secrets)

    def _log_exchange(self, method, target, status, start, body, raw,
                      outcome, secrets):
        elapsed_ms = (time.monotonic() - start) * 1000.0
        if status is None:
            result = type(outcome).__name__ if outcome is not None else '?'
        else:
            result = status
        if isinstance(outcome, exception.NGXStorageError):
            response_text = outcome.message
        elif outcome is not None:
            response_text = json.dumps(redaction.mask_data(outcome))
        else:
            response_text = redaction.mask_json(raw)
        if len(response_text) > _LOG_BODY_CHARS:
            response_text = response_text[:_LOG_BODY_CHARS] + '...'
        request_text = ('' if body is None
                        else json.dumps(redaction.mask_data(body)))
        line = ('%s %s -> %s in %d ms; request: %s; response: %s'
                % (method, target, result, elapsed_ms, request_text or '-',
                   response_text or '-'))
        LOG.debug('%s', redaction.mask_secret_values(line, secrets))

    def _error(self, cls, message, method, path, status=None,
               request_sent=None, secrets=()):
        message = redaction.mask_secret_values(
            redaction.mask_text(message), secrets)
        return cls(message, method=method, path=path, status=status,
                   request_sent=request_sent)

    def _transport_error(self, exc, method, path, secrets):
        """Map a requests exception raised before any response."""
        cause = _root_cause(exc)
        detail = '%s: %s' % (type(cause).__name__, cause)
        scheme = urllib.parse.urlsplit(self._base_url).scheme
        if isinstance(exc, requests.exceptions.SSLError):
            text = str(cause)
            if ('CERTIFICATE_VERIFY_FAILED' in text
                    or 'certificate verify failed' in text.lower()
                    or 'hostname' in text.lower()):
                return self._error(
                    exception.TLSVerificationFailed,
                    'TLS certificate verification failed for %s (%s); '
                    'configure the CA bundle that signed the array\'s '
                    'certificate (or, for testing only, disable '
                    'verification)' % (self._host, detail),
                    method, path, request_sent=False, secrets=secrets)
            return self._error(
                exception.ConnectionFailed,
                'TLS handshake with %s failed (%s); is the array serving '
                'plain HTTP on this port? Check the URL scheme'
                % (self._host, detail),
                method, path, request_sent=False, secrets=secrets)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return self._error(
                exception.RequestTimeout,
                'connecting to %s timed out after %s s'
                % (self._host, self._timeout[0]),
                method, path, request_sent=False, secrets=secrets)
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return self._error(
                exception.RequestTimeout,
                'no answer from %s within %s s'
                % (self._host, self._timeout[1]),
                method, path, request_sent=True, secrets=secrets)
        if isinstance(exc, requests.exceptions.ConnectionError):
            if _connect_failed(exc):
                return self._error(
                    exception.ConnectionFailed,
                    'cannot connect to %s (%s)' % (self._host, detail),
                    method, path, request_sent=False, secrets=secrets)
            hint = ''
            if scheme == 'http':
                hint = ('; if the array serves HTTPS on this port, use an '
                        'https:// URL')
            return self._error(
                exception.ConnectionFailed,
                'connection to %s lost before a complete answer (%s)%s'
                % (self._host, detail, hint),
                method, path, request_sent=True, secrets=secrets)
        return self._error(exception.NGXStorageError,
                           'request to %s failed (%s)' % (self._host,
                                                          detail),
                           method, path, secrets=secrets)

    def _read_body(self, response, method, path, secrets):
        """Read the body, at most MAX_BODY_BYTES, mapping read failures."""
        length = response.headers.get('Content-Length')
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            raise self._error(
                exception.InvalidResponse,
                'response body of %s bytes exceeds the %d bytes limit'
                % (length, MAX_BODY_BYTES),
                method, path, status=response.status_code,
                request_sent=True, secrets=secrets)
        chunks = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise self._error(
                        exception.InvalidResponse,
                        'response body exceeds the %d bytes limit'
                        % MAX_BODY_BYTES,
                        method, path, status=response.status_code,
                        request_sent=True, secrets=secrets)
                chunks.append(chunk)
        except requests.exceptions.ContentDecodingError as exc:
            raise self._error(
                exception.InvalidResponse,
                'response body cannot be decoded (%s)' % _root_cause(exc),
                method, path, status=response.status_code,
                request_sent=True, secrets=secrets)
        except requests.exceptions.RequestException as exc:
            cause = _root_cause(exc)
            if isinstance(cause, urllib3_exc.ReadTimeoutError):
                raise self._error(
                    exception.RequestTimeout,
                    'answer from %s stalled for more than %s s'
                    % (self._host, self._timeout[1]),
                    method, path, request_sent=True, secrets=secrets)
            raise self._error(
                exception.ConnectionFailed,
                'connection to %s lost after %d bytes of the answer (%s: '
                '%s)' % (self._host, size, type(cause).__name__, cause),
                method, path, request_sent=True, secrets=secrets)
        return b''.join(chunks)

    def _decode(self, response, raw, method, path, secrets):
        """Turn a complete HTTP answer into data or a typed exception."""
        status = response.status_code
        data = None
        decoded = False
        if raw.strip():
            try:
                data = json.loads(raw)
                decoded = True
            except ValueError:
                pass

        if 200 <= status < 300:
            if not raw.strip():
                if method == 'GET':
                    raise self._error(
                        exception.InvalidResponse,
                        'empty answer where JSON was expected',
                        method, path, status=status, request_sent=True,
                        secrets=secrets)
                return {}
            if not decoded:
                raise self._error(
                    exception.InvalidResponse,
                    'answer is not valid JSON (Content-Type %s, %d bytes): '
                    '%s' % (response.headers.get('Content-Type', 'unknown'),
                            len(raw), _text_excerpt(raw)),
                    method, path, status=status, request_sent=True,
                    secrets=secrets)
            if isinstance(data, dict) and _answers_failure(data):
                raise self._error(
                    exception.RequestFailed,
                    _array_message(data) or 'the array answered success '
                    'false without a message',
                    method, path, status=status, request_sent=True,
                    secrets=secrets)
            return data

        if 300 <= status < 400:
            location = response.headers.get('Location', 'nowhere')
            raise self._error(
                exception.InvalidResponse,
                'the array redirects to %s; configure that URL (scheme, '
                'host and port) instead' % location,
                method, path, status=status, request_sent=True,
                secrets=secrets)

        if decoded:
            message = _array_message(data)
        else:
            message = _text_excerpt(raw)
        if status >= 500:
            cls = exception.ServerError
        elif status in _STATUS_ERRORS:
            cls = _STATUS_ERRORS[status]
        elif 400 <= status < 500:
            cls = exception.RequestFailed
        else:
            cls = exception.InvalidResponse
        raise self._error(cls, message or response.reason or 'no message',
                          method, path, status=status, request_sent=True,
                          secrets=secrets)

    # -------------------------------------------------------- auth group

    def create_auth_group(self, name, owner):
        """Create an auth group; returns ``{"id", "success"}``."""
        return self._request('create_auth_group', 'POST',
                             '/api/v2/auth_group/',
                             body={'name': name, 'owner': owner})

    def delete_auth_group(self, group_id):
        """Delete an auth group."""
        return self._request(
            'delete_auth_group', 'DELETE',
            '/api/v2/auth_group/%s' % _path_param(group_id, 'group_id'))

    def rename_auth_group(self, group_id, name, owner):
        """Change an auth group's name (``owner`` is the group's owner)."""
        return self._request(
            'rename_auth_group', 'PATCH',
            '/api/v2/auth_group/%s' % _path_param(group_id, 'group_id'),
            body={'name': name, 'owner': owner})

    def set_auth_group_chap(self, group_id, username, password, owner):
        """Set (add or replace) the CHAP credential of an auth group.

        The password is masked in every log line and error message.
        """
        return self._request(
            'set_auth_group_chap', 'PATCH',
            '/api/v2/auth_group/chap/%s' % _path_param(group_id,
                                                       'group_id'),
            body={'username': username, 'password': password,
                  'owner': owner},
            secrets=(password,))

    def delete_auth_group_chap(self, group_id):
        """Remove the CHAP credential of an auth group."""
        return self._request(
            'delete_auth_group_chap', 'DELETE',
            '/api/v2/auth_group/chap/%s' % _path_param(group_id,
                                                       'group_id'))

    def add_auth_group_iqn(self, group_id, iqn, iqn_alias, owner):
        """Add an initiator IQN to an auth group; returns ``{"id", ...}``.

        The returned ``id`` is the IQN entry's id, used to delete it.
        """
        return self._request(
            'add_auth_group_iqn', 'PATCH',
            '/api/v2/auth_group/iqn/%s' % _path_param(group_id, 'group_id'),
            body={'iqn': iqn, 'iqn_alias': iqn_alias, 'owner': owner})

    def delete_auth_group_iqn(self, iqn_id):
        """Remove an initiator IQN entry (by its entry id)."""
        return self._request(
            'delete_auth_group_iqn', 'DELETE',
            '/api/v2/auth_group/iqn/%s/' % _path_param(iqn_id, 'iqn_id'))

    def get_auth_group(self, group_id):
        """Return an auth group's detail (initiators, CHAP, owner).

        The answer holds the CHAP secret in clear; it is masked in logs.
        """
        return self._request(
            'get_auth_group', 'GET',
            '/api/v2/auth_group/%s' % _path_param(group_id, 'group_id'))

    def list_auth_groups_detail(self):
        """Return the detail of every auth group."""
        return self._request('list_auth_groups_detail', 'GET',
                             '/api/v2/auth_group/list')

    def list_auth_groups(self):
        """Return every auth group (``group_id``, ``group_name``, ...)."""
        return self._request('list_auth_groups', 'GET',
                             '/api/v2/auth_group/')

    # ------------------------------------------------------ iSCSI target

    def create_target(self, name, auth_group_id, portal_group_id, owner,
                      lun_ids=None):
        """Create an iSCSI target, optionally with LUNs (by vol_id).

        Returns ``{"id", "luns", "success"}``.
        """
        body = {'name': name, 'auth_group_id': auth_group_id,
                'portal_group_id': portal_group_id, 'owner': owner}
        if lun_ids is not None:
            body['lun_ids'] = _as_list(lun_ids, 'lun_ids')
        return self._request('create_target', 'POST',
                             '/api/v2/target/iscsi/', body=body)

    def delete_target(self, target_id):
        """Delete an iSCSI target."""
        return self._request(
            'delete_target', 'DELETE',
            '/api/v2/iscsi_target/%s' % _path_param(target_id, 'target_id'))

    def rename_target(self, target_id, name, owner):
        """Rename an iSCSI target (its IQN changes with the name)."""
        return self._request(
            'rename_target', 'PATCH',
            '/api/v2/iscsi_target/%s' % _path_param(target_id, 'target_id'),
            body={'name': name, 'owner': owner})

    def change_target_portal_group(self, target_id, portal_group_id, owner):
        """Bind an iSCSI target to another portal group."""
        return self._request(
            'change_target_portal_group', 'PATCH',
            '/api/v2/iscsi_target/portal_group/%s'
            % _path_param(target_id, 'target_id'),
            body={'portal_group_id': portal_group_id, 'owner': owner})

    def change_target_auth_group(self, target_id, auth_group_id, owner):
        """Bind an iSCSI target to another auth group."""
        return self._request(
            'change_target_auth_group', 'PATCH',
            '/api/v2/iscsi_target/auth_group/%s'
            % _path_param(target_id, 'target_id'),
            body={'auth_group_id': auth_group_id, 'owner': owner})

    def add_target_luns(self, target_id, lun_ids, owner):
        """Map LUNs (by vol_id) to an iSCSI target.

        Returns ``{"luns": [...], "success"}`` with each LUN's
        ``lun_number``.
        """
        return self._request(
            'add_target_luns', 'PUT',
            '/api/v2/iscsi_target/lun/%s/' % _path_param(target_id,
                                                         'target_id'),
            body={'lun_ids': _as_list(lun_ids, 'lun_ids'), 'owner': owner})

    def remove_target_luns(self, target_id, lun_ids, owner):
        """Unmap LUNs (by vol_id) from an iSCSI target.

        Returns the LUNs that remain mapped.
        """
        return self._request(
            'remove_target_luns', 'PATCH',
            '/api/v2/iscsi_target/lun/%s' % _path_param(target_id,
                                                        'target_id'),
            body={'lun_ids': _as_list(lun_ids, 'lun_ids'), 'owner': owner})

    def get_target(self, target_id):
        """Return an iSCSI target's detail (IQN, groups, LUNs)."""
        return self._request(
            'get_target', 'GET',
            '/api/v2/iscsi_target/%s' % _path_param(target_id, 'target_id'))

    def list_targets_detail(self):
        """Return the detail of every iSCSI target."""
        return self._request('list_targets_detail', 'GET',
                             '/api/v2/iscsi_target/list')

    def list_targets(self):
        """Return every iSCSI target (name, id, owner)."""
        return self._request('list_targets', 'GET',
                             '/api/v2/iscsi_target/')

    # --------------------------------------------------------------- log

    @staticmethod
    def _log_query(types=None, time_range=None, sort=None, order=None,
                   limit=None, page=None, **filters):
        query = []
        if types is not None:
            query.extend(('filter[type][]', t)
                         for t in _as_list(types, 'types'))
        if time_range is not None:
            bounds = _as_list(time_range, 'time_range')
            if len(bounds) != 2:
                raise ValueError('time_range must be (start, end), got %r'
                                 % (time_range,))
            query.extend(('filter[time][]', b) for b in bounds)
        if sort is not None:
            query.extend(('sort[]', s) for s in _as_list(sort, 'sort'))
        if order is not None:
            query.append(('order', order))
        if limit is not None:
            query.append(('limit', int(limit)))
        if page is not None:
            query.append(('page', int(page)))
        for name in sorted(filters):
            if filters[name] is not None:
                query.append(('filter[%s]' % name, filters[name]))
        return query

    def list_alert_logs(self, types=None, time_range=None, sort=None,
                        order=None, limit=None, page=None):
        """Return alert log entries.

        :param types: a type or list of types (info, warning, error,
            fatal), sent as ``filter[type][]``.
        :param time_range: (start, end), sent as ``filter[time][]``.
        :param sort: a field or list of fields, sent as ``sort[]``.
        :param order: ``'asc'`` or ``'desc'``.
        :param limit: entries per page (0-1000).
        :param page: page number.
        """
        return self._request(
            'list_alert_logs', 'GET', '/api/v2/log/alert',
            query=self._log_query(types, time_range, sort, order, limit,
                                  page))

    def list_audit_logs(self, time_range=None, sort=None, order=None,
                        limit=None, page=None, user=None, host=None,
                        agent=None, description=None):
        """Return audit log entries.

        Filters are sent as ``filter[user]``, ``filter[host]``,
        ``filter[agent]`` and ``filter[description]``; the others as for
        :meth:`list_alert_logs`.
        """
        return self._request(
            'list_audit_logs', 'GET', '/api/v2/log/audit',
            query=self._log_query(None, time_range, sort, order, limit,
                                  page, user=user, host=host, agent=agent,
                                  description=description))

    def list_system_events(self, time_range=None, sort=None, order=None,
                           limit=None, page=None, function=None,
                           action=None, sensor=None):
        """Return system (hardware) events.

        Filters are sent as ``filter[function]``, ``filter[action]`` and
        ``filter[sensor]``; the others as for :meth:`list_alert_logs`.
        """
        return self._request(
            'list_system_events', 'GET', '/api/v2/log/system_event',
            query=self._log_query(None, time_range, sort, order, limit,
                                  page, function=function, action=action,
                                  sensor=sensor))

    # --------------------------------------------------------------- LUN

    @staticmethod
    def _properties(properties, allowed, operation):
        unknown = set(properties) - allowed
        if unknown:
            raise TypeError('%s() got unexpected properties: %s'
                            % (operation, ', '.join(sorted(unknown))))
        return {k: v for k, v in properties.items() if v is not None}

    def create_lun(self, pool_name, name, size, **properties):
        """Create a LUN of ``size`` units (GiB unless ``sing`` says M/T).

        :param properties: any of sing, blocksize, deduplication,
            compression, thin_provision, io_type, qos_priority,
            flash_cache, dram_cache, quantity; only those given (and not
            None) are sent.
        :returns: ``{"luns": [{"vol_id", "scsi_lunid", ...}], "success"}``
        :raises RequestFailed: also when an entry of ``luns`` reports
            ``success`` false.
        """
        body = {'pool_name': pool_name, 'name': name, 'size': size}
        body.update(self._properties(properties, _LUN_CREATE_PROPERTIES,
                                     'create_lun'))
        result = self._request('create_lun', 'POST', '/api/v2/lun/',
                               body=body)
        luns = result.get('luns') if isinstance(result, dict) else None
        for lun in luns if isinstance(luns, list) else ():
            if isinstance(lun, dict) and _is_false(lun.get('success',
                                                           True)):
                raise self._error(
                    exception.RequestFailed,
                    _array_message(lun) or 'LUN %s was not created' % name,
                    'POST', '/api/v2/lun/', status=200, request_sent=True,
                    secrets=(self._token,))
        return result

    def delete_lun(self, vol_id):
        """Delete a LUN (the array refuses while it has snapshots/maps)."""
        return self._request(
            'delete_lun', 'DELETE',
            '/api/v2/lun/%s' % _path_param(vol_id, 'vol_id'))

    def modify_lun(self, vol_id, **properties):
        """Change a LUN's size or properties.

        :param properties: any of size, sing, deduplication, compression,
            thin_provision, io_type, qos_priority, flash_cache, dram_cache;
            only those given (and not None) are sent.
        :returns: ``{"success", "vol_size"}``
        """
        body = self._properties(properties, _LUN_MODIFY_PROPERTIES,
                                'modify_lun')
        return self._request(
            'modify_lun', 'PATCH',
            '/api/v2/lun/%s' % _path_param(vol_id, 'vol_id'), body=body)

    def get_lun(self, vol_id):
        """Return a LUN's detail."""
        return self._request(
            'get_lun', 'GET',
            '/api/v2/lun/%s' % _path_param(vol_id, 'vol_id'))

    def list_luns_detail(self):
        """Return the detail of every LUN."""
        return self._request('list_luns_detail', 'GET', '/api/v2/lun/list')

    def list_luns(self):
        """Return every LUN (name, pool, owner, vol_id)."""
        return self._request('list_luns', 'GET', '/api/v2/lun/')

    # -------------------------------------------------------------- pool

    def get_pool(self, pool_id):
        """Return a pool's detail."""
        return self._request(
            'get_pool', 'GET',
            '/api/v2/pool/%s/' % _path_param(pool_id, 'pool_id'))

    def list_pools_detail(self):
        """Return the detail of every pool."""
        return self._request('list_pools_detail', 'GET',
                             '/api/v2/pool/list')

    def list_pools(self):
        """Return every pool (pool_name, owner, pool_id)."""
        return self._request('list_pools', 'GET', '/api/v2/pool')

    def get_pools_overview(self):
        """Return capacity and protocol usage of every pool."""
        return self._request('get_pools_overview', 'GET',
                             '/api/v2/pool/overview')

    # ------------------------------------------------------ portal group

    def get_portal_group(self, portal_group_id):
        """Return a portal group's detail (``listen_ips``)."""
        return self._request(
            'get_portal_group', 'GET',
            '/api/v2/portal_group/%s' % _path_param(portal_group_id,
                                                    'portal_group_id'))

    def list_portal_groups_detail(self):
        """Return the detail of every portal group."""
        return self._request('list_portal_groups_detail', 'GET',
                             '/api/v2/portal_group/list')

    def list_portal_groups(self):
        """Return every portal group (id, portal_name, owner)."""
        return self._request('list_portal_groups', 'GET',
                             '/api/v2/portal_group')

    # ---------------------------------------------------------- snapshot

    def create_snapshot(self, name, vol_id):
        """Snapshot a LUN; returns the new snapshot's record."""
        return self._request('create_snapshot', 'POST', '/api/v2/snapshot/',
                             body={'name': name, 'volume_id': vol_id})

    def delete_snapshot(self, snap_id):
        """Delete a snapshot (the array refuses while it has clones)."""
        return self._request(
            'delete_snapshot', 'DELETE',
            '/api/v2/snapshot/%s' % _path_param(snap_id, 'snap_id'))

    def delete_all_snapshots(self, vol_id):
        """Delete every snapshot of a LUN that has no clone.

        Returns ``{"success", "warning"}``; the warning names those kept.
        """
        return self._request(
            'delete_all_snapshots', 'DELETE',
            '/api/v2/snapshot/all/%s' % _path_param(vol_id, 'vol_id'))

    def clone_snapshot(self, snap_id, name):
        """Clone a snapshot into a new LUN; returns ``{"vol_id", ...}``."""
        return self._request(
            'clone_snapshot', 'POST',
            '/api/v2/snapshot/clone/%s' % _path_param(snap_id, 'snap_id'),
            body={'name': name})

    def restore_snapshot(self, snap_id):
        """Roll a LUN back to a snapshot (its newest one)."""
        return self._request(
            'restore_snapshot', 'POST',
            '/api/v2/snapshot/restore/%s' % _path_param(snap_id, 'snap_id'))

    def get_snapshot_schedule(self, vol_id):
        """Return the snapshot schedule of a LUN."""
        return self._request(
            'get_snapshot_schedule', 'GET',
            '/api/v2/snapshot/schedule/%s' % _path_param(vol_id, 'vol_id'))

    def create_snapshot_schedule(self, vol_id, cron_time, keep_max):
        """Create a LUN's snapshot schedule (cron, snapshots to keep)."""
        return self._request(
            'create_snapshot_schedule', 'POST',
            '/api/v2/snapshot/schedule/%s' % _path_param(vol_id, 'vol_id'),
            body={'cron_time': cron_time, 'keep_max': keep_max})

    def delete_snapshot_schedule(self, vol_id):
        """Delete a LUN's snapshot schedule."""
        return self._request(
            'delete_snapshot_schedule', 'DELETE',
            '/api/v2/snapshot/schedule/%s' % _path_param(vol_id, 'vol_id'))

    def get_snapshot(self, snap_id):
        """Return a snapshot's detail."""
        return self._request(
            'get_snapshot', 'GET',
            '/api/v2/snapshot/%s' % _path_param(snap_id, 'snap_id'))

    def list_snapshots_detail(self, vol_id=None):
        """Return snapshot details (``{"luns": [...], "shares": [...]}``).

        :param vol_id: only this LUN's snapshots, sent as ``?vol_id=``.
        """
        query = [('vol_id', vol_id)] if vol_id is not None else None
        return self._request('list_snapshots_detail', 'GET',
                             '/api/v2/snapshot/list', query=query)

    def list_snapshots(self, vol_id=None):
        """Return snapshots (``{"luns": [...], "shares": [...]}``).

        :param vol_id: only this LUN's snapshots, sent as ``?vol_id=``.
        """
        query = [('vol_id', vol_id)] if vol_id is not None else None
        return self._request('list_snapshots', 'GET', '/api/v2/snapshot',
                             query=query)

    # ------------------------------------------------------------ status

    def get_bandwidth(self):
        """Return current read/write/total throughput."""
        return self._request('get_bandwidth', 'GET',
                             '/api/v2/status/bandwidth')

    def get_cache(self):
        """Return cache statistics (``{}`` on the documented firmware)."""
        return self._request('get_cache', 'GET', '/api/v2/status/cache')

    def get_capacity(self):
        """Return per-pool capacity, keyed by pool name."""
        return self._request('get_capacity', 'GET',
                             '/api/v2/status/capacity')

    def get_cluster(self):
        """Return the cluster (controller pair) status."""
        return self._request('get_cluster', 'GET', '/api/v2/status/cluster')

    def get_cpu(self):
        """Return CPU utilisation."""
        return self._request('get_cpu', 'GET', '/api/v2/status/cpu')

    def get_enclosures(self):
        """Return the attached enclosures."""
        return self._request('get_enclosures', 'GET',
                             '/api/v2/status/enclosures')

    def get_iops(self):
        """Return current read/write/total IOPS."""
        return self._request('get_iops', 'GET', '/api/v2/status/iops')

    def get_license(self):
        """Return the licence: feature flags and validity period."""
        return self._request('get_license', 'GET', '/api/v2/status/license')

    def get_overloaded_volumes(self):
        """Return volumes beyond their performance thresholds."""
        return self._request('get_overloaded_volumes', 'GET',
                             '/api/v2/status/overloaded_volumes')

    def get_pool_status(self):
        """Return every pool's health (``GET /status/pools``)."""
        return self._request('get_pool_status', 'GET',
                             '/api/v2/status/pools')

    def get_services(self):
        """Return which services are enabled."""
        return self._request('get_services', 'GET',
                             '/api/v2/status/services')

    def get_system_info(self):
        """Return system information (model, versions, limits, counts)."""
        return self._request('get_system_info', 'GET',
                             '/api/v2/status/system_info')

    # ----------------------------------------------------------- network

    def get_network_info(self):
        """Return the network configuration."""
        return self._request('get_network_info', 'GET',
                             '/api/v2/network/info')
