using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Inventory;
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

        /// <summary>Cold-migrate instances that cannot move live (SHUTOFF).</summary>
        public bool AllowCold { get; set; }

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

    /// <summary>
    /// Empties a host: disables its compute service with the reason, plans every move (<see cref="MigrationPlanner"/>),
    /// runs them through <see cref="MigrationBatch"/> under the throttle, records each instance in the state file as it
    /// settles, and ends by listing what is still on the host. A rerun reads the state file, asks Nova where every
    /// instance really is, and carries on.
    /// </summary>
    public sealed class HostDrain
    {
        private const string ProgressKey = "host-maintenance";
        private readonly CloudSession _session;
        private readonly NovaClient _nova;
        private readonly MigrationWatchOptions? _watch;
        private readonly object _lock = new object();

        /// <summary>Creates a drain over a session.</summary>
        public HostDrain(CloudSession session, MigrationWatchOptions? watch = null)
        {
            _session = session;
            _nova = new NovaClient(session);
            _watch = watch;
        }

        /// <summary>How often busy instances are polled.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>The plan the drain would follow now (for -WhatIf).</summary>
        public Task<MigrationPlan> PlanAsync(HostDrainRequest request, IEngineSink sink, CancellationToken cancellationToken) =>
            new MaintenancePlanReader(_session).PlanAsync(ToPlanRequest(request), sink, cancellationToken);

        /// <summary>Runs (or resumes) the maintenance; <paramref name="onSettled"/> is called (from any thread) as each instance settles.</summary>
        public async Task<HostMaintenanceReport> RunAsync(HostDrainRequest request, Action<MaintenanceInstanceRecord> onSettled, IEngineSink sink, CancellationToken cancellationToken)
        {
            var host = request.HostName;
            var state = MaintenanceStateStore.Load(request.StatePath);
            if (state != null && !string.Equals(state.HostName, host, StringComparison.Ordinal))
            {
                throw new OpenStackMigrationException("OSMaintenanceStateMismatch", FailureKind.InvalidArgument, $"The state file '{request.StatePath}' belongs to the maintenance of {state.HostName}, not {host}.") { Target = request.StatePath };
            }

            if (state != null)
            {
                sink.Verbose($"Resuming the maintenance of {host} started {state.StartedAt.UtcDateTime:u} ({state.Instances.Count} instance(s) recorded, run {state.Runs + 1}).");
            }

            state ??= new HostMaintenanceReport { HostName = host, CloudName = _session.Name, StartedAt = DateTimeOffset.UtcNow };
            state.Runs++;
            state.Reason = request.Reason;
            state.ThrottleLimit = request.ThrottleLimit;
            state.FinishedAt = null;
            state.StatePath = request.StatePath;
            Save(request, state);

            await DisableAsync(request, state, sink, cancellationToken).ConfigureAwait(false);
            await ReconcileAsync(request, state, sink, cancellationToken).ConfigureAwait(false);

            var batch = new MigrationBatch(_session, _watch) { ThrottleLimit = 1 };
            var tried = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            try
            {
                for (var round = 1; round <= request.MaxRounds; round++)
                {
                    await WaitWhileBusyAsync(request, sink, cancellationToken).ConfigureAwait(false);
                    var plan = await PlanAsync(request, sink, cancellationToken).ConfigureAwait(false);
                    foreach (var item in plan.Items.Where(i => !i.CanMigrate))
                    {
                        var record = RecordFor(state, item.InstanceId, item.InstanceName, host);
                        record.Outcome = MaintenanceOutcome.Unplaceable;
                        record.CurrentHost = host;
                        record.InstanceStatus = item.InstanceStatus;
                        record.Reason = item.Reason;
                        sink.Warning($"{item.InstanceName} stays on {host}: {item.Reason}");
                    }

                    var moves = plan.Items.Where(i => i.CanMigrate && tried.Add(i.InstanceId)).ToList();
                    if (moves.Count == 0)
                    {
                        break;
                    }

                    sink.Verbose($"Round {round}: moving {moves.Count} instance(s), {request.ThrottleLimit} at a time.");
                    foreach (var item in moves)
                    {
                        var record = RecordFor(state, item.InstanceId, item.InstanceName, host);
                        record.Outcome = MaintenanceOutcome.Pending;
                        record.PlannedHost = item.DestinationHost;
                        record.Kind = item.Kind;
                        record.Reason = item.Reason;
                    }

                    Save(request, state);
                    Report(state, sink);

                    // The throttle is kept here, not in MigrationBatch, so the state file says exactly which migrations were started.
                    using var gate = new SemaphoreSlim(request.ThrottleLimit);
                    var running = moves.Select(async item =>
                    {
                        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                        try
                        {
                            // A waiter can be handed the gate in the instant Ctrl+C cancels it: start nothing then.
                            cancellationToken.ThrowIfCancellationRequested();
                            lock (_lock)
                            {
                                var record = RecordFor(state, item.InstanceId, item.InstanceName, host);
                                record.Outcome = MaintenanceOutcome.InFlight;
                                record.Attempts++;
                                record.StartedAt = DateTimeOffset.UtcNow;
                                record.FinishedAt = null;
                                Save(request, state);
                                Report(state, sink);
                            }

                            var migration = new MigrationRequest(new Instance { Id = item.InstanceId, Name = item.InstanceName, HostName = host })
                            {
                                Kind = item.Kind,
                                DestinationHost = item.DestinationHost,
                                BlockMigration = request.BlockMigration,
                                Wait = true,
                                Timeout = request.MigrationTimeout,
                                OnTimeout = request.OnTimeout,
                                VerifyResize = VerifyResizeAction.Confirm,
                            };
                            await batch.RunAsync(new[] { migration }, outcome => Settle(request, state, outcome, onSettled, sink), sink, cancellationToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            gate.Release();
                        }
                    }).ToList();
                    await Task.WhenAll(running).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                lock (_lock)
                {
                    Save(request, state);
                }

                sink.Warning($"Stopped. Migrations already started are left to Nova; the state file {request.StatePath} records them, and running the same command again resumes.");
                throw;
            }
            finally
            {
                sink.Progress(new ProgressReport(ProgressKey, $"Maintenance of {host}", "done") { Completed = true });
            }

            await VerifyAsync(request, state, sink, cancellationToken).ConfigureAwait(false);
            return state;
        }

        private static PlanRequest ToPlanRequest(HostDrainRequest request) => new PlanRequest
        {
            SourceHosts = new[] { request.HostName },
            DestinationHosts = request.DestinationHosts,
            Goal = MaintenanceGoal.Drain,
            BlockMigration = request.BlockMigration,
            AllowCold = request.AllowCold,
        };

        private static MaintenanceInstanceRecord RecordFor(HostMaintenanceReport state, string id, string name, string host)
        {
            var record = state.Instances.FirstOrDefault(r => string.Equals(r.InstanceId, id, StringComparison.OrdinalIgnoreCase));
            if (record == null)
            {
                record = new MaintenanceInstanceRecord { InstanceId = id, InstanceName = name, SourceHost = host, CurrentHost = host };
                state.Instances.Add(record);
            }

            return record;
        }

        private static void Save(HostDrainRequest request, HostMaintenanceReport state) => MaintenanceStateStore.Save(request.StatePath, state);

        private async Task DisableAsync(HostDrainRequest request, HostMaintenanceReport state, IEngineSink sink, CancellationToken cancellationToken)
        {
            var service = await new CloudInventory(_session).GetComputeServiceAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false);
            if (service.Status != ServiceStatus.Disabled || !string.Equals(service.DisabledReason, request.Reason, StringComparison.Ordinal))
            {
                service = await _nova.SetServiceStatusAsync(service, false, request.Reason, sink, cancellationToken).ConfigureAwait(false);
                sink.Verbose($"Disabled the compute service on {request.HostName} (reason: {request.Reason}); the scheduler places nothing new there.");
            }
            else
            {
                sink.Verbose($"The compute service on {request.HostName} is already disabled with this reason.");
            }

            state.ServiceStatus = service.Status;
            state.DisabledReason = service.DisabledReason;
        }

        /// <summary>Asks Nova where each instance the file left in flight really is; the file is never trusted over Nova.</summary>
        private async Task ReconcileAsync(HostDrainRequest request, HostMaintenanceReport state, IEngineSink sink, CancellationToken cancellationToken)
        {
            foreach (var record in state.Instances.Where(r => r.Outcome == MaintenanceOutcome.InFlight || r.Outcome == MaintenanceOutcome.Pending).ToList())
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
                    record.FinishedAt ??= instance.Updated ?? DateTimeOffset.UtcNow;
                    record.Reason = $"Found on {instance.HostName} ({instance.StatusText}) when resuming: the migration started by an earlier run completed.";
                }
                else
                {
                    // Stopped between marking it and Nova's answer: if Nova has no migration action since, nothing was asked of it.
                    var asked = record.Outcome == MaintenanceOutcome.InFlight && record.StartedAt.HasValue
                        && (await _nova.ListInstanceActionsAsync(record.InstanceId, sink, cancellationToken).ConfigureAwait(false))
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

            Save(request, state);
        }

        private async Task<Instance> WaitIdleAsync(string id, TimeSpan limit, IEngineSink sink, CancellationToken cancellationToken)
        {
            var until = DateTimeOffset.UtcNow + limit;
            while (true)
            {
                var instance = await _nova.GetServerAsync(id, sink, cancellationToken).ConfigureAwait(false);
                if (string.IsNullOrEmpty(instance.TaskState) || instance.Status == ServerStatus.Error || DateTimeOffset.UtcNow >= until)
                {
                    return instance;
                }

                sink.Verbose($"{instance.Name} is busy ({instance.TaskState}); waiting for it to settle.");
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task WaitWhileBusyAsync(HostDrainRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var until = DateTimeOffset.UtcNow + request.BusyWait;
            while (true)
            {
                var busy = (await ListHostAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false))
                    .Where(i => !string.IsNullOrEmpty(i.TaskState) && i.Status != ServerStatus.Error).ToList();
                if (busy.Count == 0 || DateTimeOffset.UtcNow >= until)
                {
                    return;
                }

                sink.Verbose($"Waiting for {busy.Count} instance(s) busy on {request.HostName} ({string.Join(", ", busy.Select(i => $"{i.Name}: {i.TaskState}"))}).");
                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        private void Settle(HostDrainRequest request, HostMaintenanceReport state, MigrationOutcome outcome, Action<MaintenanceInstanceRecord> onSettled, IEngineSink sink)
        {
            MaintenanceInstanceRecord record;
            lock (_lock)
            {
                record = RecordFor(state, outcome.Request.Instance.Id, outcome.Request.Instance.Name, request.HostName);
                var result = outcome.Result;
                if (result != null)
                {
                    record.Verdict = result.Verdict;
                    record.CurrentHost = result.DestinationHost;
                    record.InstanceStatus = result.InstanceStatus;
                    record.MigrationId = result.MigrationId;
                    record.RequestId = result.RequestId;
                    record.StartedAt = result.StartedAt ?? record.StartedAt;
                    record.FinishedAt = result.FinishedAt ?? DateTimeOffset.UtcNow;
                    record.Reason = result.Reason;
                    record.Outcome = result.Verdict == MigrationVerdict.Succeeded ? MaintenanceOutcome.Moved
                        : result.Verdict == MigrationVerdict.TimedOut || result.Verdict == MigrationVerdict.Accepted ? MaintenanceOutcome.InFlight
                        : MaintenanceOutcome.Failed;
                }
                else
                {
                    var error = outcome.Error;
                    record.FinishedAt = DateTimeOffset.UtcNow;
                    record.Reason = error?.Message ?? "No verdict.";
                    record.Outcome = error is OpenStackMigrationException known && known.Kind == FailureKind.NotFound ? MaintenanceOutcome.Deleted : MaintenanceOutcome.Failed;
                }

                Save(request, state);
                Report(state, sink);
            }

            if (record.Outcome != MaintenanceOutcome.Moved)
            {
                sink.Warning($"{record.InstanceName} stays on {record.CurrentHost ?? request.HostName}: {record.Reason}");
            }
            else
            {
                sink.Verbose($"{record.InstanceName} moved to {record.CurrentHost}.");
            }

            onSettled(record);
        }

        private static void Report(HostMaintenanceReport state, IEngineSink sink)
        {
            var total = Math.Max(1, state.Instances.Count);
            var inFlight = state.Instances.Count(i => i.Outcome == MaintenanceOutcome.InFlight);
            var settled = state.Instances.Count(i => i.Outcome != MaintenanceOutcome.InFlight && i.Outcome != MaintenanceOutcome.Pending);
            sink.Progress(new ProgressReport(ProgressKey, $"Maintenance of {state.HostName}", $"{state.MovedCount} of {state.Instances.Count} moved, {inFlight} in flight, {state.FailedCount} failed, {state.UnplaceableCount} unplaceable")
            {
                PercentComplete = 100 * settled / total,
            });
        }

        private async Task<List<Instance>> ListHostAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var found = new List<Instance>();
            await _nova.ListServersAsync(new ServerQuery { AllProjects = true, Host = host }, page => found.AddRange(page), sink, cancellationToken).ConfigureAwait(false);
            return found;
        }

        /// <summary>Lists what is on the host now, in any state, and records it: the host is empty only if Nova lists nothing there.</summary>
        private async Task VerifyAsync(HostDrainRequest request, HostMaintenanceReport state, IEngineSink sink, CancellationToken cancellationToken)
        {
            var remaining = await ListHostAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false);
            foreach (var instance in remaining)
            {
                var record = RecordFor(state, instance.Id, instance.Name, request.HostName);
                record.CurrentHost = instance.HostName;
                record.InstanceStatus = instance.StatusText;
                if (record.Outcome == MaintenanceOutcome.Moved || record.Outcome == MaintenanceOutcome.Pending)
                {
                    record.Outcome = MaintenanceOutcome.Failed;
                    record.Reason = $"Still on {request.HostName} ({instance.StatusText}) at the end. " + record.Reason;
                }
            }

            var service = await new CloudInventory(_session).GetComputeServiceAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false);
            state.ServiceStatus = service.Status;
            state.DisabledReason = service.DisabledReason;
            state.RemainingInstances = remaining.Select(i => $"{i.Name} ({i.StatusText})").ToList();
            state.IsEmpty = remaining.Count == 0;
            state.FinishedAt = DateTimeOffset.UtcNow;
            Save(request, state);
            sink.Verbose(state.IsEmpty
                ? $"{request.HostName} is empty: Nova lists no instance on it, in any state."
                : $"{request.HostName} still carries {remaining.Count} instance(s): {string.Join(", ", state.RemainingInstances)}.");
        }
    }
}
