using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Migration
{
    /// <summary>
    /// Starts one migration and, when asked, watches it to a verdict: progress with rate and ETA from
    /// Nova's byte counters, a warning when memory stops converging, the timeout policy, cold-migration
    /// confirmation, and for a failure the instance action event that explains it.
    /// Cancelling the token stops the watching only; the migration is left as it is.
    /// </summary>
    public sealed partial class MigrationRunner
    {
        /// <summary>Instance action events carry their reason ("No valid host was found...") from compute 2.84 (Ussuri).</summary>
        internal static readonly Microversion EventDetailsVersion = new Microversion(2, 84);

        private readonly IMigrationApi _api;
        private readonly Func<DateTimeOffset> _now;
        private readonly Func<TimeSpan, CancellationToken, Task> _delay;

        /// <summary>Creates a runner over a session.</summary>
        public MigrationRunner(CloudSession session, MigrationWatchOptions? options = null)
            : this(new NovaMigrationApi(session), options, null, null)
        {
        }

        internal MigrationRunner(IMigrationApi api, MigrationWatchOptions? options, Func<DateTimeOffset>? now, Func<TimeSpan, CancellationToken, Task>? delay)
        {
            _api = api;
            Options = options ?? new MigrationWatchOptions();
            _now = now ?? (() => DateTimeOffset.UtcNow);
            _delay = delay ?? ((t, c) => Task.Delay(t, c));
        }

        /// <summary>The watch loop's timings.</summary>
        public MigrationWatchOptions Options { get; }

        /// <summary>The progress activity key under which each migration's activity is nested, if any.</summary>
        public string? ParentProgressKey { get; set; }

        /// <summary>The ids of the instance's migrations of that kind so far, so the new one can be told apart.</summary>
        public async Task<IReadOnlyCollection<long>> ReadKnownMigrationsAsync(string instanceId, MigrationKind kind, IEngineSink sink, CancellationToken cancellationToken)
        {
            var before = await _api.ListInstanceMigrationsAsync(instanceId, kind == MigrationKind.Live ? "live-migration" : "migration", sink, cancellationToken).ConfigureAwait(false);
            return before.Select(m => m.Id).ToList();
        }

        /// <summary>Starts the migration of an instance already read (and checked); waits for the verdict when the request says so.</summary>
        /// <param name="request">What to move, and how.</param>
        /// <param name="sink">Where progress and messages go.</param>
        /// <param name="cancellationToken">Stops the watching (never the migration).</param>
        /// <param name="knownMigrations">The instance's migration ids before this one (<see cref="ReadKnownMigrationsAsync"/>); read here when null.</param>
        public async Task<MigrationResult> RunAsync(MigrationRequest request, IEngineSink sink, CancellationToken cancellationToken, IReadOnlyCollection<long>? knownMigrations = null)
        {
            var instance = request.Instance;
            var kind = request.Kind;
            var type = kind == MigrationKind.Live ? "live-migration" : "migration";
            var result = new MigrationResult
            {
                InstanceId = instance.Id,
                InstanceName = instance.Name,
                Kind = kind,
                SourceHost = instance.HostName,
                DestinationHost = instance.HostName,
                RequestedHost = request.DestinationHost,
                BlockMigration = kind == MigrationKind.Live ? request.BlockMigration.ToString() : null,
            };

            var known = new HashSet<long>(knownMigrations ?? await ReadKnownMigrationsAsync(instance.Id, kind, sink, cancellationToken).ConfigureAwait(false));
            var word = kind == MigrationKind.Live ? "Live-migrating" : "Cold-migrating";
            sink.Verbose($"{word} {instance.Name} ({instance.Id}) from {instance.HostName} to {request.DestinationHost ?? "a host the scheduler picks"}.");
            result.StartedAt = _now();
            try
            {
                result.RequestId = kind == MigrationKind.Live
                    ? await _api.LiveMigrateAsync(instance.Id, request.DestinationHost, request.BlockMigration, instance.HasLocalDisks, sink, cancellationToken).ConfigureAwait(false)
                    : await _api.MigrateAsync(instance.Id, request.DestinationHost, sink, cancellationToken).ConfigureAwait(false);
            }
            catch (OpenStackApiException e) when (e.Gateway != null)
            {
                if (!await AfterGatewayAsync(request, result, e, known, type, sink, cancellationToken).ConfigureAwait(false))
                {
                    return result;
                }
            }
            catch (OpenStackApiException e) when (e.StatusCode >= 400 && e.StatusCode < 500 && e.StatusCode != 401 && e.StatusCode != 403)
            {
                result.FinishedAt = _now();
                result.Verdict = MigrationVerdict.Failed;
                result.WaitedFor = CompletionSignal.ApiResponse;
                result.RequestId = e.RequestId;
                result.InstanceStatus = instance.StatusText;
                result.Reason = $"Nova refused to {(kind == MigrationKind.Live ? "live-migrate" : "migrate")} {instance.Name}" + (request.DestinationHost != null ? $" to {request.DestinationHost}" : string.Empty)
                    + $" (HTTP {e.StatusCode}): {e.ServiceMessage ?? e.Message} {instance.Name} stays on {instance.HostName}.";
                result.Diagnosis = CauseRules.Diagnose(CauseRules.FactsOf(result));
                sink.Verbose(result.Reason);
                return result;
            }

            sink.Verbose(result.Gateway != null
                ? $"Nova started the {type} of {instance.Name} despite the proxy's {result.Gateway.StatusCode}."
                : $"Nova accepted the {type} of {instance.Name} (request id {result.RequestId}).");
            if (!request.Wait)
            {
                await FindAcceptedRecordAsync(result, known, type, sink, cancellationToken).ConfigureAwait(false);
                result.Verdict = MigrationVerdict.Accepted;
                result.FinishedAt = _now();
                result.Reason = $"Nova accepted the request; the migration {(result.MigrationId != null ? $"{result.MigrationId} is {result.MigrationStatus}" : "record is not created yet")}. Follow it with Get-OSMigration -InstanceId {instance.Id}.";
                return result;
            }

            await WatchToVerdictAsync(request, result, known, null, result.StartedAt!.Value, type, sink, cancellationToken).ConfigureAwait(false);
            return result;
        }

        /// <summary>The one watch both a new and a reattached migration go through: progress, verdict, diagnosis, volumes.</summary>
        private async Task WatchToVerdictAsync(MigrationRequest request, MigrationResult result, HashSet<long> known, MigrationRecord? initial, DateTimeOffset watchFrom, string type, IEngineSink sink, CancellationToken cancellationToken)
        {
            var instance = request.Instance;
            var word = request.Kind == MigrationKind.Live ? "Live-migrating" : "Cold-migrating";
            var key = "migration:" + instance.Id;
            var activity = $"{word} {instance.Name}: {result.SourceHost} -> {request.DestinationHost ?? "(scheduler)"}";
            try
            {
                await WatchAsync(request, result, known, initial, watchFrom, type, key, activity, sink, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                sink.Progress(new ProgressReport(key, activity, result.Verdict.ToString()) { Completed = true, ParentKey = ParentProgressKey });
            }

            if (result.Verdict == MigrationVerdict.TimedOut || result.Verdict == MigrationVerdict.Aborted)
            {
                result.Diagnosis = CauseRules.Diagnose(CauseRules.FactsOf(result));
            }

            if (result.Verdict == MigrationVerdict.Succeeded && instance.Volumes.Count > 0 && result.DestinationHost != null)
            {
                await VolumeVerification.VerifyAsync(_api, instance, result, _delay, sink, cancellationToken).ConfigureAwait(false);
            }

            sink.Verbose($"{instance.Name}: {result.Verdict} after {result.Duration?.TotalSeconds:0.0} s. {result.Reason}");
        }

        /// <summary>
        /// After a live migration that succeeded by the instance's host while Nova's record still said running, waits
        /// (at most <see cref="MigrationWatchOptions.RecordSettleLimit"/>) for the record to be final: the source host
        /// is still working on that migration until then, and a throttle that freed its place at once would have one
        /// more migration on the source than its limit. Returns the record's final status, or null when it did not
        /// become final in time (or there is nothing to wait for).
        /// </summary>
        internal async Task<string?> SettleRecordAsync(MigrationResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (result.Kind != MigrationKind.Live || result.Verdict != MigrationVerdict.Succeeded || result.WaitedFor != CompletionSignal.InstanceHost || result.MigrationId == null)
            {
                return null;
            }

            var until = _now() + Options.RecordSettleLimit;
            while (true)
            {
                var record = (await _api.ListInstanceMigrationsAsync(result.InstanceId, "live-migration", sink, cancellationToken).ConfigureAwait(false))
                    .FirstOrDefault(m => m.Id == result.MigrationId);
                if (record == null || record.IsFinished)
                {
                    sink.Verbose($"{result.InstanceName}: migration {result.MigrationId} is {record?.Status ?? "no longer listed"}; its place under the throttle is free.");
                    return record?.Status;
                }

                if (_now() >= until)
                {
                    sink.Verbose($"{result.InstanceName}: migration {result.MigrationId} is still '{record.Status}' {Options.RecordSettleLimit.TotalSeconds:0} s after the instance moved (the source host is still cleaning up); its place under the throttle is freed anyway.");
                    return null;
                }

                await _delay(Options.MaxPollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        private async Task WatchAsync(MigrationRequest request, MigrationResult result, HashSet<long> known, MigrationRecord? initial, DateTimeOffset watchFrom, string type, string key, string activity, IEngineSink sink, CancellationToken cancellationToken)
        {
            var instance = request.Instance;
            var source = result.SourceHost;
            var tracker = new ProgressTracker(Options.StallWindow);
            var started = watchFrom;
            DateTimeOffset? deadline = request.Timeout.HasValue ? started + request.Timeout.Value : (DateTimeOffset?)null;
            DateTimeOffset? settlingSince = null;
            DateTimeOffset lastVerbose = started;
            var warned = false;
            var timeoutActed = false;
            var verifyActed = false;
            var interval = Options.MinPollInterval;
            MigrationRecord? record = initial;
            while (true)
            {
                await _delay(interval, cancellationToken).ConfigureAwait(false);
                var server = await _api.GetServerAsync(instance.Id, sink, cancellationToken).ConfigureAwait(false);
                var now = _now();
                ProgressSnapshot? snapshot = null;
                if (request.Kind == MigrationKind.Live && !string.IsNullOrEmpty(server.TaskState))
                {
                    var inProgress = await _api.ListServerMigrationsAsync(instance.Id, sink, cancellationToken).ConfigureAwait(false);
                    record = inProgress.FirstOrDefault(m => record != null ? m.Id == record.Id : !known.Contains(m.Id)) ?? record;
                    if (record != null && inProgress.Any(m => m.Id == record.Id))
                    {
                        snapshot = tracker.Update(now, record);
                    }
                }
                else
                {
                    var records = await _api.ListInstanceMigrationsAsync(instance.Id, type, sink, cancellationToken).ConfigureAwait(false);
                    record = records.FirstOrDefault(m => record != null ? m.Id == record.Id : !known.Contains(m.Id)) ?? record;
                }

                Note(result, server, record);
                var state = MigrationVerdicts.Decide(request.Kind, server, record, source);
                sink.Debug($"{instance.Name}: {server.StatusText}/{server.TaskState ?? "-"} on {server.HostName}; migration {record?.Id.ToString() ?? "-"} {record?.Status ?? "-"} -> {state}");
                switch (state)
                {
                    case WatchState.Succeeded:
                        result.Verdict = MigrationVerdict.Succeeded;
                        result.WaitedFor = record != null && record.IsSucceeded ? CompletionSignal.MigrationRecord : CompletionSignal.InstanceHost;
                        result.FinishedAt = now;
                        result.Reason = $"{instance.Name} is {server.StatusText} on {server.HostName}"
                            + (result.WaitedFor == CompletionSignal.MigrationRecord
                                ? $"; migration {record!.Id} is {record.Status}."
                                : $"; migration {record?.Id.ToString() ?? "record"} is still '{record?.Status ?? "unknown"}' (the source host is still cleaning up).")
                            + (result.ForceCompleted ? " It was force-completed after the timeout." : string.Empty);
                        return;
                    case WatchState.Aborted:
                        result.Verdict = MigrationVerdict.Aborted;
                        result.WaitedFor = CompletionSignal.MigrationRecord;
                        result.FinishedAt = now;
                        result.Reason = $"Migration {record?.Id} was aborted; {instance.Name} stays {server.StatusText} on {server.HostName}."
                            + (timeoutActed ? (result.ActedEarly ? " It was still running when the drain's circuit breaker tripped (-OnTimeout Abort)." : $" It was still running when -TimeoutSec {request.Timeout!.Value.TotalSeconds:0} passed.") : string.Empty);
                        return;
                    case WatchState.Reverted:
                        result.Verdict = MigrationVerdict.Reverted;
                        result.WaitedFor = CompletionSignal.MigrationRecord;
                        result.FinishedAt = now;
                        result.Reason = $"The cold migration was reverted; {instance.Name} is {server.StatusText} on {server.HostName} again.";
                        return;
                    case WatchState.Failed:
                        await ExplainFailureAsync(request, result, server, record, sink, cancellationToken).ConfigureAwait(false);
                        result.FinishedAt = _now();
                        return;
                    case WatchState.SettlingOnSource:
                        // Nova resets the task state before it writes the record's final status; give it a moment.
                        settlingSince ??= now;
                        if (now - settlingSince.Value >= Options.SettleGrace)
                        {
                            await ExplainFailureAsync(request, result, server, record, sink, cancellationToken).ConfigureAwait(false);
                            result.FinishedAt = _now();
                            return;
                        }

                        interval = Options.MinPollInterval;
                        continue;
                    case WatchState.AwaitingConfirmation:
                        if (!verifyActed)
                        {
                            verifyActed = true;
                            if (request.VerifyResize == VerifyResizeAction.Leave)
                            {
                                result.Verdict = MigrationVerdict.Succeeded;
                                result.WaitedFor = CompletionSignal.InstanceHost;
                                result.FinishedAt = now;
                                result.Reason = $"{instance.Name} runs on {server.HostName} and waits in VERIFY_RESIZE: confirm it (openstack server migration confirm) or revert it.";
                                return;
                            }

                            var confirm = request.VerifyResize == VerifyResizeAction.Confirm;
                            sink.Verbose($"{instance.Name} reached VERIFY_RESIZE on {server.HostName}; {(confirm ? "confirming" : "reverting")}.");
                            await _api.ConfirmOrRevertAsync(instance.Id, confirm, sink, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                }

                settlingSince = null;
                if (snapshot != null)
                {
                    if (snapshot.NotConverging && !warned)
                    {
                        warned = true;
                        result.NotConverging = true;
                        sink.Warning($"Migration {record!.Id} of {instance.Name} is not converging: {ProgressTracker.Size(snapshot.MemoryRemainingBytes ?? 0)} of memory still to copy and over the last {Options.StallWindow.TotalSeconds:0} s almost none of what was copied came off it (the guest writes memory about as fast as it is copied). Complete-OSMigration pauses it briefly to finish; Stop-OSMigration aborts it.");
                    }

                    sink.Progress(new ProgressReport(key, activity, snapshot.Status) { PercentComplete = snapshot.Percent, SecondsRemaining = snapshot.SecondsRemaining, ParentKey = ParentProgressKey, CurrentOperation = $"migration {record!.Id}" });
                    if (now - lastVerbose >= TimeSpan.FromSeconds(5))
                    {
                        lastVerbose = now;
                        sink.Verbose($"{instance.Name}: {snapshot.Status}" + (snapshot.SecondsRemaining >= 0 ? $", about {snapshot.SecondsRemaining} s left" : string.Empty) + ".");
                    }
                }
                else
                {
                    sink.Progress(new ProgressReport(key, activity, Phase(server, record)) { PercentComplete = ColdPercent(server, record), ParentKey = ParentProgressKey });
                }

                // A drain's breaker asks for -OnTimeout now: Leave lets the migration finish, Abort/ForceComplete act at once.
                if (!timeoutActed && request.ActNow.IsCancellationRequested && request.OnTimeout != TimeoutAction.Leave && request.Kind == MigrationKind.Live
                    && (!deadline.HasValue || deadline.Value > now))
                {
                    deadline = now;
                    result.ActedEarly = true;
                }

                if (deadline.HasValue && now >= deadline.Value)
                {
                    if (await OnDeadlineAsync(request, result, record, server, timeoutActed, sink, cancellationToken).ConfigureAwait(false))
                    {
                        return;
                    }

                    if (!timeoutActed)
                    {
                        timeoutActed = true;
                        deadline = now + Options.ActionGrace;
                    }
                }

                interval = Options.NextInterval(now - started, snapshot?.SecondsRemaining ?? -1);
            }
        }

        /// <summary>Applies -OnTimeout; true when the verdict is final (TimedOut).</summary>
        private async Task<bool> OnDeadlineAsync(MigrationRequest request, MigrationResult result, MigrationRecord? record, Instance server, bool alreadyActed, IEngineSink sink, CancellationToken cancellationToken)
        {
            var instance = request.Instance;
            if (result.ActedEarly && !alreadyActed && record != null)
            {
                sink.Warning($"The drain's circuit breaker tripped while migration {record.Id} of {instance.Name} was running; {(request.OnTimeout == TimeoutAction.Abort ? "aborting" : "forcing it to complete")} (-OnTimeout {request.OnTimeout}).");
                if (request.OnTimeout == TimeoutAction.Abort)
                {
                    await _api.AbortAsync(instance.Id, record.Id, sink, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _api.ForceCompleteAsync(instance.Id, record.Id, sink, cancellationToken).ConfigureAwait(false);
                    result.ForceCompleted = true;
                }

                return false;
            }

            var waited = (request.Timeout ?? TimeSpan.Zero).TotalSeconds;
            var action = request.Kind == MigrationKind.Cold ? TimeoutAction.Leave : request.OnTimeout;
            if (alreadyActed || action == TimeoutAction.Leave || record == null)
            {
                result.Verdict = MigrationVerdict.TimedOut;
                result.FinishedAt = _now();
                result.WaitedFor = CompletionSignal.None;
                result.Reason = alreadyActed
                    ? $"Migration {record?.Id} of {instance.Name} did not end within {Options.ActionGrace.TotalSeconds:0} s of the {request.OnTimeout} that followed {(result.ActedEarly ? "the circuit breaker" : $"-TimeoutSec {waited:0}")}; it is {record?.Status}, and {instance.Name} is {server.StatusText} on {server.HostName}."
                    : $"Migration {record?.Id.ToString() ?? "(no record yet)"} of {instance.Name} did not finish within {waited:0} s and was left {record?.Status ?? "running"}; {instance.Name} is {server.StatusText} on {server.HostName}.";
                if (request.Kind == MigrationKind.Cold && request.OnTimeout != TimeoutAction.Leave)
                {
                    result.Reason += " A cold migration cannot be aborted or forced.";
                }

                return true;
            }

            if (action == TimeoutAction.Abort)
            {
                sink.Warning($"Migration {record.Id} of {instance.Name} did not finish within {waited:0} s; aborting it (-OnTimeout Abort).");
                await _api.AbortAsync(instance.Id, record.Id, sink, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                sink.Warning($"Migration {record.Id} of {instance.Name} did not finish within {waited:0} s; forcing it to complete (-OnTimeout ForceComplete), which pauses the instance briefly.");
                await _api.ForceCompleteAsync(instance.Id, record.Id, sink, cancellationToken).ConfigureAwait(false);
                result.ForceCompleted = true;
            }

            return false;
        }

        private async Task ExplainFailureAsync(MigrationRequest request, MigrationResult result, Instance server, MigrationRecord? record, IEngineSink sink, CancellationToken cancellationToken)
        {
            var instance = request.Instance;
            result.Verdict = MigrationVerdict.Failed;
            result.WaitedFor = record != null && record.IsFinished ? CompletionSignal.MigrationRecord : CompletionSignal.InstanceHost;
            result.InstanceFault = server.Fault;

            // The action's events are finished a moment after the task state is reset: look a few times.
            InstanceActionEvent? failed = null;
            InstanceActionRecord? action = null;
            for (var attempt = 0; attempt < 6 && failed == null; attempt++)
            {
                if (attempt > 0)
                {
                    await _delay(TimeSpan.FromMilliseconds(300), cancellationToken).ConfigureAwait(false);
                }

                action = result.RequestId != null
                    ? await _api.GetInstanceActionAsync(instance.Id, result.RequestId, sink, cancellationToken).ConfigureAwait(false)
                    : (await _api.ListInstanceActionsAsync(instance.Id, sink, cancellationToken).ConfigureAwait(false)).FirstOrDefault(a => a.Action == (request.Kind == MigrationKind.Live ? "live-migration" : "migrate"));
                failed = MigrationVerdicts.FailedEvent(action);
            }

            result.FailedEvent = failed?.Event;
            result.FailedEventDetails = failed?.Details;
            result.Action = action;
            var why = failed?.Details ?? server.Fault ?? (record != null ? $"the migration record is '{record.Status}'" : "Nova recorded no reason");
            if (failed != null && failed.Details == null && server.Fault == null && _api.ComputeMicroversion < EventDetailsVersion)
            {
                // Ocata to Train: an event says only that it failed; the words are in nova-conductor's log.
                why += $" (Nova's compute API gives an event's reason only from microversion {EventDetailsVersion}; this cloud offers {_api.ComputeMicroversion}: nova-conductor's log has it under request id {result.RequestId ?? "(unknown)"}, which Debug-OSMigration and Find-OSLogEntry -RequestId read)";
            }

            var where = $"{instance.Name} is {server.StatusText} on {server.HostName}";
            result.Reason = $"The {(request.Kind == MigrationKind.Live ? "live" : "cold")} migration of {instance.Name}"
                + (request.DestinationHost != null ? $" to {request.DestinationHost}" : string.Empty)
                + $" failed: {why.Trim()}"
                + (failed != null ? $" (event {failed.Event}{(failed.Host != null ? " on " + failed.Host : string.Empty)})" : string.Empty)
                + (record != null ? $"; migration {record.Id} is {record.Status}" : string.Empty)
                + $". {where}.";
            result.Record = record ?? result.Record;
            result.Diagnosis = CauseRules.Diagnose(CauseRules.FactsOf(result));
            result.Reason += CauseRules.Sentence(result.Diagnosis);
        }

        /// <summary>
        /// A load balancer gave up on the request (HTTP 504/502/503 with its own page). Nova may carry on regardless:
        /// look for the migration record for a while. True when Nova started it (go on as if accepted).
        /// </summary>
        private async Task<bool> AfterGatewayAsync(MigrationRequest request, MigrationResult result, OpenStackApiException e, HashSet<long> known, string type, IEngineSink sink, CancellationToken cancellationToken)
        {
            var instance = request.Instance;
            var answered = _now();
            result.Gateway = new GatewayFailure
            {
                StatusCode = e.StatusCode,
                Method = e.Method,
                Url = e.Url,
                Proxy = e.Gateway == "a proxy" ? null : e.Gateway,
                SentAt = result.StartedAt,
                ElapsedSeconds = (answered - result.StartedAt!.Value).TotalSeconds,
            };
            sink.Warning($"{e.Message} Looking up to {Options.GatewayLookup.TotalSeconds:0} s for a migration of {instance.Name} that Nova may have started anyway.");
            var until = answered + Options.GatewayLookup;
            while (true)
            {
                var records = await _api.ListInstanceMigrationsAsync(instance.Id, type, sink, cancellationToken).ConfigureAwait(false);
                var record = records.FirstOrDefault(m => !known.Contains(m.Id));
                if (record != null)
                {
                    result.Gateway.StartedAnyway = true;
                    result.MigrationId = record.Id;
                    result.MigrationUuid = record.Uuid;
                    result.MigrationStatus = record.Status;
                    result.Record = record;
                    sink.Warning($"Nova started migration {record.Id} of {instance.Name} anyway ({record.Status}), {(_now() - result.StartedAt!.Value).TotalSeconds:0.0} s after the request; {(request.Wait ? "watching it" : "it goes on")}. Raise the proxy's 'timeout server' (Test-OSMigrationTimeout).");
                    return true;
                }

                if (_now() >= until)
                {
                    break;
                }

                await _delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }

            result.Gateway.StartedAnyway = false;
            result.Verdict = MigrationVerdict.Failed;
            result.WaitedFor = CompletionSignal.ApiResponse;
            result.FinishedAt = _now();
            result.InstanceStatus = instance.StatusText;
            result.Diagnosis = CauseRules.Diagnose(CauseRules.FactsOf(result));
            result.Reason = $"{result.Diagnosis.Summary} {instance.Name} stays on {instance.HostName} for now. Fix: {result.Diagnosis.Fix}.";
            return false;
        }

        private async Task FindAcceptedRecordAsync(MigrationResult result, HashSet<long> known, string type, IEngineSink sink, CancellationToken cancellationToken)
        {
            var until = _now() + Options.AcceptLookup;
            do
            {
                var records = await _api.ListInstanceMigrationsAsync(result.InstanceId, type, sink, cancellationToken).ConfigureAwait(false);
                var record = records.FirstOrDefault(m => !known.Contains(m.Id));
                if (record != null)
                {
                    result.MigrationId = record.Id;
                    result.MigrationUuid = record.Uuid;
                    result.MigrationStatus = record.Status;
                    return;
                }

                await _delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
            while (_now() < until);
        }

        private static void Note(MigrationResult result, Instance server, MigrationRecord? record)
        {
            result.Record = record ?? result.Record;
            result.InstanceStatus = server.StatusText;
            result.DestinationHost = server.HostName;
            if (record != null)
            {
                result.MigrationId = record.Id;
                result.MigrationUuid = record.Uuid ?? result.MigrationUuid;
                result.MigrationStatus = record.Status;
            }
        }

        private static string Phase(Instance server, MigrationRecord? record) =>
            $"{server.StatusText}" + (server.TaskState != null ? $" ({server.TaskState})" : string.Empty) + (record != null ? $", migration {record.Id} {record.Status}" : string.Empty);

        private static int ColdPercent(Instance server, MigrationRecord? record) => server.TaskState switch
        {
            "resize_prep" => 10,
            "resize_migrating" => 30,
            "resize_migrated" => 60,
            "resize_finish" => 80,
            _ when server.Status == ServerStatus.VerifyResize => 90,
            _ when record?.Status == "confirming" => 95,
            _ => -1,
        };
    }
}
