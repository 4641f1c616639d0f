using System;
using System.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.Migration
{
    /// <summary>Where a watched migration stands after one poll.</summary>
    internal enum WatchState
    {
        /// <summary>Still going.</summary>
        Running,

        /// <summary>The instance is idle on its source but the migration record is not final yet (Nova writes the record last).</summary>
        SettlingOnSource,

        /// <summary>The instance runs on the destination.</summary>
        Succeeded,

        /// <summary>The migration failed.</summary>
        Failed,

        /// <summary>The migration was cancelled.</summary>
        Aborted,

        /// <summary>A cold migration waits in VERIFY_RESIZE.</summary>
        AwaitingConfirmation,

        /// <summary>A cold migration was reverted.</summary>
        Reverted,
    }

    /// <summary>
    /// The verdict rules, as pure functions. A migration succeeded only when the instance's host is
    /// no longer the source and Nova is done with it; the migration record alone is not trusted
    /// (a record can say completed while the instance stays, and on multi-node hosts it stays
    /// "running" long after the instance moved).
    /// </summary>
    public static class MigrationVerdicts
    {
        internal static WatchState Decide(MigrationKind kind, Instance server, MigrationRecord? record, string? sourceHost)
        {
            var idle = string.IsNullOrEmpty(server.TaskState);
            var moved = !string.IsNullOrEmpty(server.HostName) && !string.Equals(server.HostName, sourceHost, StringComparison.Ordinal);
            var status = record?.Status ?? string.Empty;

            if (server.Status == ServerStatus.Error)
            {
                return WatchState.Failed;
            }

            if (kind == MigrationKind.Cold)
            {
                if (server.Status == ServerStatus.VerifyResize && idle)
                {
                    return WatchState.AwaitingConfirmation;
                }

                if (status == "reverted" && idle && !moved)
                {
                    return WatchState.Reverted;
                }

                if (status == "confirmed" && idle && moved)
                {
                    return WatchState.Succeeded;
                }

                if ((status == "error" || status == "failed") && idle)
                {
                    return WatchState.Failed;
                }

                if (idle && !moved && server.Status != ServerStatus.Resize && server.Status != ServerStatus.RevertResize)
                {
                    return WatchState.SettlingOnSource;
                }

                return WatchState.Running;
            }

            if (record != null && record.IsFinished)
            {
                if (record.IsSucceeded)
                {
                    // Completed in the record: believe it only once the instance's host agrees.
                    return moved && idle ? WatchState.Succeeded : idle ? WatchState.SettlingOnSource : WatchState.Running;
                }

                if (!idle)
                {
                    return WatchState.Running;
                }

                return status == "cancelled" ? WatchState.Aborted : WatchState.Failed;
            }

            if (moved && idle)
            {
                return WatchState.Succeeded;
            }

            return idle ? WatchState.SettlingOnSource : WatchState.Running;
        }

        /// <summary>The event that explains a failure: one with a result of Error, preferring one with details and the compute-side cause over the conductor's summary.</summary>
        internal static InstanceActionEvent? FailedEvent(InstanceActionRecord? action)
        {
            if (action == null)
            {
                return null;
            }

            var failed = action.Events.Where(e => e.Result != null && e.Result.IndexOf("error", StringComparison.OrdinalIgnoreCase) >= 0).ToList();
            return failed
                .OrderByDescending(e => !string.IsNullOrEmpty(e.Details))
                .ThenByDescending(e => !e.Event.StartsWith("conductor_", StringComparison.Ordinal))
                .ThenBy(e => e.StartTime ?? DateTimeOffset.MaxValue)
                .FirstOrDefault();
        }

        /// <summary>The error written for a verdict that is not a success, with a stable id.</summary>
        public static OpenStackMigrationException? ErrorFor(MigrationResult result)
        {
            var (id, kind) = result.Verdict switch
            {
                MigrationVerdict.Failed when result.Cause == MigrationFailureCause.GatewayTimeout => ("OSGatewayTimeout", FailureKind.Timeout),
                MigrationVerdict.Failed => ("OSMigrationFailed", FailureKind.CommandFailed),
                MigrationVerdict.Aborted => ("OSMigrationAborted", FailureKind.Cancelled),
                MigrationVerdict.TimedOut => ("OSMigrationTimedOut", FailureKind.Timeout),
                MigrationVerdict.Refused when result.Checks?.GetCheck(MigrationPreflight.DestinationHostCheck)?.Code == MigrationCheckCode.NoSuchHost
                    => ("OSComputeHostNotFound", FailureKind.NotFound),
                MigrationVerdict.Refused => ("OSPreflightFailed", FailureKind.InvalidState),
                _ => (null, FailureKind.ServiceError),
            };
            if (id == null)
            {
                return null;
            }

            var message = result.Reason + (result.RequestId != null && result.Reason.IndexOf(result.RequestId, StringComparison.Ordinal) < 0 ? $" (request id {result.RequestId})" : string.Empty);
            return new OpenStackMigrationException(id, kind, message)
            {
                Target = result.InstanceName,
                RecommendedAction = result.Verdict switch
                {
                    MigrationVerdict.Refused => "Pick another -DestinationHost (Test-OSMigrationTarget ranks them), fix what the check names, or use -SkipPreflight to ask Nova anyway.",
                    MigrationVerdict.TimedOut => "The migration may still be running: watch it with Get-OSMigration -InProgress, then Complete-OSMigration or Stop-OSMigration.",
                    MigrationVerdict.Failed when result.Diagnosis?.Fix != null => result.Diagnosis.Fix + " For the log evidence, pipe the result to Debug-OSMigration -ComputerName <controllers and both computes>.",
                    MigrationVerdict.Failed => "Read FailedEventDetails and the nova-conductor / nova-compute logs for the request id (Debug-OSMigration -ComputerName <controllers and both computes>).",
                    _ => null,
                },
            };
        }
    }
}
