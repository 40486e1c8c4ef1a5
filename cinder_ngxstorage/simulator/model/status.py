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

"""Status: pools, health, licence, the ``status.*`` and ``network.info``.

:class:`Status` answers the read operations about the array as a whole
(pools and their capacity, cluster, licence, system info, network) and
holds the admin helpers that change its health and licence
(:meth:`~Status.set_pool_status`, :meth:`~Status.set_license`), each of
which raises an alert.
"""

import ipaddress
import time

from cinder_ngxstorage.simulator.model import base
from cinder_ngxstorage.simulator.model import dispatch
from cinder_ngxstorage.simulator.model import errors

_WDAY_ABBR = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MON_ABBR = (None, 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug',
             'Sep', 'Oct', 'Nov', 'Dec')


def _array_date(ts):
    """Format like the array's ``date``: 'Mon Apr 1 09:48:29 +03 2024'."""
    lt = time.localtime(ts)
    offset = lt.tm_gmtoff or 0
    sign = '-' if offset < 0 else '+'
    hours, rest = divmod(abs(offset), 3600)
    zone = '%s%02d' % (sign, hours)
    if rest // 60:
        zone += '%02d' % (rest // 60)
    return '%s %s %d %s %s %d' % (
        _WDAY_ABBR[lt.tm_wday], _MON_ABBR[lt.tm_mon], lt.tm_mday,
        time.strftime('%H:%M:%S', lt), zone, lt.tm_year)


def _uptime_text(seconds):
    seconds = max(0, int(seconds))
    parts = []
    for unit, length in (('day', 86400), ('hour', 3600), ('minute', 60)):
        count, seconds = divmod(seconds, length)
        if count or parts:
            parts.append('%d %s%s' % (count, unit, '' if count == 1 else 's'))
    parts.append('%d second%s' % (seconds, '' if seconds == 1 else 's'))
    return ', '.join(parts)


#: Services and whether they run unless an admin stopped them.
_SERVICES = {'callhome': 1, 'cifs': 1, 'mail_alert': 1, 'nfs': 1,
             'ntp': 1, 'remote_help': 0, 'replication': 1, 's3': 1,
             'san': 1, 'snmp': 1, 'snmp_trap': 0, 'syslog': 1}


class Status(object):
    """Pools, health, licence and the array-wide reads."""

    @dispatch.admin
    def set_pool_status(self, name, status):
        """Set a pool's health (ONLINE, DEGRADED or OFFLINE).

        Not found for an unknown pool, invalid for a bad status. A status
        change raises an alert. An OFFLINE pool refuses LUN and snapshot
        changes (a conflict).
        """
        pool = self._pools.get(name)
        if pool is None:
            raise errors.NotFound('pool %s not found' % name)
        status = str(status).upper()
        if status not in base.POOL_STATUSES:
            raise errors.Invalid('pool status must be one of %s'
                                 % ', '.join(base.POOL_STATUSES))
        if pool['status'] != status:
            pool['status'] = status
            level = {'ONLINE': 'INFO', 'DEGRADED': 'WARNING',
                     'OFFLINE': 'ERROR'}[status]
            self._add_alert(level, 'Pool %s state changed to %s'
                            % (name, status))
        self._changed()

    @dispatch.admin
    def set_license(self, **flags):
        """Change licence fields (``snapshot=0``, ``expire_time=...``).

        Feature flags take 0/1 (or booleans); capacities take strings;
        times take epoch seconds. An unknown field is invalid.
        """
        update = {}
        for key, value in flags.items():
            if key not in self._license:
                raise errors.Invalid('unknown licence field %s' % key)
            current = self._license[key]
            if isinstance(current, str):
                update[key] = str(value)
            elif isinstance(value, (bool, int, float)):
                update[key] = int(value)
            else:
                raise errors.Invalid('licence field %s takes a number'
                                     % key)
        self._license.update(update)
        if update:
            self._add_alert('INFO', 'Licence updated: %s' % ', '.join(
                '%s=%s' % (k, update[k]) for k in sorted(update)))
        self._changed()

    @dispatch.admin
    def set_service(self, name, enabled):
        """Switch a service of ``status.services`` on or off (``san``)."""
        if name not in _SERVICES:
            raise errors.Invalid('unknown service %s' % name)
        if enabled:
            self._services_off.discard(name)
        else:
            self._services_off.add(name)
        self._add_alert('INFO' if enabled else 'WARNING', 'Service %s %s'
                        % (name, 'started' if enabled else 'stopped'))
        self._changed()

    # -- pools -------------------------------------------------------------

    @dispatch.operation('pool.detail')
    def pool_detail(self, ctx, params):
        """One pool (by pool_id) with disks and integrity."""
        return self._pool_detail(self._pool_by_id(ctx, params.get('id')))

    @dispatch.operation('pool.detail_list')
    def pool_detail_list(self, ctx, params):
        """Every pool of the key's scope in detail."""
        return [self._pool_detail(p) for p in self._scoped_pools(ctx)]

    @dispatch.operation('pool.list')
    def pool_list(self, ctx, params):
        """Every pool of the key's scope: name, owner, id."""
        return [{'pool_name': p['name'], 'owner': p['owner'],
                 'pool_id': p['id']} for p in self._scoped_pools(ctx)]

    @dispatch.operation('pool.overview')
    def pool_overview(self, ctx, params):
        """Capacity and protocol usage of every pool in scope."""
        result = []
        for pool in self._scoped_pools(ctx):
            info, usage = self._capacity_info(pool)
            capacity = {
                'allocated_size': info['allocated_size'],
                'compress_ratio': info['compress_ratio'],
                'dedup_ratio': info['dedup_ratio'],
                'flashtier_total': 0,
                'flashtier_used': 0,
                'free_size': info['free_size'],
                'logical_avail': info['logical_avail'],
                'logical_reserved': info['logical_reserved'],
                'total_size': info['total_size'],
            }
            result.append({
                'blocksize': str(base.BLOCKSIZES['auto']),
                'capacity': capacity,
                'endurance': 0,
                'is_flash': 1,
                'optimization': 0,
                'owner': pool['owner'],
                'pool_name': pool['name'],
                'protocol_usage': usage,
                'raidtype': pool['raidtype'],
            })
        return result

    # -- status and network ------------------------------------------------

    @dispatch.operation('status.bandwidth')
    def status_bandwidth(self, ctx, params):
        """Throughput in bytes/s (an idle simulator: zeros)."""
        return {'read': 0, 'total': 0, 'write': 0}

    @dispatch.operation('status.cache')
    def status_cache(self, ctx, params):
        """Cache statistics: ``{}`` as the reference documents."""
        return {}

    @dispatch.operation('status.capacity')
    def status_capacity(self, ctx, params):
        """Capacity per pool name (byte counts as strings)."""
        result = {}
        for pool in self._scoped_pools(ctx):
            info, usage = self._capacity_info(pool)
            result[pool['name']] = {'info': info, 'protocol_usage': usage}
        return result

    @dispatch.operation('status.cluster')
    def status_cluster(self, ctx, params):
        """Cluster state: both peers on dual, none on single."""
        if self.dual_controller:
            return {'connected': 1,
                    'interconnects': {'ethernet': 1, 'hbactive': 0,
                                      'hbdrive': 0, 'serial': 1},
                    'peers': [{'id': o} for o in self._owners],
                    'status': 'Master'}
        return {'connected': 0,
                'interconnects': {'ethernet': 0, 'hbactive': 0,
                                  'hbdrive': 0, 'serial': 0},
                'peers': [],
                'status': 'Standalone'}

    @dispatch.operation('status.cpu')
    def status_cpu(self, ctx, params):
        """CPU utilisation (plausible idle figures)."""
        return {'average_utilization': 1, 'cpu_idle': '99',
                'current_utilization': 1, 'load_15_min': '0.41',
                'load_1_min': '0.38', 'load_5_min': '0.45'}

    @dispatch.operation('status.enclosures')
    def status_enclosures(self, ctx, params):
        """The enclosure holding the pools' disks."""
        return [{'model': 'NVMEX11', 'no': 1, 'owner': '0',
                 'serial': 'NVMEX11'}]

    @dispatch.operation('status.iops')
    def status_iops(self, ctx, params):
        """I/O operations per second (an idle simulator: zeros)."""
        return {'read': 0, 'total': 0, 'write': 0}

    @dispatch.operation('status.license')
    def status_license(self, ctx, params):
        """Licence flags and validity period."""
        return dict(self._license)

    @dispatch.operation('status.overloaded_volumes')
    def status_overloaded_volumes(self, ctx, params):
        """LUNs of the key's pools using 90% or more of their size."""
        volumes = []
        for lun in self._luns.values():
            if not self._lun_in_scope(ctx, lun):
                continue
            used = self._lun_used(lun)
            if used >= base.OVERLOAD_RATIO * lun['size']:
                volumes.append({'pool_name': lun['pool'],
                                'vol_id': lun['vol_id'],
                                'vol_name': lun['name'],
                                'vol_size': lun['size'],
                                'vol_type': 'lun',
                                'vol_used': used})
        return {'last_check_time': time.time(),
                'overloaded_volumes': volumes}

    @dispatch.operation('status.pools')
    def status_pools(self, ctx, params):
        """Health of every pool in scope."""
        return [{'integrity': self._integrity(p), 'owner': p['owner'],
                 'pool_id': p['id'], 'pool_name': p['name'],
                 'status': p['status']} for p in self._scoped_pools(ctx)]

    @dispatch.operation('status.services')
    def status_services(self, ctx, params):
        """Enabled (1) / disabled (0) services."""
        return {name: 0 if name in self._services_off else on
                for name, on in _SERVICES.items()}

    @dispatch.operation('status.system_info')
    def status_system_info(self, ctx, params):
        """Model, versions, uptime and counts of the key's pools."""
        luns = [lun for lun in self._luns.values()
                if self._lun_in_scope(ctx, lun)]
        mapping = self._mapping()
        scoped = {lun['vol_id'] for lun in luns}
        snaps = sum(1 for s in self._snaps.values() if s['vol_id'] in scoped)
        now = time.time()
        # Reading switch maxlun_reported: the limit, or "0" (the limit of
        # the model is still enforced).
        maxlun = base.MAX_LUNS_PER_TARGET
        if self.reading.maxlun_reported == 'zero':
            maxlun = 0
        return {
            'user_count': 1,
            'dramcachesize': '258GB',
            'scsi_initiators': sum(len(g['initiators'])
                                   for g in self._groups.values()),
            'used_lun': sum(1 for v in scoped if v in mapping),
            'shares': 0,
            'maxlun': str(maxlun),
            'product': base.PRODUCT,
            'controller_type': str(len(self._owners)),
            'app_version': base.APP_VERSION,
            'luns': len(luns),
            'date': _array_date(now),
            'uptime': _uptime_text(now - self.boot_time),
            'service_tag': self._service_tag,
            'maxsnap': str(base.MAX_SNAPSHOTS_PER_LUN),
            'fc_initiators': 0,
            'snapshot_count': str(snaps),
            'os_version': base.OS_VERSION,
        }

    @dispatch.operation('network.info')
    def network_info(self, ctx, params):
        """Network settings: one data interface per portal address."""
        interfaces = []
        seen = []
        for portal in self.portals:
            address = portal.rsplit(':', 1)[0].strip('[]')
            if address in seen:
                continue
            seen.append(address)
            ip = ipaddress.ip_address(address)
            interfaces.append({
                'name': 'ixl%d' % (len(seen) - 1),
                'ipv4': address if ip.version == 4 else '',
                'ipv6': address if ip.version == 6 else '',
                'netmask': ('255.0.0.0' if ip.is_loopback else
                            '255.255.255.0') if ip.version == 4 else '',
                'mtu': 9000,
                'link': 'up',
                'speed': '10000',
                'mac': '00:1b:21:%02x:%02x:%02x' % tuple(
                    ip.packed[-3:].rjust(3, b'\0')),
            })
        return {'hostname': self._service_tag.lower(),
                'default_gateway': '',
                'dns': [],
                'interfaces': interfaces}
