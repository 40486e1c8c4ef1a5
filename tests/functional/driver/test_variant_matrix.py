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

"""The variant matrix: every core operation under every registry variant.

For each variant of :data:`variants.REGISTRY` (and the strict reading)
three kinds of test class are generated:

* ``Matrix_<variant>_Test``: one test per operation of
  :data:`driver_table.OPERATIONS`. Each cell must either *work* or, where
  :data:`driver_table.ROWS` says so, *fail loudly*: a Cinder exception
  whose message holds the table's fragment. Either way the simulator's
  state is checked, never the driver's view: the array holds what Cinder
  believes (the LUN of a created volume at its size, no mapping after a
  reported detach, no object after a reported delete, nothing Cinder
  still has destroyed, the LUN number and CHAP credential the array
  holds), and the tripwire model of ``test_readings`` records any
  destructive request a cascading array would widen: there must be none.
* ``VariantReading_<variant>_Test``: the four scenarios of
  ``test_readings`` (lifecycle on two services, a refusal for another
  reason, adoption, CHAP across services), for variants whose cells
  those scenarios use all work.
* ``VariantFaults_<variant>_Test``: a time-bounded selection of the
  fault matrix (``test_fault_matrix``): attach to a new host, detach,
  delete a volume and delete a snapshot with a clone, with the answer of
  each changing call lost (500 after the change) and the connection
  dropped after it; the fault matrix's own checks (a repeat succeeds, the
  array ends as a clean run leaves it, a clean-up restores it).

Under ``listen-wildcard`` the driver is configured with
``ngxstorage_iscsi_portals`` (the ``start`` cell runs without it).
"""

from cinder import exception
import fixtures

from cinder_ngxstorage.array_check import driver_table
from cinder_ngxstorage import naming
from cinder_ngxstorage.simulator import Simulator
from cinder_ngxstorage.simulator import variants
from tests.functional.driver import base
from tests.functional.driver import faultlib
from tests.functional.driver import test_fault_matrix as fault_matrix
from tests.functional.driver import test_readings

GIB = 1024 ** 3

#: The variants of the matrix, strict first, in documentation order.
NAMES = ('strict',) + tuple(v.name for v in variants.VARIANTS)

#: Options a variant's driver needs (the ``start`` cell goes without).
OPTIONS = {'listen-wildcard': {'ngxstorage_iscsi_portals':
                               ['127.0.0.1:3260', '127.0.0.2:3260']}}


def _simulator(test, name):
    sim = Simulator(pools=test.POOLS, portals=test.PORTALS,
                    variants=[] if name == 'strict' else [name])
    return sim


def _cls_name(prefix, name):
    return '%s_%s_Test' % (prefix, name.replace('-', '_'))


class MatrixMixin(test_readings.ReadingLifecycleMixin):
    """The cells of one variant; subclasses set VARIANT."""

    VARIANT = 'strict'

    def make_simulator(self):
        sim = _simulator(self, self.VARIANT)
        sim.state.__class__ = self.MODEL
        sim.state.tripped = []
        return sim

    def make_driver(self, setup=True, **extra):
        for key, value in OPTIONS.get(self.VARIANT, {}).items():
            extra.setdefault(key, value)
        return super().make_driver(setup=setup, **extra)

    def tearDown(self):
        self.assert_nothing_tripped()
        super().tearDown()

    # -- the cell -----------------------------------------------------------

    def cell(self, operation, func, *args):
        """Run the cell's call: its result when it works, else None.

        Where the table says the cell fails loudly, func must raise a
        Cinder exception holding the table's fragment.
        """
        level, fragment = driver_table.outcome(self.VARIANT, operation)
        if fragment is None:
            return func(*args)
        err = self.assertRaises(exception.CinderException, func, *args)
        self.assertIn(fragment.lower(), str(err).lower())
        return None

    def fails(self, operation):
        return driver_table.outcome(self.VARIANT, operation)[0] == \
            driver_table.FAILS

    def lun_size(self, vol):
        lun = self.lun(vol)
        self.assertIsNotNone(lun, 'no LUN for %s' % vol.id)
        return int(lun['vol_size'])

    def snapshots_of(self, vol):
        return [s for s in self.sim.state.snapshots()
                if s['vol_id'] == vol.provider_id]

    def settle(self):
        """Collect deferred deletions, as a service start does."""
        self.driver.deferred.collect()

    # -- the operations ---------------------------------------------------

    def test_start(self):
        # Without the options the variant needs.
        drv = test_readings.ReadingLifecycleMixin.make_driver(
            self, setup=False)

        def start():
            drv.do_setup(self.ctx)
            drv.check_for_setup_error()
        self.cell('start', start)

    def test_create(self):
        vol = self.volume(size=2)
        self.cell('create', lambda: vol.update(
            self.driver.create_volume(vol) or {}))
        if self.fails('create'):
            self.assertEqual([], self.luns())
            return
        self.assertEqual(2 * GIB, self.lun_size(vol))
        self.assertEqual(naming.volume_name(vol.id),
                         self.lun(vol)['vol_name'])

    def test_snapshot(self):
        vol = self.known(self.create_volume(size=1))
        snap = self.snapshot(vol)
        self.cell('snapshot', lambda: snap.update(
            self.driver.create_snapshot(snap) or {}))
        if self.fails('snapshot'):
            self.assertEqual([], self.snapshots_of(vol))
            return
        [found] = self.snapshots_of(vol)
        self.assertEqual(snap.provider_id, found['snap_id'])

    def test_clone(self):
        src = self.known(self.create_volume(size=1))
        new = self.volume(size=2, source_volid=src.id)
        self.cell('clone', lambda: new.update(
            self.driver.create_cloned_volume(new, src)))
        self.assertEqual(GIB, self.lun_size(src))
        if self.fails('clone'):
            self.assertEqual(1, len(self.luns()))
            return
        self.assertEqual(2 * GIB, self.lun_size(new))

    def test_from_snapshot(self):
        src = self.known(self.create_volume(size=1))
        snap = self.create_snapshot(src)
        new = self.volume(size=3, snapshot_id=snap.id)
        self.cell('from-snapshot', lambda: new.update(
            self.driver.create_volume_from_snapshot(new, snap)))
        self.assertIn(snap.provider_id, self.snapshot_ids())
        if self.fails('from-snapshot'):
            self.assertEqual(1, len(self.luns()))
            return
        self.assertEqual(3 * GIB, self.lun_size(new))
        self.assertEqual(GIB, self.lun_size(src))

    def test_extend(self):
        vol = self.known(self.create_volume(size=1))
        self.cell('extend', self.driver.extend_volume, vol, 3)
        self.assertEqual((1 if self.fails('extend') else 3) * GIB,
                         self.lun_size(vol))

    def _attach(self, operation, service, vol, host='compute-1'):
        self.attachment(vol, host)
        info = self.cell(operation, service.initialize_connection, vol,
                         self.connector(host))
        if info is None:
            self.assertEqual([], self.mapping_of(vol))
        else:
            self.assert_attached_as_the_array_says(vol, info)
        return info

    def test_attach(self):
        v1 = self.known(self.create_volume(size=1))
        v2 = self.known(self.create_volume(size=1))
        self._attach('attach', self.driver, v1)
        self._attach('attach', self.driver, v2)

    def test_attach_other_service(self):
        v1 = self.known(self.create_volume(size=1))
        v2 = self.known(self.create_volume(size=1))
        first = self._attach('attach', self.driver, v1)
        other = self.make_driver()
        if first is None:
            # No target for the host yet: the other service makes one.
            self._attach('attach-other-service', other, v2)
            return
        self._attach('attach-other-service', other, v2)
        if self.fails('attach-other-service'):
            # The first service's mapping is untouched.
            self.assert_attached_as_the_array_says(
                v1, self.driver.initialize_connection(
                    v1, self.connector('compute-1')))

    def test_detach(self):
        vol = self.known(self.create_volume(size=1))
        conn = self.connector('compute-1')
        info = self._attach('attach', self.driver, vol)
        if info is None:
            # The attach failed: the detach Cinder then makes has
            # nothing to remove.
            vol.volume_attachment = None
            self.cell('detach', self.make_driver().terminate_connection,
                      vol, conn)
            self.assertEqual([], self.mapping_of(vol))
            return
        vol.volume_attachment = None
        other = self.make_driver()
        self.cell('detach', other.terminate_connection, vol, conn)
        if self.fails('detach'):
            # Reported failed: the mapping is still there, and the
            # service that made it can remove it.
            self.assertEqual(1, len(self.mapping_of(vol)))
            self.driver.terminate_connection(vol, conn)
        self.assertEqual([], self.mapping_of(vol))
        self.assertEqual([], self.sim.state.targets())

    def test_revert(self):
        vol = self.known(self.at(self.create_volume(size=1), 0))
        snap = self.at(self.create_snapshot(vol), 1)
        self.sim.clear_requests()
        self.cell('revert', self.driver.revert_to_snapshot, self.ctx, vol,
                  snap)
        restores = [r for r in self.sim.requests
                    if r['method'] == 'POST' and 'restore' in r['path']]
        self.assertEqual(0 if self.fails('revert') else 1, len(restores))
        self.assertIn(snap.provider_id, self.snapshot_ids())
        self.assertEqual(GIB, self.lun_size(vol))
        # A clone made after the snapshot (its internal snapshot is
        # newer): not asked of the array, Cinder copies instead.
        clone = self.known(self.at(self.volume(
            size=1, source_volid=vol.id), 2))
        clone.update(self.driver.create_cloned_volume(clone, vol))
        self.sim.clear_requests()
        self.assertRaises(NotImplementedError, self.driver.revert_to_snapshot,
                          self.ctx, vol, snap)
        self.assertEqual([], [r for r in self.sim.requests
                              if 'restore' in r['path']])
        self.assertIsNotNone(self.lun(clone))
        self.assertIn(snap.provider_id, self.snapshot_ids())

    def test_delete(self):
        plain = self.known(self.create_volume(size=1))
        src = self.known(self.create_volume(size=1))
        snap = self.create_snapshot(src)
        clone = self.known(self.volume(size=1, snapshot_id=snap.id))
        clone.update(self.driver.create_volume_from_snapshot(clone, snap))
        lone = self.create_snapshot(plain)

        self.cell('delete', self.driver.delete_snapshot, lone)
        if not self.fails('delete'):
            self.assertNotIn(lone.provider_id, self.snapshot_ids())
        self.cell('delete', self.driver.delete_volume, plain)
        if not self.fails('delete'):
            self.cinder_db.remove(plain)
            self.assertIsNone(self.lun(plain))
        # With dependents: reported deleted, the clone untouched.
        self.cell('delete', self.driver.delete_snapshot, snap)
        self.assertIsNotNone(self.lun(clone))
        self.cell('delete', self.driver.delete_volume, src)
        self.cinder_db.remove(src)
        self.assertIsNotNone(self.lun(clone))
        self.settle()
        self.assertIsNotNone(self.lun(clone))
        # The last dependent goes: everything goes.
        self.cell('delete', self.driver.delete_volume, clone)
        self.cinder_db.remove(clone)
        self.settle()
        if not self.fails('delete'):
            self.assert_array_empty()

    def test_manage(self):
        self.driver.client.create_lun('pool1', 'legacy1', 2, sing='G')
        [legacy] = [lun for lun in self.sim.state.luns()
                    if lun['vol_name'] == 'legacy1']
        vol = self.volume(size=1)

        def manage():
            vol.size = self.driver.manage_existing_get_size(
                vol, {'source-name': 'legacy1'})
            vol.update(self.driver.manage_existing(
                vol, {'source-name': 'legacy1'}) or {})
            self.known(vol)
            self.driver.client.create_snapshot('old1', vol.provider_id)
            snap = self.snapshot(vol)
            ref = {'source-name': 'old1'}
            snap.volume_size = \
                self.driver.manage_existing_snapshot_get_size(snap, ref)
            snap.update(self.driver.manage_existing_snapshot(snap, ref)
                        or {})
            return snap
        snap = self.cell('manage', manage)
        if snap is None:
            return
        self.assertEqual(legacy['vol_id'], vol.provider_id)
        self.assertEqual(2, vol.size)
        self.assertIn(snap.provider_id, self.snapshot_ids())
        # Managed objects are Cinder's now: extend and delete them.
        self.driver.extend_volume(vol, 3)
        self.assertEqual(3 * GIB, self.lun_size(vol))
        self.driver.delete_snapshot(snap)
        self.assertNotIn(snap.provider_id, self.snapshot_ids())
        self.driver.delete_volume(vol)
        self.assertIsNone(self.lun(vol))


#: test_readings' scenarios (run by the VariantReading classes).
SCENARIO_TESTS = tuple(
    key for key in vars(test_readings.ReadingLifecycleMixin)
    if key.startswith('test_'))

#: The operations test_readings' scenarios use.
READING_OPERATIONS = ('start', 'create', 'snapshot', 'clone',
                      'from-snapshot', 'extend', 'attach',
                      'attach-other-service', 'detach', 'revert', 'delete')


class FaultMixin(object):
    """A time-bounded slice of the fault matrix under one variant."""

    VARIANT = 'strict'
    SCENARIOS = ('attach_new_host', 'detach_last_volume', 'delete_volume',
                 'delete_snapshot_with_clone')
    KINDS = ('500-after', 'drop-after')

    def setUp(self):
        self.tripped = []
        restore = faultlib.restore_state

        def restore_state(sim, dump):
            # The restored model keeps the tripwire.
            new = restore(sim, dump)
            new.__class__ = test_readings.Tripwire
            new.tripped = self.tripped
            return new
        self.useFixture(fixtures.MonkeyPatch(
            'tests.functional.driver.faultlib.restore_state', restore_state))
        super().setUp()

    def tearDown(self):
        self.assertEqual([], self.tripped)
        super().tearDown()

    def make_simulator(self):
        sim = _simulator(self, self.VARIANT)
        sim.state.__class__ = test_readings.Tripwire
        sim.state.tripped = self.tripped
        return sim

    def make_driver(self, setup=True, **extra):
        for key, value in OPTIONS.get(self.VARIANT, {}).items():
            extra.setdefault(key, value)
        return super().make_driver(setup=setup, **extra)

    def kinds(self):
        every = faultlib.fault_kinds()
        return {kind: every[kind] for kind in self.KINDS}

    def calls(self, trace):
        """Only the calls that change something."""
        return [index for index, (method, _path) in enumerate(trace)
                if method != 'GET']


def _fault_scenarios(name):
    by_name = {s.name: s for s in fault_matrix.SCENARIOS}
    chosen = []
    for scenario_name in FaultMixin.SCENARIOS:
        # The operations the scenario's set-up and run need.
        needs = (('attach',) if scenario_name.startswith('attach') else
                 ('attach', 'detach') if scenario_name.startswith('detach')
                 else ('delete',))
        if all(driver_table.outcome(name, operation)[1] is None
               for operation in needs):
            chosen.append(by_name[scenario_name])
    return chosen


def _fault_test(scenario):
    def test(self):
        self.run_scenario(scenario)
    test.__doc__ = 'Lost answers and dropped connections of %s.' % (
        scenario.name,)
    return test


def _classes():
    for name in NAMES:
        doc = 'The operations under variant %s.' % name
        attrs = {'VARIANT': name, '__doc__': doc}
        attrs.update({key: None for key in SCENARIO_TESTS})
        yield _cls_name('Matrix', name), type(
            _cls_name('Matrix', name), (MatrixMixin, base.DriverTestCase),
            attrs)
        if all(driver_table.outcome(name, op)[1] is None
               for op in READING_OPERATIONS):
            attrs = {'VARIANT': name,
                     '__doc__': "test_readings' scenarios under %s." % name}
            attrs.update({key: None for key in vars(MatrixMixin)
                          if key.startswith('test_')})
            yield _cls_name('VariantReading', name), type(
                _cls_name('VariantReading', name),
                (MatrixMixin, base.DriverTestCase), attrs)
        scenarios = _fault_scenarios(name)
        if scenarios:
            attrs = {'VARIANT': name,
                     '__doc__': 'Fault slice under variant %s.' % name}
            attrs.update({'test_%s' % s.name: None
                          for s in fault_matrix.SCENARIOS})
            for scenario in scenarios:
                attrs['test_%s' % scenario.name] = _fault_test(scenario)
            yield _cls_name('VariantFaults', name), type(
                _cls_name('VariantFaults', name),
                (FaultMixin, fault_matrix.FaultMatrixTest), attrs)


for _name, _cls in _classes():
    globals()[_name] = _cls
del _name, _cls
