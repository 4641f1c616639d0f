using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Maintenance
{
    public class MigrationPlannerTests
    {
        // Figures shaped like the lab's fake nodes (ratio 16 for VCPU, 1.5 for RAM), scaled down so a few instances matter.
        private static Hypervisor Node(string host, long memoryUsed, long vcpuUsed, long memoryTotal = 8192, long vcpuTotal = 8) => new Hypervisor
        {
            Id = "rp-" + host,
            Name = host,
            HostName = host,
            State = ServiceState.Up,
            Status = ServiceStatus.Enabled,
            HypervisorType = "fake",
            HypervisorVersion = 1000,
            Vcpu = new ResourceCapacity("VCPU", vcpuTotal, 0, 1.0, vcpuUsed, vcpuTotal),
            MemoryMB = new ResourceCapacity("MEMORY_MB", memoryTotal, 0, 1.0, memoryUsed, memoryTotal),
            DiskGB = new ResourceCapacity("DISK_GB", 1000, 0, 1.0, 0, 1000),
        };

        private static ComputeService Service(string host, bool enabled = true, bool up = true) => new ComputeService
        {
            Binary = "nova-compute",
            HostName = host,
            State = up ? ServiceState.Up : ServiceState.Down,
            Status = enabled ? ServiceStatus.Enabled : ServiceStatus.Disabled,
        };

        private static Instance Vm(string name, string host, int ramMB = 512, int vcpus = 1, ServerStatus status = ServerStatus.Active) => new Instance
        {
            Id = "id-" + name,
            Name = name,
            HostName = host,
            HypervisorHostname = host,
            Status = status,
            StatusText = status.ToString().ToUpperInvariant(),
            Flavor = new FlavorInfo { Name = ramMB == 512 ? "m1.tiny" : "m1.small", RamMB = ramMB, Vcpus = vcpus, DiskGB = 1 },
        };

        private static PlannerInput Lab(MaintenanceGoal goal, IReadOnlyList<Instance> instances, params Hypervisor[] nodes) => new PlannerInput
        {
            Goal = goal,
            SourceHosts = new[] { "compute2" },
            Instances = instances,
            Hypervisors = nodes,
            ComputeServices = nodes.Select(n => Service(n.HostName)).ToList(),
        };

        // A node as Placement's bulk answer gives it: capacity and use; its inventory figures (max_unit...) are read on
        // first use, and each read is counted.
        private static Hypervisor BulkNode(string host, long memoryUsed, List<string> reads)
        {
            ResourceCapacity Bulk(string resourceClass, long capacity, long used) => new ResourceCapacity(resourceClass, capacity, used, () =>
            {
                reads.Add($"{host} {resourceClass}");
                return new ResourceCapacity(resourceClass, capacity, 0, 1.0, used, capacity);
            }, (_, _) => Task.CompletedTask);
            var node = Node(host, memoryUsed, 0);
            node.Vcpu = Bulk("VCPU", 8, 0);
            node.MemoryMB = Bulk("MEMORY_MB", 8192, memoryUsed);
            node.DiskGB = Bulk("DISK_GB", 1000, 0);
            return node;
        }

        [Fact]
        public void APlanOverBulkFiguresReadsNoInventoryWherePlacementOffersTheNodes()
        {
            // compute1 has room for exactly two m1.tiny: the plan's own earlier moves still count, on bulk figures too.
            var reads = new List<string>();
            var vms = Enumerable.Range(1, 4).Select(i => Vm($"vm{i}", "compute2")).ToList();
            var input = Lab(MaintenanceGoal.Drain, vms, BulkNode("compute1", 8192 - 1024, reads), BulkNode("compute2", 2048, reads), BulkNode("compute3", 0, reads));
            input.OfferedByNeed = new Dictionary<string, IReadOnlyCollection<string>> { [ResourceNeed.Of(vms[0]).Key] = new[] { "rp-compute1", "rp-compute3" } };

            var plan = MigrationPlanner.Plan(input);

            Assert.Equal(4, plan.PlacedCount);
            Assert.True(plan.Items.Count(i => i.DestinationHost == "compute1") <= 2);
            Assert.Empty(reads);
        }

        [Fact]
        public void DrainPlacesEveryInstanceAndSpreadsThem()
        {
            var vms = Enumerable.Range(1, 6).Select(i => Vm($"vm{i}", "compute2")).ToList();
            var plan = MigrationPlanner.Plan(Lab(MaintenanceGoal.Drain, vms, Node("compute1", 0, 0), Node("compute2", 3072, 6), Node("compute3", 0, 0)));

            Assert.Equal(6, plan.PlacedCount);
            Assert.Equal(0, plan.UnplaceableCount);
            Assert.Equal(3, plan.Items.Count(i => i.DestinationHost == "compute1"));
            Assert.Equal(3, plan.Items.Count(i => i.DestinationHost == "compute3"));
            Assert.Equal(Enumerable.Range(1, 6), plan.Items.Select(i => i.Order));
            Assert.All(plan.Items, i => Assert.True(i.Checks!.CanMigrate));
            Assert.All(plan.Items, i => Assert.Contains("least used", i.Reason));
        }

        [Fact]
        public void DrainNeverOvercommitsADestinationWithItsOwnEarlierChoices()
        {
            // compute1 has room for exactly two m1.tiny, compute3 for one: each free on its own, not all together.
            var vms = Enumerable.Range(1, 4).Select(i => Vm($"vm{i}", "compute2")).ToList();
            var plan = MigrationPlanner.Plan(Lab(MaintenanceGoal.Drain, vms, Node("compute1", 8192 - 1024, 0), Node("compute2", 2048, 4), Node("compute3", 8192 - 512, 0)));

            Assert.Equal(2, plan.Items.Count(i => i.DestinationHost == "compute1"));
            Assert.Equal(1, plan.Items.Count(i => i.DestinationHost == "compute3"));
            var stuck = Assert.Single(plan.Items, i => !i.CanMigrate);
            Assert.Null(stuck.DestinationHost);
            Assert.Equal(PlanPlacement.Unplaceable, stuck.Placement);
            Assert.Contains("compute1: compute1 has only 0 MB of RAM free", stuck.Reason);
            Assert.Contains("compute3: compute3 has only 0 MB of RAM free", stuck.Reason);
            Assert.Equal(8192, plan.Hosts.Single(h => h.HostName == "compute1").MemoryUsedMBAfter);
            Assert.Equal(512, plan.Hosts.Single(h => h.HostName == "compute2").MemoryUsedMBAfter);
        }

        [Fact]
        public void DrainPlacesTheLargestFirst()
        {
            var vms = new[] { Vm("small", "compute2"), Vm("big", "compute2", ramMB: 4096, vcpus: 2) };
            var plan = MigrationPlanner.Plan(Lab(MaintenanceGoal.Drain, vms, Node("compute1", 0, 0), Node("compute2", 4608, 3), Node("compute3", 0, 0)));

            Assert.Equal("big", plan.Items[0].InstanceName);
            Assert.Equal("compute1", plan.Items[0].DestinationHost);
            Assert.Equal("compute3", plan.Items[1].DestinationHost);
        }

        [Fact]
        public void AntiAffinityMembersGoToDifferentHostsAndTheThirdCannotGo()
        {
            var vms = new[] { Vm("a1", "compute2"), Vm("a2", "compute2"), Vm("a3", "compute2") };
            var input = Lab(MaintenanceGoal.Drain, vms, Node("compute1", 0, 0), Node("compute2", 1536, 3), Node("compute3", 0, 0));
            input.ServerGroups = new[] { new ServerGroupInfo { Id = "g", Name = "web", Policy = "anti-affinity", MaxServerPerHost = 2, Members = vms.Select(v => v.Id).ToList() } };
            var plan = MigrationPlanner.Plan(input);

            // Two per host at most: compute2 is the source, so compute1 and compute3 take two between them... and the rule counts planned moves.
            Assert.Equal(3, plan.PlacedCount);
            Assert.True(plan.Items.GroupBy(i => i.DestinationHost).All(g => g.Count() <= 2));

            input.ServerGroups[0].MaxServerPerHost = 1;
            input.Instances = vms.Concat(new[] { Vm("a4", "compute2") }).ToList();
            input.ServerGroups[0].Members = input.Instances.Select(v => v.Id).ToList();
            plan = MigrationPlanner.Plan(input);
            Assert.Equal(2, plan.PlacedCount);
            Assert.Equal(new[] { "compute1", "compute3" }, plan.Items.Where(i => i.CanMigrate).Select(i => i.DestinationHost).OrderBy(h => h));
            Assert.All(plan.Items.Where(i => !i.CanMigrate), i => Assert.Contains("anti-affinity group 'web'", i.Reason));
        }

        [Fact]
        public void AffinityGroupOnTheSourceCannotBeSplit()
        {
            var vms = new[] { Vm("b1", "compute2"), Vm("b2", "compute2") };
            var input = Lab(MaintenanceGoal.Drain, vms, Node("compute1", 0, 0), Node("compute2", 1024, 2), Node("compute3", 0, 0));
            input.ServerGroups = new[] { new ServerGroupInfo { Id = "g", Name = "db", Policy = "affinity", Members = vms.Select(v => v.Id).ToList() } };
            var plan = MigrationPlanner.Plan(input);

            Assert.Equal(0, plan.PlacedCount);
            Assert.All(plan.Items, i => Assert.Contains("affinity group 'db'", i.Reason));
        }

        [Fact]
        public void ShutoffInstanceIsColdMigratedOnlyWhenAllowed()
        {
            var vms = new[] { Vm("off", "compute2", status: ServerStatus.Shutoff) };
            var input = Lab(MaintenanceGoal.Drain, vms, Node("compute1", 0, 0), Node("compute2", 512, 1));
            var refused = Assert.Single(MigrationPlanner.Plan(input).Items);
            Assert.False(refused.CanMigrate);
            Assert.Contains("-AllowColdMigration", refused.Reason);

            input.AllowCold = true;
            var cold = Assert.Single(MigrationPlanner.Plan(input).Items);
            Assert.True(cold.CanMigrate);
            Assert.Equal(MigrationKind.Cold, cold.Kind);
        }

        [Fact]
        public void ErrorInstanceIsReportedNotMoved()
        {
            var vms = new[] { Vm("broken", "compute2", status: ServerStatus.Error) };
            var item = Assert.Single(MigrationPlanner.Plan(Lab(MaintenanceGoal.Drain, vms, Node("compute1", 0, 0), Node("compute2", 512, 1))).Items);
            Assert.False(item.CanMigrate);
            Assert.Contains("Neither a live nor a cold migration", item.Reason);
        }

        [Fact]
        public void DefaultDestinationsSkipDisabledAndDownHosts()
        {
            var input = Lab(MaintenanceGoal.Drain, new[] { Vm("vm1", "compute2") }, Node("compute1", 0, 0), Node("compute2", 512, 1), Node("compute3", 0, 0), Node("compute4", 0, 0));
            input.ComputeServices = new[] { Service("compute1", enabled: false), Service("compute2"), Service("compute3", up: false), Service("compute4") };
            var plan = MigrationPlanner.Plan(input);

            Assert.Equal(new[] { "compute4" }, plan.DestinationHosts);
            Assert.Equal("compute4", plan.Items.Single().DestinationHost);
        }

        [Fact]
        public void ANamedDisabledDestinationIsRuledOutWithTheReason()
        {
            var input = Lab(MaintenanceGoal.Drain, new[] { Vm("vm1", "compute2") }, Node("compute1", 0, 0), Node("compute2", 512, 1));
            input.ComputeServices = new[] { Service("compute1", enabled: false), Service("compute2") };
            input.DestinationHosts = new[] { "compute1" };
            var item = MigrationPlanner.Plan(input).Items.Single();

            Assert.False(item.CanMigrate);
            Assert.Contains("compute1: The compute service on compute1 is disabled", item.Reason);
        }

        [Fact]
        public void NoDestinationIsANote()
        {
            var input = Lab(MaintenanceGoal.Drain, new[] { Vm("vm1", "compute2") }, Node("compute2", 512, 1));
            var plan = MigrationPlanner.Plan(input);

            Assert.Contains(plan.Notes, n => n.Contains("no other compute host is up and enabled"));
            Assert.Equal("No destination host to consider.", plan.Items.Single().Reason);
        }

        [Fact]
        public void BalanceMovesJustEnoughAndKeepsEveryHostWithinTheTolerance()
        {
            // 9 x 512 MB on compute2, 1 on compute1, none on compute3: mean = 10 x 512 / 3 hosts.
            var vms = Enumerable.Range(1, 9).Select(i => Vm($"vm{i}", "compute2")).ToList();
            var input = Lab(MaintenanceGoal.Balance, vms, Node("compute1", 512, 1), Node("compute2", 4608, 9), Node("compute3", 0, 0));
            // Whole instances cannot make 3.33 each: 4 left on compute2 is 25% over the mean, so allow 25%.
            input.TolerancePercent = 25;
            var plan = MigrationPlanner.Plan(input);

            Assert.Equal(100.0 * 5120 / (3 * 8192), plan.MeanMemoryPercent, 2);
            var source = plan.Hosts.Single(h => h.HostName == "compute2");
            Assert.True(source.MemoryPercentAfter <= plan.MeanMemoryPercent * 1.25 + 1e-9, source.ToString());
            Assert.All(plan.Hosts.Where(h => h.Role == "Destination"), h => Assert.True(h.MemoryPercentAfter <= (plan.MeanMemoryPercent * 1.25) + 1e-3, h.ToString()));

            // 5 moves leave 4 on compute2 (within 25% of 3.33), 2 to compute1 and 3 to compute3.
            Assert.Equal(5, plan.PlacedCount);
            Assert.Equal(2, plan.Items.Count(i => i.DestinationHost == "compute1"));
            Assert.Equal(3, plan.Items.Count(i => i.DestinationHost == "compute3"));
            Assert.All(plan.Items, i => Assert.StartsWith("Balance: compute2 uses", i.Reason));
        }

        [Theory]
        [InlineData(0, 1)]
        [InlineData(10, 1)]
        [InlineData(20, 2)]
        public void BalanceToleranceBindsSourcesAndDestinationsAlike(double tolerance, int moves)
        {
            // 5 x 512 MB over 3 hosts: the mean is 1.67 instances each. Within 20% (2.0), 2/2/1 is balanced; within 10% only 3/1/1 is reachable.
            var vms = Enumerable.Range(1, 4).Select(i => Vm($"vm{i}", "compute2")).ToList();
            var input = Lab(MaintenanceGoal.Balance, vms, Node("compute1", 512, 1), Node("compute2", 2048, 4), Node("compute3", 0, 0));
            input.TolerancePercent = tolerance;
            var plan = MigrationPlanner.Plan(input);

            Assert.Equal(moves, plan.PlacedCount);
            Assert.All(plan.Hosts.Where(h => h.Role == "Destination"), h => Assert.True(h.MemoryPercentAfter <= (plan.MeanMemoryPercent * (1 + (tolerance / 100))) + 1e-3, h.ToString()));
        }

        [Fact]
        public void BalanceOfABalancedHostMovesNothing()
        {
            var vms = new[] { Vm("vm1", "compute2") };
            var plan = MigrationPlanner.Plan(Lab(MaintenanceGoal.Balance, vms, Node("compute1", 512, 1), Node("compute2", 512, 1), Node("compute3", 512, 1)));

            Assert.Empty(plan.Items);
            Assert.Contains(plan.Notes, n => n.Contains("already within 10% of the mean"));
        }

        [Fact]
        public void BalanceSaysWhenItCannotReachTheMean()
        {
            // One big instance: moving it would push the destination above the mean.
            var vms = new[] { Vm("big", "compute2", ramMB: 4096, vcpus: 4) };
            var plan = MigrationPlanner.Plan(Lab(MaintenanceGoal.Balance, vms, Node("compute1", 0, 0), Node("compute2", 4096, 4), Node("compute3", 0, 0)));

            Assert.Empty(plan.Items);
            Assert.Contains(plan.Notes, n => n.Contains("compute2 stays above the mean"));
        }

        [Fact]
        public void BalanceConsidersVcpuToo()
        {
            // RAM is even, but compute2 carries every vCPU.
            var vms = Enumerable.Range(1, 6).Select(i => Vm($"cpu{i}", "compute2", ramMB: 0, vcpus: 1)).ToList();
            var plan = MigrationPlanner.Plan(Lab(MaintenanceGoal.Balance, vms, Node("compute1", 1024, 0), Node("compute2", 1024, 6), Node("compute3", 1024, 0)));

            Assert.Equal(4, plan.PlacedCount);
            Assert.Equal(2, plan.Hosts.Single(h => h.HostName == "compute2").VcpuUsedAfter);
        }
    }
}
