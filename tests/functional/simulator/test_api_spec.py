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

"""The operation table against the build spec, and its OpenAPI form."""

import json
import re
import unittest

import jsonschema

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator import state

# The operations of the build spec: id -> (method, documented path).
EXPECTED = {
    'auth_group.create': ('POST', '/auth_group/'),
    'auth_group.delete': ('DELETE', '/auth_group/{id}'),
    'auth_group.rename': ('PATCH', '/auth_group/{id}'),
    'auth_group.chap_set': ('PATCH', '/auth_group/chap/{id}'),
    'auth_group.chap_delete': ('DELETE', '/auth_group/chap/{id}'),
    'auth_group.iqn_add': ('PATCH', '/auth_group/iqn/{id}'),
    'auth_group.iqn_delete': ('DELETE', '/auth_group/iqn/{iqn_id}/'),
    'auth_group.detail': ('GET', '/auth_group/{id}'),
    'auth_group.detail_list': ('GET', '/auth_group/list'),
    'auth_group.list': ('GET', '/auth_group/'),
    'iscsi_target.create': ('POST', '/target/iscsi/'),
    'iscsi_target.delete': ('DELETE', '/iscsi_target/{id}'),
    'iscsi_target.rename': ('PATCH', '/iscsi_target/{id}'),
    'iscsi_target.portal_group': ('PATCH',
                                  '/iscsi_target/portal_group/{target_id}'),
    'iscsi_target.auth_group': ('PATCH',
                                '/iscsi_target/auth_group/{target_id}'),
    'iscsi_target.lun_add': ('PUT', '/iscsi_target/lun/{id}/'),
    'iscsi_target.lun_remove': ('PATCH', '/iscsi_target/lun/{id}'),
    'iscsi_target.detail': ('GET', '/iscsi_target/{id}'),
    'iscsi_target.detail_list': ('GET', '/iscsi_target/list'),
    'iscsi_target.list': ('GET', '/iscsi_target/'),
    'log.alert': ('GET', '/log/alert'),
    'log.audit': ('GET', '/log/audit'),
    'log.system_event': ('GET', '/log/system_event'),
    'lun.create': ('POST', '/lun/'),
    'lun.delete': ('DELETE', '/lun/{vol_id}'),
    'lun.modify': ('PATCH', '/lun/{vol_id}'),
    'lun.detail': ('GET', '/lun/{vol_id}'),
    'lun.detail_list': ('GET', '/lun/list'),
    'lun.list': ('GET', '/lun/'),
    'pool.detail': ('GET', '/pool/{id}/'),
    'pool.detail_list': ('GET', '/pool/list'),
    'pool.list': ('GET', '/pool'),
    'pool.overview': ('GET', '/pool/overview'),
    'portal_group.detail': ('GET', '/portal_group/{id}'),
    'portal_group.detail_list': ('GET', '/portal_group/list'),
    'portal_group.list': ('GET', '/portal_group'),
    'snapshot.create': ('POST', '/snapshot/'),
    'snapshot.delete': ('DELETE', '/snapshot/{snap_id}'),
    'snapshot.delete_all': ('DELETE', '/snapshot/all/{vol_id}'),
    'snapshot.clone': ('POST', '/snapshot/clone/{snap_id}'),
    'snapshot.restore': ('POST', '/snapshot/restore/{snap_id}'),
    'snapshot.schedule_detail': ('GET', '/snapshot/schedule/{vol_id}'),
    'snapshot.schedule_create': ('POST', '/snapshot/schedule/{vol_id}'),
    'snapshot.schedule_delete': ('DELETE', '/snapshot/schedule/{vol_id}'),
    'snapshot.detail': ('GET', '/snapshot/{snap_id}'),
    'snapshot.detail_list': ('GET', '/snapshot/list'),
    'snapshot.list': ('GET', '/snapshot'),
    'network.info': ('GET', '/network/info'),
}
for _name in ('bandwidth', 'cache', 'capacity', 'cluster', 'cpu',
              'enclosures', 'iops', 'license', 'overloaded_volumes',
              'pools', 'services', 'system_info'):
    EXPECTED['status.' + _name] = ('GET', '/status/' + _name)


class OperationTableTest(unittest.TestCase):
    """api_spec's table is the build spec's."""

    def test_sixty_operations(self):
        """60 operations, ids, methods and paths as specified."""
        self.assertEqual(60, len(EXPECTED))
        self.assertEqual(
            EXPECTED,
            {op.op_id: (op.method, op.path[len(api_spec.API_PREFIX):])
             for op in api_spec.OPERATIONS})

    def test_permission_is_op_id(self):
        """The permission id of each operation is its id."""
        for op in api_spec.OPERATIONS:
            self.assertEqual(op.op_id, op.permission)

    def test_state_implements_every_operation(self):
        """ArrayState has one method per operation."""
        for op in api_spec.OPERATIONS:
            self.assertTrue(callable(getattr(
                state.ArrayState, op.op_id.replace('.', '_'), None)),
                op.op_id)

    def test_path_params_match_templates(self):
        """Each {name} of a path has its Param, and nothing else."""
        for op in api_spec.OPERATIONS:
            names = re.findall(r'\{(\w+)\}', op.path)
            self.assertEqual(names, [p.name for p in op.path_params],
                             op.op_id)

    def test_examples_are_valid(self):
        """Every parameter's example passes its own constraints."""
        for op in api_spec.OPERATIONS:
            for location, param in op.all_params():
                self.assertIsNotNone(param.example,
                                     '%s %s' % (op.op_id, param.name))
                param.check_value(param.example)

    def test_documented_rules(self):
        """A few rules of the Details column and API-NOTES, spelled out."""
        lun = api_spec.get('lun.create')
        self.assertEqual((4, 8, 16, 32, 64, 128),
                         lun.param('body', 'qos_priority').enum)
        self.assertRaises(ValueError, lun.param('body', 'name').check_value,
                          'a' * 31)
        group = api_spec.get('auth_group.create')
        self.assertRaises(ValueError,
                          group.param('body', 'name').check_value, 'a_b')
        target = api_spec.get('iscsi_target.create')
        self.assertEqual('1', target.param('body', 'auth_group_id')
                         .check_value('1'))
        self.assertRaises(ValueError, api_spec.get('auth_group.delete')
                          .param('path', 'id').check_value, '1')
        schedule = api_spec.get('snapshot.schedule_create')
        self.assertRaises(ValueError, schedule.param('body', 'keep_max')
                          .check_value, 513)
        self.assertRaises(ValueError, schedule.param('body', 'cron_time')
                          .check_value, '5 24 * * *')
        clone = api_spec.get('snapshot.clone')
        self.assertRaises(ValueError, clone.param('body', 'name')
                          .check_value, 'a' * 31)

    def test_limits_agree_with_the_model(self):
        """Limits the table shares with the state model are equal."""
        self.assertEqual(state.MAX_QUANTITY, api_spec.MAX_QUANTITY)
        self.assertEqual(state.MAX_QUANTITY, api_spec.get('lun.create')
                         .param('body', 'quantity').maximum)

    def test_log_query_normalisation(self):
        """Log queries become the state's params."""
        params = api_spec.validate(
            api_spec.get('log.alert'), {},
            [('filter[type][]', 'INFO'), ('filter[type][]', 'Fatal'),
             ('filter[time][]', '2024-01-01'),
             ('filter[time][]', '2024-12-31 23:59:59'),
             ('sort[]', 'time'), ('sort[]', 'id'), ('order', 'desc'),
             ('limit', '10'), ('page', '2')], b'')
        self.assertEqual({'types': ['info', 'fatal'],
                          'time_range': ['2024-01-01',
                                         '2024-12-31 23:59:59'],
                          'sort': ['time', 'id'], 'order': 'desc',
                          'limit': 10, 'page': 2}, params)
        params = api_spec.validate(
            api_spec.get('log.audit'), {},
            [('filter[user]', 'admin'), ('filter[host]', '10.0.0.1'),
             ('filter[agent]', 'curl'), ('filter[description]', 'LUN')],
            b'')
        self.assertEqual({'user': 'admin', 'host': '10.0.0.1',
                          'agent': 'curl', 'description': 'LUN'}, params)

    def test_size_letter_is_folded_into_sing(self):
        """size_letter reaches the state as sing."""
        params = api_spec.validate(
            api_spec.get('lun.create'), {}, [],
            b'{"pool_name": "p", "name": "n", "size": 2, '
            b'"size_letter": "T"}')
        self.assertEqual('T', params['sing'])
        self.assertNotIn('size_letter', params)

    def test_messages_never_echo_values(self):
        """A rejected secret is not repeated in the message."""
        op = api_spec.get('auth_group.chap_set')
        try:
            api_spec.validate(op, {'id': 'a' * 40}, [], json.dumps({
                'username': 'u', 'password': 'short-secret-!! x',
                'owner': '1'}).encode())
        except api_spec.ValidationError as e:
            self.assertIn("'password'", e.message)
            self.assertNotIn('short-secret', e.message)
        else:
            self.fail('an invalid secret was accepted')


class OpenApiTest(unittest.TestCase):
    """render_openapi()."""

    def test_document(self):
        """One operationId per operation; JSON-serialisable; schemas."""
        doc = api_spec.render_openapi('http://127.0.0.1:1')
        json.dumps(doc)
        self.assertEqual('3.0.3', doc['openapi'])
        ids = [entry['operationId'] for item in doc['paths'].values()
               for entry in item.values()]
        self.assertEqual(sorted(EXPECTED), sorted(ids))
        create = doc['paths']['/api/v2/lun/']['post']
        schema = create['requestBody']['content']['application/json'][
            'schema']
        self.assertIs(False, schema['additionalProperties'])
        self.assertEqual(['pool_name', 'name', 'size'], schema['required'])
        self.assertEqual('integer', schema['properties']['size']['type'])
        self.assertEqual(1, schema['properties']['size']['minimum'])
        alert = doc['paths']['/api/v2/log/alert']['get']
        types = [p for p in alert['parameters']
                 if p['name'] == 'filter[type][]'][0]
        self.assertEqual('array', types['schema']['type'])
        self.assertTrue(re.match(types['schema']['items']['pattern'],
                                 'WaRnInG'))

    def test_schemas_accept_examples(self):
        """Each example validates against its rendered JSON schema."""
        for op in api_spec.OPERATIONS:
            for _location, param in op.all_params():
                jsonschema.validate(param.example,
                                    api_spec.param_schema(param))
