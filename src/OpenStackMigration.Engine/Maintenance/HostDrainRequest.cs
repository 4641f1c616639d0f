using System;
using System.Collections.Generic;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Maintenance
{
    /// <summary>What a host maintenance is asked to do.</summary>
    public sealed class HostDrainRequest
    {
        /// <summary>The host to empty.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>Why (recorded as the compute service's disabled_reason).</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>The hosts that may receive instances; null for every compute host that is up and enabled.</summary>
        public IReadOnlyList<string>? DestinationHosts { get; set; }

        /// <summary>At most this many migrations in flight.</summary>
        public int ThrottleLimit { get; set; } = 3;

        /// <summary>Cold-migrate instances that cannot move live (SHUTOFF); the same as <see cref="NonLiveMigratable"/> Cold.</summary>
        public bool AllowCold { get; set; }

        /// <summary>What to do with instances that cannot move live: Skip (default), Cold, Stop or Fail.</summary>
        public NonLiveMigratablePolicy NonLiveMigratable { get; set; }

        /// <summary>The circuit breaker: after this many failed migrations start no new one (0: never trip).</summary>
        public int MaxFailures { get; set; }

        /// <summary>True when cold migrations are allowed, by either switch.</summary>
        internal bool ColdAllowed => AllowCold || NonLiveMigratable == NonLiveMigratablePolicy.Cold;

        /// <summary>How local disks are treated by live migrations.</summary>
        public BlockMigrationMode BlockMigration { get; set; }

        /// <summary>How long to watch each migration before <see cref="OnTimeout"/>; null waits for ever.</summary>
        public TimeSpan? MigrationTimeout { get; set; }

        /// <summary>What to do with a migration still running after <see cref="MigrationTimeout"/>.</summary>
        public TimeoutAction OnTimeout { get; set; } = TimeoutAction.Leave;

        /// <summary>The state file.</summary>
        public string StatePath { get; set; } = string.Empty;

        /// <summary>How long to wait for instances busy with another task (a migration left by an interrupted run) before planning.</summary>
        public TimeSpan BusyWait { get; set; } = TimeSpan.FromMinutes(10);

        /// <summary>How many plan-and-move rounds at most (a later round picks up instances that were busy or appeared meanwhile).</summary>
        public int MaxRounds { get; set; } = 3;
    }
}
