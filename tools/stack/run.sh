#!/usr/bin/env bash
# Run a command against a real, local, multi-process Cinder stack (see
# tools/stack/lib.sh): the stack is brought up, the command runs with the
# stack's settings in its environment ($STACK_WORK/stack.env: OS_* for the
# admin user, CINDER_CONF, SIM_URL, SIM_ADMIN_TOKEN, STACKCTL, ...), and
# everything is torn down afterwards, whatever happens. The exit status is
# the command's.
#
# Usage: run.sh COMMAND [ARGS...]
# Environment: the settings of tools/stack/lib.sh (STACK_NAME,
# STACK_BACKENDS, STACK_KEYSTONE_CACHE, TEMPEST_DATAPLANE, ...).
set -euo pipefail
{
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
. "$(dirname "$0")/lib.sh"
stack_up
rc=0
# In the background, in its own group, and waited for: a signal to this
# script then tears down at once.
(. "$WORK/stack.env" && exec setsid "$@" </dev/null) &
PROCS+=("command:$!")
wait "$!" || rc=$?
log "command exited with $rc"
exit "$rc"
}
