#!/usr/bin/python3
"""Lab launcher for nova-compute with a fake hypervisor.

Debian's nova-compute package hard-depends on libvirt/qemu, so the lab starts
nova.cmd.compute itself, after adding one class to nova.virt.fake (nova only
loads compute drivers from inside nova.virt): `compute_driver =
fake.LabFakeDriver` in the lab's nova-compute config selects it.

What LabFakeDriver adds to nova's FakeLiveMigrateDriver:

* Live migrations that look like libvirt's: the migration record's
  memory_total/processed/remaining (and disk_* for block migrations) move
  every ~0.5 s, so GET /servers/{id}/migrations shows progress.
  - normally a migration completes by itself in about 3-5 s;
  - when <state>/control/hold_migrations exists at the moment the migration
    starts, it never converges (memory keeps being "re-dirtied" around 95 %)
    and stays `running` until it is aborted (-> cancelled, instance stays)
    or force-completed (-> completed, instance moves) through the API.
* Several nodes per process: OSM_LAB_FAKE_NODES=N makes host H present nodes
  H1..HN (used by `up.sh --scale N`, host `scale`).
* A "small host": if <state>/control/memory_mb.<node> holds a number, that
  node reports that much RAM (compute node record and placement inventory),
  picked up at the next resource update (every few seconds in the lab).
* Restart survival: the fake hypervisor keeps its guests in memory only, so
  on start the driver adopts the instances nova has on this host; otherwise a
  restarted compute would see its guests vanish.
* Failures on demand (scenario.sh), read from <state>/control at call time,
  per host (this process's nova host name):
  - slow_precheck.<host> (seconds): check_can_live_migrate_destination sleeps
    that long first, on the destination (the conductor's RPC call waits);
  - slow_pre_live.<host> (seconds): pre_live_migration sleeps that long first,
    on the destination (the source compute's RPC call waits);
  - refuse_cpu.<host> (exists): check_can_live_migrate_destination fails the
    way nova's libvirt driver fails a CPU comparison (InvalidCPUInfo, same
    words, logged at ERROR first).
  The sleeps are eventlet's (nova-compute is monkey-patched), so the process
  keeps reporting and keeps sending oslo.messaging's call-monitor heartbeats.
"""
import copy
import os
import random
import sys
import time

# Importing nova.cmd first applies nova's eventlet monkey patching before
# anything else is imported.
from nova.cmd import compute as nova_compute_cmd  # noqa: E402

from nova import context as nova_context  # noqa: E402
from nova import exception  # noqa: E402
from nova import objects  # noqa: E402
from nova.compute import power_state  # noqa: E402
from nova.compute import vm_states  # noqa: E402
from nova.virt import fake  # noqa: E402
from nova import conf as nova_conf  # noqa: E402
from oslo_log import log as logging  # noqa: E402

LOG = logging.getLogger('nova.virt.lab')
CONF = nova_conf.CONF

CONTROL = os.path.join(os.environ.get('OSM_LAB_STATE', '/nonexistent'), 'control')
MIB = 1024 * 1024
GIB = 1024 * MIB
TICK = 0.1             # how often the migration loop looks at abort/complete
SAVE_EVERY = 0.5       # how often progress counters are written to the DB
MIN_RATE = 100 * MIB   # bytes/s, roughly a 1 GbE link
UNHELD_SECONDS = 4.0   # an unheld migration never takes longer than this


def _control(name):
    return os.path.join(CONTROL, name)


class LabFakeDriver(fake.FakeLiveMigrateDriver):

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi, read_only)
        self._lab_flags = {}   # instance uuid -> {'abort': bool, 'complete': bool}

    # -- nodes, restart survival -------------------------------------------
    def init_host(self, host):
        super().init_host(host)
        count = int(os.environ.get('OSM_LAB_FAKE_NODES') or 0)
        if count > 0:
            self._set_nodes(['%s%d' % (host, i) for i in range(1, count + 1)])
        self._lab_adopt_guests(host)

    def _lab_adopt_guests(self, host):
        ctx = nova_context.get_admin_context()
        try:
            instances = objects.InstanceList.get_by_host(ctx, host)
        except Exception:  # conductor not answering yet: nothing to adopt
            LOG.warning('lab: could not list instances of %s to adopt', host)
            return
        for inst in instances:
            if inst.uuid in self.instances or inst.vm_state in (
                    vm_states.DELETED, vm_states.ERROR, vm_states.BUILDING):
                continue
            state = (power_state.SHUTDOWN if inst.vm_state == vm_states.STOPPED
                     else power_state.RUNNING)
            self.instances[inst.uuid] = fake.FakeInstance(inst.name, state, inst.uuid)
            flavor = inst.flavor
            self.resources.claim(vcpus=flavor.vcpus, mem=flavor.memory_mb,
                                 disk=flavor.root_gb)
        LOG.info('lab: adopted %d guest(s) on %s', len(self.instances), host)

    # -- small host ---------------------------------------------------------
    def _lab_memory_mb(self, nodename):
        try:
            with open(_control('memory_mb.' + nodename)) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return self.memory_mb

    def get_available_resource(self, nodename):
        res = super().get_available_resource(nodename)
        if res:
            res['memory_mb'] = self._lab_memory_mb(nodename)
        return res

    def update_provider_tree(self, provider_tree, nodename, allocations=None):
        super().update_provider_tree(provider_tree, nodename, allocations)
        mem = self._lab_memory_mb(nodename)
        if mem != self.memory_mb:
            inv = copy.deepcopy(provider_tree.data(nodename).inventory)
            inv['MEMORY_MB'].update(total=mem, max_unit=mem)
            provider_tree.update_inventory(nodename, inv)

    # -- failures on demand -------------------------------------------------
    @staticmethod
    def _lab_seconds(name):
        try:
            with open(_control('%s.%s' % (name, CONF.host))) as f:
                return max(0.0, float(f.read().strip()))
        except (OSError, ValueError):
            return 0.0

    def _lab_delay(self, name, what, instance):
        seconds = self._lab_seconds(name)
        if seconds:
            LOG.info('lab: %s on %s sleeps %.0f s (control/%s.%s)', what,
                     CONF.host, seconds, name, CONF.host, instance=instance)
            time.sleep(seconds)
            LOG.info('lab: %s on %s slept %.0f s, carrying on', what,
                     CONF.host, seconds, instance=instance)

    def check_can_live_migrate_destination(self, context, instance,
                                           src_compute_info, dst_compute_info,
                                           block_migration=False,
                                           disk_over_commit=False):
        self._lab_delay('slow_precheck', 'check_can_live_migrate_destination',
                        instance)
        if os.path.exists(_control('refuse_cpu.' + CONF.host)):
            # The words and the log call of nova's libvirt driver
            # (LibvirtDriver._compare_cpu) when libvirt's compareCPU says
            # VIR_CPU_COMPARE_INCOMPATIBLE (0).
            u = ("http://libvirt.org/html/libvirt-libvirt-host.html#"
                 "virCPUCompareResult")
            m = "CPU doesn't have compatibility.\n\n%(ret)s\n\nRefer to %(u)s"
            LOG.error(m, {'ret': 0, 'u': u})
            raise exception.InvalidCPUInfo(reason=m % {'ret': 0, 'u': u})
        return super().check_can_live_migrate_destination(
            context, instance, src_compute_info, dst_compute_info,
            block_migration, disk_over_commit)

    def pre_live_migration(self, context, instance, block_device_info,
                           network_info, disk_info, migrate_data):
        self._lab_delay('slow_pre_live', 'pre_live_migration', instance)
        return super().pre_live_migration(context, instance, block_device_info,
                                          network_info, disk_info, migrate_data)

    # -- live migration -----------------------------------------------------
    def live_migration(self, context, instance, dest, post_method,
                       recover_method, block_migration=False,
                       migrate_data=None):
        hold = os.path.exists(_control('hold_migrations'))
        flags = {'abort': False, 'complete': False}
        self._lab_flags[instance.uuid] = flags
        migration = self._lab_migration(context, instance, migrate_data)

        mem_total = instance.flavor.memory_mb * MIB
        disk_total = instance.flavor.root_gb * GIB if block_migration else 0
        rate = max(MIN_RATE, (mem_total + disk_total) / UNHELD_SECONDS)
        mem_left, disk_left = mem_total, disk_total
        mem_done = disk_done = 0
        LOG.info('lab: live migration to %s started (hold=%s, %d MiB RAM, '
                 '%d MiB disk)', dest, hold, mem_total // MIB,
                 disk_total // MIB, instance=instance)

        started = last_save = last_check = time.monotonic()
        outcome = 'complete'
        while True:
            if flags['abort']:
                outcome = 'abort'
                break
            if flags['complete']:
                break
            if not hold and mem_left <= 0 and disk_left <= 0:
                break
            time.sleep(TICK)
            budget = rate * TICK
            # Like libvirt, copy the disk first (block migration), then RAM.
            step = min(budget, disk_left)
            disk_left -= step
            disk_done += step
            budget -= step
            step = min(budget, mem_left)
            mem_left -= step
            mem_done += step
            if hold and mem_left < 0.05 * mem_total:
                # The guest dirties pages faster than they are copied: the
                # migration hovers just short of the end and never converges.
                mem_left += random.uniform(0.01, 0.04) * mem_total
            now = time.monotonic()
            if migration is not None and now - last_save >= SAVE_EVERY:
                last_save = now
                self._lab_save(migration, mem_total, mem_done, mem_left,
                               disk_total, disk_done, disk_left)
            if now - last_check >= 2.0:
                last_check = now
                if self._lab_instance_gone(context, instance):
                    LOG.info('lab: instance deleted during migration',
                             instance=instance)
                    self._lab_flags.pop(instance.uuid, None)
                    return

        self._lab_flags.pop(instance.uuid, None)
        LOG.info('lab: live migration %s after %.1fs', outcome,
                 time.monotonic() - started, instance=instance)
        if outcome == 'abort':
            if migration is not None:
                self._lab_save(migration, mem_total, mem_done, mem_left,
                               disk_total, disk_done, disk_left)
            recover_method(context, instance, dest, migrate_data,
                           migration_status='cancelled')
        else:
            if migration is not None:
                # The last pass (or the pause a force-complete does) copies the rest.
                self._lab_save(migration, mem_total, mem_done + mem_left, 0,
                               disk_total, disk_done + disk_left, 0)
            post_method(context, instance, dest, block_migration, migrate_data)

    @staticmethod
    def _lab_migration(context, instance, migrate_data):
        if migrate_data is not None and migrate_data.obj_attr_is_set('migration'):
            return migrate_data.migration
        try:
            return objects.Migration.get_by_instance_and_status(
                context, instance.uuid, 'running')
        except exception.MigrationNotFoundByStatus:
            return None

    @staticmethod
    def _lab_save(migration, mem_total, mem_done, mem_left,
                  disk_total, disk_done, disk_left):
        migration.memory_total = int(mem_total)
        migration.memory_processed = int(mem_done)
        migration.memory_remaining = int(max(mem_left, 0))
        migration.disk_total = int(disk_total)
        migration.disk_processed = int(disk_done)
        migration.disk_remaining = int(max(disk_left, 0))
        try:
            migration.save()
        except Exception:
            LOG.warning('lab: could not save migration progress', exc_info=True)

    @staticmethod
    def _lab_instance_gone(context, instance):
        try:
            objects.Instance.get_by_uuid(context, instance.uuid)
            return False
        except exception.InstanceNotFound:
            return True
        except Exception:
            return False

    def live_migration_force_complete(self, instance):
        flags = self._lab_flags.get(instance.uuid)
        if flags:
            flags['complete'] = True

    def live_migration_abort(self, instance):
        flags = self._lab_flags.get(instance.uuid)
        if flags:
            flags['abort'] = True


fake.LabFakeDriver = LabFakeDriver

if __name__ == '__main__':
    sys.argv[0] = 'nova-compute'
    sys.exit(nova_compute_cmd.main())
