using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>Connect-OSCloud over HTTPS on loopback in a real runspace: error ids and categories, warnings, paths.</summary>
    [Collection(OpenStackMigration.Tests.Runspace.ProcessEnvironmentCollection.Name)]
    public sealed class TlsCmdletTests : IDisposable
    {
        private const string Password = "Sup3rSecret!";
        private readonly string _dir = Directory.CreateTempSubdirectory("osm-tls-ps").FullName;

        public void Dispose()
        {
            // Connect-OSCloud leaves its session as the process's default: later runspace tests must start unconnected.
            OpenStackMigration.Commands.SessionStore.Default = null;
            Directory.Delete(_dir, true);
        }

        private static PowerShell NewShell(string location)
        {
            var iss = InitialSessionState.CreateDefault2();
            iss.ImportPSModule(new[] { Path.Combine(Path.GetDirectoryName(typeof(TlsCmdletTests).Assembly.Location)!, "OpenStackMigration.dll") });
            var ps = PowerShell.Create(iss);
            ps.AddCommand("Set-Location").AddArgument(location).Invoke();
            ps.Commands.Clear();
            return ps;
        }

        private static PowerShell AddConnect(PowerShell ps, TlsLoopbackCloud cloud)
        {
            var password = new System.Net.NetworkCredential(string.Empty, Password).SecurePassword;
            return ps.AddCommand("Connect-OSCloud")
                .AddParameter("AuthUrl", cloud.Url + "/v3")
                .AddParameter("Credential", new PSCredential("admin", password))
                .AddParameter("ProjectName", "admin")
                .AddParameter("RequestTimeoutSec", 10);
        }

        private static string Everything(PowerShell ps, Exception error) =>
            string.Join("\n", ps.Streams.Verbose.Select(v => v.Message).Concat(ps.Streams.Debug.Select(d => d.Message)).Concat(ps.Streams.Warning.Select(w => w.Message)))
            + error;

        [Fact]
        public void AnUnknownCaIsASecurityRefusalWithAStableIdNotAConnectionError()
        {
            using var cloud = new TlsLoopbackCloud(TlsTests.ForLoopback);
            using var ps = NewShell(_dir);
            AddConnect(ps, cloud).AddParameter("Verbose").AddParameter("Debug");
            var error = Assert.ThrowsAny<RuntimeException>(() => ps.Invoke());
            var record = error.ErrorRecord;

            Assert.Equal("OSCertificateUntrusted,OpenStackMigration.Commands.ConnectOSCloudCommand", record.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.SecurityError, record.CategoryInfo.Category);
            Assert.Contains("-CACertFile", record.ErrorDetails.RecommendedAction);
            Assert.Contains("must chain to a CA this computer trusts", Everything(ps, null));
            Assert.DoesNotContain(Password, Everything(ps, error));
        }

        [Fact]
        public void CACertFileIsReadFromThePowerShellLocation()
        {
            using var cloud = new TlsLoopbackCloud(TlsTests.ForLoopback);
            TestCertificates.WritePem(Path.Combine(_dir, "lab-ca.pem"), TlsTests.LabCa);
            using var ps = NewShell(_dir);
            var session = AddConnect(ps, cloud).AddParameter("CACertFile", "lab-ca.pem").Invoke().Single();

            Assert.Equal("admin", session.Properties["ProjectName"].Value);
            Assert.Empty(ps.Streams.Warning);
        }

        [Fact]
        public void SkipCertificateCheckConnectsAndWarns()
        {
            using var cloud = new TlsLoopbackCloud(TlsTests.ForOtherHost);
            using var ps = NewShell(_dir);
            var session = AddConnect(ps, cloud).AddParameter("SkipCertificateCheck").Invoke().Single();

            Assert.Equal(true, session.Properties["SkipCertificateCheck"].Value);
            var warning = Assert.Single(ps.Streams.Warning).Message;
            Assert.Contains("will not be verified for this cloud (-SkipCertificateCheck)", warning);
        }

        [Fact]
        public void VerifyFalseInCloudsYamlWarnsAndSkipCertificateCheckFalseOverridesIt()
        {
            // The runspace shares this process's environment; an OS_CLIENT_CONFIG_FILE there would win over the folder.
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OS_CLIENT_CONFIG_FILE")))
            {
                return;
            }

            using var cloud = new TlsLoopbackCloud(TlsTests.ForOtherHost);
            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), $"clouds:\n  tls:\n    auth:\n      auth_url: {cloud.Url}/v3\n      username: admin\n      password: {Password}\n      project_name: admin\n    verify: false\n");
            using (var ps = NewShell(_dir))
            {
                ps.AddCommand("Connect-OSCloud").AddParameter("Cloud", "tls").Invoke().Single();
                var warning = Assert.Single(ps.Streams.Warning).Message;
                Assert.Contains("(verify: false for cloud 'tls' in ", warning);
                Assert.DoesNotContain(Password, warning);
            }

            using (var ps = NewShell(_dir))
            {
                ps.AddCommand("Connect-OSCloud").AddParameter("Cloud", "tls").AddParameter("SkipCertificateCheck", new SwitchParameter(false));
                var error = Assert.ThrowsAny<RuntimeException>(() => ps.Invoke());
                Assert.StartsWith("OSCertificateNameMismatch,", error.ErrorRecord.FullyQualifiedErrorId);
                Assert.Empty(ps.Streams.Warning);
            }
        }
    }
}
