#!/usr/bin/env bash
# The OpenStack release series the driver supports and tests, sourced by
# tools/series-venv.sh and tools/run-series.sh (doc/source/install.rst,
# "Supported OpenStack releases", is the table of the same facts).
#
# For each series: the newest Cinder release of that series, installed
# with the series' upper-constraints (tools/constraints/, copies of
# openstack/requirements' upper-constraints.txt of the stable branch).
# Test tools only, never the driver's or Cinder's runtime dependencies:
#   SERIES_UNPIN  packages whose upper-constraint pin is dropped so a test
#                 tool can resolve (a current schemathesis 4 needs pytest
#                 >= 8.4 and anyio >= 4.5); only packages that no runtime
#                 library of the series needs,
#   SERIES_OMIT   test requirements not installed on that series (they
#                 cannot be had with its pins),
#   SERIES_EXCLUDE  a regex of the test ids that need an omitted tool;
#                 the series runner excludes them explicitly (they are
#                 not skipped: under CI=true a missing tool fails a test).

# Tests run on the current series only, to keep CI within its time: the
# variant matrix (645 tests, the driver under every simulator reading; it
# exercises the driver's reading of the array, which no Cinder release
# changes, and the functional driver suite it builds on runs everywhere),
# and the simulator's own suites (about 1,150 tests of a program made of
# the standard library and Werkzeug only, no OpenStack library; every
# driver test on every series runs against it, so it runs under each
# series' Werkzeug anyway).
# The fault matrices (every driver operation x every REST call x each
# HTTP fault or bad answer) and the acceptance kit's suite go with the
# variant matrix: they test how the driver reads the array's answers, and
# the functional driver suite runs everywhere.
SERIES_CURRENT_ONLY='^tests\.functional\.driver\.test_variant_matrix\.'
SERIES_CURRENT_ONLY+='|^tests\.(unit|functional)\.simulator\.'
SERIES_CURRENT_ONLY+='|^tests\.functional\.driver\.test_(fault_matrix|bad_responses)\.'
SERIES_CURRENT_ONLY+='|^tests\.functional\.array_check\.'

# Oldest first; the last one is the current series (.venv, the whole suite).
SERIES_ALL="2024.1 2024.2 2025.1 2025.2 2026.1 2026.2"
SERIES_CURRENT=2026.2

series_config() {
    SERIES_UNPIN=""
    SERIES_OMIT=""
    SERIES_EXCLUDE=""
    case "$1" in
        2024.1)
            SERIES_CINDER=24.5.0
            # typing-extensions 4.9.0 is a runtime pin of the series; no
            # schemathesis 4 accepts it (>= 4.12.2), and older ones break
            # on the hypothesis the property tests need.
            SERIES_OMIT="schemathesis"
            SERIES_EXCLUDE='^tests\.functional\.simulator\.test_fuzz\.SimulatorFuzzTest\.test_schema_driven$'
            ;;
        2024.2)
            SERIES_CINDER=25.3.1
            # anyio 4.4.0 (needed by no runtime library of the series)
            # holds Schemathesis at a release that fails on current
            # Hypothesis.
            SERIES_UNPIN="pytest anyio"
            ;;
        2025.1)
            SERIES_CINDER=26.3.0
            SERIES_UNPIN="pytest"
            ;;
        2025.2)
            SERIES_CINDER=27.0.0
            ;;
        2026.1)
            SERIES_CINDER=28.0.0
            ;;
        2026.2)
            SERIES_CINDER=29.0.0
            ;;
        *)
            echo "series: unknown series '$1' (one of: $SERIES_ALL)" >&2
            return 1
            ;;
    esac
    SERIES_CONSTRAINTS="tools/constraints/upper-constraints-$1.txt"
    if [ "$1" = "$SERIES_CURRENT" ]; then
        SERIES_VENV=.venv
    else
        SERIES_VENV=".venv-$1"
    fi
}
