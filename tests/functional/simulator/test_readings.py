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

"""A reading passed to ``Simulator`` changes the answers over HTTP."""

from cinder_ngxstorage.simulator.model import readings
from tests.functional.simulator import base

API = '/api/v2'


class TestConflictsAnswered200(base.SimulatorTestCase):
    """Conflicts as ``200 {"success": false}``; validation stays 400."""

    SIM_KWARGS = {'reading': readings.STRICT.variant(
        'soft-conflicts', statuses={'conflict': 200})}

    def test_conflict_is_200_with_success_false(self):
        self.http.create_lun('vol1')
        response = self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'vol1', 'size': 1})
        self.assertError(response, 200, 'vol1', 'already exists')
        response = self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'bad name', 'size': 1})
        self.assertError(response, 400, 'name')
        response = self.http.request('GET', API + '/lun/' + 'a' * 40)
        self.assertError(response, 404)


class TestValidationStatus(base.SimulatorTestCase):
    """The status of a request api_spec refuses is a switch too."""

    SIM_KWARGS = {'reading': readings.STRICT.variant(
        'unprocessable', statuses={'malformed': 422})}

    def test_validation_is_422(self):
        response = self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'bad name', 'size': 1})
        self.assertError(response, 422, 'name')
