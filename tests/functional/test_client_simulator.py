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

"""NGXStorageClient against the simulator over real HTTP(S).

The walk-through test calls all 60 operations and checks each answer's
field names and types against the examples of the vendor reference
(``ngxstorage-rest-api-v2.4.1.txt``), or against API-NOTES where the
reference's example is a documented copy error (portal groups).  The other
tests cover errors from a real server, the retry policy with injected
faults, timeouts, dropped connections, TLS and the masking of secrets in
everything logged, urllib3 included.
"""

import logging
import socket
import threading

import fixtures
import testtools
from urllib3.util import ssl_ as ssl_util

from cinder_ngxstorage import client
from cinder_ngxstorage import exception
from cinder_ngxstorage.simulator import Simulator
from tests import common


POOLS = ('pool1:100G', 'pool2:50G')
PORTALS = ('127.0.0.1:3260',)
IQN1 = 'iqn.1993-08.org.debian:01:107dc7e4254a'
IQN2 = 'iqn.2016-04.com.open-iscsi:751a7fe0b28'
CHAP_SECRET = 'Qaxw5cedrfv4!z'


# -- response shapes --------------------------------------------------------

class Optional(object):
    """A key that may be absent."""

    def __init__(self, shape):
        self.shape = shape


class Nullable(object):
    """A value that may be null."""

    def __init__(self, shape):
        self.shape = shape


INT = 'int'            # an integer, not a bool
NUMBER = 'number'      # int or float, not a bool
SUCCESS = 'success'    # true or "true"
ANY = 'any'


def is_hex40(value):
    """True for a 40-char lowercase hex id."""
    return (isinstance(value, str) and len(value) == 40
            and all(c in '0123456789abcdef' for c in value))


TARGET_LUN = {'lun_id': str, 'lun_name': str, 'lun_number': str,
              'pool_name': str, 'vol_id': str}
TARGET_DETAIL = {
    'target_iqn': str, 'scsi_target_name': str, 'portal_id': str,
    'iqn_name': str, 'portal_name': str, 'scsi_id': str,
    'luns': [{'profile': str, 'vol_id': str, 'lun_id': str,
              'lun_number': str, 'lun_name': str, 'pool_name': str}],
    'group_id': str, 'owner': str, 'group_name': str}
LUN_DETAIL = {
    'blocksize': str, 'clone': str, 'dedup': str, 'vol_size': str,
    'pool_name': str, 'compress_ratio': str, 'owner': str, 'vol_name': str,
    'qos_priority': INT, 'vol_id': str, 'scsi_lunid': str, 'vol_used': str,
    'flash_cache': str,
    'protocols': {'fc': Nullable(str), 'iscsi': Nullable(str)},
    'dram_cache': str, 'compress': str, 'io_type': str,
    'sizebysnapshots': str, 'provision_type': str}
CHAP = {'password': str, 'username': str}
AUTH_GROUP_DETAIL = {
    'chap': Optional(CHAP), 'chap_status': INT, 'group_id': str,
    'group_name': str,
    'initiator': [{'id': str, 'iqn': str, 'iqn_alias': str}],
    'owner': str}
DEFAULT_GROUP = {'group_id': str, 'group_name': str}
AUTH_GROUP_ITEM = {'chap': Optional(CHAP), 'group_id': str,
                   'group_name': str, 'owner': str}
SNAP_DETAIL = {'reserved': str, 'pool_name': str, 'binded': INT,
               'restore': INT, 'snap_name': str, 'snap_id': str,
               'vol_name': str, 'created': str}
SNAP_ITEM = {'snap_id': str, 'lun_name': str, 'pool_name': str,
             'snap_name': str}
INTEGRITY = {'can_start': INT, 'can_stop': INT, 'info': str}
POOL_DETAIL = {
    'encryption': INT, 'owner': str, 'stripe_len': INT, 'status': str,
    'is_nvme': INT, 'raidtype': str,
    'data': [{'state': str, 'info': str, 'lunid': str, 'stripe_info': str,
              'enclosure': str, 'disk': str}],
    'pool_name': str, 'integrity': INTEGRITY, 'pool_id': str}
CAPACITY_INFO = {'allocated_size': str, 'compress_ratio': str,
                 'dedup_ratio': str, 'free_size': str, 'logical_avail': str,
                 'logical_reserved': str, 'total_size': str}
PROTOCOL_USAGE = {'iscsi': str, 'replica': str, 'shares': str}
POOL_OVERVIEW = {
    'blocksize': str,
    'capacity': dict(CAPACITY_INFO, flashtier_total=INT,
                     flashtier_used=INT),
    'endurance': INT, 'is_flash': INT, 'optimization': INT, 'owner': str,
    'pool_name': str, 'protocol_usage': PROTOCOL_USAGE, 'raidtype': str}
PORTAL_GROUP_ITEM = {'id': str, 'portal_name': str, 'owner': str}
PORTAL_GROUP_DETAIL = dict(PORTAL_GROUP_ITEM, listen_ips=[str])
RATE = {'read': INT, 'total': INT, 'write': INT}
CLUSTER = {'connected': INT,
           'interconnects': {'ethernet': INT, 'hbactive': INT,
                             'hbdrive': INT, 'serial': INT},
           'peers': [{'id': str}], 'status': str}
CPU = {'average_utilization': INT, 'cpu_idle': str,
       'current_utilization': INT, 'load_15_min': str, 'load_1_min': str,
       'load_5_min': str}
ENCLOSURE = {'model': str, 'no': INT, 'owner': str, 'serial': str}
LICENSE = {'autosnapshot': INT, 'clone': INT, 'datareduce': INT,
           'encryption': INT, 'expire_time': INT, 'flashcache': INT,
           'flashtier': INT, 'hdd_capacity': str, 'metroscale': INT,
           'none_vendor_drive': INT, 'replication': INT, 's3': str,
           'snapshot': INT, 'software_update': INT, 'ssd_capacity': str,
           'start_time': INT}
OVERLOADED = {'last_check_time': NUMBER,
              'overloaded_volumes': [{'pool_name': str, 'vol_id': str,
                                      'vol_name': str, 'vol_size': INT,
                                      'vol_type': str, 'vol_used': INT}]}
POOL_STATUS = {'integrity': INTEGRITY, 'owner': str, 'pool_id': str,
               'pool_name': str, 'status': str}
SERVICES = {name: INT for name in (
    'callhome', 'cifs', 'mail_alert', 'nfs', 'ntp', 'remote_help',
    'replication', 's3', 'san', 'snmp', 'snmp_trap', 'syslog')}
SYSTEM_INFO = {
    'user_count': INT, 'dramcachesize': str, 'scsi_initiators': INT,
    'used_lun': INT, 'shares': INT, 'maxlun': str, 'product': str,
    'controller_type': str, 'app_version': str, 'luns': INT, 'date': str,
    'uptime': str, 'service_tag': str, 'maxsnap': str,
    'fc_initiators': INT, 'snapshot_count': str, 'os_version': str}
ALERT = {'description': str, 'event_id': str, 'id': INT,
         'notify': Nullable(ANY), 'time': str, 'type': str}
AUDIT = {'agent': str, 'description': str, 'id': INT, 'rhost': str,
         'time': str, 'user': str}
SYSTEM_EVENT = {'action': str, 'function': str, 'id': INT, 'sensor': str,
                'time': str}


class ShapeMixin(object):
    """assertShape: field names and JSON types, exactly."""

    def assertShape(self, value, shape, where='answer'):
        """Fail unless value has exactly the fields and types of shape.

        shape: a dict (object: every key required unless Optional, no
        other key allowed), a one-element list (array of that shape), a
        Python type, INT, NUMBER, SUCCESS, ANY, Nullable(...).
        """
        if isinstance(shape, Nullable):
            if value is None:
                return
            shape = shape.shape
        if shape == ANY:
            return
        if shape == INT:
            self.assertTrue(isinstance(value, int)
                            and not isinstance(value, bool),
                            '%s: %r is not an integer' % (where, value))
        elif shape == NUMBER:
            self.assertTrue(isinstance(value, (int, float))
                            and not isinstance(value, bool),
                            '%s: %r is not a number' % (where, value))
        elif shape == SUCCESS:
            self.assertIn(value, (True, 'true'), where)
        elif isinstance(shape, dict):
            self.assertIsInstance(value, dict, where)
            required = set(k for k, v in shape.items()
                           if not isinstance(v, Optional))
            self.assertEqual(set(), required - set(value),
                             '%s: missing fields' % where)
            self.assertEqual(set(), set(value) - set(shape),
                             '%s: fields not in the reference' % where)
            for key, sub in shape.items():
                if isinstance(sub, Optional):
                    if key not in value:
                        continue
                    sub = sub.shape
                self.assertShape(value[key], sub, '%s.%s' % (where, key))
        elif isinstance(shape, list):
            self.assertIsInstance(value, list, where)
            for index, item in enumerate(value):
                self.assertShape(item, shape[0], '%s[%d]' % (where, index))
        else:
            self.assertIsInstance(value, shape, where)


class SimulatorTestCase(testtools.TestCase, ShapeMixin):
    """A running simulator and a client of it."""

    tls = False

    def setUp(self):
        super(SimulatorTestCase, self).setUp()
        common.detect_leaks(self)
        self.logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(name)s %(levelname)s %(message)s'))
        self.sim = self.start_simulator()
        self.client = self.make_client()

    def start_simulator(self, **kwargs):
        kwargs.setdefault('pools', POOLS)
        kwargs.setdefault('portals', PORTALS)
        sim = Simulator(**kwargs)
        sim.start()
        self.addCleanup(sim.stop)
        return sim

    def make_client(self, sim=None, **kwargs):
        sim = sim or self.sim
        kwargs.setdefault('retries', 0)
        kwargs.setdefault('backoff', 0)
        kwargs.setdefault('connect_timeout', 5)
        kwargs.setdefault('read_timeout', 20)
        kwargs.setdefault('on_request', client.CallCounter())
        c = client.NGXStorageClient(sim.url, kwargs.pop('token', sim.token),
                                    **kwargs)
        self.addCleanup(c.close)
        return c


class AllOperationsTest(SimulatorTestCase):
    """All 60 operations, answers shaped as the reference documents."""

    def test_all_operations(self):
        c = self.client
        pools = self._pools()
        luns = self._luns()
        groups = self._auth_groups()
        self._targets(luns, groups)
        self._snapshots(luns)
        self._status(pools)
        self._logs()
        self._cleanup(luns, groups)
        self.assertEqual(sorted(client.OPERATION_IDS),
                         sorted(c.on_request.counts))
        self.assertEqual(60, len(c.on_request.counts))
        # Every call reached the simulator as the operation it meant.
        seen = set(entry['op_id'] for entry in self.sim.requests)
        self.assertEqual(set(client.OPERATION_IDS.values()), seen)

    def _pools(self):
        c = self.client
        pools = c.list_pools()
        self.assertShape(pools, [{'pool_name': str, 'owner': str,
                                  'pool_id': str}])
        self.assertEqual(['pool1', 'pool2'],
                         sorted(p['pool_name'] for p in pools))
        self.assertEqual({'1'}, set(p['owner'] for p in pools))
        by_name = {p['pool_name']: p for p in pools}
        detail = c.get_pool(by_name['pool1']['pool_id'])
        self.assertShape(detail, POOL_DETAIL, 'pool detail')
        self.assertEqual('pool1', detail['pool_name'])
        detail_list = c.list_pools_detail()
        self.assertShape(detail_list, [POOL_DETAIL], 'pool list')
        self.assertEqual(2, len(detail_list))
        overview = c.get_pools_overview()
        self.assertShape(overview, [POOL_OVERVIEW], 'pool overview')
        self.assertEqual(str(100 * 2 ** 30),
                         [o for o in overview if o['pool_name'] == 'pool1'
                          ][0]['capacity']['total_size'])

        portal_groups = c.list_portal_groups()
        self.assertShape(portal_groups, [PORTAL_GROUP_ITEM], 'portal list')
        self.assertEqual([self.sim.portal_group_id],
                         [p['id'] for p in portal_groups])
        portal = c.get_portal_group(self.sim.portal_group_id)
        self.assertShape(portal, PORTAL_GROUP_DETAIL, 'portal detail')
        self.assertEqual(['127.0.0.1:3260'], portal['listen_ips'])
        self.assertShape(c.list_portal_groups_detail(),
                         [PORTAL_GROUP_DETAIL], 'portal detail list')
        return by_name

    def _luns(self):
        c = self.client
        created = c.create_lun('pool1', 'lun1', 1)
        self.assertShape(created, {
            'luns': [{'scsi_lunid': str, 'success': SUCCESS, 'vol_id': str,
                      'vol_used': str}],
            'success': SUCCESS}, 'lun create')
        lun1 = created['luns'][0]['vol_id']
        self.assertTrue(is_hex40(lun1), lun1)
        lun2 = c.create_lun('pool1', 'lun2', 512, sing='M', blocksize='32k',
                            thin_provision='on', compression='on',
                            deduplication='off', io_type='sequential',
                            qos_priority=32, flash_cache='off',
                            dram_cache='on')['luns'][0]['vol_id']
        lun3 = c.create_lun('pool2', 'lun3', 1)['luns'][0]['vol_id']

        detail = c.get_lun(lun1)
        self.assertShape(detail, LUN_DETAIL, 'lun detail')
        self.assertEqual(('lun1', 'pool1', '1', str(2 ** 30), 'full', '1'),
                         (detail['vol_name'], detail['pool_name'],
                          detail['owner'], detail['vol_size'],
                          detail['provision_type'], '1'))
        detail2 = c.get_lun(lun2)
        self.assertEqual((str(512 * 2 ** 20), 'thin', '32768', 'sequential',
                          32, 'off'),
                         (detail2['vol_size'], detail2['provision_type'],
                          detail2['blocksize'], detail2['io_type'],
                          detail2['qos_priority'], detail2['flash_cache']))

        modified = c.modify_lun(lun1, size=2)
        self.assertShape(modified, {'success': SUCCESS, 'vol_size': str},
                         'lun modify')
        self.assertEqual(str(2 * 2 ** 30), modified['vol_size'])
        c.modify_lun(lun2, qos_priority=64, dram_cache='off')
        self.assertEqual(64, c.get_lun(lun2)['qos_priority'])

        listing = c.list_luns_detail()
        self.assertShape(listing, [LUN_DETAIL], 'lun detail list')
        self.assertEqual({lun1, lun2, lun3},
                         set(x['vol_id'] for x in listing))
        short = c.list_luns()
        self.assertShape(short, [{'name': str, 'pool': str, 'owner': str,
                                  'vol_id': str}], 'lun list')
        self.assertIn({'name': 'lun3', 'pool': 'pool2', 'owner': '1',
                       'vol_id': lun3}, short)
        return {'lun1': lun1, 'lun2': lun2, 'lun3': lun3}

    def _auth_groups(self):
        c = self.client
        created = c.create_auth_group('grp1', '1')
        self.assertShape(created, {'id': str, 'success': SUCCESS},
                         'auth group create')
        gid = created['id']
        iqn = c.add_auth_group_iqn(gid, IQN1, 'host1', '1')
        self.assertShape(iqn, {'id': str, 'success': SUCCESS}, 'iqn add')
        iqn2 = c.add_auth_group_iqn(gid, IQN2, 'host2', '1')['id']
        self.assertShape(c.set_auth_group_chap(gid, 'chapuser', CHAP_SECRET,
                                               '1'),
                         {'success': SUCCESS}, 'chap set')

        detail = c.get_auth_group(gid)
        self.assertShape(detail, AUTH_GROUP_DETAIL, 'auth group detail')
        self.assertEqual({'password': CHAP_SECRET, 'username': 'chapuser'},
                         detail['chap'])
        self.assertEqual(1, detail['chap_status'])
        self.assertEqual([{'id': iqn['id'], 'iqn': IQN1,
                           'iqn_alias': 'host1'},
                          {'id': iqn2, 'iqn': IQN2, 'iqn_alias': 'host2'}],
                         detail['initiator'])

        groups = c.list_auth_groups()
        self.assertEqual({'group_id': '1', 'group_name': 'DefaultAuthGroup'},
                         groups[0])
        self.assertShape(groups[1:], [AUTH_GROUP_ITEM], 'auth group list')
        self.assertIn('chap', [g for g in groups if g['group_id'] == gid][0])
        details = c.list_auth_groups_detail()
        self.assertShape(details[0], DEFAULT_GROUP, 'default group')
        self.assertShape(details[1:], [AUTH_GROUP_DETAIL],
                         'auth group detail list')

        self.assertShape(c.delete_auth_group_chap(gid),
                         {'success': SUCCESS}, 'chap delete')
        detail = c.get_auth_group(gid)
        self.assertEqual(0, detail['chap_status'])
        self.assertNotIn('chap', detail)
        self.assertShape(c.rename_auth_group(gid, 'grp2', '1'),
                         {'success': SUCCESS}, 'auth group rename')
        self.assertEqual('grp2', c.get_auth_group(gid)['group_name'])
        self.assertEqual({}, c.delete_auth_group_iqn(iqn2))
        self.assertEqual([IQN1], [i['iqn'] for i in
                                  c.get_auth_group(gid)['initiator']])
        return {'gid': gid, 'iqn_id': iqn['id']}

    def _targets(self, luns, groups):
        c = self.client
        pg = self.sim.portal_group_id
        created = c.create_target('tgt1', '1', pg, '1')
        self.assertShape(created, {'id': str, 'luns': [TARGET_LUN],
                                   'success': SUCCESS}, 'target create')
        self.assertEqual([], created['luns'])
        tid = created['id']
        created2 = c.create_target('tgt2', groups['gid'], pg, '1',
                                   lun_ids=[luns['lun3']])
        self.assertEqual([('0', luns['lun3'], 'lun3', 'pool2')],
                         [(x['lun_number'], x['vol_id'], x['lun_name'],
                           x['pool_name']) for x in created2['luns']])
        tid2 = created2['id']

        added = c.add_target_luns(tid, [luns['lun1'], luns['lun2']], '1')
        self.assertShape(added, {'luns': [TARGET_LUN], 'success': SUCCESS},
                         'target add lun')
        self.assertEqual({'0', '1'}, set(x['lun_number']
                                         for x in added['luns']))

        detail = c.get_target(tid)
        self.assertShape(detail, TARGET_DETAIL, 'target detail')
        self.assertEqual('iqn.2015-03.com.ngxio.ngxsim01:tgt1',
                         detail['target_iqn'])
        self.assertEqual(('1', 'DefaultAuthGroup', pg, '1'),
                         (detail['group_id'], detail['group_name'],
                          detail['portal_id'], detail['owner']))
        self.assertEqual(2, len(detail['luns']))

        self.assertShape(c.rename_target(tid, 'tgt1b', '1'),
                         {'success': SUCCESS}, 'target rename')
        self.assertShape(c.change_target_auth_group(tid, groups['gid'], '1'),
                         {'success': SUCCESS}, 'target auth group')
        self.assertShape(c.change_target_portal_group(tid, pg, '1'),
                         {'success': SUCCESS}, 'target portal group')
        detail = c.get_target(tid)
        self.assertEqual(('iqn.2015-03.com.ngxio.ngxsim01:tgt1b',
                          groups['gid'], 'grp2'),
                         (detail['target_iqn'], detail['group_id'],
                          detail['group_name']))

        listing = c.list_targets_detail()
        self.assertShape(listing, [TARGET_DETAIL], 'target detail list')
        short = c.list_targets()
        self.assertShape(short, [{'scsi_target_name': str, 'scsi_id': str,
                                  'owner': str}], 'target list')
        self.assertEqual({tid, tid2}, set(t['scsi_id'] for t in short))

        self.assertRaises(exception.Conflict, c.delete_target, tid)
        removed = c.remove_target_luns(tid, [luns['lun2']], '1')
        self.assertShape(removed, {'luns': [TARGET_LUN], 'success': SUCCESS},
                         'target remove lun')
        self.assertEqual([luns['lun1']],
                         [x['vol_id'] for x in removed['luns']])
        c.remove_target_luns(tid, [luns['lun1']], '1')
        self.assertShape(c.delete_target(tid), {'success': SUCCESS},
                         'target delete')
        self.assertRaises(exception.NotFound, c.get_target, tid)
        c.remove_target_luns(tid2, [luns['lun3']], '1')
        c.delete_target(tid2)

    def _snapshots(self, luns):
        c = self.client
        lun1 = luns['lun1']
        snap = c.create_snapshot('snap1', lun1)
        self.assertShape(snap, {'binded': INT, 'created': str,
                                'pool_name': str, 'reserved': str,
                                'restore': INT, 'snap_id': str,
                                'snap_vol': str, 'vol_name': str},
                         'snapshot create')
        self.assertEqual(('lun1@snap1', 0, 1),
                         (snap['snap_vol'], snap['binded'], snap['restore']))
        snap1 = snap['snap_id']
        snap2 = c.create_snapshot('snap2', lun1)['snap_id']

        detail = c.get_snapshot(snap1)
        self.assertShape(detail, SNAP_DETAIL, 'snapshot detail')
        self.assertEqual(0, detail['restore'])
        listing = c.list_snapshots_detail(vol_id=lun1)
        self.assertShape(listing, {'luns': [SNAP_DETAIL], 'shares': list},
                         'snapshot detail list')
        self.assertEqual({snap1, snap2},
                         set(s['snap_id'] for s in listing['luns']))
        self.assertEqual(2, len(c.list_snapshots_detail()['luns']))
        short = c.list_snapshots(vol_id=lun1)
        self.assertShape(short, {'luns': [SNAP_ITEM], 'shares': list},
                         'snapshot list')
        self.assertEqual(2, len(c.list_snapshots()['luns']))

        self.assertRaises(exception.Conflict, c.restore_snapshot, snap1)
        self.assertShape(c.restore_snapshot(snap2), {'success': SUCCESS},
                         'snapshot restore')

        clone = c.clone_snapshot(snap1, 'clone1')
        self.assertShape(clone, {'success': SUCCESS, 'vol_id': str},
                         'snapshot clone')
        luns['clone1'] = clone['vol_id']
        self.assertEqual('lun1@snap1', c.get_lun(clone['vol_id'])['clone'])
        self.assertEqual(1, c.get_snapshot(snap1)['binded'])
        self.assertRaises(exception.Conflict, c.delete_snapshot, snap1)

        schedule = c.create_snapshot_schedule(lun1, '45 23 * * 6', 30)
        self.assertShape(schedule, {'h_read': str, 'success': SUCCESS},
                         'schedule create')
        got = c.get_snapshot_schedule(lun1)
        self.assertShape(got, {'c_time': str, 'h_read': str, 'id': str,
                               'keep_max': INT, 'owner': str, 'vol_id': str,
                               'vol_type': str}, 'schedule detail')
        self.assertEqual(('45 23 * * 6', 30, lun1),
                         (got['c_time'], got['keep_max'], got['vol_id']))
        self.assertEqual({}, c.delete_snapshot_schedule(lun1))
        self.assertRaises(exception.NotFound, c.get_snapshot_schedule, lun1)

        self.assertShape(c.delete_snapshot(snap2), {'success': SUCCESS},
                         'snapshot delete')
        c.create_snapshot('snap3', lun1)
        kept = c.delete_all_snapshots(lun1)
        self.assertShape(kept, {'success': SUCCESS, 'warning': Optional(str)},
                         'snapshot delete all')
        self.assertIn('snap1', kept.get('warning', ''))
        self.assertEqual([snap1], [s['snap_id'] for s in
                                   c.list_snapshots(vol_id=lun1)['luns']])
        luns['snap1'] = snap1

    def _status(self, pools):
        c = self.client
        self.assertShape(c.get_bandwidth(), RATE, 'bandwidth')
        self.assertShape(c.get_iops(), RATE, 'iops')
        self.assertEqual({}, c.get_cache())
        capacity = c.get_capacity()
        self.assertEqual({'pool1', 'pool2'}, set(capacity))
        for name, entry in capacity.items():
            self.assertShape(entry, {'info': CAPACITY_INFO,
                                     'protocol_usage': PROTOCOL_USAGE},
                             'capacity ' + name)
        info = capacity['pool1']['info']
        self.assertEqual(str(100 * 2 ** 30), info['total_size'])
        self.assertLess(int(info['free_size']), int(info['total_size']))
        self.assertShape(c.get_cluster(), CLUSTER, 'cluster')
        self.assertShape(c.get_cpu(), CPU, 'cpu')
        self.assertShape(c.get_enclosures(), [ENCLOSURE], 'enclosures')
        self.assertShape(c.get_license(), LICENSE, 'license')
        self.assertShape(c.get_overloaded_volumes(), OVERLOADED,
                         'overloaded volumes')
        status = c.get_pool_status()
        self.assertShape(status, [POOL_STATUS], 'pool status')
        self.assertEqual({'ONLINE'}, set(p['status'] for p in status))
        self.assertShape(c.get_services(), SERVICES, 'services')
        info = c.get_system_info()
        self.assertShape(info, SYSTEM_INFO, 'system info')
        self.assertEqual(('NGXSIM01', '64', '2048'),
                         (info['service_tag'], info['maxlun'],
                          info['maxsnap']))
        self.assertEqual(4, info['luns'])
        network = c.get_network_info()
        self.assertIsInstance(network, dict)

    def _logs(self):
        c = self.client
        alerts = c.list_alert_logs()
        self.assertShape(alerts, [ALERT], 'alert log')
        page = c.list_alert_logs(sort=['id'], order='desc', limit=2, page=1)
        self.assertLessEqual(len(page), 2)
        ids = [a['id'] for a in page]
        self.assertEqual(sorted(ids, reverse=True), ids)
        kinds = set(a['type'].lower() for a in alerts)
        for kind in kinds:
            only = c.list_alert_logs(types=[kind])
            self.assertEqual({kind}, set(a['type'].lower() for a in only))

        audit = c.list_audit_logs(user='admin', agent='cinder-ngxstorage')
        self.assertShape(audit, [AUDIT], 'audit log')
        self.assertTrue(audit, 'mutating calls leave audit entries')
        self.assertEqual({'admin'}, set(a['user'] for a in audit))
        self.assertEqual({'127.0.0.1'}, set(a['rhost'] for a in audit))
        for entry in audit:
            self.assertNotIn(CHAP_SECRET, entry['description'])
        self.assertEqual([], c.list_audit_logs(user='nobody'))
        self.assertLessEqual(len(c.list_audit_logs(
            time_range=('2000-01-01 00:00:00', '2100-01-01 00:00:00'),
            sort='time', order='asc', limit=3, page=1,
            description='lun')), 3)

        events = c.list_system_events(sort=['time'], order='asc', limit=100)
        self.assertShape(events, [SYSTEM_EVENT], 'system events')
        if events:
            sensor = events[0]['sensor']
            self.assertTrue(all(e['sensor'] == sensor for e in
                                c.list_system_events(sensor=sensor)))

    def _cleanup(self, luns, groups):
        c = self.client
        self.assertRaises(exception.Conflict, c.delete_lun, luns['lun1'])
        self.assertShape(c.delete_lun(luns['clone1']), {'success': SUCCESS},
                         'lun delete')
        self.assertEqual(0, c.get_snapshot(luns['snap1'])['binded'])
        c.delete_snapshot(luns['snap1'])
        for name in ('lun1', 'lun2', 'lun3'):
            c.delete_lun(luns[name])
        self.assertRaises(exception.NotFound, c.get_lun, luns['lun1'])
        self.assertEqual([], c.list_luns())
        self.assertShape(c.delete_auth_group(groups['gid']),
                         {'success': SUCCESS}, 'auth group delete')
        self.assertEqual(['1'], [g['group_id']
                                 for g in c.list_auth_groups()])


class ErrorMappingTest(SimulatorTestCase):
    """Errors of a real server arrive as typed exceptions."""

    def test_unknown_key(self):
        c = self.make_client(token='f' * 40)
        err = self.assertRaises(exception.AuthenticationFailed,
                                c.list_pools)
        self.assertEqual(401, err.status)
        self.assertNotIn('f' * 40, str(err))

    def test_endpoint_not_permitted(self):
        token = self.sim.add_key('reader', permissions=('status.*',))
        c = self.make_client(token=token)
        self.assertIsInstance(c.get_capacity(), dict)
        err = self.assertRaises(exception.PermissionDenied, c.list_luns)
        self.assertEqual(403, err.status)

    def test_pool_scope(self):
        vol = self.client.create_lun('pool2', 'other', 1)['luns'][0]['vol_id']
        token = self.sim.add_key('pool1only', pools=['pool1'])
        c = self.make_client(token=token)
        self.assertEqual([], c.list_luns())
        self.assertRaises(exception.PermissionDenied, c.get_lun, vol)

    def test_validation(self):
        err = self.assertRaises(exception.ValidationFailed,
                                self.client.create_lun, 'pool1', 'l', '1')
        self.assertEqual(400, err.status)
        self.assertIn('size', err.message)
        self.assertRaises(exception.ValidationFailed,
                          self.client.create_lun, 'pool1', 'bad name!', 1)
        self.assertRaises(exception.ValidationFailed,
                          self.client.list_alert_logs, order='sideways')

    def test_not_found_and_conflict(self):
        err = self.assertRaises(exception.NotFound, self.client.get_lun,
                                'ab' * 20)
        self.assertEqual(404, err.status)
        self.assertTrue(err.message)
        self.client.create_lun('pool1', 'dup', 1)
        err = self.assertRaises(exception.Conflict, self.client.create_lun,
                                'pool2', 'dup', 1)
        self.assertEqual(409, err.status)
        self.assertIn('POST /api/v2/lun/ failed: HTTP 409: ', str(err))

    def test_no_space(self):
        self.assertRaises(exception.Conflict, self.client.create_lun,
                          'pool2', 'huge', 51)


class RetryTest(SimulatorTestCase):
    """The retry policy with faults injected in a real server."""

    def _count(self, op_id):
        return len([r for r in self.sim.requests if r['op_id'] == op_id])

    def test_get_retried_on_503(self):
        c = self.make_client(retries=2)
        self.sim.faults.add(method='GET', path=r'^/api/v2/pool$',
                            status=503, times=2)
        self.assertEqual(2, len(c.list_pools()))
        self.assertEqual(3, len([r for r in self.sim.requests
                                 if r['path'].rstrip('/') ==
                                 '/api/v2/pool']))
        self.assertEqual(1, c.on_request.counts['list_pools'])

    def test_post_not_retried_on_500_after_the_change(self):
        c = self.make_client(retries=3)
        self.sim.faults.add(method='POST', path=r'^/api/v2/lun/?$',
                            phase='after', status=500)
        self.assertRaises(exception.ServerError, c.create_lun, 'pool1',
                          'once', 1)
        # The array made the LUN; a second POST would have hit 409.
        self.assertEqual(['once'], [x['name'] for x in c.list_luns()])
        self.assertEqual(1, self._count('lun.create'))

    def test_post_not_retried_on_read_timeout(self):
        c = self.make_client(retries=3, read_timeout=0.5)
        self.sim.faults.add(method='POST', path=r'^/api/v2/snapshot/?$',
                            action='delay', delay=2.0)
        vol = c.create_lun('pool1', 'l1', 1)['luns'][0]['vol_id']
        self.assertRaises(exception.RequestTimeout, c.create_snapshot,
                          's1', vol)
        self.assertEqual(1, c.on_request.counts['create_snapshot'])

    def test_delete_retried_after_drop_then_404_is_success(self):
        c = self.make_client(retries=2)
        vol = c.create_lun('pool1', 'gone', 1)['luns'][0]['vol_id']
        self.sim.faults.add(method='DELETE', path=r'^/api/v2/lun/',
                            phase='after', action='drop')
        self.assertEqual({'success': True}, c.delete_lun(vol))
        self.assertEqual([], c.list_luns())

    def test_post_retried_when_connection_refused(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()
        logs = self.useFixture(fixtures.FakeLogger(
            name='cinder_ngxstorage', level=logging.WARNING))
        c = client.NGXStorageClient('http://127.0.0.1:%d' % port, 'k' * 40,
                                    retries=2, backoff=0)
        err = self.assertRaises(exception.ConnectionFailed, c.create_lun,
                                'pool1', 'x', 1)
        self.assertIs(False, err.request_sent)
        self.assertEqual(2, logs.output.count('retry'))
        self.assertIn('cannot connect to 127.0.0.1:%d' % port, str(err))


class TimeoutAndDropTest(SimulatorTestCase):
    """Timeouts and dropped connections through sim.faults."""

    def test_delay_beyond_read_timeout(self):
        c = self.make_client(read_timeout=0.3)
        self.sim.faults.add(method='GET', path=r'^/api/v2/status/cpu',
                            action='delay', delay=1.5)
        err = self.assertRaises(exception.RequestTimeout, c.get_cpu)
        self.assertIsNone(err.status)
        self.assertIn('0.3 s', str(err))
        # The pool still works once the slow answer is gone.
        self.assertIsInstance(c.get_cpu(), dict)

    def test_drop(self):
        self.sim.faults.add(method='GET', path=r'^/api/v2/status/iops',
                            action='drop')
        err = self.assertRaises(exception.ConnectionFailed,
                                self.client.get_iops)
        self.assertIs(True, err.request_sent)
        self.assertIsInstance(self.client.get_iops(), dict)

    def test_drop_get_retried(self):
        c = self.make_client(retries=1)
        self.sim.faults.add(method='GET', path=r'^/api/v2/status/iops',
                            action='drop')
        self.assertIsInstance(c.get_iops(), dict)

    def test_concurrent_calls_share_the_pool(self):
        c = self.make_client(pool_maxsize=4)
        vol = c.create_lun('pool1', 'shared', 1)['luns'][0]['vol_id']
        c.on_request.reset()
        errors = []

        def worker():
            try:
                for _ in range(10):
                    self.assertEqual(vol, c.get_lun(vol)['vol_id'])
            except Exception as exc:  # pragma: no cover
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([], errors)
        self.assertEqual(80, c.on_request.counts['get_lun'])


class RedactionOverHTTPTest(SimulatorTestCase):
    """No secret in any log line, urllib3's included, at DEBUG."""

    def test_token_and_chap_secret_never_logged(self):
        c = self.make_client(retries=1)
        gid = c.create_auth_group('secretgrp', '1')['id']
        self.sim.faults.add(method='PATCH', path=r'^/api/v2/auth_group/chap',
                            status=400, message='bad password %s'
                            % CHAP_SECRET)
        err = self.assertRaises(exception.ValidationFailed,
                                c.set_auth_group_chap, gid, 'u1',
                                CHAP_SECRET, '1')
        c.set_auth_group_chap(gid, 'u1', CHAP_SECRET, '1')
        self.assertEqual(CHAP_SECRET, c.get_auth_group(gid)['chap'][
            'password'])
        c.list_auth_groups()
        c.list_auth_groups_detail()
        self.sim.faults.add(method='GET', path=r'^/api/v2/auth_group/',
                            status=503)
        c.get_auth_group(gid)
        output = self.logs.output
        self.assertIn('urllib3', output)
        self.assertIn('PATCH /api/v2/auth_group/chap/%s -> 200' % gid,
                      output)
        for text in (output, str(err), repr(err), repr(c), str(c)):
            self.assertNotIn(self.sim.token, text)
            self.assertNotIn(CHAP_SECRET, text)


def check_tls_client_works(test):
    """Fail with the cause when eventlet broke ssl in this process.

    eventlet.monkey_patch() run after urllib3/ssl were imported (importing
    cinder.tests.unit does it) makes every TLS context recurse forever.
    The cure is to monkey-patch before anything else is imported, as
    Cinder's own test package does.
    """
    try:
        ssl_util.create_urllib3_context()
    except RecursionError:
        test.fail('ssl is broken in this test process: eventlet monkey '
                  'patching happened after urllib3/ssl were imported '
                  '(cinder.tests.unit patches on import); patch first, '
                  'e.g. in tests/__init__.py')


class PlainHTTPTest(SimulatorTestCase):
    """TLS client against a plain HTTP port."""

    def setUp(self):
        check_tls_client_works(self)
        super(PlainHTTPTest, self).setUp()

    def test_https_to_a_plain_port(self):
        url = self.sim.url.replace('http://', 'https://')
        c = client.NGXStorageClient(url, self.sim.token, retries=0,
                                    connect_timeout=5, read_timeout=5)
        err = self.assertRaises(exception.ConnectionFailed, c.list_pools)
        self.assertNotIsInstance(err, exception.TLSVerificationFailed)
        self.assertIn('plain HTTP', str(err))


class TLSTest(SimulatorTestCase):
    """The simulator with a certificate from a private CA (trustme)."""

    def setUp(self):
        check_tls_client_works(self)
        super(TLSTest, self).setUp()

    def start_simulator(self, **kwargs):
        tmp = self.useFixture(fixtures.TempDir()).path
        cert_file, key_file, self.ca_file = common.tls_files(tmp)
        kwargs.update(tls_cert=cert_file, tls_key=key_file)
        return super(TLSTest, self).start_simulator(**kwargs)

    def make_client(self, sim=None, **kwargs):
        kwargs.setdefault('verify', self.ca_file)
        return super(TLSTest, self).make_client(sim, **kwargs)

    def test_trusted_through_ca_bundle(self):
        self.assertTrue(self.sim.url.startswith('https://'))
        self.assertEqual('NGXSIM01',
                         self.client.get_system_info()['service_tag'])

    def test_untrusted_certificate(self):
        c = self.make_client(verify=True, retries=2)
        err = self.assertRaises(exception.TLSVerificationFailed,
                                c.get_system_info)
        host = self.sim.url.split('://', 1)[1]
        self.assertIn('certificate verification failed for %s' % host,
                      str(err))
        self.assertIn('CA bundle', str(err))
        self.assertEqual([], self.sim.requests)

    def test_verification_disabled(self):
        self.useFixture(fixtures.WarningsCapture())
        c = self.make_client(verify=False)
        self.assertIsInstance(c.get_system_info(), dict)

    def test_plain_http_to_the_tls_port(self):
        url = self.sim.url.replace('https://', 'http://')
        c = client.NGXStorageClient(url, self.sim.token, retries=0,
                                    connect_timeout=5, read_timeout=5)
        err = self.assertRaises((exception.ConnectionFailed,
                                 exception.InvalidResponse), c.list_pools)
        self.assertIn('https://', str(err))
        self.assertNotIn(self.sim.token, str(err))
