using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>The steps of one host, each recorded before and after it runs.</summary>
    public sealed partial class RollingMaintenance
    {
        private static readonly RollingStep[] Order =
        {
            RollingStep.Capacity, RollingStep.Disable, RollingStep.Drain, RollingStep.Work, RollingStep.WaitForCompute, RollingStep.HealthCheck, RollingStep.Enable, RollingStep.Failback,
        };

        /// <summary>Runs the host's steps that are not done yet; false (with the host's FailedStep and Error set) at the first failure.</summary>
        private async Task<bool> RunStepsAsync(RollingMaintenanceRequest request, RollingRunState state, RollingHostRecord host, int attempt, Action<RollingStepResult> onStep, IEngineSink sink, CancellationToken cancellationToken)
        {
            foreach (var step in Order)
            {
                var earlier = host.StepRecord(step);
                if (earlier != null && (earlier.Status == RollingStatus.Succeeded || earlier.Status == RollingStatus.Skipped))
                {
                    continue;
                }

                var result = new RollingStepResult { HostName = host.HostName, Order = host.Order, Step = step, Attempt = attempt, StartedAt = _now(), Status = RollingStatus.Running };
                lock (_lock)
                {
                    host.Steps.RemoveAll(s => s.Step == step);
                    host.Steps.Add(result);
                }

                // Written before it runs: an interrupted run finds the step Running and does it again.
                Save(state);
                try
                {
                    result.Status = RollingStatus.Succeeded;
                    await RunStepAsync(request, state, host, result, sink, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    result.Status = RollingStatus.Running;
                    result.Message = "Interrupted; running the same command again does this step again.";
                    Save(state);
                    throw;
                }
                catch (Exception e)
                {
                    var known = e as OpenStackMigrationException;
                    result.Status = RollingStatus.Failed;
                    result.ErrorId = known?.ErrorId ?? (step == RollingStep.Work ? "OSRollingWorkFailed" : step == RollingStep.HealthCheck ? "OSRollingHealthCheckFailed" : "OSRollingStepFailed");
                    result.ErrorKind = known?.Kind ?? FailureKind.CommandFailed;
                    result.Message = string.IsNullOrEmpty(result.Message) ? e.Message : result.Message + " " + e.Message;
                    host.FailedStep = step;
                    host.Error = e.Message;
                }

                result.FinishedAt = _now();
                Save(state);
                sink.Verbose($"{host.HostName}: {step} {result.Status.ToString().ToLowerInvariant()} in {result.Duration?.TotalSeconds:0.0} s: {result.Message}");
                onStep(result);
                if (result.Status == RollingStatus.Failed)
                {
                    return false;
                }
            }

            return true;
        }

        private Task RunStepAsync(RollingMaintenanceRequest request, RollingRunState state, RollingHostRecord host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken) => result.Step switch
        {
            RollingStep.Capacity => CapacityAsync(request, host.HostName, result, sink, cancellationToken),
            RollingStep.Disable => DisableAsync(request, state, host, result, sink, cancellationToken),
            RollingStep.Drain => DrainAsync(request, host, result, sink, cancellationToken),
            RollingStep.Work => WorkAsync(request, host.HostName, result, sink, cancellationToken),
            RollingStep.WaitForCompute => WaitForComputeAsync(request, host.HostName, result, sink, cancellationToken),
            RollingStep.HealthCheck => HealthCheckAsync(request, host.HostName, result, cancellationToken),
            RollingStep.Enable => EnableAsync(state, host, result, sink, cancellationToken),
            _ => FailbackAsync(request, host, result, sink, cancellationToken),
        };

        /// <summary>The hosts that may receive instances now: up, enabled, not forced down, and not one of this run's hosts in maintenance.</summary>
        private async Task<IReadOnlyList<string>> DestinationsAsync(string host, IEnumerable<string> alsoOut, IEngineSink sink, CancellationToken cancellationToken)
        {
            var services = await _api.ListComputeServicesAsync(sink, cancellationToken).ConfigureAwait(false);
            HashSet<string> active;
            lock (_lock)
            {
                active = new HashSet<string>(_active.Concat(alsoOut), StringComparer.Ordinal);
            }

            return services
                .Where(s => s.State == ServiceState.Up && s.Status == ServiceStatus.Enabled && !s.ForcedDown && s.HostName != host && !active.Contains(s.HostName))
                .Select(s => s.HostName).Distinct(StringComparer.Ordinal).OrderBy(h => h, StringComparer.Ordinal).ToList();
        }

        private HostDrainRequest DrainRequest(RollingMaintenanceRequest request, string host, IReadOnlyList<string> destinations)
        {
            var d = request.Drain;
            return new HostDrainRequest
            {
                HostName = host,
                Reason = request.Reason,
                DestinationHosts = destinations,
                ThrottleLimit = d.ThrottleLimit,
                AllowCold = d.AllowCold,
                BlockMigration = d.BlockMigration,
                MigrationTimeout = d.MigrationTimeout,
                OnTimeout = d.OnTimeout,
                BusyWait = d.BusyWait,
                MaxRounds = d.MaxRounds,
                StatePath = request.DrainStatePath(host),
            };
        }

        private HostDrain NewDrain() => new HostDrain(_api.FreshDrain(), _watch, _now, _delay);

        /// <summary>Plans the drain against the hosts that may receive; fails when any instance would have nowhere to go.</summary>
        private async Task<MigrationPlan> CapacityAsync(RollingMaintenanceRequest request, string host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken, IEnumerable<string>? alsoOut = null)
        {
            var destinations = await DestinationsAsync(host, alsoOut ?? Array.Empty<string>(), sink, cancellationToken).ConfigureAwait(false);
            var plan = await NewDrain().PlanAsync(DrainRequest(request, host, destinations), sink, cancellationToken).ConfigureAwait(false);
            var receiving = plan.Hosts.Where(h => h.Role == "Destination").ToList();
            result.DestinationHosts = destinations;
            result.Instances = plan.Items.Count;
            result.MemoryNeededMB = plan.Items.Sum(i => (long)i.RamMB);
            result.VcpusNeeded = plan.Items.Sum(i => (long)i.Vcpus);
            result.MemoryFreeMB = receiving.Sum(h => Math.Max(0, h.MemoryCapacityMB - h.MemoryUsedMB));
            result.VcpusFree = receiving.Sum(h => Math.Max(0, h.VcpuCapacity - h.VcpuUsed));
            result.Message = $"{plan.Items.Count} instance(s) need {result.MemoryNeededMB} MB RAM and {result.VcpusNeeded} vCPU; {destinations.Count} host(s) may receive them ({string.Join(", ", destinations)}) with {result.MemoryFreeMB} MB and {result.VcpusFree} vCPU free.";
            var stuck = plan.Items.Where(i => !i.CanMigrate).ToList();
            if (stuck.Count > 0)
            {
                throw new OpenStackMigrationException("OSRollingCapacityShort", FailureKind.InvalidState,
                    $"{stuck.Count} instance(s) would have nowhere to go: {string.Join("; ", stuck.Select(i => $"{i.InstanceName}: {i.Reason}"))}")
                {
                    Target = host,
                    RecommendedAction = "Free capacity elsewhere, lower -Concurrency, or allow cold migration for stopped instances, then run the same command again.",
                };
            }

            return plan;
        }

        private async Task DisableAsync(RollingMaintenanceRequest request, RollingRunState state, RollingHostRecord host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            var service = await _api.Drain.GetComputeServiceAsync(host.HostName, sink, cancellationToken).ConfigureAwait(false);
            if (service.Status == ServiceStatus.Disabled && !string.Equals(service.DisabledReason, request.Reason, StringComparison.Ordinal))
            {
                // Someone else's maintenance: enabling it at the end would undo theirs.
                throw new OpenStackMigrationException("OSRollingHostAlreadyDisabled", FailureKind.InvalidState,
                    $"{host.HostName} is already disabled by someone else (reason: {service.DisabledReason ?? "none"}); it is left alone.")
                {
                    Target = host.HostName,
                    RecommendedAction = "Leave the host out of the run, or enable it (Enable-OSComputeService) if that maintenance is over, then run the same command again.",
                };
            }

            if (service.Status != ServiceStatus.Disabled)
            {
                await _api.Drain.SetServiceStatusAsync(service, false, request.Reason, sink, cancellationToken).ConfigureAwait(false);
                result.Message = $"Disabled (reason: {request.Reason}).";
            }
            else
            {
                result.Message = $"Already disabled with this reason.";
            }

            host.DisabledByRun = true;
            CountInMaintenance(state);
        }

        private async Task DrainAsync(RollingMaintenanceRequest request, RollingHostRecord host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            var destinations = await DestinationsAsync(host.HostName, Array.Empty<string>(), sink, cancellationToken).ConfigureAwait(false);
            var report = await NewDrain().RunAsync(DrainRequest(request, host.HostName, destinations), _ => { }, sink, cancellationToken).ConfigureAwait(false);
            result.Instances = report.Instances.Count;
            result.InstancesMoved = report.MovedCount;
            result.InstancesFailed = report.FailedCount + report.UnplaceableCount;
            lock (_lock)
            {
                foreach (var moved in report.Instances.Where(i => i.Outcome == MaintenanceOutcome.Moved))
                {
                    var known = host.Moved.FirstOrDefault(m => m.InstanceId == moved.InstanceId);
                    if (known == null)
                    {
                        host.Moved.Add(new RollingMovedInstance { InstanceId = moved.InstanceId, InstanceName = moved.InstanceName, MovedTo = moved.CurrentHost });
                    }
                    else
                    {
                        known.MovedTo = moved.CurrentHost;
                    }
                }
            }

            result.Message = $"{report.MovedCount} instance(s) moved off ({string.Join(", ", report.Instances.Where(i => i.Outcome == MaintenanceOutcome.Moved).Select(i => $"{i.InstanceName} -> {i.CurrentHost}"))}).";
            if (!report.IsEmpty)
            {
                throw new OpenStackMigrationException("OSHostNotEmpty", FailureKind.InvalidState,
                    $"{host.HostName} still carries {report.RemainingInstances.Count} instance(s): {string.Join(", ", report.RemainingInstances)}; the work is not started on a host with instances. {string.Join(" ", report.Instances.Where(i => i.Outcome != MaintenanceOutcome.Moved && i.Outcome != MaintenanceOutcome.Deleted).Select(i => $"{i.InstanceName}: {i.Reason}"))}")
                { Target = host.HostName };
            }
        }

        private async Task WorkAsync(RollingMaintenanceRequest request, string host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (request.Work == null && string.IsNullOrEmpty(request.NodeCommand))
            {
                result.Status = RollingStatus.Skipped;
                result.Message = "No work given.";
                return;
            }

            var said = new List<string>();
            if (request.Work != null)
            {
                var line = await request.Work(host, cancellationToken).ConfigureAwait(false);
                said.Add(string.IsNullOrWhiteSpace(line) ? "The work scriptblock ran." : line!.Trim());
            }

            if (!string.IsNullOrEmpty(request.NodeCommand))
            {
                var node = request.NodeFor?.Invoke(host) ?? throw new InvalidOperationException("A node command needs a node session.");
                sink.Verbose($"{host}: running on {node.ComputerName}: {request.NodeCommand}");
                var run = await node.RunScriptAsync(request.NodeCommand + "\n", cancellationToken).ConfigureAwait(false);
                var output = Tail((run.StdOut + "\n" + run.StdErr).Trim());
                if (run.ExitCode != 0)
                {
                    result.Message = string.Join(" ", said);
                    throw new OpenStackMigrationException("OSRollingNodeCommandFailed", FailureKind.CommandFailed,
                        $"{node.ComputerName}: the node command exited {run.ExitCode}: {output}") { Target = host };
                }

                said.Add($"{node.ComputerName}: the node command exited 0{(output.Length > 0 ? ": " + output : ".")}");
            }

            result.Message = string.Join(" ", said);
        }

        private static string Tail(string text) => text.Length <= 400 ? text.Replace('\n', ' ') : "..." + text.Substring(text.Length - 400).Replace('\n', ' ');

        /// <summary>
        /// Waits for a report from nova-compute newer than the one Nova has when the wait starts, with Nova calling it up:
        /// a compute that stopped (or never came back from a reboot) sends none, whatever Nova still says for service_down_time.
        /// </summary>
        private async Task WaitForComputeAsync(RollingMaintenanceRequest request, string host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            var first = await _api.GetAsync(host, sink, cancellationToken).ConfigureAwait(false)
                ?? throw new OpenStackMigrationException("OSComputeHostNotFound", FailureKind.NotFound, $"Nova has no nova-compute service on host '{host}' any more.") { Target = host };
            var seen = first.UpdatedAt;
            var deadline = _now() + request.ComputeTimeout;
            while (true)
            {
                await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
                var now = await _api.GetAsync(host, sink, cancellationToken).ConfigureAwait(false);
                if (now != null && now.Value.Up && now.Value.UpdatedAt != null && (seen == null || now.Value.UpdatedAt > seen))
                {
                    result.Message = $"nova-compute is up and reported at {now.Value.UpdatedAt:u}.";
                    return;
                }

                if (_now() >= deadline)
                {
                    throw new OpenStackMigrationException("OSRollingComputeNotReporting", FailureKind.Timeout,
                        $"nova-compute on {host} has not reported to Nova in {request.ComputeTimeout.TotalSeconds:0} s after the work (last report {seen:u}, Nova says {(now?.Up == true ? "up" : "down")}); the host stays disabled.")
                    {
                        Target = host,
                        RecommendedAction = "See the compute's log (Find-OSLogEntry) for why it does not start or cannot reach the message queue; once it reports, run the same command again.",
                    };
                }
            }
        }

        private static async Task HealthCheckAsync(RollingMaintenanceRequest request, string host, RollingStepResult result, CancellationToken cancellationToken)
        {
            if (request.HealthCheck == null)
            {
                result.Status = RollingStatus.Skipped;
                result.Message = "No health check given.";
                return;
            }

            var line = await request.HealthCheck(host, cancellationToken).ConfigureAwait(false);
            result.Message = string.IsNullOrWhiteSpace(line) ? "The health check passed." : line!.Trim();
        }

        private async Task EnableAsync(RollingRunState state, RollingHostRecord host, RollingStepResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            var service = await _api.Drain.GetComputeServiceAsync(host.HostName, sink, cancellationToken).ConfigureAwait(false);
            if (service.Status != ServiceStatus.Enabled)
            {
                await _api.Drain.SetServiceStatusAsync(service, true, null, sink, cancellationToken).ConfigureAwait(false);
            }

            host.DisabledByRun = false;
            CountInMaintenance(state);
            // As Stop-OSHostMaintenance does: the next maintenance of this host starts afresh, and this one's record is kept.
            var archived = host.DrainStatePath == null ? null : MaintenanceStateStore.Archive(host.DrainStatePath);
            result.Message = "Enabled." + (archived != null ? $" The drain's state file is kept as {archived}." : string.Empty);
        }
    }
}
