#!/bin/sh
# Installs what the real-parts tests of the config feature drive: haproxy (validate and reload a real
# proxy), openssh-server (remote nodes on loopback), sudo (-SudoPassword against the real sudo),
# python3-oslo.config (an independent reader of every file we write) and Debian's nova-common /
# cinder-common sample configuration files.
# Idempotent: installs only what is missing. Skips (exit 0, with a message) when not root or not Debian.
set -eu

if [ "$(id -u)" != "0" ]; then
    echo "integration-deps: skipped: not root, cannot install packages" >&2
    exit 0
fi
if [ ! -r /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "integration-deps: skipped: not a Debian system" >&2
    exit 0
fi

missing=""
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing="$missing haproxy"
[ -x /usr/sbin/sshd ] || missing="$missing openssh-server"
command -v ssh-keygen >/dev/null 2>&1 || missing="$missing openssh-client"
[ -x /usr/bin/sudo ] || missing="$missing sudo"
/usr/bin/python3 -c 'import oslo_config' >/dev/null 2>&1 || missing="$missing python3-oslo.config"

if [ -n "$missing" ]; then
    echo "integration-deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    # shellcheck disable=SC2086
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
else
    echo "integration-deps: haproxy, openssh-server, sudo and python3-oslo.config already present"
fi

# Debian's packaged nova.conf and cinder.conf, as shipped, for the tests to edit copies of.
# nova-common and cinder-common only have to be downloaded and unpacked, never installed.
samples="${OSM_SAMPLES_DIR:-/var/tmp/openstackmigration-samples}"
if [ ! -s "$samples/nova.conf" ] || [ ! -s "$samples/cinder.conf" ]; then
    mkdir -p "$samples/debs"
    cd "$samples/debs"
    apt-get -o APT::Sandbox::User=root download nova-common cinder-common >/dev/null
    for deb in nova-common_*.deb cinder-common_*.deb; do
        dpkg-deb -x "$deb" "$samples/root"
    done
    # Debian keeps the sample in /usr/share/<pkg>-common and copies it to /etc at configure time.
    for svc in nova cinder; do
        src=$(find "$samples/root" -path "*${svc}-common*" -name "${svc}.conf" | head -n 1)
        [ -n "$src" ] || src=$(find "$samples/root" -name "${svc}.conf" | head -n 1)
        [ -n "$src" ] || { echo "integration-deps: no ${svc}.conf found in ${svc}-common" >&2; exit 1; }
        cp "$src" "$samples/$svc.conf"
    done
    echo "integration-deps: samples in $samples"
fi
