#!/usr/bin/env bash
# Rally against the local stack (tools/stack/lib.sh) with two backends:
# "ngx" (the NGXStorage driver on the simulator) and "fake" (Cinder's fake
# driver, the floor to compare with), one volume type each. Runs the task
# tools/rally/task.yaml (Cinder's volume scenarios without Nova or Glance,
# and the attachments scenario of tools/rally/plugins/), then
# tools/rally/report.py on the results and the services' logs.
#
# Usage: run.sh [full|short]
#   full   concurrency 1, 4 and 8 (doc/source/rally.rst): the results go
#          to tools/rally/results/ and the documentation's table and plot
#   short  CI: a few iterations of each scenario at concurrency 2
# Environment: RALLY_VENV (.rally-venv, built from
# tools/rally/requirements.txt, rebuilt only when they change),
# RALLY_TASK_ARGS (JSON, overrides the mode's task arguments), and the
# settings of tools/stack/lib.sh (TEMPEST_VENV, ...). Logs and results of
# the last run: .rally-logs/. Exit status non-zero when an iteration
# failed (or none ran).
set -euo pipefail
{
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tools/rally
MODE=${1:-full}
RALLY_VENV=${RALLY_VENV:-$ROOT/.rally-venv}
case $MODE in
    full) ARGS='{"concurrency": [1, 4, 8], "times": {"1": 5, "4": 8, "8": 16}}' ;;
    short) ARGS='{"concurrency": [2], "times": 2}' ;;
    *) echo "usage: $0 [full|short]" >&2; exit 2 ;;
esac
ARGS=${RALLY_TASK_ARGS:-$ARGS}
T0=$(date +%s)
log() { echo "rally [+$(( $(date +%s) - T0 ))s]: $*"; }

# The Rally virtualenv is built in the background, while the stack comes
# up: both take about a minute.
STATUS=$(mktemp /tmp/ngx-rally-venv.XXXXXX)
rm -f "$STATUS"
build_venv() {
    local stamp
    stamp=$(cat "$HERE/requirements.txt" | sha256sum | cut -c1-16)
    if [ -x "$RALLY_VENV/bin/rally" ] && \
            [ "$(cat "$RALLY_VENV/.ngx-stamp" 2>/dev/null)" = "$stamp" ]; then
        echo "reused $RALLY_VENV"
        return 0
    fi
    echo "building $RALLY_VENV"
    rm -rf "$RALLY_VENV"
    python3 -m venv "$RALLY_VENV"
    # --no-compile: the byte code is written on first import instead.
    "$RALLY_VENV/bin/pip" install -q --no-compile \
        -r "$HERE/requirements.txt" 2>&1 | grep -v '^WARNING: Location' \
        || true
    "$RALLY_VENV/bin/python" -c 'import rally, rally_openstack' || return 1
    echo "$stamp" > "$RALLY_VENV/.ngx-stamp"
}
(
    t=$(date +%s)
    rc=0
    build_venv > "$STATUS.log" 2>&1 || rc=$?
    echo "$rc $(( $(date +%s) - t ))" > "$STATUS.tmp"
    mv "$STATUS.tmp" "$STATUS"
) &
VENV_PID=$!
trap 'kill "$VENV_PID" 2>/dev/null || true; rm -f "$STATUS" "$STATUS.log"' \
    EXIT

# No results of an earlier run may pass for this one's.
rm -f "$ROOT/.rally-logs/rally-report.json" "$ROOT/.rally-logs/summary.line"
rc=0
STACK_NAME=rally STACK_BACKENDS="ngx fake" STACK_KEYSTONE_CACHE=1 \
    KEEP_LOGS=$ROOT/.rally-logs RALLY_VENV=$RALLY_VENV \
    RALLY_VENV_STATUS=$STATUS RALLY_TASK_ARGS=$ARGS RALLY_MODE=$MODE \
    bash "$ROOT/tools/stack/run.sh" bash "$HERE/stack-run.sh" || rc=$?
wait "$VENV_PID" 2>/dev/null || true
L=$ROOT/.rally-logs
if [ ! -f "$L/rally-report.json" ]; then
    log "ERROR: no Rally results (see $L/rally.out)"
    exit 1
fi
report=(--logs "$L")
if [ "$MODE" = full ] && [ "$rc" = 0 ]; then
    report+=(--save "$HERE/results" --doc "$ROOT/doc/source")
fi
# The plot needs matplotlib (benchmarks/requirements.txt): the project's
# .venv has it, the Rally virtualenv not.
py=$RALLY_VENV/bin/python
if "$ROOT/.venv/bin/python" -c 'import matplotlib' 2>/dev/null; then
    py=$ROOT/.venv/bin/python
fi
"$py" "$HERE/report.py" "${report[@]}" || rc=$?
log "done in $(( $(date +%s) - T0 ))s, exit $rc"
[ -f "$L/summary.line" ] && cat "$L/summary.line"
exit "$rc"
}
