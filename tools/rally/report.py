#!/usr/bin/env python3
"""Rally's results and the stack's logs as tables (and a plot).

``report.py snapshot --work STACK_WORK --out FILE``
    CPU time (user + system, seconds) of every process group the stack
    started ($STACK_WORK/pids), read from /proc: run at the start and at
    the end of the task.
``report.py --logs .rally-logs [--save DIR] [--doc doc/source]``
    read Rally's JSON report, cinder-volume.log (debug), the simulator's
    request log and the CPU snapshots; print the tables, write
    ``summary.line`` (``rally: N passed, N failed, 0 skipped``, one per
    iteration) and ``measures.json``; with ``--save`` copy the results
    there (and Rally's report, gzipped), with ``--doc`` write
    ``rally-results.inc`` and ``_static/rally-results.png`` (matplotlib,
    when it imports). Exit 1 when an iteration failed or none ran.

The volume manager's time for a request is the time between the first
and the last line of that request id (``req-...``) in cinder-volume.log,
in the process of one backend (or the start of its first REST call);
the driver's REST calls are its debug lines (``METHOD /path -> STATUS in
N ms``) under the same request id, and the driver's own code the gaps
between its consecutive lines with no line of Cinder's between them.
"""

import argparse
import collections
import datetime
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import time

BACKENDS = ('ngx', 'fake')


# -- CPU snapshots -----------------------------------------------------------

def _proc_stats():
    """{pid: (pgid, utime + stime in ticks, comm)} of every process."""
    out = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                data = f.read()
        except OSError:
            continue
        comm = data[data.index('(') + 1:data.rindex(')')]
        fields = data[data.rindex(')') + 2:].split()
        # fields[0] is field 3 (state): pgrp is field 5, utime 14, stime 15.
        out[int(name)] = (int(fields[2]), int(fields[11]) + int(fields[12]),
                          comm)
    return out


def cmd_snapshot(args):
    ticks = os.sysconf('SC_CLK_TCK')
    procs = _proc_stats()
    groups = {}
    piddir = os.path.join(args.work, 'pids')
    for name in sorted(os.listdir(piddir)):
        with open(os.path.join(piddir, name)) as f:
            pgid = int(f.read().strip())
        members = [p for p, (g, _, _) in procs.items() if g == pgid]
        groups[name] = {
            'cpu_s': sum(procs[p][1] for p in members) / ticks,
            'processes': len(members)}
    with open('/proc/loadavg') as f:
        load = f.read().split()[:3]
    snap = {'time': time.time(), 'loadavg': [float(x) for x in load],
            'ncpu': os.cpu_count(), 'groups': groups}
    with open(args.out, 'w') as f:
        json.dump(snap, f, indent=1, sort_keys=True)
    return 0


# -- Rally's results ---------------------------------------------------------

def _pct(values, q):
    """The q-th percentile (nearest rank) of values."""
    if not values:
        return None
    values = sorted(values)
    rank = max(0, min(len(values) - 1,
                      int(round(q / 100.0 * len(values) + 0.5)) - 1))
    return values[rank]


def _stats(values):
    if not values:
        return {'n': 0, 'median': None, 'p90': None, 'max': None}
    return {'n': len(values), 'median': statistics.median(values),
            'p90': _pct(values, 90), 'max': max(values)}


_TYPE_IN_NAME = re.compile(r'^(.*) \[(\w+)\]$')


def _atomics(actions, prefix=''):
    """Flatten Rally's atomic actions: (name, seconds, failed)."""
    for act in actions or []:
        name = act['name']
        end = act.get('finished_at')
        dur = None if end is None else end - act['started_at']
        yield prefix + name, dur, bool(act.get('failed'))
        for child in _atomics(act.get('children'), prefix + name + ' > '):
            yield child


def rally_rows(report):
    """One row per workload and atomic action (and per whole iteration)."""
    rows = []
    workloads = []
    for task in report['tasks']:
        for subtask in task['subtasks']:
            for wl in subtask['workloads']:
                scenario = wl.get('name') or next(iter(wl['scenario']))
                args = wl.get('args')
                if args is None:
                    args = next(iter(wl['scenario'].values())) or {}
                runner = wl.get('runner') or {}
                rargs = next(iter(runner.values())) if runner else {}
                conc = rargs.get('concurrency')
                vtype = args.get('volume_type')
                if vtype is None:
                    ctx = wl.get('contexts') or wl.get('context') or {}
                    vtype = (ctx.get('volumes') or {}).get('type')
                data = wl.get('data') or []
                ok = [it for it in data if not it.get('error')]
                info = {'scenario': scenario, 'concurrency': conc,
                        'type': vtype, 'iterations': len(data),
                        'failed': len(data) - len(ok),
                        'start': wl.get('start_time'),
                        'load_duration': wl.get('load_duration'),
                        'full_duration': wl.get('full_duration'),
                        'errors': [it['error'][:2] for it in data
                                   if it.get('error')][:3]}
                workloads.append(info)
                per = collections.defaultdict(lambda: ([], [0, 0]))
                for it in data:
                    failed = bool(it.get('error'))
                    for name, dur, afail in _atomics(
                            it.get('atomic_actions')):
                        t = vtype
                        m = _TYPE_IN_NAME.match(name)
                        if m:
                            name, t = m.group(1), m.group(2)
                        key = (name, t)
                        if dur is not None and not afail:
                            per[key][0].append(dur)
                        per[key][1][0] += 1
                        per[key][1][1] += int(afail)
                    itype = vtype
                    if itype is None:
                        # Interleaved types: the one in its actions' names.
                        for act in it.get('atomic_actions') or []:
                            m = _TYPE_IN_NAME.match(act['name'])
                            if m:
                                itype = m.group(2)
                                break
                    key = ('(iteration)', itype)
                    if itype is not None:
                        if not failed:
                            per[key][0].append(it['duration'])
                        per[key][1][0] += 1
                        per[key][1][1] += int(failed)
                for (name, t), (durs, (n, nfail)) in per.items():
                    row = {'scenario': scenario, 'concurrency': conc,
                           'action': name, 'type': t, 'count': n,
                           'success': 100.0 * (n - nfail) / n if n else 0}
                    row.update(_stats(durs))
                    rows.append(row)
    return rows, workloads


# -- cinder-volume.log -------------------------------------------------------

# "[GLOBAL_REQUEST_ID REQUEST_ID USER PROJECT ...]": the global one is
# None or the id a client passed on (cinderclient passes its last one).
_LINE = re.compile(
    r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (\d+) (\w+) (\S+) '
    r'\[\S+ (req-[0-9a-f-]+)([^\]]*)\] (.*)$')
_REST = re.compile(r'^(GET|POST|PUT|PATCH|DELETE) (\S+) -> (\S+) in (\d+) ms')
_DRIVER = re.compile(r'Starting volume driver (\w+)')

# What the manager did for a request, from its lines (first match wins).
_OPS = (
    ('attachment_update', re.compile(
        r'attachment_update|Initialize volume connection completed')),
    ('attachment_delete', re.compile(
        r'Terminate volume connection completed|Remove volume export '
        r'completed|attachment_delete|detach')),
    ('extend_volume', re.compile(r'[Ee]xtend')),
    ('create_snapshot', re.compile(r'[Cc]reate snapshot completed|'
                                   r'snapshot_create_manager|'
                                   r'create_snapshot')),
    ('delete_snapshot', re.compile(r'[Dd]elete snapshot completed|'
                                   r'delete_snapshot')),
    ('create_volume', re.compile(r'volume_create_manager|Created volume '
                                 r'successfully')),
    ('delete_volume', re.compile(r'[Dd]eleted volume successfully|'
                                 r'delete_volume')),
)
_CREATE_KIND = (
    ('create_volume (clone)', re.compile(r"'source_volid': '[0-9a-f]")),
    ('create_volume (from snapshot)', re.compile(
        r"'snapshot_id': '[0-9a-f]")),
)


def _ts(text):
    return datetime.datetime.strptime(
        text, '%Y-%m-%d %H:%M:%S.%f').replace(
            tzinfo=datetime.timezone.utc).timestamp()


def volume_manager(path, tz_offset=0.0):
    """Requests handled by cinder-volume, per backend.

    Returns [{'backend', 'op', 'start', 'seconds', 'rest_calls',
    'rest_ms', 'req'}] for every request id that is not a periodic task.
    """
    backend_of_pid = {}
    reqs = collections.OrderedDict()
    with open(path, errors='replace') as f:
        for line in f:
            m = _LINE.match(line)
            if not m:
                continue
            ts, pid, _level, logger, req, ctx, msg = m.groups()
            d = _DRIVER.search(msg)
            if d:
                backend_of_pid[pid] = (
                    'fake' if 'Fake' in d.group(1) else 'ngx')
            # Periodic tasks and start-up run without a user.
            if ctx.strip().startswith('- -'):
                continue
            r = reqs.get((pid, req))
            if r is None:
                r = reqs[(pid, req)] = {
                    'pid': pid, 'req': req, 'first': ts, 'last': ts,
                    'rest_calls': 0, 'rest_ms': 0, 'op': None,
                    'kind': None, 'rest_start': None, 'rest_end': None,
                    'code': 0.0, 'prev_driver': None}
            r['last'] = ts
            rest = _REST.match(msg)
            if logger.startswith('cinder_ngxstorage'):
                # The driver's own code: the gaps between its consecutive
                # lines (a REST call's line is written when the answer is
                # in: the call began ms before), with no line of Cinder's
                # in between.
                t = _ts(ts)
                begin = t
                if rest:
                    begin = t - int(rest.group(4)) / 1000.0
                if r['prev_driver'] is not None:
                    r['code'] += max(0.0, begin - r['prev_driver'])
                r['prev_driver'] = t
            else:
                r['prev_driver'] = None
            if rest and logger.startswith('cinder_ngxstorage'):
                ms = int(rest.group(4))
                end = _ts(ts)
                r['rest_calls'] += 1
                r['rest_ms'] += ms
                if r['rest_start'] is None:
                    r['rest_start'] = end - ms / 1000.0
                r['rest_end'] = end
                continue
            if r['op'] is None:
                for op, rx in _OPS:
                    if rx.search(msg):
                        r['op'] = op
                        break
            if r['kind'] is None:
                for kind, rx in _CREATE_KIND:
                    if rx.search(msg):
                        r['kind'] = kind
                        break
    out = []
    for r in reqs.values():
        backend = backend_of_pid.get(r['pid'])
        if backend is None:
            continue
        op = r['op'] or 'other'
        if op == 'create_volume' and r['kind']:
            op = r['kind']
        first = _ts(r['first'])
        if r['rest_start'] is not None:
            first = min(first, r['rest_start'])
        window = 0.0
        if r['rest_start'] is not None:
            window = r['rest_end'] - r['rest_start']
        out.append({'backend': backend, 'op': op, 'req': r['req'],
                    'start': first + tz_offset,
                    'seconds': _ts(r['last']) - first,
                    'lines_only_one': r['first'] == r['last'],
                    'rest_calls': r['rest_calls'],
                    'rest_ms': r['rest_ms'],
                    # From the first call's start to the last call's end:
                    # the driver's round trips and its code between them.
                    'driver_window_ms': window * 1000.0,
                    'driver_code_ms': r['code'] * 1000.0})
    return out


def vm_rows(requests):
    by = collections.defaultdict(list)
    for r in requests:
        by[(r['op'], r['backend'])].append(r)
    rows = []
    for (op, backend), rs in sorted(by.items()):
        secs = [r['seconds'] for r in rs]
        row = {'op': op, 'backend': backend, 'requests': len(rs),
               'mean': statistics.mean(secs),
               'one_line': sum(r['lines_only_one'] for r in rs),
               'rest_calls': statistics.mean(r['rest_calls'] for r in rs),
               'rest_ms': statistics.mean(r['rest_ms'] for r in rs),
               'window_ms': statistics.mean(r['driver_window_ms']
                                            for r in rs),
               'code_ms': statistics.mean(r['driver_code_ms'] for r in rs)}
        row.update(_stats(secs))
        rows.append(row)
    return rows


def driver_share(vm):
    """Per operation: the NGXStorage driver's share of the manager's time.

    The fake driver does nothing, so the manager's mean time with it is
    Cinder's own part; what the ngx backend takes more is the driver's:
    its round trips to the array (their logged time) and its own code.
    """
    by = {(r['op'], r['backend']): r for r in vm}
    out = []
    for (op, backend), r in sorted(by.items()):
        f = by.get((op, 'fake'))
        if backend != 'ngx' or f is None:
            continue
        extra = r['mean'] - f['mean']
        # The fake driver's manager logs one line only for some operations
        # (extend, snapshot create, export removal): no span to compare.
        comparable = f['one_line'] < f['requests'] / 2
        own = extra - r['rest_ms'] / 1000.0
        between = r['code_ms'] / 1000.0
        out.append({'op': op, 'ngx_mean': r['mean'], 'fake_mean': f['mean'],
                    'extra': extra if comparable else None,
                    'rest_calls': r['rest_calls'],
                    'rest_s': r['rest_ms'] / 1000.0,
                    'own': own if comparable else None,
                    'own_share': (own / r['mean'] if r['mean'] and
                                  comparable else None),
                    'between': between,
                    'between_share': (between / r['mean'] if r['mean']
                                      else 0),
                    'rest_share': (r['rest_ms'] / 1000.0 / r['mean']
                                   if r['mean'] else 0)})
    return out


# -- the simulator's request log and CPU ------------------------------------

def sim_calls(entries, workloads):
    """API requests the simulator answered during each workload."""
    times = sorted(e['time'] for e in entries
                   if not (e.get('path') or '').startswith('/_sim'))
    import bisect
    out = []
    for wl in workloads:
        start = wl['start']
        if start is None or wl['full_duration'] is None:
            out.append(None)
            continue
        if start > 1e12:          # microseconds
            start /= 1e6
        end = start + wl['full_duration']
        n = (bisect.bisect_right(times, end) -
             bisect.bisect_left(times, start))
        out.append(n)
    return out, len(times)


_UWSGI = re.compile(r'\] (GET|POST|PUT|PATCH|DELETE|HEAD) (\S+) => '
                    r'generated \d+ bytes in (\d+) msecs')
_API = re.compile(r'"(GET|POST|PUT|PATCH|DELETE|HEAD) \S+ HTTP/[\d.]+" '
                  r'status: (\d+)')


def keystone_load(logs):
    """Keystone's requests (uWSGI log) and cinder-api's, for the run."""
    out = {}
    path = os.path.join(logs, 'keystone-uwsgi.log')
    if os.path.exists(path):
        ms = []
        kinds = collections.Counter()
        with open(path, errors='replace') as f:
            for line in f:
                m = _UWSGI.search(line)
                if m:
                    ms.append(int(m.group(3)))
                    p = m.group(2).split('?')[0]
                    kinds['%s %s' % (m.group(1), re.sub(
                        r'[0-9a-f]{32}', 'ID', p))] += 1
        out['keystone_requests'] = len(ms)
        out['keystone_median_ms'] = statistics.median(ms) if ms else None
        out['token_issues'] = kinds.get('POST /v3/auth/tokens', 0)
        out['token_validations'] = kinds.get('GET /v3/auth/tokens', 0)
        out['version_discovery'] = (kinds.get('GET /', 0) +
                                    kinds.get('GET /v3', 0))
    path = os.path.join(logs, 'cinder-api.log')
    if os.path.exists(path):
        with open(path, errors='replace') as f:
            out['cinder_api_requests'] = sum(
                1 for line in f if _API.search(line))
    return out


def cpu_rows(start, end):
    wall = end['time'] - start['time']
    rows = []
    for name, g in sorted(end['groups'].items()):
        s = start['groups'].get(name, {}).get('cpu_s', 0.0)
        rows.append({'process': name, 'cpu_s': g['cpu_s'] - s,
                     'cores': (g['cpu_s'] - s) / wall if wall else 0})
    return rows, wall


# -- output ------------------------------------------------------------------

def _f(value, digits=2):
    if value is None:
        return '-'
    if isinstance(value, float):
        return '%.*f' % (digits, value)
    return str(value)


def rst_table(header, rows):
    cols = list(zip(*([header] + rows)))
    widths = [max(len(str(c)) for c in col) for col in cols]
    sep = '  '.join('=' * w for w in widths)
    lines = [sep, '  '.join(str(h).ljust(w) for h, w in zip(header, widths)),
             sep]
    for row in rows:
        lines.append('  '.join(str(c).ljust(w) for c, w in zip(row, widths)))
    lines.append(sep)
    return '\n'.join(lines)


def action_table(rows):
    """Per scenario, concurrency and action: both backends side by side."""
    by = collections.OrderedDict()
    for r in rows:
        key = (r['scenario'], r['concurrency'], r['action'])
        by.setdefault(key, {})[r['type']] = r
    out = []
    for (scen, conc, action), per in by.items():
        n = per.get('ngx')
        f = per.get('fake')

        def cell(r, k):
            return _f(r[k]) if r else '-'
        ratio = '-'
        if n and f and n['median'] and f['median']:
            ratio = '%.2f' % (n['median'] / f['median'])
        succ = '/'.join('%d' % r['success'] if r else '-' for r in (n, f))
        out.append([scen.replace('CinderVolumes.', ''), conc, action,
                    '%s/%s' % (n['count'] if n else '-',
                               f['count'] if f else '-'),
                    succ, cell(n, 'median'), cell(n, 'p90'), cell(n, 'max'),
                    cell(f, 'median'), cell(f, 'p90'), cell(f, 'max'),
                    ratio])
    header = ['scenario', 'c', 'action', 'n ngx/fake', 'ok % ngx/fake',
              'ngx med', 'ngx p90', 'ngx max', 'fake med', 'fake p90',
              'fake max', 'ngx/fake']
    return header, out


def vm_table(vm):
    by = collections.OrderedDict()
    for r in vm:
        by.setdefault(r['op'], {})[r['backend']] = r
    out = []
    for op, per in by.items():
        n = per.get('ngx')
        f = per.get('fake')
        out.append([op, n['requests'] if n else 0, f['requests'] if f else 0,
                    _f(n and n['median'] * 1000, 0),
                    _f(n and n['p90'] * 1000, 0),
                    _f(f and f['median'] * 1000, 0),
                    _f(f and f['p90'] * 1000, 0),
                    _f(n and n['rest_calls'], 1),
                    _f(n and n['rest_ms'], 0)])
    header = ['operation', 'req ngx', 'req fake', 'ngx med ms', 'ngx p90 ms',
              'fake med ms', 'fake p90 ms', 'REST calls', 'REST ms']
    return header, out


def share_table(shares):
    def ms(v):
        return '-' if v is None else '%.0f' % (v * 1000)

    def pct(v):
        return '-' if v is None else '%.1f' % (100 * v)
    out = [[s['op'], ms(s['ngx_mean']), ms(s['fake_mean']), ms(s['extra']),
            _f(s['rest_calls'], 1), ms(s['rest_s']), pct(s['rest_share']),
            ms(s['between']), pct(s['between_share']), pct(s['own_share'])]
           for s in shares]
    header = ['operation', 'ngx ms', 'fake ms', 'ngx-fake ms', 'REST calls',
              'REST ms', 'REST %', 'driver code ms', 'driver code %',
              '(ngx-fake-REST) %']
    return header, out


def plot(rows, path):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('report: matplotlib not available, no plot', file=sys.stderr)
        return False
    its = [r for r in rows if r['action'] == '(iteration)']
    scenarios = sorted({r['scenario'] for r in its})
    concs = sorted({r['concurrency'] for r in its})
    fig, axes = plt.subplots(1, len(scenarios),
                             figsize=(2.6 * len(scenarios), 3.4),
                             sharey=False, squeeze=False)
    for ax, scen in zip(axes[0], scenarios):
        for t, style in (('ngx', 'o-'), ('fake', 's--')):
            pts = sorted((r['concurrency'], r['median'], r['p90'])
                         for r in its if r['scenario'] == scen
                         and r['type'] == t and r['median'] is not None)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style,
                        label='%s median' % t)
                ax.fill_between([p[0] for p in pts], [p[1] for p in pts],
                                [p[2] for p in pts], alpha=0.15)
        ax.set_title(scen.split('.')[-1].replace('_', ' '), fontsize=8)
        ax.set_xticks(concs)
        ax.set_xlabel('concurrency', fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    axes[0][0].set_ylabel('seconds per iteration', fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.suptitle('Rally: seconds per iteration (median, band to p90)',
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def cmd_report(args):
    L = args.logs
    with open(os.path.join(L, 'rally-report.json')) as f:
        report = json.load(f)
    rows, workloads = rally_rows(report)
    vm_path = os.path.join(L, 'cinder-volume.log')
    requests = volume_manager(vm_path) if os.path.exists(vm_path) else []
    for r in requests:
        r['concurrency'] = None
        for wl in workloads:
            start, dur = wl['start'], wl['full_duration']
            if start is None or dur is None:
                continue
            if start > 1e12:
                start /= 1e6
            if start <= r['start'] <= start + dur:
                r['concurrency'] = wl['concurrency']
                break
    vm = vm_rows(requests)
    shares = driver_share(vm)
    shares_c1 = driver_share(vm_rows(
        [r for r in requests if r['concurrency'] == 1]))
    sim = []
    sim_path = os.path.join(L, 'sim-requests.json')
    if os.path.exists(sim_path):
        with open(sim_path) as f:
            sim = json.load(f)
    per_wl, sim_total = sim_calls(sim, workloads)
    for wl in workloads:
        # The driver's own calls (its debug lines) in the workload's time.
        start, dur = wl['start'], wl['full_duration']
        if start is None or dur is None:
            wl['driver_calls_per_iteration'] = None
            continue
        if start > 1e12:
            start /= 1e6
        calls = sum(r['rest_calls'] for r in requests
                    if r['backend'] == 'ngx' and
                    start <= r['start'] <= start + dur)
        wl['driver_calls_per_iteration'] = (
            calls / wl['iterations'] if wl['iterations'] else None)
    for wl, n in zip(workloads, per_wl):
        wl['sim_calls'] = n
        wl['sim_calls_per_iteration'] = (
            n / wl['iterations'] if n is not None and wl['iterations']
            else None)
    cpu = []
    wall = None
    try:
        with open(os.path.join(L, 'cpu-start.json')) as f:
            c0 = json.load(f)
        with open(os.path.join(L, 'cpu-end.json')) as f:
            c1 = json.load(f)
        cpu, wall = cpu_rows(c0, c1)
    except (OSError, ValueError):
        c0 = c1 = None
    ks = keystone_load(L)
    total = sum(w['iterations'] for w in workloads)
    failed = sum(w['failed'] for w in workloads)
    line = 'rally: %d passed, %d failed, 0 skipped' % (total - failed, failed)
    ngx_calls = sum(r['rest_calls'] for r in requests if r['backend'] == 'ngx')
    measures = {'summary': line, 'workloads': workloads, 'actions': rows,
                'volume_manager': vm, 'driver_share': shares,
                'driver_share_c1': shares_c1, 'cpu': cpu,
                'cpu_wall_s': wall,
                'loadavg': [c0 and c0['loadavg'], c1 and c1['loadavg']],
                'ncpu': c1 and c1['ncpu'],
                'sim_api_requests': sim_total,
                'driver_rest_calls_logged': ngx_calls, 'keystone': ks}
    with open(os.path.join(L, 'measures.json'), 'w') as f:
        json.dump(measures, f, indent=1, sort_keys=True)

    text = []
    text.append('Per scenario and atomic action: seconds (Rally)\n')
    text.append(rst_table(*action_table(rows)))
    text.append('\nWorkloads: iterations, failures; the simulator\'s API '
                'requests (set-up, cleanup and pool statistics included) '
                'and the driver\'s logged REST calls per iteration\n')
    text.append(rst_table(
        ['scenario', 'type', 'c', 'iterations', 'failed', 'load s',
         'array requests / it.', 'driver calls / it.'],
        [[w['scenario'].replace('CinderVolumes.', ''), w['type'] or 'both',
          w['concurrency'], w['iterations'], w['failed'],
          _f(w['load_duration'], 1), _f(w['sim_calls_per_iteration'], 1),
          _f(w['driver_calls_per_iteration'], 1)]
         for w in workloads]))
    text.append('\nVolume manager (cinder-volume.log, per request id): '
                'milliseconds\n')
    text.append(rst_table(*vm_table(vm)))
    text.append('\nThe driver\'s share of the volume manager\'s time '
                '(means)\n')
    text.append(rst_table(*share_table(shares)))
    if shares_c1:
        text.append('\nThe same at concurrency 1 only (no other request in '
                    'the process)\n')
        text.append(rst_table(*share_table(shares_c1)))
    if cpu:
        text.append('\nCPU per process group over %.0f s (%s cores)\n'
                    % (wall, c1['ncpu']))
        text.append(rst_table(
            ['process', 'CPU s', 'cores used'],
            [[c['process'], _f(c['cpu_s'], 1), _f(c['cores'], 2)]
             for c in cpu]))
        text.append('\nLoad average at start %s, at end %s\n'
                    % (' '.join(map(str, c0['loadavg'])),
                       ' '.join(map(str, c1['loadavg']))))
    text.append('\nThe driver logged %d REST calls; the simulator answered '
                '%d API requests (the rest: periodic pool statistics).'
                % (ngx_calls, sim_total))
    if ks:
        text.append('\nKeystone answered %s requests (median %s ms): %s '
                    'token issues, %s version discoveries, %s token '
                    'validations for %s cinder-api requests (the rest are '
                    'cached by keystonemiddleware).'
                    % (ks.get('keystone_requests'),
                       ks.get('keystone_median_ms'), ks.get('token_issues'),
                       ks.get('version_discovery'),
                       ks.get('token_validations'),
                       ks.get('cinder_api_requests')))
    body = '\n'.join(text) + '\n'
    print(body)
    print(line)
    for w in workloads:
        for err in w['errors']:
            print('error in %s [%s] c=%s: %s' % (
                w['scenario'], w['type'], w['concurrency'], err))
    with open(os.path.join(L, 'summary.line'), 'w') as f:
        f.write(line + '\n')
    with open(os.path.join(L, 'rally-results.txt'), 'w') as f:
        f.write(body + line + '\n')

    if args.save:
        os.makedirs(args.save, exist_ok=True)
        for name in ('measures.json', 'rally-results.txt'):
            shutil.copy(os.path.join(L, name), os.path.join(args.save, name))
        # Rally's own report, compressed (1 MB of JSON, 50 kB gzipped).
        with open(os.path.join(L, 'rally-report.json'), 'rb') as src:
            with gzip.GzipFile(os.path.join(args.save,
                                            'rally-report.json.gz'),
                               'wb', mtime=0) as dst:
                shutil.copyfileobj(src, dst)
    if args.doc:
        os.makedirs(os.path.join(args.doc, '_static'), exist_ok=True)
        plot(rows, os.path.join(args.doc, '_static', 'rally-results.png'))
        with open(os.path.join(args.doc, 'rally-results.inc'), 'w') as f:
            f.write('.. Generated by tools/rally/report.py: do not edit.\n\n')
            f.write(body.replace('\nThe driver logged', '\nThe driver '
                                 'logged'))
            f.write('\n``%s``\n' % line)
    return 1 if failed or not total else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='cmd')
    p = sub.add_parser('snapshot')
    p.add_argument('--work', required=True)
    p.add_argument('--out', required=True)
    parser.add_argument('--logs')
    parser.add_argument('--save')
    parser.add_argument('--doc')
    args = parser.parse_args(argv)
    if args.cmd == 'snapshot':
        return cmd_snapshot(args)
    return cmd_report(args)


if __name__ == '__main__':
    sys.exit(main())
