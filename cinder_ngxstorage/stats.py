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

"""What the driver tells the scheduler: pool capacity, health and load.

One stats period reads the array with a fixed number of calls, whatever
the number of LUNs (:data:`READS`): capacity, pool health, licence, the
LUN detail list (provisioned sizes and volume counts) and the three
performance figures. :class:`StatsReporter` turns them into Cinder's
stats and never raises for the array: an array that cannot be read, or
whose licence has expired, is reported ``backend_state: down`` with
capacities 0 (0, not ``unknown``: the capacity filter lets a pool with
an ``unknown`` free capacity pass), and the log says why; the next
period that reads it reports ``up`` again.

Capacity (see :class:`~cinder_ngxstorage.records.PoolCapacity`): free is
``logical_avail``, total ``total_size`` scaled to the same usable unit;
``provisioned_capacity_gb`` is the sum of the sizes of every LUN of the
pool (Cinder's or not: all of them draw on the same free space, which is
what the over-subscription ratio is about).
"""

import time

from cinder.common import constants
from cinder.i18n import _
from cinder.volume import volume_utils
from oslo_log import log as logging

from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import records

try:  # Where Cinder computes 'auto': the scheduler's utils (Cinder 29)...
    from cinder.scheduler.sched_utils import (
        calculate_max_over_subscription_ratio)
except ImportError:  # ... or cinder.utils (Cinder 24 to 28).
    from cinder.utils import calculate_max_over_subscription_ratio

LOG = logging.getLogger(__name__)

GiB = 1024 ** 3

#: The client calls of one stats period, in order.
READS = ('get_capacity', 'get_pool_status', 'get_license',
         'list_luns_detail', 'get_iops', 'get_bandwidth', 'get_cpu')

HEALTHY_POOL = 'ONLINE'
DAY = 86400
# Cinder's ratio for 'auto' while nothing is provisioned.
INITIAL_AUTO_RATIO = 20.0


def gib(size_bytes):
    """Bytes to GiB, two decimals."""
    return round(size_bytes / GiB, 2)


class ArrayReading(object):
    """The answers of one stats period, parsed."""

    def __init__(self, client, pools):
        capacity = client.get_capacity()
        self.capacity = {
            name: records.PoolCapacity.from_answer(capacity, name)
            for name in pools}
        self.health = records.PoolStatusList.from_answer(
            client.get_pool_status())
        self.licence = records.Licence.from_answer(client.get_license())
        luns = records.LunDetailList.from_answer(client.list_luns_detail())
        self.provisioned = dict.fromkeys(pools, 0)
        self.volumes = dict.fromkeys(pools, 0)
        for lun in luns:
            if lun.pool in self.provisioned:
                self.provisioned[lun.pool] += lun.size or 0
                self.volumes[lun.pool] += 1
        # Load figures are inputs of filter and goodness functions, not
        # health: a key without these endpoints still reports up.
        self.iops = _optional(client.get_iops, records.Rates)
        self.bandwidth = _optional(client.get_bandwidth, records.Rates)
        self.cpu = _optional(client.get_cpu, records.Cpu)


def _optional(read, record):
    """record parsed from read(), or an all-zero record if it fails."""
    try:
        return record.from_answer(read())
    except ngx_exc.NGXStorageError as err:
        LOG.debug('Load figure not read (%s): reported as 0.', err)
        return record()


class StatsReporter(object):
    """Builds the stats of a backend from one :class:`ArrayReading`.

    :param driver: the driver (configuration, identity, filter and
        goodness functions, licence features).
    """

    def __init__(self, driver):
        self.driver = driver
        self.state = None  # 'up' / 'down' of the last report
        # The pool status of the last period read (records.PoolStatusList;
        # the driver takes the pool owners from it), None if unread.
        self.health = None
        self._licence_warned = 0

    @property
    def conf(self):
        return self.driver.configuration

    def report(self, client):
        """Stats for Cinder; never raises for an array error."""
        pools = self.conf.ngxstorage_pools
        self.health = None
        try:
            reading = ArrayReading(client, pools)
            self.health = reading.health
        except ngx_exc.NGXStorageError as err:
            return self._down(_('the array could not be read: %(err)s '
                                '%(hint)s') % {
                'err': err, 'hint': self.driver.hint(err)})
        expired = self._licence_problem(reading.licence)
        if expired:
            return self._down(expired)
        self._set_state('up', None)
        return self._backend([self._pool(name, reading) for name in pools],
                             'up')

    # -- states ---------------------------------------------------------

    def _set_state(self, state, reason):
        if state == 'down':
            LOG.error('NGXStorage backend %(backend)s reported down to '
                      'the scheduler (no new volume lands on it): '
                      '%(reason)s', {'backend': self.driver.backend_name,
                                     'reason': reason})
        elif self.state == 'down':
            LOG.info('NGXStorage backend %s is reachable again: reported '
                     'up.', self.driver.backend_name)
        self.state = state

    def _down(self, reason):
        self._set_state('down', reason)
        pools = []
        for name in self.conf.ngxstorage_pools:
            pool = self._common(name)
            pool.update(total_capacity_gb=0, free_capacity_gb=0,
                        provisioned_capacity_gb=0, allocated_capacity_gb=0,
                        backend_state='down', backend_state_reason=reason)
            pools.append(pool)
        stats = self._backend(pools, 'down')
        stats['backend_state_reason'] = reason
        return stats

    def _licence_problem(self, licence):
        """The reason to report down for the licence, or None.

        Warns (once a day) when it expires within
        ngxstorage_license_warning_days.
        """
        if licence.expire_time is None:
            return None
        now = time.time()
        left = licence.expire_time - now
        if left <= 0:
            return _('the array licence expired at %s (UTC): install a '
                     'valid licence.') % _utc(licence.expire_time)
        days = self.conf.ngxstorage_license_warning_days
        if left <= days * DAY and now - self._licence_warned >= DAY:
            self._licence_warned = now
            LOG.warning('The NGXStorage array licence expires at %(at)s '
                        '(UTC), in %(days).1f days: the backend will be '
                        'reported down then. Renew the licence.',
                        {'at': _utc(licence.expire_time),
                         'days': left / DAY})
        return None

    # -- stats ----------------------------------------------------------

    def _ratio(self):
        return volume_utils.get_max_over_subscription_ratio(
            self.conf.max_over_subscription_ratio, supports_auto=True)

    def _common(self, name):
        conf = self.conf
        thin = bool(conf.san_thin_provision)
        return {
            'pool_name': name,
            # A backend whose LUNs are thick unless the type says thin
            # does not report thin support: the capacity filter treats a
            # volume without provisioning:type as thin and would
            # over-subscribe thick LUNs.
            'thin_provisioning_support': thin,
            'thick_provisioning_support': True,
            'max_over_subscription_ratio': 1.0,
            'reserved_percentage': conf.reserved_percentage,
            'QoS_support': True,
            'multiattach': True,
            'online_extend_support': True,
            # Generic groups only (see the driver's create_group).
            'consistent_group_snapshot_enabled': False,
            'location_info': 'ngxstorage:%s:%s' % (
                self.driver.masked_san_ip, name),
            'filter_function': self.driver.get_filter_function(),
            'goodness_function': self.driver.get_goodness_function(),
        }

    def _pool(self, name, reading):
        capacity = reading.capacity[name]
        health = reading.health.by_name(name)
        status = health.status if health else 'MISSING'
        pool = self._common(name)
        total, free = gib(capacity.total), gib(capacity.free)
        pool.update(
            total_capacity_gb=total,
            free_capacity_gb=free,
            provisioned_capacity_gb=gib(reading.provisioned[name]),
            allocated_capacity_gb=gib(capacity.used),
            backend_state='up',
            pool_status=status,
            total_volumes=reading.volumes[name],
            used_ratio=round(1 - free / total, 4) if total else 1.0,
            array_read_iops=reading.iops.read,
            array_write_iops=reading.iops.write,
            array_total_iops=reading.iops.total,
            array_read_bps=reading.bandwidth.read,
            array_write_bps=reading.bandwidth.write,
            array_total_bps=reading.bandwidth.total,
            array_cpu_utilization=reading.cpu.utilization)
        pool.update(self.driver.pool_capabilities())
        # 'auto' is computed here, with Cinder's own formula, from the true
        # provisioned and used space, so that get-pools shows the ratio
        # the scheduler applies.
        ratio = pool['max_over_subscription_ratio'] = self._ratio()
        if ratio == 'auto':
            ratio = round(calculate_max_over_subscription_ratio(
                pool, INITIAL_AUTO_RATIO), 2)
        pool['max_over_subscription_ratio'] = (
            ratio if pool['thin_provisioning_support'] else 1.0)
        if status != HEALTHY_POOL:
            reason = _('pool %(name)s is %(status)s on the array: no new '
                       'volume is placed on it until it is ONLINE.') % {
                'name': name, 'status': status}
            LOG.warning('NGXStorage backend %(backend)s: %(reason)s',
                        {'backend': self.driver.backend_name,
                         'reason': reason})
            pool.update(total_capacity_gb=0, free_capacity_gb=0,
                        backend_state='down', backend_state_reason=reason)
        return pool

    def _backend(self, pools, state):
        driver = self.driver
        return {
            'volume_backend_name': driver.backend_name,
            'vendor_name': driver.VENDOR,
            'driver_version': driver.VERSION,
            'storage_protocol': constants.ISCSI,
            'total_capacity_gb': round(
                sum(p['total_capacity_gb'] for p in pools), 2),
            'free_capacity_gb': round(
                sum(p['free_capacity_gb'] for p in pools), 2),
            'reserved_percentage': self.conf.reserved_percentage,
            'sparse_copy_volume': True,
            'backend_state': state,
            'pools': pools,
        }


def _utc(epoch):
    return time.strftime('%Y-%m-%d %H:%M', time.gmtime(epoch))
