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
mapfile -t all < <(ls "$RUN" 2>/dev/null | sed -n 's/\.pid$//p' | grep -vx -e mysqld.real -e rabbitmq.beam)
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
if ((${#services[@]})); then
  stop_pids 20 "${services[@]}"
  step "stopped ${services[*]}"
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
