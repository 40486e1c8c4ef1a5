#!/usr/bin/env bash
# The main job: real Cinder (API, scheduler, volume service, in one process)
# serving NGXStorage volumes from the simulator, with real iSCSI I/O when
# tgtd is installed; walks a volume's life through the Cinder REST API and
# prints a table of the steps. --keep leaves Cinder running (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
exec .venv/bin/python tools/demo.py "$@"
