#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>The evacuation of a failed host against a scripted Nova on a fake clock: the fencing check, losses, the throttle, verdicts, the breaker, resume.</summary>
    public sealed class HostEvacuationTests : IDisposable
    {
        private readonly TempDir _folder = new TempDir();

        private string StatePath => _folder.File("scripted-compute4-evacuation.json");

        public void Dispose() => _folder.Dispose();

        [Fact]
        public async Task AHostThatIsUpIsRefusedAndNothingIsChanged()
        {
            var cloud = new EvacuationCloud { State = ServiceState.Up };
            cloud.Add("vm1");

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => Run(cloud, Request(forceDown: true)));

            Assert.Equal("OSHostNotDown", e.ErrorId);
            Assert.Contains("Start-OSHostMaintenance", e.RecommendedAction);
            Assert.False(cloud.ForcedDown);
            Assert.Empty(cloud.Evacuated);
            Assert.False(File.Exists(StatePath));
        }

        [Fact]
        public async Task AHostThatIsDownButNotFencedIsRefusedWithoutForceDown()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("vm1");

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => Run(cloud, Request(forceDown: false)));

            Assert.Equal("OSHostNotFenced", e.ErrorId);
            Assert.Contains("-ForceDown", e.RecommendedAction);
            Assert.Contains("last report was 2026-11-26 07:58:00Z", e.Message);
            Assert.False(cloud.ForcedDown);
            Assert.Empty(cloud.Evacuated);
            Assert.False(File.Exists(StatePath));
        }

        [Fact]
        public async Task ForceDownMarksTheServiceThenRebuildsEachEvacuableInstanceElsewhereWithAVerdict()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("vm1");
            cloud.Add("stopped", status: "SHUTOFF");
            cloud.Add("broken", status: "ERROR");
            cloud.Add("paused", status: "PAUSED");

            var report = await Run(cloud, Request(forceDown: true));

            Assert.True(cloud.ForcedDown);
            Assert.True(report.ForcedDownByUs);
            Assert.Equal(new[] { "broken", "stopped", "vm1" }, cloud.Evacuated.OrderBy(n => n));
            foreach (var name in new[] { "vm1", "stopped", "broken" })
            {
                var record = report.Instances.Single(r => r.InstanceName == name);
                Assert.Equal(EvacuationOutcome.Evacuated, record.Outcome);
                Assert.Equal(cloud.Server(name).HostName, record.CurrentHost);
                Assert.NotEqual("compute4", record.CurrentHost);
                Assert.Equal("done", record.MigrationStatus);
                Assert.Equal("req-evacuate-" + name, record.RequestId);
            }

            var paused = report.Instances.Single(r => r.InstanceName == "paused");
            Assert.Equal(EvacuationOutcome.Refused, paused.Outcome);
            Assert.Contains("It is PAUSED; Nova evacuates only ACTIVE, SHUTOFF and ERROR instances", paused.Reason);
            Assert.False(report.IsEmpty);
            Assert.Equal(new[] { "paused (PAUSED)" }, report.RemainingInstances);
            Assert.Equal(1, report.Runs);
        }

        [Fact]
        public async Task EachInstanceSaysWhatTheRebuildLoses()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("local", ephemeralGb: 2, swapMb: 512);
            cloud.Add("onvolume", volumeBacked: true);
            cloud.Add("off", status: "SHUTOFF", volumeBacked: true);

            var plan = await new HostEvacuation(cloud, () => cloud.Now, cloud.Delay).PlanAsync(Request(forceDown: true), new CollectingSink(), CancellationToken.None);

            var local = plan.Instances.Single(r => r.InstanceName == "local");
            Assert.Equal(
                new[]
                {
                    "its memory and running processes (it is rebuilt and booted afresh)",
                    "its local root disk (1 GB): rebuilt from image img-cirros unless the instances directory is on shared storage",
                    "its ephemeral disk (2 GB): rebuilt empty unless on shared storage",
                    "its swap (512 MB): rebuilt empty",
                },
                local.Loses);
            Assert.Equal(new[] { "its memory and running processes (it is rebuilt and booted afresh)" }, plan.Instances.Single(r => r.InstanceName == "onvolume").Loses);
            Assert.Empty(plan.Instances.Single(r => r.InstanceName == "off").Loses);
            Assert.All(plan.Instances, r => Assert.Equal(EvacuationOutcome.Pending, r.Outcome));
            Assert.False(cloud.ForcedDown);
            Assert.Empty(cloud.Evacuated);
        }

        [Fact]
        public async Task AnInstanceNamedThatIsNotOnTheHostIsRefusedBeforeAnythingChanges()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("vm1");
            var request = Request(forceDown: true);
            request.Instances = new[] { "vm1", "nosuch" };

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new HostEvacuation(cloud, () => cloud.Now, cloud.Delay).PlanAsync(request, new CollectingSink(), CancellationToken.None));

            Assert.Equal("OSInstanceNotFound", e.ErrorId);
            Assert.Contains("'nosuch'", e.Message);
            Assert.False(cloud.ForcedDown);
        }

        [Fact]
        public async Task NoMoreThanTheThrottleLimitRebuildAtOnce()
        {
            // Rebuilds far longer than a poll (600 of them; the fake clock runs ahead while a worker waits, more so on a
            // loaded machine): every worker that may start one has started it before the first lands.
            var cloud = new EvacuationCloud { RebuildTime = TimeSpan.FromMinutes(20) };
            for (var i = 1; i <= 6; i++)
            {
                cloud.Add("vm" + i);
            }

            var request = Request(forceDown: true);
            request.ThrottleLimit = 2;
            var report = await Run(cloud, request);

            Assert.Equal(6, report.EvacuatedCount);
            Assert.Equal(2, cloud.MaxInFlight);
        }

        [Fact]
        public async Task AFailedRebuildIsFailedWithNovasFaultAndTheBreakerStopsNewOnes()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("bad1");
            cloud.Add("bad2");
            cloud.Add("good1");
            cloud.Add("good2");
            cloud.Failures["bad1"] = "No valid host was found. There are not enough hosts available.";
            cloud.Failures["bad2"] = "No valid host was found. There are not enough hosts available.";
            var request = Request(forceDown: true);
            request.ThrottleLimit = 1;
            request.MaxFailures = 2;

            var report = await Run(cloud, request);

            var bad = report.Instances.Single(r => r.InstanceName == "bad1");
            Assert.Equal(EvacuationOutcome.Failed, bad.Outcome);
            Assert.Equal("ERROR", bad.StatusAfter);
            Assert.Equal("compute4", bad.CurrentHost);
            Assert.Contains("Nova's fault: No valid host was found", bad.Reason);
            Assert.Contains("request id req-evacuate-bad1", bad.Reason);
            Assert.Equal("error", bad.MigrationStatus);
            Assert.True(report.BreakerTripped);
            Assert.Equal(new[] { "bad1", "bad2" }, cloud.Evacuated);
            Assert.All(report.Instances.Where(r => r.InstanceName.StartsWith("good", StringComparison.Ordinal)), r =>
            {
                Assert.Equal(EvacuationOutcome.NotStarted, r.Outcome);
                Assert.StartsWith("Not started: 2 evacuation(s) failed", r.Reason);
            });
        }

        [Fact]
        public async Task NovasRefusalOfOneInstanceIsItsVerdictAndTheOthersGoOn()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("vm1");
            cloud.Add("vm2");
            cloud.Refusals["vm1"] = "Cannot 'evacuate' instance vm1 while it is in task_state rebuilding";

            var report = await Run(cloud, Request(forceDown: true));

            var vm1 = report.Instances.Single(r => r.InstanceName == "vm1");
            Assert.Equal(EvacuationOutcome.Failed, vm1.Outcome);
            Assert.StartsWith("Nova refused the evacuation: Cannot 'evacuate' instance vm1", vm1.Reason);
            Assert.Equal(EvacuationOutcome.Evacuated, report.Instances.Single(r => r.InstanceName == "vm2").Outcome);
        }

        [Fact]
        public async Task ARerunWaitsForARebuildAskedForByTheKilledRunInsteadOfAskingTwice()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("vm1");
            cloud.Add("vm2");
            cloud.RebuildTime = TimeSpan.FromSeconds(30);

            // The first run is killed while vm1 rebuilds: its state file says InFlight, Nova says rebuilding.
            var request = Request(forceDown: true);
            request.Instances = new[] { "vm1" };
            request.Timeout = TimeSpan.FromSeconds(4);
            var first = await Run(cloud, request);
            Assert.Equal(EvacuationOutcome.TimedOut, first.Instances.Single().Outcome);
            Assert.Equal("rebuilding", cloud.Server("vm1").TaskState);

            var report = await Run(cloud, Request(forceDown: false));

            Assert.Equal(new[] { "vm1", "vm2" }, cloud.Evacuated.OrderBy(n => n));
            Assert.Equal(1, cloud.EvacuateCalls("vm1"));
            Assert.Equal(2, report.Runs);
            Assert.True(report.IsEmpty);
            Assert.All(report.Instances, r => Assert.Equal(EvacuationOutcome.Evacuated, r.Outcome));
            Assert.Equal(1, report.Instances.Single(r => r.InstanceName == "vm1").Attempts);
        }

        [Fact]
        public async Task ARerunRetriesWhatFailedAndKeepsWhatWasEvacuated()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("vm1");
            cloud.Add("vm2");
            cloud.Failures["vm1"] = "Exceeded maximum number of retries.";
            var first = await Run(cloud, Request(forceDown: true));
            Assert.Equal(EvacuationOutcome.Failed, first.Instances.Single(r => r.InstanceName == "vm1").Outcome);

            cloud.Failures.Clear();
            var report = await Run(cloud, Request(forceDown: false));

            Assert.Equal(2, cloud.EvacuateCalls("vm1"));
            Assert.Equal(1, cloud.EvacuateCalls("vm2"));
            Assert.Equal(2, report.Instances.Single(r => r.InstanceName == "vm1").Attempts);
            Assert.All(report.Instances, r => Assert.Equal(EvacuationOutcome.Evacuated, r.Outcome));
        }

        [Fact]
        public async Task AStateFileOfAnotherHostIsRefused()
        {
            var cloud = new EvacuationCloud();
            cloud.Add("vm1");
            MaintenanceStateStore.SaveEvacuation(StatePath, new HostEvacuationReport { HostName = "compute9", CloudName = "scripted" });

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => Run(cloud, Request(forceDown: true)));

            Assert.Equal("OSMaintenanceStateMismatch", e.ErrorId);
            Assert.False(cloud.ForcedDown);
            Assert.Empty(cloud.Evacuated);
        }

        private HostEvacuationRequest Request(bool forceDown) => new HostEvacuationRequest { HostName = "compute4", ForceDown = forceDown, ThrottleLimit = 3, StatePath = StatePath };

        private static Task<HostEvacuationReport> Run(EvacuationCloud cloud, HostEvacuationRequest request) =>
            new HostEvacuation(cloud, () => cloud.Now, cloud.Delay).RunAsync(request, _ => { }, new CollectingSink(), CancellationToken.None);
    }
}
