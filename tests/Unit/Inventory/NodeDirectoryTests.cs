#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Inventory
{
    /// <summary>
    /// Nodes without Nova's hypervisor list while the kept node map holds, over real HTTP on loopback with the lab's
    /// captured list of six nodes (services and providers as Nova and Placement give them for those nodes).
    /// </summary>
    public sealed class NodeDirectoryTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "osm-nodes-" + Guid.NewGuid().ToString("N"));
        private readonly JArray _hypervisors = (JArray)JObject.Parse(LoopbackCloud.Fixture("nova-hypervisors-detail-2.53-bulk.json"))["hypervisors"]!;
        private readonly List<JObject> _extraProviders = new List<JObject>();
        private readonly HashSet<string> _goneProviders = new HashSet<string>();
        private DateTimeOffset _now = DateTimeOffset.UtcNow;

        public NodeDirectoryTests()
        {
            _cloud.Handler = r =>
            {
                var path = r.Url!.AbsolutePath;
                (int, string) answer = path switch
                {
                    "/v2.1/os-hypervisors/detail" => (200, new JObject { ["hypervisors"] = _hypervisors }.ToString()),
                    "/v2.1/os-services" => (200, Services()),
                    "/placement/resource_providers" => (200, Providers()),
                    _ => (404, "{}"),
                };
                return Task.FromResult(answer);
            };
        }

        public void Dispose()
        {
            _cloud.Dispose();
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, true);
            }
        }

        private int NovaLists => _cloud.Log.Count(l => l.Contains("/os-hypervisors/detail", StringComparison.Ordinal));

        // Nova's services for the captured nodes: each node's service as its hypervisor entry names it.
        private string Services() => new JObject
        {
            ["services"] = new JArray(_hypervisors.Select(h => new JObject
            {
                ["id"] = h["service"]!["id"], ["binary"] = "nova-compute", ["host"] = h["service"]!["host"], ["state"] = h["state"],
                ["status"] = h["status"], ["disabled_reason"] = h["service"]!["disabled_reason"], ["forced_down"] = false,
            })),
        }.ToString();

        // Placement's roots: a compute node's provider has its uuid and name.
        private string Providers() => new JObject
        {
            ["resource_providers"] = new JArray(_hypervisors.Where(h => !_goneProviders.Contains((string)h["id"]!)).Select(h => new JObject
            {
                ["uuid"] = h["id"], ["name"] = h["hypervisor_hostname"], ["generation"] = 1, ["root_provider_uuid"] = h["id"],
            }).Concat(_extraProviders)),
        }.ToString();

        private async Task<IReadOnlyList<Hypervisor>> ReadAsync(CloudSession session, bool withTypeAndVersion = false)
        {
            var directory = new NodeDirectory(session, _folder, () => _now);
            var nova = new NovaClient(session);
            var placement = new PlacementClient(session);
            return await directory.ReadNodesAsync(
                nova.ListServicesAsync("nova-compute", null, NullSink.Instance, CancellationToken.None),
                placement.ListRootProvidersAsync(NullSink.Instance, CancellationToken.None),
                NullSink.Instance,
                CancellationToken.None,
                withTypeAndVersion);
        }

        private static string Describe(Hypervisor h) => $"{h.Id} {h.Name} {h.HostName} {h.State} {h.Status} {h.DisabledReason}";

        [Fact]
        public async Task TheFirstListingReadsNovaAndLaterOnesTheKeptMapWithTheSameNodes()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var fromNova = await ReadAsync(session);
            Assert.Equal(1, NovaLists);

            // Another process (a new session) finds the map kept by the first.
            using var later = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var fromMap = await ReadAsync(later);
            Assert.Equal(1, NovaLists);
            Assert.Equal(_hypervisors.Count, fromMap.Count);
            Assert.Equal(
                _hypervisors.Select(h => $"{h["id"]} {h["hypervisor_hostname"]} {h["service"]!["host"]}").OrderBy(x => x),
                fromMap.Select(h => $"{h.Id} {h.Name} {h.HostName}").OrderBy(x => x));
            Assert.Equal(fromNova.Select(Describe).OrderBy(x => x), fromMap.Select(Describe).OrderBy(x => x));
        }

        [Fact]
        public async Task TypesAndVersionsComeFromTheMapAsNovaListedThemAndAMapWithoutThemIsReadAgainOnlyWhenTheyAreNeeded()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var made = _now;
            await ReadAsync(session);
            Assert.Equal(1, NovaLists);
            var fromMap = await ReadAsync(session, withTypeAndVersion: true);
            Assert.Equal(1, NovaLists);
            Assert.Equal(
                _hypervisors.Select(h => $"{h["id"]} {h["hypervisor_type"]} {h["hypervisor_version"]}").OrderBy(x => x),
                fromMap.Select(h => $"{h.Id} {h.HypervisorType} {h.HypervisorVersion}").OrderBy(x => x));
            Assert.All(fromMap, n => Assert.Equal(made, n.TypeAndVersionListedAt));

            // A map as an earlier version kept it (hosts only): a listing still takes it, a check's read does not.
            var file = Directory.GetFiles(_folder).Single();
            var kept = JObject.Parse(File.ReadAllText(file));
            kept.Remove("kinds");
            File.WriteAllText(file, kept.ToString());
            _now = made.AddMinutes(5);
            var listing = await ReadAsync(session);
            Assert.Equal(1, NovaLists);
            Assert.All(listing, n => Assert.Null(n.HypervisorType));
            await ReadAsync(session, withTypeAndVersion: true);
            Assert.Equal(2, NovaLists);
            var again = await ReadAsync(session, withTypeAndVersion: true);
            Assert.Equal(2, NovaLists);
            Assert.All(again, n => Assert.Equal("fake", n.HypervisorType));
            Assert.All(again, n => Assert.Equal(made.AddMinutes(5), n.TypeAndVersionListedAt));
        }

        [Fact]
        public async Task AServiceThatWentDownReadsNovaAgainAndShowsIt()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            await ReadAsync(session);
            var host = (string)_hypervisors[1]["service"]!["host"]!;
            _hypervisors[1]["state"] = "down";

            var nodes = await ReadAsync(session);
            Assert.Equal(2, NovaLists);
            Assert.Equal(ServiceState.Down, nodes.Single(n => n.HostName == host).State);

            await ReadAsync(session);
            Assert.Equal(2, NovaLists);
        }

        [Fact]
        public async Task AProviderTheMapDoesNotKnowReadsNovaAgainOnceAndIsNotANode()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            await ReadAsync(session);

            // A sharing provider (storage), not a compute node: Nova's list is read once to know it.
            _extraProviders.Add(new JObject { ["uuid"] = "0b6f7a58-52c6-4d8e-9f5e-5d0d9f0c2a11", ["name"] = "shared-storage", ["generation"] = 3, ["root_provider_uuid"] = "0b6f7a58-52c6-4d8e-9f5e-5d0d9f0c2a11" });
            var nodes = await ReadAsync(session);
            Assert.Equal(2, NovaLists);
            Assert.DoesNotContain(nodes, n => n.Name == "shared-storage");

            nodes = await ReadAsync(session);
            Assert.Equal(2, NovaLists);
            Assert.Equal(_hypervisors.Count, nodes.Count);
        }

        [Fact]
        public async Task ANodeGoneFromPlacementReadsNovaAgainInsteadOfListingFewerNodes()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            await ReadAsync(session);
            _goneProviders.Add((string)_hypervisors[2]["id"]!);

            var nodes = await ReadAsync(session);
            Assert.Equal(2, NovaLists);
            Assert.Equal(_hypervisors.Count, nodes.Count);
        }

        [Fact]
        public async Task AFailedServiceListEndsTheReadOnlyAfterPlacementsReadHasFinished()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var directory = new NodeDirectory(session, _folder, () => _now);
            var placement = new TaskCompletionSource<IReadOnlyList<RootProvider>>();
            var services = Task.FromException<IReadOnlyList<ComputeService>>(new OpenStackMigrationException("OSApiError", FailureKind.ConnectionFailed, "Nova said no"));

            var read = directory.ReadNodesAsync(services, placement.Task, NullSink.Instance, CancellationToken.None);
            await Task.Delay(100);
            Assert.False(read.IsCompleted, "the read ended while Placement's request was still out");

            placement.SetException(new InvalidOperationException("Placement failed too"));
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => read);
            Assert.Equal("Nova said no", e.Message);
        }

        [Fact]
        public async Task AMapOlderThanAnHourIsReadAgain()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            await ReadAsync(session);
            _now += TimeSpan.FromMinutes(59);
            await ReadAsync(session);
            Assert.Equal(1, NovaLists);

            _now += TimeSpan.FromMinutes(2);
            await ReadAsync(session);
            Assert.Equal(2, NovaLists);
        }

        [Fact]
        public async Task TheMapIsPrivateToTheUser()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            await ReadAsync(session);
            var file = Directory.GetFiles(_folder).Single();
            Assert.Contains("\"nodes\"", File.ReadAllText(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder));
            }
        }
    }
}
