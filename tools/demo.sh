#!/usr/bin/env bash
# The main job: start the NGXStorage simulator and walk a volume's life
# through the Cinder driver, printing a table of the steps.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
exec .venv/bin/python tools/demo.py "$@"
