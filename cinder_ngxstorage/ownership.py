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

"""Whose is an auth group: never adopt another deployment's.

The array admits an initiator in one auth group only. When it refuses to
add a host's initiator to the host's group because another group admits
it already, that group is either

* a group driver 1.1 made for a host of the same name (the same name in
  every deployment, see :mod:`naming`) and serving only LUNs that are
  volumes of this deployment's database: it is ours, and is taken over
  (renamed into our namespace; its initiators, CHAP and targets stay, so
  running sessions go on);
* anything else (another deployment's group, a legacy group serving
  LUNs this deployment does not know, a group made by hand, our group of
  another host name): the attach fails with
  :class:`InitiatorElsewhere`, naming the group and what to do. Nothing
  is adopted on a guess.
"""

from oslo_log import log as logging

from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import naming
from cinder_ngxstorage import records

LOG = logging.getLogger(__name__)


class InitiatorElsewhere(ngx_exc.NGXStorageError):
    """The array admits the initiator in an auth group that is not ours."""

    default_message = 'the initiator is in another auth group'


class LegacyGroupFound(ngx_exc.NGXStorageError):
    """The initiator is in our own legacy group, which may be taken over.

    Raised from an attach's initiator step; the attach undoes what it
    made, then takes the group over (:func:`take_over`) and tries again.
    """

    default_message = 'the initiator is in a group of driver 1.1'

    def __init__(self, holder, message):
        super().__init__(message)
        self.holder = holder


def held_elsewhere(exports, entry, initiator):
    """The initiator is refused: if another group holds it, say which.

    Raises LegacyGroupFound when that group is our own legacy group
    (made by driver 1.1 for this host, serving only this deployment's
    volumes, for a host new to this deployment), InitiatorElsewhere when
    it is anybody else's; returns when no group holds it (the refusal
    was something else).
    """
    holder = None
    for item in records.AuthGroupList.from_answer(
            exports.client.list_auth_groups()):
        if item.id == entry.group_id:
            continue
        group = records.AuthGroup.from_answer(
            exports.client.get_auth_group(item.id), item.id)
        if initiator in group.iqns:
            holder = item
            break
    if holder is None:
        return
    legacy = holder.name == naming.legacy_auth_group_name(entry.host)
    if (legacy and not entry.iqns
            and _legacy_group_is_ours(exports, holder.id)):
        raise LegacyGroupFound(holder, (
            'initiator %s of host %s is in auth group %s (made by driver '
            '1.1 for this host, serving only volumes of this deployment)'
            % (initiator, entry.host, holder.name)))
    if legacy:
        why = ('was made by an earlier version of this driver for a '
               'host of the same name and serves LUNs that are not '
               'volumes of this Cinder deployment (another OpenStack '
               'deployment may use it)')
    elif exports.names.owns_auth_group(holder.name):
        why = ('belongs to another host name of this Cinder '
               'deployment (was the host renamed?)')
    else:
        why = ('was not made by this Cinder deployment (namespace %s): '
               'another OpenStack deployment or a manual '
               'configuration shares the array'
               % exports.names.namespace)
    raise InitiatorElsewhere(
        'initiator %s of host %s is already admitted by auth group %s '
        '(id %s), which %s. The array admits an initiator in one auth '
        'group only and the driver never adopts a group it cannot '
        'prove is its own: give this host a unique initiator name, or '
        'detach its volumes there and remove the initiator from %s on '
        'the array, then attach again.'
        % (initiator, entry.host, holder.name, holder.id, why,
           holder.name))


def _legacy_group_is_ours(exports, group_id):
    """Whether every LUN a legacy group serves is one of our volumes."""
    if exports.knows_luns is None:
        return False
    vol_ids = set()
    for item in records.TargetDetailList.from_answer(
            exports.client.list_targets_detail()):
        if item.group_id == group_id:
            vol_ids.update(item.luns)
    return exports.knows_luns(sorted(vol_ids))


def take_over(exports, host, holder):
    """Rename our legacy group to the host's name in our namespace.

    Called once the failed try's own group is gone (undone): the legacy
    group keeps its initiators, CHAP and targets (running sessions go
    on), and its kept secret is kept under the new name too.
    """
    name = exports.names.auth_group_name(host)
    exports.client.rename_auth_group(holder.id, name, exports.group_owner)
    if exports.secrets:
        secret = exports.secrets.get(holder.name)
        if secret is not None:
            exports.secrets.put(name, secret)
    exports.forget(host)
    entry = exports.adopt_group(host, holder.id)
    LOG.warning('Took over auth group %(old)s (made by driver 1.1 '
                'for host %(host)s, serving only volumes of this '
                'deployment) as %(new)s.',
                {'old': holder.name, 'host': host, 'new': name})
    return entry
