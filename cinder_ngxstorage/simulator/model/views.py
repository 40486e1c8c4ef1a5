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

"""Views: the documented answer shapes, field for field.

:class:`Views` renders the model's plain records (LUNs, targets, auth
groups, snapshots, schedules, pools, log entries) into the JSON bodies of
the API reference v2.4.1. It only reads the model. The shape switches of
the :class:`~.readings.Reading` (``target_create_answer``,
``chap_secret_in_reads``) are consulted here and nowhere else.
"""

import time

from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import cron


def _fmt_local(ts, fmt):
    return time.strftime(fmt, time.localtime(ts))


class Views(object):
    """Renderers of the reference's shapes (see the module docstring)."""

    def _lun_detail(self, lun, mapping=None, snap_bytes=None):
        if mapping is None:
            mapping = self._mapping()
        if snap_bytes is None:
            snap_bytes = sum(s['reserved'] for s in self._snaps.values()
                             if s['vol_id'] == lun['vol_id'])
        targets = mapping.get(lun['vol_id'], [])
        pool = self._pools[lun['pool']]
        return {
            'blocksize': str(lun['blocksize']),
            'clone': lun['clone'],
            'dedup': lun['dedup'],
            'vol_size': str(lun['size']),
            'pool_name': lun['pool'],
            'compress_ratio': '1.00' if lun['compress'] == 'on' else '-',
            'owner': pool['owner'],
            'vol_name': lun['name'],
            'qos_priority': lun['qos_priority'],
            'vol_id': lun['vol_id'],
            'scsi_lunid': lun['scsi_lunid'],
            'vol_used': str(self._lun_used(lun)),
            'flash_cache': lun['flash_cache'],
            'protocols': {
                'fc': None,
                'iscsi': (','.join(t['name'] for t in targets)
                          if targets else None),
            },
            'dram_cache': lun['dram_cache'],
            'compress': lun['compress'],
            'io_type': lun['io_type'],
            'sizebysnapshots': str(snap_bytes),
            'provision_type': 'thin' if lun['thin'] else 'full',
        }

    def _lun_brief(self, lun):
        return {'name': lun['name'], 'pool': lun['pool'],
                'owner': self._pools[lun['pool']]['owner'],
                'vol_id': lun['vol_id']}

    def _target_lun_entry(self, entry, profile=False):
        lun = self._luns[entry['vol_id']]
        view = {}
        if profile:
            view['profile'] = '-'
        view.update({
            'lun_id': lun['scsi_lunid'],
            'lun_name': lun['name'],
            'lun_number': str(entry['lun_number']),
            'pool_name': lun['pool'],
            'vol_id': lun['vol_id'],
        })
        return view

    def _target_luns(self, ctx, target, profile=False):
        entries = sorted(target['luns'], key=lambda e: e['lun_number'])
        return [self._target_lun_entry(e, profile) for e in entries
                if self._lun_in_scope(ctx, self._luns[e['vol_id']])]

    def _target_iqn(self, target):
        return '%s%s:%s' % (base.TARGET_IQN_BASE, self._service_tag.lower(),
                            target['name'])

    def _target_detail(self, ctx, target):
        group = self._groups[target['auth_group_id']]
        return {
            'target_iqn': self._target_iqn(target),
            'scsi_target_name': target['name'],
            'portal_id': target['portal_group_id'],
            'iqn_name': base.TARGET_IQN_BASE + self._service_tag.lower(),
            'portal_name': self._portal_group['name'],
            'scsi_id': target['id'],
            'luns': self._target_luns(ctx, target, profile=True),
            'group_id': group['id'],
            'owner': target['owner'],
            'group_name': group['name'],
        }

    @staticmethod
    def _target_brief(target):
        return {'scsi_target_name': target['name'], 'scsi_id': target['id'],
                'owner': target['owner']}

    def _target_create_answer(self, target, added):
        # Reading switch target_create_answer.
        if self.reading.target_create_answer == 'empty':
            return {}
        return {'id': target['id'],
                'luns': [self._target_lun_entry(e) for e in added],
                'success': True}

    def _group_view(self, group, detail):
        if group['id'] == base.DEFAULT_GROUP_ID:
            return {'group_id': group['id'], 'group_name': group['name']}
        view = {}
        if group['chap']:
            password = group['chap']['password']
            # Reading switch chap_secret_in_reads.
            if self.reading.chap_secret_in_reads == 'masked':
                password = self.reading.MASKED_SECRET
            view['chap'] = {'password': password,
                            'username': group['chap']['username']}
        if detail:
            view['chap_status'] = 1 if group['chap'] else 0
        view['group_id'] = group['id']
        view['group_name'] = group['name']
        if detail:
            view['initiator'] = [dict(i) for i in group['initiators']]
        view['owner'] = group['owner']
        return view

    def _portal_view(self, detail):
        view = {'id': self._portal_group['id'],
                'portal_name': self._portal_group['name'],
                'owner': self._portal_group['owner']}
        if detail:
            view['listen_ips'] = list(self._portal_group['listen_ips'])
        return view

    def _snap_view(self, snap, bound, newest, brief=False):
        lun = self._luns[snap['vol_id']]
        if brief:
            return {'snap_id': snap['snap_id'], 'lun_name': lun['name'],
                    'pool_name': lun['pool'], 'snap_name': snap['name']}
        return {
            'reserved': str(snap['reserved']),
            'pool_name': lun['pool'],
            'binded': 1 if snap['snap_id'] in bound else 0,
            'restore': 1 if snap['snap_id'] in newest else 0,
            'snap_name': snap['name'],
            'snap_id': snap['snap_id'],
            'vol_name': lun['name'],
            'created': str(snap['created']),
        }

    def _snap_label(self, snap):
        """``<LUN name>@<snapshot name>``, as the array names a snapshot."""
        return '%s@%s' % (self._luns[snap['vol_id']]['name'], snap['name'])

    def _snap_create_view(self, snap):
        lun = self._luns[snap['vol_id']]
        return {
            'binded': 1 if snap['snap_id'] in self._bound_snap_ids() else 0,
            'created': str(snap['created']),
            'pool_name': lun['pool'],
            'reserved': str(snap['reserved']),
            'restore': 1 if snap['snap_id'] in self._newest_snap_ids()
            else 0,
            'snap_id': snap['snap_id'],
            'snap_vol': self._snap_label(snap),
            'vol_name': lun['name'],
        }

    def _schedule_view(self, schedule):
        lun = self._luns[schedule['vol_id']]
        return {'c_time': schedule['cron_time'],
                'h_read': cron.describe_cron(schedule['cron_time']),
                'id': schedule['id'],
                'keep_max': schedule['keep_max'],
                'owner': self._pools[lun['pool']]['owner'],
                'vol_id': schedule['vol_id'],
                'vol_type': 'lun'}

    @staticmethod
    def _integrity(pool):
        info = {'ONLINE': 'No info',
                'DEGRADED': 'One or more devices are faulted; the pool '
                            'continues to function in a degraded state.',
                'OFFLINE': 'The pool cannot be opened: too many devices '
                           'are unavailable.'}[pool['status']]
        # "integrity" is the scrub: it can start unless the pool is
        # OFFLINE, and none is running.
        return {'can_start': 0 if pool['status'] == 'OFFLINE' else 1,
                'can_stop': 0,
                'info': info}

    def _pool_detail(self, pool):
        data = []
        for index, number in enumerate(pool['disks']):
            state = 'ONLINE'
            info = ''
            if pool['status'] == 'OFFLINE':
                state = 'UNAVAIL'
                info = 'cannot open'
            elif pool['status'] == 'DEGRADED' and index == len(
                    pool['disks']) - 1:
                state = 'FAULTED'
                info = 'too many errors'
            data.append({'state': state, 'info': info, 'lunid': '',
                         'stripe_info': 'c-1',
                         'enclosure': 'E1:S%d' % number,
                         'disk': 'HDD%d' % number})
        return {
            'encryption': 0,
            'owner': pool['owner'],
            'stripe_len': len(pool['disks']),
            'status': pool['status'],
            'is_nvme': 1,
            'raidtype': pool['raidtype'],
            'data': data,
            'pool_name': pool['name'],
            'integrity': self._integrity(pool),
            'pool_id': pool['id'],
        }

    def _capacity_info(self, pool):
        usage = self._pool_usage(pool['name'])
        return {
            'allocated_size': str(usage['consumed']),
            'compress_ratio': '1.00',
            'dedup_ratio': '1.00x',
            'free_size': str(usage['free']),
            'logical_avail': str(usage['free']),
            'logical_reserved': str(usage['provisioned']),
            'total_size': str(usage['total']),
        }, {
            'iscsi': str(usage['consumed']),
            'replica': '0',
            'shares': '0',
        }

    @staticmethod
    def _render_log(kind, entry):
        if kind == 'alert':
            return {'description': entry['description'],
                    'event_id': entry['event_id'], 'id': entry['id'],
                    'notify': None,
                    'time': _fmt_local(entry['ts'], '%Y-%m-%d %H:%M:%S'),
                    'type': entry['type']}
        if kind == 'audit':
            return {'agent': entry['agent'],
                    'description': entry['description'], 'id': entry['id'],
                    'rhost': entry['rhost'],
                    'time': _fmt_local(entry['ts'], '%Y-%m-%d %H:%M:%S'),
                    'user': entry['user']}
        return {'action': entry['action'], 'function': entry['function'],
                'id': entry['id'], 'sensor': entry['sensor'],
                'time': _fmt_local(entry['ts'], '%m/%d/%Y %H:%M:%S')}
