using System.Collections.Generic;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    public class MigrationControlTests
    {
        private static MigrationRecord Record(long id, string status) => new MigrationRecord { Id = id, Status = status, MigrationType = "live-migration" };

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
    }
}
