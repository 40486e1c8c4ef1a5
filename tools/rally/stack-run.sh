#!/usr/bin/env bash
# The part of tools/rally/run.sh that runs against the stack (started by
# tools/stack/run.sh, with $STACK_WORK/stack.env in the environment):
# volume types, Rally's database and environment, the task, and what
# report.py needs besides Rally's results (CPU per process at start and
# end, the simulator's request log). Everything lands in $STACK_LOGS,
# which the stack keeps as .rally-logs/.
set -euo pipefail
# One block: bash reads all of it before running it.
{
HERE=$(cd "$(dirname "$0")" && pwd)
: "${STACK_WORK:?run through tools/stack/run.sh}"
OUT=$STACK_LOGS
R=$STACK_WORK/rally
mkdir -p "$R"
T0=$(date +%s)
log() { echo "rally [+$(( $(date +%s) - T0 ))s]: $*"; }

# The Rally virtualenv, built meanwhile by run.sh.
for _ in $(seq 1 1200); do
    [ -f "$RALLY_VENV_STATUS" ] && break
    sleep 0.5
done
[ -f "$RALLY_VENV_STATUS" ] || { log "ERROR: no Rally virtualenv"; exit 1; }
read -r vrc vsec < "$RALLY_VENV_STATUS"
cat "$RALLY_VENV_STATUS.log"
[ "$vrc" = 0 ] || { log "ERROR: building $RALLY_VENV failed"; exit 1; }
log "Rally virtualenv ready (${vsec}s, waited $(( $(date +%s) - T0 ))s)"
echo "$vsec" > "$OUT/rally-venv.seconds"
RALLY=("$RALLY_VENV/bin/rally" --config-file "$R/rally.conf")

# One volume type per backend; two users in projects of their own with
# no volume quotas, made once here rather than by Rally's users context in
# every subtask (that made and removed users and projects: some 4 s a
# subtask); Rally's environment spec.
(umask 077; "$RALLY_VENV/bin/python" "$HERE/setup_env.py" \
    ngx=ngxstorage fake=fake > "$R/env.json")
log "volume types ngx (volume_backend_name=ngxstorage) and fake (fake);" \
    "users rally-1, rally-2"

cat > "$R/rally.conf" <<EOF
[DEFAULT]
log_file = $OUT/rally.log
[database]
connection = sqlite:///$R/rally.sqlite
[openstack]
# Rally's defaults (2 s before the first poll, then every 1 s) would
# round every create to whole seconds.
cinder_volume_create_prepoll_delay = 0.1
cinder_volume_create_poll_interval = 0.2
cinder_volume_delete_poll_interval = 0.2
EOF
"${RALLY[@]}" db create >/dev/null
# Not logged: its output shows the spec, passwords included.
"${RALLY[@]}" env create --name stack --spec "$R/env.json" >/dev/null 2>&1 \
    || { log "ERROR: rally env create"; exit 1; }

"$RALLY_VENV/bin/python" "$HERE/report.py" snapshot --work "$STACK_WORK" \
    --out "$OUT/cpu-start.json"
log "task ($RALLY_MODE): $RALLY_TASK_ARGS"
rc=0
"${RALLY[@]}" --plugin-paths "$HERE/plugins" task start \
    --task "$HERE/task.yaml" --task-args "$RALLY_TASK_ARGS" \
    >"$OUT/rally.out" 2>&1 || rc=$?
"$RALLY_VENV/bin/python" "$HERE/report.py" snapshot --work "$STACK_WORK" \
    --out "$OUT/cpu-end.json"
"${RALLY[@]}" task report --json --out "$OUT/rally-report.json" \
    >/dev/null 2>&1 || rc=1
if [ "$RALLY_MODE" = full ]; then
    "${RALLY[@]}" task report --out "$OUT/rally-report.html" \
        >/dev/null 2>&1 || true
fi
curl -sf -H "X-Sim-Admin: $SIM_ADMIN_TOKEN" "$SIM_URL/_sim/requests" \
    > "$OUT/sim-requests.json" || log "the simulator's request log: not read"
grep -E '^(Task|\| )' "$OUT/rally.out" | tail -5 || true
log "rally task exited $rc"
exit "$rc"
}
