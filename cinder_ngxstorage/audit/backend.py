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

"""Open a backend as cinder-volume does: configuration, database, driver.

:func:`load_configuration` parses Cinder's configuration files into the
global ``CONF`` (as ``cinder-volume --config-file`` does);
:func:`open_backend` finds the backend section, builds our driver from it
with the same arguments the volume manager passes, and runs ``do_setup``
and the start-up checks, without the start-up housekeeping (collection of
deferred deletions and of leftover host objects): the audit changes
nothing unless asked to fix.
"""

import dataclasses

from cinder import context
from cinder.db import api as db
from cinder import objects
from oslo_config import cfg
from oslo_utils import importutils

from cinder_ngxstorage import driver as ngx_driver

CONF = cfg.CONF
DRIVER = '%s.%s' % (ngx_driver.NGXStorageISCSIDriver.__module__,
                    ngx_driver.NGXStorageISCSIDriver.__name__)


class AuditError(Exception):
    """The audit cannot run (configuration, database or array)."""


@dataclasses.dataclass
class Backend:
    """One backend, opened: its driver and identity in Cinder's database."""

    name: str
    service_host: str  # <host>@<backend>
    cluster: str  # <cluster>@<backend>, or None
    driver: ngx_driver.NGXStorageISCSIDriver

    @property
    def pools(self):
        return tuple(self.driver.configuration.ngxstorage_pools)

    @property
    def client(self):
        return self.driver.client

    def cinder_context(self):
        """An admin context that reads deleted rows too."""
        return context.get_admin_context(read_deleted='yes')


def load_configuration(conf_files):
    """Parse Cinder's configuration files into CONF."""
    from cinder.common import config  # noqa: F401 (registers options)
    from cinder import version
    objects.register_all()
    try:
        CONF([], project='cinder', version=version.version_string(),
             default_config_files=list(conf_files))
    except cfg.Error as err:
        raise AuditError('cannot read the configuration: %s' % err) from err


def open_backend(name):
    """Build and set up the driver of backend section name (CONF loaded)."""
    from cinder.volume import configuration
    from cinder.volume import manager
    objects.register_all()
    enabled = CONF.enabled_backends or []
    if name not in enabled:
        raise AuditError('backend %s is not in enabled_backends (%s)'
                         % (name, ', '.join(enabled) or 'empty'))
    conf = configuration.Configuration(manager.volume_backend_opts,
                                       config_group=name)
    if conf.volume_driver != DRIVER:
        raise AuditError('backend %s does not use the NGXStorage driver '
                         '(volume_driver = %s)' % (name, conf.volume_driver))
    if 'backend_host' not in CONF[name]:
        CONF.register_opt(cfg.StrOpt('backend_host'), group=name)
    service_host = '%s@%s' % (CONF[name].backend_host or CONF.host, name)
    if 'cluster' not in CONF:
        # Registered by cinder-volume's own command (cinder.cmd.volume).
        CONF.register_opt(cfg.StrOpt('cluster'))
    cluster = (CONF.cluster or '').strip()
    cluster = '%s@%s' % (cluster, name) if cluster else None
    drv = importutils.import_object(
        conf.volume_driver, configuration=conf, host=service_host,
        cluster_name=cluster, is_vol_db_empty=False,
        active_backend_id=_active_backend_id(service_host))
    drv.startup_housekeeping = False
    ctxt = context.get_admin_context()
    try:
        drv.do_setup(ctxt)
        drv.check_for_setup_error()
    except Exception as err:
        raise AuditError('backend %s cannot be set up: %s' % (name, err)
                         ) from err
    return Backend(name, service_host, cluster, drv)


def _active_backend_id(service_host):
    """The service's active_backend_id, as the volume manager passes it."""
    try:
        service = objects.Service.get_by_args(
            context.get_admin_context(), service_host, 'cinder-volume')
    except Exception:  # noqa: S110 (no service row: never started here)
        return None
    return service.active_backend_id


def read_database(backend):
    """The CinderView of backend (raises AuditError when unreadable)."""
    from cinder_ngxstorage.audit import scan
    try:
        return scan.CinderView.read(backend.cinder_context(), db,
                                    backend.service_host, backend.cluster)
    except Exception as err:
        raise AuditError('cannot read Cinder\'s database: %s'
                         % type(err).__name__) from err
