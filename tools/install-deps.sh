#!/usr/bin/env bash
# Install what the tests and the demo need on a Debian machine (run as root):
# the system packages of bindep.txt and a virtualenv in .venv with the
# project, its test and documentation requirements, under the current
# series' upper-constraints. Safe to run again: it only adds. The older
# series' virtualenvs (.venv-SERIES) are tools/series-venv.sh's.
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

# The current series' virtualenv (.venv): its Cinder under its
# upper-constraints (tools/series.sh; reused when nothing changed).
. tools/series.sh
bash tools/series-venv.sh "$SERIES_CURRENT"
