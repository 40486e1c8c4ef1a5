#!/bin/bash
#
# cinder-ngxstorage devstack plugin.
#
# Installs the NGXStorage driver into devstack's Cinder, writes a backend
# section for every ngxstorage:NAME entry of CINDER_ENABLED_BACKENDS,
# creates volume types and sets Tempest's feature flags. Without
# NGXSTORAGE_SAN_IP it runs ngxstorage-simulator (service ngx-sim, with its
# iSCSI data plane) as the array, so a devstack works on any VM.
#
# devstack sources this file with the mode and phase as arguments:
#   stack install      install the driver (and the simulator's needs)
#   stack post-config  start the simulator, adjust the backend sections
#   stack extra        create the extra volume types
#   stack test-config  set Tempest's volume feature flags
#   unstack            stop the simulator
#   clean              remove the simulator's data
# Backend sections themselves are written by devstack's configure_cinder,
# which calls configure_cinder_backend_ngxstorage NAME (defined here).

# Save trace setting
_XTRACE_NGXSTORAGE=$(set +o | grep xtrace)
set -o xtrace

NGXSTORAGE_DRIVER=cinder_ngxstorage.driver.NGXStorageISCSIDriver
NGXSTORAGE_SIM_SERVICE=ngx-sim

# ngxstorage_backend_names: names of the ngxstorage:NAME backends.
function ngxstorage_backend_names {
    local be
    for be in ${CINDER_ENABLED_BACKENDS//,/ }; do
        if [[ "${be%%:*}" == "ngxstorage" ]]; then
            echo "${be##*:}"
        fi
    done
}

# ngxstorage_sim_pool_names: pool names of NGXSTORAGE_SIM_POOLS, commas.
function ngxstorage_sim_pool_names {
    local spec names=""
    for spec in $NGXSTORAGE_SIM_POOLS; do
        names+="${spec%%:*},"
    done
    echo "${names%,}"
}

# ngxstorage_sim_portals: the simulated portal group's portals.
function ngxstorage_sim_portals {
    echo "${NGXSTORAGE_SIM_PORTALS:-${SERVICE_HOST:-127.0.0.1}:3261}"
}

# install_ngxstorage: the driver into Cinder's Python environment (with
# the simulator extra in simulator mode), under devstack's constraints.
function install_ngxstorage {
    if [[ "$NGXSTORAGE_SIMULATOR" == "True" ]]; then
        setup_develop "$NGXSTORAGE_DIR" simulator
        if [[ "$NGXSTORAGE_SIM_ISCSI" == "True" ]]; then
            install_package tgt
        fi
        # A new stack is a new array: drop a previous run's LUNs.
        sudo rm -rf "$NGXSTORAGE_SIM_DIR"
    else
        setup_develop "$NGXSTORAGE_DIR"
    fi
}

# configure_cinder_backend_ngxstorage NAME: the backend section NAME.
# devstack's configure_cinder calls it for each ngxstorage:NAME backend.
function configure_cinder_backend_ngxstorage {
    local name=$1
    iniset $CINDER_CONF $name volume_driver $NGXSTORAGE_DRIVER
    iniset $CINDER_CONF $name volume_backend_name $name
    iniset $CINDER_CONF $name san_thin_provision $NGXSTORAGE_THIN
    iniset $CINDER_CONF $name use_chap_auth $NGXSTORAGE_CHAP
    if [[ "$NGXSTORAGE_SIMULATOR" == "True" ]]; then
        iniset $CINDER_CONF $name san_ip $NGXSTORAGE_SIM_HOST
        iniset $CINDER_CONF $name san_api_port $NGXSTORAGE_SIM_PORT
        iniset $CINDER_CONF $name ngxstorage_use_https False
        iniset $CINDER_CONF $name ngxstorage_api_token $NGXSTORAGE_SIM_TOKEN
        iniset $CINDER_CONF $name ngxstorage_pools \
            "$(ngxstorage_sim_pool_names)"
        # By name until the simulator tells its id (post-config).
        iniset $CINDER_CONF $name ngxstorage_portal_group DefaultPortalGroup
        return
    fi
    if [[ -z "$NGXSTORAGE_API_TOKEN" ]]; then
        die $LINENO "NGXSTORAGE_SAN_IP is set but NGXSTORAGE_API_TOKEN is not"
    fi
    iniset $CINDER_CONF $name san_ip $NGXSTORAGE_SAN_IP
    if [[ -n "$NGXSTORAGE_SAN_API_PORT" ]]; then
        iniset $CINDER_CONF $name san_api_port $NGXSTORAGE_SAN_API_PORT
    fi
    iniset $CINDER_CONF $name ngxstorage_use_https $NGXSTORAGE_USE_HTTPS
    iniset $CINDER_CONF $name driver_ssl_cert_verify $NGXSTORAGE_VERIFY_TLS
    if [[ -n "$NGXSTORAGE_CA_BUNDLE" ]]; then
        iniset $CINDER_CONF $name driver_ssl_cert_path $NGXSTORAGE_CA_BUNDLE
    fi
    iniset $CINDER_CONF $name ngxstorage_api_token $NGXSTORAGE_API_TOKEN
    iniset $CINDER_CONF $name ngxstorage_pools $NGXSTORAGE_POOLS
    iniset $CINDER_CONF $name ngxstorage_portal_group \
        "$NGXSTORAGE_PORTAL_GROUP"
    if [[ -n "$NGXSTORAGE_ISCSI_PORTALS" ]]; then
        iniset $CINDER_CONF $name ngxstorage_iscsi_portals \
            $NGXSTORAGE_ISCSI_PORTALS
    fi
}

# cleanup_cinder_backend_ngxstorage NAME: nothing on the host to clean
# (volumes live on the array); called by devstack's cleanup_cinder.
function cleanup_cinder_backend_ngxstorage {
    :
}

# ngxstorage_sim_command: the simulator's command line (for run_process).
function ngxstorage_sim_command {
    local bin=${NGXSTORAGE_SIM_BIN:-$(get_python_exec_prefix)/ngxstorage-simulator}
    local cmd="$bin --host $NGXSTORAGE_SIM_HOST --port $NGXSTORAGE_SIM_PORT"
    cmd+=" --token $NGXSTORAGE_SIM_TOKEN"
    cmd+=" --admin-token $NGXSTORAGE_SIM_ADMIN_TOKEN"
    cmd+=" --state-file $NGXSTORAGE_SIM_DIR/state.json"
    local spec
    for spec in $NGXSTORAGE_SIM_POOLS; do
        cmd+=" --pool $spec"
    done
    for spec in $(ngxstorage_sim_portals); do
        cmd+=" --portal $spec"
    done
    for spec in $NGXSTORAGE_SIMULATOR_VARIANTS; do
        cmd+=" --variant $spec"
    done
    if [[ "$NGXSTORAGE_SIM_ISCSI" == "True" ]]; then
        cmd+=" --iscsi --data-dir $NGXSTORAGE_SIM_DIR/data"
    fi
    # The ready line (one JSON object) goes to a file the plugin reads.
    echo "/bin/bash -c 'exec $cmd >$NGXSTORAGE_SIM_DIR/ready.json'"
}

# ngxstorage_ready_field FIELD: a field of the simulator's ready line.
function ngxstorage_ready_field {
    ${PYTHON:-python3} - "$NGXSTORAGE_SIM_DIR/ready.json" "$1" <<'EOF'
import json
import sys

with open(sys.argv[1]) as handle:
    lines = [line for line in handle if line.strip()]
ready = json.loads(lines[-1])
value = ready[sys.argv[2]]
print(','.join(value) if isinstance(value, list) else value)
EOF
}

# start_ngxstorage_simulator: run ngx-sim and wait for its ready line.
function start_ngxstorage_simulator {
    local user=$STACK_USER
    if [[ "$NGXSTORAGE_SIM_ISCSI" == "True" ]]; then
        # tgtd, the data plane's iSCSI target, needs root.
        user=root
    fi
    mkdir -p "$NGXSTORAGE_SIM_DIR"
    if [[ "$user" != "$STACK_USER" ]]; then
        sudo chown "$user" "$NGXSTORAGE_SIM_DIR"
    fi
    sudo rm -f "$NGXSTORAGE_SIM_DIR/ready.json"
    run_process $NGXSTORAGE_SIM_SERVICE "$(ngxstorage_sim_command)" "" $user
    local waited=0
    until [[ -s "$NGXSTORAGE_SIM_DIR/ready.json" ]] && \
            ngxstorage_ready_field url >/dev/null 2>&1; do
        if (( waited >= NGXSTORAGE_SIM_TIMEOUT )); then
            die $LINENO "ngxstorage-simulator did not start in" \
                "${NGXSTORAGE_SIM_TIMEOUT}s (journalctl -u" \
                "devstack@$NGXSTORAGE_SIM_SERVICE)"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    local url token group
    url=$(ngxstorage_ready_field url)
    token=$(ngxstorage_ready_field token)
    group=$(ngxstorage_ready_field portal_group_id)
    if [[ "$token" != "$NGXSTORAGE_SIM_TOKEN" ]]; then
        die $LINENO "ngxstorage-simulator serves another API token"
    fi
    if [[ "$url" != "http://$NGXSTORAGE_SIM_HOST:$NGXSTORAGE_SIM_PORT" ]]; then
        die $LINENO "ngxstorage-simulator listens on $url, not on" \
            "$NGXSTORAGE_SIM_HOST:$NGXSTORAGE_SIM_PORT"
    fi
    local name
    for name in $(ngxstorage_backend_names); do
        iniset $CINDER_CONF $name ngxstorage_portal_group $group
    done
    echo "ngxstorage-simulator ready at $url (portal group $group)"
}

# stop_ngxstorage_simulator: stop ngx-sim (its state file stays).
function stop_ngxstorage_simulator {
    stop_process $NGXSTORAGE_SIM_SERVICE
}

# create_ngxstorage_volume_types: a type per backend (if devstack did not
# make it) and, with NGXSTORAGE_CREATE_THICK_TYPE, NAME-thick.
function create_ngxstorage_volume_types {
    local name
    for name in $(ngxstorage_backend_names); do
        if ! openstack volume type show $name >/dev/null 2>&1; then
            openstack volume type create \
                --property volume_backend_name=$name $name
        fi
        if [[ "$NGXSTORAGE_CREATE_THICK_TYPE" == "True" ]] && \
                ! openstack volume type show $name-thick >/dev/null 2>&1; then
            openstack volume type create \
                --property volume_backend_name=$name \
                --property provisioning:type=thick $name-thick
        fi
    done
}

# ngxstorage_driver_implements METHOD: whether the driver's package
# defines METHOD (Cinder's base classes only have stubs of the optional
# ones).
function ngxstorage_driver_implements {
    grep -qE "^ +def $1\(" "$NGXSTORAGE_DIR"/cinder_ngxstorage/*.py
}

# configure_ngxstorage_tempest: Tempest's flags from what the driver does.
function configure_ngxstorage_tempest {
    local names
    names=$(ngxstorage_backend_names | paste -sd, -)
    iniset $TEMPEST_CONFIG volume storage_protocol iSCSI
    iniset $TEMPEST_CONFIG volume vendor_name NGXStorage
    iniset $TEMPEST_CONFIG volume backend_names $names
    if [[ "$names" == *,* ]]; then
        iniset $TEMPEST_CONFIG volume-feature-enabled multi_backend True
    fi
    iniset $TEMPEST_CONFIG volume-feature-enabled snapshot True
    iniset $TEMPEST_CONFIG volume-feature-enabled clone True
    iniset $TEMPEST_CONFIG volume-feature-enabled extend_attached_volume True
    iniset $TEMPEST_CONFIG volume-feature-enabled \
        extend_volume_with_snapshot True
    # cinder-tempest-plugin's revert tests.
    iniset $TEMPEST_CONFIG volume-feature-enabled volume_revert True
    iniset $TEMPEST_CONFIG volume-feature-enabled consistency_group False
    iniset $TEMPEST_CONFIG volume-feature-enabled replication False
    # Tempest's manage tests name the object "volume-<id>" and
    # "snapshot-<id>" (its defaults), which the driver resolves.
    local manage=False manage_snapshot=False
    if ngxstorage_driver_implements manage_existing; then
        manage=True
        iniset $TEMPEST_CONFIG volume manage_volume_ref \
            "$NGXSTORAGE_TEMPEST_MANAGE_VOLUME_REF"
    fi
    if ngxstorage_driver_implements manage_existing_snapshot; then
        manage_snapshot=True
        iniset $TEMPEST_CONFIG volume manage_snapshot_ref \
            "$NGXSTORAGE_TEMPEST_MANAGE_SNAPSHOT_REF"
    fi
    iniset $TEMPEST_CONFIG volume-feature-enabled manage_volume $manage
    iniset $TEMPEST_CONFIG volume-feature-enabled manage_snapshot \
        $manage_snapshot
}

if [[ "$1" == "stack" ]] && is_service_enabled cinder; then
    if [[ -z "$(ngxstorage_backend_names)" ]]; then
        [[ "$2" != "install" ]] || warn $LINENO "cinder-ngxstorage: no ngxstorage:NAME backend in \
CINDER_ENABLED_BACKENDS; nothing to do"
    elif [[ "$2" == "install" ]]; then
        echo_summary "Installing the NGXStorage Cinder driver"
        install_ngxstorage
    elif [[ "$2" == "post-config" ]]; then
        if [[ "$NGXSTORAGE_SIMULATOR" == "True" ]]; then
            echo_summary "Starting the NGXStorage simulator"
            start_ngxstorage_simulator
        fi
    elif [[ "$2" == "extra" ]]; then
        if is_service_enabled c-api; then
            echo_summary "Creating NGXStorage volume types"
            create_ngxstorage_volume_types
        fi
    elif [[ "$2" == "test-config" ]]; then
        if is_service_enabled tempest; then
            configure_ngxstorage_tempest
        fi
    fi
fi

if [[ "$1" == "unstack" ]]; then
    if [[ "$NGXSTORAGE_SIMULATOR" == "True" ]]; then
        stop_ngxstorage_simulator
    fi
fi

if [[ "$1" == "clean" ]]; then
    sudo rm -rf "$NGXSTORAGE_SIM_DIR"
fi

# Restore xtrace
$_XTRACE_NGXSTORAGE
