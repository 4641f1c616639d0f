using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Inventory;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// Capacity read provider by provider, as it is when Placement has no bulk answer (this Placement answers
    /// allocation candidates with 404), over real HTTP on loopback with the lab's captured answers: inventories are
    /// kept for the session while a provider's generation holds. (The bulk read: <see cref="PlacementBulkTests"/>.)
    /// </summary>
    public sealed class PlacementPrefetchTests : IDisposable
    {
        private static readonly string[] Nodes = { "compute1", "compute2", "compute3" };
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private readonly CapturedHypervisors _hypervisors = new CapturedHypervisors(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53.json"));
        private readonly TaskCompletionSource<bool> _placementAskedForAll = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _capacityRequests;
        private int _expectedCapacityRequests = 2 * Nodes.Length;
        private bool _listFails;
        private bool? _novaAnsweredAfterPlacement;
        private bool _integerIds;

        public PlacementPrefetchTests()
        {
            _cloud.Handler = async r =>
            {
                var path = r.Url!.AbsolutePath;
                if (path == "/v2.1/os-hypervisors/detail")
                {
                    // Held until Placement was asked for every provider wanted, or 3 s.
                    await Task.WhenAny(_placementAskedForAll.Task, Task.Delay(3000));
                    _novaAnsweredAfterPlacement = _placementAskedForAll.Task.IsCompleted;
                    return (200, _integerIds ? _hypervisors.WithIntegerIds() : _hypervisors.Json);
                }

                if (path == "/placement/resource_providers")
                {
                    return _listFails ? (500, "{\"errors\": [{\"detail\": \"boom\"}]}") : (200, _hypervisors.AsProviders(Generation));
                }

                if (path.StartsWith("/placement/resource_providers/", StringComparison.Ordinal))
                {
                    if (Interlocked.Increment(ref _capacityRequests) == _expectedCapacityRequests)
                    {
                        _placementAskedForAll.TrySetResult(true);
                    }

                    // The captured answers, at the generation the test gives each provider (18 unless changed).
                    var uuid = path.Split('/')[3];
                    var body = Newtonsoft.Json.Linq.JObject.Parse(LoopbackCloud.Fixture(path.EndsWith("/usages", StringComparison.Ordinal) ? "placement-usages.json" : "placement-inventories.json"));
                    body["resource_provider_generation"] = Generation(uuid);
                    return (200, body.ToString());
                }

                return (404, "{}");
            };
        }

        public void Dispose() => _cloud.Dispose();

        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _generations = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();

        private long Generation(string uuid) => _generations.TryGetValue(uuid, out var g) ? g : 18;

        [Fact]
        public async Task InventoriesAreKeptWhileTheProviderGenerationIsTheSame()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var inventory = new CloudInventory(session);
            await inventory.GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);
            Assert.Equal(6, _capacityRequests);

            // Nothing changed: only usages are asked for.
            _expectedCapacityRequests = 9;
            await inventory.GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);
            Assert.Equal(9, _capacityRequests);
            Assert.Equal(6, _cloud.Log.Count(l => l.Contains("/usages ")));
            Assert.Equal(3, _cloud.Log.Count(l => l.Contains("/inventories ")));

            // One provider's generation moved (its inventory or allocations changed): its inventories are read again.
            var compute2 = Assert.Single(await inventory.GetHypervisorsAsync(new[] { "compute2" }, true, 8, NullSink.Instance, CancellationToken.None));
            _generations[compute2.Id] = 19;
            _expectedCapacityRequests = 14;
            var again = await inventory.GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);
            Assert.Equal(4, _cloud.Log.Count(l => l.Contains("/inventories ")));
            Assert.Contains(_cloud.Log, l => l.Contains($"/{compute2.Id}/inventories "));
            Assert.All(again, h => Assert.NotNull(h.MemoryMB));
        }

        [Fact]
        public async Task InventoriesAreKeptForTheSessionNotForOneCommand()
        {
            // Every cmdlet makes its own inventory (and Placement client): what one read, the next one of the session reuses.
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            await new CloudInventory(session).GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);
            _expectedCapacityRequests = 9;
            await new CloudInventory(session).GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);
            Assert.Equal(3, _cloud.Log.Count(l => l.Contains("/inventories ")));

            // Another session (another Connect-OSCloud) starts with nothing kept.
            using var other = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            _expectedCapacityRequests = 15;
            await new CloudInventory(other).GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);
            Assert.Equal(6, _cloud.Log.Count(l => l.Contains("/inventories ")));
            Assert.Equal(9, _cloud.Log.Count(l => l.Contains("/usages ")));
        }

        [Fact]
        public async Task WithoutTheProviderListEachHypervisorIsReadAfterNova()
        {
            _listFails = true;
            _expectedCapacityRequests = 2;
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var hypervisors = await new CloudInventory(session).GetHypervisorsAsync(new[] { "compute2" }, true, 8, NullSink.Instance, CancellationToken.None);

            var h = Assert.Single(hypervisors);
            Assert.Equal("compute2", h.Name);
            Assert.NotNull(h.MemoryMB);
            Assert.Equal(2, _capacityRequests);
            Assert.False(_novaAnsweredAfterPlacement);
        }

        [Fact]
        public async Task WithIntegerIdsProvidersAreFoundByNodeName()
        {
            // Before compute 2.53 hypervisor ids are integers: the providers read ahead are matched by name.
            _integerIds = true;
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var hypervisors = await new CloudInventory(session).GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);

            Assert.Equal(Nodes, hypervisors.Select(h => h.Name));
            Assert.All(hypervisors, h => Assert.NotNull(h.MemoryMB));
            Assert.Equal(6, _capacityRequests);
            Assert.Equal(1, _cloud.Log.Count(l => l.StartsWith("GET /placement/resource_providers ", StringComparison.Ordinal)));
        }

        [Fact]
        public async Task ALiteralNameThatMatchesNoHypervisorIsOSHypervisorNotFound()
        {
            _placementAskedForAll.TrySetResult(true);
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new CloudInventory(session).GetHypervisorsAsync(new[] { "compute*", "nohost" }, false, 8, NullSink.Instance, CancellationToken.None));

            Assert.Equal("OSHypervisorNotFound", e.ErrorId);
            Assert.Equal(FailureKind.NotFound, e.Kind);
            Assert.Equal("nohost", e.Target);
        }

        /// <summary>The captured hypervisor list, and the matching Placement provider list (same uuids and names).</summary>
        private sealed class CapturedHypervisors
        {
            public CapturedHypervisors(string json) => Json = json;

            public string Json { get; }

            public string WithIntegerIds()
            {
                var body = Newtonsoft.Json.Linq.JObject.Parse(Json);
                var n = 0;
                foreach (var h in body["hypervisors"]!)
                {
                    h["id"] = ++n;
                }

                return body.ToString();
            }

            public string AsProviders(Func<string, long> generation)
            {
                var list = Newtonsoft.Json.Linq.JObject.Parse(Json)["hypervisors"]!
                    .Select(h => new Newtonsoft.Json.Linq.JObject
                    {
                        ["uuid"] = h["id"],
                        ["generation"] = generation((string)h["id"]!),
                        ["name"] = h["hypervisor_hostname"],
                        ["root_provider_uuid"] = h["id"],
                        ["parent_provider_uuid"] = null,
                    });
                return new Newtonsoft.Json.Linq.JObject { ["resource_providers"] = new Newtonsoft.Json.Linq.JArray(list) }.ToString();
            }
        }
    }
}
