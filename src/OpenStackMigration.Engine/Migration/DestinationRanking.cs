using System;
using System.Collections.Generic;
using System.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.Migration
{
    /// <summary>Which destination to prefer when Test-OSMigrationTarget checks every candidate host: a pure ordering of the reports.</summary>
    public static class DestinationRanking
    {
        /// <summary>
        /// Hosts that can take the instance first; among them the one with most free RAM after the move on
        /// top (unknown free RAM last); ties by host name, so the order is the same on every run.
        /// </summary>
        public static IReadOnlyList<MigrationCheckReport> Rank(IEnumerable<MigrationCheckReport> reports) =>
            reports
                .OrderByDescending(r => r.CanMigrate)
                .ThenByDescending(r => r.FreeMemoryMBAfter ?? long.MinValue)
                .ThenBy(r => r.DestinationHost, StringComparer.Ordinal)
                .ToList();
    }
}
