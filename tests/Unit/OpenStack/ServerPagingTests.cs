#nullable enable
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>Instances listed page by page over loopback HTTP, as Nova pages them while instances are being created.</summary>
    public sealed class ServerPagingTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private int _arrived;
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _limits = new System.Collections.Concurrent.ConcurrentQueue<string>();

        public ServerPagingTests()
        {
            // Page 2 repeats the last instance of page 1: Nova's paging does that while an instance moves from its
            // build request to its cell.
            var pages = new Dictionary<string, string[]>
            {
                [string.Empty] = new[] { "a", "b" },
                ["b"] = new[] { "b", "c" },
                ["c"] = new[] { "d" },
            };
            _cloud.Handler = r =>
            {
                if (r.Url!.AbsolutePath != "/v2.1/servers/detail")
                {
                    return Task.FromResult((404, "{}"));
                }

                var marker = r.QueryString["marker"] ?? string.Empty;
                _limits.Enqueue(r.QueryString["limit"] ?? string.Empty);
                Interlocked.Increment(ref _arrived);
                var ids = pages[marker];
                var body = new JObject
                {
                    ["servers"] = new JArray(ids.Select(id => new JObject { ["id"] = id, ["name"] = "vm-" + id, ["status"] = "ACTIVE", ["flavor"] = new JObject { ["original_name"] = "m1.tiny", ["vcpus"] = 1, ["ram"] = 512, ["disk"] = 1 } })),
                };
                if (marker != "c")
                {
                    body["servers_links"] = new JArray(new JObject { ["rel"] = "next", ["href"] = "next" });
                }

                return Task.FromResult((200, body.ToString()));
            };
        }

        public void Dispose() => _cloud.Dispose();

        [Fact]
        public async Task AnInstanceAPageRepeatsIsHandedOverOnceAndPagingGoesOn()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var listed = new List<Instance>();
            await new CloudInventory(session).GetInstancesAsync(null, null, true, listed.Add, NullSink.Instance, CancellationToken.None);

            Assert.Equal(new[] { "a", "b", "c", "d" }, listed.Select(i => i.Id));
            Assert.Equal(3, _cloud.Log.Count(l => l.Contains("/servers/detail", StringComparison.Ordinal)));
        }

        [Fact]
        public async Task TheFirstPageIsSmallAndEachNextPageIsAskedForBeforeThePreviousIsHandedOver()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            // While page k is being handed over, request k + 1 reaches Nova (waited for up to 3 s: without the
            // request ahead it would come only after the handover).
            var nextArrivedDuringHandover = new List<bool>();
            var handed = 0;
            await new NovaClient(session).ListServersAsync(
                new ServerQuery { AllProjects = true },
                page =>
                {
                    handed++;
                    if (handed < 3)
                    {
                        nextArrivedDuringHandover.Add(SpinWait.SpinUntil(() => Volatile.Read(ref _arrived) > handed, TimeSpan.FromSeconds(3)));
                    }
                },
                NullSink.Instance,
                CancellationToken.None);

            Assert.Equal(new[] { true, true }, nextArrivedDuringHandover);
            Assert.Equal(new[] { "100", "1000", "1000" }, _limits);
        }
    }
}
