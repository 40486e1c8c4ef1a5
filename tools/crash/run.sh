#!/usr/bin/env bash
# The crash test (doc/source/crash-consistency.rst): bring up the
# multi-process stack with a persistent simulator, run tools/crash/run.py
# against it (SIGKILLs of cinder-volume, restarts of the array), tear it
# all down. Exit status: 1 on any invariant violation.
#
# Usage: tools/crash/run.sh [run.py arguments, e.g. --seed 1 --kills 30]
# Environment: CRASH_SEED (1), CRASH_KILLS (12), CRASH_ARRAY (1: also
# restart the simulator), CRASH_FAILOVER (0; 1: a dual-controller
# simulator failed over and back), and the settings of tools/stack/lib.sh
# (STACK_NAME defaults to "crash": logs and the report in .crash-logs/).
set -euo pipefail
cd "$(dirname "$0")/../.."
export STACK_NAME=${STACK_NAME:-crash}
export STACK_SIM_STATE=1
args=(--seed "${CRASH_SEED:-1}" --kills "${CRASH_KILLS:-12}")
[ "${CRASH_ARRAY:-1}" = 1 ] && args+=(--array-restarts)
if [ "${CRASH_FAILOVER:-0}" = 1 ]; then
    # A dual-controller simulator, failed over (and back) during the runs.
    export STACK_SIM_CONTROLLERS=2
    args+=(--failovers)
fi
venv=${TEMPEST_VENV:-$PWD/.tempest-venv}
exec bash tools/stack/run.sh "$venv/bin/python" "$PWD/tools/crash/run.py" \
    "${args[@]}" "$@"
