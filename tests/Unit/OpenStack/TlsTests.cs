using System;
using System.Collections;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// TLS verification over real HTTPS on loopback, with a CA and server certificates made in the test:
    /// an unknown CA and a certificate for another host are refused with their own ids; each of the three
    /// ways to trust a CA works, for Keystone and for the catalog's endpoints; skipping works when asked.
    /// </summary>
    public sealed class TlsTests : IDisposable
    {
        internal static readonly X509Certificate2 LabCa = TestCertificates.CreateCa("OSM Test Lab CA");
        internal static readonly X509Certificate2 OtherCa = TestCertificates.CreateCa("OSM Test Other CA");
        internal static readonly X509Certificate2 ForLoopback = TestCertificates.CreateServer(LabCa, "127.0.0.1", "localhost");
        internal static readonly X509Certificate2 ForOtherHost = TestCertificates.CreateServer(LabCa, "api.other.example");

        private readonly string _dir = Directory.CreateTempSubdirectory("osm-tls").FullName;

        public void Dispose() => Directory.Delete(_dir, true);

        private string LabCaPem => TestCertificates.WritePem(Path.Combine(_dir, "ca.pem"), LabCa);

        [Fact]
        public async Task AnUnknownCaIsRefusedBeforeThePasswordIsSent()
        {
            using var cloud = new TlsLoopbackCloud(ForLoopback);
            var sink = new RecordingSink();
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => CloudSession.ConnectAsync(cloud.Options(), sink, CancellationToken.None));

            Assert.Equal("OSCertificateUntrusted", e.ErrorId);
            Assert.Equal(FailureKind.Untrusted, e.Kind);
            Assert.Contains("Keystone at " + cloud.Url, e.Message);
            Assert.Contains("issued by 'CN=OSM Test Lab CA'", e.Message);
            Assert.Contains("-CACertFile", e.Message);
            Assert.Contains("OS_CACERT", e.Message);
            Assert.Contains("cacert in the clouds.yaml", e.Message);
            Assert.Contains("-SkipCertificateCheck", e.Message);
            Assert.Empty(cloud.Log);
            Assert.DoesNotContain("Sup3rSecret!", e.ToString() + string.Join("\n", sink.All));
        }

        [Fact]
        public async Task CACertFileTrustsTheCaForKeystoneAndNova()
        {
            using var cloud = new TlsLoopbackCloud(ForLoopback);
            var options = cloud.Options();
            options.CACertFile = LabCaPem;
            using var session = await CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None);

            Assert.Equal("admin", session.ProjectName);
            Assert.Equal(new[] { "POST /v3/auth/tokens", "GET /v2.1/" }, cloud.Log.ToArray());
        }

        [Fact]
        public async Task OsCacertTrustsTheCa()
        {
            using var cloud = new TlsLoopbackCloud(ForLoopback);
            var env = new Hashtable
            {
                ["OS_AUTH_URL"] = cloud.Url + "/v3",
                ["OS_USERNAME"] = "admin",
                ["OS_PASSWORD"] = "Sup3rSecret!",
                ["OS_PROJECT_NAME"] = "admin",
                ["OS_CACERT"] = LabCaPem,
            };
            using var session = await CloudSession.ConnectAsync(CloudConfig.FromEnvironment(env, _dir), NullSink.Instance, CancellationToken.None);

            Assert.Equal("admin", session.UserName);
            Assert.False(session.SkipCertificateCheck);
        }

        [Fact]
        public async Task CloudsYamlCacertTrustsTheCaWithARelativePathFromTheCurrentFolder()
        {
            using var cloud = new TlsLoopbackCloud(ForLoopback);
            _ = LabCaPem;
            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), $"clouds:\n  tls:\n    auth:\n      auth_url: {cloud.Url}/v3\n      username: admin\n      password: Sup3rSecret!\n      project_name: admin\n    cacert: ca.pem\n");
            var options = CloudConfig.FromCloudsYaml("tls", _dir, new Hashtable());
            Assert.Equal(Path.Combine(_dir, "ca.pem"), options.CACertFile);

            using var session = await CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None);
            Assert.Equal("admin", session.ProjectName);
        }

        [Fact]
        public async Task ACertificateForAnotherHostIsRefusedEvenWithItsCaTrusted()
        {
            using var cloud = new TlsLoopbackCloud(ForOtherHost);
            var options = cloud.Options();
            options.CACertFile = LabCaPem;
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None));

            Assert.Equal("OSCertificateNameMismatch", e.ErrorId);
            Assert.Contains("Keystone at " + cloud.Url, e.Message);
            Assert.Contains("is for 'api.other.example', not for '127.0.0.1'", e.Message);
            Assert.DoesNotContain("not trusted either", e.Message);
            Assert.Empty(cloud.Log);
        }

        [Fact]
        public async Task AWrongNameFromAnUnknownCaSaysBoth()
        {
            using var cloud = new TlsLoopbackCloud(ForOtherHost);
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => CloudSession.ConnectAsync(cloud.Options(), NullSink.Instance, CancellationToken.None));

            Assert.Equal("OSCertificateNameMismatch", e.ErrorId);
            Assert.Contains("not trusted either", e.Message);
        }

        [Fact]
        public async Task SkipCertificateCheckConnectsWhateverTheCertificate()
        {
            using var cloud = new TlsLoopbackCloud(ForOtherHost);
            var options = cloud.Options();
            options.SkipCertificateCheck = true;
            using var session = await CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None);

            Assert.True(session.SkipCertificateCheck);
            Assert.Equal(new[] { "POST /v3/auth/tokens", "GET /v2.1/" }, cloud.Log.ToArray());
        }

        [Fact]
        public async Task ABundleReplacesTheSystemStoreAndIsNamedWhenItDoesNotHoldTheCa()
        {
            using var cloud = new TlsLoopbackCloud(ForLoopback);
            var options = cloud.Options();
            options.CACertFile = TestCertificates.WritePem(Path.Combine(_dir, "other.pem"), OtherCa);
            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None));

            Assert.Equal("OSCertificateUntrusted", e.ErrorId);
            Assert.Contains("by the CA bundle '" + options.CACertFile + "'", e.Message);
        }

        [Fact]
        public async Task TheBundleAppliesToTheCatalogsEndpointsToo()
        {
            using var keystone = new TlsLoopbackCloud(ForLoopback);
            using var nova = new TlsLoopbackCloud(TestCertificates.CreateServer(OtherCa, "127.0.0.1"));
            keystone.ComputeUrl = nova.Url + "/v2.1";
            var options = keystone.Options();
            options.CACertFile = LabCaPem;

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None));
            Assert.Equal("OSCertificateUntrusted", e.ErrorId);
            Assert.Contains("Nova at " + nova.Url, e.Message);
            Assert.Empty(nova.Log);

            options.CACertFile = TestCertificates.WritePem(Path.Combine(_dir, "both.pem"), LabCa, OtherCa);
            using var session = await CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None);
            Assert.Equal(new[] { "GET /v2.1/" }, nova.Log.ToArray());
        }

        [Fact]
        public void AnUnreadableBundleIsAConfigurationError()
        {
            var options = new AuthOptions { AuthUrl = "https://127.0.0.1:1/v3", CACertFile = Path.Combine(_dir, "missing.pem") };
            var e = Assert.ThrowsAny<OpenStackMigrationException>(() => CloudSession.ConnectAsync(options, NullSink.Instance, CancellationToken.None).GetAwaiter().GetResult());
            Assert.Equal("OSCACertUnreadable", e.ErrorId);
            Assert.Contains("missing.pem", e.Message);
        }

        [Fact]
        public void OsInsecureAndVerifyFalseSkipAndSayWhichSettingDidIt()
        {
            var env = CloudConfig.FromEnvironment(new Hashtable { ["OS_AUTH_URL"] = "https://k:5000", ["OS_INSECURE"] = "True" }, _dir);
            Assert.True(env.SkipCertificateCheck);
            Assert.Equal("OS_INSECURE=True", env.SkipCertificateCheckSource);
            Assert.False(CloudConfig.FromEnvironment(new Hashtable { ["OS_AUTH_URL"] = "https://k:5000", ["OS_INSECURE"] = "false" }, _dir).SkipCertificateCheck);

            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), "clouds:\n  a:\n    auth:\n      auth_url: https://k:5000\n    verify: no\n  b:\n    auth:\n      auth_url: https://k:5000\n    insecure: true\n  c:\n    auth:\n      auth_url: https://k:5000\n    verify: true\n    cacert: ~/ca.pem\n");
            var a = CloudConfig.FromCloudsYaml("a", _dir, new Hashtable());
            Assert.True(a.SkipCertificateCheck);
            Assert.StartsWith("verify: no for cloud 'a' in ", a.SkipCertificateCheckSource);
            Assert.True(CloudConfig.FromCloudsYaml("b", _dir, new Hashtable()).SkipCertificateCheck);
            var c = CloudConfig.FromCloudsYaml("c", _dir, new Hashtable());
            Assert.False(c.SkipCertificateCheck);
            Assert.Equal(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), "ca.pem"), c.CACertFile);
        }

        private sealed class RecordingSink : IEngineSink
        {
            public ConcurrentQueue<string> All { get; } = new ConcurrentQueue<string>();

            public void Verbose(string message) => All.Enqueue(message);

            public void Debug(string message) => All.Enqueue(message);

            public void Warning(string message) => All.Enqueue(message);

            public void Progress(ProgressReport report) => All.Enqueue(report.Status);
        }
    }
}
