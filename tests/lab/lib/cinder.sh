# shellcheck shell=bash
# Cinder for `up.sh --cinder` (phase 2). Sourced by up.sh; uses its helpers.
#
# Only python3-cinder is installed: the cinder-api/-volume/-common packages
# pull in LVM, cryptsetup and cgroup tools. The two files Cinder needs from
# cinder-common (api-paste.ini, resource_filters.json) and its WSGI script are
# taken from the package file itself (apt-get download + dpkg-deb -x).

CINDER_PKG="$STATE/pkg/cinder-common"

fetch_cinder_common() {
  [[ -f "$CINDER_PKG/usr/bin/cinder-wsgi" ]] && return 0
  step "extracting cinder-common's paste/filter files"
  mkdir -p "$STATE/pkg"
  # (apt-get update first if the package lists do not know the file.)
  ( cd "$STATE/pkg" && rm -f cinder-common_*.deb &&
    { apt-get download -q cinder-common || { apt-get update -q && apt-get download -q cinder-common; }; }
  ) >>"$STATE/apt.log" 2>&1 \
    || { tail -n 20 "$STATE/apt.log" >&2; die "apt-get download cinder-common failed"; }
  dpkg-deb -x "$STATE"/pkg/cinder-common_*.deb "$CINDER_PKG"
}

write_cinder_conf() {
  mkdir -p "$ETC/cinder" "$STATE/cinder/coordination" "$STATE/cinder/volumes"
  cp "$CINDER_PKG/usr/share/cinder-common/api-paste.ini" "$ETC/cinder/api-paste.ini"
  cp "$CINDER_PKG/etc/cinder/resource_filters.json" "$ETC/cinder/resource_filters.json"
  cat >"$ETC/cinder/cinder.conf" <<EOT
[DEFAULT]
debug = ${LAB_DEBUG}
transport_url = $(rabbit_url)
auth_strategy = keystone
my_ip = 127.0.0.1
state_path = $STATE/cinder
api_paste_config = $ETC/cinder/api-paste.ini
resource_query_filters_file = $ETC/cinder/resource_filters.json
enabled_backends = fake
default_volume_type = __DEFAULT__
report_interval = 5
service_down_time = 20
# cinder-volume tells the scheduler its pools from a periodic task that by default first runs after a random delay
# of up to 60 s, about when the scheduler stops waiting for backends: a volume made then finds no backend.
periodic_interval = 5
periodic_fuzzy_delay = 0
backend_stats_polling_interval = 5
# Service-to-service calls stay on the internal (plain HTTP) endpoints.
glance_catalog_info = image:glance:internalURL
[database]
connection = $(db_url cinder)
[fake]
# Volumes exist only in Cinder's database: no LVM, no iSCSI, no /dev.
volume_driver = cinder.tests.fake_driver.FakeLoggingVolumeDriver
volume_backend_name = fake
[coordination]
backend_url = file://$STATE/cinder/coordination
[oslo_concurrency]
lock_path = $STATE/lock
[oslo_messaging_notifications]
driver = noop
$(auth_block keystone_authtoken cinder)
service_token_roles_required = true
$(proxy_block)
$(auth_block nova nova)
interface = internal
$(auth_block service_user cinder)
send_service_user_token = true
EOT
}

sync_cinder() {
  "$PY" "$CINDER_PKG/usr/bin/cinder-manage" --config-file "$ETC/cinder/cinder.conf" db sync
}

launch_cinder() {
  wait_sync cinder
  # The WSGI entry point reads --config-file from its own argv: --pyargv.
  start_uwsgi cinder-api ${PORT_CINDER} "$CINDER_PKG/usr/bin/cinder-wsgi" 1 4 \
    --pyargv "--config-file $ETC/cinder/cinder.conf"
  local svc
  for svc in scheduler volume; do
    if ! is_running "cinder-$svc"; then
      step "starting cinder-$svc..."
      start_bg "cinder-$svc" "$PY" "$LAB_LIB/cinder_launcher.py" "$svc" \
        --config-file "$ETC/cinder/cinder.conf"
    fi
  done
}

cinder_volume_service_up() {
  openstack volume service list --service cinder-volume -f value -c State 2>/dev/null | grep -qx up
}

# The scheduler has the fake backend's pool (capabilities received): only then can a volume be placed.
cinder_pool_known() {
  python_lab cinder-pools >/dev/null 2>&1
}

ready_cinder() {
  wait_until cinder-api 90 http_up http://127.0.0.1:${PORT_CINDER}/
  wait_until cinder-api 30 public_up "${PUB_CINDER}"
  wait_until cinder-volume 90 cinder_volume_service_up
  wait_until cinder-scheduler 90 cinder_pool_known
  step "cinder up (127.0.0.1:${PORT_CINDER}, volume backend 'fake')"
}

seed_cinder() {
  python_lab boot cirros_bfv --host compute1 --flavor m1.tiny --boot-volume-gb 1
  python_lab boot cirros_data --host compute1 --flavor m1.tiny --data-volume-gb 1
}
