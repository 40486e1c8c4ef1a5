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

"""Shared helpers of the simulator's HTTP tests (plain ``requests``)."""

import ssl
import unittest

import requests
from requests import adapters
import urllib3

from cinder_ngxstorage.simulator import Simulator
from tests import common

API = '/api/v2'
TIMEOUT = 30


class TlsAdapter(adapters.HTTPAdapter):
    """An adapter that brings its own SSLContext, made at call time.

    Cinder's test packages monkey-patch the test process with eventlet
    after urllib3 was imported; urllib3's own context factory then
    recurses forever (a known eventlet/urllib3 issue).  A context created
    by ``ssl.create_default_context`` after patching works either way.
    """

    def __init__(self, cafile=None):
        self._cafile = cafile
        super(TlsAdapter, self).__init__()

    def init_poolmanager(self, *args, **kwargs):
        """Create the pool manager with our SSLContext."""
        context = ssl.create_default_context(cafile=self._cafile)
        if urllib3.__version__.startswith('1.'):
            # urllib3 1.26 (pinned up to the 2025.2 series) passes no
            # server_hostname for an IP address and matches the hostname
            # itself when the context does not: leave it to urllib3.
            context.check_hostname = False
        kwargs['ssl_context'] = context
        return super(TlsAdapter, self).init_poolmanager(*args, **kwargs)


def new_session(cafile=None):
    """A requests Session that ignores proxy and CA environment.

    HTTPS is verified against ``cafile`` (the system CAs when None).
    """
    session = requests.Session()
    session.trust_env = False
    session.mount('https://', TlsAdapter(cafile))
    return session


class HttpClient(object):
    """Tiny raw-HTTP helper around a Simulator (not our client)."""

    def __init__(self, sim, token=None, verify=True):
        self.sim = sim
        self.token = sim.token if token is None else token
        self.verify = verify
        self.session = new_session(
            verify if isinstance(verify, str) else None)

    def close(self):
        """Close the pooled connections."""
        self.session.close()

    def request(self, method, path, token=None, json=None, data=None,
                params=None, headers=None, timeout=TIMEOUT):
        """Send one request to ``sim.url + path`` and return the response.

        ``token`` False sends no Authorization header.
        """
        headers = dict(headers or {})
        token = self.token if token is None else token
        if token is not False:
            headers['Authorization'] = 'Bearer %s' % token
        return self.session.request(method, self.sim.url + path,
                                    json=json, data=data, params=params,
                                    headers=headers, timeout=timeout,
                                    verify=self.verify)

    def admin(self, method, path, json=None, admin_token=None):
        """Call an admin path under /_sim with the admin token."""
        token = self.sim.admin_token if admin_token is None else admin_token
        headers = {'X-Sim-Admin': token} if token else {}
        return self.session.request(method, self.sim.url + '/_sim' + path,
                                    json=json, headers=headers,
                                    timeout=TIMEOUT, verify=self.verify)

    def create_lun(self, name, pool='pool1', size=1, token=None, **extra):
        """Create a LUN; return its vol_id (asserts HTTP 200)."""
        body = {'pool_name': pool, 'name': name, 'size': size}
        body.update(extra)
        response = self.request('POST', API + '/lun/', json=body,
                                token=token)
        if response.status_code != 200:
            raise AssertionError('LUN create failed: %d %s'
                                 % (response.status_code, response.text))
        return response.json()['luns'][0]['vol_id']


class SimulatorTestCase(unittest.TestCase):
    """A fresh simulator per test, with an HttpClient as ``self.http``."""

    POOLS = ('pool1:100G', 'pool2:50G')
    SIM_KWARGS = {}

    def setUp(self):
        super(SimulatorTestCase, self).setUp()
        common.detect_leaks(self)
        self.sim = Simulator(pools=self.POOLS, **self.SIM_KWARGS)
        self.sim.start()
        self.addCleanup(self.sim.stop)
        self.http = HttpClient(self.sim)
        self.addCleanup(self.http.close)

    def assertError(self, response, status, *words):
        """Assert an error answer: status, JSON error body, words in it."""
        self.assertEqual(status, response.status_code, response.text)
        body = response.json()
        self.assertIs(False, body['success'])
        for word in words:
            self.assertIn(word, body['message'])
        return body['message']
