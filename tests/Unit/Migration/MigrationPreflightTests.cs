#nullable enable
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    public class MigrationPreflightTests
    {
        private static PreflightInput Input(string? destination, Instance? instance = null, List<ComputeService>? services = null, MigrationKind kind = MigrationKind.Live) =>
            new PreflightInput(instance ?? Fixtures.ActiveOnCompute1(), kind)
            {
                DestinationHost = destination,
                Hypervisors = Fixtures.Hypervisors(),
                ComputeServices = services ?? Fixtures.ServicesAllUp(),
            };

        private static MigrationCheck Check(MigrationCheckReport report, string name) => report.GetCheck(name)!;

        [Fact]
        public void HealthyDestinationPassesEveryCheck()
        {
            var report = MigrationPreflight.Evaluate(Input("compute2"));

            Assert.True(report.CanMigrate);
            Assert.Equal("0231c93f-93d7-432f-99b8-e85be8686243", report.InstanceId);
            Assert.Equal("compute2", report.DestinationHost);
            Assert.Equal("compute1", report.SourceHost);
            Assert.All(report.Checks, c => Assert.Equal(MigrationCheckResult.Passed, c.Result));
            Assert.Equal(new[] { "InstanceState", "DestinationHost", "ComputeService", "Hypervisor", "Vcpu", "Memory", "Disk", "Storage", "ServerGroup" }, report.Checks.Select(c => c.Name));
            Assert.Equal(1200000L - 512, report.FreeMemoryMBAfter);
        }

        [Fact]
        public void SmallHostFailsOnMemoryMaxUnitWithTheFigures()
        {
            var report = MigrationPreflight.Evaluate(Input("compute3"));

            Assert.False(report.CanMigrate);
            var memory = Check(report, "Memory");
            Assert.Equal(MigrationCheckResult.Failed, memory.Result);
            Assert.Contains("at most 256 (max_unit)", memory.Reason);
            Assert.Contains("m1.tiny needs 512", memory.Reason);
            Assert.Equal(MigrationCheckResult.Passed, Check(report, "Vcpu").Result);
            Assert.Equal(memory.Reason, report.Reason);
        }

        // Figures as Placement's bulk answer gives them (capacity and use); the inventory's own figures are read on
        // first use from `details`, which counts the reads.
        private static ResourceCapacity Bulk(string resourceClass, long capacity, long used, long maxUnit, List<string> reads) =>
            new ResourceCapacity(resourceClass, capacity, used, () =>
            {
                reads.Add(resourceClass);
                return new ResourceCapacity(resourceClass, total: capacity, reserved: 0, allocationRatio: 1.0, used: used, maxUnit: maxUnit);
            }, (_, _) => Task.CompletedTask);

        private static PreflightInput BulkInput(long freeMemory, long memoryMaxUnit, IReadOnlyCollection<string> offered, List<string> reads)
        {
            var hypervisors = Fixtures.Hypervisors();
            var compute2 = hypervisors.Single(h => h.HostName == "compute2");
            compute2.Vcpu = Bulk("VCPU", 64, 4, 64, reads);
            compute2.MemoryMB = Bulk("MEMORY_MB", 65536, 65536 - freeMemory, memoryMaxUnit, reads);
            compute2.DiskGB = Bulk("DISK_GB", 1000, 10, 1000, reads);
            var input = Input("compute2");
            input.Hypervisors = hypervisors;
            input.FittingNodes = offered.Select(host => hypervisors.Single(h => h.HostName == host).Id).ToList();
            return input;
        }

        [Fact]
        public void ANodePlacementOffersForTheFlavorPassesWithoutItsInventoryFiguresBeingRead()
        {
            var reads = new List<string>();
            var report = MigrationPreflight.Evaluate(BulkInput(freeMemory: 30000, memoryMaxUnit: 65536, new[] { "compute2" }, reads));

            Assert.True(report.CanMigrate, report.Reason);
            Assert.Empty(reads);
            Assert.Contains("compute2 has 30000 MB of RAM free of 65536", Check(report, "Memory").Reason);
        }

        [Fact]
        public void ANodeNotOfferedThatHasRoomHasItsMaxUnitReadToSayWhy()
        {
            var reads = new List<string>();
            var report = MigrationPreflight.Evaluate(BulkInput(freeMemory: 30000, memoryMaxUnit: 256, new string[0], reads));

            var memory = Check(report, "Memory");
            Assert.Equal(MigrationCheckCode.ExceedsMaxUnit, memory.Code);
            Assert.Contains("at most 256 (max_unit)", memory.Reason);
            Assert.Contains("MEMORY_MB", reads);
        }

        [Fact]
        public void ANodeNotOfferedThatIsShortOfRoomFailsOnRoomAndReadsNothing()
        {
            var reads = new List<string>();
            var report = MigrationPreflight.Evaluate(BulkInput(freeMemory: 100, memoryMaxUnit: 65536, new string[0], reads));

            var memory = Check(report, "Memory");
            Assert.Equal(MigrationCheckCode.InsufficientCapacity, memory.Code);
            Assert.Equal("compute2 has only 100 MB of RAM free (65436 used of 65536); m1.tiny needs 512.", memory.Reason);
            Assert.Equal(MigrationCheckResult.Passed, Check(report, "Vcpu").Result);
            Assert.Empty(reads);
        }

        [Fact]
        public void FreeCapacityCountsReservedRatioAndUsage()
        {
            var hypervisors = Fixtures.Hypervisors();
            var compute2 = hypervisors.Single(h => h.HostName == "compute2");
            compute2.MemoryMB = new ResourceCapacity("MEMORY_MB", total: 2048, reserved: 512, allocationRatio: 1.5, used: 1900, maxUnit: 2048);
            var input = Input("compute2");
            input.Hypervisors = hypervisors;

            var memory = Check(MigrationPreflight.Evaluate(input), "Memory");

            // (2048 - 512) x 1.5 = 2304; 2304 - 1900 = 404 free < 512.
            Assert.Equal(MigrationCheckResult.Failed, memory.Result);
            Assert.Contains("only 404 MB of RAM free", memory.Reason);
            Assert.Contains("reserved 512", memory.Reason);
            Assert.Contains("allocation ratio 1.5", memory.Reason);
        }

        [Fact]
        public void DownComputeServiceFails()
        {
            var report = MigrationPreflight.Evaluate(Input("compute2", services: Fixtures.ServicesWithCompute2Down()));

            var service = Check(report, "ComputeService");
            Assert.Equal(MigrationCheckResult.Failed, service.Result);
            Assert.StartsWith("The compute service on compute2 is down", service.Reason);
        }

        [Fact]
        public void DisabledComputeServiceFailsWithItsReason()
        {
            var services = Fixtures.ServicesAllUp();
            var compute2 = services.Single(s => s.HostName == "compute2");
            compute2.Status = ServiceStatus.Disabled;
            compute2.DisabledReason = "maintenance ticket 42";

            var service = Check(MigrationPreflight.Evaluate(Input("compute2", services: services)), "ComputeService");

            Assert.Equal(MigrationCheckResult.Failed, service.Result);
            Assert.Equal("The compute service on compute2 is disabled (maintenance ticket 42).", service.Reason);
        }

        [Fact]
        public void ForcedDownServiceFails()
        {
            var services = Fixtures.ServicesAllUp();
            services.Single(s => s.HostName == "compute2").ForcedDown = true;

            Assert.Contains("forced down", Check(MigrationPreflight.Evaluate(Input("compute2", services: services)), "ComputeService").Reason);
        }

        [Fact]
        public void TheSourceHostIsNotADestination()
        {
            var report = MigrationPreflight.Evaluate(Input("compute1"));

            Assert.False(report.CanMigrate);
            Assert.Equal("cirros_vm is already on compute1; a migration needs another host.", Check(report, "DestinationHost").Reason);
        }

        [Fact]
        public void AnUnknownHostIsNamedWithTheHostsThatExist()
        {
            var report = MigrationPreflight.Evaluate(Input("nohost"));

            Assert.False(report.CanMigrate);
            Assert.Equal(2, report.Checks.Count);
            Assert.StartsWith("There is no compute host 'nohost'. Compute hosts: compute1, compute2, compute3", Check(report, "DestinationHost").Reason);
            Assert.Equal(MigrationCheckCode.NoSuchHost, Check(report, "DestinationHost").Code);
            Assert.Equal("OSComputeHostNotFound", MigrationVerdicts.ErrorFor(new MigrationResult { Verdict = MigrationVerdict.Refused, Checks = report, Reason = report.Reason })!.ErrorId);
        }

        [Fact]
        public void EveryCheckThatDoesNotPassCarriesTheCodeOfWhatItFound()
        {
            Assert.All(MigrationPreflight.Evaluate(Input("compute2")).Checks, c => Assert.Equal(MigrationCheckCode.None, c.Code));
            Assert.Equal(MigrationCheckCode.SameHost, Check(MigrationPreflight.Evaluate(Input("compute1")), "DestinationHost").Code);
            Assert.Equal(MigrationCheckCode.ExceedsMaxUnit, Check(MigrationPreflight.Evaluate(Input("compute3")), "Memory").Code);
            Assert.Equal(MigrationCheckCode.ServiceDown, Check(MigrationPreflight.Evaluate(Input("compute2", services: Fixtures.ServicesWithCompute2Down())), "ComputeService").Code);
            Assert.Equal(MigrationCheckCode.InstanceStatusNotAllowed, Check(MigrationPreflight.Evaluate(Input("compute2", Fixtures.Server("server-migrating.json"))), "InstanceState").Code);
            var busy = Fixtures.ActiveOnCompute1();
            busy.TaskState = "image_snapshot";
            Assert.Equal(MigrationCheckCode.InstanceBusy, MigrationPreflight.CheckState(busy, MigrationKind.Live).Code);
            Assert.Equal(MigrationCheckCode.SchedulerPicksHost, Check(MigrationPreflight.Evaluate(Input(null)), "DestinationHost").Code);
            Assert.Equal(MigrationCheckCode.NoHostHasRoom, Check(MigrationPreflight.Evaluate(Input(null, services: Fixtures.ServicesWithCompute2Down())), "Scheduler").Code);

            var services = Fixtures.ServicesAllUp();
            services.Single(s => s.HostName == "compute2").Status = ServiceStatus.Disabled;
            Assert.Equal(MigrationCheckCode.ServiceDisabled, Check(MigrationPreflight.Evaluate(Input("compute2", services: services)), "ComputeService").Code);
            services.Single(s => s.HostName == "compute2").ForcedDown = true;
            Assert.Equal(MigrationCheckCode.ServiceForcedDown, Check(MigrationPreflight.Evaluate(Input("compute2", services: services)), "ComputeService").Code);

            var mixed = Fixtures.ActiveOnCompute1();
            mixed.Volumes = new[] { new AttachedVolume { VolumeId = "data" } };
            Assert.Equal(MigrationCheckCode.SharedStorageNeeded, MigrationPreflight.CheckStorage(mixed, MigrationKind.Live, BlockMigrationMode.Never).Code);

            var hypervisors = Fixtures.Hypervisors();
            var compute2 = hypervisors.Single(h => h.HostName == "compute2");
            compute2.MemoryMB = new ResourceCapacity("MEMORY_MB", total: 2048, reserved: 512, allocationRatio: 1.5, used: 1900, maxUnit: 2048);
            compute2.HypervisorVersion = 999;
            var input = Input("compute2");
            input.Hypervisors = hypervisors;
            var report = MigrationPreflight.Evaluate(input);
            Assert.Equal(MigrationCheckCode.InsufficientCapacity, Check(report, "Memory").Code);
            Assert.Equal(MigrationCheckCode.HypervisorOlder, Check(report, "Hypervisor").Code);
        }

        [Fact]
        public void AMigratingInstanceIsBusy()
        {
            var report = MigrationPreflight.Evaluate(Input("compute2", Fixtures.Server("server-migrating.json")));

            var state = Check(report, "InstanceState");
            Assert.Equal(MigrationCheckResult.Failed, state.Result);
            Assert.Contains("MIGRATING", state.Reason);
        }

        [Fact]
        public void LiveNeedsActiveOrPausedColdAlsoTakesShutoff()
        {
            var instance = Fixtures.ActiveOnCompute1();
            instance.Status = ServerStatus.Shutoff;
            instance.StatusText = "SHUTOFF";

            Assert.Equal(MigrationCheckResult.Failed, MigrationPreflight.CheckState(instance, MigrationKind.Live).Result);
            Assert.Contains("ACTIVE or PAUSED", MigrationPreflight.CheckState(instance, MigrationKind.Live).Reason);
            Assert.Equal(MigrationCheckResult.Passed, MigrationPreflight.CheckState(instance, MigrationKind.Cold).Result);
        }

        [Fact]
        public void AnOlderHypervisorCannotTakeALiveMigration()
        {
            var hypervisors = Fixtures.Hypervisors();
            hypervisors.Single(h => h.HostName == "compute2").HypervisorVersion = 999;
            var input = Input("compute2");
            input.Hypervisors = hypervisors;

            var check = Check(MigrationPreflight.Evaluate(input), "Hypervisor");

            Assert.Equal(MigrationCheckResult.Failed, check.Result);
            Assert.Contains("older than the source's 1000", check.Reason);
        }

        [Fact]
        public void StorageCheckNamesTheThreeCases()
        {
            var local = Fixtures.ActiveOnCompute1();
            var volume = Fixtures.ActiveOnCompute1();
            volume.IsVolumeBacked = true;
            volume.ImageId = null;
            volume.Volumes = new[] { new AttachedVolume { VolumeId = "root" } };
            var mixed = Fixtures.ActiveOnCompute1();
            mixed.Volumes = new[] { new AttachedVolume { VolumeId = "data" } };

            Assert.StartsWith("Local disks", MigrationPreflight.CheckStorage(local, MigrationKind.Live, BlockMigrationMode.Auto).Reason);
            Assert.StartsWith("Volume-backed (1 volume(s))", MigrationPreflight.CheckStorage(volume, MigrationKind.Live, BlockMigrationMode.Auto).Reason);
            var check = MigrationPreflight.CheckStorage(mixed, MigrationKind.Live, BlockMigrationMode.Auto);
            Assert.StartsWith("Mixed: Local disks", check.Reason);
            Assert.Contains("1 volume(s) are not copied", check.Reason);
        }

        [Fact]
        public void StorageChecksFollowTheBlockMigrationMode()
        {
            var local = Fixtures.ActiveOnCompute1();
            var volume = Fixtures.ActiveOnCompute1();
            volume.IsVolumeBacked = true;
            volume.ImageId = null;

            Assert.Equal(MigrationCheckResult.Passed, MigrationPreflight.CheckStorage(local, MigrationKind.Live, BlockMigrationMode.Auto).Result);
            Assert.Equal(MigrationCheckResult.Warning, MigrationPreflight.CheckStorage(local, MigrationKind.Live, BlockMigrationMode.Never).Result);
            Assert.Equal(MigrationCheckResult.Passed, MigrationPreflight.CheckStorage(volume, MigrationKind.Live, BlockMigrationMode.Never).Result);
            Assert.Equal(MigrationCheckResult.Warning, MigrationPreflight.CheckStorage(volume, MigrationKind.Live, BlockMigrationMode.Always).Result);
            Assert.Equal(0, ResourceNeed.Of(volume).DiskGB);
            volume.Flavor.SwapMB = 1500;
            Assert.Equal(2, ResourceNeed.Of(volume).DiskGB);
        }

        [Fact]
        public void AntiAffinityRefusesAHostWithAnotherMember()
        {
            var instance = Fixtures.ActiveOnCompute1();
            var group = new ServerGroupInfo { Name = "web", Policy = "anti-affinity", Members = new[] { instance.Id, "other" } };
            var input = Input("compute2");
            input.ServerGroups = new[] { group };
            input.MemberHosts = new Dictionary<string, string?> { ["other"] = "compute2" };

            var check = Check(MigrationPreflight.Evaluate(input), "ServerGroup");
            Assert.Equal(MigrationCheckResult.Failed, check.Result);
            Assert.Contains("anti-affinity group 'web' already has 1 member(s) on compute2", check.Reason);

            input.MemberHosts = new Dictionary<string, string?> { ["other"] = "compute3" };
            Assert.Equal(MigrationCheckResult.Passed, Check(MigrationPreflight.Evaluate(input), "ServerGroup").Result);

            input.ServerGroups = new[] { new ServerGroupInfo { Name = "web", Policy = "soft-anti-affinity", Members = group.Members } };
            input.MemberHosts = new Dictionary<string, string?> { ["other"] = "compute2" };
            Assert.Equal(MigrationCheckResult.Warning, Check(MigrationPreflight.Evaluate(input), "ServerGroup").Result);
        }

        [Fact]
        public void AffinityRefusesLeavingTheGroup()
        {
            var instance = Fixtures.ActiveOnCompute1();
            var input = Input("compute2");
            input.ServerGroups = new[] { new ServerGroupInfo { Name = "db", Policy = "affinity", Members = new[] { instance.Id, "other" } } };
            input.MemberHosts = new Dictionary<string, string?> { ["other"] = "compute1" };

            Assert.Equal(MigrationCheckResult.Failed, Check(MigrationPreflight.Evaluate(input), "ServerGroup").Result);
        }

        [Fact]
        public void WithoutADestinationTheSchedulerNeedsAHostWithRoom()
        {
            var report = MigrationPreflight.Evaluate(Input(null));
            Assert.True(report.CanMigrate);
            Assert.Null(report.DestinationHost);
            Assert.Equal(MigrationCheckResult.Skipped, Check(report, "DestinationHost").Result);
            Assert.Contains("compute2", Check(report, "Scheduler").Reason);
            Assert.DoesNotContain("compute3", Check(report, "Scheduler").Reason);

            var services = Fixtures.ServicesWithCompute2Down();
            var alone = MigrationPreflight.Evaluate(Input(null, services: services));
            Assert.False(alone.CanMigrate);
            Assert.StartsWith("None of the", Check(alone, "Scheduler").Reason);
        }
    }
}
