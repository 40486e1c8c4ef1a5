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

"""Cinder volume driver for NGXStorage arrays over iSCSI.

Cinder volumes are NGXStorage LUNs, Cinder snapshots are array snapshots,
clones and volumes from snapshots are array clones. Hosts attach through a
per-host auth group (initiator IQNs + CHAP) bound to per-host targets (see
exports.py). Objects with dependents are deleted later (see deferred.py).
Every array id is kept in provider_id, so no operation looks objects up by
listing.
"""

import contextlib
import copy
import functools
import ipaddress
import os
import re
import time

from cinder import context as cinder_context
from cinder import coordination
from cinder import exception
from cinder.i18n import _
from cinder import interface
from cinder import objects
from cinder.volume import driver
from cinder.volume import driver_utils as volume_utils_driver
from cinder.volume.drivers.san import san
from cinder.volume import volume_utils
from oslo_log import log as logging
from oslo_utils import excutils

from cinder_ngxstorage import answers
from cinder_ngxstorage import client as ngx_client
from cinder_ngxstorage import controllers
from cinder_ngxstorage import deferred
from cinder_ngxstorage import exception as ngx_exc
from cinder_ngxstorage import exports
from cinder_ngxstorage import manage
from cinder_ngxstorage import naming
from cinder_ngxstorage import options
from cinder_ngxstorage import reconcile
from cinder_ngxstorage import records
from cinder_ngxstorage import refusals
from cinder_ngxstorage import stats
from cinder_ngxstorage import volume_types

LOG = logging.getLogger(__name__)

# Cinder's shared options (cinder.volume.driver.volume_opts) the driver
# reads; listed by get_driver_options.
_SHARED_OPTIONS = ('use_chap_auth', 'chap_username', 'chap_password',
                   'driver_ssl_cert_verify', 'driver_ssl_cert_path',
                   'report_discard_supported', 'reserved_percentage',
                   'max_over_subscription_ratio')

# provider_location of a volume that is an array clone: after it is
# deleted, its origin may be collectable.
CLONE_LOCATION = 'ngxstorage:clone'
CLONE_INTERNAL_PREFIX = 'ngxstorage:clone:internal:'

# Deferred deletions are also collected with the statistics, at most once
# per interval and at most COLLECT_LIMIT deletions per run (bounded work).
COLLECT_INTERVAL = 600.0

# Where the deployment's generated namespace is kept in Cinder's
# driver_initiator_data: one row per database, whatever the array.
NAMESPACE_STORE = 'ngxstorage'
NAMESPACE_ROW = 'deployment'
NAMESPACE_KEY = 'namespace'
COLLECT_LIMIT = 20

# Endpoints whose permission the driver checks at start-up. Reads are
# probed as they are; writes with a request the array must refuse as
# invalid (400) or unknown (404) when the key is permitted and as forbidden
# (403) when it is not, so nothing is changed.
_PERMISSION_PROBES = (
    ('status.capacity', lambda c: c.get_capacity()),
    ('lun.list', lambda c: c.list_luns()),
    ('lun.detail', lambda c: c.get_lun('x')),
    ('snapshot.list', lambda c: c.list_snapshots(vol_id='x')),
    ('snapshot.detail', lambda c: c.get_snapshot('x')),
    ('snapshot.delete_all', lambda c: c.delete_all_snapshots('x')),
    ('lun.detail_list', lambda c: c.list_luns_detail()),
    ('snapshot.detail_list', lambda c: c.list_snapshots_detail(vol_id='x')),
    ('iscsi_target.list', lambda c: c.list_targets()),
    ('iscsi_target.detail', lambda c: c.get_target('x')),
    ('iscsi_target.detail_list', lambda c: c.list_targets_detail()),
    ('auth_group.list', lambda c: c.list_auth_groups()),
    ('auth_group.detail', lambda c: c.get_auth_group('x')),
    ('lun.create', lambda c: c.create_lun('', '', 0)),
    ('lun.modify', lambda c: c.modify_lun('x', size=0)),
    ('lun.delete', lambda c: c.delete_lun('x')),
    ('snapshot.create', lambda c: c.create_snapshot('', 'x')),
    ('snapshot.delete', lambda c: c.delete_snapshot('x')),
    ('snapshot.clone', lambda c: c.clone_snapshot('x', '')),
    ('snapshot.restore', lambda c: c.restore_snapshot('x')),
    ('snapshot.schedule_delete',
     lambda c: c.delete_snapshot_schedule('x')),
    ('iscsi_target.create', lambda c: c.create_target('', 'x', 'x', '')),
    ('iscsi_target.lun_add', lambda c: c.add_target_luns('x', 'x', '')),
    ('iscsi_target.lun_remove',
     lambda c: c.remove_target_luns('x', 'x', '')),
    ('iscsi_target.delete', lambda c: c.delete_target('x')),
    ('auth_group.create', lambda c: c.create_auth_group('', '')),
    ('auth_group.iqn_add', lambda c: c.add_auth_group_iqn('x', '', '', '')),
    ('auth_group.iqn_delete', lambda c: c.delete_auth_group_iqn('x')),
    ('auth_group.chap_set',
     lambda c: c.set_auth_group_chap('x', '', '', '')),
    ('auth_group.delete', lambda c: c.delete_auth_group('x')),
    # Taking over a group driver 1.1 made (the upgrade path).
    ('auth_group.rename', lambda c: c.rename_auth_group('x', '', '')),
)


def _hint(err):
    """What an operator can do about a client error."""
    if refusals.is_refusal(err):
        reason = refusals.classify(err)
        return _('Refused (%(reason)s). %(hint)s') % {
            'reason': refusals.describe(reason),
            'hint': refusals.operator_hint(reason)}
    if isinstance(err, ngx_exc.AuthenticationFailed):
        return _('The array rejected the API key (missing, unknown or '
                 'expired): set a valid ngxstorage_api_token.')
    if isinstance(err, ngx_exc.PermissionDenied):
        return _('The API key is not permitted to do this: grant the '
                 'endpoint (and the pool) to the key in API Management or '
                 'use another ngxstorage_api_token.')
    if isinstance(err, ngx_exc.TLSVerificationFailed):
        return _('Set driver_ssl_cert_path (deprecated: '
                 'ngxstorage_ca_bundle) to the CA that signed the '
                 'array\'s certificate.')
    if isinstance(err, ngx_exc.RequestTimeout):
        return _('The array did not answer in time: check san_ip and '
                 'san_api_port, or raise ngxstorage_api_timeout if the '
                 'array is slow, then retry.')
    if (isinstance(err, ngx_exc.ConnectionFailed)
            and 'TLS handshake' in err.message):
        return _('The array does not speak TLS on this port: set '
                 'ngxstorage_use_https = False, or san_api_port to its '
                 'HTTPS port.')
    if isinstance(err, ngx_exc.TransientError):
        return _('The array could not be reached or failed; check san_ip, '
                 'san_api_port and ngxstorage_use_https, then retry.')
    return ''


@contextlib.contextmanager
def array_errors(action):
    """Turn client errors into a Cinder exception naming the action.

    InvalidResponse covers answers that are not JSON and answers that
    records.py cannot parse; any other exception is a bug and propagates
    as it is.
    """
    try:
        yield
    except ngx_exc.InvalidResponse as err:
        msg = _('NGXStorage: failed to %(action)s: the array\'s answer was '
                'not understood (%(err)s). Check that san_ip points at an '
                'NGXStorage array with REST API v2.') % {
            'action': action, 'err': err}
        LOG.error(msg)
        raise exception.VolumeBackendAPIException(data=msg) from err
    except ngx_exc.NGXStorageError as err:
        # aftermath: what became of the changes of a failed attach
        # (exports.HostExports.attach).
        msg = _('NGXStorage: failed to %(action)s: %(err)s %(hint)s '
                '%(aftermath)s') % {
            'action': action, 'err': err, 'hint': _hint(err),
            'aftermath': getattr(err, 'aftermath', '')}
        msg = ' '.join(msg.split())
        LOG.error(msg)
        raise exception.VolumeBackendAPIException(data=msg.strip()) from err


class ChapSecrets(object):
    """Hosts' CHAP secrets in Cinder's driver_initiator_data.

    Keyed by the host's auth group name (one secret per host and array).
    A database failure is logged and read as "not known": the driver then
    relies on what the array shows.
    """

    KEY = 'chap_secret'

    def __init__(self, utils):
        self._utils = utils

    def __deepcopy__(self, memo):
        # A handle on Cinder's database, not state: copies share it.
        return self

    def get(self, group_name):
        """The kept secret of a host's group, or None."""
        try:
            data = self._utils.get_driver_initiator_data(group_name)
        except Exception as err:
            LOG.warning('Could not read the kept CHAP secret of %(g)s: '
                        '%(err)s', {'g': group_name,
                                    'err': type(err).__name__})
            return None
        for item in data or ():
            if item['key'] == self.KEY:
                return item['value']
        return None

    def put(self, group_name, secret):
        """Keep secret unless one is kept already; return the kept one."""
        try:
            if self._utils.insert_driver_initiator_data(
                    group_name, self.KEY, secret):
                return secret
        except Exception as err:
            LOG.warning('Could not keep the CHAP secret of %(g)s: %(err)s',
                        {'g': group_name, 'err': type(err).__name__})
            return secret
        return self.get(group_name) or secret


def _run_host_locked(key, func):
    """func() under the coordination lock of a host (a lock key)."""
    @coordination.synchronized('ngxstorage-host-' + key)
    def locked():
        return func()
    return locked()


def _host_locked(func):
    """Serialise attach/detach per connector host across services."""
    @functools.wraps(func)
    def wrapper(self, volume, connector, *args, **kwargs):
        if not connector or not connector.get('host'):
            return func(self, volume, connector, *args, **kwargs)
        if self.exports is None:
            return func(self, volume, connector, *args, **kwargs)
        key = self.exports.names.lock_key(connector['host'])
        locked = coordination.synchronized('ngxstorage-host-' + key)
        return locked(func)(self, volume, connector, *args, **kwargs)
    return wrapper


@interface.volumedriver
class NGXStorageISCSIDriver(driver.ISCSIDriver):
    """Cinder volume driver for NGXStorage arrays (iSCSI).

    Version history:

    .. code-block:: none

        1.0.0 - Initial driver: volumes, snapshots, clones, extend, revert,
                per-host auth groups with CHAP, multipath, active-active.
        1.1.0 - Manage/unmanage volumes and snapshots and list manageable
                ones, volume type extra specs, QoS priority, retype in
                place, update_migrated_volume.
    """

    VERSION = '1.1.0'
    CI_WIKI_NAME = 'NGXStorage_CI'
    SUPPORTS_ACTIVE_ACTIVE = True
    VENDOR = 'NGXStorage'

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.configuration.append_config_values(san.san_opts)
        self.configuration.append_config_values(options.NGXSTORAGE_OPTS)
        self.client = None
        self.exports = None
        self.deferred = None
        self.pool_owners = {}
        self.portals = []
        # Portals per controller (controllers.PortalMap), set at start-up.
        self.portal_map = controllers.PortalMap((), ())
        self.maxlun = 64
        # Whether the licence has datareduce (compression, deduplication);
        # read at start-up.
        self.datareduce = True
        # When the statistics next collect deferred deletions.
        self._next_collection = None
        # Whether check_for_setup_error collects deferred deletions and
        # leftover host objects (cinder-volume); the audit, which must
        # change nothing in report mode, turns it off.
        self.startup_housekeeping = True
        self.stats = stats.StatsReporter(self)

    @property
    def backend_name(self):
        """volume_backend_name, or 'ngxstorage'."""
        return (self.configuration.safe_get('volume_backend_name')
                or 'ngxstorage')

    @property
    def masked_san_ip(self):
        """san_ip with any user:password@ in it masked (for messages)."""
        return _masked_address(self.configuration.san_ip)

    @staticmethod
    def hint(err):
        """What an operator can do about a client error."""
        return _hint(err)

    def pool_capabilities(self):
        """Capabilities every pool reports (see volume_types.py)."""
        return volume_types.pool_capabilities(self.datareduce)

    @staticmethod
    def get_driver_options():
        """The options this driver reads (shown in Cinder's docs)."""
        common = [opt for opt in san.san_opts
                  if opt.name in ('san_ip', 'san_api_port',
                                  'san_thin_provision')]
        shared = []
        for opt in driver.volume_opts:
            if opt.name not in _SHARED_OPTIONS:
                continue
            default = options.ALIASES.get(opt.name, (None, None))[1]
            if default is not None:
                # The driver's default differs from Cinder's: show it.
                opt = copy.deepcopy(opt)
                opt.default = default
                opt.help += (' NGXStorage: %s unless set to False.'
                             % ('on' if default else 'off'))
            shared.append(opt)
        return options.NGXSTORAGE_OPTS + common + shared

    def _option(self, name):
        """(value, the option name the value came from) of Cinder's name.

        The name is its deprecated ngxstorage_ alias when only that is
        set, so messages name what the operator wrote.
        """
        conf = self.configuration
        alias = options.ALIASES[name][0]
        if (not options.is_set(conf, name)
                and conf.safe_get(alias) is not None):
            return options.effective(conf, name), alias
        return options.effective(conf, name), name

    # -- setup ----------------------------------------------------------

    def _config_problems(self):
        conf = self.configuration
        problems = []
        if not conf.san_ip:
            problems.append(_('san_ip is not set: set it to the array\'s '
                              'management address.'))
        elif not _is_host_address(conf.san_ip):
            problems.append(_('san_ip %s is not a host name or IP address: '
                              'set the array\'s management address alone '
                              '(no scheme, user or path; the port goes in '
                              'san_api_port).') % self.masked_san_ip)
        if not conf.ngxstorage_api_token:
            problems.append(_('ngxstorage_api_token is not set: create an '
                              'API key on the array and set it.'))
        if not conf.ngxstorage_pools:
            problems.append(_('ngxstorage_pools is empty: list the array '
                              'pools this backend serves.'))
        namespace = conf.safe_get('ngxstorage_namespace')
        if namespace and not naming.valid_namespace(namespace):
            problems.append(_('ngxstorage_namespace %s is not 1-8 '
                              'lower-case letters or digits: fix it.')
                            % namespace)
        elif not namespace and self.db is None:
            problems.append(_('ngxstorage_namespace is not set and there '
                              'is no Cinder database to keep the '
                              'deployment\'s generated namespace in: set '
                              'ngxstorage_namespace (the same in every '
                              'service of this deployment).'))
        if not conf.ngxstorage_portal_group:
            problems.append(_('ngxstorage_portal_group is not set: name '
                              'the portal group that serves iSCSI.'))
        ca_path, ca_name = self._option('driver_ssl_cert_path')
        verify, verify_name = self._option('driver_ssl_cert_verify')
        if ca_path and not os.path.exists(ca_path):
            problems.append(_('%(name)s %(path)s is not a readable file or '
                              'directory: fix the path.')
                            % {'name': ca_name, 'path': ca_path})
        if ca_path and not verify:
            problems.append(_('%(ca)s is set but %(verify)s is False: the '
                              'certificates would be ignored.')
                            % {'ca': ca_name, 'verify': verify_name})
        if conf.safe_get('chap_username') or conf.safe_get('chap_password'):
            problems.append(_('chap_username/chap_password do not apply: '
                              'the driver generates a CHAP secret per host '
                              '(kept on the array, shared by every '
                              'volume service); unset them and keep '
                              'use_chap_auth.'))
        try:
            volume_utils.get_max_over_subscription_ratio(
                conf.max_over_subscription_ratio, supports_auto=True)
        except (exception.InvalidParameterValue, ValueError, TypeError):
            problems.append(_('max_over_subscription_ratio %s is not '
                              'valid: set auto or a number of at least 1.')
                            % conf.max_over_subscription_ratio)
        return problems

    def _raise_setup_problems(self, problems):
        msg = _('NGXStorage backend %(backend)s is not usable: '
                '%(problems)s') % {
            'backend': self.configuration.safe_get('volume_backend_name')
            or 'ngxstorage',
            'problems': ' '.join('(%d) %s' % (i + 1, p)
                                 for i, p in enumerate(problems))}
        LOG.error(msg)
        raise exception.VolumeDriverException(message=msg)

    def do_setup(self, context):
        """Check the options and make the API client."""
        problems = self._config_problems()
        if problems:
            self._raise_setup_problems(problems)
        conf = self.configuration
        scheme = 'https' if conf.ngxstorage_use_https else 'http'
        port = conf.san_api_port or (443 if scheme == 'https' else 80)
        host = conf.san_ip
        if ':' in host and not host.startswith('['):
            host = '[%s]' % host  # IPv6 literal
        verify = bool(options.effective(conf, 'driver_ssl_cert_verify'))
        ca_path = options.effective(conf, 'driver_ssl_cert_path')
        if verify and ca_path:
            verify = ca_path
        self.client = ngx_client.NGXStorageClient(
            '%s://%s:%s' % (scheme, host, port),
            conf.ngxstorage_api_token,
            verify=verify,
            connect_timeout=min(10.0, conf.ngxstorage_api_timeout),
            read_timeout=conf.ngxstorage_api_timeout,
            retries=conf.ngxstorage_api_retries,
            pool_maxsize=conf.ngxstorage_api_pool_size,
            user_agent='cinder-ngxstorage/%s' % self.VERSION)

    def check_for_setup_error(self):
        """Check the array: one error naming every problem found."""
        try:
            self._check_array()
        except ngx_exc.InvalidResponse as err:
            self._raise_setup_problems([
                _('the array at %(ip)s answered something that is not the '
                  'NGXStorage REST API v2 (%(err)s): check san_ip and '
                  'san_api_port.') % {'ip': self.masked_san_ip,
                                      'err': err}])

    def _check_array(self):
        conf = self.configuration
        try:
            system_info = records.SystemInfo.from_answer(
                self.client.get_system_info())
        except ngx_exc.NGXStorageError as err:
            self._raise_setup_problems([
                _('the array API at %(ip)s does not answer properly: '
                  '%(err)s %(hint)s') % {'ip': self.masked_san_ip, 'err': err,
                                         'hint': _hint(err)}])
        problems = []
        self.maxlun = system_info.maxlun
        problems += self._check_services()
        problems += self._check_license()
        problems += self._check_pools()
        problems += self._check_portal_group()
        problems += self._check_permissions()
        if problems:
            self._raise_setup_problems(problems)
        namespace = self._namespace()
        self.exports = exports.HostExports(
            self.client, self.portal_group_id,
            bool(options.effective(conf, 'use_chap_auth')),
            self.maxlun, self.pool_owners[conf.ngxstorage_pools[0]],
            secrets=self._chap_secrets(),
            names=naming.HostNames(namespace, self.portal_group_id),
            knows_luns=self._knows_luns)
        self.deferred = deferred.DeferredDeletions(
            self.client, conf.ngxstorage_pools[0],
            naming.registry_lun_name(namespace, self.backend_name))
        if self.startup_housekeeping:
            # Best effort: a registry that cannot be made (full first
            # pool, a key that may not create it there, a 5xx) never stops
            # the service; collection runs again with the statistics.
            self._collect_deferred()
            self._next_collection = time.monotonic() + COLLECT_INTERVAL
            self._collect_leftovers()
            self._unmap_unattached()
        LOG.info('NGXStorage backend ready: pools %(pools)s, portals '
                 '%(portals)s, maxlun %(maxlun)s, namespace %(ns)s.',
                 {'pools': self.pool_owners, 'portals': self.portals,
                  'maxlun': self.maxlun, 'ns': namespace})

    def _namespace(self):
        """This deployment's namespace of host objects on the array.

        ngxstorage_namespace, else the id kept in Cinder's
        driver_initiator_data: the first service to start generates it
        and the database keeps the first one written, so every service
        and backend of the deployment agrees on it, and another
        deployment (another database) has its own.
        """
        conf = self.configuration
        if conf.safe_get('ngxstorage_namespace'):
            return conf.ngxstorage_namespace
        utils = volume_utils_driver.VolumeDriverUtils(NAMESPACE_STORE,
                                                      self.db)
        try:
            for attempt in (1, 2):
                for item in utils.get_driver_initiator_data(
                        NAMESPACE_ROW) or ():
                    if (item['key'] == NAMESPACE_KEY
                            and naming.valid_namespace(item['value'])):
                        return item['value']
                if attempt == 1:
                    utils.insert_driver_initiator_data(
                        NAMESPACE_ROW, NAMESPACE_KEY,
                        naming.new_namespace())
        except Exception as err:
            self._raise_setup_problems([
                _('the deployment\'s namespace could not be read from or '
                  'kept in Cinder\'s database (%s): check the database, '
                  'or set ngxstorage_namespace.') % type(err).__name__])
        self._raise_setup_problems([
            _('Cinder\'s database did not keep the deployment\'s '
              'namespace: set ngxstorage_namespace.')])

    def _knows_luns(self, vol_ids):
        """Whether every vol_id is a volume in Cinder's database."""
        try:
            return all(manage.cinder_volumes_with(v) for v in vol_ids)
        except Exception as err:
            LOG.warning('Could not read Cinder\'s volumes (%s).',
                        type(err).__name__)
            return False

    def _chap_secrets(self):
        """The backend's store of CHAP secrets, or None without a database.

        Kept in Cinder's driver_initiator_data (as Pure does), which every
        cinder-volume service of the deployment reads, under a namespace
        of the array (san_ip): backends sharing an array share the hosts'
        auth groups, so they share the secrets too.
        """
        if self.db is None:
            return None
        return ChapSecrets(volume_utils_driver.VolumeDriverUtils(
            'ngxstorage:%s' % self.configuration.san_ip, self.db))

    def _collect_leftovers(self):
        """Remove host objects interrupted operations left; best effort."""
        try:
            self.exports.collect_leftovers(_run_host_locked)
        except ngx_exc.NGXStorageError as err:
            LOG.warning('Could not look for empty targets and auth groups '
                        'left by interrupted operations: %s', err)

    def _unmap_unattached(self):
        """Undo mappings an interrupted attach left; best effort."""
        if self.db is None:
            return
        try:
            reconcile.unmap_unattached(self.client, self.exports,
                                       self.host, _run_host_locked)
        except Exception as err:  # noqa: B902 never stops the service
            LOG.warning('Could not look for mappings no attachment backs: '
                        '%s', err)

    def _check_license(self):
        try:
            licence = records.Licence.from_answer(self.client.get_license())
        except ngx_exc.NGXStorageError as err:
            return [_('the licence could not be read: %s') % err]
        missing = [feature for feature in ('snapshot', 'clone')
                   if not licence.has(feature)]
        self.datareduce = licence.has('datareduce')
        if missing:
            return [_('the array licence lacks %s: install a licence with '
                      'these features.') % ', '.join(missing)]
        return []

    def _check_pools(self):
        try:
            status = records.PoolStatusList.from_answer(
                self.client.get_pool_status())
        except ngx_exc.NGXStorageError as err:
            return [_('pool status could not be read: %(err)s %(hint)s')
                    % {'err': err, 'hint': _hint(err)}]
        problems = []
        for name in self.configuration.ngxstorage_pools:
            pool = status.by_name(name)
            if pool is None:
                problems.append(_(
                    'pool %s does not exist or the API key is not '
                    'authorized for it: fix ngxstorage_pools or the key\'s '
                    'authorized pools.') % name)
            else:
                if pool.status != stats.HEALTHY_POOL:
                    # Not a reason to stop serving the volumes of the
                    # other pools (or this one's): the stats publish it
                    # with no space until it is ONLINE.
                    LOG.warning('Pool %(name)s is %(status)s, not ONLINE: '
                                'no new volume is placed on it until it '
                                'is; repair it on the array.',
                                {'name': name, 'status': pool.status})
                self.pool_owners[name] = pool.owner
        return problems

    def _check_portal_group(self):
        wanted = self.configuration.ngxstorage_portal_group
        try:
            group = records.PortalGroupList.from_answer(
                self.client.list_portal_groups()).find(wanted)
            if group is None:
                return [_('portal group %s does not exist: fix '
                          'ngxstorage_portal_group.') % wanted]
            self.portal_group_id = group.id
            detail = records.PortalGroup.from_answer(
                self.client.get_portal_group(self.portal_group_id))
        except ngx_exc.NGXStorageError as err:
            return [_('portal groups could not be read: %(err)s %(hint)s')
                    % {'err': err, 'hint': _hint(err)}]
        configured = self.configuration.ngxstorage_iscsi_portals
        self.portals = [_portal(p) for p in
                        (configured or detail.listen_ips)]
        by_owner = self.configuration.safe_get(
            'ngxstorage_portals_by_owner')
        if not configured and any(_is_wildcard(p) for p in self.portals):
            self.portals = [p for p in self.portals if not _is_wildcard(p)]
            if not self.portals and not by_owner:
                return [_('portal group %s listens on every address (a '
                          'wildcard), which no initiator can log in to: '
                          'set ngxstorage_iscsi_portals to the array\'s '
                          'iSCSI addresses.') % wanted]
        if not self.portals and not by_owner:
            return [_('portal group %s has no portal: add one on the '
                      'array or set ngxstorage_iscsi_portals.') % wanted]
        return self._map_portals(group, detail, configured, by_owner)

    def _map_portals(self, group, detail, configured, by_owner):
        """Set self.portal_map: the portals of each controller.

        From ngxstorage_portals_by_owner when set; else, on an array whose
        portal groups belong to several controllers, from each owner's
        groups (one read per group); else every owner gets self.portals.
        """
        owners = sorted(set(self.pool_owners.values()))
        if by_owner:
            try:
                entries = controllers.parse_portals_by_owner(by_owner)
            except ValueError as err:
                return [_('ngxstorage_portals_by_owner entry %s is not '
                          'OWNER:IP[:PORT] (OWNER A, B, 1 or the array\'s '
                          'owner name; IPv6 in brackets): fix it.') % err]
            self.portal_map = controllers.PortalMap(entries, ())
            missing = [o for o in owners if not self.portal_map.knows(o)]
            if missing:
                return [_('ngxstorage_portals_by_owner names no portal of '
                          'controller(s) %(owners)s, owner(s) of pools in '
                          'ngxstorage_pools: add OWNER:IP entries for '
                          'them (owners on the array: %(all)s).') % {
                    'owners': ', '.join(missing),
                    'all': ', '.join(owners)}]
            return []
        entries = []
        if not configured:
            try:
                groups = records.PortalGroupList.from_answer(
                    self.client.list_portal_groups())
                for other in groups:
                    if other.owner in (None, group.owner) or (
                            other.owner not in owners):
                        continue
                    listen = records.PortalGroup.from_answer(
                        self.client.get_portal_group(other.id)).listen_ips
                    entries += [(other.owner, _portal(p)) for p in listen
                                if not _is_wildcard(_portal(p))]
            except ngx_exc.NGXStorageError as err:
                return [_('portal groups could not be read: %(err)s '
                          '%(hint)s') % {'err': err, 'hint': _hint(err)}]
            if entries and group.owner:
                entries = [(group.owner, p) for p in self.portals] + entries
        self.portal_map = controllers.PortalMap(entries, self.portals)
        return []

    def _check_permissions(self):
        denied = []
        unknown = []
        for endpoint, probe in _PERMISSION_PROBES:
            try:
                probe(self.client)
            except ngx_exc.PermissionDenied:
                denied.append(endpoint)
            except (ngx_exc.TransientError, ngx_exc.InvalidResponse):
                # A 5xx, a timeout or an unreadable answer says nothing
                # about the permission.
                unknown.append(endpoint)
            except ngx_exc.NGXStorageError:
                pass  # Refused for the bad input: permitted.
        problems = []
        if denied:
            problems.append(_('the API key is not permitted to use %s: '
                              'grant these endpoints in API Management or '
                              'use another ngxstorage_api_token.')
                            % ', '.join(denied))
        if unknown:
            problems.append(_('whether the API key may use %s could not be '
                              'checked (the array failed or did not '
                              'answer): retry when the array answers.')
                            % ', '.join(unknown))
        return problems

    def _check_services(self):
        """The SAN (iSCSI) service must run on the array."""
        try:
            services = records.Services.from_answer(
                self.client.get_services())
        except ngx_exc.NGXStorageError as err:
            return [_('the array services could not be read: %(err)s '
                      '%(hint)s') % {'err': err, 'hint': _hint(err)}]
        if services.running('san') is False:
            return [_('the SAN (iSCSI) service is off on the array: '
                      'enable it (Services > SAN) and restart the volume '
                      'service.')]
        return []

    # -- helpers --------------------------------------------------------

    def _pool_of(self, volume):
        pool = volume_utils.extract_host(volume.host, 'pool')
        return pool or self.configuration.ngxstorage_pools[0]

    def _default_thin(self):
        """'on' or 'off' from san_thin_provision."""
        return 'on' if self.configuration.san_thin_provision else 'off'

    def _type_properties(self, volume):
        """LUN properties the volume's type and QoS set (validated).

        Raises InvalidVolumeType before any array call (see
        volume_types.py).
        """
        vtype = None
        if volume.volume_type_id and volume.volume_type:
            vtype = volume.volume_type
        props = volume_types.type_properties(vtype)
        volume_types.check_licensed(props, self.datareduce)
        return props

    def _clone_properties(self, volume, origin_of):
        """Type properties to give a clone (validated).

        A clone has its origin's properties: those the type sets are
        applied after cloning; a blocksize it cannot have is refused first
        (origin_of() gives the origin LUN's vol_id).
        """
        props = self._type_properties(volume)
        if 'blocksize' in props:
            origin = origin_of()
            with array_errors(_('read LUN %s') % origin):
                current = volume_types.lun_properties(records.Lun.from_answer(
                    self.client.get_lun(origin), origin))
            conflict = volume_types.blocksize_conflict(current, props)
            if conflict:
                raise exception.InvalidVolumeType(reason=conflict)
        return {k: v for k, v in props.items()
                if k in volume_types.MODIFIABLE}

    def _manageable(self):
        return manage.Manageable(
            self.client, self.configuration.ngxstorage_pools, self.deferred)

    def _lun_id(self, volume):
        """The array vol_id of a volume, or None when it has no LUN."""
        if volume.provider_id:
            return volume.provider_id
        lun = records.LunList.from_answer(self.client.list_luns()).by_name(
            naming.volume_name(volume.name_id))
        return lun.id if lun else None

    def _create_lun(self, name, pool, size_gb, thin, **properties):
        """Create a LUN, adopting one a lost response left behind."""
        try:
            # The unit is always sent: an array that reads a bare size as
            # MB would make a 1 GiB volume 1 MiB.
            return records.created_lun_id(self.client.create_lun(
                pool, name, size_gb, sing='G', thin_provision=thin,
                **properties))
        except refusals.REFUSED + answers.UNCERTAIN as err:
            # The array may have made it although we saw no answer (or an
            # answer without the new vol_id), or a retried create finds
            # its own LUN: adopt it by name if it is what we asked for. A
            # refusal for a known other reason (no space, pool offline,
            # licence) is a real error.
            if not answers.may_have_created(err):
                raise
            vol_id = self._adoptable_lun(name, pool, size_gb)
            if vol_id is None:
                raise
            LOG.warning('Adopted LUN %(name)s (%(id)s) after: %(err)s',
                        {'name': name, 'id': vol_id, 'err': err})
            return vol_id

    def _adoptable_lun(self, name, pool, size_gb):
        lun = records.LunList.from_answer(self.client.list_luns()).find(
            name, pool)
        if lun is not None:
            detail = records.Lun.from_answer(self.client.get_lun(lun.id),
                                             lun.id)
            if detail.size == size_gb * units_gib:
                return lun.id
        return None

    @staticmethod
    def _cleanup(action, object_id):
        """Undo a half-done step; its failure must not hide the cause."""
        try:
            action(object_id)
        except ngx_exc.NotFound:
            pass
        except ngx_exc.NGXStorageError as err:
            LOG.error('Could not clean up %(id)s after a failure: %(err)s; '
                      'it is left on the array.', {'id': object_id,
                                                   'err': err})

    def _grow(self, vol_id, size_gb):
        self.client.modify_lun(vol_id, size=size_gb, sing='G')

    # -- volumes --------------------------------------------------------

    def create_volume(self, volume):
        """Create a LUN in the volume's pool."""
        _check_size(volume, volume.size)
        name = naming.volume_name(volume.name_id)
        pool = self._pool_of(volume)
        props = self._type_properties(volume)
        thin = props.pop('thin_provision', self._default_thin())
        with array_errors(_('create volume %(id)s in pool %(pool)s')
                          % {'id': volume.id, 'pool': pool}):
            vol_id = self._create_lun(name, pool, volume.size, thin,
                                      **props)
        LOG.info('Created volume %(id)s as LUN %(name)s (%(vol)s).',
                 {'id': volume.id, 'name': name, 'vol': vol_id})
        return {'provider_id': vol_id, 'provider_location': None}

    def delete_volume(self, volume):
        """Delete a volume's LUN; a missing LUN is success."""
        with array_errors(_('delete volume %s') % volume.id):
            vol_id = self._lun_id(volume)
            if vol_id is None:
                LOG.warning('Volume %s has no LUN on the array: nothing to '
                            'delete.', volume.id)
            else:
                self._delete_lun(volume, vol_id)
            if not volume.provider_id:
                # Its create failed: a clone may have left its internal
                # snapshot on the source LUN.
                self._delete_clone_snapshot_of(volume)

    def _delete_clone_snapshot_of(self, volume):
        name = naming.clone_snapshot_name(volume.name_id)
        for snap in records.SnapshotList.from_answer(
                self.client.list_snapshots()):
            if snap.name == name:
                self._delete_internal_snapshot(snap.id)

    def _delete_lun(self, volume, vol_id, unmapped=False):
        deferred_lun = False
        try:
            deferred.delete_lun_and_free_snapshots(self.client, vol_id)
        except ngx_exc.NotFound:
            LOG.warning('LUN %(vol)s of volume %(id)s is gone already.',
                        {'vol': vol_id, 'id': volume.id})
        except refusals.REFUSED as err:
            # Only dependents (mappings of a force delete, snapshots with
            # clones) defer a deletion; words the driver does not know are
            # checked against the LUN's state; anything else (pool
            # offline, licence...) fails: Cinder keeps the volume, as the
            # array keeps the LUN.
            reason = refusals.classify(err)
            if reason not in (refusals.HAS_DEPENDENTS, refusals.UNKNOWN):
                raise
            if not unmapped and self._is_mapped(vol_id) and \
                    self._unmap_everywhere(vol_id):
                self._delete_lun(volume, vol_id, unmapped=True)
                return
            if reason == refusals.UNKNOWN and not self._has_snapshots(
                    vol_id):
                raise
            self._defer(self.deferred.defer_lun, vol_id)
            deferred_lun = True
        else:
            LOG.info('Deleted LUN %(vol)s of volume %(id)s.',
                     {'vol': vol_id, 'id': volume.id})
        location = volume.provider_location or ''
        if location.startswith(CLONE_INTERNAL_PREFIX):
            snap_id = location[len(CLONE_INTERNAL_PREFIX):]
            if deferred_lun:
                # The clone stays (it waits for its own dependents): its
                # origin snapshot must not be asked to go, since an array
                # that cascades would take the clone and what depends on
                # it with it.
                self._defer(self.deferred.defer_snapshot, snap_id)
            else:
                self._delete_internal_snapshot(snap_id)
        if location.startswith(CLONE_LOCATION) and not deferred_lun:
            self._collect_deferred()

    def _has_snapshots(self, vol_id):
        """Whether the LUN has snapshots (one listing)."""
        try:
            return bool(records.SnapshotList.from_answer(
                self.client.list_snapshots(vol_id=vol_id)))
        except ngx_exc.NotFound:
            return False

    def _defer(self, record, object_id):
        """Record a deferred deletion; best effort.

        A registry that cannot be made or written for a lasting reason
        (full pool, a key that may not create it there, a 5xx while
        creating it) must not turn the user's delete into error_deleting:
        the object stays on the array, named after its Cinder object, and
        the log says so. A transient failure to add the marker to an
        existing registry fails the delete, which a retry completes.
        """
        try:
            record(object_id)
        except ngx_exc.NGXStorageError as err:
            if not deferred.registry_unusable(err):
                # Transient or not understood: fail, so that the user's
                # retry records it (success now would leave the object
                # on the array unrecorded).
                raise
            LOG.error('Could not record %(id)s in the deferred-deletion '
                      'registry (%(err)s): it waits for its dependents and '
                      'must then be deleted by hand.',
                      {'id': object_id, 'err': err})

    def _collect_deferred(self, limit=None):
        """Collect deferred deletions; best effort, never raises."""
        try:
            return self.deferred.collect(limit=limit)
        except ngx_exc.NGXStorageError as err:
            LOG.warning('Could not collect deferred deletions (%s); '
                        'they are tried again later.', err)
            return 0

    def _is_mapped(self, vol_id):
        mapped = records.Lun.from_answer(
            self.client.get_lun(vol_id), vol_id).iscsi_mapped
        return True if mapped is None else mapped  # None: the targets tell.

    def _delete_internal_snapshot(self, snap_id):
        self._delete_snapshot_or_defer(snap_id)

    def _delete_snapshot_or_defer(self, snap_id, ask_first=False):
        """Delete a snapshot, or defer it while it has clones.

        Returns 'deleted', 'gone' or 'deferred'. Only a refusal that says
        the snapshot has dependents (or unknown words when the snapshot's
        detail shows clones) defers; any other refusal raises.

        ``ask_first``: read the snapshot's detail before the delete and
        defer without asking the array when it shows clones (clones
        Cinder does not know of: an array that reads the delete as "and
        its clones" would otherwise take them).
        """
        if ask_first:
            try:
                if records.Snapshot.from_answer(
                        self.client.get_snapshot(snap_id)).has_clones:
                    self._defer(self.deferred.defer_snapshot, snap_id)
                    return 'deferred'
            except ngx_exc.NotFound:
                return 'gone'
        try:
            deferred.delete_confirmed(
                self.client.delete_snapshot(snap_id),
                lambda: self.client.get_snapshot(snap_id),
                'snapshot %s' % snap_id)
        except ngx_exc.NotFound:
            return 'gone'
        except refusals.REFUSED as err:
            reason = refusals.classify(err)
            if reason == refusals.UNKNOWN:
                reason = (refusals.HAS_DEPENDENTS
                          if deferred.snapshot_has_clones(self.client,
                                                          snap_id)
                          else reason)
            if reason != refusals.HAS_DEPENDENTS:
                raise
            self._defer(self.deferred.defer_snapshot, snap_id)
            return 'deferred'
        return 'deleted'

    def _unmap_everywhere(self, vol_id):
        """Remove vol_id from every target; True if it was mapped."""
        found = self.exports.targets_with_lun(vol_id)
        for target, group_id in found:
            key = self.exports.names.lock_key_of(target.name)

            @coordination.synchronized('ngxstorage-host-' + key)
            def unmap():
                self.exports.force_unmap(target, group_id, vol_id)
            unmap()
        return bool(found)

    def extend_volume(self, volume, new_size):
        """Grow a LUN; the array allows it while the LUN is exported."""
        _check_size(volume, new_size, volume.size)
        with array_errors(_('extend volume %(id)s to %(size)s GiB')
                          % {'id': volume.id, 'size': new_size}):
            self._grow(self._require_lun(volume), new_size)
        LOG.info('Extended volume %(id)s to %(size)s GiB.',
                 {'id': volume.id, 'size': new_size})

    def _require_lun(self, volume):
        vol_id = self._lun_id(volume)
        if vol_id is None:
            raise exception.VolumeNotFound(volume_id=volume.id)
        return vol_id

    def create_cloned_volume(self, volume, src_vref):
        """Clone src_vref: an internal snapshot, then an array clone."""
        _check_size(volume, volume.size, src_vref.size - 1)
        with array_errors(_('clone volume %(src)s into %(id)s')
                          % {'src': src_vref.id, 'id': volume.id}):
            src_id = self._require_lun(src_vref)
            props = self._clone_properties(volume, lambda: src_id)
            snap_name = naming.clone_snapshot_name(volume.name_id)
            snap_id = self._create_snapshot(snap_name, src_id)
            try:
                vol_id = self._clone(snap_id, volume,
                                     src_vref.size, volume.size, props)
            except Exception:
                with excutils.save_and_reraise_exception():
                    self._cleanup(self._delete_internal_snapshot, snap_id)
        return {'provider_id': vol_id,
                'provider_location': CLONE_INTERNAL_PREFIX + snap_id}

    def create_volume_from_snapshot(self, volume, snapshot):
        """Clone the snapshot; grow the clone if the volume is bigger."""
        _check_size(volume, volume.size)
        with array_errors(_('create volume %(id)s from snapshot %(snap)s')
                          % {'id': volume.id, 'snap': snapshot.id}):
            snap_id = self._snapshot_id(snapshot)
            props = self._clone_properties(
                volume, lambda: self._require_lun(snapshot.volume))
            vol_id = self._clone(snap_id, volume, snapshot.volume_size,
                                 volume.size, props)
            if manage.is_managed_snapshot(snapshot):
                # Its size at snapshot time is unknown: check the clone.
                self._manageable().grow_to(vol_id, volume.size)
        return {'provider_id': vol_id, 'provider_location': CLONE_LOCATION}

    def _clone(self, snap_id, volume, origin_size, size, props=None):
        name = naming.volume_name(volume.name_id)
        try:
            vol_id = records.cloned_lun_id(
                self.client.clone_snapshot(snap_id, name))
        except refusals.REFUSED + answers.UNCERTAIN as err:
            if not answers.may_have_created(err):
                raise
            vol_id = self._adoptable_lun(name, self._pool_of(volume),
                                         origin_size)
            if vol_id is None:
                raise
        if size > origin_size:
            try:
                self._grow(vol_id, size)
            except ngx_exc.NGXStorageError:
                # Leave nothing behind: the clone is unusable at this size.
                with excutils.save_and_reraise_exception():
                    self._cleanup(self.client.delete_lun, vol_id)
        if props:
            # The volume type's properties (the clone has its origin's).
            try:
                self.client.modify_lun(vol_id, **props)
            except ngx_exc.NGXStorageError:
                with excutils.save_and_reraise_exception():
                    self._cleanup(self.client.delete_lun, vol_id)
        LOG.info('Created volume %(id)s as clone %(vol)s of snapshot '
                 '%(snap)s.', {'id': volume.id, 'vol': vol_id,
                               'snap': snap_id})
        return vol_id

    # -- snapshots ------------------------------------------------------

    def _snapshot_id(self, snapshot):
        if snapshot.provider_id:
            return snapshot.provider_id
        raise exception.SnapshotNotFound(snapshot_id=snapshot.id)

    def _create_snapshot(self, name, vol_id):
        try:
            return records.created_snapshot_id(
                self.client.create_snapshot(name, vol_id))
        except refusals.REFUSED + answers.UNCERTAIN as err:
            if not answers.may_have_created(err):
                raise
            # A lost answer or a retry: adopt our own snapshot by name.
            snap = records.SnapshotList.from_answer(
                self.client.list_snapshots(vol_id=vol_id)).by_name(name)
            if snap is None:
                raise
            return snap.id

    def create_snapshot(self, snapshot):
        """Snapshot the volume's LUN."""
        name = naming.snapshot_name(snapshot.id)
        with array_errors(_('create snapshot %(id)s of volume %(vol)s')
                          % {'id': snapshot.id, 'vol': snapshot.volume_id}):
            snap_id = self._create_snapshot(
                name, self._require_lun(snapshot.volume))
        LOG.info('Created snapshot %(id)s as %(snap)s.',
                 {'id': snapshot.id, 'snap': snap_id})
        return {'provider_id': snap_id}

    def delete_snapshot(self, snapshot):
        """Delete a snapshot; one with clones is deleted later."""
        with array_errors(_('delete snapshot %s') % snapshot.id):
            snap_id = snapshot.provider_id or self._snapshot_by_name(snapshot)
            if not snap_id:
                LOG.warning('Snapshot %s has no array snapshot: nothing to '
                            'delete.', snapshot.id)
                return
            if self._cinder_volumes_from(snapshot):
                # Known dependents: the array is not asked to delete it
                # (an array that cascades would take the volumes along).
                self._defer(self.deferred.defer_snapshot, snap_id)
                return
            # One read first: clones Cinder does not know of (a deleted
            # volume still deferred, clones made outside Cinder) keep it.
            if self._delete_snapshot_or_defer(snap_id,
                                              ask_first=True) == 'gone':
                LOG.warning('Snapshot %s is gone from the array already.',
                            snapshot.id)

    def _cinder_db_volumes(self, **filters):
        """Cinder's volumes matching filters; None without a database.

        What the driver holds, asked before a destructive call instead of
        a REST read (the strict reading's call counts stay as they are).
        """
        if self.db is None:
            return None
        try:
            return objects.VolumeList.get_all(
                cinder_context.get_admin_context(), filters=filters)
        except Exception as err:
            LOG.warning('Could not read Cinder\'s volumes (%s): the '
                        'array\'s refusal is relied upon.', err)
            return None

    def _cinder_volumes_from(self, snapshot):
        """Whether Cinder has volumes made from snapshot (no REST call)."""
        return bool(self._cinder_db_volumes(snapshot_id=snapshot.id))

    def _newer_clone_sources(self, volume, snapshot):
        """Whether clones of volume made after snapshot exist in Cinder.

        Each has an internal snapshot of the volume's LUN newer than
        snapshot, which a restore would have to destroy.
        """
        clones = self._cinder_db_volumes(source_volid=volume.id) or ()
        taken = snapshot.created_at
        return any((clone.provider_location or '').startswith(
            CLONE_INTERNAL_PREFIX) and (taken is None or clone.created_at
                                        is None or clone.created_at > taken)
            for clone in clones)

    def _newer_array_snapshots(self, volume, snap_id):
        """Names of the LUN's array snapshots newer than snap_id (one read).

        Newer: created (``created``, seconds) in a later second than
        snap_id; one made in the same second cannot be told apart and is
        left to the array's refusal. A snapshot whose creation time is not
        a number counts as newer (the restore is not asked). An empty list
        when snap_id is not listed: the restore then answers for itself.
        """
        snaps = records.SnapshotList.from_answer(
            self.client.list_snapshots_detail(
                vol_id=self._require_lun(volume)))
        mine = snaps.find(snap_id=snap_id)
        if mine is None:
            return []

        def created(snap):
            try:
                return int(snap.created)
            except (TypeError, ValueError):
                return None
        taken = created(mine)
        return [snap.name or snap.id for snap in snaps
                if snap.id != snap_id and (
                    taken is None or created(snap) is None or
                    created(snap) > taken)]

    def _snapshot_by_name(self, snapshot):
        """snap_id of a snapshot whose create failed, found by its name."""
        vol_id = self._lun_id(snapshot.volume)
        if vol_id is None:
            return None
        name = naming.snapshot_name(snapshot.id)
        try:
            listing = self.client.list_snapshots(vol_id=vol_id)
        except ngx_exc.NotFound:
            return None
        snap = records.SnapshotList.from_answer(listing).by_name(name)
        return snap.id if snap else None

    def snapshot_revert_use_temp_snapshot(self):
        """No backup snapshot: it would be newer than the one to restore.

        The array restores only the newest snapshot of a LUN.
        """
        return False

    def revert_to_snapshot(self, context, volume, snapshot):
        """Roll the LUN back in place; grow it back if it was extended."""
        with array_errors(_('revert volume %(id)s to snapshot %(snap)s')
                          % {'id': volume.id, 'snap': snapshot.id}):
            if self._newer_clone_sources(volume, snapshot):
                # Not asked of the array: one that reads "restore" as
                # "and destroy the newer snapshots" would take the clones.
                LOG.warning('Volume %s has clones made after the snapshot: '
                            'it cannot be rolled back in place; Cinder will '
                            'copy the snapshot.', volume.id)
                raise NotImplementedError()
            snap_id = self._snapshot_id(snapshot)
            newer = self._newer_array_snapshots(volume, snap_id)
            if newer:
                # Not asked of the array: one that reads "restore" as "and
                # destroy the newer snapshots" would take them (and their
                # clones) along.
                LOG.warning('Volume %(id)s has array snapshots newer than '
                            '%(snap)s (%(newer)s): it cannot be rolled back '
                            'in place; Cinder will copy the snapshot.',
                            {'id': volume.id, 'snap': snapshot.id,
                             'newer': newer})
                raise NotImplementedError()
            try:
                self.client.restore_snapshot(snap_id)
            except refusals.REFUSED as err:
                # Newer array snapshots (clone sources, scheduled ones)
                # exist: the array cannot roll back past them. Cinder then
                # copies the snapshot's data instead. A refusal for another
                # reason (pool offline, licence) fails as it is.
                if refusals.classify(err) not in (
                        refusals.NEWER_SNAPSHOTS, refusals.HAS_DEPENDENTS,
                        refusals.UNKNOWN):
                    raise
                LOG.warning('Volume %(id)s cannot be rolled back in place '
                            '(%(err)s); Cinder will copy the snapshot.',
                            {'id': volume.id, 'err': err})
                raise NotImplementedError() from err
            if manage.is_managed_snapshot(snapshot):
                # Its size at snapshot time is unknown: check the LUN.
                self._manageable().grow_to(self._require_lun(volume),
                                           volume.size)
            elif volume.size > snapshot.volume_size:
                self._grow(self._require_lun(volume), volume.size)
        LOG.info('Reverted volume %(id)s to snapshot %(snap)s.',
                 {'id': volume.id, 'snap': snapshot.id})

    # -- attach / detach ------------------------------------------------

    def validate_connector(self, connector):
        """The connector must name its initiator and its host."""
        for key in ('initiator', 'host'):
            if not connector.get(key):
                raise exception.InvalidConnectorException(missing=key)

    def _connection_info(self, entry, target, lun, **extra):
        """os-brick's iSCSI connection info for a LUN of a host's target.

        Every portal of the target's controller leads to the same target
        and LUN number (multipath); the other controller's portals are
        left out (controllers.PortalMap). CHAP is added when the host's
        group has it.
        """
        portals = self.portal_map.portals(target.owner) or self.portals
        props = {
            'target_discovered': False,
            'target_portal': portals[0],
            'target_iqn': target.iqn,
            'target_lun': lun,
            'target_portals': list(portals),
            'target_iqns': [target.iqn] * len(portals),
            'target_luns': [lun] * len(portals),
        }
        props.update(extra)
        if entry.chap:
            props['auth_method'] = 'CHAP'
            props['auth_username'] = entry.chap[0]
            props['auth_password'] = entry.chap[1]
        return {'driver_volume_type': 'iscsi', 'data': props}

    def _initiator_in_use_for(self, host):
        """Who logs in from host: f(iqn) -> True, False or None.

        Whether a live attachment of this backend on host logs in with
        iqn (Cinder's attachments and their connectors); None when
        Cinder's database cannot tell.
        """
        def in_use(iqn):
            live = self._live_attachments_of_backend(host)
            if live is None:
                return None
            used = [(a.connector or {}).get('initiator') for a in live]
            if iqn in used:
                return True
            # An attachment that does not record its initiator (older
            # attach flows) may use any: not known.
            return None if None in used else False
        return in_use

    def _live_attachments_of_backend(self, host):
        """Live attachments on host of this backend's volumes.

        Attached or attaching, from Cinder's database; None without one.
        """
        if self.db is None:
            return None
        try:
            found = objects.VolumeAttachmentList.get_all_by_host(
                cinder_context.get_admin_context(), host)
        except Exception as err:
            LOG.warning('Could not read Cinder\'s attachments on host '
                        '%(host)s (%(err)s).', {'host': host, 'err': err})
            return None
        backend = volume_utils.extract_host(self.host, 'backend')
        live = []
        for att in found:
            if att.attach_status not in ('attached', 'attaching'):
                continue
            volume = att.volume if att.obj_attr_is_set('volume') else None
            if volume is not None and volume.host and volume_utils.\
                    extract_host(volume.host, 'backend') != backend:
                continue
            live.append(att)
        return live

    @_host_locked
    def initialize_connection(self, volume, connector):
        """Map the LUN for the connector's host; return iSCSI properties."""
        self.validate_connector(connector)
        host = connector['host']
        with array_errors(_('attach volume %(id)s to host %(host)s')
                          % {'id': volume.id, 'host': host}):
            vol_id = self._require_lun(volume)
            # A failed attach undoes its changes, but leaves the LUN
            # mapped when another live attachment of the host uses it.
            entry, target, lun = self._attach_on_owner(
                host, connector['initiator'], vol_id, self._pool_of(volume),
                keep_lun=_live_attachments_on_host(volume, host) > 0,
                initiator_in_use=self._initiator_in_use_for(host))
        info = self._connection_info(
            entry, target, lun, volume_id=volume.id,
            discard=bool(self.configuration.safe_get(
                'report_discard_supported')))
        LOG.info('Attached volume %(id)s to host %(host)s: target %(t)s '
                 'LUN %(lun)s.', {'id': volume.id, 'host': host,
                                  't': target.name, 'lun': lun})
        return info

    @_host_locked
    def terminate_connection(self, volume, connector, **kwargs):
        """Unmap the LUN from the host (from every host when forced)."""
        with array_errors(_('detach volume %s') % volume.id):
            vol_id = self._lun_id(volume)
            if vol_id is None:
                return False
            if not connector:
                self._unmap_everywhere(vol_id)
                LOG.info('Force-detached volume %s from every host.',
                         volume.id)
                return False
            host = connector['host']
            if _other_attachments_on_host(volume, host):
                LOG.info('Volume %(id)s stays mapped to host %(host)s for '
                         'its other attachments.',
                         {'id': volume.id, 'host': host})
                return True
            owner = self.pool_owners.get(self._pool_of(volume))
            self.exports.detach(host, vol_id, owner)
        LOG.info('Detached volume %(id)s from host %(host)s.',
                 {'id': volume.id, 'host': host})
        return False

    def create_export(self, context, volume, connector):
        """Nothing: initialize_connection maps the LUN per host."""

    def ensure_export(self, context, volume):
        """Nothing: mappings live on the array and survive restarts."""

    def remove_export(self, context, volume):
        """Nothing: terminate_connection unmaps the LUN per host."""

    # -- snapshot attach (backups from a temporary snapshot) -----------
    #
    # The API maps LUNs, not snapshots: a snapshot is attached through a
    # temporary clone named from the snapshot id (SNAPSHOT_EXPORT_PREFIX),
    # made by create_export_snapshot (or initialize_connection_snapshot if
    # it is missing) and deleted by terminate_connection_snapshot once no
    # host maps it, and by remove_export_snapshot. Every path Cinder takes
    # after a failure (remove_export_snapshot after a failed initialize,
    # terminate with force after a failed backup attach) removes it.

    def backup_use_temp_snapshot(self):
        """Whether backups read a temporary snapshot (the option's value).

        Both ways work: a temporary snapshot attached through a clone, or
        (the default) the volume or a temporary clone of it.
        """
        return bool(self.configuration.safe_get('backup_use_temp_snapshot'))

    def _snapshot_export(self, snapshot):
        """vol_id of the snapshot's temporary clone, or None."""
        lun = records.LunList.from_answer(self.client.list_luns()).by_name(
            naming.snapshot_export_name(snapshot.id))
        return lun.id if lun else None

    def _make_snapshot_export(self, snapshot):
        """The snapshot's temporary clone (made if missing): vol_id."""
        vol_id = self._snapshot_export(snapshot)
        if vol_id:
            return vol_id
        name = naming.snapshot_export_name(snapshot.id)
        try:
            vol_id = records.cloned_lun_id(self.client.clone_snapshot(
                self._snapshot_id(snapshot), name))
        except (ngx_exc.Conflict,) + answers.UNCERTAIN:
            vol_id = self._snapshot_export(snapshot)
            if vol_id is None:
                raise
        LOG.info('Snapshot %(snap)s is exported through temporary clone '
                 '%(vol)s.', {'snap': snapshot.id, 'vol': vol_id})
        return vol_id

    def _remove_snapshot_export(self, snapshot, connector=None):
        """Unmap (from connector's host, or everywhere) and delete.

        The clone is kept while another host still maps it.
        """
        vol_id = self._snapshot_export(snapshot)
        if vol_id is None:
            return
        if connector and connector.get('host'):
            owner = self.pool_owners.get(self._pool_of(snapshot.volume))
            _run_host_locked(
                self.exports.names.lock_key(connector['host']),
                lambda: self.exports.detach(connector['host'], vol_id,
                                            owner))
            if self.exports.targets_with_lun(vol_id):
                return
        else:
            self._unmap_everywhere(vol_id)
        try:
            self.client.delete_lun(vol_id)
        except ngx_exc.NotFound:
            pass
        LOG.info('Removed temporary clone %(vol)s of snapshot %(snap)s.',
                 {'vol': vol_id, 'snap': snapshot.id})

    def create_export_snapshot(self, context, snapshot, connector):
        """Make the temporary clone through which the snapshot is read."""
        with array_errors(_('export snapshot %s') % snapshot.id):
            self._make_snapshot_export(snapshot)

    def initialize_connection_snapshot(self, snapshot, connector, **kwargs):
        """Map the snapshot's temporary clone for the connector's host."""
        self.validate_connector(connector)
        host = connector['host']
        with array_errors(_('attach snapshot %(id)s to host %(host)s')
                          % {'id': snapshot.id, 'host': host}):
            vol_id = self._make_snapshot_export(snapshot)
            pool = self._pool_of(snapshot.volume)
            try:
                entry, target, lun = _run_host_locked(
                    self.exports.names.lock_key(host),
                    lambda: self._attach_on_owner(
                        host, connector['initiator'], vol_id, pool,
                        initiator_in_use=self._initiator_in_use_for(host)))
            except ngx_exc.NGXStorageError:
                with excutils.save_and_reraise_exception():
                    self._cleanup(self.client.delete_lun, vol_id)
        info = self._connection_info(entry, target, lun,
                                     access_mode='ro', discard=False)
        LOG.info('Attached snapshot %(id)s to host %(host)s: target %(t)s '
                 'LUN %(lun)s.', {'id': snapshot.id, 'host': host,
                                  't': target.name, 'lun': lun})
        return info

    def terminate_connection_snapshot(self, snapshot, connector, **kwargs):
        """Unmap the temporary clone; delete it once no host maps it."""
        with array_errors(_('detach snapshot %s') % snapshot.id):
            self._remove_snapshot_export(snapshot, connector)

    def remove_export_snapshot(self, context, snapshot):
        """Delete the temporary clone (unmapped from every host first)."""
        with array_errors(_('remove the export of snapshot %s')
                          % snapshot.id):
            self._remove_snapshot_export(snapshot)

    # -- manage / unmanage (see manage.py) ----------------------------

    def manage_existing_get_size(self, volume, existing_ref):
        """Size in GiB (rounded up) of the LUN a reference names."""
        with array_errors(_('read LUN %s to manage it') % existing_ref):
            lun = self._manageable().lun_to_manage(volume, existing_ref)
        return manage.size_gib(lun.size)

    def manage_existing(self, volume, existing_ref):
        """Manage a LUN as volume; it keeps its array name.

        provider_id (the vol_id) is how every later operation finds it.
        The LUN grows to whole GiB and takes the properties its volume type
        sets (one LUN modify at most).
        """
        wanted = self._type_properties(volume)
        with array_errors(_('manage LUN %(ref)s as volume %(id)s')
                          % {'ref': existing_ref, 'id': volume.id}):
            manageable = self._manageable()
            lun = manageable.lun_to_manage(volume, existing_ref)
            manageable.adapt_lun(lun, manage.size_gib(lun.size), wanted)
        LOG.info('Managing LUN %(name)s (%(vol)s) as volume %(id)s.',
                 {'name': lun.name, 'vol': lun.id, 'id': volume.id})
        # A clone's deletion may free its origin (deferred deletion).
        return {'provider_id': lun.id,
                'provider_location': CLONE_LOCATION if lun.clone else None}

    def unmanage(self, volume):
        """Nothing on the array: the LUN stays as it is."""
        LOG.info('Volume %(id)s is no longer managed; its LUN %(vol)s is '
                 'left on the array.', {'id': volume.id,
                                        'vol': volume.provider_id})

    def manage_existing_snapshot_get_size(self, snapshot, existing_ref):
        """The volume's size: the array does not report snapshot sizes."""
        with array_errors(_('read snapshot %s to manage it') % existing_ref):
            self._manageable().snapshot_to_manage(
                snapshot, self._require_lun(snapshot.volume), existing_ref)
        return snapshot.volume.size

    def manage_existing_snapshot(self, snapshot, existing_ref):
        """Manage a snapshot of the volume's LUN; it keeps its name."""
        with array_errors(_('manage snapshot %(ref)s as %(id)s')
                          % {'ref': existing_ref, 'id': snapshot.id}):
            snap = self._manageable().snapshot_to_manage(
                snapshot, self._require_lun(snapshot.volume), existing_ref)
        LOG.info('Managing snapshot %(name)s (%(snap)s) as snapshot '
                 '%(id)s.', {'name': snap.name, 'snap': snap.id,
                             'id': snapshot.id})
        return {'provider_id': snap.id,
                'provider_location': manage.MANAGED_SNAPSHOT_LOCATION}

    def unmanage_snapshot(self, snapshot):
        """Nothing on the array: the snapshot stays as it is."""
        LOG.info('Snapshot %(id)s is no longer managed; array snapshot '
                 '%(snap)s is left as it is.',
                 {'id': snapshot.id, 'snap': snapshot.provider_id})

    def get_manageable_volumes(self, cinder_volumes, marker, limit, offset,
                               sort_keys, sort_dirs):
        """The LUNs of this backend's pools, with what stops managing them."""
        with array_errors(_('list manageable volumes')):
            entries = self._manageable().volume_entries(cinder_volumes)
        return manage.paginate(entries, marker, limit, offset, sort_keys,
                               sort_dirs)

    def get_manageable_snapshots(self, cinder_snapshots, marker, limit,
                                 offset, sort_keys, sort_dirs):
        """The snapshots of this backend's LUNs, as get_manageable_volumes."""
        with array_errors(_('list manageable snapshots')):
            entries = self._manageable().snapshot_entries(cinder_snapshots)
        return manage.paginate(entries, marker, limit, offset, sort_keys,
                               sort_dirs)

    # -- volume types and migration (see volume_types.py) ----------------

    def retype(self, context, volume, new_type, diff, host):
        """Change a volume's type in place when the array can.

        In place (one LUN modify, or none) when the volume stays in its pool
        and keeps its blocksize. Otherwise False: Cinder migrates the data
        to a new LUN (the array cannot move a LUN to another pool or change
        its blocksize). An invalid new type raises InvalidVolumeType.
        """
        pool = (volume_utils.extract_host(host['host'], 'pool')
                or self.configuration.ngxstorage_pools[0])
        if pool != self._pool_of(volume):
            LOG.info('Retype of volume %(id)s moves it to pool %(pool)s: '
                     'Cinder migrates it.', {'id': volume.id, 'pool': pool})
            return False
        new = volume_types.type_properties(new_type)
        volume_types.check_licensed(new, self.datareduce)
        old = {}
        if volume.volume_type_id and volume.volume_type:
            old = volume_types.type_properties(volume.volume_type,
                                               strict=False)
        wanted = volume_types.retype_properties(old, new,
                                                self._default_thin())
        with array_errors(_('retype volume %s') % volume.id):
            vol_id = self._require_lun(volume)
            current = volume_types.lun_properties(
                records.Lun.from_answer(self.client.get_lun(vol_id), vol_id))
            conflict = volume_types.blocksize_conflict(current, wanted)
            if conflict:
                LOG.info('Retype of volume %(id)s: %(why)s; Cinder migrates '
                         'it.', {'id': volume.id, 'why': conflict})
                return False
            changes = volume_types.changes_for(current, wanted)
            if changes:
                self.client.modify_lun(vol_id, **changes)
        LOG.info('Retyped volume %(id)s in place: %(changes)s.',
                 {'id': volume.id, 'changes': changes or 'no change'})
        return True, None

    # -- groups -----------------------------------------------------------

    def create_group(self, context, group):
        """Generic groups by Cinder; consistent snapshot groups refused.

        The array snapshots one LUN at a time, so a group type with
        consistent_group_snapshot_enabled cannot be honoured. Every other
        group is Cinder's generic group (NotImplementedError tells the
        manager to use it; the other group calls are BaseVD's).
        """
        if volume_utils.is_group_a_cg_snapshot_type(group):
            msg = _('NGXStorage backend %(backend)s cannot create group '
                    '%(id)s: its group type has '
                    'consistent_group_snapshot_enabled, and the array has '
                    'no consistent group snapshot (it snapshots one LUN at '
                    'a time). Use a group type without it for a generic '
                    'volume group.') % {'backend': self.backend_name,
                                        'id': group.id}
            LOG.error(msg)
            raise exception.InvalidGroupType(reason=msg)
        raise NotImplementedError()

    def update_migrated_volume(self, ctxt, volume, new_volume,
                               original_volume_status):
        """The volume takes the migrated LUN's name_id and location.

        The array cannot rename the new LUN after the volume, so the volume
        keeps new_volume's name_id (the LUN's name) and provider_location.
        provider_id is not returned on purpose: Cinder swaps it, with every
        other field, between the two records right after this call
        (Volume.finish_volume_migration); returned here as well, it would
        be swapped back and deleting the migration source would delete the
        migrated LUN.
        """
        return {'_name_id': new_volume.name_id,
                'provider_location': new_volume.provider_location}

    def _init_vendor_properties(self):
        """The ngxstorage: extra specs (shown by cinder get-capabilities)."""
        properties = {}
        for key, title, description, kind, extra in (
                volume_types.vendor_properties(self._default_thin())):
            self._set_property(properties, key, title, description, kind,
                               **extra)
        return properties, volume_types.VENDOR

    # -- stats ----------------------------------------------------------

    def _periodic_collection(self):
        """Collect deferred deletions now and then; never raises.

        Deletions that wait for a dependent outside Cinder's view (a clone
        deleted on the array by hand), or whose collection failed, are
        tried again here, bounded to COLLECT_LIMIT per run.
        """
        if self.deferred is None or self._next_collection is None:
            return
        now = time.monotonic()
        if now < self._next_collection:
            return
        self._next_collection = now + COLLECT_INTERVAL
        self._collect_deferred(limit=COLLECT_LIMIT)

    def _update_volume_stats(self):
        """Publish capacity, health and load; never raises (stats.py).

        An array that cannot be read is reported down with the reason;
        periodic housekeeping runs once per period while it is up. The
        pool owners are refreshed from the period's pool status (a
        controller failover moves pools), with no call of their own.
        """
        self._stats = self.stats.report(self.client)
        if self.stats.health is not None:
            self._set_pool_owners(self.stats.health)
        if self._stats['backend_state'] == 'up':
            self._periodic_housekeeping()

    # -- controllers ------------------------------------------------------

    def _set_pool_owners(self, health):
        """Take the pool owners of a pool status listing.

        When one changed (a controller failed over or came back), the
        cached host views are dropped, since their targets changed owner
        too, and auth groups are made on the first pool's new owner.
        """
        changed = {}
        for name in self.configuration.ngxstorage_pools:
            pool = health.by_name(name)
            if pool is None or not pool.owner:
                continue
            if self.pool_owners.get(name) != pool.owner:
                changed[name] = (self.pool_owners.get(name), pool.owner)
                self.pool_owners[name] = pool.owner
        if not changed:
            return
        LOG.warning('NGXStorage pool owners changed (controller failover '
                    'or failback?): %s; new attachments go to the new '
                    'owners\' targets and portals.',
                    ', '.join('%s %s -> %s' % (name, old, new)
                              for name, (old, new) in sorted(
                                  changed.items())))
        if self.exports is not None:
            self.exports.group_owner = self.pool_owners.get(
                self.configuration.ngxstorage_pools[0],
                self.exports.group_owner)
            self.exports.forget_all()

    def _refresh_pool_owners(self):
        """Read the pool owners now (after a controller refusal)."""
        self._set_pool_owners(records.PoolStatusList.from_answer(
            self.client.get_pool_status()))

    def _attach_on_owner(self, host, initiator, vol_id, pool, **kwargs):
        """exports.attach on the pool's controller (kwargs: attach's).

        A refusal for the controller (the pool or a target changed owner
        since the last stats period: a failover) reads the owners again
        and retries once (the failed try has undone its changes).
        """
        owner = self.pool_owners.get(pool, '1')
        try:
            return self.exports.attach(host, initiator, vol_id, owner,
                                       **kwargs)
        except refusals.REFUSED as err:
            if refusals.classify(err) != refusals.OWNER:
                raise
            LOG.info('Attach of %(vol)s refused for the controller '
                     '(%(err)s): reading the pool owners again.',
                     {'vol': vol_id, 'err': err})
        self._refresh_pool_owners()
        self.exports.forget(host)
        return self.exports.attach(host, initiator, vol_id,
                                   self.pool_owners.get(pool, '1'), **kwargs)

    def _periodic_housekeeping(self):
        """Work done once a stats period while the array answers.

        The single call point for periodic tasks: collection of deferred
        deletions (bounded, every COLLECT_INTERVAL seconds).
        """
        self._periodic_collection()


units_gib = 1024 ** 3


_HOST_NAME_RE = re.compile(
    r'^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
    r'(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$')


def _masked_address(text):
    """An address with the user:password@ part of it (if any) masked."""
    return re.sub(r'[^/@]*@', '***@', str(text or ''))


def _is_host_address(text):
    """Whether text is an IP address (IPv6 with or without []) or a name."""
    try:
        ipaddress.ip_address(text.strip('[]'))
        return True
    except ValueError:
        return bool(_HOST_NAME_RE.match(text))


def _check_size(volume, size, below=0):
    """Refuse a size the array must never see, before any call.

    Cinder checks sizes too; this keeps a bad one from reaching an array
    that might take it. size must be a whole number of GiB above below
    (the current size, for an extend) and at least 1.
    """
    if (isinstance(size, bool) or not isinstance(size, int)
            or size < max(1, below + 1)):
        reason = _('volume %(id)s: %(size)r GiB is not a valid size: a '
                   'whole number of GiB, at least %(min)d, is needed.') % {
            'id': volume.id, 'size': size, 'min': max(1, below + 1)}
        raise exception.InvalidInput(reason=reason)


def _portal(text):
    """'host:port' of a portal: port 3260 added, IPv6 in brackets."""
    text = str(text).strip()
    if text.startswith('['):
        return text if ']:' in text else text + ':3260'
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text if ':' in text else text + ':3260'
    if address.version == 6:
        return '[%s]:3260' % text
    return text + ':3260'


def _is_wildcard(portal):
    """Whether a portal listens on every address (no use to an initiator)."""
    host = portal.rsplit(':', 1)[0].strip('[]')
    if host == '*':
        return True
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _live_attachments_on_host(volume, host):
    """How many attachments of volume are attached on host."""
    attachments = volume.volume_attachment or ()
    return len([a for a in attachments
                if a.attached_host == host and a.attach_status == 'attached'])


def _other_attachments_on_host(volume, host):
    """Whether another live attachment of volume uses the same host.

    For a detach: the attachment being detached is still attached.
    """
    return _live_attachments_on_host(volume, host) > 1
