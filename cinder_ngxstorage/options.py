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

The options live under a backend section of cinder.conf. Cinder's common
``san_ip`` and ``san_api_port`` are reused for the management address;
everything specific to NGXStorage carries the ``ngxstorage_`` prefix.
"""

import copy

from oslo_config import cfg

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
    cfg.ListOpt('ngxstorage_iscsi_portals',
                default=[],
                help='iSCSI portals (IP or IP:PORT) to hand to hosts '
                     'instead of the portal group\'s listen addresses, '
                     'e.g. when hosts reach the array through NAT.'),
    cfg.BoolOpt('ngxstorage_use_https',
                default=True,
                help='Talk to the array API over HTTPS.'),
    cfg.BoolOpt('ngxstorage_verify_tls',
                default=True,
                help='Verify the array\'s TLS certificate. Turning this off '
                     'exposes the API token to anyone on the path.'),
    cfg.StrOpt('ngxstorage_ca_bundle',
               help='Path to a CA bundle used to verify the array\'s TLS '
                    'certificate (for a self-signed or private CA).'),
    cfg.BoolOpt('ngxstorage_chap',
                default=True,
                help='Protect every host\'s iSCSI sessions with CHAP. The '
                     'secret is generated once per host, kept on the array '
                     'and reused by every cinder-volume node.'),
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


def list_opts():
    """Options for oslo-config-generator (namespace cinder_ngxstorage)."""
    return [('backend_defaults', copy.deepcopy(NGXSTORAGE_OPTS))]
