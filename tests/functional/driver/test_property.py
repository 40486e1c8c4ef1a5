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

"""Random sequences of volume operations always leave the array clean.

Hypothesis draws sequences of create, snapshot, volume-from-snapshot,
clone, extend and delete in any order (deleting a volume only once Cinder
would allow it: after its snapshots), then deletes every Cinder object in a
drawn order. No step may fail and nothing of ours may remain on the array:
dependencies between clones and snapshots must resolve by themselves.
"""

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from tests.functional.driver import base

OPERATIONS = ('create', 'snapshot', 'from_snapshot', 'clone', 'extend',
              'delete_volume', 'delete_snapshot')

steps = st.lists(st.tuples(st.sampled_from(OPERATIONS),
                           st.integers(min_value=0, max_value=1000)),
                 min_size=1, max_size=25)


class RandomLifecycleTest(base.DriverTestCase):

    def run_sequence(self, sequence, teardown_order):
        volumes, snapshots = [], []

        def pick(items, n):
            return items[n % len(items)] if items else None

        for op, n in sequence:
            vol = pick(volumes, n)
            snap = pick(snapshots, n)
            if op == 'create' or (vol is None and op != 'delete_snapshot'):
                volumes.append(self.create_volume(size=1 + n % 2))
            elif op == 'snapshot':
                snapshots.append(self.create_snapshot(vol))
            elif op == 'from_snapshot' and snap is not None:
                new = self.volume_from_snapshot(
                    snap, size=snap.volume_size + n % 2)
                volumes.append(new)
            elif op == 'clone':
                new = self.clone_of(vol, size=vol.size + n % 2)
                volumes.append(new)
            elif op == 'extend':
                self.driver.extend_volume(vol, vol.size + 1)
                vol.size += 1
            elif op == 'delete_volume':
                if not any(s.volume_id == vol.id for s in snapshots):
                    self.driver.delete_volume(vol)
                    volumes.remove(vol)
            elif op == 'delete_snapshot' and snap is not None:
                self.driver.delete_snapshot(snap)
                snapshots.remove(snap)
        # Tear down as Cinder allows: snapshots first, then volumes, each
        # in a drawn order.
        for items, delete in ((snapshots, self.driver.delete_snapshot),
                              (volumes, self.driver.delete_volume)):
            while items:
                delete(items.pop(teardown_order % len(items)))
        self.assert_array_empty()

    @settings(max_examples=40, deadline=None)
    @given(steps, st.integers(min_value=0, max_value=1000))
    def test_everything_deleted_leaves_nothing(self, sequence, order):
        self.run_sequence(sequence, order)
