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

"""Controllers: failover and failback of a dual-controller array.

:meth:`Controllers.failover` takes one controller down: the survivor
takes over its pools (and so their LUNs), its iSCSI targets and its auth
groups -- their ``owner`` changes in every view -- and the portals of the
failed controller's portal groups stop serving (the data plane stops
listening on them; ``serving_portals`` of the export view). What moved
is remembered, so :meth:`Controllers.failback` can give it back.

Both are admin helpers (``POST /_sim/failover``, ``POST /_sim/failback``)
and persisted with the rest of the state (``failed_controllers``,
``moved_by_failover``). The HTTP front makes the API requests in flight
at a failover fail (see ``server/app.py``); ``failover_epoch`` (set by
``ModelBase._init_runtime``, not persisted) counts the failovers and
failbacks of this process for it.
"""

import logging

from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors

LOG = logging.getLogger(__name__)


class Controllers(object):
    """Failover, failback and the portals that serve (module docstring)."""

    @property
    def failed_controllers(self):
        """Owner names of the controllers taken down by failover."""
        with self.lock:
            return list(self._failed)

    def _serving_portals(self):
        """The portals of the portal groups of controllers not failed."""
        return [p for g in self._portal_groups.values()
                if g['owner'] not in self._failed
                for p in g['listen_ips']]

    @property
    def serving_portals(self):
        """Portals that serve logins (those of controllers not failed)."""
        with self.lock:
            return self._serving_portals()

    def _controller(self, text, what):
        """A controller's owner name from ``A``/``B`` or the full name."""
        if len(self._owners) != 2:
            raise errors.Conflict('the array has a single controller: no '
                                  'failover', 'controller')
        text = str(text)
        if text.upper() in ('A', 'B'):
            text = '%s_%s' % (self._service_tag, text.upper())
        if text not in self._owners:
            raise errors.Invalid('%s must be A, B, %s or %s, got %r' % (
                what, self._owners[0], self._owners[1], text[:40]))
        return text

    def _other(self, owner):
        return [o for o in self._owners if o != owner][0]

    @dispatch.admin
    def failover(self, failed=None, survivor=None):
        """Take controller ``failed`` down; ``survivor`` takes over.

        Give either (``A``/``B`` or the owner name); on two controllers
        one names the other. Pools, targets and auth groups owned by the
        failed controller change owner; its portal groups stop serving.
        Returns ``{"failed", "survivor", "pools", "targets",
        "auth_groups"}`` (names of what moved). A conflict when the
        survivor is down too, invalid when the two are the same.
        """
        if failed is None and survivor is None:
            raise errors.Invalid('name the failed controller ("from") or '
                                 'the survivor ("to")')
        if failed is not None:
            failed = self._controller(failed, 'from')
        if survivor is not None:
            survivor = self._controller(survivor, 'to')
        failed = failed or self._other(survivor)
        survivor = survivor or self._other(failed)
        if failed == survivor:
            raise errors.Invalid('a controller cannot fail over to itself')
        if survivor in self._failed:
            raise errors.Conflict('controller %s is down: fail back first'
                                  % survivor, 'controller')
        if failed in self._failed:
            raise errors.Conflict('controller %s is already down' % failed,
                                  'controller')
        moved = {'pools': [], 'targets': [], 'auth_groups': []}
        for pool in self._pools.values():
            if pool['owner'] == failed:
                pool['owner'] = survivor
                moved['pools'].append(pool['name'])
        for target in self._targets.values():
            if target['owner'] == failed:
                target['owner'] = survivor
                moved['targets'].append(target['id'])
        for group in self._groups.values():
            if group['owner'] == failed:
                group['owner'] = survivor
                moved['auth_groups'].append(group['id'])
        self._failed.append(failed)
        self._moved[failed] = moved
        self.failover_epoch += 1
        self._add_alert('CRITICAL', 'Controller %s failed: %s took over '
                        '%d pool(s), %d target(s), %d auth group(s)' % (
                            failed, survivor, len(moved['pools']),
                            len(moved['targets']),
                            len(moved['auth_groups'])))
        self._controllers_changed(moved['targets'])
        self._changed()
        return {'failed': failed, 'survivor': survivor,
                'pools': moved['pools'],
                'targets': [self._targets[t]['name']
                            for t in moved['targets']],
                'auth_groups': [self._groups[g]['name']
                                for g in moved['auth_groups']]}

    @dispatch.admin
    def failback(self, controller):
        """Bring ``controller`` back and give it back what it owned.

        The pools, targets and auth groups the failover moved (and that
        still exist) return to it, with every target made since that maps
        LUNs of those pools only and every auth group made since that is
        bound only to returning targets; a target mapping LUNs of pools
        of both controllers makes a conflict (nothing changes). Its
        portals serve again. Returns what moved, as :meth:`failover`.
        """
        home = self._controller(controller, 'controller')
        if home not in self._failed:
            raise errors.Conflict('controller %s is not down' % home,
                                  'controller')
        moved = self._moved.get(home) or {}
        pools = {name for name in moved.get('pools', ())
                 if name in self._pools}
        targets = set(t for t in moved.get('targets', ())
                      if t in self._targets)
        for target in self._targets.values():
            in_pools = {self._luns[e['vol_id']]['pool'] in pools
                        for e in target['luns']}
            if in_pools == {True, False}:
                raise errors.Conflict(
                    'target %s maps LUNs of pools of both controllers: '
                    'unmap them before failback' % target['name'],
                    'owner')
            if in_pools == {True}:
                targets.add(target['id'])
            elif in_pools == {False} and target['id'] in targets:
                # Now holds LUNs of the survivor's own pools only.
                targets.discard(target['id'])
        for name in pools:
            self._pools[name]['owner'] = home
        for target_id in targets:
            self._targets[target_id]['owner'] = home
        groups = [g for g in moved.get('auth_groups', ())
                  if g in self._groups]
        # An auth group made on the survivor since, bound only to targets
        # that go back, goes back with them.
        survivor = self._other(home)
        for group in self._groups.values():
            bound = {t['id'] for t in self._targets.values()
                     if t['auth_group_id'] == group['id']}
            if (group['owner'] == survivor and group['id'] not in groups
                    and bound and bound <= targets):
                groups.append(group['id'])
        for group_id in groups:
            self._groups[group_id]['owner'] = home
        self._failed.remove(home)
        self._moved.pop(home, None)
        self.failover_epoch += 1
        self._add_alert('INFO', 'Controller %s is back: %d pool(s), %d '
                        'target(s), %d auth group(s) returned' % (
                            home, len(pools), len(targets), len(groups)))
        self._controllers_changed(sorted(targets))
        self._changed()
        return {'controller': home, 'pools': sorted(pools),
                'targets': sorted(self._targets[t]['name']
                                  for t in targets),
                'auth_groups': sorted(self._groups[g]['name']
                                      for g in groups)}

    def _controllers_changed(self, moved_targets):
        """Tell the data plane which portals serve, which targets moved.

        A data-plane failure is logged, not raised: the controller change
        has happened on the array whatever its ports do.
        """
        hook = getattr(self.backing, 'controllers_changed', None)
        if hook is None:
            return
        iqns = [self._target_iqn(self._targets[t]) for t in moved_targets]
        try:
            hook(self._serving_portals(), iqns)
        except Exception:
            LOG.exception('Simulator data plane: could not apply the '
                          'controller change')
