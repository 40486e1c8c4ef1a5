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

"""Tempest's volume test classes that ask for a network, without one.

These upstream classes set create_default_network because a few of their
tests boot a server; without Neutron, Tempest skips the whole class, and
with it tests that only use the Block Storage API (snapshot create, list,
update, delete, volume from snapshot, bootable flag, reserve, read-only,
reset status, force delete). Each class here is the upstream class itself
with no default network: every test method is Tempest's, unchanged, and
the tests that need Nova still skip through their own
@utils.services('compute').
"""

from tempest.api.volume.admin import test_volumes_actions as admin_actions
from tempest.api.volume import test_volumes_actions
from tempest.api.volume import test_volumes_snapshots


class VolumesSnapshotNoNetworkTest(
        test_volumes_snapshots.VolumesSnapshotTestJSON):
    """tempest.api.volume.test_volumes_snapshots, no default network."""

    create_default_network = False


class VolumesActionsNoNetworkTest(test_volumes_actions.VolumesActionsTest):
    """tempest.api.volume.test_volumes_actions, no default network."""

    create_default_network = False


class VolumesActionsAdminNoNetworkTest(admin_actions.VolumesActionsTest):
    """tempest.api.volume.admin.test_volumes_actions, no network."""

    create_default_network = False
