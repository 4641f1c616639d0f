using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Orchestration;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Orchestration
{
    public class RestartTests
    {
        private static readonly RestartRequest Podman = new RestartRequest { Services = new[] { "haproxy" }, Manager = ServiceManager.Podman };

        private static ResolvedService Service(ServiceManager manager, string name, int? pid = 100) => new ResolvedService { Requested = name, Manager = manager, Name = name, ProcessId = pid };

        private static (ServiceRestarter Restarter, FakeTime Time) NewRestarter()
        {
            var time = new FakeTime();
            return (new ServiceRestarter(() => time.Now, time.Delay), time);
        }

        [Fact]
        public async Task APodmanRestartThatExitsZeroButLeavesTheContainerDeadIsAFailureWithTheNextStep()
        {
            var node = new ScriptedNode("n1").On("podman restart", string.Empty).On("OSM-CT", "OSM-CT exited 1 0\n");
            var (restarter, _) = NewRestarter();
            var r = await restarter.RestartAsync(node, Service(ServiceManager.Podman, "nova_compute"), Podman, new RestartOptions(), 1, "restore the previous file ('cp -p /b /f')", new CollectingSink(), CancellationToken.None);

            Assert.False(r.Restarted);
            Assert.Equal("OSServiceUnhealthy", r.ErrorId);
            Assert.Equal(FailureKind.CommandFailed, r.ErrorKind);
            Assert.Equal("exited 1", r.State);
            Assert.Contains("podman logs --tail 50 'nova_compute'", r.Error);
            Assert.Contains("cp -p /b /f", r.Error);
        }

        [Fact]
        public async Task APodmanContainerSeenStoppedIsWaitedForUntilPodmanSaysHowItExited()
        {
            // Podman shows "stopped" between the container's process ending and its clean-up; "exited N" comes after.
            var node = new ScriptedNode("n1").On("podman restart", string.Empty).On("OSM-CT", "OSM-CT running 0 11\n", "OSM-CT stopped 0 0\n", "OSM-CT exited 1 0\n");
            var (restarter, _) = NewRestarter();
            var r = await restarter.RestartAsync(node, Service(ServiceManager.Podman, "nova_compute"), Podman, new RestartOptions(), 1, null, new CollectingSink(), CancellationToken.None);

            Assert.False(r.Restarted);
            Assert.Equal("OSServiceUnhealthy", r.ErrorId);
            Assert.Equal("exited 1", r.State);
        }

        [Fact]
        public async Task ASystemdServiceCountsAsRestartedOnlyAfterStayingUp()
        {
            var node = new ScriptedNode("n1").On("systemctl restart", string.Empty)
                .On("systemctl show", "ActiveState=active\nSubState=running\nMainPID=150\nResult=success\n", "ActiveState=activating\nSubState=start\nMainPID=0\nResult=success\n", "ActiveState=active\nSubState=running\nMainPID=200\nResult=success\n");
            var (restarter, time) = NewRestarter();
            var start = time.Now;
            var request = new RestartRequest { Services = new[] { "nova-api" }, Manager = ServiceManager.Systemd };
            var r = await restarter.RestartAsync(node, Service(ServiceManager.Systemd, "memcached"), request, new RestartOptions { StableFor = TimeSpan.FromSeconds(3) }, 2, null, new CollectingSink(), CancellationToken.None);

            Assert.Null(r.Error);
            Assert.True(r.Restarted);
            // The pid right before the command, not the one found when the restart was planned.
            Assert.Equal(150, r.OldProcessId);
            Assert.Equal(200, r.ProcessId);
            Assert.Equal("active (running)", r.State);
            Assert.Equal(2, r.Order);
            Assert.Equal("systemctl restart -- 'memcached'", r.Command);
            // One probe while activating, then up at t+1 s and still up 3 s later.
            Assert.Equal(TimeSpan.FromSeconds(4), time.Now - start);
            Assert.Equal(6, node.Count("systemctl show"));
        }

        [Fact]
        public async Task AServiceTheManagerKeepsRestartingIsNotHealthy()
        {
            var probes = Enumerable.Range(0, 120).Select(i => $"ActiveState=active\nSubState=running\nMainPID={300 + i}\nResult=success\n").ToArray();
            var node = new ScriptedNode("n1").On("systemctl restart", string.Empty).On("systemctl show", probes);
            var (restarter, _) = NewRestarter();
            var r = await restarter.RestartAsync(node, Service(ServiceManager.Systemd, "haproxy"), new RestartRequest { Manager = ServiceManager.Systemd, HAProxyConfigPath = "/dev/null" },
                new RestartOptions { StartTimeout = TimeSpan.FromSeconds(20) }, 1, null, new CollectingSink(), CancellationToken.None);

            Assert.Equal("OSServiceUnhealthy", r.ErrorId);
            Assert.Contains("keeps restarting", r.Error);
            Assert.Contains("journalctl -u haproxy", r.Error);
        }

        [RequiresFact(Requires.HAProxy)]
        public async Task AnHAProxyFileThatFailsTheCheckIsNeverSignalled()
        {
            using var dir = new TempDir();
            var cfg = dir.Write("haproxy.cfg", "defaults\n    timeout server = 600\n");
            var pidFile = dir.Write("haproxy.pid", string.Empty);
            using var sleeper = System.Diagnostics.Process.Start("/bin/sleep", "300");
            File.WriteAllText(pidFile, sleeper.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var request = new RestartRequest { Services = new[] { "haproxy" }, Manager = ServiceManager.Signal, PidFile = pidFile, Signal = "USR2", HAProxyConfigPath = cfg };
            var (restarter, _) = NewRestarter();
            using var node = new LocalNodeSession(false);
            try
            {
                var r = await restarter.RestartAsync(node, Service(ServiceManager.Signal, "haproxy", sleeper.Id), request, new RestartOptions(), 1, null, new CollectingSink(), CancellationToken.None);

                Assert.Equal("OSConfigValidationFailed", r.ErrorId);
                Assert.Contains("unexpected character '='", r.Error);
                Assert.False(sleeper.WaitForExit(200), "the process was signalled although the file failed haproxy -c");
            }
            finally
            {
                if (!sleeper.HasExited) sleeper.Kill();
            }
        }

        [Fact]
        public async Task ARestartedNovaComputeMustReportToNovaAgain()
        {
            using var dir = new TempDir();
            var conf = dir.Write("nova.conf", "[DEFAULT]\nhost = compute9\n");
            string proc = $"OSM-PROC nova-compute 4242\nOSM-ARG /usr/bin/python3\nOSM-ARG /usr/bin/nova-compute\nOSM-ARG --config-file\nOSM-ARG {conf}\n";
            var request = new RestartRequest { Services = new[] { "nova-compute" }, Manager = ServiceManager.Systemd };
            var service = new ResolvedService { Requested = "nova-compute", Manager = ServiceManager.Systemd, Name = "nova-compute", ProcessId = 4242 };

            var silent = new ScriptedNode("c9").On("OSM-PROC", proc).On("systemctl restart", string.Empty).On("systemctl show", "ActiveState=active\nSubState=running\nMainPID=5000\nResult=success\n");
            var nova = new FakeNova(new DateTimeOffset(2026, 12, 1, 11, 59, 58, TimeSpan.Zero));
            var (restarter, _) = NewRestarter();
            var r = await restarter.RestartAsync(silent, service, request, new RestartOptions { Nova = nova, ReportTimeout = TimeSpan.FromSeconds(30) }, 1, null, new CollectingSink(), CancellationToken.None);
            Assert.Equal("OSServiceNotReporting", r.ErrorId);
            Assert.Equal(FailureKind.Timeout, r.ErrorKind);
            Assert.Equal("compute9", r.ComputeHost);
            Assert.False(r.ReportedToNova);
            Assert.Equal(new[] { "compute9" }, nova.Asked.Distinct());

            var talking = new ScriptedNode("c9").On("OSM-PROC", proc).On("systemctl restart", string.Empty).On("systemctl show", "ActiveState=active\nSubState=running\nMainPID=5000\nResult=success\n");
            nova.ReportAfterCalls = 3;
            r = await restarter.RestartAsync(talking, service, request, new RestartOptions { Nova = nova }, 1, null, new CollectingSink(), CancellationToken.None);
            Assert.Null(r.Error);
            Assert.True(r.ReportedToNova);
        }

        [Fact]
        public async Task ANovaComputeThatDiesAfterItsStableTimeIsUnhealthyNotSilent()
        {
            // Up for the stable time (a slow machine parses its bad config slowly), then it exits and never reports.
            using var dir = new TempDir();
            var conf = dir.Write("nova.conf", "[DEFAULT]\nhost = compute9\n");
            string proc = $"OSM-PROC nova-compute 4242\nOSM-ARG /usr/bin/python3\nOSM-ARG /usr/bin/nova-compute\nOSM-ARG --config-file\nOSM-ARG {conf}\n";
            var request = new RestartRequest { Services = new[] { "nova-compute" }, Manager = ServiceManager.Systemd };
            var service = new ResolvedService { Requested = "nova-compute", Manager = ServiceManager.Systemd, Name = "nova-compute", ProcessId = 4242 };
            var up = "ActiveState=active\nSubState=running\nMainPID=5000\nResult=success\n";
            var dead = "ActiveState=failed\nSubState=failed\nMainPID=0\nResult=exit-code\n";
            var node = new ScriptedNode("c9").On("OSM-PROC", proc).On("systemctl restart", string.Empty).On("systemctl show", up, up, up, up, dead);
            var (restarter, _) = NewRestarter();
            var r = await restarter.RestartAsync(node, service, request, new RestartOptions { Nova = new FakeNova(new DateTimeOffset(2026, 12, 1, 11, 59, 58, TimeSpan.Zero)), ReportTimeout = TimeSpan.FromSeconds(30), StableFor = TimeSpan.FromSeconds(2) }, 1, null, new CollectingSink(), CancellationToken.None);

            Assert.Equal("OSServiceUnhealthy", r.ErrorId);
            Assert.Contains("is not running afterwards", r.Error);
            Assert.Contains("journalctl -u nova-compute", r.Error);
            Assert.False(r.Restarted);
        }

        [Fact]
        public async Task RollingRunsInOrderWithinTheBoundAndStartsNothingAfterAFailure()
        {
            int running = 0, most = 0;
            var started = new List<int>();
            var skipped = new List<(int, int)>();
            await RollingRestart.RunAsync(
                new[] { "1", "2", "3", "4", "5" },
                2,
                async (item, ct) =>
                {
                    lock (started) { started.Add(int.Parse(item)); most = Math.Max(most, ++running); }
                    // 1 ends at once and makes room for 3, which fails while 2 is still running.
                    await Task.Delay(item == "2" ? 400 : 1, ct);
                    lock (started) running--;
                    return item != "3";
                },
                (item, failed) => skipped.Add((int.Parse(item), int.Parse(failed))),
                CancellationToken.None);

            Assert.Equal(2, most);
            Assert.Equal(new[] { 1, 2, 3 }, started);
            Assert.Equal(new[] { (4, 3), (5, 3) }, skipped);
        }

        [RequiresFact(Requires.HAProxy)]
        public async Task AFailedRestartLeavesTheNodesAfterItUntouched()
        {
            using var dir = new TempDir();
            var (nodes, pool, plans) = await ThreeHAProxyNodes(dir, n => n.ComputerName == "n2" ? "OSM-CT exited 1 0\n" : "OSM-CT running 0 11\n", "OSM-SVC 0 podman haproxy 10\n");
            var before3 = File.ReadAllBytes(dir.Path + "/n3/haproxy.cfg");
            var results = new List<OSConfigChange>();
            var (restarter, _) = NewRestarter();
            var restarts = await ConfigApplier.PlanRestartsAsync(pool, plans, p => Podman, new CollectingSink(), CancellationToken.None);
            Assert.Equal(new[] { 1, 2, 3 }, restarts.Select(r => r.Order));

            await new ConfigApplier(restarter).ApplyAsync(pool, plans, plans.ToList(), restarts, new RestartOptions(), r => { lock (results) results.Add(r); }, new CollectingSink(), CancellationToken.None);

            var n1 = results.Single(r => r.ComputerName == "n1");
            Assert.True(n1.Action == ConfigAction.Updated, n1.Error);
            Assert.True(n1.Restarted);
            Assert.Contains("timeout server 300s", File.ReadAllText(dir.Path + "/n1/haproxy.cfg"));
            var n2 = results.Single(r => r.ComputerName == "n2");
            Assert.Equal("OSServiceUnhealthy", n2.ErrorId);
            Assert.Contains($"cp -p {n2.BackupPath} {dir.Path}/n2/haproxy.cfg", n2.Error);
            var n3 = results.Single(r => r.ComputerName == "n3");
            Assert.Equal(ConfigAction.Failed, n3.Action);
            Assert.Equal("OSRestartHalted", n3.ErrorId);
            Assert.Equal(before3, File.ReadAllBytes(dir.Path + "/n3/haproxy.cfg"));
            Assert.Equal(0, nodes[2].Count("podman restart"));
        }

        [RequiresFact(Requires.HAProxy)]
        public async Task AServiceMissingOnOneNodeStopsEveryWrite()
        {
            using var dir = new TempDir();
            var (nodes, pool, plans) = await ThreeHAProxyNodes(dir, n => "OSM-CT running 0 11\n", null);
            nodes[0].On("osm_resolve", "OSM-SVC 0 podman haproxy 10\n");
            nodes[1].On("osm_resolve", "OSM-SVC 0 none\n");
            nodes[2].On("osm_resolve", "OSM-SVC 0 podman haproxy 10\n");
            var originals = nodes.Select(n => File.ReadAllBytes($"{dir.Path}/{n.ComputerName}/haproxy.cfg")).ToList();
            var results = new List<OSConfigChange>();
            var restarts = await ConfigApplier.PlanRestartsAsync(pool, plans, p => Podman, new CollectingSink(), CancellationToken.None);
            await new ConfigApplier(NewRestarter().Restarter).ApplyAsync(pool, plans, plans.ToList(), restarts, new RestartOptions(), r => { lock (results) results.Add(r); }, new CollectingSink(), CancellationToken.None);

            Assert.Equal("OSServiceNotFound", results.Single(r => r.ComputerName == "n2").ErrorId);
            Assert.Equal("OSRestartHalted", results.Single(r => r.ComputerName == "n1").ErrorId);
            Assert.All(results, r => Assert.Equal(ConfigAction.Failed, r.Action));
            Assert.Equal(originals, nodes.Select(n => File.ReadAllBytes($"{dir.Path}/{n.ComputerName}/haproxy.cfg")).ToList());
            Assert.All(nodes, n => Assert.Equal(0, n.Count("podman restart")));
        }

        /// <summary>Three scripted nodes n1..n3, each with its own real haproxy.cfg in DIR/nX, planned to 300 s.</summary>
        private static async Task<(List<ScriptedNode> Nodes, NodePool Pool, List<FilePlan> Plans)> ThreeHAProxyNodes(TempDir dir, Func<ScriptedNode, string> containerState, string? resolve)
        {
            var nodes = new List<ScriptedNode>();
            var targets = new List<NodeTarget>();
            var plans = new List<FilePlan>();
            foreach (var name in new[] { "n1", "n2", "n3" })
            {
                Directory.CreateDirectory($"{dir.Path}/{name}");
                File.WriteAllText($"{dir.Path}/{name}/haproxy.cfg", "defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n    timeout server 60s\n\nlisten api\n    bind 127.0.0.1:18774\n    server a 127.0.0.1:8774\n");
                var node = new ScriptedNode(name).On("podman restart", string.Empty);
                node.On("OSM-CT", containerState(node));
                if (resolve != null) node.On("osm_resolve", resolve);
                nodes.Add(node);
                var target = new NodeTarget { ComputerName = name, Port = 22 };
                targets.Add(target);
                using var one = new NodePool(new[] { target }, 1, new CollectingSink(), t => node);
                plans.AddRange(await HAProxyEngine.PlanAsync(one, $"{dir.Path}/{name}/haproxy.cfg", 300, null, false, new CollectingSink(), CancellationToken.None));
            }

            var map = targets.Zip(nodes, (t, n) => (t, n)).ToDictionary(p => p.t, p => (INodeSession)p.n);
            return (nodes, new NodePool(targets, 8, new CollectingSink(), t => map[t]), plans);
        }

        private sealed class FakeNova : IComputeServiceProbe
        {
            private readonly DateTimeOffset _last;
            private int _calls;

            public FakeNova(DateTimeOffset last) => _last = last;

            public int? ReportAfterCalls { get; set; }

            public List<string> Asked { get; } = new List<string>();

            public Task<(DateTimeOffset? UpdatedAt, bool Up)?> GetAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
            {
                Asked.Add(host);
                _calls++;
                var at = ReportAfterCalls != null && _calls >= ReportAfterCalls ? _last.AddSeconds(_calls) : _last;
                return Task.FromResult<(DateTimeOffset?, bool)?>((at, true));
            }
        }
    }
}
