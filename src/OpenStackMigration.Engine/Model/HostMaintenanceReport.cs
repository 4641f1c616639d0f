using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Model
{
    /// <summary>Where one instance of a host under maintenance stands.</summary>
    public enum MaintenanceOutcome
    {
        /// <summary>Still on the host, not tried yet.</summary>
        Pending,

        /// <summary>A migration was started and has not been seen to end (an interrupted run leaves these; a resumed run finds out from Nova).</summary>
        InFlight,

        /// <summary>It runs on another host.</summary>
        Moved,

        /// <summary>The migration failed or was refused; the instance stays on the host, running as it was. Reason says why.</summary>
        Failed,

        /// <summary>No destination can take it (or its state allows no migration); it stays on the host. Reason says why.</summary>
        Unplaceable,

        /// <summary>It was deleted while the host was being drained.</summary>
        Deleted,

        /// <summary>Never started: the circuit breaker (-MaxFailures) stopped the drain first. It stays on the host, running as it was.</summary>
        NotStarted,

        /// <summary>It could not move live and was shut down on the host (-NonLiveMigratable Stop).</summary>
        Stopped,
    }

    /// <summary>One instance's record in a host maintenance: where it went, how, and why not if it did not.</summary>
    public sealed class MaintenanceInstanceRecord
    {
        /// <summary>The instance's id.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The instance's name.</summary>
        public string InstanceName { get; set; } = string.Empty;

        /// <summary>Pending, InFlight, Moved, Failed, Unplaceable or Deleted.</summary>
        public MaintenanceOutcome Outcome { get; set; }

        /// <summary>The host under maintenance.</summary>
        public string? SourceHost { get; set; }

        /// <summary>The destination the plan chose.</summary>
        public string? PlannedHost { get; set; }

        /// <summary>The host the instance is on, as last seen.</summary>
        public string? CurrentHost { get; set; }

        /// <summary>Live or Cold.</summary>
        public MigrationKind Kind { get; set; }

        /// <summary>The verdict of the last migration, when one was watched to its end.</summary>
        public MigrationVerdict? Verdict { get; set; }

        /// <summary>The instance's status as last seen (ACTIVE, SHUTOFF, ERROR...).</summary>
        public string? InstanceStatus { get; set; }

        /// <summary>What happened, in words (Nova's reason when a migration failed).</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>Why the last migration failed, as Debug-OSMigration's cause table names it (None when it did not fail).</summary>
        public MigrationFailureCause Cause { get; set; }

        /// <summary>The cause in words, with its fix, when known.</summary>
        public string? CauseSummary { get; set; }

        /// <summary>Nova's id of the last migration.</summary>
        public long? MigrationId { get; set; }

        /// <summary>The request id of the last migration request (grep the logs for it).</summary>
        public string? RequestId { get; set; }

        /// <summary>How many migrations were started for it, over every run.</summary>
        public int Attempts { get; set; }

        /// <summary>When its last migration was started.</summary>
        public DateTimeOffset? StartedAt { get; set; }

        /// <summary>When its last migration ended.</summary>
        public DateTimeOffset? FinishedAt { get; set; }

        /// <summary>The last migration's duration as the module watched it.</summary>
        public TimeSpan? Duration => StartedAt.HasValue && FinishedAt.HasValue ? FinishedAt - StartedAt : null;

        /// <inheritdoc/>
        public override string ToString() => $"{InstanceName}: {Outcome} ({SourceHost} -> {CurrentHost}) {Reason}";
    }

    /// <summary>
    /// A host maintenance: its reason, the compute service's status, every instance's record, and whether the host
    /// was found empty at the end. It is also what the state file holds, so an interrupted run can be resumed.
    /// </summary>
    public sealed class HostMaintenanceReport
    {
        /// <summary>The cloud (session name).</summary>
        public string? CloudName { get; set; }

        /// <summary>The host under maintenance.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>Why (recorded as the compute service's disabled_reason).</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>The compute service's status as last read (Disabled while under maintenance).</summary>
        public ServiceStatus ServiceStatus { get; set; }

        /// <summary>The compute service's disabled_reason as last read.</summary>
        public string? DisabledReason { get; set; }

        /// <summary>When the first run started.</summary>
        public DateTimeOffset StartedAt { get; set; }

        /// <summary>When the last run ended (null while running or after an interruption).</summary>
        public DateTimeOffset? FinishedAt { get; set; }

        /// <summary>How many runs (the first and every resume).</summary>
        public int Runs { get; set; }

        /// <summary>How many migrations were allowed in flight in the last run.</summary>
        public int ThrottleLimit { get; set; }

        /// <summary>True when the host was verified to carry no instance at all (in any state) at the end of the last run.</summary>
        public bool IsEmpty { get; set; }

        /// <summary>The instances found on the host at the end of the last run (name and status).</summary>
        public List<string> RemainingInstances { get; set; } = new List<string>();

        /// <summary>Every instance that was on the host, with its record.</summary>
        public List<MaintenanceInstanceRecord> Instances { get; set; } = new List<MaintenanceInstanceRecord>();

        /// <summary>The state file.</summary>
        public string? StatePath { get; set; }

        /// <summary>The circuit breaker of the last run: stop after this many failed migrations (0: never).</summary>
        public int MaxFailures { get; set; }

        /// <summary>True when the last run stopped because -MaxFailures migrations failed; the host stays disabled.</summary>
        public bool BreakerTripped { get; set; }

        /// <summary>Why the last run stopped early, in words (null when it did not).</summary>
        public string? StopReason { get; set; }

        /// <summary>Each instance still on the host at the end, with why ("name (status): outcome: reason").</summary>
        public List<string> Left { get; set; } = new List<string>();

        /// <summary>Instances on another host now.</summary>
        public int MovedCount => Instances.Count(i => i.Outcome == MaintenanceOutcome.Moved);

        /// <summary>Instances whose migration failed.</summary>
        public int FailedCount => Instances.Count(i => i.Outcome == MaintenanceOutcome.Failed);

        /// <summary>Instances without a destination.</summary>
        public int UnplaceableCount => Instances.Count(i => i.Outcome == MaintenanceOutcome.Unplaceable);

        /// <summary>From the first run's start to the last run's end.</summary>
        public TimeSpan? Duration => FinishedAt.HasValue ? FinishedAt - StartedAt : null;

        /// <inheritdoc/>
        public override string ToString() => $"{HostName}: {(IsEmpty ? "empty" : $"{RemainingInstances.Count} instance(s) left")}, {MovedCount} moved, {FailedCount} failed, {UnplaceableCount} unplaceable";
    }
}
