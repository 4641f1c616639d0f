#!/usr/bin/python3
"""Run one live migration against the lab and capture what Nova records.

    source .lab/openrc
    /usr/bin/python3 tests/lab/capture.py --server cirros_vm --host compute2 \\
        --out tests/Unit/Fixtures/Diagnosis/<scenario> [--force] [--timeout 120]

Sends POST /servers/{id}/action os-migrateLive (microversion 2.93)
through the public https endpoint (HAProxy), then waits until the migration
record made after the request ends (or --timeout), and writes into --out:

  post-response.txt      the raw HTTP response the client got (status line, headers, body)
  server.json            GET /servers/{id} (2.93)
  instance-actions.json  GET /servers/{id}/os-instance-actions (2.93)
  instance-action.json   GET /servers/{id}/os-instance-actions/{request id} (2.93)
  migrations.json        GET /os-migrations?instance_uuid={id} (2.93)
  services.json          GET /os-services (2.93)
  logs/<file>.log        the lines of the lab's logs that carry the request id or the
                         instance id within the migration's window (haproxy: the
                         instance id in the URL), as the files hold them
  capture.json           what was asked, the request id, the times (epoch and local)

Nothing secret is written: no token or password is in any response; the log
lines are scrubbed of anything that looks like one.
"""
import argparse
import datetime
import glob
import json
import os
import re
import sys
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
import labctl  # noqa: E402

MV = '2.93'
STATE = os.environ.get('OSM_LAB_DIR') or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), '.lab')
TERMINAL = ('completed', 'error', 'failed', 'cancelled', 'done')
REQ_RE = re.compile(r'req-[0-9a-f-]{36}')
SECRET_RES = [
    (re.compile(r'(?i)(x-auth-token|x-service-token|x-subject-token)(["\']?\s*[:=]\s*["\']?)[^\s"\',}]+'), r'\1\2***'),
    (re.compile(r'gAAAAA[0-9A-Za-z_\-=]{20,}'), '***'),
    (re.compile(r'(?i)(password["\']?\s*[:=]\s*["\']?)[^\s"\',}]+'), r'\1***'),
    (re.compile(r'(amqp://[^:/]+:)[^@]+@'), r'\1***@'),
    (re.compile(r'(mysql\+pymysql://[^:/]+:)[^@]+@'), r'\1***@'),
]


def scrub(text):
    for rx, rep in SECRET_RES:
        text = rx.sub(rep, text)
    return text


def line_time(line):
    """Local time (epoch) of a log line: oslo.log, podman's k8s-file, haproxy."""
    m = re.match(r'^\d{4}-\d\d-\d\dT[\d:.]+[+-]\d\d:\d\d \S+ \S+ (.*)$', line)
    if m:   # podman k8s-file: the program's own line follows
        line = m.group(1)
    m = re.match(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d+)', line)
    if m:
        t = datetime.datetime.strptime(m.group(1), '%Y-%m-%d %H:%M:%S')
        return time.mktime(t.timetuple()) + float('0.' + m.group(2))
    m = re.search(r'\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d)\.(\d+)\]', line)
    if m:
        t = datetime.datetime.strptime(m.group(1), '%d/%b/%Y:%H:%M:%S')
        return time.mktime(t.timetuple()) + float('0.' + m.group(2))
    return None


def collect_logs(out, ids, start, end):
    os.makedirs(os.path.join(out, 'logs'), exist_ok=True)
    counts = {}
    for path in sorted(glob.glob(os.path.join(STATE, 'log', '*.log'))):
        name = os.path.basename(path)
        if not (name.startswith(('nova-', 'cinder-')) or name == 'haproxy.log'):
            continue
        if name.endswith('-manage.log'):
            continue
        keep = []
        last_t = None
        with open(path, errors='replace') as f:
            for line in f:
                t = line_time(line)
                if t is None:
                    t = last_t   # a continuation line belongs to the line before
                last_t = t
                if t is None or t < start or t > end:
                    continue
                if any(i in line for i in ids):
                    keep.append(scrub(line))
        if keep:
            with open(os.path.join(out, 'logs', name), 'w') as f:
                f.writelines(keep)
            counts[name] = len(keep)
    return counts


def dump(out, name, obj):
    with open(os.path.join(out, name), 'w') as f:
        json.dump(obj, f, indent=2, sort_keys=True)
        f.write('\n')


def raw_response(r):
    lines = ['HTTP/1.1 %d %s' % (r.status_code, r.reason)]
    lines += ['%s: %s' % (k, v) for k, v in r.headers.items()]
    return scrub('\r\n'.join(lines) + '\r\n\r\n' + r.text)


def request_id_from_api_log(server_id, start, end):
    path = os.path.join(STATE, 'log', 'nova-api.log')
    found = None
    with open(path, errors='replace') as f:
        for line in f:
            if '/servers/%s/action' % server_id in line and 'POST' in line:
                t = line_time(line)
                m = REQ_RE.search(line)
                if t is not None and start <= t <= end and m:
                    found = m.group(0)
    return found


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--server', required=True)
    p.add_argument('--host', required=True, help='destination host')
    p.add_argument('--out', required=True)
    p.add_argument('--force', action='store_true', help='force=True (microversion 2.67, skips the scheduler)')
    p.add_argument('--timeout', type=float, default=120)
    p.add_argument('--http-timeout', type=float, default=600)
    p.add_argument('--settle', type=float, default=3,
                   help='seconds to wait after the migration ended before reading (late events, rollback)')
    p.add_argument('--note', default='')
    args = p.parse_args()

    api = labctl.Api()
    sess = api.s
    nova = sess.get_endpoint(service_type='compute', interface='public')
    srv = args.server
    if not re.match(r'^[0-9a-f-]{36}$', srv):
        found = api.get('compute', '/servers?all_tenants=1&name=^%s$' % srv)['servers']
        if len(found) != 1:
            raise SystemExit('server %s: %d matches' % (srv, len(found)))
        srv = found[0]['id']
    mv = MV
    body = {'os-migrateLive': {'host': args.host, 'block_migration': 'auto'}}
    if args.force:
        mv = '2.67'   # the last microversion with force
        body['os-migrateLive']['force'] = True
    before = {m['id'] for m in api.get('compute', '/os-migrations?instance_uuid=' + srv, mv=MV)['migrations']}
    source = api.get('compute', '/servers/' + srv, mv=MV)['server']['OS-EXT-SRV-ATTR:host']

    headers = {'X-Auth-Token': sess.get_token(), 'OpenStack-API-Version': 'compute ' + mv,
               'Content-Type': 'application/json', 'Accept': 'application/json'}
    t0 = time.time()
    r = requests.post('%s/servers/%s/action' % (nova, srv), json=body, headers=headers,
                      verify=os.environ.get('OS_CACERT'), timeout=args.http_timeout)
    t_resp = time.time()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'post-response.txt'), 'w', newline='') as f:
        f.write(raw_response(r))
    print('POST -> %d %s after %.1f s' % (r.status_code, r.reason, t_resp - t0), flush=True)

    # Wait for the migration made by this request to end.
    mig = None
    end_by = t0 + args.timeout if r.status_code in (202, 502, 503, 504) else 0
    while time.time() < end_by:
        migs = [m for m in api.get('compute', '/os-migrations?instance_uuid=' + srv, mv=MV)['migrations']
                if m['id'] not in before]
        if migs:
            mig = max(migs, key=lambda m: m['id'])
            if mig['status'] in TERMINAL:
                break
        time.sleep(1)
    t_end = time.time()
    print('migration: %s after %.1f s' % (mig and mig['status'], t_end - t0), flush=True)
    time.sleep(args.settle)   # the last log lines (action event finish, rollback) land

    req = r.headers.get('x-openstack-request-id') or request_id_from_api_log(srv, t0 - 1, t_end)
    dump(args.out, 'server.json', api.get('compute', '/servers/' + srv, mv=MV))
    dump(args.out, 'instance-actions.json', api.get('compute', '/servers/%s/os-instance-actions' % srv, mv=MV))
    if req:
        dump(args.out, 'instance-action.json',
             api.get('compute', '/servers/%s/os-instance-actions/%s' % (srv, req), mv=MV))
    dump(args.out, 'migrations.json', api.get('compute', '/os-migrations?instance_uuid=' + srv, mv=MV))
    dump(args.out, 'services.json', api.get('compute', '/os-services', mv=MV))
    ids = [srv] + ([req] if req else [])
    counts = collect_logs(args.out, ids, t0 - 1, time.time() + 1)
    fmt = lambda t: datetime.datetime.fromtimestamp(t).strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]
    dump(args.out, 'capture.json', {
        'note': args.note, 'server_id': srv, 'source_host': source, 'destination_host': args.host,
        'microversion': mv, 'force': args.force, 'request_id': req,
        'request_id_from': 'response header' if r.headers.get('x-openstack-request-id') else 'nova-api.log',
        'http_status': r.status_code, 'migration_id': mig and mig['id'],
        'migration_status': mig and mig['status'],
        'request_sent': fmt(t0), 'response_received': fmt(t_resp), 'migration_ended_seen': fmt(t_end),
        'response_seconds': round(t_resp - t0, 2), 'migration_seconds': round(t_end - t0, 2), 'settle_seconds': args.settle,
        'log_lines': counts})
    print(json.dumps({'request_id': req, 'logs': counts}), flush=True)


if __name__ == '__main__':
    main()
