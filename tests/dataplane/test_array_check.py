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

"""The kit's login checks against the simulator's tgtd data plane.

With ``--initiator-tools`` the kit logs in with libiscsi: the LUN number
the array answered must be the LUN whose scsi_lunid/vol_id the array
answered (VPD 0x83/0x80), and a wrong initiator IQN and a wrong CHAP
secret must be refused. The check must also catch a wrong LUN number.
Skips without tgtd/libiscsi; fails instead under ``CI=true``.
"""

import shutil

import testtools

from cinder_ngxstorage.array_check import initiator as kit_initiator
from cinder_ngxstorage.array_check import journal
from cinder_ngxstorage.array_check import probes
from cinder_ngxstorage.array_check import report
from cinder_ngxstorage.array_check import wire
from cinder_ngxstorage.simulator import Simulator
from tests.dataplane import base as dp_base
from tests.functional.array_check import base
from tests.functional.driver import base as driver_base


class TestKitLogins(base.KitTestCase):

    def make_simulator(self, variants=()):
        missing = [tool for tool in ('tgtd', 'tgtadm', kit_initiator.INQ)
                   if shutil.which(tool) is None]
        if missing:
            reason = 'missing: %s' % ', '.join(missing)
            if driver_base.env_flag('CI'):
                self.fail('data path test cannot run and CI is true: %s'
                          % reason)
            self.skipTest(reason)
        port = dp_base.free_port()
        sim = Simulator(pools=('pool1:200G',),
                        portals=('127.0.0.1:%d' % port,), iscsi=True,
                        variants=list(variants))
        sim.start()
        self.addCleanup(sim.stop)
        if not sim.dataplane.iscsi_active:
            reason = sim.dataplane.iscsi_problem
            if driver_base.env_flag('CI'):
                self.fail('no iSCSI export and CI is true: %s' % reason)
            self.skipTest(reason)
        return sim

    def check_run(self, variants=()):
        sim = self.make_simulator(variants)
        status, doc = base.run_kit(sim, self.journal, '--initiator-tools',
                                   '--skip-maxlun-scope')
        self.assertIsInstance(doc, dict, doc)
        checks = {c['check']: c for c in doc['login']}
        self.assertEqual(['lun-number', 'wrong-chap', 'wrong-initiator'],
                         sorted(checks))
        for check in checks.values():
            self.assertTrue(check['ok'], check)
        self.assertIn('0x83 names the scsi_lunid',
                      checks['lun-number']['detail'])
        self.assertEqual(sorted(variants), doc['variants'])
        self.assert_clean(sim)
        return status, doc

    def test_logins_strict(self):
        status, _doc = self.check_run()
        self.assertEqual(report.OK, status)

    def test_logins_array_wide_numbers(self):
        # A new target's first LUN is not the lowest number: the number
        # the array answered is still the LUN the initiator sees.
        self.check_run(['lun-numbers-array-wide', 'lun-ids-are-scsi-lunids'])

    def test_wrong_lun_number_is_caught(self):
        sim = self.make_simulator()
        api = wire.Api(sim.url, sim.token)
        self.addCleanup(api.close)
        prefix = 'ngxchkdp01'
        kit = probes.Checker(api, journal.Journal(None, prefix), 'pool1',
                             maxlun_probe=False)
        self.addCleanup(journal.finish, api, None, [prefix])
        kit.run()
        facts = kit.facts
        # A second LUN in the first target: the next number answers too.
        self.assertTrue(api.call('PUT', '/iscsi_target/lun/%s/' % facts[
            't1'], {'lun_ids': [facts['l2']], 'owner': facts['owner']}).ok)
        lun = kit.lun_detail(facts['l1'])
        right = kit_initiator.run(facts, lun, prefix)
        self.assertTrue(all(check['ok'] for check in right), right)
        wrong_facts = dict(facts, l1_number=int(facts['l1_number']) + 1)
        wrong = kit_initiator.run(wrong_facts, lun, prefix)
        self.assertThat(wrong[0]['detail'], testtools.matchers.Contains(
            'is NOT'))
        self.assertFalse(wrong[0]['ok'])
        self.assertEqual({}, journal.finish(api, None, [prefix]))
        self.assertEqual([], base.kit_objects(sim))
