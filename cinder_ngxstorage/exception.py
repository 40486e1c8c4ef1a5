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

"""Errors raised by the NGXStorage REST client.

This module has no Cinder imports: the client is a plain HTTP library and
the driver translates these errors into Cinder's own exceptions.

Every error carries the HTTP method and path of the call that failed, the
HTTP status (``None`` when no response arrived) and the array's own message.
The message is passed through :mod:`cinder_ngxstorage.redaction` when the
error is built, so an array that echoes a request body cannot leak a secret
through ``str(error)``.
"""

from cinder_ngxstorage import redaction


class NGXStorageError(Exception):
    """Base class of every error raised by the NGXStorage client.

    :ivar method: HTTP method of the failed call (``'GET'``...), or None.
    :ivar path: URL path of the failed call (no query string), or None.
    :ivar status: HTTP status code as an int, or None if no response.
    :ivar message: the array's words (redacted), or the client's own
        description when the array said nothing.
    :ivar request_sent: False when the request provably never reached the
        array (connection refused, connect timeout), True when it may have,
        None when not applicable.
    """

    default_message = 'NGXStorage request failed'

    def __init__(self, message=None, method=None, path=None, status=None,
                 request_sent=None):
        message = redaction.mask_text(
            str(message) if message else self.default_message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.request_sent = request_sent
        super(NGXStorageError, self).__init__(self._format())

    def _format(self):
        if self.method and self.path:
            prefix = '%s %s failed: ' % (self.method, self.path)
        else:
            prefix = ''
        if self.status is not None:
            return '%sHTTP %s: %s' % (prefix, self.status, self.message)
        return '%s%s' % (prefix, self.message)

    def __str__(self):
        return self._format()

    def __repr__(self):
        return '%s(%r)' % (type(self).__name__, self._format())

    def __reduce__(self):
        # Keep the attributes through pickling (e.g. across processes).
        return (type(self), (self.message, self.method, self.path,
                             self.status, self.request_sent))


class RequestFailed(NGXStorageError):
    """The array refused the request.

    Raised for HTTP 200 answers whose ``success`` is false (or the string
    ``"false"``) and for 4xx statuses without a more specific class.
    """

    default_message = 'the array reported a failure'


class AuthenticationFailed(NGXStorageError):
    """HTTP 401: the API key is missing, unknown or expired."""

    default_message = 'authentication failed (check the API key)'


class PermissionDenied(NGXStorageError):
    """HTTP 403: the key may not use this endpoint or touch this pool."""

    default_message = 'permission denied'


class NotFound(NGXStorageError):
    """HTTP 404: the object addressed does not exist."""

    default_message = 'not found'


class Conflict(NGXStorageError):
    """HTTP 409: duplicate name, dependent objects, limits or no space."""

    default_message = 'conflict'


class ValidationFailed(NGXStorageError):
    """HTTP 400 or 422: the array rejected a parameter."""

    default_message = 'validation failed'


class TransientError(NGXStorageError):
    """Base class of failures that may succeed when tried again."""

    default_message = 'transient failure'


class ServerError(TransientError):
    """HTTP 5xx."""

    default_message = 'server error'


class ConnectionFailed(TransientError):
    """Connection refused, reset or dropped, or a failed TLS handshake."""

    default_message = 'connection failed'


class TLSVerificationFailed(ConnectionFailed):
    """The array's TLS certificate could not be verified.

    Not retried by the client: trying again cannot fix a certificate.
    """

    default_message = 'TLS certificate verification failed'


class RequestTimeout(TransientError):
    """The connect or read timeout expired."""

    default_message = 'request timed out'


class InvalidResponse(NGXStorageError):
    """The answer is not usable.

    Non-JSON, truncated JSON, an HTML page, an over-size body or an
    unexpected redirect (raised by the client); or JSON without a field
    the driver needs, or of the wrong shape (raised by
    :mod:`cinder_ngxstorage.records`).
    """

    default_message = 'invalid response from the array'
