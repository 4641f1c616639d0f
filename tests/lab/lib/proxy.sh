# shellcheck shell=bash
# The public side of the lab, as Kolla and OpenStack-Ansible deploy it: HAProxy
# terminates TLS in front of every API and runs as the Pacemaker resource
# p_haproxy of a single-node corosync/Pacemaker cluster on 127.0.0.1.
# Sourced by up.sh (and status.sh/down.sh for the helpers); uses common.sh.

HAPROXY_CFG="$ETC/haproxy/haproxy.cfg"
HAPROXY_PID="$RUN/p_haproxy.pid"          # written by ocf:heartbeat:anything
COROSYNC_CONF="$ETC/corosync/corosync.conf"
CIB_DIR=/var/lib/pacemaker/cib            # compiled into Pacemaker: one per machine

# --- TLS -------------------------------------------------------------------------
# A lab CA and a server certificate for 127.0.0.1/localhost, once per lab state.
make_tls() {
  [[ -s "$TLS/haproxy.pem" ]] && return 0
  step "making the lab CA and server certificate ($TLS)"
  mkdir -p "$TLS"; chmod 700 "$TLS"
  local ext="$TLS/server.ext"
  printf '%s\n' 'basicConstraints = critical, CA:FALSE' 'keyUsage = critical, digitalSignature, keyEncipherment' \
    'extendedKeyUsage = serverAuth' 'subjectAltName = IP:127.0.0.1, DNS:localhost' \
    'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid' >"$ext"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$TLS/ca.key" -out "$TLS/ca.pem" \
      -subj "/O=OpenStackMigration lab/CN=OSM lab CA $(date +%Y%m%d%H%M%S)" \
      -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' &&
    openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$TLS/server.key" -out "$TLS/server.csr" \
      -subj "/O=OpenStackMigration lab/CN=127.0.0.1" &&
    openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -CAcreateserial \
      -days 825 -sha256 -extfile "$ext" -out "$TLS/server.pem"
  } >"$LOG/tls.log" 2>&1 || { log_tail tls; die "openssl failed"; }
  chmod 600 "$TLS/ca.key" "$TLS/server.key"
  chmod 644 "$TLS/ca.pem" "$TLS/server.pem"
  # HAProxy wants certificate and key in one file.
  ( umask 077; cat "$TLS/server.pem" "$TLS/server.key" >"$TLS/haproxy.pem.tmp" )
  mv "$TLS/haproxy.pem.tmp" "$TLS/haproxy.pem"
  rm -f "$TLS/server.csr" "$ext"
}

# --- HAProxy -------------------------------------------------------------------------
# name public-port backend-port [timeout]: one `listen` block per API (Kolla's layout).
haproxy_listen() {
  local name="$1" pub="$2" back="$3" tmo="${4:-}"
  cat <<EOT

listen ${name}_external
    bind 127.0.0.1:${pub} ssl crt ${TLS}/haproxy.pem
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-Port ${pub}
EOT
  local srv="$tmo"
  # scenario.sh haproxy-timeout overrides one proxy's `timeout server`.
  [[ -s "$CONTROL/haproxy_timeout_server.$name" ]] && srv="$(cat "$CONTROL/haproxy_timeout_server.$name")"
  [[ -n "$tmo" ]] && printf '    timeout client %s\n' "$tmo"
  [[ -n "$srv" ]] && printf '    timeout server %s\n' "$srv"
  # (a down server is checked every second and is back after one good check:
  # the lab starts HAProxy before the APIs)
  echo "    server ${name} 127.0.0.1:${back} check inter 10s fastinter 2s downinter 1s rise 1 fall 3"
}

write_haproxy_conf() {
  mkdir -p "$ETC/haproxy"
  {
    cat <<EOT
# HAProxy of the OpenStackMigration lab (written by tests/lab/up.sh).
# TLS ends here; the APIs behind it speak plain HTTP on their own ports.
global
    log stdout format raw local0
    maxconn 4000
    stats socket ${RUN}/haproxy.sock mode 600 level admin expose-fd listeners
    ssl-default-bind-options ssl-min-ver TLSv1.2
    tune.ssl.default-dh-param 2048

defaults
    mode http
    log global
    option httplog
    option dontlognull
    option forwardfor
    option redispatch
    retries 3
    timeout http-request 10s
    timeout queue 1m
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout check 5s
EOT
    haproxy_listen keystone "$PUB_KEYSTONE" "$PORT_KEYSTONE"
    haproxy_listen nova_api "$PUB_NOVA" "$PORT_NOVA" 6m
    haproxy_listen placement_api "$PUB_PLACEMENT" "$PORT_PLACEMENT"
    haproxy_listen glance_api "$PUB_GLANCE" "$PORT_GLANCE" 6h
    haproxy_listen neutron_server "$PUB_NEUTRON" "$PORT_NEUTRON"
    if [[ -f "$CONTROL/cinder" ]]; then haproxy_listen cinder_api "$PUB_CINDER" "$PORT_CINDER" 6m; fi
  } >"$HAPROXY_CFG.new"
  haproxy -c -q -f "$HAPROXY_CFG.new" >"$LOG/haproxy-check.log" 2>&1 \
    || { log_tail haproxy-check; die "haproxy -c rejects $HAPROXY_CFG.new"; }
  # Only replace the file (and make the resource reload) when it changed.
  if cmp -s "$HAPROXY_CFG.new" "$HAPROXY_CFG"; then rm -f "$HAPROXY_CFG.new"; return 1; fi
  mv "$HAPROXY_CFG.new" "$HAPROXY_CFG"
  return 0
}

# The resource's monitor: haproxy (the pid the agent recorded) accepts on the
# Keystone port; waits up to 10 s, so a start only succeeds once it listens.
write_haproxy_monitor() {
  cat >"$ETC/haproxy/monitor.sh" <<EOT
#!/bin/bash
# monitor_hook of p_haproxy (ocf:heartbeat:anything): is haproxy listening?
for _ in \$(seq 40); do
  kill -0 "\$(cat '${HAPROXY_PID}' 2>/dev/null)" 2>/dev/null || exit 1
  (exec 3<>/dev/tcp/127.0.0.1/${PUB_KEYSTONE}) 2>/dev/null && exit 0
  sleep 0.25
done
exit 1
EOT
  chmod 755 "$ETC/haproxy/monitor.sh"
}

# --- corosync / Pacemaker --------------------------------------------------------------
write_corosync_conf() {
  mkdir -p "$ETC/corosync"
  cat >"$COROSYNC_CONF" <<EOT
# Single-node corosync of the OpenStackMigration lab.
totem {
    version: 2
    cluster_name: osm-lab
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    interface {
        linknumber: 0
        mcastport: ${PORT_COROSYNC}
    }
}
logging {
    to_logfile: yes
    logfile: ${LOG}/corosync.log
    to_stderr: no
    to_syslog: no
    timestamp: on
}
quorum {
    provider: corosync_votequorum
}
nodelist {
    node {
        name: $(uname -n)
        nodeid: 1
        ring0_addr: 127.0.0.1
    }
}
EOT
}

# A fresh CIB with the cluster properties, replacing whatever an earlier lab
# (or anything else) left in /var/lib/pacemaker/cib: with dc-deadtime 2s from
# the start, the first DC election takes seconds, not 20.
seed_cib() {
  mkdir -p "$CIB_DIR"
  rm -f "$CIB_DIR"/cib*
  # (cibadmin --empty: the schema and feature set this Pacemaker expects.)
  cibadmin --empty >"$CIB_DIR/cib.xml"
  local kv
  for kv in stonith-enabled=false no-quorum-policy=ignore dc-deadtime=2s cluster-name=osm-lab; do
    CIB_file="$CIB_DIR/cib.xml" crm_attribute -t crm_config -n "${kv%%=*}" -v "${kv#*=}" >/dev/null
  done
  chown -R hacluster:haclient "$CIB_DIR"
  chmod 600 "$CIB_DIR/cib.xml"
}

# Another corosync/pacemakerd than this lab's own (one cluster per machine).
foreign_cluster_pid() {
  local p mine
  for p in $(pgrep -x corosync; pgrep -x pacemakerd); do
    mine=0
    for n in corosync pacemakerd; do [[ "$(cat "$(pidfile "$n")" 2>/dev/null)" == "$p" ]] && mine=1; done
    ((mine)) || { echo "$p"; return 0; }
  done
  return 1
}

# stale_cluster PID: a lab's corosync/pacemakerd whose corosync.conf is gone
# (its state folder was deleted without down.sh).
stale_cluster() {
  local conf
  conf="$(ps -o args= -p "$(pgrep -x corosync | head -n 1)" 2>/dev/null | sed -n 's/.* -c \([^ ]*\).*/\1/p')"
  [[ -n "$conf" && "$conf" == */etc/corosync/corosync.conf && ! -e "$conf" ]]
}

dc_elected() { crm_mon -1 2>/dev/null | grep -q 'Current DC: [^N]'; }

start_cluster() {
  write_corosync_conf
  if ! is_running corosync || ! is_running pacemakerd; then
    local other
    if other="$(foreign_cluster_pid)" && stale_cluster "$other"; then
      log "stopping the cluster of a lab whose state is gone (pid $other)"
      kill -TERM $(pgrep -x pacemakerd) 2>/dev/null || true; sleep 3
      kill -TERM $(pgrep -x corosync) 2>/dev/null || true; sleep 1
    fi
    if other="$(foreign_cluster_pid)"; then
      die "corosync/Pacemaker already run on this machine (pid $other: $(ps -o args= -p "$other" | cut -c1-120)); there is one cluster per machine: stop it (its lab's down.sh) first"
    fi
    stop_pids 20 pacemakerd corosync
    step "starting corosync + pacemaker..."
    seed_cib
    start_bg corosync corosync -f -c "$COROSYNC_CONF"
    wait_until corosync 30 corosync-quorumtool -s
    start_bg pacemakerd env PCMK_logfile="$LOG/pacemaker.log" /usr/sbin/pacemakerd
  fi
}

# The resource definition, applied idempotently (crm configure load update).
write_cluster_crm() {
  mkdir -p "$ETC/pacemaker"
  cat >"$ETC/pacemaker/lab.crm" <<EOT
property cib-bootstrap-options: stonith-enabled=false no-quorum-policy=ignore dc-deadtime=2s
primitive p_haproxy ocf:heartbeat:anything \\
    params binfile=/usr/sbin/haproxy cmdline_options="-f ${HAPROXY_CFG} -Ws" \\
        pidfile="${HAPROXY_PID}" logfile="${LOG}/haproxy.log" \\
        monitor_hook="${ETC}/haproxy/monitor.sh" \\
    op start timeout=30s interval=0 \\
    op stop timeout=30s interval=0 \\
    op monitor interval=10s timeout=20s
EOT
}

# The CIB already holds this lab's definition (crm_resource is much quicker
# than crmsh; a running lab's up.sh then changes nothing).
cib_current() {
  local kv
  for kv in "cmdline_options=-f ${HAPROXY_CFG} -Ws" "pidfile=${HAPROXY_PID}" "logfile=${LOG}/haproxy.log" \
            "monitor_hook=${ETC}/haproxy/monitor.sh" "binfile=/usr/sbin/haproxy"; do
    [[ "$(crm_resource -r p_haproxy -g "${kv%%=*}" -Q 2>/dev/null)" == "${kv#*=}" ]] || return 1
  done
  for kv in stonith-enabled=false no-quorum-policy=ignore dc-deadtime=2s; do
    [[ "$(crm_attribute -t crm_config -n "${kv%%=*}" -G -q 2>/dev/null)" == "${kv#*=}" ]] || return 1
  done
}

haproxy_started() {
  crm_mon -1 --output-as=xml 2>/dev/null | grep -q '<resource id="p_haproxy"[^>]*role="Started"[^>]*active="true"[^>]*failed="false"'
}

ready_cluster() {   # $1: 1 if haproxy.cfg changed
  local changed="$1"
  wait_until pacemakerd 60 dc_elected
  write_cluster_crm
  if ! cib_current; then
    crm configure load update "$ETC/pacemaker/lab.crm" >>"$LOG/crm.log" 2>&1 \
      || { log_tail crm; die "crm configure load update failed"; }
  fi
  if ((changed)) && haproxy_started; then
    # A new haproxy.cfg (e.g. cinder added): reload the master (-Ws), as a
    # `systemctl reload haproxy` does; the resource stays up.
    kill -USR2 "$(cat "$HAPROXY_PID")" 2>/dev/null || true
  fi
  if ! wait_until_quiet 60 haproxy_started; then
    crm resource cleanup p_haproxy >>"$LOG/crm.log" 2>&1 || true
    wait_until_quiet 30 haproxy_started || {
      crm_mon -1 >&2 || true; log_tail haproxy; die "p_haproxy did not start (crm_mon above)"; }
  fi
  wait_until keystone 30 public_up "$PUB_KEYSTONE" /v3
  step "p_haproxy started (pid $(cat "$HAPROXY_PID"), https on 127.0.0.1:${PUB_KEYSTONE} ...)"
}

# wait_until_quiet TIMEOUT CMD...: like wait_until, but only returns 1 on timeout.
wait_until_quiet() {
  local end=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do ((SECONDS < end)) || return 1; sleep 0.5; done
}

# public_up PORT [PATH]: HAProxy answers for that API with less than 500
# (503 while it still thinks the server is down).
public_up() {
  local code
  code="$(curl -s -o /dev/null -m 5 --cacert "$TLS/ca.pem" -w '%{http_code}' "https://127.0.0.1:$1${2:-/}")" || return 1
  [[ "$code" =~ ^[1-4][0-9][0-9]$ ]]
}

# Each API's version document through HAProxy: answers, and every link to the
# lab in it is https on the public port (proves X-Forwarded-Proto reaches the API;
# Placement's only link is relative).
check_public() {
  local spec name port path body links bad=0
  local specs=("keystone:$PUB_KEYSTONE:/v3" "nova:$PUB_NOVA:/v2.1/" "placement:$PUB_PLACEMENT:/"
               "glance:$PUB_GLANCE:/versions" "neutron:$PUB_NEUTRON:/")
  [[ -f "$CONTROL/cinder" ]] && specs+=("cinder:$PUB_CINDER:/")
  for spec in "${specs[@]}"; do
    IFS=: read -r name port path <<<"$spec"
    body="$(curl -sS -m 10 --cacert "$TLS/ca.pem" "https://127.0.0.1:${port}${path}" 2>&1)" || {
      log "public $name (https://127.0.0.1:$port$path): $body"; bad=1; continue; }
    links="$(grep -o '"href": *"[^"]*"' <<<"$body" | grep -E '127\.0\.0\.1|localhost' || true)"
    if { [[ -z "$links" ]] && [[ "$name" != placement ]]; } ||
       { [[ -n "$links" ]] && grep -qv "\"https://127.0.0.1:${port}/" <<<"$links"; }; then
      log "public $name: links not https://127.0.0.1:$port/: $(cut -c1-300 <<<"$body")"; bad=1
    fi
  done
  ((bad == 0))
}
