using System;
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

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>What the cmdlets ask of the inventory instead of reaching its Nova client, over real HTTP on loopback.</summary>
    public sealed class CloudInventoryTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private JObject? _putBody;

        public CloudInventoryTests()
        {
            _cloud.Handler = async r =>
            {
                var path = r.Url!.AbsolutePath;
                if (r.HttpMethod == "GET" && path == "/v2.1/os-services")
                {
                    return (200, LoopbackCloud.Fixture("nova-services-2.53.json"));
                }

                if (r.HttpMethod == "PUT" && path.StartsWith("/v2.1/os-services/", StringComparison.Ordinal))
                {
                    using var reader = new StreamReader(r.InputStream);
                    _putBody = JObject.Parse(await reader.ReadToEndAsync());
                    var service = ((JArray)JObject.Parse(LoopbackCloud.Fixture("nova-services-2.53.json"))["services"]!).First(s => (string?)s["id"] == path.Split('/')[3]);
                    service["status"] = _putBody["status"];
                    service["disabled_reason"] = _putBody["disabled_reason"];
                    return (200, new JObject { ["service"] = service }.ToString());
                }

                if (path.StartsWith("/v2.1/servers/", StringComparison.Ordinal))
                {
                    return (404, "{\"itemNotFound\": {\"code\": 404, \"message\": \"Instance could not be found.\"}}");
                }

                return (404, "{}");
            };
        }

        public void Dispose() => _cloud.Dispose();

        [Fact]
        public async Task DisablingAComputeServiceRecordsTheReasonOnThatService()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var inventory = new CloudInventory(session);
            var compute2 = await inventory.GetComputeServiceAsync("compute2", NullSink.Instance, CancellationToken.None);

            var updated = await inventory.SetComputeServiceStatusAsync(compute2, false, "BIOS update", NullSink.Instance, CancellationToken.None);

            Assert.Contains(_cloud.Log, l => l.StartsWith("PUT /v2.1/os-services/2e0cbf65-0a38-4d0f-9ca3-bf44b830abca ", StringComparison.Ordinal));
            Assert.Equal("disabled", (string?)_putBody!["status"]);
            Assert.Equal("BIOS update", (string?)_putBody["disabled_reason"]);
            Assert.Equal(ServiceStatus.Disabled, updated.Status);
            Assert.Equal("compute2", updated.HostName);
        }

        [Fact]
        public async Task AnInstanceThatDoesNotExistIsOSInstanceNotFound()
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new CloudInventory(session).GetInstanceAsync("no-such-id", NullSink.Instance, CancellationToken.None));

            Assert.Equal("OSInstanceNotFound", e.ErrorId);
            Assert.Equal(FailureKind.NotFound, e.Kind);
        }
    }
}
