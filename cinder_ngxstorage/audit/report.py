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

"""What the audit found: findings, the report, and how it is printed.

A :class:`Finding` is one array object (or one Cinder object) that does
not match the other side, with the audit's verdict and the action
``--fix`` takes (or took). A :class:`Report` holds the findings of one
backend; :meth:`Report.violations` is every finding except the deferred
deletions the driver is waiting to complete (documented behaviour, not
an inconsistency).
"""

import dataclasses
import json

# Kinds of findings (the ``kind`` column, stable: scripts read them).
LUN_WITHOUT_VOLUME = 'lun-without-volume'
UNKNOWN_LUN = 'unknown-lun'
INTERNAL_SNAPSHOT = 'unneeded-internal-snapshot'
TEMPORARY_CLONE = 'unneeded-temporary-clone'
SNAPSHOT_WITHOUT_SNAPSHOT = 'snapshot-without-snapshot'
UNKNOWN_SNAPSHOT = 'unknown-snapshot'
MAPPING_WITHOUT_ATTACHMENT = 'mapping-without-attachment'
EMPTY_TARGET = 'empty-target'
UNBOUND_AUTH_GROUP = 'unbound-auth-group'
VOLUME_WITHOUT_LUN = 'volume-without-lun'
SNAPSHOT_WITHOUT_ARRAY_SNAPSHOT = 'snapshot-without-array-snapshot'
DEFERRED_DELETION = 'deferred-deletion'

KINDS = (LUN_WITHOUT_VOLUME, UNKNOWN_LUN, INTERNAL_SNAPSHOT,
         TEMPORARY_CLONE, SNAPSHOT_WITHOUT_SNAPSHOT, UNKNOWN_SNAPSHOT,
         MAPPING_WITHOUT_ATTACHMENT, EMPTY_TARGET, UNBOUND_AUTH_GROUP,
         VOLUME_WITHOUT_LUN, SNAPSHOT_WITHOUT_ARRAY_SNAPSHOT,
         DEFERRED_DELETION)

# Actions (what --fix does with a finding).
DELETE_LUN = 'delete LUN'
DELETE_SNAPSHOT = 'delete snapshot'
DEFER = 'record a deferred deletion'
UNMAP = 'unmap'
DELETE_TARGET = 'delete target'
DELETE_GROUP = 'delete auth group'
NEEDS_FLAG = 'none without --delete-unknown-luns'
NONE = 'none (check by hand)'
WAIT = 'none (the driver completes it)'

# Results of an action.
DONE = 'done'
FAILED = 'failed'
SKIPPED = 'skipped'
DEFERRED = 'deferred'


@dataclasses.dataclass
class Finding:
    """One mismatch between the array and Cinder's database.

    ``array_object`` and ``cinder_object`` name both sides (``-`` when
    one side has nothing); ``ids`` carries what a fix needs (vol_id,
    snap_id, target and group ids).
    """

    kind: str
    array_object: str
    cinder_object: str
    verdict: str
    action: str
    ids: dict = dataclasses.field(default_factory=dict)
    result: str = None  # after --fix: done, failed, skipped, deferred
    note: str = None

    @property
    def violation(self):
        """Whether this is an inconsistency (not a pending deletion)."""
        return self.kind != DEFERRED_DELETION

    def as_dict(self):
        """The finding as JSON-ready data."""
        data = dataclasses.asdict(self)
        data['violation'] = self.violation
        return data


@dataclasses.dataclass
class Report:
    """The findings of one backend (and, with --fix, what was done)."""

    backend: str
    host: str
    pools: tuple
    findings: list = dataclasses.field(default_factory=list)
    fixed: bool = False

    def add(self, finding):
        self.findings.append(finding)
        return finding

    def violations(self):
        """Every finding except documented deferred deletions."""
        return [f for f in self.findings if f.violation]

    def of_kind(self, kind):
        """The findings of one kind."""
        return [f for f in self.findings if f.kind == kind]

    def failed(self):
        """Findings whose fix failed."""
        return [f for f in self.findings if f.result == FAILED]

    def exit_code(self):
        """0 clean, 1 findings (report mode) or a failed action (--fix)."""
        if self.fixed:
            return 1 if self.failed() else 0
        return 1 if self.violations() else 0

    def as_dict(self):
        return {'backend': self.backend, 'host': self.host,
                'pools': list(self.pools), 'fixed': self.fixed,
                'violations': len(self.violations()),
                'findings': [f.as_dict() for f in self.findings]}


def render_json(report):
    """The report as JSON text."""
    return json.dumps(report.as_dict(), indent=2, sort_keys=True)


_COLUMNS = (('KIND', 'kind'), ('ARRAY OBJECT', 'array_object'),
            ('CINDER OBJECT', 'cinder_object'), ('VERDICT', 'verdict'),
            ('ACTION', 'action'))


def render_table(report):
    """The report as a text table (one row per finding) and a summary."""
    columns = list(_COLUMNS)
    if report.fixed:
        columns.append(('RESULT', 'result'))
    rows = [[str(getattr(f, attr) or '-') for _title, attr in columns]
            for f in report.findings]
    widths = [max([len(title)] + [len(row[i]) for row in rows])
              for i, (title, _attr) in enumerate(columns)]
    lines = ['Backend %s (%s), pools %s' % (
        report.backend, report.host, ', '.join(report.pools))]
    if rows:
        lines.append('  '.join(t.ljust(w) for (t, _a), w
                               in zip(columns, widths)).rstrip())
        for row in rows:
            lines.append('  '.join(c.ljust(w) for c, w
                                   in zip(row, widths)).rstrip())
        for f in report.findings:
            if f.note:
                lines.append('note: %s: %s' % (f.array_object, f.note))
    violations = len(report.violations())
    lines.append('%d finding(s), %d inconsistent, %d deferred deletion(s)'
                 ' pending.' % (len(report.findings), violations,
                                len(report.findings) - violations))
    if report.fixed:
        lines.append('%d fixed, %d failed.' % (
            len([f for f in report.findings if f.result == DONE]),
            len(report.failed())))
    return '\n'.join(lines)
