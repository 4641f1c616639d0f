"""A paste filter that makes nova-api slow, for the lab's `slow-api` scenario.

`scenario.sh slow-api` inserts it into nova-api's pipeline (the lab's copy of
api-paste.ini) just before the application, after authentication, and points
it at <state>/control/slow_api. That file holds `SECONDS [METHOD] [PATH-REGEX]`
and is read on every request, so the delay can change without a restart. A
matching request waits, then Nova handles it normally: behind HAProxy whose
`timeout server` is shorter than the delay, the client gets HAProxy's 504
while Nova still does what was asked.
"""
import logging
import os
import re
import time

LOG = logging.getLogger('nova.api.lab_slow_api')


def _rule(path):
    try:
        with open(path) as f:
            parts = f.read().split()
    except OSError:
        return None
    if not parts:
        return None
    try:
        seconds = float(parts[0])
    except ValueError:
        return None
    method = parts[1].upper() if len(parts) > 1 else None
    regex = re.compile(parts[2]) if len(parts) > 2 else None
    return seconds, method, regex


class SlowApi(object):
    def __init__(self, app, control):
        self.app = app
        self.control = control

    def __call__(self, environ, start_response):
        rule = _rule(self.control)
        if rule:
            seconds, method, regex = rule
            verb = environ.get('REQUEST_METHOD', '')
            path = environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', '')
            if (method in (None, '*', verb)) and (regex is None or regex.search(path)):
                LOG.warning('lab: slow-api delays %s %s by %.0f s (request %s)',
                            verb, path, seconds, environ.get('openstack.request_id'))
                time.sleep(seconds)
                LOG.warning('lab: slow-api lets %s %s through after %.0f s (request %s)',
                            verb, path, seconds, environ.get('openstack.request_id'))
        return self.app(environ, start_response)


def filter_factory(global_conf, **local_conf):
    control = local_conf.get('control') or os.path.join(
        os.environ.get('OSM_LAB_STATE', '/nonexistent'), 'control', 'slow_api')

    def _filter(app):
        return SlowApi(app, control)
    return _filter
