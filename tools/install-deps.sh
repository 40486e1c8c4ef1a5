#!/usr/bin/env bash
# Install what the tests and the demo need on a Debian machine (run as root):
# the system packages of bindep.txt and a virtualenv in .venv with the
# project and its test requirements. Safe to run again: it only adds.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=$(sed -n 's/^\([a-z0-9][a-z0-9.+-]*\) \[.*platform:dpkg.*\]$/\1/p' bindep.txt)
missing=()
for pkg in $packages; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
        || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "install-deps: missing Debian packages: ${missing[*]} (run as root)" >&2
        exit 1
    fi
    echo "install-deps: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/pip install -q -r test-requirements.txt -e '.[simulator]' 2>&1 \
    | grep -v '^WARNING: Location' || true
.venv/bin/python -c 'import cinder, cinder_ngxstorage, werkzeug' \
    || { echo "install-deps: the virtualenv is incomplete" >&2; exit 1; }
