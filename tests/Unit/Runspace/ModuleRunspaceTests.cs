using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Xunit;

namespace OpenStackMigration.Tests.Runspace
{
    /// <summary>The cmdlets in a real PowerShell runspace, without a cloud.</summary>
    public class ModuleRunspaceTests
    {
        private static PowerShell NewShell()
        {
            var iss = InitialSessionState.CreateDefault2();
            iss.ImportPSModule(new[] { Path.Combine(Path.GetDirectoryName(typeof(ModuleRunspaceTests).Assembly.Location)!, "OpenStackMigration.dll") });
            var ps = PowerShell.Create(iss);
            return ps;
        }

        [Fact]
        public void CmdletsWithoutASessionSayHowToConnect()
        {
            using var ps = NewShell();
            ps.AddCommand("Get-OSHypervisor");
            var e = Assert.ThrowsAny<RuntimeException>(() => ps.Invoke());
            Assert.Equal("OSNotConnected,OpenStackMigration.Commands.GetOSHypervisorCommand", e.ErrorRecord.FullyQualifiedErrorId);
            Assert.Contains("Connect-OSCloud", e.ErrorRecord.Exception.Message);
        }

        [Fact]
        public void ConnectWithoutAnyConfigurationNamesTheFix()
        {
            using var ps = NewShell();
            // A clean environment for this runspace's process variables is not possible; only run when unset.
            if (!string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("OS_AUTH_URL")) || !string.IsNullOrEmpty(System.Environment.GetEnvironmentVariable("OS_CLOUD")))
            {
                return;
            }

            ps.AddCommand("Set-Location").AddArgument(Path.GetTempPath()).AddStatement();
            ps.AddCommand("Connect-OSCloud");
            ps.Invoke(); // a statement-terminating error of the second statement lands in the error stream
            var error = Assert.Single(ps.Streams.Error);
            Assert.StartsWith("OSNoCloudConfigured", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        }

        [Fact]
        public void AnUnreachableKeystoneIsAConnectionError()
        {
            using var ps = NewShell();
            var password = new System.Net.NetworkCredential(string.Empty, "pw").SecurePassword;
            ps.AddCommand("Connect-OSCloud")
                .AddParameter("AuthUrl", "http://127.0.0.1:9/v3")
                .AddParameter("Credential", new PSCredential("admin", password))
                .AddParameter("ProjectName", "admin")
                .AddParameter("RequestTimeoutSec", 5);
            var error = Assert.ThrowsAny<RuntimeException>(() => ps.Invoke()).ErrorRecord;
            Assert.StartsWith("OSEndpointUnreachable", error.FullyQualifiedErrorId);
            Assert.Equal(ErrorCategory.ConnectionError, error.CategoryInfo.Category);
            Assert.Contains("127.0.0.1:9", error.Exception.Message);
        }

        [Fact]
        public void ChangingCmdletsHonourWhatIf()
        {
            using var ps = NewShell();
            ps.AddCommand("Get-Command").AddParameter("Module", "OpenStackMigration");
            var names = ps.Invoke().Select(o => o.Properties["Name"].Value.ToString()).ToList();
            Assert.Contains("Disable-OSComputeService", names);
            Assert.Contains("Get-OSInstance", names);
        }
    }
}
