using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>Failback: the instances a drain moved go back to the host they came from.</summary>
    public sealed partial class HostDrain
    {
        /// <summary>
        /// Moves every instance the state file records as moved off the host back to it, with the drain's throttle, pre-flight checks
        /// and verdicts (a cold-moved one goes back cold). An instance Nova shows elsewhere than the drain left it, deleted, or busy is
        /// left where it is with the reason. The host must be enabled (Stop-OSHostMaintenance does that first). Returns one verdict per instance.
        /// </summary>
        public async Task<IReadOnlyList<MigrationResult>> FailbackAsync(HostDrainRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var state = MaintenanceStateStore.Load(request.StatePath)
                ?? throw new OpenStackMigrationException("OSMaintenanceStateNotFound", FailureKind.NotFound, $"There is no maintenance state file '{request.StatePath}': nothing says where the instances came from.") { Target = request.StatePath };
            if (!string.Equals(state.HostName, request.HostName, StringComparison.Ordinal))
            {
                throw new OpenStackMigrationException("OSMaintenanceStateMismatch", FailureKind.InvalidArgument, $"The state file '{request.StatePath}' belongs to the maintenance of {state.HostName}, not {request.HostName}.") { Target = request.StatePath };
            }

            CheckCloud(state, request.StatePath);
            var results = new List<MigrationResult>();
            var moves = new List<MigrationRequest>();
            foreach (var record in state.Instances.Where(r => r.Outcome == MaintenanceOutcome.Moved && string.Equals(r.SourceHost, request.HostName, StringComparison.Ordinal)))
            {
                Instance instance;
                try
                {
                    instance = await _api.GetServerAsync(record.InstanceId, sink, cancellationToken).ConfigureAwait(false);
                }
                catch (OpenStackMigrationException e) when (e.Kind == FailureKind.NotFound)
                {
                    sink.Verbose($"Failback: {record.InstanceName} no longer exists.");
                    continue;
                }

                if (string.Equals(instance.HostName, request.HostName, StringComparison.Ordinal))
                {
                    sink.Verbose($"Failback: {instance.Name} is already on {request.HostName}.");
                    continue;
                }

                if (!string.Equals(instance.HostName, record.CurrentHost, StringComparison.Ordinal))
                {
                    sink.Warning($"Failback: {instance.Name} is on {instance.HostName}, not on {record.CurrentHost} where the drain left it: someone moved it since; it stays.");
                    continue;
                }

                moves.Add(new MigrationRequest(instance)
                {
                    InstanceIsFresh = true,
                    Kind = record.Kind,
                    DestinationHost = request.HostName,
                    BlockMigration = request.BlockMigration,
                    Wait = true,
                    Timeout = request.MigrationTimeout,
                    OnTimeout = request.OnTimeout,
                    VerifyResize = VerifyResizeAction.Confirm,
                });
            }

            sink.Verbose($"Failback to {request.HostName}: {moves.Count} instance(s), {request.ThrottleLimit} at a time.");
            var batch = new MigrationBatch(_api, _api, _watch, _now, _delay) { ThrottleLimit = request.ThrottleLimit };
            await batch.RunAsync(
                moves,
                outcome =>
                {
                    var result = outcome.Result ?? new MigrationResult
                    {
                        InstanceId = outcome.Request.Instance.Id,
                        InstanceName = outcome.Request.Instance.Name,
                        Verdict = MigrationVerdict.Failed,
                        Kind = outcome.Request.Kind,
                        SourceHost = outcome.Request.Instance.HostName,
                        DestinationHost = outcome.Request.Instance.HostName,
                        RequestedHost = request.HostName,
                        Reason = outcome.Error?.Message ?? "No verdict.",
                    };
                    lock (results)
                    {
                        results.Add(result);
                    }
                },
                sink,
                cancellationToken).ConfigureAwait(false);
            return results;
        }
    }
}
