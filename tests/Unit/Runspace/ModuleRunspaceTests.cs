using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using Xunit;

namespace OpenStackMigration.Tests.Runspace
{
    /// <summary>Runs its tests alone: they change the process environment that Connect-OSCloud reads.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class ProcessEnvironmentCollection
    {
        public const string Name = "Process environment";
    }

    /// <summary>The cmdlets in a real PowerShell runspace, without a cloud.</summary>
    [Collection(ProcessEnvironmentCollection.Name)]
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
            // Connect-OSCloud reads the process environment: clear every OS_* variable for this test and put them back
            // after. The class is in a collection that xunit runs alone, so no other test sees them missing.
            var saved = System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
                .Where(k => k.StartsWith("OS_", System.StringComparison.Ordinal))
                .ToDictionary(k => k, k => System.Environment.GetEnvironmentVariable(k));
            try
            {
                foreach (var k in saved.Keys)
                {
                    System.Environment.SetEnvironmentVariable(k, null);
                }

                using var ps = NewShell();
                ps.AddCommand("Set-Location").AddArgument(Path.GetTempPath()).AddStatement();
                ps.AddCommand("Connect-OSCloud");
                ps.Invoke(); // a statement-terminating error of the second statement lands in the error stream
                var error = Assert.Single(ps.Streams.Error);
                Assert.Equal("OSNoCloudConfigured,OpenStackMigration.Commands.ConnectOSCloudCommand", error.FullyQualifiedErrorId);
                Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
                Assert.Contains("OS_AUTH_URL and OS_CLOUD are not set", error.Exception.Message);
                // The fix, named: an openrc, OS_CLOUD, or the parameters.
                var fix = error.ErrorDetails?.RecommendedAction ?? string.Empty;
                Assert.Contains("openrc", fix);
                Assert.Contains("OS_CLOUD", fix);
                Assert.Contains("Connect-OSCloud -Cloud", fix);
            }
            finally
            {
                foreach (var kv in saved)
                {
                    System.Environment.SetEnvironmentVariable(kv.Key, kv.Value);
                }
            }
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

        /// <summary>Verbs that change something: a cmdlet with one of them must support -WhatIf/-Confirm, and only those may.</summary>
        private static readonly string[] ChangingVerbs =
        {
            "Set", "Move", "Start", "Stop", "Restart", "Enable", "Disable", "Complete", "Disconnect", "Remove", "New", "Invoke",
            "Register", "Unregister", "Update", "Reset", "Clear", "Resume", "Suspend", "Add", "Rename", "Install", "Uninstall",
        };

        [Fact]
        public void ChangingCmdletsHonourWhatIf()
        {
            using var ps = NewShell();
            ps.AddCommand("Get-Command").AddParameter("Module", "OpenStackMigration").AddParameter("CommandType", CommandTypes.Cmdlet);
            var cmdlets = ps.Invoke().Select(o => (CmdletInfo)o.BaseObject).ToList();
            Assert.True(cmdlets.Count >= 20, $"only {cmdlets.Count} cmdlets were found");

            var shouldProcess = cmdlets
                .Where(c => c.ImplementingType.GetCustomAttributes(typeof(CmdletAttribute), false).Cast<CmdletAttribute>().Single().SupportsShouldProcess)
                .Select(c => c.Name).OrderBy(n => n).ToList();
            var changing = cmdlets.Where(c => ChangingVerbs.Contains(c.Verb)).Select(c => c.Name).OrderBy(n => n).ToList();
            Assert.Equal(changing, shouldProcess);
            foreach (var c in cmdlets.Where(c => shouldProcess.Contains(c.Name)))
            {
                Assert.True(c.Parameters.ContainsKey("WhatIf") && c.Parameters.ContainsKey("Confirm"), $"{c.Name} has no -WhatIf/-Confirm");
            }
        }

        /// <summary>The cmdlets that can run on this machine against a file of ours: -WhatIf leaves the file as it was, and the same call without it does not.</summary>
        [Theory]
        [InlineData("Set-OSRpcTimeout", "[DEFAULT]\n# keep me\nrpc_response_timeout = 60\n")]
        [InlineData("Set-OSDebugLogging", "[DEFAULT]\n# keep me\ndebug = false\n")]
        public void WhatIfLeavesALocalFileAsItWas(string cmdlet, string text)
        {
            if (!System.OperatingSystem.IsLinux())
            {
                return; // the local node runs its commands with /bin/sh
            }

            var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "osm-whatif-" + System.Guid.NewGuid().ToString("N"))).FullName;
            try
            {
                var path = Path.Combine(dir, "service.conf");
                File.WriteAllText(path, text);
                var before = File.ReadAllBytes(path);
                var stamp = File.GetLastWriteTimeUtc(path);

                RunLocal(cmdlet, path, whatIf: true);
                Assert.Equal(before, File.ReadAllBytes(path));
                Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
                Assert.Equal(new[] { "service.conf" }, Directory.GetFiles(dir).Select(Path.GetFileName).ToArray());

                // The same call without -WhatIf changes the file: the one above did nothing because of -WhatIf.
                RunLocal(cmdlet, path, whatIf: false);
                Assert.NotEqual(before, File.ReadAllBytes(path));
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        private static void RunLocal(string cmdlet, string path, bool whatIf)
        {
            using var ps = NewShell();
            ps.AddCommand(cmdlet);
            if (cmdlet == "Set-OSDebugLogging")
            {
                ps.AddParameter("Enabled", true).AddParameter("Service", "cinder");
            }
            else
            {
                ps.AddParameter("Seconds", 300).AddParameter("Service", "nova");
            }

            ps.AddParameter("Path", path).AddParameter("ConfigFile", new[] { path });
            ps.AddParameter(whatIf ? "WhatIf" : "Confirm", whatIf ? (object)true : false);
            ps.Invoke();
            Assert.Empty(ps.Streams.Error);
        }
    }
}
