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

"""Typed records parsed from the array's answers (records.py).

Each record is parsed from three sources: the example answers of the
vendor reference (copied below, with the line numbers of
/work/shared/seed/ngxstorage-rest-api-v2.4.1.txt they come from), the
answers of a live simulator, and variants with numbers as strings or ints,
flags as strings, and optional fields missing. Answers without a field the
driver needs, or of the wrong shape, raise InvalidResponse.
"""

import testtools

from cinder_ngxstorage import client
from cinder_ngxstorage import exception
from cinder_ngxstorage import records
from cinder_ngxstorage.simulator import Simulator

# -- the reference's example answers ------------------------------------

# Auth Group Create, lines 66-69.
REF_AUTH_GROUP_CREATE = {
    "id": "553bf10cef175f3c3a6d607cfe3987d9d2cce412",
    "success": True,
}

# Auth Group Detail, lines 211-227.
REF_AUTH_GROUP_DETAIL = {
    "chap": {
        "password": "chfsgsdf435345",
        "username": "dddggg",
    },
    "chap_status": 1,
    "group_id": "59f5004ecb2944f1b456c904f2e9ee9e541c31bb",
    "group_name": "sisitv",
    "initiator": [
        {
            "id": "aa5fce737911a2686ca219a71c8e784e8116623b",
            "iqn": "iqn.2016-04.com.open-iscsi:751a7fe0b28",
            "iqn_alias": "asdas",
        }
    ],
    "owner": "RSA3Q866_A",
}

# Auth Group List, lines 314-357 (first two entries: the default group has
# no owner).
REF_AUTH_GROUP_LIST = [
    {
        "group_id": "1",
        "group_name": "DefaultAuthGroup",
    },
    {
        "chap": {
            "password": "qaxwscedrfv4",
            "username": "muslum",
        },
        "group_id": "8e60d81b35c914076015c62845fe5112baf60985",
        "group_name": "test",
        "owner": "RSA3Q866_A",
    },
]

# iSCSI Target Create, lines 384-403.
REF_TARGET_CREATE = {
    "id": "25b80791bdaabec51b01c255dbab10247970b80c",
    "luns": [
        {
            "lun_id": "589c00525341335138363668c49340f386985d",
            "lun_name": "testfc",
            "lun_number": "7",
            "pool_name": "datapool1",
            "vol_id": "f98d89b9fd828e0cbe86af842e6ea55f87860178",
        },
        {
            "lun_id": "589c005253413351383636db0f47f0e21ae524",
            "lun_name": "testfc2",
            "lun_number": "8",
            "pool_name": "datapool1",
            "vol_id": "bdb27f44018f8162773956a1fe2a935b5323a73e",
        },
    ],
    "success": True,
}

# iSCSI Target Add LUN, lines 519-530.
REF_TARGET_ADD_LUN = {
    "luns": [
        {
            "lun_id": "589c0053475a31525643328a677dc13171160e",
            "lun_name": "clonename",
            "lun_number": "0",
            "pool_name": "sadasd",
            "vol_id": "635085887d0955f883fce8ecac310d7e4129f6f1",
        }
    ],
    "success": True,
}

# iSCSI Target Delete LUN, lines 555-566.
REF_TARGET_DELETE_LUN = {
    "luns": [
        {
            "lun_id": "589c0053475a31525643322ae170d3dca0087d",
            "lun_name": "sada21sd212",
            "lun_number": "1",
            "pool_name": "sadasd",
            "vol_id": "3ba3d42df37c4d0fc74335f59f316e87e795f6e0",
        }
    ],
    "success": True,
}

# iSCSI Target Detail, lines 581-601 (Detail List, lines 614-636, is a
# list of the same).
REF_TARGET_DETAIL = {
    "target_iqn": "iqn.2015-03.com.ngxio.rsa3q866:t1",
    "scsi_target_name": "t1",
    "portal_id": "84904f58234656a66ede2075a38596003bb0013c",
    "iqn_name": "iqn.2015-03.com.ngxio.rsa3q866",
    "portal_name": "asgasdg",
    "scsi_id": "fc9a57b1fd478fa0aa72fb1bb81cd5129eb1de3f",
    "luns": [
        {
            "profile": "-",
            "vol_id": "fe8a213fd118cef3010239b167fa86fe88c8d101",
            "lun_id": "589c0001c1d60fe4ac1f312febffe4ae",
            "lun_number": "0",
            "lun_name": "x",
            "pool_name": "nvme1",
        }
    ],
    "group_id": "1",
    "owner": "1",
    "group_name": "DefaultAuthGroup",
}

# iSCSI Target List, lines 649-655.
REF_TARGET_LIST = [
    {
        "scsi_target_name": "t1",
        "scsi_id": "fc9a57b1fd478fa0aa72fb1bb81cd5129eb1de3f",
        "owner": "1",
    }
]

# LUN Create, lines 852-862 (success as the string "true").
REF_LUN_CREATE = {
    "luns": [
        {
            "scsi_lunid": "589c0052534133513836363f52dd30b2080d02",
            "success": "true",
            "vol_id": "4634e3ce77ea33204561cc96b764745350e7c601",
            "vol_used": "4096",
        }
    ],
    "success": True,
}

# LUN Detail, lines 934-957.
REF_LUN_DETAIL = {
    "blocksize": "16384",
    "clone": "",
    "dedup": "off",
    "vol_size": "1073741824",
    "pool_name": "nvme1",
    "compress_ratio": "-",
    "owner": "1",
    "vol_name": "lun2",
    "qos_priority": 128,
    "vol_id": "f5d09c2614f903f1c1700e14a36a329f763c56bd",
    "scsi_lunid": "589c004ef5ddf2db32dd4437960711b2",
    "vol_used": "1042223104",
    "flash_cache": "on",
    "protocols": {
        "fc": None,
        "iscsi": None,
    },
    "dram_cache": "on",
    "compress": "off",
    "io_type": "transactional",
    "sizebysnapshots": "0",
    "provision_type": "full",
}

# LUN Detail List, lines 970-1019 (the second entry, exported to t1).
REF_LUN_DETAIL_LIST_EXPORTED = {
    "vol_name": "x",
    "sizebysnapshots": "57344",
    "compress_ratio": "-",
    "vol_size": "1100585369600",
    "clone": "",
    "scsi_lunid": "589c0001c1d60fe4ac1f312febffe4ae",
    "pool_name": "nvme1",
    "dedup": "off",
    "protocols": {
        "iscsi": "t1",
        "fc": None,
    },
    "blocksize": "16384",
    "flash_cache": "on",
    "io_type": "transactional",
    "vol_id": "fe8a213fd118cef3010239b167fa86fe88c8d101",
    "compress": "off",
    "provision_type": "thin",
    "dram_cache": "on",
    "vol_used": "1106423808",
    "owner": "1",
    "qos_priority": 16,
}

# LUN List, lines 1032-1045.
REF_LUN_LIST = [
    {
        "name": "lun2",
        "pool": "nvme1",
        "owner": "1",
        "vol_id": "f5d09c2614f903f1c1700e14a36a329f763c56bd",
    },
    {
        "name": "x",
        "pool": "nvme1",
        "owner": "1",
        "vol_id": "fe8a213fd118cef3010239b167fa86fe88c8d101",
    },
]

# Snapshot Create, lines 1398-1407.
REF_SNAPSHOT_CREATE = {
    "binded": 0,
    "created": "1742901074",
    "pool_name": "sadasd",
    "reserved": "57344",
    "restore": 1,
    "snap_id": "29888b321cc465bb59a3cb1e2aca93a5e1ebbdc2",
    "snap_vol": "sada21sd212@snapname",
    "vol_name": "sada21sd212",
}

# Snapshot Clone, line 1463 (the reference shows it as a quoted string
# with a shell's trailing %; this is the JSON inside).
REF_SNAPSHOT_CLONE = {
    "success": True, "vol_id": "635085887d0955f883fce8ecac310d7e4129f6f1",
}

# Snapshot Detail List, lines 1581-1606.
REF_SNAPSHOT_DETAIL_LIST = {
    "shares": [
        {
            "binded": 0,
            "restore": 1,
            "snap_id": "f9afd48e46ecf68ff26b58e42396870b3df896ae",
            "created": "1715091440",
            "reserved": "98304",
            "vol_name": "test",
            "pool_name": "nvme1",
            "snap_name": "dasd",
        }
    ],
    "luns": [
        {
            "reserved": "57344",
            "vol_name": "x",
            "binded": 0,
            "restore": 1,
            "snap_id": "816479d3d58565ea7670d7c3dc9a25fb143e96e6",
            "created": "1713251666",
            "pool_name": "nvme1",
            "snap_name": "x",
        }
    ],
}

# Snapshot List, lines 1621-1638.
REF_SNAPSHOT_LIST = {
    "luns": [
        {
            "snap_id": "816479d3d58565ea7670d7c3dc9a25fb143e96e6",
            "lun_name": "x",
            "pool_name": "nvme1",
            "snap_name": "x",
        }
    ],
    "shares": [
        {
            "snap_id": "f9afd48e46ecf68ff26b58e42396870b3df896ae",
            "pool_name": "nvme1",
            "snap_name": "dasd",
            "share_name": "test",
        }
    ],
}

# Status Capacity, lines 1680-1713.
REF_CAPACITY = {
    "test": {
        "info": {
            "allocated_size": "265214230528",
            "compress_ratio": "1.00",
            "dedup_ratio": "1.00x",
            "free_size": "11215018603315",
            "logical_avail": "7303574094336",
            "logical_reserved": "225168031232",
            "total_size": "11544872091648",
        },
        "protocol_usage": {
            "iscsi": "48341619184",
            "replica": "130944",
            "shares": "176791400896",
        },
    },
    "test2": {
        "info": {
            "allocated_size": "131072000",
            "compress_ratio": "1.19",
            "dedup_ratio": "1.00x",
            "free_size": "7663596045598",
            "logical_avail": "7524651683840",
            "logical_reserved": "131018752",
            "total_size": "7663596045598",
        },
        "protocol_usage": {
            "iscsi": "98304",
            "replica": "63967232",
            "shares": "63770624",
        },
    },
}

# Status License, lines 1819-1836.
REF_LICENSE = {
    "autosnapshot": 1,
    "clone": 1,
    "datareduce": 1,
    "encryption": 1,
    "expire_time": 1786924800,
    "flashcache": 1,
    "flashtier": 1,
    "hdd_capacity": "3000000",
    "metroscale": 1,
    "none_vendor_drive": 1,
    "replication": 1,
    "s3": "3000000",
    "snapshot": 1,
    "software_update": 1,
    "ssd_capacity": "3000000",
    "start_time": 1692230400,
}

# Status Pools, lines 1874-1897 (the first entry).
REF_POOL_STATUS = [
    {
        "integrity": {
            "can_start": 1,
            "can_stop": 0,
            "info": "No info",
        },
        "owner": "RSA3Q866_A",
        "pool_id": "1a887ad691f787d7a9d1657dbd411e3b019d44d7",
        "pool_name": "test",
        "status": "ONLINE",
    },
]

# Status System Info, lines 1936-1954 (the fields around maxlun).
REF_SYSTEM_INFO = {
    "used_lun": 1,
    "maxlun": "64",
    "product": "H2000G2",
    "service_tag": "RSA3Q866",
    "maxsnap": "2048",
}

# The portal-group examples (lines 1260-1376) are copies of a share
# record (API-NOTES 11): portal groups are checked against the simulator
# and API-NOTES only.

GiB = 1024 ** 3


class ParsingTestCase(testtools.TestCase):
    """Helpers shared by the record tests."""

    def assertMalformed(self, parse, *args):
        err = self.assertRaises(exception.InvalidResponse, parse, *args)
        self.assertIsInstance(err, exception.NGXStorageError)
        return err


class LunTest(ParsingTestCase):
    """LunEntry/LunList (GET /lun/) and Lun/LunDetailList (detail)."""

    def test_list_from_reference(self):
        luns = records.LunList.from_answer(REF_LUN_LIST)
        self.assertEqual(2, len(luns))
        lun = luns.by_name('x')
        self.assertEqual(('fe8a213fd118cef3010239b167fa86fe88c8d101', 'x',
                          'nvme1', '1'),
                         (lun.id, lun.name, lun.pool, lun.owner))
        self.assertIs(lun, luns.find('x', 'nvme1'))
        self.assertIsNone(luns.find('x', 'other'))
        self.assertIsNone(luns.by_name('nope'))
        self.assertTrue(luns.has_name('lun2'))

    def test_detail_from_reference(self):
        lun = records.Lun.from_answer(REF_LUN_DETAIL)
        self.assertEqual(
            records.Lun(
                id='f5d09c2614f903f1c1700e14a36a329f763c56bd',
                name='lun2', pool='nvme1', owner='1', size=GiB,
                blocksize=16384, provision_type='full', compress='off',
                dedup='off', flash_cache='on', dram_cache='on',
                io_type='transactional', qos_priority=128, clone='',
                protocols=lun.protocols),
            lun)
        self.assertEqual({'fc': None, 'iscsi': None}, dict(lun.protocols))
        self.assertEqual('', lun.exported_to)
        self.assertFalse(lun.iscsi_mapped)

    def test_detail_list_from_reference(self):
        luns = records.LunDetailList.from_answer(
            [REF_LUN_DETAIL, REF_LUN_DETAIL_LIST_EXPORTED])
        lun = luns.by_name('x')
        self.assertEqual((1100585369600, 'thin', 16, 't1', True),
                         (lun.size, lun.provision_type, lun.qos_priority,
                          lun.exported_to, lun.iscsi_mapped))

    def test_numbers_as_strings_or_ints(self):
        for size, blocksize, qos in (('1073741824', '16384', '128'),
                                     (GiB, 16384, 128),
                                     ('1073741824.0', '16384', 128.0)):
            lun = records.Lun.from_answer(dict(
                REF_LUN_DETAIL, vol_size=size, blocksize=blocksize,
                qos_priority=qos))
            self.assertEqual((GiB, 16384, 128),
                             (lun.size, lun.blocksize, lun.qos_priority))

    def test_optional_fields_missing(self):
        lun = records.Lun.from_answer({'vol_id': 'a' * 40})
        self.assertEqual(records.Lun('a' * 40), lun)
        self.assertEqual(('', None, '', None),
                         (lun.clone, lun.size, lun.exported_to,
                          lun.iscsi_mapped))
        lun = records.Lun.from_answer({'vol_size': 'big', 'clone': None,
                                       'qos_priority': None}, 'b' * 40)
        self.assertEqual(('b' * 40, None, '', None),
                         (lun.id, lun.size, lun.clone, lun.qos_priority))
        entry = records.LunList.from_answer([{'vol_id': 'c' * 40}])[0]
        self.assertEqual(('c' * 40, None, None), (entry.id, entry.name,
                                                  entry.pool))

    def test_malformed(self):
        self.assertMalformed(records.LunList.from_answer, {'success': True})
        self.assertMalformed(records.LunList.from_answer, [1, 'a', None])
        self.assertMalformed(records.LunList.from_answer, [{'name': 'x'}])
        self.assertMalformed(records.Lun.from_answer, [])
        self.assertMalformed(records.Lun.from_answer, {'vol_id': 7})
        self.assertMalformed(records.Lun.from_answer,
                             dict(REF_LUN_DETAIL, protocols='iscsi'))
        self.assertMalformed(records.LunDetailList.from_answer,
                             {'luns': 5})

    def test_created_and_cloned_ids(self):
        self.assertEqual('4634e3ce77ea33204561cc96b764745350e7c601',
                         records.created_lun_id(REF_LUN_CREATE))
        self.assertEqual('635085887d0955f883fce8ecac310d7e4129f6f1',
                         records.cloned_lun_id(REF_SNAPSHOT_CLONE))
        for bad in ({'success': True}, {'luns': []}, {'luns': 5},
                    {'luns': [{'vol_id': 7}]}, [1]):
            self.assertMalformed(records.created_lun_id, bad)
        for bad in ({'success': True}, {'vol_id': ''}, {'vol_id': 7}, []):
            self.assertMalformed(records.cloned_lun_id, bad)


class SnapshotTest(ParsingTestCase):
    """Snapshot and SnapshotList (GET /snapshot, /snapshot/list)."""

    def test_list_from_reference(self):
        snaps = records.SnapshotList.from_answer(REF_SNAPSHOT_LIST)
        self.assertEqual(1, len(snaps))  # Share snapshots left out.
        snap = snaps.by_name('x')
        self.assertEqual(('816479d3d58565ea7670d7c3dc9a25fb143e96e6', 'x',
                          'x', 'nvme1', None, False),
                         (snap.id, snap.name, snap.lun_name, snap.pool,
                          snap.created, snap.has_clones))
        self.assertIsNone(snaps.by_name('dasd'))
        self.assertEqual({'x': snap.id}, snaps.ids_by_name())
        self.assertIs(snap, snaps.find(snap.id, 'x'))
        self.assertIs(snap, snaps.find(name='x'))
        self.assertIsNone(snaps.find(snap.id, 'y'))
        self.assertIsNone(snaps.find('z' * 40))

    def test_detail_list_from_reference(self):
        snap = records.SnapshotList.from_answer(REF_SNAPSHOT_DETAIL_LIST)[0]
        self.assertEqual(('x', '1713251666', False),
                         (snap.lun_name, snap.created, snap.has_clones))

    def test_created_id_from_reference(self):
        self.assertEqual('29888b321cc465bb59a3cb1e2aca93a5e1ebbdc2',
                         records.created_snapshot_id(REF_SNAPSHOT_CREATE))
        snap = records.Snapshot.from_answer(REF_SNAPSHOT_CREATE)
        self.assertEqual(('sada21sd212', '1742901074'),
                         (snap.lun_name, snap.created))

    def test_flags_and_missing_fields(self):
        for binded, clones in ((1, True), ('1', True), ('true', True),
                               (True, True), (0, False), ('0', False),
                               (None, False)):
            snap = records.Snapshot.from_answer(
                {'snap_id': 'a' * 40, 'binded': binded})
            self.assertEqual(clones, snap.has_clones, binded)
        self.assertEqual((None, None, None),
                         (snap.name, snap.lun_name, snap.created))
        self.assertEqual((), records.SnapshotList.from_answer(
            {'success': True}))
        self.assertEqual((), records.SnapshotList.from_answer(
            {'luns': None}))
        self.assertEqual('12', records.Snapshot.from_answer(
            {'snap_id': 'a' * 40, 'created': 12}).created)

    def test_malformed(self):
        self.assertMalformed(records.SnapshotList.from_answer, [])
        self.assertMalformed(records.SnapshotList.from_answer, {'luns': 5})
        self.assertMalformed(records.SnapshotList.from_answer,
                             {'luns': [{'snap_name': 'x'}]})
        self.assertMalformed(records.created_snapshot_id, {'snap_id': []})


class TargetTest(ParsingTestCase):
    """Targets: list, detail with its LUN map, create, Add/Delete LUN."""

    def test_detail_from_reference(self):
        target = records.Target.from_answer(REF_TARGET_DETAIL)
        self.assertEqual(
            records.Target(
                id='fc9a57b1fd478fa0aa72fb1bb81cd5129eb1de3f', name='t1',
                owner='1', iqn='iqn.2015-03.com.ngxio.rsa3q866:t1',
                iqn_name='iqn.2015-03.com.ngxio.rsa3q866', group_id='1',
                luns=target.luns),
            target)
        self.assertEqual({'fe8a213fd118cef3010239b167fa86fe88c8d101': 0},
                         dict(target.luns))
        listed = records.TargetDetailList.from_answer([REF_TARGET_DETAIL])
        self.assertEqual(target, listed.by_name('t1'))

    def test_list_from_reference(self):
        targets = records.TargetList.from_answer(REF_TARGET_LIST)
        self.assertEqual(
            records.TargetEntry('fc9a57b1fd478fa0aa72fb1bb81cd5129eb1de3f',
                                't1', '1'), targets.by_name('t1'))

    def test_create_and_lun_answers_from_reference(self):
        created = records.CreatedTarget.from_answer(REF_TARGET_CREATE)
        self.assertEqual('25b80791bdaabec51b01c255dbab10247970b80c',
                         created.id)
        self.assertEqual({'f98d89b9fd828e0cbe86af842e6ea55f87860178': 7,
                          'bdb27f44018f8162773956a1fe2a935b5323a73e': 8},
                         dict(created.luns))
        self.assertEqual({'635085887d0955f883fce8ecac310d7e4129f6f1': 0},
                         records.lun_map(REF_TARGET_ADD_LUN))
        self.assertEqual({'3ba3d42df37c4d0fc74335f59f316e87e795f6e0': 1},
                         records.lun_map(REF_TARGET_DELETE_LUN))

    def test_numbers_and_missing_fields(self):
        self.assertEqual({'a' * 40: 3}, records.lun_map(
            {'luns': [{'vol_id': 'a' * 40, 'lun_number': 3}]}))
        self.assertEqual({}, records.lun_map({'success': True}))
        self.assertEqual({}, records.lun_map({'luns': None}))
        target = records.Target.from_answer(
            {'scsi_target_name': 't', 'target_iqn': 'iqn.x:t'}, 'b' * 40)
        self.assertEqual(('b' * 40, '', None, None, {}),
                         (target.id, target.owner, target.iqn_name,
                          target.group_id, dict(target.luns)))
        self.assertEqual(('', ''), (lambda e: (e.name, e.owner))(
            records.TargetEntry.from_answer({'scsi_id': 'c' * 40})))
        # An empty create answer (the reference's prose) has no id.
        self.assertMalformed(records.CreatedTarget.from_answer, {})

    def test_malformed(self):
        for bad in ({'luns': 5}, {'luns': [{'vol_id': 'a' * 40}]},
                    {'luns': [{'vol_id': 'a' * 40, 'lun_number': 'x'}]},
                    {'luns': [{'lun_number': '0'}]}, {'luns': [None]}):
            self.assertMalformed(records.lun_map, bad)
        for key in ('scsi_target_name', 'target_iqn', 'scsi_id'):
            detail = dict(REF_TARGET_DETAIL)
            del detail[key]
            self.assertMalformed(records.Target.from_answer, detail)
        self.assertMalformed(records.TargetList.from_answer,
                             [{'scsi_target_name': 't'}])
        self.assertMalformed(records.TargetDetailList.from_answer, {})


class AuthGroupTest(ParsingTestCase):
    """Auth groups: list, detail (IQNs, CHAP), create."""

    def test_detail_from_reference(self):
        group = records.AuthGroup.from_answer(REF_AUTH_GROUP_DETAIL)
        self.assertEqual(('59f5004ecb2944f1b456c904f2e9ee9e541c31bb',
                          'sisitv', 'RSA3Q866_A'),
                         (group.id, group.name, group.owner))
        self.assertEqual({'iqn.2016-04.com.open-iscsi:751a7fe0b28':
                          'aa5fce737911a2686ca219a71c8e784e8116623b'},
                         dict(group.iqns))
        self.assertEqual(('dddggg', 'chfsgsdf435345'), group.chap)
        self.assertNotIn('chfsgsdf435345', repr(group))

    def test_list_from_reference(self):
        groups = records.AuthGroupList.from_answer(REF_AUTH_GROUP_LIST)
        self.assertEqual(records.AuthGroupEntry('1', 'DefaultAuthGroup'),
                         groups.by_name('DefaultAuthGroup'))
        self.assertEqual('RSA3Q866_A', groups.by_name('test').owner)
        self.assertEqual('test', groups.by_id(
            '8e60d81b35c914076015c62845fe5112baf60985').name)
        self.assertNotIn('qaxwscedrfv4', repr(groups))

    def test_created_id_from_reference(self):
        self.assertEqual('553bf10cef175f3c3a6d607cfe3987d9d2cce412',
                         records.created_group_id(REF_AUTH_GROUP_CREATE))

    def test_chap_status_and_missing_fields(self):
        chap = {'username': 'u', 'password': 'p' * 12}
        for status, on in ((1, True), ('1', True), ('true', True),
                           (0, False), ('0', False), (None, False)):
            group = records.AuthGroup.from_answer(
                {'chap_status': status, 'chap': chap}, 'g')
            self.assertEqual(('u', 'p' * 12) if on else None, group.chap)
        # CHAP on without the credential: on, but nothing known of it.
        group = records.AuthGroup.from_answer({'chap_status': 1}, 'g')
        self.assertEqual(('g', None, None, {}, (None, None)),
                         (group.id, group.name, group.owner,
                          dict(group.iqns), group.chap))

    def test_masked_or_omitted_secret_is_unknown(self):
        """A masked secret is None, never the mask handed to a host."""
        for status in (1, True, 'true'):
            for password in ('********', '', None, '****', '•' * 8):
                chap = {'username': 'u'}
                if password is not None:
                    chap['password'] = password
                group = records.AuthGroup.from_answer(
                    {'chap_status': status, 'chap': chap}, 'g')
                self.assertEqual(('u', None), group.chap)
        group = records.AuthGroup.from_answer(
            {'initiator': [{'iqn': 'iqn.x'}], 'group_id': 'h'})
        self.assertEqual(('h', {'iqn.x': None}), (group.id,
                                                  dict(group.iqns)))

    def test_malformed(self):
        bad_details = ({'initiator': 'x'}, {'initiator': [{'id': 'y'}]},
                       {'chap_status': 1, 'chap': 'x'}, [])
        for bad in bad_details:
            self.assertMalformed(records.AuthGroup.from_answer, bad, 'g')
        self.assertMalformed(records.AuthGroup.from_answer, {})
        self.assertMalformed(records.AuthGroupList.from_answer,
                             [{'group_name': 'x'}])
        self.assertMalformed(records.created_group_id, {'id': {}})


class CapacityAndStatusTest(ParsingTestCase):
    """PoolCapacity and the start-up records."""

    def test_capacity_from_reference(self):
        capacity = records.PoolCapacity.from_answer(REF_CAPACITY, 'test')
        self.assertEqual(
            records.PoolCapacity('test', total_size=11544872091648,
                                 free_size=11215018603315,
                                 allocated=265214230528,
                                 logical_avail=7303574094336,
                                 logical_reserved=225168031232),
            capacity)
        # Usable: logical_avail free; the raw total in the same unit.
        self.assertEqual(7303574094336, capacity.free)
        self.assertEqual(11544872091648 * 7303574094336 // 11215018603315,
                         capacity.total)
        # What is used, so read, is within 5 % of what the protocols use
        # (logical_reserved), which the driver does not need to trust.
        usage = REF_CAPACITY['test']['protocol_usage']
        protocols = sum(int(v) for v in usage.values())
        self.assertLess(abs(capacity.used - protocols) / protocols, 0.05)
        self.assertLess(abs(capacity.logical_reserved - protocols)
                        / protocols, 0.0002)

    def test_capacity_under_other_readings(self):
        """Right whether logical_reserved is provisioned or used."""
        # The simulator's strict reading: logical fields = raw ones,
        # logical_reserved the (over-subscribed) provisioned sizes.
        strict = records.PoolCapacity.from_answer({'p': {'info': {
            'total_size': '100', 'free_size': '60', 'allocated_size': '40',
            'logical_avail': '60', 'logical_reserved': '900'}}}, 'p')
        self.assertEqual((100, 60, 40), (strict.total, strict.free,
                                         strict.used))
        # logical_avail 65 % of free_size (redundancy not in the raw).
        example = records.PoolCapacity.from_answer({'p': {'info': {
            'total_size': '1000', 'free_size': '600',
            'allocated_size': '400', 'logical_avail': '390',
            'logical_reserved': '260'}}}, 'p')
        self.assertEqual((650, 390, 260), (example.total, example.free,
                                           example.used))
        # A full pool: no ratio to read; what is used counts.
        full = records.PoolCapacity.from_answer({'p': {'info': {
            'total_size': '100', 'free_size': '0', 'allocated_size': '70',
            'logical_avail': '0'}}}, 'p')
        self.assertEqual((70, 0), (full.total, full.free))

    def test_capacity_missing_and_numbers(self):
        self.assertEqual(records.PoolCapacity('nope'),
                         records.PoolCapacity.from_answer(REF_CAPACITY,
                                                          'nope'))
        raw_only = records.PoolCapacity.from_answer(
            {'p': {'info': {'total_size': 5, 'free_size': 'x'}}}, 'p')
        self.assertEqual(records.PoolCapacity('p', total_size=5,
                                              free_size=0), raw_only)
        self.assertEqual((5, 0, 5), (raw_only.total, raw_only.free,
                                     raw_only.used))
        self.assertEqual(records.PoolCapacity('p'),
                         records.PoolCapacity.from_answer(
                             {'p': {'info': 'x'}}, 'p'))
        self.assertMalformed(records.PoolCapacity.from_answer, [], 'p')

    def test_services_rates_cpu(self):
        services = records.Services.from_answer(
            {'san': 0, 'nfs': 1, 'cifs': '1'})
        self.assertIs(False, services.running('san'))
        self.assertIs(True, services.running('cifs'))
        self.assertIsNone(services.running('s3'))
        self.assertEqual(records.Rates(1, 2, 3), records.Rates.from_answer(
            {'read': 1, 'write': '2', 'total': 3}))
        self.assertEqual(records.Rates(), records.Rates.from_answer({}))
        cpu = records.Cpu.from_answer({'current_utilization': 4,
                                       'average_utilization': 1,
                                       'load_1_min': '0.38'})
        self.assertEqual((4, 1, 0.38), (cpu.utilization,
                                        cpu.average_utilization,
                                        cpu.load_1_min))
        self.assertEqual(1786924800,
                         records.Licence.from_answer(REF_LICENSE).expire_time)
        for parse in (records.Services.from_answer,
                      records.Rates.from_answer, records.Cpu.from_answer):
            self.assertMalformed(parse, [])

    def test_status_records_from_reference(self):
        self.assertEqual(64, records.SystemInfo.from_answer(
            REF_SYSTEM_INFO).maxlun)
        self.assertEqual(64, records.SystemInfo.from_answer({}).maxlun)
        self.assertEqual(32, records.SystemInfo.from_answer(
            {'maxlun': 32}).maxlun)
        licence = records.Licence.from_answer(REF_LICENSE)
        self.assertTrue(all(licence.has(f) for f in
                            ('snapshot', 'clone', 'datareduce')))
        self.assertFalse(records.Licence.from_answer(
            {'snapshot': '0', 'clone': 'true'}).has('snapshot'))
        self.assertTrue(records.Licence.from_answer(
            {'clone': 'true'}).has('clone'))
        pools = records.PoolStatusList.from_answer(REF_POOL_STATUS)
        self.assertEqual(records.PoolStatus('test', 'ONLINE', 'RSA3Q866_A'),
                         pools.by_name('test'))
        self.assertEqual('1', records.PoolStatusList.from_answer(
            [{'pool_name': 'p'}]).by_name('p').owner)
        for parse in (records.SystemInfo.from_answer,
                      records.Licence.from_answer,
                      records.PoolStatusList.from_answer):
            self.assertMalformed(parse, 'x')

    def test_portal_groups(self):
        groups = records.PortalGroupList.from_answer(
            [{'id': 'a' * 40, 'portal_name': 'pg', 'owner': '1'}])
        self.assertEqual('a' * 40, groups.find('pg').id)
        self.assertEqual('pg', groups.find('a' * 40).name)
        self.assertEqual((), groups.find('pg').listen_ips)
        detail = records.PortalGroup.from_answer(
            {'id': 'a' * 40, 'listen_ips': ['192.0.2.10:3260', '192.0.2.11']})
        self.assertEqual(('192.0.2.10:3260', '192.0.2.11'), detail.listen_ips)
        self.assertMalformed(records.PortalGroup.from_answer,
                             {'id': 'a' * 40, 'listen_ips': 3})

    def test_listen_ips_shapes(self):
        """Strings, objects, a comma string: all read (API-NOTES 11)."""
        cases = [
            (['192.0.2.10', '192.0.2.11:3261'],
             ('192.0.2.10', '192.0.2.11:3261')),
            ([{'ip': '192.0.2.10', 'port': 3260},
              {'address': '2001:db8::7', 'port': '3261'},
              {'host': '192.0.2.12'}],
             ('192.0.2.10:3260', '[2001:db8::7]:3261', '192.0.2.12')),
            ('192.0.2.10:3260, 192.0.2.11', ('192.0.2.10:3260',
                                             '192.0.2.11')),
            (None, ()), ('', ()),
        ]
        for value, expected in cases:
            detail = records.PortalGroup.from_answer(
                {'id': 'a' * 40, 'listen_ips': value})
            self.assertEqual(expected, detail.listen_ips, value)
        for bad in ([{'port': 3260}], [None], [True]):
            self.assertMalformed(records.PortalGroup.from_answer,
                                 {'id': 'a' * 40, 'listen_ips': bad})

    def test_maxlun_not_a_limit(self):
        for value, expected in (('64', 64), ('16', 16), ('0', 64), (0, 64),
                                ('-1', 64), (None, 64), ('x', 64)):
            self.assertEqual(expected, records.SystemInfo.from_answer(
                {'maxlun': value}).maxlun, value)


class SimulatorAnswersTest(ParsingTestCase):
    """Every record from the answers of a live simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = Simulator(pools=('pool1:100G', 'pool2:50G:B'),
                            portals=('127.0.0.1:3260', '127.0.0.2'))
        cls.sim.__enter__()
        cls.client = client.NGXStorageClient(cls.sim.url, cls.sim.token,
                                             retries=0)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.sim.__exit__(None, None, None)
        super().tearDownClass()

    def _lun(self, name, pool='pool1', size=1):
        vol_id = records.created_lun_id(self.client.create_lun(
            pool, name, size, thin_provision='on'))
        self.addCleanup(self.client.delete_lun, vol_id)
        return vol_id

    def test_luns(self):
        c = self.client
        vol_id = self._lun('reclun1', size=2)
        entry = records.LunList.from_answer(c.list_luns()).by_name('reclun1')
        self.assertEqual((vol_id, 'pool1'), (entry.id, entry.pool))
        self.assertTrue(entry.owner)
        lun = records.Lun.from_answer(c.get_lun(vol_id))
        self.assertEqual((vol_id, 'reclun1', 'pool1', entry.owner, 2 * GiB,
                          'thin', '', '', None),
                         (lun.id, lun.name, lun.pool, lun.owner, lun.size,
                          lun.provision_type, lun.clone, lun.exported_to,
                          lun.protocols.get('fc')))
        for value in (lun.blocksize, lun.qos_priority):
            self.assertIsInstance(value, int)
        for value in (lun.compress, lun.dedup, lun.flash_cache,
                      lun.dram_cache, lun.io_type):
            self.assertIsInstance(value, str)
        self.assertFalse(lun.iscsi_mapped)
        listed = records.LunDetailList.from_answer(c.list_luns_detail())
        self.assertEqual(lun, listed.by_name('reclun1'))

    def test_snapshots_and_clones(self):
        c = self.client
        vol_id = self._lun('reclun2')
        snap_id = records.created_snapshot_id(
            c.create_snapshot('recsnap', vol_id))
        self.addCleanup(c.delete_snapshot, snap_id)
        clone_id = records.cloned_lun_id(c.clone_snapshot(snap_id,
                                                          'recclone'))
        self.addCleanup(c.delete_lun, clone_id)
        snap = records.SnapshotList.from_answer(
            c.list_snapshots(vol_id=vol_id)).by_name('recsnap')
        self.assertEqual((snap_id, 'reclun2', 'pool1'),
                         (snap.id, snap.lun_name, snap.pool))
        detailed = records.SnapshotList.from_answer(
            c.list_snapshots_detail(vol_id=vol_id)).by_id(snap_id)
        self.assertEqual(('recsnap', 'reclun2', True),
                         (detailed.name, detailed.lun_name,
                          detailed.has_clones))
        self.assertTrue(detailed.created.isdigit())
        clone = records.Lun.from_answer(c.get_lun(clone_id))
        self.assertEqual('reclun2@recsnap', clone.clone)

    def test_targets_and_auth_groups(self):
        c = self.client
        vol_id = self._lun('reclun3')
        vol_id2 = self._lun('reclun4')
        owner = records.Lun.from_answer(c.get_lun(vol_id)).owner
        group_id = records.created_group_id(c.create_auth_group('recgrp',
                                                                owner))
        self.addCleanup(c.delete_auth_group, group_id)
        iqn = 'iqn.1993-08.org.debian:01:107dc7e4254a'
        c.add_auth_group_iqn(group_id, iqn, 'h1', owner)
        c.set_auth_group_chap(group_id, 'recuser', 'Qaxw5cedrfv4', owner)
        group = records.AuthGroup.from_answer(c.get_auth_group(group_id))
        self.assertEqual((group_id, 'recgrp', owner, ('recuser',
                                                      'Qaxw5cedrfv4')),
                         (group.id, group.name, group.owner, group.chap))
        self.assertEqual([iqn], list(group.iqns))
        self.assertTrue(group.iqns[iqn])
        listed = records.AuthGroupList.from_answer(c.list_auth_groups())
        self.assertEqual(group_id, listed.by_name('recgrp').id)
        self.assertEqual('1', listed.by_name('DefaultAuthGroup').id)

        pg = records.PortalGroupList.from_answer(
            c.list_portal_groups()).find(self.sim.portal_group_id)
        created = records.CreatedTarget.from_answer(c.create_target(
            'rectgt', group_id, pg.id, owner, lun_ids=[vol_id]))
        self.addCleanup(c.delete_target, created.id)
        self.assertEqual({vol_id: 0}, dict(created.luns))
        # Add LUN answers the LUNs added.
        self.assertEqual({vol_id2: 1}, records.lun_map(
            c.add_target_luns(created.id, [vol_id2], owner)))
        target = records.Target.from_answer(c.get_target(created.id))
        self.assertEqual((created.id, 'rectgt', owner, group_id,
                          '%s:rectgt' % target.iqn_name,
                          {vol_id: 0, vol_id2: 1}),
                         (target.id, target.name, target.owner,
                          target.group_id, target.iqn, dict(target.luns)))
        self.assertEqual(target, records.TargetDetailList.from_answer(
            c.list_targets_detail()).by_id(created.id))
        entry = records.TargetList.from_answer(c.list_targets()).by_id(
            created.id)
        self.assertEqual(('rectgt', owner), (entry.name, entry.owner))
        lun = records.Lun.from_answer(c.get_lun(vol_id))
        self.assertTrue(lun.iscsi_mapped)
        self.assertIn('rectgt', lun.exported_to)
        self.assertEqual({vol_id2: 1}, records.lun_map(
            c.remove_target_luns(created.id, [vol_id], owner)))
        c.remove_target_luns(created.id, [vol_id2], owner)

    def test_capacity_and_status(self):
        c = self.client
        capacity = records.PoolCapacity.from_answer(c.get_capacity(),
                                                    'pool1')
        self.assertEqual(100 * GiB, capacity.total)
        self.assertGreater(capacity.free, 0)
        self.assertLessEqual(capacity.free, capacity.total)
        for value in (capacity.allocated, capacity.used):
            self.assertIsInstance(value, int)
        self.assertEqual(64, records.SystemInfo.from_answer(
            c.get_system_info()).maxlun)
        licence = records.Licence.from_answer(c.get_license())
        self.assertTrue(licence.has('snapshot') and licence.has('clone'))
        pools = records.PoolStatusList.from_answer(c.get_pool_status())
        self.assertEqual('ONLINE', pools.by_name('pool1').status)
        self.assertNotEqual(pools.by_name('pool1').owner,
                            pools.by_name('pool2').owner)
        group = records.PortalGroup.from_answer(
            c.get_portal_group(self.sim.portal_group_id))
        self.assertEqual(('127.0.0.1:3260', '127.0.0.2:3260'),
                         group.listen_ips)
