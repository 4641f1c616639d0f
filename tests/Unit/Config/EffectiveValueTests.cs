using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Config
{
    /// <summary>
    /// Which value a running service sees: learnt from a real process's command line and environment (/proc), and
    /// checked against oslo.config's own ConfigOpts given the same arguments and environment.
    /// </summary>
    public class EffectiveValueTests
    {
        static EffectiveValueTests()
        {
            // A project of our own, so that nova or cinder services running on this machine do not interfere.
            OsloServices.DaemonTable["osmtest"] = new[] { "osmtest-compute" };
            OsloServices.DaemonTable["osmtwo"] = new[] { "osmtwo-api", "osmtwo-compute", "osmtwo-volume" };
        }

        [RequiresFact(Requires.Oslo)]
        [Trait("Category", "Integration")]
        public async Task TheLastFileWinsUnlessTheEnvironmentSetsItAndWeAgreeWithOslo()
        {
            using var dir = new TempDir();
            var main = dir.Write("osmtest.conf", "[DEFAULT]\nrpc_response_timeout = 60\nlong_rpc_timeout = 1800\n");
            var extra = dir.Write("osmtest-compute.conf", "[DEFAULT]\nrpc_response_timeout = 90\n[default]\nlong_rpc_timeout = 5\n");
            dir.Write("conf.d/10-a.conf", "[DEFAULT]\nlong_rpc_timeout = 2400\n");
            dir.Write("conf.d/20-b.conf", "[DEFAULT]\ndebug = true\n");
            var args = new[] { "--config-file", main, "--config-file", extra, "--config-dir", dir.File("conf.d") };
            var env = new Dictionary<string, string> { ["OS_DEFAULT__DEBUG"] = "false" };

            var script = dir.Write("osmtest-compute", "import time\ntime.sleep(120)\n");
            var psi = new ProcessStartInfo("/usr/bin/python3") { UseShellExecute = false };
            psi.ArgumentList.Add(script);
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
            using var process = Process.Start(psi)!;
            try
            {
                await Task.Delay(300);
                var views = await OsloConfigReader.ReadAsync(new LocalNodeSession(false), "osmtest", null, CancellationToken.None);
                var view = Assert.Single(views);
                Assert.Equal(process.Id, view.ProcessId);
                Assert.Equal(new[] { main, extra, dir.File("conf.d/10-a.conf"), dir.File("conf.d/20-b.conf") }, view.Files.Select(f => f.File.Path));

                var oslo = OsloReference.Effective(args, env);
                var rpc = OsloConfigReader.Evaluate(view, OsloServices.CinderRpcResponseTimeout, "localhost");
                Assert.Equal(oslo["rpc_response_timeout"]!.ToString(), rpc.Value);
                Assert.Equal(extra, rpc.Path);
                var longRpc = OsloConfigReader.Evaluate(view, OsloServices.NovaLongRpcTimeout, "localhost");
                Assert.Equal(oslo["long_rpc_timeout"]!.ToString(), longRpc.Value);
                Assert.Equal(dir.File("conf.d/10-a.conf"), longRpc.Path);
                var debug = OsloConfigReader.Evaluate(view, OsloServices.Debug, "localhost");
                Assert.Equal("OS_DEFAULT__DEBUG", debug.Source);
                Assert.Equal(false, oslo["debug"]);

                // Editing the main file cannot win: the plan says so, and says where the winner is.
                var sink = new CollectingSink();
                using var pool = new NodePool(new[] { new NodeTarget() }, 1, sink);
                var plans = await OsloConfigEngine.PlanAsync(pool, "osmtest", new[] { new OsloEdit(OsloServices.CinderRpcResponseTimeout, "300") }, main, null, false, sink, CancellationToken.None);
                var result = Assert.Single(Assert.Single(plans).Results);
                Assert.Equal(ConfigAction.WouldChange, result.Action);
                Assert.Equal("90", result.EffectiveValue);
                Assert.Contains(sink.Warnings, w => w.Contains(extra + ":2") && w.Contains("wins"));
            }
            finally
            {
                process.Kill();
            }
        }

        [Fact]
        [Trait("Category", "Integration")]
        public async Task OneScanFindsEveryDaemonOfEveryProgramAndSkipsTheirWorkers()
        {
            using var dir = new TempDir();
            var conf = dir.Write("osmtwo.conf", "[DEFAULT]\nrpc_response_timeout = 60\n");
            const string Api = "exec -a \"python3 '/usr/bin/osmtwo-api'\" ";
            Process Start(string script, string? env)
            {
                var psi = new ProcessStartInfo("/bin/bash") { UseShellExecute = false };
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add(script);
                if (env != null) psi.Environment["OS_DEFAULT__RPC_RESPONSE_TIMEOUT"] = env;
                return Process.Start(psi)!;
            }

            // Started the way a service's wrapper would: argv[0] is "python3", the program is a quoted path. The API forks
            // a worker (its child, same command line, another environment); a second API daemon of its own (as a container
            // beside a packaged service) starts later; the compute service runs; no volume service does.
            var processes = new List<Process>
            {
                Start("(OS_DEFAULT__RPC_RESPONSE_TIMEOUT=999 " + Api + "sleep 120) & " + Api + "bash -c 'sleep 120; :'", "111"),
                Start("exec -a \"python3 '/usr/bin/osmtwo-compute'\" sleep 120", null),
            };
            await Task.Delay(150);
            processes.Add(Start(Api + "sleep 120", "333"));
            try
            {
                await Task.Delay(300);
                var views = await OsloConfigReader.ReadAsync(new LocalNodeSession(false), "osmtwo", new[] { conf }, CancellationToken.None);
                // The views come in pid order, which is not start order once the pid counter wraps.
                var expected = new[] { (processes[0].Id, "osmtwo-api", "111"), (processes[1].Id, "osmtwo-compute", (string?)null), (processes[2].Id, "osmtwo-api", "333") };
                var view = Assert.Single(views);
                Assert.Equal("osmtwo-api", view.Service);
                var daemon = expected.Single(e => e.Item1 == view.ProcessId);
                Assert.Equal(daemon.Item3, view.Environment["OS_DEFAULT__RPC_RESPONSE_TIMEOUT"]);

                views = await OsloConfigReader.ReadAsync(new LocalNodeSession(false), "osmtwo", null, CancellationToken.None);
                Assert.Equal(expected.OrderBy(e => e.Item1).Select(e => $"{e.Item1} {e.Item2} {e.Item3}"), views.OrderBy(v => v.ProcessId).Select(v => $"{v.ProcessId} {v.Service} {(v.Service == "osmtwo-api" ? v.Environment["OS_DEFAULT__RPC_RESPONSE_TIMEOUT"] : null)}"));
            }
            finally
            {
                foreach (var p in processes)
                {
                    Process.Start("pkill", "-P " + p.Id)?.WaitForExit();
                    p.Kill();
                }
            }
        }

        [RequiresFact(Requires.Root)]
        [Trait("Category", "Integration")]
        public async Task AServiceInAContainerIsReadThroughItsOwnRoot()
        {
            // The service runs in a mount namespace of its own (as in a container) where its configuration
            // folder holds another file than the node's: the value it sees is the container's.
            using var dir = new TempDir();
            var conf = dir.Write("etc/osmtest.conf", "[DEFAULT]\nrpc_response_timeout = 60\n");
            dir.Write("container-etc/osmtest.conf", "[DEFAULT]\nrpc_response_timeout = 90\n");
            var script = dir.Write("osmtest-compute", "import time\ntime.sleep(120)\n");
            var psi = new ProcessStartInfo("/usr/bin/unshare") { UseShellExecute = false };
            foreach (var a in new[] { "-m", "--propagation", "private", "/bin/sh", "-c",
                $"mount --bind '{dir.File("container-etc")}' '{dir.File("etc")}' && exec /usr/bin/python3 '{script}' --config-file '{conf}'" })
            {
                psi.ArgumentList.Add(a);
            }

            using var process = Process.Start(psi)!;
            try
            {
                await Task.Delay(500);
                var view = Assert.Single(await OsloConfigReader.ReadAsync(new LocalNodeSession(false), "osmtest", null, CancellationToken.None));
                Assert.Equal(process.Id, view.ProcessId);
                Assert.Equal($"/proc/{process.Id}/root", view.ContainerRoot);
                var rpc = OsloConfigReader.Evaluate(view, OsloServices.CinderRpcResponseTimeout, "localhost");
                Assert.Equal("90", rpc.Value);
                Assert.Equal($"/proc/{process.Id}/root{conf}", rpc.Path);

                // Editing the node's file is planned, with a warning that the service does not read it.
                var sink = new CollectingSink();
                using var pool = new NodePool(new[] { new NodeTarget() }, 1, sink);
                await OsloConfigEngine.PlanAsync(pool, "osmtest", new[] { new OsloEdit(OsloServices.CinderRpcResponseTimeout, "300") }, conf, null, false, sink, CancellationToken.None);
                Assert.Contains(sink.Warnings, w => w.Contains("runs in a container"));
            }
            finally
            {
                process.Kill();
            }
        }

        [Fact]
        public void SourcesFollowOsloConfigsOrder()
        {
            // --config-file given: default files are skipped, default folders still come first.
            var s = ConfigSource.Resolve("nova", "nova-compute", new[] { "--config-file=/etc/nova/nova.conf", "--config-file", "/etc/nova/nova-compute.conf" }, null);
            Assert.Equal(new[] { "FirstDirOf", "FirstDirOf", "File", "File" }, s.Select(x => x.Kind));
            Assert.Equal("/etc/nova/nova.conf.d", s[0].Paths[0]);
            Assert.Equal("/etc/nova/nova-compute.conf.d", s[1].Paths[0]);
            // Nothing given: default files, then default folders (which then win).
            var d = ConfigSource.Resolve("cinder", "cinder", new string[0], "/var/lib/cinder");
            Assert.Equal(new[] { "FirstOf", "FirstDirOf" }, d.Select(x => x.Kind));
            Assert.Equal(new[] { "/var/lib/cinder/.cinder/cinder.conf", "/var/lib/cinder/cinder.conf", "/etc/cinder/cinder.conf", "/etc/cinder.conf" }, d[0].Paths);
        }
    }
}
