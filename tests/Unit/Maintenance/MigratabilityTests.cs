#nullable enable
using System.Collections.Generic;
using System.IO;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>
    /// What can move, over server JSON captured from the lab's Nova (cirros_vm, ACTIVE, 2.93). The fake driver cannot boot
    /// a vTPM, pinned or PCI flavor, so the extra specs Nova would embed in the server's flavor are set on the captured one.
    /// </summary>
    public sealed class MigratabilityTests
    {
        private static readonly Microversion Zed = new Microversion(2, 93);

        [Fact]
        public void AVtpmFlavorIsColdOnlyBecauseNovaRefusesToLiveMigrateIt()
        {
            var a = Classify(WithSpecs(("hw:tpm_version", "2.0"), ("hw:tpm_model", "tpm-crb")));

            Assert.Equal(MigratabilityClass.ColdOnly, a.Class);
            Assert.StartsWith("It has a vTPM (flavor extra spec hw:tpm_version 2.0): Nova refuses to live-migrate", a.Reason);
        }

        [Fact]
        public void APausedVtpmInstanceCannotMoveAtAll()
        {
            var instance = WithSpecs(("hw:tpm_version", "2.0"));
            instance.Status = ServerStatus.Paused;
            instance.StatusText = "PAUSED";

            var a = Classify(instance);

            Assert.Equal(MigratabilityClass.CannotMove, a.Class);
            Assert.Contains("a cold migration needs it ACTIVE or SHUTOFF", a.Reason);
        }

        [Fact]
        public void DedicatedCpusMoveLiveFromTrainButOnlyColdBefore()
        {
            var instance = WithSpecs(("hw:cpu_policy", "dedicated"));

            var zed = Classify(instance);
            var queens = MigratabilityRules.Classify(instance, null, new Microversion(2, 60), new List<ServerGroupInfo>(), new Dictionary<string, string?>(), BlockMigrationMode.Auto);

            Assert.Equal(MigratabilityClass.Live, zed.Class);
            Assert.Contains("NUMA-aware (Train and later)", zed.Reason);
            Assert.Equal(MigratabilityClass.ColdOnly, queens.Class);
            Assert.Contains("older than Train (compute API up to 2.60)", queens.Reason);
        }

        [Fact]
        public void AnImagePropertyAloneMakesItColdOnly()
        {
            var instance = Server("server-active.json");
            Assert.Equal(MigratabilityClass.Live, Classify(instance).Class);

            var image = new Dictionary<string, string> { ["hw_mem_encryption"] = "True", ["hw_firmware_type"] = "uefi" };
            var a = MigratabilityRules.Classify(instance, image, Zed, new List<ServerGroupInfo>(), new Dictionary<string, string?>(), BlockMigrationMode.Auto);

            Assert.Equal(MigratabilityClass.ColdOnly, a.Class);
            Assert.StartsWith("Its memory is encrypted with AMD SEV (image property hw_mem_encryption)", a.Reason);
        }

        [Fact]
        public void AnAffinityGroupSharedWithAnotherInstanceOnTheHostCannotMoveButAnAloneMemberCan()
        {
            var instance = Server("server-active.json");
            var group = new ServerGroupInfo { Id = "g", Name = "db", Policy = "affinity", Members = new[] { instance.Id, "other" } };

            var together = MigratabilityRules.Classify(instance, null, Zed, new[] { group }, new Dictionary<string, string?> { ["other"] = instance.HostName }, BlockMigrationMode.Auto);
            var apart = MigratabilityRules.Classify(instance, null, Zed, new[] { group }, new Dictionary<string, string?> { ["other"] = "compute9" }, BlockMigrationMode.Auto);

            Assert.Equal(MigratabilityClass.CannotMove, together.Class);
            Assert.Contains($"affinity group 'db' with 1 other member(s) on {instance.HostName}", together.Reason);
            Assert.Equal(MigratabilityClass.Live, apart.Class);
        }

        [Fact]
        public void PciPassthroughIsColdOnlyAndAcceleratorsCannotMove()
        {
            Assert.Equal(MigratabilityClass.ColdOnly, Classify(WithSpecs(("pci_passthrough:alias", "gpu:1"))).Class);
            var accel = Classify(WithSpecs(("accel:device_profile", "fpga")));
            Assert.Equal(MigratabilityClass.CannotMove, accel.Class);
            Assert.Contains("Nova refuses both live and cold migration", accel.Reason);
        }

        private static MigratabilityAssessment Classify(Instance instance) =>
            MigratabilityRules.Classify(instance, null, Zed, new List<ServerGroupInfo>(), new Dictionary<string, string?>(), BlockMigrationMode.Auto);

        private static Instance WithSpecs(params (string Key, string Value)[] specs)
        {
            var active = Server("server-active.json");
            var extra = new Dictionary<string, string>();
            foreach (var (key, value) in specs)
            {
                extra[key] = value;
            }

            active.Flavor.ExtraSpecs = extra;
            return active;
        }

        private static Instance Server(string name)
        {
            var path = Path.Combine(System.AppContext.BaseDirectory, "Fixtures", "Migration", name == "server-active.json" ? "server-active-compute1.json" : name);
            using var reader = new JsonTextReader(new StringReader(File.ReadAllText(path))) { DateParseHandling = DateParseHandling.None };
            return NovaClient.ParseInstance(((JObject)JToken.ReadFrom(reader))["server"]!);
        }
    }
}
