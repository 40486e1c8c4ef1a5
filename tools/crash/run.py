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

"""The crash test: seeded lifecycles through Cinder's API while
cinder-volume is SIGKILLed (and the array restarted) at chosen moments.

Run against a stack of tools/stack/run.sh (see tools/crash/run.sh and
doc/source/crash-consistency.rst)::

    STACK_NAME=crash STACK_SIM_STATE=1 bash tools/stack/run.sh \\
        $PWD/.tempest-venv/bin/python tools/crash/run.py --seed 1 --kills 30

Each cycle: a few ordinary operations, then one operation during which a
process dies:

``window``  a simulator fault rule (phase ``after``, action ``delay``)
            holds the answer of the operation's array call after the
            array changed; cinder-volume is SIGKILLed during the pause,
            i.e. between the array's change and Cinder's database update;
``random``  cinder-volume is SIGKILLed a random time after the request;
``array``   the simulator is SIGKILLed (in a window or at random) and
            restarted from its state file, with requests in flight.

Then cinder-volume is restarted (Cinder's init_host clean-up runs), the
operator's moves are made (attachment deletion, os-reset_status, delete,
force-delete) and the invariants of :mod:`invariants` are checked.  At the
end everything is deleted through the API and the array must hold nothing
of this deployment.  Report: $STACK_LOGS/crash-report.json, a summary line
in $STACK_LOGS/summary.line; exit 1 on any violation.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import invariants  # noqa: E402
import stack as stack_mod  # noqa: E402
from stack import ApiError  # noqa: E402

TRANSIENT_V = {'creating', 'deleting', 'extending', 'attaching', 'detaching',
               'reserved', 'reverting', 'downloading', 'uploading',
               'maintenance', 'backing-up', 'restoring-backup', 'retyping'}
TRANSIENT_S = {'creating', 'deleting', 'restoring', 'backing-up',
               'unmanaging'}
MAX_VOLUMES = 6

CONNECTORS = [{'initiator': 'iqn.1993-08.org.debian:01:crash%d' % i,
               'host': 'crash-host-%d' % i, 'ip': '127.0.0.1',
               'platform': 'x86_64', 'os_type': 'linux',
               'multipath': False} for i in range(1, 4)]

# The array call that makes each operation's change: the window kill
# pauses its answer (method, path regex).
ARRAY_CALLS = {
    'create': [('POST', r'^/api/v2/lun/?$')],
    'create_from_snapshot': [('POST', r'^/api/v2/snapshot/clone/')],
    'clone': [('POST', r'^/api/v2/snapshot/?$'),
              ('POST', r'^/api/v2/snapshot/clone/')],
    'extend': [('PATCH', r'^/api/v2/lun/[0-9a-f]+/?$')],
    'snapshot': [('POST', r'^/api/v2/snapshot/?$')],
    # Add LUN to the host's target, or the target's creation with it.
    'attach': [('*', r'^/api/v2/(iscsi_target/lun/[0-9a-f]+|'
                     r'target/iscsi)/?$')],
    'detach': [('PATCH', r'^/api/v2/iscsi_target/lun/[0-9a-f]+/?$')],
    'revert': [('POST', r'^/api/v2/snapshot/restore/')],
    'delete_volume': [('DELETE', r'^/api/v2/lun/[0-9a-f]+/?$')],
    'delete_snapshot': [('DELETE', r'^/api/v2/snapshot/[0-9a-f]+/?$')],
}


def log(msg):
    print('crash [%s]: %s' % (time.strftime('%H:%M:%S'), msg), flush=True)


class Crash(object):

    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.cinder = stack_mod.Cinder()
        self.db = stack_mod.CinderDB(os.environ['CINDER_CONF'])
        self.sim = stack_mod.Simulator(os.environ['SIM_URL'],
                                       os.environ['SIM_ADMIN_TOKEN'])
        self.procs = stack_mod.Processes()
        self.cycles = []
        self.violations = {}      # (kind, object) -> first record
        self.notes = []
        self.counts = {'kills_volume': 0, 'kills_array': 0,
                       'window': 0, 'random': 0, 'window_missed': 0,
                       'ops': 0, 'op_errors': 0, 'operator_moves': 0}
        self.restart_times = []

    # -- waiting -----------------------------------------------------------
    def wait_volume(self, vid, timeout=40):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            v = self.cinder.volume(vid)
            if v is None or v['status'] not in TRANSIENT_V:
                return v
            time.sleep(0.2)
        return self.cinder.volume(vid)

    def wait_snapshot(self, sid, timeout=40):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.cinder.snapshot(sid)
            if s is None or s['status'] not in TRANSIENT_S:
                return s
            time.sleep(0.2)
        return self.cinder.snapshot(sid)

    # -- operations ----------------------------------------------------------
    def choose(self):
        """Pick an operation and its arguments from what Cinder has now."""
        vols = self.cinder.volumes()
        snaps = self.cinder.snapshots()
        avail = [v for v in vols if v['status'] == 'available']
        inuse = [v for v in vols if v['status'] == 'in-use']
        snap_ok = [s for s in snaps if s['status'] == 'available']
        atts = [a for a in self.cinder.attachments()
                if a['status'] == 'attached']
        choices = [('create', {})] * 3
        if len(vols) >= MAX_VOLUMES:
            choices = []
        if avail:
            v = self.rng.choice(avail)
            choices += [('snapshot', {'vid': v['id']}),
                        ('extend', {'vid': v['id'], 'size': v['size'] + 1}),
                        ('attach', {'vid': v['id'],
                                    'conn': self.rng.choice(CONNECTORS)}),
                        ('delete_volume', {'vid': v['id']})]
            if len(vols) < MAX_VOLUMES:
                choices.append(('clone', {'vid': v['id']}))
            if len(vols) >= MAX_VOLUMES - 1:
                choices.append(('delete_volume', {'vid': v['id']}))
            mine = sorted((s for s in snap_ok if s['volume_id'] == v['id']),
                          key=lambda s: s['created_at'])
            if mine and mine[-1]['size'] == v['size']:
                choices.append(('revert', {'vid': v['id'],
                                           'sid': mine[-1]['id']}))
        if snap_ok:
            s = self.rng.choice(snap_ok)
            choices.append(('delete_snapshot', {'sid': s['id']}))
            if len(vols) < MAX_VOLUMES:
                choices.append(('create_from_snapshot', {'sid': s['id']}))
        if atts or inuse:
            for a in atts[:1]:
                choices += [('detach', {'att': a['id'],
                                        'vid': a['volume_id']})] * 2
        return self.rng.choice(choices)

    def run_op(self, op, kw, wait=True):
        """Do one operation through the API; with wait, to its end."""
        self.counts['ops'] += 1
        c = self.cinder
        if op == 'create':
            v = c.create_volume(size=1, name='crash')
            return wait and self.wait_volume(v['id'])
        if op == 'create_from_snapshot':
            s = c.snapshot(kw['sid'])
            v = c.create_volume(size=s['size'], snapshot_id=kw['sid'],
                                name='crash-fs')
            return wait and self.wait_volume(v['id'])
        if op == 'clone':
            src = c.volume(kw['vid'])
            v = c.create_volume(size=src['size'], source_volid=kw['vid'],
                                name='crash-clone')
            return wait and self.wait_volume(v['id'])
        if op == 'extend':
            c.extend(kw['vid'], kw['size'])
            return wait and self.wait_volume(kw['vid'])
        if op == 'snapshot':
            s = c.create_snapshot(kw['vid'])
            return wait and self.wait_snapshot(s['id'])
        if op == 'attach':
            a = c.attach(kw['vid'], kw['conn'])
            c.complete(a['id'])
            return wait and self.wait_volume(kw['vid'])
        if op == 'detach':
            c.detach(kw['att'])
            return wait and self.wait_volume(kw['vid'])
        if op == 'revert':
            c.revert(kw['vid'], kw['sid'])
            return wait and self.wait_volume(kw['vid'])
        if op == 'delete_volume':
            c.call('DELETE', '/volumes/%s?cascade=True' % kw['vid'])
            return wait and self.wait_volume(kw['vid'])
        if op == 'delete_snapshot':
            c.delete_snapshot(kw['sid'])
            return wait and self.wait_snapshot(kw['sid'])
        raise ValueError(op)

    def ordinary(self, n):
        for _ in range(n):
            op, kw = self.choose()
            try:
                self.run_op(op, kw)
            except ApiError as e:
                self.counts['op_errors'] += 1
                log('ordinary %s: %s' % (op, e))

    # -- kills ---------------------------------------------------------------
    def _op_thread(self, op, kw, box):
        def target():
            try:
                self.run_op(op, kw, wait=False)
                box['result'] = 'accepted'
            except Exception as e:  # noqa: B902 recorded
                box['result'] = '%s: %s' % (type(e).__name__, e)
        t = threading.Thread(target=target, daemon=True)
        t.start()
        return t

    def kill_cycle(self, index):
        op, kw = self.choose()
        for _ in range(20):
            if not self.args.ops or op in self.args.ops:
                break
            self.ordinary(1)
            op, kw = self.choose()
        draw = self.rng.random()
        if self.args.failovers and draw < self.args.failover_share:
            who = 'failover'
        elif self.args.array_restarts and draw < (
                self.args.failover_share * bool(self.args.failovers) +
                self.args.array_share):
            who = 'simulator'
        else:
            who = 'cinder-volume'
        mode = 'window' if self.rng.random() < self.args.window_share \
            else 'random'
        record = {'cycle': index, 'op': op, 'kill': who, 'mode': mode,
                  'args': kw}
        rule_id = None
        if mode == 'window':
            method, path = self.rng.choice(ARRAY_CALLS[op])
            # A failover does not end the held answer (no process dies):
            # hold it shortly, so that it arrives before the operator
            # acts, as an operator waits for the API's answer.
            pause = min(self.args.pause, 3.0) if who == 'failover' \
                else self.args.pause
            rule_id = self.sim.add_fault(method=method, path=path,
                                         phase='after', action='delay',
                                         delay=pause, times=1)
            record['array_call'] = '%s %s' % (method, path)
        box = {}
        self._op_thread(op, kw, box)
        if mode == 'window':
            deadline = time.monotonic() + 12
            fired = False
            while time.monotonic() < deadline:
                rules = [r for r in self.sim.faults() if r['id'] == rule_id]
                if rules and rules[0]['fired']:
                    fired = True
                    break
                if 'result' in box and box['result'] != 'accepted':
                    break       # refused by the API: nothing to pause
                time.sleep(0.05)
            record['paused'] = fired
            if not fired:
                self.counts['window_missed'] += 1
            time.sleep(0.05)
        else:
            time.sleep(self.rng.uniform(0, self.args.max_delay))
        self.counts[mode] += 1
        t0 = time.monotonic()
        if who == 'failover':
            ctl = self.sim.admin('GET', 'controllers')
            failed = ctl.get('failed') or []
            if failed:
                moved = self.sim.admin('POST', 'failback',
                                       {'controller': failed[0]})
                record['failback'] = failed[0]
            else:
                moved = self.sim.admin('POST', 'failover', {'from': 'A'})
                record['failover'] = 'A'
            record['moved'] = moved
            self.counts['failovers'] = self.counts.get('failovers', 0) + 1
            if rule_id is not None:
                try:
                    self.sim.admin('DELETE', 'faults/%d' % rule_id)
                except Exception:  # noqa: B902 gone already
                    pass
        elif who == 'simulator':
            self.procs.kill('simulator', 'KILL')
            self.counts['kills_array'] += 1
            token, took = self.procs.restart_simulator()
            self.sim.token = token
            record['restart_s'] = round(took, 2)
        else:
            self.procs.kill('cinder-volume', 'KILL')
            self.counts['kills_volume'] += 1
            if rule_id is not None:
                try:
                    self.sim.admin('DELETE', 'faults/%d' % rule_id)
                except Exception:  # noqa: B902 gone already
                    pass
            took = self.procs.restart_volume()
            self.restart_times.append(took)
            record['restart_s'] = round(took, 2)
        record['request'] = box.get('result', 'in flight')
        log('cycle %d: %s during %s (%s%s), restarted in %.1fs'
            % (index, who, op, mode,
               '' if mode != 'window' else
               (' paused' if record.get('paused') else ' NOT paused'),
               time.monotonic() - t0))
        return record

    # -- the operator --------------------------------------------------------
    def _try(self, what, func, *args):
        try:
            func(*args)
            self.counts['operator_moves'] += 1
            return True
        except ApiError as e:
            log('operator: %s: %s' % (what, e))
            return False

    def settle(self, wait=None, final=False):
        """Wait for transitional states to end, then act as an operator.

        What is stuck or in error is reset, detached or deleted. Returns
        the moves made.
        """
        wait = self.args.settle if wait is None else wait
        moves = []
        for _round in range(4):
            deadline = time.monotonic() + wait
            while True:
                vols = self.cinder.volumes()
                snaps = self.cinder.snapshots()
                stuck = [v for v in vols if v['status'] in TRANSIENT_V] + \
                    [s for s in snaps if s['status'] in TRANSIENT_S]
                if not stuck or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            atts = self.cinder.attachments()
            todo = False
            for a in atts:
                if a['status'] != 'attached' or final:
                    moves.append('delete attachment %s (%s)'
                                 % (a['id'], a['status']))
                    self._try('delete attachment', self.cinder.detach,
                              a['id'])
                    todo = True
            if todo:
                vols = self.cinder.volumes()
                snaps = self.cinder.snapshots()
            live_att = {a['volume_id'] for a in self.cinder.attachments()}
            for s in snaps:
                if s['status'] in TRANSIENT_S or s['status'].startswith(
                        'error') or final:
                    if s['status'] in TRANSIENT_S:
                        moves.append('reset snapshot %s %s -> error'
                                     % (s['id'], s['status']))
                        self._try('reset snapshot', self.cinder.reset_snapshot,
                                  s['id'], 'error')
                    moves.append('delete snapshot %s' % s['id'])
                    if not self._try('delete snapshot',
                                     self.cinder.delete_snapshot, s['id']):
                        self._try('force-delete snapshot',
                                  self.cinder.force_delete_snapshot, s['id'])
                    todo = True
            for v in vols:
                st = v['status']
                if st in ('attaching', 'detaching', 'reserved', 'extending',
                          'reverting', 'error_extending') or (
                        st == 'in-use' and v['id'] not in live_att) or (
                        st == 'available' and v['id'] in live_att):
                    new = 'in-use' if v['id'] in live_att else 'available'
                    moves.append('reset volume %s %s -> %s'
                                 % (v['id'], st, new))
                    self._try('reset volume', self.cinder.reset_volume,
                              v['id'], new,
                              'attached' if new == 'in-use' else 'detached')
                    todo = True
                elif st in ('creating', 'deleting', 'error',
                            'error_deleting', 'error_restoring') or (
                        final and st in ('available', 'in-use')):
                    if st in ('creating', 'deleting', 'error_deleting'):
                        moves.append('reset volume %s %s -> error'
                                     % (v['id'], st))
                        self._try('reset volume', self.cinder.reset_volume,
                                  v['id'], 'error')
                    moves.append('delete volume %s (%s)' % (v['id'], st))
                    if not self._try('delete volume', self.cinder.call,
                                     'DELETE',
                                     '/volumes/%s?cascade=True' % v['id']):
                        self._try('force-delete volume',
                                  self.cinder.force_delete_volume, v['id'])
                    todo = True
            if not todo:
                break
        return moves

    # -- invariants ----------------------------------------------------------
    def check(self, index, final=False):
        state = self.sim.state()
        vols = self.cinder.volumes()
        snaps = self.cinder.snapshots()
        atts = self.db.attachments()
        found, notes = invariants.check(state, vols, snaps, atts,
                                        final=final)
        new = []
        for v in found:
            key = (v['kind'], v['object'])
            if key not in self.violations:
                v = dict(v, cycle=index)
                self.violations[key] = v
                new.append(v)
                log('VIOLATION (cycle %s) %s %s: %s'
                    % (index, v['kind'], v['object'], v['detail']))
        for n in notes:
            if n not in self.notes:
                self.notes.append(n)
        return found, new

    def audit(self, index):
        """ngxstorage-cinder-audit (python -m) as a second checker.

        Its violations are recorded like ours, kind ``audit:<kind>``.
        Returns the number found, or None when the audit could not run.
        """
        if not self.args.audit:
            return None
        t0 = time.monotonic()
        res = subprocess.run(
            [sys.executable, '-m', 'cinder_ngxstorage.audit',
             '--config-file', os.environ['CINDER_CONF'],
             '--backend', self.args.backend, '--format', 'json'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=300)
        self.counts['audits'] = self.counts.get('audits', 0) + 1
        try:
            report = json.loads(res.stdout)
        except ValueError:
            log('audit could not run (rc %d): %s'
                % (res.returncode, res.stderr.strip()[-300:]))
            self.counts['audit_errors'] = self.counts.get(
                'audit_errors', 0) + 1
            return None
        found = [f for f in report.get('findings', []) if f['violation']]
        for f in found:
            key = ('audit:' + f['kind'],
                   f.get('array_object') or f.get('cinder_object'))
            if key not in self.violations:
                self.violations[key] = {
                    'kind': key[0], 'object': key[1], 'cycle': index,
                    'detail': f.get('verdict') or json.dumps(f)[:300]}
                log('VIOLATION (cycle %s, audit) %s %s: %s'
                    % (index, key[0], key[1], self.violations[key]['detail']))
        log('audit (cycle %s): %d finding(s), %d violation(s), %.1fs'
            % (index, len(report.get('findings', [])), len(found),
               time.monotonic() - t0))
        return len(found)

    # -- the run -------------------------------------------------------------
    def run(self):
        t0 = time.monotonic()
        self.sim.clear_faults()
        for i in range(1, self.args.kills + 1):
            self.ordinary(self.rng.randint(0, self.args.ordinary))
            try:
                record = self.kill_cycle(i)
            except Exception as e:  # noqa: B902 recorded, run goes on
                log('cycle %d: harness error %s' % (i, e))
                traceback.print_exc()
                record = {'cycle': i, 'error': str(e)}
                if not self.procs.alive('cinder-volume'):
                    self.procs.restart_volume()
            record['operator'] = self.settle()
            found, new = self.check(i)
            record['violations_now'] = len(found)
            record['new_violations'] = new
            if self.args.audit_every and i % self.args.audit_every == 0:
                record['audit_violations'] = self.audit(i)
            self.cycles.append(record)
        log('teardown through the API')
        moves = self.settle(final=True)
        moves += self.settle(final=True)
        # The driver collects deferred deletions when it starts.
        self.procs.kill('cinder-volume', 'TERM')
        self.procs.restart_volume()
        time.sleep(1)
        found, new = self.check('final', final=True)
        self.audit('final')
        left_v = self.cinder.volumes()
        left_s = self.cinder.snapshots()
        for v in left_v:
            key = ('leftover', 'cinder volume %s' % v['id'])
            self.violations.setdefault(key, {
                'kind': 'leftover', 'object': key[1], 'cycle': 'final',
                'detail': 'not deletable through the API (%s)'
                          % v['status']})
        for s in left_s:
            key = ('leftover', 'cinder snapshot %s' % s['id'])
            self.violations.setdefault(key, {
                'kind': 'leftover', 'object': key[1], 'cycle': 'final',
                'detail': 'not deletable through the API (%s)'
                          % s['status']})
        return self.report(time.monotonic() - t0, moves)

    def report(self, seconds, final_moves):
        violations = list(self.violations.values())
        kinds = {}
        for v in violations:
            kinds[v['kind']] = kinds.get(v['kind'], 0) + 1
        failovers = self.counts.get('failovers', 0)
        kills = self.counts['kills_volume'] + self.counts['kills_array'] \
            + failovers
        # A totals line like Tempest's (tools/run-tests.sh sums them): a
        # kill cycle (and the final check) passes when it finds no new
        # violation; each distinct violation is a failure.
        bad_cycles = {v['cycle'] for v in violations}
        checks = len(self.cycles) + 1
        summary = ('crash: %d passed, %d failed, 0 skipped '
                   '(seed %s, %d kills: %d cinder-volume, %d array%s; '
                   '%d in the window, %d at random; %d operations; '
                   '%d violations%s; %ds)'
                   % (checks - len(bad_cycles), len(violations),
                      self.args.seed, kills, self.counts['kills_volume'],
                      self.counts['kills_array'],
                      ', %d failover/failback' % failovers if failovers
                      else '', self.counts['window'],
                      self.counts['random'], self.counts['ops'],
                      len(violations),
                      (' (%s)' % ', '.join('%s %d' % kv for kv in
                                           sorted(kinds.items())))
                      if kinds else '', seconds))
        rep = {'summary': summary, 'seed': self.args.seed,
               'seconds': round(seconds, 1), 'counts': self.counts,
               'violations': violations, 'notes': self.notes,
               'volume_restart_seconds': {
                   'mean': round(sum(self.restart_times) /
                                 max(1, len(self.restart_times)), 2),
                   'max': round(max(self.restart_times or [0]), 2)},
               'final_operator_moves': final_moves,
               'cycles': self.cycles}
        logs = os.environ.get('STACK_LOGS', '.')
        with open(os.path.join(logs, 'crash-report.json'), 'w') as f:
            json.dump(rep, f, indent=1, sort_keys=True, default=str)
        with open(os.path.join(logs, 'summary.line'), 'w') as f:
            f.write(summary + '\n')
        log(summary)
        return 1 if violations else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--kills', type=int, default=30)
    p.add_argument('--ordinary', type=int, default=2,
                   help='at most this many ordinary operations per cycle')
    p.add_argument('--window-share', type=float, default=0.6,
                   help='share of kills in the paused window')
    p.add_argument('--max-delay', type=float, default=1.5,
                   help='random kills: at most this long after the request')
    p.add_argument('--pause', type=float, default=30.0,
                   help='seconds the simulator holds a paused answer')
    p.add_argument('--settle', type=float, default=8.0,
                   help='seconds to wait for transitional states to end')
    p.add_argument('--array-restarts', action='store_true',
                   help='also SIGKILL and restart the simulator')
    p.add_argument('--array-share', type=float, default=0.3)
    p.add_argument('--failovers', action='store_true',
                   help='also fail the simulator\'s controller A over to '
                        'B and back (a stack with STACK_SIM_CONTROLLERS=2)')
    p.add_argument('--failover-share', type=float, default=0.2)
    p.add_argument('--no-audit', dest='audit', action='store_false',
                   help='do not run ngxstorage-cinder-audit as well')
    p.add_argument('--audit-every', type=int, default=6,
                   help='run the audit after every Nth cycle too (0: only '
                        'at the end)')
    p.add_argument('--backend', default='ngx',
                   help='the backend section the audit reads')
    p.add_argument('--ops', type=lambda t: t.split(','), default=None,
                   help='kill only during these operations (comma list)')
    args = p.parse_args(argv)
    return Crash(args).run()


if __name__ == '__main__':
    sys.exit(main())
