using System;
using System.Collections.Generic;
using System.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>
    /// What is known about a migration that did not succeed: Nova's own records (always), a fresh pre-flight and the
    /// compute services (when read), and the nodes' log lines and effective settings (when nodes were given).
    /// The cause rules read only this, so they are tested with captured records and log lines.
    /// </summary>
    public sealed class FailureFacts
    {
        /// <summary>Live or cold.</summary>
        public MigrationKind Kind { get; set; } = MigrationKind.Live;

        /// <summary>The instance's uuid.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The instance's name.</summary>
        public string? InstanceName { get; set; }

        /// <summary>The host it ran on when the migration started.</summary>
        public string? SourceHost { get; set; }

        /// <summary>The destination asked for (null: the scheduler's pick).</summary>
        public string? DestinationHost { get; set; }

        /// <summary>Where the instance runs now.</summary>
        public string? InstanceHost { get; set; }

        /// <summary>The instance's status now (ACTIVE, MIGRATING, ERROR...).</summary>
        public string? InstanceStatus { get; set; }

        /// <summary>The instance's task state now (null when idle).</summary>
        public string? InstanceTaskState { get; set; }

        /// <summary>Our verdict, when the facts come from a watched migration.</summary>
        public MigrationVerdict? Verdict { get; set; }

        /// <summary>The -TimeoutSec that passed, for a TimedOut verdict.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>True when the watch saw memory stop converging.</summary>
        public bool NotConverging { get; set; }

        /// <summary>The migration record.</summary>
        public MigrationRecord? Record { get; set; }

        /// <summary>The migration's instance action with its events.</summary>
        public InstanceActionRecord? Action { get; set; }

        /// <summary>The instance fault's message, if any.</summary>
        public string? Fault { get; set; }

        /// <summary>Nova's synchronous refusal (HTTP 4xx), if the request was refused at once.</summary>
        public string? Refusal { get; set; }

        /// <summary>The load balancer's answer, if a gateway gave up on the request.</summary>
        public GatewayFailure? Gateway { get; set; }

        /// <summary>A pre-flight of the same move, run after the failure.</summary>
        public MigrationCheckReport? Preflight { get; set; }

        /// <summary>The nova-compute services as Nova sees them now.</summary>
        public IReadOnlyList<ComputeService> Services { get; set; } = Array.Empty<ComputeService>();

        /// <summary>Log lines of the migration's window from the given nodes.</summary>
        public IReadOnlyList<OSLogEntry> Logs { get; set; } = Array.Empty<OSLogEntry>();

        /// <summary>Effective timeouts read on the given nodes.</summary>
        public IReadOnlyList<OSConfigSetting> Settings { get; set; } = Array.Empty<OSConfigSetting>();

        /// <summary>Nodes whose logs or settings could not be read, and why.</summary>
        public IReadOnlyList<string> Unread { get; set; } = Array.Empty<string>();

        /// <summary>The destination as Nova recorded it, else as asked.</summary>
        /// <remarks>When the conductor failed before picking one (the record has none), the destination's own events name it.</remarks>
        public string? Destination => Record?.DestinationHost ?? DestinationHost
            ?? Event("compute_check_can_live_migrate_destination")?.Host ?? Event("compute_pre_live_migration")?.Host;

        /// <summary>The action's events.</summary>
        public IReadOnlyList<InstanceActionEvent> Events => Action?.Events ?? Array.Empty<InstanceActionEvent>();

        /// <summary>The first event of that name.</summary>
        public InstanceActionEvent? Event(string name) => Events.FirstOrDefault(e => e.Event == name);

        /// <summary>Events that ended in error.</summary>
        public IEnumerable<InstanceActionEvent> FailedEvents => Events.Where(e => e.Result != null && e.Result.IndexOf("error", StringComparison.OrdinalIgnoreCase) >= 0);
    }
}
