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

"""Trace-driven fault injection for driver operations.

The tools the fault matrix, the bad-response tests and the soak share:

* :func:`record_trace` turns the simulator's request log into a driver
  operation's *call trace*: one (method, path template) per REST call, ids
  replaced by ``{id}``. :func:`rule_for_call` makes a fault rule that hits
  exactly the n-th call of a trace when the operation is replayed on the
  same array state (the driver is deterministic for a given state).
* :func:`inventory` is what the array holds, by names only (ids differ
  between replays), as a sorted list of tuples: every LUN, snapshot,
  target and auth group of ours and every deferred-deletion marker, the
  registry LUN itself left out.
* :func:`restore_state` puts a saved array state (``ArrayState.dump()``)
  back under a running simulator, ids included.
* :func:`clone_driver` copies a set-up driver (its cached view of the
  array included) without the ~30 calls of ``check_for_setup_error``.
"""

import collections
import copy
import re

from cinder import exception

from cinder_ngxstorage import deferred
from cinder_ngxstorage import driver as ngx_driver
from cinder_ngxstorage import exports
from cinder_ngxstorage import naming
from cinder_ngxstorage.simulator import state as state_mod

ID_RE = re.compile(r'[0-9a-f]{40}')
ID_TEMPLATE = '{id}'
ANY_ID = '[0-9a-f]{40}'

# What a driver operation may raise: a Cinder exception, or (revert
# only) NotImplementedError, Cinder's signal to fall back to a copy.
CINDER_ERRORS = (exception.CinderException,)


def path_template(path):
    """A URL path with every 40-hex id replaced by ``{id}``."""
    return ID_RE.sub(ID_TEMPLATE, path)


def template_regex(template):
    """An anchored regular expression matching a path template."""
    parts = template.split(ID_TEMPLATE)
    return '^%s$' % ANY_ID.join(re.escape(p) for p in parts)


def record_trace(entries):
    """[(method, path template)] of the API calls in a request log."""
    return [(e['method'], path_template(e['path'])) for e in entries
            if e['path'].startswith('/api/')]


def record_statuses(entries):
    """The HTTP status of each API call of a request log (None: dropped)."""
    return [e['status'] for e in entries if e['path'].startswith('/api/')]


def is_lie(fault, status):
    """Whether fault turns a refused call into a 2xx "success".

    An answer saying success for a call the array refused cannot be told
    from the truth (a DELETE's answer has nothing to check); such cases
    test nothing and are left out.
    """
    refused = status is None or not 200 <= status < 300
    return (refused and fault.get('phase') == 'after' and
            fault.get('action') == 'body' and fault.get('status', 500) < 300)


def nth_of(trace, index):
    """1-based position of call ``index`` among the calls like it."""
    return trace[:index + 1].count(trace[index])


def rule_for_call(trace, index, **fault):
    """Fault rule kwargs hitting exactly call ``index`` of ``trace``."""
    method, template = trace[index]
    rule = {'method': method, 'path': template_regex(template),
            'nth': nth_of(trace, index), 'times': 1}
    rule.update(fault)
    return rule


def restore_state(sim, dump):
    """Serve the array state ``dump`` (from ``ArrayState.dump()``)."""
    new = state_mod.ArrayState.load(dump)
    sim.state = new
    sim.app.state = new
    return new


def inventory(state):
    """What the array holds, by names: a sorted list of tuples."""
    luns = state.luns()
    names = {lun['vol_id']: lun['vol_name'] for lun in luns}
    snaps = state.snapshots()
    snap_names = {s['snap_id']: '%s@%s' % (names.get(s['vol_id']),
                                           s['snap_name'])
                  for s in snaps}
    items = []
    for lun in luns:
        if naming.is_registry_name(lun['vol_name']):
            continue
        items.append(('lun', lun['vol_name'], lun['pool_name'],
                      lun['vol_size'], lun['provision_type'],
                      lun.get('clone') or ''))
    for snap in snaps:
        if not naming.is_registry_name(names.get(snap['vol_id'])):
            items.append(('snapshot', snap_names[snap['snap_id']]))
            continue
        marker = snap['snap_name']
        if marker.startswith(naming.DEFERRED_SNAPSHOT_PREFIX):
            ref = snap_names.get(marker[len(naming.DEFERRED_SNAPSHOT_PREFIX):],
                                 '(gone)')
            items.append(('marker', 'snapshot', ref))
        elif marker.startswith(naming.DEFERRED_LUN_PREFIX):
            ref = names.get(marker[len(naming.DEFERRED_LUN_PREFIX):],
                            '(gone)')
            items.append(('marker', 'lun', ref))
        else:
            items.append(('marker', 'unknown', marker))
    for target in state.targets():
        items.append(('target', target['scsi_target_name'], target['owner'],
                      target.get('group_name') or '',
                      tuple(sorted(names.get(lun['vol_id'], '?')
                                   for lun in target.get('luns') or ()))))
    for group in state.auth_groups():
        if group['group_id'] == '1':
            continue
        items.append(('auth_group', group['group_name'],
                      tuple(sorted(i['iqn']
                                   for i in group.get('initiator') or ())),
                      'chap' if group.get('chap') else 'no chap'))
    return sorted(items)


def object_key(item):
    """What identifies an inventory item: its kind and name.

    A half-built object (an auth group still without its IQN) is the same
    object as the finished one.
    """
    return item if item[0] == 'marker' else item[:2]


def extra_items(actual, *allowed):
    """Objects of ``actual`` that none of the ``allowed`` lists holds.

    Compared by :func:`object_key`, as multisets: an object twice where
    every allowed list has it once is an extra (a duplicate).
    """
    have = collections.Counter(object_key(i) for i in actual)
    limit = collections.Counter()
    for items in allowed:
        for key, count in collections.Counter(
                object_key(i) for i in items).items():
            limit[key] = max(limit[key], count)
    return sorted((have - limit).elements())


def difference(expected, actual):
    """'missing [...] unexpected [...]' between two inventories."""
    want = collections.Counter(expected)
    have = collections.Counter(actual)
    return 'missing %s, unexpected %s' % (
        sorted((want - have).elements()), sorted((have - want).elements()))


def clone_driver(template, warm=True, read_timeout=None):
    """A new driver like ``template`` (same options, same array view).

    ``warm`` keeps the per-host cache (a running service); otherwise the
    copy knows no host (a service that just started). ``read_timeout``
    overrides the client's read timeout (the option's minimum is 1 s; the
    timeout faults want less).
    """
    drv = ngx_driver.NGXStorageISCSIDriver(
        configuration=template.configuration, host=template.host)
    drv.db = template.db  # The same deployment.
    drv.do_setup(None)
    if read_timeout is not None:
        drv.client._timeout = (drv.client._timeout[0], read_timeout)
    drv.portal_group_id = template.portal_group_id
    drv.pool_owners = dict(template.pool_owners)
    drv.portals = list(template.portals)
    drv.maxlun = template.maxlun
    old = template.exports
    drv.exports = exports.HostExports(drv.client, old.portal_group_id,
                                      old.use_chap, old.maxlun,
                                      old.group_owner, secrets=old.secrets,
                                      names=old.names,
                                      knows_luns=old.knows_luns)
    if warm:
        # Every cache of the running service (host entries, ...).
        for name, value in vars(old).items():
            if name not in ('client', 'knows_luns'):
                setattr(drv.exports, name, copy.deepcopy(value))
    drv.deferred = deferred.DeferredDeletions(
        drv.client, template.deferred.registry_pool,
        template.deferred.registry_name)
    drv.deferred._registry_id = template.deferred._registry_id
    return drv


def fault_kinds(retries=0):
    """The fault kinds of the matrix: name -> (rule kwargs, per-call?).

    Per-call kinds hit one call; the others (401) hold from that call on.
    """
    return collections.OrderedDict([
        ('500-before', dict(phase='before', action='status', status=500,
                            message='Simulated internal error')),
        ('500-after', dict(phase='after', action='status', status=500,
                           message='Simulated internal error after commit')),
        ('timeout-after', dict(phase='after', action='delay', delay=0.6)),
        ('drop-after', dict(phase='after', action='drop')),
        ('401-expired', dict(phase='before', action='status', status=401,
                             message='API key cinder has expired')),
        ('409-before', dict(phase='before', action='status', status=409,
                            message='Simulated conflict')),
    ])


_HTML_PAGE = ('<html><head><title>502 Bad Gateway</title></head><body>'
              '<center><h1>502 Bad Gateway</h1></center><hr>'
              '<center>nginx</center></body></html>')
_WRONG_TYPES = ('{"success": true, "luns": 5, "vol_id": 7, "snap_id": [],'
                ' "id": {}, "scsi_id": null, "group_id": [], "info": "x",'
                ' "listen_ips": 3, "maxlun": "many", "initiator": "x",'
                ' "chap": "x", "chap_status": [], "target_iqn": 5,'
                ' "scsi_target_name": 5, "pool_name": 1, "status": 2,'
                ' "protocols": "iscsi", "vol_size": "big", "owner": 1}')
# Over the client's 8 MiB limit.
_HUGE = '{"success": true, "padding": "%s"}' % ('x' * (9 * 1024 * 1024))


def bad_response_kinds():
    """Bad answers from the array: name -> rule kwargs.

    Each replaces one call's answer (``after``: the call's change, if
    any, is committed).
    """
    return collections.OrderedDict([
        ('html-502', dict(phase='before', action='body', status=502,
                          body=_HTML_PAGE, content_type='text/html')),
        ('html-200', dict(phase='after', action='body', status=200,
                          body=_HTML_PAGE, content_type='text/html')),
        ('truncated', dict(phase='after', action='truncate')),
        ('missing-fields', dict(phase='after', action='body', status=200,
                                body='{"success": true}')),
        ('wrong-types', dict(phase='after', action='body', status=200,
                             body=_WRONG_TYPES)),
        ('list-of-junk', dict(phase='after', action='body', status=200,
                              body='[1, "a", null, []]')),
        ('huge', dict(phase='after', action='body', status=200,
                      body=_HUGE)),
    ])
