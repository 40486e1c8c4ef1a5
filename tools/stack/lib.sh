# shellcheck shell=bash
# A real, local OpenStack Block Storage stack, as separate processes:
#
#   MariaDB + RabbitMQ (Debian packages) -> Keystone (uWSGI) ->
#   cinder-api, cinder-scheduler, cinder-volume (backend "ngx", and
#   Cinder's fake driver as backend "fake" when asked) ->
#   ngxstorage-simulator (with its iSCSI data plane when it has one).
#
# Sourced by tools/tempest/run.sh (Tempest), tools/stack/run.sh (any
# command against the stack: the crash test, Rally). Everything listens
# on 127.0.0.1 only and lives in a temporary folder; every process started
# here is stopped on exit, also one restarted by the command through
# "stackctl" (the pid files in $STACK_WORK/pids). The logs of the last run
# are kept in $KEEP_LOGS with the run's made-up secrets masked.
#
# Settings (environment, before sourcing):
#   STACK_NAME        name in log lines and the kept-logs folder (stack)
#   KEEP_LOGS         where the logs are kept (.${STACK_NAME}-logs)
#   TEMPEST_VENV      the virtualenv (.tempest-venv), built from
#                     tools/tempest/requirements.txt when they change
#   TEMPEST_DATAPLANE auto|on|off: the simulator's iSCSI data plane
#   STACK_BACKENDS    "ngx" (default) or "ngx fake": enabled backends
#   STACK_KEYSTONE_CACHE  1: Keystone's [cache] (oslo_cache.dict, each
#                     uWSGI process's memory: token validations and the
#                     look-ups behind them) and keystonemiddleware's token
#                     cache time said explicitly (doc/source/rally.rst),
#                     so Keystone is not the bottleneck under load; 0
#                     (default) as before
#   STACK_API_WORKERS osapi_volume_workers (2)
#   STACK_SIM_STATE   1: the simulator keeps a state file (written after
#                     every change), so that it can be restarted
#   STACK_SIM_CONTROLLERS 2: a dual-controller simulator (pool1 on A,
#                     pool2 on B, a portal group each); 1 (default) as before
# Run as root on a Debian machine (tools/install-deps.sh installs the
# Debian packages of bindep.txt).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tools/tempest
STACK_NAME=${STACK_NAME:-stack}
VENV=${TEMPEST_VENV:-$ROOT/.tempest-venv}
DATAPLANE=${TEMPEST_DATAPLANE:-auto}
KEEP_LOGS=${KEEP_LOGS:-$ROOT/.$STACK_NAME-logs}
STACK_BACKENDS=${STACK_BACKENDS:-ngx}
STACK_KEYSTONE_CACHE=${STACK_KEYSTONE_CACHE:-0}
STACK_API_WORKERS=${STACK_API_WORKERS:-2}
STACK_SIM_STATE=${STACK_SIM_STATE:-0}
STACK_SIM_CONTROLLERS=${STACK_SIM_CONTROLLERS:-1}
T0=$(date +%s)

log() { echo "$STACK_NAME [+$(( $(date +%s) - T0 ))s]: $*"; }
die() {
    echo "$STACK_NAME: ERROR: $* [logs: ${KEEP_LOGS#"$ROOT"/}/]" >&2
    exit 1
}

[ "$(id -u)" = 0 ] \
    || die "run as root: mariadbd runs as --user=root, the simulator's tgtd too"

# stack_venv: build or reuse the virtualenv. Rebuilt when the pins, the
# project's packaging or its location change.
stack_venv() {
    local stamp
    stamp=$(cat "$HERE/requirements.txt" "$ROOT/setup.cfg" \
        "$HERE/plugin/pyproject.toml" <(echo "$ROOT") \
        | sha256sum | cut -c1-16)
    if [ ! -x "$VENV/bin/tempest" ] || \
            [ "$(cat "$VENV/.ngx-stamp" 2>/dev/null)" != "$stamp" ]; then
        log "building $VENV (pip cache: $(python3 -m pip cache dir \
            2>/dev/null || echo none))"
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q -r "$HERE/requirements.txt" \
            -e "$ROOT[simulator]" -e "$HERE/plugin" 2>&1 \
            | grep -v '^WARNING: Location' || true
        "$VENV/bin/python" -c \
            'import cinder, keystone, tempest, pymysql, ngxstorage_tempest' \
            || die "the virtualenv $VENV is incomplete"
        [ -x "$VENV/bin/uwsgi" ] || die "uwsgi did not install into $VENV"
        echo "$stamp" > "$VENV/.ngx-stamp"
    fi
    T_VENV=$(( $(date +%s) - T0 ))
    log "virtualenv ready in ${T_VENV}s"
    PY=$VENV/bin/python
    SITE=$("$PY" -c \
        'import sysconfig; print(sysconfig.get_paths()["purelib"])')
}

# -- processes and teardown -------------------------------------------------
declare -a PROCS=()   # "name:pgid", in start order
declare -a SECRETS=()

# start NAME CMD...: run CMD in its own session (pid == process group id);
# its pid file is $WORK/pids/NAME, its command line $WORK/cmd/NAME.
start() {
    local name=$1 pid i
    shift
    setsid "$@" >>"$LOGS/$name.out" 2>&1 </dev/null &
    pid=$!
    PROCS+=("$name:$pid")
    echo "$pid" > "$WORK/pids/$name"
    printf '%q ' "$@" > "$WORK/cmd/$name"
    # Return once it leads its own group (setsid has run), or has ended.
    for i in $(seq 1 200); do
        [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.05
    done
}

# The group, or its leader should it not lead a group yet.
group_alive() { kill -0 -- "-$1" 2>/dev/null || kill -0 "$1" 2>/dev/null; }

stop_group() {
    local name=$1 pgid=$2 signal=$3 i
    group_alive "$pgid" || return 0
    kill "-$signal" -- "-$pgid" 2>/dev/null || kill "-$signal" "$pgid" \
        2>/dev/null || true
    for i in $(seq 1 150); do
        group_alive "$pgid" || return 0
        sleep 0.2
    done
    log "$name ($pgid) ignored SIG$signal for 30s: killing it"
    kill -KILL -- "-$pgid" 2>/dev/null || kill -KILL "$pgid" 2>/dev/null \
        || true
    sleep 0.5
}

teardown() {
    local rc=$? entry name pgid left=() f
    set +eu
    trap - EXIT INT TERM
    log "teardown"
    # Processes the command restarted (stackctl) first, by their pid files.
    for f in "$WORK"/pids/*; do
        [ -f "$f" ] || continue
        name=$(basename "$f")
        case " ${PROCS[*]} " in
            *" $name:$(cat "$f") "*) ;;
            *) PROCS+=("$name:$(cat "$f")") ;;
        esac
    done
    for (( i=${#PROCS[@]}-1; i>=0; i-- )); do
        entry=${PROCS[$i]}
        name=${entry%%:*}
        pgid=${entry##*:}
        case $name in
            rabbitmq)
                "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl \
                    -n "$RABBIT_NODE" stop >/dev/null 2>&1
                stop_group "$name" "$pgid" TERM ;;
            keystone) stop_group "$name" "$pgid" INT ;;
            *) stop_group "$name" "$pgid" TERM ;;
        esac
    done
    for entry in "${PROCS[@]}"; do
        group_alive "${entry##*:}" && left+=("${entry%%:*}")
    done
    rm -rf "$KEEP_LOGS"
    cp -a "$LOGS" "$KEEP_LOGS" 2>/dev/null
    # The run's secrets (all made up for this run) stay out of kept logs.
    for s in "${SECRETS[@]}"; do
        grep -rlF -- "$s" "$KEEP_LOGS" 2>/dev/null \
            | xargs -r sed -i "s/$s/***/g"
    done
    rm -rf "$WORK"
    if [ ${#left[@]} -gt 0 ]; then
        log "ERROR: still running after teardown: ${left[*]}"
        [ "$rc" = 0 ] && rc=1
    else
        log "teardown done: every process started here has stopped"
    fi
    log "logs kept in $KEEP_LOGS; total $(( $(date +%s) - T0 ))s"
    # The counts once more, as the last line.
    [ -f "$KEEP_LOGS/summary.line" ] && cat "$KEEP_LOGS/summary.line"
    exit "$rc"
}

# stack_up: bring the whole stack up; sets the variables the runners use
# (PY, VENV, WORK, LOGS, KS_URL, CINDER_URL, ADMIN_PW, C (Cinder's folder),
# SIM_URL, SIM_TOKEN, SIM_ADMIN, PORTAL_GROUP, DP_TEXT, T_VENV, T_UP) and
# writes them to $WORK/stack.env for commands run against the stack.
stack_up() {
    stack_venv
    for tool in mariadbd mariadb-install-db mariadb-admin mariadb epmd; do
        command -v "$tool" >/dev/null \
            || die "$tool not found: install mariadb-server and rabbitmq-server"
    done
    [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] \
        || die "rabbitmq-server not found: install it (bindep.txt)"
    WORK=$(mktemp -d "/tmp/ngx-$STACK_NAME.XXXXXX")
    LOGS=$WORK/logs
    mkdir -p "$LOGS" "$WORK/pids" "$WORK/cmd"
    trap teardown EXIT
    trap 'exit 130' INT TERM
    read -r P_DB P_RMQ P_DIST P_EPMD P_KS P_CINDER P_SIM P_ISCSI \
        <<<"$("$PY" "$HERE/stack.py" ports 8)"
    DB_PW=$(secret)
    ADMIN_PW=$(secret)
    CINDER_PW=$(secret)
    SIM_TOKEN=$(secret)$(secret)
    SECRETS=("$DB_PW" "$ADMIN_PW" "$CINDER_PW" "$SIM_TOKEN")
    up_mariadb
    up_rabbitmq
    up_simulator
    up_keystone
    up_cinder
    T_UP=$(( $(date +%s) - T0 - T_VENV ))
    write_env
    log "stack up in ${T_UP}s"
}

secret() { "$PY" -c 'import secrets; print(secrets.token_hex(12))'; }

up_mariadb() {
    DB_SOCK=$WORK/mysql.sock
    mariadb-install-db --no-defaults --datadir="$WORK/mysql" --user=root \
        --skip-test-db --skip-name-resolve >"$LOGS/mariadb-install.out" 2>&1 \
        || die "mariadb-install-db failed (see mariadb-install.out)"
    start mariadb mariadbd --no-defaults --datadir="$WORK/mysql" \
        --socket="$DB_SOCK" --port="$P_DB" --bind-address=127.0.0.1 \
        --pid-file="$WORK/mysql.pid" --user=root --skip-name-resolve \
        --log-error="$LOGS/mariadb.log" --max-connections=500 \
        --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=0 \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
    for i in $(seq 1 120); do
        mariadb-admin --socket="$DB_SOCK" -uroot ping >/dev/null 2>&1 \
            && break
        sleep 0.5
    done
    mariadb-admin --socket="$DB_SOCK" -uroot ping >/dev/null 2>&1 \
        || die "MariaDB did not start (see mariadb.log)"
    mariadb --socket="$DB_SOCK" -uroot <<EOF
CREATE DATABASE keystone CHARACTER SET utf8mb4;
CREATE DATABASE cinder CHARACTER SET utf8mb4;
CREATE USER 'stack'@'127.0.0.1' IDENTIFIED BY '$DB_PW';
GRANT ALL PRIVILEGES ON keystone.* TO 'stack'@'127.0.0.1';
GRANT ALL PRIVILEGES ON cinder.* TO 'stack'@'127.0.0.1';
EOF
    DB_URL="mysql+pymysql://stack:$DB_PW@127.0.0.1:$P_DB"
    log "MariaDB on 127.0.0.1:$P_DB"
}

up_rabbitmq() {
    RABBIT_NODE=ngx$STACK_NAME@localhost
    mkdir -p "$WORK/rabbitmq/home"
    echo "listeners.tcp.default = 127.0.0.1:$P_RMQ" \
        > "$WORK/rabbitmq/rabbitmq.conf"
    echo "[]." > "$WORK/rabbitmq/enabled_plugins"
    RABBIT_ENV=(env HOME="$WORK/rabbitmq/home"
        RABBITMQ_NODENAME="$RABBIT_NODE"
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$P_RMQ"
        RABBITMQ_DIST_PORT="$P_DIST" ERL_EPMD_ADDRESS=127.0.0.1
        ERL_EPMD_PORT="$P_EPMD"
        RABBITMQ_CONFIG_FILE="$WORK/rabbitmq/rabbitmq"
        RABBITMQ_ENABLED_PLUGINS_FILE="$WORK/rabbitmq/enabled_plugins"
        RABBITMQ_MNESIA_BASE="$WORK/rabbitmq/mnesia"
        RABBITMQ_LOG_BASE="$LOGS/rabbitmq"
        RABBITMQ_PID_FILE="$WORK/rabbitmq/pid")
    # Our own epmd on a loopback port, so that Erlang does not leave a
    # daemon of its own behind.
    start epmd env ERL_EPMD_ADDRESS=127.0.0.1 epmd -port "$P_EPMD"
    start rabbitmq "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
    for i in $(seq 1 120); do
        "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl \
            -n "$RABBIT_NODE" -t 60 await_startup \
            >"$LOGS/rabbitmq-await.out" 2>&1 && break
        group_alive "${PROCS[-1]##*:}" || break
        sleep 1
    done
    "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n "$RABBIT_NODE" \
        status >/dev/null 2>&1 \
        || die "RabbitMQ did not start (see rabbitmq.*)"
    log "RabbitMQ on 127.0.0.1:$P_RMQ"
}

up_simulator() {
    local has_dataplane=no ready
    sim_args=(--host 127.0.0.1 --port "$P_SIM" --token "$SIM_TOKEN")
    if [ "$STACK_SIM_STATE" = 1 ]; then
        # Saved after every change, so that a command can restart the
        # array (stackctl) and find its objects again.
        sim_args+=(--state-file "$WORK/sim-state.json")
    fi
    if [ "$STACK_SIM_CONTROLLERS" = 2 ]; then
        # Two controllers: pool1 on A, pool2 on B, a portal group each
        # (the crash test fails them over, POST /_sim/failover).
        sim_args+=(--pool pool1:2T:A --pool pool2:2T:B)
    else
        sim_args+=(--pool pool1:2T --pool pool2:2T)
    fi
    if "$VENV/bin/ngxstorage-simulator" --help 2>/dev/null \
            | grep -q -- '--iscsi'; then
        has_dataplane=yes
    fi
    if [ "$DATAPLANE" = on ] && [ $has_dataplane = no ]; then
        die "TEMPEST_DATAPLANE=on but the simulator has no --iscsi"
    fi
    if [ $has_dataplane = yes ] && [ "$DATAPLANE" != off ]; then
        sim_args+=(--iscsi --data-dir "$WORK/sim-data")
        DP_TEXT="data plane ON: tgtd on 127.0.0.1:$P_ISCSI, LUN data in sparse files"
    else
        DP_TEXT="data plane OFF: control plane only (LUNs exist in the model)"
    fi
    if [ "$STACK_SIM_CONTROLLERS" = 2 ]; then
        sim_args+=(--portal-group "pgA:A:127.0.0.1:$P_ISCSI"
            --portal-group "pgB:B:127.0.0.2:$P_ISCSI")
    else
        sim_args+=(--portal "127.0.0.1:$P_ISCSI")
    fi
    mkdir -p "$WORK/sim-data"
    start simulator "$VENV/bin/ngxstorage-simulator" "${sim_args[@]}"
    for i in $(seq 1 120); do
        grep -q '"url"' "$LOGS/simulator.out" 2>/dev/null && break
        group_alive "${PROCS[-1]##*:}" || break
        sleep 0.5
    done
    ready=$(grep -m1 '"url"' "$LOGS/simulator.out" || true)
    [ -n "$ready" ] || die "the simulator did not start (see simulator.out)"
    SIM_ADMIN=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["admin_token"])' "$ready")
    SECRETS+=("$SIM_ADMIN")
    PORTAL_GROUP=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["portal_group_id"])' "$ready")
    SIM_URL=http://127.0.0.1:$P_SIM
    log "simulator on 127.0.0.1:$P_SIM, portal group $PORTAL_GROUP; $DP_TEXT"
    grep '^ngxstorage-simulator:' "$LOGS/simulator.out" | while read -r line
    do
        log "$line"
    done
}

up_keystone() {
    local ks=$WORK/keystone cache=false
    KS_URL=http://127.0.0.1:$P_KS
    mkdir -p "$ks"
    [ "$STACK_KEYSTONE_CACHE" = 1 ] && cache=true
    cat > "$ks/keystone.conf" <<EOF
[DEFAULT]
log_file = $LOGS/keystone.log
[database]
connection = $DB_URL/keystone?charset=utf8mb4
[token]
provider = fernet
[fernet_tokens]
key_repository = $ks/fernet-keys
[credential]
key_repository = $ks/credential-keys
[identity]
password_hash_rounds = 4
[cache]
enabled = $cache
backend = oslo_cache.dict
EOF
    ksm() { "$VENV/bin/keystone-manage" --config-file "$ks/keystone.conf" "$@"; }
    ksm db_sync >"$LOGS/keystone-manage.out" 2>&1 \
        || die "keystone-manage db_sync failed (see keystone-manage.out)"
    ksm fernet_setup --keystone-user root --keystone-group root \
        >>"$LOGS/keystone-manage.out" 2>&1
    ksm credential_setup --keystone-user root --keystone-group root \
        >>"$LOGS/keystone-manage.out" 2>&1
    ksm bootstrap --bootstrap-password "$ADMIN_PW" \
        --bootstrap-admin-url "$KS_URL/v3" \
        --bootstrap-internal-url "$KS_URL/v3" \
        --bootstrap-public-url "$KS_URL/v3" \
        --bootstrap-region-id RegionOne >>"$LOGS/keystone-manage.out" 2>&1 \
        || die "keystone-manage bootstrap failed"
    cat > "$ks/uwsgi.ini" <<EOF
[uwsgi]
http-socket = 127.0.0.1:$P_KS
wsgi-file = $SITE/keystone/wsgi/api.py
virtualenv = $VENV
processes = 2
threads = 1
master = true
lazy-apps = true
die-on-term = true
buffer-size = 65535
# uWSGI's plain http-socket closes the connection after each answer:
# say so, or clients reuse it and get "connection reset".
add-header = Connection: close
env = OS_KEYSTONE_CONFIG_DIR=$ks
logto = $LOGS/keystone-uwsgi.log
EOF
    start keystone "$VENV/bin/uwsgi" --ini "$ks/uwsgi.ini"
    "$PY" "$HERE/stack.py" wait-http "$KS_URL/v3" 120 \
        || die "Keystone did not start (see keystone*.log)"
    CINDER_URL=http://127.0.0.1:$P_CINDER
    "$PY" "$HERE/stack.py" keystone-setup --auth-url "$KS_URL/v3" \
        --admin-password "$ADMIN_PW" --cinder-password "$CINDER_PW" \
        --cinder-url "$CINDER_URL"
    log "Keystone on $KS_URL (token cache: $cache)"
}

up_cinder() {
    local backends token_cache="" fake="" wait_for=(--backend tempest@ngx#pool1)
    C=$WORK/cinder
    mkdir -p "$C/locks"
    backends=$(echo "$STACK_BACKENDS" | tr ' ' ',')
    if [ "$STACK_KEYSTONE_CACHE" = 1 ]; then
        # keystonemiddleware keeps validated tokens (in-process) for 5 min.
        # That is its default already (no memcached_servers: each worker's
        # memory); said here so that it stays so. Rally's run shows one
        # validation per token and worker, not per request.
        token_cache="token_cache_time = 300"
    fi
    case " $STACK_BACKENDS " in
        *" fake "*)
            # Cinder's own fake driver: the floor Rally compares with. It
            # reports the backend name "fake" whatever is configured.
            fake="[fake]
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake"
            # Its one pool is named after the backend name: host@fake#fake.
            wait_for+=(--backend tempest@fake#fake) ;;
    esac
    cat > "$C/cinder.conf" <<EOF
[DEFAULT]
debug = true
log_dir = $LOGS
state_path = $C
host = tempest
my_ip = 127.0.0.1
transport_url = rabbit://guest:guest@127.0.0.1:$P_RMQ/
auth_strategy = keystone
osapi_volume_listen = 127.0.0.1
osapi_volume_listen_port = $P_CINDER
osapi_volume_workers = $STACK_API_WORKERS
api_paste_config = $VENV/etc/cinder/api-paste.ini
resource_query_filters_file = $VENV/etc/cinder/resource_filters.json
rootwrap_config = $VENV/etc/cinder/rootwrap.conf
enabled_backends = $backends
scheduler_driver_init_wait_time = 5
[database]
connection = $DB_URL/cinder?charset=utf8mb4
[keystone_authtoken]
www_authenticate_uri = $KS_URL/v3
auth_url = $KS_URL/v3
auth_type = password
user_domain_name = Default
project_domain_name = Default
project_name = service
username = cinder
password = $CINDER_PW
service_token_roles_required = true
$token_cache
[oslo_concurrency]
lock_path = $C/locks
[oslo_messaging_rabbit]
heartbeat_timeout_threshold = 0
[ngx]
volume_driver = cinder_ngxstorage.driver.NGXStorageISCSIDriver
volume_backend_name = ngxstorage
san_ip = 127.0.0.1
san_api_port = $P_SIM
ngxstorage_use_https = false
ngxstorage_api_token = $SIM_TOKEN
ngxstorage_pools = pool1
ngxstorage_portal_group = $PORTAL_GROUP
$fake
EOF
    chmod 600 "$C/cinder.conf"
    "$VENV/bin/cinder-manage" --config-file "$C/cinder.conf" db sync \
        >"$LOGS/cinder-manage.out" 2>&1 \
        || die "cinder-manage db sync failed (see cinder-manage.out)"
    for svc in api scheduler volume; do
        start "cinder-$svc" "$VENV/bin/cinder-$svc" \
            --config-file "$C/cinder.conf"
    done
    "$PY" "$HERE/stack.py" wait-http "$CINDER_URL/" 120 \
        || die "cinder-api did not start (see cinder-api.log)"
    "$PY" "$HERE/stack.py" wait-cinder --auth-url "$KS_URL/v3" \
        --admin-password "$ADMIN_PW" "${wait_for[@]}" \
        --seconds 180 || die "Cinder is not ready (see cinder-*.log)"
    log "Cinder on $CINDER_URL: backends $backends up"
}

# write_env: what a command run against the stack needs, as shell
# assignments in $WORK/stack.env (mode 600: it holds the run's secrets).
write_env() {
    (
        umask 077
        {
            printf 'export STACK_WORK=%q\n' "$WORK"
            printf 'export STACK_LOGS=%q\n' "$LOGS"
            printf 'export STACK_VENV=%q\n' "$VENV"
            printf 'export STACK_BACKENDS=%q\n' "$STACK_BACKENDS"
            printf 'export CINDER_CONF=%q\n' "$C/cinder.conf"
            printf 'export CINDER_URL=%q\n' "$CINDER_URL"
            printf 'export OS_AUTH_URL=%q\n' "$KS_URL/v3"
            printf 'export OS_USERNAME=admin OS_PROJECT_NAME=admin\n'
            printf 'export OS_USER_DOMAIN_NAME=Default\n'
            printf 'export OS_PROJECT_DOMAIN_NAME=Default\n'
            printf 'export OS_PASSWORD=%q\n' "$ADMIN_PW"
            printf 'export OS_IDENTITY_API_VERSION=3\n'
            printf 'export SIM_URL=%q\n' "$SIM_URL"
            printf 'export SIM_TOKEN=%q\n' "$SIM_TOKEN"
            printf 'export SIM_ADMIN_TOKEN=%q\n' "$SIM_ADMIN"
            printf 'export SIM_STATE_FILE=%q\n' "$WORK/sim-state.json"
            printf 'export SIM_PORTAL_GROUP=%q\n' "$PORTAL_GROUP"
            printf 'export STACKCTL=%q\n' "$ROOT/tools/stack/stackctl.sh"
        } > "$WORK/stack.env"
    )
}
