#!/usr/bin/env bash
# Control one process of a stack that tools/stack/lib.sh brought up, from
# a command run against it (the crash test kills and restarts
# cinder-volume and the simulator this way).
#
# Usage: stackctl.sh kill NAME [SIGNAL]   signal NAME's process group (KILL)
#        stackctl start NAME           start NAME again, as it was started
#        stackctl alive NAME           exit 0 when NAME runs
#        stackctl pid NAME             print NAME's pid (its group id)
# Needs STACK_WORK (from $STACK_WORK/stack.env). Names: cinder-volume,
# cinder-api, cinder-scheduler, simulator, ... (the files in
# $STACK_WORK/pids). A restarted process is stopped by the stack's
# teardown like the others.
set -euo pipefail
: "${STACK_WORK:?source the stack.env of a running stack first}"
action=${1:?usage: stackctl kill|start|alive|pid NAME}
name=${2:?usage: stackctl kill|start|alive|pid NAME}
pidfile=$STACK_WORK/pids/$name
[ -f "$STACK_WORK/cmd/$name" ] || { echo "stackctl: no process $name" >&2
    exit 2; }
alive() {
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null
}
case $action in
    alive) alive ;;
    pid) cat "$pidfile" ;;
    kill)
        signal=${3:-KILL}
        pid=$(cat "$pidfile")
        kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" \
            2>/dev/null || true
        # Wait for the whole group to end (at most 30 s).
        for _ in $(seq 1 300); do
            alive || exit 0
            sleep 0.1
        done
        echo "stackctl: $name ($pid) still runs after SIG$signal" >&2
        exit 1 ;;
    start)
        if alive; then
            echo "stackctl: $name runs already" >&2
            exit 1
        fi
        # The command line was saved with printf %q: eval restores it.
        # exec: the background job becomes setsid (then the command), so
        # $! is the new group's leader; without it $! was a subshell, the
        # pid file named it, and "kill" left the restarted process running.
        eval "exec setsid $(cat "$STACK_WORK/cmd/$name")" \
            >>"$STACK_LOGS/$name.out" 2>&1 </dev/null &
        echo "$!" > "$pidfile" ;;
    *) echo "stackctl: unknown action $action" >&2
        exit 2 ;;
esac
