#!/bin/sh
# Real sshd "nodes" on 127.0.0.1 for the remote-path tests and the benchmark.
#   loopback-sshd.sh start DIR COUNT   starts COUNT sshd on free ports; prints the ports, one per line.
#                                      DIR gets: id_ed25519 (client key, no passphrase), known_hosts, ports.
#   loopback-sshd.sh stop DIR          stops the sshd started in DIR.
# With OSM_NODE_ETC="nova haproxy" (folders of /etc; an empty one is made when missing, and left), each sshd runs in its own mount namespace
# where /etc/nova, /etc/haproxy... are bind mounts of DIR/node-PORT/nova..., seeded from the real ones:
# every port is then a node with its own files at the usual paths. Nothing else changes outside the namespace.
# Every node also gets a stock Debian root home (/root bind-mounted from DIR/root-home, seeded from base-files):
# Debian's bash sources ~/.bashrc for every command sshd runs, and this machine's own /root/.bashrc may do
# heavy work (a pyenv init spawns ~100 processes), which a fresh node does not.
# Needs root (sshd's privilege separation) and openssh-server (tests/integration-deps.sh installs it).
set -eu
cmd=${1:?start|stop}; dir=${2:?folder}

if [ "$cmd" = stop ]; then
    for pidfile in "$dir"/osm-sshd-*.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        # unshare --fork ignores SIGTERM; SIGKILL takes it and (--kill-child) its sshd down.
        case "$pid" in ''|*[!0-9]*|0|1) ;; *) kill -KILL "$pid" 2>/dev/null || true ;; esac
        rm -f "$pidfile"
    done
    exit 0
fi

count=${3:-1}
mkdir -p "$dir" /run/sshd
chmod 700 "$dir"
[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
if [ ! -d "$dir/root-home" ]; then
    mkdir -p "$dir/root-home"; chmod 700 "$dir/root-home"
    for f in bashrc profile; do
        if [ -f "/usr/share/base-files/dot.$f" ]; then cp "/usr/share/base-files/dot.$f" "$dir/root-home/.$f"
        elif [ -f "/etc/skel/.$f" ]; then cp "/etc/skel/.$f" "$dir/root-home/.$f"; fi
    done
fi
: > "$dir/known_hosts"; : > "$dir/ports"

# Free ports from the kernel (bind to port 0), all at once so they differ.
ports=$(/usr/bin/python3 -c "
import socket
ss=[socket.socket() for _ in range($count)]
[s.bind(('127.0.0.1',0)) for s in ss]
print(' '.join(str(s.getsockname()[1]) for s in ss))
[s.close() for s in ss]")

for port in $ports; do
    cat > "$dir/sshd-$port.conf" <<CFG
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile none
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 64
MaxStartups 64
LogLevel ERROR
CFG
    mounts=" mount --bind '$dir/root-home' /root &&"
    for sub in ${OSM_NODE_ETC:-}; do
        # When this machine has none: an empty mount point, left in place (another run may have its node's
        # copy mounted on it; removing it would take that away).
        mkdir -p "/etc/$sub"
        mkdir -p "$dir/node-$port"
        rm -rf "$dir/node-$port/$sub"; cp -a "/etc/$sub" "$dir/node-$port/$sub"
        mounts="$mounts mount --bind '$dir/node-$port/$sub' '/etc/$sub' &&"
    done
    unshare -m -p -f --kill-child --mount-proc sh -c "mount --make-rprivate / && $mounts exec /usr/sbin/sshd -D -f '$dir/sshd-$port.conf' -p $port -E '$dir/sshd-$port.log'" </dev/null >/dev/null 2>&1 &
    # Our own record of the process we started (sshd's own pid file would say 1 inside a pid namespace).
    echo $! > "$dir/osm-sshd-$port.pid"
    echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >> "$dir/known_hosts"
    echo "$port" >> "$dir/ports"
done

for port in $ports; do
    i=0
    until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1).close()" 2>/dev/null; do
        i=$((i+1)); [ $i -lt 50 ] || { echo "sshd on port $port did not start; see $dir/sshd-$port.log" >&2; exit 1; }
        sleep 0.1
    done
done
cat "$dir/ports"
