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

"""Real Cinder serving NGXStorage volumes, with no cloud.

Starts the NGXStorage simulator (exporting its LUNs over iSCSI through
tgtd when tgtd is installed), then Cinder's API, scheduler and volume
service in this process with the NGXStorage driver, and walks a volume's
life through the Cinder REST API (python-cinderclient, no Keystone):
create, attach and write, snapshot, clone, extend, read the data back
from the clone, revert, delete. One row per step: what was done, the
outcome, the REST calls the array received and the time taken.

Everything is cleaned up at the end; the exit status is non-zero if any
step failed or anything is left on the array. With ``--keep`` Cinder and
the simulator stay up after the walk-through (until Ctrl-C) and the
commands to use them with python-cinderclient or the openstack client
are printed.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import textwrap
import threading
import time
import warnings

# Cinder warns about eventlet and deprecations on import: not for a demo.
warnings.simplefilter('ignore')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

# The tests package applies Cinder's eventlet monkey patching first.
from tests.stack import harness  # noqa: E402,I100

from cinderclient import exceptions as cinder_exc  # noqa: E402,I100

from cinder_ngxstorage import naming  # noqa: E402
from cinder_ngxstorage.simulator import state as sim_state  # noqa: E402

USER = 'demo'
INITIATOR = 'iqn.1993-08.org.debian:01:ngxdemo0001'
CONNECTOR = harness.connector(host='demo-compute', initiator=INITIATOR)
POOLS = ('gold:200G', 'silver:100G')
# Printed with --keep (and run by tests/stack/test_demo.py as printed).
CLI_EXAMPLES = (
    'cinder create --name try1 1',
    'cinder get-pools --detail',
    'cinder snapshot-create --name snap1 try1',
    'cinder extend try1 2',
    'cinder list',
    'cinder delete --cascade try1',
)
MIB = 1024 * 1024
GIB = 1024 * MIB


class StepFailed(Exception):
    """A step's outcome is not what it should be."""


class Skipped(Exception):
    """A step that cannot run here (shown, not counted as a failure)."""


class Walkthrough(object):
    """Runs steps, one table row each, and counts the array's calls."""

    COLUMNS = '%-3s %-36s %-44s %5s %7s'

    def __init__(self, sim, show_calls=False):
        self.sim = sim
        self.show_calls = show_calls
        self.rows = []
        self.failed = 0
        self.stopped = False

    def header(self):
        print(self.COLUMNS % ('#', 'step', 'result', 'calls', 'time'))
        print('-' * 99)

    def step(self, title, func, describe=lambda result: 'ok',
             always=False):
        """Run func; print its row. After a failure only always-steps run.

        Returns func's result, or None when it failed or was skipped.
        """
        if self.stopped and not always:
            self._row(title, 'not run (an earlier step failed)', [], 0.0)
            return None
        self.sim.clear_requests()
        start = time.monotonic()
        result = None
        try:
            result = func()
            outcome = describe(result)
        except Skipped as skip:
            outcome = 'skipped: %s' % skip
        except Exception as err:  # shown, counted; the demo goes on
            outcome = 'FAILED: %s' % _one_line(err)
            self.failed += 1
            self.stopped = True
            result = None
        elapsed = time.monotonic() - start
        calls = [r for r in self.sim.requests
                 if r['path'].startswith('/api/')]
        self._row(title, outcome, calls, elapsed)
        return result

    def _row(self, title, outcome, calls, elapsed):
        self.rows.append((title, outcome, len(calls), elapsed))
        print(self.COLUMNS % (len(self.rows), title[:36], outcome[:44],
                              len(calls), '%.2fs' % elapsed))
        if len(outcome) > 44:
            print('    %s' % outcome)
        if self.show_calls and calls:
            print(textwrap.fill(
                ', '.join('%s %s' % (c['method'], c.get('op_id') or c['path'])
                          for c in calls),
                width=99, initial_indent='    array: ',
                subsequent_indent='           '))
        sys.stdout.flush()

    def summary(self):
        calls = sum(row[2] for row in self.rows)
        elapsed = sum(row[3] for row in self.rows)
        print('-' * 99)
        print('%d steps, %d failed, %d REST calls to the array, %.1f s'
              % (len(self.rows), self.failed, calls, elapsed))


def _one_line(err):
    text = str(err) or err.__class__.__name__
    return ' '.join(text.split())


class Demo(object):
    """The walk-through against a running stack."""

    def __init__(self, sim, cinder, dataplane, table):
        self.sim = sim
        self.cinder = cinder
        self.dataplane = dataplane
        self.table = table
        self.wait = harness.Waiter(cinder, timeout=120)
        self.volumes = {}
        self.snapshots = {}

    # -- Cinder operations ------------------------------------------------

    def create_volume(self, name, size, **kwargs):
        vol = self.cinder.volumes.create(size, name=name, **kwargs)
        self.volumes[name] = vol.id
        vol = self.wait.volume(vol.id)
        lun = self._lun(vol.id)
        return '%d GiB on pool %s (LUN %s)' % (
            vol.size, harness.pool_of(vol), lun['vol_name'])

    def _lun(self, volume_id):
        name = naming.volume_name(volume_id)
        for lun in self.sim.state.luns():
            if lun['vol_name'] == name:
                return lun
        raise StepFailed('no LUN %s on the array' % name)

    def attach(self, name):
        """attachment create (connector) + complete: connection_info."""
        attachment = self.cinder.attachments.create(
            self.volumes[name], CONNECTOR, mode='rw')
        self.cinder.attachments.complete(attachment['id'])
        self.wait.volume(self.volumes[name], 'in-use')
        # The attachments API shows connection_info flat: the driver's
        # 'data' with driver_volume_type beside it.
        info = attachment['connection_info']
        if info.get('driver_volume_type') != 'iscsi':
            raise StepFailed('not an iSCSI connection: %r'
                             % info.get('driver_volume_type'))
        return attachment['id'], info

    def detach(self, attachment_id, name):
        self.cinder.attachments.delete(attachment_id)
        self.wait.volume(self.volumes[name], 'available')
        return 'available'

    def io(self, data, *commands):
        """qemu-io through the attachment's iSCSI connection."""
        if not self.dataplane:
            raise Skipped('no iSCSI data plane here')
        problem = harness.io_problem(data, INITIATOR, *commands)
        if problem:
            raise StepFailed(problem)

    # -- the steps ----------------------------------------------------------

    def run(self):
        t = self.table
        t.step('get-pools (scheduler stats)', self.get_pools,
               lambda pools: ', '.join(pools))
        t.step('create volume type ngxstorage', self.create_type,
               lambda r: 'volume_backend_name=%s' % harness.BACKEND_NAME)
        t.step('create volume demo (1 GiB)',
               lambda: self.create_volume('demo', 1), lambda r: r)
        demo = t.step('attach demo (attachments API)',
                      lambda: self.attach('demo'), describe_attach)
        t.step('write 0x5a to demo, read it back',
               lambda: self.io(demo[1], 'write -P 0x5a 0 1M',
                               'read -P 0x5a 0 1M') if demo else None,
               lambda r: '1 MiB written and verified over iSCSI')
        t.step('detach demo', lambda: self.detach(demo[0], 'demo'))
        t.step('snapshot demo -> demo-snap', self.snapshot,
               lambda s: 'array snapshot %s' % s)
        t.step('demo-copy from demo-snap (2 GiB)',
               lambda: self.create_volume(
                   'demo-copy', 2, snapshot_id=self.snapshots['demo-snap']),
               lambda r: r)
        # A clone of demo itself would add an array snapshot newer than
        # demo-snap, and the array restores only a LUN's newest snapshot.
        t.step('clone demo-copy -> demo-clone',
               lambda: self.create_volume(
                   'demo-clone', 2, source_volid=self.volumes['demo-copy']),
               lambda r: r)
        t.step('extend demo-clone to 3 GiB', self.extend_clone, lambda r: r)
        clone = t.step('attach demo-clone', lambda: self.attach(
            'demo-clone'), describe_attach)
        t.step('demo-clone: read 0x5a, write at 2.5G',
               lambda: self.io(clone[1], 'read -P 0x5a 0 1M',
                               'write -P 0x33 2560M 1M',
                               'read -P 0x33 2560M 1M') if clone else None,
               lambda r: 'the data came along; 3 GiB usable')
        t.step('detach demo-clone',
               lambda: self.detach(clone[0], 'demo-clone'))
        t.step('overwrite demo with 0xa5',
               lambda: self.overwrite('demo'),
               lambda r: 'attach, write, detach')
        t.step('revert demo to demo-snap', self.revert, lambda r: r)
        t.step('demo reads 0x5a again',
               lambda: self.read_back('demo'),
               lambda r: 'the snapshot\'s data is back')
        self.delete_all()
        t.step('check the array is empty', self.check_empty, lambda r: r,
               always=True)

    def get_pools(self):
        pools = self.wait.pools(['gold', 'silver'])
        return ['%s %.0f/%.0f GiB' % (name, pool.free_capacity_gb,
                                      pool.total_capacity_gb)
                for name, pool in sorted(pools.items())]

    def create_type(self):
        for vtype in self.cinder.volume_types.list():
            if vtype.name == harness.TYPE_NAME:
                return vtype
        vtype = self.cinder.volume_types.create(harness.TYPE_NAME)
        vtype.set_keys({'volume_backend_name': harness.BACKEND_NAME})
        return vtype

    def snapshot(self):
        snap = self.cinder.volume_snapshots.create(self.volumes['demo'],
                                                   name='demo-snap')
        self.snapshots['demo-snap'] = snap.id
        self.wait.snapshot(snap.id)
        snaps = [s for s in self.sim.state.snapshots()
                 if s['vol_name'] == self._lun(self.volumes['demo'])[
                     'vol_name']]
        if not snaps:
            raise StepFailed('no snapshot on the array')
        return snaps[-1]['snap_name']

    def extend_clone(self):
        self.cinder.volumes.extend(self.volumes['demo-clone'], 3)
        vol = self.wait.volume(self.volumes['demo-clone'])
        size = int(self._lun(vol.id)['vol_size'])
        if vol.size != 3 or size != 3 * GIB:
            raise StepFailed('size %s GiB, LUN %s bytes' % (vol.size, size))
        return 'LUN is %d GiB' % (size // GIB)

    def overwrite(self, name):
        attachment_id, data = self.attach(name)
        try:
            self.io(data, 'write -P 0xa5 0 1M')
        finally:
            self.detach(attachment_id, name)

    def revert(self):
        vol = self.cinder.volumes.get(self.volumes['demo'])
        snap = self.cinder.volume_snapshots.get(self.snapshots['demo-snap'])
        self.cinder.volumes.revert_to_snapshot(vol, snap)
        self.wait.volume(vol.id)
        return 'rolled back in place on the array'

    def read_back(self, name):
        attachment_id, data = self.attach(name)
        try:
            self.io(data, 'read -P 0x5a 0 1M')
        finally:
            self.detach(attachment_id, name)

    def delete_all(self):
        """Delete what the walk-through made (always runs)."""
        t = self.table
        if 'demo-snap' in self.snapshots:
            t.step('delete demo-snap',
                   lambda: self._delete_snapshot('demo-snap'),
                   lambda r: 'deleted; kept on the array for demo-copy',
                   always=True)
        for name, note in (('demo', 'deleted; LUN kept for demo-copy'),
                           ('demo-clone', 'deleted'),
                           ('demo-copy', 'deleted; kept objects collected')):
            if name in self.volumes:
                t.step('delete %s' % name,
                       lambda name=name: self._delete_volume(name),
                       lambda r, note=note: note, always=True)

    def _delete_snapshot(self, name):
        self.cinder.volume_snapshots.delete(self.snapshots[name])
        self.wait.snapshot_deleted(self.snapshots.pop(name))

    def _delete_volume(self, name):
        volume_id = self.volumes[name]
        try:
            vol = self.cinder.volumes.get(volume_id)
        except cinder_exc.NotFound:
            return
        for attachment in self.cinder.attachments.list(
                search_opts={'volume_id': volume_id}):
            self.cinder.attachments.delete(attachment.id)
        if vol.status not in ('available', 'error'):
            self.wait.volume_status(volume_id, ('available', 'error'))
        self.cinder.volumes.delete(volume_id, cascade=True)
        self.wait.volume_deleted(volume_id)
        del self.volumes[name]

    def check_empty(self):
        left = harness.array_leftovers(self.sim)
        left = {key: value for key, value in left.items() if value}
        if left:
            raise StepFailed('left on the array: %s' % left)
        return 'nothing left on the array'


def describe_attach(result):
    _attachment, data = result
    auth = data.get('auth_method') or 'no auth'
    return 'LUN %s, %d portals, %s' % (
        data['target_lun'], len(data.get('target_portals') or ()), auth)


def keep_running(stack, sim):
    """Print how to use the running stack; wait for Ctrl-C."""
    endpoint = stack.endpoint
    print('\nCinder is running: %s  (Ctrl-C stops everything)' % endpoint)
    print('Simulated array: %s; Cinder log: %s\n'
          % (sim.url, stack.log_file))
    print('python-cinderclient (installed in .venv):\n')
    print('  export OS_AUTH_TYPE=noauth OS_USER_ID=%s OS_PROJECT_ID=%s'
          % (USER, harness.PROJECT_ID))
    print('  export CINDER_ENDPOINT=%s OS_VOLUME_API_VERSION=%s'
          % (endpoint, harness.API_VERSION))
    for command in CLI_EXAMPLES:
        print('  .venv/bin/%s' % command)
    print()
    print('(The unified openstack client needs Keystone: its version '
          'discovery is\n unauthenticated, which Cinder\'s noauth mode '
          'does not serve.)')
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    while not stop.is_set():
        time.sleep(0.5)
    print('\nstopping')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--keep', action='store_true',
                        help='leave Cinder and the simulator running after '
                             'the walk-through, until Ctrl-C')
    parser.add_argument('--api-port', type=int, default=0,
                        help='port of the Cinder API (default: a free one)')
    parser.add_argument('--no-dataplane', action='store_true',
                        help='do not export LUNs through tgtd')
    parser.add_argument('--show-calls', action='store_true',
                        help='list the array calls of each step')
    args = parser.parse_args(argv)

    problems = (['--no-dataplane'] if args.no_dataplane
                else harness.dataplane_problems())
    dataplane = not problems
    workdir = tempfile.mkdtemp(prefix='ngx-demo-')
    sim = stack = None
    table = None
    failed = True
    try:
        sim = harness.make_simulator(POOLS, dataplane=dataplane)
        if dataplane and not sim.dataplane.iscsi_active:
            problems = [sim.dataplane.iscsi_problem]
            dataplane = False
        print('NGXStorage simulator at %s, pools %s'
              % (sim.url, ', '.join(POOLS)))
        print('iSCSI data plane: %s' % (
            'on (tgtd on %s)' % ', '.join(sim.state.portal_group_detail(
                sim_state.RequestContext(), {'id': sim.portal_group_id})[
                    'listen_ips'])
            if dataplane else 'off (%s); the I/O steps are skipped'
            % '; '.join(problems)))
        print('Cinder in this process; work files in %s\n' % workdir)
        table = Walkthrough(sim, show_calls=args.show_calls)
        table.header()
        stack = harness.InProcessCinder(sim, workdir, api_port=args.api_port)
        if table.step('start Cinder: API, scheduler, volume',
                      stack.start, lambda s: s.endpoint) is not None:
            cinder = harness.make_client(stack.endpoint)
            Demo(sim, cinder, dataplane, table).run()
        table.summary()
        failed = bool(table.failed)
        if args.keep and stack.endpoint:
            keep_running(stack, sim)
    finally:
        if stack is not None:
            stack.stop()
        if sim is not None:
            sim.stop()
        if failed and table is not None:
            print('Cinder log kept: %s' % os.path.join(workdir, 'cinder.log'))
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
