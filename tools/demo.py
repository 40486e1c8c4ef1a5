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

"""Walk a volume's life through the NGXStorage driver, on the simulator.

Starts ``ngxstorage-simulator`` as a separate process, points the Cinder
driver at it over HTTP and runs the operations Cinder would run, printing
one row per step: what was done, the outcome, the REST calls the driver
made and the time taken. Exits non-zero if any step fails or if anything
is left on the array at the end.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

# Cinder warns about eventlet on import; nothing to act on in a demo.
os.environ.setdefault('PYTHONWARNINGS', 'ignore')

from cinder import context  # noqa: E402
from cinder import coordination  # noqa: E402
from cinder import objects  # noqa: E402
from cinder.tests.unit import fake_snapshot  # noqa: E402
from cinder.tests.unit import fake_volume  # noqa: E402
from cinder.volume import configuration  # noqa: E402
from cinder.volume import driver as cinder_driver  # noqa: E402
from oslo_config import cfg  # noqa: E402

from cinder_ngxstorage import driver as ngx_driver  # noqa: E402
from cinder_ngxstorage import naming  # noqa: E402

CONF = cfg.CONF


def start_simulator():
    """Run the simulator CLI; return (process, its ready line)."""
    exe = os.path.join(os.path.dirname(sys.executable),
                       'ngxstorage-simulator')
    proc = subprocess.Popen(
        [exe, '--port', '0', '--pool', 'gold:200G', '--pool', 'silver:100G',
         '--portal', '127.0.0.1:3260', '--portal', '127.0.0.2:3260'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        raise SystemExit('simulator did not start: %s' % proc.stderr.read())
    return proc, json.loads(line)


def make_driver(ready):
    scheme, _sep, rest = ready['url'].partition('://')
    host, _sep, port = rest.rpartition(':')
    group = 'ngxdemo'
    conf = configuration.Configuration(cinder_driver.volume_opts,
                                       config_group=group)
    conf.append_config_values(ngx_driver.san.san_opts)
    conf.append_config_values(ngx_driver.options.NGXSTORAGE_OPTS)
    for key, value in {'volume_backend_name': 'ngxstorage', 'san_ip': host,
                       'san_api_port': int(port),
                       'ngxstorage_use_https': scheme == 'https',
                       'ngxstorage_api_token': ready['token'],
                       'ngxstorage_pools': ['gold', 'silver'],
                       'ngxstorage_portal_group': ready['portal_group_id'],
                       }.items():
        CONF.set_override(key, value, group=group)
    return ngx_driver.NGXStorageISCSIDriver(configuration=conf,
                                            host='demo@ngxstorage')


class Demo(object):
    """Runs steps and prints the table."""

    def __init__(self, drv):
        self.drv = drv
        self.rows = []
        self.failed = 0
        print('%-4s %-44s %-34s %5s %8s' % ('#', 'step', 'result', 'calls',
                                            'ms'))
        print('-' * 99)

    def step(self, title, func, describe=lambda r: 'ok'):
        client = self.drv.client
        before = client.total_calls() if client else 0
        start = time.monotonic()
        try:
            result = func()
            outcome = describe(result)
        except Exception as err:  # shown, counted, and the demo goes on
            result, outcome = None, 'FAILED: %s' % err
            self.failed += 1
        elapsed = (time.monotonic() - start) * 1000
        calls = (self.drv.client.total_calls() - before
                 if self.drv.client else 0)
        self.rows.append((title, outcome, calls, elapsed))
        print('%-4d %-44s %-34s %5d %8.1f' % (len(self.rows), title,
                                              outcome[:34], calls, elapsed))
        if len(outcome) > 34:
            print('     %s' % outcome)
        return result


def main():
    objects.register_all()
    lock_dir = tempfile.mkdtemp(prefix='ngx-demo-locks-')
    CONF.set_override('backend_url', 'file://' + lock_dir,
                      group='coordination')
    coordination.COORDINATOR.start()
    proc, ready = start_simulator()
    print('Simulator running at %s (portal group %s)\n'
          % (ready['url'], ready['portal_group_id']))
    ctx = context.get_admin_context()
    drv = make_driver(ready)
    demo = Demo(drv)

    def volume(size, pool='gold'):
        return fake_volume.fake_volume_obj(
            ctx, id=str(uuid.uuid4()), _name_id=None, size=size,
            host='demo@ngxstorage#%s' % pool, provider_id=None,
            provider_location=None)

    def snapshot(vol):
        snap = fake_snapshot.fake_snapshot_obj(
            ctx, id=str(uuid.uuid4()), volume_id=vol.id,
            volume_size=vol.size, provider_id=None)
        snap.volume = vol
        return snap

    def created(obj, update):
        obj.update(update or {})
        return obj

    demo.step('do_setup + check_for_setup_error',
              lambda: (drv.do_setup(ctx), drv.check_for_setup_error()))
    demo.step('get_volume_stats', lambda: drv.get_volume_stats(True),
              lambda s: ', '.join('%s %.0f/%.0f GiB' % (
                  p['pool_name'], p['free_capacity_gb'],
                  p['total_capacity_gb']) for p in s['pools']))
    vol = volume(1)
    demo.step('create_volume 1 GiB in pool gold',
              lambda: created(vol, drv.create_volume(vol)),
              lambda v: 'LUN %s' % naming.volume_name(v.name_id))
    snap = snapshot(vol)
    demo.step('create_snapshot',
              lambda: created(snap, drv.create_snapshot(snap)),
              lambda s: 'snapshot %s' % s.provider_id[:12])
    from_snap = volume(2)
    demo.step('create_volume_from_snapshot (2 GiB)',
              lambda: created(from_snap, drv.create_volume_from_snapshot(
                  from_snap, snap)),
              lambda v: 'clone %s' % v.provider_id[:12])
    demo.step('revert_to_snapshot',
              lambda: drv.revert_to_snapshot(ctx, vol, snap),
              lambda r: 'rolled back in place, size kept')
    clone = volume(1)
    demo.step('create_cloned_volume',
              lambda: created(clone, drv.create_cloned_volume(clone, vol)),
              lambda v: 'clone %s' % v.provider_id[:12])
    demo.step('extend_volume to 3 GiB', lambda: drv.extend_volume(vol, 3))
    vol.size = 3
    connector = {'host': 'compute-1', 'initiator':
                 'iqn.1993-08.org.debian:01:demo0001', 'multipath': True}
    demo.step('initialize_connection (new host)',
              lambda: drv.initialize_connection(vol, connector),
              lambda i: 'LUN %s on %d portals, %s' % (
                  i['data']['target_lun'], len(i['data']['target_portals']),
                  i['data'].get('auth_method', 'no auth')))
    demo.step('initialize_connection (known host)',
              lambda: drv.initialize_connection(clone, connector),
              lambda i: 'LUN %s' % i['data']['target_lun'])
    demo.step('terminate_connection', lambda: drv.terminate_connection(
        clone, connector))
    demo.step('terminate_connection (last: host cleaned)',
              lambda: drv.terminate_connection(vol, connector))
    demo.step('delete_snapshot (has a clone: deferred)',
              lambda: drv.delete_snapshot(snap))
    for title, obj in (('delete_volume (source)', vol),
                       ('delete_volume (cloned)', clone),
                       ('delete_volume (from snapshot: collects)',
                        from_snap)):
        demo.step(title, lambda obj=obj: drv.delete_volume(obj))

    def leftovers():
        luns = [lun['name'] for lun in drv.client.list_luns()
                if lun['name'] != naming.DEFERRED_REGISTRY_LUN]
        targets = drv.client.list_targets()
        groups = [g for g in drv.client.list_auth_groups()
                  if g['group_id'] != '1']
        if luns or targets or groups:
            raise RuntimeError('left on the array: %s %s %s'
                               % (luns, targets, groups))
        return 'nothing left on the array'
    demo.step('check the array is empty', leftovers, lambda r: r)

    proc.terminate()
    proc.wait(10)
    coordination.COORDINATOR.stop()
    total_calls = sum(row[2] for row in demo.rows)
    total_ms = sum(row[3] for row in demo.rows)
    print('-' * 99)
    print('%d steps, %d failed, %d REST calls, %.0f ms'
          % (len(demo.rows), demo.failed, total_calls, total_ms))
    return 1 if demo.failed else 0


if __name__ == '__main__':
    sys.exit(main())
