#nullable enable
using System;
using System.Linq;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    public class DestinationRankingTests
    {
        private static MigrationCheckReport Report(string host, bool canMigrate, long? freeMemoryAfter)
        {
            var check = new MigrationCheck(MigrationPreflight.MemoryCheck, canMigrate ? MigrationCheckResult.Passed : MigrationCheckResult.Failed, "figures", canMigrate ? MigrationCheckCode.None : MigrationCheckCode.InsufficientCapacity);
            return new MigrationCheckReport("id", "vm", "compute1", host, MigrationKind.Live, new[] { check }) { FreeMemoryMBAfter = freeMemoryAfter };
        }

        [Fact]
        public void HostsThatCanTakeItComeFirstMostFreeRamOnTop()
        {
            var ranked = DestinationRanking.Rank(new[]
            {
                Report("c-full", canMigrate: false, freeMemoryAfter: 90000),
                Report("c-small", canMigrate: true, freeMemoryAfter: 1000),
                Report("c-big", canMigrate: true, freeMemoryAfter: 64000),
                Report("c-unknown", canMigrate: true, freeMemoryAfter: null),
            });

            // A host that cannot take it stays last however much RAM it has; unknown free RAM ranks below any known figure.
            Assert.Equal(new[] { "c-big", "c-small", "c-unknown", "c-full" }, ranked.Select(r => r.DestinationHost));
        }

        [Fact]
        public void TiesAreBrokenByHostNameSoTheOrderIsStable()
        {
            var ranked = DestinationRanking.Rank(new[]
            {
                Report("compute3", canMigrate: true, freeMemoryAfter: 2048),
                Report("compute10", canMigrate: true, freeMemoryAfter: 2048),
                Report("compute2", canMigrate: false, freeMemoryAfter: null),
                Report("compute1", canMigrate: false, freeMemoryAfter: null),
            });

            Assert.Equal(new[] { "compute10", "compute3", "compute1", "compute2" }, ranked.Select(r => r.DestinationHost));
            Assert.Empty(DestinationRanking.Rank(Array.Empty<MigrationCheckReport>()));
        }
    }
}
