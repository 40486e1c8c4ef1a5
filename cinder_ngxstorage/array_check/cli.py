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

"""``ngxstorage-array-check``: run the probes, print the report, clean up.

Exit status: 0 the driver is safe with this array, 1 the array does
something the driver cannot make safe (an ``UNSAFE`` row of
:mod:`.driver_table`, an answer no reading explains, a failed login
check), 2 usage or connection errors, an interrupted run, or objects the
kit could not remove.
"""

import argparse
import os
import secrets
import signal
import sys

from cinder_ngxstorage import array_check
from cinder_ngxstorage.array_check import initiator
from cinder_ngxstorage.array_check import journal as journal_mod
from cinder_ngxstorage.array_check import probes
from cinder_ngxstorage.array_check import report
from cinder_ngxstorage.array_check import wire

TOKEN_ENV = 'NGXSTORAGE_TOKEN'


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog='ngxstorage-array-check',
        description='Check, on a scratch pool, every assumption the '
        'cinder-ngxstorage driver makes about an NGXStorage array; print '
        'what the array did and the simulator variants it matches; remove '
        'everything made.')
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument('--san-ip', help='the array\'s management address')
    where.add_argument('--url', help='the API base URL, '
                       'https://host[:port] (instead of --san-ip)')
    parser.add_argument('--san-api-port', type=int, default=None,
                        help='the API port (default 443, 80 with --http)')
    parser.add_argument('--http', action='store_true',
                        help='plain HTTP (the simulator), not HTTPS')
    parser.add_argument('--token', help='the API key (better: the %s '
                        'environment variable)' % TOKEN_ENV)
    parser.add_argument('--pool', help='the scratch pool (required '
                        'unless --cleanup-only)')
    parser.add_argument('--portal-group', help='portal group id or name '
                        '(default: the first)')
    parser.add_argument('--initiator-tools', action='store_true',
                        help='also log in with libiscsi (iscsi-inq): '
                        'LUN number, wrong initiator, wrong CHAP')
    parser.add_argument('--skip-maxlun-scope', action='store_true',
                        help='do not map maxlun+1 LUNs to find whether '
                        'maxlun is per target or per array')
    parser.add_argument('--cleanup-only', action='store_true',
                        help='only remove what earlier (killed) runs left '
                        '(from the journal) and exit')
    parser.add_argument('--journal', default=journal_mod.DEFAULT_PATH,
                        help='the journal file (default %(default)s)')
    parser.add_argument('--ca-bundle', help='CA bundle of the array\'s '
                        'certificate')
    parser.add_argument('--insecure', action='store_true',
                        help='do not verify the TLS certificate')
    parser.add_argument('--json', action='store_true',
                        help='print the report as JSON')
    parser.add_argument('--quiet', action='store_true',
                        help='no progress lines on stderr')
    return parser


def _url(args):
    if args.url:
        return args.url
    scheme = 'http' if args.http else 'https'
    host = args.san_ip
    if ':' in host and not host.startswith('['):
        host = '[%s]' % host
    port = args.san_api_port or (80 if args.http else 443)
    return '%s://%s:%d' % (scheme, host, port)


def _raise_interrupted(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    token = args.token or os.environ.get(TOKEN_ENV)
    if not token:
        parser.error('give the API key in %s or --token' % TOKEN_ENV)
    if not args.cleanup_only and not args.pool:
        parser.error('--pool is required (a scratch pool)')
    if args.initiator_tools and initiator.missing():
        parser.error('--initiator-tools needs %s' % initiator.missing())
    verify = args.ca_bundle or not args.insecure
    say = (lambda text: None) if args.quiet else (
        lambda text: print(text, file=sys.stderr, flush=True))
    api = wire.Api(_url(args), token, verify=verify)
    old = {sig: signal.signal(sig, _raise_interrupted)
           for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _run(args, api, say)
    except wire.ArrayUnreachable as exc:
        print('ngxstorage-array-check: %s' % exc, file=sys.stderr)
        return report.ERROR
    except Interrupted as exc:
        print('ngxstorage-array-check: interrupted (%s); cleaned up' % exc,
              file=sys.stderr)
        return report.ERROR
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        api.close()


def _sweep(api, path, prefixes, made, say):
    """Sweep with the signals ignored (a second Ctrl-C must not stop it)."""
    saved = {sig: signal.signal(sig, signal.SIG_IGN)
             for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        say('cleanup: removing the objects of %s' % ', '.join(prefixes))
        return journal_mod.finish(api, path, prefixes, made)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def _run(args, api, say):
    api.call('GET', '/status/system_info')  # reachable, key accepted
    earlier, made = journal_mod.read(args.journal)
    if earlier:
        left = _sweep(api, args.journal, earlier, made, say)
        if left:
            print('objects of earlier runs could not be removed: %s'
                  % left, file=sys.stderr)
            return report.ERROR
        say('cleanup: the leftovers of earlier runs are removed')
    if args.cleanup_only:
        print('cleanup: nothing left on the array')
        return report.OK
    prefix = '%s%s' % (array_check.NAME_PREFIX, secrets.token_hex(3))
    journal = journal_mod.Journal(args.journal, prefix)
    checker = probes.Checker(api, journal, args.pool,
                             portal_group=args.portal_group,
                             maxlun_probe=not args.skip_maxlun_scope,
                             progress=say)
    problems, login, left = [], [], {}
    try:
        say('probing %s as %s' % (api.base_url, prefix))
        try:
            checker.run()
        except probes.ProbeError as exc:
            problems.append(api.mask(str(exc)))
        if args.initiator_tools and not problems:
            lun = checker.lun_detail(checker.facts['l1'])
            login = initiator.run(checker.facts, lun, prefix)
    finally:
        left = _sweep(api, args.journal, [prefix], journal.made, say)
    verdict = checker.verdict()
    status = report.exit_status(checker.findings)
    if problems or any(not check['ok'] for check in login):
        status = max(status, report.UNSAFE)
    if left:
        status = report.ERROR
    if args.json:
        print(report.as_json(checker.findings, verdict, status, left,
                             problems, login, checker.facts.get('array')))
    else:
        print(report.render(checker.findings, verdict, left, problems,
                            login, checker.facts.get('array')))
        print('exit status %d' % status)
    return status


if __name__ == '__main__':
    sys.exit(main())
