using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Text;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// Maintenance of many compute hosts, one (or <see cref="RollingMaintenanceRequest.Concurrency"/>) at a time, each
    /// through capacity check, disable, drain, the admin's work, the wait for nova-compute, the health check, enable and
    /// failback. A host that fails is left disabled; more failed hosts than <see cref="RollingMaintenanceRequest.MaxFailedHosts"/>
    /// stop the run. Every step is written to a state file before and after it runs, so a rerun of the same command
    /// skips what is done and repeats only the step that was interrupted (each step is safe to repeat: the drain's own
    /// state file and Nova say where every instance is).
    /// </summary>
    public sealed partial class RollingMaintenance
    {
        private readonly IRollingApi _api;
        private readonly MigrationWatchOptions? _watch;
        private readonly Func<DateTimeOffset> _now;
        private readonly Func<TimeSpan, CancellationToken, Task> _delay;
        private readonly object _lock = new object();
        private readonly HashSet<string> _active = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>A rolling maintenance over a session.</summary>
        public RollingMaintenance(CloudSession session, MigrationWatchOptions? watch = null)
            : this(new NovaRollingApi(session), watch, null, null)
        {
        }

        internal RollingMaintenance(IRollingApi api, MigrationWatchOptions? watch, Func<DateTimeOffset>? now, Func<TimeSpan, CancellationToken, Task>? delay)
        {
            _api = api;
            _watch = watch;
            _now = now ?? (() => DateTimeOffset.UtcNow);
            _delay = delay ?? ((t, c) => Task.Delay(t, c));
        }

        /// <summary>How often Nova is asked whether a compute reported.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>
        /// The compute hosts named by <paramref name="patterns"/> (names or wildcards), in the order given (a wildcard's
        /// matches by name), each once. A name that matches no nova-compute service is OSComputeHostNotFound.
        /// </summary>
        public async Task<IReadOnlyList<string>> ResolveHostsAsync(IEnumerable<string> patterns, IEngineSink sink, CancellationToken cancellationToken)
        {
            var services = await _api.ListComputeServicesAsync(sink, cancellationToken).ConfigureAwait(false);
            var hosts = new List<string>();
            foreach (var pattern in patterns)
            {
                var matches = services.Select(s => s.HostName).Where(h => Wildcard.Matches(pattern, h)).OrderBy(h => h, StringComparer.Ordinal).ToList();
                if (matches.Count == 0)
                {
                    throw new OpenStackMigrationException("OSComputeHostNotFound", FailureKind.NotFound,
                        $"No compute host matches '{pattern}'. Compute hosts: {string.Join(", ", services.Select(s => s.HostName).OrderBy(h => h, StringComparer.Ordinal))}.") { Target = pattern };
                }

                hosts.AddRange(matches.Where(h => !hosts.Contains(h, StringComparer.Ordinal)));
            }

            return hosts;
        }

        /// <summary>
        /// Runs (or resumes) the rolling maintenance. <paramref name="onStep"/> gets each step as it ends (from any thread),
        /// and first the steps an earlier run of the same state file already did. Returns the run's state.
        /// </summary>
        public async Task<RollingRunState> RunAsync(RollingMaintenanceRequest request, Action<RollingStepResult> onStep, IEngineSink sink, CancellationToken cancellationToken)
        {
            var state = Open(request, sink);
            foreach (var host in state.Hosts)
            {
                foreach (var step in host.Steps.Where(s => s.Status == RollingStatus.Succeeded || s.Status == RollingStatus.Skipped))
                {
                    step.FromEarlierRun = true;
                    onStep(step);
                }
            }

            int failed = 0;
            var failures = new List<string>();
            var pending = new Queue<RollingHostRecord>(state.Hosts.Where(h => h.Status != RollingStatus.Succeeded));
            var running = new List<Task<(RollingHostRecord Host, bool Ok)>>();
            try
            {
                while (pending.Count > 0 || running.Count > 0)
                {
                    while (!state.Stopped && pending.Count > 0 && running.Count < Math.Max(1, request.Concurrency))
                    {
                        var host = pending.Dequeue();
                        running.Add(Host(host));
                    }

                    if (running.Count == 0)
                    {
                        break;
                    }

                    var done = await Task.WhenAny(running).ConfigureAwait(false);
                    running.Remove(done);
                    var (record, ok) = await done.ConfigureAwait(false);
                    if (!ok)
                    {
                        failed++;
                        failures.Add($"{record.HostName} ({record.FailedStep}: {record.Error})");
                        if (failed > request.MaxFailedHosts && !state.Stopped)
                        {
                            state.Stopped = true;
                            state.StopReason = $"{failed} host(s) failed, more than -MaxFailedHosts {request.MaxFailedHosts}: {string.Join("; ", failures)}";
                            sink.Warning($"Stopping the rolling maintenance: {state.StopReason}. Hosts already in maintenance finish; no other host is started.");
                        }
                    }
                }
            }
            finally
            {
                // Stopped by Ctrl+C or an error: what was started is in the file; the same command resumes it.
                Save(state);
            }

            foreach (var host in pending)
            {
                var notRun = new RollingStepResult
                {
                    HostName = host.HostName,
                    Order = host.Order,
                    Step = RollingStep.Capacity,
                    Status = RollingStatus.NotRun,
                    Message = "Not started: " + state.StopReason,
                    ErrorId = "OSRollingRunStopped",
                    ErrorKind = FailureKind.InvalidState,
                };
                host.Status = RollingStatus.NotRun;
                onStep(notRun);
            }

            state.FinishedAt = _now();
            Save(state);
            sink.Verbose($"Rolling maintenance: {state.SucceededCount} of {state.Hosts.Count} host(s) done, {state.FailedCount} failed; at most {state.MaxHostsInMaintenance} in maintenance at once.");
            if (state.SucceededCount == state.Hosts.Count && request.StatePath.Length > 0)
            {
                // The next run of the same line is the next maintenance, not a resume of this one.
                var archived = MaintenanceStateStore.Archive(request.StatePath);
                state.StatePath = archived ?? state.StatePath;
            }

            return state;

            async Task<(RollingHostRecord, bool)> Host(RollingHostRecord host)
            {
                await Task.Yield();
                return (host, await ProcessHostAsync(request, state, host, onStep, sink, cancellationToken).ConfigureAwait(false));
            }
        }

        private RollingRunState Open(RollingMaintenanceRequest request, IEngineSink sink)
        {
            var state = request.StatePath.Length > 0 ? RollingStateStore.Load(request.StatePath) : null;
            if (state != null)
            {
                var known = state.Hosts.Select(h => h.HostName).OrderBy(h => h, StringComparer.Ordinal);
                if (!known.SequenceEqual(request.HostNames.OrderBy(h => h, StringComparer.Ordinal), StringComparer.Ordinal))
                {
                    throw new OpenStackMigrationException("OSMaintenanceStateMismatch", FailureKind.InvalidArgument,
                        $"The state file '{request.StatePath}' belongs to a rolling maintenance of {string.Join(", ", state.Hosts.Select(h => h.HostName))}, not {string.Join(", ", request.HostNames)}.")
                    { Target = request.StatePath };
                }

                sink.Verbose($"Resuming the rolling maintenance started {state.StartedAt.UtcDateTime:u} (run {state.Runs + 1}): {state.SucceededCount} host(s) done, {state.FailedCount} failed before (tried again).");
                foreach (var host in state.Hosts.Where(h => h.Status != RollingStatus.Succeeded))
                {
                    // A host that failed (or was not started) in an earlier run is tried again from its failed step: the admin reran the command after fixing it.
                    host.Status = RollingStatus.Planned;
                }
            }

            state ??= new RollingRunState
            {
                CloudName = _api.Drain.CloudName,
                StartedAt = _now(),
                Hosts = request.HostNames.Select((h, i) => new RollingHostRecord { HostName = h, Order = i + 1, DrainStatePath = request.DrainStatePath(h) }).ToList(),
            };
            state.Runs++;
            state.Reason = request.Reason;
            state.Concurrency = request.Concurrency;
            state.MaxFailedHosts = request.MaxFailedHosts;
            state.Stopped = false;
            state.StopReason = null;
            state.FinishedAt = null;
            state.StatePath = request.StatePath;
            lock (_lock)
            {
                foreach (var host in state.Hosts.Where(h => h.DisabledByRun))
                {
                    _active.Add(host.HostName);
                }
            }

            Save(state);
            return state;
        }

        private async Task<bool> ProcessHostAsync(RollingMaintenanceRequest request, RollingRunState state, RollingHostRecord host, Action<RollingStepResult> onStep, IEngineSink sink, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                _active.Add(host.HostName);
            }

            for (int attempt = 1; ; attempt++)
            {
                host.Attempts++;
                host.Status = RollingStatus.Running;
                Save(state);
                sink.Verbose($"{host.HostName}: maintenance {(attempt > 1 ? $"attempt {attempt}" : "starts")} ({host.Order} of {state.Hosts.Count}).");
                if (await RunStepsAsync(request, state, host, host.Attempts, onStep, sink, cancellationToken).ConfigureAwait(false))
                {
                    host.Status = RollingStatus.Succeeded;
                    host.FailedStep = null;
                    host.Error = null;
                    lock (_lock)
                    {
                        _active.Remove(host.HostName);
                    }

                    Save(state);
                    return true;
                }

                if (attempt > request.MaxRetriesPerHost)
                {
                    break;
                }

                sink.Warning($"{host.HostName}: {host.FailedStep} failed ({host.Error}); trying again from that step in {request.RetryDelay.TotalSeconds:0} s (retry {attempt} of {request.MaxRetriesPerHost}).");
                await _delay(request.RetryDelay, cancellationToken).ConfigureAwait(false);
            }

            host.Status = RollingStatus.Failed;
            lock (_lock)
            {
                // Its compute service stays disabled (the scheduler keeps away) but it no longer counts against the concurrency.
                _active.Remove(host.HostName);
            }

            Save(state);
            sink.Warning($"{host.HostName}: left {(host.DisabledByRun ? "disabled" : "as it was")} after {host.FailedStep} failed: {host.Error}");
            return false;
        }

        /// <summary>The hosts this run has out of service now.</summary>
        private void CountInMaintenance(RollingRunState state)
        {
            lock (_lock)
            {
                state.MaxHostsInMaintenance = Math.Max(state.MaxHostsInMaintenance, state.Hosts.Count(h => h.DisabledByRun));
            }
        }

        private void Save(RollingRunState state)
        {
            if (string.IsNullOrEmpty(state.StatePath))
            {
                return;
            }

            lock (_lock)
            {
                RollingStateStore.Save(state.StatePath!, state);
            }
        }
    }
}
