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

"""LUNs: create (one or ``quantity``), delete, modify and read.

``api_spec`` has checked every format (names, units, enums, quantity);
:class:`Luns` keeps the model's invariants: the pool exists and is in the
key's scope and not OFFLINE, names are unique (also the ``<name>_<i>``
of a multi-create), the size stays within 1 PiB and never shrinks, the
pool has the space, data reduction is licensed, and a LUN with
snapshots, mappings or a schedule is not deleted. Data-plane hooks run
before the model commits, so a failing hook leaves the model unchanged.
"""

import logging
import time

from cinder_ngxstorage.simulator import api_spec
from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors

LOG = logging.getLogger(__name__)

# Body fields of the on/off LUN properties -> the record's field.
_ON_OFF_FIELDS = (('deduplication', 'dedup'), ('compression', 'compress'),
                  ('flash_cache', 'flash_cache'),
                  ('dram_cache', 'dram_cache'))
_LUN_NAME = api_spec.get('lun.create').param('body', 'name')


def _lun_properties(params, defaults):
    """The record fields a create or modify sets (defaults on create)."""
    props = {}
    for key, field in _ON_OFF_FIELDS:
        value = params.get(key)
        if value is None and defaults:
            value = 'on' if key.endswith('cache') else 'off'
        if value is not None:
            props[field] = value
    thin = params.get('thin_provision', 'off' if defaults else None)
    if thin is not None:
        props['thin'] = thin == 'on'
    io_type = params.get('io_type', 'transactional' if defaults else None)
    if io_type is not None:
        props['io_type'] = io_type
    qos = params.get('qos_priority', 16 if defaults else None)
    if qos is not None:
        props['qos_priority'] = qos
    return props


class Luns(object):
    """The ``lun.*`` operations (see the module docstring)."""

    def _size_bytes(self, params):
        """Bytes of ``size`` in unit ``sing`` (G by default), or None."""
        size = params.get('size')
        if size is None:
            return None
        # Reading switch default_size_unit: the unit of a size without
        # ``sing`` (G strictly; M by the reference's silence).
        unit = params.get('sing') or self.reading.default_size_unit
        size_bytes = size * base.UNITS[unit]
        if size_bytes > base.MAX_LUN_BYTES:
            raise errors.Invalid('size %d%s is beyond the maximum LUN size '
                                 'of 1P' % (size, unit))
        return size_bytes

    def _check_datareduce(self, props):
        if props.get('dedup') == 'on' or props.get('compress') == 'on':
            self._check_licensed('datareduce')

    @dispatch.operation('lun.create')
    def lun_create(self, ctx, params):
        """Create ``quantity`` LUNs (``<name>_<i>`` when more than one)."""
        pool_name = params['pool_name']
        name = params['name']
        size_bytes = self._size_bytes(params)
        props = _lun_properties(params, defaults=True)
        blocksize = params.get('blocksize', 'auto')
        quantity = params.get('quantity', 1)
        names = [name] if quantity == 1 else [
            '%s_%d' % (name, i) for i in range(1, quantity + 1)]
        for lun_name in names:
            # A valid name plus '_<i>' may pass 30 characters.
            try:
                _LUN_NAME.check_value(lun_name)
            except ValueError:
                raise errors.Invalid('LUN name %s must be 1-30 of '
                                     'A-Z a-z 0-9 _ -' % lun_name)
        pool = self._pool_by_name(ctx, pool_name)
        self._check_pool_writable(pool)
        self._check_datareduce(props)
        for lun_name in names:
            self._check_lun_name_free(lun_name)
        each = base.NEW_LUN_USED if props['thin'] else size_bytes
        self._need_space(pool_name, each * quantity,
                         '%d LUN(s) of %d bytes' % (quantity, size_bytes))
        created = []
        try:
            for lun_name in names:
                vol_id = self._new_id()
                self._hook('lun_created', vol_id, size_bytes)
                lun = {'vol_id': vol_id,
                       'scsi_lunid': self._new_scsi_lunid(),
                       'name': lun_name, 'pool': pool_name,
                       'size': size_bytes, 'used': base.NEW_LUN_USED,
                       'blocksize': base.BLOCKSIZES[blocksize],
                       'clone': '', 'clone_of': '',
                       'created': int(time.time())}
                lun.update(props)
                created.append(lun)
        except errors.DomainError:
            for lun in created:
                try:
                    self.backing.lun_deleted(lun['vol_id'])
                except Exception:
                    LOG.exception('Simulator could not undo LUN %s on '
                                  'the data plane', lun['vol_id'])
            raise
        for lun in created:
            self._add_lun(lun)
        text = 'created %s LUN %s (%d bytes) in pool %s' % (
            'thin' if props['thin'] else 'thick', ', '.join(names),
            size_bytes, pool_name)
        return self._lun_create_answer(created), text

    def _add_lun(self, lun):
        """Commit a new LUN (or clone) record and index it."""
        self._luns[lun['vol_id']] = lun
        self._lun_names.add(lun['name'])
        self._count_lun(lun, 1)

    @dispatch.operation('lun.delete')
    def lun_delete(self, ctx, params):
        """Delete a LUN (conflict with snapshots, mappings or a schedule)."""
        lun = self._lun(ctx, params.get('vol_id'))
        self._check_lun_writable(lun)
        snaps = self._snaps_of(lun['vol_id'])
        if snaps:
            raise errors.Conflict('LUN %s has %d snapshot(s)'
                                  % (lun['name'], len(snaps)), 'in_use')
        targets = self._mapping().get(lun['vol_id'])
        if targets:
            raise errors.Conflict('LUN %s is mapped to target(s) %s' % (
                lun['name'], ', '.join(t['name'] for t in targets)),
                'in_use')
        if lun['vol_id'] in self._schedules:
            raise errors.Conflict('LUN %s has a snapshot schedule'
                                  % lun['name'], 'in_use')
        self._remove_lun(lun)
        return {'success': True}, 'deleted LUN %s in pool %s' % (
            lun['name'], lun['pool'])

    def _remove_lun(self, lun):
        """Delete a LUN nothing depends on (data plane, then the model)."""
        self._hook('lun_deleted', lun['vol_id'])
        self._count_lun(lun, -1)
        self._lun_names.discard(lun['name'])
        self._scsi_lunids.discard(lun['scsi_lunid'])
        del self._luns[lun['vol_id']]

    @dispatch.operation('lun.modify')
    def lun_modify(self, ctx, params):
        """Extend a LUN or change its properties; a shrink is refused."""
        size_bytes = self._size_bytes(params)
        props = _lun_properties(params, defaults=False)
        if size_bytes is None and not props:
            # ``force`` alone passes the table's "at least one field".
            raise errors.Invalid('nothing to modify')
        lun = self._lun(ctx, params.get('vol_id'))
        if size_bytes is not None and size_bytes < lun['size']:
            raise errors.Invalid('LUN %s cannot shrink from %d to %d bytes'
                                 % (lun['name'], lun['size'], size_bytes))
        self._check_lun_writable(lun)
        self._check_datareduce(props)
        new_size = lun['size'] if size_bytes is None else size_bytes
        thin = props.get('thin', lun['thin'])
        if not thin:
            before = self._lun_consumption(lun)
            self._need_space(lun['pool'], new_size - before,
                             'LUN %s' % lun['name'])
        resized = new_size != lun['size']
        if resized:
            self._hook('lun_resized', lun['vol_id'], new_size)
        self._count_lun(lun, -1)
        lun.update(props)
        lun['size'] = new_size
        self._count_lun(lun, 1)
        if resized:
            self._lun_resized(lun)
        changes = ['%s=%s' % (k, props[k]) for k in sorted(props)]
        if resized:
            changes.insert(0, 'size=%d' % new_size)
        return (self._lun_modify_answer(lun),
                'modified LUN %s: %s' % (
                    lun['name'], ', '.join(changes) or 'no change'))

    @dispatch.operation('lun.detail')
    def lun_detail(self, ctx, params):
        """One LUN in detail."""
        return self._lun_detail(self._lun(ctx, params.get('vol_id')))

    @dispatch.operation('lun.detail_list')
    def lun_detail_list(self, ctx, params):
        """Every LUN of the key's pools in detail."""
        mapping = self._mapping()
        snap_bytes = {}
        for snap in self._snaps.values():
            snap_bytes[snap['vol_id']] = (
                snap_bytes.get(snap['vol_id'], 0) + snap['reserved'])
        return [self._lun_detail(lun, mapping,
                                 snap_bytes.get(lun['vol_id'], 0))
                for lun in self._luns.values()
                if self._lun_in_scope(ctx, lun)]

    @dispatch.operation('lun.list')
    def lun_list(self, ctx, params):
        """Every LUN of the key's pools: name, pool, owner, vol_id."""
        return [self._lun_brief(lun) for lun in self._luns.values()
                if self._lun_in_scope(ctx, lun)]
