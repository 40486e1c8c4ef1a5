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

"""Configuration options of the NGXStorage driver.

The options live under a backend section of cinder.conf. Cinder's shared
options are reused where one exists: ``san_ip``, ``san_api_port``,
``san_thin_provision``, ``use_chap_auth``, ``driver_ssl_cert_verify``,
``driver_ssl_cert_path``, ``report_discard_supported``,
``reserved_percentage``, ``max_over_subscription_ratio``; everything
specific to NGXStorage carries the ``ngxstorage_`` prefix. The driver's
first names for three of Cinder's options (``ngxstorage_chap``,
``ngxstorage_verify_tls``, ``ngxstorage_ca_bundle``) are deprecated
aliases: :func:`effective` reads Cinder's option when it is set, else the
alias (warning once), else the driver's default, which keeps CHAP and
TLS verification on where Cinder's own defaults are off.
"""

import copy

from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)
SHARED_GROUP = 'backend_defaults'

NGXSTORAGE_OPTS = [
    cfg.StrOpt('ngxstorage_api_token',
               secret=True,
               help='API key (bearer token) created on the array under '
                    'Configuration > API Management. It needs the '
                    'permissions of the endpoints the driver uses and, if '
                    'the key is limited to pools, every pool in '
                    'ngxstorage_pools.'),
    cfg.ListOpt('ngxstorage_pools',
                default=[],
                help='Names of the array pools this backend serves. Each '
                     'one is reported to the scheduler as a Cinder pool.'),
    cfg.StrOpt('ngxstorage_portal_group',
               help='Name or id of the array portal group whose portals '
                    'serve iSCSI for this backend. Every target the '
                    'driver creates is bound to it.'),
    cfg.StrOpt('ngxstorage_namespace',
               help='Namespace (1-8 lower-case letters or digits) of this '
                    'Cinder deployment\'s host objects (auth groups, '
                    'targets, CHAP user names) on the array, so that '
                    'several OpenStack deployments can share one array. '
                    'Unset (the default), a random id is generated once '
                    'and kept in Cinder\'s database, so every service of '
                    'the deployment uses the same one. Set it for '
                    'readable names; then set the same value in every '
                    'backend and service of the deployment and a '
                    'different one in every other deployment. Changing '
                    'it later orphans the host objects made so far.'),
    cfg.ListOpt('ngxstorage_iscsi_portals',
                default=[],
                help='iSCSI portals (IP or IP:PORT) to hand to hosts '
                     'instead of the portal group\'s listen addresses, '
                     'e.g. when hosts reach the array through NAT.'),
    cfg.ListOpt('ngxstorage_portals_by_owner',
                default=[],
                help='iSCSI portals per controller, as OWNER:IP[:PORT] '
                     'entries (OWNER is A, B, 1 or the array\'s full '
                     'owner name such as NGX123_A; IPv6 as '
                     'A:[fd00::1]:3260). Hosts get only the portals of the '
                     'controller that owns the volume\'s target. Needed '
                     'where the portal groups cannot tell, e.g. one portal '
                     'group listing the addresses of both controllers; '
                     'unset, the portal groups of each owner are used. '
                     'Takes precedence over ngxstorage_iscsi_portals.'),
    cfg.BoolOpt('ngxstorage_use_https',
                default=True,
                help='Talk to the array API over HTTPS.'),
    cfg.BoolOpt('ngxstorage_verify_tls',
                deprecated_for_removal=True,
                deprecated_reason='Use Cinder\'s driver_ssl_cert_verify.',
                help='Deprecated alias of driver_ssl_cert_verify (read '
                     'only when that is not set): verify the array\'s TLS '
                     'certificate. Unset, verification is on.'),
    cfg.StrOpt('ngxstorage_ca_bundle',
               deprecated_for_removal=True,
               deprecated_reason='Use Cinder\'s driver_ssl_cert_path.',
               help='Deprecated alias of driver_ssl_cert_path (read only '
                    'when that is not set): a CA bundle to verify the '
                    'array\'s TLS certificate with.'),
    cfg.BoolOpt('ngxstorage_chap',
                deprecated_for_removal=True,
                deprecated_reason='Use Cinder\'s use_chap_auth.',
                help='Deprecated alias of use_chap_auth (read only when '
                     'that is not set): protect every host\'s iSCSI '
                     'sessions with CHAP. Unset, CHAP is on.'),
    cfg.FloatOpt('ngxstorage_api_timeout',
                 default=60.0,
                 min=1.0,
                 help='Seconds to wait for the array to answer one API '
                      'call (the connect timeout is the smaller of this '
                      'and 10 s).'),
    cfg.IntOpt('ngxstorage_api_retries',
               default=3,
               min=0,
               help='How many times a safe API call (a read, a delete, or '
                    'a request that never reached the array) is retried '
                    'after a transient failure.'),
    cfg.IntOpt('ngxstorage_api_pool_size',
               default=32,
               min=1,
               help='Size of the HTTP connection pool to the array (upper '
                    'bound of concurrent API calls from one service).'),
    cfg.IntOpt('ngxstorage_license_warning_days',
               default=30,
               min=0,
               help='Warn (once a day, in the volume service log) when '
                    'the array licence expires within this many days. '
                    'An expired licence reports the backend down.'),
]

CONF = cfg.CONF
CONF.register_opts(NGXSTORAGE_OPTS, group='backend_defaults')


#: Cinder's option -> (its deprecated ngxstorage_ alias, the driver's
#: default when neither is set).
ALIASES = {
    'use_chap_auth': ('ngxstorage_chap', True),
    'driver_ssl_cert_verify': ('ngxstorage_verify_tls', True),
    'driver_ssl_cert_path': ('ngxstorage_ca_bundle', None),
}

_warned = set()


def is_set(configuration, name):
    """Whether the operator set option name for this backend.

    In the backend's section (where Cinder makes every option's default
    None) or in ``[backend_defaults]`` (a value that is not a default).
    """
    group = getattr(configuration, 'config_group', None) or SHARED_GROUP
    try:
        if (group != SHARED_GROUP
                and CONF[group][name] is not None):
            return True
        info = CONF.get_location(name, SHARED_GROUP)
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError, KeyError):
        return False
    # No location: nothing was ever set (the value is the default).
    if info is None or info.location in (cfg.Locations.opt_default,
                                         cfg.Locations.set_default):
        return False
    if info.location == cfg.Locations.set_override:
        # oslo.config keeps reporting set_override after clear_override
        # (overrides are for tests and tools, never in cinder.conf): an
        # override counts when it differs from the option's default.
        value = CONF[SHARED_GROUP][name]
        return value is not None and value != _shared_default(name)
    return True


def _shared_default(name):
    """The registered default of a [backend_defaults] option."""
    from cinder.volume import driver  # Cinder's shared options
    for opt in driver.volume_opts:
        if opt.name == name:
            return opt.default
    return None


def effective(configuration, name):
    """The value of Cinder's option name for this backend.

    Cinder's option when set, else its deprecated alias when set (with a
    warning, once per process), else the driver's default (ALIASES).
    """
    alias, default = ALIASES[name]
    if is_set(configuration, name):
        return configuration.safe_get(name)
    value = configuration.safe_get(alias)
    if value is not None:
        if alias not in _warned:
            _warned.add(alias)
            LOG.warning('Option %(old)s is deprecated and will be removed: '
                        'set Cinder\'s %(new)s instead (same meaning).',
                        {'old': alias, 'new': name})
        return value
    return default


def list_opts():
    """Options for oslo-config-generator (namespace cinder_ngxstorage)."""
    return [('backend_defaults', copy.deepcopy(NGXSTORAGE_OPTS))]
