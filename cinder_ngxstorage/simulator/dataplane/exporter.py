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

"""The array's exports mirrored into tgtd (:class:`TgtExporter`).

Mirrors the array's targets, LUN mappings, initiator ACLs and CHAP
accounts (``state.export_view``) into the simulator's tgtd, applying each
change as a diff with ``tgtadm``; on failure the last good view is put
back.
"""

import logging

from cinder_ngxstorage.simulator.dataplane.tgtd import TgtDaemon

LOG = logging.getLogger(__name__)

#: SCSI identity of the logical units (tgt field limits: 8, 16, 36, 36).
SCSI_VENDOR = 'NGXSTOR'
SCSI_PRODUCT = 'H2000G2'
SCSI_ID_LEN = 36


class TgtExporter(TgtDaemon):
    """The simulator's own tgtd, kept in step with the array's exports.

    :param run_dir: directory for the pid file, the management socket
        and tgtd's log (a crashed run's leftovers there are cleaned up).
    :param lun_path: callable vol_id -> backing file of the LUN.
    """

    def tid_of(self, target_iqn):
        """tgt's tid of a target IQN (None if not exported)."""
        with self._lock:
            for entry in self._targets.values():
                if entry['iqn'] == target_iqn:
                    return entry['tid']
        return None

    def exported(self):
        """What tgtd holds: {target_iqn: {luns, initiators, account}}."""
        with self._lock:
            return {e['iqn']: {'tid': e['tid'], 'luns': dict(e['luns']),
                               'initiators': set(e['initiators']),
                               'account': e['account']}
                    for e in self._targets.values()}

    # -- applying the array's view --------------------------------------

    def apply(self, view):
        """Make tgtd export exactly what view (state.export_view) says.

        On failure the last view applied without error is put back
        (best effort) and DataPlaneError is raised, so tgtd stays in step
        with the model the state restores.
        """
        with self._lock:
            if not self.started:
                self._pending_view = view
                return
            try:
                self._apply(self._desired(view))
            except Exception:
                if self._good_view is not None:
                    try:
                        self._apply(self._desired(self._good_view))
                    except Exception:
                        LOG.exception('Simulator data plane: tgtd could '
                                      'not be put back in step')
                raise
            self._good_view = view

    def _desired(self, view):
        groups = {g['id']: g for g in view.get('auth_groups', ())}
        # A tgt account is global by user name: two groups with one user
        # name and different secrets cannot both be honoured, so their
        # targets admit nobody (fail closed) until that is resolved.
        secrets_by_user = {}
        for target in view.get('targets', ()):
            chap = (groups.get(target['auth_group_id']) or {}).get('chap')
            if chap:
                secrets_by_user.setdefault(chap['username'], set()).add(
                    chap['password'])
        clashing = {u for u, s in secrets_by_user.items() if len(s) > 1}
        for user in sorted(clashing):
            LOG.warning('Simulator data plane: CHAP user %s is set with '
                        'different secrets in several auth groups; their '
                        'targets admit nobody', user)
        desired = {}
        for target in view.get('targets', ()):
            group = groups.get(target['auth_group_id']) or {}
            chap = group.get('chap')
            initiators = set(group.get('iqns') or ())
            account = None
            if chap:
                account = (chap['username'], chap['password'])
                if chap['username'] in clashing:
                    initiators = set()
                    account = None
            luns = {}
            for lun in target.get('luns', ()):
                number = int(lun['lun_number'])
                if number == 0:
                    LOG.warning('Simulator data plane: LUN %s is number 0 '
                                'in target %s, which tgt keeps for its '
                                'controller: not exported', lun['vol_id'],
                                target['name'])
                    continue
                luns[number] = {
                    'vol_id': lun['vol_id'], 'size': int(lun['size']),
                    'path': self.lun_path(lun['vol_id']),
                    'scsi_id': str(lun.get('scsi_lunid')
                                   or lun['vol_id'])[-SCSI_ID_LEN:],
                    'scsi_sn': str(lun['vol_id'])[:SCSI_ID_LEN]}
            desired[target['id']] = {'iqn': target['iqn'], 'luns': luns,
                                     'initiators': initiators,
                                     'account': account}
        return desired

    def _apply(self, desired):
        applied = self._targets
        # 1. Targets gone (or renamed: tgt cannot rename a target).
        for target_id in list(applied):
            want = desired.get(target_id)
            if want is None or want['iqn'] != applied[target_id]['iqn']:
                self._delete_target(target_id)
        # 2. Make existing targets stricter first: drop initiators no
        #    longer admitted and, where the credential changes to another
        #    one, every initiator until the new one is bound (tgt checks
        #    both at login only, so no login slips in between).
        close_sessions = {}          # tid -> initiators (None: all)
        for target_id, entry in applied.items():
            want = desired[target_id]
            gone = entry['initiators'] - want['initiators']
            if gone:
                self._unbind_initiators(entry, gone)
                close_sessions[entry['tid']] = set(gone)
            have = self._credential(entry)
            if have is not None and want['account'] not in (None, have):
                self._unbind_initiators(entry, set(entry['initiators']))
                close_sessions[entry['tid']] = None
        # 3. Accounts: tgt's are global by user name. Those no longer
        #    needed or whose secret changed are unbound and deleted.
        needed = {}
        for want in desired.values():
            if want['account']:
                needed[want['account'][0]] = want['account'][1]
        for user in sorted(self._accounts):
            if needed.get(user) == self._accounts[user]:
                continue
            for entry in applied.values():
                if entry['account'] == user:
                    self._run(['--op', 'unbind', '--mode', 'account',
                               '--tid', str(entry['tid']), '--user', user])
                    entry['account'] = None
            self._run(['--op', 'delete', '--mode', 'account', '--user',
                       user])
            del self._accounts[user]
        for user, password in sorted(needed.items()):
            if user not in self._accounts:
                self._run(['--op', 'new', '--mode', 'account', '--user',
                           user, '--password', password])
                self._accounts[user] = password
        # 4. Each target: account, then initiators, then LUNs.
        for target_id in sorted(desired,
                                key=lambda t: desired[t]['iqn']):
            want = desired[target_id]
            entry = applied.get(target_id)
            if entry is None:
                entry = self._new_target(target_id, want['iqn'])
            self._apply_account(entry, want['account'])
            for name in sorted(want['initiators'] - entry['initiators']):
                self._run(['--op', 'bind', '--mode', 'target', '--tid',
                           str(entry['tid']), '--initiator-name', name])
                entry['initiators'].add(name)
            self._apply_luns(entry, want['luns'])
        # 5. Logins are checked when made: end those no longer admitted.
        for tid, initiators in sorted(close_sessions.items()):
            self._drop_sessions(tid, initiators)

    def _credential(self, entry):
        user = entry['account']
        if user is None:
            return None
        return (user, self._accounts.get(user))

    def _unbind_initiators(self, entry, names):
        for name in sorted(names):
            self._run(['--op', 'unbind', '--mode', 'target', '--tid',
                       str(entry['tid']), '--initiator-name', name])
            entry['initiators'].discard(name)

    def _free_tid(self):
        used = {e['tid'] for e in self._targets.values()}
        tid = 1
        while tid in used:
            tid += 1
        return tid

    def _new_target(self, target_id, iqn):
        tid = self._free_tid()
        self._run(['--op', 'new', '--mode', 'target', '--tid', str(tid),
                   '-T', iqn])
        entry = {'tid': tid, 'iqn': iqn, 'luns': {}, 'initiators': set(),
                 'account': None}
        self._targets[target_id] = entry
        return entry

    def _delete_target(self, target_id):
        entry = self._targets[target_id]
        # --force: also with LUNs and sessions (they are closed).
        self._run(['--op', 'delete', '--mode', 'target', '--tid',
                   str(entry['tid']), '--force'])
        del self._targets[target_id]

    def _apply_account(self, entry, account):
        user = account[0] if account else None
        old = entry['account']
        if old == user:
            return
        tid = str(entry['tid'])
        if user is not None:
            self._run(['--op', 'bind', '--mode', 'account', '--tid', tid,
                       '--user', user])
            entry['account'] = user
        if old is not None:
            self._run(['--op', 'unbind', '--mode', 'account', '--tid', tid,
                       '--user', old])
            if entry['account'] == old:
                entry['account'] = None

    def _apply_luns(self, entry, luns):
        tid = str(entry['tid'])
        for number in sorted(entry['luns']):
            path, _size = entry['luns'][number]
            want = luns.get(number)
            if want is None or want['path'] != path:
                self._run(['--op', 'delete', '--mode', 'logicalunit',
                           '--tid', tid, '--lun', str(number)])
                del entry['luns'][number]
        for number in sorted(luns):
            want = luns[number]
            have = entry['luns'].get(number)
            if have is None:
                self._run(['--op', 'new', '--mode', 'logicalunit', '--tid',
                           tid, '--lun', str(number), '--backing-store',
                           want['path']])
                entry['luns'][number] = (want['path'], want['size'])
                self._run(['--op', 'update', '--mode', 'logicalunit',
                           '--tid', tid, '--lun', str(number), '--params',
                           'vendor_id=%s,product_id=%s,scsi_id=%s,'
                           'scsi_sn=%s,thin_provisioning=1'
                           % (SCSI_VENDOR, SCSI_PRODUCT, want['scsi_id'],
                              want['scsi_sn'])])
            elif have[1] != want['size']:
                # tgt reads the size when it opens the backing store:
                # reopening the same path (the LU stays, sessions stay)
                # makes READ CAPACITY answer the new size at once.
                self._run(['--op', 'update', '--mode', 'logicalunit',
                           '--tid', tid, '--lun', str(number), '--params',
                           'online=0,path=%s' % want['path']])
                entry['luns'][number] = (want['path'], want['size'])
