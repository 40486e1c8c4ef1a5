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

"""The threaded HTTP(S) server that serves the simulator's WSGI app.

:class:`SimulatorServer` serves the app from a background thread with
werkzeug's threaded server.  Werkzeug's own request handler closes every
connection after one response; ours (:class:`_RequestHandler`) keeps
HTTP/1.1 connections alive, reads each request body completely (so a
pipelined connection stays in step), can drop a connection without
answering (the ``drop`` fault) and does the TLS handshake in the
connection's thread, not in the accept loop (:class:`_ThreadedServer`).
"""

import email.utils
import errno
import io
import json
import logging
import socket
import ssl
import threading
import time
import traceback

from werkzeug import serving

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator.server.app import _REASONS
from cinder_ngxstorage.simulator.server.app import _Reply
from cinder_ngxstorage.simulator.server.app import DropConnection
from cinder_ngxstorage.simulator.server.app import error_body

LOG = logging.getLogger(__name__)

# Idle time after which a kept-alive connection is closed (seconds).
IDLE_TIMEOUT = 120.0
HANDSHAKE_TIMEOUT = 10.0


def make_tls_context(cert_file, key_file):
    """Return a server SSLContext (TLS 1.2+) for a PEM cert and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


class _RequestHandler(serving.WSGIRequestHandler):
    """Keep-alive request handler (see the module docstring)."""

    protocol_version = 'HTTP/1.1'
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True

    def run_wsgi(self):
        """Read the request, call the app, write one framed response."""
        environ = self.make_environ()
        self.environ = environ
        if environ.get('HTTP_EXPECT', '').lower().strip() == '100-continue':
            self.wfile.write(b'HTTP/1.1 100 Continue\r\n\r\n')
        try:
            body = self._read_request_body(environ)
        except _Reply as e:
            self.close_connection = True
            self._send(e.status, {}, json.dumps(
                error_body(e.message)).encode('utf-8'))
            return
        environ['wsgi.input'] = io.BytesIO(body)
        environ['CONTENT_LENGTH'] = str(len(body))
        environ.pop('HTTP_TRANSFER_ENCODING', None)
        environ.pop('wsgi.input_terminated', None)
        captured = {}

        def start_response(status, headers, exc_info=None):
            captured['status'] = status
            captured['headers'] = headers

            def write(data):
                raise NotImplementedError('write() is not supported')
            return write

        try:
            result = self.server.app(environ, start_response)
            try:
                data = b''.join(result)
            finally:
                if hasattr(result, 'close'):
                    result.close()
        except DropConnection:
            self._drop()
            return
        except Exception:  # noqa: B902 - never kill the connection thread
            LOG.error('Simulator app failed: %s', traceback.format_exc())
            self.close_connection = True
            self._send(500, {}, json.dumps(error_body(
                'Internal simulator error')).encode('utf-8'))
            return
        code = int(captured['status'].split(None, 1)[0])
        headers = {}
        for name, value in captured['headers']:
            headers[name] = value
        self._send(code, headers, data)

    def _read_request_body(self, environ):
        limit = api_spec.MAX_BODY_BYTES
        stream = environ['wsgi.input']
        if environ.get('wsgi.input_terminated'):
            # Chunked: read until the end, but no more than the limit.
            chunks = []
            total = 0
            try:
                while True:
                    chunk = stream.read(65536)
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > limit:
                        raise _Reply(400, 'Request body larger than %d '
                                          'bytes' % limit)
                    chunks.append(chunk)
            except OSError:
                raise _Reply(400, 'Malformed chunked request body')
            return b''.join(chunks)
        raw = environ.get('CONTENT_LENGTH')
        if not raw:
            return b''
        if not raw.isdigit():
            raise _Reply(400, 'Invalid Content-Length header')
        length = int(raw)
        if length > limit:
            raise _Reply(400, 'Request body larger than %d bytes' % limit)
        body = self.rfile.read(length)
        if len(body) != length:
            raise _Reply(400, 'Request body shorter than Content-Length')
        return body

    def _send(self, code, headers, data):
        if self.server.closing.is_set():
            self.close_connection = True
        lines = ['HTTP/1.1 %d %s' % (code, _REASONS.get(code, 'Unknown')),
                 'Server: ngxstorage-simulator',
                 'Date: %s' % email.utils.formatdate(usegmt=True)]
        for name, value in headers.items():
            if name.lower() not in ('content-length', 'connection',
                                    'server', 'date'):
                lines.append('%s: %s' % (name, value))
        lines.append('Content-Length: %d' % len(data))
        if self.close_connection:
            lines.append('Connection: close')
        head = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
        if self.command == 'HEAD':
            data = b''
        self.wfile.write(head + data)
        self.log_request(code, len(data))

    def _drop(self):
        """Close the connection without sending anything."""
        self.close_connection = True
        conn = self.connection
        try:
            if isinstance(conn, ssl.SSLSocket):
                # Send close_notify without waiting for the peer's, so
                # the client sees an orderly end of stream, not a
                # TLS protocol error.
                conn.setblocking(False)
                try:
                    conn.unwrap()
                except (ssl.SSLError, OSError, ValueError):
                    pass
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def log_request(self, code='-', size='-'):
        """Log the request line at debug level (never headers/bodies)."""
        LOG.debug('%s "%s" %s %s', self.address_string(),
                  getattr(self, 'requestline', ''), code, size)

    def log_error(self, format, *args):
        """Log a protocol error at debug level."""
        LOG.debug('%s %s', self.address_string(), format % args)

    def log_message(self, format, *args):
        """Log a message at debug level."""
        LOG.debug('%s %s', self.address_string(), format % args)


class _ThreadedServer(serving.ThreadedWSGIServer):
    """werkzeug's threaded server with per-thread TLS and clean stop."""

    def __init__(self, sock, app, tls_context):
        host, port = sock.getsockname()[:2]
        super(_ThreadedServer, self).__init__(
            host, port, app, handler=_RequestHandler, fd=sock.fileno())
        # werkzeug would wrap the listening socket (handshake in the
        # accept loop); we wrap each connection in its own thread.
        self.ssl_context = tls_context
        self.closing = threading.Event()
        self._loop_done = threading.Event()
        self._loop_done.set()
        self._conn_lock = threading.Lock()
        self._connections = {}

    def serve_forever(self, poll_interval=0.1):
        """Accept connections until :meth:`shutdown`.

        socketserver's own loop polls with a selector class bound when
        socketserver was imported; in a process that eventlet patched
        later (Cinder's test packages do), that real poll() never yields
        and starves every green thread.  Accepting with a timeout on the
        socket object works with real threads and green ones alike.
        """
        self._loop_done.clear()
        self.socket.settimeout(poll_interval)
        try:
            while not self.closing.is_set():
                try:
                    request, client_address = self.get_request()
                except socket.timeout:
                    continue
                except OSError as e:
                    if self.closing.is_set():
                        break
                    LOG.debug('accept failed: %s', e)
                    self.closing.wait(poll_interval)
                    continue
                try:
                    self.process_request(request, client_address)
                except Exception:  # noqa: B902 - keep serving
                    self.handle_error(request, client_address)
                    self.shutdown_request(request)
        finally:
            self._loop_done.set()

    def shutdown(self):
        """Stop the accept loop and wait until it has ended."""
        self.closing.set()
        self._loop_done.wait()

    def finish_request(self, request, client_address):
        """Handle one connection in its thread (TLS handshake first)."""
        conn = request
        if self.ssl_context is not None:
            try:
                request.settimeout(HANDSHAKE_TIMEOUT)
                conn = self.ssl_context.wrap_socket(request,
                                                    server_side=True)
            except (OSError, ValueError) as e:
                LOG.debug('TLS handshake with %s failed: %s',
                          client_address, e)
                try:
                    request.close()
                except OSError:
                    pass
                return
        with self._conn_lock:
            if self.closing.is_set():
                conn.close()
                return
            self._connections[conn] = threading.current_thread()
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            with self._conn_lock:
                self._connections.pop(conn, None)
            if conn is not request:
                try:
                    conn.close()
                except OSError:
                    pass

    def handle_error(self, request, client_address):
        """Log an unexpected connection error at debug level."""
        LOG.debug('Connection from %s failed: %s', client_address,
                  traceback.format_exc())

    def close_connections(self, timeout=5.0):
        """Shut every open connection down and wait for its thread."""
        self.closing.set()
        with self._conn_lock:
            connections = list(self._connections.items())
        for conn, _thread in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for _conn, thread in connections:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


def bind_socket(host, port):
    """Return a listening TCP socket bound to (host, port)."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class SimulatorServer(object):
    """Serve a WSGI app on (host, port) from a background thread."""

    def __init__(self, app, host='127.0.0.1', port=0, tls_context=None,
                 stop_event=None):
        self.app = app
        self.host = host
        self.requested_port = port
        self.tls_context = tls_context
        self.stop_event = stop_event or threading.Event()
        self.port = None
        self._server = None
        self._thread = None

    @property
    def url(self):
        """The base URL, e.g. ``http://127.0.0.1:8080``."""
        scheme = 'https' if self.tls_context is not None else 'http'
        host = '[%s]' % self.host if ':' in self.host else self.host
        return '%s://%s:%d' % (scheme, host, self.port)

    def start(self):
        """Bind and start serving; return once the socket listens."""
        sock = bind_socket(self.host, self.requested_port)
        try:
            self._server = _ThreadedServer(sock, self.app, self.tls_context)
        finally:
            # werkzeug duplicated the descriptor.
            sock.close()
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={'poll_interval': 0.1},
            name='ngxstorage-simulator-%d' % self.port, daemon=True)
        self._thread.start()

    def stop(self):
        """Stop accepting, close open connections, wait for threads."""
        if self._server is None:
            return
        self.stop_event.set()
        self._server.closing.set()
        self._server.shutdown()
        self._server.close_connections()
        try:
            self._server.server_close()
        except OSError as e:
            if e.errno != errno.EBADF:
                raise
        self._thread.join()
        self._server = None
