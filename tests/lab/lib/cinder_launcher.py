#!/usr/bin/python3
"""Lab launcher for cinder-volume and cinder-scheduler.

    cinder_launcher.py volume|scheduler --config-file ...

The lab's only volume backend is Debian's
cinder.tests.fake_driver.FakeLoggingVolumeDriver: volumes are created,
attached and detached through the real Cinder API with no block device.
That driver inherits copy_image_to_volume / copy_volume_to_image from the LVM
driver, which run qemu-img against a device under /dev; here they become
no-ops, so `volume create --image cirros` and `server create
--boot-from-volume` work (the volume is "bootable", its content is nothing).
"""
import sys

service = sys.argv.pop(1) if len(sys.argv) > 1 else ''
if service not in ('volume', 'scheduler'):
    sys.exit('usage: cinder_launcher.py volume|scheduler --config-file FILE')

# Importing cinder.cmd.<service> first applies cinder's eventlet monkey patching.
if service == 'volume':
    from cinder.cmd import volume as cmd
else:
    from cinder.cmd import scheduler as cmd
from oslo_log import log as logging  # noqa: E402

LOG = logging.getLogger('cinder.lab')

if service == 'volume':
    from cinder.tests import fake_driver  # noqa: E402

    def copy_image_to_volume(self, context, volume, image_service, image_id,
                             *args, **kwargs):
        LOG.info('lab: copy_image_to_volume(%s, image %s) skipped (fake backend)',
                 volume.id, image_id)

    def copy_volume_to_image(self, context, volume, image_service, image_meta,
                             *args, **kwargs):
        LOG.info('lab: copy_volume_to_image(%s) skipped (fake backend)', volume.id)

    fake_driver.FakeLoggingVolumeDriver.copy_image_to_volume = copy_image_to_volume
    fake_driver.FakeLoggingVolumeDriver.copy_volume_to_image = copy_volume_to_image

sys.argv[0] = 'cinder-' + service
sys.exit(cmd.main())
