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

"""Measure the driver's REST calls and wall time per operation.

``python -m benchmarks.run`` (``tox -e bench``) runs every operation of
:mod:`benchmarks.operations` against the simulator preloaded with each
array size, at each latency, and also: concurrent attaches, the
simulator's own capacity and the explicit listings. It writes
``benchmarks/results/latest.json`` and, through :mod:`benchmarks.report`,
the tables (markdown and the documentation's) and the plot.

Timings are only compared within one run: they depend on the machine and
on what else runs on it (the load average is recorded).
"""

# Like cinder-volume: eventlet's monkey patching before anything else
# (OS_CINDER_DISABLE_EVENTLET_PATCHING=1 runs on native threads).
from tests import monkey_patch; monkey_patch.patch()  # noqa

import argparse  # noqa
from concurrent import futures  # noqa
import datetime  # noqa
import json  # noqa
import os  # noqa
import platform  # noqa
import random  # noqa
import statistics  # noqa
import sys  # noqa
import time  # noqa

from benchmarks import harness  # noqa
from benchmarks import operations  # noqa
from cinder_ngxstorage import client as ngx_client  # noqa
from tests import common  # noqa

RESULTS_DIR = os.path.join(harness.REPO_ROOT, 'benchmarks', 'results')
DEFAULT_LUNS = (10, 1000, 10000)
DEFAULT_HOSTS = (1, 100, 500)
OVERHEAD_TARGET = 1.10


def log(text):
    """Progress on stderr (stdout stays clean)."""
    print(text, file=sys.stderr, flush=True)


def _median(values):
    return statistics.median(values) if values else None


# -- one array size ----------------------------------------------------------

def measure_operation(bench, operation, latencies, repeat):
    """Every sample of one operation; its summary as a dict."""
    summary = {'calls': None, 'by_method': {}, 'log_matches': True,
               'latency': {}}
    calls_seen = set()
    for latency in latencies:
        samples = []
        for _i in range(repeat[latency]):
            run = operation.prepare(bench)
            sample = bench.measure(run, latency_ms=latency)
            samples.append(sample)
            calls_seen.add(sample.calls)
            summary['log_matches'] &= sample.log_matches
            summary['by_method'] = sample.by_method
        seconds = [s.seconds for s in samples]
        own = [s.seconds - s.in_requests for s in samples]
        entry = {'median_s': round(_median(seconds), 6),
                 'min_s': round(min(seconds), 6),
                 'samples_s': [round(s, 6) for s in seconds],
                 # The driver's own time: outside the HTTP requests.
                 'driver_median_s': round(_median(own), 6)}
        calls = samples[-1].calls
        # Calls made at once overlap: the floor is the round trips on
        # the critical path, not the calls.
        trips = (min(operation.depth, calls)
                 if calls == operation.expected else calls)
        if latency and trips:
            entry['overhead_ratio'] = round(
                entry['median_s'] / (trips * latency / 1000.0), 3)
            entry['best_overhead_ratio'] = round(
                entry['min_s'] / (trips * latency / 1000.0), 3)
        summary['latency'][str(latency)] = entry
    summary['calls'] = max(calls_seen)
    summary['calls_min'] = min(calls_seen)
    return summary


def measure_listings(bench):
    """Wall time and answer size of the explicit listings (0 ms)."""
    found = {}
    client = bench.client
    for name in ('list_luns', 'list_luns_detail', 'list_targets_detail',
                 'list_auth_groups'):
        start = time.perf_counter()
        answer = getattr(client, name)()
        seconds = time.perf_counter() - start
        found[name] = {
            'seconds': round(seconds, 6), 'items': len(answer),
            'bytes': len(json.dumps(answer, separators=(',', ':')))}
    return found


def measure_size(luns, hosts, latencies, repeat):
    """Everything measured on one array size."""
    log('== array with %d LUNs, %d hosts' % (luns, hosts))
    array = harness.ArrayProcess(luns, hosts)
    try:
        bench = harness.Bench(array)
        bench.warm_up()
        result = {
            'luns': luns, 'hosts': hosts,
            'preload_seconds': array.info['preload_seconds'],
            'setup': {'calls': bench.setup.calls,
                      'by_method': bench.setup.by_method,
                      'log_matches': bench.setup.log_matches,
                      'seconds': round(bench.setup.seconds, 6)},
            'ops': {},
        }
        for operation in operations.OPERATIONS:
            if not operations.available(operation, bench.driver):
                continue
            summary = measure_operation(bench, operation, latencies, repeat)
            result['ops'][operation.key] = summary
            log('  %-28s calls %2d  %s' % (
                operation.key, summary['calls'], '  '.join(
                    '%sms: %.1f ms' % (lat, 1000 * e['median_s'])
                    for lat, e in summary['latency'].items())))
        result['listings'] = measure_listings(bench)
        stats = array.stats()
        result['simulator'] = {'rss_kib': stats['rss_kib'],
                               'peak_rss_kib': stats['peak_rss_kib']}
        return result, array
    except BaseException:
        array.close()
        raise


# -- concurrency -------------------------------------------------------------

def attach_layout(bench, hosts, volumes):
    """(volume, connector) pairs, host after host in round robin."""
    conns = [bench.new_host() for _h in range(hosts)]
    vols = [[bench.create_volume() for _v in range(volumes)]
            for _h in range(hosts)]
    return [(vols[h][v], conns[h]) for v in range(volumes)
            for h in range(hosts)]


def measure_concurrency(latency, hosts=8, volumes=8, workers=64):
    """Serial against thread-pool attaches of hosts x volumes."""
    log('== concurrency: %d hosts x %d volumes at %d ms'
        % (hosts, volumes, latency))
    array = harness.ArrayProcess(10, 1)
    try:
        bench = harness.Bench(array)
        bench.warm_up()
        result = {'hosts': hosts, 'volumes_per_host': volumes,
                  'workers': workers, 'latency_ms': latency}
        for mode in ('serial', 'concurrent'):
            pairs = attach_layout(bench, hosts, volumes)

            def attach(pair):
                return bench.driver.initialize_connection(*pair)

            if mode == 'serial':
                def run():
                    for pair in pairs:
                        attach(pair)
            else:
                def run():
                    with futures.ThreadPoolExecutor(workers) as pool:
                        list(pool.map(attach, pairs))
            sample = bench.measure(run, latency_ms=latency)
            attaches = len(pairs)
            result[mode] = {
                'seconds': round(sample.seconds, 4),
                'attaches_per_s': round(attaches / sample.seconds, 1),
                'calls': sample.calls,
                'calls_per_attach': round(sample.calls / attaches, 3),
                'log_matches': sample.log_matches,
                'by_method': sample.by_method}
        # What the attaches made: one auth group and one target per host
        # (the array had one preloaded host and the default group).
        stats = array.stats()
        result['targets_made'] = stats['targets'] - 1
        result['auth_groups_made'] = stats['auth_groups'] - 2
        # Per host the lock serialises: the first attach's round trips
        # and one per further volume.
        per_host_trips = (operations.BY_KEY['attach_new_host'].depth
                          + volumes - 1)
        result['ideal_concurrent_seconds'] = per_host_trips * latency / 1e3
        result['speedup'] = round(result['serial']['seconds']
                                  / result['concurrent']['seconds'], 2)
        result['ideal_speedup'] = float(hosts)
        return result
    finally:
        array.close()


# -- the simulator -----------------------------------------------------------

def _cpu_seconds():
    times = os.times()
    return times.user + times.system


def measure_simulator(array, seconds=1.0, workers=8):
    """Requests per second the simulator serves (0 ms), and its memory."""
    log('== simulator capacity at %d LUNs, %d hosts'
        % (array.luns, array.hosts))
    client = ngx_client.NGXStorageClient(array.url, array.token,
                                         pool_maxsize=workers)
    vol_ids = [lun['vol_id'] for lun in client.list_luns()]
    rng = random.Random(3)
    counter = iter(range(10 ** 9))

    def get_lun():
        client.get_lun(rng.choice(vol_ids))
        return 1

    def capacity():
        client.get_capacity()
        return 1

    def create_delete():
        made = client.create_lun('pool1', 'load%09d' % next(counter), 1,
                                 thin_provision='on')
        client.delete_lun(made['luns'][0]['vol_id'])
        return 2

    http = {}
    for name, func in (('GET /lun/{vol_id}', get_lun),
                       ('GET /status/capacity', capacity),
                       ('POST /lun + DELETE /lun', create_delete)):
        array.take_log()
        sim_cpu = array.stats()['cpu_seconds']
        own_cpu = _cpu_seconds()
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()

        def worker():
            done = 0
            while time.perf_counter() < deadline:
                done += func()
            return done

        with futures.ThreadPoolExecutor(workers) as pool:
            done = sum(pool.map(lambda _i: worker(), range(workers)))
        elapsed = time.perf_counter() - start
        sim_cpu = array.stats()['cpu_seconds'] - sim_cpu
        own_cpu = _cpu_seconds() - own_cpu
        served = sum(array.take_log().values())
        http[name] = {
            'requests': served, 'requests_per_s': round(served / elapsed),
            'simulator_cpu_ms_per_request': round(
                1000 * sim_cpu / max(served, 1), 3),
            'client_cpu_ms_per_request': round(
                1000 * own_cpu / max(done, 1), 3)}
        log('  %-26s %6d req/s  simulator %.2f ms CPU/req, client %.2f'
            % (name, http[name]['requests_per_s'],
               http[name]['simulator_cpu_ms_per_request'],
               http[name]['client_cpu_ms_per_request']))
    rates = array.command('state_rate', seconds=seconds / 2)['rates']
    stats = array.stats()
    return {
        'luns': array.luns, 'hosts': array.hosts, 'workers': workers,
        'http': http, 'state_ops_per_s': rates,
        'rss_kib_empty': array.info['rss_kib_before_preload'],
        'rss_kib_preloaded': array.info['rss_kib'],
        'rss_kib_now': stats['rss_kib'],
        'peak_rss_kib': stats['peak_rss_kib'],
        'objects': {k: stats[k] for k in ('luns', 'snapshots', 'targets',
                                          'auth_groups')}}


# -- summary -----------------------------------------------------------------

def summarise(results, latencies):
    """Per operation: calls flat across sizes, and time growth."""
    summary = {}
    slow = str(max(latencies))
    for operation in operations.OPERATIONS:
        rows = [r['ops'][operation.key] for r in results
                if operation.key in r['ops']]
        if not rows:
            continue
        calls = sorted({row['calls'] for row in rows}
                       | {row['calls_min'] for row in rows})
        # Best of N: the least disturbed by whatever else runs.
        best = [row['latency'][slow]['min_s'] for row in rows
                if slow in row['latency']]
        entry = {'calls': calls, 'calls_flat': len(calls) == 1,
                 'at_minimum': calls == [operation.minimum],
                 'log_matches': all(row['log_matches'] for row in rows)}
        if best and min(best) > 0:
            entry['time_growth'] = round(best[-1] / best[0], 3)
            entry['time_spread'] = round(max(best) / min(best), 3)
        ratios = [row['latency'][slow].get('overhead_ratio')
                  for row in rows if slow in row['latency']]
        ratios = [r for r in ratios if r is not None]
        if ratios:
            entry['overhead_ratio_median'] = round(_median(ratios), 3)
            entry['overhead_ratio_max'] = max(ratios)
            entry['best_overhead_ratio_median'] = round(_median([
                row['latency'][slow]['best_overhead_ratio'] for row in rows
                if 'best_overhead_ratio' in row['latency'].get(slow, {})]),
                3)
        summary[operation.key] = entry
    return summary


def parse_sizes(text):
    """'10x1,1000x100' -> [(10, 1), (1000, 100)]."""
    sizes = []
    for item in text.split(','):
        luns, _sep, hosts = item.partition('x')
        sizes.append((int(luns), int(hosts or 1)))
    return sizes


def main(argv=None):
    """Run the benchmarks; write the results, tables and plot."""
    # Cinder's lock coordinator, as a volume service has it (file locks
    # in a temporary directory), for the whole run.
    with common.Coordination():
        return _run(argv)


def _run(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--latency-ms', type=int, nargs='+',
                        default=[0, 20],
                        help='latencies to measure at (default 0 20)')
    parser.add_argument('--sizes', type=parse_sizes,
                        help='array sizes LUNSxHOSTS,... (default: every '
                        'combination of %s LUNs and %s hosts)'
                        % (DEFAULT_LUNS, DEFAULT_HOSTS))
    parser.add_argument('--repeat', type=int, default=7,
                        help='samples per operation at 0 ms (default 7)')
    parser.add_argument('--repeat-latency', type=int, default=5,
                        help='samples per operation with latency '
                        '(default 5)')
    parser.add_argument('--output', default=os.path.join(RESULTS_DIR,
                                                         'latest.json'))
    parser.add_argument('--no-report', action='store_true',
                        help='write the JSON only (no tables, no plot)')
    parser.add_argument('--skip-concurrency', action='store_true')
    args = parser.parse_args(argv)
    sizes = args.sizes or [(luns, hosts) for luns in DEFAULT_LUNS
                           for hosts in DEFAULT_HOSTS]
    latencies = sorted(set(args.latency_ms))
    repeat = {lat: (args.repeat_latency if lat else args.repeat)
              for lat in latencies}
    started = time.perf_counter()
    load_before = os.getloadavg()
    results = []
    simulator = None
    biggest = max(sizes)
    for luns, hosts in sizes:
        result, array = measure_size(luns, hosts, latencies, repeat)
        try:
            results.append(result)
            if (luns, hosts) == biggest:
                simulator = measure_simulator(array)
        finally:
            array.close()
    concurrency = None
    slow = max(latencies)
    if slow and not args.skip_concurrency:
        concurrency = measure_concurrency(slow)
    document = {
        'generated': datetime.datetime.now(datetime.timezone.utc)
        .isoformat(timespec='seconds'),
        'machine': {'cpus': os.cpu_count(), 'python': platform
                    .python_version(), 'platform': platform.platform(),
                    'loadavg_before': [round(x, 2) for x in load_before],
                    'loadavg_after': [round(x, 2) for x in
                                      os.getloadavg()],
                    'eventlet': monkey_patch.is_patched()},
        'settings': {'latencies_ms': latencies,
                     'repeat': {str(k): v for k, v in repeat.items()},
                     'sizes': [{'luns': lu, 'hosts': h} for lu, h in sizes],
                     'overhead_target': OVERHEAD_TARGET},
        'operations': [{
            'key': op.key, 'title': op.title, 'minimum': op.minimum,
            'expected': op.expected, 'why': op.why, 'note': op.note,
            'listing': op.listing, 'core': op.core,
            'measured': any(op.key in r['ops'] for r in results)}
            for op in operations.OPERATIONS],
        'results': results,
        'summary': summarise(results, latencies),
        'concurrency': concurrency,
        'simulator': simulator,
        'seconds': round(time.perf_counter() - started, 1),
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)),
                exist_ok=True)
    tmp = args.output + '.tmp'
    with open(tmp, 'w') as out:
        json.dump(document, out, indent=1, sort_keys=True)
        out.write('\n')
    os.replace(tmp, args.output)
    log('wrote %s (%.0f s)' % (args.output, document['seconds']))
    if not args.no_report:
        from benchmarks import report
        report.write_all(document)
    problems = [key for key, entry in document['summary'].items()
                if not entry['log_matches']
                or entry['calls'] != [operations.BY_KEY[key].expected]]
    if problems:
        log('calls differ from the documented count: %s'
            % ', '.join(problems))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
