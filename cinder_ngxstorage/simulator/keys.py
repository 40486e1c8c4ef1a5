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

"""API keys of the simulated array.

The array's API Management screen gives each bearer key a name, an enable
state, an expiry, the pools it may touch (none = all pools) and endpoint
permissions.  The simulator models that with :class:`ApiKey`; permissions
are ``fnmatch`` patterns over the operation ids of
:mod:`~cinder_ngxstorage.simulator.api_spec` (``*``, ``lun.*``,
``status.capacity``).  :class:`KeyStore` holds the keys and authenticates
``Authorization`` headers.

A keys file is JSON: a list of key objects, or ``{"keys": [...]}``, each
``{"name", "token", "expires_at", "pools", "permissions", "enabled"}``
(only ``name`` and ``token`` are required; ``expires_at`` is epoch
seconds or an ISO 8601 date-time, null for never).
"""

import datetime
import fnmatch
import hmac
import json
import re
import secrets
import threading
import time

_TOKEN_RE = re.compile(r'[\x21-\x7e]{1,512}')
_NAME_RE = re.compile(r'[A-Za-z0-9_.@-]{1,64}')


class AuthError(Exception):
    """Authentication (401) or authorisation (403) failure."""

    def __init__(self, status, message):
        super(AuthError, self).__init__(message)
        self.status = status
        self.message = message


def new_token():
    """Return a fresh random token of 40 lowercase hex characters."""
    return secrets.token_hex(20)


def parse_expiry(value):
    """Turn an expiry into epoch seconds (float) or None for never.

    Accepts None, a number of epoch seconds, or an ISO 8601 string
    (``2030-01-01``, ``2030-01-01T00:00:00Z``, with or without an
    offset; naive times are UTC).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError('expires_at must be epoch seconds or ISO 8601')
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith('Z'):
            text = text[:-1] + '+00:00'
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError('expires_at %r is not ISO 8601' % value[:40])
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return moment.timestamp()
    raise ValueError('expires_at must be epoch seconds or ISO 8601')


class ApiKey(object):
    """One API key.  Its repr never shows the token."""

    def __init__(self, name, token, expires_at=None, pools=None,
                 permissions=('*',), enabled=True):
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise ValueError('key name must be 1-64 of [A-Za-z0-9_.@-]')
        if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
            raise ValueError('key %s: token must be 1-512 printable '
                             'non-space ASCII characters' % name)
        if isinstance(permissions, str):
            permissions = (permissions,)
        if not all(isinstance(p, str) and p for p in permissions):
            raise ValueError('key %s: permissions must be non-empty '
                             'strings' % name)
        if pools is not None:
            if isinstance(pools, str):
                pools = (pools,)
            if not all(isinstance(p, str) and p for p in pools):
                raise ValueError('key %s: pools must be pool names' % name)
        self.name = name
        self.token = token
        self.expires_at = parse_expiry(expires_at)
        self.pools = frozenset(pools) if pools else None
        self.permissions = tuple(permissions)
        self.enabled = bool(enabled)

    def __repr__(self):
        return '<ApiKey %s pools=%s permissions=%s>' % (
            self.name, sorted(self.pools) if self.pools else 'all',
            list(self.permissions))

    def is_expired(self, now=None):
        """True when the key's expiry has passed."""
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at

    def permits(self, permission):
        """True when one of the key's patterns matches ``permission``."""
        return any(fnmatch.fnmatchcase(permission, pattern)
                   for pattern in self.permissions)

    def to_dict(self, with_token=False):
        """Return the key as a JSON-able dict (token only on request)."""
        data = {
            'name': self.name,
            'expires_at': self.expires_at,
            'pools': sorted(self.pools) if self.pools else None,
            'permissions': list(self.permissions),
            'enabled': self.enabled,
        }
        if with_token:
            data['token'] = self.token
        return data


class KeyStore(object):
    """Thread-safe set of API keys."""

    def __init__(self):
        self._lock = threading.Lock()
        self._keys = []

    def add(self, name, token=None, expires_at=None, pools=None,
            permissions=('*',), enabled=True):
        """Add a key and return its token (generated when None).

        Raises ValueError on a malformed key or when the name or the token
        is already in use.
        """
        key = ApiKey(name, token or new_token(), expires_at=expires_at,
                     pools=pools, permissions=permissions, enabled=enabled)
        with self._lock:
            for other in self._keys:
                if other.name == key.name:
                    raise ValueError('a key named %s already exists'
                                     % key.name)
                if hmac.compare_digest(other.token, key.token):
                    raise ValueError('key %s: this token is already used '
                                     'by another key' % key.name)
            self._keys.append(key)
        return key.token

    def add_dict(self, data):
        """Add a key given as a dict (keys file / admin API form)."""
        if not isinstance(data, dict):
            raise ValueError('a key must be a JSON object')
        unknown = set(data) - {'name', 'token', 'expires_at', 'pools',
                               'permissions', 'enabled'}
        if unknown:
            raise ValueError('unknown key field(s): %s'
                             % ', '.join(sorted(unknown)))
        if 'name' not in data:
            raise ValueError('a key needs a name')
        return self.add(data['name'], token=data.get('token'),
                        expires_at=data.get('expires_at'),
                        pools=data.get('pools'),
                        permissions=data.get('permissions', ('*',)),
                        enabled=data.get('enabled', True))

    def load_file(self, path):
        """Add every key of a keys file; return the names added."""
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
        if isinstance(data, dict):
            data = data.get('keys')
        if not isinstance(data, list):
            raise ValueError('%s: expected a list of keys or {"keys": [...]}'
                             % path)
        names = []
        for entry in data:
            if isinstance(entry, dict) and 'token' not in entry:
                raise ValueError('%s: key %s has no token'
                                 % (path, entry.get('name')))
            self.add_dict(entry)
            names.append(entry['name'])
        return names

    def remove(self, name):
        """Remove the key called ``name`` (KeyError if there is none)."""
        with self._lock:
            for index, key in enumerate(self._keys):
                if key.name == name:
                    del self._keys[index]
                    return
        raise KeyError(name)

    def keys(self):
        """Return the keys (ApiKey objects) as a list."""
        with self._lock:
            return list(self._keys)

    def find(self, token):
        """Return the key with this token, or None."""
        if not token:
            return None
        found = None
        with self._lock:
            for key in self._keys:
                # Compare with every key so timing does not tell which.
                if hmac.compare_digest(key.token.encode('utf-8'),
                                       token.encode('utf-8')):
                    found = key
        return found

    def authenticate(self, authorization, now=None):
        """Return the ApiKey for an ``Authorization`` header value.

        Raises AuthError(401) when the header is missing or malformed, or
        the key is unknown, disabled or expired.
        """
        if not authorization:
            raise AuthError(401, 'Missing Authorization header '
                                 '(expected "Bearer <API key>")')
        scheme, _, token = authorization.strip().partition(' ')
        token = token.strip()
        if scheme.lower() != 'bearer' or not token:
            raise AuthError(401, 'Authorization header must be '
                                 '"Bearer <API key>"')
        key = self.find(token)
        if key is None:
            raise AuthError(401, 'Unknown API key')
        if not key.enabled:
            raise AuthError(401, 'API key %s is disabled' % key.name)
        if key.is_expired(now):
            raise AuthError(401, 'API key %s has expired' % key.name)
        return key

    @staticmethod
    def authorize(key, permission):
        """Raise AuthError(403) unless ``key`` may call ``permission``."""
        if not key.permits(permission):
            raise AuthError(403, 'API key %s is not permitted to call %s'
                            % (key.name, permission))
