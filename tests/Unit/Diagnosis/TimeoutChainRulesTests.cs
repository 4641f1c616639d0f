using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using OpenStackMigration.Config;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using Xunit;

namespace OpenStackMigration.Tests.Diagnosis
{
    /// <summary>
    /// The timeout-chain rules over readings taken from the lab's real files (Fixtures/Timeouts: its haproxy.cfg, the
    /// nova.conf its conductor and scheduler read while a scenario set long_rpc_timeout = 8, its keystone.conf), edited
    /// where a test needs another value.
    /// </summary>
    public class TimeoutChainRulesTests
    {
        private static string Fixture(string name) => File.ReadAllText(Path.Combine("Fixtures", "Timeouts", name));

        private static readonly string LabHAProxy = Fixture("lab-haproxy.cfg");
        private static readonly string LabNova = Fixture("lab-nova.conf");

        /// <summary>What a service reading <paramref name="text"/> sees for <paramref name="option"/>, as the reader evaluates it.</summary>
        private static OSConfigSetting Read(string text, OsloOption option, string node, string service, string path = "/etc/nova/nova.conf")
        {
            var view = new ServiceConfigView { Project = service.Split('-')[0], Service = service, ProcessId = 100 };
            view.Files.Add(OsloConfigReader.Parse(new NodeFile { Path = path, ResolvedPath = path, Content = Encoding.UTF8.GetBytes(text) }));
            return OsloConfigReader.Evaluate(view, option, node);
        }

        private static TimeoutChainReadings Readings(string haproxy, params (string Node, string Service, string NovaConf)[] nova)
        {
            var r = new TimeoutChainReadings();
            r.Nodes.AddRange(nova.Select(n => n.Node).Prepend("lb1").Distinct());
            r.Proxies.AddRange(TimeoutChainReader.Proxies(HAProxyConfigDocument.Parse(haproxy, "/etc/haproxy/haproxy.cfg"), "lb1"));
            foreach (var (node, service, conf) in nova)
            {
                r.NovaRpc.Add(Read(conf, OsloServices.NovaRpcResponseTimeout, node, service));
                r.NovaLongRpc.Add(Read(conf, OsloServices.NovaLongRpcTimeout, node, service));
                r.ServiceUserToken.Add(Read(conf, OsloServices.NovaSendServiceUserToken, node, service));
            }

            return r;
        }

        private static string WithoutScenario(string nova) => nova.Replace("long_rpc_timeout = 8\n", string.Empty);

        private static List<OSTimeoutFinding> Problems(TimeoutChainReadings r) => TimeoutChainRules.Evaluate(r).Where(f => f.Severity >= FindingSeverity.Warning).ToList();

        [Fact]
        public void TheLabsProxiesAreKnownByTheirServersPortAndTheirTimeoutsByWhereTheyAreSet()
        {
            var proxies = TimeoutChainReader.Proxies(HAProxyConfigDocument.Parse(LabHAProxy, "/etc/haproxy/haproxy.cfg"), "lb1").ToList();
            Assert.Equal(new[] { "keystone", "nova", "placement", "glance", "neutron", "cinder" }, proxies.Select(p => p.Api));
            var nova = proxies.Single(p => p.Api == "nova");
            Assert.Equal("listen nova_api_external", nova.Proxy);
            Assert.Equal(360000, nova.ServerMilliseconds);
            Assert.Equal("/etc/haproxy/haproxy.cfg:36 (listen nova_api_external)", nova.ServerSource);
            var keystone = proxies.Single(p => p.Api == "keystone");
            Assert.Equal(60000, keystone.ServerMilliseconds);
            Assert.Equal("/etc/haproxy/haproxy.cfg:21 (defaults)", keystone.ClientSource);
        }

        [Fact]
        public void AFrontendAndItsBackendAreOneProxyAndConsoleProxiesAreNotTheNovaApi()
        {
            const string cfg = "defaults\n    timeout client 30s\n    timeout server 30s\nfrontend api_in\n    bind :443\n    timeout client 5m\n    use_backend compute if { path_beg /compute }\n"
                + "backend compute\n    timeout server 2m\n    server n1 10.0.0.5:8774\nlisten nova_novncproxy\n    bind :6080\n    server n1 10.0.0.5:6080\n";
            var p = Assert.Single(TimeoutChainReader.Proxies(HAProxyConfigDocument.Parse(cfg, "h.cfg"), "lb1"));
            Assert.Equal("nova", p.Api);
            Assert.Equal("frontend api_in -> backend compute", p.Proxy);
            Assert.Equal(300000, p.ClientMilliseconds);
            Assert.Equal(120000, p.ServerMilliseconds);
            Assert.Null(TimeoutChainReader.Identify(new[] { "nova_novncproxy" }, new[] { "10.0.0.5:6080" }, new string[0]));
            Assert.Equal("nova", TimeoutChainReader.Identify(new[] { "whatever" }, new[] { "10.0.0.5:8774" }, new string[0]));
        }

        [Fact]
        public void TheLabAsConfiguredPassesTheHAProxyAndTokenRules()
        {
            var r = Readings(LabHAProxy, ("c1", "nova-conductor", WithoutScenario(LabNova)), ("c1", "nova-compute", WithoutScenario(LabNova)));
            var k = new ServiceConfigView { Project = "keystone", Service = "keystone" };
            k.Files.Add(OsloConfigReader.Parse(new NodeFile { Path = "/etc/keystone/keystone.conf", Content = Encoding.UTF8.GetBytes(Fixture("lab-keystone.conf")) }));
            r.TokenExpiration.Add(OsloConfigReader.Evaluate(k, OsloServices.KeystoneTokenExpiration, "c1"));
            Assert.Empty(Problems(r));
            var all = TimeoutChainRules.Evaluate(r);
            Assert.Equal(FindingSeverity.OK, all.Single(f => f.Rule == TimeoutChainRules.TokenExpiresBeforeLongRpc).Severity);
            Assert.Equal(3600, all.Single(f => f.Rule == TimeoutChainRules.TokenExpiresBeforeLongRpc).ValueSeconds);
            Assert.Equal(2, all.Count(f => f.Rule == TimeoutChainRules.HAProxyBelowRpc && f.Severity == FindingSeverity.OK));
        }

        [Theory]
        [InlineData("30s", FindingSeverity.Error)]
        [InlineData("65s", FindingSeverity.Error)] // below 60 + the 10 s margin
        [InlineData("70s", FindingSeverity.OK)]
        [InlineData("60000", FindingSeverity.Error)] // 60000 ms = 60 s, no margin
        [InlineData("300", FindingSeverity.Error)] // 300 ms
        public void TheNovaApiProxyMustOutwaitNovasRpcTimeoutPlusTheMargin(string timeout, FindingSeverity expected)
        {
            var cfg = LabHAProxy.Replace("    timeout client 6m\n    timeout server 6m\n    server nova_api", $"    timeout client 6m\n    timeout server {timeout}\n    server nova_api");
            Assert.NotEqual(LabHAProxy, cfg);
            var r = Readings(cfg, ("c1", "nova-api", WithoutScenario(LabNova)));
            var f = TimeoutChainRules.Evaluate(r).Single(x => x.Rule == TimeoutChainRules.HAProxyBelowRpc && x.Api == "nova");
            Assert.Equal(expected, f.Severity);
            Assert.Equal(timeout, f.Value);
            if (expected == FindingSeverity.Error)
            {
                Assert.Equal(60, f.Seconds);
                Assert.Equal("Set-OSMigrationTimeout -Seconds 60 -ComputerName lb1,c1 -Restart", f.Fix);
                Assert.Contains("504", f.Why);
                Assert.Equal(!timeout.EndsWith("s"), f.Why.Contains("has no unit, so haproxy reads milliseconds"));
            }
            else
            {
                Assert.Null(f.Seconds);
            }
        }

        [Fact]
        public void TheRecommendedSecondsNeverLowerARpcTimeoutFoundElsewhere()
        {
            var cfg = LabHAProxy.Replace("    timeout client 6m\n    timeout server 6m\n    server nova_api", "    timeout client 6m\n    timeout server 30s\n    server nova_api");
            var r = Readings(cfg, ("c1", "nova-api", WithoutScenario(LabNova)));
            r.CinderRpc.Add(Read("[DEFAULT]\nrpc_response_timeout = 600\n", OsloServices.CinderRpcResponseTimeout, "c2", "cinder-volume", "/etc/cinder/cinder.conf"));
            var f = Problems(r).Single(x => x.Rule == TimeoutChainRules.HAProxyBelowRpc && x.Api == "nova");
            Assert.Equal(600, f.Seconds);

            // The cinder proxy's 6m is below cinder's 600 s + 10 too, and says so with cinder's own value.
            var cinder = Problems(r).Single(x => x.Rule == TimeoutChainRules.HAProxyBelowRpc && x.Api == "cinder");
            Assert.Contains("cinder's rpc_response_timeout 600 s (cinder-volume on c2)", cinder.Why);
        }

        [Fact]
        public void TheLabsScenarioLongRpcTimeoutOf8IsBelowTheRpcTimeoutAndDisagreesWithTheComputes()
        {
            // As found in the lab: the conductor reads the scenario's long_rpc_timeout = 8, the computes their own files.
            var r = Readings(LabHAProxy, ("ctl", "nova-conductor", LabNova), ("cmp", "nova-compute", WithoutScenario(LabNova)));
            var problems = Problems(r);
            var below = problems.Single(f => f.Rule == TimeoutChainRules.LongBelowRpc);
            Assert.Equal(FindingSeverity.Error, below.Severity);
            Assert.Equal(("ctl", "nova-conductor", "8", "/etc/nova/nova.conf:90"), (below.ComputerName, below.Service, below.Value, below.Source));
            Assert.Equal(60, below.Seconds);
            Assert.Contains("check_can_live_migrate_destination", below.Why);
            var disagree = problems.Single(f => f.Rule == TimeoutChainRules.LongRpcDisagree);
            Assert.Equal("ctl", disagree.ComputerName);
            Assert.Null(disagree.Seconds);
            Assert.Equal("Set-OSRpcTimeout -Service nova -Setting long_rpc_timeout -Seconds 1800 -ComputerName lb1,ctl,cmp -Restart", disagree.Fix);
            Assert.Equal(2, problems.Count);
        }

        [Fact]
        public void NodesThatDisagreeOnRpcResponseTimeoutAreToldTheLargest()
        {
            var r = Readings(LabHAProxy, ("ctl", "nova-conductor", WithoutScenario(LabNova).Replace("[DEFAULT]\n", "[DEFAULT]\nrpc_response_timeout = 300\n")),
                ("cmp", "nova-compute", WithoutScenario(LabNova)));
            r.FixArguments = " -UserName root";
            var f = Assert.Single(Problems(r));
            Assert.Equal((TimeoutChainRules.RpcDisagree, "cmp", FindingSeverity.Warning, 300), (f.Rule, f.ComputerName, f.Severity, f.Seconds));
            Assert.Equal("Set-OSMigrationTimeout -Seconds 300 -ComputerName lb1,ctl,cmp -UserName root -Restart", f.Fix);
            Assert.Contains("300 on ctl nova-conductor", f.Why);
        }

        [Fact]
        public void WithoutAServiceTokenTheTokenMustOutliveLongRpcTimeout()
        {
            var off = WithoutScenario(LabNova).Replace("send_service_user_token = true\n", string.Empty);
            Assert.NotEqual(WithoutScenario(LabNova), off);
            var r = Readings(LabHAProxy, ("cmp", "nova-compute", off));
            var warn = Assert.Single(Problems(r));
            Assert.Equal((TimeoutChainRules.NoServiceUserToken, FindingSeverity.Warning, "default"), (warn.Rule, warn.Severity, warn.Source));
            Assert.Contains("3600 s, Keystone's default", warn.Why);

            r.TokenExpiration.Add(Read("[token]\nexpiration = 1800\n", OsloServices.KeystoneTokenExpiration, "ctl", "keystone", "/etc/keystone/keystone.conf"));
            var error = Problems(r).Single(f => f.Layer == "Keystone");
            Assert.Equal((TimeoutChainRules.TokenExpiresBeforeLongRpc, FindingSeverity.Error), (error.Rule, error.Severity));
            Assert.Contains("cmp nova-compute send no service token", error.Why);

            // With the service token on, the short lifetime is only worth knowing.
            var on = Readings(LabHAProxy, ("cmp", "nova-compute", WithoutScenario(LabNova)));
            on.TokenExpiration.Add(r.TokenExpiration[0]);
            Assert.Empty(Problems(on));
            Assert.Equal(FindingSeverity.Info, TimeoutChainRules.Evaluate(on).Single(f => f.Layer == "Keystone").Severity);
        }

        [Fact]
        public void AClientTimeoutBelowTheServerTimeoutIsInfoAndAnInvalidValueIsAnError()
        {
            var cfg = LabHAProxy.Replace("    timeout client 6m\n    timeout server 6m\n    server nova_api", "    timeout server 6m\n    server nova_api");
            var r = Readings(cfg, ("cmp", "nova-compute", WithoutScenario(LabNova).Replace("[DEFAULT]\n", "[DEFAULT]\nrpc_response_timeout = 120s\n")));
            var all = TimeoutChainRules.Evaluate(r);
            var client = all.Single(f => f.Rule == TimeoutChainRules.ClientBelowServer && f.Api == "nova");
            Assert.Equal((FindingSeverity.Info, "60s"), (client.Severity, client.Value));
            var invalid = Assert.Single(Problems(r));
            Assert.Equal((TimeoutChainRules.InvalidValue, "120s", 60), (invalid.Rule, invalid.Value, invalid.Seconds));
        }
    }
}
