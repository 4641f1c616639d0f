#nullable enable
using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    /// <summary>Reattaching (Wait-OSMigration): the same watch as Move-OSInstance -Wait, over a migration someone else started.</summary>
    public partial class MigrationRunnerTests
    {
        [Fact]
        public async Task AReattachedMigrationIsWatchedToItsVerdictWithoutStartingOne()
        {
            var api = new ScriptedNova();
            api.Poll(Migrating(), Running(100, 412));
            api.Poll(Migrating(), Running(300, 212));
            api.Poll(On("compute2"), Final("completed"));
            var sink = new CollectingSink();

            var result = await Attach(api, sink, new MigrationRequest(Migrating()) { Existing = Running(0, 512), Wait = true });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.Equal(MigrationKind.Live, result.Kind);
            Assert.Equal(42, result.MigrationId);
            Assert.Equal("compute1", result.SourceHost);
            Assert.Equal("compute2", result.DestinationHost);
            Assert.Equal(CompletionSignal.MigrationRecord, result.WaitedFor);
            Assert.Contains(sink.Progress, p => p.PercentComplete == 58);
            Assert.True(sink.Progress.Last().Completed);
            Assert.Equal(0, api.Aborts + api.ForceCompletes);
            Assert.Null(api.ActionAskedFor);
        }

        [Fact]
        public async Task AReattachedWaitAppliesOnTimeoutCountedFromWhenTheWaitStarted()
        {
            var api = new ScriptedNova();
            for (var i = 0; i < 8; i++)
            {
                api.Poll(Migrating(), Running(100 + i, 400));
            }

            api.Poll(On("compute2"), Final("completed"));
            var started = Running(0, 512);
            started.CreatedAt = api.Now.AddHours(-1); // started long before: the timeout must not fire at once

            var waitStarted = api.Now;

            var result = await Attach(api, new CollectingSink(), new MigrationRequest(Migrating()) { Existing = started, Wait = true, Timeout = TimeSpan.FromSeconds(3), OnTimeout = TimeoutAction.ForceComplete });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.True(result.ForceCompleted);
            Assert.Equal(1, api.ForceCompletes);
            Assert.InRange((api.ForcedAt!.Value - waitStarted).TotalSeconds, 3, 4);
            Assert.Equal(started.CreatedAt, result.StartedAt);
        }

        [Fact]
        public async Task AReattachedFailureIsExplainedByTheActionThatStartedItWithItsCause()
        {
            var action = Fixtures.NoValidHostAction();
            var api = new ScriptedNova { Action = action };
            api.Poll(Fixtures.ActiveOnCompute1(), Final("error"));
            var record = Final("error");
            record.DestinationHost = "compute3";
            record.CreatedAt = action.StartTime!.Value.AddSeconds(1);

            var result = await Attach(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { Existing = record, Wait = true });

            Assert.Equal(MigrationVerdict.Failed, result.Verdict);
            Assert.Equal(action.RequestId, result.RequestId);
            Assert.Equal(action.RequestId, api.ActionAskedFor);
            Assert.Equal("conductor_live_migrate_instance", result.FailedEvent);
            Assert.StartsWith("The live migration of cirros_vm to compute3 failed: No valid host was found.", result.Reason);
            Assert.Equal(MigrationFailureCause.NoValidHost, result.Cause);
            Assert.NotNull(MigrationVerdicts.ErrorFor(result));
        }

        [Fact]
        public async Task AnEvacuationIsNotWaitedFor()
        {
            var record = Final("running");
            record.MigrationType = "evacuation";

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => Attach(new ScriptedNova(), new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { Existing = record, Wait = true }));

            Assert.Equal("OSMigrationNotWaitable", e.ErrorId);
        }

        private static Task<MigrationResult> Attach(ScriptedNova api, CollectingSink sink, MigrationRequest request)
        {
            api.StartedElsewhere();
            var runner = new MigrationRunner(api, new MigrationWatchOptions(), () => api.Now, (t, c) =>
            {
                api.Now += t;
                return Task.CompletedTask;
            });
            return runner.AttachAsync(request, sink, CancellationToken.None);
        }
    }
}
