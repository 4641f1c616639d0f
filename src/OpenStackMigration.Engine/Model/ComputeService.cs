using System;

namespace OpenStackMigration.Model
{
    /// <summary>A Nova service (nova-compute, nova-conductor, nova-scheduler) on a host.</summary>
    public sealed class ComputeService
    {
        /// <summary>The service's id (a uuid from 2.53).</summary>
        public string Id { get; set; } = string.Empty;

        /// <summary>nova-compute, nova-conductor...</summary>
        public string Binary { get; set; } = string.Empty;

        /// <summary>The host the service runs on.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>The availability zone.</summary>
        public string? Zone { get; set; }

        /// <summary>Up or Down.</summary>
        public ServiceState State { get; set; }

        /// <summary>Enabled or Disabled.</summary>
        public ServiceStatus Status { get; set; }

        /// <summary>Why it was disabled.</summary>
        public string? DisabledReason { get; set; }

        /// <summary>True when an admin forced it down (2.11+).</summary>
        public bool ForcedDown { get; set; }

        /// <summary>The last heartbeat.</summary>
        public DateTimeOffset? UpdatedAt { get; set; }

        /// <inheritdoc/>
        public override string ToString() => $"{Binary}@{HostName}";
    }
}
