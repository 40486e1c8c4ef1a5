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

"""Tables and plot from a benchmark result (``latest.json``).

``python -m benchmarks.report [results.json]`` writes, from the results of
:mod:`benchmarks.run` (which calls it too):

* ``benchmarks/results/latest.md``: the tables in markdown;
* ``doc/source/benchmark-results.inc``: the same tables for the
  documentation (included by ``doc/source/benchmarks.rst``);
* ``doc/source/_static/benchmark-scaling.png``: REST calls and wall time
  per operation against the array size (needs matplotlib, see
  ``benchmarks/requirements.txt``).
"""

import json
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(REPO_ROOT, 'benchmarks', 'results')
DOC_DIR = os.path.join(REPO_ROOT, 'doc', 'source')
MARKDOWN = os.path.join(RESULTS_DIR, 'latest.md')
RST_INCLUDE = os.path.join(DOC_DIR, 'benchmark-results.inc')
PLOT = os.path.join(DOC_DIR, '_static', 'benchmark-scaling.png')


def _size_label(result):
    return '%s/%s' % (format(result['luns'], ','), result['hosts'])


def _ms(seconds):
    return '%.1f' % (1000 * seconds) if seconds is not None else '-'


def _slow(doc):
    return str(max(doc['settings']['latencies_ms']))


def _fast(doc):
    return str(min(doc['settings']['latencies_ms']))


def minimum_table(doc):
    """Per operation: the API's minimum, the driver's count, and why."""
    header = ['operation', 'minimum', 'driver', 'why']
    rows = []
    for op in doc['operations']:
        summary = doc['summary'].get(op['key'])
        if summary is None:
            driver = 'pending' if op['core'] else '-'
        else:
            driver = '/'.join(str(c) for c in summary['calls'])
        why = op['why'] + (' ' + op['note'] if op['note'] else '')
        rows.append([op['title'] + ('' if op['core'] else ' (extra)'),
                     str(op['minimum']), driver, why])
    return header, rows


def operations_table(doc):
    """Rows of the per-operation table (biggest array)."""
    biggest = doc['results'][-1]
    slow, fast = _slow(doc), _fast(doc)
    header = ['operation', 'minimum', 'driver', 'REST calls made',
              '%s ms: ms' % fast, '%s ms: ms' % slow,
              'of which driver ms', 'overhead at %s ms (best)' % slow]
    rows = []
    for op in doc['operations']:
        entry = biggest['ops'].get(op['key'])
        if entry is None:
            rows.append([op['title'], str(op['minimum']),
                         'pending' if op['core'] else '-', '-', '-', '-',
                         '-', '-'])
            continue
        methods = ', '.join('%s %d' % (name, n) if n > 1 else name
                            for name, n in sorted(entry['by_method']
                                                  .items()))
        summary = doc['summary'].get(op['key'], {})
        ratio = summary.get('overhead_ratio_median')
        best = summary.get('best_overhead_ratio_median')
        rows.append([
            op['title'] + (' (listing)' if op['listing'] else ''),
            str(op['minimum']), str(entry['calls']), methods or '(none)',
            _ms(entry['latency'].get(fast, {}).get('median_s')),
            _ms(entry['latency'].get(slow, {}).get('median_s')),
            _ms(entry['latency'].get(slow, {}).get('driver_median_s')),
            '%.2f (%.2f)' % (ratio, best) if ratio else '-'])
    return header, rows


def scaling_table(doc):
    """Rows: operation; columns: calls at every size, then ms per size."""
    slow = _slow(doc)
    header = (['operation', 'calls (every size)']
              + ['%s ms' % _size_label(r) for r in doc['results']]
              + ['growth'])
    # Best of N samples: the least disturbed by other work.
    rows = []
    for op in doc['operations']:
        summary = doc['summary'].get(op['key'])
        if summary is None:
            continue
        calls = '/'.join(str(c) for c in summary['calls'])
        times = []
        for result in doc['results']:
            entry = result['ops'].get(op['key'])
            times.append(_ms(entry['latency'][slow]['min_s'])
                         if entry else '-')
        growth = summary.get('time_growth')
        rows.append([op['title'] + (' (listing)' if op['listing'] else ''),
                     calls + ('' if summary['calls_flat'] else ' (varies)')]
                    + times + ['%.2f' % growth if growth else '-'])
    return header, rows


def setup_table(doc):
    """Set-up calls and time, and the explicit listings, per size."""
    header = ['LUNs/hosts', 'set-up calls', 'set-up ms',
              'list_luns ms', 'list_luns_detail ms (KiB)',
              'list_targets_detail ms', 'list_auth_groups ms']
    rows = []
    for result in doc['results']:
        listings = result.get('listings', {})

        def cell(name, size=False):
            item = listings.get(name)
            if not item:
                return '-'
            text = _ms(item['seconds'])
            if size:
                text += ' (%d)' % (item['bytes'] // 1024)
            return text
        rows.append([_size_label(result), str(result['setup']['calls']),
                     _ms(result['setup']['seconds']), cell('list_luns'),
                     cell('list_luns_detail', size=True),
                     cell('list_targets_detail'),
                     cell('list_auth_groups')])
    return header, rows


def concurrency_table(doc):
    """Serial against concurrent attaches."""
    conc = doc.get('concurrency')
    if not conc:
        return None
    header = ['mode', 'seconds', 'attaches/s', 'REST calls',
              'calls per attach']
    rows = []
    for mode in ('serial', 'concurrent'):
        item = conc[mode]
        rows.append([mode, '%.3f' % item['seconds'],
                     '%.1f' % item['attaches_per_s'], str(item['calls']),
                     '%.2f' % item['calls_per_attach']])
    return header, rows


def simulator_table(doc):
    """Requests per second and CPU per request of the simulator."""
    sim = doc.get('simulator')
    if not sim:
        return None
    header = ['request', 'requests/s (%d clients)' % sim['workers'],
              'simulator CPU ms/request', 'client CPU ms/request']
    rows = [[name, str(item['requests_per_s']),
             '%.2f' % item['simulator_cpu_ms_per_request'],
             '%.2f' % item['client_cpu_ms_per_request']]
            for name, item in sim['http'].items()]
    return header, rows


# -- renderers ---------------------------------------------------------------

def markdown(header, rows):
    """A markdown table."""
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '|'.join('---' for _h in header) + '|']
    lines += ['| ' + ' | '.join(c.replace('|', '/') for c in row) + ' |'
              for row in rows]
    return '\n'.join(lines) + '\n'


def rst(header, rows):
    """An RST list-table."""
    lines = ['.. list-table::', '   :header-rows: 1', '']
    for row in [header] + rows:
        first = True
        for cell in row:
            lines.append(('   * - ' if first else '     - ') + (cell or ' '))
            first = False
    return '\n'.join(lines) + '\n'


def _facts(doc):
    conc = doc.get('concurrency')
    sim = doc.get('simulator')
    facts = ['Generated %s on %d CPUs (load average %s before, %s after), '
             'Python %s%s; %s samples per operation at %s ms, %s with '
             'latency; median wall time; run took %.0f s.' % (
                 doc['generated'], doc['machine']['cpus'],
                 doc['machine']['loadavg_before'][0],
                 doc['machine']['loadavg_after'][0],
                 doc['machine']['python'],
                 ', eventlet' if doc['machine'].get('eventlet') else '',
                 doc['settings']['repeat'].get(_fast(doc), '-'), _fast(doc),
                 doc['settings']['repeat'].get(_slow(doc), '-'),
                 doc['seconds'])]
    if conc:
        facts.append(
            '%d attaches (%d hosts x %d volumes) at %d ms from %d '
            'threads: %.2fx the serial throughput (ideal %.1fx: the '
            'per-host lock serialises %d round trips per host).' % (
                conc['hosts'] * conc['volumes_per_host'], conc['hosts'],
                conc['volumes_per_host'], conc['latency_ms'],
                conc['workers'], conc['speedup'], conc['ideal_speedup'],
                round(conc['ideal_concurrent_seconds'] * 1000
                      / conc['latency_ms'])))
    if sim:
        facts.append(
            'Simulator at %s LUNs, %s hosts (%s snapshots, %s targets): '
            '%.1f MiB resident (%.1f MiB empty); state model alone: %s.'
            % (format(sim['luns'], ','), sim['hosts'],
               sim['objects']['snapshots'], sim['objects']['targets'],
               sim['rss_kib_now'] / 1024.0, sim['rss_kib_empty'] / 1024.0,
               ', '.join('%s %s/s' % (k, format(int(v), ','))
                         for k, v in sim['state_ops_per_s'].items())))
    return facts


def _sections(doc):
    sections = [('Minimum REST calls per operation', minimum_table(doc)),
                ('REST calls per operation (array of %s LUNs / %s hosts)'
                 % (format(doc['results'][-1]['luns'], ','),
                    doc['results'][-1]['hosts']), operations_table(doc)),
                ('Scaling: wall time at %s ms (best of %s) per array size '
                 '(LUNs/hosts)' % (_slow(doc),
                                   doc['settings']['repeat'][_slow(doc)]),
                 scaling_table(doc)),
                ('Set-up and explicit listings per array size (0 ms)',
                 setup_table(doc)),
                ('Concurrent attaches', concurrency_table(doc)),
                ('Simulator capacity', simulator_table(doc))]
    return [(title, table) for title, table in sections if table]


def write_markdown(doc, path=MARKDOWN):
    """The tables as markdown."""
    parts = ['# Benchmark results\n', '\n'.join(_facts(doc)) + '\n']
    for title, (header, rows) in _sections(doc):
        parts.append('## %s\n\n%s' % (title, markdown(header, rows)))
    _write(path, '\n'.join(parts))


def write_rst(doc, path=RST_INCLUDE):
    """The tables for the documentation (an include file)."""
    parts = ['.. Generated by python -m benchmarks.report from '
             'benchmarks/results/latest.json: do not edit.\n']
    parts += [fact + '\n' for fact in _facts(doc)]
    for title, (header, rows) in _sections(doc):
        parts.append('%s\n%s\n\n%s' % (title, '~' * len(title),
                                       rst(header, rows)))
    _write(path, '\n'.join(parts))


def write_plot(doc, path=PLOT):
    """REST calls and wall time per operation against the array size."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    slow = _slow(doc)
    labels = ['%s LUNs\n%d host%s' % (format(r['luns'], ','), r['hosts'],
                                      '' if r['hosts'] == 1 else 's')
              for r in doc['results']]
    xs = list(range(len(labels)))
    figure, (calls_ax, time_ax) = pyplot.subplots(
        1, 2, figsize=(15, 6.5), sharex=True)
    colours = pyplot.get_cmap('tab20')
    for index, op in enumerate(doc['operations']):
        if op['key'] not in doc['summary']:
            continue
        calls, times = [], []
        for result in doc['results']:
            entry = result['ops'].get(op['key'])
            calls.append(entry['calls'] if entry else None)
            times.append(1000 * entry['latency'][slow]['min_s']
                         if entry else None)
        style = dict(color=colours(index % 20), marker='o', markersize=4,
                     linestyle='--' if op['listing'] else '-',
                     linewidth=1.4)
        # Spread equal call counts a little so every line shows.
        offset = (index % 7 - 3) * 0.03
        calls_ax.plot(xs, [c + offset if c is not None else None
                           for c in calls], label=op['title'], **style)
        if op['expected']:
            time_ax.plot(xs, times, label=op['title'], **style)
    calls_ax.set_title('REST calls per operation')
    calls_ax.set_ylabel('REST calls')
    calls_ax.set_ylim(-0.5, max(op['expected'] for op in doc['operations'])
                      + 1)
    time_ax.set_title('Wall time per operation at %s ms latency (best of N)'
                      % slow)
    time_ax.set_ylabel('milliseconds (log scale)')
    time_ax.set_yscale('log')
    ticks = [t for t in (20, 30, 50, 100, 200, 500, 1000, 2000)
             if t <= 2 * max(max(r['ops'][k]['latency'][slow]['min_s']
                                 for k in r['ops']) for r in doc['results'])
             * 1000]
    time_ax.set_yticks(ticks)
    time_ax.set_yticklabels([str(t) for t in ticks])
    time_ax.minorticks_off()
    for calls in range(1, 7):
        time_ax.axhline(calls * int(slow), color='0.85', linewidth=0.8,
                        zorder=0)
    time_ax.text(xs[-1] + 0.1, int(slow), '1 call x %s ms' % slow,
                 fontsize=7, color='0.5', va='bottom', ha='right')
    for axis in (calls_ax, time_ax):
        axis.set_xticks(xs)
        axis.set_xticklabels(labels, fontsize=7)
        axis.set_xlabel('array size (preloaded)')
        axis.grid(axis='y', alpha=0.3)
    handles, names = calls_ax.get_legend_handles_labels()
    figure.legend(handles, names, loc='lower center', ncol=5, fontsize=8,
                  frameon=False)
    figure.suptitle('cinder-ngxstorage: cost per driver operation against '
                    'array size (dashed: explicit listings)')
    figure.tight_layout(rect=(0, 0.14, 1, 0.96))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    figure.savefig(path + '.tmp.png', dpi=110)
    pyplot.close(figure)
    os.replace(path + '.tmp.png', path)


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'w') as out:
        out.write(text)
    os.replace(path + '.tmp', path)


def write_all(doc):
    """Every output from one result document."""
    write_markdown(doc)
    write_rst(doc)
    write_plot(doc)
    print('wrote %s, %s, %s' % (MARKDOWN, RST_INCLUDE, PLOT),
          file=sys.stderr)


def main(argv=None):
    """Console entry: ``python -m benchmarks.report [latest.json]``."""
    argv = sys.argv[1:] if argv is None else argv
    path = argv[0] if argv else os.path.join(RESULTS_DIR, 'latest.json')
    with open(path) as source:
        write_all(json.load(source))


if __name__ == '__main__':
    main()
