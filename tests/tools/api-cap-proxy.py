#!/usr/bin/env python3
"""Makes the lab's real Nova and Placement present an older release's API, for the capped integration runs.

    api-cap-proxy.py --release ocata --nova http://127.0.0.1:8774 --placement http://127.0.0.1:8778
    api-cap-proxy.py --compute 2.42 --placement-max 1.4 --nova URL --placement URL

Listens on two free ports of 127.0.0.1 (plain http) and prints, once both listen:
    compute http://127.0.0.1:PORT/v2.1
    placement http://127.0.0.1:PORT
then runs until killed. Everything is forwarded unchanged (method, path, headers, body, streaming, the
services' own request ids) except:
  - the version documents (Nova's GET / and GET /v2.1, Placement's GET /) advertise the cap as the maximum;
  - a request for a microversion above the cap is refused as the real service refuses a version it does not
    have: 406 with the body shape Nova (wsgi Fault, InvalidGlobalAPIVersion) and Placement (microversion
    middleware) send, naming the capped maximum;
  - "latest" asks for the cap.
A real Nova keeps serving every older microversion with its old behaviour, so below the cap nothing is faked.
One line per refused request and per "latest" rewrite goes to stderr.
"""
import argparse
import http.client
import json
import re
import sys
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Maxima of each release: Nova's rest_api_version_history and Placement's microversion history
# (Placement added nothing between Train and Xena, so Wallaby's maximum is Train's).
RELEASES = {
    'ocata': ('2.42', '1.4'),
    'pike': ('2.53', '1.10'),
    'queens': ('2.60', '1.17'),
    'rocky': ('2.65', '1.30'),
    'stein': ('2.72', '1.31'),
    'train': ('2.79', '1.36'),
    'ussuri': ('2.87', '1.36'),
    'victoria': ('2.87', '1.36'),
    'wallaby': ('2.88', '1.36'),
}

HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
              'transfer-encoding', 'upgrade', 'content-length'}
VERSION_RE = re.compile(r'^\s*(\d+)\.(\d+)\s*$')


def parse(version):
    m = VERSION_RE.match(version or '')
    return (int(m.group(1)), int(m.group(2))) if m else None


class Service:
    """What differs between Nova and Placement: header names, version documents, the refusal body."""

    def __init__(self, name, upstream, cap):
        self.name = name
        self.upstream = urllib.parse.urlsplit(upstream)
        self.cap = cap

    def requested(self, headers):
        """The version asked for and the headers it came in (the service-typed header wins, as
        microversion_parse reads it); None when none was asked."""
        for value in headers.get_all('OpenStack-API-Version') or []:
            for part in value.split(','):
                words = part.split()
                if len(words) == 2 and words[0].lower() == self.name:
                    return words[1]
        if self.name == 'compute':
            return headers.get('X-OpenStack-Nova-API-Version')
        return None

    def rewrite_latest(self, headers):
        """Replaces "latest" by the cap in the request's version headers."""
        values = headers.get_all('OpenStack-API-Version') or []
        if values:
            del headers['OpenStack-API-Version']
            for value in values:
                headers['OpenStack-API-Version'] = re.sub(r'(?i)(%s\s+)latest' % self.name, r'\g<1>' + self.cap, value)
        if self.name == 'compute' and (headers.get('X-OpenStack-Nova-API-Version') or '').strip().lower() == 'latest':
            del headers['X-OpenStack-Nova-API-Version']
            headers['X-OpenStack-Nova-API-Version'] = self.cap

    def refusal(self, requested):
        """(headers, body) of the 406 the service answers for a version above its maximum."""
        request_id = 'req-' + str(uuid.uuid4())
        if self.name == 'compute':
            body = {'computeFault': {'code': 406, 'message': 'Version %s is not supported by the API. Minimum is 2.1 and maximum is %s.' % (requested, self.cap)}}
            headers = [('OpenStack-API-Version', 'compute ' + requested), ('X-OpenStack-Nova-API-Version', requested),
                       ('Vary', 'OpenStack-API-Version'), ('Vary', 'X-OpenStack-Nova-API-Version'),
                       ('Content-Type', 'application/json; charset=UTF-8'),
                       ('x-openstack-request-id', request_id), ('x-compute-request-id', request_id)]
        else:
            detail = ('The resource could not be generated that was acceptable to your browser (content of type '
                      'application/json. \n\n Invalid microversion: Unacceptable version header: %s' % requested)
            body = {'errors': [{'status': 406, 'title': 'Not Acceptable', 'detail': detail, 'request_id': request_id,
                                'max_version': self.cap, 'min_version': '1.0'}]}
            headers = [('Content-Type', 'application/json'), ('x-openstack-request-id', request_id)]
        return headers, json.dumps(body).encode()

    def is_version_document(self, method, path):
        p = urllib.parse.urlsplit(path).path.rstrip('/')
        return method == 'GET' and (p == '' or (self.name == 'compute' and p == '/v2.1'))

    def cap_document(self, body):
        """The version document with the cap as maximum (only ever lowered)."""
        doc = json.loads(body)
        entries = doc.get('versions') or ([doc['version']] if isinstance(doc.get('version'), dict) else [])
        key = 'version' if self.name == 'compute' else 'max_version'
        for entry in entries:
            real = parse(entry.get(key))
            if real and real > parse(self.cap):
                entry[key] = self.cap
        return json.dumps(doc).encode()


def make_handler(service):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'

        def log_message(self, fmt, *args):
            pass  # one line per request would drown the test output; refusals are logged below

        def _body(self):
            if 'chunked' in (self.headers.get('Transfer-Encoding') or '').lower():
                data = b''
                while True:
                    size = int(self.rfile.readline().split(b';')[0].strip() or b'0', 16)
                    if size == 0:
                        while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                            pass
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get('Content-Length') or 0)
            return self.rfile.read(length) if length else None

        def _send(self, status, reason, headers, body):
            self.send_response(status, reason)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(body)

        def _relay(self):
            body = self._body()
            requested = service.requested(self.headers)
            if requested is not None and not service.is_version_document(self.command, self.path):
                if requested.strip().lower() == 'latest':
                    service.rewrite_latest(self.headers)
                    sys.stderr.write('%s latest -> %s: %s %s\n' % (service.name, service.cap, self.command, self.path))
                else:
                    asked = parse(requested)
                    if asked and asked > parse(service.cap):
                        sys.stderr.write('%s %s refused (cap %s): %s %s\n' % (service.name, requested.strip(), service.cap, self.command, self.path))
                        headers, payload = service.refusal(requested.strip())
                        self._send(406, 'Not Acceptable', headers, payload)
                        return
            elif requested is not None:
                service.rewrite_latest(self.headers)

            up = service.upstream
            conn = http.client.HTTPConnection(up.hostname, up.port or 80, timeout=3600)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn.putrequest(self.command, up.path.rstrip('/') + self.path, skip_host=True, skip_accept_encoding=True)
                for k, v in self.headers.items():
                    if k.lower() not in HOP_BY_HOP:
                        conn.putheader(k, v)
                if body is not None:
                    conn.putheader('Content-Length', str(len(body)))
                conn.endheaders(body)
                resp = conn.getresponse()
                out_headers = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
                if service.is_version_document(self.command, self.path) and resp.status == 200:
                    self._send(resp.status, resp.reason, out_headers, service.cap_document(resp.read()))
                    return
                self.send_response(resp.status, resp.reason)
                for k, v in out_headers:
                    self.send_header(k, v)
                length = resp.getheader('Content-Length')
                no_body = self.command == 'HEAD' or resp.status in (204, 304) or 100 <= resp.status < 200
                if length is not None or no_body:
                    if length is not None:
                        self.send_header('Content-Length', length)
                    self.end_headers()
                    while not no_body:
                        chunk = resp.read(65536)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                else:
                    # Streamed without a length: pass it on chunk by chunk as it comes.
                    self.send_header('Transfer-Encoding', 'chunked')
                    self.end_headers()
                    while True:
                        chunk = resp.read1(65536)
                        if not chunk:
                            break
                        self.wfile.write(b'%x\r\n%s\r\n' % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b'0\r\n\r\n')
            except (ConnectionError, OSError, http.client.HTTPException) as e:
                sys.stderr.write('%s upstream failed for %s %s: %s\n' % (service.name, self.command, self.path, e))
                self.close_connection = True
                try:
                    self._send(502, 'Bad Gateway', [('Content-Type', 'text/plain')], ('api-cap-proxy: %s\n' % e).encode())
                except OSError:
                    pass
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _relay

    return Handler


class QuietServer(ThreadingHTTPServer):
    """A client that goes away mid-request (a stopped runspace) is normal here, not a traceback."""
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--release', choices=sorted(RELEASES), help='cap both APIs at this release\'s maxima')
    parser.add_argument('--compute', help='compute maximum (overrides --release)')
    parser.add_argument('--placement-max', help='placement maximum (overrides --release)')
    parser.add_argument('--nova', required=True, help='Nova\'s endpoint without /v2.1, e.g. http://127.0.0.1:8774')
    parser.add_argument('--placement', required=True, help='Placement\'s endpoint, e.g. http://127.0.0.1:8778')
    args = parser.parse_args()
    compute_cap, placement_cap = RELEASES.get(args.release, (None, None))
    compute_cap = args.compute or compute_cap
    placement_cap = args.placement_max or placement_cap
    if not (parse(compute_cap) and parse(placement_cap)):
        parser.error('give --release, or --compute and --placement-max as MAJOR.MINOR')

    servers = []
    for service, path in ((Service('compute', args.nova, compute_cap), '/v2.1'), (Service('placement', args.placement, placement_cap), '')):
        server = QuietServer(('127.0.0.1', 0), make_handler(service))
        servers.append(server)
        print('%s http://127.0.0.1:%d%s' % (service.name, server.server_address[1], path), flush=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        for t in threads:
            t.join()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
