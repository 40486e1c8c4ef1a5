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

"""Each variant of ``simulator.variants`` on the wire (over HTTP).

Every test class names the variants it runs with in ``VARIANTS``; the
unit test ``tests.unit.simulator.test_variants`` checks that every
registered variant is covered by some class here or there.
"""

import os
import shutil
import tempfile

from tests.functional.simulator import base
from tests.functional.simulator import test_cli

API = base.API
GiB = 1 << 30
MiB = 1 << 20


class VariantTestCase(base.SimulatorTestCase):
    """A simulator answering by ``VARIANTS``, with a few HTTP helpers."""

    VARIANTS = ()

    def setUp(self):
        self.SIM_KWARGS = dict(self.SIM_KWARGS, variants=list(self.VARIANTS))
        super(VariantTestCase, self).setUp()

    def ok(self, method, path, **kwargs):
        """Send a request, assert 200 and return the JSON body."""
        response = self.http.request(method, API + path, **kwargs)
        self.assertEqual(200, response.status_code, response.text)
        return response.json()

    def lun(self, name, **extra):
        return self.http.create_lun(name, **extra)

    def scsi_lunid(self, vol_id):
        return self.sim.state.lun_detail(params={'vol_id': vol_id})[
            'scsi_lunid']

    def target(self, name, lun_ids=None):
        body = {'name': name, 'auth_group_id': '1',
                'portal_group_id': self.sim.portal_group_id, 'owner': '1'}
        if lun_ids:
            body['lun_ids'] = lun_ids
        self.ok('POST', '/target/iscsi/', json=body)
        return [t for t in self.sim.state.export_view()['targets']
                if t['name'] == name][0]

    def add(self, target_id, lun_ids):
        return self.http.request('PUT', API + '/iscsi_target/lun/%s/'
                                 % target_id,
                                 json={'lun_ids': lun_ids, 'owner': '1'})

    def remove(self, target_id, lun_ids):
        return self.http.request('PATCH', API + '/iscsi_target/lun/%s'
                                 % target_id,
                                 json={'lun_ids': lun_ids, 'owner': '1'})

    def snapshot(self, vol_id, name):
        return self.ok('POST', '/snapshot/',
                       json={'name': name, 'volume_id': vol_id})['snap_id']

    def clone(self, snap_id, name):
        return self.ok('POST', '/snapshot/clone/%s' % snap_id,
                       json={'name': name})['vol_id']

    def group_with_chap(self):
        group_id = self.ok('POST', '/auth_group/',
                           json={'name': 'g1', 'owner': '1'})['id']
        self.ok('PATCH', '/auth_group/chap/%s' % group_id,
                json={'username': 'user1', 'password': 'secret-123456',
                      'owner': '1'})
        return group_id

    def duplicate_lun(self):
        self.lun('vol1')
        return self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'vol1', 'size': 1})


class TestCommandLineVariants(VariantTestCase):
    """``ngxstorage-simulator --variant`` serves the variants it names."""

    VARIANTS = ('conflict-422', 'listen-csv')

    def test_cli_variants(self):
        proc = test_cli.CliProcess(self, '--variant', 'conflict-422',
                                   '--variant', 'listen-csv')
        ready = proc.ready()
        self.assertEqual(['conflict-422', 'listen-csv'], ready['variants'])
        client = base.HttpClient(test_cli._Endpoint(ready))
        self.addCleanup(client.close)
        client.create_lun('vol1')
        response = client.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'vol1', 'size': 1})
        self.assertEqual(422, response.status_code)
        response = client.request('GET', API + '/portal_group/%s'
                                  % ready['portal_group_id'])
        self.assertEqual('127.0.0.1:3260', response.json()['listen_ips'])
        code, _out, _err = proc.stop()
        self.assertEqual(0, code)


# -- refusals ----------------------------------------------------------------

class TestConflictStatuses(VariantTestCase):
    VARIANTS = ('conflict-400',)

    def test_conflict_is_400(self):
        self.assertError(self.duplicate_lun(), 400, 'already exists')
        self.assertError(self.http.request('GET', API + '/lun/' + 'a' * 40),
                         404)


class TestConflict422(VariantTestCase):
    VARIANTS = ('conflict-422',)

    def test_conflict_is_422(self):
        self.assertError(self.duplicate_lun(), 422, 'already exists')


class TestConflict200(VariantTestCase):
    VARIANTS = ('conflict-200',)

    def test_conflict_is_200_success_false(self):
        self.assertError(self.duplicate_lun(), 200, 'already exists')
        response = self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'bad name', 'size': 1})
        self.assertError(response, 400, 'name')


class TestReasonInErrorField(VariantTestCase):
    VARIANTS = ('reason-in-error-field',)

    def test_reason_in_error(self):
        conflict = self.duplicate_lun()
        for response, status in (
                (conflict, 409),
                (self.http.request('GET', API + '/lun/' + 'a' * 40), 404),
                (self.http.request('GET', API + '/lun/', token=False), 401)):
            self.assertEqual(status, response.status_code)
            body = response.json()
            self.assertEqual({'success', 'error'}, set(body))
            self.assertIs(False, body['success'])
        self.assertIn('already exists', conflict.json()['error'])


class TestErrorsWithoutJson(VariantTestCase):
    VARIANTS = ('errors-without-json',)

    def test_failures_are_text(self):
        response = self.duplicate_lun()
        self.assertEqual(409, response.status_code)
        self.assertTrue(response.headers['Content-Type'].startswith(
            'text/plain'))
        self.assertIn('already exists', response.text)
        self.assertRaises(ValueError, response.json)
        response = self.http.request('GET', API + '/lun/' + 'a' * 40)
        self.assertEqual(404, response.status_code)
        self.assertRaises(ValueError, response.json)
        # Successes stay JSON.
        self.assertEqual([], self.ok('GET', '/iscsi_target/'))


class TestCombinedRefusals(VariantTestCase):
    VARIANTS = ('conflict-422', 'reason-in-error-field',
                'strings-for-booleans')

    def test_combined(self):
        response = self.duplicate_lun()
        self.assertEqual(422, response.status_code)
        body = response.json()
        self.assertEqual('false', body['success'])
        self.assertIn('already exists', body['error'])


# -- answers -----------------------------------------------------------------

class TestTargetCreateEmpty(VariantTestCase):
    VARIANTS = ('target-create-empty',)

    def test_empty_answer(self):
        vol_id = self.lun('vol1')
        answer = self.ok('POST', '/target/iscsi/', json={
            'name': 't1', 'auth_group_id': '1', 'owner': '1',
            'portal_group_id': self.sim.portal_group_id,
            'lun_ids': [vol_id]})
        self.assertEqual({}, answer)
        self.assertEqual(['t1'], [t['scsi_target_name']
                                  for t in self.ok('GET', '/iscsi_target/')])


class TestLunCreateNoId(VariantTestCase):
    VARIANTS = ('lun-create-no-id',)

    def test_no_vol_id(self):
        answer = self.ok('POST', '/lun/', json={
            'pool_name': 'pool1', 'name': 'vol1', 'size': 1})
        self.assertEqual(1, len(answer['luns']))
        self.assertNotIn('vol_id', answer['luns'][0])
        self.assertIn('scsi_lunid', answer['luns'][0])
        self.assertEqual(['vol1'], [lun['name']
                                    for lun in self.ok('GET', '/lun/')])


class TestBareMappingAnswers(VariantTestCase):
    VARIANTS = ('lun-add-bare', 'lun-remove-bare')

    def test_add_and_remove_answer_bare(self):
        vol1, vol2 = self.lun('vol1'), self.lun('vol2')
        target = self.target('t1')
        response = self.add(target['id'], [vol1, vol2])
        self.assertEqual({'success': True}, response.json())
        detail = self.ok('GET', '/iscsi_target/%s' % target['id'])
        self.assertEqual(['0', '1'], [e['lun_number']
                                      for e in detail['luns']])
        response = self.remove(target['id'], [vol1])
        self.assertEqual({'success': True}, response.json())
        detail = self.ok('GET', '/iscsi_target/%s' % target['id'])
        self.assertEqual([vol2], [e['vol_id'] for e in detail['luns']])


class TestLunModifyBare(VariantTestCase):
    VARIANTS = ('lun-modify-bare',)

    def test_no_vol_size(self):
        vol_id = self.lun('vol1')
        self.assertEqual({'success': True}, self.ok(
            'PATCH', '/lun/%s' % vol_id, json={'size': 2}))
        self.assertEqual(str(2 * GiB),
                         self.ok('GET', '/lun/%s' % vol_id)['vol_size'])


class TestStringsForNumbers(VariantTestCase):
    VARIANTS = ('strings-for-numbers',)

    def test_integers_are_strings(self):
        vol_id = self.lun('vol1')
        self.assertEqual('16', self.ok('GET', '/lun/%s' % vol_id)[
            'qos_priority'])
        snap = self.ok('POST', '/snapshot/', json={'name': 's1',
                                                   'volume_id': vol_id})
        self.assertEqual(('0', '1'), (snap['binded'], snap['restore']))
        info = self.ok('GET', '/status/system_info')
        self.assertEqual('1', info['luns'])
        self.assertIs(True, self.ok('DELETE', '/snapshot/%s'
                                    % snap['snap_id'])['success'])


class TestJsonNumbers(VariantTestCase):
    VARIANTS = ('json-numbers',)

    def test_numeric_strings_are_integers(self):
        vol_id = self.lun('vol1')
        detail = self.ok('GET', '/lun/%s' % vol_id)
        self.assertEqual(GiB, detail['vol_size'])
        self.assertEqual(16384, detail['blocksize'])
        self.assertEqual('pool1', detail['pool_name'])
        self.assertEqual('1', detail['owner'])
        target = self.target('t1', [vol_id])
        detail = self.ok('GET', '/iscsi_target/%s' % target['id'])
        self.assertEqual(0, detail['luns'][0]['lun_number'])
        self.assertEqual(64, self.ok('GET', '/status/system_info')['maxlun'])
        usage = self.ok('GET', '/status/capacity')['pool1']
        self.assertEqual(GiB, usage['protocol_usage']['iscsi'])
        self.assertIsInstance(usage['info']['free_size'], int)


class TestJsonBooleans(VariantTestCase):
    VARIANTS = ('json-booleans',)

    def test_flags_are_booleans(self):
        vol_id = self.lun('vol1')
        answer = self.ok('POST', '/lun/', json={
            'pool_name': 'pool1', 'name': 'vol2', 'size': 1})
        self.assertIs(True, answer['luns'][0]['success'])
        snap = self.ok('POST', '/snapshot/', json={'name': 's1',
                                                   'volume_id': vol_id})
        self.assertEqual((False, True), (snap['binded'], snap['restore']))
        group_id = self.group_with_chap()
        self.assertIs(True, self.ok('GET', '/auth_group/%s' % group_id)[
            'chap_status'])
        self.assertIs(True, self.ok('GET', '/status/license')['snapshot'])
        self.assertEqual(16, self.ok('GET', '/lun/%s' % vol_id)[
            'qos_priority'])
        self.assertIs(False, self.duplicate_lun_again()['success'])

    def duplicate_lun_again(self):
        return self.http.request('POST', API + '/lun/', json={
            'pool_name': 'pool1', 'name': 'vol1', 'size': 1}).json()


class TestStringsForBooleans(VariantTestCase):
    VARIANTS = ('strings-for-booleans',)

    def test_success_is_a_string(self):
        vol_id = self.lun('vol1')
        self.assertEqual({'success': 'true'},
                         self.ok('DELETE', '/lun/%s' % vol_id))
        response = self.http.request('GET', API + '/lun/%s' % vol_id)
        self.assertEqual(404, response.status_code)
        self.assertEqual('false', response.json()['success'])


# -- identifiers -------------------------------------------------------------

class TestTargetIdNotScsiId(VariantTestCase):
    VARIANTS = ('target-id-not-scsi-id',)

    def test_scsi_id_differs_from_the_path_id(self):
        vol_id = self.lun('vol1')
        created = self.ok('POST', '/target/iscsi/', json={
            'name': 't1', 'auth_group_id': '1', 'owner': '1',
            'portal_group_id': self.sim.portal_group_id,
            'lun_ids': [vol_id]})
        target_id = created['id']
        listed = self.ok('GET', '/iscsi_target/')[0]
        self.assertNotEqual(target_id, listed['scsi_id'])
        self.assertRegex(listed['scsi_id'], '^[0-9a-f]{40}$')
        detail = self.ok('GET', '/iscsi_target/%s' % target_id)
        self.assertEqual(listed['scsi_id'], detail['scsi_id'])
        self.assertEqual(listed['scsi_id'], self.ok(
            'GET', '/iscsi_target/list')[0]['scsi_id'])
        self.assertError(self.http.request(
            'GET', API + '/iscsi_target/%s' % listed['scsi_id']), 404)
        # The data plane exports the target under its name's IQN.
        exported = self.sim.state.export_view()['targets'][0]
        self.assertEqual(detail['target_iqn'], exported['iqn'])


class TestLunIdsAreScsiLunids(VariantTestCase):
    VARIANTS = ('lun-ids-are-scsi-lunids',)

    def test_lun_ids_take_scsi_lunids(self):
        vol1, vol2 = self.lun('vol1'), self.lun('vol2')
        target = self.target('t1')
        self.assertError(self.add(target['id'], [vol1]), 404, vol1)
        response = self.add(target['id'], [self.scsi_lunid(vol1),
                                           self.scsi_lunid(vol2)])
        self.assertEqual(200, response.status_code, response.text)
        self.assertEqual([vol1, vol2],
                         [e['vol_id'] for e in response.json()['luns']])
        self.assertError(self.remove(target['id'], [vol1]), 404)
        response = self.remove(target['id'], [self.scsi_lunid(vol1)])
        self.assertEqual(200, response.status_code, response.text)
        # The data plane follows the array's truth: vol2 at LUN 1.
        luns = self.sim.state.export_view()['targets'][0]['luns']
        self.assertEqual([(vol2, 1)],
                         [(e['vol_id'], e['lun_number']) for e in luns])
        vol3 = self.lun('vol3')
        self.target('t2', [self.scsi_lunid(vol3)])


class TestLunNumbersArrayWide(VariantTestCase):
    VARIANTS = ('lun-numbers-array-wide',)

    def test_numbers_unique_across_targets(self):
        vol1, vol2, vol3 = self.lun('v1'), self.lun('v2'), self.lun('v3')
        first = self.target('t1', [vol1, vol2])
        second = self.target('t2')
        response = self.add(second['id'], [vol3])
        self.assertEqual('2', response.json()['luns'][0]['lun_number'])
        exported = {t['name']: [e['lun_number'] for e in t['luns']]
                    for t in self.sim.state.export_view()['targets']}
        self.assertEqual({'t1': [0, 1], 't2': [2]}, exported)
        self.remove(first['id'], [vol1])
        vol4 = self.lun('v4')
        response = self.add(second['id'], [vol4])
        self.assertEqual('0', response.json()['luns'][0]['lun_number'])


# -- dependencies ------------------------------------------------------------

class DataDirTestCase(VariantTestCase):
    """With LUN files, so the data plane's deletions show."""

    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix='ngx-variant-')
        self.addCleanup(shutil.rmtree, self.data_dir, True)
        self.SIM_KWARGS = dict(self.SIM_KWARGS, data_dir=self.data_dir)
        super(DataDirTestCase, self).setUp()

    def assertGone(self, vol_id):
        self.assertError(self.http.request('GET', API + '/lun/%s' % vol_id),
                         404)
        self.assertFalse(os.path.exists(self.sim.dataplane.lun_path(vol_id)))


class TestCascadeSnapshotClones(DataDirTestCase):
    VARIANTS = ('cascade-snapshot-clones',)

    def test_deleting_a_snapshot_deletes_its_clones(self):
        vol_id = self.lun('vol1')
        snap_id = self.snapshot(vol_id, 's1')
        clone_id = self.clone(snap_id, 'c1')
        inner = self.snapshot(clone_id, 'cs1')
        grandchild = self.clone(inner, 'c2')
        target = self.target('t1', [clone_id, grandchild])
        self.assertTrue(os.path.exists(self.sim.dataplane.lun_path(
            clone_id)))
        self.assertEqual({'success': True},
                         self.ok('DELETE', '/snapshot/%s' % snap_id))
        self.assertGone(clone_id)
        self.assertGone(grandchild)
        self.assertEqual([], self.ok('GET', '/snapshot/list')['luns'])
        self.assertEqual([], self.ok('GET', '/iscsi_target/%s'
                                     % target['id'])['luns'])
        self.assertEqual([], self.sim.state.export_view()['targets'][0][
            'luns'])
        self.assertEqual([vol_id], [lun['vol_id']
                                    for lun in self.ok('GET', '/lun/')])
        self.assertEqual(['vol1'], [lun['vol_name'] for lun in self.ok(
            'GET', '/lun/list')])


class TestCascadeDeleteAll(DataDirTestCase):
    VARIANTS = ('cascade-delete-all',)

    def test_delete_all_takes_the_clones(self):
        vol_id = self.lun('vol1')
        snap1 = self.snapshot(vol_id, 's1')
        self.snapshot(vol_id, 's2')
        clone_id = self.clone(snap1, 'c1')
        answer = self.ok('DELETE', '/snapshot/all/%s' % vol_id)
        self.assertEqual({'success': True}, answer)
        self.assertGone(clone_id)
        self.assertEqual([], self.ok('GET', '/snapshot/list')['luns'])
        self.assertEqual(0, len(os.listdir(os.path.join(self.data_dir,
                                                        'snapshots'))))
        # Without clones a snapshot alone still goes (strict rule).
        self.snapshot(vol_id, 's3')
        self.ok('DELETE', '/snapshot/all/%s' % vol_id)


class TestCascadeRestore(DataDirTestCase):
    VARIANTS = ('cascade-restore',)

    def test_restoring_an_older_snapshot_deletes_newer_ones(self):
        vol_id = self.lun('vol1')
        snap1 = self.snapshot(vol_id, 's1')
        snap2 = self.snapshot(vol_id, 's2')
        snap3 = self.snapshot(vol_id, 's3')
        clone_id = self.clone(snap3, 'c1')
        self.assertIs(True, self.ok('POST', '/snapshot/restore/%s'
                                    % snap1)['success'])
        self.assertGone(clone_id)
        listed = self.ok('GET', '/snapshot/list', params={'vol_id': vol_id})
        self.assertEqual([(snap1, 1)], [(s['snap_id'], s['restore'])
                                        for s in listed['luns']])
        for gone in (snap2, snap3):
            self.assertError(self.http.request(
                'GET', API + '/snapshot/%s' % gone), 404)
            self.assertFalse(os.path.exists(
                self.sim.dataplane.snapshot_path(gone)))


# -- secrets -----------------------------------------------------------------

class TestChapMasked(VariantTestCase):
    VARIANTS = ('chap-masked',)

    def test_secret_masked(self):
        group_id = self.group_with_chap()
        for chap in (self.ok('GET', '/auth_group/%s' % group_id)['chap'],
                     self.ok('GET', '/auth_group/list')[1]['chap'],
                     self.ok('GET', '/auth_group/')[1]['chap']):
            self.assertEqual({'username': 'user1', 'password': '********'},
                             chap)
        group = [g for g in self.sim.state.export_view()['auth_groups']
                 if g['id'] == group_id][0]
        self.assertEqual('secret-123456', group['chap']['password'])


class TestChapOmitted(VariantTestCase):
    VARIANTS = ('chap-omitted', 'chap-status-bool')

    def test_secret_omitted_and_status_boolean(self):
        group_id = self.group_with_chap()
        detail = self.ok('GET', '/auth_group/%s' % group_id)
        self.assertEqual({'username': 'user1'}, detail['chap'])
        self.assertIs(True, detail['chap_status'])
        self.ok('DELETE', '/auth_group/chap/%s' % group_id)
        detail = self.ok('GET', '/auth_group/%s' % group_id)
        self.assertIs(False, detail['chap_status'])
        self.assertNotIn('chap', detail)


# -- export shapes -----------------------------------------------------------

class PortalsTestCase(VariantTestCase):
    PORTALS = ('127.0.0.1:3260', '127.0.0.2:3261')

    def setUp(self):
        self.SIM_KWARGS = dict(self.SIM_KWARGS, portals=self.PORTALS)
        super(PortalsTestCase, self).setUp()

    def listen_ips(self):
        return self.ok('GET', '/portal_group/%s'
                       % self.sim.portal_group_id)['listen_ips']


class TestListenIp(PortalsTestCase):
    VARIANTS = ('listen-ip',)

    def test_bare_address_on_3260(self):
        self.assertEqual(['127.0.0.1', '127.0.0.2:3261'], self.listen_ips())
        self.assertEqual(['127.0.0.1:3260', '127.0.0.2:3261'],
                         self.sim.state.portals)


class TestListenObjects(PortalsTestCase):
    VARIANTS = ('listen-objects',)

    def test_objects(self):
        self.assertEqual([{'ip': '127.0.0.1', 'port': 3260},
                          {'ip': '127.0.0.2', 'port': 3261}],
                         self.listen_ips())
        self.assertEqual(self.listen_ips(), self.ok(
            'GET', '/portal_group/list')[0]['listen_ips'])


class TestListenCsv(PortalsTestCase):
    VARIANTS = ('listen-csv',)

    def test_one_string(self):
        self.assertEqual('127.0.0.1:3260,127.0.0.2:3261', self.listen_ips())


class TestListenWildcard(PortalsTestCase):
    VARIANTS = ('listen-wildcard',)
    PORTALS = ('127.0.0.1:3260', '127.0.0.2:3260')

    def test_wildcard(self):
        self.assertEqual(['0.0.0.0:3260'], self.listen_ips())


class TestListenWildcardIpv6(PortalsTestCase):
    VARIANTS = ('listen-wildcard',)
    PORTALS = ('[fd00::10]:3260',)

    def test_wildcard_v6(self):
        self.assertEqual(['[::]:3260'], self.listen_ips())


class TestIpv6Unbracketed(PortalsTestCase):
    VARIANTS = ('ipv6-unbracketed',)
    PORTALS = ('[fd00::10]:3260', '127.0.0.1:3261')

    def test_no_brackets(self):
        self.assertEqual(['fd00::10:3260', '127.0.0.1:3261'],
                         self.listen_ips())


class TestIpv6UnbracketedObjects(PortalsTestCase):
    VARIANTS = ('ipv6-unbracketed', 'listen-objects')
    PORTALS = ('[fd00::10]:3260',)

    def test_objects_carry_the_address(self):
        self.assertEqual([{'ip': 'fd00::10', 'port': 3260}],
                         self.listen_ips())


# -- numbers -----------------------------------------------------------------

class TestCapacityExample(VariantTestCase):
    VARIANTS = ('capacity-example',)

    def test_logical_fields(self):
        self.lun('thick1', size=2)
        self.lun('thin1', size=10, thin_provision='on')
        info = self.ok('GET', '/status/capacity')['pool1']['info']
        free = int(info['free_size'])
        self.assertEqual(free * 65 // 100, int(info['logical_avail']))
        self.assertEqual(info['allocated_size'], info['logical_reserved'])
        self.assertNotEqual(str(12 * GiB), info['logical_reserved'])
        overview = self.ok('GET', '/pool/overview')[0]['capacity']
        self.assertEqual(info['logical_avail'], overview['logical_avail'])


class TestMaxlunPerArray(VariantTestCase):
    VARIANTS = ('maxlun-per-array',)

    def test_the_65th_mapped_lun_anywhere_is_refused(self):
        self.ok('POST', '/lun/', json={'pool_name': 'pool1', 'name': 'v',
                                       'size': 1, 'sing': 'M',
                                       'quantity': 65})
        vol_ids = {lun['name']: lun['vol_id']
                   for lun in self.ok('GET', '/lun/')}
        first = self.target('t1', [vol_ids['v_%d' % i]
                                   for i in range(1, 61)])
        second = self.target('t2', [vol_ids['v_%d' % i]
                                    for i in range(61, 65)])
        # A LUN mapped twice counts once.
        self.assertEqual(200, self.add(second['id'],
                                       [vol_ids['v_1']]).status_code)
        self.assertError(self.add(second['id'], [vol_ids['v_65']]), 409,
                         'maxlun')
        self.remove(first['id'], [vol_ids['v_2']])
        self.assertEqual(200, self.add(second['id'],
                                       [vol_ids['v_65']]).status_code)
        self.assertEqual('64', self.ok('GET', '/status/system_info')[
            'maxlun'])


class TestMaxlunZero(VariantTestCase):
    VARIANTS = ('maxlun-zero',)

    def test_reports_zero_keeps_the_limit(self):
        self.assertEqual('0', self.ok('GET', '/status/system_info')[
            'maxlun'])
        self.ok('POST', '/lun/', json={'pool_name': 'pool1', 'name': 'v',
                                       'size': 1, 'sing': 'M',
                                       'quantity': 65})
        vol_ids = sorted(lun['vol_id'] for lun in self.ok('GET', '/lun/'))
        target = self.target('t1', vol_ids[:64])
        self.assertError(self.add(target['id'], vol_ids[64:]), 409,
                         'maxlun')


class TestSizeUnitMegabytes(VariantTestCase):
    VARIANTS = ('size-unit-megabytes',)

    def test_size_without_unit_is_megabytes(self):
        vol_id = self.lun('vol1', size=5)
        self.assertEqual(str(5 * MiB), self.ok('GET', '/lun/%s' % vol_id)[
            'vol_size'])
        self.assertEqual(str(8 * MiB), self.ok(
            'PATCH', '/lun/%s' % vol_id, json={'size': 8})['vol_size'])
        vol2 = self.lun('vol2', size=1, sing='G')
        self.assertEqual(str(GiB), self.ok('GET', '/lun/%s' % vol2)[
            'vol_size'])
        vol3 = self.lun('vol3', size=1, size_letter='G')
        self.assertEqual(str(GiB), self.ok('GET', '/lun/%s' % vol3)[
            'vol_size'])
