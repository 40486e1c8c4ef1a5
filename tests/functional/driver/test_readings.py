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


"""The driver's lifecycle under other readings of the reference.

Each test class runs the same lifecycle (create, snapshot, volume from
snapshot, clone, attach on two services, detach, revert, extend, delete
with dependents, collection) against the simulator under one reading
(``Reading.variant``), and checks the simulator's *state*, never the
driver's view: no mapping after a detach, no object after a delete,
nothing Cinder still has destroyed, the LUN number the array maps, the
CHAP credential the array holds.

The simulator's model is wrapped in a test-only subclass, a tripwire: a
snapshot delete of a snapshot with clones, a "delete all" of a LUN whose
snapshots have clones, or a restore of a snapshot that is not the newest
would, on an array that cascades, destroy what Cinder still has. The
strict model refuses them; the tripwire records that they were asked at
all, and the tests require that they never are.
"""

import datetime

from cinder import exception

from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import readings
from cinder_ngxstorage.simulator import Simulator
from cinder_ngxstorage.simulator import state as state_mod
from tests import common
from tests.functional.driver import base
from tests.functional.driver import fake_db

STRICT = readings.STRICT

#: name -> Reading: every variant the model's switches can express.
READINGS = {
    'strict': STRICT,
    'conflict_400': STRICT.variant('conflict_400',
                                   statuses={'conflict': 400}),
    'conflict_422': STRICT.variant('conflict_422',
                                   statuses={'conflict': 422}),
    'conflict_200_false': STRICT.variant('conflict_200_false',
                                         statuses={'conflict': 200}),
    'conflict_mixed': STRICT.variant(
        'conflict_mixed', conflict_statuses={
            'in_use': 422, 'exists': 400, 'limit': 200, 'offline': 200,
            'not_newest': 400}),
    'target_create_empty': STRICT.variant('target_create_empty',
                                          target_create_answer='empty'),
    'chap_masked': STRICT.variant('chap_masked',
                                  chap_secret_in_reads='masked'),
    'all_at_once': STRICT.variant(
        'all_at_once', statuses={'conflict': 422},
        conflict_statuses={'exists': 200},
        target_create_answer='empty', chap_secret_in_reads='masked'),
}


def _implementation(op_id, cls=state_mod.ArrayState):
    return dispatch.implementation(cls, op_id)


class Tripwire(state_mod.ArrayState):
    """The model, recording destructive requests a cascade would widen."""

    tripped = ()

    def _trip(self, what):
        self.tripped.append(what)

    @dispatch.operation('snapshot.delete')
    def snapshot_delete(self, ctx, params):
        snap = self._snap(ctx, params.get('snap_id'))
        if snap['snap_id'] in self._bound_snap_ids():
            self._trip('delete of snapshot %s with clones' % snap['name'])
        return _implementation('snapshot.delete')(self, ctx, params)

    @dispatch.operation('snapshot.delete_all')
    def snapshot_delete_all(self, ctx, params):
        lun = self._lun(ctx, params.get('vol_id'))
        bound = self._bound_snap_ids()
        if any(s['snap_id'] in bound for s in self._snaps_of(lun['vol_id'])):
            self._trip('delete all of LUN %s with clones' % lun['name'])
        return _implementation('snapshot.delete_all')(self, ctx, params)

    @dispatch.operation('snapshot.restore')
    def snapshot_restore(self, ctx, params):
        snap = self._snap(ctx, params.get('snap_id'))
        if snap['snap_id'] not in self._newest_snap_ids():
            self._trip('restore of %s, not the newest' % snap['name'])
        return _implementation('snapshot.restore')(self, ctx, params)


class Terse(Tripwire):
    """Answers that carry less than the strict reading's (all success).

    LUN create without the new LUN, clone without its vol_id, Add LUN and
    Remove LUN without the LUN map, deletes answered ``{}``: the reference
    documents these fields, a firmware might not send them.
    """

    def _terse(self, op_id, ctx, params, answer):
        unused, text = _implementation(op_id, Tripwire)(self, ctx, params)
        return answer, text

    @dispatch.operation('lun.create')
    def lun_create(self, ctx, params):
        return self._terse('lun.create', ctx, params, {'success': True})

    @dispatch.operation('snapshot.clone')
    def snapshot_clone(self, ctx, params):
        return self._terse('snapshot.clone', ctx, params,
                           {'success': 'true'})

    @dispatch.operation('iscsi_target.lun_add')
    def iscsi_target_lun_add(self, ctx, params):
        return self._terse('iscsi_target.lun_add', ctx, params,
                           {'success': True})

    @dispatch.operation('iscsi_target.lun_remove')
    def iscsi_target_lun_remove(self, ctx, params):
        return self._terse('iscsi_target.lun_remove', ctx, params,
                           {'success': True})

    @dispatch.operation('lun.delete')
    def lun_delete(self, ctx, params):
        return self._terse('lun.delete', ctx, params, {})

    @dispatch.operation('snapshot.delete')
    def snapshot_delete(self, ctx, params):
        return self._terse('snapshot.delete', ctx, params, {})


#: name -> (Reading, model class) of the test classes.
VARIANTS = dict(((name, (reading, Tripwire))
                 for name, reading in READINGS.items()),
                terse_answers=(STRICT, Terse),
                terse_all_at_once=(READINGS['all_at_once'], Terse))


InitiatorData = common.InitiatorData


class ReadingLifecycleMixin(object):
    """The lifecycle; subclasses set READING."""

    READING = STRICT
    MODEL = Tripwire

    def setUp(self):
        self.initiator_data = InitiatorData()
        self.cinder_db = None
        super().setUp()
        self.cinder_db = self.useFixture(fake_db.FakeCinderDB())

    def make_simulator(self):
        sim = Simulator(pools=self.POOLS, portals=self.PORTALS,
                        reading=self.READING)
        sim.state.__class__ = self.MODEL
        sim.state.tripped = []
        return sim

    def make_driver(self, setup=True, **extra):
        drv = super().make_driver(setup=False, **extra)
        # Services of one deployment share Cinder's database.
        drv.db = self.initiator_data
        if setup:
            drv.do_setup(self.ctx)
            drv.check_for_setup_error()
        return drv

    # -- the array's state ----------------------------------------------

    def lun(self, vol):
        found = [lun for lun in self.sim.state.luns()
                 if lun['vol_id'] == vol.provider_id]
        return found[0] if found else None

    def snapshot_ids(self):
        return {s['snap_id'] for s in self.sim.state.snapshots()}

    def mapping_of(self, vol):
        """[(target iqn, lun number, auth group)] mapping vol's LUN."""
        view = self.sim.state.export_view()
        return [(t['iqn'], lun['lun_number'], t['auth_group_id'])
                for t in view['targets'] for lun in t['luns']
                if lun['vol_id'] == vol.provider_id]

    def group_chap(self, group_id):
        for group in self.sim.state.export_view()['auth_groups']:
            if group['id'] == group_id:
                return group['chap']
        return None

    def assert_attached_as_the_array_says(self, vol, info):
        data = info['data']
        mapped = self.mapping_of(vol)
        self.assertEqual(1, len(mapped), mapped)
        iqn, number, group_id = mapped[0]
        self.assertEqual(iqn, data['target_iqn'])
        self.assertEqual(int(number), data['target_lun'])
        self.assertEqual([int(number)] * len(data['target_luns']),
                         data['target_luns'])
        chap = self.group_chap(group_id)
        self.assertIsNotNone(chap)
        self.assertEqual('CHAP', data['auth_method'])
        self.assertEqual(chap['username'], data['auth_username'])
        self.assertEqual(chap['password'], data['auth_password'])

    def assert_nothing_tripped(self):
        self.assertEqual([], self.sim.state.tripped)

    # -- Cinder's objects -------------------------------------------------

    def at(self, obj, minutes):
        obj.created_at = (datetime.datetime(2026, 1, 1, tzinfo=(
            datetime.timezone.utc)) + datetime.timedelta(minutes=minutes))
        return obj

    def known(self, vol):
        self.cinder_db.add(vol)
        return vol

    # -- the lifecycle ------------------------------------------------------

    def test_lifecycle(self):
        drv = self.driver
        v1 = self.known(self.at(self.create_volume(size=1), 0))
        s1 = self.at(self.create_snapshot(v1), 1)
        self.assertIn(s1.provider_id, self.snapshot_ids())

        v2 = self.at(self.volume(size=2, snapshot_id=s1.id), 2)
        v2.update(drv.create_volume_from_snapshot(v2, s1))
        self.known(v2)
        self.assertEqual(2 * 1024 ** 3, int(self.lun(v2)['vol_size']))

        v3 = self.at(self.volume(size=1, source_volid=v1.id), 3)
        v3.update(drv.create_cloned_volume(v3, v1))
        self.known(v3)

        # Attach on this service and on another one (cold cache): the
        # LUN numbers and CHAP credentials are the array's.
        conn = self.connector('compute-1')
        for vol in (v1, v2):
            self.attachment(vol, 'compute-1')
            self.assert_attached_as_the_array_says(
                vol, drv.initialize_connection(vol, conn))
        other = self.make_driver()
        self.attachment(v3, 'compute-1')
        self.assert_attached_as_the_array_says(
            v3, other.initialize_connection(v3, conn))
        # And again on the first service (its cache is stale now).
        self.assert_attached_as_the_array_says(
            v1, drv.initialize_connection(v1, conn))

        for vol, service in ((v1, drv), (v3, other), (v2, drv)):
            vol.volume_attachment = None
            self.assertFalse(service.terminate_connection(vol, conn))
            self.assertEqual([], self.mapping_of(vol))
        self.assertEqual([], self.sim.state.targets())

        # Revert past a newer clone source: not asked of the array.
        self.assertRaises(NotImplementedError, drv.revert_to_snapshot,
                          self.ctx, v1, s1)
        drv.delete_volume(v3)
        self.cinder_db.remove(v3)
        self.assertIsNone(self.lun(v3))
        drv.revert_to_snapshot(self.ctx, v1, s1)
        self.assertEqual(1024 ** 3, int(self.lun(v1)['vol_size']))
        drv.extend_volume(v1, 3)
        v1.size = 3  # as Cinder records it
        self.assertEqual(3 * 1024 ** 3, int(self.lun(v1)['vol_size']))

        # Deletes with dependents: Cinder is told done, the array keeps
        # what Cinder still has.
        drv.delete_snapshot(s1)
        self.assertIn(s1.provider_id, self.snapshot_ids())
        self.assertIsNotNone(self.lun(v2))
        drv.delete_volume(v1)
        self.cinder_db.remove(v1)
        self.assertIsNotNone(self.lun(v2))
        drv.delete_volume(v2)
        self.cinder_db.remove(v2)
        drv.deferred.collect()
        self.assert_array_empty()
        self.assert_nothing_tripped()

    def test_refusal_for_another_reason_keeps_cinder_and_array_agreed(self):
        """A pool offline: delete and create fail loudly, nothing lost."""
        vol = self.known(self.create_volume(size=1, pool='pool2'))
        self.sim.state.set_pool_status('pool2', 'OFFLINE')
        err = self.assertRaises(exception.VolumeBackendAPIException,
                                self.driver.delete_volume, vol)
        self.assertIn('offline', str(err).lower())
        self.assertIsNotNone(self.lun(vol))
        self.assertEqual([], [s for s in self.sim.state.snapshots()
                              if s['vol_id'] == vol.provider_id])
        new = self.volume(size=1, pool='pool2')
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.driver.create_volume, new)
        self.sim.state.set_pool_status('pool2', 'ONLINE')
        self.driver.delete_volume(vol)
        self.assertIsNone(self.lun(vol))
        self.assert_nothing_tripped()

    def test_adopts_only_what_it_asked_for(self):
        """An existing name: adopted when it is the size asked, else not."""
        vol = self.volume(size=1)
        first = self.driver.create_volume(vol)
        again = self.volume(size=1, id=vol.id)
        self.assertEqual(first, self.driver.create_volume(again))
        bigger = self.volume(size=5, id=vol.id)
        self.assertRaises(exception.VolumeBackendAPIException,
                          self.driver.create_volume, bigger)
        self.assertEqual(1, len(self.luns()))

    def test_chap_secret_survives_a_new_service_and_a_new_group(self):
        """The secret handed out is the array's, whatever reads show."""
        conn = self.connector('compute-2')
        vol = self.create_volume()
        info = self.driver.initialize_connection(vol, conn)
        self.assert_attached_as_the_array_says(vol, info)
        secret = info['data']['auth_password']
        self.driver.terminate_connection(vol, conn)
        # The host's group went with its last detach; a new service makes
        # it again with the same secret (sessions' stored credentials
        # stay valid).
        other = self.make_driver()
        info = other.initialize_connection(vol, conn)
        self.assert_attached_as_the_array_says(vol, info)
        self.assertEqual(secret, info['data']['auth_password'])
        other.terminate_connection(vol, conn)


def _reading_classes():
    for name, (reading, model) in VARIANTS.items():
        cls_name = 'Reading_%s_Test' % name
        yield cls_name, type(cls_name, (ReadingLifecycleMixin,
                                        base.DriverTestCase),
                             {'READING': reading, 'MODEL': model,
                              '__doc__': 'The lifecycle under reading %s.'
                              % name})


for _name, _cls in _reading_classes():
    globals()[_name] = _cls
del _name, _cls
