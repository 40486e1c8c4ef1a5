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

"""Exports: iSCSI targets, auth groups, the portal groups, the data plane.

:class:`Exports` implements the ``auth_group.*``, ``iscsi_target.*`` and
``portal_group.*`` operations with the model's invariants: unique names,
owners the array has and that match the object's, LUN and target on the
same controller, at most ``MAX_LUNS_PER_TARGET`` LUNs, no deletion while
in use, the default auth group read-only, an initiator in one group only.

It also mirrors every change of targets and auth groups to the data
plane (:meth:`Exports._export_change`): the data plane gets the whole
:meth:`export_view` and, if it refuses, the model goes back to what it was
and the operation fails.
"""

import contextlib
import copy
import logging
import time

from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import capacity
from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors

LOG = logging.getLogger(__name__)


class Exports(object):
    """Targets, auth groups, portal groups and the data-plane mirror."""

    # -- the data-plane mirror ---------------------------------------------

    def _exports_watched(self):
        """Whether the data plane wants export changes (not NullBacking).

        Without one, neither the view nor the rollback copy is made: they
        cost time in proportion to every target and auth group.
        """
        return capacity.overrides(self.backing, 'exports_changed')

    def _exports_changed(self, saved=None):
        """Tell the data plane; on failure restore ``saved`` and raise."""
        if not self._exports_watched():
            return
        try:
            self._hook('exports_changed', self._export_view())
        except errors.DomainError:
            if saved is None:
                # The change (a resize, a rollback) is already on the
                # data plane: keep the model in step with it.
                LOG.warning('Simulator data plane refused an export '
                            'update; model kept')
                return
            self._targets, self._groups = saved
            raise

    @contextlib.contextmanager
    def _export_change(self):
        """Change targets or auth groups, then mirror it on the data plane.

        If the data plane refuses, the model goes back to what it was
        before the change and the operation fails.
        """
        saved = None
        if self._exports_watched():
            saved = copy.deepcopy(self._targets), copy.deepcopy(self._groups)
        yield
        self._exports_changed(saved)

    def _lun_resized(self, lun):
        """A LUN changed size: exported LUNs show the new size."""
        if lun['vol_id'] in self._mapping():
            self._exports_changed()

    def _export_view(self):
        targets = []
        for target in self._targets.values():
            luns = []
            for entry in sorted(target['luns'],
                                key=lambda e: e['lun_number']):
                lun = self._luns[entry['vol_id']]
                luns.append({'vol_id': lun['vol_id'],
                             'lun_number': entry['lun_number'],
                             'size': lun['size'], 'name': lun['name'],
                             'pool': lun['pool'],
                             'scsi_lunid': lun['scsi_lunid'],
                             'blocksize': lun['blocksize']})
            targets.append({'id': target['id'], 'name': target['name'],
                            'iqn': self._target_iqn(target),
                            'owner': target['owner'],
                            'auth_group_id': target['auth_group_id'],
                            'portal_group_id': target['portal_group_id'],
                            'portals': list(self._portal(
                                target['portal_group_id'])['listen_ips']),
                            'luns': luns})
        groups = []
        for group in self._groups.values():
            groups.append({'id': group['id'], 'name': group['name'],
                           'owner': group['owner'],
                           'iqns': [i['iqn'] for i in group['initiators']],
                           'chap': dict(group['chap']) if group['chap']
                           else None})
        return {'service_tag': self._service_tag,
                'portals': self.portals,
                'serving_portals': self._serving_portals(),
                'targets': targets, 'auth_groups': groups}

    def export_view(self):
        """Targets with IQN and LUNs, auth groups with IQNs and CHAP.

        A plain dict for the data plane (it holds CHAP secrets: never log
        it). Each target: id, name, iqn, owner, auth_group_id,
        portal_group_id, portals, luns (vol_id, lun_number, size, name,
        pool, scsi_lunid, blocksize); each auth group: id, name, owner,
        iqns, chap (None or {username, password}). ``portals`` lists
        every portal of the array, ``serving_portals`` those of the
        controllers not failed (the data plane listens on these only).
        """
        with self.lock:
            return self._export_view()

    def _unmap_lun(self, lun):
        """Take a LUN out of every target mapping it (a cascade)."""
        targets = self._mapping().get(lun['vol_id'])
        if targets:
            with self._export_change():
                for target in targets:
                    target['luns'] = [e for e in target['luns']
                                      if e['vol_id'] != lun['vol_id']]
        return [t['name'] for t in targets or ()]

    def _rename_export(self, obj, name, check_name_free, what):
        """Rename a target or auth group whose name is free."""
        check_name_free(name, obj['id'])
        old = obj['name']
        with self._export_change():
            obj['name'] = name
        return {'success': True}, 'renamed %s %s to %s' % (what, old, name)

    def _drop_export(self, table, obj, what):
        """Delete a target or auth group nothing depends on."""
        with self._export_change():
            del table[obj['id']]
        return {'success': True}, 'deleted %s %s' % (what, obj['name'])

    # -- auth groups -------------------------------------------------------

    def _check_group_name(self, name, group_id=None):
        for group in self._groups.values():
            if group['name'] == name and group['id'] != group_id:
                raise errors.Conflict('auth group %s already exists' % name,
                                      'exists')

    def _mutable_group(self, params):
        """The group of path ``id``, if it may change (owner checked)."""
        group = self._group(params.get('id'))
        if group['id'] == base.DEFAULT_GROUP_ID:
            raise errors.Conflict('%s cannot be changed or deleted'
                                  % base.DEFAULT_GROUP_NAME, 'default_group')
        if 'owner' in params:
            self._check_owner(params, group['owner'], 'auth group')
        return group

    @dispatch.operation('auth_group.create')
    def auth_group_create(self, ctx, params):
        """Create an auth group; answers ``{"id", "success": true}``."""
        name = params['name']
        owner = self._valid_owner(params)
        self._check_group_name(name)
        with self._export_change():
            group = {'id': self._new_id(), 'name': name, 'owner': owner,
                     'chap': None, 'initiators': []}
            self._groups[group['id']] = group
        return ({'id': group['id'], 'success': True},
                'created auth group %s (owner %s)' % (name, owner))

    @dispatch.operation('auth_group.delete')
    def auth_group_delete(self, ctx, params):
        """Delete an auth group (a conflict while a target uses it)."""
        group = self._mutable_group(params)
        users = [t['name'] for t in self._targets.values()
                 if t['auth_group_id'] == group['id']]
        if users:
            raise errors.Conflict('auth group %s is bound to target(s) %s'
                                  % (group['name'], ', '.join(users)),
                                  'in_use')
        return self._drop_export(self._groups, group, 'auth group')

    @dispatch.operation('auth_group.rename')
    def auth_group_rename(self, ctx, params):
        """Rename an auth group; the body owner must be the group's."""
        group = self._mutable_group(params)
        return self._rename_export(group, params['name'],
                                   self._check_group_name, 'auth group')

    @dispatch.operation('auth_group.chap_set')
    def auth_group_chap_set(self, ctx, params):
        """Set (replace) the group's CHAP credential."""
        group = self._mutable_group(params)
        with self._export_change():
            group['chap'] = {'username': params['username'],
                             'password': params['password']}
        return ({'success': True},
                'set CHAP credential on auth group %s' % group['name'])

    @dispatch.operation('auth_group.chap_delete')
    def auth_group_chap_delete(self, ctx, params):
        """Remove the group's CHAP credential (not found when none)."""
        group = self._mutable_group(params)
        if not group['chap']:
            raise errors.NotFound('auth group %s has no CHAP credential'
                                  % group['name'])
        with self._export_change():
            group['chap'] = None
        return ({'success': True},
                'removed CHAP credential from auth group %s'
                % group['name'])

    @dispatch.operation('auth_group.iqn_add')
    def auth_group_iqn_add(self, ctx, params):
        """Admit an initiator IQN; answers ``{"id", "success": true}``."""
        iqn = params['iqn']
        group = self._mutable_group(params)
        for other in self._groups.values():
            for entry in other['initiators']:
                if entry['iqn'].lower() == iqn.lower():
                    raise errors.Conflict(
                        'initiator %s is already in auth group %s'
                        % (iqn, other['name']), 'exists')
        with self._export_change():
            entry = {'id': self._new_id(), 'iqn': iqn,
                     'iqn_alias': params['iqn_alias']}
            group['initiators'].append(entry)
        return ({'id': entry['id'], 'success': True},
                'added initiator %s to auth group %s' % (iqn, group['name']))

    @dispatch.operation('auth_group.iqn_delete')
    def auth_group_iqn_delete(self, ctx, params):
        """Remove an initiator by its entry id; answers ``{}``."""
        iqn_id = params.get('iqn_id')
        for group in self._groups.values():
            for entry in group['initiators']:
                if entry['id'] == iqn_id:
                    with self._export_change():
                        group['initiators'].remove(entry)
                    return {}, 'removed initiator %s from auth group %s' % (
                        entry['iqn'], group['name'])
        raise errors.NotFound('initiator %s not found' % (iqn_id,))

    @dispatch.operation('auth_group.detail')
    def auth_group_detail(self, ctx, params):
        """One auth group with CHAP, chap_status and initiators."""
        return self._group_view(self._group(params.get('id')), detail=True)

    @dispatch.operation('auth_group.detail_list')
    def auth_group_detail_list(self, ctx, params):
        """Every auth group in detail."""
        return [self._group_view(g, detail=True)
                for g in self._groups.values()]

    @dispatch.operation('auth_group.list')
    def auth_group_list(self, ctx, params):
        """Every auth group: id, name, owner (and chap when set)."""
        return [self._group_view(g, detail=False)
                for g in self._groups.values()]

    # -- iSCSI targets -----------------------------------------------------

    def _check_target_name(self, name, target_id=None):
        for target in self._targets.values():
            if target['name'] == name and target['id'] != target_id:
                raise errors.Conflict('iSCSI target %s already exists'
                                      % name, 'exists')

    @staticmethod
    def _lun_ids(params):
        vol_ids = params.get('lun_ids') or []
        if len(set(vol_ids)) != len(vol_ids):
            raise errors.Invalid('lun_ids lists the same id twice')
        return vol_ids

    def _vol_id_of(self, lun_id):
        """The vol_id of the LUN an id of ``lun_ids`` names, or None."""
        # Reading switch lun_ids_kind: vol_ids strictly, or the LUNs'
        # scsi_lunid (the ``lun_id`` of the target's LUN entries).
        if self.reading.lun_ids_kind == 'scsi_lunid':
            for lun in self._luns.values():
                if lun['scsi_lunid'] == lun_id:
                    return lun['vol_id']
            return None
        return lun_id if lun_id in self._luns else None

    def _luns_of_ids(self, ctx, lun_ids):
        """The LUNs ``lun_ids`` name (not found / forbidden as lookups)."""
        luns = []
        for lun_id in lun_ids:
            vol_id = self._vol_id_of(lun_id)
            if vol_id is None:
                raise errors.NotFound('LUN %s not found' % (lun_id,))
            luns.append(self._lun(ctx, vol_id))
        return luns

    def _check_maxlun(self, target, luns):
        """Refuse mapping ``luns`` beyond maxlun (a conflict)."""
        limit = base.MAX_LUNS_PER_TARGET
        # Reading switch maxlun_scope: maxlun counts the LUNs of one
        # target strictly, or the LUNs mapped anywhere in the array.
        if self.reading.maxlun_scope == 'array':
            mapped = {e['vol_id'] for t in self._targets.values()
                      for e in t['luns']}
            mapped.update(e['vol_id'] for e in target['luns'])
            mapped.update(lun['vol_id'] for lun in luns)
            if len(mapped) > limit:
                raise errors.Conflict('the array would exceed maxlun %d '
                                      'mapped LUNs' % limit, 'limit')
        elif len(target['luns']) + len(luns) > limit:
            raise errors.Conflict('target %s would exceed maxlun %d'
                                  % (target['name'], limit), 'limit')

    def _used_lun_numbers(self, target):
        """The LUN numbers a new LUN of ``target`` may not take."""
        used = {e['lun_number'] for e in target['luns']}
        # Reading switch lun_numbering: numbers are per target strictly,
        # or unique across the array (the reference's example answers 7
        # and 8 on a new target).
        if self.reading.lun_numbering == 'array':
            used.update(e['lun_number'] for t in self._targets.values()
                        for e in t['luns'])
        return used

    def _map_luns(self, target, luns):
        """Check the conflict rules and map ``luns`` into ``target``."""
        mapped = {e['vol_id'] for e in target['luns']}
        for lun in luns:
            owner = self._pools[lun['pool']]['owner']
            if owner != target['owner']:
                raise errors.Conflict(
                    'LUN %s belongs to controller %s, target %s to %s' % (
                        lun['name'], owner, target['name'],
                        target['owner']), 'owner')
            if lun['vol_id'] in mapped:
                raise errors.Conflict('LUN %s is already in target %s'
                                      % (lun['name'], target['name']),
                                      'exists')
        self._check_maxlun(target, luns)
        numbers = self._used_lun_numbers(target)
        number = int(getattr(self.backing, 'first_lun_number', 0) or 0)
        added = []
        for lun in luns:
            while number in numbers:
                number += 1
            entry = {'vol_id': lun['vol_id'], 'lun_number': number}
            numbers.add(number)
            target['luns'].append(entry)
            added.append(entry)
        return added

    @dispatch.operation('iscsi_target.create')
    def iscsi_target_create(self, ctx, params):
        """Create a target, mapping ``lun_ids`` like Add LUN."""
        name = params['name']
        owner = self._valid_owner(params)
        lun_ids = self._lun_ids(params)
        group = self._group(params['auth_group_id'])
        portal = self._portal(params['portal_group_id'])
        luns = self._luns_of_ids(ctx, lun_ids)
        self._check_target_name(name)
        target = {'id': self._new_id(), 'name': name, 'owner': owner,
                  'auth_group_id': group['id'],
                  'portal_group_id': portal['id'], 'luns': [],
                  'created': int(time.time())}
        added = self._map_luns(target, luns)
        with self._export_change():
            self._targets[target['id']] = target
        text = 'created iSCSI target %s (owner %s)' % (name, owner)
        if luns:
            text += ' with LUN(s) %s' % ', '.join(lun['name'] for lun in luns)
        return self._target_create_answer(target, added), text

    @dispatch.operation('iscsi_target.delete')
    def iscsi_target_delete(self, ctx, params):
        """Delete a target (a conflict while LUNs are mapped in it)."""
        target = self._target(params.get('id'))
        if target['luns']:
            raise errors.Conflict('iSCSI target %s still has %d LUN(s)'
                                  % (target['name'], len(target['luns'])),
                                  'in_use')
        return self._drop_export(self._targets, target, 'iSCSI target')

    @dispatch.operation('iscsi_target.rename')
    def iscsi_target_rename(self, ctx, params):
        """Rename a target (its target_iqn changes with it)."""
        target = self._target(params.get('id'))
        self._check_owner(params, target['owner'], 'target')
        return self._rename_export(target, params['name'],
                                   self._check_target_name, 'iSCSI target')

    def _rebind_target(self, params, field, lookup, text):
        """Point the target's ``field`` at the object ``lookup`` finds."""
        target = self._target(params.get('target_id'))
        found = lookup(params[field])
        self._check_owner(params, target['owner'], 'target')
        with self._export_change():
            target[field] = found['id']
        return {'success': True}, text % (found['name'], target['name'])

    @dispatch.operation('iscsi_target.portal_group')
    def iscsi_target_portal_group(self, ctx, params):
        """Change the portal group of a target."""
        return self._rebind_target(params, 'portal_group_id', self._portal,
                                   'set portal group %s on target %s')

    @dispatch.operation('iscsi_target.auth_group')
    def iscsi_target_auth_group(self, ctx, params):
        """Bind another auth group (of either owner) to a target."""
        return self._rebind_target(params, 'auth_group_id', self._group,
                                   'bound auth group %s to target %s')

    @dispatch.operation('iscsi_target.lun_add')
    def iscsi_target_lun_add(self, ctx, params):
        """Map LUNs (by vol_id); answers the newly mapped LUNs."""
        lun_ids = self._lun_ids(params)
        target = self._target(params.get('id'))
        luns = self._luns_of_ids(ctx, lun_ids)
        self._check_owner(params, target['owner'], 'target')
        with self._export_change():
            added = self._map_luns(target, luns)
        return (self._lun_add_answer(added),
                'mapped LUN(s) %s in target %s' % (
                    ', '.join(lun['name'] for lun in luns), target['name']))

    @dispatch.operation('iscsi_target.lun_remove')
    def iscsi_target_lun_remove(self, ctx, params):
        """Unmap LUNs; answers the LUNs that remain in the target."""
        lun_ids = self._lun_ids(params)
        target = self._target(params.get('id'))
        mapped = {e['vol_id'] for e in target['luns']}
        vol_ids = [self._vol_id_of(lun_id) for lun_id in lun_ids]
        for lun_id, vol_id in zip(lun_ids, vol_ids):
            if vol_id not in mapped:
                raise errors.NotFound('LUN %s is not in target %s'
                                      % (lun_id, target['name']))
        names = [self._lun(ctx, vol_id)['name'] for vol_id in vol_ids]
        self._check_owner(params, target['owner'], 'target')
        with self._export_change():
            target['luns'] = [e for e in target['luns']
                              if e['vol_id'] not in vol_ids]
        return (self._lun_remove_answer(ctx, target),
                'unmapped LUN(s) %s from target %s' % (
                    ', '.join(names), target['name']))

    @dispatch.operation('iscsi_target.detail')
    def iscsi_target_detail(self, ctx, params):
        """One target with IQN, groups and its (in-scope) LUNs."""
        return self._target_detail(ctx, self._target(params.get('id')))

    @dispatch.operation('iscsi_target.detail_list')
    def iscsi_target_detail_list(self, ctx, params):
        """Every target in detail."""
        return [self._target_detail(ctx, t) for t in self._targets.values()]

    @dispatch.operation('iscsi_target.list')
    def iscsi_target_list(self, ctx, params):
        """Every target: name, id and owner."""
        return [self._target_brief(t) for t in self._targets.values()]

    # -- portal groups ----------------------------------------------------

    @dispatch.operation('portal_group.detail')
    def portal_group_detail(self, ctx, params):
        """One portal group with its ``listen_ips``."""
        return self._portal_view(self._portal(params.get('id')),
                                 detail=True)

    @dispatch.operation('portal_group.detail_list')
    def portal_group_detail_list(self, ctx, params):
        """Every portal group with its ``listen_ips``."""
        return [self._portal_view(g, detail=True)
                for g in self._portal_groups.values()]

    @dispatch.operation('portal_group.list')
    def portal_group_list(self, ctx, params):
        """Every portal group: id, portal_name, owner."""
        return [self._portal_view(g, detail=False)
                for g in self._portal_groups.values()]
