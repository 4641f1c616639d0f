using System;
using System.Collections.Generic;

namespace OpenStackMigration.Model
{
    /// <summary>A compute node: where instances run and what it has free.</summary>
    public sealed class Hypervisor
    {
        /// <summary>The hypervisor's id (a uuid from compute microversion 2.53, the Placement resource provider's uuid).</summary>
        public string Id { get; set; } = string.Empty;

        /// <summary>The hypervisor host name (the node), as Nova and Placement name it.</summary>
        public string Name { get; set; } = string.Empty;

        /// <summary><see cref="Name"/> again, under Nova's own name for it, which other tools' parameters bind to by property name.</summary>
        [Newtonsoft.Json.JsonIgnore]
        public string HypervisorHostname => Name;

        /// <summary>The compute service's host, as instances' OS-EXT-SRV-ATTR:host and migrations name it.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>Up or Down.</summary>
        public ServiceState State { get; set; }

        /// <summary>Enabled or Disabled.</summary>
        public ServiceStatus Status { get; set; }

        /// <summary>Why the compute service was disabled, if it was.</summary>
        public string? DisabledReason { get; set; }

        /// <summary>QEMU, VMware vCenter Server, fake...</summary>
        public string? HypervisorType { get; set; }

        /// <summary>The hypervisor's version as Nova encodes it (for QEMU 7.2.0: 7002000).</summary>
        public long? HypervisorVersion { get; set; }

        /// <summary>
        /// When the type and version were not read now but taken from the kept node map: when Nova listed them
        /// (a ranking's check says so). Null when they came from Nova's list in this command.
        /// </summary>
        internal DateTimeOffset? TypeAndVersionListedAt { get; set; }

        /// <summary>The host's IP address as the compute service reports it.</summary>
        public string? HostIp { get; set; }

        /// <summary>Instances Nova counts on the node (null where Nova no longer reports it, from 2.88).</summary>
        public int? RunningInstances { get; set; }

        /// <summary>vCPUs as Placement counts them.</summary>
        public ResourceCapacity? Vcpu { get; set; }

        /// <summary>RAM in MB as Placement counts it.</summary>
        public ResourceCapacity? MemoryMB { get; set; }

        /// <summary>Local disk in GB as Placement counts it.</summary>
        public ResourceCapacity? DiskGB { get; set; }

        /// <summary>True when the compute service is up, enabled and not forced down.</summary>
        public bool IsAvailable => State == ServiceState.Up && Status == ServiceStatus.Enabled;

        /// <summary>
        /// Sets Vcpu, MemoryMB and DiskGB from a resource provider's capacity by Placement resource class
        /// (VCPU, MEMORY_MB, DISK_GB); a class the provider does not have leaves the figure null.
        /// The one place that maps Placement's classes onto a hypervisor.
        /// </summary>
        public void ApplyCapacity(IReadOnlyDictionary<string, ResourceCapacity> capacityByClass)
        {
            Vcpu = capacityByClass.TryGetValue("VCPU", out var vcpu) ? vcpu : null;
            MemoryMB = capacityByClass.TryGetValue("MEMORY_MB", out var memory) ? memory : null;
            DiskGB = capacityByClass.TryGetValue("DISK_GB", out var disk) ? disk : null;
        }

        /// <summary>A copy that can be changed (what-if planning) without touching this one; capacities are immutable and shared.</summary>
        public Hypervisor Clone() => (Hypervisor)MemberwiseClone();

        /// <inheritdoc/>
        public override string ToString() => Name;
    }
}
