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

"""What the kit made, and the sweep that removes it.

Every object is recorded before it is made: its run's name prefix goes to
a small local file first (:class:`Journal`), then each id as soon as the
array answers. :func:`sweep` removes, in reverse dependency order,
everything whose name starts with a journalled run prefix (found by
listing the array, so an object whose create answer was lost is found
too) plus the journalled ids; it never touches an object whose name does
not start with :data:`~cinder_ngxstorage.array_check.NAME_PREFIX`. The
file is removed once a sweep leaves nothing behind, so the next run (or
``--cleanup-only``) finishes what a killed run left.
"""

import json
import os

from cinder_ngxstorage import array_check

DEFAULT_PATH = os.path.join(os.path.expanduser('~'),
                            '.ngxstorage-array-check.journal')


class Journal(object):
    """The objects of this run, in memory and in the file ``path``."""

    def __init__(self, path, prefix):
        if not prefix.startswith(array_check.NAME_PREFIX):
            raise ValueError('kit prefixes start with %s'
                             % array_check.NAME_PREFIX)
        self.path = path
        self.prefix = prefix
        self.made = []  # (kind, id, name), in creation order
        self._write({'prefix': prefix})

    def _write(self, entry):
        if not self.path:
            return
        with open(self.path, 'a') as handle:
            handle.write(json.dumps(entry) + '\n')
            handle.flush()
            os.fsync(handle.fileno())

    def record(self, kind, obj_id, name):
        """Object ``kind`` (target, lun, group) ``obj_id`` named ``name``."""
        if not name.startswith(self.prefix):
            raise ValueError('%s is not a kit name' % name)
        self.made.append((kind, obj_id, name))
        self._write({'kind': kind, 'id': obj_id, 'name': name})


def read(path):
    """(prefixes, [(kind, id, name)]) journalled in ``path`` (maybe none)."""
    prefixes, made = [], []
    if not path or not os.path.exists(path):
        return prefixes, made
    with open(path) as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill
            if not isinstance(entry, dict):
                continue
            prefix = entry.get('prefix')
            if (isinstance(prefix, str) and
                    prefix.startswith(array_check.NAME_PREFIX)):
                prefixes.append(prefix)
            elif entry.get('kind') and entry.get('id'):
                made.append((entry['kind'], str(entry['id']),
                             str(entry.get('name', ''))))
    return prefixes, made


def _list(api, path, key=None):
    answer = api.call('GET', path)
    data = answer.data if answer.ok else None
    if key and isinstance(data, dict):
        data = data.get(key)
    return [item for item in data or () if isinstance(item, dict)]


def _ours(name, prefixes):
    return (isinstance(name, str) and
            name.startswith(array_check.NAME_PREFIX) and
            any(name.startswith(prefix) for prefix in prefixes))


def leftovers(api, prefixes):
    """{kind: [(id, name)]} of the array's objects of these runs."""
    found = {'target': [], 'lun': [], 'group': []}
    for item in _list(api, '/iscsi_target/list'):
        if _ours(item.get('scsi_target_name'), prefixes):
            found['target'].append((str(item.get('scsi_id')),
                                    item['scsi_target_name']))
    for item in _list(api, '/lun/'):
        if _ours(item.get('name'), prefixes):
            found['lun'].append((str(item.get('vol_id')), item['name']))
    for item in _list(api, '/auth_group/'):
        if _ours(item.get('group_name'), prefixes):
            found['group'].append((str(item.get('group_id')),
                                   item['group_name']))
    return found


def _empty_target(api, target_id):
    detail = api.call('GET', '/iscsi_target/%s' % target_id)
    if not detail.ok or not isinstance(detail.data, dict):
        return detail.status != 404
    owner = detail.data.get('owner', '1')
    luns = [lun for lun in detail.data.get('luns') or ()
            if isinstance(lun, dict)]
    for kind in ('vol_id', 'lun_id'):
        ids = [str(lun.get(kind)) for lun in luns if lun.get(kind)]
        if ids and api.call('PATCH', '/iscsi_target/lun/%s' % target_id,
                            {'lun_ids': ids, 'owner': owner}).ok:
            break
    return api.call('DELETE', '/iscsi_target/%s' % target_id).ok


def _delete_lun(api, vol_id):
    snaps = _list(api, '/snapshot', key='luns')
    detail = api.call('GET', '/lun/%s' % vol_id)
    if detail.status == 404:
        return True
    data = detail.data if isinstance(detail.data, dict) else {}
    name = data.get('vol_name')
    for snap in snaps:
        if name and snap.get('lun_name') == name and snap.get('snap_id'):
            api.call('DELETE', '/snapshot/%s' % snap['snap_id'])
    return api.call('DELETE', '/lun/%s' % vol_id).ok


def sweep(api, prefixes, made=()):
    """Remove the objects of the runs ``prefixes``; return what is left.

    Targets first (their LUNs unmapped), then LUNs (clones before their
    origins, snapshots before their LUN; a few passes, as a clone's origin
    can only go after it), then auth groups. ``made`` adds journalled ids
    (e.g. a target whose path id is not the listed scsi_id).
    """
    prefixes = [p for p in prefixes if p.startswith(array_check.NAME_PREFIX)]
    if not prefixes:
        return {}
    extra_targets = [obj_id for kind, obj_id, name in made
                     if kind == 'target' and _ours(name, prefixes)]
    for _attempt in range(4):
        found = leftovers(api, prefixes)
        if not any(found.values()):
            return {}
        for target_id, _name in found['target']:
            _empty_target(api, target_id)
        for target_id in extra_targets:
            _empty_target(api, target_id)
        clones, origins = [], []
        for vol_id, _name in found['lun']:
            detail = api.call('GET', '/lun/%s' % vol_id)
            data = detail.data if isinstance(detail.data, dict) else {}
            (clones if data.get('clone') else origins).append(vol_id)
        for vol_id in clones + origins:
            _delete_lun(api, vol_id)
        for group_id, _name in found['group']:
            api.call('DELETE', '/auth_group/%s' % group_id)
    found = leftovers(api, prefixes)
    return {kind: items for kind, items in found.items() if items}


def finish(api, path, prefixes, made=()):
    """Sweep; remove the journal file when nothing is left. Return left."""
    left = sweep(api, prefixes, made)
    if not left and path and os.path.exists(path):
        os.unlink(path)
    return left
