# shellcheck shell=bash
# Shared helpers for the lab scripts (up.sh, down.sh, status.sh, scenario.sh).
# Sourced, never executed. Callers have already done `set -euo pipefail`.

LAB_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_HOME="$(cd "$LAB_LIB/.." && pwd)"                 # tests/lab
LAB_REPO="$(cd "$LAB_HOME/../.." && pwd)"             # the checkout
STATE="${OSM_LAB_DIR:-$LAB_REPO/.lab}"
# Everything lives under $STATE; nothing is written anywhere else (except apt).
ETC="$STATE/etc"
LOG="$STATE/log"
RUN="$STATE/run"          # pid files
DONE="$STATE/done"        # markers of one-time set-up steps (db sync, bootstrap...)
CONTROL="$STATE/control"  # files read by the fake computes at run time (hold, small host)

# Ports, all on 127.0.0.1. OSM_LAB_PORT_OFFSET (default 0) shifts every one
# of them, so a second lab (another checkout, OSM_LAB_DIR elsewhere) can run
# beside the first, e.g. OSM_LAB_PORT_OFFSET=10000.
# up.sh records the offset in the state folder; the other scripts reuse it.
if [[ -z "${OSM_LAB_PORT_OFFSET:-}" && -s "$STATE/port_offset" ]]; then
  OSM_LAB_PORT_OFFSET="$(cat "$STATE/port_offset")"
fi
P_OFF="${OSM_LAB_PORT_OFFSET:-0}"
[[ "$P_OFF" =~ ^[0-9]+$ ]] || { echo "OSM_LAB_PORT_OFFSET must be a number" >&2; exit 2; }
export PORT_MYSQL=$((3306 + P_OFF)) PORT_EPMD=$((4369 + P_OFF)) PORT_AMQP=$((5672 + P_OFF))
export PORT_ERLDIST=$((25672 + P_OFF)) PORT_KEYSTONE=$((5000 + P_OFF))
export PORT_PLACEMENT=$((8778 + P_OFF)) PORT_GLANCE=$((9292 + P_OFF))
export PORT_NEUTRON=$((9696 + P_OFF)) PORT_NOVA=$((8774 + P_OFF)) PORT_CINDER=$((8776 + P_OFF))
export PORT_MEMCACHED=$((11211 + P_OFF))
# Public (TLS, HAProxy) ports: the backend's port + 30000. With the offsets the
# lab allows (0, 1000, 10000) none of them meets another lab port (the nearest
# is RabbitMQ's distribution port 25672 + 10000 = 35672).
export PUB_KEYSTONE=$((PORT_KEYSTONE + 30000)) PUB_NOVA=$((PORT_NOVA + 30000))
export PUB_PLACEMENT=$((PORT_PLACEMENT + 30000)) PUB_GLANCE=$((PORT_GLANCE + 30000))
export PUB_NEUTRON=$((PORT_NEUTRON + 30000)) PUB_CINDER=$((PORT_CINDER + 30000))
export PORT_NODE_SSH=$((2203 + P_OFF))      # sshd of the systemd-nspawn node (compute3)
export PORT_COROSYNC=$((5405 + P_OFF))      # corosync knet, UDP

TLS="$STATE/tls"           # lab CA and server certificate (HAProxy)
NODE_HOST=compute3         # runs as a systemd-nspawn machine, nova-compute.service
CONTAINER_HOST=compute2    # runs in the podman container nova_compute
CONTAINER_NAME=nova_compute
# The Debian rootfs both are made from, built once per machine (debootstrap)
# and kept out of the state folder so down.sh does not throw it away.
ROOTFS_CACHE=/var/cache/osm-lab/rootfs-bookworm
BASE_IMAGE=localhost/osm-lab-base

LAB_T0=${LAB_T0:-$(date +%s.%N)}

# The computes the lab always has; `--scale N` adds a host named "scale".
# compute4..6 are plain processes (about 100 MB each) so a rolling maintenance
# has six hosts to go through.
BASE_COMPUTES=(compute1 compute2 compute3 compute4 compute5 compute6)

log() { printf '[lab] %s\n' "$*"; }
# Seconds since the script started, for the progress lines.
elapsed() { awk -v a="$LAB_T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1fs", b-a}'; }
step() { log "$* ($(elapsed))"; }
die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# --- process bookkeeping -----------------------------------------------------
# Every process is started in its own session (setsid), so its pid is also its
# process-group id: stopping the group also stops the children it forked
# (uwsgi workers, the Erlang VM under the rabbitmq wrapper, ...).

pidfile() { echo "$RUN/$1.pid"; }

# is_running NAME: the nova-compute of the machine and of the container are
# not processes of ours (systemd's and podman's): ask those.
is_running() {
  case "$1" in
    "nova-compute-$NODE_HOST") node_unit_active ;;
    "nova-compute-$CONTAINER_HOST") container_running ;;
    *) pid_running "$1" ;;
  esac
}

pid_running() {   # pid_running NAME: the process of $RUN/NAME.pid runs
  local f pid; f="$(pidfile "$1")"
  [[ -s "$f" ]] || return 1
  pid="$(cat "$f")"
  kill -0 "$pid" 2>/dev/null && [[ "$(ps --no-headers -o stat= -p "$pid")" != Z* ]]
}

# start_bg NAME CMD...   run CMD in the background, output to $LOG/NAME.log
start_bg() {
  local name="$1"; shift
  mkdir -p "$LOG" "$RUN"
  printf '\n===== %s start: %s\n' "$(date -Is)" "$*" >>"$LOG/$name.log"
  # Close what the caller had open beyond stdio (a lock held around the lab, a pipe): a daemon that
  # inherits it would hold it for as long as it runs.
  (
    for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null; done
    exec setsid "$@" </dev/null >>"$LOG/$name.log" 2>&1
  ) &
  echo $! >"$(pidfile "$name")"
}

# group_alive PID: any non-zombie process left in the session PID started?
# (Zombies are ignored: whether pid 1 reaps them quickly is not ours to decide.)
group_alive() {
  ps --no-headers -o stat= --sid "$1" 2>/dev/null | grep -qv '^Z'
}

# stop_pids TIMEOUT NAME...   TERM each group, wait for all, KILL what is left.
stop_pids() {
  local timeout="$1"; shift
  local name f pid pids=() names=() i left
  for name in "$@"; do
    f="$(pidfile "$name")"
    [[ -s "$f" ]] || continue
    pid="$(cat "$f")"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid"); names+=("$name")
  done
  for ((i = 0; i < timeout * 5; i++)); do
    left=0
    for pid in "${pids[@]}"; do group_alive "$pid" && left=1; done
    ((left)) || break
    sleep 0.2
  done
  for i in "${!pids[@]}"; do
    if group_alive "${pids[$i]}"; then
      log "${names[$i]} did not stop after ${timeout}s, killing it"
      kill -KILL -- "-${pids[$i]}" 2>/dev/null || kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
    rm -f "$(pidfile "${names[$i]}")"
  done
  return 0
}
stop_pid() { stop_pids "${2:-20}" "$1"; }

log_tail() {     # log_tail NAME
  local f="$LOG/$1.log"
  if [[ -f "$f" ]]; then
    printf -- '----- last lines of %s -----\n' "$f" >&2
    tail -n 40 "$f" >&2
    printf -- '-----\n' >&2
  fi
}

fail_service() { # fail_service NAME MESSAGE
  log_tail "$1"
  die "$2"
}

# wait_until NAME TIMEOUT CMD...  poll CMD every 0.5 s; fail with NAME's log.
wait_until() {
  local name="$1" timeout="$2"; shift 2
  local end=$((SECONDS + timeout))
  while ((SECONDS < end)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -f "$(pidfile "$name")" ]] && ! is_running "$name"; then
      fail_service "$name" "$name exited during start-up"
    fi
    sleep 0.5
  done
  fail_service "$name" "$name not ready after ${timeout}s"
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# http_up URL: any HTTP answer below 500 means the server is serving.
http_up() {
  local code
  code="$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1")" || return 1
  [[ "$code" =~ ^[1-4][0-9][0-9]$ ]]
}

# --- secrets -------------------------------------------------------------------
load_secrets() {
  [[ -f "$STATE/secrets.env" ]] || return 1
  # shellcheck disable=SC1091
  source "$STATE/secrets.env"
}

# --- which services exist ----------------------------------------------------------
# Order matters: down.sh stops them in reverse.
core_services() {
  printf '%s\n' mariadb epmd rabbitmq keystone placement glance neutron nova-conductor nova-scheduler nova-api
}
compute_services() {
  local h
  for h in "${BASE_COMPUTES[@]}"; do echo "nova-compute-$h"; done
  [[ -f "$CONTROL/scale_nodes" ]] && echo nova-compute-scale
  return 0
}
cinder_services() {
  [[ -f "$CONTROL/cinder" ]] && printf '%s\n' cinder-api cinder-scheduler cinder-volume
  return 0
}
all_services() { core_services; cinder_services; compute_services; }

PY=/usr/bin/python3   # Debian's python: a pyenv/venv python3 on PATH lacks the OpenStack modules
# launch_compute HOST [NODES]: one nova-compute process (config already written
# by configs.sh write_compute_conf), through the lab's fake-driver launcher.
# The machine's and the container's are started by their manager.
launch_compute() {
  local host="$1" nodes="${2:-0}" name="nova-compute-$1"
  is_running "$name" && return 0
  case "$host" in
    "$NODE_HOST")
      pid_running "nspawn-$NODE_HOST" || die "the $NODE_HOST machine is not running: run up.sh"
      rm -f "$CONTROL/stopped.$name"
      step "systemctl start nova-compute in $NODE_HOST..."
      node_ssh systemctl start nova-compute; return ;;
    "$CONTAINER_HOST")
      container_exists || die "the container $CONTAINER_NAME does not exist: run up.sh"
      rm -f "$CONTROL/stopped.$name"
      step "podman start $CONTAINER_NAME..."
      podman start "$CONTAINER_NAME" >/dev/null; return ;;
  esac
  if ((nodes)); then step "starting $name ($nodes fake nodes)..."; else step "starting $name..."; fi
  rm -f "$CONTROL/stopped.$name"
  # Started as a program named nova-compute, as a package installs it, so tools that find nova's services by
  # their process (Get-OSRpcTimeout, Debug-OSMigration) see it as one.
  write_compute_program "$STATE/bin/nova-compute"
  start_bg "$name" env OSM_LAB_STATE="$STATE" OSM_LAB_FAKE_NODES="$nodes" \
    "$PY" "$STATE/bin/nova-compute" --config-file "$ETC/nova/nova-compute-$host.conf"
}

# halt_compute HOST: stop the host's nova-compute, whoever manages it.
halt_compute() {
  case "$1" in
    "$NODE_HOST") pid_running "nspawn-$NODE_HOST" && node_ssh systemctl stop nova-compute ;;
    "$CONTAINER_HOST") container_exists && podman stop -t 20 "$CONTAINER_NAME" >/dev/null ;;
    *) stop_pid "nova-compute-$1" 20 ;;
  esac
  return 0
}

# --- uWSGI APIs, nova's control plane ----------------------------------------------------------
# start_uwsgi NAME PORT WSGI_FILE PROCESSES THREADS [extra uwsgi args...]
start_uwsgi() {
  local name="$1" port="$2" file="$3" procs="$4" threads="$5"; shift 5
  is_running "$name" && return 0
  step "starting $name..."
  # --die-on-term: TERM stops uWSGI (its default is to reload).
  # Connection: close: python clients reset on the second request of a
  # keep-alive session with --http-socket.
  start_bg "$name" uwsgi-core --plugin python3 --http-socket "127.0.0.1:$port" \
    --wsgi-file "$file" --master --processes "$procs" --threads "$threads" \
    --enable-threads --lazy-apps --die-on-term --worker-reload-mercy 8 --need-app --buffer-size 65535 \
    --add-header "Connection: close" --procname-prefix "osm-lab-$name " "$@"
}

# launch_nova_service conductor|scheduler: the process, reading etc/nova/nova.conf.
launch_nova_service() {
  local svc="$1"
  is_running "nova-$svc" && return 0
  step "starting nova-$svc..."
  start_bg "nova-$svc" "$PY" -c "import sys; sys.argv[0] = 'nova-$svc'; from nova.cmd.$svc import main; main()" \
    --config-file "$ETC/nova/nova.conf"
}

# nova-api under uWSGI. lib/ is on its Python path for the lab's paste filter
# (lab_slow_api, inserted by scenario.sh slow-api); OSM_LAB_STATE tells it
# where the control files are.
launch_nova_api() {
  start_uwsgi nova-api "${PORT_NOVA}" /usr/bin/nova-api-wsgi 2 1 --pythonpath "$LAB_LIB" \
    --env "OSM_LAB_STATE=$STATE" \
    --env "OS_NOVA_CONFIG_DIR=$ETC/nova" --env "OS_NOVA_CONFIG_FILES=api-paste.ini;nova.conf"
}

python_lab() { "$PY" "$LAB_LIB/labctl.py" "$@"; }

# shellcheck source=proxy.sh
source "$LAB_LIB/proxy.sh"
# shellcheck source=nodes.sh
source "$LAB_LIB/nodes.sh"
# shellcheck source=faults.sh
source "$LAB_LIB/faults.sh"
