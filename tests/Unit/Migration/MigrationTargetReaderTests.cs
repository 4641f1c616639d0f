#nullable enable
using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    /// <summary>Test-OSMigrationTarget's reader over loopback HTTP with the lab's captured Nova and Placement answers.</summary>
    public sealed class MigrationTargetReaderTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();

        public MigrationTargetReaderTests()
        {
            _cloud.Handler = r =>
            {
                var path = r.Url!.AbsolutePath;
                (int, string) answer = path switch
                {
                    "/v2.1/os-hypervisors/detail" => (200, LoopbackCloud.Fixture("nova-hypervisors-detail-2.53.json")),
                    "/v2.1/os-services" => (200, LoopbackCloud.Fixture("nova-services-2.53.json")),
                    "/v2.1/os-server-groups" => (200, "{\"server_groups\": []}"),
                    "/placement/resource_providers" => (200, ProvidersOfTheNodes()),
                    _ when path.EndsWith("/usages", StringComparison.Ordinal) => (200, LoopbackCloud.Fixture("placement-usages.json")),
                    _ when path.EndsWith("/inventories", StringComparison.Ordinal) => (200, LoopbackCloud.Fixture("placement-inventories.json")),
                    _ => (404, "{}"),
                };
                return Task.FromResult(answer);
            };
        }

        // The node map is kept here, not in the user's folder.
        private readonly string _nodeMaps = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "osm-nodes-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            _cloud.Dispose();
            if (System.IO.Directory.Exists(_nodeMaps))
            {
                System.IO.Directory.Delete(_nodeMaps, true);
            }
        }

        // Placement's provider list for the captured nodes: a compute node's provider has its uuid and name.
        private static string ProvidersOfTheNodes() => new Newtonsoft.Json.Linq.JObject
        {
            ["resource_providers"] = new Newtonsoft.Json.Linq.JArray(
                Newtonsoft.Json.Linq.JObject.Parse(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53.json"))["hypervisors"]!.Select(h => new Newtonsoft.Json.Linq.JObject
                {
                    ["uuid"] = h["id"], ["name"] = h["hypervisor_hostname"], ["generation"] = 1, ["root_provider_uuid"] = h["id"],
                })),
        }.ToString();

        private int PlacementRequests => _cloud.Log.Count(l => l.Contains(" /placement/", StringComparison.Ordinal));

        [Fact]
        public async Task CapacityReadForTheSchedulerCheckServesTheNamedDestinationsToo()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var reader = new MigrationTargetReader(session, _nodeMaps);
            var instance = Fixtures.ActiveOnCompute1();

            var scheduler = await reader.CheckAsync(instance, MigrationKind.Live, null, BlockMigrationMode.Auto, false, NullSink.Instance, CancellationToken.None);
            Assert.Equal(MigrationCheckResult.Passed, scheduler.GetCheck(MigrationPreflight.SchedulerCheck)!.Result);
            // compute2 is down in the captured services answer.
            Assert.Equal("1 host(s) have room: compute3.", scheduler.GetCheck(MigrationPreflight.SchedulerCheck)!.Reason);
            // This Placement has no allocation candidates (404): the bulk request, the flavor's offer, the root providers
            // (for the node map), then usages and inventories of each of 3 (the nodes' ids are their providers' uuids).
            Assert.Equal(3 + 6, PlacementRequests);

            // The figures read for every node are the ones the named destination is checked with: nothing is asked again.
            var named = await reader.CheckAsync(instance, MigrationKind.Live, "compute3", BlockMigrationMode.Auto, false, NullSink.Instance, CancellationToken.None);
            Assert.Equal(3 + 6, PlacementRequests);
            Assert.True(named.CanMigrate);
            var memory = named.GetCheck(MigrationPreflight.MemoryCheck)!;
            Assert.Equal(MigrationCheckResult.Passed, memory.Result);
            Assert.NotNull(named.FreeMemoryMBAfter);
            Assert.Contains("MB of RAM free", memory.Reason);
        }
    }
}
