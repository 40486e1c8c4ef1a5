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

"""The simulator's indexes agree with a full count after any operations.

Pool usage, LUN names and SCSI LUN ids are kept up to date by the state's
operations (so a request costs the same on 10 or 10,000 LUNs); random
sequences of every operation that changes them must leave each index equal
to what counting the whole array gives.
"""

import random

import testtools

from cinder_ngxstorage.simulator import backing
from cinder_ngxstorage.simulator import state as st


def recount(state):
    """Usage per pool as the unindexed model computed it."""
    usage = {name: {'luns': 0, 'provisioned': 0, 'snapshots': 0}
             for name in state._pools}
    for lun in state._luns.values():
        pool = usage[lun['pool']]
        pool['luns'] += lun['used'] if lun['thin'] else lun['size']
        pool['provisioned'] += lun['size']
    for snap in state._snaps.values():
        pool = usage[state._luns[snap['vol_id']]['pool']]
        pool['snapshots'] += snap['reserved']
    return usage


class StateIndexTest(testtools.TestCase):

    def assert_indexes(self, state):
        self.assertEqual(recount(state), state._usage)
        self.assertEqual({lun['name'] for lun in state._luns.values()},
                         state._lun_names)
        self.assertEqual({lun['scsi_lunid'] for lun in state._luns.values()},
                         state._scsi_lunids)
        for name in state._pools:
            usage = state._pool_usage(name)
            self.assertEqual(usage['total'] - usage['consumed'],
                             usage['free'])

    def random_operation(self, state, rng, counter):
        """One random operation; refusals (ApiError) are fine."""
        luns = list(state._luns)
        snaps = list(state._snaps)
        choice = rng.randrange(10)
        if choice < 3 or not luns:
            state.lun_create(None, {
                'pool_name': rng.choice(['pool1', 'pool2']),
                'name': 'lun%d' % counter, 'size': rng.randint(1, 3),
                'thin_provision': rng.choice(['on', 'off']),
                'quantity': rng.choice([1, 1, 3])})
        elif choice == 3:
            state.snapshot_create(None, {'name': 's%d' % counter,
                                         'volume_id': rng.choice(luns)})
        elif choice == 4 and snaps:
            state.snapshot_clone(None, {'snap_id': rng.choice(snaps),
                                        'name': 'clone%d' % counter})
        elif choice == 5:
            vol_id = rng.choice(luns)
            params = {'vol_id': vol_id,
                      'size': state._luns[vol_id]['size'] // (1 << 30)
                      + rng.randint(0, 2)}
            if rng.random() < 0.5:
                params['thin_provision'] = rng.choice(['on', 'off'])
            state.lun_modify(None, params)
        elif choice == 6 and snaps:
            state.snapshot_restore(None, {'snap_id': rng.choice(snaps)})
        elif choice == 7 and snaps:
            state.snapshot_delete(None, {'snap_id': rng.choice(snaps)})
        elif choice == 8:
            vol_id = rng.choice(luns)
            if rng.random() < 0.5:
                state.snapshot_delete_all(None, {'vol_id': vol_id})
            else:
                state.lun_delete(None, {'vol_id': vol_id})
        else:
            vol_id = rng.choice(luns)
            if vol_id not in state._schedules:
                state.snapshot_schedule_create(None, {
                    'vol_id': vol_id, 'cron_time': '* * * * *',
                    'keep_max': 2})
            state.run_schedule(vol_id)

    def run_random(self, state, seed, steps=400):
        rng = random.Random(seed)
        for counter in range(steps):
            try:
                self.random_operation(state, rng, counter)
            except st.ApiError:
                pass
            self.assert_indexes(state)

    def test_random_operations_keep_the_indexes(self):
        state = st.ArrayState(('pool1:40G', 'pool2:20G'))
        self.run_random(state, seed=5)
        self.assertGreater(len(state._luns), 10)
        self.assertGreater(len(state._snaps), 5)

    def test_load_rebuilds_the_indexes(self):
        state = st.ArrayState(('pool1:40G', 'pool2:20G'))
        self.run_random(state, seed=9, steps=150)
        loaded = st.ArrayState.load(state.dump())
        self.assert_indexes(loaded)
        self.assertEqual(state._usage, loaded._usage)
        self.run_random(loaded, seed=10, steps=100)

    def test_data_plane_usage_is_counted_live(self):

        class Written(backing.NullBacking):
            used = {}

            def used_bytes(self, vol_id):
                return self.used.get(vol_id)

        plane = Written()
        state = st.ArrayState(('pool1:40G',), backing=plane)
        made = state.lun_create(None, {'pool_name': 'pool1', 'name': 'a',
                                       'size': 4, 'thin_provision': 'on'})
        vol_id = made['luns'][0]['vol_id']
        plane.used[vol_id] = 3 << 30
        self.assertEqual(3 << 30, state._pool_usage('pool1')['luns'])
        # The index keeps the model's figure; the live one wins.
        self.assertEqual(4096, state._usage['pool1']['luns'])

    def test_no_export_copies_without_a_data_plane(self):
        state = st.ArrayState(('pool1:40G',))
        self.assertFalse(state._exports_watched())

        class Watching(backing.NullBacking):
            views = []

            def exports_changed(self, view):
                self.views.append(view)

        plane = Watching()
        state = st.ArrayState(('pool1:40G',), backing=plane)
        self.assertTrue(state._exports_watched())
        state.auth_group_create(None, {'name': 'g1', 'owner': '1'})
        self.assertEqual(1, len(plane.views))
