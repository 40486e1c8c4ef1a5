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

"""The report: one row per assumption, the verdict, the exit status."""

import json

from cinder_ngxstorage.array_check import driver_table

#: Exit statuses.
OK, UNSAFE, ERROR = 0, 1, 2


def driver_says(finding):
    """(level, text) of what the driver does for one finding."""
    if finding.unknown:
        return driver_table.UNKNOWN
    if not finding.observable:
        return driver_table.UNOBSERVED
    if not finding.detected:
        return driver_table.row('strict')
    rows = [driver_table.row(name) for name in finding.detected]
    order = [driver_table.WORKS, driver_table.DEGRADED, driver_table.FAILS,
             driver_table.UNSAFE]
    level = max((level for level, _t in rows), key=order.index)
    return level, '; '.join('%s: %s' % (name, text) for name, (_l, text)
                            in zip(finding.detected, rows))


def unsafe(findings):
    """Keys of the findings whose driver row is UNSAFE (or unknown)."""
    return [finding.key for finding in findings
            if driver_says(finding)[0] == driver_table.UNSAFE]


def exit_status(findings):
    """0 when the driver is safe under every finding, else 1."""
    for finding in findings:
        if driver_says(finding)[0] == driver_table.UNSAFE:
            return UNSAFE
    return OK


def _wrap(text, width):
    words, lines, line = text.split(), [], ''
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = '%s %s' % (line, word) if line else word
    lines.append(line)
    return lines


def render(findings, verdict, leftover=None, problems=(), login=(),
           array=''):
    """The report as text."""
    out = []
    if array:
        out.append('array: %s' % array)
    widths = (22, 16, 34, 44)
    header = ('assumption', 'reference lines', 'what the array did',
              'what the driver will do')
    out.append('  '.join(h.ljust(w) for h, w in zip(header, widths)))
    out.append('  '.join('-' * w for w in widths))
    for finding in findings:
        level, text = driver_says(finding)
        seen = finding.observed
        if finding.detected:
            seen = '%s [%s]' % (seen, ', '.join(finding.detected))
        elif finding.unknown:
            seen = '%s [UNKNOWN]' % seen
        elif not finding.observable:
            seen = '%s [not observable]' % seen
        else:
            seen = '%s [strict]' % seen
        if finding.note:
            seen = '%s (%s)' % (seen, finding.note)
        cells = [_wrap(finding.key, widths[0]),
                 _wrap(finding.lines, widths[1]),
                 _wrap(seen, widths[2]),
                 _wrap('%s: %s' % (level, text), widths[3])]
        for index in range(max(len(c) for c in cells)):
            out.append('  '.join(
                (cell[index] if index < len(cell) else '').ljust(width)
                for cell, width in zip(cells, widths)).rstrip())
    for check in login:
        out.append('login: %-28s %s: %s' % (check['check'], 'ok'
                                            if check['ok'] else 'FAILED',
                                            check['detail']))
    for problem in problems:
        out.append('problem: %s' % problem)
    out.append('')
    out.append('variants matched: %s' % (' '.join(sorted(verdict))
                                         or '(none: the strict reading)'))
    risky = unsafe(findings)
    out.append('unsafe for the driver: %s' % (', '.join(risky) or 'nothing'))
    if leftover:
        out.append('LEFT ON THE ARRAY: %s' % json.dumps(leftover))
    else:
        out.append('cleanup: nothing left on the array')
    return '\n'.join(out)


def as_json(findings, verdict, status, leftover=None, problems=(),
            login=(), array=''):
    """The report as a JSON document (``--json``)."""
    rows = []
    for finding in findings:
        level, text = driver_says(finding)
        entry = finding.as_dict()
        entry.update({'driver_level': level, 'driver': text})
        rows.append(entry)
    return json.dumps({'findings': rows, 'variants': sorted(verdict),
                       'unsafe': unsafe(findings), 'array': array,
                       'exit_status': status, 'leftover': leftover or {},
                       'problems': list(problems), 'login': list(login)},
                      indent=2, sort_keys=True)
