using System;
using System.Linq;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// One drain's record of its instances and the state file behind it: every change is saved at once, atomically,
    /// under one lock (migrations start and settle on any thread), and reported as the drain's progress.
    /// </summary>
    internal sealed class DrainLedger
    {
        internal const string ProgressKey = "host-maintenance";
        private readonly object _lock = new object();
        private readonly string _path;

        public DrainLedger(HostMaintenanceReport state, string path)
        {
            State = state;
            _path = path;
        }

        /// <summary>The report, as the file has it.</summary>
        public HostMaintenanceReport State { get; }

        private string HostName => State.HostName;

        /// <summary>The instance's record, added when the drain meets the instance for the first time.</summary>
        public MaintenanceInstanceRecord RecordFor(string id, string name)
        {
            lock (_lock)
            {
                var record = State.Instances.FirstOrDefault(r => string.Equals(r.InstanceId, id, StringComparison.OrdinalIgnoreCase));
                if (record == null)
                {
                    record = new MaintenanceInstanceRecord { InstanceId = id, InstanceName = name, SourceHost = HostName, CurrentHost = HostName };
                    State.Instances.Add(record);
                }

                return record;
            }
        }

        public void Save()
        {
            lock (_lock)
            {
                MaintenanceStateStore.Save(_path, State);
            }
        }

        /// <summary>The plan found no destination for it: it stays where it is.</summary>
        public void MarkUnplaceable(MigrationPlanItem item)
        {
            lock (_lock)
            {
                var record = RecordFor(item.InstanceId, item.InstanceName);
                record.Outcome = MaintenanceOutcome.Unplaceable;
                record.CurrentHost = HostName;
                record.InstanceStatus = item.InstanceStatus;
                record.Reason = item.Reason;
            }
        }

        /// <summary>Shut down on the host by -NonLiveMigratable Stop; saved at once.</summary>
        public MaintenanceInstanceRecord MarkStopped(MigrationPlanItem item, Instance instance, string reason)
        {
            lock (_lock)
            {
                var record = RecordFor(item.InstanceId, item.InstanceName);
                record.Outcome = MaintenanceOutcome.Stopped;
                record.CurrentHost = instance.HostName;
                record.InstanceStatus = instance.StatusText;
                record.Reason = reason;
                Save();
                return record;
            }
        }

        /// <summary>The breaker tripped: every instance planned but not started stays, with the breaker's reason.</summary>
        public void MarkNotStarted(string why, IEngineSink sink)
        {
            lock (_lock)
            {
                foreach (var record in State.Instances.Where(r => r.Outcome == MaintenanceOutcome.Pending))
                {
                    record.Outcome = MaintenanceOutcome.NotStarted;
                    record.Reason = "Not started: " + why;
                }

                Save();
                Report(sink);
            }
        }

        /// <summary>Planned in this round, not started yet.</summary>
        public void MarkPending(MigrationPlanItem item)
        {
            lock (_lock)
            {
                var record = RecordFor(item.InstanceId, item.InstanceName);
                record.Outcome = MaintenanceOutcome.Pending;
                record.PlannedHost = item.DestinationHost;
                record.Kind = item.Kind;
                record.Reason = item.Reason;
            }
        }

        /// <summary>Written before Nova is asked, so an interrupted run knows which migrations it may have started.</summary>
        public void MarkStarted(MigrationRequest request, DateTimeOffset now, IEngineSink sink)
        {
            lock (_lock)
            {
                var record = RecordFor(request.Instance.Id, request.Instance.Name);
                record.Outcome = MaintenanceOutcome.InFlight;
                record.Attempts++;
                record.StartedAt = now;
                record.FinishedAt = null;
                Save();
                Report(sink);
            }
        }

        /// <summary>Records a migration's outcome and saves it.</summary>
        public MaintenanceInstanceRecord Settle(MigrationOutcome outcome, DateTimeOffset now, IEngineSink sink)
        {
            lock (_lock)
            {
                var record = RecordFor(outcome.Request.Instance.Id, outcome.Request.Instance.Name);
                var result = outcome.Result;
                if (result != null)
                {
                    record.Verdict = result.Verdict;
                    record.CurrentHost = result.DestinationHost;
                    record.InstanceStatus = result.InstanceStatus;
                    record.MigrationId = result.MigrationId;
                    record.RequestId = result.RequestId;
                    record.StartedAt = result.StartedAt ?? record.StartedAt;
                    record.FinishedAt = result.FinishedAt ?? now;
                    record.Reason = result.Reason;
                    record.Cause = result.Cause;
                    record.CauseSummary = result.Diagnosis != null && result.Cause != MigrationFailureCause.None ? CauseRules.Sentence(result.Diagnosis).Trim() : null;
                    record.Outcome = result.Verdict == MigrationVerdict.Succeeded ? MaintenanceOutcome.Moved
                        : result.Verdict == MigrationVerdict.TimedOut || result.Verdict == MigrationVerdict.Accepted ? MaintenanceOutcome.InFlight
                        : MaintenanceOutcome.Failed;
                }
                else
                {
                    var error = outcome.Error;
                    record.FinishedAt = now;
                    record.Reason = error?.Message ?? "No verdict.";
                    record.Outcome = error is OpenStackMigrationException known && known.Kind == FailureKind.NotFound ? MaintenanceOutcome.Deleted : MaintenanceOutcome.Failed;
                }

                Save();
                Report(sink);
                return record;
            }
        }

        /// <summary>The drain's progress: how many moved, are in flight, failed, have no destination.</summary>
        public void Report(IEngineSink sink)
        {
            lock (_lock)
            {
                var total = Math.Max(1, State.Instances.Count);
                var inFlight = State.Instances.Count(i => i.Outcome == MaintenanceOutcome.InFlight);
                var settled = State.Instances.Count(i => i.Outcome != MaintenanceOutcome.InFlight && i.Outcome != MaintenanceOutcome.Pending);
                sink.Progress(new ProgressReport(ProgressKey, $"Maintenance of {HostName}", $"{State.MovedCount} of {State.Instances.Count} moved, {inFlight} in flight, {State.FailedCount} failed, {State.UnplaceableCount} unplaceable")
                {
                    PercentComplete = 100 * settled / total,
                });
            }
        }

        /// <summary>Ends the drain's progress activity.</summary>
        public void Complete(IEngineSink sink) =>
            sink.Progress(new ProgressReport(ProgressKey, $"Maintenance of {HostName}", "done") { Completed = true });
    }
}
