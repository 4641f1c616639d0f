using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;

namespace OpenStackMigration.Migration
{
    /// <summary>Reattaching to a migration already under way (PowerCLI's Wait-Task): the same watch as a new one.</summary>
    public sealed partial class MigrationRunner
    {
        /// <summary>
        /// Waits for a migration that is already under way (or over): started by Move-OSInstance without -Wait, an earlier
        /// run, another person or the openstack CLI. Same watch, timeout policy, volume checks and diagnosis as <see cref="RunAsync"/>.
        /// </summary>
        /// <param name="request">The instance (fresh from Nova) with <see cref="MigrationRequest.Existing"/> set; its timeout counts from now.</param>
        /// <param name="sink">Where progress and messages go.</param>
        /// <param name="cancellationToken">Stops the watching (never the migration).</param>
        public async Task<MigrationResult> AttachAsync(MigrationRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var record = request.Existing ?? throw new ArgumentException("The request names no migration to wait for.", nameof(request));
            var instance = request.Instance;
            request.Kind = KindOf(record);
            request.DestinationHost ??= record.DestinationHost;
            var type = request.Kind == MigrationKind.Live ? "live-migration" : record.MigrationType;
            var result = new MigrationResult
            {
                InstanceId = instance.Id,
                InstanceName = instance.Name,
                Kind = request.Kind,
                SourceHost = record.SourceHost ?? instance.HostName,
                DestinationHost = instance.HostName,
                RequestedHost = record.DestinationHost,
                MigrationId = record.Id,
                MigrationUuid = record.Uuid,
                MigrationStatus = record.Status,
                Record = record,
                StartedAt = record.CreatedAt ?? _now(),
            };

            // The request id keys the instance action that explains a failure: the one that started this migration.
            var actions = await _api.ListInstanceActionsAsync(instance.Id, sink, cancellationToken).ConfigureAwait(false);
            var started = StartingAction(actions, request.Kind == MigrationKind.Live ? new[] { "live-migration" } : new[] { "migrate", "resize" }, record.CreatedAt);
            result.RequestId = started?.RequestId;
            sink.Verbose($"Waiting for migration {record.Id} of {instance.Name} ({record.MigrationType}, {record.Status}, {result.SourceHost} -> {record.DestinationHost ?? "(scheduler)"})"
                + (started != null ? $", started by request {started.RequestId}." : "."));
            await WatchToVerdictAsync(request, result, new HashSet<long>(), record, _now(), type, sink, cancellationToken).ConfigureAwait(false);
            return result;
        }

        /// <summary>Live for live-migration; cold for migration and resize. An evacuation is not watched (OSMigrationNotWaitable).</summary>
        public static MigrationKind KindOf(MigrationRecord record) => record.MigrationType switch
        {
            "live-migration" => MigrationKind.Live,
            "migration" => MigrationKind.Cold,
            "resize" => MigrationKind.Cold,
            _ => throw new OpenStackMigrationException("OSMigrationNotWaitable", FailureKind.NotSupported, $"Migration {record.Id} of instance {record.InstanceId} is an {record.MigrationType}; only live and cold migrations (and resizes) can be waited for.") { Target = record.InstanceId },
        };

        /// <summary>The newest action of those names that started at or before the migration was created (Nova records the action first).</summary>
        internal static InstanceActionRecord? StartingAction(IEnumerable<InstanceActionRecord> actions, IReadOnlyCollection<string> names, DateTimeOffset? createdAt) =>
            actions.Where(a => names.Contains(a.Action) && (createdAt == null || a.StartTime == null || a.StartTime <= createdAt.Value.AddSeconds(5)))
                .OrderByDescending(a => a.StartTime ?? DateTimeOffset.MinValue)
                .FirstOrDefault();
    }
}
