using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>The drain's rules for what goes wrong: the circuit breaker, the non-live policy, a state file of another cloud.</summary>
    public sealed partial class HostDrain
    {
        private void CheckCloud(HostMaintenanceReport? state, string path)
        {
            if (state?.CloudName != null && !string.Equals(state.CloudName, _api.CloudName, StringComparison.Ordinal))
            {
                throw new OpenStackMigrationException(
                    "OSMaintenanceStateOtherCloud",
                    FailureKind.InvalidArgument,
                    $"The state file '{path}' records a maintenance of {state.HostName} on cloud '{state.CloudName}', not '{_api.CloudName}'; nothing was changed.")
                {
                    Target = path,
                    RecommendedAction = "Connect to the cloud the file belongs to, or pass another -StatePath.",
                };
            }
        }

        private static void RefuseNonLive(HostDrainRequest request, MigrationPlan plan)
        {
            var blocked = plan.Items.Where(i => i.Migratability != MigratabilityClass.Live).ToList();
            if (blocked.Count > 0)
            {
                throw new OpenStackMigrationException(
                    "OSMaintenanceNotLiveMigratable",
                    FailureKind.InvalidState,
                    $"{blocked.Count} instance(s) on {request.HostName} cannot move live, and -NonLiveMigratable Fail refuses the drain (nothing was changed): "
                        + string.Join(" | ", blocked.Select(i => $"{i.InstanceName} ({i.InstanceId}, {i.Migratability}): {i.MigratabilityReason}")))
                {
                    Target = request.HostName,
                    RecommendedAction = "Use -NonLiveMigratable Cold, Stop or Skip, or deal with those instances first.",
                };
            }
        }

        /// <summary>-NonLiveMigratable Stop: shuts down, on the host, each running instance that cannot move live and is not planned to move.</summary>
        private async Task StopNonLiveAsync(HostDrainRequest request, MigrationPlan plan, DrainLedger ledger, HashSet<string> tried, Action<MaintenanceInstanceRecord> onSettled, IEngineSink sink, CancellationToken cancellationToken)
        {
            foreach (var item in plan.Items.Where(i => !i.CanMigrate && i.Migratability != MigratabilityClass.Live && !tried.Contains(i.InstanceId)))
            {
                var instance = await _api.GetServerAsync(item.InstanceId, sink, cancellationToken).ConfigureAwait(false);
                if (instance.Status != ServerStatus.Active || !string.IsNullOrEmpty(instance.TaskState))
                {
                    continue;
                }

                tried.Add(item.InstanceId);
                sink.Verbose($"Stopping {item.InstanceName} on {request.HostName} (-NonLiveMigratable Stop): {item.MigratabilityReason}");
                await _api.SetPowerAsync(item.InstanceId, false, sink, cancellationToken).ConfigureAwait(false);
                var until = _now() + request.BusyWait;
                while (instance.Status != ServerStatus.Shutoff && _now() < until)
                {
                    await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
                    instance = await _api.GetServerAsync(item.InstanceId, sink, cancellationToken).ConfigureAwait(false);
                }

                var record = ledger.MarkStopped(item, instance, $"Shut down on {request.HostName} (-NonLiveMigratable Stop) because it cannot move live: {item.MigratabilityReason}"
                    + (instance.Status == ServerStatus.Shutoff ? string.Empty : $" It was still {instance.StatusText} after {request.BusyWait.TotalSeconds:0} s."));
                sink.Warning($"{record.InstanceName} stays on {request.HostName}, {record.InstanceStatus}: {record.Reason}");
                onSettled(record);
            }
        }

        /// <summary>
        /// The circuit breaker: counts failed migrations, and at the limit stops new starts (the batch asks it before each)
        /// and asks running ones for -OnTimeout now (Leave lets them finish). It never re-enables the host.
        /// </summary>
        private sealed class Breaker : IDisposable
        {
            private readonly int _limit;
            private readonly CancellationTokenSource _trip = new CancellationTokenSource();
            private readonly List<string> _failures = new List<string>();

            public Breaker(int limit)
            {
                _limit = limit;
            }

            public bool Tripped => _trip.IsCancellationRequested;

            public CancellationToken Token => _trip.Token;

            public string? Why { get; private set; }

            /// <summary>Counts a failure; true when this one tripped the breaker.</summary>
            public bool Count(MaintenanceInstanceRecord record, HostDrainRequest request, HostMaintenanceReport state, IEngineSink sink)
            {
                lock (_failures)
                {
                    _failures.Add($"{record.InstanceName}: {(record.Cause != MigrationFailureCause.None ? record.Cause.ToString() : record.Verdict?.ToString() ?? "failed")}");
                    if (_limit <= 0 || _failures.Count < _limit || Tripped)
                    {
                        return false;
                    }

                    Why = $"The circuit breaker tripped after {_failures.Count} failed migration(s) (-MaxFailures {_limit}): {string.Join("; ", _failures)}. "
                        + $"No new migration was started; those running were {(request.OnTimeout == TimeoutAction.Leave ? "left to finish" : request.OnTimeout == TimeoutAction.Abort ? "aborted" : "forced to complete")} (-OnTimeout {request.OnTimeout}); "
                        + $"{request.HostName} stays disabled.";
                    state.BreakerTripped = true;
                    state.StopReason = Why;
                    sink.Warning(Why);
                    _trip.Cancel();
                    return true;
                }
            }

            public void Dispose() => _trip.Dispose();
        }
    }
}
