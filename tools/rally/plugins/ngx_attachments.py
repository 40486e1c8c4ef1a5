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
"""Rally scenario for Cinder's attachments API: the boot-storm pattern.

Each iteration is a new compute host attaching a volume, as Nova does on
a boot from volume (but with no instance, see below): attachment create
with the host's connector (Cinder
reserves the volume and has the driver export it to that initiator),
attachment complete, attachment delete, then the volume is deleted. Every
iteration uses a host name and an iSCSI initiator of its own, so under
concurrency many hosts are new to the array at once.

The volume types given are used in turn, by iteration number, so with one
type per backend the backends are interleaved in one workload and see the
same machine load. Every atomic action is named after its type
("attachment_create [ngx]"), so the report can split them.

Loaded with ``rally task start --plugin-paths tools/rally/plugins``.
"""

import time

from rally.task import atomic
from rally.task import validation
from rally_openstack.common import consts
from rally_openstack.task import scenario

# Attachments need 3.27; attachment complete 3.44.
MICROVERSION = '3.44'


class _Timeout(Exception):
    pass


@validation.add('required_services', services=[consts.Service.CINDER])
@validation.add('required_platform', platform='openstack', users=True)
@scenario.configure(context={'cleanup@openstack': ['cinder']},
                    name='NGXStorage.attachment_storm',
                    platform='openstack')
class AttachmentStorm(scenario.OpenStackScenario):

    def _client(self):
        return self.clients('cinder', version=MICROVERSION)

    def _wait(self, get, ready, timeout, interval):
        deadline = time.monotonic() + timeout
        while True:
            obj = get()
            if ready(obj):
                return obj
            status = getattr(obj, 'status', None)
            if status and 'error' in status:
                raise RuntimeError('%s went to %s' % (obj.id, status))
            if time.monotonic() > deadline:
                raise _Timeout('not ready in %ss (status %s)'
                               % (timeout, status))
            time.sleep(interval)

    def run(self, volume_types, size=1, timeout=120, poll_interval=0.1):
        """Create a volume, attach it to a new host, detach, delete.

        :param volume_types: names of the volume types used in turn
        :param size: volume size (GiB)
        :param timeout: seconds to wait for each state
        :param poll_interval: seconds between status reads
        """
        iteration = self.context['iteration']
        vtype = volume_types[(iteration - 1) % len(volume_types)]
        cinder = self._client()
        tag = '%s-%d' % (self.context['owner_id'][:8], iteration)
        connector = {
            'host': 'rally-%s' % tag,
            'initiator': 'iqn.1993-08.org.debian:01:rally-%s' % tag,
            'ip': '127.0.0.1',
            'platform': 'x86_64',
            'os_type': 'linux2',
            'multipath': False,
            'do_local_attach': False,
        }

        def name(action):
            return '%s [%s]' % (action, vtype)

        with atomic.ActionTimer(self, name('create_volume')):
            vol = cinder.volumes.create(size, volume_type=vtype,
                                        name=self.generate_random_name())
            self._wait(lambda: cinder.volumes.get(vol.id),
                       lambda v: v.status == 'available', timeout,
                       poll_interval)
        with atomic.ActionTimer(self, name('attachment_create')):
            # No instance: Cinder lets only a service (Nova, with its
            # service token) delete an attachment of an instance that has
            # connection info (bug #2004555), and there is no Nova here.
            # A dict (cinderclient's create returns no object).
            att = cinder.attachments.create(vol.id, connector)
        info = att.get('connection_info') or {}
        self.assertTrue(info.get('driver_volume_type'),
                        'attachment create returned no connection_info')
        with atomic.ActionTimer(self, name('attachment_complete')):
            cinder.attachments.complete(att['id'])
        with atomic.ActionTimer(self, name('attachment_delete')):
            cinder.attachments.delete(att['id'])
            self._wait(lambda: cinder.volumes.get(vol.id),
                       lambda v: v.status == 'available', timeout,
                       poll_interval)
        with atomic.ActionTimer(self, name('delete_volume')):
            cinder.volumes.delete(vol.id)

            def gone():
                try:
                    return cinder.volumes.get(vol.id)
                except Exception as exc:  # cinderclient's NotFound
                    if getattr(exc, 'code', None) == 404:
                        return None
                    raise
            self._wait(gone, lambda v: v is None, timeout, poll_interval)
