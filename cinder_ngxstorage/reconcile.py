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

"""Mappings a killed attach left behind, undone when the service starts.

Cinder saves an attachment's connector only after the driver's
``initialize_connection`` returned (``VolumeManager._connection_create``
then ``attachment_update``). When cinder-volume dies in between, the LUN
is mapped to the host on the array while the attachment has no
connector; deleting that attachment later calls no driver method
(``_connection_terminate`` returns early without a connector), so the
host could reach the volume for as long as it exists. The crash test
(tools/crash) finds exactly this.

When the service starts, before it takes requests, nothing of this
backend is being attached: every mapping of one of its volumes in a host
target of this driver must be backed by an attachment whose connector
names that host. A mapping that is not is removed (under the host's
lock). Only for volumes of this backend (``volume.host``) that are not
migrated (the LUN's name is the volume id), and not in a cluster (another
service of the cluster may be attaching right now): there the operator or
``ngxstorage-cinder-audit`` handles them.
"""

from cinder import context as cinder_context
from cinder import exception
from cinder import objects
from cinder.volume import volume_utils
from oslo_config import cfg
from oslo_log import log as logging

from cinder_ngxstorage import exports
from cinder_ngxstorage import naming
from cinder_ngxstorage import records

LOG = logging.getLogger(__name__)


def _clustered():
    try:
        return bool(cfg.CONF.cluster)
    except (cfg.NoSuchOptError, AttributeError):
        return False


def unmap_unattached(client, exports_obj, backend_host, run_locked):
    """Remove mappings of this backend's volumes no attachment backs.

    ``run_locked(key, func)`` runs func under a host's lock. Returns the
    number of mappings removed.
    """
    if _clustered() or not backend_host:
        return 0
    ours = volume_utils.extract_host(backend_host, 'backend')
    names = exports_obj.names
    targets = [t for t in records.TargetDetailList.from_answer(
        client.list_targets_detail())
        if t.luns and names.owns_target(t.name)]
    if not targets:
        return 0
    lun_names = {lun.id: lun.name
                 for lun in records.LunList.from_answer(client.list_luns())}
    ctxt = cinder_context.get_admin_context()
    hosts_of = {}
    removed = 0
    for item in targets:
        key = names.lock_key_of(item.name)
        for vol_id in list(item.luns):
            decoded = naming.decode_name(lun_names.get(vol_id, ''))
            if not decoded or decoded[0] != naming.VOLUME_PREFIX:
                continue
            volume_id = decoded[1]
            if volume_id not in hosts_of:
                hosts_of[volume_id] = _attached_hosts(ctxt, volume_id, ours,
                                                      names)
            hosts = hosts_of[volume_id]
            if hosts is None or key in hosts:
                continue
            target = exports.Target.from_record(item)

            def unmap(target=target, group_id=item.group_id, vol_id=vol_id):
                exports_obj.force_unmap(target, group_id, vol_id)
                return 1
            LOG.warning('Volume %(vol)s is mapped in target %(t)s but no '
                        'attachment of it names that host (an attach '
                        'interrupted after the array mapped it): '
                        'unmapping it.', {'vol': volume_id, 't': item.name})
            removed += run_locked(key, unmap)
    return removed


def _attached_hosts(ctxt, volume_id, ours, names):
    """Lock keys of the hosts the volume's attachments name; None to skip."""
    try:
        volume = objects.Volume.get_by_id(ctxt, volume_id)
    except exception.VolumeNotFound:
        return None
    if (volume.name_id != volume_id or
            volume_utils.extract_host(volume.host or '', 'backend') != ours):
        return None
    keys = set()
    for attachment in volume.volume_attachment or []:
        connector = attachment.connector or {}
        if connector.get('host'):
            keys.add(names.lock_key(connector['host']))
    return keys
