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

"""Tempest's snapshot manage test without Neutron.

Tempest's SnapshotManageAdminTest sets create_default_network, so the whole
class is skipped when Neutron is absent, although only its attached-volume
variant (which needs Nova) uses a network. This class runs the same test
body (Tempest's own method, not a copy) with no default network: a snapshot
is unmanaged, then managed back through [volume] manage_snapshot_ref.
"""

from tempest.api.volume.admin import test_snapshot_manage
from tempest.api.volume import base
from tempest import config
from tempest.lib import decorators
from tempest.lib import exceptions

CONF = config.CONF


class SnapshotManageNoNetworkTest(base.BaseVolumeAdminTest):
    """Unmanage and manage a snapshot of a detached volume."""

    @classmethod
    def skip_checks(cls):
        """The upstream class's checks, less the network."""
        super(SnapshotManageNoNetworkTest, cls).skip_checks()
        if not CONF.volume_feature_enabled.snapshot:
            raise cls.skipException('Cinder volume snapshots are disabled')
        if not CONF.volume_feature_enabled.manage_snapshot:
            raise cls.skipException('Manage snapshot tests are disabled')
        if len(CONF.volume.manage_snapshot_ref) != 2:
            raise exceptions.InvalidConfiguration(
                'Manage snapshot ref is not correctly configured, it should '
                'be a list of two elements')

    # Tempest's own method. (No module-level name for the upstream class:
    # the test loader would run it again from this module.)
    _test_unmanage_manage_snapshot = \
        test_snapshot_manage.SnapshotManageAdminTest.\
        _test_unmanage_manage_snapshot

    @decorators.idempotent_id('5f0b7d2e-8a61-4c3e-9d8b-2a7c1e4f6b90')
    def test_unmanage_manage_snapshot(self):
        """Tempest's test_unmanage_manage_snapshot, unchanged."""
        self._test_unmanage_manage_snapshot()
