#nullable enable
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Tests.Migration
{
    /// <summary>Responses captured from the lab's real Nova and Placement, parsed through the clients' own parsers.</summary>
    internal static class Fixtures
    {
        public static JObject Load(string name)
        {
            var path = Path.Combine(System.AppContext.BaseDirectory, "Fixtures", "Migration", name);
            using var reader = new JsonTextReader(new StringReader(File.ReadAllText(path))) { DateParseHandling = DateParseHandling.None };
            return (JObject)JToken.ReadFrom(reader);
        }

        public static Instance Server(string name) => NovaClient.ParseInstance(Load(name)["server"]!);

        /// <summary>cirros_vm, ACTIVE on compute1, m1.tiny (1 vCPU, 512 MB, 1 GB), image-backed.</summary>
        public static Instance ActiveOnCompute1() => Server("server-active-compute1.json");

        public static List<ComputeService> ServicesWithCompute2Down() => ((JArray)Load("services-compute2-down.json")["services"]!).Select(NovaClient.ParseService).ToList();

        public static List<ComputeService> ServicesAllUp()
        {
            var services = ServicesWithCompute2Down();
            foreach (var s in services)
            {
                s.State = ServiceState.Up;
            }

            return services;
        }

        /// <summary>compute1..3 with capacity: compute3 is the lab's "small host" (256 MB).</summary>
        public static List<Hypervisor> Hypervisors(bool smallCompute3 = true)
        {
            var hypervisors = ((JArray)Load("hypervisors.json")["hypervisors"]!).Select(NovaClient.ParseHypervisor).ToList();
            var normal = Capacity("placement-inventories-compute2.json", "placement-usages-compute2.json");
            var small = Capacity("placement-inventories-small-compute3.json", "placement-usages-compute3.json");
            foreach (var h in hypervisors)
            {
                var c = h.Name == "compute3" && smallCompute3 ? small : normal;
                h.Vcpu = c["VCPU"];
                h.MemoryMB = c["MEMORY_MB"];
                h.DiskGB = c["DISK_GB"];
            }

            return hypervisors;
        }

        public static IReadOnlyDictionary<string, ResourceCapacity> Capacity(string inventories, string usages) =>
            PlacementClient.ParseCapacity(Load(inventories), Load(usages));

        /// <summary>os-migrations for one instance: two "error" live migrations (no valid host), then completed ones.</summary>
        public static List<MigrationRecord> HistoryWithErrors() => History("migrations-history-errors.json");

        /// <summary>os-migrations for one instance: a cold migration "finished" (VERIFY_RESIZE), two aborted ("cancelled") live migrations, one completed.</summary>
        public static List<MigrationRecord> HistoryWithCancelled() => History("migrations-history-cancelled.json");

        private static List<MigrationRecord> History(string name) => ((JArray)Load(name)["migrations"]!).Select(m => NovaClient.ParseMigration(m, null)).ToList();

        public static MigrationRecord RunningWithCounters() => NovaClient.ParseMigration(((JArray)Load("server-migrations-running.json")["migrations"]!)[0], "live-migration");

        public static InstanceActionRecord NoValidHostAction() => NovaClient.ParseAction(Load("action-no-valid-host.json")["instanceAction"]!);
    }
}
