using System;
using System.Collections.Generic;

namespace OpenStackMigration.Model
{
    /// <summary>Nova's record of one migration (live, cold, resize, evacuation).</summary>
    public sealed class MigrationRecord
    {
        /// <summary>The migration's id.</summary>
        public long Id { get; set; }

        /// <summary>The migration's uuid (2.59+).</summary>
        public string? Uuid { get; set; }

        /// <summary>The instance being moved.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>live-migration, migration, resize or evacuation.</summary>
        public string MigrationType { get; set; } = string.Empty;

        /// <summary>queued, preparing, running, completed, error, failed, cancelled, confirmed...</summary>
        public string Status { get; set; } = string.Empty;

        /// <summary>The host it leaves.</summary>
        public string? SourceHost { get; set; }

        /// <summary>The node it leaves.</summary>
        public string? SourceNode { get; set; }

        /// <summary>The host it goes to (null until the scheduler picks one).</summary>
        public string? DestinationHost { get; set; }

        /// <summary>The node it goes to.</summary>
        public string? DestinationNode { get; set; }

        /// <summary>Bytes of RAM to transfer.</summary>
        public long? MemoryTotalBytes { get; set; }

        /// <summary>Bytes of RAM transferred.</summary>
        public long? MemoryProcessedBytes { get; set; }

        /// <summary>Bytes of RAM still to transfer (dirty pages come back here).</summary>
        public long? MemoryRemainingBytes { get; set; }

        /// <summary>Bytes of disk to transfer (block migration).</summary>
        public long? DiskTotalBytes { get; set; }

        /// <summary>Bytes of disk transferred.</summary>
        public long? DiskProcessedBytes { get; set; }

        /// <summary>Bytes of disk still to transfer.</summary>
        public long? DiskRemainingBytes { get; set; }

        /// <summary>When Nova created the record.</summary>
        public DateTimeOffset? CreatedAt { get; set; }

        /// <summary>When Nova last changed it.</summary>
        public DateTimeOffset? UpdatedAt { get; set; }

        /// <summary>The project of the instance (2.80+).</summary>
        public string? ProjectId { get; set; }

        /// <summary>True for a status that will not change any more.</summary>
        public bool IsFinished => IsFinalStatus(Status);

        /// <summary>True for a status after which the instance is on the destination.</summary>
        public bool IsSucceeded => Status == "completed" || Status == "confirmed" || Status == "finished" || Status == "done";

        /// <summary>Whether a status is final.</summary>
        public static bool IsFinalStatus(string status) => FinalStatuses.Contains(status);

        /// <inheritdoc/>
        public override string ToString() => $"{Id} {MigrationType} {SourceHost}->{DestinationHost} {Status}";

        private static readonly HashSet<string> FinalStatuses = new HashSet<string>(StringComparer.Ordinal)
        {
            "completed", "confirmed", "finished", "done", "error", "failed", "cancelled", "reverted",
        };
    }

    /// <summary>An instance action (os-instance-actions) with its events, the place Nova records why a request failed.</summary>
    public sealed class InstanceActionRecord
    {
        /// <summary>live-migration, migrate, confirmResize...</summary>
        public string Action { get; set; } = string.Empty;

        /// <summary>The request id that started it.</summary>
        public string RequestId { get; set; } = string.Empty;

        /// <summary>The instance.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>When it started.</summary>
        public DateTimeOffset? StartTime { get; set; }

        /// <summary>The action's message (Error when an event failed).</summary>
        public string? Message { get; set; }

        /// <summary>The steps Nova took.</summary>
        public IReadOnlyList<InstanceActionEvent> Events { get; set; } = Array.Empty<InstanceActionEvent>();

        /// <inheritdoc/>
        public override string ToString() => $"{Action} {RequestId} {Message}";
    }

    /// <summary>One step of an instance action.</summary>
    public sealed class InstanceActionEvent
    {
        /// <summary>conductor_live_migrate_instance, compute_pre_live_migration...</summary>
        public string Event { get; set; } = string.Empty;

        /// <summary>Success or Error (null while running).</summary>
        public string? Result { get; set; }

        /// <summary>The host it ran on (2.62+).</summary>
        public string? Host { get; set; }

        /// <summary>What went wrong, as Nova records it (2.84+).</summary>
        public string? Details { get; set; }

        /// <summary>The traceback, where policy shows it.</summary>
        public string? Traceback { get; set; }

        /// <summary>When it started.</summary>
        public DateTimeOffset? StartTime { get; set; }

        /// <summary>When it finished.</summary>
        public DateTimeOffset? FinishTime { get; set; }

        /// <inheritdoc/>
        public override string ToString() => $"{Event}: {Result}";
    }
}
