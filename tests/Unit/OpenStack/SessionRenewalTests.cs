using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// Token renewal and the one retry after a 401, over real HTTP on loopback. The server answers with
    /// bodies shaped like the lab's Keystone and Nova; what is tested is the session's behaviour.
    /// </summary>
    public sealed class SessionRenewalTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private Func<HttpListenerRequest, (int, string)>? _nova;

        public SessionRenewalTests()
        {
            _cloud.Handler = r => Task.FromResult(_nova!(r));
        }

        public void Dispose() => _cloud.Dispose();

        private AuthOptions Options() => _cloud.Options();

        [Fact]
        public async Task A401IsRetriedOnceWithAFreshToken()
        {
            _nova = r => r.Headers["X-Auth-Token"] == "token-1" ? (401, "{\"error\": {\"message\": \"expired\"}}") : (200, "{\"services\": []}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);
            var services = await new NovaClient(session).ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None);
            Assert.Empty(services);
            Assert.Equal(2, _cloud.Tokens);
        }

        [Fact]
        public async Task ASecond401IsAClearError()
        {
            _nova = r => (401, "{\"error\": {\"message\": \"nope\"}}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new NovaClient(session).ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None));
            Assert.Equal("OSTokenRejected", e.ErrorId);
            Assert.Equal(2, _cloud.Tokens);
        }

        [Fact]
        public async Task ATokenAboutToExpireIsRenewedBeforeTheCall()
        {
            _cloud.TokenLifetime = TimeSpan.FromMinutes(20);
            _nova = r => (200, "{\"services\": []}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);
            Assert.Equal(1, _cloud.Tokens);

            // The next token lives 4 minutes: within the 5-minute margin of the first, it is renewed before the call.
            _cloud.TokenLifetime = TimeSpan.FromMinutes(4);
            typeof(CloudSession).GetProperty("RenewBefore", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.SetValue(session, TimeSpan.FromMinutes(25));
            await new NovaClient(session).ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None);
            Assert.Equal(2, _cloud.Tokens);
            Assert.Contains(_cloud.Log, l => l.StartsWith("GET /v2.1/os-services token-2", StringComparison.Ordinal));
        }

        [Fact]
        public async Task AShortLivedTokenIsUsedForAThirdOfItsLifeNotRenewedOnEveryCall()
        {
            // Keystone's [token] expiration set to 3 s: renewed 1 s before it expires, not on every call.
            _cloud.TokenLifetime = TimeSpan.FromSeconds(3);
            _nova = r => (200, "{\"services\": []}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);
            var nova = new NovaClient(session);
            await nova.ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None);
            await nova.ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None);
            Assert.Equal(1, _cloud.Tokens);

            await Task.Delay(TimeSpan.FromSeconds(2.3));
            await nova.ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None);
            Assert.Equal(2, _cloud.Tokens);
            Assert.Contains(_cloud.Log, l => l.StartsWith("GET /v2.1/os-services token-2", StringComparison.Ordinal));
        }

        [Fact]
        public async Task NovasMessageAndRequestIdAreInTheError()
        {
            _nova = r => (400, "{\"badRequest\": {\"code\": 400, \"message\": \"Compute service of nohost cannot be found.\"}}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAsync<OpenStackApiException>(() => new NovaClient(session).LiveMigrateAsync("vm1", "nohost", BlockMigrationMode.Auto, true, NullSink.Instance, CancellationToken.None));
            Assert.Equal("OSApiBadRequest", e.ErrorId);
            Assert.Contains("Compute service of nohost cannot be found.", e.Message);
            Assert.Contains("live-migrating instance vm1 to nohost", e.Message);
            Assert.Equal("req-test", e.RequestId);
        }
    }
}
