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

"""The crash test's handles on the stack: Cinder's API, its database (the
attachments' connectors), the simulator's admin API, and the processes
(``stackctl``).  Run with the stack's virtualenv, in the environment of
tools/stack/run.sh (``$STACK_WORK/stack.env``).
"""

import configparser
import json
import os
import subprocess
import time
import urllib.error
import urllib.request

MICROVERSION = '3.44'


class ApiError(Exception):
    def __init__(self, status, text):
        super(ApiError, self).__init__('HTTP %s: %s' % (status, text[:300]))
        self.status = status


class Cinder(object):
    """Cinder's v3 API at microversion 3.44, as the admin (all projects)."""

    def __init__(self, timeout=90):
        from keystoneauth1.identity import v3
        from keystoneauth1 import session
        auth = v3.Password(
            auth_url=os.environ['OS_AUTH_URL'],
            username=os.environ['OS_USERNAME'],
            password=os.environ['OS_PASSWORD'],
            project_name=os.environ['OS_PROJECT_NAME'],
            user_domain_name=os.environ.get('OS_USER_DOMAIN_NAME',
                                            'Default'),
            project_domain_name=os.environ.get('OS_PROJECT_DOMAIN_NAME',
                                               'Default'))
        self.sess = session.Session(auth=auth)
        self.timeout = timeout
        self.filt = {'service_type': 'block-storage', 'interface': 'public'}

    def call(self, method, path, body=None, ok=(200, 201, 202, 204),
             timeout=None):
        resp = self.sess.request(
            path, method, endpoint_filter=self.filt, json=body,
            headers={'OpenStack-API-Version': 'volume ' + MICROVERSION},
            raise_exc=False, timeout=timeout or self.timeout)
        if resp.status_code not in ok:
            raise ApiError(resp.status_code, resp.text)
        if resp.status_code == 204 or not resp.content:
            return {}
        return resp.json()

    # -- volumes ---------------------------------------------------------
    def volumes(self):
        return self.call('GET', '/volumes/detail?all_tenants=1')['volumes']

    def volume(self, vid):
        try:
            return self.call('GET', '/volumes/%s' % vid)['volume']
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def create_volume(self, size=1, snapshot_id=None, source_volid=None,
                      name=None):
        body = {'size': size, 'name': name}
        if snapshot_id:
            body['snapshot_id'] = snapshot_id
        if source_volid:
            body['source_volid'] = source_volid
        return self.call('POST', '/volumes', {'volume': body})['volume']

    def delete_volume(self, vid):
        return self.call('DELETE', '/volumes/%s' % vid)

    def action(self, vid, name, arg=None):
        return self.call('POST', '/volumes/%s/action' % vid, {name: arg})

    def extend(self, vid, size):
        return self.action(vid, 'os-extend', {'new_size': size})

    def revert(self, vid, snap_id):
        return self.action(vid, 'revert', {'snapshot_id': snap_id})

    def reset_volume(self, vid, status, attach_status=None):
        arg = {'status': status}
        if attach_status:
            arg['attach_status'] = attach_status
        return self.action(vid, 'os-reset_status', arg)

    def force_delete_volume(self, vid):
        return self.action(vid, 'os-force_delete')

    # -- snapshots -------------------------------------------------------
    def snapshots(self):
        return self.call('GET',
                         '/snapshots/detail?all_tenants=1')['snapshots']

    def snapshot(self, sid):
        try:
            return self.call('GET', '/snapshots/%s' % sid)['snapshot']
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def create_snapshot(self, vid, force=False):
        return self.call('POST', '/snapshots', {'snapshot': {
            'volume_id': vid, 'force': force}})['snapshot']

    def delete_snapshot(self, sid):
        return self.call('DELETE', '/snapshots/%s' % sid)

    def reset_snapshot(self, sid, status):
        return self.call('POST', '/snapshots/%s/action' % sid,
                         {'os-reset_status': {'status': status}})

    def force_delete_snapshot(self, sid):
        return self.call('POST', '/snapshots/%s/action' % sid,
                         {'os-force_delete': {}})

    # -- attachments -----------------------------------------------------
    def attachments(self):
        return self.call('GET', '/attachments/detail?all_tenants=1'
                         )['attachments']

    def attach(self, vid, connector):
        """Attachment create with a connector (no instance_uuid)."""
        return self.call('POST', '/attachments', {'attachment': {
            'volume_uuid': vid, 'connector': connector}})['attachment']

    def complete(self, att_id):
        return self.call('POST', '/attachments/%s/action' % att_id,
                         {'os-complete': None})

    def detach(self, att_id):
        return self.call('DELETE', '/attachments/%s' % att_id)


class CinderDB(object):
    """Read-only look at Cinder's database.

    What the API does not show: each attachment's connector, the workers.
    """

    def __init__(self, conf_path):
        import sqlalchemy
        cp = configparser.ConfigParser(interpolation=None)
        cp.read(conf_path)
        self.engine = sqlalchemy.create_engine(
            cp.get('database', 'connection'), pool_pre_ping=True)
        self.text = sqlalchemy.text

    def rows(self, sql):
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(self.text(sql))]

    def attachments(self):
        out = []
        for r in self.rows('SELECT id, volume_id, attach_status, connector '
                           'FROM volume_attachment WHERE deleted = 0'):
            try:
                r['connector'] = json.loads(r['connector'] or 'null')
            except ValueError:
                r['connector'] = None
            out.append(r)
        return out

    def workers(self):
        return self.rows('SELECT resource_type, resource_id, status '
                         'FROM workers WHERE deleted = 0')


class Simulator(object):
    """The simulator's admin API (/_sim/...)."""

    def __init__(self, url, admin_token):
        self.url = url.rstrip('/')
        self.token = admin_token

    def admin(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + '/_sim/' + path, data=data, method=method,
            headers={'X-Sim-Admin': self.token,
                     'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else {}

    def state(self):
        return self.admin('GET', 'state')

    def add_fault(self, **rule):
        return self.admin('POST', 'faults', rule)['id']

    def faults(self):
        return self.admin('GET', 'faults')

    def clear_faults(self):
        self.admin('DELETE', 'faults')

    def alive(self):
        try:
            self.admin('GET', 'faults', timeout=2)
            return True
        except (OSError, ValueError, urllib.error.URLError):
            return False


class Processes(object):
    """cinder-volume and the simulator, through tools/stack/stackctl.sh."""

    VOLUME_READY = 'Driver post RPC initialization completed successfully'

    def __init__(self):
        # This checkout's stackctl (it restarts processes correctly).
        self.ctl = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), 'stack', 'stackctl.sh')
        self.logs = os.environ['STACK_LOGS']

    def _ctl(self, *args):
        return subprocess.run([self.ctl] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)

    def kill(self, name, signal='KILL'):
        res = self._ctl('kill', name, signal)
        if res.returncode:
            raise RuntimeError('stackctl kill %s: %s' % (name, res.stderr))

    def start(self, name):
        res = self._ctl('start', name)
        if res.returncode:
            raise RuntimeError('stackctl start %s: %s' % (name, res.stderr))

    def alive(self, name):
        return self._ctl('alive', name).returncode == 0

    def _count(self, fname, needle):
        try:
            with open(os.path.join(self.logs, fname), 'rb') as f:
                return f.read().count(needle.encode())
        except OSError:
            return 0

    def volume_ready_count(self):
        return self._count('cinder-volume.log', self.VOLUME_READY)

    def restart_volume(self, timeout=60):
        """Start cinder-volume and wait for its init_host to finish."""
        before = self.volume_ready_count()
        t0 = time.monotonic()
        self.start('cinder-volume')
        while time.monotonic() - t0 < timeout:
            if self.volume_ready_count() > before:
                return time.monotonic() - t0
            if not self.alive('cinder-volume'):
                raise RuntimeError('cinder-volume died while starting')
            time.sleep(0.1)
        raise RuntimeError('cinder-volume not ready in %ss' % timeout)

    def sim_ready_lines(self):
        lines = []
        try:
            with open(os.path.join(self.logs, 'simulator.out')) as f:
                for line in f:
                    if line.startswith('{') and '"url"' in line:
                        lines.append(json.loads(line))
        except (OSError, ValueError):
            pass
        return lines

    def restart_simulator(self, timeout=60):
        """Start the simulator (from its state file).

        Returns its new admin token (a new one on every start) and the
        seconds it took.
        """
        before = len(self.sim_ready_lines())
        t0 = time.monotonic()
        self.start('simulator')
        while time.monotonic() - t0 < timeout:
            lines = self.sim_ready_lines()
            if len(lines) > before:
                return lines[-1]['admin_token'], time.monotonic() - t0
            if not self.alive('simulator'):
                raise RuntimeError('the simulator died while starting')
            time.sleep(0.1)
        raise RuntimeError('the simulator is not ready in %ss' % timeout)
