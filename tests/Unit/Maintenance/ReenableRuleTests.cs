#nullable enable
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;
using Xunit;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>Stop-OSHostMaintenance enables only a host the drain disabled.</summary>
    public sealed class ReenableRuleTests
    {
        private static readonly HostMaintenanceReport State = new HostMaintenanceReport { HostName = "compute2", Reason = "BIOS update" };

        [Fact]
        public void AHostDisabledWithTheDrainsReasonIsEnabled()
        {
            Assert.True(ReenableRule.ShouldEnable(Disabled("BIOS update"), State, force: false, out var why));
            Assert.Contains("the maintenance's own reason 'BIOS update'", why);
        }

        [Fact]
        public void AHostSomeoneElseDisabledStaysDisabledUnlessForced()
        {
            Assert.False(ReenableRule.ShouldEnable(Disabled("failed DIMM, ticket 99"), State, force: false, out var why));
            Assert.Equal("compute2 stays disabled: its disabled reason is now reason 'failed DIMM, ticket 99', not the maintenance's 'BIOS update' (someone else disabled it since). Use -Force to enable it anyway.", why);
            Assert.True(ReenableRule.ShouldEnable(Disabled("failed DIMM, ticket 99"), State, force: true, out _));
        }

        [Fact]
        public void WithoutAStateFileNothingSaysTheDrainDisabledIt()
        {
            Assert.False(ReenableRule.ShouldEnable(Disabled("BIOS update"), null, force: false, out var why));
            Assert.Contains("no maintenance state file", why);
        }

        [Fact]
        public void AnEnabledHostIsLeftAlone()
        {
            var service = Disabled(null);
            service.Status = ServiceStatus.Enabled;
            Assert.False(ReenableRule.ShouldEnable(service, State, force: true, out _));
        }

        private static ComputeService Disabled(string? reason) =>
            new ComputeService { Id = "svc", Binary = "nova-compute", HostName = "compute2", State = ServiceState.Up, Status = ServiceStatus.Disabled, DisabledReason = reason };
    }
}
