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

"""A cinder-volume stand-in for the cross-process attach race.

Run as ``python -m tests.functional.driver.attach_worker`` with a JSON
job on stdin: the simulator's address, the lock backend URL, a connector
and the volumes to attach. It attaches them all from a thread pool, with
its own driver instance and Cinder's coordinator on the given backend, and
prints the connection infos as one JSON line.
"""

from concurrent import futures
import json
import sys


def main():
    job = json.load(sys.stdin)
    # Imported late: cinder must see the lock backend before it starts.
    from cinder import context

    from cinder_ngxstorage import driver as ngx_driver
    from tests import common
    from tests.functional.driver import base

    with common.Coordination(backend_url=job['backend_url']):
        conf = base.make_configuration('ngx-worker', **job['settings'])
        drv = ngx_driver.NGXStorageISCSIDriver(configuration=conf,
                                               host='cinder@ngx')
        ctx = context.get_admin_context()
        drv.do_setup(ctx)
        drv.check_for_setup_error()
        volumes = [common.volume(ctx, id=item['id'],
                                 provider_id=item['provider_id'])
                   for item in job['volumes']]
        with futures.ThreadPoolExecutor(len(volumes)) as pool:
            infos = list(pool.map(
                lambda v: drv.initialize_connection(v, job['connector']),
                volumes))
    print(json.dumps([info['data'] for info in infos]))


if __name__ == '__main__':
    main()
