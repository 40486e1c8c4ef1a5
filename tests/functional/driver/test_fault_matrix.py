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

"""The fault matrix: every driver operation x every REST call x each fault.

For each scenario (a driver operation on a prepared array) a clean run
records the operation's call trace and the array it leaves (*expected*).
Then, for every call of the trace and every fault kind of
:func:`faultlib.fault_kinds` (500 before the change; 500, timeout and a
dropped connection after the change is committed; 401 from that call on,
as when the key expires mid-run; 409), the operation is replayed on the
prepared array (*before*) with a rule hitting exactly that call, and:

* it succeeds (the array then holds exactly *expected*), or raises a
  Cinder exception whose message names NGXStorage and the object (and,
  for 401, the option to fix), never a secret;
* after a failure the array holds nothing outside *before* and
  *expected* (no orphan, no duplicate);
* repeating the same Cinder operation with the fault gone succeeds and
  leaves exactly *expected* (a create adopts what a lost answer left, a
  delete is satisfied by 404);
* for a create or an attach, what Cinder does with a failed one instead
  (delete the volume or snapshot, detach) leaves exactly *before*.

The calls come from the trace, so a call the driver starts making is
covered without editing this file. The client runs with no retries, so
each call is one request and a fault hits the call itself (retries are
the client's own tests' business). Deferred deletions are collected and
host objects an interrupted detach left are removed before every
comparison, as the next service start does.

``NGX_FAULT_MATRIX_REPORT=1`` prints each scenario's counts.
"""

import os
import sys
import time

from cinder import exception

from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import naming
from tests.functional.driver import base
from tests.functional.driver import fake_db
from tests.functional.driver import faultlib

# The client read timeout of the timeout cases; the fault delays the
# answer past it (faultlib.fault_kinds).
TIMEOUT_READ = 0.2
GIB = 1024 ** 3


class Scenario(object):
    """One driver operation on a prepared array.

    :param setup: f(test) -> dict of Cinder objects, made with the
        test's driver before the trace is recorded.
    :param run: f(test, driver, objects) -> result; applies model
        updates to the objects as Cinder would on success.
    :param cleanup: f(test, driver, objects): what Cinder does after the
        operation failed (delete a failed volume, detach a failed
        attach); must bring the array back to the prepared state.
    :param verify: f(test, objects, result): the Cinder objects point at
        the right array objects.
    :param subject: key of the object whose id an error must name.
    :param warm: the driver keeps its per-host cache (a running service)
        or starts cold (a restarted one).
    """

    def __init__(self, name, setup, run, cleanup=None, verify=None,
                 subject=None, warm=True):
        self.name = name
        self.setup = setup
        self.run = run
        self.cleanup = cleanup
        self.verify = verify
        self.subject = subject
        self.warm = warm


# -- the operations ---------------------------------------------------------

def _nothing(t):
    return {}


def _new_volume(t):
    return {'new': t.volume(size=1, pool='pool2')}


def _volume(t):
    return {'vol': t.create_volume(size=1)}


def _volume_and_new_snapshot(t):
    vol = t.create_volume(size=1)
    return {'vol': vol, 'snap': t.snapshot(vol)}


def _volume_and_snapshot(t):
    vol = t.create_volume(size=1)
    return {'vol': vol, 'snap': t.create_snapshot(vol)}


def _snapshot_with_clone(t):
    objs = _volume_and_snapshot(t)
    objs['clone'] = t.volume_from_snapshot(objs['snap'], size=1)
    return objs


def _snapshot_and_new_volume(t):
    objs = _volume_and_snapshot(t)
    objs['new'] = t.volume(size=2)
    return objs


def _source_and_new_volume(t):
    return {'src': t.create_volume(size=1), 'new': t.volume(size=2)}


def _source_and_clone(t):
    src = t.create_volume(size=1)
    clone = t.volume(size=1)
    clone.update(t.driver.create_cloned_volume(clone, src))
    return {'src': src, 'clone': clone}


def _deferred_snapshot(t):
    objs = _snapshot_with_clone(t)
    t.driver.delete_snapshot(objs['snap'])
    return objs


def _deferred_volume(t):
    objs = _deferred_snapshot(t)
    t.driver.delete_volume(objs['vol'])
    return objs


def _managed_snapshot_of_extended_volume(t):
    """A smaller array snapshot Cinder reverts to: a managed one.

    Cinder refuses a revert when the volume's size differs from the
    snapshot's volume_size, so a snapshot it made is never smaller than
    the volume. A snapshot taken on the array at 1 GiB, the volume then
    extended to 2 GiB and the snapshot managed is: Cinder records it at
    the volume's size, and the revert must grow the LUN back.
    """
    vol = t.create_volume(size=1)
    t.driver.client.create_snapshot('daily1', vol.provider_id)
    t.driver.extend_volume(vol, 2)
    vol.size = 2
    t.useFixture(fake_db.FakeCinderDB())
    ref = {'source-name': 'daily1'}
    snap = t.snapshot(vol)
    snap.volume_size = t.driver.manage_existing_snapshot_get_size(snap, ref)
    snap.update(t.driver.manage_existing_snapshot(snap, ref) or {})
    t.assertEqual(vol.size, snap.volume_size)
    return {'vol': vol, 'snap': snap}


def _attached(t):
    vol = t.create_volume(size=1)
    t.driver.initialize_connection(vol, t.connector('host-a'))
    return {'vol': vol}


def _one_attached_one_not(t):
    objs = _attached(t)
    objs['new'] = t.create_volume(size=1)
    return objs


def _two_attached(t):
    objs = _one_attached_one_not(t)
    t.driver.initialize_connection(objs['new'], t.connector('host-a'))
    return objs


def _attached_to_two_hosts(t):
    objs = _attached(t)
    t.driver.initialize_connection(objs['vol'], t.connector('host-b'))
    return objs


def _create(key, method):
    def run(t, drv, objs):
        update = getattr(drv, method)(objs[key])
        objs[key].update(update or {})
        return update
    return run


def _delete(key, method):
    def run(t, drv, objs):
        return getattr(drv, method)(objs[key])
    return run


def _extend(t, drv, objs):
    drv.extend_volume(objs['vol'], 2)
    objs['vol'].size = 2


def _from_snapshot(t, drv, objs):
    update = drv.create_volume_from_snapshot(objs['new'], objs['snap'])
    objs['new'].update(update)
    return update


def _clone(t, drv, objs):
    update = drv.create_cloned_volume(objs['new'], objs['src'])
    objs['new'].update(update)
    return update


def _revert(t, drv, objs):
    drv.revert_to_snapshot(t.ctx, objs['vol'], objs['snap'])


def _attach(key, host):
    def run(t, drv, objs):
        return drv.initialize_connection(objs[key], t.connector(host))
    return run


def _detach(key, host):
    def run(t, drv, objs):
        conn = t.connector(host) if host else None
        return drv.terminate_connection(objs[key], conn)
    return run


def _stats(t, drv, objs):
    return drv.get_volume_stats(refresh=True)


def _start_service(t, drv, objs):
    new = ngx_driver.NGXStorageISCSIDriver(
        configuration=t.driver.configuration, host=t.driver.host)
    new.db = t.driver.db  # The same deployment.
    new.do_setup(t.ctx)
    if t.read_timeout is not None:
        new.client._timeout = (new.client._timeout[0], t.read_timeout)
    new.check_for_setup_error()
    return new


def _verify_lun(key):
    def verify(t, objs, result):
        vol = objs[key]
        [lun] = [lun for lun in t.sim.state.luns()
                 if lun['vol_id'] == vol.provider_id]
        t.assertEqual(naming.volume_name(vol.name_id), lun['vol_name'])
        t.assertEqual(str(vol.size * GIB), lun['vol_size'])
    return verify


def _verify_snapshot(t, objs, result):
    snap = objs['snap']
    [found] = [s for s in t.sim.state.snapshots()
               if s['snap_id'] == snap.provider_id]
    t.assertEqual(naming.snapshot_name(snap.id), found['snap_name'])
    t.assertEqual(objs['vol'].provider_id, found['vol_id'])


def _verify_connection(key):
    def verify(t, objs, result):
        data = result['data']
        [target] = [x for x in t.sim.state.targets()
                    if x['target_iqn'] == data['target_iqn']]
        luns = {lun['vol_id']: int(lun['lun_number'])
                for lun in target['luns']}
        t.assertEqual(data['target_lun'], luns[objs[key].provider_id])
        # The secret the array holds, whatever its reads show.
        [group] = [g for g in t.sim.state.export_view()['auth_groups']
                   if g['id'] == target['group_id']]
        t.assertEqual(group['chap']['password'], data['auth_password'])
    return verify


def _verify_stats(t, objs, result):
    t.assertEqual(['pool1', 'pool2'],
                  [p['pool_name'] for p in result['pools']])


SCENARIOS = [
    Scenario('create_volume', _new_volume, _create('new', 'create_volume'),
             cleanup=_delete('new', 'delete_volume'),
             verify=_verify_lun('new'), subject='new'),
    Scenario('delete_volume', _volume, _delete('vol', 'delete_volume'),
             subject='vol'),
    Scenario('extend_volume', _volume, _extend, verify=_verify_lun('vol'),
             subject='vol'),
    Scenario('create_snapshot', _volume_and_new_snapshot,
             _create('snap', 'create_snapshot'),
             cleanup=_delete('snap', 'delete_snapshot'),
             verify=_verify_snapshot, subject='snap'),
    Scenario('delete_snapshot', _volume_and_snapshot,
             _delete('snap', 'delete_snapshot'), subject='snap'),
    Scenario('delete_snapshot_with_clone', _snapshot_with_clone,
             _delete('snap', 'delete_snapshot'), subject='snap'),
    Scenario('create_volume_from_snapshot', _snapshot_and_new_volume,
             _from_snapshot, cleanup=_delete('new', 'delete_volume'),
             verify=_verify_lun('new'), subject='new'),
    Scenario('create_cloned_volume', _source_and_new_volume, _clone,
             cleanup=_delete('new', 'delete_volume'),
             verify=_verify_lun('new'), subject='new'),
    Scenario('delete_cloned_volume', _source_and_clone,
             _delete('clone', 'delete_volume'), subject='clone'),
    Scenario('delete_volume_with_dependents', _deferred_snapshot,
             _delete('vol', 'delete_volume'), subject='vol'),
    Scenario('delete_last_dependent', _deferred_volume,
             _delete('clone', 'delete_volume'), subject='clone'),
    Scenario('revert_to_snapshot', _volume_and_snapshot, _revert,
             verify=_verify_lun('vol'), subject='vol'),
    Scenario('revert_to_managed_snapshot',
             _managed_snapshot_of_extended_volume, _revert,
             verify=_verify_lun('vol'), subject='vol'),
    Scenario('attach_new_host', _volume, _attach('vol', 'host-a'),
             cleanup=_detach('vol', 'host-a'),
             verify=_verify_connection('vol'), subject='vol'),
    Scenario('attach_known_host', _one_attached_one_not,
             _attach('new', 'host-a'), cleanup=_detach('new', 'host-a'),
             verify=_verify_connection('new'), subject='new'),
    Scenario('attach_after_restart', _one_attached_one_not,
             _attach('new', 'host-a'), cleanup=_detach('new', 'host-a'),
             verify=_verify_connection('new'), subject='new', warm=False),
    Scenario('detach_last_volume', _attached, _detach('vol', 'host-a'),
             subject='vol'),
    Scenario('detach_one_of_two', _two_attached, _detach('vol', 'host-a'),
             subject='vol'),
    Scenario('force_detach', _attached_to_two_hosts, _detach('vol', None),
             subject='vol'),
    Scenario('delete_attached_volume', _attached,
             _delete('vol', 'delete_volume'), subject='vol'),
    Scenario('volume_stats', _nothing, _stats, verify=_verify_stats),
    Scenario('service_start', _nothing, _start_service),
]


class FaultMatrixTest(base.DriverTestCase):
    """One test per scenario, every (call, fault kind) case inside it."""

    def setUp(self):
        self.read_timeout = None
        super().setUp()

    @staticmethod
    def kinds():
        """The faults injected at each call: name -> rule kwargs."""
        return faultlib.fault_kinds()

    @staticmethod
    def calls(trace):
        """The indexes of the trace's calls to fault: every one."""
        return range(len(trace))

    def make_driver(self, setup=True, **extra):
        extra.setdefault('ngxstorage_api_retries', 0)
        return super().make_driver(setup=setup, **extra)

    # -- helpers for the scenarios ----------------------------------------

    def clone_objects(self, objs):
        """Fresh copies of the scenario's Cinder objects."""
        return {key: obj.obj_clone() for key, obj in objs.items()}

    def settle(self):
        """The array after the next service start's clean-up.

        Deferred deletions are collected and host objects an interrupted
        detach left are removed, as check_for_setup_error does.
        """
        drv = faultlib.clone_driver(self.driver, warm=False)
        drv.deferred.collect()
        drv._collect_leftovers()
        return faultlib.inventory(self.sim.state)

    # -- the matrix -------------------------------------------------------

    def run_scenario(self, scenario):
        objs = scenario.setup(self)
        baseline = self.sim.state.dump()
        before = faultlib.inventory(self.sim.state)
        template = self.driver

        # The clean run: its calls and what it leaves.
        self.sim.clear_requests()
        drv = faultlib.clone_driver(template, warm=scenario.warm)
        clean = self.clone_objects(objs)
        result = scenario.run(self, drv, clean)
        trace = faultlib.record_trace(self.sim.requests)
        statuses = faultlib.record_statuses(self.sim.requests)
        expected = self.settle()
        if scenario.verify:
            scenario.verify(self, clean, result)
        self.assertTrue(trace, 'the operation made no API call')

        problems = []
        counts = {'cases': 0, 'fired': 0, 'failed': 0}
        start = time.monotonic()
        for index in self.calls(trace):
            for kind, fault in self.kinds().items():
                if faultlib.is_lie(fault, statuses[index]):
                    continue
                faultlib.restore_state(self.sim, baseline)
                case = '%s call %d %s %s, %s' % (
                    scenario.name, index, trace[index][0],
                    trace[index][1], kind)
                try:
                    failed = self.run_case(scenario, objs, trace, index,
                                           kind, fault, before, expected,
                                           template, counts)
                except AssertionError as err:
                    problems.append('%s: %s' % (case, err))
                    continue
                counts['failed'] += failed
                counts['cases'] += 1
        if os.environ.get('NGX_FAULT_MATRIX_REPORT'):
            sys.stderr.write(
                '\n%-30s calls %3d cases %4d fired %4d failed %4d '
                'problems %3d %.1f s\n' % (
                    scenario.name, len(trace), counts['cases'],
                    counts['fired'], counts['failed'], len(problems),
                    time.monotonic() - start))
        if problems:
            self.fail('%d of %d cases went wrong:\n%s' % (
                len(problems), len(problems) + counts['cases'],
                '\n'.join(problems)))

    def run_case(self, scenario, objs, trace, index, kind, fault, before,
                 expected, template, counts):
        """One (call, fault) case; True when the operation failed."""
        if kind.startswith('401'):
            # The key expires: this call and every later one get 401.
            rule = dict(fault, method=None, path='.*', nth=index + 1,
                        times=0)
        else:
            rule = faultlib.rule_for_call(trace, index, **fault)
        self.read_timeout = TIMEOUT_READ if kind.startswith('timeout') \
            else None
        drv = faultlib.clone_driver(template, warm=scenario.warm,
                                    read_timeout=self.read_timeout)
        case_objs = self.clone_objects(objs)
        self.sim.faults.clear()
        self.sim.faults.add(**rule)
        error = None
        try:
            result = scenario.run(self, drv, case_objs)
        except faultlib.CINDER_ERRORS as err:
            error = err
        except NotImplementedError as err:
            # Revert only: Cinder then copies the snapshot's data.
            self.assertIn(scenario.name, ('revert_to_snapshot',
                                          'revert_to_managed_snapshot'),
                          'NotImplementedError from %s' % scenario.name)
            self.assertIsInstance(err.__cause__, Exception)
            error = err
        except Exception as err:
            raise AssertionError('not a Cinder exception: %r' % err) from err
        finally:
            self.read_timeout = None
            fired = sum(r['fired'] for r in self.sim.faults.rules())
            self.sim.faults.clear()
        counts['fired'] += bool(fired)
        if error is None:
            after = self.settle()
            self.assert_inventory(expected, after,
                                  'succeeded but left the wrong objects')
            if scenario.verify:
                scenario.verify(self, case_objs, result)
            return False

        if not isinstance(error, NotImplementedError):
            self.check_message(scenario, case_objs, kind, error)
        failed_state = self.sim.state.dump()
        failed_objs = self.clone_objects(case_objs)
        failed_drv = faultlib.clone_driver(drv, warm=True)
        drv.client._timeout = failed_drv.client._timeout
        after = self.settle()
        extra = faultlib.extra_items(after, before, expected)
        self.assertEqual([], extra, 'orphans or duplicates after the '
                         'failure (%s)' % error)

        # Cinder repeats the operation.
        if not isinstance(error, NotImplementedError):
            result = self.must_succeed('the repeat', error, scenario.run,
                                       self, drv, case_objs)
            after = self.settle()
            self.assert_inventory(expected, after, 'the repeat after %s '
                                  'left the wrong objects' % error)
            if scenario.verify:
                scenario.verify(self, case_objs, result)

        # Or Cinder undoes it: the array goes back to before.
        if scenario.cleanup:
            faultlib.restore_state(self.sim, failed_state)
            self.must_succeed('the clean-up', error, scenario.cleanup,
                              self, failed_drv, failed_objs)
            after = self.settle()
            self.assert_inventory(before, after, 'the clean-up after %s '
                                  'left the wrong objects' % error)
        return True

    @staticmethod
    def must_succeed(what, error, func, *args):
        """func(*args), which must not fail after error; its result."""
        try:
            return func(*args)
        except Exception as err:
            raise AssertionError('%s failed after %s: %s'
                                 % (what, error, err))

    def assert_inventory(self, expected, actual, what):
        """The array holds exactly the expected objects."""
        if expected != actual:
            raise AssertionError('%s: %s' % (
                what, faultlib.difference(expected, actual)))

    def check_message(self, scenario, objs, kind, error):
        """A failure says what failed, on which object, and what to do."""
        text = str(error)
        self.assertIn('NGXStorage', text)
        if scenario.subject:
            self.assertIn(objs[scenario.subject].id, text)
        if kind.startswith('401'):
            self.assertIn('ngxstorage_api_token', text)
        self.assertNotIn(self.sim.token, text)
        self.assertNotIn(self.sim.token, repr(error))
        self.assertIsInstance(error, (exception.VolumeBackendAPIException,
                                      exception.VolumeDriverException))


def _make_test(scenario):
    def test(self):
        self.run_scenario(scenario)
    test.__doc__ = 'Fault matrix of %s.' % scenario.name
    return test


for _scenario in SCENARIOS:
    setattr(FaultMatrixTest, 'test_%s' % _scenario.name,
            _make_test(_scenario))
del _scenario
