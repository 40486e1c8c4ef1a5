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
the :class:`~.readings.Reading` (the answers of target create, LUN
create, Add/Delete LUN and LUN modify; the target ``scsi_id``; CHAP in
reads and ``chap_status``; ``listen_ips``; capacity figures) are
consulted here and nowhere else (``Reading.CONSULTED`` names the method).
"""

import hashlib
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
            'portal_name': self._portal(target['portal_group_id'])['name'],
            'scsi_id': self._target_scsi_id(target),
            'luns': self._target_luns(ctx, target, profile=True),
            'group_id': group['id'],
            'owner': target['owner'],
            'group_name': group['name'],
        }

    def _target_brief(self, target):
        return {'scsi_target_name': target['name'],
                'scsi_id': self._target_scsi_id(target),
                'owner': target['owner']}

    def _target_scsi_id(self, target):
        # Reading switch target_scsi_id: 'distinct' answers a SCSI id
        # derived from, and different from, the id the paths take.
        if self.reading.target_scsi_id == 'distinct':
            return hashlib.sha1(
                ('scsi_id:' + target['id']).encode('ascii')).hexdigest()
        return target['id']

    def _target_create_answer(self, target, added):
        # Reading switch target_create_answer.
        if self.reading.target_create_answer == 'empty':
            return {}
        return {'id': target['id'],
                'luns': [self._target_lun_entry(e) for e in added],
                'success': True}

    def _lun_add_answer(self, added):
        # Reading switch lun_add_answer.
        if self.reading.lun_add_answer == 'bare':
            return {'success': True}
        return {'luns': [self._target_lun_entry(e) for e in added],
                'success': True}

    def _lun_remove_answer(self, ctx, target):
        # Reading switch lun_remove_answer.
        if self.reading.lun_remove_answer == 'bare':
            return {'success': True}
        return {'luns': self._target_luns(ctx, target), 'success': True}

    def _lun_create_answer(self, created):
        # Reading switch lun_create_answer: 'no_id' leaves vol_id out.
        entries = []
        for lun in created:
            entry = {'scsi_lunid': lun['scsi_lunid'], 'success': 'true',
                     'vol_id': lun['vol_id'], 'vol_used': str(lun['used'])}
            if self.reading.lun_create_answer == 'no_id':
                del entry['vol_id']
            entries.append(entry)
        return {'luns': entries, 'success': True}

    def _lun_modify_answer(self, lun):
        # Reading switch lun_modify_answer.
        if self.reading.lun_modify_answer == 'bare':
            return {'success': True}
        return {'success': True, 'vol_size': str(lun['size'])}

    def _chap_view(self, chap):
        # Reading switch chap_secret_in_reads.
        view = {'password': chap['password'], 'username': chap['username']}
        shown = self.reading.chap_secret_in_reads
        if shown == 'masked':
            view['password'] = self.reading.MASKED_SECRET
        elif shown == 'omitted':
            del view['password']
        return view

    def _group_view(self, group, detail):
        if group['id'] == base.DEFAULT_GROUP_ID:
            return {'group_id': group['id'], 'group_name': group['name']}
        view = {}
        if group['chap']:
            view['chap'] = self._chap_view(group['chap'])
        if detail:
            # Reading switch chap_status.
            if self.reading.chap_status == 'boolean':
                view['chap_status'] = bool(group['chap'])
            else:
                view['chap_status'] = 1 if group['chap'] else 0
        view['group_id'] = group['id']
        view['group_name'] = group['name']
        if detail:
            view['initiator'] = [dict(i) for i in group['initiators']]
        view['owner'] = group['owner']
        return view

    def _portal_view(self, group, detail):
        view = {'id': group['id'], 'portal_name': group['name'],
                'owner': group['owner']}
        if detail:
            view['listen_ips'] = self._listen_ips(group)
        return view

    def _portal_address(self, portal):
        """``(host, port)`` of a portal (``[v6]`` host, or bare)."""
        host, port = portal.rsplit(':', 1)
        # Reading switch ipv6_portals: 'bare' drops the brackets.
        if host.startswith('[') and self.reading.ipv6_portals == 'bare':
            host = host[1:-1]
        return host, int(port)

    def _listen_ips(self, group):
        # Reading switch listen_ips: the shape of the portal addresses.
        shape = self.reading.listen_ips
        portals = [self._portal_address(p) for p in group['listen_ips']]
        if shape == 'objects':
            return [{'ip': host.strip('[]'), 'port': port}
                    for host, port in portals]
        if shape == 'wildcard':
            wild = '[::]' if all(':' in h for h, _p in portals) else (
                '0.0.0.0')
            ports = sorted({port for _h, port in portals})
            return ['%s:%d' % (wild, port) for port in ports]
        texts = []
        for host, port in portals:
            if shape == 'ip' and port == base.DEFAULT_ISCSI_PORT:
                texts.append(host)      # the port is implied
            else:
                texts.append('%s:%d' % (host, port))
        if shape == 'csv':
            return ','.join(texts)
        return texts

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
        avail, reserved = usage['free'], usage['provisioned']
        # Reading switch capacity: 'example' reads the fields as the
        # reference's example figures suggest (logical_avail ~65% of
        # free_size, logical_reserved the bytes used by the protocols).
        if self.reading.capacity == 'example':
            avail = usage['free'] * 65 // 100
            reserved = usage['consumed']
        return {
            'allocated_size': str(usage['consumed']),
            'compress_ratio': '1.00',
            'dedup_ratio': '1.00x',
            'free_size': str(usage['free']),
            'logical_avail': str(avail),
            'logical_reserved': str(reserved),
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
