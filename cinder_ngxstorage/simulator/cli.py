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

"""The ``ngxstorage-simulator`` console script.

Starts a simulated array, prints exactly one JSON line on stdout when it
is ready::

    {"url": ..., "token": ..., "admin_token": ..., "portal_group_id": ...,
     "pools": [...], "portals": [...], "portal_groups": [...], "pid": ...}

and serves until SIGTERM or SIGINT, then stops cleanly and exits 0.
Diagnostics go to stderr only.
"""

import argparse
import json
import logging
import os
import signal
import sys
import threading

from cinder_ngxstorage import simulator
from cinder_ngxstorage.simulator import dataplane
from cinder_ngxstorage.simulator import variants

LOG = logging.getLogger(__name__)


def build_parser():
    """Return the argument parser of the console script."""
    parser = argparse.ArgumentParser(
        prog='ngxstorage-simulator',
        description='Serve a simulated NGXStorage REST API v2.4.1.')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=0,
                        help='port to listen on (default 0: a free one)')
    parser.add_argument('--token', action='append', default=[],
                        help='an all-powerful API key (repeatable; the '
                             'first is the default key, random if none)')
    parser.add_argument('--admin-token', default=None,
                        help='token of the /_sim/ admin paths (random if '
                             'not given)')
    parser.add_argument('--keys-file', default=None,
                        help='JSON file of extra API keys')
    parser.add_argument('--pool', action='append', default=[],
                        metavar='NAME:SIZE[:OWNER]',
                        help='a pool (repeatable; default %s)'
                             % ' '.join(simulator.DEFAULT_POOLS))
    parser.add_argument('--portal', action='append', default=[],
                        metavar='IP:PORT',
                        help='an iSCSI portal of the portal group '
                             '(repeatable; default %s)'
                             % ' '.join(simulator.DEFAULT_PORTALS))
    parser.add_argument('--portal-group', action='append', default=[],
                        metavar='NAME:OWNER:IP:PORT[,IP:PORT]',
                        help='a portal group of controller OWNER (A, B or '
                             '1) listening on these portals (repeatable; '
                             'replaces --portal; default one group '
                             'owned by the first controller on the '
                             '--portal addresses)')
    parser.add_argument('--tls-cert', default=None,
                        help='PEM certificate: serve HTTPS')
    parser.add_argument('--tls-key', default=None,
                        help='PEM private key of --tls-cert')
    parser.add_argument('--state-file', default=None,
                        help='JSON file to load the state from and save it '
                             'to after every change')
    parser.add_argument('--latency-ms', type=int, default=0,
                        help='delay added to every API request')
    parser.add_argument('--service-tag', default='NGXSIM01',
                        help='the array service tag (default NGXSIM01)')
    parser.add_argument('--debug', action='store_true',
                        help='log requests to stderr')
    parser.add_argument('--data-dir', default=None,
                        help='keep LUN and snapshot bytes as sparse files '
                             'in this directory (the data plane)')
    parser.add_argument('--iscsi', action='store_true',
                        help='export the LUNs through a tgtd of our own '
                             'on the --portal addresses (needs tgt and '
                             'root; LUN numbers then start at 1; a portal '
                             'IP:0 gets a free port)')
    parser.add_argument('--variant', action='append', default=[],
                        metavar='NAME',
                        help='answer by this variant reading of the API '
                             'reference (repeatable; see --list-variants)')
    parser.add_argument('--list-variants', action='store_true',
                        help='list the variants and exit')
    return parser


def make_backing(args):
    """Return the data plane for ``args`` (None: control plane only)."""
    return None


def ready_line(sim):
    """Return the JSON ready line of a started simulator."""
    return json.dumps({
        'url': sim.url,
        'token': sim.token,
        'admin_token': sim.admin_token,
        'portal_group_id': sim.portal_group_id,
        'pools': [pool['pool_name'] for pool in sim.state.pools()],
        'portals': sim.state.portals,
        'portal_groups': [{'id': g['id'], 'name': g['name'],
                           'owner': g['owner'],
                           'portals': g['listen_ips']}
                          for g in sim.portal_groups()],
        'variants': list(sim.variants),
        'pid': os.getpid(),
    })


def main(argv=None):
    """Run the simulator until SIGTERM/SIGINT; return the exit code."""
    args = build_parser().parse_args(argv)
    if args.list_variants:
        sys.stdout.write(variants.listing() + '\n')
        return 0
    try:
        variants.check(args.variant)
    except ValueError as e:
        print('ngxstorage-simulator: --variant: %s' % e, file=sys.stderr)
        return 2
    logging.basicConfig(
        stream=sys.stderr, format='%(asctime)s %(levelname)s %(message)s',
        level=logging.DEBUG if args.debug else logging.WARNING)
    if args.portal and args.portal_group:
        print('ngxstorage-simulator: --portal and --portal-group exclude '
              'each other (give the portals in the groups)',
              file=sys.stderr)
        return 2
    if bool(args.tls_cert) != bool(args.tls_key):
        print('ngxstorage-simulator: --tls-cert and --tls-key go together',
              file=sys.stderr)
        return 2
    backing = make_backing(args)
    if backing is None and not (args.data_dir or args.iscsi):
        print('ngxstorage-simulator: data plane off (no backing configured):'
              ' LUNs exist only in the model, nothing is exported over '
              'iSCSI', file=sys.stderr)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    keys = [{'name': 'token%d' % (index + 2), 'token': token}
            for index, token in enumerate(args.token[1:])]
    try:
        sim = simulator.Simulator(
            pools=tuple(args.pool) or simulator.DEFAULT_POOLS,
            portals=tuple(args.portal) or simulator.DEFAULT_PORTALS,
            tls_cert=args.tls_cert, tls_key=args.tls_key,
            latency_ms=args.latency_ms, keys=keys,
            state_file=args.state_file, service_tag=args.service_tag,
            backing=backing, host=args.host, port=args.port,
            token=args.token[0] if args.token else None,
            admin_token=args.admin_token,
            data_dir=args.data_dir, iscsi=args.iscsi,
            variants=args.variant,
            portal_groups=tuple(args.portal_group) or None)
        if args.keys_file:
            sim.keys.load_file(args.keys_file)
        if sim.loaded_from_file and (args.pool or args.portal
                                     or args.portal_group):
            print('ngxstorage-simulator: state loaded from %s; --pool, '
                  '--portal and --portal-group are ignored'
                  % args.state_file, file=sys.stderr)
        sim.start()
        if sim.dataplane is not None:
            print('ngxstorage-simulator: %s' % sim.dataplane.status(),
                  file=sys.stderr)
    except (OSError, ValueError, TypeError, KeyError,
            dataplane.DataPlaneError) as e:
        print('ngxstorage-simulator: cannot start: %s' % e, file=sys.stderr)
        return 1
    try:
        sys.stdout.write(ready_line(sim) + '\n')
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
