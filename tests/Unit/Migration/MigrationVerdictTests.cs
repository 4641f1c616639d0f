#nullable enable
using System.Linq;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    public class MigrationVerdictTests
    {
        private static MigrationRecord Record(string status) => new MigrationRecord { Id = 9, Status = status, MigrationType = "live-migration" };

        private static Instance OnCompute2()
        {
            var server = Fixtures.ActiveOnCompute1();
            server.HostName = "compute2";
            return server;
        }

        [Fact]
        public void LiveSucceedsOnlyWhenTheInstanceIsOnAnotherHostAndIdle()
        {
            Assert.Equal(WatchState.Succeeded, MigrationVerdicts.Decide(MigrationKind.Live, OnCompute2(), Record("completed"), "compute1"));

            // Nova says completed but the instance is still on its source: not a success.
            Assert.NotEqual(WatchState.Succeeded, MigrationVerdicts.Decide(MigrationKind.Live, Fixtures.ActiveOnCompute1(), Record("completed"), "compute1"));

            // A "migration" to the host it is on never counts as moved.
            Assert.NotEqual(WatchState.Succeeded, MigrationVerdicts.Decide(MigrationKind.Live, Fixtures.ActiveOnCompute1(), null, "compute1"));
        }

        [Fact]
        public void OnAMultiNodeHostTheInstanceHostDecidesBeforeTheRecord()
        {
            // FACTS: the record stays "running" while the source recomputes every node; the instance is already ACTIVE on the destination.
            Assert.Equal(WatchState.Succeeded, MigrationVerdicts.Decide(MigrationKind.Live, OnCompute2(), Record("running"), "compute1"));
        }

        [Fact]
        public void WhileMigratingItIsRunning()
        {
            var migrating = Fixtures.Server("server-migrating.json");
            Assert.Equal("migrating", migrating.TaskState);
            Assert.Equal(WatchState.Running, MigrationVerdicts.Decide(MigrationKind.Live, migrating, Fixtures.RunningWithCounters(), "compute1"));
        }

        [Fact]
        public void ErrorAndCancelledRecordsWithTheInstanceIdleOnItsSource()
        {
            var error = Fixtures.HistoryWithErrors().First(m => m.Status == "error");
            var cancelled = Fixtures.HistoryWithCancelled().First(m => m.Status == "cancelled");
            var active = Fixtures.ActiveOnCompute1();

            Assert.Equal(WatchState.Failed, MigrationVerdicts.Decide(MigrationKind.Live, active, error, "compute1"));
            Assert.Equal(WatchState.Aborted, MigrationVerdicts.Decide(MigrationKind.Live, active, cancelled, "compute1"));

            // Nova resets the task state a moment before it writes the record: wait, do not guess.
            Assert.Equal(WatchState.SettlingOnSource, MigrationVerdicts.Decide(MigrationKind.Live, active, Record("running"), "compute1"));
        }

        [Fact]
        public void AColdMigrationWaitingForConfirmation()
        {
            var server = Fixtures.Server("server-verify-resize.json");
            var record = Fixtures.HistoryWithCancelled().First(m => m.MigrationType == "migration");

            Assert.Equal("finished", record.Status);
            Assert.Equal(WatchState.AwaitingConfirmation, MigrationVerdicts.Decide(MigrationKind.Cold, server, record, "compute2"));
            Assert.Equal(MigrationCheckResult.Failed, MigrationPreflight.CheckState(server, MigrationKind.Cold).Result);
        }

        [Fact]
        public void AnInstanceInErrorIsAFailure()
        {
            var server = OnCompute2();
            server.Status = ServerStatus.Error;
            Assert.Equal(WatchState.Failed, MigrationVerdicts.Decide(MigrationKind.Live, server, Record("running"), "compute1"));
        }

        [Fact]
        public void ColdWaitsForConfirmationThenSucceedsWhenConfirmed()
        {
            var verify = OnCompute2();
            verify.Status = ServerStatus.VerifyResize;
            verify.StatusText = "VERIFY_RESIZE";
            Assert.Equal(WatchState.AwaitingConfirmation, MigrationVerdicts.Decide(MigrationKind.Cold, verify, new MigrationRecord { Status = "finished" }, "compute1"));
            Assert.Equal(WatchState.Running, MigrationVerdicts.Decide(MigrationKind.Cold, OnCompute2(), new MigrationRecord { Status = "confirming" }, "compute1"));
            Assert.Equal(WatchState.Succeeded, MigrationVerdicts.Decide(MigrationKind.Cold, OnCompute2(), new MigrationRecord { Status = "confirmed" }, "compute1"));
            Assert.Equal(WatchState.Reverted, MigrationVerdicts.Decide(MigrationKind.Cold, Fixtures.ActiveOnCompute1(), new MigrationRecord { Status = "reverted" }, "compute1"));
            Assert.Equal(WatchState.Failed, MigrationVerdicts.Decide(MigrationKind.Cold, Fixtures.ActiveOnCompute1(), new MigrationRecord { Status = "error" }, "compute1"));
        }

        [Fact]
        public void TheFailedEventCarriesNovasReason()
        {
            var failed = MigrationVerdicts.FailedEvent(Fixtures.NoValidHostAction());

            Assert.NotNull(failed);
            Assert.Equal("conductor_live_migrate_instance", failed!.Event);
            Assert.StartsWith("No valid host was found.", failed.Details);
        }

        [Fact]
        public void ThePreferredFailedEventIsTheComputeSideOneWithDetails()
        {
            var action = new InstanceActionRecord
            {
                Events = new[]
                {
                    new InstanceActionEvent { Event = "conductor_live_migrate_instance", Result = "Error", Details = "summary" },
                    new InstanceActionEvent { Event = "compute_check_can_live_migrate_destination", Result = "Error", Details = "Unacceptable CPU info" },
                    new InstanceActionEvent { Event = "compute_pre_live_migration", Result = "Success" },
                },
            };

            Assert.Equal("compute_check_can_live_migrate_destination", MigrationVerdicts.FailedEvent(action)!.Event);
        }

        [Theory]
        [InlineData(MigrationVerdict.Failed, "OSMigrationFailed", FailureKind.CommandFailed)]
        [InlineData(MigrationVerdict.Aborted, "OSMigrationAborted", FailureKind.Cancelled)]
        [InlineData(MigrationVerdict.TimedOut, "OSMigrationTimedOut", FailureKind.Timeout)]
        [InlineData(MigrationVerdict.Refused, "OSPreflightFailed", FailureKind.InvalidState)]
        public void EveryVerdictThatIsNotASuccessHasAStableErrorId(MigrationVerdict verdict, string errorId, FailureKind kind)
        {
            var error = MigrationVerdicts.ErrorFor(new MigrationResult { Verdict = verdict, Reason = "why", RequestId = "req-1", InstanceName = "vm" });

            Assert.Equal(errorId, error!.ErrorId);
            Assert.Equal(kind, error.Kind);
            Assert.Equal("why (request id req-1)", error.Message);
        }

        [Fact]
        public void ARefusalIsOSComputeHostNotFoundByTheCheckCodeNotItsWords()
        {
            static MigrationResult Refused(MigrationCheckCode code, string reason) => new MigrationResult
            {
                Verdict = MigrationVerdict.Refused,
                Reason = reason,
                InstanceName = "vm",
                Checks = new MigrationCheckReport("id", "vm", "compute1", "nohost", MigrationKind.Live, new[] { new MigrationCheck(MigrationPreflight.DestinationHostCheck, MigrationCheckResult.Failed, reason, code) }),
            };

            var notFound = MigrationVerdicts.ErrorFor(Refused(MigrationCheckCode.NoSuchHost, "Kein Compute-Host 'nohost'."))!;
            Assert.Equal("OSComputeHostNotFound", notFound.ErrorId);
            Assert.Equal(FailureKind.NotFound, notFound.Kind);

            // The words alone decide nothing.
            Assert.Equal("OSPreflightFailed", MigrationVerdicts.ErrorFor(Refused(MigrationCheckCode.SameHost, "There is no compute host 'x' (not really)."))!.ErrorId);
        }

        [Fact]
        public void SuccessIsNotAnError()
        {
            Assert.Null(MigrationVerdicts.ErrorFor(new MigrationResult { Verdict = MigrationVerdict.Succeeded }));
            Assert.Null(MigrationVerdicts.ErrorFor(new MigrationResult { Verdict = MigrationVerdict.Accepted }));
        }
    }
}
