using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Tests.Support
{
    /// <summary>
    /// Real HTTP on loopback that answers like the lab's Keystone (tokens with a catalog of compute and
    /// placement on this server) and Nova's version root; every other request goes to <see cref="Handler"/>.
    /// Requests are served concurrently, so tests can see which requests overlap.
    /// </summary>
    public sealed class LoopbackCloud : IDisposable
    {
        private readonly HttpListener _listener = new HttpListener();
        private readonly int _port;
        private int _tokens;

        public LoopbackCloud()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        /// <summary>"METHOD /path token" of every request, in arrival order.</summary>
        public ConcurrentQueue<string> Log { get; } = new ConcurrentQueue<string>();

        /// <summary>How many tokens were issued.</summary>
        public int Tokens => _tokens;

        /// <summary>How long issued tokens live.</summary>
        public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

        /// <summary>Answers every request but token issue and the compute version root.</summary>
        public Func<HttpListenerRequest, Task<(int Status, string Body)>> Handler { get; set; } = _ => Task.FromResult((404, "{}"));

        public string Url => $"http://127.0.0.1:{_port}";

        public AuthOptions Options() => new AuthOptions { AuthUrl = Url + "/v3", Credential = new NetworkCredential("admin", "pw"), ProjectName = "admin" };

        /// <summary>A captured response from tests/Unit/Fixtures.</summary>
        public static string Fixture(string name) =>
            File.ReadAllText(Path.Combine(Path.GetDirectoryName(typeof(LoopbackCloud).Assembly.Location)!, "Fixtures", name));

        public void Dispose() => _listener.Close();

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

                _ = Task.Run(() => AnswerAsync(context));
            }
        }

        private async Task AnswerAsync(HttpListenerContext context)
        {
            var request = context.Request;
            var path = request.Url!.AbsolutePath;
            Log.Enqueue($"{request.HttpMethod} {path} {request.Headers["X-Auth-Token"]}");
            int status;
            string body;
            if (path == "/v3/auth/tokens" && request.HttpMethod == "POST")
            {
                var n = Interlocked.Increment(ref _tokens);
                context.Response.AddHeader("X-Subject-Token", "token-" + n);
                status = 201;
                body = "{\"token\": {\"expires_at\": \"" + DateTimeOffset.UtcNow.Add(TokenLifetime).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ") + "\", \"user\": {\"id\": \"u\", \"name\": \"admin\"}, \"project\": {\"id\": \"p\", \"name\": \"admin\"}, \"roles\": [{\"name\": \"admin\"}], \"catalog\": ["
                    + "{\"type\": \"compute\", \"name\": \"nova\", \"endpoints\": [{\"interface\": \"public\", \"region_id\": \"RegionOne\", \"url\": \"" + Url + "/v2.1\"}]},"
                    + "{\"type\": \"placement\", \"name\": \"placement\", \"endpoints\": [{\"interface\": \"public\", \"region_id\": \"RegionOne\", \"url\": \"" + Url + "/placement\"}]}]}}";
            }
            else if (path == "/v2.1/")
            {
                status = 200;
                body = "{\"version\": {\"id\": \"v2.1\", \"status\": \"CURRENT\", \"version\": \"2.93\", \"min_version\": \"2.1\"}}";
            }
            else
            {
                try
                {
                    (status, body) = await Handler(request);
                }
                catch (Exception ex)
                {
                    (status, body) = (500, "{\"error\": \"" + ex.GetType().Name + "\"}");
                }
            }

            context.Response.StatusCode = status;
            context.Response.AddHeader("x-openstack-request-id", "req-test");
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}
