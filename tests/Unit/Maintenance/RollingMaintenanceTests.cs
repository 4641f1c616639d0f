#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using Xunit;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>The rolling maintenance against a scripted cloud on a fake clock: order, bound, breaker, retries, resume, failback, plan, JUnit.</summary>
    public sealed class RollingMaintenanceTests : IDisposable
    {
        private static readonly string[] Hosts = { "compute1", "compute2", "compute3", "compute4" };
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "osm-rolling-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }

        private string StatePath => Path.Combine(_folder, "run.json");

        [Fact]
        public async Task OneHostAtATimeEachHostIsDrainedWorkedOnWaitedForAndEnabledBeforeTheNext()
        {
            var api = Lab();
            var worked = new List<(string Host, int Disabled, int OnHost)>();
            var request = Request(api, work: h =>
            {
                worked.Add((h, api.DisabledNow(), api.Cloud.ListHostInstancesAsync(h, NullSink.Instance, default).Result.Count));
                api.Restart(h, TimeSpan.FromSeconds(12));
                return null;
            });

            var (state, steps) = await Run(api, request);

            Assert.Equal(Hosts, worked.Select(w => w.Host));
            Assert.All(worked, w => Assert.Equal(1, w.Disabled));
            Assert.All(worked, w => Assert.Equal(0, w.OnHost));
            Assert.Equal(1, state.MaxHostsInMaintenance);
            Assert.Equal(1, api.MaxDisabled);
            Assert.All(Hosts, h => Assert.Equal(ServiceStatus.Enabled, api.Cloud.Service(h).Status));
            Assert.All(new[] { "a1", "a2", "b1", "c1" }, n => Assert.Equal("ACTIVE", api.Cloud.Server(n).StatusText));
            Assert.Equal(Hosts.Length * 8, steps.Count);
            Assert.Equal(
                new[] { RollingStep.Capacity, RollingStep.Disable, RollingStep.Drain, RollingStep.Work, RollingStep.WaitForCompute, RollingStep.HealthCheck, RollingStep.Enable, RollingStep.Failback },
                steps.Where(s => s.HostName == "compute2").Select(s => s.Step));
            var drain1 = steps.Single(s => s.HostName == "compute1" && s.Step == RollingStep.Drain);
            Assert.Equal(2, drain1.InstancesMoved);
            var wait = steps.Single(s => s.HostName == "compute1" && s.Step == RollingStep.WaitForCompute);
            Assert.True(wait.Duration >= TimeSpan.FromSeconds(12), $"waited {wait.Duration}");
            Assert.Equal(RollingStatus.Skipped, steps.Single(s => s.HostName == "compute1" && s.Step == RollingStep.HealthCheck).Status);
            Assert.All(state.Hosts, h => Assert.Equal(RollingStatus.Succeeded, h.Status));
            Assert.False(File.Exists(StatePath));

            // The pre-flight checks cache what they read: each host's drain has its own, so a host enabled since is not refused as disabled (found on the lab).
            Assert.True(api.FreshDrains >= Hosts.Length, $"{api.FreshDrains} drain APIs for {Hosts.Length} drains");
        }

        [Fact]
        public async Task TwoAtATimeNeverMoreThanTwoHostsAreOutAndAPeerInMaintenanceIsNoDestination()
        {
            var api = Lab();
            var request = Request(api, concurrency: 2);

            var (state, steps) = await Run(api, request);

            Assert.Equal(2, state.MaxHostsInMaintenance);
            Assert.True(api.MaxDisabled <= 2, $"{api.MaxDisabled} hosts were disabled at once");
            var capacity2 = steps.Single(s => s.HostName == "compute2" && s.Step == RollingStep.Capacity);
            Assert.DoesNotContain("compute1", capacity2.DestinationHosts!);
            Assert.All(Hosts, h => Assert.Equal(ServiceStatus.Enabled, api.Cloud.Service(h).Status));
        }

        [Fact]
        public async Task AComputeThatNeverReportsTripsTheBreakerAndStaysDisabledWhileTheRestIsNotStarted()
        {
            var api = Lab();
            var request = Request(api, work: h =>
            {
                if (h == "compute2") api.Kill(h);
                return null;
            });
            request.ComputeTimeout = TimeSpan.FromSeconds(60);

            var (state, steps) = await Run(api, request);

            var failed = steps.Single(s => s.Status == RollingStatus.Failed);
            Assert.Equal(("compute2", RollingStep.WaitForCompute, "OSRollingComputeNotReporting"), (failed.HostName, failed.Step, failed.ErrorId));
            Assert.True(failed.Duration >= TimeSpan.FromSeconds(60));
            Assert.Equal(ServiceStatus.Disabled, api.Cloud.Service("compute2").Status);
            Assert.Equal(ServiceStatus.Enabled, api.Cloud.Service("compute1").Status);
            Assert.True(state.Stopped);
            Assert.Equal(new[] { "compute3", "compute4" }, steps.Where(s => s.Status == RollingStatus.NotRun).Select(s => s.HostName));
            Assert.All(steps.Where(s => s.Status == RollingStatus.NotRun), s => Assert.Equal("OSRollingRunStopped", s.ErrorId));
            Assert.DoesNotContain(steps, s => (s.HostName == "compute3" || s.HostName == "compute4") && s.Status != RollingStatus.NotRun);
            Assert.Equal(ServiceStatus.Enabled, api.Cloud.Service("compute3").Status);
            Assert.True(File.Exists(StatePath));
        }

        [Fact]
        public async Task WithMaxFailedHostsOneTheRunGoesOnPastOneFailure()
        {
            var api = Lab();
            var request = Request(api, work: h => h == "compute2" ? throw new InvalidOperationException("apt-get failed") : null);
            request.MaxFailedHosts = 1;

            var (state, steps) = await Run(api, request);

            Assert.False(state.Stopped);
            var failed = steps.Single(s => s.Status == RollingStatus.Failed);
            Assert.Equal(("compute2", RollingStep.Work, "OSRollingWorkFailed"), (failed.HostName, failed.Step, failed.ErrorId));
            Assert.Contains("apt-get failed", failed.Message);
            Assert.Equal(new[] { RollingStatus.Succeeded, RollingStatus.Failed, RollingStatus.Succeeded, RollingStatus.Succeeded }, state.Hosts.Select(h => h.Status));
            Assert.Equal(ServiceStatus.Disabled, api.Cloud.Service("compute2").Status);
        }

        [Fact]
        public async Task ARetriedHostStartsAgainAtItsFailedStepAndDoesNotDrainTwice()
        {
            var api = Lab();
            var calls = new List<string>();
            var request = Request(api, work: h =>
            {
                calls.Add(h);
                return h == "compute1" && calls.Count(c => c == h) == 1 ? throw new InvalidOperationException("mirror unreachable") : null;
            });
            request.MaxRetriesPerHost = 1;
            var migrationsBefore = 0;

            var (state, steps) = await Run(api, request);

            Assert.Equal(new[] { "compute1", "compute1", "compute2", "compute3", "compute4" }, calls);
            Assert.All(state.Hosts, h => Assert.Equal(RollingStatus.Succeeded, h.Status));
            Assert.Single(steps, s => s.HostName == "compute1" && s.Step == RollingStep.Drain);
            Assert.Equal(new[] { (1, RollingStatus.Failed), (2, RollingStatus.Succeeded) }, steps.Where(s => s.HostName == "compute1" && s.Step == RollingStep.Work).Select(s => (s.Attempt, s.Status)));
            Assert.Equal(2, api.Cloud.Migrated.Count(n => n == "a1") - migrationsBefore);
        }

        [Fact]
        public async Task ARunKilledInTheWorkOfTheSecondHostIsResumedWithoutMovingAnythingTwice()
        {
            var whole = Lab();
            var wholeRequest = Request(whole);
            wholeRequest.StatePath = Path.Combine(_folder, "whole", "run.json");
            wholeRequest.DrainStatePath = h => Path.Combine(_folder, "whole", "drain-" + h + ".json");
            await Run(whole, wholeRequest);
            var expected = whole.Cloud.Migrated;

            var api = Lab();
            using var kill = new CancellationTokenSource();
            var request = Request(api, work: h =>
            {
                // The process dies while the work runs (a runbook worker restarted).
                if (h == "compute2")
                {
                    kill.Cancel();
                    kill.Token.ThrowIfCancellationRequested();
                }

                return null;
            });
            var ex = await Record.ExceptionAsync(() => Run(api, request, kill.Token));
            Assert.True(ex is OperationCanceledException, ex?.ToString() ?? "no exception");
            var interrupted = RollingStateStore.Load(StatePath)!;
            Assert.Equal(RollingStatus.Running, interrupted.Hosts[1].StepRecord(RollingStep.Work)!.Status);
            Assert.Equal(ServiceStatus.Disabled, api.Cloud.Service("compute2").Status);

            var worked = new List<string>();
            var rerun = Request(api, work: h => { worked.Add(h); return null; });
            var (state, steps) = await Run(api, rerun);

            Assert.Equal(new[] { "compute2", "compute3", "compute4" }, worked);
            Assert.Equal(expected, api.Cloud.Migrated);
            Assert.Equal(2, state.Runs);
            Assert.All(steps.Where(s => s.HostName == "compute1"), s => Assert.True(s.FromEarlierRun));
            Assert.True(steps.Single(s => s.HostName == "compute2" && s.Step == RollingStep.Drain).FromEarlierRun);
            Assert.All(Hosts, h => Assert.Equal(ServiceStatus.Enabled, api.Cloud.Service(h).Status));
        }

        [Fact]
        public async Task AHostTheOthersCannotAbsorbFailsItsCapacityCheckAndIsNeverDisabled()
        {
            var api = new RollingScriptedCloud("compute1", "compute2");
            api.Cloud.Add("a1", "compute1");
            var other = api.Cloud.Service("compute2");
            await api.Cloud.SetServiceStatusAsync(other, false, "someone else's", NullSink.Instance, default);

            var (state, steps) = await Run(api, Request(api, hosts: new[] { "compute1" }));

            var failed = steps.Single();
            Assert.Equal((RollingStep.Capacity, RollingStatus.Failed, "OSRollingCapacityShort"), (failed.Step, failed.Status, failed.ErrorId));
            Assert.Equal(512, failed.MemoryNeededMB);
            Assert.Empty(failed.DestinationHosts!);
            Assert.Equal(ServiceStatus.Enabled, api.Cloud.Service("compute1").Status);
            Assert.Empty(api.Cloud.Migrated);
        }

        [Fact]
        public async Task AHostSomeoneElseDisabledIsLeftAlone()
        {
            var api = Lab();
            await api.Cloud.SetServiceStatusAsync(api.Cloud.Service("compute3"), false, "RMA 1234", NullSink.Instance, default);
            var request = Request(api, hosts: new[] { "compute3" });

            var (_, steps) = await Run(api, request);

            Assert.Equal("OSRollingHostAlreadyDisabled", steps.Single(s => s.Status == RollingStatus.Failed).ErrorId);
            Assert.Equal("RMA 1234", api.Cloud.Service("compute3").DisabledReason);
        }

        [Fact]
        public async Task FailbackBringsTheMovedInstancesHomeAndLeavesOneSomeoneMovedElsewhere()
        {
            var api = Lab();
            var request = Request(api, hosts: new[] { "compute1" }, work: h =>
            {
                // Meanwhile someone moves a2 on: it is no longer where the drain put it.
                var a2 = api.Cloud.Server("a2");
                var elsewhere = Hosts.First(x => x != "compute1" && x != a2.HostName);
                api.Cloud.LiveMigrateAsync(a2.Id, elsewhere, BlockMigrationMode.Auto, false, NullSink.Instance, default).Wait();
                return null;
            });
            request.Failback = true;

            var (_, steps) = await Run(api, request);

            var failback = steps.Single(s => s.Step == RollingStep.Failback);
            Assert.Equal(RollingStatus.Succeeded, failback.Status);
            Assert.Equal(1, failback.InstancesMoved);
            Assert.Equal("compute1", api.Cloud.Server("a1").HostName);
            Assert.NotEqual("compute1", api.Cloud.Server("a2").HostName);
            Assert.Contains("a2 is left on", failback.Message);
        }

        [Fact]
        public async Task ThePlanCountsOutThePeersInMaintenanceAndChangesNothing()
        {
            var api = Lab();
            var plan = await new RollingMaintenance(api, new MigrationWatchOptions(), () => api.Cloud.Now, api.Cloud.Delay).PlanAsync(Request(api, concurrency: 2), NullSink.Instance, default);

            Assert.Equal(Hosts.Length * 8, plan.Count);
            var capacity = plan.Where(p => p.Step == RollingStep.Capacity).ToList();
            Assert.Equal(new[] { "compute2", "compute3", "compute4" }, capacity[0].DestinationHosts);
            Assert.Equal(new[] { "compute3", "compute4" }, capacity[1].DestinationHosts);
            Assert.Equal(new[] { "compute1", "compute4" }, capacity[2].DestinationHosts);
            Assert.Equal(1024, capacity[0].MemoryNeededMB);
            Assert.Equal(3 * 65536 - 2 * 512, capacity[0].MemoryFreeMB);
            Assert.Equal(RollingStatus.Skipped, plan.First(p => p.Step == RollingStep.Work).Status);
            Assert.Empty(api.Cloud.Migrated);
            Assert.All(Hosts, h => Assert.Equal(ServiceStatus.Enabled, api.Cloud.Service(h).Status));
        }

        [Fact]
        public async Task TheJUnitReportHasOneTestCasePerHostWithTheFailureAndTheHostsNotRun()
        {
            var api = Lab();
            var request = Request(api, work: h => h == "compute2" ? throw new InvalidOperationException("kernel package broken") : null);

            var (state, _) = await Run(api, request);
            var xml = XDocument.Parse(RollingJUnitReport.ToXml(state));

            var suite = xml.Root!.Element("testsuite")!;
            Assert.Equal("4", (string?)suite.Attribute("tests"));
            Assert.Equal("1", (string?)suite.Attribute("failures"));
            Assert.Equal("2", (string?)suite.Attribute("skipped"));
            var cases = suite.Elements("testcase").ToList();
            Assert.Equal(Hosts, cases.Select(c => (string?)c.Attribute("name")));
            Assert.Null(cases[0].Element("failure"));
            Assert.Equal("OSRollingWorkFailed", (string?)cases[1].Element("failure")!.Attribute("type"));
            Assert.Contains("kernel package broken", (string?)cases[1].Element("failure")!.Attribute("message"));
            Assert.NotNull(cases[2].Element("skipped"));
            Assert.Contains("Drain Succeeded", (string)cases[0].Element("system-out")!);
        }

        /// <summary>Four hosts: compute1 carries a1 and a2, compute2 b1, compute3 c1, compute4 nothing.</summary>
        private static RollingScriptedCloud Lab()
        {
            var api = new RollingScriptedCloud(Hosts);
            api.Cloud.Add("a1", "compute1");
            api.Cloud.Add("a2", "compute1");
            api.Cloud.Add("b1", "compute2");
            api.Cloud.Add("c1", "compute3");
            return api;
        }

        private RollingMaintenanceRequest Request(RollingScriptedCloud api, int concurrency = 1, Func<string, string?>? work = null, string[]? hosts = null) => new RollingMaintenanceRequest
        {
            HostNames = hosts ?? Hosts,
            Reason = "patch night",
            Concurrency = concurrency,
            Drain = new HostDrainRequest { ThrottleLimit = 2 },
            Work = work == null ? null : (h, c) => Task.FromResult(work(h)),
            ComputeTimeout = TimeSpan.FromMinutes(5),
            RetryDelay = TimeSpan.FromSeconds(30),
            StatePath = StatePath,
            DrainStatePath = h => Path.Combine(_folder, "drain-" + h + ".json"),
        };

        private static async Task<(RollingRunState State, List<RollingStepResult> Steps)> Run(RollingScriptedCloud api, RollingMaintenanceRequest request, CancellationToken cancellationToken = default)
        {
            var steps = new List<RollingStepResult>();
            var rolling = new RollingMaintenance(api, new MigrationWatchOptions(), () => api.Cloud.Now, api.Cloud.Delay);
            var state = await rolling.RunAsync(request, s => { lock (steps) steps.Add(s); }, NullSink.Instance, cancellationToken);
            return (state, steps);
        }
    }
}
