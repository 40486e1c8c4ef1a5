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

"""``ngxstorage-cinder-audit``: compare the array with Cinder's database.

For one backend section of cinder.conf, the audit reads what the array
holds in the backend's pools (LUNs, snapshots, the deployment's host
targets and auth groups, the deferred-deletion registry) and what Cinder's
database records (volumes and snapshots of the backend, deleted ones
included, and attachments with their connectors), and reports every
mismatch. With ``fix`` it removes what is provably orphaned.

Python API (the crash tests use it as their checker)::

    from cinder_ngxstorage import audit
    report = audit.run(['/etc/cinder/cinder.conf'], 'ngx')
    assert not report.violations(), audit.render_table(report)

Parts: :mod:`.backend` (configuration, database, driver as cinder-volume
builds it), :mod:`.scan` (read both sides, compare), :mod:`.fix`,
:mod:`.report` (findings, table, JSON) and :mod:`.cli`. See
``doc/source/troubleshooting.rst``.
"""

from cinder_ngxstorage.audit.backend import AuditError  # noqa: F401
from cinder_ngxstorage.audit.report import Finding  # noqa: F401
from cinder_ngxstorage.audit.report import render_json  # noqa: F401
from cinder_ngxstorage.audit.report import render_table  # noqa: F401
from cinder_ngxstorage.audit.report import Report  # noqa: F401


def audit_backend(backend, fix=False, delete_unknown_luns=False):
    """Audit an opened :class:`.backend.Backend`; return the Report."""
    from cinder_ngxstorage.audit import backend as backend_mod
    from cinder_ngxstorage.audit import fix as fix_mod
    from cinder_ngxstorage.audit import scan
    from cinder_ngxstorage import exception as ngx_exc

    report = Report(backend.name, backend.service_host, backend.pools)
    cinder = backend_mod.read_database(backend)
    try:
        array = scan.ArrayView.read(
            backend.client, backend.pools[0],
            backend.driver.deferred.registry_name)
    except ngx_exc.NGXStorageError as err:
        raise AuditError('cannot read the array: %s' % err) from err
    scan.compare(array, cinder, backend.pools, report,
                 backend.driver.exports.names)
    if fix:
        fix_mod.Fixer(backend.driver, delete_unknown_luns).apply(report)
    return report


def run(conf_files, backend, fix=False, delete_unknown_luns=False):
    """Audit backend section ``backend`` of Cinder's configuration.

    conf_files: Cinder's configuration files, parsed into the global
    CONF as cinder-volume does; None when CONF is loaded already (a
    process that runs Cinder in-process). Returns a :class:`Report`:
    ``report.findings`` (every finding), ``report.violations()`` (all
    but pending deferred deletions). Raises :class:`AuditError` when the
    configuration, the database or the array cannot be used.
    """
    from cinder_ngxstorage.audit import backend as backend_mod

    if conf_files is not None:
        backend_mod.load_configuration(conf_files)
    opened = backend_mod.open_backend(backend)
    if fix:
        return _with_coordination(
            lambda: audit_backend(opened, True, delete_unknown_luns))
    return audit_backend(opened)


def _with_coordination(func):
    """func() with Cinder's lock coordinator started (host locks)."""
    from cinder import coordination

    if coordination.COORDINATOR.started:
        return func()
    coordination.COORDINATOR.start()
    try:
        return func()
    finally:
        coordination.COORDINATOR.stop()
