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

"""HTTPS with a self-signed CA (trustme)."""

import shutil
import socket
import tempfile
import unittest
import urllib.parse

import requests

from cinder_ngxstorage.simulator import Simulator
from tests import common
from tests.functional.simulator import base

API = base.API


class TlsTest(unittest.TestCase):
    """The simulator serving HTTPS."""

    def setUp(self):
        super(TlsTest, self).setUp()
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        self.cert_file, self.key_file, self.ca_file = common.tls_files(
            directory)
        self.sim = Simulator(pools=('pool1:10G',), tls_cert=self.cert_file,
                             tls_key=self.key_file)
        self.sim.start()
        self.addCleanup(self.sim.stop)
        self.http = base.HttpClient(self.sim, verify=self.ca_file)
        self.addCleanup(self.http.close)

    def test_https_with_ca(self):
        """The URL is https and requests verify against the CA."""
        self.assertTrue(self.sim.url.startswith('https://127.0.0.1:'))
        self.assertEqual(200, self.http.request('GET', API + '/pool')
                         .status_code)
        self.http.create_lun('l1')
        self.assertEqual(1, len(self.http.request('GET', API + '/lun/')
                                .json()))

    def test_untrusted_certificate_fails(self):
        """Without the CA the certificate does not verify."""
        session = base.new_session()
        self.addCleanup(session.close)
        self.assertRaises(requests.exceptions.SSLError, session.get,
                          self.sim.url + API + '/pool', timeout=30,
                          verify=True)

    def test_plain_http_to_tls_port_fails(self):
        """Speaking plain HTTP to the TLS port is a connection error."""
        session = base.new_session()
        self.addCleanup(session.close)
        url = self.sim.url.replace('https://', 'http://') + API + '/pool'
        self.assertRaises(requests.ConnectionError, session.get, url,
                          timeout=30)
        # The server survives it.
        self.assertEqual(200, self.http.request('GET', API + '/pool')
                         .status_code)

    def test_idle_connection_does_not_block_others(self):
        """A client that connects and says nothing blocks nobody."""
        parts = urllib.parse.urlsplit(self.sim.url)
        idle = socket.create_connection((parts.hostname, parts.port))
        self.addCleanup(idle.close)
        self.assertEqual(200, self.http.request('GET', API + '/pool')
                         .status_code)

    def test_drop_over_tls_is_a_clean_disconnect(self):
        """A drop over TLS looks like a lost connection, not a TLS error."""
        self.sim.faults.add(method='GET', path='/pool', action='drop')
        try:
            self.http.request('GET', API + '/pool')
        except requests.exceptions.SSLError as e:
            self.fail('drop surfaced as a TLS error: %s' % e)
        except requests.ConnectionError:
            pass
        else:
            self.fail('the dropped request got an answer')

    def test_keep_alive_over_tls(self):
        """Many requests over one TLS session work."""
        for _i in range(20):
            self.assertEqual(200, self.http.request(
                'GET', API + '/status/cpu').status_code)
