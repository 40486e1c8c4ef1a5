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

"""The driver operations the benchmarks measure, and what each must cost.

Each :class:`Operation` names a driver call in one situation, the minimum
number of REST calls the array's API allows for it and why, and the number
the driver makes (``expected``; equal to the minimum unless ``note`` says
why not). ``prepare(bench)`` builds what the call needs (not measured) and
returns the call itself. The benchmark (:mod:`benchmarks.run`), the
regression test (``tests/functional/test_rest_economy.py``) and the
documentation (``doc/source/benchmarks.rst``) all read this table.
"""

import dataclasses
import typing


@dataclasses.dataclass
class Operation:
    """One driver call in one situation."""

    key: str
    title: str
    minimum: int
    expected: int
    why: str
    prepare: typing.Callable
    note: str = ''
    # Explicit listings (the response grows with the array) are exempt
    # from "flat in time".
    listing: bool = False
    # Part of the list of operations (the others are extra
    # situations worth knowing).
    core: bool = True
    requires: str = ''  # driver attribute the operation needs
    # Round trips on the operation's critical path when some of its calls
    # are made at once (None: every call is one, in series).
    round_trips: typing.Optional[int] = None

    @property
    def depth(self):
        """Round trips the operation waits for (its dependency depth)."""
        return self.round_trips or self.expected


def _create_volume(bench):
    vol = bench.volume()
    return lambda: bench.driver.create_volume(vol)


def _delete_volume(bench):
    vol = bench.create_volume()
    return lambda: bench.driver.delete_volume(vol)


def _create_snapshot(bench):
    snap = bench.snapshot(bench.create_volume())
    return lambda: bench.driver.create_snapshot(snap)


def _delete_snapshot(bench):
    snap = bench.create_snapshot(bench.create_volume())
    return lambda: bench.driver.delete_snapshot(snap)


def _volume_from_snapshot(bench):
    snap = bench.create_snapshot(bench.create_volume())
    new = bench.volume()
    return lambda: bench.driver.create_volume_from_snapshot(new, snap)


def _volume_from_snapshot_bigger(bench):
    snap = bench.create_snapshot(bench.create_volume())
    new = bench.volume(size=2)
    return lambda: bench.driver.create_volume_from_snapshot(new, snap)


def _clone(bench):
    src = bench.create_volume()
    new = bench.volume()
    return lambda: bench.driver.create_cloned_volume(new, src)


def _extend(bench):
    vol = bench.create_volume()
    return lambda: bench.driver.extend_volume(vol, 2)


def _revert(bench):
    vol = bench.create_volume()
    snap = bench.create_snapshot(vol)
    return lambda: bench.driver.revert_to_snapshot(bench.ctx, vol, snap)


def _attach_new_host(bench):
    vol = bench.create_volume()
    conn = bench.new_host()
    return lambda: bench.driver.initialize_connection(vol, conn)


def _attach_known_host(bench):
    conn = bench.new_host()
    bench.attach(bench.create_volume(), conn)
    vol = bench.create_volume()
    return lambda: bench.driver.initialize_connection(vol, conn)


def _attach_host_new_to_service(bench):
    conn = bench.new_host()
    bench.attach(bench.create_volume(), conn)
    # As after a restart, or when another service made the host's objects.
    bench.driver.exports.forget(conn['host'])
    vol = bench.create_volume()
    return lambda: bench.driver.initialize_connection(vol, conn)


def _detach(bench):
    conn = bench.new_host()
    bench.attach(bench.create_volume(), conn)
    vol = bench.create_volume()
    bench.attach(vol, conn)
    return lambda: bench.driver.terminate_connection(vol, conn)


def _detach_last(bench):
    conn = bench.new_host()
    vol = bench.create_volume()
    bench.attach(vol, conn)
    return lambda: bench.driver.terminate_connection(vol, conn)


def _detach_other_attachment(bench):
    conn = bench.new_host()
    vol = bench.create_volume()
    bench.attach(vol, conn)
    bench.record_attachment(vol, conn)  # a second attachment, same host
    return lambda: bench.driver.terminate_connection(vol, conn)


def _force_detach(bench):
    conn = bench.new_host()
    vol = bench.create_volume()
    bench.attach(vol, conn)
    return lambda: bench.driver.terminate_connection(vol, None)


def _stats(bench):
    return lambda: bench.driver.get_volume_stats(refresh=True)


def _manage_listing(bench):
    return lambda: bench.driver.get_manageable_volumes(
        [], None, 1000, 0, ['size'], ['asc'])


def _delete_snapshot_clone(bench):
    snap = bench.create_snapshot(bench.create_volume())
    new = bench.volume()
    new.update(bench.driver.create_volume_from_snapshot(new, snap) or {})
    return lambda: bench.driver.delete_volume(new)


def _delete_full_clone(bench):
    src = bench.create_volume()
    new = bench.volume()
    new.update(bench.driver.create_cloned_volume(new, src) or {})
    return lambda: bench.driver.delete_volume(new)


OPERATIONS = (
    Operation(
        'create_volume', 'create volume', 1, 1,
        'POST /lun answers the new vol_id, kept in provider_id.',
        _create_volume),
    Operation(
        'delete_volume', 'delete volume', 1, 1,
        'DELETE /lun/{vol_id}; the vol_id comes from provider_id, so '
        'nothing is looked up.',
        _delete_volume),
    Operation(
        'create_snapshot', 'create snapshot', 1, 1,
        'POST /snapshot answers the snap_id, kept in provider_id.',
        _create_snapshot),
    Operation(
        'delete_snapshot', 'delete snapshot', 1, 2,
        'GET /snapshot/{snap_id} (its clones), then DELETE '
        '/snapshot/{snap_id}.',
        _delete_snapshot,
        note='The read tells clones Cinder does not know of (a deleted '
        'volume still deferred, clones made outside Cinder): the array '
        'is never asked to delete a snapshot with clones, which an array '
        'that cascades would take along. A snapshot Cinder\'s database '
        'shows dependents of is deferred without any call.'),
    Operation(
        'volume_from_snapshot', 'volume from snapshot', 1, 1,
        'POST /snapshot/clone/{snap_id} answers the new vol_id.',
        _volume_from_snapshot),
    Operation(
        'volume_from_snapshot_bigger', 'volume from snapshot, bigger', 2, 2,
        'The clone takes the snapshot\'s size (the API has no size on '
        'clone): clone, then PATCH /lun to grow it.',
        _volume_from_snapshot_bigger, core=False),
    Operation(
        'clone', 'clone volume', 2, 2,
        'The API clones snapshots, not LUNs: POST /snapshot (an internal '
        'snapshot), then POST /snapshot/clone.',
        _clone),
    Operation(
        'extend', 'extend volume', 1, 1,
        'PATCH /lun/{vol_id} with the new size.',
        _extend),
    Operation(
        'revert', 'revert to snapshot', 1, 2,
        'GET /snapshot/list?vol_id= (newer snapshots), then POST '
        '/snapshot/restore/{snap_id} (a volume extended after the '
        'snapshot needs a PATCH more to grow back).',
        _revert,
        note='The read tells array snapshots newer than the one to '
        'restore (made outside Cinder, or scheduled): the restore is then '
        'not asked (Cinder copies the snapshot), since an array that '
        'cascades would delete them and their clones.'),
    Operation(
        'attach_new_host', 'first attach of a new host', 4, 4,
        'The API creates each host object separately: POST /auth_group, '
        'PATCH /auth_group/iqn (initiator), PATCH /auth_group/chap, '
        'POST /target/iscsi with the LUN (answers its lun_number). The '
        'answer lacks the target IQN, which is <iqn_name>:<name>. '
        'Without CHAP: 3. Only the group comes first: the other three '
        'need its id alone and are made at once, so 2 round trips.',
        _attach_new_host,
        round_trips=2,
        note='The first new host of each controller a service sees costs '
        '5: the driver reads that target back (GET /iscsi_target/{id}) '
        'to confirm how the array forms target IQNs before relying on '
        'it.'),
    Operation(
        'attach_known_host', 'attach to a known host', 1, 1,
        'PUT /iscsi_target/lun/{id} answers the lun_number; the target '
        'IQN and CHAP credential are cached from the first attach.',
        _attach_known_host),
    Operation(
        'detach', 'detach', 1, 1,
        'PATCH /iscsi_target/lun/{id}; its answer lists the LUNs left, so '
        'no read tells whether the target is empty.',
        _detach),
    Operation(
        'detach_last', 'last detach of a host', 3, 3,
        'Remove the LUN, then DELETE the emptied target and the host\'s '
        'auth group (the array keeps empty objects).',
        _detach_last),
    Operation(
        'get_volume_stats', 'get_volume_stats', 4, 7,
        'GET /status/capacity (usable free and used bytes of every pool), '
        '/status/pools (health), /status/license (expiry) and /lun/list '
        '(the provisioned sizes and volume counts: /status/capacity has '
        'no provisioned figure); a fixed count, whatever the number of '
        'LUNs.',
        _stats,
        note='Plus /status/iops, /status/bandwidth and /status/cpu: the '
             'load figures filter and goodness functions can use.',
        listing=True),
    Operation(
        'manage_listing', 'manage listing', 2, 2,
        'GET /lun/list (detail list) once: names, sizes, mappings and '
        'clone origins of every LUN; and the registry of deferred '
        'deletions (GET /snapshot/list?vol_id=<registry>), because a LUN '
        'that waits there is gone for Cinder and not safe to manage.',
        _manage_listing, listing=True, requires='get_manageable_volumes'),
    Operation(
        'delete_snapshot_clone', 'delete volume made from a snapshot', 2, 2,
        'DELETE /lun, then GET /snapshot/list?vol_id=<registry>: the '
        'clone may have been the last dependent of a snapshot whose '
        'deletion was deferred, and only the registry of deferred '
        'deletions says so (the array finds no object by name).',
        _delete_snapshot_clone, core=False),
    Operation(
        'delete_full_clone', 'delete volume made by clone', 3, 3,
        'DELETE /lun, DELETE of the internal snapshot it was cloned from, '
        'then the registry listing: the source volume may have been '
        'deleted meanwhile and wait for that snapshot.',
        _delete_full_clone, core=False),
    Operation(
        'attach_host_new_to_service', 'attach, host new to this service '
        'only', 6, 6,
        'The host\'s objects exist (made before a restart or by another '
        'service): POST /auth_group fails with 409, then GET /auth_group/ '
        '(the array finds no object by name), GET /auth_group/{id} '
        '(initiators and CHAP secret), GET /iscsi_target/, '
        'GET /iscsi_target/{id} per target of the host, and the Add LUN. '
        'Once per host and service. The two listings are read at once, '
        'then the details: 4 round trips.',
        _attach_host_new_to_service, core=False, listing=True,
        round_trips=4,
        note='Creating first costs one call (the 409) for hosts the '
        'array knows, and saves two listings for truly new hosts, the '
        'common case.'),
    Operation(
        'detach_other_attachment', 'detach, volume attached twice on the '
        'host', 0, 0,
        'Another attachment of the volume on the same host still uses '
        'the mapping: Cinder\'s attachment records say so, nothing is '
        'asked of the array.',
        _detach_other_attachment, core=False),
    Operation(
        'force_detach', 'force detach (no connector)', 4, 4,
        'Without a connector the host is unknown: GET /iscsi_target/list '
        '(every target in detail) finds the targets mapping the LUN, then '
        'remove the LUN, delete the emptied target and its auth group.',
        _force_detach, core=False, listing=True),
)

BY_KEY = {op.key: op for op in OPERATIONS}


def available(operation, driver):
    """Whether the driver implements what operation needs.

    Cinder's base classes define optional methods that raise
    NotImplementedError: only the driver's own count.
    """
    if not operation.requires:
        return True
    method = getattr(type(driver), operation.requires, None)
    return getattr(method, '__module__', '').startswith('cinder_ngxstorage')
