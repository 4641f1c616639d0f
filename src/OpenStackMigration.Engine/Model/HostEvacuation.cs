using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Model
{
    /// <summary>Where one instance of an evacuation stands.</summary>
    public enum EvacuationOutcome
    {
        /// <summary>Not asked yet.</summary>
        Pending,

        /// <summary>Nova was asked to evacuate it (or is rebuilding it); the verdict is not known yet.</summary>
        InFlight,

        /// <summary>Rebuilt on another host and verified there.</summary>
        Evacuated,

        /// <summary>Nova refused or the rebuild failed; the instance is still recorded on the failed host.</summary>
        Failed,

        /// <summary>Its state does not allow an evacuation (Nova evacuates only ACTIVE, SHUTOFF and ERROR instances with no task running).</summary>
        Refused,

        /// <summary>Still rebuilding when the wait ended; left to Nova, and a rerun waits for it.</summary>
        TimedOut,

        /// <summary>Not started: the circuit breaker tripped first.</summary>
        NotStarted,
    }

    /// <summary>One instance of an evacuation: what it loses, what was asked, and the verdict.</summary>
    public sealed class EvacuationRecord
    {
        /// <summary>The instance's id.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The instance's name.</summary>
        public string InstanceName { get; set; } = string.Empty;

        /// <summary>The instance's status when the evacuation found it (ACTIVE, SHUTOFF, ERROR...).</summary>
        public string? StatusBefore { get; set; }

        /// <summary>Where the evacuation stands for it.</summary>
        public EvacuationOutcome Outcome { get; set; }

        /// <summary>The failed host.</summary>
        public string? SourceHost { get; set; }

        /// <summary>The host Nova has it on now.</summary>
        public string? CurrentHost { get; set; }

        /// <summary>Its status after the evacuation (ACTIVE, SHUTOFF, ERROR...).</summary>
        public string? StatusAfter { get; set; }

        /// <summary>Whether its root disk is a Cinder volume (kept) rather than a local disk (rebuilt from the image unless the instance directory is on shared storage).</summary>
        public bool VolumeBacked { get; set; }

        /// <summary>What the evacuation loses or rebuilds for this instance, in words.</summary>
        public List<string> Loses { get; set; } = new List<string>();

        /// <summary>Why it ended this way: Nova's fault or refusal, the state that forbids it, or where it landed.</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>The request id of the evacuate call (for Nova's logs).</summary>
        public string? RequestId { get; set; }

        /// <summary>The id of Nova's migration record of type evacuation.</summary>
        public long? MigrationId { get; set; }

        /// <summary>Its status (done, completed, failed, error...).</summary>
        public string? MigrationStatus { get; set; }

        /// <summary>How many evacuate calls this instance got across runs.</summary>
        public int Attempts { get; set; }

        /// <summary>When the evacuate call was made.</summary>
        public DateTimeOffset? StartedAt { get; set; }

        /// <summary>When the verdict was reached.</summary>
        public DateTimeOffset? FinishedAt { get; set; }

        /// <summary>How long the rebuild took.</summary>
        public TimeSpan? Duration => StartedAt.HasValue && FinishedAt.HasValue ? FinishedAt - StartedAt : null;

        /// <inheritdoc/>
        public override string ToString() => $"{InstanceName}: {Outcome} ({SourceHost} -> {CurrentHost}) {Reason}";
    }

    /// <summary>An evacuation of a failed host, as recorded in its state file and returned at the end.</summary>
    public sealed class HostEvacuationReport
    {
        /// <summary>The cloud the evacuation ran on.</summary>
        public string? CloudName { get; set; }

        /// <summary>The failed host.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>True when this evacuation marked the host's compute service forced down (-ForceDown).</summary>
        public bool ForcedDownByUs { get; set; }

        /// <summary>The compute service's last report (updated_at) when the evacuation checked it.</summary>
        public DateTimeOffset? ServiceLastReport { get; set; }

        /// <summary>When the first run started.</summary>
        public DateTimeOffset StartedAt { get; set; }

        /// <summary>When the last run ended.</summary>
        public DateTimeOffset? FinishedAt { get; set; }

        /// <summary>How many runs (the first and each resume).</summary>
        public int Runs { get; set; }

        /// <summary>At most this many evacuations in flight.</summary>
        public int ThrottleLimit { get; set; }

        /// <summary>The circuit breaker's limit (0: none).</summary>
        public int MaxFailures { get; set; }

        /// <summary>True when the breaker stopped the run.</summary>
        public bool BreakerTripped { get; set; }

        /// <summary>Why the run stopped early, if it did.</summary>
        public string? StopReason { get; set; }

        /// <summary>One record per instance found on the host.</summary>
        public List<EvacuationRecord> Instances { get; set; } = new List<EvacuationRecord>();

        /// <summary>What Nova still lists on the host at the end, in any state.</summary>
        public List<string> RemainingInstances { get; set; } = new List<string>();

        /// <summary>True when Nova lists no instance on the host at the end.</summary>
        public bool IsEmpty { get; set; }

        /// <summary>The state file.</summary>
        public string? StatePath { get; set; }

        /// <summary>Instances rebuilt elsewhere.</summary>
        public int EvacuatedCount => Instances.Count(i => i.Outcome == EvacuationOutcome.Evacuated);

        /// <summary>Instances whose evacuation failed.</summary>
        public int FailedCount => Instances.Count(i => i.Outcome == EvacuationOutcome.Failed || i.Outcome == EvacuationOutcome.TimedOut);

        /// <summary>Instances whose state forbids an evacuation.</summary>
        public int RefusedCount => Instances.Count(i => i.Outcome == EvacuationOutcome.Refused);

        /// <summary>How long the runs took, first start to last end.</summary>
        public TimeSpan? Duration => FinishedAt.HasValue ? FinishedAt - StartedAt : null;

        /// <inheritdoc/>
        public override string ToString() => $"{HostName}: {(IsEmpty ? "empty" : $"{RemainingInstances.Count} instance(s) left")}, {EvacuatedCount} evacuated, {FailedCount} failed, {RefusedCount} refused";
    }
}
