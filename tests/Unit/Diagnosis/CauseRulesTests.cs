#nullable enable
using System;
using System.Linq;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.Tests.Migration;
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
    }
}
