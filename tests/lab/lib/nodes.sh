# shellcheck shell=bash
# Compute hosts that look like real ones:
#  - NODE_HOST (compute3) is a systemd machine (systemd-nspawn) whose
#    nova-compute.service reads /etc/nova/nova.conf inside the machine; root
#    logs in over SSH with the lab's key.
#  - CONTAINER_HOST (compute2) runs in the podman container nova_compute, the
#    Kolla way: --network host, config mounted from a host folder.
# Both run the host's /usr (Debian's nova) over a Debian 12 minbase rootfs made
# once per machine with debootstrap. Sourced by common.sh.

NODE_DIR="$STATE/node"                  # the machine: root/, its /usr layer, client key
NODE_ROOT="$NODE_DIR/root"
NODE_KEY="$NODE_DIR/id_ed25519"
NODE_KNOWN_HOSTS="$NODE_DIR/known_hosts"
KOLLA_DIR="$STATE/kolla/nova-compute"  # mounted at /etc/nova in the container
CONTAINERS_DROPIN=/etc/containers/containers.conf.d/50-osm-lab.conf

# --- the rootfs (once per machine) -------------------------------------------------------
# The Debian mirror apt uses (deb822 .sources first, then sources.list).
debian_mirror() {
  local f url
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    url="$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm([ \n]|$)/ && /Components:[^\n]*main/ && !/Enabled: *no/ {
                 if (match($0, /URIs: *[^ \n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/URIs: */, "", s); print s; exit } }' "$f")"
    [[ -n "$url" ]] && { echo "$url"; return 0; }
  done
  url="$(awk '$1 == "deb" && $0 ~ / bookworm .*main/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit } }' \
    /etc/apt/sources.list 2>/dev/null)"
  [[ -n "$url" ]] && { echo "$url"; return 0; }
  return 1
}

ROOTFS_PID=""
# Build the rootfs in the background (about 50 s to 2 min); wait_rootfs joins it.
start_rootfs() {
  [[ -f "$ROOTFS_CACHE/.osm-lab-complete" ]] && return 0
  local mirror
  mirror="$(debian_mirror)" || die "cannot find the Debian mirror in /etc/apt/sources.list(.d)"
  step "building the node rootfs $ROOTFS_CACHE with debootstrap from $mirror (once per machine, background)"
  mkdir -p "$(dirname "$ROOTFS_CACHE")"
  (
    exec 9>"$(dirname "$ROOTFS_CACHE")/.lock"
    flock 9                                  # another lab may be building it right now
    [[ -f "$ROOTFS_CACHE/.osm-lab-complete" ]] && exit 0
    tmp="$ROOTFS_CACHE.tmp"
    rm -rf "$tmp" "$ROOTFS_CACHE"
    debootstrap --variant=minbase --include=systemd-sysv,dbus,openssh-server,iproute2,procps \
      bookworm "$tmp" "$mirror" || exit 1
    # Keep it small and anonymous: no package cache, lists, host keys or machine id.
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* "$tmp"/etc/ssh/ssh_host_*
    : >"$tmp/etc/machine-id"
    touch "$tmp/.osm-lab-complete"
    mv "$tmp" "$ROOTFS_CACHE"
  ) >>"$LOG/debootstrap.log" 2>&1 &
  ROOTFS_PID=$!
}

wait_rootfs() {
  [[ -n "$ROOTFS_PID" ]] && { wait "$ROOTFS_PID" || true; ROOTFS_PID=""; }
  [[ -f "$ROOTFS_CACHE/.osm-lab-complete" ]] || { log_tail debootstrap; die "debootstrap failed (log: $LOG/debootstrap.log)"; }
}

# The shared copy of the lab's fake-driver launcher, under the program name
# nova-compute (the command line the module under test looks for).
write_compute_program() {   # DEST
  mkdir -p "$(dirname "$1")"
  cmp -s "$LAB_LIB/fake_compute.py" "$1" && return 0
  # Rewrite an existing copy in place: the container bind-mounts this very file
  # (a new inode would stay invisible to it) and the node sees it through a layer.
  if [[ -e "$1" ]]; then cat "$LAB_LIB/fake_compute.py" >"$1"; else install -m 755 "$LAB_LIB/fake_compute.py" "$1"; fi
}

# --- the systemd-nspawn node ------------------------------------------------------------------
NODE_SSH_OPTS=()
node_ssh_opts() {
  NODE_SSH_OPTS=(-i "$NODE_KEY" -p "$PORT_NODE_SSH" -o UserKnownHostsFile="$NODE_KNOWN_HOSTS"
                 -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR)
}
node_ssh() { node_ssh_opts; ssh "${NODE_SSH_OPTS[@]}" root@127.0.0.1 "$@"; }

# One-time: the machine's own files (everything but /usr, which is the
# rootfs's /usr under the host's), SSH host and client keys.
make_node() {
  [[ -f "$NODE_DIR/.made" ]] && return 0
  step "making the $NODE_HOST machine in $NODE_ROOT"
  rm -rf "$NODE_DIR"; mkdir -p "$NODE_ROOT"
  tar -C "$ROOTFS_CACHE" --exclude=./usr --exclude=./.osm-lab-complete -cf - . | tar -C "$NODE_ROOT" -xf -
  mkdir -p "$NODE_ROOT/usr/lib" "$NODE_ROOT/root/.ssh" "$NODE_ROOT/etc/nova" "$NODE_ROOT/var/log/nova"
  # (nspawn looks for an os-release before it mounts the /usr overlay on top)
  cp "$ROOTFS_CACHE/usr/lib/os-release" "$NODE_ROOT/usr/lib/os-release"
  echo "$NODE_HOST" >"$NODE_ROOT/etc/hostname"
  ssh-keygen -q -t ed25519 -N '' -C "root@$NODE_HOST" -f "$NODE_ROOT/etc/ssh/ssh_host_ed25519_key"
  ssh-keygen -q -t ed25519 -N '' -C "osm-lab client" -f "$NODE_KEY"
  install -m 600 "$NODE_KEY.pub" "$NODE_ROOT/root/.ssh/authorized_keys"
  chmod 700 "$NODE_ROOT/root/.ssh"
  echo "[127.0.0.1]:${PORT_NODE_SSH} $(cut -d' ' -f1,2 "$NODE_ROOT/etc/ssh/ssh_host_ed25519_key.pub")" >"$NODE_KNOWN_HOSTS"
  cat >"$NODE_ROOT/etc/ssh/sshd_config.d/osm-lab.conf" <<EOT
# The lab node's sshd: loopback only, its own port, keys only.
Port ${PORT_NODE_SSH}
ListenAddress 127.0.0.1
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOT
  # No consoles, no timers: a quiet machine.
  rm -f "$NODE_ROOT"/etc/systemd/system/getty.target.wants/* "$NODE_ROOT"/etc/systemd/system/timers.target.wants/*
  cat >"$NODE_ROOT/etc/systemd/system/nova-compute.service" <<EOT
[Unit]
Description=OpenStack Compute (nova-compute, lab fake driver)
After=network-online.target

[Service]
Type=simple
User=root
Environment=OSM_LAB_STATE=${STATE} OSM_LAB_FAKE_NODES=0
ExecStart=/usr/bin/python3 /usr/local/lib/osm/nova-compute --config-file /etc/nova/nova.conf
StandardOutput=append:${LOG}/nova-compute-${NODE_HOST}.log
StandardError=inherit
Restart=on-failure
RestartSec=2
KillMode=mixed
TimeoutStopSec=20

[Install]
WantedBy=multi-user.target
EOT
  ln -sf /etc/systemd/system/nova-compute.service "$NODE_ROOT/etc/systemd/system/multi-user.target.wants/nova-compute.service"
  touch "$NODE_DIR/.made"
}

# The machine's nova.conf: a real file of the machine (root:root 0640),
# from the lab's compute config; written when the machine (re)starts.
write_node_conf() {
  install -m 640 -o root -g root "$ETC/nova/nova-compute-$NODE_HOST.conf" "$NODE_ROOT/etc/nova/nova.conf"
}

node_booted() { is_running "nspawn-$NODE_HOST" && node_ssh true; }
node_unit_active() {
  is_running "nspawn-$NODE_HOST" && [[ "$(node_ssh systemctl is-active nova-compute 2>/dev/null)" == active ]]
}

start_node() {
  make_node
  write_compute_program "$NODE_DIR/usr/local/lib/osm/nova-compute"
  if is_running "nspawn-$NODE_HOST"; then
    node_unit_active && return 0
    write_node_conf
    node_ssh systemctl start nova-compute || fail_service "nova-compute-$NODE_HOST" "cannot start nova-compute.service in $NODE_HOST"
    return 0
  fi
  write_node_conf
  rm -f "$CONTROL/stopped.nova-compute-$NODE_HOST"
  step "booting $NODE_HOST (systemd-nspawn, ssh on 127.0.0.1:${PORT_NODE_SSH})..."
  # /usr: the rootfs's, under the host's (Debian's python3 and nova), under the
  # lab's own layer (/usr/local/lib/osm/nova-compute). The state folder at the
  # same path (the nova.conf paths, the fake driver's control files, logs).
  start_bg "nspawn-$NODE_HOST" systemd-nspawn -b -D "$NODE_ROOT" -M "$NODE_HOST" --register=no --keep-unit \
    --console=passive --overlay-ro="$ROOTFS_CACHE/usr:/usr:$NODE_DIR/usr:/usr" --bind="$STATE"
}

ready_node() {
  wait_until "nspawn-$NODE_HOST" 60 node_booted
  wait_until "nspawn-$NODE_HOST" 30 node_unit_active
  step "$NODE_HOST booted, nova-compute.service active (ssh -i $NODE_KEY -p $PORT_NODE_SSH root@127.0.0.1)"
}

# --- the podman container ---------------------------------------------------------------------
write_containers_conf() {   # for every podman call on this machine, lab environment or not
  local want
  want='# OpenStackMigration lab (tests/lab): podman on this machine (hybrid cgroups, no systemd,
# no CAP_SYS_RESOURCE): runc (crun fails here), cgroupfs, file events, ulimits within the hard limits.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
  [[ "$(cat "$CONTAINERS_DROPIN" 2>/dev/null)" == "$want" ]] && return 0
  mkdir -p "$(dirname "$CONTAINERS_DROPIN")"
  printf '%s\n' "$want" >"$CONTAINERS_DROPIN"
}

# A `docker` that is podman, for `docker restart nova_compute` over SSH; only
# where no docker exists. The lab's own copy is always in $STATE/bin.
write_docker_shim() {
  mkdir -p "$STATE/bin"
  # (podman reads the lab's settings from the containers.conf.d drop-in.)
  printf '#!/bin/sh\n# docker -> podman (OpenStackMigration lab)\nexec podman "$@"\n' >"$STATE/bin/docker"
  chmod 755 "$STATE/bin/docker"
  if ! command -v docker >/dev/null 2>&1; then
    install -m 755 "$STATE/bin/docker" /usr/local/bin/docker
  fi
}

container_owner() { podman container inspect -f '{{index .Config.Labels "osm-lab.state"}}' "$CONTAINER_NAME" 2>/dev/null; }
# Which start of a lab made the container: a lab folder removed without down.sh
# leaves its container running, and a new lab at the same path must not take
# it for its own (its mounts hold the removed folder, its config the old one).
lab_id() {
  [[ -s "$STATE/lab.id" ]] || cat /proc/sys/kernel/random/uuid >"$STATE/lab.id"
  cat "$STATE/lab.id"
}
# Another lab is running when a process of its control plane is: a folder whose
# processes are gone (the machine restarted, or it was never brought down) holds
# nothing the container could serve.
other_lab_running() {
  local name pid
  [[ -d "$1" ]] || return 1
  for name in mariadb keystone rabbitmq; do
    [[ -s "$1/run/$name.pid" ]] || continue
    pid="$(cat "$1/run/$name.pid")"
    # (its command line names the folder: a pid reused after a restart does not)
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$1/" && return 0
  done
  return 1
}
container_lab_id() { podman container inspect -f '{{index .Config.Labels "osm-lab.id"}}' "$CONTAINER_NAME" 2>/dev/null; }
container_exists() { podman container exists "$CONTAINER_NAME" 2>/dev/null; }
container_running() {
  [[ "$(podman container inspect -f '{{.State.Running}}' "$CONTAINER_NAME" 2>/dev/null)" == true ]]
}
container_pid() { podman container inspect -f '{{.State.Pid}}' "$CONTAINER_NAME" 2>/dev/null; }

make_base_image() {
  podman image exists "$BASE_IMAGE" && return 0
  step "importing $ROOTFS_CACHE as image $BASE_IMAGE (once per machine)"
  tar -C "$ROOTFS_CACHE" --exclude=./.osm-lab-complete -c . | podman import -q - "$BASE_IMAGE" >>"$LOG/podman.log" 2>&1 \
    || { log_tail podman; die "podman import failed"; }
}

start_container() {
  local owner
  if container_exists; then
    owner="$(container_owner)"
    if [[ "$owner" != "$STATE" ]] && { [[ -z "$owner" ]] || other_lab_running "$owner"; }; then
      die "a container named $CONTAINER_NAME already exists and belongs to ${owner:-no lab} (label osm-lab.state), whose services run: stop that lab (its down.sh) or remove the container first"
    fi
    [[ "$owner" != "$STATE" ]] && step "container $CONTAINER_NAME was left by $owner, whose services are stopped: making it afresh"
    if [[ "$owner" == "$STATE" ]] && [[ "$(container_lab_id)" == "$(lab_id)" ]] && container_running; then return 0; fi
    # Stopped, or left by a lab whose state folder is gone or was made again at
    # the same path: make it afresh (its mounts and config may point at files
    # that no longer exist).
    podman rm -f -t 5 "$CONTAINER_NAME" >>"$LOG/podman.log" 2>&1 || true
  fi
  make_base_image
  mkdir -p "$KOLLA_DIR" "$STATE/kolla/bin"
  install -m 644 "$ETC/nova/nova-compute-$CONTAINER_HOST.conf" "$KOLLA_DIR/nova.conf"
  write_compute_program "$STATE/kolla/bin/nova-compute"
  rm -f "$CONTROL/stopped.nova-compute-$CONTAINER_HOST"
  step "starting container $CONTAINER_NAME ($CONTAINER_HOST, podman)..."
  # Kolla's layout: host network, the service's config folder mounted at
  # /etc/nova, the program at /var/lib/kolla/venv/bin. nova-compute is PID 1
  # (it exits on TERM); the host's /usr gives it Debian's python3 and nova.
  podman run -d --name "$CONTAINER_NAME" --label "osm-lab.state=$STATE" --label "osm-lab.id=$(lab_id)" --hostname "$CONTAINER_HOST" \
    --network host --stop-timeout 20 \
    -v /usr:/usr:ro -v "$STATE:$STATE" -v "$KOLLA_DIR:/etc/nova:ro" \
    -v "$STATE/kolla/bin/nova-compute:/var/lib/kolla/venv/bin/nova-compute:ro" \
    -e OSM_LAB_STATE="$STATE" -e OSM_LAB_FAKE_NODES=0 \
    --log-driver k8s-file --log-opt "path=$LOG/nova-compute-$CONTAINER_HOST.log" \
    "$BASE_IMAGE" /usr/bin/python3 /var/lib/kolla/venv/bin/nova-compute --config-file /etc/nova/nova.conf \
    >>"$LOG/podman.log" 2>&1 || { log_tail podman; die "podman run $CONTAINER_NAME failed"; }
}

remove_container() {
  container_exists || return 0
  [[ "$(container_owner)" == "$STATE" ]] || return 0
  podman rm -f -t 5 "$CONTAINER_NAME" >/dev/null 2>&1 || true
}
