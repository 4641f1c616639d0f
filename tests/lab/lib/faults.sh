# shellcheck shell=bash
# Failures on demand for scenario.sh: the real Nova fails for real, leaving its
# own records and log lines (issue 14: diagnosing failed or timed-out live
# migrations). Sourced by common.sh: scenario.sh switches them; configs.sh re-applies the
# overrides when up.sh rewrites the files.
#
# State, all in $CONTROL (so cleanup finds and undoes every one):
#   slow_precheck.<host>, slow_pre_live.<host>  seconds, read by the fake driver at call time
#   refuse_cpu.<host>                            exists: the CPU comparison fails
#   conf.<target>                                OPTION=VALUE lines: [DEFAULT] overrides of a nova process
#   slow_api                                     "SECONDS [METHOD] [PATH-REGEX]", read by lib/lab_slow_api.py
#   haproxy_timeout_server.<proxy>               `timeout server` of one HAProxy listen block

FAULT_CONDUCTOR=conductor
HAPROXY_RESOURCE=p_haproxy

known_host() {
  [[ -f "$ETC/nova/nova-compute-$1.conf" ]] || die "unknown compute host '$1' (have: $(ls "$ETC/nova" | sed -n 's/^nova-compute-\(.*\)\.conf$/\1/p' | xargs))"
}

# --- per-host switches of the fake driver -------------------------------------------------------
fault_seconds() {   # NAME HOST SECONDS|off  (NAME: slow_precheck, slow_pre_live)
  local name="$1" host="$2" value="$3" what
  known_host "$host"
  case "$name" in
    slow_precheck) what="check_can_live_migrate_destination (the conductor's RPC call to it waits)" ;;
    slow_pre_live) what="pre_live_migration (the source compute's RPC call to it waits)" ;;
  esac
  if [[ "$value" == off ]]; then
    rm -f "$CONTROL/$name.$host"
    log "${name//_/-} off on $host"
    return 0
  fi
  [[ "$value" =~ ^[0-9]+$ ]] || die "seconds must be a whole number or 'off', not '$value'"
  echo "$value" >"$CONTROL/$name.$host"
  log "${name//_/-} on $host: its $what sleeps ${value} s first, from the next call on (no restart)"
}

refuse_cpu() {   # HOST on|off
  local host="$1"
  known_host "$host"
  case "${2:-}" in
    on) touch "$CONTROL/refuse_cpu.$host"
        log "refuse-cpu on $host: its check_can_live_migrate_destination raises InvalidCPUInfo (\"CPU doesn't have compatibility\", as nova's libvirt driver does when compareCPU says incompatible)" ;;
    off) rm -f "$CONTROL/refuse_cpu.$host"; log "refuse-cpu off on $host" ;;
    *) die "refuse-cpu <host> on|off" ;;
  esac
}

# --- [DEFAULT] overrides of one nova process ---------------------------------------------------
# The files a target's overrides go into. The first is the one the running
# process reads; compute2's and compute3's lab templates get them too, so a
# container re-created or a machine re-booted by up.sh keeps them.
fault_conf_files() {
  case "$1" in
    "$FAULT_CONDUCTOR") echo "$ETC/nova/nova.conf" ;;
    "$CONTAINER_HOST") echo "$KOLLA_DIR/nova.conf"; echo "$ETC/nova/nova-compute-$1.conf" ;;
    "$NODE_HOST") echo "$NODE_ROOT/etc/nova/nova.conf"; echo "$ETC/nova/nova-compute-$1.conf" ;;
    *) echo "$ETC/nova/nova-compute-$1.conf" ;;
  esac
}

fault_target() {   # TARGET: conductor or a compute host
  [[ "$1" == "$FAULT_CONDUCTOR" ]] || known_host "$1"
}

# write_overrides TARGET: the target's files carry exactly $CONTROL/conf.TARGET.
write_overrides() {
  local target="$1" f pairs=()
  [[ -s "$CONTROL/conf.$target" ]] && mapfile -t pairs <"$CONTROL/conf.$target"
  while read -r f; do
    [[ -f "$f" ]] && "$PY" "$LAB_LIB/confedit.py" "$f" "${pairs[@]}"
  done < <(fault_conf_files "$target")
  return 0
}

# set_override TARGET OPTION VALUE  (empty VALUE: remove it); then restart the target.
set_override() {
  local target="$1" option="$2" value="$3" f="$CONTROL/conf.$1"
  local rest=""
  [[ -f "$f" ]] && rest="$(grep -v "^$option=" "$f" || true)"
  [[ -n "$value" ]] && rest="$(printf '%s\n%s=%s' "$rest" "$option" "$value")"
  rest="$(sed '/^$/d' <<<"$rest")"
  if [[ -n "$rest" ]]; then printf '%s\n' "$rest" >"$f"; else rm -f "$f"; fi
  write_overrides "$target"
  restart_target "$target"
}

# restart_target TARGET: restart it the way the lab runs it; wait until it
# reports again after the restart. A service looks up on its previous report for
# up to service_down_time, and the old process goes on reporting while it stops
# (a slow machine takes seconds over that), so the time a report must be newer
# than is taken once the old process is gone: the new one reports only after
# its init_host (which, for nova-compute, resets an instance it finds
# "migrating"; a migration started before that fails at once).
restart_target() {
  local target="$1" t0
  case "$target" in
    "$FAULT_CONDUCTOR")
      step "restarting nova-conductor..."
      stop_pid nova-conductor 20
      t0="$(date +%s)"
      launch_nova_service conductor
      python_lab service-wait "$(uname -n)" up --binary nova-conductor --since "$t0" --timeout 90 ;;
    *)
      if [[ -f "$CONTROL/stopped.nova-compute-$target" ]]; then
        log "nova-compute-$target is stopped (stop-compute): its config is written, it reads it when started"
        return 0
      fi
      case "$target" in
        "$NODE_HOST") step "systemctl stop, then start, nova-compute in $NODE_HOST..."
           node_ssh systemctl stop nova-compute; t0="$(date +%s)"; node_ssh systemctl start nova-compute ;;
        "$CONTAINER_HOST") step "podman stop, then start, $CONTAINER_NAME..."
           podman stop "$CONTAINER_NAME" >/dev/null; t0="$(date +%s)"; podman start "$CONTAINER_NAME" >/dev/null ;;
        *) local nodes=0
           [[ "$target" == scale ]] && nodes="$(cat "$CONTROL/scale_nodes")"
           step "restarting nova-compute-$target..."
           stop_pid "nova-compute-$target" 20
           t0="$(date +%s)"
           launch_compute "$target" "$nodes" ;;
      esac
      python_lab service-wait "$target" up --since "$t0" --timeout 90 ;;
  esac
}

rpc_timeout() {   # TARGET OPTION VALUE|default
  local target="$1" option="$2" value="$3"
  fault_target "$target"
  case "$option" in
    long_rpc_timeout|rpc_response_timeout) ;;
    *) die "option must be long_rpc_timeout or rpc_response_timeout, not '$option'" ;;
  esac
  if [[ "$value" == default ]]; then
    log "rpc-timeout: $target back to the lab's $option (line removed)"
    set_override "$target" "$option" ""
  else
    [[ "$value" =~ ^[0-9]+$ ]] || die "value must be whole seconds or 'default', not '$value'"
    log "rpc-timeout: $target [DEFAULT] $option = $value"
    set_override "$target" "$option" "$value"
  fi
}

debug_switch() {   # TARGET on|off
  fault_target "$1"
  case "${2:-}" in
    on) log "debug on for $1"; set_override "$1" debug true ;;
    off) log "debug off for $1 (back to the lab's setting)"; set_override "$1" debug "" ;;
    *) die "debug <target> on|off" ;;
  esac
}

# --- nova-api slow behind HAProxy -----------------------------------------------------------------
PASTE="$ETC/nova/api-paste.ini"
SLOW_FILTER=lab_slow_api

paste_has_slow_api() { grep -q "^\[filter:$SLOW_FILTER\]" "$PASTE"; }

# Insert the filter into the lab's copy of api-paste.ini: in the v2.1 keystone
# pipeline, after authentication, just before the application.
paste_add_slow_api() {
  paste_has_slow_api && return 0
  sed -i "/^\[composite:openstack_compute_api_v21\]/,/^\[/ s/^\(keystone = .* keystonecontext\) osapi_compute_app_v21\$/\1 $SLOW_FILTER osapi_compute_app_v21/" "$PASTE"
  grep -q "keystonecontext $SLOW_FILTER osapi_compute_app_v21" "$PASTE" || die "could not insert $SLOW_FILTER into $PASTE"
  printf '\n[filter:%s]\n# The lab scenario slow-api (tests/lab/lib/lab_slow_api.py).\npaste.filter_factory = lab_slow_api:filter_factory\ncontrol = %s\n' \
    "$SLOW_FILTER" "$CONTROL/slow_api" >>"$PASTE"
}

restart_nova_api() {
  step "restarting nova-api..."
  stop_pid nova-api 20
  launch_nova_api
  wait_until nova-api 90 http_up "http://127.0.0.1:${PORT_NOVA}/"
  wait_until nova-api 30 public_up "${PUB_NOVA}"
  step "nova-api serves again"
}

slow_api() {   # SECONDS [METHOD] [PATH-REGEX] | off
  local value="$1"
  if [[ "$value" == off ]]; then
    rm -f "$CONTROL/slow_api"
    if paste_has_slow_api; then
      cp /usr/share/nova-common/api-paste.ini "$PASTE"
      restart_nova_api
    fi
    log "slow-api off: nova-api's pipeline is the package's again"
    return 0
  fi
  [[ "$value" =~ ^[0-9]+$ ]] || die "seconds must be a whole number or 'off', not '$value'"
  local method="${2:-*}" regex="${3:-}"
  printf '%s %s %s\n' "$value" "$method" "$regex" >"$CONTROL/slow_api"
  if ! paste_has_slow_api; then
    paste_add_slow_api
    restart_nova_api
  fi
  log "slow-api: nova-api requests matching method '${method}' path '${regex:-any}' wait ${value} s before Nova handles them (control/slow_api, read per request)"
}

# --- HAProxy's timeout server -------------------------------------------------------------------
haproxy_proxies() { sed -n 's/^listen \([^ ]*\)_external$/\1/p' "$HAPROXY_CFG"; }

restart_haproxy() {
  step "crm -w resource restart $HAPROXY_RESOURCE..."
  crm -w resource restart "$HAPROXY_RESOURCE" >>"$LOG/crm.log" 2>&1 || true
  # (a restart with a config haproxy refuses still exits 0: ask Pacemaker)
  crm resource status "$HAPROXY_RESOURCE" 2>&1 | grep -q 'is running' \
    || die "$HAPROXY_RESOURCE is not running after the restart: $(crm resource status "$HAPROXY_RESOURCE" 2>&1)"
  local port
  for port in "$PUB_KEYSTONE" "$@"; do wait_until p_haproxy 30 public_up "$port"; done
  step "$HAPROXY_RESOURCE serves again (pid $(cat "$HAPROXY_PID"))"
}

haproxy_timeout() {   # PROXY VALUE|default
  local proxy="${1%_external}" value="$2" port
  haproxy_proxies | grep -qx "$proxy" || die "no proxy '$proxy' in $HAPROXY_CFG (have: $(haproxy_proxies | xargs))"
  if [[ "$value" == default ]]; then
    rm -f "$CONTROL/haproxy_timeout_server.$proxy"
  else
    [[ "$value" =~ ^[0-9]+(us|ms|s|m|h|d)?$ ]] || die "value must be an HAProxy time (e.g. 10s, 500ms, 2m) or 'default', not '$value'"
    echo "$value" >"$CONTROL/haproxy_timeout_server.$proxy"
  fi
  if write_haproxy_conf; then
    port="$(awk -v p="listen ${proxy}_external" '$0 == p {f=1; next} f && $1 == "bind" {split($2, a, ":"); print a[2]; exit}' "$HAPROXY_CFG")"
    restart_haproxy "$port"
  fi
  log "haproxy-timeout: ${proxy}_external timeout server = $(awk -v p="listen ${proxy}_external" '$0 == p {f=1; next} f && /^listen/ {exit} f && $1 == "timeout" && $2 == "server" {print $3; found=1} END {if (!found) print "(defaults) 60s"}' "$HAPROXY_CFG")"
}

# --- short-lived tokens ---------------------------------------------------------------------------
# Keystone's [token] expiration (default 3600 s), so a long run outlives its token in minutes.
restart_keystone() {
  step "restarting keystone..."
  # The same lines write_keystone_conf (configs.sh) writes on up.sh, edited in place here.
  local conf="$ETC/keystone/keystone.conf"
  sed -i '/^# scenario.sh token-lifetime$/,+1d' "$conf"
  if [[ -s "$CONTROL/token_expiration" ]]; then
    sed -i "/^\[token\]\$/a # scenario.sh token-lifetime\nexpiration = $(cat "$CONTROL/token_expiration")" "$conf"
  fi
  stop_pid keystone 20
  start_uwsgi keystone ${PORT_KEYSTONE} /usr/bin/keystone-wsgi-public 2 2 --env "OS_KEYSTONE_CONFIG_DIR=$ETC/keystone"
  wait_until keystone 60 http_up "http://127.0.0.1:${PORT_KEYSTONE}/v3"
  wait_until keystone 30 public_up "${PUB_KEYSTONE}"
  step "keystone serves again"
}

token_lifetime() {   # SECONDS|default
  local value="$1"
  if [[ "$value" == default ]]; then
    [[ -f "$CONTROL/token_expiration" ]] || { log "token-lifetime: already Keystone's default (3600 s)"; return 0; }
    rm -f "$CONTROL/token_expiration"
  else
    [[ "$value" =~ ^[0-9]+$ ]] && ((value >= 60)) || die "token-lifetime: give seconds (at least 60) or 'default'"
    [[ "$(cat "$CONTROL/token_expiration" 2>/dev/null)" == "$value" ]] && { log "token-lifetime: already ${value} s"; return 0; }
    echo "$value" >"$CONTROL/token_expiration"
  fi
  restart_keystone
  log "token-lifetime: new tokens live $(cat "$CONTROL/token_expiration" 2>/dev/null || echo 3600) s"
}

# --- cleanup of everything above -------------------------------------------------------------------
faults_cleanup() {
  local f t h
  rm -f "$CONTROL"/slow_precheck.* "$CONTROL"/slow_pre_live.* "$CONTROL"/refuse_cpu.*
  for f in "$CONTROL"/conf.*; do
    [[ -e "$f" ]] || continue
    t="${f##*/conf.}"
    rm -f "$f"
    log "undoing the [DEFAULT] overrides of $t"
    write_overrides "$t"
    restart_target "$t"
  done
  if [[ -f "$CONTROL/slow_api" ]] || paste_has_slow_api; then slow_api off; fi
  [[ -f "$CONTROL/token_expiration" ]] && token_lifetime default
  local changed=0
  for h in "$CONTROL"/haproxy_timeout_server.*; do [[ -e "$h" ]] && { rm -f "$h"; changed=1; }; done
  if ((changed)) && write_haproxy_conf; then restart_haproxy; fi
  return 0
}
