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
    /// <summary>
    /// The pre-flight check against Ocata's APIs: hypervisor ids are integers (compute 2.42, captured from the lab),
    /// so the destination's resource provider is found by name in Placement's 1.0 provider list.
    /// </summary>
    public sealed class OcataTargetReaderTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();

        public OcataTargetReaderTests()
        {
            _cloud.Handler = r =>
            {
                var path = r.Url!.AbsolutePath;
                (int, string) answer = path switch
                {
                    "/v2.1/os-hypervisors/detail" => (200, LoopbackCloud.Fixture("nova-hypervisors-detail-2.42.json")),
                    "/v2.1/os-services" => (200, LoopbackCloud.Fixture("nova-services-2.53.json")),
                    "/v2.1/os-server-groups" => (200, "{\"server_groups\": []}"),
                    "/placement/resource_providers" => (200, LoopbackCloud.Fixture("placement-resource-providers-1.0.json")),
                    _ when path.EndsWith("/usages", StringComparison.Ordinal) => (200, LoopbackCloud.Fixture("placement-usages.json")),
                    _ when path.EndsWith("/inventories", StringComparison.Ordinal) => (200, LoopbackCloud.Fixture("placement-inventories.json")),
                    _ => (404, "{}"),
                };
                return Task.FromResult(answer);
            };
        }

        public void Dispose() => _cloud.Dispose();

        [Fact]
        public async Task ANamedDestinationIsCheckedWithItsProviderFoundByName()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var reader = new MigrationTargetReader(session);
            var report = await reader.CheckAsync(Fixtures.ActiveOnCompute1(), MigrationKind.Live, "compute3", BlockMigrationMode.Auto, false, NullSink.Instance, CancellationToken.None);
            var memory = report.GetCheck(MigrationPreflight.MemoryCheck)!;
            Assert.Equal(MigrationCheckResult.Passed, memory.Result);
            Assert.Contains("MB of RAM free", memory.Reason);
            Assert.NotNull(report.FreeMemoryMBAfter);

            // compute3's provider uuid, from the provider list: never the integer id.
            Assert.Contains(_cloud.Log, l => l.Contains("/placement/resource_providers/" + ProviderOf("compute3") + "/usages", StringComparison.Ordinal));
            Assert.DoesNotContain(_cloud.Log, l => l.Contains("/placement/resource_providers/3/", StringComparison.Ordinal));
        }

        private static string ProviderOf(string name) =>
            Newtonsoft.Json.Linq.JObject.Parse(LoopbackCloud.Fixture("placement-resource-providers-1.0.json"))["resource_providers"]!
                .First(p => (string?)p["name"] == name)["uuid"]!.ToString();
    }
}
