using System.Collections.Generic;
using System;

namespace OpenStackMigration.Model
{
    /// <summary>How a migration ended, as the module verified it.</summary>
    public enum MigrationVerdict
    {
        /// <summary>Started and not waited for (Move-OSInstance without -Wait).</summary>
        Accepted,

        /// <summary>The instance runs on the destination (and, for live, the migration record says completed unless WaitedFor says otherwise).</summary>
        Succeeded,

        /// <summary>Nova refused the request or the migration failed; the instance stays where it was. Reason says why.</summary>
        Failed,

        /// <summary>The migration was aborted (Stop-OSMigration or -OnTimeout Abort); the instance stays on its source.</summary>
        Aborted,

        /// <summary>-TimeoutSec passed and the migration was left running (-OnTimeout Leave).</summary>
        TimedOut,

        /// <summary>A cold migration was reverted (-VerifyResize Revert); the instance is back on its source.</summary>
        Reverted,

        /// <summary>Not attempted: a pre-flight check failed.</summary>
        Refused,
    }

    /// <summary>What a verdict rests on.</summary>
    public enum CompletionSignal
    {
        /// <summary>Nothing was observed (not waited for, or refused before asking Nova).</summary>
        None,

        /// <summary>Nova's migration record reached a final status and the instance's host agreed.</summary>
        MigrationRecord,

        /// <summary>
        /// The instance was on the destination, active and idle, while the migration record was still
        /// not final: Nova's source host was still cleaning up (it recomputes every node's resources first).
        /// </summary>
        InstanceHost,

        /// <summary>Nova answered the request itself with an error.</summary>
        ApiResponse,
    }

    /// <summary>What to do with a migration still running when -TimeoutSec passes.</summary>
    public enum TimeoutAction
    {
        /// <summary>Leave it running and report TimedOut.</summary>
        Leave,

        /// <summary>Abort it (the instance stays on its source) and report Aborted.</summary>
        Abort,

        /// <summary>Force it to complete (the instance is paused briefly) and keep waiting.</summary>
        ForceComplete,
    }

    /// <summary>The verdict on one instance's migration: where it is, how long it took, and if it failed, why.</summary>
    public sealed class MigrationResult
    {
        /// <summary>The instance's id.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The instance's name.</summary>
        public string InstanceName { get; set; } = string.Empty;

        /// <summary>Succeeded, Failed, Aborted, TimedOut, Reverted, Refused, or Accepted when not waited for.</summary>
        public MigrationVerdict Verdict { get; set; }

        /// <summary>Live or Cold.</summary>
        public MigrationKind Kind { get; set; }

        /// <summary>The host the instance was on.</summary>
        public string? SourceHost { get; set; }

        /// <summary>The host the instance is on at the end (the actual destination when it moved).</summary>
        public string? DestinationHost { get; set; }

        /// <summary>The host asked for; null when the scheduler picked.</summary>
        public string? RequestedHost { get; set; }

        /// <summary>Nova's migration id (for Stop-OSMigration and Complete-OSMigration).</summary>
        public long? MigrationId { get; set; }

        /// <summary>Nova's migration uuid, when shown (2.59+).</summary>
        public string? MigrationUuid { get; set; }

        /// <summary>The migration record's last status (completed, error, cancelled, running...).</summary>
        public string? MigrationStatus { get; set; }

        /// <summary>The x-openstack-request-id of the request that started it: the instance action's key, and what to grep the logs for.</summary>
        public string? RequestId { get; set; }

        /// <summary>Auto, Always or Never (live migrations).</summary>
        public string? BlockMigration { get; set; }

        /// <summary>From the request to the verdict.</summary>
        public TimeSpan? Duration => StartedAt.HasValue && FinishedAt.HasValue ? FinishedAt - StartedAt : null;

        /// <summary>When the request was sent.</summary>
        public DateTimeOffset? StartedAt { get; set; }

        /// <summary>When the verdict was reached.</summary>
        public DateTimeOffset? FinishedAt { get; set; }

        /// <summary>True when -OnTimeout was applied before -TimeoutSec passed, because a drain's circuit breaker tripped.</summary>
        [Newtonsoft.Json.JsonIgnore]
        internal bool ActedEarly { get; set; }

        /// <summary>Why, in words: what happened, or what Nova said went wrong.</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>The instance action event that failed (for example conductor_live_migrate_instance).</summary>
        public string? FailedEvent { get; set; }

        /// <summary>That event's details as Nova recorded them (compute API 2.84+).</summary>
        public string? FailedEventDetails { get; set; }

        /// <summary>The instance fault's message, when Nova shows one (instances in ERROR).</summary>
        public string? InstanceFault { get; set; }

        /// <summary>What the verdict rests on: the migration record, the instance's host, or Nova's answer.</summary>
        public CompletionSignal WaitedFor { get; set; }

        /// <summary>The instance's status at the end (ACTIVE, PAUSED, SHUTOFF, VERIFY_RESIZE, ERROR...).</summary>
        public string? InstanceStatus { get; set; }

        /// <summary>True when the migration was force-completed by -OnTimeout ForceComplete.</summary>
        public bool ForceCompleted { get; set; }

        /// <summary>The pre-flight checks made before asking Nova, if any.</summary>
        public MigrationCheckReport? Checks { get; set; }

        /// <summary>
        /// For an instance with volumes: true when, after the move, every volume was in-use and attached
        /// on the destination host only (as Cinder reports it); false when one was not; null when not checked.
        /// </summary>
        public bool? VolumesVerified { get; set; }

        /// <summary>What Cinder showed for each volume after the move.</summary>
        public IReadOnlyList<VolumeAttachmentCheck> VolumeChecks { get; set; } = Array.Empty<VolumeAttachmentCheck>();

        /// <summary>Why it did not succeed, with evidence and the fix (Failed, TimedOut, Aborted; Nova's records only: Debug-OSMigration adds the nodes' logs).</summary>
        public MigrationDiagnosis? Diagnosis { get; set; }

        /// <summary>The cause in one word (None when it succeeded or was accepted).</summary>
        public MigrationFailureCause Cause => Diagnosis?.Cause ?? MigrationFailureCause.None;

        /// <summary>When a load balancer (HAProxy) answered instead of Nova: what it said, and whether Nova started the migration anyway.</summary>
        public GatewayFailure? Gateway { get; set; }

        /// <summary>The migration record last seen (for the diagnosis).</summary>
        internal MigrationRecord? Record { get; set; }

        /// <summary>The instance action read for a failure (for the diagnosis).</summary>
        internal InstanceActionRecord? Action { get; set; }

        /// <summary>True when the watch saw memory stop converging.</summary>
        internal bool NotConverging { get; set; }

        /// <summary>True for Succeeded (and Accepted, which is not a failure yet).</summary>
        public bool IsSuccess => Verdict == MigrationVerdict.Succeeded || Verdict == MigrationVerdict.Accepted;

        /// <inheritdoc/>
        public override string ToString() => $"{InstanceName}: {Verdict} ({SourceHost} -> {DestinationHost}) {Reason}";
    }
}
