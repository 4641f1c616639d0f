using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>The plan (-WhatIf) and the failback.</summary>
    public sealed partial class RollingMaintenance
    {
        /// <summary>
        /// What the run would do, host by host and step by step, changing nothing. Each host's capacity is checked as the
        /// run would check it when that host starts: against the hosts that are up and enabled now, less the hosts
        /// before it that are still in maintenance at that point (-Concurrency minus one). Steps an earlier run of the
        /// same state file did are shown as they ended.
        /// </summary>
        public async Task<IReadOnlyList<RollingStepResult>> PlanAsync(RollingMaintenanceRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var earlier = request.StatePath.Length > 0 ? RollingStateStore.Load(request.StatePath) : null;
            var plan = new List<RollingStepResult>();
            for (int i = 0; i < request.HostNames.Count; i++)
            {
                var host = request.HostNames[i];
                var record = earlier?.Hosts.FirstOrDefault(h => h.HostName == host);
                var alongside = request.HostNames.Skip(Math.Max(0, i - request.Concurrency + 1)).Take(Math.Min(i, request.Concurrency - 1)).ToList();
                foreach (var step in Order)
                {
                    var done = record?.StepRecord(step);
                    if (done != null && (done.Status == RollingStatus.Succeeded || done.Status == RollingStatus.Skipped))
                    {
                        done.FromEarlierRun = true;
                        plan.Add(done);
                        continue;
                    }

                    var result = new RollingStepResult { HostName = host, Order = i + 1, Step = step, Status = RollingStatus.Planned };
                    plan.Add(result);
                    switch (step)
                    {
                        case RollingStep.Capacity:
                            try
                            {
                                var moves = await CapacityAsync(request, host, result, sink, cancellationToken, alongside).ConfigureAwait(false);
                                result.InstancesMoved = moves.PlacedCount;
                                if (alongside.Count > 0)
                                {
                                    result.Message += $" Counted out as in maintenance alongside it: {string.Join(", ", alongside)}.";
                                }
                            }
                            catch (OpenStackMigrationException e)
                            {
                                result.Status = RollingStatus.Failed;
                                result.ErrorId = e.ErrorId;
                                result.ErrorKind = e.Kind;
                                result.Message += " " + e.Message;
                            }

                            break;
                        case RollingStep.Disable:
                            result.Message = $"Disable the compute service (reason: {request.Reason}).";
                            break;
                        case RollingStep.Drain:
                            var capacity = plan.First(p => p.HostName == host && p.Step == RollingStep.Capacity);
                            result.Instances = capacity.Instances;
                            result.Message = $"Move {capacity.Instances ?? 0} instance(s) off, {request.Drain.ThrottleLimit} at a time (drain state file {request.DrainStatePath(host)}).";
                            break;
                        case RollingStep.Work:
                            var work = new List<string>();
                            if (request.Work != null) work.Add("run the work scriptblock");
                            if (!string.IsNullOrEmpty(request.NodeCommand)) work.Add($"run on {request.NodeNameFor?.Invoke(host) ?? host}: {request.NodeCommand}");
                            result.Status = work.Count == 0 ? RollingStatus.Skipped : RollingStatus.Planned;
                            result.Message = work.Count == 0 ? "No work given." : char.ToUpperInvariant(work[0][0]) + string.Join(", then ", work).Substring(1) + ".";
                            break;
                        case RollingStep.WaitForCompute:
                            result.Message = $"Wait up to {request.ComputeTimeout.TotalSeconds:0} s for nova-compute to be up and report to Nova.";
                            break;
                        case RollingStep.HealthCheck:
                            result.Status = request.HealthCheck == null ? RollingStatus.Skipped : RollingStatus.Planned;
                            result.Message = request.HealthCheck == null ? "No health check given." : "Run the health check scriptblock.";
                            break;
                        case RollingStep.Enable:
                            result.Message = "Enable the compute service.";
                            break;
                        default:
                            result.Status = request.Failback ? RollingStatus.Planned : RollingStatus.Skipped;
                            result.Message = request.Failback ? "Move the instances the drain moved back onto the host." : "No failback asked.";
                            break;
                    }
                }
            }

            return plan;
        }

        /// <summary>
        /// Moves back the instances the drain moved off, each only if Nova still has it where the drain put it and idle: one
        /// that moved back already (an interrupted run) or was moved elsewhere meanwhile is left where it is.
        /// </summary>
        private async Task FailbackAsync(RollingMaintenanceRequest request, RollingHostRecord host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (!request.Failback)
            {
                result.Status = RollingStatus.Skipped;
                result.Message = "No failback asked.";
                return;
            }

            var moves = new List<MigrationRequest>();
            var notes = new List<string>();
            foreach (var moved in host.Moved.Where(m => !m.FailedBack).ToList())
            {
                Instance instance;
                try
                {
                    instance = await WaitIdleAsync(moved.InstanceId, request.Drain.BusyWait, sink, cancellationToken).ConfigureAwait(false);
                }
                catch (OpenStackMigrationException e) when (e.Kind == FailureKind.NotFound)
                {
                    notes.Add($"{moved.InstanceName} was deleted.");
                    moved.FailedBack = true;
                    continue;
                }

                if (instance.HostName == host.HostName)
                {
                    moved.FailedBack = true;
                    notes.Add($"{moved.InstanceName} is back already.");
                }
                else if (instance.HostName != moved.MovedTo || !string.IsNullOrEmpty(instance.TaskState) || instance.Status != ServerStatus.Active)
                {
                    notes.Add($"{moved.InstanceName} is left on {instance.HostName} ({instance.StatusText}{(string.IsNullOrEmpty(instance.TaskState) ? string.Empty : ", " + instance.TaskState)}): not where the drain put it, or not ACTIVE and idle.");
                }
                else
                {
                    moves.Add(new MigrationRequest(instance)
                    {
                        Kind = MigrationKind.Live,
                        DestinationHost = host.HostName,
                        BlockMigration = request.Drain.BlockMigration,
                        Wait = true,
                        Timeout = request.Drain.MigrationTimeout,
                        OnTimeout = request.Drain.OnTimeout,
                    });
                }
            }

            int failed = 0;
            if (moves.Count > 0)
            {
                var fresh = _api.FreshDrain();
                var batch = new MigrationBatch(fresh, fresh, _watch, _now, _delay) { ThrottleLimit = request.Drain.ThrottleLimit, ReportsBatchProgress = false };
                await batch.RunAsync(moves, null, outcome =>
                {
                    var moved = host.Moved.First(m => m.InstanceId == outcome.Request.Instance.Id);
                    if (outcome.Result?.Verdict == MigrationVerdict.Succeeded)
                    {
                        lock (_lock)
                        {
                            moved.FailedBack = true;
                            result.InstancesMoved++;
                        }
                    }
                    else
                    {
                        lock (_lock)
                        {
                            failed++;
                            notes.Add($"{moved.InstanceName} did not move back: {outcome.Result?.Reason ?? outcome.Error?.Message}");
                        }
                    }
                }, sink, cancellationToken).ConfigureAwait(false);
            }

            result.InstancesFailed = failed;
            result.Message = $"{result.InstancesMoved} instance(s) moved back.{(notes.Count > 0 ? " " + string.Join(" ", notes) : string.Empty)}";
            if (failed > 0)
            {
                throw new OpenStackMigrationException("OSRollingFailbackFailed", FailureKind.InvalidState, $"{failed} instance(s) did not move back onto {host.HostName}; they keep running where the drain put them.") { Target = host.HostName };
            }
        }

        private async Task<Instance> WaitIdleAsync(string id, TimeSpan limit, IEngineSink sink, CancellationToken cancellationToken)
        {
            var until = _now() + limit;
            while (true)
            {
                var instance = await _api.Drain.GetServerAsync(id, sink, cancellationToken).ConfigureAwait(false);
                if (string.IsNullOrEmpty(instance.TaskState) || instance.Status == ServerStatus.Error || _now() >= until)
                {
                    return instance;
                }

                sink.Verbose($"{instance.Name} is busy ({instance.TaskState}); waiting for it to settle before moving it back.");
                await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
