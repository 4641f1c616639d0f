#!/usr/bin/env bash
# Scenario helpers for tests, the demo and the benchmarks. Each one is
# idempotent and says what it did.
#
#   bash tests/lab/scenario.sh small-host [host] [memory_mb]
#   bash tests/lab/scenario.sh disable <host> [reason] | enable <host>
#   bash tests/lab/scenario.sh stop-compute <host> | start-compute <host> | launch-compute <host>
#   bash tests/lab/scenario.sh crowd <host> <count> [flavor]
#   bash tests/lab/scenario.sh flood <count>
#   bash tests/lab/scenario.sh hold-migrations on|off
#   bash tests/lab/scenario.sh slow-precheck <host> <seconds>|off
#   bash tests/lab/scenario.sh slow-pre-live <host> <seconds>|off
#   bash tests/lab/scenario.sh refuse-cpu <host> on|off
#   bash tests/lab/scenario.sh rpc-timeout <target> long_rpc_timeout|rpc_response_timeout <seconds>|default
#   bash tests/lab/scenario.sh debug <target> on|off
#   bash tests/lab/scenario.sh slow-api <seconds> [METHOD] [path-regex] | slow-api off
#   bash tests/lab/scenario.sh haproxy-timeout <proxy> <haproxy time>|default
#   bash tests/lab/scenario.sh token-lifetime <seconds>|default
#   bash tests/lab/scenario.sh cleanup
# <target>: conductor or a compute host (compute1..6, scale); <proxy>: nova_api,
# keystone, placement_api, glance_api, neutron_server, cinder_api.
# See tests/lab/README.md, "Failure scenarios".
set -euo pipefail
LAB_T0=$(date +%s.%N)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() { sed -n '5,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
(($#)) || usage
[[ -f "$STATE/openrc" ]] || die "no lab in $STATE: run tests/lab/up.sh first"
# shellcheck disable=SC1091
source "$STATE/openrc"

FAKE_NODE_MB=800000   # what nova's fake driver reports per node

# The node name equals the host name for compute1..3 (the scale host has
# scale1..scaleN, one per node).
small_host() {
  local host="${1:-compute3}" mb="${2:-256}"
  known_host "$host"
  echo "$mb" >"$CONTROL/memory_mb.$host"
  log "small-host: $host now reports ${mb} MB of RAM (placement MEMORY_MB total = max_unit = $mb, reserved 0)"
  log "            so m1.tiny (512 MB) and anything bigger cannot land there; waiting for nova's resource update..."
  python_lab placement-memory "$host" "$mb"
}

stop_compute() {
  local host="$1" name="nova-compute-$1"
  known_host "$host"
  if is_running "$name"; then
    halt_compute "$host"
    touch "$CONTROL/stopped.$name"
    log "stopped $name; nova marks it down once its last report is older than service_down_time (20 s)"
  else
    log "$name is not running"
  fi
  python_lab service-wait "$host" down --timeout 60
}

start_compute() {
  local host="$1"
  launch_only "$host"
  # After an evacuation the restarted compute first completes its evacuation records; only then may forced_down go.
  python_lab service unforce "$host"
  python_lab service-wait "$host" up --timeout 90
}

# Starts the host's nova-compute and returns: a host still forced down (after an evacuation) is not "up" until
# someone clears forced_down, which is what a test of that step does itself.
launch_only() {
  local host="$1" nodes=0
  known_host "$host"
  [[ "$host" == scale ]] && nodes="$(cat "$CONTROL/scale_nodes")"
  if is_running "nova-compute-$host"; then
    log "nova-compute-$host already running"
  else
    launch_compute "$host" "$nodes"
  fi
}

hold() {
  case "${1:-}" in
    on) touch "$CONTROL/hold_migrations"
        log "hold-migrations on: live migrations started from now on stay 'running' (progress counters moving, memory never converging) until aborted or force-completed" ;;
    off) rm -f "$CONTROL/hold_migrations"
         log "hold-migrations off: new live migrations complete by themselves in about 3-5 s (already held ones stay held)" ;;
    *) usage ;;
  esac
}

compute_hosts() {
  ls "$ETC/nova" | sed -n 's/^nova-compute-\(.*\)\.conf$/\1/p'
}

cleanup() {
  local h keep=(cirros_vm) homes=(cirros_vm=compute1) c=()
  if [[ -f "$CONTROL/cinder" ]]; then
    keep+=(cirros_bfv cirros_data); homes+=(cirros_bfv=compute1 cirros_data=compute1); c=(--volumes)
  fi
  hold off
  faults_cleanup
  for h in $(compute_hosts); do
    [[ -f "$CONTROL/stopped.nova-compute-$h" ]] && start_compute "$h"
  done
  for h in $(compute_hosts); do
    if [[ -f "$CONTROL/memory_mb.$h" ]]; then
      rm -f "$CONTROL/memory_mb.$h"
      log "small-host undone on $h"
      python_lab placement-memory "$h" "$FAKE_NODE_MB"
    fi
  done
  for h in $(compute_hosts); do python_lab service enable "$h"; done   # also clears forced_down
  python_lab abort-migrations
  local k; local keepargs=(); for k in "${keep[@]}"; do keepargs+=(--keep "$k"); done
  python_lab cleanup "${keepargs[@]}" "${c[@]}"
  python_lab send-home "${homes[@]}"
  log "cleanup done"
}

cmd="$1"; shift
case "$cmd" in
  small-host) small_host "$@" ;;
  disable) (($# >= 1)) || usage; known_host "$1"; python_lab service disable "$1" "${2:-disabled by the lab}" ;;
  enable) (($# == 1)) || usage; known_host "$1"; python_lab service enable "$1" ;;
  stop-compute) (($# == 1)) || usage; stop_compute "$1" ;;
  start-compute) (($# == 1)) || usage; start_compute "$1" ;;
  launch-compute) (($# == 1)) || usage; launch_only "$1" ;;
  crowd) (($# >= 2)) || usage; known_host "$1"; python_lab crowd "$@" ;;
  flood) (($# == 1)) || usage; [[ -f "$CONTROL/scale_nodes" ]] || die "flood needs the scale host (up.sh --scale N)"; python_lab flood "$1" ;;
  hold-migrations) (($# == 1)) || usage; hold "$1" ;;
  slow-precheck) (($# == 2)) || usage; fault_seconds slow_precheck "$1" "$2" ;;
  slow-pre-live) (($# == 2)) || usage; fault_seconds slow_pre_live "$1" "$2" ;;
  refuse-cpu) (($# == 2)) || usage; refuse_cpu "$1" "$2" ;;
  rpc-timeout) (($# == 3)) || usage; rpc_timeout "$@" ;;
  debug) (($# == 2)) || usage; debug_switch "$1" "$2" ;;
  slow-api) (($# >= 1 && $# <= 3)) || usage; slow_api "$@" ;;
  haproxy-timeout) (($# == 2)) || usage; haproxy_timeout "$1" "$2" ;;
  token-lifetime) (($# == 1)) || usage; token_lifetime "$1" ;;
  cleanup) cleanup ;;
  *) usage ;;
esac
