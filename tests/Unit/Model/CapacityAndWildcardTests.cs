using System.Collections.Generic;
using OpenStackMigration.Text;
using OpenStackMigration.Model;
using Xunit;

namespace OpenStackMigration.Tests.Model
{
    public class CapacityAndWildcardTests
    {
        [Fact]
        public void FreeCountsReservedRatioAndUse()
        {
            // A fake node's RAM: 800000 MB at ratio 1.5, 512 reserved, 4096 used.
            var ram = new ResourceCapacity("MEMORY_MB", 800000, 512, 1.5, 4096, 800000);
            Assert.Equal((long)((800000 - 512) * 1.5), ram.Capacity);
            Assert.Equal(ram.Capacity - 4096, ram.Free);
        }

        [Fact]
        public void PlacementResourceClassesLandOnTheHypervisorsFigures()
        {
            var vcpu = new ResourceCapacity("VCPU", 8, 0, 16, 2, 8);
            var ram = new ResourceCapacity("MEMORY_MB", 2048, 0, 1.5, 512, 2048);
            var disk = new ResourceCapacity("DISK_GB", 100, 0, 1, 10, 100);
            var node = new Hypervisor { Name = "compute1" };

            node.ApplyCapacity(new Dictionary<string, ResourceCapacity> { ["VCPU"] = vcpu, ["MEMORY_MB"] = ram, ["DISK_GB"] = disk, ["PCI_DEVICE"] = vcpu });
            Assert.Same(vcpu, node.Vcpu);
            Assert.Same(ram, node.MemoryMB);
            Assert.Same(disk, node.DiskGB);

            // A provider without local disk (DISK_GB on a shared provider): the figure is unknown, not the old one.
            node.ApplyCapacity(new Dictionary<string, ResourceCapacity> { ["VCPU"] = vcpu, ["MEMORY_MB"] = ram });
            Assert.Same(ram, node.MemoryMB);
            Assert.Null(node.DiskGB);
        }

        [Fact]
        public void MaxUnitLimitsOneAllocationWhateverTheRatio()
        {
            var ram = new ResourceCapacity("MEMORY_MB", 2048, 0, 16, 0, 2048);
            Assert.Null(ram.WhyNotFits(2048));
            Assert.Contains("max_unit", ram.WhyNotFits(4096));
        }

        [Fact]
        public void FullHostSaysWhatIsFree()
        {
            var vcpu = new ResourceCapacity("VCPU", 4, 0, 1, 4, 4);
            Assert.Equal(0, vcpu.Free);
            Assert.Contains("0 free", vcpu.WhyNotFits(1));
        }

        [Theory]
        [InlineData("compute*", "compute1", true)]
        [InlineData("compute?", "compute12", false)]
        [InlineData("COMPUTE1", "compute1", true)]
        [InlineData("c[12]", "c2", true)]
        [InlineData("c[12]", "c3", false)]
        [InlineData("a.b", "axb", false)]
        public void WildcardsMatchLikePowerShell(string pattern, string value, bool expected)
        {
            Assert.Equal(expected, Wildcard.Matches(pattern, value));
        }

        [Fact]
        public void NovaRegexKeepsOnlyTheLiteralPrefixEscaped()
        {
            Assert.Equal("^web[.]1", Wildcard.ToNovaRegex("web.1*"));
            Assert.Equal("^cirros_vm", Wildcard.ToNovaRegex("cirros_vm"));
        }
    }
}
