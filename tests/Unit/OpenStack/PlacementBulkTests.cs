using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Inventory;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// Capacity of every host in one Placement request, over real HTTP on loopback with answers captured from the
    /// lab's Placement (allocation candidates at 1.27, each provider's inventories and usages, Nova's list at 2.53).
    /// </summary>
    public sealed class PlacementBulkTests : IDisposable
    {
        private static readonly int Hosts = JObject.Parse(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53-bulk.json"))["hypervisors"]!.Count();
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private readonly JObject _inventories = JObject.Parse(LoopbackCloud.Fixture("placement-inventories-by-provider.json"));
        private readonly JObject _usages = JObject.Parse(LoopbackCloud.Fixture("placement-usages-by-provider.json"));
        private readonly TaskCompletionSource<bool> _bulkAsked = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private string _bulk = LoopbackCloud.Fixture("placement-allocation-candidates-1.27.json");
        private int _bulkStatus = 200;
        private bool? _novaAnsweredAfterBulk;
        private Task _bulkHeld = Task.CompletedTask;
        private Task _inventoriesHeld = Task.CompletedTask;
        private string? _notOffered;
        private readonly TaskCompletionSource<bool> _groupsAsked = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _groupsHeld = Task.CompletedTask;
        private readonly Dictionary<string, long> _versionNow = new Dictionary<string, long>(StringComparer.Ordinal);
        private bool _servicesRefused;
        private string? _servers;

        public PlacementBulkTests()
        {
            _cloud.Handler = async r =>
            {
                var path = r.Url!.AbsolutePath;
                if (path == "/v2.1/os-hypervisors/detail")
                {
                    await Task.WhenAny(_bulkAsked.Task, Task.Delay(3000));
                    _novaAnsweredAfterBulk = _bulkAsked.Task.IsCompleted;
                    return (200, LoopbackCloud.Fixture("nova-hypervisors-detail-2.53-bulk.json"));
                }

                if (path == "/placement/allocation_candidates")
                {
                    _bulkAsked.TrySetResult(true);
                    await _bulkHeld;
                    if (_notOffered != null && r.QueryString["resources"] != "MEMORY_MB:1")
                    {
                        // A flavor's question: one node with room is not offered (as when it is past max_unit).
                        var offer = JObject.Parse(_bulk);
                        ((JObject)offer["provider_summaries"]!).Remove(_notOffered);
                        offer["allocation_requests"] = new JArray(((JArray)offer["allocation_requests"]!).Where(a => a["allocations"]?[_notOffered] == null));
                        return (200, offer.ToString());
                    }

                    return (_bulkStatus, _bulkStatus == 200 ? _bulk : "{\"errors\": [{\"status\": 406, \"title\": \"Not Acceptable\"}]}");
                }

                if (path == "/v2.1/os-services")
                {
                    if (_servicesRefused)
                    {
                        return (403, "{\"forbidden\": {\"code\": 403, \"message\": \"Policy doesn't allow os_compute_api:os-services:list to be performed.\"}}");
                    }

                    // The services of the captured nodes, as each node's hypervisor entry names its service.
                    var nodes = JObject.Parse(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53-bulk.json"))["hypervisors"]!;
                    return (200, new JObject
                    {
                        ["services"] = new JArray(nodes.Select(h => new JObject
                        {
                            ["id"] = h["service"]!["id"], ["binary"] = "nova-compute", ["host"] = h["service"]!["host"], ["state"] = h["state"], ["status"] = h["status"], ["forced_down"] = false,
                        })),
                    }.ToString());
                }

                if (path.StartsWith("/v2.1/os-hypervisors/", StringComparison.Ordinal))
                {
                    // One node as Nova has it now: the captured entry, with the hypervisor version of now if it changed.
                    var id = path.Substring("/v2.1/os-hypervisors/".Length);
                    var node = JObject.Parse(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53-bulk.json"))["hypervisors"]!.FirstOrDefault(h => (string?)h["id"] == id);
                    if (node == null)
                    {
                        return (404, "{\"itemNotFound\": {\"code\": 404, \"message\": \"Hypervisor " + id + " could not be found.\"}}");
                    }

                    if (_versionNow.TryGetValue(id, out var version))
                    {
                        node["hypervisor_version"] = version;
                    }

                    return (200, new JObject { ["hypervisor"] = node }.ToString());
                }

                if (path == "/v2.1/os-server-groups")
                {
                    _groupsAsked.TrySetResult(true);
                    await _groupsHeld;
                    return (200, "{\"server_groups\": []}");
                }

                if (path == "/v2.1/servers/detail")
                {
                    if (_servers != null)
                    {
                        return (200, _servers);
                    }

                    return (403, "{\"forbidden\": {\"code\": 403, \"message\": \"Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.\"}}");
                }

                if (path == "/placement/resource_providers")
                {
                    return (200, LoopbackCloud.Fixture("placement-resource-providers-1.14.json"));
                }

                var parts = path.Split('/');
                if (parts.Length == 5 && parts[2] == "resource_providers")
                {
                    if (parts[4] == "inventories")
                    {
                        await _inventoriesHeld;
                    }

                    var source = parts[4] == "inventories" ? _inventories : _usages;
                    return source[parts[3]] is JToken body ? (200, body.ToString()) : (404, "{}");
                }

                return (404, "{}");
            };
        }

        public void Dispose()
        {
            _cloud.Dispose();
            if (System.IO.Directory.Exists(_nodeMaps))
            {
                System.IO.Directory.Delete(_nodeMaps, true);
            }
        }

        // A ranking keeps the node map: here, not in the user's folder.
        private readonly string _nodeMaps = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "osm-nodes-" + Guid.NewGuid().ToString("N"));

        private OpenStackMigration.Migration.MigrationTargetReader Reader(CloudSession session) => new OpenStackMigration.Migration.MigrationTargetReader(session, _nodeMaps);

        private int Requests(string fragment) => _cloud.Log.Count(l => l.Contains(fragment, StringComparison.Ordinal));

        private async Task<IReadOnlyList<Hypervisor>> ListAsync(CloudSession session) =>
            await new CloudInventory(session).GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None);

        [Fact]
        public async Task APlanWhoseServerListNovaRefusesEndsOnlyAfterPlacementHasAnswered()
        {
            var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _bulkHeld = release.Task;
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var source = (string)JObject.Parse(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53-bulk.json"))["hypervisors"]![0]!["service"]!["host"]!;

            var read = new MaintenancePlanReader(session, _nodeMaps).ReadAsync(new PlanRequest { SourceHosts = new[] { source } }, NullSink.Instance, CancellationToken.None);
            for (var i = 0; i < 200 && Requests("/servers/detail") == 0; i++)
            {
                await Task.Delay(100);
            }

            await Task.Delay(300);
            Assert.Equal(1, Requests("/placement/allocation_candidates"));
            Assert.False(read.IsCompleted, "the plan's read ended while Placement's bulk read was still out");

            release.SetResult(true);
            var e = await Assert.ThrowsAnyAsync<OpenStackMigrationException>(() => read);
            Assert.Equal(FailureKind.PermissionDenied, e.Kind);
            Assert.Contains("Policy doesn't allow", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task ACheckWhoseServiceListNovaRefusesEndsOnlyAfterTheServerGroupListHasAnswered()
        {
            var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _groupsHeld = release.Task;
            _servicesRefused = true;
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var instance = OpenStackMigration.Tests.Migration.Fixtures.ActiveOnCompute1();

            var check = Reader(session).CheckAsync(instance, MigrationKind.Live, "compute2", BlockMigrationMode.Auto, freshCapacity: true, NullSink.Instance, CancellationToken.None);
            await Task.WhenAny(_groupsAsked.Task, Task.Delay(10000));
            for (var i = 0; i < 100 && Requests("/os-services") == 0; i++)
            {
                await Task.Delay(50);
            }

            await Task.Delay(300);
            Assert.True(_groupsAsked.Task.IsCompleted);
            Assert.False(check.IsCompleted, "the check ended while Nova's server group list was still out");

            release.SetResult(true);
            var e = await Assert.ThrowsAnyAsync<OpenStackMigrationException>(() => check);
            Assert.Equal(FailureKind.PermissionDenied, e.Kind);
            Assert.Contains("os-services:list", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task AListingAsksPlacementOnceWhileNovaAnswers()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var hypervisors = await ListAsync(session);

            Assert.True(_novaAnsweredAfterBulk, "Placement was asked only after Nova answered");
            Assert.Equal(1, Requests("/placement/"));
            Assert.Equal(Hosts, hypervisors.Count);
            foreach (var h in hypervisors)
            {
                // Use and room as the captured answer gives them, for every hypervisor.
                var summary = JObject.Parse(_bulk)["provider_summaries"]![h.Id]!["resources"]!;
                Assert.Equal((long)summary["MEMORY_MB"]!["capacity"]!, h.MemoryMB!.Capacity);
                Assert.Equal((long)summary["MEMORY_MB"]!["used"]!, h.MemoryMB.Used);
                Assert.Equal((long)summary["VCPU"]!["used"]!, h.Vcpu!.Used);
                Assert.Equal((long)summary["DISK_GB"]!["capacity"]! - (long)summary["DISK_GB"]!["used"]!, h.DiskGB!.Free);
            }

            Assert.Equal(1, Requests("/placement/"));
        }

        [Fact]
        public async Task AHostsInventoryFiguresAreReadOnFirstUseOnce()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var h = (await ListAsync(session)).First();
            var inventory = _inventories[h.Id]!["inventories"]!;

            Assert.Equal((long)inventory["MEMORY_MB"]!["total"]!, h.MemoryMB!.Total);
            Assert.Equal((double)inventory["MEMORY_MB"]!["allocation_ratio"]!, h.MemoryMB.AllocationRatio);
            Assert.Equal((long)inventory["VCPU"]!["max_unit"]!, h.Vcpu!.MaxUnit);
            Assert.Equal((long)inventory["DISK_GB"]!["reserved"]!, h.DiskGB!.Reserved);
            Assert.Equal(1, Requests($"/{h.Id}/inventories"));
            Assert.Equal(0, Requests("/usages"));
            Assert.Equal(2, Requests("/placement/"));
        }

        [Fact]
        public async Task EveryPropertyIsTheSameAsReadProviderByProvider()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var bulk = await ListAsync(session);

            // Placement older than 1.27 (406): each provider is read on its own, as before the bulk read.
            _bulkStatus = 406;
            using var old = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var perProvider = await ListAsync(old);
            Assert.Equal(Hosts, Requests("/usages"));

            Assert.Equal(perProvider.Select(h => h.Name), bulk.Select(h => h.Name));
            foreach (var (a, b) in perProvider.Zip(bulk))
            {
                foreach (var (x, y) in new[] { (a.Vcpu, b.Vcpu), (a.MemoryMB, b.MemoryMB), (a.DiskGB, b.DiskGB) })
                {
                    foreach (var p in typeof(ResourceCapacity).GetProperties())
                    {
                        Assert.True(Equals(p.GetValue(x), p.GetValue(y)), $"{a.Name} {x!.ResourceClass}.{p.Name}: {p.GetValue(x)} read per provider, {p.GetValue(y)} from the bulk answer");
                    }
                }
            }
        }

        [Fact]
        public async Task AProviderMissingFromTheBulkAnswerIsReadOnItsOwn()
        {
            // The captured answer of a request no provider can fit: every provider is missing from it.
            _bulk = LoopbackCloud.Fixture("placement-allocation-candidates-none.json");
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var hypervisors = await ListAsync(session);

            Assert.All(hypervisors, h => Assert.NotNull(h.MemoryMB));
            Assert.Equal(Hosts, Requests("/usages"));
            Assert.Equal(Hosts, Requests("/inventories"));
        }

        // Nova lists a node Placement has no provider for (just registered, or being removed): 404 on its reads, and
        // the bulk answer names no provider. Returns Nova's entry for that node.
        private JToken NodeWithoutProvider()
        {
            _bulk = LoopbackCloud.Fixture("placement-allocation-candidates-none.json");
            var gone = JObject.Parse(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53-bulk.json"))["hypervisors"]!.First();
            _usages.Remove((string)gone["id"]!);
            return gone;
        }

        [Fact]
        public async Task ANodeWhoseProviderPlacementDoesNotHaveIsWarnedOfAndTheOthersAreListed()
        {
            var gone = NodeWithoutProvider();
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var sink = new CollectingSink();
            var hypervisors = await new CloudInventory(session).GetHypervisorsAsync(null, true, 8, sink, CancellationToken.None);

            Assert.Equal(Hosts, hypervisors.Count);
            Assert.Null(hypervisors.Single(h => h.Id == (string)gone["id"]!).MemoryMB);
            Assert.All(hypervisors.Where(h => h.Id != (string)gone["id"]!), h => Assert.NotNull(h.MemoryMB));
            Assert.Contains(sink.Warnings, w => w.Contains($"no resource provider for '{gone["hypervisor_hostname"]}'", StringComparison.Ordinal));
        }

        [Fact]
        public async Task TheOnlyNodeAskedForBeingNewToPlacementIsAWarningNotAnError()
        {
            // Get-OSHypervisor <one node> just after Nova registered it: one node cannot tell a wrong endpoint apart.
            var gone = NodeWithoutProvider();
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var sink = new CollectingSink();
            var hypervisors = await new CloudInventory(session).GetHypervisorsAsync(new[] { (string)gone["hypervisor_hostname"]! }, true, 8, sink, CancellationToken.None);

            Assert.Null(Assert.Single(hypervisors).MemoryMB);
            Assert.Contains(sink.Warnings, w => w.Contains($"no resource provider for '{gone["hypervisor_hostname"]}'", StringComparison.Ordinal));
        }

        [Fact]
        public async Task NotOneProviderFoundIsAnErrorNotAListingWithoutCapacity()
        {
            // A Placement endpoint that finds no provider at all (a wrong catalog entry): an error, not a warning per node.
            _bulk = LoopbackCloud.Fixture("placement-allocation-candidates-none.json");
            _usages.RemoveAll();
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAnyAsync<OpenStackMigrationException>(() => new CloudInventory(session).GetHypervisorsAsync(null, true, 8, NullSink.Instance, CancellationToken.None));
            Assert.Equal(FailureKind.NotFound, e.Kind);
        }

        [Fact]
        public async Task ChecksReadInventoriesUpFrontAndKeepThemWhileTheGenerationHolds()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var nova = await new NovaClient(session).ListHypervisorsAsync(NullSink.Instance, CancellationToken.None);
            var placement = new PlacementClient(session);
            var read = await placement.ReadCapacityAsync(nova, 8, NullSink.Instance, CancellationToken.None, withInventories: true);

            Assert.Equal(Hosts, Requests("/inventories"));
            Assert.Equal(0, Requests("/usages"));
            Assert.All(read.Values, figures => Assert.True(figures["MEMORY_MB"].MaxUnit > 0));

            // Same generations (from the provider list): the inventories kept for the session serve the next check.
            await placement.ReadCapacityAsync(nova, 8, NullSink.Instance, CancellationToken.None, withInventories: true);
            Assert.Equal(Hosts, Requests("/inventories"));
            Assert.Equal(2, Requests("/placement/allocation_candidates"));
        }

        // A node with room for ActiveOnCompute1's flavor that its allocation candidates leave out.
        private Hypervisor NotOfferedNode(IReadOnlyList<Hypervisor> nodes)
        {
            var node = nodes.First(h => h.HostName != "compute1");
            _notOffered = node.Id;
            return node;
        }

        // Starts the work with Placement's inventory answers held back, waits until it asks for one, checks that it asks
        // for `node`'s alone, cancels, and checks that the work ends while that request is still held.
        private async Task CancelWhileItReadsTheInventoryOfAsync(Hypervisor node, Func<CancellationToken, Task> work)
        {
            var held = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _inventoriesHeld = held.Task;
            using var cancel = new CancellationTokenSource();
            var running = work(cancel.Token);
            for (var i = 0; i < 400 && Requests("/inventories") == 0; i++)
            {
                await Task.Delay(50);
            }

            Assert.Equal(1, Requests($"/{node.Id}/inventories"));
            Assert.Equal(1, Requests("/inventories"));
            cancel.Cancel();
            var ended = await Task.WhenAny(running, Task.Delay(5000));
            held.SetResult(true);
            Assert.Same(running, ended);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }

        [Fact]
        public async Task ANodeNotOfferedIsReadByTheRankingBeforeItsChecksSoACancelStopsTheRead()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var node = NotOfferedNode(await new NovaClient(session).ListHypervisorsAsync(NullSink.Instance, CancellationToken.None));
            var sink = new CollectingSink();
            var instance = OpenStackMigration.Tests.Migration.Fixtures.ActiveOnCompute1();

            // Only the node Placement did not offer is read (max_unit may be why), by the reader: a cancel stops it.
            await CancelWhileItReadsTheInventoryOfAsync(node, token => Reader(session).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, sink, token));
            Assert.Contains(sink.Debugs, d => d.Contains("Reading the inventory figures of", StringComparison.Ordinal));
        }

        [Fact]
        public async Task APlanReadsTheInventoryOfANodeNotOfferedBeforeItPlansSoACancelStopsTheRead()
        {
            // compute3's one instance (m1.tiny); compute2 has room but Placement does not offer it for the flavor.
            _servers = LoopbackCloud.Fixture("nova-servers-detail-2.93.json");
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var node = (await new NovaClient(session).ListHypervisorsAsync(NullSink.Instance, CancellationToken.None)).Single(h => h.HostName == "compute2");
            _notOffered = node.Id;
            var request = new PlanRequest { SourceHosts = new[] { "compute3" } };

            await CancelWhileItReadsTheInventoryOfAsync(node, token => new MaintenancePlanReader(session, _nodeMaps).ReadAsync(request, NullSink.Instance, token));

            // Not cancelled, the planner has compute2's max_unit without asking for it.
            var input = await new MaintenancePlanReader(session, _nodeMaps).ReadAsync(request, NullSink.Instance, CancellationToken.None);
            Assert.True(input.Hypervisors.Single(h => h.HostName == "compute2").MemoryMB!.HasDetails);
            Assert.False(input.Hypervisors.Single(h => h.HostName == "compute4").MemoryMB!.HasDetails);
        }

        [Fact]
        public async Task ANodeWhoseInventoryIsGoneWhenReadIsRefusedWithTheReasonNotAnException()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var node = NotOfferedNode(await new NovaClient(session).ListHypervisorsAsync(NullSink.Instance, CancellationToken.None));
            ((JObject)_inventories[node.Id]!["inventories"]!).Remove("MEMORY_MB");
            var instance = OpenStackMigration.Tests.Migration.Fixtures.ActiveOnCompute1();

            var ranked = await Reader(session).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, NullSink.Instance, CancellationToken.None);

            var report = ranked.Single(r => r.DestinationHost == node.HostName);
            Assert.False(report.CanMigrate);
            Assert.Contains("Placement no longer has this inventory", report.Reason, StringComparison.Ordinal);
            Assert.Equal(Hosts - 2, ranked.Count(r => r.CanMigrate));
        }

        [Fact]
        public async Task ALaterRankingTakesTheNodesFromTheKeptMapNotNovasListAndSaysWhenNovaListedTheirVersions()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var instance = OpenStackMigration.Tests.Migration.Fixtures.ActiveOnCompute1();
            var first = await Reader(session).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, NullSink.Instance, CancellationToken.None);
            Assert.Equal(1, Requests("/os-hypervisors/detail"));
            Assert.DoesNotContain(first, r => r.Checks.Any(c => c.Reason.Contains("as Nova listed them", StringComparison.Ordinal)));

            // Another command (a new reader) ranks from the services, Placement and the map: the same verdicts.
            var later = await Reader(session).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, NullSink.Instance, CancellationToken.None);
            Assert.Equal(1, Requests("/os-hypervisors/detail"));
            Assert.Equal(
                first.Select(r => $"{r.DestinationHost} {r.CanMigrate} {r.FreeMemoryMBAfter} {r.FreeVcpuAfter}"),
                later.Select(r => $"{r.DestinationHost} {r.CanMigrate} {r.FreeMemoryMBAfter} {r.FreeVcpuAfter}"));
            var hypervisorCheck = later.First(r => r.CanMigrate).Checks.Single(c => c.Name == OpenStackMigration.Migration.MigrationPreflight.HypervisorCheck);
            Assert.Matches(@"^Same hypervisor type \(fake\), version \d+ not older than the source's \d+ \(as Nova listed them at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ; a move checks again\)\.$", hypervisorCheck.Reason);

            // A check against one destination (as a move's) reads the two hosts' nodes as Nova has them now, one by
            // one, not Nova's whole list.
            var named = await Reader(session).CheckAsync(instance, MigrationKind.Live, first[0].DestinationHost, BlockMigrationMode.Auto, freshCapacity: true, NullSink.Instance, CancellationToken.None);
            Assert.Equal(1, Requests("/os-hypervisors/detail"));
            Assert.Equal(2, Requests("GET /v2.1/os-hypervisors/") - Requests("/os-hypervisors/detail"));
            Assert.DoesNotContain("as Nova listed them", named.GetCheck(OpenStackMigration.Migration.MigrationPreflight.HypervisorCheck)!.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public async Task AMoveAfterARankingIsJudgedOnTheHypervisorVersionsNovaHasNowNotTheKeptMaps()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var instance = OpenStackMigration.Tests.Migration.Fixtures.ActiveOnCompute1();
            var nodes = await new NovaClient(session).ListHypervisorsAsync(NullSink.Instance, CancellationToken.None);
            await Reader(session).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, NullSink.Instance, CancellationToken.None);

            // Since the map was made, the source's host was upgraded (as in a rolling upgrade): every other node is older.
            var source = nodes.Single(h => h.HostName == instance.HostName);
            _versionNow[source.Id] = source.HypervisorVersion!.Value + 1;
            var ranked = await Reader(session).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, NullSink.Instance, CancellationToken.None);
            var chosen = ranked.First(r => r.CanMigrate);
            Assert.Contains("as Nova listed them at", chosen.GetCheck(OpenStackMigration.Migration.MigrationPreflight.HypervisorCheck)!.Reason, StringComparison.Ordinal);

            var move = await Reader(session).CheckAsync(instance, MigrationKind.Live, chosen.DestinationHost, BlockMigrationMode.Auto, freshCapacity: true, NullSink.Instance, CancellationToken.None);
            Assert.False(move.CanMigrate);
            Assert.Equal(MigrationCheckCode.HypervisorOlder, move.GetCheck(OpenStackMigration.Migration.MigrationPreflight.HypervisorCheck)!.Code);
            Assert.Contains($"older than the source's {source.HypervisorVersion + 1}", move.Reason, StringComparison.Ordinal);
        }

        [Fact]
        public async Task ALaterPlanTakesTheNodesFromTheKeptMapNotNovasList()
        {
            _servers = LoopbackCloud.Fixture("nova-servers-detail-2.93.json");
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var request = new PlanRequest { SourceHosts = new[] { "compute3" } };
            var first = await new MaintenancePlanReader(session, _nodeMaps).PlanAsync(request, NullSink.Instance, CancellationToken.None);
            Assert.Equal(1, Requests("/os-hypervisors/detail"));

            var sink = new CollectingSink();
            var later = await new MaintenancePlanReader(session, _nodeMaps).PlanAsync(request, sink, CancellationToken.None);
            Assert.Equal(1, Requests("/os-hypervisors/detail"));
            Assert.Equal(0, Requests("GET /v2.1/os-hypervisors/") - Requests("/os-hypervisors/detail"));
            Assert.Contains(sink.Verbose, v => v.StartsWith("Nodes from the kept node map", StringComparison.Ordinal));
            Assert.Equal(first.PlacedCount, later.PlacedCount);
            Assert.Equal(
                first.Items.Select(m => $"{m.InstanceId} {m.DestinationHost} {m.Placement} {m.Kind}"),
                later.Items.Select(m => $"{m.InstanceId} {m.DestinationHost} {m.Placement} {m.Kind}"));
        }

        [Fact]
        public async Task RankingEveryHostSendsThreePlacementRequestsAndAgreesWithEachProvidersOwnFigures()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var instance = OpenStackMigration.Tests.Migration.Fixtures.ActiveOnCompute1();
            var ranked = await Reader(session).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, NullSink.Instance, CancellationToken.None);

            Assert.Equal(Hosts - 1, ranked.Count);
            // The bulk read, the flavor's allocation candidates and the root providers (for the node map): nothing per host.
            Assert.Equal(3, Requests("/placement/"));
            Assert.Equal(1, Requests("GET /placement/resource_providers "));
            Assert.Equal(0, Requests("/inventories") + Requests("/usages"));

            // A Placement older than 1.27 (406): every provider's inventories and usages are read, and judged on them.
            _bulkStatus = 406;
            using var old = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var perProvider = await Reader(old).RankDestinationsAsync(instance, MigrationKind.Live, BlockMigrationMode.Auto, NullSink.Instance, CancellationToken.None);
            Assert.Equal(Hosts, Requests("/usages"));
            Assert.Equal(
                perProvider.Select(r => $"{r.DestinationHost} {r.CanMigrate} {r.FreeMemoryMBAfter} {r.FreeVcpuAfter}"),
                ranked.Select(r => $"{r.DestinationHost} {r.CanMigrate} {r.FreeMemoryMBAfter} {r.FreeVcpuAfter}"));
        }
    }
}
