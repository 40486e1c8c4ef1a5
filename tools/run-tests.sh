#!/usr/bin/env bash
# The whole test suite: style checks, the documentation and release notes,
# then every test (unit, functional against the simulator, data path
# through tgtd, Cinder stack) on the current OpenStack series, the unit,
# functional and stack suites on every older supported series, and
# Tempest on the current series. This is exactly what CI runs.
#
# Environment: SERIES, the older series to test (default: all of
# tools/series.sh; "none" for none); RUN_TEMPEST=0 leaves Tempest out;
# RUN_RALLY=0 leaves the short Rally run out; RUN_CRASH=0 the crash
# test (CRASH_KILLS, 12); TEST_CONCURRENCY (2).
# Arguments go to the current series' stestr run.
# Every series and suite prints a totals line; the last line sums them.
set -uo pipefail
cd "$(dirname "$0")/.."
. tools/series.sh
t0=$SECONDS
bash tools/install-deps.sh || exit 1
t_install=$((SECONDS - t0))
echo "series $SERIES_CURRENT: install ${t_install}s (.venv)"
export PATH="$PWD/.venv/bin:$PATH"
set -e
echo "== flake8 (pep8 + hacking)"
flake8 cinder_ngxstorage tests tools benchmarks
echo "== bashate (shell style)"
bashate -i E006 -e 'E*' devstack/plugin.sh devstack/settings \
    devstack/override-defaults .ci/run $(find tools -name '*.sh' | sort)
echo "== docs and release notes (sphinx-build -W)"
t=$SECONDS
sphinx-build -q -W -b html doc/source doc/build/html
sphinx-build -q -W -b html releasenotes/source releasenotes/build/html
echo "docs and release notes built in $((SECONDS - t))s"
set +e

failed=()
totals=()
times=("series $SERIES_CURRENT: install ${t_install}s (.venv)")
record() {
    # record RC WHAT: remember WHAT as failed unless RC is 0.
    if [ "$1" != 0 ]; then
        failed+=("$2")
    fi
}

older=${SERIES:-}
if [ -z "$older" ]; then
    older=$(echo "$SERIES_ALL" | tr ' ' '\n' | grep -vx "$SERIES_CURRENT")
elif [ "$older" = none ]; then
    older=""
fi
for series in $older; do
    echo "== series $series (tools/run-series.sh)"
    log=$(mktemp)
    bash tools/run-series.sh "$series" 2>&1 | tee "$log"
    record "${PIPESTATUS[0]}" "series $series"
    mapfile -t -O ${#totals[@]} totals < <(grep -E '^series [0-9.]+ ' "$log")
    mapfile -t -O ${#times[@]} times \
        < <(grep -E '^series [0-9.]+: (install|tests) ' "$log")
    rm -f "$log"
done

echo "== series $SERIES_CURRENT: stestr (every suite)"
t=$SECONDS
rm -rf .stestr
stestr init >/dev/null
stestr run --concurrency "${TEST_CONCURRENCY:-2}" "$@"
record $? "series $SERIES_CURRENT stestr"
log=$(mktemp)
stestr last --subunit | python tools/suite_totals.py "$SERIES_CURRENT" \
    --expect unit --expect functional --expect stack --expect dataplane \
    | tee "$log"
record "${PIPESTATUS[1]}" "series $SERIES_CURRENT totals"
times+=("series $SERIES_CURRENT: tests $((SECONDS - t))s (stestr, every suite)")
echo "${times[-1]}"
mapfile -t -O ${#totals[@]} totals < "$log"
rm -f "$log"

# stack_suite NAME LOGS COMMAND...: a suite run against the local,
# multi-process stack (tools/stack/lib.sh); its runner leaves its counts
# in LOGS/summary.line, in the form of the other totals lines.
stack_suite() {
    local name=$1 logs=$2 t=$SECONDS
    shift 2
    echo "== series $SERIES_CURRENT: $name ($*)"
    rm -f "$logs/summary.line"
    "$@"
    record $? "series $SERIES_CURRENT $name"
    times+=("series $SERIES_CURRENT: $name $((SECONDS - t))s")
    echo "${times[-1]}"
    if [ -f "$logs/summary.line" ]; then
        totals+=("series $SERIES_CURRENT $(cat "$logs/summary.line")")
    else
        totals+=("series $SERIES_CURRENT $name: no result")
        failed+=("series $SERIES_CURRENT $name (no result)")
    fi
}

# Tempest's volume tests against a local Keystone + Cinder + the
# simulator (doc/source/tempest-local.rst); RUN_TEMPEST=0 skips them.
if [ "${RUN_TEMPEST:-1}" = 1 ]; then
    stack_suite tempest .tempest-logs bash tools/tempest/run.sh
fi
# A short Rally run with the ngx and the fake backend
# (doc/source/rally.rst): fails on any failed iteration. RUN_RALLY=0
# skips it.
if [ "${RUN_RALLY:-1}" = 1 ]; then
    stack_suite rally .rally-logs bash tools/rally/run.sh short
fi
# The crash test (doc/source/crash-consistency.rst), bounded: seeded
# lifecycles with cinder-volume SIGKILLed and the array restarted,
# failing on any invariant violation; RUN_CRASH=0 skips it.
if [ "${RUN_CRASH:-1}" = 1 ]; then
    stack_suite crash .crash-logs env CRASH_KILLS="${CRASH_KILLS:-12}" \
        bash tools/crash/run.sh
fi

echo "== times"
printf '%s\n' "${times[@]}"
echo "== totals ($((SECONDS - t0))s in all)"
printf '%s\n' "${totals[@]}" | grep -E ': [0-9]+ passed|no result'
if [ ${#failed[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${failed[@]}"
fi
printf '%s\n' "${totals[@]}" | python tools/suite_totals.py --sum
[ ${#failed[@]} -eq 0 ]
