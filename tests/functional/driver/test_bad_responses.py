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

"""Bad answers from the array at every call of every driver operation.

The fault matrix (test_fault_matrix.py) with other faults: each call's
answer replaced by an HTML error page (502, and 200 from something that
is not the array), JSON cut in the middle, a document without the fields
the driver reads, one with every field of the wrong type, a list of junk
where an object is expected, and a body over the client's 8 MiB limit.
The operation succeeds or raises a Cinder exception that names the
object (never a KeyError or TypeError: the volume service must not see
one), leaves no orphan, and succeeds when repeated.
"""

from tests.functional.driver import faultlib
from tests.functional.driver import test_fault_matrix


class BadResponseMatrixTest(test_fault_matrix.FaultMatrixTest):
    """One test per scenario, every (call, bad answer) case inside it."""

    @staticmethod
    def kinds():
        """The bad answers: name -> rule kwargs."""
        return faultlib.bad_response_kinds()
