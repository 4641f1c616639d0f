using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// Empties a host: disables its compute service with the reason, plans every move (<see cref="MigrationPlanner"/>),
    /// runs them through <see cref="MigrationBatch"/> under its throttle, records each instance in the state file as it
    /// starts and as it settles, and ends by listing what is still on the host. A rerun reads the state file, asks Nova
    /// where every instance really is, and carries on.
    /// </summary>
    public sealed partial class HostDrain
    {
        private readonly IDrainApi _api;
        private readonly MigrationWatchOptions? _watch;
        private readonly Func<DateTimeOffset> _now;
        private readonly Func<TimeSpan, CancellationToken, Task> _delay;

        /// <summary>Creates a drain over a session.</summary>
        public HostDrain(CloudSession session, MigrationWatchOptions? watch = null)
            : this(new NovaDrainApi(session), watch, null, null)
        {
        }

        internal HostDrain(IDrainApi api, MigrationWatchOptions? watch, Func<DateTimeOffset>? now, Func<TimeSpan, CancellationToken, Task>? delay)
        {
            _api = api;
            _watch = watch;
            _now = now ?? (() => DateTimeOffset.UtcNow);
            _delay = delay ?? ((t, c) => Task.Delay(t, c));
        }

        /// <summary>How often busy instances are polled.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>The plan the drain would follow now (for -WhatIf).</summary>
        public async Task<MigrationPlan> PlanAsync(HostDrainRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var input = await _api.ReadPlanInputAsync(ToPlanRequest(request), sink, cancellationToken).ConfigureAwait(false);
            return MaintenancePlanReader.Plan(input, sink);
        }

        /// <summary>Runs (or resumes) the maintenance; <paramref name="onSettled"/> is called (from any thread) as each instance settles.</summary>
        public async Task<HostMaintenanceReport> RunAsync(HostDrainRequest request, Action<MaintenanceInstanceRecord> onSettled, IEngineSink sink, CancellationToken cancellationToken)
        {
            var host = request.HostName;
            var state = MaintenanceStateStore.Load(request.StatePath);
            if (state != null && !string.Equals(state.HostName, host, StringComparison.Ordinal))
            {
                throw new OpenStackMigrationException("OSMaintenanceStateMismatch", FailureKind.InvalidArgument, $"The state file '{request.StatePath}' belongs to the maintenance of {state.HostName}, not {host}.") { Target = request.StatePath };
            }

            CheckCloud(state, request.StatePath);
            if (request.NonLiveMigratable == NonLiveMigratablePolicy.Fail)
            {
                // Before anything is written or disabled: -NonLiveMigratable Fail changes nothing when it refuses.
                RefuseNonLive(request, await PlanAsync(request, sink, cancellationToken).ConfigureAwait(false));
            }

            if (state != null)
            {
                sink.Verbose($"Resuming the maintenance of {host} started {state.StartedAt.UtcDateTime:u} ({state.Instances.Count} instance(s) recorded, run {state.Runs + 1}).");
            }

            state ??= new HostMaintenanceReport { HostName = host, CloudName = _api.CloudName, StartedAt = _now() };
            state.Runs++;
            state.Reason = request.Reason;
            state.ThrottleLimit = request.ThrottleLimit;
            state.MaxFailures = request.MaxFailures;
            state.BreakerTripped = false;
            state.StopReason = null;
            state.FinishedAt = null;
            state.StatePath = request.StatePath;
            var ledger = new DrainLedger(state, request.StatePath);
            ledger.Save();

            await DisableAsync(request, state, sink, cancellationToken).ConfigureAwait(false);
            await ReconcileAsync(request, ledger, sink, cancellationToken).ConfigureAwait(false);

            // The batch's throttle is the only one: it marks each migration in flight as it takes a place and records
            // its outcome before giving the place up, so the state file says exactly which migrations were started.
            var batch = new MigrationBatch(_api, _api, _watch, _now, _delay) { ThrottleLimit = request.ThrottleLimit, ReportsBatchProgress = false };
            var breaker = new Breaker(request.MaxFailures);
            var tried = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var warned = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            try
            {
                for (var round = 1; round <= request.MaxRounds && !breaker.Tripped; round++)
                {
                    // The last round's last migrations may still be running on the source by Nova's records.
                    await batch.SettleUnheldAsync(sink, cancellationToken).ConfigureAwait(false);
                    await WaitWhileBusyAsync(request, sink, cancellationToken).ConfigureAwait(false);
                    var input = await _api.ReadPlanInputAsync(ToPlanRequest(request), sink, cancellationToken).ConfigureAwait(false);
                    var plan = MaintenancePlanReader.Plan(input, sink);
                    if (request.NonLiveMigratable == NonLiveMigratablePolicy.Stop)
                    {
                        await StopNonLiveAsync(request, plan, ledger, tried, onSettled, sink, cancellationToken).ConfigureAwait(false);
                    }

                    // An instance tried in an earlier round keeps that try's outcome: a later plan would replace Nova's reason
                    // for a failed migration with "it is ERROR". One warning per instance, however many rounds plan it again.
                    foreach (var item in plan.Items.Where(i => !i.CanMigrate && !tried.Contains(i.InstanceId)))
                    {
                        ledger.MarkUnplaceable(item);
                        if (warned.Add(item.InstanceId))
                        {
                            sink.Warning($"{item.InstanceName} stays on {host}: {item.Reason}");
                        }
                    }

                    var moves = plan.Items.Where(i => i.CanMigrate && tried.Add(i.InstanceId)).ToList();
                    if (moves.Count == 0)
                    {
                        break;
                    }

                    sink.Verbose($"Round {round}: moving {moves.Count} instance(s), {request.ThrottleLimit} at a time.");
                    foreach (var item in moves)
                    {
                        ledger.MarkPending(item);
                    }

                    ledger.Save();
                    ledger.Report(sink);
                    await batch.RunAsync(
                        moves.Select(item => ToMigration(request, item, input, breaker.Token, sink)).ToList(),
                        started => ledger.MarkStarted(started, _now(), sink),
                        outcome => Settle(request, ledger, outcome, breaker, onSettled, sink),
                        _ => !breaker.Tripped,
                        sink,
                        cancellationToken).ConfigureAwait(false);
                }

                // Whichever way the rounds ended (nothing left, -MaxRounds, the breaker), the host is called empty only
                // once Nova's records of the last migrations are final: a restart or reboot of the source next would
                // leave them 'running' for good.
                await batch.SettleUnheldAsync(sink, cancellationToken).ConfigureAwait(false);
                if (breaker.Tripped)
                {
                    ledger.MarkNotStarted(breaker.Why!, sink);
                }
            }
            catch (OperationCanceledException)
            {
                ledger.Save();
                sink.Warning($"Stopped. Migrations already started are left to Nova; the state file {request.StatePath} records them, and running the same command again resumes.");
                throw;
            }
            finally
            {
                breaker.Dispose();
                ledger.Complete(sink);
            }

            await VerifyAsync(request, ledger, sink, cancellationToken).ConfigureAwait(false);
            return state;
        }

        private static PlanRequest ToPlanRequest(HostDrainRequest request) => new PlanRequest
        {
            SourceHosts = new[] { request.HostName },
            DestinationHosts = request.DestinationHosts,
            Goal = MaintenanceGoal.Drain,
            BlockMigration = request.BlockMigration,
            AllowCold = request.ColdAllowed,
        };

        private MigrationRequest ToMigration(HostDrainRequest request, MigrationPlanItem item, PlannerInput input, CancellationToken actNow, IEngineSink sink)
        {
            var migration = ToMigration(request, item, sink);
            migration.ActNow = actNow;

            // Never two members of one anti-affinity group in flight: before Xena Nova could place both on one host (bug 1821755).
            migration.ExclusiveKeys = input.ServerGroups
                .Where(g => (g.Policy == "anti-affinity" || g.Policy == "soft-anti-affinity") && g.Members.Contains(item.InstanceId, StringComparer.OrdinalIgnoreCase))
                .Select(g => g.Id)
                .ToList();
            return migration;
        }

        private MigrationRequest ToMigration(HostDrainRequest request, MigrationPlanItem item, IEngineSink sink)
        {
            // Before compute 2.56 a cold migration cannot name its host: the drain's goal is an empty source, so the
            // scheduler picks (it never picks the source, whose service is disabled).
            var host = item.DestinationHost;
            if (item.Kind == MigrationKind.Cold && host != null && _api.ComputeMicroversion < NovaClient.ColdMigrationHostVersion)
            {
                sink.Verbose($"{item.InstanceName} is cold-migrated to a host Nova's scheduler picks, not to the planned {host}: naming the host needs compute API {NovaClient.ColdMigrationHostVersion}, this cloud offers {_api.ComputeMicroversion}.");
                host = null;
            }

            return new MigrationRequest(new Instance { Id = item.InstanceId, Name = item.InstanceName, HostName = request.HostName })
            {
                Kind = item.Kind,
                DestinationHost = host,
                BlockMigration = request.BlockMigration,
                Wait = true,
                Timeout = request.MigrationTimeout,
                OnTimeout = request.OnTimeout,
                VerifyResize = VerifyResizeAction.Confirm,
            };
        }

        private async Task DisableAsync(HostDrainRequest request, HostMaintenanceReport state, IEngineSink sink, CancellationToken cancellationToken)
        {
            var service = await _api.GetComputeServiceAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false);
            if (service.Status != ServiceStatus.Disabled || !string.Equals(service.DisabledReason, request.Reason, StringComparison.Ordinal))
            {
                service = await _api.SetServiceStatusAsync(service, false, request.Reason, sink, cancellationToken).ConfigureAwait(false);
                sink.Verbose($"Disabled the compute service on {request.HostName} (reason: {request.Reason}); the scheduler places nothing new there.");
            }
            else
            {
                sink.Verbose($"The compute service on {request.HostName} is already disabled with this reason.");
            }

            state.ServiceStatus = service.Status;
            state.DisabledReason = service.DisabledReason;
        }

        private void Settle(HostDrainRequest request, DrainLedger ledger, MigrationOutcome outcome, Breaker breaker, Action<MaintenanceInstanceRecord> onSettled, IEngineSink sink)
        {
            var record = ledger.Settle(outcome, _now(), sink);
            if (record.Outcome == MaintenanceOutcome.Failed && breaker.Count(record, request, ledger.State, sink))
            {
                ledger.Save();
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

        /// <summary>Lists what is on the host now, in any state, and records it: the host is empty only if Nova lists nothing there.</summary>
        private async Task VerifyAsync(HostDrainRequest request, DrainLedger ledger, IEngineSink sink, CancellationToken cancellationToken)
        {
            var state = ledger.State;
            var remaining = await _api.ListHostInstancesAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false);
            foreach (var instance in remaining)
            {
                var record = ledger.RecordFor(instance.Id, instance.Name);
                record.CurrentHost = instance.HostName;
                record.InstanceStatus = instance.StatusText;
                if (record.Outcome == MaintenanceOutcome.Moved || record.Outcome == MaintenanceOutcome.Pending)
                {
                    record.Outcome = MaintenanceOutcome.Failed;
                    record.Reason = $"Still on {request.HostName} ({instance.StatusText}) at the end. " + record.Reason;
                }
            }

            var service = await _api.GetComputeServiceAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false);
            state.ServiceStatus = service.Status;
            state.DisabledReason = service.DisabledReason;
            state.RemainingInstances = remaining.Select(i => $"{i.Name} ({i.StatusText})").ToList();
            state.Left = remaining.Select(i =>
            {
                var record = ledger.RecordFor(i.Id, i.Name);
                return $"{i.Name} ({i.StatusText}): {record.Outcome}: {record.Reason}" + (record.CauseSummary != null && !record.Reason.Contains(record.CauseSummary) ? " " + record.CauseSummary : string.Empty);
            }).ToList();
            state.IsEmpty = remaining.Count == 0;
            state.FinishedAt = _now();
            ledger.Save();
            sink.Verbose(state.IsEmpty
                ? $"{request.HostName} is empty: Nova lists no instance on it, in any state."
                : $"{request.HostName} still carries {remaining.Count} instance(s): {string.Join(", ", state.RemainingInstances)}.");
        }
    }
}
