#!/usr/bin/env bash
# The whole test suite: style checks, then every test (unit, functional
# against the simulator, data path through tgtd, Cinder stack). This is
# exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== flake8 (pep8 + hacking)"
flake8 cinder_ngxstorage tests tools
echo "== stestr"
rm -rf .stestr
stestr init >/dev/null
stestr run --concurrency "${TEST_CONCURRENCY:-2}" "$@"
