#!/usr/bin/env bash
# Bring up the OpenStackMigration lab: a small but real OpenStack Zed control
# plane on 127.0.0.1 from Debian 12 packages, with fake-driver computes.
#
#   bash tests/lab/up.sh [--cinder] [--scale N]
#
# Idempotent: run it again and it starts only what is missing, then verifies.
# All state lives in ${OSM_LAB_DIR:-<repo>/.lab}; `down.sh` removes it.
set -euo pipefail

LAB_T0=$(date +%s.%N)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
# shellcheck source=lib/configs.sh
source "$LAB_LIB/configs.sh"
# shellcheck source=lib/cinder.sh
source "$LAB_LIB/cinder.sh"

WITH_CINDER=0
SCALE=0
usage() { echo "usage: $0 [--cinder] [--scale N]" >&2; exit 2; }
while (($#)); do
  case "$1" in
    --cinder) WITH_CINDER=1 ;;
    --scale) [[ "${2:-}" =~ ^[0-9]+$ ]] || usage; SCALE="$2"; shift ;;
    --scale=*) SCALE="${1#--scale=}"; [[ "$SCALE" =~ ^[0-9]+$ ]] || usage ;;
    -h|--help) usage ;;
    *) usage ;;
  esac
  shift
done
LAB_DEBUG="${OSM_LAB_DEBUG:-false}"

[[ $EUID -eq 0 ]] || die "run as root (the lab installs Debian packages and runs MariaDB/RabbitMQ as root)"

# --- packages ---------------------------------------------------------------------
# Only the python3-* libraries plus the *-common packages that carry the paste
# files: the daemon packages (nova-compute, nova-api, glance-api, ...) pull in
# libvirt/qemu/apache or start init scripts, and the lab starts everything itself.
PKGS=(mariadb-server python3-pymysql rabbitmq-server uwsgi-core uwsgi-plugin-python3
      python3-openstackclient python3-keystone python3-placement
      python3-glance glance-common python3-neutron neutron-common
      python3-nova nova-common curl memcached
      # the real parts: HAProxy with TLS as a Pacemaker resource, a systemd
      # machine (systemd-nspawn, debootstrap) and a podman container
      haproxy openssl pacemaker corosync crmsh resource-agents pcs
      systemd-container debootstrap podman runc openssh-client)
CINDER_PKGS=(python3-cinder)

install_packages() {
  local wanted=("${PKGS[@]}") missing=() p
  ((WITH_CINDER)) && wanted+=("${CINDER_PKGS[@]}")
  # (one dpkg-query for all: it is the slow part of a run on a running lab)
  local -A ok=()
  while read -r p; do ok[$p]=1; done < <(dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null |
                                         awk '/ install ok installed$/ {print $1}')
  for p in "${wanted[@]}"; do [[ -n "${ok[$p]:-}" ]] || missing+=("$p"); done
  write_containers_conf
  ((${#missing[@]})) || return 0
  step "installing ${#missing[@]} Debian package(s): ${missing[*]}"
  # Package scripts must not start their own MariaDB/RabbitMQ on the lab's
  # ports: a policy-rc.d that denies starts, only if the machine has none.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\n# temporary, from OpenStackMigration tests/lab/up.sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"; made_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
  } >"$STATE/apt.log" 2>&1 || rc=$?
  ((made_policy)) && rm -f "$policy"
  if ((rc)); then tail -n 30 "$STATE/apt.log" >&2; die "apt-get failed (full log: $STATE/apt.log)"; fi
  step "packages installed"
}

# --- ports ---------------------------------------------------------------------------
# Fail early, and clearly, when a port the lab needs is taken by something
# that is not this lab's own (already running) service.
check_ports() {
  local spec name port who
  local specs=("mariadb:${PORT_MYSQL}" "epmd:${PORT_EPMD}" "rabbitmq:${PORT_AMQP}" "rabbitmq:${PORT_ERLDIST}" "keystone:${PORT_KEYSTONE}"
               "placement:${PORT_PLACEMENT}" "glance:${PORT_GLANCE}" "neutron:${PORT_NEUTRON}" "nova-api:${PORT_NOVA}"
               "memcached:${PORT_MEMCACHED}" "p_haproxy:${PUB_KEYSTONE}" "p_haproxy:${PUB_NOVA}"
               "p_haproxy:${PUB_PLACEMENT}" "p_haproxy:${PUB_GLANCE}" "p_haproxy:${PUB_NEUTRON}"
               "nspawn-${NODE_HOST}:${PORT_NODE_SSH}")
  ((WITH_CINDER)) && specs+=("cinder-api:${PORT_CINDER}" "p_haproxy:${PUB_CINDER}")
  for spec in "${specs[@]}"; do
    name="${spec%%:*}" port="${spec##*:}"
    is_running "$name" && continue
    who="$(ss -Hltnp "sport = :$port" 2>/dev/null | head -n 1)"
    [[ -n "$who" ]] || continue
    local pid; pid="$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' <<<"$who")"
    die "port $port (for $name) is already in use by pid ${pid:-?}: $(ps -o args= -p "${pid:-1}" 2>/dev/null | cut -c1-150)
      Another lab (or a system MariaDB/RabbitMQ) is running on this machine; stop it first (its own tests/lab/down.sh)."
  done
}

# --- secrets ------------------------------------------------------------------------
make_secrets() {
  [[ -f "$STATE/secrets.env" ]] && return 0
  gen() { head -c 18 /dev/urandom | base64 | tr -d '/+=' ; }
  ( umask 077
    { echo "ADMIN_PASSWORD=$(gen)"; echo "SERVICE_PASSWORD=$(gen)"
      echo "DB_PASSWORD=$(gen)"; echo "RABBIT_PASSWORD=$(gen)"; } >"$STATE/secrets.env" )
}

# --- memcached ------------------------------------------------------------------------
# The token cache every API's keystone_authtoken middleware shares, as the install guides
# configure it: without it each API worker process asks Keystone to validate every new
# token itself (about 0.15-0.3 s per process here).
start_memcached() {
  is_running memcached && return 0
  start_bg memcached /usr/bin/memcached -l 127.0.0.1 -p "${PORT_MEMCACHED}" -U 0 -m 64 -u root
  wait_until memcached 20 port_open "${PORT_MEMCACHED}"
  step "memcached up (127.0.0.1:${PORT_MEMCACHED})"
}

# --- MariaDB --------------------------------------------------------------------------
mysql_root() { mariadb --defaults-file="$ETC/mysql/my.cnf" -uroot "$@"; }

start_mariadb() {
  write_mariadb_conf
  if ! is_running mariadb; then
    if [[ ! -d "$STATE/mysql/mysql" ]]; then
      step "initialising MariaDB data directory"
      mariadb-install-db --defaults-file="$ETC/mysql/my.cnf" --auth-root-authentication-method=socket \
        --skip-test-db >"$LOG/mariadb-install.log" 2>&1 || { log_tail mariadb-install; die "mariadb-install-db failed"; }
    fi
    step "starting mariadb..."
    start_bg mariadb mariadbd --defaults-file="$ETC/mysql/my.cnf"
  fi
  wait_until mariadb 60 mariadb-admin --defaults-file="$ETC/mysql/my.cnf" -uroot ping
  local db sql="" dbs=(keystone placement glance neutron nova_api nova_cell0 nova)
  ((WITH_CINDER)) && dbs+=(cinder)
  for db in "${dbs[@]}"; do sql+="CREATE DATABASE IF NOT EXISTS $db; "; done
  sql+="CREATE USER IF NOT EXISTS 'osm'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}'; "
  sql+="GRANT ALL PRIVILEGES ON *.* TO 'osm'@'127.0.0.1'; FLUSH PRIVILEGES;"
  mysql_root -e "$sql"
  step "mariadb up (127.0.0.1:${PORT_MYSQL})"
}

# --- RabbitMQ ------------------------------------------------------------------------------
# RabbitMQ as root, with its own HOME (Erlang cookie) and everything under
# $STATE; epmd and the Erlang distribution port bound to loopback.
rabbit_env() {
  RABBIT_ENV=(HOME="$STATE/rabbitmq/home" ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$PORT_EPMD"
    RABBITMQ_NODENAME=osmlab@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_CONFIG_FILE="$ETC/rabbitmq/rabbitmq.conf"
    RABBITMQ_ENABLED_PLUGINS_FILE="$ETC/rabbitmq/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$STATE/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$LOG/rabbitmq"
    RABBITMQ_PID_FILE="$RUN/rabbitmq.beam.pid" RABBITMQ_DIST_PORT="${PORT_ERLDIST}"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}")
}

rabbit_ready() {
  "$PY" -c 'import sys, kombu; c = kombu.Connection(sys.argv[1], connect_timeout=3); c.connect(); c.release()' \
    "$(rabbit_url | sed s/^rabbit:/amqp:/)"
}

start_rabbitmq() {
  write_rabbitmq_conf
  mkdir -p "$LOG/rabbitmq" "$STATE/rabbitmq/mnesia"
  if ! is_running epmd; then
    start_bg epmd env ERL_EPMD_ADDRESS=127.0.0.1 epmd -address 127.0.0.1 -port "$PORT_EPMD"
  fi
  if ! is_running rabbitmq; then
    step "starting rabbitmq..."
    rabbit_env
    start_bg rabbitmq env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server
  fi
  wait_until rabbitmq 90 rabbit_ready
  step "rabbitmq up (127.0.0.1:${PORT_AMQP})"
}

# --- database schemas -------------------------------------------------------------
# The schema syncs only need MariaDB, so they run in the background, side by
# side, while RabbitMQ and Keystone start; each service waits for its own.
declare -A SYNC_PIDS=()
start_syncs() {
  local svc
  local all=(placement glance neutron nova)
  ((WITH_CINDER)) && all+=(cinder)
  for svc in "${all[@]}"; do
    [[ -f "$DONE/$svc" ]] && continue
    step "$svc db sync (background)"
    ( "sync_$svc" >>"$LOG/$svc-manage.log" 2>&1 && touch "$DONE/$svc" ) &
    SYNC_PIDS[$svc]=$!
  done
}
wait_sync() {
  local svc="$1"
  [[ -n "${SYNC_PIDS[$svc]:-}" ]] && wait "${SYNC_PIDS[$svc]}" || true
  [[ -f "$DONE/$svc" ]] || { log_tail "$svc-manage"; die "$svc db sync failed"; }
}

# --- keystone --------------------------------------------------------------------------------------------
start_keystone() {
  local conf="$ETC/keystone/keystone.conf" before=""
  [[ -f "$conf" ]] && before="$(sha256sum <"$conf")"
  write_keystone_conf
  # A running Keystone reads its settings at start: one whose settings changed (a lab started by older scripts)
  # is restarted, so re-running up.sh on a running lab applies them.
  if [[ -n "$before" && "$before" != "$(sha256sum <"$conf")" ]] && is_running keystone; then
    step "keystone settings changed: restarting keystone"
    stop_pid keystone 20
  fi
  if [[ ! -f "$DONE/keystone" ]]; then
    step "keystone db sync + bootstrap"
    { keystone-manage --config-file "$conf" db_sync &&
      keystone-manage --config-file "$conf" fernet_setup --keystone-user root --keystone-group root &&
      keystone-manage --config-file "$conf" credential_setup --keystone-user root --keystone-group root &&
      keystone-manage --config-file "$conf" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
        --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
        --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
        --bootstrap-admin-url http://127.0.0.1:${PORT_KEYSTONE}/v3 \
        --bootstrap-internal-url http://127.0.0.1:${PORT_KEYSTONE}/v3 \
        --bootstrap-public-url https://127.0.0.1:${PUB_KEYSTONE}/v3
    } >>"$LOG/keystone-manage.log" 2>&1 || { log_tail keystone-manage; die "keystone set-up failed"; }
    touch "$DONE/keystone"
  fi
  start_uwsgi keystone ${PORT_KEYSTONE} /usr/bin/keystone-wsgi-public 2 2 --env "OS_KEYSTONE_CONFIG_DIR=$ETC/keystone"
  wait_until keystone 60 http_up http://127.0.0.1:${PORT_KEYSTONE}/v3
  step "keystone up (127.0.0.1:${PORT_KEYSTONE})"
}

# --- placement ------------------------------------------------------------------------------------
sync_placement() {
  placement-manage --config-file "$ETC/placement/placement.conf" db sync
}

launch_placement() {
  wait_sync placement
  # Two processes: Placement answers one request per host and resource view in parallel fan-outs.
  start_uwsgi placement ${PORT_PLACEMENT} /usr/bin/placement-api 2 2 --env "OS_PLACEMENT_CONFIG_DIR=$ETC/placement"
}

ready_placement() {
  wait_until placement 60 http_up http://127.0.0.1:${PORT_PLACEMENT}/
  wait_until placement 30 public_up "${PUB_PLACEMENT}"
  step "placement up (127.0.0.1:${PORT_PLACEMENT})"
}

# --- glance ---------------------------------------------------------------------------------------
make_cirros_image() {
  # Not cirros (nothing can be downloaded): a tiny but valid raw disk image
  # with an MBR partition table. The fake driver never boots it.
  local f="$STATE/cirros.raw"
  [[ -f "$f" ]] && return 0
  "$PY" - "$f" <<'PYEOF'
import struct, sys
size = 1024 * 1024                      # 1 MiB raw disk
disk = bytearray(size)
# one Linux partition from sector 2048... would not fit; use sector 63..end
start, count = 63, size // 512 - 63
entry = struct.pack('<B3sB3sII', 0x80, b'\x00\x02\x00', 0x83, b'\xfe\xff\xff', start, count)
disk[446:446 + 16] = entry
disk[510:512] = b'\x55\xaa'
open(sys.argv[1], 'wb').write(disk)
PYEOF
}

sync_glance() {
  glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync
}

launch_glance() {
  local conf="$ETC/glance/glance-api.conf"
  wait_sync glance
  if ! is_running glance; then
    step "starting glance..."
    start_bg glance "$PY" -c 'import sys; sys.argv[0] = "glance-api"; from glance.cmd.api import main; main()' \
      --config-file "$conf"
  fi
}

ready_glance() {
  local conf="$ETC/glance/glance-api.conf"
  wait_until glance 60 http_up http://127.0.0.1:${PORT_GLANCE}/
  wait_until glance 30 public_up "${PUB_GLANCE}"
  step "glance up (127.0.0.1:${PORT_GLANCE})"
}

# --- neutron ---------------------------------------------------------------------------------------
NEUTRON_CONFS=(--config-file "$ETC/neutron/neutron.conf" --config-file "$ETC/neutron/ml2_conf.ini")
sync_neutron() {
  neutron-db-manage "${NEUTRON_CONFS[@]}" upgrade heads
}

launch_neutron() {
  local confs=("${NEUTRON_CONFS[@]}")
  wait_sync neutron
  if ! is_running neutron; then
    step "starting neutron..."
    start_bg neutron neutron-server "${confs[@]}"
  fi
}

ready_neutron() {
  local confs=("${NEUTRON_CONFS[@]}")
  wait_until neutron 90 http_up http://127.0.0.1:${PORT_NEUTRON}/
  wait_until neutron 30 public_up "${PUB_NEUTRON}"
  python_lab neutron-warmup
  step "neutron up (127.0.0.1:${PORT_NEUTRON})"
}

# --- nova control plane ---------------------------------------------------------------------
nova_manage() { nova-manage --config-file "$ETC/nova/nova.conf" "$@"; }

sync_nova() {   # API and cell databases, cell0 and cell1
  nova_manage api_db sync &&
  nova_manage cell_v2 map_cell0 --database_connection "$(db_url nova_cell0)" &&
  { nova_manage cell_v2 list_cells | grep -q ' cell1 ' ||
    nova_manage cell_v2 create_cell --name cell1 --transport-url "$(rabbit_url)" \
      --database_connection "$(db_url nova)"; } &&
  nova_manage db sync
}

launch_nova() {
  wait_sync nova
  launch_nova_service conductor
  launch_nova_service scheduler
  launch_nova_api
}

ready_nova() {
  local conf="$ETC/nova/nova.conf"
  local svc
  wait_until nova-api 90 http_up http://127.0.0.1:${PORT_NOVA}/
  wait_until nova-api 30 public_up "${PUB_NOVA}"
  step "nova api up (127.0.0.1:${PORT_NOVA})"
}

# --- computes ---------------------------------------------------------------------------------------
start_compute() {   # start_compute HOST [NODES]
  write_compute_conf "$1"
  launch_compute "$@"
}

compute_services_up() {   # at least $1 compute services report "up"
  local count="$1"
  [[ "$(openstack compute service list --service nova-compute -f value -c State 2>/dev/null | grep -c '^up$')" -ge "$count" ]]
}

launch_computes() {
  local h
  for h in "${BASE_COMPUTES[@]}"; do
    case "$h" in
      "$NODE_HOST"|"$CONTAINER_HOST")
        write_compute_conf "$h"
        # (a lab from before the machine/container ran them as plain processes)
        pid_running "nova-compute-$h" && stop_pid "nova-compute-$h" 20
        wait_rootfs
        if [[ "$h" == "$NODE_HOST" ]]; then start_node; else start_container; fi ;;
      *) start_compute "$h" ;;
    esac
  done
  if ((SCALE > 0)); then
    if [[ -f "$CONTROL/scale_nodes" ]] && [[ "$(cat "$CONTROL/scale_nodes")" != "$SCALE" ]] && is_running nova-compute-scale; then
      die "the scale host already runs with $(cat "$CONTROL/scale_nodes") nodes; run down.sh first to change it"
    fi
    echo "$SCALE" >"$CONTROL/scale_nodes"
  fi
  [[ -f "$CONTROL/scale_nodes" ]] && start_compute scale "$(cat "$CONTROL/scale_nodes")"
  return 0
}

ready_computes() {
  local h want=${#BASE_COMPUTES[@]} hyps=${#BASE_COMPUTES[@]}
  if [[ -f "$CONTROL/scale_nodes" ]]; then
    want=$((want + 1)); hyps=$((hyps + $(cat "$CONTROL/scale_nodes")))
  fi
  # Wait for the services, map their nodes into cell1, then wait for the
  # hypervisors (a 500-node host needs a while to create its providers).
  ready_node
  local end=$((SECONDS + 120))
  until compute_services_up "$want"; do
    for h in $(compute_services); do is_running "$h" || fail_service "$h" "$h exited during start-up"; done
    ((SECONDS < end)) || fail_service nova-compute-compute1 "compute services not up after 120s"
    sleep 1
  done
  step "$want compute service(s) up"
  local tmo=$((90 + hyps))   # about 0.5 s per fake node on 2 cores
  end=$((SECONDS + tmo))
  # (os-hypervisors also lists nodes not yet mapped to a cell, so always map
  # once, then again until every node is there.)
  while true; do
    nova_manage cell_v2 discover_hosts >>"$LOG/nova-manage.log" 2>&1 || true
    python_lab wait-hypervisors "$hyps" --timeout 1 >/dev/null 2>&1 && break
    if ((SECONDS >= end)); then
      python_lab wait-hypervisors "$hyps" --timeout 1 || true
      fail_service nova-compute-compute1 "hypervisors missing after ${tmo}s (see $LOG/nova-compute-*.log)"
    fi
    sleep 2
  done
  step "$hyps hypervisor(s) mapped"
}

# --- seed ----------------------------------------------------------------------------------------
seed() {
  local c=(); ((WITH_CINDER)) && c=(--cinder)
  python_lab compute-seed "${c[@]}"
  make_cirros_image
  python_lab image cirros "$STATE/cirros.raw"
  python_lab boot cirros_vm --host compute1 --flavor m1.tiny
}

# What the module's tests read: shell KEY=VALUE lines (documented in README.md).
write_parts_env() {
  local cinder_url=""
  [[ -f "$CONTROL/cinder" ]] && cinder_url="https://127.0.0.1:${PUB_CINDER}/v3"
  cat >"$STATE/parts.env.tmp" <<EOT
# The lab's real parts (tests/lab/README.md). Generated by up.sh.
OSM_LAB_DIR=$STATE
OSM_LAB_PORT_OFFSET=$P_OFF
OSM_LAB_OPENRC=$STATE/openrc
OSM_LAB_CLOUDS_YAML=$STATE/clouds.yaml
OSM_LAB_CACERT=$TLS/ca.pem
OSM_LAB_CAKEY=$TLS/ca.key
OSM_LAB_SERVER_CERT=$TLS/server.pem
OSM_LAB_SERVER_KEY=$TLS/server.key
OSM_LAB_HAPROXY_PEM=$TLS/haproxy.pem
OSM_LAB_HAPROXY_CFG=$HAPROXY_CFG
OSM_LAB_HAPROXY_LOG=$LOG/haproxy.log
OSM_LAB_HAPROXY_PIDFILE=$HAPROXY_PID
OSM_LAB_HAPROXY_SOCKET=$RUN/haproxy.sock
OSM_LAB_HAPROXY_RESOURCE=p_haproxy
OSM_LAB_COROSYNC_CONF=$COROSYNC_CONF
OSM_LAB_KEYSTONE_URL=https://127.0.0.1:${PUB_KEYSTONE}/v3
OSM_LAB_NOVA_URL=https://127.0.0.1:${PUB_NOVA}/v2.1
OSM_LAB_PLACEMENT_URL=https://127.0.0.1:${PUB_PLACEMENT}
OSM_LAB_GLANCE_URL=https://127.0.0.1:${PUB_GLANCE}
OSM_LAB_NEUTRON_URL=https://127.0.0.1:${PUB_NEUTRON}
OSM_LAB_CINDER_URL=${cinder_url}
OSM_LAB_NODE_NAME=$NODE_HOST
OSM_LAB_NODE_HOST=127.0.0.1
OSM_LAB_NODE_SSH_PORT=$PORT_NODE_SSH
OSM_LAB_NODE_USER=root
OSM_LAB_NODE_KEY=$NODE_KEY
OSM_LAB_NODE_KNOWN_HOSTS=$NODE_KNOWN_HOSTS
OSM_LAB_NODE_SERVICE=nova-compute
OSM_LAB_NODE_CONF=/etc/nova/nova.conf
OSM_LAB_NODE_ROOT=$NODE_ROOT
OSM_LAB_CONTAINER=$CONTAINER_NAME
OSM_LAB_CONTAINER_HOST=$CONTAINER_HOST
OSM_LAB_CONTAINER_CONF=$KOLLA_DIR/nova.conf
OSM_LAB_CONTAINER_CONF_IN_CONTAINER=/etc/nova/nova.conf
OSM_LAB_DOCKER=$STATE/bin/docker
EOT
  mv "$STATE/parts.env.tmp" "$STATE/parts.env"
}

main() {
  mkdir -p "$STATE" "$ETC" "$LOG" "$RUN" "$DONE" "$CONTROL" "$STATE/lock"
  chmod 700 "$STATE"
  if ((WITH_CINDER)) && [[ ! -f "$CONTROL/cinder" ]]; then
    if is_running nova-api; then
      # Nova reads its [cinder] settings at start: restart it with them.
      step "adding cinder to a running lab: restarting nova"
      mapfile -t novas < <(all_services | grep '^nova-')
      stop_pids 20 "${novas[@]}"
      halt_compute "$NODE_HOST"; halt_compute "$CONTAINER_HOST"
    fi
    touch "$CONTROL/cinder"
  fi
  [[ -f "$CONTROL/cinder" ]] && WITH_CINDER=1   # once a lab has cinder, keep it
  if [[ -s "$STATE/port_offset" && "$(cat "$STATE/port_offset")" != "$P_OFF" ]] && is_running mariadb; then
    die "this lab runs with OSM_LAB_PORT_OFFSET=$(cat "$STATE/port_offset"), not $P_OFF; run down.sh first to change it"
  fi
  echo "$P_OFF" >"$STATE/port_offset"
  step "lab state in $STATE (ports offset by $P_OFF)"
  install_packages
  check_ports
  start_rootfs
  make_secrets
  load_secrets
  make_tls
  local cfg_changed=0
  write_haproxy_conf && cfg_changed=1
  write_haproxy_monitor
  start_cluster
  export LAB_SERVICE_PASSWORD="$SERVICE_PASSWORD"
  if ((WITH_CINDER)); then fetch_cinder_common; fi
  write_placement_conf; write_glance_conf; write_neutron_conf; write_nova_conf
  if ((WITH_CINDER)); then write_cinder_conf; fi
  start_memcached
  start_mariadb
  start_syncs
  start_rabbitmq
  start_keystone
  ready_cluster "$cfg_changed"
  write_openrc
  # shellcheck disable=SC1091
  source "$STATE/openrc"
  # Keystone users, services and endpoints (once per lab, and again when
  # --cinder is added to an existing lab; -tls: public endpoints through HAProxy).
  local seeded="$DONE/keystone-seed-tls"
  ((WITH_CINDER)) && seeded+="-cinder"
  if [[ ! -f "$seeded" ]]; then
    local c=(); ((WITH_CINDER)) && c=(--cinder)
    python_lab keystone-seed "${c[@]}"
    touch "$seeded"
  fi
  # Start every API and daemon at once (they only need Keystone, RabbitMQ and
  # MariaDB), then wait for each: much faster than one after the other.
  launch_placement
  launch_glance
  launch_neutron
  launch_nova
  ((WITH_CINDER)) && launch_cinder
  launch_computes
  ready_placement
  ready_glance
  ready_neutron
  ready_nova
  ((WITH_CINDER)) && ready_cinder
  ready_computes
  seed
  if ((WITH_CINDER)); then seed_cinder; fi
  check_public || die "an API does not answer through HAProxy as it should (above; $LOG/haproxy.log)"
  step "public endpoints answer over https through p_haproxy"
  write_docker_shim
  write_parts_env
  step "lab is up: source $STATE/openrc (or OS_CLOUD=osm-lab with $STATE/clouds.yaml)"
}

main
