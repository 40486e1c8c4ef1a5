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

"""Raw HTTP to the array: status, content type and body as they came.

The probes need what :class:`~cinder_ngxstorage.client.NGXStorageClient`
normalises away (which status a refusal has, where its reason is,
whether numbers are strings), so they call the API through :class:`Api`,
which never interprets an answer. Secrets (the token, CHAP) are masked
in everything it returns as text.
"""

import json

import requests

from cinder_ngxstorage import redaction

API = '/api/v2'


class ArrayUnreachable(Exception):
    """The array cannot be reached or refuses the key (exit status 2)."""


class Answer(object):
    """One HTTP answer, as it came.

    ``status``, ``ctype``, ``data`` (the JSON, or None) and ``text`` (the
    body, secrets masked).
    """

    def __init__(self, status, ctype, data, text, is_json):
        self.status = status
        self.ctype = ctype
        self.data = data
        self.text = text
        self.is_json = is_json

    @property
    def refused(self):
        """A failure: not 2xx, or 2xx with success false/"false"."""
        if not 200 <= self.status < 300:
            return True
        return (isinstance(self.data, dict) and
                self.data.get('success') in (False, 'false', 0, '0'))

    @property
    def ok(self):
        return not self.refused

    def reason_field(self):
        """Where a failure puts its reason: message, error, text or None."""
        if not self.is_json:
            return 'text' if self.text.strip() else None
        if isinstance(self.data, dict):
            for key in ('message', 'error'):
                if self.data.get(key):
                    return key
        return None

    def short(self, limit=160):
        """``<status> <body excerpt>`` for the report."""
        text = ' '.join(self.text.split())
        if len(text) > limit:
            text = text[:limit] + '...'
        return '%d %s' % (self.status, text)

    def __repr__(self):
        return '<Answer %s>' % self.short(60)


class Api(object):
    """The array's API over raw HTTP(S) with the bearer token."""

    def __init__(self, base_url, token, verify=True, timeout=60.0):
        self.base_url = base_url.rstrip('/')
        if self.base_url.endswith(API):
            self.base_url = self.base_url[:-len(API)]
        self._token = token
        self._secrets = [token]
        self._session = requests.Session()
        self._session.headers.update({
            'Authorization': 'Bearer %s' % token,
            'Accept': 'application/json',
            'User-Agent': 'ngxstorage-array-check'})
        self._session.verify = verify
        self._timeout = timeout
        #: Number of API calls sent.
        self.calls = 0

    def add_secret(self, secret):
        """Mask this value too in every text returned."""
        self._secrets.append(secret)

    def mask(self, text):
        return redaction.mask_secret_values(redaction.mask_text(text),
                                            self._secrets)

    def call(self, method, path, body=None, query=None):
        """Send one call; an :class:`Answer` (never raises for a status).

        :raises ArrayUnreachable: no connection, or 401 (a bad key).
        """
        url = self.base_url + API + path
        self.calls += 1
        try:
            response = self._session.request(
                method, url, json=body, params=query,
                timeout=self._timeout, allow_redirects=False)
        except requests.exceptions.RequestException as exc:
            raise ArrayUnreachable(self.mask('%s %s: %s' % (
                method, path, exc)))
        raw = response.text
        try:
            data = json.loads(raw) if raw.strip() else None
            is_json = bool(raw.strip())
        except ValueError:
            data, is_json = None, False
        if response.status_code == 401:
            raise ArrayUnreachable('the array refuses the API key (401)')
        text = json.dumps(redaction.mask_data(data)) if is_json else raw
        return Answer(response.status_code,
                      response.headers.get('Content-Type', ''),
                      data, self.mask(text), is_json)

    def close(self):
        self._session.close()
