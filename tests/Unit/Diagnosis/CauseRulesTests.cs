#nullable enable
using System;
using System.Linq;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.Tests.Migration;
using OpenStackMigration.Config;
using Xunit;

namespace OpenStackMigration.Tests.Diagnosis
{
    /// <summary>The cause table over Nova's records as captured from the lab (tests/Unit/Fixtures).</summary>
    public class CauseRulesTests
    {
        private static FailureFacts NoValidHostFacts(MigrationCheckReport? preflight = null) => new FailureFacts
        {
            InstanceId = "0231c93f-93d7-432f-99b8-e85be8686243",
            InstanceName = "cirros_vm",
            SourceHost = "compute1",
            DestinationHost = "compute3",
            Verdict = MigrationVerdict.Failed,
            Action = Fixtures.NoValidHostAction(),
            Record = new MigrationRecord { Id = 12, Status = "error", MigrationType = "live-migration", SourceHost = "compute1", DestinationHost = "compute3" },
            Preflight = preflight,
        };

        private static MigrationCheckReport Preflight(string destination) => MigrationPreflight.Evaluate(
            new PreflightInput(Fixtures.ActiveOnCompute1(), MigrationKind.Live) { DestinationHost = destination, Hypervisors = Fixtures.Hypervisors(), ComputeServices = Fixtures.ServicesAllUp() });

        [Fact]
        public void AnImmediateNoValidHostWithAFullDestinationIsNoCapacityWithTheFigures()
        {
            var d = CauseRules.Diagnose(NoValidHostFacts(Preflight("compute3")));

            Assert.Equal(MigrationFailureCause.NoCapacity, d.Cause);
            Assert.Equal(DiagnosisCertainty.Likely, d.Certainty);
            Assert.Contains("at most 256 (max_unit)", d.Summary);
            Assert.Contains("No valid host", d.Explanation);
            Assert.Contains(d.Evidence, e => e.Source == "pre-flight");
            Assert.Contains(d.Evidence, e => e.Source == "instance action" && e.Text.StartsWith("conductor_live_migrate_instance: Error after 1.0 s", StringComparison.Ordinal));
        }

        [Fact]
        public void AnImmediateNoValidHostWithRoomAndNoOtherEvidenceStaysNoValidHost()
        {
            var d = CauseRules.Diagnose(NoValidHostFacts(Preflight("compute2")));

            // Refused in a second while the pre-flight finds room: not a timeout, and nothing says which filter refused.
            Assert.Equal(MigrationFailureCause.NoValidHost, d.Cause);
            Assert.Contains("Set-OSDebugLogging", d.Fix);
        }

        [Fact]
        public void ASlowNoValidHostWithRoomIsALikelyPreCheckTimeoutGovernedByTheConductor()
        {
            var facts = NoValidHostFacts(Preflight("compute2"));
            facts.DestinationHost = "compute2";
            facts.Record!.DestinationHost = "compute2";
            var conductor = facts.Action!.Events.Single();
            conductor.StartTime = conductor.FinishTime!.Value.AddSeconds(-8.2);

            var d = CauseRules.Diagnose(facts);

            Assert.Equal(MigrationFailureCause.PreCheckRpcTimeout, d.Cause);
            Assert.Equal(DiagnosisCertainty.Likely, d.Certainty);
            Assert.Equal("long_rpc_timeout", d.Setting);
            Assert.Equal("nova-conductor", d.GovernedBy);
            Assert.Contains("The conductor gave up after 8.2 s", d.Explanation);
            Assert.Contains("Set-OSRpcTimeout -Setting long_rpc_timeout -Seconds 60", d.Fix);
        }

        [Fact]
        public void TheResultSentenceNamesTheCauseAndTheFix()
        {
            var d = CauseRules.Diagnose(NoValidHostFacts(Preflight("compute3")));

            Assert.StartsWith(" Cause (likely): ", CauseRules.Sentence(d));
            Assert.Contains(" Fix: Pick another destination", CauseRules.Sentence(d));
        }

        [Fact]
        public void APreCheckTimeoutBehindNoValidHostIsConfirmedByTheDestinationsLateAnswer()
        {
            var d = CauseRules.Diagnose(DiagnosisFixture.Facts("rpc-timeout-precheck"));

            Assert.Equal(MigrationFailureCause.PreCheckRpcTimeout, d.Cause);
            Assert.Equal(DiagnosisCertainty.Confirmed, d.Certainty);
            Assert.Equal("nova-conductor", d.GovernedBy);
            Assert.Contains("compute2 took 15.0 s to answer", d.Summary);
            Assert.Contains("(10 s)", d.Summary); // no node read: the conductor's wait as Nova recorded it
            Assert.Contains("The conductor gave up after 10.0 s", d.Explanation);
            Assert.StartsWith("Set-OSRpcTimeout -Setting long_rpc_timeout -Seconds 60 -Service nova -ComputerName <nodes that run nova-conductor> -Restart", d.Fix);
            Assert.Contains(d.Evidence, e => e.Source.StartsWith("log nova-scheduler.log:", StringComparison.Ordinal) && e.Text.Contains("Host filter ignoring hosts: compute2"));
        }

        [Fact]
        public void APreCheckTimeoutIsConfirmedAtTheMomentItFailsWhileTheDestinationStillWorks()
        {
            var facts = DiagnosisFixture.AtFailure("rpc-timeout-precheck");
            Assert.Null(facts.Event("compute_check_can_live_migrate_destination")!.FinishTime);

            var d = CauseRules.Diagnose(facts);

            Assert.Equal(MigrationFailureCause.PreCheckRpcTimeout, d.Cause);
            Assert.Equal(DiagnosisCertainty.Confirmed, d.Certainty);
            Assert.DoesNotContain("to answer", d.Summary);
        }

        [Fact]
        public void WithDebugOnTheConductorsOwnLineIsTheEvidence()
        {
            var d = CauseRules.Diagnose(DiagnosisFixture.Facts("rpc-timeout-precheck-debug"));

            Assert.Equal(MigrationFailureCause.PreCheckRpcTimeout, d.Cause);
            Assert.Contains(d.Evidence, e => e.Source.StartsWith("log nova-conductor.log:", StringComparison.Ordinal) && e.Text.Contains("Skipping host: compute2 because: Timeout while checking if we can live migrate to host: compute2"));
        }

        [Fact]
        public void EffectiveValuesReadOnTheNodesNameTheConductorsSetting()
        {
            var facts = DiagnosisFixture.Facts("rpc-timeout-precheck");
            facts.Settings = new[]
            {
                new OSConfigSetting { ComputerName = "ctl1", Service = "nova-conductor", Setting = "long_rpc_timeout", Value = "8", Seconds = 8, Source = "file", Path = "/etc/nova/nova.conf", LineNumber = 12 },
                new OSConfigSetting { ComputerName = "ctl1", Service = "nova-api", Setting = "long_rpc_timeout", Value = "1800", Seconds = 1800, Source = "default" },
            };

            var d = CauseRules.Diagnose(facts);

            Assert.Equal(new[] { "ctl1 nova-conductor: 8 s from /etc/nova/nova.conf:12" }, d.EffectiveValues);
            Assert.Contains("long_rpc_timeout (8 s)", d.Summary);
            Assert.Contains("-Seconds 60 ", d.Fix);
        }

        [Fact]
        public void APreLiveMigrationTimeoutIsTheSourcesLongRpcTimeoutThoughEveryEventSucceeded()
        {
            var facts = DiagnosisFixture.Facts("rpc-timeout-pre-live");
            Assert.Empty(facts.FailedEvents);

            var d = CauseRules.Diagnose(facts);

            Assert.Equal(MigrationFailureCause.PreLiveMigrationRpcTimeout, d.Cause);
            Assert.Equal("nova-compute on the source (compute1)", d.GovernedBy);
            Assert.Contains("compute2 took 16.0 s over it", d.Summary);
            Assert.Contains(d.Evidence, e => e.Source.StartsWith("log nova-compute-compute1.log:", StringComparison.Ordinal) && e.Text.Contains("Pre live migration failed at compute2: oslo_messaging.exceptions.MessagingTimeout"));
            Assert.True(d.Evidence.Count(e => e.Source.StartsWith("log ", StringComparison.Ordinal)) <= 6, "a traceback is quoted by its first lines, not all of them");
        }

        [Fact]
        public void APreLiveMigrationTimeoutIsNamedFromNovasRecordsAloneWhenItFails()
        {
            var d = CauseRules.Diagnose(DiagnosisFixture.AtFailure("rpc-timeout-pre-live"));

            Assert.Equal(MigrationFailureCause.PreLiveMigrationRpcTimeout, d.Cause);
            Assert.Contains("compute2 was still working on it when the migration failed", d.Summary);
        }

        [Fact]
        public void ACpuMismatchBehindNoValidHostIsNamedFromTheDestinationsEvent()
        {
            var d = CauseRules.Diagnose(DiagnosisFixture.Facts("cpu-mismatch", withLogs: false));

            Assert.Equal(MigrationFailureCause.CpuIncompatible, d.Cause);
            Assert.Equal(DiagnosisCertainty.Confirmed, d.Certainty);
            Assert.Contains("No valid host", d.Explanation);
            Assert.Contains(d.Evidence, e => e.Text.StartsWith("compute_check_can_live_migrate_destination: Error", StringComparison.Ordinal) && e.Text.Contains("CPU doesn't have compatibility"));
        }

        [Fact]
        public void AForcedMoveToAMismatchedCpuIsNamedToo()
        {
            Assert.Equal(MigrationFailureCause.CpuIncompatible, CauseRules.Diagnose(DiagnosisFixture.Facts("cpu-mismatch-forced", withLogs: false)).Cause);
        }

        [Fact]
        public void HAProxysOwnPageIsToldApartFromNovasAnswer()
        {
            var raw = System.IO.File.ReadAllText(System.IO.Path.Combine(DiagnosisFixture.Folder("haproxy-504"), "post-response.txt"));
            var body = raw.Substring(raw.IndexOf("\n\n", StringComparison.Ordinal) + 2);
            var response = new OpenStackMigration.OpenStack.ApiResponse(504, new Newtonsoft.Json.Linq.JValue(body), null, new System.Collections.Generic.Dictionary<string, string>());

            var error = OpenStackMigration.OpenStack.ApiConnection.ErrorFor(response, "POST", "https://127.0.0.1:38774/v2.1/servers/x/action", "nova");

            Assert.Equal("HAProxy", error.Gateway);
            Assert.Equal("OSGatewayTimeout", error.ErrorId);
            Assert.StartsWith("HAProxy in front of nova answered POST https://127.0.0.1:38774/v2.1/servers/x/action with HTTP 504 Gateway Time-out", error.Message);
            Assert.Null(OpenStackMigration.OpenStack.ApiConnection.GatewayOf(new OpenStackMigration.OpenStack.ApiResponse(504, Newtonsoft.Json.Linq.JObject.Parse("{\"computeFault\": {\"message\": \"x\", \"code\": 504}}"), "req-1", new System.Collections.Generic.Dictionary<string, string>())));
        }

        [Fact]
        public void A504ThatNovaCarriedOnFromIsStillReportedAsTheGateways()
        {
            var facts = DiagnosisFixture.Facts("haproxy-504");
            facts.Gateway = new GatewayFailure { StatusCode = 504, Method = "POST", Url = "https://127.0.0.1:38774/v2.1/servers/" + facts.InstanceId + "/action", Proxy = "HAProxy", ElapsedSeconds = 10.01, StartedAnyway = true };

            var d = CauseRules.Diagnose(facts);

            Assert.Equal(MigrationFailureCause.GatewayTimeout, d.Cause);
            Assert.Contains("Nova carried on and started the migration anyway (migration 7, completed)", d.Summary);
            Assert.Contains(d.Evidence, e => e.Source.StartsWith("log haproxy.log:", StringComparison.Ordinal) && e.Text.Contains(" 504 "));
            Assert.Equal(new[] { "nova_api_external" }, MigrationDiagnostician.ProxiesIn(facts.Logs.Where(l => l.Line.Contains(" 504 "))));
        }

        [Fact]
        public void ADestinationThatWentDownMidwayIsNamedThoughTheRecordSaysCompleted()
        {
            var facts = DiagnosisFixture.Facts("destination-down");
            Assert.Equal("completed", facts.Record!.Status);

            var d = CauseRules.Diagnose(facts);

            Assert.Equal(MigrationFailureCause.ComputeServiceDown, d.Cause);
            Assert.Contains("nova-compute on compute3 went down", d.Summary);
            Assert.Contains("the instance is still MIGRATING/migrating on compute1", d.Summary);
            Assert.Equal("rpc_response_timeout", d.Setting);
            Assert.Contains(d.Evidence, e => e.Source == "compute service" && e.Text.StartsWith("nova-compute on compute3: Down", StringComparison.Ordinal));
            Assert.Contains(d.Evidence, e => e.Text.Contains("Post live migration at destination compute3 failed"));
            Assert.Contains("openstack server set --state active", d.Fix);
        }

        [Fact]
        public void OnlyTheSourceHostsNovaComputeCountsWhenANodeRunsSeveral()
        {
            var facts = DiagnosisFixture.Facts("rpc-timeout-pre-live");
            OSConfigSetting Setting(int pid, string name, string value) => new OSConfigSetting { ComputerName = "localhost", Service = "nova-compute", ProcessId = pid, Setting = name, Value = value, Seconds = long.TryParse(value, out var n) ? n : (long?)null, Source = "file", Path = $"/etc/nova/nova-compute-{pid}.conf", LineNumber = 3 };
            facts.Settings = new[]
            {
                Setting(101, "host", "compute1"), Setting(101, "long_rpc_timeout", "8"),
                Setting(202, "host", "compute2"), Setting(202, "long_rpc_timeout", "1800"),
            };

            var d = CauseRules.Diagnose(facts);

            Assert.Equal(new[] { "localhost nova-compute (pid 101): 8 s from /etc/nova/nova-compute-101.conf:3" }, d.EffectiveValues);
            Assert.Contains("long_rpc_timeout (8 s)", d.Summary);
        }

        [Fact]
        public void AnotherHostsValueIsNeverShownAsTheSources()
        {
            var facts = DiagnosisFixture.Facts("rpc-timeout-pre-live");
            facts.Settings = new[]
            {
                new OSConfigSetting { ComputerName = "localhost", Service = "nova-compute", ProcessId = 202, Setting = "host", Value = "compute2", Source = "file" },
                new OSConfigSetting { ComputerName = "localhost", Service = "nova-compute", ProcessId = 202, Setting = "long_rpc_timeout", Value = "1800", Seconds = 1800, Source = "default" },
            };

            var d = CauseRules.Diagnose(facts);

            Assert.Empty(d.EffectiveValues);
            Assert.DoesNotContain("1800", d.Summary);
        }
    }
}