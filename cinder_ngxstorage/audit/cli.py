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

"""``ngxstorage-cinder-audit``: the command line of the audit.

Exit status: 0 nothing inconsistent (deferred deletions may be pending),
1 findings (report mode) or a fix that failed (``--fix``), 2 usage,
configuration, database or array connection errors.
"""

import argparse
import logging
import sys

from cinder_ngxstorage import audit
from cinder_ngxstorage import redaction

USAGE_ERROR = 2


def build_parser():
    parser = argparse.ArgumentParser(
        prog='ngxstorage-cinder-audit',
        description='Compare what an NGXStorage array holds for one '
        'Cinder backend with Cinder\'s database; report orphans and '
        'missing objects, and with --fix remove what is provably '
        'orphaned.')
    parser.add_argument('--config-file', action='append', required=True,
                        dest='config_files', metavar='PATH',
                        help='Cinder\'s configuration file (repeatable, '
                        'as for cinder-volume)')
    parser.add_argument('--backend', required=True, metavar='NAME',
                        help='the backend section (one of '
                        'enabled_backends)')
    parser.add_argument('--fix', action='store_true',
                        help='remove what is provably orphaned')
    parser.add_argument('--delete-unknown-luns', action='store_true',
                        help='with --fix: also remove LUNs and snapshots '
                        'named like ours that Cinder has no row for, not '
                        'even a deleted one')
    parser.add_argument('--format', choices=('table', 'json'),
                        default='table', help='output format')
    return parser


def _setup_logging():
    if getattr(_setup_logging, 'done', False):
        return
    _setup_logging.done = True
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        '%(asctime)s %(levelname)s %(name)s: %(message)s'))
    handler.addFilter(redaction.RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger('cinder_ngxstorage.audit').setLevel(logging.INFO)


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.delete_unknown_luns and not args.fix:
        parser.error('--delete-unknown-luns needs --fix')
    _setup_logging()
    try:
        report = audit.run(args.config_files, args.backend, fix=args.fix,
                           delete_unknown_luns=args.delete_unknown_luns)
    except audit.AuditError as err:
        print('ngxstorage-cinder-audit: error: %s' % err, file=sys.stderr)
        return USAGE_ERROR
    if args.format == 'json':
        print(audit.render_json(report))
    else:
        print(audit.render_table(report))
    return report.exit_code()
