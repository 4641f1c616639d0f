# shellcheck shell=bash
# Config templates for every lab service, written under $STATE/etc on each
# `up.sh` run (cheap, and keeps them in step with the scripts).
# Needs: STATE ETC LOG RUN CONTROL and the secrets (load_secrets).

db_url() { echo "mysql+pymysql://osm:${DB_PASSWORD}@127.0.0.1:${PORT_MYSQL}/$1?charset=utf8"; }
rabbit_url() { echo "rabbit://osm:${RABBIT_PASSWORD}@127.0.0.1:${PORT_AMQP}/"; }

# Every API sits behind HAProxy (lib/proxy.sh), which sets X-Forwarded-Proto:
# the APIs then put https links with the public port in their answers.
proxy_block() {
  printf '%s\n' '[oslo_middleware]' 'enable_proxy_headers_parsing = true'
}

# keystonemiddleware + service-user blocks shared by the API services.
# $1: section name, $2: user name
auth_block() {
  cat <<EOT
[$1]
auth_url = http://127.0.0.1:${PORT_KEYSTONE}/v3
www_authenticate_uri = https://127.0.0.1:${PUB_KEYSTONE}/v3
auth_type = password
username = $2
password = ${SERVICE_PASSWORD}
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
EOT
  # The API middleware's token cache (see start_memcached in up.sh).
  [[ "$1" == keystone_authtoken ]] && echo "memcached_servers = 127.0.0.1:${PORT_MEMCACHED}"
  return 0
}

write_mariadb_conf() {
  mkdir -p "$ETC/mysql"
  cat >"$ETC/mysql/my.cnf" <<EOT
# Lab MariaDB: data, socket and pid under the state folder, TCP on loopback only.
[mysqld]
datadir = $STATE/mysql
socket = $RUN/mysqld.sock
pid-file = $RUN/mysqld.real.pid
bind-address = 127.0.0.1
port = ${PORT_MYSQL}
user = root
skip-name-resolve
max_connections = 1000
innodb_buffer_pool_size = 256M
innodb_log_file_size = 64M
# A throw-away lab: favour speed over durability.
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
sync_binlog = 0
skip-log-bin
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
log-error = $LOG/mariadb.log

[client]
socket = $RUN/mysqld.sock
EOT
}

write_rabbitmq_conf() {
  mkdir -p "$ETC/rabbitmq" "$STATE/rabbitmq/home"
  cat >"$ETC/rabbitmq/rabbitmq.conf" <<EOT
listeners.tcp.default = 127.0.0.1:${PORT_AMQP}
default_user = osm
default_pass = ${RABBIT_PASSWORD}
loopback_users = none
log.file = false
log.console = true
log.console.level = warning
EOT
  # No plugins (no management UI): nothing else listens.
  echo '[].' >"$ETC/rabbitmq/enabled_plugins"
}

write_keystone_conf() {
  mkdir -p "$ETC/keystone" "$STATE/keystone/fernet-keys" "$STATE/keystone/credential-keys"
  cat >"$ETC/keystone/keystone.conf" <<EOT
[DEFAULT]
debug = ${LAB_DEBUG}
[database]
connection = $(db_url keystone)
[token]
provider = fernet
$([[ -s "$CONTROL/token_expiration" ]] && echo "# scenario.sh token-lifetime" && echo "expiration = $(cat "$CONTROL/token_expiration")")
[fernet_tokens]
key_repository = $STATE/keystone/fernet-keys
[credential]
key_repository = $STATE/keystone/credential-keys
# Keystone's own cache, as Kolla and OpenStack-Ansible deploy it: without it every first use of a token by an
# API costs Keystone about 1 s of validation, and whole-process timings measure that instead of the tools.
[cache]
enabled = true
backend = oslo_cache.memcache_pool
memcache_servers = 127.0.0.1:${PORT_MEMCACHED}
$(proxy_block)
EOT
}

write_placement_conf() {
  mkdir -p "$ETC/placement"
  cat >"$ETC/placement/placement.conf" <<EOT
[DEFAULT]
debug = ${LAB_DEBUG}
[placement_database]
connection = $(db_url placement)
[api]
auth_strategy = keystone
$(auth_block keystone_authtoken placement)
service_token_roles_required = true
$(proxy_block)
EOT
}

write_glance_conf() {
  mkdir -p "$ETC/glance" "$STATE/glance/images" "$STATE/glance/staging" "$STATE/glance/tasks"
  cp /usr/share/glance-common/glance-api-paste.ini "$ETC/glance/glance-api-paste.ini"
  cat >"$ETC/glance/glance-api.conf" <<EOT
[DEFAULT]
debug = ${LAB_DEBUG}
bind_host = 127.0.0.1
bind_port = ${PORT_GLANCE}
workers = 1
enabled_backends = fs:file
[database]
connection = $(db_url glance)
[paste_deploy]
flavor = keystone
config_file = $ETC/glance/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $STATE/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $STATE/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $STATE/glance/tasks
[oslo_concurrency]
lock_path = $STATE/lock
$(auth_block keystone_authtoken glance)
service_token_roles_required = true
$(proxy_block)
EOT
}

write_neutron_conf() {
  mkdir -p "$ETC/neutron"
  cp /usr/share/neutron-common/api-paste.ini "$ETC/neutron/api-paste.ini"
  cat >"$ETC/neutron/neutron.conf" <<EOT
[DEFAULT]
debug = ${LAB_DEBUG}
bind_host = 127.0.0.1
bind_port = ${PORT_NEUTRON}
api_paste_config = $ETC/neutron/api-paste.ini
core_plugin = ml2
service_plugins =
auth_strategy = keystone
transport_url = $(rabbit_url)
# One process answers both the API and RPC: enough for the lab.
api_workers = 0
rpc_workers = 0
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
state_path = $STATE/neutron
[database]
connection = $(db_url neutron)
[oslo_concurrency]
lock_path = $STATE/lock
$(auth_block keystone_authtoken neutron)
service_token_roles_required = true
$(proxy_block)
EOT
  # ML2 with no mechanism drivers: the API works, nothing is wired.
  cat >"$ETC/neutron/ml2_conf.ini" <<EOT
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers =
extension_drivers =
EOT
}

# nova.conf for api, conductor, scheduler and nova-manage.
write_nova_conf() {
  mkdir -p "$ETC/nova" "$STATE/nova"
  cp /usr/share/nova-common/api-paste.ini "$ETC/nova/api-paste.ini"
  # (scenario.sh slow-api's filter stays in while it is on)
  [[ -f "$CONTROL/slow_api" ]] && paste_add_slow_api
  nova_common_conf >"$ETC/nova/nova.conf"
  cat >>"$ETC/nova/nova.conf" <<EOT
[database]
connection = $(db_url nova)
[api_database]
connection = $(db_url nova_api)
[wsgi]
# (nova-api under uWSGI loads the paste file named first in OS_NOVA_CONFIG_FILES)
api_paste_config = $ETC/nova/api-paste.ini
[scheduler]
# Hosts are also mapped explicitly by up.sh; this catches later ones.
discover_hosts_in_cells_interval = 30
$(auth_block keystone_authtoken nova)
service_token_roles_required = true
$(proxy_block)
EOT
  # scenario.sh rpc-timeout/debug overrides of the conductor survive an up.sh
  [[ -s "$CONTROL/conf.conductor" ]] && write_overrides conductor
  return 0
}

# What every nova process shares (computes have no [database] at all: they
# go through the conductor).
nova_common_conf() {
  cat <<EOT
[DEFAULT]
debug = ${LAB_DEBUG}
transport_url = $(rabbit_url)
my_ip = 127.0.0.1
state_path = $STATE/nova
instances_path = $STATE/nova/instances
# Make a stopped compute show "down" quickly: reports every 5 s, down after 20 s.
report_interval = 5
service_down_time = 20
# The fake hypervisor reports a fixed size; the lab wants it all usable.
reserved_host_memory_mb = 0
reserved_host_disk_mb = 0
[api]
auth_strategy = keystone
[oslo_concurrency]
lock_path = $STATE/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
$(auth_block placement placement)
$(auth_block neutron neutron)
$(auth_block service_user nova)
send_service_user_token = true
$( [[ -f "$CONTROL/cinder" ]] && auth_block cinder cinder && echo "os_region_name = RegionOne" &&
   echo "catalog_info = volumev3:cinderv3:internalURL" )
EOT
}

# Per compute host: nova-compute-<host>.conf
write_compute_conf() {
  local host="$1"
  nova_common_conf >"$ETC/nova/nova-compute-$host.conf"
  cat >>"$ETC/nova/nova-compute-$host.conf" <<EOT
[DEFAULT]
host = $host
compute_driver = fake.LabFakeDriver
# Frequent resource updates so scenario.sh small-host takes effect in seconds;
# the many-node scale host keeps nova's default.
update_resources_interval = $([[ "$host" == scale ]] && echo 60 || echo 5)
EOT
  # scenario.sh rpc-timeout/debug overrides survive an up.sh
  [[ -s "$CONTROL/conf.$host" ]] && write_overrides "$host"
  return 0
}

write_openrc() {
  umask 077
  cat >"$STATE/openrc" <<EOT
# Admin credentials of the OpenStackMigration lab (generated by up.sh).
export OS_AUTH_URL=https://127.0.0.1:${PUB_KEYSTONE}/v3
export OS_CACERT=${TLS}/ca.pem
export OS_USERNAME=admin
export OS_PASSWORD='${ADMIN_PASSWORD}'
export OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_REGION_NAME=RegionOne
export OS_INTERFACE=public
export OS_IDENTITY_API_VERSION=3
EOT
  cat >"$STATE/clouds.yaml" <<EOT
clouds:
  osm-lab:
    auth:
      auth_url: https://127.0.0.1:${PUB_KEYSTONE}/v3
      username: admin
      password: '${ADMIN_PASSWORD}'
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    cacert: ${TLS}/ca.pem
    interface: public
    identity_api_version: 3
EOT
  umask 022
}
