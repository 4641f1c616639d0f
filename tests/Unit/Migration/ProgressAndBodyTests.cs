#nullable enable
using System;
using System.Linq;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    public class ProgressTrackerTests
    {
        private const long MiB = 1024 * 1024;
        private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

        private static MigrationRecord Memory(long processed, long remaining, long total = 512 * MiB) =>
            new MigrationRecord { Status = "running", MemoryTotalBytes = total, MemoryProcessedBytes = processed, MemoryRemainingBytes = remaining, DiskTotalBytes = 0, DiskProcessedBytes = 0, DiskRemainingBytes = 0 };

        [Fact]
        public void ReadsTheLabsByteCounters()
        {
            var record = Fixtures.RunningWithCounters();
            var snapshot = new ProgressTracker(TimeSpan.FromSeconds(10)).Update(T0, record);

            // 512 MiB total, 192 MiB remaining: 62 % copied.
            Assert.Equal(62, snapshot.Percent);
            Assert.Null(snapshot.BytesPerSecond);
            Assert.Equal(-1, snapshot.SecondsRemaining);
            Assert.Contains("memory 320 MiB of 512 MiB", snapshot.Status);
        }

        [Fact]
        public void RateAndTimeLeftComeFromTheProcessedBytes()
        {
            var tracker = new ProgressTracker(TimeSpan.FromSeconds(10));
            tracker.Update(T0, Memory(100 * MiB, 412 * MiB));
            var snapshot = tracker.Update(T0.AddSeconds(2), Memory(300 * MiB, 212 * MiB));

            Assert.Equal(100 * MiB, snapshot.BytesPerSecond);
            Assert.Equal(3, snapshot.SecondsRemaining);
            Assert.Equal(58, snapshot.Percent);
            Assert.False(snapshot.NotConverging);
            Assert.Contains("100 MiB/s", snapshot.Status);
        }

        [Fact]
        public void DiskAndMemoryAddUp()
        {
            var record = new MigrationRecord { Status = "running", MemoryTotalBytes = 100, MemoryRemainingBytes = 100, DiskTotalBytes = 300, DiskRemainingBytes = 0, DiskProcessedBytes = 300 };
            Assert.Equal(75, new ProgressTracker(TimeSpan.FromSeconds(10)).Update(T0, record).Percent);
        }

        [Fact]
        public void MemoryHoveringNearTheEndIsNotConverging()
        {
            // The lab's held migration: remaining drops to ~5 %, then bounces between 1 % and 5 % for ever.
            var tracker = new ProgressTracker(TimeSpan.FromSeconds(10));
            var total = 512 * MiB;
            var processed = 0L;
            ProgressSnapshot? last = null;
            var bounce = new[] { 0.04, 0.02, 0.05, 0.03, 0.015, 0.045, 0.025, 0.035 };
            for (var i = 0; i < 30; i++)
            {
                processed += 50 * MiB;
                var remaining = i < 5 ? total - (i * 100 * MiB) : (long)(bounce[i % bounce.Length] * total);
                last = tracker.Update(T0.AddSeconds(i), Memory(processed, Math.Max(0, remaining), total));
                if (i < 14)
                {
                    Assert.False(last.NotConverging, $"not yet at poll {i}");
                }
            }

            Assert.True(last!.NotConverging);
            Assert.Contains("not converging", last.Status);
        }

        [Fact]
        public void TheLabsHeldMigrationIsNotConverging()
        {
            // memory_remaining in MiB read every 0.5 s from the lab with hold-migrations on.
            // It hovers like that for ever: the hover is replayed to cover more than one 10 s window.
            var copied = new[] { 448.0, 384, 320, 256, 192, 128, 64 };
            var hover = new[] { 31.9, 33.1, 12.2, 18.7, 15.7, 14.1, 21.7, 6.8, 7.5, 16.3, 6.5, 10.9, 24.9, 31, 25.5, 28.4, 30.1 };
            var seen = copied.Concat(hover).Concat(hover).ToList();
            var tracker = new ProgressTracker(TimeSpan.FromSeconds(10));
            var verdicts = seen.Select((left, i) => tracker.Update(T0.AddSeconds(i * 0.5), Memory((i + 1) * 64 * MiB, (long)(left * MiB))).NotConverging).ToList();

            // Not judged before one window of readings; flagged on every reading of the replayed hover.
            Assert.DoesNotContain(true, verdicts.Take(20));
            Assert.All(verdicts.Skip(copied.Length + hover.Length), Assert.True);
        }

        [Fact]
        public void SteadyProgressNeverWarns()
        {
            var tracker = new ProgressTracker(TimeSpan.FromSeconds(2));
            for (var i = 0; i < 20; i++)
            {
                Assert.False(tracker.Update(T0.AddSeconds(i), Memory(i * 25 * MiB, (512 - (i * 25)) * MiB)).NotConverging);
            }
        }

        [Fact]
        public void PollingIsFastAtFirstAndNearTheEnd()
        {
            var options = new MigrationWatchOptions();
            Assert.Equal(TimeSpan.FromSeconds(0.5), options.NextInterval(TimeSpan.FromSeconds(5), -1));
            Assert.Equal(TimeSpan.FromSeconds(2), options.NextInterval(TimeSpan.FromMinutes(10), -1));
            Assert.Equal(TimeSpan.FromSeconds(0.5), options.NextInterval(TimeSpan.FromMinutes(10), 3));
            var middle = options.NextInterval(TimeSpan.FromSeconds(75), -1);
            Assert.True(middle > TimeSpan.FromSeconds(0.5) && middle < TimeSpan.FromSeconds(2));
        }
    }

    public class RequestBodyTests
    {
        private static JObject Live(string version, string? host, BlockMigrationMode mode, bool localDisks = true) =>
            (JObject)NovaClient.LiveMigrateBody(Microversion.Parse(version)!, host, mode, localDisks)["os-migrateLive"]!;

        [Fact]
        public void From225BlockMigrationMayBeAutoAndDiskOverCommitIsGone()
        {
            var body = Live("2.68", "compute2", BlockMigrationMode.Auto);
            Assert.Equal("compute2", (string?)body["host"]);
            Assert.Equal("auto", (string?)body["block_migration"]);
            Assert.Null(body["disk_over_commit"]);
            Assert.Null(body["force"]);
            Assert.Equal("auto", (string?)Live("2.25", "compute2", BlockMigrationMode.Auto)["block_migration"]);
            Assert.True((bool)Live("2.30", "compute2", BlockMigrationMode.Always)["block_migration"]!);
            Assert.False((bool)Live("2.93", "compute2", BlockMigrationMode.Never)["block_migration"]!);
        }

        [Fact]
        public void NeverSendsForceSoTheSchedulerStillChecksTheHost()
        {
            foreach (var version in new[] { "2.1", "2.29", "2.30", "2.67", "2.68", "2.93" })
            {
                Assert.Null(Live(version, "compute2", BlockMigrationMode.Auto)["force"]);
            }
        }

        [Fact]
        public void Before225AutoIsDecidedFromTheStorage()
        {
            var local = Live("2.24", "compute2", BlockMigrationMode.Auto, localDisks: true);
            Assert.True((bool)local["block_migration"]!);
            Assert.False((bool)local["disk_over_commit"]!);
            Assert.False((bool)Live("2.1", "compute2", BlockMigrationMode.Auto, localDisks: false)["block_migration"]!);
        }

        [Fact]
        public void NoHostLetsTheSchedulerPick()
        {
            Assert.Equal(JTokenType.Null, Live("2.68", null, BlockMigrationMode.Auto)["host"]!.Type);
            Assert.Equal(JTokenType.Null, NovaClient.MigrateBody(null)["migrate"]!.Type);
            Assert.Equal("compute3", (string?)NovaClient.MigrateBody("compute3")["migrate"]!["host"]);
        }
    }
}
