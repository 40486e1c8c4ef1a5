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

"""Per-host iSCSI exports: one auth group and the targets of a host.

For every connector host the array holds one auth group (the host's
initiator IQNs and, with CHAP on, one credential) and, for each controller
that owns a pool with LUNs of that host, one or more targets bound to that
group and to the configured portal group. A target holds at most
``maxlun`` LUNs; more spill to the host's next target.

What the array holds is cached per host so that attaching to a known host is
one API call. The cache is a hint, never the truth: every answer of the
array that contradicts it (404 on a target, 409 on a name) makes the driver
read the host's objects again. Callers serialise per host with a
coordination lock (see the driver), so two cinder-volume services never
build the same host's objects twice.
"""

import dataclasses
import secrets
import string

from oslo_log import log as logging

from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import naming
from cinder_ngxstorage import records
from cinder_ngxstorage import refusals

LOG = logging.getLogger(__name__)

# 16 characters from a CSPRNG over letters and digits: ~95 bits, accepted by
# every common initiator (the array takes 12-16 characters).
CHAP_SECRET_LENGTH = 16
_CHAP_ALPHABET = string.ascii_letters + string.digits


def generate_chap_secret():
    """A new CHAP secret for one host."""
    return ''.join(secrets.choice(_CHAP_ALPHABET)
                   for _ in range(CHAP_SECRET_LENGTH))


class _StaleView(ngx_exc.Conflict):
    """The cached view of a host disagrees with the array."""


@dataclasses.dataclass
class Target:
    """One target of a host, as last seen on the array (cached, mutable)."""

    target_id: str
    name: str
    owner: str
    iqn: str
    luns: dict  # vol_id -> lun_number (int)

    @classmethod
    def from_record(cls, record):
        """The cache entry of a :class:`records.Target`."""
        return cls(record.id, record.name, record.owner, record.iqn,
                   dict(record.luns))


@dataclasses.dataclass
class HostExport:
    """The array objects of one connector host."""

    host: str
    group_id: str
    iqns: set
    chap: tuple = None  # (username, secret) or None
    targets: dict = dataclasses.field(default_factory=dict)  # id -> Target

    def __repr__(self):
        # Never show the CHAP secret.
        return ('HostExport(host=%r, group_id=%r, iqns=%r, targets=%r)'
                % (self.host, self.group_id, sorted(self.iqns),
                   sorted(self.targets)))

    def targets_of(self, owner):
        """The host's targets on controller owner, by index."""
        found = [t for t in self.targets.values() if t.owner == owner]
        return sorted(found, key=lambda t: t.name)


def _named_for(host, name):
    """Whether name is one of host's targets, on either controller.

    The owner tag in the name is the controller it was made on; a
    failover gives the target to the other one, so every tag is tried.
    """
    return any(naming.target_index(host, tag, name) is not None
               for tag in ('A', 'B', '1'))


class HostExports:
    """Builds, finds and tears down the per-host export objects."""

    def __init__(self, client, portal_group_id, use_chap, maxlun,
                 group_owner, secrets=None):
        self.client = client
        # Where every service of the backend keeps each host's CHAP
        # secret (the driver's store in Cinder's database), or None:
        # ``get(group_name)`` -> secret or None, ``put(group_name,
        # secret)`` -> the secret kept (an earlier one wins).
        self.secrets = secrets
        # Auth groups are created on one controller (the owner of the
        # first pool); the array lets a group serve targets of both.
        self.group_owner = group_owner
        self.portal_group_id = portal_group_id
        self.use_chap = use_chap
        self.maxlun = maxlun
        self._cache = {}
        # owner -> the array's iqn_name, once a target read back proved
        # that target IQNs are "<iqn_name>:<target name>" (see
        # _created_target).
        self._iqn_base = {}

    # -- reading what the array holds -----------------------------------

    def forget(self, host):
        """Drop the cached view of a host."""
        self._cache.pop(host, None)

    def forget_all(self):
        """Drop every cached host view (targets changed owner)."""
        self._cache.clear()

    def lookup(self, host):
        """The host's objects: cached, else read from the array, or None."""
        entry = self._cache.get(host)
        if entry is None:
            entry = self._read_host(host)
            if entry is not None:
                self._cache[host] = entry
        return entry

    def _read_host(self, host):
        # Cold path (new host for this service, or after a conflict): the
        # array cannot look objects up by name, so list them once.
        group_name = naming.auth_group_name(host)
        group = records.AuthGroupList.from_answer(
            self.client.list_auth_groups()).by_name(group_name)
        targets = self._read_targets(host)
        if group is None:
            if targets:
                LOG.warning('Host %(host)s has targets %(t)s but no auth '
                            'group %(g)s on the array; they will be reused.',
                            {'host': host, 't': sorted(targets),
                             'g': group_name})
                return HostExport(host, None, set(), None, targets)
            return None
        entry = self._read_group(host, group.id)
        entry.targets = targets
        if self.use_chap:
            self._keep_secret(entry)
        return entry

    def _read_group(self, host, group_id):
        group = records.AuthGroup.from_answer(
            self.client.get_auth_group(group_id), group_id)
        return HostExport(host, group_id, set(group.iqns), group.chap)

    def _read_targets(self, host):
        targets = {}
        for item in records.TargetList.from_answer(
                self.client.list_targets()):
            if not _named_for(host, item.name):
                continue
            targets[item.id] = self._read_target(item.id)
        return targets

    def _read_target(self, target_id):
        return Target.from_record(records.Target.from_answer(
            self.client.get_target(target_id), target_id))

    # -- attach ---------------------------------------------------------

    def attach(self, host, initiator, vol_id, owner):
        """Map vol_id for host; return (HostExport, Target, lun_number)."""
        try:
            entry = self._ensure_group(host, initiator)
            target, lun = self._map_lun(entry, vol_id, owner)
        except (ngx_exc.NotFound, _StaleView):
            # The group or a target vanished, or a target appeared under
            # us (another service changed the host or cleaned up after an
            # interrupted attach): read the host again and retry once.
            self.forget(host)
            entry = self._ensure_group(host, initiator)
            target, lun = self._map_lun(entry, vol_id, owner)
        return entry, target, lun

    def _ensure_group(self, host, initiator):
        entry = self._cache.get(host)
        if entry is None or entry.group_id is None:
            entry = self._create_group(host, entry)
        if initiator not in entry.iqns:
            self._add_iqn(entry, initiator)
        if self.use_chap and (entry.chap is None or entry.chap[1] is None):
            self._set_chap(entry)
        return entry

    def _add_iqn(self, entry, initiator):
        try:
            self.client.add_auth_group_iqn(
                entry.group_id, initiator, _alias(entry.host),
                self.group_owner)
        except refusals.REFUSED as err:
            # Added already (an earlier answer was lost, another service
            # did it) or held by another group: the group tells which.
            if refusals.classify(err) not in _MAYBE_DONE:
                raise
            fresh = self._read_group(entry.host, entry.group_id)
            if initiator not in fresh.iqns:
                raise
            entry.chap = entry.chap or fresh.chap
        entry.iqns.add(initiator)

    def _create_group(self, host, known):
        name = naming.auth_group_name(host)
        try:
            group_id = records.created_group_id(
                self.client.create_auth_group(name, self.group_owner))
        except refusals.REFUSED as err:
            # It exists already (made by another service or before a
            # restart): adopt what the array holds.
            if refusals.classify(err) not in _MAYBE_DONE:
                raise
            entry = self._read_host(host)
            if entry is None or entry.group_id is None:
                raise
            self._cache[host] = entry
            return entry
        LOG.info('Created auth group %(name)s (%(id)s) for host %(host)s.',
                 {'name': name, 'id': group_id, 'host': host})
        entry = HostExport(host, group_id, set(), None,
                           known.targets if known else {})
        self._cache[host] = entry
        return entry

    def _set_chap(self, entry):
        """Make entry.chap the host's complete credential.

        The secret handed out must be the array's. When the array has no
        CHAP yet, or will not give its secret back (masked or omitted in
        reads), the secret the backend's services keep for the host is
        used: set again on the array only when the array has none (the
        same secret again is harmless anyway). A new secret is made only
        when none is known anywhere; it is kept before it is set, so that
        every service hands out the same one.
        """
        name = naming.auth_group_name(entry.host)
        on_array = entry.chap is not None
        username = (entry.chap[0] if on_array and entry.chap[0]
                    else naming.chap_username(entry.host))
        secret = self.secrets.get(name) if self.secrets else None
        if secret is not None and on_array:
            entry.chap = (username, secret)
            return
        if secret is None:
            secret = generate_chap_secret()
            if self.secrets:
                secret = self.secrets.put(name, secret)
            if on_array:
                LOG.warning('The array does not return the CHAP secret of '
                            'host %s and no service of this backend kept '
                            'it: a new one is set. Running sessions go on; '
                            'new logins use the new secret.', entry.host)
        self.client.set_auth_group_chap(entry.group_id, username, secret,
                                        self.group_owner)
        entry.chap = (username, secret)
        LOG.info('Set CHAP credentials of host %s.', entry.host)

    def _keep_secret(self, entry):
        """Keep a secret the array showed, for when it masks it later."""
        if (self.secrets and entry.chap is not None
                and entry.chap[1] is not None):
            self.secrets.put(naming.auth_group_name(entry.host),
                             entry.chap[1])

    def _map_lun(self, entry, vol_id, owner):
        targets = entry.targets_of(owner)
        # Already mapped for this host (a repeated attach): confirm it.
        for target in targets:
            if vol_id in target.luns:
                fresh = self._read_target(target.target_id)
                entry.targets[target.target_id] = fresh
                if vol_id in fresh.luns:
                    return fresh, fresh.luns[vol_id]
        for target in targets:
            if len(target.luns) >= self.maxlun:
                continue
            for attempt in (1, 2):
                try:
                    added = self.client.add_target_luns(
                        target.target_id, [vol_id], owner)
                except refusals.REFUSED as err:
                    # Full (other services added LUNs) or already mapped:
                    # the target's detail tells which. Other reasons
                    # (controller, licence, pool offline) fail.
                    if refusals.classify(err) not in _MAYBE_DONE + (
                            refusals.TARGET_FULL, refusals.LIMIT):
                        raise
                    fresh = self._read_target(target.target_id)
                    entry.targets[target.target_id] = fresh
                    if vol_id in fresh.luns:
                        return fresh, fresh.luns[vol_id]
                    if attempt == 1 and len(fresh.luns) < self.maxlun:
                        continue  # Not full: whatever it was, try again.
                    added = None
                break
            if added is None:
                continue  # Full: the next target, or a new one.
            mapped = records.lun_map(added)
            if vol_id not in mapped:
                # An answer without the new mapping (or keyed by another
                # id kind): the LUN number must be the one the initiator
                # will see, so it comes from the target as read.
                fresh = self._read_target(target.target_id)
                entry.targets[target.target_id] = fresh
                return fresh, _lun_number(fresh, vol_id, 'Add LUN')
            target.luns.update(mapped)
            return target, _lun_number(target, vol_id, 'Add LUN')
        return self._new_target(entry, vol_id, owner)

    def _new_target(self, entry, vol_id, owner):
        # Indexes of the names with this owner's tag (a target keeps its
        # name when a failover gives it to the other controller).
        used = {naming.target_index(entry.host, owner, t.name)
                for t in entry.targets.values()}
        index = next(i for i in range(len(used) + 1) if i not in used)
        name = naming.target_name(entry.host, owner, index)
        try:
            created = self.client.create_target(
                name, entry.group_id, self.portal_group_id, owner,
                lun_ids=[vol_id])
        except refusals.REFUSED as err:
            if refusals.classify(err) not in _MAYBE_DONE:
                raise
            # The name exists: our view of the host is stale.
            self.forget(entry.host)
            raise _StaleView(message='target %s exists already' % name,
                             method='POST', path='/api/v2/target/iscsi/',
                             status=409)
        target = self._created_target(
            self._created_record(created, name), name, owner, vol_id)
        entry.targets[target.target_id] = target
        LOG.info('Created target %(name)s for host %(host)s.',
                 {'name': name, 'host': entry.host})
        return target, _lun_number(target, vol_id, 'target create')

    def _created_record(self, created, name):
        """The id and LUN map a target create answered.

        The reference says the create "returns an empty object": an
        answer without the id is looked up by name (one listing).
        """
        try:
            return records.CreatedTarget.from_answer(created)
        except ngx_exc.InvalidResponse:
            found = records.TargetList.from_answer(
                self.client.list_targets()).by_name(name)
            if found is None:
                raise
            return records.CreatedTarget(found.id, records.lun_map({}))

    def _created_target(self, created, name, owner, vol_id):
        """The target a create answered; read back only when needed.

        The create answer holds the id and the LUN numbers but not the
        target IQN. The array forms it as ``<iqn_name>:<target name>``
        (API-NOTES 12, the reference's examples): once reading back one
        target of this controller confirms that, later targets are not
        read, which saves one call per new host. An array that answers
        otherwise is read every time.
        """
        base = self._iqn_base.get(owner)
        if base and vol_id in created.luns:
            return Target(created.id, name, owner, '%s:%s' % (base, name),
                          dict(created.luns))
        detail = records.Target.from_answer(
            self.client.get_target(created.id), created.id)
        base = detail.iqn_name
        if base and detail.iqn == '%s:%s' % (base, name):
            self._iqn_base[owner] = base
        return Target.from_record(detail)

    # -- detach ---------------------------------------------------------

    def detach(self, host, vol_id, owner=None):
        """Unmap vol_id from the host; remove the host's objects if empty.

        Returns True when the LUN was mapped for that host.
        """
        if self._detach(host, vol_id, owner):
            return True
        # Not in any target we knew of: another service may have mapped it
        # into a target made since. Read the host again, once.
        self.forget(host)
        return self._detach(host, vol_id, owner)

    def _detach(self, host, vol_id, owner):
        entry = self.lookup(host)
        if entry is None:
            return False
        unmapped = False
        # A target known to map the LUN is a candidate whatever its owner
        # (it may have changed with a failover since it was read).
        candidates = (entry.targets_of(owner) + [
            t for t in entry.targets.values()
            if t.owner != owner and vol_id in t.luns] if owner
            else list(entry.targets.values()))
        for target in candidates:
            if vol_id not in target.luns:
                # The cache may be stale: confirm with the array.
                try:
                    target = self._read_target(target.target_id)
                except ngx_exc.NotFound:
                    entry.targets.pop(target.target_id, None)
                    continue
                entry.targets[target.target_id] = target
                if vol_id not in target.luns:
                    if not target.luns:
                        # Emptied by an earlier detach that failed before
                        # removing it.
                        self._delete_target(entry, target)
                    continue
            remaining = self._unmap(target, vol_id)
            unmapped = True
            if remaining is None:
                entry.targets.pop(target.target_id, None)
            elif not remaining:
                self._delete_target(entry, target)
        if not entry.targets:
            self._delete_group(entry)
        return unmapped

    def _unmap(self, target, vol_id):
        """Remove vol_id from target; the LUNs left, None if it is gone."""
        try:
            result = self._remove_lun(target, vol_id)
        except ngx_exc.NotFound:
            # Unmapped already (an earlier answer was lost) or the target
            # is gone: its detail tells which.
            try:
                fresh = self._read_target(target.target_id)
            except ngx_exc.NotFound:
                self._confirm_not_exported(target, vol_id)
                return None
            target.luns = fresh.luns
            return target.luns
        if not records.has_lun_map(result):
            # The answer does not list the LUNs left: the unmap is
            # confirmed by one read of the target.
            try:
                fresh = self._read_target(target.target_id)
            except ngx_exc.NotFound:
                return None
            target.luns = fresh.luns
        else:
            target.luns = records.lun_map(result)
        if vol_id in target.luns:
            raise ngx_exc.RequestFailed(
                'LUN %s is still mapped in target %s after Remove LUN was '
                'answered' % (vol_id, target.name))
        return target.luns

    def _remove_lun(self, target, vol_id):
        """Remove LUN, naming the target's owner as last read.

        Refused for the controller (a failover gave the target to the
        other one since): once more with the owner the array shows.
        """
        try:
            return self.client.remove_target_luns(
                target.target_id, [vol_id], target.owner)
        except refusals.REFUSED as err:
            if refusals.classify(err) != refusals.OWNER:
                raise
        target.owner = self._read_target(target.target_id).owner
        return self.client.remove_target_luns(
            target.target_id, [vol_id], target.owner)

    def _confirm_not_exported(self, target, vol_id):
        """The target is not found by its id: check the LUN's exports.

        An array whose paths take another id than the ``scsi_id`` its
        listings show answers 404 for a target that is still there; a
        detach must not then be reported done while the LUN is mapped.
        The LUN's detail names the targets that export it (one read, only
        on this path).
        """
        try:
            lun = records.Lun.from_answer(self.client.get_lun(vol_id),
                                          vol_id)
        except ngx_exc.NotFound:
            return  # No LUN, no mapping.
        names = {n.strip() for n in lun.exported_to.replace(',', ' ')
                 .split()}
        if target.name in names or (target.iqn and target.iqn in names):
            raise ngx_exc.RequestFailed(
                'LUN %s is still exported by target %s, which the array '
                'does not find by its id %s' % (vol_id, target.name,
                                                target.target_id))

    def _delete_target(self, entry, target):
        """Remove an emptied target; a failure leaves it for later.

        The LUN is unmapped, which is what the caller needed; an empty
        target is reused by the host's next attach, removed by its next
        detach or by the clean-up at service start.
        """
        try:
            self.client.delete_target(target.target_id)
        except ngx_exc.NotFound:
            pass
        except refusals.REFUSED:
            # LUNs were added meanwhile: keep it.
            entry.targets[target.target_id] = self._read_target(
                target.target_id)
            return
        except ngx_exc.NGXStorageError as err:
            LOG.warning('Could not remove the empty target %(name)s of '
                        'host %(host)s (%(err)s); it is removed later.',
                        {'name': target.name, 'host': entry.host,
                         'err': err})
            return
        entry.targets.pop(target.target_id, None)
        LOG.info('Removed target %(name)s of host %(host)s (no LUN left).',
                 {'name': target.name, 'host': entry.host})

    def _delete_group(self, entry):
        """Remove a host's group once it has no target; best effort."""
        if entry.group_id is None:
            self.forget(entry.host)
            return
        try:
            self.client.delete_auth_group(entry.group_id)
        except ngx_exc.NotFound:
            pass
        except refusals.REFUSED:
            # Still bound to a target we did not know of: read again.
            self.forget(entry.host)
            return
        except ngx_exc.NGXStorageError as err:
            self.forget(entry.host)
            LOG.warning('Could not remove the auth group of host %(host)s '
                        '(%(err)s); it is removed later.',
                        {'host': entry.host, 'err': err})
            return
        self.forget(entry.host)
        LOG.info('Removed auth group of host %s (no target left).',
                 entry.host)

    def targets_with_lun(self, vol_id):
        """(host digest stem, target) of every driver target mapping vol_id.

        Lists every target: used only by a force detach, which has no
        connector to name the host.
        """
        found = []
        for item in records.TargetDetailList.from_answer(
                self.client.list_targets_detail()):
            if (item.name.startswith(naming.TARGET_PREFIX)
                    and vol_id in item.luns):
                found.append((Target.from_record(item), item.group_id))
        return found

    def force_unmap(self, target, group_id, vol_id):
        """Unmap vol_id from a target found by targets_with_lun.

        An emptied target is removed, and its auth group too when no other
        target uses it (the array refuses with 409 otherwise).
        """
        for entry in list(self._cache.values()):
            if target.target_id in entry.targets:
                self.forget(entry.host)
        remaining = self._unmap(target, vol_id)
        if remaining is not None and not remaining:
            self._remove_empty(target.target_id, group_id)

    def _remove_empty(self, target_id, group_id):
        """Delete an empty target, then its group if nothing else uses it.

        Best effort: what fails is left for :meth:`collect_leftovers`.
        Returns the number of objects removed.
        """
        removed = 0
        try:
            self.client.delete_target(target_id)
            removed += 1
        except (ngx_exc.NotFound,) + refusals.REFUSED:
            return removed
        except ngx_exc.NGXStorageError as err:
            LOG.warning('Could not remove the empty target %(id)s '
                        '(%(err)s); it is removed later.',
                        {'id': target_id, 'err': err})
            return removed
        if group_id and group_id != '1':
            removed += self._remove_group(group_id)
        return removed

    def _remove_group(self, group_id):
        try:
            self.client.delete_auth_group(group_id)
            return 1
        except (ngx_exc.NotFound,) + refusals.REFUSED:
            return 0
        except ngx_exc.NGXStorageError as err:
            LOG.warning('Could not remove the auth group %(id)s (%(err)s); '
                        'it is removed later.', {'id': group_id, 'err': err})
            return 0

    def collect_leftovers(self, run_locked):
        """Remove the host objects a failed detach or attach left behind.

        Targets of ours without any LUN, and auth groups of ours bound to
        no target, serve nobody: the driver removes a target as soon as it
        is emptied and a group with its last target, so these are what an
        interrupted detach (or an attach that failed before creating its
        target) left. Each is removed under its host's lock
        (``run_locked(key, func)``), so an attach in progress on another
        service is never undone. Returns the number of objects removed.
        """
        removed = 0
        details = records.TargetDetailList.from_answer(
            self.client.list_targets_detail())
        bound = set()
        for item in details:
            if item.luns or not naming.is_target_name(item.name):
                bound.add(item.group_id)
                continue
            target_id, group_id = item.id, item.group_id
            self._forget_objects(target_id, group_id)
            removed += run_locked(host_lock_key(target_name=item.name),
                                  lambda: self._remove_if_empty(
                                      target_id, group_id))
        for group in records.AuthGroupList.from_answer(
                self.client.list_auth_groups()):
            if group.id in bound or not naming.is_auth_group_name(
                    group.name):
                continue
            group_id = group.id
            self._forget_objects(None, group_id)
            removed += run_locked(host_lock_key(group_name=group.name),
                                  lambda: self._remove_group(group_id))
        if removed:
            LOG.info('Removed %d empty target(s) and auth group(s) left by '
                     'interrupted operations.', removed)
        return removed

    def _remove_if_empty(self, target_id, group_id):
        try:
            if self._read_target(target_id).luns:
                return 0  # Used again meanwhile.
        except ngx_exc.NotFound:
            return 0
        return self._remove_empty(target_id, group_id)

    def _forget_objects(self, target_id, group_id):
        for entry in list(self._cache.values()):
            if target_id in entry.targets or (
                    group_id and entry.group_id == group_id):
                self.forget(entry.host)


# Refusals after which what was asked may be done already (by an earlier
# request whose answer was lost, or another service): read and see.
_MAYBE_DONE = (refusals.ALREADY_EXISTS, refusals.UNKNOWN)


def _lun_number(target, vol_id, call):
    """The LUN number of vol_id, which the array's answer to call gave."""
    if vol_id not in target.luns:
        raise ngx_exc.InvalidResponse(
            'the array\'s answer to %s does not list LUN %s in target %s'
            % (call, vol_id, target.name))
    return target.luns[vol_id]


def host_lock_key(host=None, target_name=None, group_name=None):
    """Lock key of a host, from its name, a target's or its group's."""
    if target_name is not None:
        return target_name[len(naming.TARGET_PREFIX):][:20]
    if group_name is not None:
        return group_name[len(naming.AUTH_GROUP_PREFIX):][:20]
    return naming.target_name(host, '', 0)[len(naming.TARGET_PREFIX):][:20]


def _alias(host):
    """iqn_alias of a host: 1-64 of [A-Za-z0-9_.:-]."""
    cleaned = ''.join(c if c.isalnum() and c.isascii() or c in '_.:-'
                      else '-' for c in host)
    return cleaned[:64] or 'cinder-host'
