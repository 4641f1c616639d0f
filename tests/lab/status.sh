#!/usr/bin/env bash
# Print each lab service with its pid and whether it runs.
# Exit 0 only if all of them are up.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

if [[ ! -d "$STATE" ]]; then
  echo "no lab in $STATE"
  exit 1
fi
rc=0
row() { printf '%-24s %-8s %s\n' "$@"; }
row SERVICE PID STATE
pid_of() { [[ -s "$(pidfile "$1")" ]] && cat "$(pidfile "$1")" || echo -; }

# The cluster and its resource.
for name in corosync pacemakerd; do
  if pid_running "$name"; then row "$name" "$(pid_of "$name")" up; else row "$name" "$(pid_of "$name")" down; rc=1; fi
done
if pid_running pacemakerd && haproxy_started; then
  row p_haproxy "$(pid_of p_haproxy)" "up (Started, https 127.0.0.1:${PUB_KEYSTONE} ...)"
else
  row p_haproxy "$(pid_of p_haproxy)" "down ($(crm resource status p_haproxy 2>&1 | head -n 1 || true))"; rc=1
fi
# The systemd machine and the container.
if node_booted 2>/dev/null; then
  row "nspawn-$NODE_HOST" "$(pid_of "nspawn-$NODE_HOST")" "up (machine $NODE_HOST, ssh 127.0.0.1:${PORT_NODE_SSH})"
else
  row "nspawn-$NODE_HOST" "$(pid_of "nspawn-$NODE_HOST")" down; rc=1
fi
cstate="$(podman container inspect -f '{{.State.Status}}' "$CONTAINER_NAME" 2>/dev/null || echo missing)"
cpid="$(container_pid || true)"; [[ -n "$cpid" && "$cpid" != 0 ]] || cpid=-
if [[ "$cstate" == running ]]; then
  row "container $CONTAINER_NAME" "$cpid" "up (podman, $CONTAINER_HOST)"
else
  row "container $CONTAINER_NAME" "$cpid" "$cstate"; rc=1
fi

while read -r name; do
  pid="-"
  case "$name" in
    "nova-compute-$NODE_HOST")   # MainPID inside the machine
      pid="$(node_ssh systemctl show -p MainPID --value nova-compute 2>/dev/null || true)"
      [[ -n "$pid" && "$pid" != 0 ]] || pid=- ;;
    "nova-compute-$CONTAINER_HOST") pid="$cpid" ;;
    *) [[ -s "$(pidfile "$name")" ]] && pid="$(cat "$(pidfile "$name")")" ;;
  esac
  if is_running "$name"; then
    state=up
  elif [[ -f "$CONTROL/stopped.$name" ]]; then
    state="down (stopped by scenario.sh)"; rc=1
  else
    state=down; rc=1
  fi
  row "$name" "$pid" "$state"
done < <(all_services)
exit $rc
