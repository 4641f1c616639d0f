using System;
using System.Collections.Generic;

namespace OpenStackMigration.Model
{
    /// <summary>A server as an admin planning a migration needs to see it.</summary>
    public sealed class Instance
    {
        /// <summary>The server's uuid.</summary>
        public string Id { get; set; } = string.Empty;

        /// <summary>
        /// <see cref="Id"/> again, under the name other tools' parameters bind to by property name (-InstanceId). Not
        /// named InstanceName: that is the libvirt domain name (<see cref="InstanceName"/>).
        /// </summary>
        [Newtonsoft.Json.JsonIgnore]
        public string InstanceId => Id;

        /// <summary>The server's name.</summary>
        public string Name { get; set; } = string.Empty;

        /// <summary>ACTIVE, SHUTOFF, MIGRATING...</summary>
        public ServerStatus Status { get; set; }

        /// <summary>Nova's status text as it came (for statuses this module does not know).</summary>
        public string StatusText { get; set; } = string.Empty;

        /// <summary>What Nova is doing to it now (migrating, resize_prep...), or null.</summary>
        public string? TaskState { get; set; }

        /// <summary>active, stopped, resized...</summary>
        public string? VmState { get; set; }

        /// <summary>Running, Shutdown, Paused...</summary>
        public PowerState PowerState { get; set; }

        /// <summary>The compute host it runs on (OS-EXT-SRV-ATTR:host).</summary>
        public string? HostName { get; set; }

        /// <summary>The hypervisor node it runs on (OS-EXT-SRV-ATTR:hypervisor_hostname).</summary>
        public string? HypervisorHostname { get; set; }

        /// <summary>The libvirt domain name (OS-EXT-SRV-ATTR:instance_name).</summary>
        public string? InstanceName { get; set; }

        /// <summary>The availability zone.</summary>
        public string? AvailabilityZone { get; set; }

        /// <summary>The owning project.</summary>
        public string? ProjectId { get; set; }

        /// <summary>The owning user.</summary>
        public string? UserId { get; set; }

        /// <summary>The flavor's figures as the server was built with them.</summary>
        public FlavorInfo Flavor { get; set; } = new FlavorInfo();

        /// <summary>The image it booted from; null when it boots from a volume.</summary>
        public string? ImageId { get; set; }

        /// <summary>True when the root disk is a Cinder volume (no local root disk to copy).</summary>
        public bool IsVolumeBacked { get; set; }

        /// <summary>The attached volumes (root volume included).</summary>
        public IReadOnlyList<AttachedVolume> Volumes { get; set; } = Array.Empty<AttachedVolume>();

        /// <summary>The server groups it belongs to (2.71+).</summary>
        public IReadOnlyList<string> ServerGroups { get; set; } = Array.Empty<string>();

        /// <summary>True when locked.</summary>
        public bool Locked { get; set; }

        /// <summary>When it was created.</summary>
        public DateTimeOffset? Created { get; set; }

        /// <summary>When it last changed.</summary>
        public DateTimeOffset? Updated { get; set; }

        /// <summary>The last fault Nova shows (only for ERROR or DELETED servers).</summary>
        public string? Fault { get; set; }

        /// <summary>True when local (non-volume) disks would have to be copied by a block migration.</summary>
        public bool HasLocalDisks => !IsVolumeBacked || Flavor.EphemeralGB > 0 || Flavor.SwapMB > 0;

        /// <inheritdoc/>
        public override string ToString() => $"{Name} ({Id})";
    }

    /// <summary>A flavor's figures.</summary>
    public sealed class FlavorInfo
    {
        /// <summary>The flavor's name.</summary>
        public string Name { get; set; } = string.Empty;

        /// <summary>The flavor's id, where known.</summary>
        public string? Id { get; set; }

        /// <summary>vCPUs.</summary>
        public int Vcpus { get; set; }

        /// <summary>RAM in MB.</summary>
        public int RamMB { get; set; }

        /// <summary>Root disk in GB (not allocated locally when volume-backed).</summary>
        public int DiskGB { get; set; }

        /// <summary>Ephemeral disk in GB.</summary>
        public int EphemeralGB { get; set; }

        /// <summary>Swap in MB.</summary>
        public int SwapMB { get; set; }

        /// <summary>Extra specs, where shown.</summary>
        public IReadOnlyDictionary<string, string> ExtraSpecs { get; set; } = new Dictionary<string, string>();

        /// <inheritdoc/>
        public override string ToString() => $"{Name} ({Vcpus} vCPU, {RamMB} MB, {DiskGB} GB)";
    }

    /// <summary>A volume attached to a server.</summary>
    public sealed class AttachedVolume
    {
        /// <summary>The volume's id.</summary>
        public string VolumeId { get; set; } = string.Empty;

        /// <summary>Whether Nova deletes it with the server (2.79+).</summary>
        public bool? DeleteOnTermination { get; set; }

        /// <inheritdoc/>
        public override string ToString() => VolumeId;
    }
}
