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

"""Capacity: what each pool holds, and the indexes that keep it cheap.

:class:`Capacity` keeps, per pool, the bytes charged by LUNs (a thick LUN
its size, a thin one what it uses), provisioned and reserved by
snapshots, up to date as the operations change LUNs and snapshots
(:meth:`~Capacity._count_lun`, :meth:`~Capacity._count_snap`), and the
derived sets of LUN names and SCSI LUN ids. The indexes are rebuilt by
:meth:`~Capacity._reindex` and never dumped. A data plane that reports
real usage (``used_bytes``) overrides the model's figure for thin LUNs.

Also here: the relations computed on demand (clones' origins, newest
snapshots, which targets map a LUN).
"""

from cinder_ngxstorage.simulator import backing as backing_mod
from cinder_ngxstorage.simulator.model import errors


def overrides(backing, hook):
    """Whether ``backing`` implements ``hook`` (not NullBacking's)."""
    method = getattr(backing, hook, None)
    return method is not None and getattr(method, '__func__', None) is not (
        getattr(backing_mod.NullBacking, hook))


class Capacity(object):
    """Pool usage, its indexes and the relations between objects."""

    def _reindex(self):
        """Build the indexes that keep requests O(1) on big arrays.

        LUN names, SCSI LUN ids and each pool's model usage (see
        :meth:`_count_lun`) are kept up to date by the operations; they
        are derived, never dumped.
        """
        self._lun_names = {lun['name'] for lun in self._luns.values()}
        self._scsi_lunids = {lun['scsi_lunid']
                             for lun in self._luns.values()}
        self._usage = {name: {'luns': 0, 'provisioned': 0, 'snapshots': 0}
                       for name in self._pools}
        for lun in self._luns.values():
            self._count_lun(lun, 1)
        for snap in self._snaps.values():
            self._count_snap(snap, 1)

    def _count_lun(self, lun, sign):
        """Add (sign 1) or remove (-1) a LUN's share of its pool usage."""
        usage = self._usage[lun['pool']]
        usage['luns'] += sign * (lun['used'] if lun['thin'] else lun['size'])
        usage['provisioned'] += sign * lun['size']

    def _count_snap(self, snap, sign):
        """Add (sign 1) or remove (-1) a snapshot's reserved bytes."""
        pool = self._luns[snap['vol_id']]['pool']
        self._usage[pool]['snapshots'] += sign * snap['reserved']

    def _lun_used(self, lun):
        used = self._hook('used_bytes', lun['vol_id'])
        if used is None:
            return lun['used']
        return max(0, int(used))

    def _lun_consumption(self, lun, used=None):
        if lun['thin']:
            return self._lun_used(lun) if used is None else used
        return lun['size']

    def _live_used_bytes(self):
        """Whether the data plane reports LUN usage (not NullBacking's)."""
        return overrides(self.backing, 'used_bytes')

    def _pool_usage(self, pool_name):
        index = self._usage[pool_name]
        luns_bytes = index['luns']
        provisioned = index['provisioned']
        snaps_bytes = index['snapshots']
        if self._live_used_bytes():
            # Thin LUNs use what the data plane says: add them up.
            luns_bytes = 0
            for lun in self._luns.values():
                if lun['pool'] == pool_name:
                    luns_bytes += self._lun_consumption(lun)
        total = self._pools[pool_name]['size']
        consumed = luns_bytes + snaps_bytes
        return {'total': total, 'consumed': consumed,
                'free': max(0, total - consumed),
                'provisioned': provisioned, 'luns': luns_bytes,
                'snapshots': snaps_bytes}

    def _pool_free(self, pool_name):
        return self._pool_usage(pool_name)['free']

    def _need_space(self, pool_name, needed, what):
        free = self._pool_free(pool_name)
        if needed > free:
            raise errors.Conflict(
                'not enough space in pool %s for %s: %d bytes needed, %d '
                'free' % (pool_name, what, needed, free), 'no_space')

    # -- relations computed on demand --------------------------------------

    def _bound_snap_ids(self):
        return {lun['clone_of'] for lun in self._luns.values()
                if lun['clone_of']}

    def _newest_snap_ids(self):
        newest = {}
        for snap in self._snaps.values():
            best = newest.get(snap['vol_id'])
            if best is None or snap['seq'] > best['seq']:
                newest[snap['vol_id']] = snap
        return {s['snap_id'] for s in newest.values()}

    def _mapping(self):
        """vol_id -> list of targets mapping it, in creation order."""
        mapping = {}
        for target in self._targets.values():
            for entry in target['luns']:
                mapping.setdefault(entry['vol_id'], []).append(target)
        return mapping

    def _snaps_of(self, vol_id):
        return sorted((s for s in self._snaps.values()
                       if s['vol_id'] == vol_id), key=lambda s: s['seq'])
