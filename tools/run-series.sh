#!/usr/bin/env bash
# The test suites of one OpenStack series in that series' virtualenv
# (tools/series-venv.sh builds or reuses it): tests/unit, tests/functional
# and tests/stack by default, or the suites named after the series (unit,
# functional, stack, dataplane). Prints the install time, one totals line
# per suite ("series 2024.1 unit: N passed, N failed, N skipped") and the
# time of the tests; exits non-zero when the install or a test failed.
# Usage: tools/run-series.sh SERIES [SUITE...]
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/series.sh
series=${1:?usage: tools/run-series.sh SERIES [SUITE...]}
shift
series_config "$series"
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
    suites=(unit functional stack)
fi

start=$SECONDS
bash tools/series-venv.sh "$series"
installed=$SECONDS
echo "series $series: install $((installed - start))s"

regex="^tests\\.($(IFS='|'; echo "${suites[*]}"))\\."
exclude=()
if [ -n "$SERIES_EXCLUDE" ]; then
    echo "series $series: excluded (needs a tool the series cannot" \
        "have, tools/series.sh): $SERIES_EXCLUDE"
    exclude=(--exclude-regex "$SERIES_EXCLUDE")
fi
if [ "$series" != "$SERIES_CURRENT" ]; then
    echo "series $series: run on the current series only" \
        "(tools/series.sh): $SERIES_CURRENT_ONLY"
    exclude=(--exclude-regex \
        "${SERIES_EXCLUDE:+$SERIES_EXCLUDE|}$SERIES_CURRENT_ONLY")
fi
expect=()
for suite in "${suites[@]}"; do
    expect+=(--expect "$suite")
done

# Each series keeps its own stestr repository, beside the current
# series' .stestr, from run to run: stestr balances its two workers with
# the test times of the previous run.
repo=".stestr-$series"
export PATH="$PWD/$SERIES_VENV/bin:$PATH"
if [ ! -d "$repo/.stestr" ]; then
    rm -rf "$repo"
    mkdir -p "$repo"
    stestr --repo-url "$repo" init >/dev/null
fi
rc=0
stestr --repo-url "$repo" run --concurrency "${TEST_CONCURRENCY:-2}" \
    "${exclude[@]}" "$regex" > "$repo/run.log" 2>&1 || rc=$?
tail -n 4 "$repo/run.log"
if [ $rc -ne 0 ]; then
    # The failures in full (stestr's output has them).
    grep -v "^{[0-9]" "$repo/run.log" | tail -n 200
fi
stestr --repo-url "$repo" last --subunit \
    | python tools/suite_totals.py "$series" "${expect[@]}" || rc=1
echo "series $series: tests $((SECONDS - installed))s" \
    "(install + tests $((SECONDS - start))s)"
exit $rc
