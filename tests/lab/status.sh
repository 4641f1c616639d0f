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
printf '%-24s %-8s %s\n' SERVICE PID STATE
while read -r name; do
  pid="-"
  [[ -s "$(pidfile "$name")" ]] && pid="$(cat "$(pidfile "$name")")"
  if is_running "$name"; then
    state=up
  elif [[ -f "$CONTROL/stopped.$name" ]]; then
    state="down (stopped by scenario.sh)"; rc=1
  else
    state=down; rc=1
  fi
  printf '%-24s %-8s %s\n' "$name" "$pid" "$state"
done < <(all_services)
exit $rc
