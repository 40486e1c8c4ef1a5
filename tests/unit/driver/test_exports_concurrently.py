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

"""Independent calls made at once: every one finishes before the result."""

import threading
import time

import testtools

from cinder_ngxstorage import exports


class ConcurrentlyTest(testtools.TestCase):

    def test_results_in_order_and_overlapping(self):
        barrier = threading.Barrier(3, timeout=5)

        def call(value):
            def run():
                barrier.wait()  # Only passes when all three run at once.
                return value
            return run
        self.assertEqual([1, 2, 3], exports._concurrently(
            call(1), call(2), call(3)))

    def test_every_call_finishes_before_the_error(self):
        finished = []

        def slow():
            time.sleep(0.2)
            finished.append('slow')

        def fails():
            raise ValueError('first')

        def fails_later():
            time.sleep(0.1)
            raise KeyError('second')

        err = self.assertRaises(ValueError, exports._concurrently,
                                fails, slow, fails_later)
        self.assertEqual('first', str(err))
        self.assertEqual(['slow'], finished)

    def test_one_call_runs_in_the_caller_thread(self):
        self.assertEqual([threading.current_thread()], exports._concurrently(
            threading.current_thread))
