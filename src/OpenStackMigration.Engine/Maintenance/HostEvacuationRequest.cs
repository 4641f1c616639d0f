using System;

namespace OpenStackMigration.Maintenance
{
    /// <summary>What to evacuate and how.</summary>
    public sealed class HostEvacuationRequest
    {
        /// <summary>The failed host (compute service host name).</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>The host to rebuild on; null lets Nova's scheduler pick for each instance (recommended).</summary>
        public string? DestinationHost { get; set; }

        /// <summary>Marks the host's compute service forced down when it is down but not yet marked (the admin says it is fenced).</summary>
        public bool ForceDown { get; set; }

        /// <summary>Only these instances (ids or names); null: every instance Nova lists on the host.</summary>
        public string[]? Instances { get; set; }

        /// <summary>At most this many rebuilds in flight.</summary>
        public int ThrottleLimit { get; set; } = 2;

        /// <summary>After this many failed evacuations start no new one (0: never).</summary>
        public int MaxFailures { get; set; }

        /// <summary>How long to wait for each rebuild; null waits for ever.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>The state file.</summary>
        public string StatePath { get; set; } = string.Empty;
    }
}
