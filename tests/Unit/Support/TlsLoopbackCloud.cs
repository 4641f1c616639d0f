using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Tests.Support
{
    /// <summary>
    /// HTTPS on loopback with a given certificate (TcpListener + SslStream, as HttpListener has no TLS on Linux).
    /// Answers like <see cref="LoopbackCloud"/>: a Keystone token whose catalog puts compute at
    /// <see cref="ComputeUrl"/> (this server unless set), and Nova's version root. One request per connection.
    /// </summary>
    public sealed class TlsLoopbackCloud : IDisposable
    {
        private readonly TcpListener _listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();

        public TlsLoopbackCloud(X509Certificate2 certificate, string host = "127.0.0.1")
        {
            _certificate = certificate;
            _listener.Start();
            Url = $"https://{host}:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            ComputeUrl = Url + "/v2.1";
            _ = Task.Run(ServeAsync);
        }

        public string Url { get; }

        /// <summary>The compute endpoint the token's catalog names.</summary>
        public string ComputeUrl { get; set; }

        /// <summary>"METHOD /path" of every request that got through the handshake, in arrival order.</summary>
        public ConcurrentQueue<string> Log { get; } = new ConcurrentQueue<string>();

        /// <summary>Handshakes the client gave up on (it refused the certificate).</summary>
        public int FailedHandshakes;

        public AuthOptions Options() => new AuthOptions { AuthUrl = Url + "/v3", Credential = new NetworkCredential("admin", "Sup3rSecret!"), ProjectName = "admin", RequestTimeoutSec = 10 };

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception)
                {
                    return;
                }

                _ = Task.Run(() => AnswerAsync(client));
            }
        }

        private async Task AnswerAsync(TcpClient client)
        {
            using var _ = client;
            using var tls = new SslStream(client.GetStream());
            try
            {
                await tls.AuthenticateAsServerAsync(_certificate, false, false);
            }
            catch (Exception)
            {
                Interlocked.Increment(ref FailedHandshakes);
                return;
            }

            try
            {
                var (method, path) = await ReadRequestAsync(tls);
                Log.Enqueue($"{method} {path}");
                var (status, headers, body) = Answer(method, path);
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = $"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\nx-openstack-request-id: req-tls\r\n{headers}\r\n";
                await tls.WriteAsync(Encoding.ASCII.GetBytes(head));
                await tls.WriteAsync(bytes);
                await tls.FlushAsync();
            }
            catch (IOException)
            {
                // The client went away.
            }
        }

        private (int, string, string) Answer(string method, string path)
        {
            if (method == "POST" && path == "/v3/auth/tokens")
            {
                var body = "{\"token\": {\"expires_at\": \"" + DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ") + "\", \"user\": {\"id\": \"u\", \"name\": \"admin\"}, \"project\": {\"id\": \"p\", \"name\": \"admin\"}, \"roles\": [{\"name\": \"admin\"}], \"catalog\": ["
                    + "{\"type\": \"compute\", \"name\": \"nova\", \"endpoints\": [{\"interface\": \"public\", \"region_id\": \"RegionOne\", \"url\": \"" + ComputeUrl + "\"}]}]}}";
                return (201, "X-Subject-Token: token-tls\r\n", body);
            }

            if (method == "GET" && path == "/v2.1/")
            {
                return (200, string.Empty, "{\"version\": {\"id\": \"v2.1\", \"status\": \"CURRENT\", \"version\": \"2.93\", \"min_version\": \"2.1\"}}");
            }

            return (404, string.Empty, "{}");
        }

        /// <summary>Reads the request line, the headers, and the body by Content-Length.</summary>
        private static async Task<(string Method, string Path)> ReadRequestAsync(Stream stream)
        {
            var buffer = new MemoryStream();
            var one = new byte[1];
            while (!EndsWithBlankLine(buffer))
            {
                if (await stream.ReadAsync(one) == 0)
                {
                    throw new IOException("closed");
                }

                buffer.WriteByte(one[0]);
            }

            var head = Encoding.ASCII.GetString(buffer.ToArray());
            var lines = head.Split("\r\n");
            var length = 0;
            foreach (var line in lines)
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    length = int.Parse(line.Substring(15).Trim());
                }
            }

            var body = new byte[length];
            for (var read = 0; read < length;)
            {
                var n = await stream.ReadAsync(body.AsMemory(read));
                if (n == 0)
                {
                    throw new IOException("closed");
                }

                read += n;
            }

            var parts = lines[0].Split(' ');
            return (parts[0], parts[1]);
        }

        private static bool EndsWithBlankLine(MemoryStream buffer)
        {
            var b = buffer.GetBuffer();
            var n = (int)buffer.Length;
            return n >= 4 && b[n - 4] == '\r' && b[n - 3] == '\n' && b[n - 2] == '\r' && b[n - 1] == '\n';
        }
    }
}
