#!/usr/bin/env bash
# Stop every lab process (by the pids the lab recorded) and remove all lab state.
#   bash tests/lab/down.sh
# Safe when nothing runs.
set -euo pipefail
LAB_T0=$(date +%s.%N)
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ ! -d "$STATE" ]]; then
  log "nothing to do: no lab in $STATE"
  exit 0
fi

# Every pid file the lab wrote (one per service, see common.sh start_bg),
# minus the daemons' own pid files, handled at the end.
# The cluster (pacemakerd, corosync) and the haproxy it manages go last, in
# their own order.
mapfile -t all < <(ls "$RUN" 2>/dev/null | sed -n 's/\.pid$//p' |
  grep -vx -e mysqld.real -e rabbitmq.beam -e p_haproxy -e pacemakerd -e corosync)
# Remember every session id: at the end we wait until the processes are gone
# from the process table (an exited daemon stays a zombie until pid 1 reaps it).
sids=()
for name in "${all[@]}"; do sids+=("$(cat "$(pidfile "$name")" 2>/dev/null || true)"); done
infra=(rabbitmq epmd mariadb)
services=()
for name in "${all[@]}"; do
  [[ " ${infra[*]} " == *" $name "* ]] || services+=("$name")
done

# OpenStack services all at once (they only need RabbitMQ/MariaDB to say
# goodbye), then RabbitMQ and epmd, then MariaDB.
# (The nspawn machine is among them: TERM makes it power off, about 2 s.)
if container_exists && [[ "$(container_owner)" == "$STATE" ]]; then
  remove_container &
  rm_pid=$!
fi
if ((${#services[@]})); then
  stop_pids 20 "${services[@]}"
  step "stopped ${services[*]}"
fi
if [[ -n "${rm_pid:-}" ]]; then
  wait "$rm_pid" || true
  step "removed container $CONTAINER_NAME"
fi
for name in rabbitmq epmd mariadb; do
  if [[ -f "$(pidfile "$name")" ]]; then
    stop_pids 30 "$name"
    step "stopped $name"
  fi
done
# The real daemons' own pid files, in case a wrapper died before its daemon.
for f in "$RUN/rabbitmq.beam.pid" "$RUN/mysqld.real.pid"; do
  [[ -s "$f" ]] || continue
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
done

# Pacemaker first (on TERM it stops its resources: haproxy), then corosync.
# Only the pacemakerd process gets the TERM: it shuts its daemons down in order.
stop_daemon() {   # stop_daemon NAME TIMEOUT
  local pid; pid="$(cat "$(pidfile "$1")" 2>/dev/null)" || return 0
  [[ -n "$pid" ]] || return 0
  sids+=("$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq $(($2 * 5))); do group_alive "$pid" || break; sleep 0.2; done
  stop_pids 5 "$1"   # whatever is left of its group (normally nothing)
}
if [[ -f "$(pidfile pacemakerd)" ]]; then
  stop_daemon pacemakerd 60
  step "stopped pacemaker (and p_haproxy)"
fi
if [[ -s "$HAPROXY_PID" ]] && kill -0 "$(cat "$HAPROXY_PID")" 2>/dev/null; then
  kill -TERM "$(cat "$HAPROXY_PID")" 2>/dev/null || true   # pacemaker died before stopping it
fi
if [[ -f "$(pidfile corosync)" ]]; then
  stop_daemon corosync 20
  step "stopped corosync"
fi

for _ in $(seq 75); do
  left=0
  for sid in "${sids[@]}"; do
    [[ -n "$sid" ]] && ps --no-headers -o pid= --sid "$sid" >/dev/null 2>&1 && left=1
  done
  ((left)) || break
  sleep 0.2
done

rm -rf "$STATE"
step "lab stopped, $STATE removed"
