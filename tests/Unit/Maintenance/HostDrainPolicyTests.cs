#nullable enable
using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;
using static OpenStackMigration.Tests.Maintenance.HostDrainTests;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>The drain when things go wrong: the circuit breaker, anti-affinity groups, the non-live policy, a state file of another cloud.</summary>
    public sealed class HostDrainPolicyTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "osm-drain-policy-" + Guid.NewGuid().ToString("N"));

        private string StatePath => Path.Combine(_folder, "scripted-compute2.json");

        public void Dispose()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }

        [Fact]
        public async Task TheBreakerStartsNothingAfterMaxFailuresLeavesTheHostDisabledAndSaysWhatIsLeftAndWhy()
        {
            var cloud = new ScriptedCloud();
            foreach (var name in new[] { "vm1", "vm2", "vm3", "vm4", "vm5" })
            {
                cloud.Add(name, "compute2");
                cloud.Failures[name] = "Migration pre-check error: CPU doesn't have compatibility.";
            }

            var sink = new CollectingSink();
            var report = await Run(cloud, Request(throttle: 1, maxFailures: 2), sink: sink);

            Assert.Equal(2, cloud.Migrated.Count);
            Assert.True(report.BreakerTripped);
            Assert.Contains("after 2 failed migration(s) (-MaxFailures 2)", report.StopReason);
            Assert.Equal(ServiceStatus.Disabled, cloud.Service("compute2").Status);
            Assert.Equal(2, report.Instances.Count(r => r.Outcome == MaintenanceOutcome.Failed));
            var notStarted = report.Instances.Where(r => r.Outcome == MaintenanceOutcome.NotStarted).ToList();
            Assert.Equal(3, notStarted.Count);
            Assert.All(notStarted, r => Assert.Equal(0, r.Attempts));
            Assert.All(notStarted, r => Assert.StartsWith("Not started: The circuit breaker tripped", r.Reason));
            Assert.Equal(5, report.Left.Count);
            Assert.Contains(report.Left, l => l.StartsWith("vm", StringComparison.Ordinal) && l.Contains("Failed: ") && l.Contains("CPU doesn't have compatibility"));
            Assert.True(MaintenanceStateStore.Load(StatePath)!.BreakerTripped);
            Assert.Contains(sink.Warnings, w => w.StartsWith("The circuit breaker tripped", StringComparison.Ordinal));
        }

        [Fact]
        public async Task WithoutABreakerEveryFailureIsTriedAndTheRunEndsNormally()
        {
            var cloud = new ScriptedCloud();
            foreach (var name in new[] { "vm1", "vm2", "vm3" })
            {
                cloud.Add(name, "compute2");
                cloud.Failures[name] = "No valid host was found.";
            }

            var report = await Run(cloud, Request(throttle: 1, maxFailures: 0));

            Assert.Equal(3, cloud.Migrated.Count);
            Assert.False(report.BreakerTripped);
            Assert.Null(report.StopReason);
        }

        [Fact]
        public async Task MembersOfOneAntiAffinityGroupAreNeverInFlightTogetherWhileOthersUseTheThrottle()
        {
            var cloud = new ScriptedCloud("compute1", "compute2", "compute3", "compute4");
            foreach (var name in new[] { "a1", "a2", "a3", "x1", "x2" })
            {
                cloud.Add(name, "compute2");
            }

            cloud.Groups.Add(new ServerGroupInfo { Id = "g-anti", Name = "web", Policy = "anti-affinity", Members = new[] { "id-a1", "id-a2", "id-a3" } });

            var report = await Run(cloud, Request(throttle: 3));

            Assert.True(report.IsEmpty);
            var group = cloud.Windows.Where(w => w.Name.StartsWith("a", StringComparison.Ordinal)).OrderBy(w => w.Start).ToList();
            Assert.Equal(3, group.Count);
            for (var i = 1; i < group.Count; i++)
            {
                Assert.True(group[i].Start >= group[i - 1].End, $"{group[i].Name} started before {group[i - 1].Name} ended");
            }

            Assert.True(cloud.MaxInFlight >= 2, "the other instances still used the throttle");
            Assert.Equal(3, report.Instances.Where(r => r.InstanceName.StartsWith("a", StringComparison.Ordinal)).Select(r => r.CurrentHost).Distinct().Count());
        }

        [Fact]
        public async Task TheNextMemberOfAGroupStartsWhenTheLastOneHasMovedNotWhenTheSourceHasCleanedUp()
        {
            // The source cleans up for 19 s after each move, just under the settle limit: a member that waited for it
            // would never run beside the last one's clean-up. (The fake clock runs ahead while tasks wait, so the
            // figure is a count of overlaps, not a time.)
            var cloud = new ScriptedCloud("compute1", "compute2", "compute3", "compute4") { SourceCleanup = TimeSpan.FromSeconds(19) };
            foreach (var name in new[] { "a1", "a2", "a3" })
            {
                cloud.Add(name, "compute2");
            }

            cloud.Groups.Add(new ServerGroupInfo { Id = "g-anti", Name = "web", Policy = "anti-affinity", Members = new[] { "id-a1", "id-a2", "id-a3" } });

            var report = await Run(cloud, Request(throttle: 3));

            Assert.True(report.IsEmpty);
            var group = cloud.Windows.OrderBy(w => w.Start).ToList();
            for (var i = 1; i < group.Count; i++)
            {
                Assert.True(group[i].Start >= group[i - 1].End, $"{group[i].Name} started before {group[i - 1].Name} ended");
            }

            Assert.True(cloud.MaxInFlight >= 2, "every member waited for the source's clean-up of the last one, with places free under the throttle");
        }

        [Fact]
        public async Task FailPolicyRefusesTheDrainAndChangesNothing()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("up", "compute2");
            cloud.Add("off", "compute2", status: ServerStatus.Shutoff);
            var request = Request();
            request.NonLiveMigratable = NonLiveMigratablePolicy.Fail;

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => Run(cloud, request));

            Assert.Equal("OSMaintenanceNotLiveMigratable", e.ErrorId);
            Assert.Contains("off (id-off, ColdOnly): off is SHUTOFF", e.Message);
            Assert.Equal(ServiceStatus.Enabled, cloud.Service("compute2").Status);
            Assert.Empty(cloud.Migrated);
            Assert.False(File.Exists(StatePath));
        }

        [Fact]
        public async Task StopPolicyShutsDownTheRunningInstanceThatCannotMoveLiveAndMovesTheRest()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("plain", "compute2");
            cloud.Add("anti", "compute2");
            cloud.Add("buddy", "compute2");
            cloud.Groups.Add(new ServerGroupInfo { Id = "g-aff", Name = "db", Policy = "affinity", Members = new[] { "id-anti", "id-buddy" } });
            var request = Request();
            request.NonLiveMigratable = NonLiveMigratablePolicy.Stop;

            var report = await Run(cloud, request);

            Assert.Equal(new[] { "plain" }, cloud.Migrated);
            Assert.Equal(new[] { "anti", "buddy" }, cloud.Stopped.OrderBy(n => n));
            var stopped = report.Instances.Where(r => r.Outcome == MaintenanceOutcome.Stopped).ToList();
            Assert.Equal(2, stopped.Count);
            Assert.All(stopped, r => Assert.Equal("SHUTOFF", r.InstanceStatus));
            Assert.All(stopped, r => Assert.Contains("affinity group 'db' with 1 other member(s) on compute2", r.Reason));
        }

        [Fact]
        public async Task AStateFileOfAnotherCloudIsRefusedAndNothingIsChanged()
        {
            var cloud = new ScriptedCloud();
            cloud.Add("vm1", "compute2");
            Directory.CreateDirectory(_folder);
            MaintenanceStateStore.Save(StatePath, new HostMaintenanceReport { HostName = "compute2", CloudName = "other-cloud", Reason = "BIOS update", Runs = 1 });
            var before = File.ReadAllText(StatePath);

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => Run(cloud, Request()));

            Assert.Equal("OSMaintenanceStateOtherCloud", e.ErrorId);
            Assert.Contains("'other-cloud', not 'scripted'", e.Message);
            Assert.Equal(before, File.ReadAllText(StatePath));
            Assert.Equal(ServiceStatus.Enabled, cloud.Service("compute2").Status);
            Assert.Empty(cloud.Migrated);
        }

        [Fact]
        public async Task FailbackPutsEachMovedInstanceBackOnItsOriginUnderTheThrottleAndLeavesOnesMovedSince()
        {
            var cloud = new ScriptedCloud();
            foreach (var name in new[] { "vm1", "vm2", "vm3" })
            {
                cloud.Add(name, "compute2");
            }

            var report = await Run(cloud, Request(throttle: 1));
            Assert.Equal(3, report.MovedCount);
            var elsewhere = report.Instances.Single(r => r.InstanceName == "vm3");
            cloud.Running("vm3", elsewhere.CurrentHost == "compute1" ? "compute3" : "compute1", cloud.Now, TimeSpan.FromSeconds(1));
            await cloud.Delay(TimeSpan.FromSeconds(5), default);
            var service = cloud.Service("compute2");
            await cloud.SetServiceStatusAsync(service, true, null, new CollectingSink(), default);
            var sink = new CollectingSink();

            var drain = new HostDrain(cloud, new OpenStackMigration.Migration.MigrationWatchOptions(), () => cloud.Now, cloud.Delay);
            var results = await drain.FailbackAsync(Request(throttle: 1), sink, default);

            Assert.Equal(new[] { "vm1", "vm2" }, results.Select(r => r.InstanceName).OrderBy(n => n));
            Assert.All(results, r => Assert.Equal(MigrationVerdict.Succeeded, r.Verdict));
            Assert.Equal("compute2", cloud.Server("vm1").HostName);
            Assert.Equal("compute2", cloud.Server("vm2").HostName);
            Assert.NotEqual("compute2", cloud.Server("vm3").HostName);
            Assert.Contains(sink.Warnings, w => w.StartsWith("Failback: vm3 is on", StringComparison.Ordinal));
        }

        private HostDrainRequest Request(int throttle = 2, int maxFailures = 0) => new HostDrainRequest
        {
            HostName = "compute2",
            Reason = "BIOS update",
            ThrottleLimit = throttle,
            MaxFailures = maxFailures,
            StatePath = StatePath,
        };
    }
}
