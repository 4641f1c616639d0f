using OpenStackMigration.Commands;
using OpenStackMigration.Nodes;
using Xunit;

namespace OpenStackMigration.Tests.Nodes
{
    public class NodeTargetTests
    {
        [Theory]
        [InlineData("c1", "c1", null)]
        [InlineData("127.0.0.1:2222", "127.0.0.1", 2222)]
        [InlineData("[fe80::1]:2200", "fe80::1", 2200)]
        [InlineData("fe80::1", "fe80::1", null)]
        public void ComputerNameMayCarryAPort(string name, string host, int? port)
        {
            var (h, p) = OSNodeCmdletBase.SplitPort(name);
            Assert.Equal(host, h);
            Assert.Equal(port, p);
        }

        [Theory]
        [InlineData("compute3", "compute3", true)]
        [InlineData("compute3", "COMPUTE3", true)]
        [InlineData("compute3", "compute3.example.org", true)]
        [InlineData("compute3.example.org", "compute3", true)]
        [InlineData("compute3", "compute30", false)]
        [InlineData("10.0.0.3", "10.0.0.4", false)]
        public void ANodeEntryAnswersToItsNameAndItsShortName(string registered, string asked, bool matches)
        {
            Assert.Equal(matches, new OpenStackMigration.Model.OSNode { HostName = registered }.Matches(asked));
        }

        [Fact]
        public void ANodeReachedElsewhereIsShownByItsCloudName()
        {
            Assert.Equal("compute3", new NodeTarget { ComputerName = "127.0.0.1", Port = 2203, NodeName = "compute3" }.DisplayName);
        }

        [Fact]
        public void LocalhostWithSshOptionsIsRemote()
        {
            Assert.True(new NodeTarget().IsLocal);
            Assert.True(new NodeTarget { ComputerName = "localhost" }.IsLocal);
            Assert.False(new NodeTarget { ComputerName = "localhost", Port = 2222 }.IsLocal);
            Assert.Equal("127.0.0.1:2222", new NodeTarget { ComputerName = "127.0.0.1", Port = 2222 }.DisplayName);
        }

        [Fact]
        public void KnownHostsMatchesPlainHashedAndRefusesAChangedKey()
        {
            var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), System.Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(dir);
            var file = System.IO.Path.Combine(dir, "known_hosts");
            var key = new byte[] { 1, 2, 3 };
            var other = new byte[] { 9, 9, 9 };
            var salt = new byte[20];
            using var hmac = new System.Security.Cryptography.HMACSHA1(salt);
            var hashed = "|1|" + System.Convert.ToBase64String(salt) + "|" + System.Convert.ToBase64String(hmac.ComputeHash(System.Text.Encoding.ASCII.GetBytes("c2")));
            System.IO.File.WriteAllLines(file, new[]
            {
                "# comment",
                "[127.0.0.1]:2222 ssh-ed25519 " + System.Convert.ToBase64String(key),
                hashed + " ssh-ed25519 " + System.Convert.ToBase64String(key),
                "c3,c4 ssh-ed25519 " + System.Convert.ToBase64String(other),
            });
            Assert.Equal(KnownHostVerdict.Match, KnownHosts.Check(file, "127.0.0.1", 2222, "ssh-ed25519", key));
            Assert.Equal(KnownHostVerdict.Unknown, KnownHosts.Check(file, "127.0.0.1", 22, "ssh-ed25519", key));
            Assert.Equal(KnownHostVerdict.Match, KnownHosts.Check(file, "c2", 22, "ssh-ed25519", key));
            Assert.Equal(KnownHostVerdict.Mismatch, KnownHosts.Check(file, "c4", 22, "ssh-ed25519", key));
            Assert.Equal(KnownHostVerdict.Unknown, KnownHosts.Check(file, "c4", 22, "ssh-rsa", key));
            System.IO.Directory.Delete(dir, true);
        }
    }
}
