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

"""A strict simulator of the NGXStorage REST API v2.4.1.

:class:`Simulator` is the test fixture: a context manager that starts the
simulated array's HTTP API on a free port of 127.0.0.1 in a background
thread and stops it cleanly::

    with Simulator(pools=('pool1:100G', 'pool2:50G:B')) as sim:
        requests.get(sim.url + '/api/v2/pool',
                     headers={'Authorization': 'Bearer ' + sim.token})

The parts: :mod:`.api_spec` (the operation table and the one validator),
:mod:`.state` (the array model, composed of the parts in :mod:`.model`),
:mod:`.keys`, :mod:`.faults`, :mod:`.server` (HTTP front) and
:mod:`.cli` (the ``ngxstorage-simulator`` console script).
"""

import os
import secrets
import threading

from cinder_ngxstorage.simulator import dataplane as dataplane_mod
from cinder_ngxstorage.simulator import faults as faults_mod
from cinder_ngxstorage.simulator import keys as keys_mod
from cinder_ngxstorage.simulator import server as server_mod
from cinder_ngxstorage.simulator import state as state_mod
from cinder_ngxstorage.simulator import variants as variants_mod

__all__ = ['Simulator']

DEFAULT_POOLS = ('pool1:100G', 'pool2:50G:B')
DEFAULT_PORTALS = ('127.0.0.1:3260',)
DEFAULT_KEY_NAME = 'admin'


def _resolve_free_ports(portals, portal_groups):
    """``portals`` and ``portal_groups`` with 'IP:0' given a free port."""
    if portal_groups is None:
        return dataplane_mod.resolve_free_ports(portals), None
    groups = [state_mod.parse_portal_group_spec(g, normalise=False)
              if isinstance(g, str) else tuple(g) for g in portal_groups]
    flat = [p for _name, _owner, listen in groups for p in listen]
    resolved = iter(dataplane_mod.resolve_free_ports(flat))
    return portals, [(name, owner, [next(resolved) for _p in listen])
                     for name, owner, listen in groups]


class Simulator(object):
    """A simulated NGXStorage array served over HTTP(S).

    :param pools: pool specs ``NAME:SIZE[:OWNER]`` (see
        ``state.parse_pool_spec``).
    :param portals: iSCSI portals ``IP[:PORT]`` of the portal group
        (when ``portal_groups`` is None).
    :param portal_groups: None (one portal group on ``portals``) or
        portal group specs ``NAME:OWNER:IP[:PORT][,IP[:PORT]...]`` (or
        tuples ``(name, owner, [portals])``), one or more per controller;
        with ``iscsi`` tgtd listens on every portal of every group.
    :param tls_cert: PEM certificate file; with ``tls_key`` serves HTTPS.
    :param tls_key: PEM private key file.
    :param latency_ms: delay added to every API request.
    :param keys: extra API keys, dicts ``{name, token, expires_at, pools,
        permissions, enabled}``; the default all-powerful key (``token``)
        always exists besides them.
    :param state_file: JSON file the state is saved to after every change;
        when it exists at start, the state is loaded from it (and
        ``pools``, ``portals`` and ``service_tag`` are ignored).
    :param service_tag: the array's service tag.
    :param backing: the data plane (``backing.NullBacking`` interface);
        the simulator owns it and closes it on :meth:`stop`.
    :param host: address to listen on.
    :param port: port to listen on (0 = a free one).
    :param token: token of the default key (random 40 hex when None).
    :param admin_token: token of the ``/_sim/`` admin paths (random when
        None).
    :param data_dir: keep LUN and snapshot bytes as sparse files there
        (see :mod:`.dataplane`); a temporary directory when ``iscsi`` is
        set and this is None.
    :param iscsi: export the LUNs through the simulator's own tgtd on the
        ``portals`` (LUN numbers then start at 1; a portal ``IP:0`` gets a
        free port, the same for all such portals). Without tgtd the
        simulator runs without export and ``sim.dataplane.iscsi_problem``
        says why.
    :param reading: the reading of the reference the array answers by
        (``state.Reading``: error statuses, answer shapes, dependency
        rules); the strict reading when None.
    :param variants: names of :mod:`.variants` to answer by (combined,
        on top of ``reading``); ValueError for an unknown name or a
        conflicting combination.
    """

    def __init__(self, pools=DEFAULT_POOLS, portals=DEFAULT_PORTALS,
                 tls_cert=None, tls_key=None, latency_ms=0, keys=None,
                 state_file=None, service_tag='NGXSIM01', backing=None,
                 host='127.0.0.1', port=0, token=None, admin_token=None,
                 data_dir=None, iscsi=False, reading=None, variants=(),
                 portal_groups=None):
        if bool(tls_cert) != bool(tls_key):
            raise ValueError('tls_cert and tls_key go together')
        if isinstance(variants, str):
            variants = [variants]
        #: Names of the variants answered by.
        self.variants = [v.name for v in variants_mod.check(variants)]
        reading = variants_mod.reading_for(self.variants, base=reading)
        #: The data plane (``dataplane.DataPlane``), None without one.
        self.dataplane = None
        if data_dir is not None or iscsi:
            if backing is not None:
                raise ValueError('backing excludes data_dir and iscsi')
            self.dataplane = dataplane_mod.DataPlane(data_dir=data_dir,
                                                     iscsi=iscsi)
            backing = self.dataplane
            if self.dataplane.exporter is not None:
                # 'IP:0' portals: one free port for all of them.
                portals, portal_groups = _resolve_free_ports(
                    portals, portal_groups)
        self.host = host
        self.state_file = state_file
        self.backing = backing
        self.loaded_from_file = False
        self._stop_event = threading.Event()
        on_change = None
        if state_file:
            on_change = server_mod.StateFileWriter(state_file)
        if state_file and os.path.exists(state_file):
            data = server_mod.read_state_file(state_file)
            self.state = state_mod.ArrayState.load(
                data, backing=backing, on_change=on_change, reading=reading)
            self.loaded_from_file = True
        else:
            self.state = state_mod.ArrayState(
                pools, portals=portals, service_tag=service_tag,
                backing=backing, on_change=on_change, reading=reading,
                portal_groups=portal_groups)
        if on_change is not None:
            # Save at once, so the ids of a fresh array survive a restart
            # that happens before the first change.
            on_change(self.state)
        self.keys = keys_mod.KeyStore()
        self.token = self.keys.add(DEFAULT_KEY_NAME, token=token)
        for key in keys or ():
            self.keys.add_dict(dict(key))
        self.admin_token = admin_token or secrets.token_hex(20)
        self.faults = faults_mod.FaultInjector()
        self.request_log = server_mod.RequestLog()
        self.app = server_mod.SimulatorApp(
            self.state, self.keys, self.faults, self.admin_token,
            latency_ms=latency_ms, stop_event=self._stop_event,
            request_log=self.request_log)
        tls_context = None
        if tls_cert:
            tls_context = server_mod.make_tls_context(tls_cert, tls_key)
        self._server = server_mod.SimulatorServer(
            self.app, host=host, port=port, tls_context=tls_context,
            stop_event=self._stop_event)
        self._running = False
        self._dataplane_started = False

    def __repr__(self):
        return '<Simulator %s>' % (self.url if self._running else 'stopped')

    # -- life cycle --------------------------------------------------------

    def start(self):
        """Start serving in a background thread; return self."""
        if not self._running:
            if self.dataplane is not None and not self._dataplane_started:
                try:
                    self.dataplane.start(self.state)
                except Exception:
                    self.dataplane.close()
                    raise
                self._dataplane_started = True
            try:
                self._server.start()
            except Exception:
                if self.dataplane is not None:
                    self.dataplane.close()
                raise
            self._running = True
        return self

    def stop(self):
        """Stop serving, close connections and the backing."""
        if self._running:
            self._running = False
            self._server.stop()
            if self.backing is not None:
                self.backing.close()
        elif self.dataplane is not None:
            # Never started: only its (temporary) files to remove.
            self.dataplane.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc_value, tb):
        self.stop()

    # -- attributes --------------------------------------------------------

    @property
    def url(self):
        """Base URL, ``http://127.0.0.1:<port>`` (https with TLS)."""
        return self._server.url

    @property
    def port(self):
        """The TCP port served (None before :meth:`start`)."""
        return self._server.port

    @property
    def portal_group_id(self):
        """Id of the array's (first) portal group."""
        return self.state.portal_group_id

    def portal_groups(self):
        """The portal groups: [{id, name, owner, listen_ips}]."""
        return self.state.portal_groups()

    @property
    def requests(self):
        """The request log, oldest first.

        Each entry is a dict {method, path, query, op_id, status, time,
        fault, key}; status None means the connection was dropped.
        """
        return self.request_log.entries()

    def clear_requests(self):
        """Empty the request log."""
        self.request_log.clear()

    # -- control -----------------------------------------------------------

    def add_key(self, name, token=None, expires_at=None, pools=None,
                permissions=('*',), enabled=True):
        """Add an API key and return its token (random when None)."""
        return self.keys.add(name, token=token, expires_at=expires_at,
                             pools=pools, permissions=permissions,
                             enabled=enabled)

    def set_pool_status(self, pool_name, status):
        """Set a pool's health: ONLINE, DEGRADED or OFFLINE."""
        return self.state.set_pool_status(pool_name, status)

    def failover(self, from_=None, to=None):
        """Fail controller ``from_`` over to ``to`` (give one: A or B).

        The survivor takes over the failed controller's pools, targets
        and auth groups; its portals stop serving; API requests in flight
        fail (``state.Controllers.failover``, ``POST /_sim/failover``).
        """
        return self.state.failover(failed=from_, survivor=to)

    def failback(self, controller):
        """Bring a failed controller back (``POST /_sim/failback``)."""
        return self.state.failback(controller)

    def set_license(self, **flags):
        """Change license flags (e.g. ``clone=0``)."""
        return self.state.set_license(**flags)

    def run_schedule(self, vol_id):
        """Fire a LUN's snapshot schedule once (creates a snapshot)."""
        return self.state.run_schedule(vol_id)

    def client_view_lun(self, vol_id):
        """Return a LUN's detail as ``GET /lun/{vol_id}`` shows it.

        Seen with an unrestricted key; ApiError 404 if there is none.
        """
        return self.state.lun_detail(state_mod.RequestContext(),
                                     {'vol_id': vol_id})
