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

Every name comes from :class:`naming.HostNames`: the deployment's
namespace and the host (and, for targets, the portal group), so another
deployment sharing the array never finds, adopts or removes these objects,
and they never adopt another's. An initiator the array admits in another
deployment's group already is a configuration error, reported as such
(see :mod:`ownership`). Objects driver 1.1 named (``legacy``, the
same names in every deployment) are handled for the upgrade only: their
mappings of our volumes are removed on detach, and a legacy group is taken
over (renamed) only when every LUN it serves is a volume of this
deployment (see doc/source/shared-arrays.rst).
"""

import dataclasses
import functools
import secrets
import string
import threading

from oslo_log import log as logging

from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import naming
from cinder_ngxstorage import ownership
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
    # iqn -> the array's entry id (for Delete IQN), when read.
    iqn_ids: dict = dataclasses.field(default_factory=dict)

    def __repr__(self):
        # Never show the CHAP secret.
        return ('HostExport(host=%r, group_id=%r, iqns=%r, targets=%r)'
                % (self.host, self.group_id, sorted(self.iqns),
                   sorted(self.targets)))

    def targets_of(self, owner):
        """The host's targets on controller owner, by index."""
        found = [t for t in self.targets.values() if t.owner == owner]
        return sorted(found, key=lambda t: t.name)


class HostExports:
    """Builds, finds and tears down the per-host export objects."""

    def __init__(self, client, portal_group_id, use_chap, maxlun,
                 group_owner, secrets=None, names=None, knows_luns=None):
        self.client = client
        # The names of this deployment's host objects (naming.HostNames;
        # the driver always gives them, the default is for unit tests).
        self.names = names or naming.HostNames('x', portal_group_id)
        # knows_luns(vol_ids) -> whether every one is a volume of this
        # deployment (Cinder's database), or None: legacy objects are
        # then never taken over.
        self.knows_luns = knows_luns
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
        # host -> {vol_id} whose mapping a failed undo may have left, and
        # hosts whose emptied objects a failed removal left: both are
        # seen to by the host's next attach or detach (see _repair).
        self._pending = {}
        self._untidy = set()
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
        # array cannot look objects up by name, so list them once. The
        # two listings, then the group's and the targets' details, are
        # read at once: two round trips whatever the host holds.
        group_name = self.names.auth_group_name(host)
        groups, listing = _concurrently(self.client.list_auth_groups,
                                        self.client.list_targets)
        group = records.AuthGroupList.from_answer(groups).by_name(
            group_name)
        ids = self._host_target_ids(host, listing)
        reads = [functools.partial(self._read_target, target_id)
                 for target_id in ids]
        if group is not None:
            reads.append(functools.partial(self._read_group, host,
                                           group.id))
        found = _concurrently(*reads) if reads else []
        targets = {t.target_id: t for t in found[:len(ids)]}
        if group is None:
            if targets:
                LOG.warning('Host %(host)s has targets %(t)s but no auth '
                            'group %(g)s on the array; they will be reused.',
                            {'host': host, 't': sorted(targets),
                             'g': group_name})
                return HostExport(host, None, set(), None, targets)
            return None
        entry = found[-1]
        entry.targets = targets
        if self.use_chap:
            self._keep_secret(entry)
        return entry

    def _read_group(self, host, group_id):
        group = records.AuthGroup.from_answer(
            self.client.get_auth_group(group_id), group_id)
        return HostExport(host, group_id, set(group.iqns), group.chap,
                          iqn_ids=dict(group.iqns))

    def _host_target_ids(self, host, listing):
        """ids of the host's targets (on either controller) in a listing."""
        return [item.id for item in records.TargetList.from_answer(listing)
                if self.names.is_target_of(host, item.name)]

    def _read_target(self, target_id):
        return Target.from_record(records.Target.from_answer(
            self.client.get_target(target_id), target_id))

    # -- attach ---------------------------------------------------------

    def attach(self, host, initiator, vol_id, owner, keep_lun=False,
               initiator_in_use=None):
        """Map vol_id for host; return (HostExport, Target, lun_number).

        When it fails after it may have changed the array, what it did for
        the host is undone before the error is raised (see :meth:`_undo`):
        the LUN's mapping for the host (unless ``keep_lun``: another live
        attachment of the host uses it), a target left empty, a group left
        without targets, the initiator it added. The error then carries
        ``aftermath``, one sentence saying whether the undo worked.
        ``initiator_in_use(iqn)`` -> True, False or None (not known) says
        whether a live attachment still logs in with an initiator.
        """
        self._repair(host, keep=vol_id)
        try:
            entry, target, lun = self._attach_or_undo(
                host, initiator, vol_id, owner, keep_lun, initiator_in_use)
        except ownership.LegacyGroupFound as found:
            # The initiator is in the group driver 1.1 made for this host,
            # serving only our volumes. What this try made is undone
            # (unless that failed: then nothing is taken over); the group
            # is taken over and the attach made again, once.
            if host in self._untidy:
                raise
            ownership.take_over(self, host, found.holder)
            entry, target, lun = self._attach_or_undo(
                host, initiator, vol_id, owner, keep_lun, initiator_in_use)
        self._pending.get(host, set()).discard(vol_id)
        self._tidy(entry, keep=target)
        self._drop_unused_initiators(entry, initiator, initiator_in_use)
        return entry, target, lun

    def _attach_or_undo(self, host, initiator, vol_id, owner, keep_lun,
                        initiator_in_use):
        """One attach; on failure, what it did is undone (see attach)."""
        journal = _Journal()
        try:
            try:
                entry, target, lun = self._attach(host, initiator, vol_id,
                                                  owner, journal)
            except (ngx_exc.NotFound, _StaleView):
                # The group or a target vanished, or a target appeared
                # under us (another service changed the host or cleaned
                # up after an interrupted attach): read the host again
                # and retry once.
                self.forget(host)
                entry, target, lun = self._attach(host, initiator, vol_id,
                                                  owner, journal)
        except ngx_exc.NGXStorageError as err:
            err.aftermath = self._undo(host, initiator, vol_id, journal,
                                       keep_lun, initiator_in_use)
            raise
        return entry, target, lun

    def _drop_unused_initiators(self, entry, initiator, in_use):
        """Remove the group's other initiators no live attachment uses.

        A reinstalled host attaches with a new IQN: the old one must not
        keep its access. An IQN is removed only when Cinder's attachments
        say for sure that none uses it (running sessions are not cut).
        Best effort.
        """
        others = sorted(entry.iqns - {initiator})
        if not others or in_use is None or entry.group_id is None:
            return
        unused = [iqn for iqn in others if in_use(iqn) is False]
        if not unused:
            return
        try:
            if any(iqn not in entry.iqn_ids for iqn in unused):
                fresh = self._read_group(entry.host, entry.group_id)
                entry.iqns = set(fresh.iqns) | {initiator}
                entry.iqn_ids = fresh.iqn_ids
            for iqn in unused:
                if iqn in entry.iqn_ids:
                    self._delete_iqn(entry, iqn)
                entry.iqns.discard(iqn)
        except ngx_exc.NGXStorageError as err:
            self.forget(entry.host)
            LOG.warning('Could not remove the unused initiators %(iqns)s '
                        'of host %(host)s (%(err)s); tried again at its '
                        'next attach.', {'iqns': unused, 'host': entry.host,
                                         'err': err})

    # -- undoing a failed attach ----------------------------------------

    def _undo(self, host, initiator, vol_id, journal, keep_lun, in_use):
        """Undo what a failed attach did for host; the aftermath sentence.

        The array is read again rather than trusting which calls were
        answered: a call whose answer was lost may or may not have
        changed it. Best effort: when the undo fails, what it could not
        remove is left to the host's next attach or detach (and, for
        empty objects, to the clean-up at service start).
        """
        if not journal.changed:
            return ''
        self.forget(host)
        try:
            self._undo_on_array(host, initiator, vol_id, journal, keep_lun,
                                in_use)
        except ngx_exc.NGXStorageError as err:
            self.forget(host)
            self._untidy.add(host)
            if not keep_lun:
                self._pending.setdefault(host, set()).add(vol_id)
            LOG.warning('Could not undo the failed attach of LUN %(vol)s '
                        'to host %(host)s (%(err)s); the host\'s next attach '
                        'or detach removes what is left.',
                        {'vol': vol_id, 'host': host, 'err': err})
            return ('Undoing the attach failed too (%s): LUN %s may still '
                    'be mapped for host %s until the host\'s next attach or '
                    'detach on this service removes it (retrying the '
                    'attach also repairs it).' % (err, vol_id, host))
        finally:
            self.forget(host)
        LOG.info('Undid the failed attach of LUN %(vol)s to host %(host)s.',
                 {'vol': vol_id, 'host': host})
        if keep_lun:
            return ('What the attach changed on the array was undone; the '
                    'LUN stays mapped for the host\'s other attachments.')
        return 'What the attach changed on the array was undone.'

    def _undo_on_array(self, host, initiator, vol_id, journal, keep_lun,
                       in_use):
        entry = self._read_host(host)
        if entry is None:
            return
        if not keep_lun:
            self._unmap_all(entry, {vol_id})
        self._remove_empty_objects(entry)
        if (journal.iqn_added and entry.group_id is not None
                and initiator in entry.iqn_ids
                and not (in_use and in_use(initiator))):
            self._delete_iqn(entry, initiator)

    def _unmap_all(self, entry, vol_ids):
        """Unmap vol_ids from every target of entry (read just before)."""
        for target in list(entry.targets.values()):
            for vol_id in vol_ids:
                if vol_id not in target.luns:
                    continue
                if self._unmap(target, vol_id) is None:
                    entry.targets.pop(target.target_id, None)
                    break

    def _remove_empty_objects(self, entry, keep=None):
        """Delete entry's targets without LUNs, then a group left bare.

        entry must be as read from the array (or kept up to date since).
        Raises what fails; 404 counts as removed.
        """
        for target in list(entry.targets.values()):
            if not target.luns and target is not keep:
                self._drop_target(entry, target)
        if not entry.targets and entry.group_id is not None:
            try:
                self.client.delete_auth_group(entry.group_id)
            except ngx_exc.NotFound:
                pass
            LOG.info('Removed auth group of host %s (no target left).',
                     entry.host)
            entry.group_id = None
            self.forget(entry.host)

    def _delete_iqn(self, entry, initiator):
        """Remove one initiator from the host's group (404: gone)."""
        iqn_id = entry.iqn_ids.get(initiator)
        if iqn_id is None:
            return
        try:
            self.client.delete_auth_group_iqn(iqn_id)
        except ngx_exc.NotFound:
            pass
        entry.iqns.discard(initiator)
        entry.iqn_ids.pop(initiator, None)
        LOG.info('Removed initiator %(iqn)s from the auth group of host '
                 '%(host)s.', {'iqn': initiator, 'host': entry.host})

    # -- what earlier failures left ---------------------------------------

    def _repair(self, host, keep=None):
        """Before an attach or detach: what a failure left for host.

        A mapping a failed undo may have left (vol_ids in _pending, but
        not ``keep``, the LUN being attached now), and targets and groups
        a failed removal left empty. Best effort; no call when nothing
        failed earlier.
        """
        vol_ids = self._pending.get(host, set()) - {keep}
        if not vol_ids and host not in self._untidy:
            return
        self.forget(host)
        try:
            entry = self.lookup(host)
            if entry is not None:
                self._unmap_all(entry, vol_ids)
                self._remove_empty_objects(entry)
        except ngx_exc.NGXStorageError as err:
            self.forget(host)
            LOG.warning('Could not yet remove what an earlier failure left '
                        'for host %(host)s (%(err)s); tried again next '
                        'time.', {'host': host, 'err': err})
            return
        still = self._pending.pop(host, set()) & {keep}
        if still:
            self._pending[host] = still
        self._untidy.discard(host)

    def _tidy(self, entry, keep=None):
        """Remove the empty targets the host's cached view shows.

        They are seen when the host was read from the array (a cold
        cache, after a conflict) or when removing them failed earlier;
        best effort.
        """
        if not any(not t.luns and t is not keep
                   for t in entry.targets.values()):
            return
        try:
            self._remove_empty_objects(entry, keep=keep)
        except ngx_exc.NGXStorageError as err:
            self.forget(entry.host)
            self._untidy.add(entry.host)
            LOG.warning('Could not remove an empty target of host %(host)s '
                        '(%(err)s); it is removed later.',
                        {'host': entry.host, 'err': err})

    def _attach(self, host, initiator, vol_id, owner, journal):
        """One try of attach: (entry, target, lun).

        Only the group's creation must come first: adding the initiator,
        setting CHAP and mapping the LUN (creating the host's target)
        each need the group's id alone, so they are made at once and all
        of them have finished before this returns or raises. A new host
        costs two round trips instead of four; nothing is handed out
        before every call is done.
        """
        entry, steps = self._ensure_group(host, initiator, journal)
        results = _concurrently(
            lambda: self._map_lun(entry, vol_id, owner, journal), *steps)
        target, lun = results[0]
        return entry, target, lun

    def _ensure_group(self, host, initiator, journal):
        """The host's group (made if missing) and the calls it still needs.

        The calls (add the initiator, set CHAP) are returned, not made:
        the caller makes them alongside the LUN's mapping.
        """
        entry = self._cache.get(host)
        if entry is None or entry.group_id is None:
            journal.changed = True
            entry = self._create_group(host, entry)
        steps = []
        if initiator not in entry.iqns:
            journal.changed = journal.iqn_added = True
            steps.append(lambda: self._add_iqn(entry, initiator))
        if self.use_chap and (entry.chap is None or entry.chap[1] is None):
            journal.changed = True
            steps.append(lambda: self._set_chap(entry))
        return entry, steps

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
                # Another group holds it: refused loudly, or our legacy
                # group, taken over once this try is undone (its target
                # may be in the making alongside this call).
                ownership.held_elsewhere(self, entry, initiator)
                raise
            entry.chap = entry.chap or fresh.chap
        entry.iqns.add(initiator)

    def adopt_group(self, host, group_id):
        """Make group_id (now named as the host's) the host's group."""
        entry = self._read_group(host, group_id)
        self._cache[host] = entry
        return entry

    def _create_group(self, host, known):
        name = self.names.auth_group_name(host)
        try:
            group_id = records.created_group_id(
                self.client.create_auth_group(name, self.group_owner))
        except refusals.REFUSED as err:
            # It exists already (made by another service or before a
            # restart): adopt what the array holds. The name is proof
            # enough that it is ours: it holds this deployment's
            # namespace, a random id kept in this deployment's database
            # (or one the operator chose for it).
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
        name = self.names.auth_group_name(entry.host)
        on_array = entry.chap is not None
        username = (entry.chap[0] if on_array and entry.chap[0]
                    else self.names.chap_username(entry.host))
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
            self.secrets.put(self.names.auth_group_name(entry.host),
                             entry.chap[1])

    def _map_lun(self, entry, vol_id, owner, journal):
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
                journal.changed = True
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
        journal.changed = True
        return self._new_target(entry, vol_id, owner)

    def _new_target(self, entry, vol_id, owner):
        # Indexes of the names with this owner's tag (a target keeps its
        # name when a failover gives it to the other controller).
        used = {self.names.target_index(entry.host, owner, t.name)
                for t in entry.targets.values()}
        index = next(i for i in range(len(used) + 1) if i not in used)
        name = self.names.target_name(entry.host, owner, index)
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

        Returns True when the LUN was mapped for that host. What earlier
        failures left for the host is removed first (see _repair).
        """
        self._repair(host)
        try:
            if self._detach(host, vol_id, owner):
                return True
            # Not in any target we knew of: another service may have
            # mapped it into a target made since. Read the host again,
            # once; then the targets driver 1.1 named.
            self.forget(host)
            if self._detach(host, vol_id, owner):
                return True
            return self._detach_legacy(host, vol_id)
        except ngx_exc.NGXStorageError:
            # An emptied target or group may be left: the host's next
            # attach or detach removes it.
            self.forget(host)
            self._untidy.add(host)
            raise

    def _detach_legacy(self, host, vol_id):
        """Unmap vol_id from the host's targets named by driver 1.1.

        vol_id is a volume of this deployment (the caller's), so its
        mapping is ours whoever's the target is; an emptied target is
        removed, and its group when nothing else is bound to it (the
        array refuses otherwise).
        """
        unmapped = False
        for item in records.TargetDetailList.from_answer(
                self.client.list_targets_detail()):
            if (vol_id not in item.luns or naming.legacy_target_index(
                    host, item.owner, item.name) is None):
                continue
            remaining = self._unmap(Target.from_record(item), vol_id)
            unmapped = True
            if remaining is not None and not remaining:
                self._remove_empty(item.id, item.group_id)
        return unmapped

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
        attach or detach or by the clean-up at service start.
        """
        try:
            self._drop_target(entry, target)
        except ngx_exc.NGXStorageError as err:
            self._untidy.add(entry.host)
            LOG.warning('Could not remove the empty target %(name)s of '
                        'host %(host)s (%(err)s); it is removed later.',
                        {'name': target.name, 'host': entry.host,
                         'err': err})

    def _drop_target(self, entry, target):
        """Delete an empty target of entry (404 counts as removed).

        Kept, and read again, when the array refuses because LUNs were
        added meanwhile; other failures are raised.
        """
        try:
            self.client.delete_target(target.target_id)
        except ngx_exc.NotFound:
            pass
        except refusals.REFUSED:
            entry.targets[target.target_id] = self._read_target(
                target.target_id)
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
            self._untidy.add(entry.host)
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
            # Ours, or made by driver 1.1: vol_id is one of our volumes,
            # so its mapping is ours to remove (and nothing else is).
            if vol_id in item.luns and (
                    self.names.owns_target(item.name)
                    or naming.is_legacy_target_name(item.name)):
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
        service is never undone. Only this deployment's objects are
        considered, and only targets of this backend's portal group (a
        target of another backend may look empty to a key scoped to
        other pools). Returns the number of objects removed.
        """
        removed = 0
        details = records.TargetDetailList.from_answer(
            self.client.list_targets_detail())
        bound = set()
        for item in details:
            if item.luns or not self.names.owns_target(
                    item.name, any_portal_group=False):
                bound.add(item.group_id)
                continue
            target_id, group_id = item.id, item.group_id
            self._forget_objects(target_id, group_id)
            removed += run_locked(self.names.lock_key_of(item.name),
                                  lambda: self._remove_if_empty(
                                      target_id, group_id))
        for group in records.AuthGroupList.from_answer(
                self.client.list_auth_groups()):
            if group.id in bound or not self.names.owns_auth_group(
                    group.name):
                continue
            group_id = group.id
            self._forget_objects(None, group_id)
            removed += run_locked(self.names.lock_key_of(group.name),
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


class _Journal(object):
    """What an attach may have changed (set before each call is made)."""

    def __init__(self):
        self.changed = False
        self.iqn_added = False


def _concurrently(*calls):
    """Make calls at once; their results, in order.

    Every call has finished when this returns or raises: the first
    error, in the order of calls, is raised. The first call runs in the
    caller's thread, the others in threads of their own (green threads
    under Cinder's eventlet monkey-patching; the client is safe for
    concurrent use).
    """
    results = [None] * len(calls)
    errors = [None] * len(calls)

    def run(index):
        try:
            results[index] = calls[index]()
        except Exception as err:
            errors[index] = err

    threads = [threading.Thread(target=run, args=(index,), daemon=True,
                                name='ngxstorage-call-%d' % index)
               for index in range(1, len(calls))]
    for thread in threads:
        thread.start()
    try:
        run(0)
    finally:
        for thread in threads:
            thread.join()
    for err in errors:
        if err is not None:
            raise err
    return results


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


def _alias(host):
    """iqn_alias of a host: 1-64 of [A-Za-z0-9_.:-]."""
    cleaned = ''.join(c if c.isalnum() and c.isascii() or c in '_.:-'
                      else '-' for c in host)
    return cleaned[:64] or 'cinder-host'
