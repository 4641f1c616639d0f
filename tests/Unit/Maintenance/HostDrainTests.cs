#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>The drain against a scripted cloud on a fake clock: fresh runs, resumed runs, the throttle, failures, later rounds.</summary>
    public sealed class HostDrainTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "osm-drain-" + Guid.NewGuid().ToString("N"));

        private string StatePath => Path.Combine(_folder, "scripted-compute2.json");

        public void Dispose()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }

        [Fact]
        public async Task AFreshDrainDisablesTheHostMovesEverythingAndSavesEachInstanceAsItSettles()
        {
            var cloud = new ScriptedCloud();
            foreach (var name in new[] { "vm1", "vm2", "vm3", "vm4" })
            {
                cloud.Add(name, "compute2");
            }

            cloud.Add("neighbour", "compute1");
            var inFileWhenSettled = new List<MaintenanceOutcome>();

            var report = await Run(cloud, Request(), record =>
            {
                lock (inFileWhenSettled)
                {
                    inFileWhenSettled.Add(MaintenanceStateStore.Load(StatePath)!.Instances.Single(r => r.InstanceId == record.InstanceId).Outcome);
                }
            });

            var service = cloud.Service("compute2");
            Assert.Equal(ServiceStatus.Disabled, service.Status);
            Assert.Equal("BIOS update", service.DisabledReason);
            Assert.True(report.IsEmpty);
            Assert.Equal(4, report.MovedCount);
            Assert.Equal(new[] { "vm1", "vm2", "vm3", "vm4" }, cloud.Migrated.OrderBy(n => n));
            foreach (var record in report.Instances)
            {
                Assert.Equal(MaintenanceOutcome.Moved, record.Outcome);
                Assert.Equal(MigrationVerdict.Succeeded, record.Verdict);
                Assert.Equal(cloud.Server(record.InstanceName).HostName, record.CurrentHost);
                Assert.Equal(record.PlannedHost, record.CurrentHost);
                Assert.Contains(record.CurrentHost, new[] { "compute1", "compute3" });
                Assert.Equal(1, record.Attempts);
            }

            Assert.Equal(Enumerable.Repeat(MaintenanceOutcome.Moved, 4), inFileWhenSettled);
            var saved = MaintenanceStateStore.Load(StatePath)!;
            Assert.Equal("scripted", saved.CloudName);
            Assert.Equal(1, saved.Runs);
            Assert.True(saved.IsEmpty);
            Assert.Equal(ScriptedCloud.Start, saved.StartedAt);
            Assert.Equal(cloud.Now, saved.FinishedAt);
            Assert.All(saved.Instances, r => Assert.Equal(MaintenanceOutcome.Moved, r.Outcome));
        }

        [Fact]
        public async Task AResumedDrainAsksNovaWhereEachInstanceIsWaitsForTheBusyOneAndMovesNothingTwice()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("done", "compute1");
            cloud.Add("running", "compute2");
            cloud.Running("running", "compute3", ScriptedCloud.Start.AddMinutes(-1), TimeSpan.FromSeconds(20));
            cloud.Add("busy", "compute2", task: "rebooting", busyFor: TimeSpan.FromSeconds(40));
            cloud.Add("unasked", "compute2");
            cloud.Add("waiting", "compute2");
            Directory.CreateDirectory(_folder);
            MaintenanceStateStore.Save(StatePath, new HostMaintenanceReport
            {
                HostName = "compute2",
                CloudName = "scripted",
                Reason = "BIOS update",
                StartedAt = ScriptedCloud.Start.AddMinutes(-5),
                Runs = 1,
                Instances =
                {
                    Recorded("done", MaintenanceOutcome.Moved, "compute1", attempts: 1, started: ScriptedCloud.Start.AddMinutes(-4), reason: "Moved by the first run."),
                    Recorded("running", MaintenanceOutcome.InFlight, "compute3", attempts: 1, started: ScriptedCloud.Start.AddMinutes(-1)),
                    Recorded("busy", MaintenanceOutcome.Pending, "compute1", attempts: 0),

                    // Marked in flight, then stopped before Nova was asked: Nova has no migration action for it.
                    Recorded("unasked", MaintenanceOutcome.InFlight, "compute1", attempts: 1, started: ScriptedCloud.Start.AddSeconds(-30)),
                    Recorded("waiting", MaintenanceOutcome.Pending, "compute3", attempts: 0),
                },
            });

            var report = await Run(cloud, Request());

            Assert.Equal(2, report.Runs);
            Assert.True(report.IsEmpty);
            Assert.Equal(5, report.MovedCount);
            Assert.Contains("running", cloud.Reads);
            Assert.Equal(new[] { "busy", "unasked", "waiting" }, cloud.Migrated.OrderBy(n => n));
            Assert.Equal(0, cloud.Conflicts);
            Assert.True(cloud.Now >= ScriptedCloud.Start.AddSeconds(40), "the busy instance was waited for");
            Assert.All(report.Instances, r => Assert.Equal(1, r.Attempts));
            Assert.All(report.Instances, r => Assert.Equal(cloud.Server(r.InstanceName).HostName, r.CurrentHost));
            var running = report.Instances.Single(r => r.InstanceName == "running");
            Assert.Equal(MaintenanceOutcome.Moved, running.Outcome);
            Assert.Equal("compute3", running.CurrentHost);
            Assert.StartsWith("Found on compute3 (ACTIVE) when resuming", running.Reason);
            Assert.DoesNotContain("done", cloud.Reads);
            Assert.Equal("Moved by the first run.", report.Instances.Single(r => r.InstanceName == "done").Reason);
            Assert.Equal(2, MaintenanceStateStore.Load(StatePath)!.Runs);
        }

        [Fact]
        public async Task NoMoreThanThrottleLimitMigrationsAreEverInFlightInNovaOrInTheStateFile()
        {
            // A minute per migration: the first one is still running (many polls later) when the throttle is full.
            var cloud = new ScriptedCloud { MigrationTime = TimeSpan.FromMinutes(1) };
            for (var i = 1; i <= 8; i++)
            {
                cloud.Add($"vm{i}", "compute2");
            }

            var mostInFile = 0;
            cloud.OnMigrate = _ =>
            {
                var inFile = MaintenanceStateStore.Load(StatePath)!.Instances.Count(r => r.Outcome == MaintenanceOutcome.InFlight);
                lock (cloud)
                {
                    mostInFile = Math.Max(mostInFile, inFile);
                }
            };

            var report = await Run(cloud, Request(throttle: 3));

            Assert.Equal(8, report.MovedCount);
            Assert.Equal(3, cloud.MaxInFlight);
            Assert.InRange(mostInFile, 1, 3);
        }

        [Fact]
        public async Task APlaceIsFreedOnlyWhenTheSourceIsDoneWithTheMigrationAsNovasRecordSays()
        {
            // The instance runs on the destination at once, but Nova's record says running for 4 more seconds (the
            // source host cleans up): a throttle freeing its place on the instance alone has one more on the source.
            var cloud = new ScriptedCloud { SourceCleanup = TimeSpan.FromSeconds(4) };
            for (var i = 1; i <= 8; i++)
            {
                cloud.Add($"vm{i}", "compute2");
            }

            var sink = new CollectingSink();
            var report = await Run(cloud, Request(throttle: 3), sink: sink);

            Assert.Equal(8, report.MovedCount);
            Assert.Equal(3, cloud.MaxInFlight);
            Assert.Contains(sink.Verbose, v => v.Contains("is completed; its place under the throttle is free", StringComparison.Ordinal));
        }

        [Fact]
        public async Task ALaterRoundWaitsUntilTheSourceIsDoneWithTheLastRoundsMigrations()
        {
            // Round 1's two migrations end together, with nobody waiting for their places; the source cleans up for
            // 4 s more. Round 2 (instances that appeared meanwhile) must not start on top of them.
            var cloud = new ScriptedCloud { SourceCleanup = TimeSpan.FromSeconds(4) };
            cloud.Add("vm1", "compute2");
            cloud.Add("vm2", "compute2");
            cloud.OnMigrate = name =>
            {
                if (name == "vm1")
                {
                    cloud.Add("late1", "compute2");
                    cloud.Add("late2", "compute2");
                }
            };

            var report = await Run(cloud, Request(throttle: 2));

            Assert.Equal(4, report.MovedCount);
            Assert.Equal(2, cloud.MaxInFlight);
        }

        [Fact]
        public async Task TheLastRoundsMigrationsAreFinalInNovasRecordsWhenTheDrainEndsAtMaxRounds()
        {
            // One round only: nothing after it would wait for the source's clean-up, yet the host is called empty and a
            // rolling maintenance restarts it next.
            var cloud = new ScriptedCloud { SourceCleanup = TimeSpan.FromSeconds(4) };
            cloud.Add("vm1", "compute2");
            cloud.Add("vm2", "compute2");
            var request = Request(throttle: 2);
            request.MaxRounds = 1;

            var report = await Run(cloud, request);

            Assert.Equal(2, report.MovedCount);
            Assert.Equal(0, cloud.InFlight);
        }

        [Fact]
        public async Task APlaceIsFreedAfterTheSettleLimitWhenNovasRecordStaysRunning()
        {
            // A host of many nodes keeps the record running for minutes: the place is freed after the limit anyway.
            var cloud = new ScriptedCloud { SourceCleanup = TimeSpan.FromMinutes(10) };
            for (var i = 1; i <= 4; i++)
            {
                cloud.Add($"vm{i}", "compute2");
            }

            var sink = new CollectingSink();
            var report = await Run(cloud, Request(throttle: 2), sink: sink);

            Assert.Equal(4, report.MovedCount);
            Assert.Contains(sink.Verbose, v => v.Contains("is still 'running' 20 s after the instance moved", StringComparison.Ordinal));
            Assert.True(cloud.Now - ScriptedCloud.Start < TimeSpan.FromMinutes(10), "the drain waited for the record instead of the limit");
        }

        [Fact]
        public async Task AFailedMigrationIsRecordedWithNovasReasonAndNotRetriedInALaterRound()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("vm1", "compute2");
            cloud.Add("vm2", "compute2");
            cloud.Failures["vm2"] = "Live migration of vm2 failed: the destination refused the memory copy.";
            var sink = new CollectingSink();

            var report = await Run(cloud, Request(), sink: sink);

            var failed = report.Instances.Single(r => r.InstanceName == "vm2");
            Assert.Equal(MaintenanceOutcome.Failed, failed.Outcome);
            Assert.Equal(MigrationVerdict.Failed, failed.Verdict);
            Assert.Equal("compute2", failed.CurrentHost);
            Assert.Contains("failed: Live migration of vm2 failed: the destination refused the memory copy. (event compute_live_migration on compute2)", failed.Reason);
            Assert.NotNull(failed.RequestId);
            Assert.Equal(1, cloud.Migrated.Count(n => n == "vm2"));
            Assert.Equal(MaintenanceOutcome.Moved, report.Instances.Single(r => r.InstanceName == "vm1").Outcome);
            Assert.False(report.IsEmpty);
            Assert.Equal(new[] { "vm2 (ACTIVE)" }, report.RemainingInstances);
            Assert.Contains(sink.Warnings, w => w.StartsWith("vm2 stays on compute2: The live migration of vm2 to compute", StringComparison.Ordinal));
            Assert.Equal(failed.Reason, MaintenanceStateStore.Load(StatePath)!.Instances.Single(r => r.InstanceName == "vm2").Reason);
        }

        [Fact]
        public async Task AMigrationThatLeavesTheInstanceInErrorKeepsNovasReasonThroughTheLaterRounds()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("vm1", "compute2");
            cloud.Add("vm2", "compute2");
            cloud.Failures["vm2"] = "Unexpected error while copying the disk of vm2.";
            cloud.FailToError.Add("vm2");
            var sink = new CollectingSink();

            var report = await Run(cloud, Request(), sink: sink);

            var failed = report.Instances.Single(r => r.InstanceName == "vm2");
            Assert.Equal(MaintenanceOutcome.Failed, failed.Outcome);
            Assert.Equal(MigrationVerdict.Failed, failed.Verdict);
            Assert.Contains("failed: Unexpected error while copying the disk of vm2.", failed.Reason);
            Assert.Equal("ERROR", failed.InstanceStatus);
            Assert.Single(sink.Warnings, w => w.StartsWith("vm2 stays on compute2", StringComparison.Ordinal));
            Assert.Equal(new[] { "vm2 (ERROR)" }, report.RemainingInstances);
        }

        [Fact]
        public async Task AnInstanceNoDestinationCanTakeIsReportedOnceWhateverTheRounds()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("vm1", "compute2");
            cloud.Add("off", "compute2", status: ServerStatus.Shutoff);
            var sink = new CollectingSink();

            var report = await Run(cloud, Request(), sink: sink);

            Assert.Equal(MaintenanceOutcome.Unplaceable, report.Instances.Single(r => r.InstanceName == "off").Outcome);
            Assert.Single(sink.Warnings, w => w.StartsWith("off stays on compute2", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData(3, true)]
        [InlineData(1, false)]
        public async Task ALaterRoundPicksUpAnInstanceThatAppearedMidRunWithinMaxRounds(int maxRounds, bool movedLate)
        {
            var cloud = new ScriptedCloud();
            cloud.Add("vm1", "compute2");
            cloud.Add("vm2", "compute2");
            cloud.OnMigrate = name =>
            {
                if (name == "vm1")
                {
                    cloud.Add("late", "compute2");
                }
            };
            var request = Request();
            request.MaxRounds = maxRounds;

            var report = await Run(cloud, request);

            Assert.Equal(movedLate, report.IsEmpty);
            Assert.Equal(movedLate, cloud.Migrated.Contains("late"));
            var late = report.Instances.Single(r => r.InstanceName == "late");
            if (movedLate)
            {
                Assert.Equal(MaintenanceOutcome.Moved, late.Outcome);
                Assert.Equal(3, report.MovedCount);
            }
            else
            {
                Assert.Equal(MaintenanceOutcome.Failed, late.Outcome);
                Assert.StartsWith("Still on compute2 (ACTIVE) at the end.", late.Reason);
                Assert.Equal(new[] { "late (ACTIVE)" }, report.RemainingInstances);
            }
        }

        [Fact]
        public async Task AnInstanceBusyForLongerThanBusyWaitIsWaitedForThatLongAndReported()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("vm1", "compute2");
            cloud.Add("stuck", "compute2", task: "rebooting", busyFor: TimeSpan.FromHours(1));
            var request = Request();
            request.BusyWait = TimeSpan.FromMinutes(1);

            var report = await Run(cloud, request);

            Assert.InRange(cloud.Now - ScriptedCloud.Start, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
            Assert.Equal(new[] { "vm1" }, cloud.Migrated);
            var stuck = report.Instances.Single(r => r.InstanceName == "stuck");
            Assert.Equal(MaintenanceOutcome.Unplaceable, stuck.Outcome);
            Assert.StartsWith("stuck is busy (task 'rebooting'): Nova moves no instance with a task in progress", stuck.Reason);
            Assert.False(report.IsEmpty);
        }

        private static MaintenanceInstanceRecord Recorded(string name, MaintenanceOutcome outcome, string host, int attempts, DateTimeOffset? started = null, string reason = "") => new MaintenanceInstanceRecord
        {
            Reason = reason,
            InstanceId = "id-" + name,
            InstanceName = name,
            Outcome = outcome,
            SourceHost = "compute2",
            PlannedHost = host,
            CurrentHost = outcome == MaintenanceOutcome.Moved ? host : "compute2",
            Verdict = outcome == MaintenanceOutcome.Moved ? MigrationVerdict.Succeeded : (MigrationVerdict?)null,
            Attempts = attempts,
            StartedAt = started,
        };

        private HostDrainRequest Request(int throttle = 2) => new HostDrainRequest
        {
            HostName = "compute2",
            Reason = "BIOS update",
            ThrottleLimit = throttle,
            StatePath = StatePath,
        };

        internal static Task<HostMaintenanceReport> Run(ScriptedCloud cloud, HostDrainRequest request, Action<MaintenanceInstanceRecord>? onSettled = null, CollectingSink? sink = null)
        {
            var drain = new HostDrain(cloud, new MigrationWatchOptions(), () => cloud.Now, cloud.Delay);
            return drain.RunAsync(request, onSettled ?? (_ => { }), sink ?? new CollectingSink(), CancellationToken.None);
        }
    }
}
