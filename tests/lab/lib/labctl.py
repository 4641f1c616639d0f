#!/usr/bin/python3
"""The lab's set-up and scenario helper: plain REST calls through keystoneauth.

One process and one token per command, which is much faster than dozens of
`openstack` invocations. Every sub-command is idempotent and prints what it
did. Credentials come from the OS_* environment (the lab's openrc).

Sub-commands (see `labctl.py -h`): keystone-seed, compute-seed, image,
boot, crowd, wait-hypervisors, neutron-warmup, placement-memory, cleanup,
server-ids.
"""
import argparse
import datetime
import json
import os
import re
import sys
import time

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

INTERNAL = 'http://127.0.0.1'
PUBLIC = 'https://127.0.0.1'   # HAProxy, TLS (lib/proxy.sh): backend port + 30000


def _port(name, default):  # exported by lib/common.sh (OSM_LAB_PORT_OFFSET)
    return int(os.environ.get(name, default))


def _urls(var, default, path=''):
    """{interface: url}: public through HAProxy (https), internal/admin direct."""
    port = _port(var, default)
    internal = '%s:%d%s' % (INTERNAL, port, path)
    return {'public': '%s:%d%s' % (PUBLIC, port + 30000, path),
            'internal': internal, 'admin': internal}


ENDPOINTS = {
    # type: (name, {interface: url})
    'compute': ('nova', _urls('PORT_NOVA', 8774, '/v2.1')),
    'placement': ('placement', _urls('PORT_PLACEMENT', 8778)),
    'image': ('glance', _urls('PORT_GLANCE', 9292)),
    'network': ('neutron', _urls('PORT_NEUTRON', 9696)),
}
CINDER_ENDPOINT = {'volumev3': ('cinderv3', _urls('PORT_CINDER', 8776, '/v3/%(project_id)s'))}
# keystone-manage bootstrap created these; keystone-seed corrects their URLs.
IDENTITY_ENDPOINT = {'identity': ('keystone', _urls('PORT_KEYSTONE', 5000, '/v3'))}
SERVICE_USERS = ['nova', 'placement', 'glance', 'neutron']
FLAVORS = [  # name, ram MB, vcpus, disk GB
    ('m1.tiny', 512, 1, 1),
    ('m1.small', 2048, 1, 20),
    ('m1.medium', 4096, 2, 40),
    ('m1.large', 8192, 4, 80),
]
QUOTAS = {'instances': 2000, 'cores': 20000, 'ram': 20000000}  # RAM: ~19 TiB
VOLUME_QUOTAS = {'volumes': 1000, 'gigabytes': 100000, 'snapshots': 1000}


def say(msg):
    print('[lab] ' + msg, flush=True)


def session():
    env = os.environ
    auth = v3.Password(
        auth_url=env['OS_AUTH_URL'], username=env['OS_USERNAME'],
        password=env['OS_PASSWORD'], project_name=env['OS_PROJECT_NAME'],
        user_domain_name=env['OS_USER_DOMAIN_NAME'],
        project_domain_name=env['OS_PROJECT_DOMAIN_NAME'])
    # The public endpoints are https with the lab's own CA (openrc: OS_CACERT).
    return ks_session.Session(auth=auth, verify=env.get('OS_CACERT') or True)


class Api:
    """Tiny REST wrapper: api.get('compute', '/servers', mv='2.74')."""

    def __init__(self):
        self.s = session()

    def call(self, method, service, path, body=None, mv=None, ok=None,
             headers=None, data=None):
        hdr = dict(headers or {})
        if service == 'identity' and path.startswith('/v3/'):
            path = path[3:]  # the catalog's identity URL already ends in /v3
        if mv:
            hdr['OpenStack-API-Version'] = '%s %s' % (service, mv)
            hdr['X-OpenStack-Nova-API-Version'] = mv
        kw = dict(endpoint_filter={'service_type': service,
                                   'interface': 'public',
                                   'region_name': 'RegionOne'},
                  headers=hdr, raise_exc=False)
        if body is not None:
            kw['json'] = body
        if data is not None:
            kw['data'] = data
        r = self.s.request(path, method, **kw)
        if r.status_code >= 400 and r.status_code not in (ok or ()):
            raise SystemExit('[lab] ERROR: %s %s %s -> %s %s' % (
                method, service, path, r.status_code, r.text[:500]))
        return r

    def get(self, service, path, **kw):
        return self.call('GET', service, path, **kw).json()

    def post(self, service, path, body=None, **kw):
        return self.call('POST', service, path, body=body, **kw)

    def put(self, service, path, body=None, **kw):
        return self.call('PUT', service, path, body=body, **kw)

    def delete(self, service, path, **kw):
        return self.call('DELETE', service, path, **kw)

    @property
    def project_id(self):
        return self.s.get_project_id()


# --- keystone ------------------------------------------------------------------

def _find_or_create(api, collection, query, body, label):
    key = collection[:-1]
    found = api.get('identity', '/v3/%s?%s' % (collection, query))[collection]
    if found:
        return found[0]['id'], False
    r = api.post('identity', '/v3/' + collection, {key: body}).json()[key]
    say('created %s %s' % (key, label))
    return r['id'], True


def keystone_seed(args):
    api = Api()
    password = os.environ['LAB_SERVICE_PASSWORD']
    project, _ = _find_or_create(api, 'projects', 'name=service&domain_id=default',
                                 {'name': 'service', 'domain_id': 'default',
                                  'description': 'lab service users'}, 'service')
    roles = {}
    for role in ('admin', 'service'):
        roles[role], _ = _find_or_create(api, 'roles', 'name=' + role,
                                         {'name': role}, role)
    users = SERVICE_USERS + (['cinder'] if args.cinder else [])
    for name in users:
        uid, _ = _find_or_create(
            api, 'users', 'name=%s&domain_id=default' % name,
            {'name': name, 'password': password, 'domain_id': 'default'}, name)
        for role in ('admin', 'service'):
            api.put('identity', '/v3/projects/%s/users/%s/roles/%s'
                    % (project, uid, roles[role]))
    endpoints = dict(ENDPOINTS)
    if args.cinder:
        endpoints.update(CINDER_ENDPOINT)
    for stype, (name, urls) in list(endpoints.items()) + list(IDENTITY_ENDPOINT.items()):
        sid, _ = _find_or_create(api, 'services', 'type=' + stype,
                                 {'type': stype, 'name': name, 'enabled': True}, name)
        for iface, url in urls.items():
            eid, created = _find_or_create(
                api, 'endpoints', 'service_id=%s&interface=%s' % (sid, iface),
                {'service_id': sid, 'interface': iface, 'url': url,
                 'region_id': 'RegionOne'}, '%s %s' % (name, iface))
            if not created:  # a lab made before HAProxy: public was http
                ep = api.get('identity', '/v3/endpoints/' + eid)['endpoint']
                if ep['url'] != url:
                    api.call('PATCH', 'identity', '/v3/endpoints/' + eid,
                             body={'endpoint': {'url': url}})
                    say('endpoint %s %s now %s' % (name, iface, url))
    say('keystone: service project, roles, %d service users, %d services ready'
        % (len(users), len(endpoints)))


# --- nova: flavors, quotas --------------------------------------------------------

def compute_seed(args):
    api = Api()
    have = {f['name'] for f in api.get('compute', '/flavors?is_public=None')['flavors']}
    for name, ram, vcpus, disk in FLAVORS:
        if name not in have:
            api.post('compute', '/flavors', {'flavor': {
                'name': name, 'ram': ram, 'vcpus': vcpus, 'disk': disk,
                'id': name}})
            say('created flavor %s (%d MB, %d vCPU, %d GB)' % (name, ram, vcpus, disk))
    api.put('compute', '/os-quota-sets/' + api.project_id, {'quota_set': QUOTAS})
    say('compute quotas of project admin: %s' % QUOTAS)
    if args.cinder:
        api.put('volumev3', '/os-quota-sets/' + api.project_id,
                {'quota_set': VOLUME_QUOTAS})
        say('volume quotas of project admin: %s' % VOLUME_QUOTAS)


# --- glance -------------------------------------------------------------------

def image(args):
    api = Api()
    found = api.get('image', '/v2/images?name=' + args.name)['images']
    if found and found[0]['status'] == 'active':
        say('image %s already active (%s)' % (args.name, found[0]['id']))
        return
    for img in found:  # a half-uploaded left-over
        api.delete('image', '/v2/images/' + img['id'])
    img = api.post('image', '/v2/images', {
        'name': args.name, 'disk_format': 'raw', 'container_format': 'bare',
        'visibility': 'public'}).json()
    with open(args.file, 'rb') as f:
        api.put('image', '/v2/images/%s/file' % img['id'], data=f.read(),
                headers={'Content-Type': 'application/octet-stream'})
    say('uploaded image %s (%s, %d bytes)' % (args.name, img['id'],
                                              os.path.getsize(args.file)))


# --- servers --------------------------------------------------------------------

def _servers(api, **filters):
    q = '&'.join('%s=%s' % kv for kv in filters.items())
    return api.get('compute', '/servers/detail?all_tenants=1&' + q, mv='2.74')['servers']


def _image_id(api, name):
    found = api.get('image', '/v2/images?name=' + name)['images']
    if not found:
        raise SystemExit('[lab] ERROR: no image named %s' % name)
    return found[0]['id']


def _create_server(api, name, host, flavor, image_name=None, bfv_gb=None):
    server = {'name': name, 'flavorRef': flavor, 'networks': 'none', 'host': host}
    img = _image_id(api, image_name or 'cirros')
    if bfv_gb:
        server['block_device_mapping_v2'] = [{
            'boot_index': 0, 'uuid': img, 'source_type': 'image',
            'destination_type': 'volume', 'volume_size': bfv_gb,
            'delete_on_termination': True}]
        server['imageRef'] = ''
    else:
        server['imageRef'] = img
    return api.post('compute', '/servers', {'server': server}, mv='2.74').json()['server']['id']


def _wait_active(api, ids, timeout):
    end = time.time() + timeout
    pending = set(ids)
    while pending and time.time() < end:
        for sid in list(pending):
            s = api.get('compute', '/servers/' + sid, mv='2.74')['server']
            if s['status'] == 'ACTIVE':
                pending.discard(sid)
            elif s['status'] == 'ERROR':
                raise SystemExit('[lab] ERROR: server %s (%s) went to ERROR: %s'
                                 % (s['name'], sid, s.get('fault', {}).get('message')))
        if pending:
            time.sleep(1)
    if pending:
        raise SystemExit('[lab] ERROR: servers not ACTIVE after %ds: %s'
                         % (timeout, sorted(pending)))


def boot(args):
    """Boot one named server if it does not exist yet (the seed's instances)."""
    api = Api()
    existing = _servers(api, name='^%s$' % args.name)
    if existing:
        s = existing[0]
        if s['status'] != 'ACTIVE':
            _wait_active(api, [s['id']], args.timeout)
        say('server %s already exists (%s on %s)' % (
            args.name, s['id'], s['OS-EXT-SRV-ATTR:host']))
        return s['id']
    sid = _create_server(api, args.name, args.host, args.flavor,
                         bfv_gb=args.boot_volume_gb)
    _wait_active(api, [sid], args.timeout)
    say('booted %s (%s) on %s' % (args.name, sid, args.host))
    if args.data_volume_gb:
        vol = api.post('volumev3', '/volumes', {'volume': {
            'name': args.name + '-data', 'size': args.data_volume_gb}}).json()['volume']
        _wait_volume(api, vol['id'], ('available',), args.timeout)
        api.post('compute', '/servers/%s/os-volume_attachments' % sid,
                 {'volumeAttachment': {'volumeId': vol['id']}})
        _wait_volume(api, vol['id'], ('in-use',), args.timeout)
        say('attached volume %s-data (%s, %d GB) to %s' % (
            args.name, vol['id'], args.data_volume_gb, args.name))
    return sid


def _wait_volume(api, vid, statuses, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = api.get('volumev3', '/volumes/' + vid)['volume']
        if v['status'] in statuses:
            return
        if v['status'].startswith('error'):
            raise SystemExit('[lab] ERROR: volume %s is %s' % (vid, v['status']))
        time.sleep(1)
    raise SystemExit('[lab] ERROR: volume %s not %s after %ds' % (vid, statuses, timeout))


def crowd(args):
    api = Api()
    ids = []
    base = 'crowd-%s-' % args.host
    taken = {s['name'] for s in _servers(api, name='^' + base)}
    n = 0
    while len(ids) < args.count:
        n += 1
        name = '%s%d' % (base, n)
        if name in taken:
            continue
        ids.append(_create_server(api, name, args.host, args.flavor))
    _wait_active(api, ids, args.timeout)
    say('booted %d %s instance(s) on %s (names %s*)' % (len(ids), args.flavor,
                                                        args.host, base))


def _count_servers(api, name_re, status=None):
    """How many servers match, read page by page (the admin project's and every other's)."""
    n, marker = 0, None
    while True:
        q = 'all_tenants=1&limit=1000&name=' + name_re + ('&status=' + status if status else '')
        page = api.get('compute', '/servers?' + q + ('&marker=' + marker if marker else ''))['servers']
        n += len(page)
        if len(page) < 1000:
            return n
        marker = page[-1]['id']


def flood(args):
    """Boot COUNT tiny instances on a host (the scale host's nodes), BATCH per request (min/max_count)."""
    api = Api()
    name_re = '^flood-'
    have = _count_servers(api, name_re)
    want = args.count
    if have < want:
        quota = dict(QUOTAS, instances=max(QUOTAS['instances'], want + 1000),
                     cores=max(QUOTAS['cores'], 2 * (want + 1000)))
        api.put('compute', '/os-quota-sets/' + api.project_id, {'quota_set': quota})
    img = _image_id(api, 'cirros')
    start = time.time()
    while have < want:
        n = min(args.batch, want - have)
        api.post('compute', '/servers', {'server': {
            'name': 'flood-%d' % have, 'flavorRef': args.flavor, 'imageRef': img,
            'networks': 'none', 'host': args.host, 'min_count': n, 'max_count': n}}, mv='2.74')
        have += n
        say('asked for %d of %d flood instances (%.0fs)' % (have, want, time.time() - start))
    end = time.time() + args.timeout
    while True:
        try:
            active = _count_servers(api, name_re, 'ACTIVE')
            errors = _count_servers(api, name_re, 'ERROR')
        except ks_exc.ClientException as e:  # the API is busy building them; ask again
            say('counting failed (%s); again in 10 s' % e)
            time.sleep(10)
            continue
        say('%d of %d flood instances ACTIVE, %d ERROR (%.0fs)' % (active, want, errors, time.time() - start))
        if errors:
            raise SystemExit('[lab] ERROR: %d flood instances went to ERROR' % errors)
        if active >= want:
            return
        if time.time() > end:
            raise SystemExit('[lab] ERROR: flood instances not ACTIVE after %ds' % args.timeout)
        time.sleep(10)


def cleanup(args):
    api = Api()
    keep = set(args.keep)
    doomed = [s for s in _servers(api) if s['name'] not in keep]
    for s in doomed:
        api.delete('compute', '/servers/' + s['id'], ok=(404,))
    end = time.time() + args.timeout
    while doomed and time.time() < end:
        left = {s['id'] for s in _servers(api)} & {s['id'] for s in doomed}
        if not left:
            break
        time.sleep(1)
    else:
        if doomed:
            raise SystemExit('[lab] ERROR: servers still there after %ds' % args.timeout)
    say('deleted %d instance(s), kept %s' % (len(doomed), ', '.join(sorted(keep))))
    _drop_orphan_allocations(api)
    if args.volumes:
        attached_ok = {'in-use'}
        vols = api.get('volumev3', '/volumes/detail?all_tenants=1')['volumes']
        gone = 0
        for v in vols:
            if v['status'] not in attached_ok and not v['name'].startswith(tuple(keep)):
                api.delete('volumev3', '/volumes/' + v['id'], ok=(400, 404))
                gone += 1
        say('deleted %d unattached volume(s)' % gone)


FINISHED_MIGRATION = {'completed', 'confirmed', 'reverted', 'error', 'failed',
                      'cancelled', 'done', 'finished'}


def _drop_orphan_allocations(api):
    """Placement allocations on the lab's small hosts whose consumer is neither an instance nor an
    unfinished migration: a migration that failed or was aborted can leave its allocation behind (Nova's
    `nova-manage placement audit --delete` does the same in a real cloud). Without this a later test's
    figures for compute2 start from a host that looks half full."""
    servers, marker = set(), None
    while True:  # every instance, page by page (a flood can hold thousands)
        page = api.get('compute', '/servers?all_tenants=1&limit=1000' + ('&marker=' + marker if marker else ''))['servers']
        servers.update(s['id'] for s in page)
        if len(page) < 1000:
            break
        marker = page[-1]['id']
    moving = {m['uuid'] for m in api.get('compute', '/os-migrations', mv='2.59')['migrations']
              if m.get('status') not in FINISHED_MIGRATION}
    dropped = 0
    for rp in api.get('placement', '/resource_providers')['resource_providers']:
        if not re.match(r'^compute\d+$', rp['name']):
            continue
        held = api.get('placement', '/resource_providers/%s/allocations' % rp['uuid'])['allocations']
        for consumer in held:
            if consumer not in servers and consumer not in moving:
                api.delete('placement', '/allocations/' + consumer, ok=(404,))
                say('dropped the orphaned allocation of consumer %s on %s' % (consumer, rp['name']))
                dropped += 1
    return dropped


# --- compute services -------------------------------------------------------------

def _compute_service(api, host, binary='nova-compute'):
    svcs = api.get('compute', '/os-services?binary=%s&host=%s' % (binary, host),
                   mv='2.53')['services']
    if not svcs:
        raise SystemExit('[lab] ERROR: no %s service on host %s' % (binary, host))
    return svcs[0]


def _reported_since(svc, since):
    """The service's last report (updated_at, UTC) is after epoch SINCE."""
    stamp = svc.get('updated_at')
    if not stamp:
        return False
    t = datetime.datetime.strptime(stamp[:19], '%Y-%m-%dT%H:%M:%S')
    return t.replace(tzinfo=datetime.timezone.utc).timestamp() > since


def service_set(args):
    api = Api()
    svc = _compute_service(api, args.host)
    if args.action == 'unforce':
        # A forced-down service (an evacuation's fencing mark) never counts as up, whatever it reports. Nova
        # refuses (400) while `done` evacuation records remain: the restarted nova-compute completes them first.
        end = time.time() + 90
        while svc.get('forced_down'):
            r = api.call('PUT', 'compute', '/os-services/' + svc['id'], body={'forced_down': False}, mv='2.53', ok=(400,))
            if r.status_code < 300:
                say('nova-compute on %s is no longer forced down' % args.host)
                break
            if time.time() > end:
                raise SystemExit('[lab] ERROR: %s stays forced down: %s' % (args.host, r.text))
            time.sleep(2)
        return
    body = {'status': 'enabled' if args.action == 'enable' else 'disabled'}
    if args.action == 'disable':
        body['disabled_reason'] = args.reason
    elif svc.get('forced_down'):
        body['forced_down'] = False
    api.put('compute', '/os-services/' + svc['id'], body, mv='2.53')
    say('nova-compute on %s %sd%s' % (args.host, args.action,
        (' (reason: %s)' % args.reason) if args.action == 'disable' else ''))


def service_wait(args):
    """Wait until the service (nova-compute) of HOST reports STATE (up/down);
    with --since, "up" also needs a report newer than that epoch time (a
    restarted service still looks up on its previous report for a while)."""
    api = Api()
    t0 = time.time()
    end = t0 + args.timeout
    while time.time() < end:
        svc = _compute_service(api, args.host, args.binary)
        if svc['state'] == args.state and (
                args.state == 'down' or not args.since
                or _reported_since(svc, args.since)):
            say('%s on %s is %s (after %.0fs)' % (args.binary, args.host,
                                                  args.state, time.time() - t0))
            return
        time.sleep(1)
    raise SystemExit('[lab] ERROR: %s on %s not %s after %ds'
                     % (args.binary, args.host, args.state, args.timeout))


def abort_migrations(args):
    """Abort every running live migration (so held ones do not linger)."""
    api = Api()
    n = 0
    migs = api.get('compute', '/os-migrations?migration_type=live-migration',
                   mv='2.80')['migrations']
    for m in migs:
        if m['status'] in ('queued', 'preparing', 'running'):
            api.delete('compute', '/servers/%s/migrations/%s'
                       % (m['instance_uuid'], m['id']), mv='2.80', ok=(400, 404, 409))
            n += 1
    end = time.time() + args.timeout
    while n and time.time() < end:
        migs = api.get('compute', '/os-migrations?migration_type=live-migration',
                       mv='2.80')['migrations']
        if not [m for m in migs if m['status'] in ('queued', 'preparing', 'running')]:
            break
        time.sleep(1)
    say('aborted %d running live migration(s)' % n)


def send_home(args):
    """Live-migrate the seed's instances back to the host they were booted on."""
    api = Api()
    for pair in args.pairs:
        name, home = pair.split('=')
        found = _servers(api, name='^%s$' % name)
        if not found:
            continue
        s = found[0]
        if s['OS-EXT-SRV-ATTR:host'] == home:
            continue
        api.post('compute', '/servers/%s/action' % s['id'],
                 {'os-migrateLive': {'host': home, 'block_migration': 'auto'}}, mv='2.74')
        end = time.time() + args.timeout
        while time.time() < end:
            time.sleep(1)
            cur = api.get('compute', '/servers/' + s['id'], mv='2.74')['server']
            if cur['OS-EXT-SRV-ATTR:host'] == home and cur['OS-EXT-STS:task_state'] is None:
                break
        else:
            raise SystemExit('[lab] ERROR: %s did not move back to %s' % (name, home))
        say('moved %s back to %s' % (name, home))


# --- readiness ------------------------------------------------------------------

def cinder_pools(args):
    """Exit 0 once Cinder's scheduler knows a pool (the volume service's capabilities arrived)."""
    pools = Api().get('volumev3', '/scheduler-stats/get_pools')['pools']
    if not pools:
        raise SystemExit(1)
    say('cinder scheduler pools: %s' % ', '.join(p['name'] for p in pools))


def wait_hypervisors(args):
    api = Api()
    end = time.time() + args.timeout
    n = -1
    while time.time() < end:
        hyps = api.get('compute', '/os-hypervisors', mv='2.53', ok=(500,)).get('hypervisors', [])
        n = len(hyps)
        if n >= args.count:
            say('%d hypervisors visible' % n)
            return
        time.sleep(2)
    raise SystemExit('[lab] ERROR: %d hypervisors after %ds, expected %d'
                     % (n, args.timeout, args.count))


def neutron_warmup(args):
    # Debian's neutron 21 answers the very first GET /v2.0/ports with a 500
    # until some other ORM query has run; do that query now, then check ports.
    api = Api()
    api.call('GET', 'network', '/v2.0/networks', ok=(500,))
    for _ in range(20):
        r = api.call('GET', 'network', '/v2.0/ports', ok=(500,))
        if r.status_code == 200:
            say('neutron answers /v2.0/ports')
            return
        time.sleep(0.5)
    raise SystemExit('[lab] ERROR: neutron keeps failing GET /v2.0/ports')


def placement_memory(args):
    """Wait until the provider named NODE reports MEMORY_MB total == MB."""
    api = Api()
    end = time.time() + args.timeout
    total = None
    while time.time() < end:
        rps = api.get('placement', '/resource_providers?name=' + args.node)['resource_providers']
        if rps:
            inv = api.get('placement', '/resource_providers/%s/inventories'
                          % rps[0]['uuid'])['inventories']
            total = inv.get('MEMORY_MB', {}).get('total')
            if total == args.mb:
                say('placement: %s MEMORY_MB total=%s max_unit=%s reserved=%s' % (
                    args.node, total, inv['MEMORY_MB']['max_unit'],
                    inv['MEMORY_MB']['reserved']))
                return
        time.sleep(1)
    raise SystemExit('[lab] ERROR: %s MEMORY_MB is %s, not %d, after %ds'
                     % (args.node, total, args.mb, args.timeout))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    sub = p.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('keystone-seed')
    c.add_argument('--cinder', action='store_true')
    c.set_defaults(func=keystone_seed)
    c = sub.add_parser('compute-seed')
    c.add_argument('--cinder', action='store_true')
    c.set_defaults(func=compute_seed)
    c = sub.add_parser('image')
    c.add_argument('name')
    c.add_argument('file')
    c.set_defaults(func=image)
    c = sub.add_parser('boot')
    c.add_argument('name')
    c.add_argument('--host', required=True)
    c.add_argument('--flavor', default='m1.tiny')
    c.add_argument('--boot-volume-gb', type=int)
    c.add_argument('--data-volume-gb', type=int)
    c.add_argument('--timeout', type=int, default=120)
    c.set_defaults(func=boot)
    c = sub.add_parser('crowd')
    c.add_argument('host')
    c.add_argument('count', type=int)
    c.add_argument('flavor', nargs='?', default='m1.tiny')
    c.add_argument('--timeout', type=int, default=300)
    c.set_defaults(func=crowd)
    c = sub.add_parser('flood')
    c.add_argument('count', type=int)
    c.add_argument('--host', default='scale')
    c.add_argument('--flavor', default='m1.tiny')
    c.add_argument('--batch', type=int, default=200)
    c.add_argument('--timeout', type=int, default=3600)
    c.set_defaults(func=flood)
    c = sub.add_parser('cleanup')
    c.add_argument('--keep', action='append', default=[])
    c.add_argument('--volumes', action='store_true')
    c.add_argument('--timeout', type=int, default=180)
    c.set_defaults(func=cleanup)
    c = sub.add_parser('wait-hypervisors')
    c.add_argument('count', type=int)
    c.add_argument('--timeout', type=int, default=120)
    c.set_defaults(func=wait_hypervisors)
    c = sub.add_parser('cinder-pools')
    c.set_defaults(func=cinder_pools)
    c = sub.add_parser('neutron-warmup')
    c.set_defaults(func=neutron_warmup)
    c = sub.add_parser('placement-memory')
    c.add_argument('node')
    c.add_argument('mb', type=int)
    c.add_argument('--timeout', type=int, default=90)
    c.set_defaults(func=placement_memory)
    c = sub.add_parser('service')
    c.add_argument('action', choices=['enable', 'disable', 'unforce'])
    c.add_argument('host')
    c.add_argument('reason', nargs='?', default='disabled by the lab')
    c.set_defaults(func=service_set)
    c = sub.add_parser('service-wait')
    c.add_argument('host')
    c.add_argument('state', choices=['up', 'down'])
    c.add_argument('--timeout', type=int, default=60)
    c.add_argument('--binary', default='nova-compute')
    c.add_argument('--since', type=float, default=0)
    c.set_defaults(func=service_wait)
    c = sub.add_parser('abort-migrations')
    c.add_argument('--timeout', type=int, default=60)
    c.set_defaults(func=abort_migrations)
    c = sub.add_parser('send-home')
    c.add_argument('pairs', nargs='+', metavar='NAME=HOST')
    c.add_argument('--timeout', type=int, default=60)
    c.set_defaults(func=send_home)
    args = p.parse_args()
    try:
        args.func(args)
    except ks_exc.ClientException as e:
        raise SystemExit('[lab] ERROR: %s: %s' % (args.cmd, e))


if __name__ == '__main__':
    main()
