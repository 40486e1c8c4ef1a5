#!/usr/bin/env bash
# Tempest's volume API tests and cinder-tempest-plugin's API tests against
# a real, local OpenStack Block Storage stack whose only backend is the
# NGXStorage driver talking to the simulator:
#
#   MariaDB + RabbitMQ (Debian packages) -> Keystone (uWSGI) ->
#   cinder-api, cinder-scheduler, cinder-volume (backend "ngx") ->
#   ngxstorage-simulator (with its iSCSI data plane when it has one).
#
# Everything listens on 127.0.0.1 only and lives in a temporary folder.
# Every process started here is stopped on exit, whatever happens; the
# logs of the last run are kept in .tempest-logs/. The Python packages
# come from a separate virtualenv (.tempest-venv, or $TEMPEST_VENV), built
# from tools/tempest/requirements.txt and rebuilt only when that file
# changes. Exit status: non-zero when a test failed (or nothing ran).
#
# Usage: run.sh [REGEX of the tests to run]
# Environment: TEMPEST_VENV, TEMPEST_CONCURRENCY (2), TEMPEST_TIMEOUT
# (seconds for the test run, 2400), TEMPEST_REGEX (as the argument),
# TEMPEST_DATAPLANE (auto|on|off).
# Run as root on a Debian machine (tools/install-deps.sh installs the
# Debian packages of bindep.txt).
set -euo pipefail
# The whole script is one block: bash reads all of it before running any
# of it, so editing this file during a run does not change that run.
{

CONCURRENCY=${TEMPEST_CONCURRENCY:-2}
TIMEOUT=${TEMPEST_TIMEOUT:-2400}
REGEX=${1:-${TEMPEST_REGEX:-'^(tempest\.api\.volume\.|cinder_tempest_plugin\.api\.volume\.|ngxstorage_tempest\.tests\.)'}}
STACK_NAME=tempest
KEEP_LOGS=$(cd "$(dirname "$0")/../.." && pwd)/.tempest-logs
# The stack (MariaDB, RabbitMQ, Keystone, Cinder, the simulator).
. "$(dirname "$0")/../stack/lib.sh"
stack_up

# -- Tempest ----------------------------------------------------------------
TW=$WORK/tempest
"$VENV/bin/tempest" init --workspace-path "$WORK/workspace.yaml" "$TW" \
    >"$LOGS/tempest-init.out" 2>&1
"$PY" "$HERE/stack.py" tempest-conf --auth-url "$KS_URL/v3" \
    --admin-password "$ADMIN_PW" --out "$TW/etc/tempest.conf" \
    --log-file "$LOGS/tempest.log" --lock-path "$TW/locks" \
    --backend-name ngxstorage \
    --manage-volume-ref "${TEMPEST_MANAGE_VOLUME_REF:-source-name,volume-%s}" \
    --manage-snapshot-ref "${TEMPEST_MANAGE_SNAPSHOT_REF:-source-name,snapshot-%s}"
export TEMPEST_CONFIG_DIR=$TW/etc
log "running $REGEX, concurrency $CONCURRENCY ($DP_TEXT)"
T_RUN0=$(date +%s)
rc=0
# In the background, in its own group, and waited for: a signal to this
# script then tears down at once (bash runs traps only between commands).
(cd "$TW" && exec setsid timeout "$TIMEOUT" "$VENV/bin/tempest" run \
    --concurrency "$CONCURRENCY" --regex "$REGEX" \
    --exclude-list "$HERE/exclude.txt" </dev/null) &
PROCS+=("tempest:$!")
wait "$!" || rc=$?
T_RUN=$(( $(date +%s) - T_RUN0 ))
[ "$rc" = 124 ] && log "ERROR: the test run hit TEMPEST_TIMEOUT (${TIMEOUT}s)"
src=0
(cd "$TW" && "$VENV/bin/stestr" last --subunit) >"$LOGS/tempest.subunit"
"$PY" "$HERE/stack.py" summary --json "$LOGS/summary.json" \
    --line-file "$LOGS/summary.line" --seconds "$T_RUN" \
    <"$LOGS/tempest.subunit" || src=$?
log "times: virtualenv ${T_VENV}s, bring-up ${T_UP}s, tests ${T_RUN}s"
cp -a "$TW/etc/tempest.conf" "$LOGS/tempest.conf"
if [ "$rc" != 0 ] || [ "$src" != 0 ]; then
    exit 1
fi
exit 0
}
