using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    public class MigrationControlTests
    {
        private static MigrationRecord Record(long id, string status, string instance = "vm-1") => new MigrationRecord { Id = id, Status = status, MigrationType = "live-migration", InstanceId = instance };

        [Fact]
        public void ARecordLeftPreparingByARestartedComputeIsNotTheOneForcedOrAborted()
        {
            // As Nova lists them (oldest first): 2 was left 'preparing' when its source's nova-compute restarted; 5 runs.
            var chosen = MigrationControl.TheOneToActOn(new List<MigrationRecord> { Record(2, "preparing"), Record(5, "running") });
            Assert.Equal(5, chosen!.Id);
        }

        [Fact]
        public void ARecordLeftRunningIsNotTheOneAbortedWhenANewerOneIsQueued()
        {
            // 3 stays 'running' for good (its compute restarted mid-copy); the real migration, 7, is still queued.
            var chosen = MigrationControl.TheOneToActOn(new List<MigrationRecord> { Record(3, "running"), Record(7, "queued"), Record(4, "preparing") });
            Assert.Equal(7, chosen!.Id);
        }

        [Fact]
        public void NothingInProgressIsNothingToActOn()
        {
            Assert.Null(MigrationControl.TheOneToActOn(new List<MigrationRecord>()));
        }

        [Fact]
        public void ARecordLeftUnfinishedIsNotInProgressOnceItsInstanceHasMigratedSince()
        {
            // Newest first, two pages (compute 2.59+). vm-1: 9 completed, then 4 left 'preparing' by a restarted
            // compute. vm-2: 8 runs. vm-3: 6 left 'running', 2 older and over. vm-4 (page 2): 3 'queued' and nothing newer.
            var records = new InProgressRecords();
            var first = records.Of(new List<MigrationRecord> { Record(9, "completed"), Record(8, "running", "vm-2"), Record(6, "running", "vm-3") }, out var stale1);
            var second = records.Of(new List<MigrationRecord> { Record(4, "preparing"), Record(3, "queued", "vm-4"), Record(2, "completed", "vm-3") }, out var stale2);

            Assert.Equal(new long[] { 8, 6 }, first.Select(m => m.Id));
            Assert.Empty(stale1);
            Assert.Equal(new long[] { 3 }, second.Select(m => m.Id));
            Assert.Equal(new long[] { 4 }, stale2.Select(m => m.Id));
            Assert.Equal(9, records.NewestOf("vm-1"));
        }

        [Fact]
        public void BeforeTwoFiftyNineTheOnePageIsJudgedWholeWhateverItsOrder()
        {
            // Before 2.59 Nova lists the history in one page, in no set order: the stale record may come first.
            var kept = new InProgressRecords().Of(new List<MigrationRecord> { Record(4, "preparing"), Record(7, "running"), Record(5, "error") }, out var stale);

            Assert.Equal(new long[] { 7 }, kept.Select(m => m.Id));
            Assert.Equal(new long[] { 4 }, stale.Select(m => m.Id));
        }

        [Theory]
        [InlineData("completed", null)]
        [InlineData("running", 9L)]
        public async Task WaitingForAnInstancesMigrationNeverPicksARecordLeftUnfinishedBeforeItsNewestOne(string newestStatus, long? expected)
        {
            // Over loopback HTTP, Nova's history of vm-1 newest first: 9 (newestStatus), then 4 left 'preparing'.
            using var cloud = new LoopbackCloud();
            cloud.Handler = r => Task.FromResult((r.Url!.AbsolutePath == "/v2.1/os-migrations" ? 200 : 404, new JObject
            {
                ["migrations"] = new JArray(
                    new JObject { ["id"] = 9, ["uuid"] = "m9", ["instance_uuid"] = "vm-1", ["status"] = newestStatus, ["migration_type"] = "live-migration" },
                    new JObject { ["id"] = 4, ["uuid"] = "m4", ["instance_uuid"] = "vm-1", ["status"] = "preparing", ["migration_type"] = "live-migration" }),
            }.ToString()));
            using var session = await CloudSession.ConnectAsync(cloud.Options(), NullSink.Instance, CancellationToken.None);
            var control = new MigrationControl(session);

            if (expected == null)
            {
                var error = await Assert.ThrowsAsync<OpenStackMigrationException>(() => control.FindToWaitAsync("vm-1", null, NullSink.Instance, CancellationToken.None));
                Assert.Equal("OSMigrationNotInProgress", error.ErrorId);
                Assert.Contains("its last one, 9", error.Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(expected, (await control.FindToWaitAsync("vm-1", null, NullSink.Instance, CancellationToken.None)).Id);
            }
        }
    }
}
