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

"""Readings: the strict defaults and that each switch is consulted.

Also the operation layer's own duties: validation of direct calls by
``api_spec``, audit text from the operation table, domain errors mapped
to statuses by the reading.
"""

import testtools

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors
from cinder_ngxstorage.simulator.model import readings
from cinder_ngxstorage.simulator import state as st


class TestReading(testtools.TestCase):
    """The switches and their checks."""

    def test_strict_defaults(self):
        reading = readings.STRICT
        self.assertEqual(
            (400, 403, 404, 409, 500),
            tuple(reading.status_of(cls('x') if cls is not errors.Conflict
                                    else cls('x', 'exists'))
                  for cls in (errors.Invalid, errors.Forbidden,
                              errors.NotFound, errors.Conflict,
                              errors.Unavailable)))
        self.assertEqual(400, reading.statuses['malformed'])
        self.assertEqual('mapped', reading.target_create_answer)
        self.assertEqual('shown', reading.chap_secret_in_reads)
        self.assertEqual('refuse', reading.snapshot_with_clones)

    def test_bad_switches_refused(self):
        self.assertRaises(ValueError, readings.Reading, nonsense='x')
        self.assertRaises(ValueError, readings.Reading,
                          target_create_answer='bogus')
        self.assertRaises(ValueError, readings.Reading,
                          statuses={'teapot': 418})
        self.assertRaises(ValueError, errors.Conflict, 'x', 'bogus')

    def test_variant_keeps_the_rest(self):
        lenient = readings.STRICT.variant(
            'lenient', statuses={'conflict': 422},
            conflict_statuses={'no_space': 507},
            chap_secret_in_reads='masked')
        self.assertEqual(422, lenient.status_of(errors.Conflict('x',
                                                                'exists')))
        self.assertEqual(507, lenient.status_of(errors.Conflict(
            'x', 'no_space')))
        self.assertEqual(404, lenient.status_of(errors.NotFound('x')))
        self.assertEqual('masked', lenient.chap_secret_in_reads)
        self.assertEqual('mapped', lenient.target_create_answer)
        self.assertEqual(409, readings.STRICT.statuses['conflict'])


class TestReadingsInTheModel(testtools.TestCase):
    """Each switch changes the answer at its one place."""

    def state(self, **switches):
        reading = readings.STRICT.variant('test', **switches)
        return st.ArrayState(['pool1:10G'], reading=reading)

    def test_conflict_status(self):
        state = self.state(statuses={'conflict': 422})
        params = {'pool_name': 'pool1', 'name': 'v', 'size': 1}
        state.lun_create(None, params)
        exc = self.assertRaises(st.ApiError, state.lun_create, None, params)
        self.assertEqual(422, exc.status)
        self.assertEqual('LUN name v already exists', exc.message)

    def test_target_create_answer(self):
        state = self.state(target_create_answer='empty')
        self.assertEqual({}, state.iscsi_target_create(None, {
            'name': 't1', 'owner': '1', 'auth_group_id': '1',
            'portal_group_id': state.portal_group_id}))
        self.assertEqual(['t1'], [t['scsi_target_name']
                                  for t in state.targets()])

    def test_chap_secret_in_reads(self):
        state = self.state(chap_secret_in_reads='masked')
        group = state.auth_group_create(None, {'name': 'g', 'owner': '1'})
        state.auth_group_chap_set(None, {
            'id': group['id'], 'username': 'u', 'password': 'Sup3rS3cret!x',
            'owner': '1'})
        self.assertEqual('********', state.auth_group_detail(
            None, {'id': group['id']})['chap']['password'])
        # The data plane still gets the secret.
        self.assertEqual('Sup3rS3cret!x',
                         state.export_view()['auth_groups'][1]['chap'][
                             'password'])


class TestOperationLayer(testtools.TestCase):
    """Validation, audit and error mapping of ``dispatch``."""

    def setUp(self):
        super(TestOperationLayer, self).setUp()
        self.state = st.ArrayState(['pool1:10G'])

    def test_direct_calls_are_validated_by_api_spec(self):
        exc = self.assertRaises(st.ApiError, self.state.lun_create, None, {
            'pool_name': 'pool1', 'name': 'bad name', 'size': 1})
        self.assertEqual(400, exc.status)
        self.assertIn("'name'", exc.message)
        exc = self.assertRaises(st.ApiError, self.state.lun_create, None, {
            'pool_name': 'pool1', 'name': 'v', 'size': 1, 'colour': 'red'})
        self.assertIn('Unknown parameter', exc.message)

    def test_check_params_normalises_like_validate(self):
        op = api_spec.get('lun.modify')
        self.assertEqual({'vol_id': 'a' * 40, 'size': 2, 'sing': 'T'},
                         api_spec.check_params(op, {
                             'vol_id': 'a' * 40, 'size': 2,
                             'size_letter': 'T', 'force': None}))
        self.assertRaises(api_spec.ValidationError, api_spec.check_params,
                          op, {'vol_id': 'a' * 40, 'sing': 'T'})
        self.assertRaises(api_spec.ValidationError, api_spec.check_params,
                          op, {'vol_id': 'a' * 40})

    def test_audit_text_from_the_operation_table(self):
        vol_id = self.state.lun_create(None, {
            'pool_name': 'pool1', 'name': 'v', 'size': 1})['luns'][0][
                'vol_id']
        self.state.lun_delete(None, {'vol_id': vol_id})
        self.assertEqual(
            ['POST /api/v2/lun/: created thick LUN v (1073741824 bytes) in '
             'pool pool1',
             'DELETE /api/v2/lun/%s: deleted LUN v in pool pool1' % vol_id],
            [e['description'] for e in self.state.log_audit(None, {})])

    def test_every_operation_has_one_implementation(self):
        for op in api_spec.OPERATIONS:
            method = getattr(self.state, op.op_id.replace('.', '_'))
            self.assertEqual(op.op_id, method.op_id)
            self.assertEqual(op.mutating, method.mutating)

    def test_a_subclass_may_override_an_operation(self):
        class Quiet(st.ArrayState):
            @dispatch.operation('status.cache')
            def status_cache(self, ctx, params):
                return {'hits': 0}

        state = Quiet(['pool1:10G'])
        self.assertEqual({'hits': 0}, state.status_cache(None, {}))
        self.assertEqual({'hits': 0}, state.perform('status.cache'))
