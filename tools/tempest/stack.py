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

"""Helpers of tools/tempest/run.sh (run with the Tempest virtualenv).

Subcommands:

``ports N``
    print N distinct free TCP ports of 127.0.0.1.
``wait-http URL SECONDS``
    wait until URL answers HTTP (any status below 500).
``keystone-setup``
    create the ``service`` project, the ``cinder`` user and the Block
    Storage services and endpoints in a bootstrapped Keystone.
``wait-cinder``
    wait until the scheduler and every volume backend are up and every
    configured pool is reported with capacity.
``capabilities``
    print, as JSON, what the NGXStorage driver implements (the
    ``volume-feature-enabled`` flags Tempest gets).
``tempest-conf``
    write tempest.conf.
``summary``
    read a subunit v2 stream of a Tempest run on stdin, print the totals
    and every skip with its reason, write them as JSON, and exit 1 when a
    test failed or none ran.
"""

import argparse
import collections
import configparser
import json
import socket
import sys
import time
import urllib.error
import urllib.request


def cmd_ports(args):
    """Print args.count free loopback ports (held open until all found)."""
    socks = []
    try:
        for _ in range(args.count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(('127.0.0.1', 0))
            socks.append(sock)
        print(' '.join(str(s.getsockname()[1]) for s in socks))
    finally:
        for sock in socks:
            sock.close()
    return 0


def cmd_wait_http(args):
    """Wait until args.url gives an HTTP answer below 500."""
    deadline = time.monotonic() + args.seconds
    last = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(args.url, timeout=5) as resp:
                return 0 if resp.status < 500 else 1
        except urllib.error.HTTPError as err:
            if err.code < 500:
                return 0
            last = err
        except (OSError, urllib.error.URLError) as err:
            last = err
        time.sleep(0.5)
    print('wait-http: %s did not answer in %ss: %s'
          % (args.url, args.seconds, last), file=sys.stderr)
    return 1


def _session(args, project='admin', user='admin', password=None):
    from keystoneauth1.identity import v3
    from keystoneauth1 import session
    auth = v3.Password(auth_url=args.auth_url, username=user,
                       password=password or args.admin_password,
                       project_name=project, user_domain_id='default',
                       project_domain_id='default')
    return session.Session(auth=auth)


def cmd_keystone_setup(args):
    """Project service, user cinder (admin + service), Cinder endpoints."""
    from keystoneclient.v3 import client as ks_client
    keystone = ks_client.Client(session=_session(args))

    def one(manager, name, **create):
        found = manager.list(name=name)
        return found[0] if found else manager.create(name=name, **create)

    project = one(keystone.projects, 'service', domain='default',
                  description='Service project')
    user = one(keystone.users, 'cinder', domain='default',
               password=args.cinder_password, default_project=project)
    for role_name in ('admin', 'service'):
        role = one(keystone.roles, role_name)
        keystone.roles.grant(role, user=user, project=project)
    url = args.cinder_url.rstrip('/') + '/v3/%(project_id)s'
    for name, stype in (('cinderv3', 'volumev3'),
                        ('cinder', 'block-storage')):
        service = (keystone.services.list(type=stype) or
                   [keystone.services.create(name=name, type=stype,
                                             description='Block Storage')])[0]
        have = {e.interface for e in keystone.endpoints.list(
            service=service)}
        for interface in ('public', 'internal', 'admin'):
            if interface not in have:
                keystone.endpoints.create(service=service, url=url,
                                          interface=interface,
                                          region=args.region)
    return 0


def cmd_wait_cinder(args):
    """Wait for scheduler + backends up and their pools reported."""
    sess = _session(args)
    filt = {'service_type': 'block-storage', 'interface': 'public'}
    headers = {'OpenStack-API-Version': 'volume 3.0'}
    deadline = time.monotonic() + args.seconds
    status = 'no answer yet'
    while time.monotonic() < deadline:
        try:
            services = sess.get('/os-services', endpoint_filter=filt,
                                headers=headers,
                                raise_exc=False).json().get('services', [])
            up = {(s['binary'], s['host']) for s in services
                  if s['state'] == 'up' and s['status'] == 'enabled'}
            pools = sess.get('/scheduler-stats/get_pools?detail=True',
                             endpoint_filter=filt, headers=headers,
                             raise_exc=False).json().get('pools', [])
            reported = {p['name'] for p in pools
                        if (p.get('capabilities') or {}).get(
                            'total_capacity_gb')}
            missing = [b for b in args.backend
                       if ('cinder-volume', b.split('#')[0]) not in up]
            if not any(b == 'cinder-scheduler' for b, _ in up):
                missing.append('cinder-scheduler')
            missing += [b for b in args.backend if b not in reported]
            if not missing:
                return 0
            status = 'waiting for %s' % ', '.join(sorted(set(missing)))
        except Exception as err:  # noqa: B902 any failure: retry
            status = '%s: %s' % (type(err).__name__, err)
        time.sleep(1)
    print('wait-cinder: not ready in %ss (%s)' % (args.seconds, status),
          file=sys.stderr)
    return 1


def capabilities():
    """What the NGXStorage driver implements itself (not BaseVD stubs)."""
    from cinder_ngxstorage import driver as ngx_driver
    cls = ngx_driver.NGXStorageISCSIDriver

    def own(name):
        method = getattr(cls, name, None)
        module = getattr(method, '__module__', '') or ''
        return module.startswith('cinder_ngxstorage')

    from cinder_ngxstorage import stats
    source = ''
    try:
        import inspect
        # The pool stats are built in stats.py.
        source = inspect.getsource(cls) + inspect.getsource(stats)
    except (OSError, TypeError):
        pass
    return {
        'snapshot': own('create_snapshot'),
        'clone': own('create_cloned_volume'),
        'extend': own('extend_volume'),
        # Reported to the scheduler in the pool stats.
        'extend_attached_volume': "'online_extend_support': True" in source,
        'manage_volume': own('manage_existing') and
        own('manage_existing_get_size') and own('unmanage'),
        'manage_snapshot': own('manage_existing_snapshot') and
        own('manage_existing_snapshot_get_size') and
        own('unmanage_snapshot'),
        'volume_revert': own('revert_to_snapshot'),
    }


def cmd_capabilities(args):
    """Print the driver's capabilities as JSON."""
    print(json.dumps(capabilities(), sort_keys=True))
    return 0


def cmd_tempest_conf(args):
    """Write tempest.conf for the local stack."""
    caps = capabilities()
    conf = configparser.ConfigParser(interpolation=None)
    conf.optionxform = str
    sections = collections.OrderedDict()
    sections['DEFAULT'] = {
        'log_file': args.log_file,
        'use_stderr': 'false',
    }
    sections['auth'] = {
        'admin_username': 'admin',
        'admin_password': args.admin_password,
        'admin_project_name': 'admin',
        'admin_domain_name': 'Default',
        'use_dynamic_credentials': 'true',
        'create_isolated_networks': 'false',
    }
    sections['identity'] = {
        'uri_v3': args.auth_url,
        'auth_version': 'v3',
        'region': args.region,
    }
    sections['identity-feature-enabled'] = {
        'api_v2': 'false',
    }
    # Glance is not running. Tempest 47 still needs glance=True for the
    # volume tests that build an image client unconditionally; the tests
    # that really use images are excluded (tools/tempest/exclude.txt).
    sections['service_available'] = {
        'cinder': 'true',
        'glance': 'true',
        'nova': 'false',
        'neutron': 'false',
        'swift': 'false',
        'horizon': 'false',
        'barbican': 'false',
    }
    sections['volume'] = {
        'backend_names': ','.join(args.backend_name),
        'storage_protocol': 'iSCSI',
        'vendor_name': 'NGXStorage',
        'min_microversion': '3.0',
        'max_microversion': 'latest',
        'build_timeout': str(args.build_timeout),
        'build_interval': '1',
        'manage_volume_ref': args.manage_volume_ref,
        'manage_snapshot_ref': args.manage_snapshot_ref,
    }
    sections['volume-feature-enabled'] = {
        'backup': 'true' if args.backup else 'false',
        'snapshot': str(caps['snapshot']).lower(),
        'clone': str(caps['clone']).lower(),
        'extend_attached_volume': str(
            caps['extend_attached_volume']).lower(),
        'extend_volume_with_snapshot': str(caps['extend']).lower(),
        'manage_volume': str(caps['manage_volume']).lower(),
        'manage_snapshot': str(caps['manage_snapshot']).lower(),
        'volume_revert': str(caps['volume_revert']).lower(),
        'multi_backend': str(len(args.backend_name) > 1).lower(),
        'consistency_group': 'false',
        'replication': 'false',
        'api_v3': 'true',
    }
    sections['enforce_scope'] = {'cinder': 'true'}
    sections['validation'] = {'run_validation': 'false'}
    sections['oslo_concurrency'] = {'lock_path': args.lock_path}
    for name, values in sections.items():
        if name != 'DEFAULT':
            conf.add_section(name)
        for key, value in values.items():
            conf.set(name, key, value)
    with open(args.out, 'w') as f:
        conf.write(f)
    print('tempest.conf: volume-feature-enabled %s' % json.dumps(
        sections['volume-feature-enabled'], sort_keys=True))
    return 0


def _read_subunit(stream):
    """[(test id, status, skip reason)], one per final status, in order.

    Counted as Tempest's own totals count them (a class fixture skipped
    twice is two entries).
    """
    import subunit
    import testtools

    results = []
    reasons = collections.defaultdict(list)

    class Collect(testtools.StreamResult):
        def status(self, test_id=None, test_status=None, file_name=None,
                   file_bytes=None, **kwargs):
            if not test_id:
                return
            if file_name == 'reason' and file_bytes:
                chunk = bytes(file_bytes)
                if chunk not in reasons[test_id]:
                    reasons[test_id].append(chunk)
            if test_status in ('success', 'fail', 'skip', 'xfail',
                               'uxsuccess'):
                reason = b''.join(reasons.pop(test_id, []))
                results.append((test_id, test_status,
                                reason.decode('utf-8', 'replace').strip()))

    parser = subunit.ByteStreamToStreamResult(stream,
                                              non_subunit_name='stdout')
    result = Collect()
    result.startTestRun()
    parser.run(result)
    result.stopTestRun()
    return results


def _is_fixture(test_id):
    # setUpClass / tearDownClass failures show up as pseudo tests.
    return test_id.startswith(('setUpClass', 'tearDownClass')) or \
        '(setUpClass)' in test_id or '(tearDownClass)' in test_id


def cmd_summary(args):
    """Totals + skip reasons of a subunit stream; 1 on failure."""
    counts = collections.Counter()
    skips = collections.defaultdict(list)
    failed = []
    for test_id, status, reason in _read_subunit(sys.stdin.buffer):
        if status in ('success', 'xfail'):
            counts['passed'] += 1
        elif status == 'skip':
            counts['skipped'] += 1
            skips[reason or '(no reason given)'].append(test_id)
        else:
            counts['failed'] += 1
            failed.append(test_id)
    ran = sum(counts.values())
    summary = {'ran': ran, 'passed': counts['passed'],
               'skipped': counts['skipped'], 'failed': counts['failed'],
               'seconds': args.seconds, 'failed_tests': failed,
               'skips': {reason: ids for reason, ids in sorted(
                   skips.items())}}
    with open(args.json, 'w') as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    print('== Tempest skips by reason')
    for reason, ids in sorted(skips.items()):
        print('  %3d  %s' % (len(ids), reason))
        for test_id in ids:
            print('         %s' % test_id.split('[')[0])
    if failed:
        print('== Tempest failures')
        for test_id in failed:
            print('  %s%s' % (test_id, ' (class fixture)'
                              if _is_fixture(test_id) else ''))
    print('== Tempest results: ran %d, passed %d, skipped %d, failed %d '
          'in %ss' % (ran, counts['passed'], counts['skipped'],
                      counts['failed'], args.seconds))
    line = 'tempest: %d passed, %d failed, %d skipped' % (
        counts['passed'], counts['failed'], counts['skipped'])
    print(line)
    if args.line_file:
        with open(args.line_file, 'w') as f:
            f.write(line + '\n')
    return 1 if failed or not counts['passed'] else 0


def build_parser():
    """The argument parser of the helper."""
    parser = argparse.ArgumentParser(prog='stack.py')
    sub = parser.add_subparsers(dest='command', required=True)

    p = sub.add_parser('ports')
    p.add_argument('count', type=int)
    p.set_defaults(func=cmd_ports)

    p = sub.add_parser('wait-http')
    p.add_argument('url')
    p.add_argument('seconds', type=float)
    p.set_defaults(func=cmd_wait_http)

    def auth(p):
        p.add_argument('--auth-url', required=True)
        p.add_argument('--admin-password', required=True)
        p.add_argument('--region', default='RegionOne')

    p = sub.add_parser('keystone-setup')
    auth(p)
    p.add_argument('--cinder-password', required=True)
    p.add_argument('--cinder-url', required=True)
    p.set_defaults(func=cmd_keystone_setup)

    p = sub.add_parser('wait-cinder')
    auth(p)
    p.add_argument('--backend', action='append', required=True,
                   help='host@backend#pool (repeatable)')
    p.add_argument('--seconds', type=float, default=120)
    p.set_defaults(func=cmd_wait_cinder)

    p = sub.add_parser('capabilities')
    p.set_defaults(func=cmd_capabilities)

    p = sub.add_parser('tempest-conf')
    auth(p)
    p.add_argument('--out', required=True)
    p.add_argument('--log-file', required=True)
    p.add_argument('--lock-path', required=True)
    p.add_argument('--backend-name', action='append', required=True)
    p.add_argument('--backup', action='store_true')
    p.add_argument('--build-timeout', type=int, default=120)
    p.add_argument('--manage-volume-ref', required=True)
    p.add_argument('--manage-snapshot-ref', required=True)
    p.set_defaults(func=cmd_tempest_conf)

    p = sub.add_parser('summary')
    p.add_argument('--json', required=True)
    p.add_argument('--seconds', type=int, default=0)
    p.add_argument('--line-file', help='write the closing line here too')
    p.set_defaults(func=cmd_summary)
    return parser


def main(argv=None):
    """Run one subcommand; return its exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
