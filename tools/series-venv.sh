#!/usr/bin/env bash
# Build (or reuse) the virtualenv of one OpenStack series: the newest
# Cinder of the series, the project with its simulator extra and the test
# requirements, all under the series' upper-constraints (tools/series.sh).
# Usage: tools/series-venv.sh SERIES   (e.g. 2024.1; the venv is
# .venv-SERIES, or .venv for the current series). The venv is reused
# as it is when its stamp (a hash of the inputs) still matches.
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/series.sh
series=${1:?usage: tools/series-venv.sh SERIES}
series_config "$series"

venv=$SERIES_VENV
stamp_inputs() {
    cat tools/series.sh tools/series-venv.sh "$SERIES_CONSTRAINTS" \
        requirements.txt test-requirements.txt doc/requirements.txt setup.cfg
    echo "$series $SERIES_CINDER"
}
stamp=$(stamp_inputs | sha256sum | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ -f "$venv/.series-stamp" ] \
    && [ "$(cat "$venv/.series-stamp")" = "$stamp" ]; then
    echo "series $series: reusing $venv (Cinder $SERIES_CINDER)"
    exit 0
fi

echo "series $series: installing $venv (Cinder $SERIES_CINDER," \
    "$SERIES_CONSTRAINTS)"
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
rm -f "$venv/.series-stamp"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The series' constraints without the test tools' pins it must not apply
# (and never the project itself).
unpin="cinder-ngxstorage $SERIES_UNPIN"
pattern=$(printf '%s\n' $unpin | sed 's/[-_.]/[-_.]/g' | paste -sd'|')
grep -v -i -E "^($pattern)([=<>!~; ]|$)" "$SERIES_CONSTRAINTS" \
    > "$work/constraints.txt"
# The test requirements without Cinder (pinned to the series' release
# below) and without what the series cannot have.
omit="cinder $SERIES_OMIT"
pattern=$(printf '%s\n' $omit | sed 's/[-_.]/[-_.]/g' | paste -sd'|')
grep -v -i -E "^($pattern)([=<>!~; \[]|$)" test-requirements.txt \
    > "$work/test-requirements.txt"

pip() {
    # Quiet unless it fails (then its whole output).
    if ! "$venv/bin/python" -m pip "$@" > "$work/pip.log" 2>&1; then
        grep -v '^WARNING: Location' "$work/pip.log" >&2 || true
        echo "series $series: pip $* failed" >&2
        return 1
    fi
}
# The current series' venv is also CI's: it builds the docs too.
docs=()
if [ "$series" = "$SERIES_CURRENT" ]; then
    docs=(-r doc/requirements.txt)
fi
pip install -q --upgrade pip
pip install -q --upgrade -c "$work/constraints.txt" "cinder==$SERIES_CINDER" \
    -r "$work/test-requirements.txt" "${docs[@]}" -e '.[simulator]'
"$venv/bin/python" - "$SERIES_CINDER" <<'PY'
import sys
from importlib import metadata
import cinder_ngxstorage  # noqa
import werkzeug  # noqa
if metadata.version('cinder') != sys.argv[1]:
    sys.exit('installed Cinder %s, not %s' % (metadata.version('cinder'),
                                                sys.argv[1]))
PY
echo "$stamp" > "$venv/.series-stamp"
echo "series $series: $venv ready"
