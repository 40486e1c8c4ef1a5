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

"""The part of Cinder's database the driver reads, for tests.

The driver's functional tests run without a database. Managing an object
asks Cinder's database (``VolumeList.get_all`` / ``SnapshotList.get_all``
with a provider_id filter) whether Cinder manages it already; this fixture
answers those two queries from the volumes and snapshots a test registers,
with the same filter semantics (exact match on the given fields).
"""

from cinder import objects
import fixtures


class FakeCinderDB(fixtures.Fixture):
    """Volumes and snapshots Cinder knows, for provider_id lookups."""

    def _setUp(self):
        self.volumes = []
        self.snapshots = []
        # Attachments (objects.VolumeAttachment, with connector and
        # volume set), for VolumeAttachmentList.get_all_by_host.
        self.attachments = []
        self.useFixture(fixtures.MockPatchObject(
            objects.VolumeList, 'get_all', autospec=True,
            side_effect=self._volumes))
        self.useFixture(fixtures.MockPatchObject(
            objects.SnapshotList, 'get_all', autospec=True,
            side_effect=self._snapshots))
        self.useFixture(fixtures.MockPatchObject(
            objects.VolumeAttachmentList, 'get_all_by_host', autospec=True,
            side_effect=self._attachments_on))

    def _attachments_on(self, context, host, search_opts=None):
        return [a for a in self.attachments if a.attached_host == host
                and a.attach_status != 'detached']

    @staticmethod
    def _match(items, filters):
        return [item for item in items
                if all(getattr(item, key) == value
                       for key, value in (filters or {}).items())]

    def _volumes(self, context, marker=None, limit=None, sort_keys=None,
                 sort_dirs=None, filters=None, offset=None):
        return self._match(self.volumes, filters)

    def _snapshots(self, context, filters=None, marker=None, limit=None,
                   sort_keys=None, sort_dirs=None, offset=None):
        return self._match(self.snapshots, filters)

    def add(self, *items):
        """Cinder now manages these volumes / snapshots."""
        for item in items:
            if isinstance(item, objects.Snapshot):
                self.snapshots.append(item)
            else:
                self.volumes.append(item)

    def remove(self, *items):
        """Cinder forgot these (deleted or unmanaged)."""
        for item in items:
            target = (self.snapshots if isinstance(item, objects.Snapshot)
                      else self.volumes)
            target[:] = [x for x in target if x.id != item.id]
