using System.IO;
using System.Linq;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>Parsing of responses captured from the lab's real Nova 26.2.2 and Placement.</summary>
    public class CapturedResponseTests
    {
        private static JObject Load(string name) => JObject.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(typeof(CapturedResponseTests).Assembly.Location)!, "Fixtures", name)));

        [Fact]
        public void HypervisorsAt253HaveUuidsStateAndInstanceCounts()
        {
            var list = ((JArray)Load("nova-hypervisors-detail-2.53.json")["hypervisors"]!).Select(NovaClient.ParseHypervisor).ToList();
            Assert.Equal(3, list.Count);
            var c1 = list.Single(h => h.Name == "compute1");
            Assert.True(System.Guid.TryParse(c1.Id, out _), "2.53 ids are the resource provider uuids");
            Assert.Equal("compute1", c1.HostName);
            Assert.Equal("fake", c1.HypervisorType);
            Assert.NotNull(c1.RunningInstances);
            Assert.Contains(list, h => h.State == ServiceState.Up && h.Status == ServiceStatus.Enabled);
        }

        [Fact]
        public void HypervisorsAt288LackResourceFieldsSoCapacityMustComeFromPlacement()
        {
            var raw = (JArray)Load("nova-hypervisors-detail-2.88.json")["hypervisors"]!;
            Assert.All(raw, h => Assert.Null(h["memory_mb"]));
            var parsed = raw.Select(NovaClient.ParseHypervisor).ToList();
            Assert.All(parsed, h => Assert.Null(h.RunningInstances));
        }

        [Fact]
        public void PlacementInventoriesAndUsagesMakeCapacity()
        {
            var capacity = PlacementClient.ParseCapacity(Load("placement-inventories.json"), Load("placement-usages.json"));
            var ram = capacity["MEMORY_MB"];
            Assert.Equal(800000, ram.Total);
            Assert.Equal(1.5, ram.AllocationRatio);
            Assert.Equal(800000, ram.MaxUnit);
            Assert.Equal((long)((ram.Total - ram.Reserved) * ram.AllocationRatio) - ram.Used, ram.Free);
            Assert.Equal(1000, capacity["VCPU"].Total);
            Assert.Equal(16.0, capacity["VCPU"].AllocationRatio);
            Assert.Equal(600000, capacity["DISK_GB"].Total);
        }

        [Fact]
        public void ServerAt293CarriesHostFlavorAndImage()
        {
            var vm = NovaClient.ParseInstance(((JArray)Load("nova-servers-detail-2.93.json")["servers"]!)[0]);
            Assert.Equal("cirros_vm", vm.Name);
            Assert.Equal(ServerStatus.Active, vm.Status);
            Assert.Equal(PowerState.Running, vm.PowerState);
            Assert.StartsWith("compute", vm.HostName);
            Assert.Equal("m1.tiny", vm.Flavor.Name);
            Assert.Equal(512, vm.Flavor.RamMB);
            Assert.False(vm.IsVolumeBacked);
            Assert.NotNull(vm.ImageId);
            Assert.NotNull(vm.Created);
        }

        [Fact]
        public void AVolumeBackedServerShowsAnEmptyImageString()
        {
            var server = (JObject)((JArray)Load("nova-servers-detail-2.93.json")["servers"]!)[0].DeepClone();
            server["image"] = string.Empty;
            server["os-extended-volumes:volumes_attached"] = new JArray(new JObject { ["id"] = "v1", ["delete_on_termination"] = true });
            var vm = NovaClient.ParseInstance(server);
            Assert.True(vm.IsVolumeBacked);
            Assert.Null(vm.ImageId);
            Assert.Equal("v1", Assert.Single(vm.Volumes).VolumeId);
            Assert.True(vm.Volumes[0].DeleteOnTermination);
        }

        [Fact]
        public void ServicesAt253HaveUuidsAndReasons()
        {
            var services = ((JArray)Load("nova-services-2.53.json")["services"]!).Select(NovaClient.ParseService).ToList();
            Assert.Contains(services, s => s.Binary == "nova-compute" && s.HostName == "compute1");
            Assert.All(services, s => Assert.True(System.Guid.TryParse(s.Id, out _)));
        }

        [Fact]
        public void NovaNotFoundMessageIsKept()
        {
            Assert.Equal("Instance 00000000-0000-0000-0000-000000000000 could not be found.", ApiConnection.ServiceMessageOf(Load("nova-404-action.json")));
        }

        [Fact]
        public void VersionRootGivesTheMaximumMicroversion()
        {
            Assert.Equal("2.93", Microversion.Parse((string?)Load("nova-version-root.json")["version"]!["version"])!.ToString());
        }
    }
}
