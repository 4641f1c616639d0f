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
    /// <summary>One instance's outcome in a batch: a verdict, or an error that kept it from being tried.</summary>
    public sealed class MigrationOutcome
    {
        internal MigrationOutcome(MigrationRequest request, MigrationResult? result, Exception? error)
        {
            Request = request;
            Result = result;
            Error = error;
        }

        /// <summary>What was asked.</summary>
        public MigrationRequest Request { get; }

        /// <summary>The verdict, when there is one.</summary>
        public MigrationResult? Result { get; }

        /// <summary>Why there is no verdict (instance not found, Nova unreachable...).</summary>
        public Exception? Error { get; }
    }

    /// <summary>
    /// Moves many instances at once, at most <see cref="ThrottleLimit"/> at a time: each is re-read,
    /// checked (unless skipped), started and watched; outcomes are handed over as they come, with one
    /// progress activity for the batch and one child per migration.
    /// </summary>
    public sealed class MigrationBatch
    {
        private const string BatchKey = "migration-batch";
        private readonly IMigrationApi _api;
        private readonly IMigrationChecks _checks;
        private readonly MigrationRunner _runner;
        private readonly Func<DateTimeOffset> _now;
        private readonly System.Collections.Concurrent.ConcurrentQueue<MigrationResult> _unheld = new System.Collections.Concurrent.ConcurrentQueue<MigrationResult>();

        /// <summary>Creates a batch over a session.</summary>
        public MigrationBatch(CloudSession session, MigrationWatchOptions? options = null)
            : this(new NovaMigrationApi(session), new TargetReaderChecks(session), options, null, null)
        {
        }

        internal MigrationBatch(IMigrationApi api, IMigrationChecks checks, MigrationWatchOptions? options, Func<DateTimeOffset>? now, Func<TimeSpan, CancellationToken, Task>? delay)
        {
            _api = api;
            _checks = checks;
            _now = now ?? (() => DateTimeOffset.UtcNow);
            _runner = new MigrationRunner(api, options, _now, delay);
        }

        /// <summary>How many migrations run at once.</summary>
        public int ThrottleLimit { get; set; } = 4;

        /// <summary>False for a caller with a progress activity of its own: the batch then adds none, and each migration's activity stands alone.</summary>
        internal bool ReportsBatchProgress { get; set; } = true;

        /// <summary>Runs every request; <paramref name="onOutcome"/> is called (from any thread) as each ends.</summary>
        public Task RunAsync(IReadOnlyList<MigrationRequest> requests, Action<MigrationOutcome> onOutcome, IEngineSink sink, CancellationToken cancellationToken) =>
            RunAsync(requests, null, onOutcome, sink, cancellationToken);

        /// <summary>
        /// Runs every request. <paramref name="onStarting"/> is called as a request takes its place under the throttle, before anything
        /// is asked of Nova; <paramref name="onOutcome"/> as it ends, before its place is given to the next. Both from any thread.
        /// </summary>
        internal Task RunAsync(IReadOnlyList<MigrationRequest> requests, Action<MigrationRequest>? onStarting, Action<MigrationOutcome> onOutcome, IEngineSink sink, CancellationToken cancellationToken) =>
            RunAsync(requests, onStarting, onOutcome, null, sink, cancellationToken);

        /// <summary>
        /// As above; a request whose turn comes when <paramref name="mayStart"/> says false is not started and gets no outcome.
        /// Requests sharing an <see cref="MigrationRequest.ExclusiveKeys"/> key run one after the other, waiting without holding a place.
        /// </summary>
        internal async Task RunAsync(IReadOnlyList<MigrationRequest> requests, Action<MigrationRequest>? onStarting, Action<MigrationOutcome> onOutcome, Func<MigrationRequest, bool>? mayStart, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (requests.Count == 0)
            {
                return;
            }

            var waiting = requests.Any(r => r.Wait);
            var nested = ReportsBatchProgress && waiting && requests.Count > 1;
            _runner.ParentProgressKey = nested ? BatchKey : null;
            var activity = requests.All(r => r.Existing != null)
                ? $"Waiting for {requests.Count} migrations"
                : $"Moving {requests.Count} instances ({Math.Min(ThrottleLimit, requests.Count)} at a time)";
            var done = 0;
            var failed = 0;
            var admitted = 0;
            var gate = new SemaphoreSlim(Math.Max(1, ThrottleLimit));
            var keys = requests.SelectMany(r => r.ExclusiveKeys).Distinct(StringComparer.OrdinalIgnoreCase)
                .ToDictionary(k => k, _ => new SemaphoreSlim(1), StringComparer.OrdinalIgnoreCase);
            void ReportBatch()
            {
                if (nested)
                {
                    sink.Progress(new ProgressReport(BatchKey, activity, $"{done} of {requests.Count} done, {failed} not succeeded") { PercentComplete = 100 * done / requests.Count });
                }
            }

            ReportBatch();
            try
            {
                var tasks = requests.Select(async request =>
                {
                    // Keys first, in one order (no two requests wait on each other), and only then a place under the throttle.
                    var held = new List<SemaphoreSlim>();
                    void ReleaseKeys()
                    {
                        foreach (var key in held)
                        {
                            key.Release();
                        }

                        held.Clear();
                    }

                    try
                    {
                        foreach (var key in request.ExclusiveKeys.Distinct(StringComparer.OrdinalIgnoreCase).OrderBy(k => k, StringComparer.OrdinalIgnoreCase))
                        {
                            await keys[key].WaitAsync(cancellationToken).ConfigureAwait(false);
                            held.Add(keys[key]);
                        }

                        await RunInPlaceAsync(request, ReleaseKeys).ConfigureAwait(false);
                    }
                    finally
                    {
                        ReleaseKeys();
                    }
                }).ToList();
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            finally
            {
                if (nested)
                {
                    sink.Progress(new ProgressReport(BatchKey, activity, "done") { Completed = true });
                }

                gate.Dispose();
                foreach (var key in keys.Values)
                {
                    key.Dispose();
                }
            }

            async Task RunInPlaceAsync(MigrationRequest request, Action releaseKeys)
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref admitted);
                try
                {
                    // A waiter can be handed its place in the instant the token is cancelled: start nothing then.
                    cancellationToken.ThrowIfCancellationRequested();
                    if (mayStart != null && !mayStart(request))
                    {
                        return;
                    }

                    onStarting?.Invoke(request);
                    MigrationOutcome outcome;
                    try
                    {
                        outcome = new MigrationOutcome(request, await RunOneAsync(request, sink, cancellationToken).ConfigureAwait(false), null);
                    }
                    catch (Exception e) when (!(e is OperationCanceledException))
                    {
                        outcome = new MigrationOutcome(request, null, e);
                    }

                    Interlocked.Increment(ref done);
                    if (outcome.Result == null || !outcome.Result.IsSuccess)
                    {
                        Interlocked.Increment(ref failed);
                    }

                    // Handed over before the place is freed, so a caller that records what is in flight never counts more than the limit.
                    onOutcome(outcome);
                    ReportBatch();

                    // The instance is where it ends: the next member of its group may be scheduled now. Only the
                    // throttle's place waits for the source host's clean-up.
                    releaseKeys();
                    if (outcome.Result != null && Volatile.Read(ref admitted) < requests.Count)
                    {
                        // Someone waits for this place: it is freed once the source host is done with this migration too.
                        await SettleAsync(outcome.Result, sink, cancellationToken).ConfigureAwait(false);
                    }
                    else if (outcome.Result != null)
                    {
                        // Nobody waits in this batch; a later one may (SettleUnheldAsync).
                        _unheld.Enqueue(outcome.Result);
                    }
                }
                finally
                {
                    gate.Release();
                }
            }
        }

        /// <summary>
        /// Waits until Nova's records of the migrations whose places were freed with nobody waiting (the last ones of a
        /// run) are final, each at most <see cref="MigrationWatchOptions.RecordSettleLimit"/>: a caller that runs the
        /// batch again (a drain's next round) then starts no more on the source than the limit.
        /// </summary>
        internal Task SettleUnheldAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            var results = new List<MigrationResult>();
            while (_unheld.TryDequeue(out var result))
            {
                results.Add(result);
            }

            return Task.WhenAll(results.Select(r => SettleAsync(r, sink, cancellationToken)));
        }

        private async Task SettleAsync(MigrationResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            try
            {
                await _runner.SettleRecordAsync(result, sink, cancellationToken).ConfigureAwait(false);
            }
            catch (OpenStackMigrationException e)
            {
                sink.Debug($"{result.InstanceName}: its migration record could not be read ({e.Message}); its place is freed.");
            }
        }

        private async Task<MigrationResult> RunOneAsync(MigrationRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (request.Existing != null)
            {
                if (!request.InstanceIsFresh)
                {
                    request.Instance = await _api.GetServerAsync(request.Instance.Id, sink, cancellationToken).ConfigureAwait(false);
                }

                return await ExplainNoValidHostAsync(request, await _runner.AttachAsync(request, sink, cancellationToken).ConfigureAwait(false), sink, cancellationToken).ConfigureAwait(false);
            }

            // Independent reads go out together: the verdict on a quick migration is mostly these round trips.
            var refresh = request.InstanceIsFresh ? Task.FromResult(request.Instance) : _api.GetServerAsync(request.Instance.Id, sink, cancellationToken);
            var preload = request.SkipPreflight ? Task.CompletedTask : _checks.PreloadAsync(sink, cancellationToken);
            var known = _runner.ReadKnownMigrationsAsync(request.Instance.Id, request.Kind, sink, cancellationToken);
            request.Instance = await refresh.ConfigureAwait(false);
            await preload.ConfigureAwait(false);
            MigrationCheckReport? report = null;
            if (!request.SkipPreflight)
            {
                report = await _checks.CheckAsync(request.Instance, request.Kind, request.DestinationHost, request.BlockMigration, freshCapacity: true, sink, cancellationToken).ConfigureAwait(false);
                if (!report.CanMigrate)
                {
                    var now = _now();
                    return new MigrationResult
                    {
                        InstanceId = request.Instance.Id,
                        InstanceName = request.Instance.Name,
                        Verdict = MigrationVerdict.Refused,
                        Kind = request.Kind,
                        SourceHost = request.Instance.HostName,
                        DestinationHost = request.Instance.HostName,
                        RequestedHost = request.DestinationHost,
                        BlockMigration = request.Kind == MigrationKind.Live ? request.BlockMigration.ToString() : null,
                        InstanceStatus = request.Instance.StatusText,
                        StartedAt = now,
                        FinishedAt = now,
                        WaitedFor = CompletionSignal.None,
                        Checks = report,
                        Reason = $"Not moving {request.Instance.Name} to {request.DestinationHost ?? "another host"}: {report.Reason} Nothing was asked of Nova.",
                    };
                }

                foreach (var warning in report.Checks.Where(c => c.Result == MigrationCheckResult.Warning))
                {
                    sink.Warning($"{request.Instance.Name}: {warning.Reason}");
                }
            }

            var result = await _runner.RunAsync(request, sink, cancellationToken, await known.ConfigureAwait(false)).ConfigureAwait(false);
            result.Checks = report;
            return await ExplainNoValidHostAsync(request, result, sink, cancellationToken).ConfigureAwait(false);
        }

        private async Task<MigrationResult> ExplainNoValidHostAsync(MigrationRequest request, MigrationResult result, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (result.Verdict == MigrationVerdict.Failed && request.DestinationHost != null && NovaGaveNoReason(result))
            {
                // "No valid host was found" says nothing a person can act on: the checks usually can.
                // It also tells a full host (fails the check, refused at once) from a pre-check timeout (passes it, took long).
                var after = await _checks.CheckAsync(request.Instance, request.Kind, request.DestinationHost, request.BlockMigration, freshCapacity: true, sink, cancellationToken).ConfigureAwait(false);
                result.Checks ??= after;
                var before = result.Diagnosis;
                result.Diagnosis = CauseRules.Diagnose(CauseRules.FactsOf(result, after));
                if (before != null && result.Reason.EndsWith(CauseRules.Sentence(before), StringComparison.Ordinal))
                {
                    result.Reason = result.Reason.Substring(0, result.Reason.Length - CauseRules.Sentence(before).Length);
                }

                result.Reason += CauseRules.Sentence(result.Diagnosis);
            }

            return result;
        }

        private static bool NovaGaveNoReason(MigrationResult result)
        {
            var said = result.FailedEventDetails ?? result.Reason;
            return said.IndexOf("No valid host", StringComparison.OrdinalIgnoreCase) >= 0;
        }
    }
}
