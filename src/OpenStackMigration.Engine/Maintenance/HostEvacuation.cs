using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// Rebuilds the instances of a failed host elsewhere (Nova's evacuate), the HA counterpart of a drain. It first makes
    /// sure the host is down and fenced (its compute service down and forced_down set, or set on request): evacuating from
    /// a host that still runs its instances would run them twice. It says per instance what the rebuild loses, asks Nova
    /// for at most <see cref="HostEvacuationRequest.ThrottleLimit"/> rebuilds at a time, watches each to a verdict read from
    /// Nova (the instance's host and state, and its evacuation record), and records every step in a state file so a rerun
    /// waits for rebuilds already asked for instead of asking twice.
    /// </summary>
    public sealed class HostEvacuation
    {
        private static readonly HashSet<string> EvacuableStates = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "ACTIVE", "SHUTOFF", "ERROR" };

        private readonly IEvacuationApi _api;
        private readonly Func<DateTimeOffset> _now;
        private readonly Func<TimeSpan, CancellationToken, Task> _delay;
        private readonly object _lock = new object();

        /// <summary>Creates an evacuation over a session.</summary>
        public HostEvacuation(CloudSession session)
            : this(new NovaEvacuationApi(session), null, null)
        {
        }

        internal HostEvacuation(IEvacuationApi api, Func<DateTimeOffset>? now, Func<TimeSpan, CancellationToken, Task>? delay)
        {
            _api = api;
            _now = now ?? (() => DateTimeOffset.UtcNow);
            _delay = delay ?? ((t, c) => Task.Delay(t, c));
        }

        /// <summary>How often a rebuilding instance is polled.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>
        /// Checks the host and lists what an evacuation would do, changing nothing: the report's records say per instance
        /// whether it would be rebuilt (Pending) or is refused, and what it loses. Throws OSHostNotDown or OSHostNotFenced.
        /// </summary>
        public async Task<HostEvacuationReport> PlanAsync(HostEvacuationRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var service = await CheckHostAsync(request, sink, cancellationToken).ConfigureAwait(false);
            var report = NewReport(request, service);
            var onHost = await _api.ListHostInstancesAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false);
            var unknown = (request.Instances ?? Array.Empty<string>()).Where(n => !onHost.Any(i => Names(i, n))).ToList();
            if (unknown.Count > 0)
            {
                throw new OpenStackMigrationException("OSInstanceNotFound", FailureKind.NotFound, $"Nova lists no instance {string.Join(", ", unknown.Select(n => "'" + n + "'"))} on {request.HostName}; nothing was changed.")
                {
                    Target = request.HostName,
                    RecommendedAction = $"Get-OSInstance -HostName {request.HostName} -AllProjects lists what is there.",
                };
            }

            foreach (var instance in Select(request, onHost))
            {
                report.Instances.Add(Classify(new EvacuationRecord(), instance, request.HostName));
            }

            return report;
        }

        /// <summary>Runs (or resumes) the evacuation; <paramref name="onSettled"/> is called (from any thread) as each instance reaches its verdict.</summary>
        public async Task<HostEvacuationReport> RunAsync(HostEvacuationRequest request, Action<EvacuationRecord> onSettled, IEngineSink sink, CancellationToken cancellationToken)
        {
            var host = request.HostName;
            var state = MaintenanceStateStore.LoadEvacuation(request.StatePath);
            CheckState(request, state);

            // Before anything is written: a host that is up, or down but not fenced, changes nothing.
            var service = await CheckHostAsync(request, sink, cancellationToken).ConfigureAwait(false);
            if (state != null)
            {
                sink.Verbose($"Resuming the evacuation of {host} started {state.StartedAt.UtcDateTime:u} ({state.Instances.Count} instance(s) recorded, run {state.Runs + 1}).");
            }

            state ??= NewReport(request, null);
            state.Runs++;
            state.ThrottleLimit = request.ThrottleLimit;
            state.MaxFailures = request.MaxFailures;
            state.BreakerTripped = false;
            state.StopReason = null;
            state.FinishedAt = null;
            state.StatePath = request.StatePath;
            state.ServiceLastReport = service.UpdatedAt;
            Save(state, request);

            if (!service.ForcedDown)
            {
                service = await _api.SetForcedDownAsync(service, true, sink, cancellationToken).ConfigureAwait(false);
                state.ForcedDownByUs = true;
                Save(state, request);
                sink.Verbose($"Marked the compute service on {host} forced down (-ForceDown): Nova now treats it as fenced, and it stays so until you clear it.");
            }

            var watch = await ReconcileAsync(request, state, sink, cancellationToken).ConfigureAwait(false);
            var todo = await ListTodoAsync(request, state, watch, sink, cancellationToken).ConfigureAwait(false);
            var breaker = new EvacuationBreaker(request.MaxFailures);
            try
            {
                var work = new ConcurrentQueue<(EvacuationRecord Record, bool Ask)>(watch.Select(r => (r, false)).Concat(todo.Select(r => (r, true))));
                var total = work.Count;
                var workers = Enumerable.Range(0, Math.Max(1, Math.Min(request.ThrottleLimit, total)))
                    .Select(_ => WorkAsync(request, state, work, breaker, onSettled, sink, cancellationToken))
                    .ToList();
                await Task.WhenAll(workers).ConfigureAwait(false);
                if (breaker.Tripped)
                {
                    lock (_lock)
                    {
                        state.BreakerTripped = true;
                        state.StopReason = breaker.Why;
                        foreach (var left in work.Select(w => w.Record).Where(r => r.Outcome == EvacuationOutcome.Pending))
                        {
                            left.Outcome = EvacuationOutcome.NotStarted;
                            left.Reason = "Not started: " + breaker.Why;
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                Save(state, request);
                sink.Warning($"Stopped. Rebuilds already asked for are left to Nova; the state file {request.StatePath} records them, and running the same command again waits for them.");
                throw;
            }
            finally
            {
                sink.Progress(new ProgressReport("evacuation:" + host, $"Evacuating {host}", "done") { Completed = true });
            }

            var remaining = await _api.ListHostInstancesAsync(host, sink, cancellationToken).ConfigureAwait(false);
            state.RemainingInstances = remaining.Select(i => $"{i.Name} ({i.StatusText})").ToList();
            state.IsEmpty = remaining.Count == 0;
            state.FinishedAt = _now();
            Save(state, request);
            sink.Verbose(state.IsEmpty
                ? $"{host} is empty: Nova lists no instance on it, in any state."
                : $"{host} still carries {remaining.Count} instance(s): {string.Join(", ", state.RemainingInstances)}.");
            return state;
        }

        /// <summary>What an evacuation loses for one instance: a rebuild boots it afresh, and local disks come back from the image or empty unless the instance directory is on storage the destination shares.</summary>
        internal static List<string> Losses(Instance instance)
        {
            var losses = new List<string>();
            if (string.Equals(instance.StatusText, "ACTIVE", StringComparison.OrdinalIgnoreCase))
            {
                losses.Add("its memory and running processes (it is rebuilt and booted afresh)");
            }

            if (!instance.IsVolumeBacked)
            {
                losses.Add($"its local root disk ({instance.Flavor.DiskGB} GB): rebuilt from image {instance.ImageId ?? "(unknown)"} unless the instances directory is on shared storage");
            }

            if (instance.Flavor.EphemeralGB > 0)
            {
                losses.Add($"its ephemeral disk ({instance.Flavor.EphemeralGB} GB): rebuilt empty unless on shared storage");
            }

            if (instance.Flavor.SwapMB > 0)
            {
                losses.Add($"its swap ({instance.Flavor.SwapMB} MB): rebuilt empty");
            }

            return losses;
        }

        private static HostEvacuationReport NewReport(HostEvacuationRequest request, ComputeService? service) => new HostEvacuationReport
        {
            HostName = request.HostName,
            ThrottleLimit = request.ThrottleLimit,
            MaxFailures = request.MaxFailures,
            StatePath = request.StatePath,
            ServiceLastReport = service?.UpdatedAt,
        };

        private static IEnumerable<Instance> Select(HostEvacuationRequest request, IEnumerable<Instance> instances) =>
            request.Instances == null ? instances : instances.Where(i => request.Instances.Any(n => Names(i, n)));

        /// <summary>-Instance takes an id (any case) or a name (exact).</summary>
        private static bool Names(Instance instance, string idOrName) =>
            string.Equals(idOrName, instance.Id, StringComparison.OrdinalIgnoreCase) || string.Equals(idOrName, instance.Name, StringComparison.Ordinal);

        private static EvacuationRecord Classify(EvacuationRecord record, Instance instance, string host)
        {
            record.InstanceId = instance.Id;
            record.InstanceName = instance.Name;
            record.SourceHost = host;
            record.CurrentHost = instance.HostName;
            record.StatusBefore = instance.StatusText;
            record.VolumeBacked = instance.IsVolumeBacked;
            record.Loses = Losses(instance);
            if (!EvacuableStates.Contains(instance.StatusText) || instance.TaskState != null)
            {
                record.Outcome = EvacuationOutcome.Refused;
                record.Reason = instance.TaskState != null
                    ? $"A task is in progress ({instance.TaskState}); Nova evacuates only an instance with no task running."
                    : $"It is {instance.StatusText}; Nova evacuates only ACTIVE, SHUTOFF and ERROR instances. Unpause, resume or unshelve it where it can run, or rebuild it yourself.";
            }
            else
            {
                record.Outcome = EvacuationOutcome.Pending;
                record.Reason = "To be rebuilt on another host; loses " + (record.Loses.Count == 0 ? "nothing" : string.Join("; ", record.Loses)) + ".";
            }

            return record;
        }

        private void CheckState(HostEvacuationRequest request, HostEvacuationReport? state)
        {
            if (state != null && !string.Equals(state.HostName, request.HostName, StringComparison.Ordinal))
            {
                throw new OpenStackMigrationException("OSMaintenanceStateMismatch", FailureKind.InvalidArgument, $"The state file '{request.StatePath}' belongs to the evacuation of {state.HostName}, not {request.HostName}; nothing was changed.")
                {
                    Target = request.StatePath,
                    RecommendedAction = "Pass the state file of this host's evacuation, or another -StatePath.",
                };
            }

            if (state?.CloudName != null && !string.Equals(state.CloudName, _api.CloudName, StringComparison.Ordinal))
            {
                throw new OpenStackMigrationException("OSMaintenanceStateOtherCloud", FailureKind.InvalidArgument, $"The state file '{request.StatePath}' records an evacuation of {state.HostName} on cloud '{state.CloudName}', not '{_api.CloudName}'; nothing was changed.")
                {
                    Target = request.StatePath,
                    RecommendedAction = "Connect to the cloud the file belongs to, or pass another -StatePath.",
                };
            }
        }

        /// <summary>The host must be down, and fenced: forced_down set, or -ForceDown to set it. Nothing is changed here.</summary>
        private async Task<ComputeService> CheckHostAsync(HostEvacuationRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var host = request.HostName;
            var service = await _api.GetComputeServiceAsync(host, sink, cancellationToken).ConfigureAwait(false);
            var lastReport = service.UpdatedAt.HasValue ? $"its last report was {service.UpdatedAt.Value.UtcDateTime:u}" : "it has never reported";
            if (service.State == ServiceState.Up && !service.ForcedDown)
            {
                throw new OpenStackMigrationException("OSHostNotDown", FailureKind.InvalidState, $"The compute service on {host} is up ({lastReport}): Nova evacuates only from a host that is down, and rebuilding instances that still run there would run them twice. Nothing was changed.")
                {
                    Target = host,
                    RecommendedAction = $"To empty a host that runs, drain it: Start-OSHostMaintenance -HostName {host} -Reason '...'. If {host} has really failed, wait until Nova reports its service down (service_down_time after its last report), fence it (power it off), then run this again with -ForceDown.",
                };
            }

            if (!service.ForcedDown && !request.ForceDown)
            {
                throw new OpenStackMigrationException("OSHostNotFenced", FailureKind.InvalidState, $"The compute service on {host} is down ({lastReport}) but not marked forced down: nothing says the host is fenced, and if it comes back while its instances are rebuilt elsewhere they run twice. Nothing was changed.")
                {
                    Target = host,
                    RecommendedAction = $"Fence {host} (power it off through its BMC or your fencing agent), then run this again with -ForceDown, which marks its compute service forced down (or: openstack compute service set --down {host} nova-compute).",
                };
            }

            sink.Verbose($"The compute service on {host} is down ({lastReport}){(service.ForcedDown ? " and forced down" : ", and -ForceDown will mark it forced down")}.");
            return service;
        }

        /// <summary>Records of an earlier run still in flight: Nova says whether each is still rebuilding (watch it), landed, or never started.</summary>
        private async Task<List<EvacuationRecord>> ReconcileAsync(HostEvacuationRequest request, HostEvacuationReport state, IEngineSink sink, CancellationToken cancellationToken)
        {
            var watch = new List<EvacuationRecord>();
            foreach (var record in state.Instances.Where(r => r.Outcome == EvacuationOutcome.InFlight || r.Outcome == EvacuationOutcome.TimedOut).ToList())
            {
                var instance = await _api.GetServerAsync(record.InstanceId, sink, cancellationToken).ConfigureAwait(false);
                if (instance.TaskState != null)
                {
                    sink.Verbose($"{record.InstanceName} is still {instance.TaskState} from the earlier run: waiting for it, not asking again.");
                    record.Outcome = EvacuationOutcome.InFlight;
                    watch.Add(record);
                }
                else
                {
                    await SettleAsync(request, state, record, instance, sink, cancellationToken).ConfigureAwait(false);
                }
            }

            return watch;
        }

        /// <summary>What Nova lists on the host now and the earlier runs have not settled as evacuated: classified, recorded, and the evacuable ones returned.</summary>
        private async Task<List<EvacuationRecord>> ListTodoAsync(HostEvacuationRequest request, HostEvacuationReport state, List<EvacuationRecord> watch, IEngineSink sink, CancellationToken cancellationToken)
        {
            var todo = new List<EvacuationRecord>();
            var onHost = Select(request, await _api.ListHostInstancesAsync(request.HostName, sink, cancellationToken).ConfigureAwait(false)).ToList();
            foreach (var instance in onHost.Where(i => !watch.Any(w => w.InstanceId == i.Id)))
            {
                var record = state.Instances.FirstOrDefault(r => r.InstanceId == instance.Id);
                if (record == null)
                {
                    record = new EvacuationRecord();
                    state.Instances.Add(record);
                }

                // Nova's word over the file's: an instance it still lists on the failed host is not evacuated, whatever was recorded.
                var attempts = record.Attempts;
                Classify(record, instance, request.HostName);
                record.Attempts = attempts;
                if (record.Outcome == EvacuationOutcome.Pending)
                {
                    todo.Add(record);
                }
                else
                {
                    sink.Warning($"{record.InstanceName} stays on {request.HostName}: {record.Reason}");
                }
            }

            Save(state, request);
            sink.Verbose($"{todo.Count} instance(s) to rebuild, {watch.Count} still rebuilding from an earlier run, {state.Instances.Count(r => r.Outcome == EvacuationOutcome.Refused)} refused; at most {request.ThrottleLimit} at a time.");
            return todo;
        }

        private async Task WorkAsync(HostEvacuationRequest request, HostEvacuationReport state, ConcurrentQueue<(EvacuationRecord Record, bool Ask)> work, EvacuationBreaker breaker, Action<EvacuationRecord> onSettled, IEngineSink sink, CancellationToken cancellationToken)
        {
            // Each worker holds one place of the throttle: it takes the next instance only when its own has a verdict.
            while (!breaker.Tripped && work.TryDequeue(out var item))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var record = item.Record;
                if (item.Ask && !await AskAsync(request, state, record, sink, cancellationToken).ConfigureAwait(false))
                {
                    breaker.Count(record, sink);
                    onSettled(record);
                    continue;
                }

                await WatchAsync(request, state, record, sink, cancellationToken).ConfigureAwait(false);
                if (record.Outcome == EvacuationOutcome.Failed)
                {
                    breaker.Count(record, sink);
                }

                onSettled(record);
            }
        }

        /// <summary>Marks the instance in flight in the state file, then asks Nova; false (and the record Failed) when Nova refuses.</summary>
        private async Task<bool> AskAsync(HostEvacuationRequest request, HostEvacuationReport state, EvacuationRecord record, IEngineSink sink, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                // Written before the call: a run killed right after it finds the instance rebuilding and waits instead of asking twice.
                record.Outcome = EvacuationOutcome.InFlight;
                record.Attempts++;
                record.StartedAt = _now();
                record.FinishedAt = null;
                record.RequestId = null;
                record.Reason = "Rebuilding on another host.";
            }

            Save(state, request);
            Report(state, sink);
            try
            {
                var requestId = await _api.EvacuateAsync(record.InstanceId, request.DestinationHost, sink, cancellationToken).ConfigureAwait(false);
                lock (_lock)
                {
                    record.RequestId = requestId;
                }

                sink.Verbose($"Nova accepted the evacuation of {record.InstanceName} from {request.HostName}{(request.DestinationHost != null ? " to " + request.DestinationHost : string.Empty)} (request id {requestId}).");
                Save(state, request);
                return true;
            }
            catch (OpenStackMigrationException e) when (e.Kind != FailureKind.Authentication)
            {
                lock (_lock)
                {
                    record.Outcome = EvacuationOutcome.Failed;
                    record.FinishedAt = _now();
                    record.Reason = "Nova refused the evacuation: " + e.Message;
                }

                Save(state, request);
                sink.Warning($"{record.InstanceName} stays on {request.HostName}: {record.Reason}");
                return false;
            }
        }

        /// <summary>Polls the instance until Nova has finished with it (no task), or the timeout, then settles its verdict.</summary>
        private async Task WatchAsync(HostEvacuationRequest request, HostEvacuationReport state, EvacuationRecord record, IEngineSink sink, CancellationToken cancellationToken)
        {
            var started = record.StartedAt ?? _now();
            while (true)
            {
                var instance = await _api.GetServerAsync(record.InstanceId, sink, cancellationToken).ConfigureAwait(false);
                if (instance.TaskState == null)
                {
                    await SettleAsync(request, state, record, instance, sink, cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (request.Timeout.HasValue && _now() - started >= request.Timeout.Value)
                {
                    lock (_lock)
                    {
                        record.Outcome = EvacuationOutcome.TimedOut;
                        record.CurrentHost = instance.HostName;
                        record.StatusAfter = instance.StatusText;
                        record.Reason = $"Still {instance.TaskState} after {(int)request.Timeout.Value.TotalSeconds} s; left to Nova. Run the same command again to wait for it.";
                    }

                    Save(state, request);
                    sink.Warning($"{record.InstanceName}: {record.Reason}");
                    return;
                }

                await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>The verdict, from Nova: rebuilt on another host and not in ERROR, with its evacuation record done, is Evacuated; anything else Failed with Nova's reason.</summary>
        private async Task SettleAsync(HostEvacuationRequest request, HostEvacuationReport state, EvacuationRecord record, Instance instance, IEngineSink sink, CancellationToken cancellationToken)
        {
            var evacuations = await _api.ListEvacuationsAsync(record.InstanceId, sink, cancellationToken).ConfigureAwait(false);
            var migration = evacuations.FirstOrDefault(m => !record.StartedAt.HasValue || !m.CreatedAt.HasValue || m.CreatedAt >= record.StartedAt.Value.AddMinutes(-1));
            var moved = instance.HostName != null && !string.Equals(instance.HostName, request.HostName, StringComparison.Ordinal);
            var error = string.Equals(instance.StatusText, "ERROR", StringComparison.OrdinalIgnoreCase);
            var migrationFailed = migration != null && (migration.Status == "failed" || migration.Status == "error");
            lock (_lock)
            {
                record.CurrentHost = instance.HostName;
                record.StatusAfter = instance.StatusText;
                record.MigrationId = migration?.Id;
                record.MigrationStatus = migration?.Status;
                record.FinishedAt = _now();
                if (moved && !error && !migrationFailed)
                {
                    record.Outcome = EvacuationOutcome.Evacuated;
                    record.Reason = $"Rebuilt on {instance.HostName}, {instance.StatusText}" + (migration != null ? $" (evacuation {migration.Id} {migration.Status})." : ".");
                }
                else
                {
                    record.Outcome = EvacuationOutcome.Failed;
                    var why = instance.Fault != null ? "Nova's fault: " + instance.Fault : $"Nova left it {instance.StatusText} on {instance.HostName}";
                    record.Reason = $"The evacuation {(migration != null ? $"(migration {migration.Id}, {migration.Status}) " : string.Empty)}did not rebuild it elsewhere: {why}."
                        + (record.RequestId != null ? $" nova-conductor's and the destination's logs have it under request id {record.RequestId}." : string.Empty);
                }
            }

            Save(state, request);
            if (record.Outcome == EvacuationOutcome.Evacuated)
            {
                sink.Verbose($"{record.InstanceName}: {record.Reason}");
            }
            else
            {
                sink.Warning($"{record.InstanceName} stays on {request.HostName}: {record.Reason}");
            }

            Report(state, sink);
        }

        private void Save(HostEvacuationReport state, HostEvacuationRequest request)
        {
            lock (_lock)
            {
                state.CloudName ??= _api.CloudName;
                MaintenanceStateStore.SaveEvacuation(request.StatePath, state);
            }
        }

        private void Report(HostEvacuationReport state, IEngineSink sink)
        {
            int done, flight, failed, total;
            lock (_lock)
            {
                done = state.Instances.Count(r => r.Outcome == EvacuationOutcome.Evacuated);
                flight = state.Instances.Count(r => r.Outcome == EvacuationOutcome.InFlight);
                failed = state.FailedCount;
                total = state.Instances.Count(r => r.Outcome != EvacuationOutcome.Refused);
            }

            sink.Progress(new ProgressReport("evacuation:" + state.HostName, $"Evacuating {state.HostName}", $"{done} of {total} rebuilt elsewhere, {flight} rebuilding, {failed} failed")
            {
                PercentComplete = total == 0 ? 100 : (done + failed) * 100 / total,
            });
        }

        /// <summary>The circuit breaker: after MaxFailures failed evacuations no new one starts (a rebuild cannot be aborted; running ones finish).</summary>
        private sealed class EvacuationBreaker
        {
            private readonly int _max;
            private int _failures;

            public EvacuationBreaker(int max) => _max = max;

            public bool Tripped => _max > 0 && Volatile.Read(ref _failures) >= _max;

            public string? Why { get; private set; }

            public void Count(EvacuationRecord record, IEngineSink sink)
            {
                if (Interlocked.Increment(ref _failures) == _max && _max > 0)
                {
                    Why = $"{_max} evacuation(s) failed (the last: {record.InstanceName}, {record.Reason}); no new evacuation is started. Rebuilds already running finish.";
                    sink.Warning("Circuit breaker: " + Why);
                }
            }
        }
    }
}
