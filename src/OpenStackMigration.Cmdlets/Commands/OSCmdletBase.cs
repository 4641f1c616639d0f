using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration.Commands
{
    /// <summary>
    /// What every cmdlet of the module shares: cancellation on Ctrl+C,
    /// running engine work while the engine's Verbose/Warning/Progress reach the pipeline thread,
    /// and turning engine errors into ErrorRecords with stable ids.
    /// </summary>
    public abstract class OSCmdletBase : PSCmdlet
    {
        private readonly CancellationTokenSource _stopping = new CancellationTokenSource();
        private readonly Dictionary<string, int> _activityIds = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly Dictionary<int, ProgressRecord> _openActivities = new Dictionary<int, ProgressRecord>();

        /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
        protected CancellationToken CancelToken => _stopping.Token;

        /// <inheritdoc/>
        protected override void StopProcessing()
        {
            _stopping.Cancel();
            base.StopProcessing();
        }

        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            CompleteAllProgress();
            base.EndProcessing();
        }

        /// <summary>Runs engine work on the thread pool and pumps its messages here until it ends.</summary>
        protected T RunEngine<T>(Func<IEngineSink, CancellationToken, Task<T>> work)
        {
            using var pump = new PipelinePump();
            _relay.Target = pump;
            var task = Task.Run(() => work(pump, CancelToken));
            try
            {
                Pump(pump, task);
                return task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (CancelToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (Exception) when (!task.IsCompleted)
            {
                // A Write* on this thread threw (-ErrorAction Stop, a stopped pipeline): stop the engine work too.
                _stopping.Cancel();
                throw;
            }
            finally
            {
                _relay.Target = null;
                CompleteAllProgress();
            }
        }

        private readonly RelaySink _relay = new RelaySink();

        /// <summary>
        /// A sink for engine objects that live across several <see cref="RunEngine{T}"/> calls of this command
        /// (node sessions): their messages reach the pipeline during each call.
        /// </summary>
        protected IEngineSink CommandSink => _relay;

        /// <summary>Runs engine work that produces items as it goes; each one is written to the pipeline as it arrives.</summary>
        protected void RunEngineStreaming<T>(Func<Action<T>, IEngineSink, CancellationToken, Task> work)
        {
            RunEngineStreaming(work, item => WriteObject(item));
        }

        /// <summary>
        /// Runs engine work that produces items as it goes; <paramref name="onItem"/> handles each one on the
        /// pipeline thread as it arrives (so it may WriteObject, WriteError, WriteWarning).
        /// </summary>
        protected void RunEngineStreaming<T>(Func<Action<T>, IEngineSink, CancellationToken, Task> work, Action<T> onItem)
        {
            RunEngine<bool>(async (sink, token) =>
            {
                var pump = (PipelinePump)sink;
                await work(item => pump.Post(_ => onItem(item)), sink, token).ConfigureAwait(false);
                return true;
            });
        }

        /// <summary>
        /// Runs <paramref name="work"/> on the pipeline thread while a <see cref="RunEngine{T}"/> call is pumping, and
        /// completes the returned task with its result: how engine code calls back into PowerShell (a scriptblock).
        /// </summary>
        protected Task<T> InvokeOnPipelineThread<T>(Func<T> work)
        {
            var pump = _relay.Target as PipelinePump ?? throw new InvalidOperationException("Only while the engine runs.");
            var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            pump.Post(_ =>
            {
                try
                {
                    done.SetResult(work());
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
            });
            return done.Task;
        }

        /// <summary>Writes a non-terminating error for one item, keeping the engine's error id and category.</summary>
        protected void WriteFailure(Exception exception, object? target)
        {
            WriteError(ToErrorRecord(exception, target));
        }

        /// <summary>Stops the cmdlet with a terminating error built like <see cref="WriteFailure"/>.</summary>
        protected void ThrowFailure(Exception exception, object? target = null)
        {
            ThrowTerminatingError(ToErrorRecord(exception, target));
        }

        /// <summary>Maps an engine exception to an ErrorRecord: stable id, category, and what to do.</summary>
        internal static ErrorRecord ToErrorRecord(Exception exception, object? target)
        {
            if (exception is AggregateException aggregate && aggregate.InnerExceptions.Count == 1)
            {
                exception = aggregate.InnerExceptions[0];
            }

            if (exception is OpenStackMigrationException known)
            {
                var record = new ErrorRecord(known, known.ErrorId, CategoryOf(known.Kind), target ?? known.Target);
                if (known.RecommendedAction != null)
                {
                    record.ErrorDetails = new ErrorDetails(known.Message) { RecommendedAction = known.RecommendedAction };
                }

                return record;
            }

            return new ErrorRecord(exception, "OSUnexpectedError," + exception.GetType().Name, ErrorCategory.NotSpecified, target);
        }

        internal static ErrorCategory CategoryOf(FailureKind kind) => kind switch
        {
            FailureKind.InvalidArgument => ErrorCategory.InvalidArgument,
            FailureKind.NotFound => ErrorCategory.ObjectNotFound,
            FailureKind.Authentication => ErrorCategory.AuthenticationError,
            FailureKind.PermissionDenied => ErrorCategory.PermissionDenied,
            FailureKind.ConnectionFailed => ErrorCategory.ConnectionError,
            FailureKind.Timeout => ErrorCategory.OperationTimeout,
            FailureKind.InvalidState => ErrorCategory.InvalidOperation,
            FailureKind.ServiceError => ErrorCategory.InvalidResult,
            FailureKind.Configuration => ErrorCategory.InvalidData,
            FailureKind.NotSupported => ErrorCategory.NotImplemented,
            FailureKind.CommandFailed => ErrorCategory.OperationStopped,
            FailureKind.Cancelled => ErrorCategory.OperationStopped,
            FailureKind.Untrusted => ErrorCategory.SecurityError,
            _ => ErrorCategory.NotSpecified,
        };

        /// <summary>The one progress helper: maps engine activity keys to stable activity ids.</summary>
        protected void ShowProgress(ProgressReport report)
        {
            if (!_activityIds.TryGetValue(report.Key, out var id))
            {
                id = _activityIds.Count + 1;
                _activityIds[report.Key] = id;
            }

            var record = new ProgressRecord(id, report.Activity, string.IsNullOrEmpty(report.Status) ? report.Activity : report.Status)
            {
                PercentComplete = Math.Min(100, report.PercentComplete),
                SecondsRemaining = report.SecondsRemaining,
                CurrentOperation = report.CurrentOperation,
                RecordType = report.Completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            if (report.ParentKey != null && _activityIds.TryGetValue(report.ParentKey, out var parent))
            {
                record.ParentActivityId = parent;
            }

            if (report.Completed)
            {
                _openActivities.Remove(id);
                _lastShown.Remove(id);
            }
            else
            {
                _openActivities[id] = record;
                var now = DateTime.UtcNow;
                if (RunbookHost.IsNonInteractive(Host) && _lastShown.TryGetValue(id, out var shown) && now - shown < RunbookHost.ProgressInterval)
                {
                    // A runbook host logs every progress record: keep one per activity per interval (Verbose has the detail).
                    return;
                }

                _lastShown[id] = now;
            }

            WriteProgress(record);
        }

        private readonly Dictionary<int, DateTime> _lastShown = new Dictionary<int, DateTime>();

        private void CompleteAllProgress()
        {
            foreach (var open in new List<ProgressRecord>(_openActivities.Values))
            {
                open.RecordType = ProgressRecordType.Completed;
                WriteProgress(open);
            }

            _openActivities.Clear();
        }

        private void Pump(PipelinePump pump, Task task)
        {
            task.ContinueWith(_ => pump.Close(), TaskScheduler.Default);
            foreach (var action in pump.Messages)
            {
                action(this);
            }
        }

        /// <summary>
        /// Carries engine messages from worker threads to the pipeline thread, the only thread
        /// allowed to call Write*. Messages posted after the work ends are dropped.
        /// </summary>
        private sealed class PipelinePump : IEngineSink, IDisposable
        {
            private readonly BlockingCollection<Action<OSCmdletBase>> _queue = new BlockingCollection<Action<OSCmdletBase>>();

            public IEnumerable<Action<OSCmdletBase>> Messages => _queue.GetConsumingEnumerable();

            public void Post(Action<OSCmdletBase> action)
            {
                try
                {
                    _queue.Add(action);
                }
                catch (InvalidOperationException)
                {
                    // The work has ended; nobody is listening any more.
                }
            }

            public void Close() => _queue.CompleteAdding();

            public void Verbose(string message) => Post(c => c.WriteVerbose(message));

            public void Debug(string message) => Post(c => c.WriteDebug(message));

            public void Warning(string message) => Post(c => c.WriteWarning(message));

            public void Progress(ProgressReport report) => Post(c => c.ShowProgress(report));

            public void Dispose() => _queue.Dispose();
        }
    }
}
