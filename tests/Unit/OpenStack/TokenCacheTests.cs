using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// Later processes of one job reuse the first one's token when clouds.yaml says <c>cache: {auth: true}</c>:
    /// each new session here stands for a new process (nothing is shared in memory between sessions).
    /// </summary>
    [Collection("TokenCacheDirectory")]
    public sealed class TokenCacheTests : IDisposable
    {
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "osm-tokens-" + Guid.NewGuid().ToString("N"));

        public TokenCacheTests() => Environment.SetEnvironmentVariable("OSM_TOKEN_CACHE_DIR", _folder);

        public void Dispose()
        {
            Environment.SetEnvironmentVariable("OSM_TOKEN_CACHE_DIR", null);
            _cloud.Dispose();
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, true);
            }
        }

        private AuthOptions Options(string password = "pw")
        {
            var options = _cloud.Options();
            options.Credential = new NetworkCredential("admin", password);
            options.CacheToken = true;
            return options;
        }

        [Fact]
        public async Task ALaterProcessReusesTheTokenWithoutAskingKeystone()
        {
            using (var first = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None))
            {
                Assert.Equal(1, _cloud.Tokens);
            }

            var sink = new CollectingSink();
            using var later = await CloudSession.ConnectAsync(Options(), sink, CancellationToken.None);
            Assert.Equal(1, _cloud.Tokens);
            Assert.Equal("admin", later.ProjectName);
            Assert.Contains(_cloud.Log, l => l.StartsWith("GET /v2.1/ token-1", StringComparison.Ordinal));
            Assert.Contains(sink.Verbose, m => m.StartsWith("Reusing a token kept by an earlier process", StringComparison.Ordinal));
            Assert.DoesNotContain(sink.Verbose, m => m.Contains("token-1", StringComparison.Ordinal));
        }

        [Fact]
        public async Task WithoutCacheAuthEveryProcessAuthenticates()
        {
            var options = Options();
            options.CacheToken = false;
            using (await CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None))
            {
            }

            using (await CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None))
            {
            }

            Assert.Equal(2, _cloud.Tokens);
            Assert.False(Directory.Exists(_folder));
        }

        [Fact]
        public async Task AnotherSecretOrAnExpiringTokenIsNotReused()
        {
            using (await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None))
            {
            }

            using (await CloudSession.ConnectAsync(Options("other"), NullSink.Instance, CancellationToken.None))
            {
            }

            Assert.Equal(2, _cloud.Tokens);

            // A token with less than ten minutes left is not handed to a new process.
            _cloud.TokenLifetime = TimeSpan.FromMinutes(8);
            using (await CloudSession.ConnectAsync(Options("third"), NullSink.Instance, CancellationToken.None))
            {
            }

            using (await CloudSession.ConnectAsync(Options("third"), NullSink.Instance, CancellationToken.None))
            {
            }

            Assert.Equal(4, _cloud.Tokens);
        }

        [Fact]
        public async Task TheTokenIsKeptWhereOnlyTheUserCanReadIt()
        {
            if (OperatingSystem.IsWindows())
            {
                return;
            }

            using (await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None))
            {
            }

            var file = Assert.Single(Directory.GetFiles(_folder));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.DoesNotContain("pw", Path.GetFileName(file), StringComparison.Ordinal);

            // A folder others can open (a shared one the user named) is neither used nor changed: nothing is kept there.
            File.SetUnixFileMode(_folder, (UnixFileMode)0x1FF);
            using (await CloudSession.ConnectAsync(Options("again"), NullSink.Instance, CancellationToken.None))
            {
            }

            Assert.Equal((UnixFileMode)0x1FF, File.GetUnixFileMode(_folder));
            Assert.Single(Directory.GetFiles(_folder));
        }

        [Fact]
        public async Task DisconnectForgetsTheToken()
        {
            using (var first = await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None))
            {
                await first.CloseAsync(NullSink.Instance, CancellationToken.None);
            }

            Assert.Empty(Directory.GetFiles(_folder));
            using (await CloudSession.ConnectAsync(Options(), NullSink.Instance, CancellationToken.None))
            {
            }

            Assert.Equal(2, _cloud.Tokens);
        }

        [Fact]
        public async Task AGivenTokenIsNeverWritten()
        {
            var options = Options();
            options.Method = AuthMethod.Token;
            options.Credential = new NetworkCredential("token", "given");
            using (await CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None))
            {
            }

            Assert.False(Directory.Exists(_folder) && Directory.GetFiles(_folder).Any());
        }
    }
}
