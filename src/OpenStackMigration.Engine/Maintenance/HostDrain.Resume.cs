using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>The drain's resume and its waits for busy instances, on the injected clock and delay.</summary>
    public sealed partial class HostDrain
    {
        /// <summary>Asks Nova where each instance the file left in flight really is; the file is never trusted over Nova.</summary>
        private async Task ReconcileAsync(HostDrainRequest request, DrainLedger ledger, IEngineSink sink, CancellationToken cancellationToken)
        {
            foreach (var record in ledger.State.Instances.Where(r => r.Outcome == MaintenanceOutcome.InFlight || r.Outcome == MaintenanceOutcome.Pending).ToList())
            {
                Instance instance;
                try
                {
                    instance = await WaitIdleAsync(record.InstanceId, request.BusyWait, sink, cancellationToken).ConfigureAwait(false);
                }
                catch (OpenStackMigrationException e) when (e.Kind == FailureKind.NotFound)
                {
                    record.Outcome = MaintenanceOutcome.Deleted;
                    record.Reason = "Deleted while the host was under maintenance.";
                    continue;
                }

                record.CurrentHost = instance.HostName;
                record.InstanceStatus = instance.StatusText;
                if (!string.Equals(instance.HostName, request.HostName, StringComparison.Ordinal) && string.IsNullOrEmpty(instance.TaskState))
                {
                    record.Outcome = MaintenanceOutcome.Moved;
                    record.FinishedAt ??= instance.Updated ?? _now();
                    record.Reason = $"Found on {instance.HostName} ({instance.StatusText}) when resuming: the migration started by an earlier run completed.";
                }
                else
                {
                    // Stopped between marking it and Nova's answer: if Nova has no migration action since, nothing was asked of it.
                    var asked = record.Outcome == MaintenanceOutcome.InFlight && record.StartedAt.HasValue
                        && (await _api.ListInstanceActionsAsync(record.InstanceId, sink, cancellationToken).ConfigureAwait(false))
                            .Any(a => (a.Action == "live-migration" || a.Action == "migrate") && a.StartTime >= record.StartedAt.Value.AddSeconds(-2));
                    if (record.Outcome == MaintenanceOutcome.InFlight && !asked)
                    {
                        record.Attempts = Math.Max(0, record.Attempts - 1);
                    }

                    record.Outcome = MaintenanceOutcome.Pending;
                    record.Reason = $"Still on {instance.HostName} ({instance.StatusText}) when resuming{(asked ? " after a migration that did not complete" : string.Empty)}; planned again.";
                }

                sink.Verbose($"Resume: {record.InstanceName}: {record.Reason}");
            }

            ledger.Save();
        }

        private async Task<Instance> WaitIdleAsync(string id, TimeSpan limit, IEngineSink sink, CancellationToken cancellationToken)
        {
            var until = _now() + limit;
            while (true)
            {
                var instance = await _api.GetServerAsync(id, sink, cancellationToken).ConfigureAwait(false);
                if (string.IsNullOrEmpty(instance.TaskState) || instance.Status == ServerStatus.Error || _now() >= until)
                {
                    return instance;
                }

                sink.Verbose($"{instance.Name} is busy ({instance.TaskState}); waiting for it to settle.");
                await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task WaitWhileBusyAsync(HostDrainRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var until = _now() + request.BusyWait;
            while (true)
            {
                var busy = (await _api.ListHostInstancesAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false))
                    .Where(i => !string.IsNullOrEmpty(i.TaskState) && i.Status != ServerStatus.Error).ToList();
                if (busy.Count == 0 || _now() >= until)
                {
                    return;
                }

                sink.Verbose($"Waiting for {busy.Count} instance(s) busy on {request.HostName} ({string.Join(", ", busy.Select(i => $"{i.Name}: {i.TaskState}"))}).");
                await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
