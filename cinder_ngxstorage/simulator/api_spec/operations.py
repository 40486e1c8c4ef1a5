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
"""The table of the 60 documented operations of the REST API v2.4.1.

One :class:`~.params.Operation` per operation of the reference, grouped as
the reference groups them, with the constraints of its path, query and
body parameters (the reference's Details column and ``API-NOTES.md``).
:data:`OPERATIONS` is the table, :func:`get` looks an operation up by id.
"""

from cinder_ngxstorage.simulator.api_spec.params import _log_common
from cinder_ngxstorage.simulator.api_spec.params import _log_filter
from cinder_ngxstorage.simulator.api_spec.params import _lun_ids
from cinder_ngxstorage.simulator.api_spec.params import _LUN_PROPERTIES
from cinder_ngxstorage.simulator.api_spec.params import _no_params
from cinder_ngxstorage.simulator.api_spec.params import _owner
from cinder_ngxstorage.simulator.api_spec.params import _p
from cinder_ngxstorage.simulator.api_spec.params import _path
from cinder_ngxstorage.simulator.api_spec.params import _size_params
from cinder_ngxstorage.simulator.api_spec.params import AG_NAME
from cinder_ngxstorage.simulator.api_spec.params import ANY_1_40
from cinder_ngxstorage.simulator.api_spec.params import API_PREFIX
from cinder_ngxstorage.simulator.api_spec.params import CHAP_SECRET
from cinder_ngxstorage.simulator.api_spec.params import CHAP_USER
from cinder_ngxstorage.simulator.api_spec.params import CRON
from cinder_ngxstorage.simulator.api_spec.params import cron_is_valid
from cinder_ngxstorage.simulator.api_spec.params import HEX_1_40
from cinder_ngxstorage.simulator.api_spec.params import HEX_5_40
from cinder_ngxstorage.simulator.api_spec.params import IQN
from cinder_ngxstorage.simulator.api_spec.params import IQN_ALIAS
from cinder_ngxstorage.simulator.api_spec.params import LUN_NAME
from cinder_ngxstorage.simulator.api_spec.params import MAX_QUANTITY
from cinder_ngxstorage.simulator.api_spec.params import Operation
from cinder_ngxstorage.simulator.api_spec.params import Param
from cinder_ngxstorage.simulator.api_spec.params import POOL_NAME
from cinder_ngxstorage.simulator.api_spec.params import SEGMENT
from cinder_ngxstorage.simulator.api_spec.params import SNAP_NAME


def _build_operations():
    p = API_PREFIX
    ops = []
    add = ops.append

    # -- Auth group --------------------------------------------------------
    add(Operation('auth_group.create', 'POST', p + '/auth_group/',
                  'Create an auth group',
                  body_params=[_p('name', AG_NAME, required=True,
                                  example='group1'),
                               _owner()]))
    add(Operation('auth_group.delete', 'DELETE', p + '/auth_group/{id}',
                  'Delete an auth group',
                  path_params=[_path('id', HEX_5_40)]))
    add(Operation('auth_group.rename', 'PATCH', p + '/auth_group/{id}',
                  'Change the name of an auth group',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_p('name', AG_NAME, required=True,
                                  example='group2'),
                               _owner()]))
    add(Operation('auth_group.chap_set', 'PATCH',
                  p + '/auth_group/chap/{id}',
                  'Add or replace the CHAP credential of an auth group',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_p('username', CHAP_USER, required=True,
                                  example='user1'),
                               _p('password', CHAP_SECRET, required=True,
                                  example='secret123456', secret=True),
                               _owner()]))
    add(Operation('auth_group.chap_delete', 'DELETE',
                  p + '/auth_group/chap/{id}',
                  'Delete the CHAP credential of an auth group',
                  path_params=[_path('id', HEX_5_40)]))
    add(Operation('auth_group.iqn_add', 'PATCH', p + '/auth_group/iqn/{id}',
                  'Add an initiator IQN to an auth group',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_owner(),
                               _p('iqn', IQN, required=True, max_length=223,
                                  length_rule='at most 223 characters',
                                  example='iqn.1993-08.org.debian:01:abc'),
                               _p('iqn_alias', IQN_ALIAS, required=True,
                                  example='host1')]))
    add(Operation('auth_group.iqn_delete', 'DELETE',
                  p + '/auth_group/iqn/{iqn_id}/',
                  'Delete an initiator IQN from its auth group',
                  path_params=[_path('iqn_id', HEX_5_40)]))
    add(Operation('auth_group.detail', 'GET', p + '/auth_group/{id}',
                  'Auth group detail',
                  path_params=[_p('id', (r'^[^/]{1,40}$',
                                         'up to 40 characters'),
                                  required=True, example='1')]))
    add(_no_params('auth_group.detail_list', p + '/auth_group/list',
                   'Auth group detail list'))
    add(_no_params('auth_group.list', p + '/auth_group/',
                   'Auth group list'))

    # -- iSCSI target ------------------------------------------------------
    add(Operation('iscsi_target.create', 'POST', p + '/target/iscsi/',
                  'Create an iSCSI target',
                  body_params=[_p('name', LUN_NAME, required=True,
                                  example='target1'),
                               _p('auth_group_id', HEX_1_40, required=True,
                                  example='1'),
                               _p('portal_group_id', HEX_1_40,
                                  required=True, example='a' * 40),
                               _owner(),
                               _lun_ids(required=False)]))
    add(Operation('iscsi_target.delete', 'DELETE',
                  p + '/iscsi_target/{id}', 'Delete an iSCSI target',
                  path_params=[_path('id', HEX_1_40)]))
    add(Operation('iscsi_target.rename', 'PATCH', p + '/iscsi_target/{id}',
                  'Change the name of an iSCSI target',
                  path_params=[_path('id', HEX_5_40)],
                  body_params=[_p('name', LUN_NAME, required=True,
                                  example='target2'),
                               _owner()]))
    add(Operation('iscsi_target.portal_group', 'PATCH',
                  p + '/iscsi_target/portal_group/{target_id}',
                  'Change the portal group of an iSCSI target',
                  path_params=[_path('target_id', HEX_1_40)],
                  body_params=[_p('portal_group_id', HEX_1_40,
                                  required=True, example='a' * 40),
                               _owner()]))
    add(Operation('iscsi_target.auth_group', 'PATCH',
                  p + '/iscsi_target/auth_group/{target_id}',
                  'Change the auth group of an iSCSI target',
                  path_params=[_path('target_id', SEGMENT)],
                  body_params=[_p('auth_group_id', HEX_1_40, required=True,
                                  example='1'),
                               _owner()]))
    add(Operation('iscsi_target.lun_add', 'PUT',
                  p + '/iscsi_target/lun/{id}/',
                  'Add LUNs to an iSCSI target',
                  path_params=[_path('id', SEGMENT)],
                  body_params=[_lun_ids(required=True), _owner()]))
    add(Operation('iscsi_target.lun_remove', 'PATCH',
                  p + '/iscsi_target/lun/{id}',
                  'Remove LUNs from an iSCSI target',
                  path_params=[_path('id', HEX_1_40)],
                  body_params=[_lun_ids(required=True), _owner()]))
    add(Operation('iscsi_target.detail', 'GET', p + '/iscsi_target/{id}',
                  'iSCSI target detail',
                  path_params=[_path('id', HEX_1_40)]))
    add(_no_params('iscsi_target.detail_list', p + '/iscsi_target/list',
                   'iSCSI target detail list'))
    add(_no_params('iscsi_target.list', p + '/iscsi_target/',
                   'iSCSI target list'))

    # -- Log ---------------------------------------------------------------
    add(Operation('log.alert', 'GET', p + '/log/alert', 'Alert log',
                  query_params=[
                      Param('filter[type][]', type='array', target='types',
                            items=Param('filter[type][]',
                                        enum=('info', 'warning', 'error',
                                              'fatal'),
                                        ignore_case=True),
                            min_items=1,
                            rule='types among info, warning, error, fatal',
                            example=['warning'])] +
                  _log_common(('id', 'time', 'event_id', 'type',
                               'description'))))
    add(Operation('log.audit', 'GET', p + '/log/audit', 'Audit log',
                  query_params=_log_common(
                      ('time', 'id', 'user', 'host', 'agent',
                       'description')) +
                  [_log_filter(n) for n in ('user', 'host', 'agent',
                                            'description')]))
    add(Operation('log.system_event', 'GET', p + '/log/system_event',
                  'System event log',
                  query_params=_log_common(
                      ('time', 'id', 'function', 'action', 'sensor')) +
                  [_log_filter(n) for n in ('function', 'action',
                                            'sensor')]))

    # -- LUN ---------------------------------------------------------------
    create_size = _size_params()
    create_size[0] = Param('size', type='integer', required=True,
                           minimum=1, rule='an integer, 1 or greater',
                           example=1)
    add(Operation('lun.create', 'POST', p + '/lun/', 'Create LUNs',
                  body_params=[
                      _p('pool_name', POOL_NAME, required=True,
                         example='pool1'),
                      _p('name', LUN_NAME, required=True, example='lun1')] +
                  create_size +
                  [Param('blocksize',
                         enum=('4k', '8k', '16k', '32k', '64k', '128k'),
                         example='16k')] +
                  list(_LUN_PROPERTIES) +
                  # Details say "1 or greater"; the model creates at
                  # most MAX_QUANTITY LUNs per call.
                  [Param('quantity', type='integer', minimum=1,
                         maximum=MAX_QUANTITY,
                         rule='an integer from 1 to %d' % MAX_QUANTITY,
                         example=1)],
                  aliases={'size_letter': 'sing'}))
    add(Operation('lun.delete', 'DELETE', p + '/lun/{vol_id}',
                  'Delete a LUN',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('lun.modify', 'PATCH', p + '/lun/{vol_id}',
                  'Modify a LUN',
                  path_params=[_path('vol_id', HEX_1_40)],
                  body_params=_size_params() + list(_LUN_PROPERTIES),
                  min_body_fields=1,
                  aliases={'size_letter': 'sing'},
                  requires={'sing': 'size', 'size_letter': 'size'}))
    add(Operation('lun.detail', 'GET', p + '/lun/{vol_id}', 'LUN detail',
                  path_params=[_path('vol_id', SEGMENT)]))
    add(_no_params('lun.detail_list', p + '/lun/list', 'LUN detail list'))
    add(_no_params('lun.list', p + '/lun/', 'LUN list'))

    # -- Pool --------------------------------------------------------------
    add(Operation('pool.detail', 'GET', p + '/pool/{id}/', 'Pool detail',
                  path_params=[_path('id', ANY_1_40)]))
    add(_no_params('pool.detail_list', p + '/pool/list', 'Pool detail list'))
    add(_no_params('pool.list', p + '/pool', 'Pool list'))
    add(_no_params('pool.overview', p + '/pool/overview', 'Pool overview'))

    # -- Portal group ------------------------------------------------------
    add(Operation('portal_group.detail', 'GET', p + '/portal_group/{id}',
                  'Portal group detail',
                  path_params=[_path('id', HEX_1_40)]))
    add(_no_params('portal_group.detail_list', p + '/portal_group/list',
                   'Portal group detail list'))
    add(_no_params('portal_group.list', p + '/portal_group',
                   'Portal group list'))

    # -- Snapshot ----------------------------------------------------------
    add(Operation('snapshot.create', 'POST', p + '/snapshot/',
                  'Create a snapshot',
                  body_params=[_p('name', SNAP_NAME, required=True,
                                  example='snap1'),
                               _p('volume_id', HEX_1_40, required=True,
                                  example='a' * 40)]))
    add(Operation('snapshot.delete', 'DELETE', p + '/snapshot/{snap_id}',
                  'Delete a snapshot',
                  path_params=[_path('snap_id', HEX_1_40)]))
    add(Operation('snapshot.delete_all', 'DELETE',
                  p + '/snapshot/all/{vol_id}',
                  'Delete all snapshots of a LUN',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('snapshot.clone', 'POST',
                  p + '/snapshot/clone/{snap_id}',
                  'Clone a snapshot into a new LUN',
                  path_params=[_path('snap_id', SEGMENT)],
                  body_params=[_p('name', SNAP_NAME, required=True,
                                  max_length=30,
                                  length_rule='at most 30 characters (the '
                                              'clone becomes a LUN)',
                                  example='clone1')]))
    add(Operation('snapshot.restore', 'POST',
                  p + '/snapshot/restore/{snap_id}',
                  'Restore (roll back) a LUN to a snapshot',
                  path_params=[_path('snap_id', HEX_1_40)]))
    add(Operation('snapshot.schedule_detail', 'GET',
                  p + '/snapshot/schedule/{vol_id}',
                  'Snapshot schedule detail',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('snapshot.schedule_create', 'POST',
                  p + '/snapshot/schedule/{vol_id}',
                  'Create a snapshot schedule',
                  path_params=[_path('vol_id', HEX_1_40)],
                  body_params=[
                      _p('cron_time', CRON, required=True,
                         check=cron_is_valid,
                         check_rule='a cron expression whose fields are in '
                                    'range (minute 0-59, hour 0-23, day '
                                    '1-31, month 1-12, weekday 0-7)',
                         check_example='60 * * * *',
                         example='5 * * * *'),
                      Param('keep_max', type='integer', required=True,
                            minimum=1, maximum=512, rule='1 to 512',
                            example=3)]))
    add(Operation('snapshot.schedule_delete', 'DELETE',
                  p + '/snapshot/schedule/{vol_id}',
                  'Delete a snapshot schedule',
                  path_params=[_path('vol_id', HEX_1_40)]))
    add(Operation('snapshot.detail', 'GET', p + '/snapshot/{snap_id}',
                  'Snapshot detail',
                  path_params=[_path('snap_id', HEX_1_40)]))
    add(Operation('snapshot.detail_list', 'GET', p + '/snapshot/list',
                  'Snapshot detail list',
                  query_params=[_p('vol_id', HEX_1_40, example='a' * 40)]))
    add(Operation('snapshot.list', 'GET', p + '/snapshot', 'Snapshot list',
                  query_params=[_p('vol_id', HEX_1_40, example='a' * 40)]))

    # -- Status ------------------------------------------------------------
    for name in ('bandwidth', 'cache', 'capacity', 'cluster', 'cpu',
                 'enclosures', 'iops', 'license', 'overloaded_volumes',
                 'pools', 'services', 'system_info'):
        add(_no_params('status.' + name, p + '/status/' + name,
                       'Status: ' + name.replace('_', ' ')))

    # -- Network -----------------------------------------------------------
    add(_no_params('network.info', p + '/network/info', 'Network info'))
    return tuple(ops)


OPERATIONS = _build_operations()
BY_ID = {op.op_id: op for op in OPERATIONS}


def get(op_id):
    """Return the :class:`Operation` with this id (KeyError if unknown)."""
    return BY_ID[op_id]
