using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Inventory;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// A cloud whose compute and placement endpoints are overridden (an Ocata-capped API in front of the real one),
    /// and the errors for an API that refuses a microversion it advertised: the 406 bodies are Nova's and
    /// Placement's own, captured from the lab (asking 2.999 and 1.999).
    /// </summary>
    public sealed class ApiCapTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private readonly List<string> _versions = new List<string>();

        public ApiCapTests()
        {
            _cloud.Handler = r =>
            {
                var path = r.Url!.AbsolutePath;
                lock (_versions)
                {
                    _versions.Add($"{path} {r.Headers["OpenStack-API-Version"]}");
                }

                if (path == "/ocata/v2.1/")
                {
                    return Task.FromResult((200, "{\"version\": {\"id\": \"v2.1\", \"status\": \"CURRENT\", \"version\": \"2.42\", \"min_version\": \"2.1\"}}"));
                }

                if (path == "/ocata/v2.1/os-services")
                {
                    // An API that advertised 2.42 and refuses it anyway, with Nova's own 406 body.
                    return Task.FromResult((406, LoopbackCloud.Fixture("nova-406-unsupported-version.json")));
                }

                if (path == "/ocata/v2.1/servers/0231c93f-93d7-432f-99b8-e85be8686243/migrations")
                {
                    // The lab's captured record of a running migration, as it read a moment earlier (preparing).
                    return Task.FromResult((200, LoopbackCloud.Fixture("Migration/server-migrations-running.json").Replace("\"running\"", "\"preparing\"")));
                }

                if (path == "/v2.1/servers/detail" || path == "/ocata/v2.1/servers/detail")
                {
                    return Task.FromResult((200, "{\"servers\": []}"));
                }

                if (path == "/ocata-placement/allocation_candidates")
                {
                    // What an Ocata Placement (1.4) answers for 1.27, as the lab's Placement answered 1.999.
                    return Task.FromResult((406, LoopbackCloud.Fixture("placement-406-unsupported-version.json")));
                }

                if (path == "/ocata-placement/resource_providers")
                {
                    return Task.FromResult((200, "{\"resource_providers\": []}"));
                }

                return Task.FromResult((404, "{}"));
            };
        }

        public void Dispose() => _cloud.Dispose();

        private AuthOptions Capped()
        {
            var options = _cloud.Options();
            options.EndpointOverrides["compute"] = _cloud.Url + "/ocata/v2.1/";
            options.EndpointOverrides["placement"] = _cloud.Url + "/ocata-placement";
            return options;
        }

        [Fact]
        public async Task TheOverriddenEndpointIsUsedInsteadOfTheCatalogs()
        {
            using var session = await CloudSession.ConnectAsync(Capped(), NullSink.Instance, CancellationToken.None);
            Assert.Equal(_cloud.Url + "/ocata/v2.1", session.EndpointFor("compute"));
            Assert.Equal("2.42", session.ComputeMaxMicroversion.ToString());
            Assert.Equal("2.42", session.ComputeMicroversion.ToString());
            Assert.DoesNotContain(_cloud.Log, l => l.StartsWith("GET /v2.1/", StringComparison.Ordinal));
        }

        [Fact]
        public async Task ARefusedAdvertisedMicroversionNamesTheServiceAndTheVersion()
        {
            using var session = await CloudSession.ConnectAsync(Capped(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAsync<OpenStackApiException>(() => new NovaClient(session).ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None));
            Assert.Equal("OSMicroversionRefused", e.ErrorId);
            Assert.Equal(406, e.StatusCode);
            Assert.StartsWith("Nova refused microversion compute 2.42 for GET ", e.Message);
            Assert.Contains("though its version document advertises up to compute 2.42", e.Message);
            Assert.Contains("Version 2.999 is not supported by the API", e.Message);
        }

        [Fact]
        public async Task ServerListingsAreAskedAt272NotTheSessionsNewerMicroversionAndAtTheSessionsWhenOlder()
        {
            // From 2.73 Nova loads every listed instance's system metadata (for locked_reason): about 40% slower pages.
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            Assert.True(session.ComputeMicroversion > new Microversion(2, 72));
            await new NovaClient(session).ListServersAsync(new ServerQuery { AllProjects = true }, _ => { }, NullSink.Instance, CancellationToken.None);
            using var ocata = await CloudSession.ConnectAsync(Capped(), NullSink.Instance, CancellationToken.None);
            await new NovaClient(ocata).ListServersAsync(new ServerQuery { AllProjects = true }, _ => { }, NullSink.Instance, CancellationToken.None);
            lock (_versions)
            {
                Assert.Equal(new[] { "/v2.1/servers/detail compute 2.72", "/ocata/v2.1/servers/detail compute 2.42" }, _versions.Where(v => v.Contains("/servers/detail", StringComparison.Ordinal)));
            }
        }

        [Fact]
        public async Task PlacementsBulkReadRefusedBelow127IsNotAnError()
        {
            using var session = await CloudSession.ConnectAsync(Capped(), NullSink.Instance, CancellationToken.None);
            var bulk = await new PlacementClient(session).ReadBulkAsync(NullSink.Instance, CancellationToken.None);
            Assert.Null(bulk);
            lock (_versions)
            {
                Assert.Contains("/ocata-placement/allocation_candidates placement 1.27", _versions);
            }
        }

        [Fact]
        public void PlacementsRefusalIsReadToo()
        {
            var response = new ApiResponse(406, JToken.Parse(LoopbackCloud.Fixture("placement-406-unsupported-version.json")), "req-1", new Dictionary<string, string>());
            var request = new ServiceRequest("GET", "/resource_providers", "Placement") { MicroversionService = "placement" };
            var e = MicroversionCheck.ErrorFor(response, request, new Microversion(1, 14), new Microversion(1, 39), "http://p/resource_providers");
            Assert.Equal("OSMicroversionRefused", e!.ErrorId);
            Assert.Contains("Placement refused microversion placement 1.14", e.Message);
            Assert.Contains("Unacceptable version header: 1.999", e.Message);
        }

        [Fact]
        public void AnAnswerAtAnotherVersionThanAskedIsNotUsed()
        {
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["OpenStack-API-Version"] = "compute 2.1" };
            var response = new ApiResponse(200, JToken.Parse(LoopbackCloud.Fixture("nova-services-2.53.json")), "req-2", headers);
            var request = new ServiceRequest("GET", "/os-services", "Nova");
            var e = MicroversionCheck.ErrorFor(response, request, new Microversion(2, 53), new Microversion(2, 93), "http://n/os-services");
            Assert.Equal("OSMicroversionIgnored", e!.ErrorId);
            Assert.Contains("at microversion compute 2.1, not at compute 2.53", e.Message);

            headers["OpenStack-API-Version"] = "compute 2.53";
            Assert.Null(MicroversionCheck.ErrorFor(response, request, new Microversion(2, 53), new Microversion(2, 93), "http://n/os-services"));
        }

        [Fact]
        public async Task AQueuedMigrationIsNotAbortedBelow265ButSaysWhatToDo()
        {
            using var session = await CloudSession.ConnectAsync(Capped(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new OpenStackMigration.Migration.MigrationControl(session).ActAsync("0231c93f-93d7-432f-99b8-e85be8686243", null, abort: true, wait: false, TimeSpan.FromSeconds(1), NullSink.Instance, CancellationToken.None));
            Assert.Equal("OSMicroversionTooOld", e.ErrorId);
            Assert.Equal("Aborting migration 7 of instance 0231c93f-93d7-432f-99b8-e85be8686243 while it is 'preparing' (not yet running) needs compute API microversion 2.65; this cloud offers up to 2.42.", e.Message);
            Assert.Contains("'running'", e.RecommendedAction);
            Assert.DoesNotContain(_cloud.Log, l => l.StartsWith("DELETE ", StringComparison.Ordinal));
        }

        [Fact]
        public async Task AColdMigrationToANamedHostIsNotSentBelow256()
        {
            using var session = await CloudSession.ConnectAsync(Capped(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new NovaClient(session).MigrateAsync("0231c93f-93d7-432f-99b8-e85be8686243", "compute3", NullSink.Instance, CancellationToken.None));
            Assert.Equal("OSMicroversionTooOld", e.ErrorId);
            Assert.StartsWith("Cold migration to a named host (compute3) needs compute API microversion 2.56", e.Message);
            Assert.Contains("scheduler picks", e.RecommendedAction);
            Assert.DoesNotContain(_cloud.Log, l => l.StartsWith("POST /ocata/", StringComparison.Ordinal));
        }
    }
}
