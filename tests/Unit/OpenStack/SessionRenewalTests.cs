using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// Token renewal and the one retry after a 401, over real HTTP on loopback. The server answers with
    /// bodies shaped like the lab's Keystone and Nova; what is tested is the session's behaviour.
    /// </summary>
    public sealed class SessionRenewalTests : IDisposable
    {
        private readonly HttpListener _listener = new HttpListener();
        private readonly int _port;
        private readonly ConcurrentQueue<string> _log = new ConcurrentQueue<string>();
        private int _tokens;
        private Func<HttpListenerRequest, (int, string)>? _nova;
        private TimeSpan _tokenLifetime = TimeSpan.FromHours(1);

        public SessionRenewalTests()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public void Dispose() => _listener.Close();

        private string Url => $"http://127.0.0.1:{_port}";

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception)
                {
                    return;
                }

                var request = context.Request;
                var path = request.Url!.AbsolutePath;
                _log.Enqueue($"{request.HttpMethod} {path} {request.Headers["X-Auth-Token"]}");
                int status;
                string body;
                if (path == "/v3/auth/tokens" && request.HttpMethod == "POST")
                {
                    var n = Interlocked.Increment(ref _tokens);
                    context.Response.AddHeader("X-Subject-Token", "token-" + n);
                    status = 201;
                    body = "{\"token\": {\"expires_at\": \"" + DateTimeOffset.UtcNow.Add(_tokenLifetime).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ") + "\", \"user\": {\"id\": \"u\", \"name\": \"admin\"}, \"project\": {\"id\": \"p\", \"name\": \"admin\"}, \"roles\": [{\"name\": \"admin\"}], \"catalog\": [{\"type\": \"compute\", \"name\": \"nova\", \"endpoints\": [{\"interface\": \"public\", \"region_id\": \"RegionOne\", \"url\": \"" + Url + "/v2.1\"}]}]}}";
                }
                else if (path == "/v2.1/")
                {
                    status = 200;
                    body = "{\"version\": {\"id\": \"v2.1\", \"status\": \"CURRENT\", \"version\": \"2.93\", \"min_version\": \"2.1\"}}";
                }
                else
                {
                    (status, body) = _nova!(request);
                }

                context.Response.StatusCode = status;
                context.Response.AddHeader("x-openstack-request-id", "req-test");
                var bytes = Encoding.UTF8.GetBytes(body);
                context.Response.ContentType = "application/json";
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        }

        private AuthOptions Options() => new AuthOptions { AuthUrl = Url + "/v3", Credential = new NetworkCredential("admin", "pw"), ProjectName = "admin" };

        [Fact]
        public async Task A401IsRetriedOnceWithAFreshToken()
        {
            _nova = r => r.Headers["X-Auth-Token"] == "token-1" ? (401, "{\"error\": {\"message\": \"expired\"}}") : (200, "{\"services\": []}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);
            var services = await new NovaClient(session).ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None);
            Assert.Empty(services);
            Assert.Equal(2, _tokens);
        }

        [Fact]
        public async Task ASecond401IsAClearError()
        {
            _nova = r => (401, "{\"error\": {\"message\": \"nope\"}}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new NovaClient(session).ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None));
            Assert.Equal("OSTokenRejected", e.ErrorId);
            Assert.Equal(2, _tokens);
        }

        [Fact]
        public async Task ATokenAboutToExpireIsRenewedBeforeTheCall()
        {
            _tokenLifetime = TimeSpan.FromMinutes(2);
            _nova = r => (200, "{\"services\": []}");
            using var session = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None);

            // Connecting issues token-1, which expires within the renewal margin: the version discovery renews it.
            Assert.Equal(2, _tokens);
            Assert.Contains(_log, l => l.StartsWith("GET /v2.1/ token-2", StringComparison.Ordinal));
            await new NovaClient(session).ListServicesAsync(null, null, NullSink.Instance, CancellationToken.None);
            Assert.Equal(3, _tokens);
            Assert.Contains(_log, l => l.StartsWith("GET /v2.1/os-services token-3", StringComparison.Ordinal));
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
