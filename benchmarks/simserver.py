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

"""The simulated array of the benchmarks, in a process of its own.

A real array is another machine: running the simulator in its own process
keeps its CPU time (and Python's global lock) out of the driver's, and lets
the benchmark read its memory. The array is preloaded through the state
model directly (no HTTP), so 10,000 LUNs take seconds, not minutes.

Started as ``python -m benchmarks.simserver --luns N --hosts H``, it prints
one JSON line when it serves (url, token, preload figures), then answers
one JSON line per JSON command line read on stdin:

``{"cmd": "latency", "ms": 20}``
    set the latency added to every API request;
``{"cmd": "log"}``
    the API requests served since the last ``log`` (op id -> count), and
    forget them;
``{"cmd": "stats"}``
    resident memory, CPU time and object counts;
``{"cmd": "state_rate", "seconds": 1.0}``
    operations per second of the state model alone (no HTTP);
``{"cmd": "quit"}``
    stop.
"""

import argparse
import collections
import json
import os
import random
import sys
import time

from cinder_ngxstorage import naming
from cinder_ngxstorage.simulator import Simulator
from cinder_ngxstorage.simulator import state as state_mod

POOLS = ('pool1:100T', 'pool2:10T')
PRELOAD_POOL = 'pool1'
PORTALS = ('127.0.0.1:3260', '127.0.0.2:3260')
# One snapshot per this many preloaded LUNs.
SNAPSHOT_EVERY = 10
# LUNs mapped into each preloaded host's target.
LUNS_PER_HOST = 2


def preload_host_name(index):
    """Connector host name of preloaded host number index."""
    return 'preloaded-host-%04d' % index


def memory_kib():
    """(resident, peak resident) memory of this process in KiB."""
    found = {}
    with open('/proc/self/status') as status:
        for line in status:
            key, _sep, value = line.partition(':')
            if key in ('VmRSS', 'VmHWM'):
                found[key] = int(value.split()[0])
    return found.get('VmRSS', 0), found.get('VmHWM', 0)


def preload(state, luns, hosts):
    """Fill the array: luns LUNs (some with a snapshot), hosts hosts.

    Every host gets what the driver makes for one: an auth group with an
    initiator and CHAP, and a target holding LUNS_PER_HOST of the LUNs.
    Returns the vol_ids of the LUNs.
    """
    ctx = state_mod.RequestContext(key_name='bench-preload')
    vol_ids = []
    batch = 0
    while len(vol_ids) < luns:
        quantity = min(state_mod.MAX_QUANTITY, luns - len(vol_ids))
        created = state.lun_create(ctx, {
            'pool_name': PRELOAD_POOL, 'name': 'preloaded%04d' % batch,
            'size': 1, 'thin_provision': 'on', 'quantity': quantity})
        vol_ids += [lun['vol_id'] for lun in created['luns']]
        batch += 1
    for vol_id in vol_ids[::SNAPSHOT_EVERY]:
        state.snapshot_create(ctx, {'name': 'preloaded',
                                    'volume_id': vol_id})
    owner = state.owners[0]
    # Host objects of another deployment sharing the array.
    names = naming.HostNames('preload', state.portal_group_id)
    for index in range(hosts):
        host = preload_host_name(index)
        group_id = state.auth_group_create(ctx, {
            'name': names.auth_group_name(host), 'owner': owner})['id']
        state.auth_group_iqn_add(ctx, {
            'id': group_id, 'iqn': 'iqn.2004-10.org.example:%s' % host,
            'iqn_alias': host, 'owner': owner})
        state.auth_group_chap_set(ctx, {
            'id': group_id, 'username': names.chap_username(host),
            'password': 'preloadsecret%03d' % (index % 1000),
            'owner': owner})
        mapped = [vol_ids[(index * LUNS_PER_HOST + k) % len(vol_ids)]
                  for k in range(LUNS_PER_HOST)] if vol_ids else []
        state.iscsi_target_create(ctx, {
            'name': names.target_name(host, owner, 0),
            'auth_group_id': group_id,
            'portal_group_id': state.portal_group_id, 'owner': owner,
            'lun_ids': sorted(set(mapped))})
    return vol_ids


def state_rate(state, vol_ids, seconds):
    """Operations per second of the state model alone, per operation.

    Calls go through ``state.perform`` as the HTTP front's do, after its
    validation: the figure is the model's own cost.
    """
    ctx = state_mod.RequestContext(key_name='bench-rate')
    rng = random.Random(7)
    targets = [t['scsi_id'] for t in state.iscsi_target_list(ctx, {})]
    owner = state.owners[0]
    counter = [0]
    perform = state.perform

    def lun_detail():
        perform('lun.detail', ctx, {'vol_id': rng.choice(vol_ids)})

    def capacity():
        perform('status.capacity', ctx, {})

    def create_delete():
        counter[0] += 1
        made = perform('lun.create', ctx, {
            'pool_name': PRELOAD_POOL, 'name': 'rate%07d' % counter[0],
            'size': 1, 'thin_provision': 'on'})
        perform('lun.delete', ctx, {'vol_id': made['luns'][0]['vol_id']})

    def map_unmap():
        target, vol_id = rng.choice(targets), rng.choice(vol_ids)
        try:
            perform('iscsi_target.lun_add', ctx, {
                'id': target, 'lun_ids': [vol_id], 'owner': owner})
        except state_mod.ApiError:
            return  # Already mapped there.
        perform('iscsi_target.lun_remove', ctx, {
            'id': target, 'lun_ids': [vol_id], 'owner': owner})

    cases = [('lun.detail', lun_detail, 1), ('status.capacity', capacity, 1),
             ('lun.create+lun.delete', create_delete, 2)]
    if targets and vol_ids:
        cases.append(('iscsi_target.lun_add+lun_remove', map_unmap, 2))
    rates = {}
    for name, func, requests_each in cases:
        if not vol_ids and name == 'lun.detail':
            continue
        done = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            func()
            done += 1
        elapsed = time.perf_counter() - start
        rates[name] = round(done * requests_each / elapsed, 1)
    return rates


def serve(args):
    """Start, preload, announce, then answer commands until quit."""
    rss_empty, _peak = memory_kib()
    sim = Simulator(pools=POOLS, portals=PORTALS, latency_ms=0)
    sim.start()
    start = time.perf_counter()
    vol_ids = preload(sim.state, args.luns, args.hosts)
    preload_s = time.perf_counter() - start
    sim.clear_requests()
    rss, peak = memory_kib()
    print(json.dumps({
        'url': sim.url, 'token': sim.token,
        'portal_group_id': sim.portal_group_id, 'pid': os.getpid(),
        'preload_seconds': round(preload_s, 2),
        'rss_kib_before_preload': rss_empty, 'rss_kib': rss,
        'peak_rss_kib': peak}), flush=True)
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            command = json.loads(line)
            reply = answer(sim, vol_ids, command)
            print(json.dumps(reply), flush=True)
            if command['cmd'] == 'quit':
                break
    finally:
        sim.stop()


def answer(sim, vol_ids, command):
    """The reply to one command (a dict)."""
    cmd = command['cmd']
    if cmd == 'latency':
        sim.app.latency = max(0, command['ms']) / 1000.0
        return {'ok': True}
    if cmd == 'log':
        entries = sim.requests
        sim.clear_requests()
        ops = collections.Counter(e['op_id'] for e in entries)
        statuses = collections.Counter(str(e['status']) for e in entries)
        return {'ops': dict(ops), 'total': len(entries),
                'statuses': dict(statuses)}
    if cmd == 'stats':
        rss, peak = memory_kib()
        times = os.times()
        state = sim.state
        return {'rss_kib': rss, 'peak_rss_kib': peak,
                'cpu_seconds': times.user + times.system,
                'luns': len(state.luns()), 'snapshots': len(state.snapshots()),
                'targets': len(state.targets()),
                'auth_groups': len(state.auth_groups())}
    if cmd == 'state_rate':
        return {'rates': state_rate(sim.state, vol_ids,
                                    command.get('seconds', 1.0))}
    if cmd == 'quit':
        return {'ok': True}
    return {'error': 'unknown command %s' % cmd}


def main(argv=None):
    """Console entry: ``python -m benchmarks.simserver``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--luns', type=int, default=10)
    parser.add_argument('--hosts', type=int, default=1)
    serve(parser.parse_args(argv))


if __name__ == '__main__':
    main()
