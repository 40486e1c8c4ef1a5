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

"""The probes: one per assumption of the driver, each naming the
:mod:`~cinder_ngxstorage.simulator.variants` it tells apart.

:class:`Checker` makes a few objects in the scratch pool (names from its
journal's prefix), calls the API raw (:mod:`.wire`) and classifies each
answer. A :class:`Finding` says which of its candidate variants the array
matched (none: the strict reading), what it saw, or that the answer fits
no known reading (``unknown``), or that it could not be observed.
"""

from cinder_ngxstorage.simulator import variants as variants_mod

GiB = 1 << 30
MiB = 1 << 20


class Finding(object):
    """The outcome of one probe.

    :param key: short id of the assumption.
    :param assumption: the driver's assumption, one sentence.
    :param candidates: variant names this probe distinguishes.
    :param detected: the candidates the array matched (empty: strict).
    :param observed: what the array did, for the report.
    :param unknown: the answer fits no known reading.
    :param observable: False when the array gave nothing to decide on.
    """

    def __init__(self, key, assumption, candidates, detected=(),
                 observed='', unknown=False, observable=True, note=''):
        self.key = key
        self.assumption = assumption
        self.candidates = tuple(candidates)
        self.detected = tuple(detected)
        self.observed = observed
        self.unknown = unknown
        self.observable = observable
        self.note = note

    @property
    def lines(self):
        """Reference lines of the candidates (from the registry)."""
        seen = []
        for name in self.candidates:
            for part in variants_mod.REGISTRY[name].line_text.split(', '):
                if part not in seen:
                    seen.append(part)
        return ', '.join(seen)

    def as_dict(self):
        return {'key': self.key, 'assumption': self.assumption,
                'lines': self.lines, 'candidates': list(self.candidates),
                'detected': list(self.detected), 'observed': self.observed,
                'unknown': self.unknown, 'observable': self.observable,
                'note': self.note}

    def __repr__(self):
        return '<Finding %s %s>' % (self.key, self.detected or 'strict')


class ProbeError(Exception):
    """A step the probes need failed (the rest cannot run)."""


def _is_int(value):
    return type(value) is int


class Checker(object):
    """Runs the probes against one array.

    :param api: a :class:`~.wire.Api`.
    :param journal: a :class:`~.journal.Journal` (its prefix names all).
    :param pool: the scratch pool's name.
    :param portal_group: portal group id or name (None: the first).
    :param maxlun_probe: map maxlun+1 LUNs to see the limit's scope.
    """

    def __init__(self, api, journal, pool, portal_group=None,
                 maxlun_probe=True, progress=None):
        self.api = api
        self.journal = journal
        self.pool = pool
        self.portal_group = portal_group
        self.maxlun_probe = maxlun_probe
        self.findings = []
        self.progress = progress or (lambda text: None)
        self.facts = {}  # what later probes and the login checks need

    # -- helpers ----------------------------------------------------------

    def name(self, suffix):
        return self.journal.prefix + suffix

    def call(self, method, path, body=None, query=None):
        return self.api.call(method, path, body, query)

    def must(self, answer, what):
        if answer.refused:
            raise ProbeError('%s: %s' % (what, answer.short()))
        return answer.data

    def add(self, finding):
        self.findings.append(finding)
        self.progress('%-22s %s' % (finding.key, ', '.join(
            finding.detected) or ('?' if finding.unknown else 'strict')))
        return finding

    def verdict(self):
        """The set of variant names the array matched."""
        names = set()
        for finding in self.findings:
            names.update(finding.detected)
        return names

    # -- objects ----------------------------------------------------------

    def _find_lun(self, name):
        for item in self.must(self.call('GET', '/lun/'), 'LUN list') or ():
            if isinstance(item, dict) and item.get('name') == name:
                return str(item.get('vol_id'))
        return None

    def create_lun(self, suffix, size, sing=None, quantity=None):
        """Create LUN(s) named prefix+suffix; (answer, [vol_id...])."""
        name = self.name(suffix)
        body = {'pool_name': self.pool, 'name': name, 'size': size,
                'thin_provision': 'on'}
        if sing:
            body['sing'] = sing
        if quantity:
            body['quantity'] = quantity
        answer = self.call('POST', '/lun/', body)
        if answer.refused and quantity:
            # No "quantity" on this array: one create a LUN.
            del body['quantity']
            for index in range(1, quantity + 1):
                body['name'] = '%s_%d' % (name, index)
                self.must(self.call('POST', '/lun/', body),
                          'LUN create %s' % body['name'])
        else:
            self.must(answer, 'LUN create %s' % name)
        found = []
        for item in self.must(self.call('GET', '/lun/'), 'LUN list'):
            if (isinstance(item, dict) and
                    str(item.get('name', '')).startswith(name) and
                    (quantity or item.get('name') == name)):
                found.append((str(item['name']), str(item.get('vol_id'))))
        for item_name, vol_id in found:
            self.journal.record('lun', vol_id, item_name)
        if not found:
            raise ProbeError('LUN %s made but not listed' % name)
        return answer, [vol_id for _n, vol_id in sorted(found)]

    def lun_detail(self, vol_id):
        return self.must(self.call('GET', '/lun/%s' % vol_id),
                         'LUN detail')

    def create_snapshot(self, suffix, vol_id):
        data = self.must(self.call('POST', '/snapshot/', {
            'name': self.name(suffix), 'volume_id': vol_id}),
            'snapshot create')
        snap_id = data.get('snap_id') if isinstance(data, dict) else None
        if not snap_id:
            raise ProbeError('snapshot create answered no snap_id')
        return str(snap_id)

    def clone(self, suffix, snap_id):
        name = self.name(suffix)
        data = self.must(self.call('POST', '/snapshot/clone/%s' % snap_id,
                                   {'name': name}), 'clone')
        vol_id = data.get('vol_id') if isinstance(data, dict) else None
        vol_id = str(vol_id) if vol_id else self._find_lun(name)
        self.journal.record('lun', vol_id, name)
        return vol_id

    def exists(self, path):
        answer = self.call('GET', path)
        if answer.status == 404:
            return False
        if answer.ok:
            return True
        raise ProbeError('GET %s: %s' % (path, answer.short()))

    # -- the run ----------------------------------------------------------

    def run(self):
        """Run every probe in order; the findings are in ``findings``."""
        self.setup()
        self.probe_refusal_body()
        self.probe_lun_create()
        self.probe_numbers()
        self.probe_lun_modify()
        self.probe_capacity()
        self.probe_groups()
        self.probe_conflict_status()
        self.probe_portals()
        self.probe_targets()
        self.probe_mapping()
        if self.maxlun_probe:
            self.probe_maxlun_scope()
        self.probe_cascades()
        return self.findings

    def setup(self):
        """Pool owner, portal group, system info."""
        pools = self.must(self.call('GET', '/pool'), 'pool list') or []
        for pool in pools:
            if isinstance(pool, dict) and pool.get('pool_name') == self.pool:
                self.facts['owner'] = str(pool.get('owner') or '1')
                break
        else:
            raise ProbeError('no pool %s on the array' % self.pool)
        groups = self.must(self.call('GET', '/portal_group'),
                           'portal group list') or []
        chosen = None
        for group in groups:
            if not isinstance(group, dict):
                continue
            if self.portal_group in (None, group.get('id'),
                                     group.get('portal_name')):
                chosen = group
                break
        if chosen is None:
            raise ProbeError('no portal group %s' % (self.portal_group or ''))
        self.facts['portal_group_id'] = str(chosen['id'])
        info = self.must(self.call('GET', '/status/system_info'),
                         'system info') or {}
        self.facts['array'] = ' '.join(
            '%s %s' % (key, info.get(key)) for key in (
                'product', 'app_version', 'os_version')
            if isinstance(info, dict) and info.get(key) is not None)
        maxlun = info.get('maxlun')
        self.facts['maxlun_raw'] = maxlun
        try:
            limit = int(maxlun)
        except (TypeError, ValueError):
            limit = None
        detected, unknown = (), False
        if limit == 0:
            detected = ('maxlun-zero',)
        elif limit is None:
            unknown = True
        self.facts['maxlun'] = limit or 64
        self.add(Finding(
            'maxlun-reported', 'system_info maxlun is the LUN limit (64)',
            ['maxlun-zero'], detected, 'maxlun %r' % (maxlun,), unknown))

    def probe_refusal_body(self):
        answer = self.call('GET', '/lun/%s' % ('0' * 40))
        if answer.status != 404:
            self.add(Finding(
                'refusal-body', 'a failure is JSON {"success": false, '
                '"message"}', ['reason-in-error-field',
                               'errors-without-json'],
                observed='GET of an unknown LUN: %s' % answer.short(),
                unknown=True))
            return
        where = answer.reason_field()
        detected = {'message': (), 'error': ('reason-in-error-field',),
                    'text': ('errors-without-json',)}.get(where)
        self.facts['reason_field'] = where
        self.add(Finding(
            'refusal-body', 'a failure is JSON {"success": false, '
            '"message"}', ['reason-in-error-field', 'errors-without-json'],
            detected or (), '404 with the reason in %s (%s)'
            % (where, answer.ctype or 'no type'), unknown=detected is None))

    def probe_lun_create(self):
        answer, (vol_id,) = self.create_lun('l1', 1)
        self.facts['l1'] = vol_id
        data = answer.data if isinstance(answer.data, dict) else {}
        entries = [e for e in data.get('luns') or () if isinstance(e, dict)]
        entry = entries[0] if entries else {}
        has_id = bool(entry.get('vol_id'))
        self.add(Finding(
            'lun-create-answer', 'LUN create answers the new vol_id',
            ['lun-create-no-id'], () if has_id else ('lun-create-no-id',),
            'entry keys: %s' % ', '.join(sorted(entry)) or 'no entries'))
        top, inner = data.get('success'), entry.get('success')
        self.facts['success_top'] = top
        if top == 'true':
            detected, unknown = ('strings-for-booleans',), False
        elif top is True and inner is True:
            detected, unknown = ('json-booleans',), False
        elif top is True and inner == 'true':
            detected, unknown = (), False
        else:
            detected, unknown = (), True
        self.facts['json_booleans'] = 'json-booleans' in detected
        self.add(Finding(
            'booleans', 'success is a JSON boolean, "true" in LUN create '
            'entries; flags 0/1', ['json-booleans', 'strings-for-booleans'],
            detected, 'success %r, entry success %r' % (top, inner),
            unknown))
        detail = self.lun_detail(vol_id)
        size = detail.get('vol_size')
        try:
            size = int(size)
        except (TypeError, ValueError):
            size = None
        self.facts['l1_detail'] = detail
        unit = {GiB: (), MiB: ('size-unit-megabytes',)}.get(size)
        self.add(Finding(
            'size-unit', 'a size without "sing" counts GiB',
            ['size-unit-megabytes'], unit or (),
            'size 1 without sing made vol_size %r' % detail.get('vol_size'),
            unit is None))

    def probe_numbers(self):
        detail = self.facts['l1_detail']
        size, qos = detail.get('vol_size'), detail.get('qos_priority')
        if _is_int(size) and not isinstance(qos, str):
            detected, unknown = ('json-numbers',), False
        elif isinstance(size, str) and isinstance(qos, str):
            detected, unknown = ('strings-for-numbers',), False
        elif isinstance(size, str) and (_is_int(qos) or qos is None):
            detected, unknown = (), False
        else:
            detected, unknown = (), True
        self.add(Finding(
            'numbers', 'byte counts and LUN numbers are strings, '
            'priorities and flags integers',
            ['strings-for-numbers', 'json-numbers'], detected,
            'vol_size %r, qos_priority %r' % (size, qos), unknown))

    def probe_lun_modify(self):
        answer = self.call('PATCH', '/lun/%s' % self.facts['l1'],
                           {'size': 2, 'sing': 'G'})
        data = self.must(answer, 'LUN modify')
        has_size = isinstance(data, dict) and 'vol_size' in data
        self.add(Finding(
            'lun-modify-answer', 'LUN modify answers vol_size',
            ['lun-modify-bare'], () if has_size else ('lun-modify-bare',),
            answer.short(80)))

    def probe_capacity(self):
        data = self.must(self.call('GET', '/status/capacity'), 'capacity')
        entry = data.get(self.pool) if isinstance(data, dict) else None
        info = entry.get('info') if isinstance(entry, dict) else None
        try:
            free = int(info['free_size'])
            avail = int(info['logical_avail'])
        except (TypeError, KeyError, ValueError):
            self.add(Finding(
                'capacity', 'logical_avail is the free space, '
                'logical_reserved the provisioned bytes',
                ['capacity-example'], observed='no sizes for pool %s'
                % self.pool, unknown=True))
            return
        ratio = float(avail) / free if free else 1.0
        if abs(ratio - 1.0) < 0.01:
            detected, unknown = (), False
        elif 0.6 <= ratio <= 0.7:
            detected, unknown = ('capacity-example',), False
        else:
            detected, unknown = (), True
        self.add(Finding(
            'capacity', 'logical_avail is the free space, logical_reserved '
            'the provisioned bytes', ['capacity-example'], detected,
            'logical_avail/free_size = %.2f, logical_reserved %s'
            % (ratio, info.get('logical_reserved')), unknown))

    def probe_groups(self):
        owner = self.facts['owner']
        name = self.name('g1')
        answer = self.call('POST', '/auth_group/', {'name': name,
                                                    'owner': owner})
        data = self.must(answer, 'auth group create')
        group_id = str(data.get('id')) if isinstance(data, dict) else None
        if not group_id or group_id == 'None':
            raise ProbeError('auth group create answered no id')
        self.journal.record('group', group_id, name)
        self.facts['group_id'] = group_id
        self.facts['group_name'] = name
        initiator = 'iqn.2004-10.com.ngxstorage.check:%s-good' % (
            self.journal.prefix)
        self.must(self.call('PATCH', '/auth_group/iqn/%s' % group_id, {
            'iqn': initiator, 'iqn_alias': name, 'owner': owner}),
            'add initiator')
        self.facts['initiator'] = initiator
        user = self.name('u')
        secret = 'Kit%s' % self.journal.prefix[-9:].ljust(9, 'x')
        secret = secret[:16].ljust(12, 'x')
        self.api.add_secret(secret)
        self.must(self.call('PATCH', '/auth_group/chap/%s' % group_id, {
            'username': user, 'password': secret, 'owner': owner}),
            'set CHAP')
        self.facts['chap'] = (user, secret)
        detail = self.must(self.call('GET', '/auth_group/%s' % group_id),
                           'auth group detail')
        chap = detail.get('chap') if isinstance(detail, dict) else None
        shown = chap.get('password') if isinstance(chap, dict) else None
        if shown == secret:
            detected, seen, unknown = (), 'the secret in clear', False
        elif isinstance(chap, dict) and 'password' not in chap:
            detected, seen, unknown = (('chap-omitted',), 'no password',
                                       False)
        elif isinstance(shown, str) and shown and set(shown) == {'*'}:
            detected, seen, unknown = (('chap-masked',), 'a mask (%d *)'
                                       % len(shown), False)
        else:
            detected, seen, unknown = (), 'chap %s' % (
                'absent' if chap is None else 'of another shape'), True
        self.add(Finding(
            'chap-read', 'auth group reads return the CHAP secret',
            ['chap-masked', 'chap-omitted'], detected,
            'password field: %s' % seen, unknown))
        status = detail.get('chap_status')
        note = ''
        if status is True:
            if self.facts.get('json_booleans'):
                detected = ()
                note = ('json-booleans explains a boolean chap_status; '
                        'chap-status-bool alone cannot be told apart')
            else:
                detected = ('chap-status-bool',)
            unknown = False
        elif _is_int(status) and status == 1 or status == '1':
            detected, unknown = (), False
        else:
            detected, unknown = (), True
        self.add(Finding(
            'chap-status', 'chap_status is 1/0', ['chap-status-bool'],
            detected, 'chap_status %r' % (status,), unknown, note=note))

    def probe_conflict_status(self):
        answer = self.call('POST', '/auth_group/', {
            'name': self.facts['group_name'], 'owner': self.facts['owner']})
        if answer.ok:
            data = answer.data if isinstance(answer.data, dict) else {}
            if data.get('id'):
                self.journal.record('group', str(data['id']),
                                    self.facts['group_name'])
            self.add(Finding(
                'conflict-status', 'a conflict (name taken) answers 409',
                ['conflict-400', 'conflict-422', 'conflict-200'],
                observed='a second auth group of the same name was made: '
                '%s' % answer.short(80), unknown=True))
            return
        detected = {409: (), 400: ('conflict-400',),
                    422: ('conflict-422',),
                    200: ('conflict-200',)}.get(answer.status)
        self.facts['conflict_status'] = answer.status
        self.add(Finding(
            'conflict-status', 'a conflict (name taken) answers 409',
            ['conflict-400', 'conflict-422', 'conflict-200'],
            detected or (), answer.short(100), detected is None))

    def probe_portals(self):
        detail = self.must(self.call(
            'GET', '/portal_group/%s' % self.facts['portal_group_id']),
            'portal group detail')
        ips = detail.get('listen_ips') if isinstance(detail, dict) else None
        shapes, v6 = set(), set()
        if isinstance(ips, str):
            shapes.add('listen-csv')
            items = [i.strip() for i in ips.split(',') if i.strip()]
        elif isinstance(ips, list):
            items = ips
        else:
            items = []
        portals = []
        for item in items:
            if isinstance(item, dict):
                shapes.add('listen-objects')
                portals.append((str(item.get('ip')), item.get('port')))
                continue
            item = str(item)
            if item.startswith('['):
                host, _sep, rest = item[1:].partition(']')
                port = rest[1:] if rest.startswith(':') else None
                v6.add('bracketed')
            elif item.count(':') > 1:
                host, port = item.rsplit(':', 1)
                v6.add('bare')
            else:
                host, _sep, port = item.partition(':')
                port = port or None
            if port is None and 'listen-csv' not in shapes:
                shapes.add('listen-ip')
            if host in ('0.0.0.0', '::'):
                shapes.add('listen-wildcard')
            portals.append((host, int(port) if port and port.isdigit()
                            else 3260))
        self.facts['portals'] = [(h, p) for h, p in portals
                                 if h not in ('0.0.0.0', '::')]
        unknown = not items or len(shapes - {'listen-wildcard'}) > 1
        self.add(Finding(
            'listen-ips', 'listen_ips is a list of "ip:port" strings',
            ['listen-ip', 'listen-objects', 'listen-csv', 'listen-wildcard'],
            sorted(shapes) if not unknown else (),
            'listen_ips %s' % (self.api.mask(repr(ips))[:120],), unknown))
        observable = bool(v6)
        self.add(Finding(
            'ipv6-portals', 'IPv6 portals are written [addr]:port',
            ['ipv6-unbracketed'],
            ('ipv6-unbracketed',) if v6 == {'bare'} else (),
            'IPv6 portals: %s' % (', '.join(sorted(v6)) or 'none'),
            unknown=len(v6) > 1, observable=observable,
            note='' if observable else 'the portal group has no IPv6 '
            'portal in a shape the kit recognises'))

    def _create_target(self, suffix):
        name = self.name(suffix)
        answer = self.call('POST', '/target/iscsi/', {
            'name': name, 'auth_group_id': self.facts['group_id'],
            'portal_group_id': self.facts['portal_group_id'],
            'owner': self.facts['owner']})
        data = self.must(answer, 'target create %s' % name)
        answered = data.get('id') if isinstance(data, dict) else None
        listed = None
        for item in self.must(self.call('GET', '/iscsi_target/'),
                              'target list') or ():
            if (isinstance(item, dict) and
                    item.get('scsi_target_name') == name):
                listed = str(item.get('scsi_id'))
        target_id = str(answered) if answered else listed
        if not target_id:
            raise ProbeError('target %s made but not found' % name)
        self.journal.record('target', target_id, name)
        return answer, target_id, listed

    def probe_targets(self):
        answer, target_id, listed = self._create_target('t1')
        self.facts['t1'] = target_id
        data = answer.data if isinstance(answer.data, dict) else {}
        empty = not data.get('id')
        self.add(Finding(
            'target-create-answer', 'target create answers the new id and '
            'LUNs', ['target-create-empty'],
            ('target-create-empty',) if empty else (), answer.short(100)))
        if not empty:
            same = listed == target_id
            observed = 'scsi_id %s the id create answered' % (
                'is' if same else 'is not')
        else:
            same = self.exists('/iscsi_target/%s' % listed)
            observed = 'GET /iscsi_target/<listed scsi_id> %s' % (
                'works' if same else 'is 404')
        detail = self.call('GET', '/iscsi_target/%s' % target_id)
        if detail.ok and isinstance(detail.data, dict):
            self.facts['t1_iqn'] = detail.data.get('target_iqn')
        self.add(Finding(
            'target-scsi-id', 'a target\'s listed scsi_id is the id target '
            'paths take', ['target-id-not-scsi-id'],
            () if same else ('target-id-not-scsi-id',), observed))

    def _lun_numbers(self, target_id):
        detail = self.must(self.call('GET', '/iscsi_target/%s' % target_id),
                           'target detail')
        numbers = {}
        for lun in detail.get('luns') or ():
            if isinstance(lun, dict):
                numbers[str(lun.get('vol_id'))] = lun.get('lun_number')
                numbers[str(lun.get('lun_id'))] = lun.get('lun_number')
        return numbers

    def _ids_for(self, vol_ids):
        if self.facts.get('lun_ids') == 'scsi_lunid':
            return [str(self.lun_detail(v).get('scsi_lunid'))
                    for v in vol_ids]
        return list(vol_ids)

    def probe_mapping(self):
        owner, t1, l1 = self.facts['owner'], self.facts['t1'], self.facts['l1']
        path = '/iscsi_target/lun/%s/' % t1
        answer = self.call('PUT', path, {'lun_ids': [l1], 'owner': owner})
        if answer.ok:
            kind, detected, unknown = 'vol_id', (), False
        else:
            scsi_lunid = str(self.lun_detail(l1).get('scsi_lunid'))
            second = self.call('PUT', path, {'lun_ids': [scsi_lunid],
                                             'owner': owner})
            if second.ok:
                answer = second
                kind, detected, unknown = ('scsi_lunid',
                                           ('lun-ids-are-scsi-lunids',),
                                           False)
            else:
                kind, detected, unknown = None, (), True
        self.facts['lun_ids'] = kind
        self.add(Finding(
            'lun-ids', 'lun_ids of Add/Delete LUN are vol_ids',
            ['lun-ids-are-scsi-lunids'], detected,
            'Add LUN took %s' % (kind or 'neither vol_id nor scsi_lunid'),
            unknown))
        if kind is None:
            raise ProbeError('Add LUN refused both id kinds')
        data = answer.data if isinstance(answer.data, dict) else {}
        bare = not data.get('luns')
        self.add(Finding(
            'lun-add-answer', 'Add LUN answers the bound LUNs with their '
            'lun_number', ['lun-add-bare'], ('lun-add-bare',) if bare
            else (), answer.short(100)))
        numbers = self._lun_numbers(t1)
        self.facts['l1_number'] = numbers.get(l1)
        _answer, t2, _listed = self._create_target('t2')
        self.facts['t2'] = t2
        _a, (l2,) = self.create_lun('l2', 1, sing='G')
        self.facts['l2'] = l2
        self.must(self.call('PUT', '/iscsi_target/lun/%s/' % t2, {
            'lun_ids': self._ids_for([l2]), 'owner': owner}), 'Add LUN')
        second = self._lun_numbers(t2).get(l2)
        same = str(second) == str(self.facts['l1_number'])
        self.add(Finding(
            'lun-numbering', 'LUN numbers count per target (a new target\'s '
            'first LUN gets the lowest number)', ['lun-numbers-array-wide'],
            () if same else ('lun-numbers-array-wide',),
            'first LUN of two new targets: %r and %r'
            % (self.facts['l1_number'], second)))
        answer = self.call('PATCH', '/iscsi_target/lun/%s' % t2, {
            'lun_ids': self._ids_for([l2]), 'owner': owner})
        data = self.must(answer, 'Delete LUN')
        bare = not (isinstance(data, dict) and 'luns' in data)
        self.add(Finding(
            'lun-remove-answer', 'Delete LUN answers the remaining LUNs',
            ['lun-remove-bare'], ('lun-remove-bare',) if bare else (),
            answer.short(100)))

    def probe_maxlun_scope(self):
        limit = self.facts['maxlun']
        candidates = ['maxlun-per-array']
        assumption = 'maxlun bounds the LUNs of one target'
        if limit > 100:
            self.add(Finding('maxlun-scope', assumption, candidates,
                             observed='maxlun %d: too many LUNs to try'
                             % limit, observable=False))
            return
        owner = self.facts['owner']
        _a, vol_ids = self.create_lun('q', 1, sing='G', quantity=limit)
        ids = self._ids_for(vol_ids)
        half = limit // 2
        refused = []
        for target_id, chunk in ((self.facts['t1'], ids[:half]),
                                 (self.facts['t2'], ids[half:])):
            answer = self.call('PUT', '/iscsi_target/lun/%s/' % target_id,
                               {'lun_ids': chunk, 'owner': owner})
            if answer.refused:
                refused.append(answer)
        for target_id, chunk in ((self.facts['t1'], ids[:half]),
                                 (self.facts['t2'], ids[half:])):
            self.call('PATCH', '/iscsi_target/lun/%s' % target_id,
                      {'lun_ids': chunk, 'owner': owner})
        self.add(Finding(
            'maxlun-scope', assumption, candidates,
            ('maxlun-per-array',) if refused else (),
            '%d kit LUNs mapped in two targets (%d and %d): %s'
            % (limit + 1, half + 1, limit - half, refused[0].short(100)
               if refused else 'accepted')))

    def probe_cascades(self):
        _a, (l3,) = self.create_lun('l3', 1, sing='G')
        s1 = self.create_snapshot('s1', l3)
        c1 = self.clone('c1', s1)
        answer = self.call('DELETE', '/snapshot/all/%s' % l3)
        gone = not self.exists('/snapshot/%s' % s1)
        clone_gone = not self.exists('/lun/%s' % c1)
        if answer.ok and gone and clone_gone:
            detected, unknown = ('cascade-delete-all',), False
        elif not gone and not clone_gone:
            detected, unknown = (), False
        else:
            detected, unknown = (), True
        self.add(Finding(
            'delete-all', 'Delete All keeps snapshots with clones (warning)',
            ['cascade-delete-all'], detected, '%s; snapshot %s, clone %s'
            % (answer.short(80), 'gone' if gone else 'kept',
               'gone' if clone_gone else 'kept'), unknown))
        if gone:
            s1 = self.create_snapshot('s2', l3)
            c1 = self.clone('c2', s1)
        answer = self.call('DELETE', '/snapshot/%s' % s1)
        clone_gone = not self.exists('/lun/%s' % c1)
        if answer.ok and clone_gone:
            detected, unknown = ('cascade-snapshot-clones',), False
        elif answer.refused and not clone_gone:
            detected, unknown = (), False
        else:
            detected, unknown = (), True
        self.add(Finding(
            'snapshot-with-clones', 'deleting a snapshot with clones is '
            'refused', ['cascade-snapshot-clones'], detected,
            '%s; clone %s' % (answer.short(80),
                              'gone' if clone_gone else 'kept'), unknown))
        l2 = self.facts['l2']
        older = self.create_snapshot('r1', l2)
        newer = self.create_snapshot('r2', l2)
        answer = self.call('POST', '/snapshot/restore/%s' % older)
        newer_gone = not self.exists('/snapshot/%s' % newer)
        if answer.ok and newer_gone:
            detected, unknown = ('cascade-restore',), False
        elif answer.refused and not newer_gone:
            detected, unknown = (), False
        else:
            detected, unknown = (), True
        self.add(Finding(
            'restore-older', 'restoring a snapshot that is not the newest '
            'is refused', ['cascade-restore'], detected,
            '%s; newer snapshot %s' % (answer.short(80), 'gone' if newer_gone
                                       else 'kept'), unknown))
