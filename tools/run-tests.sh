#!/usr/bin/env bash
# The whole test suite: style checks, then every test (unit, functional
# against the simulator, data path through tgtd, Cinder stack). This is
# exactly what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
export PATH="$PWD/.venv/bin:$PATH"
echo "== flake8 (pep8 + hacking)"
flake8 cinder_ngxstorage tests tools benchmarks
echo "== bashate (shell style)"
bashate -i E006 -e 'E*' devstack/plugin.sh devstack/settings \
    devstack/override-defaults .ci/run $(find tools -name '*.sh' | sort)
echo "== stestr"
rm -rf .stestr
stestr init >/dev/null
stestr run --concurrency "${TEST_CONCURRENCY:-2}" "$@"
if [ "${RUN_TEMPEST:-1}" = 1 ]; then
    # Tempest's volume tests against a local Keystone + Cinder + the
    # simulator (doc/source/tempest-local.rst); RUN_TEMPEST=0 skips them.
    echo "== tempest (tools/tempest/run.sh)"
    bash tools/tempest/run.sh
fi
