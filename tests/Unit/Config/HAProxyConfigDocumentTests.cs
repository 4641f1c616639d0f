using System.IO;
using System.Linq;
using OpenStackMigration.Config;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Config
{
    public class HAProxyConfigDocumentTests
    {
        private const string Cfg =
            "global\n" +
            "    log /dev/log local0\n" +
            "\n" +
            "defaults\n" +
            "    mode http\n" +
            "    timeout connect 5s\n" +
            "    timeout client  50s\n" +
            "    timeout server  60   # no unit: milliseconds!\n" +
            "\n" +
            "frontend fe\n" +
            "    bind 127.0.0.1:8080\n" +
            "    timeout server 1s\n" +
            "    default_backend nova_api\n" +
            "\n" +
            "backend nova_api\n" +
            "    server a 127.0.0.1:8774\n" +
            "\n" +
            "backend cinder_api\n" +
            "\ttimeout server 2m\n" +
            "\tserver b 127.0.0.1:8776\n" +
            "\n" +
            "defaults named\n" +
            "    timeout server 10s\n" +
            "\n" +
            "listen glance from named\n" +
            "    bind 127.0.0.1:9292\n" +
            "    # comment at the end\n";

        private static HAProxyConfigDocument Doc(string text = Cfg) => HAProxyConfigDocument.Parse(text, "haproxy.cfg");

        private static HAProxySection Section(HAProxyConfigDocument d, string label) => d.Sections.First(s => s.Label == label);

        [Fact]
        public void KnowsWhichValueEachProxySees()
        {
            var d = Doc();
            var nova = d.TimeoutServer(Section(d, "backend nova_api"));
            Assert.True(nova.Inherited);
            Assert.Equal(60, nova.Milliseconds);
            Assert.False(nova.HasUnit);
            Assert.Equal(120000, d.TimeoutServer(Section(d, "backend cinder_api")).Milliseconds);
            var glance = d.TimeoutServer(Section(d, "listen glance"));
            Assert.Equal("defaults named", glance.Owner!.Label);
            Assert.Equal(10000, glance.Milliseconds);
        }

        [Theory]
        [InlineData("60", 60L, false)]
        [InlineData("60s", 60000L, true)]
        [InlineData("100us", 1L, true)]
        [InlineData("2h", 7200000L, true)]
        [InlineData("1d", 86400000L, true)]
        public void ReadsTimesLikeHAProxy(string text, long ms, bool unit)
        {
            Assert.True(HAProxyTime.TryParse(text, out var v, out var u, out _));
            Assert.Equal(ms, v);
            Assert.Equal(unit, u);
        }

        [Theory]
        [InlineData("60S")]
        [InlineData("= 600")]
        [InlineData("25d")]
        public void RejectsTimesHAProxyRejects(string text) => Assert.False(HAProxyTime.TryParse(text, out _, out _, out _));

        [Fact]
        public void SetsDefaultsAndOverridingProxiesOnlyAndKeepsTheRest()
        {
            var d = Doc();
            var edits = d.SetTimeoutServer(300);
            Assert.Equal(new[] { "defaults", "backend cinder_api", "defaults named" }, edits.Select(e => e.Section.Label));
            var expected = Cfg.Replace("timeout server  60   #", "timeout server  300s   #")
                .Replace("\ttimeout server 2m\n", "\ttimeout server 300s\n")
                .Replace("    timeout server 10s\n", "    timeout server 300s\n");
            Assert.Equal(expected, d.ToString());
            foreach (var s in d.Sections.Where(s => s.Kind == HAProxySectionKind.Backend || s.Kind == HAProxySectionKind.Listen))
            {
                Assert.Equal(300000, d.TimeoutServer(s).Milliseconds);
            }

            Assert.Empty(d.SetTimeoutServer(300));
        }

        [Fact]
        public void RaisingOnlyLeavesAProxyThatAlreadyWaitsLonger()
        {
            var d = Doc();
            var edits = d.SetTimeoutServer(90, raiseOnly: true);

            // cinder_api's 2m is already longer than 90 s: kept. The 60 ms default and the 10 s named default are raised.
            Assert.Equal(new[] { "defaults", "defaults named" }, edits.Select(e => e.Section.Label));
            Assert.Equal(120000, d.TimeoutServer(Section(d, "backend cinder_api")).Milliseconds);
            Assert.Equal(90000, d.TimeoutServer(Section(d, "backend nova_api")).Milliseconds);
        }

        [Fact]
        public void SetsOneProxyByInsertingALineInItsStyle()
        {
            var d = Doc();
            var e = Assert.Single(d.SetTimeoutServer(90, "nova_api"));
            Assert.Null(e.OldValue);
            Assert.Equal("    timeout server 90s", e.Change.NewText);
            Assert.Equal(16, e.Change.LineNumber);
            Assert.Contains("    server a 127.0.0.1:8774\n    timeout server 90s\n\nbackend cinder_api", d.ToString());
        }

        [Fact]
        public void RefusesAFrontendAndAnUnknownProxy()
        {
            Assert.Equal("OSHAProxyFrontendIgnoresTimeoutServer", Assert.Throws<OpenStackMigrationException>(() => Doc().SetTimeoutServer(90, "fe")).ErrorId);
            Assert.Equal("OSHAProxyProxyNotFound", Assert.Throws<OpenStackMigrationException>(() => Doc().SetTimeoutServer(90, "nope")).ErrorId);
        }

        [Fact]
        public void ProxiesWithoutDefaultsGetTheirOwnLine()
        {
            var d = Doc("backend b\n  server x 127.0.0.1:1\r\n");
            d.SetTimeoutServer(5);
            Assert.Equal("backend b\n  server x 127.0.0.1:1\r\n  timeout server 5s\n", d.ToString());
        }

        [RequiresFact(Requires.HAProxy)]
        [Trait("Category", "Integration")]
        public void HAProxyAcceptsWhatWeWriteAndReadsItAsWeDo()
        {
            using var dir = new TempDir();
            var path = dir.Write("haproxy.cfg", Cfg);
            Assert.Equal(0, Requires.Run("/usr/sbin/haproxy", $"-c -f {path}"));
            var d = HAProxyConfigDocument.Parse(File.ReadAllBytes(path), path);
            d.SetTimeoutServer(300);
            d.SetTimeoutServer(45, "nova_api");
            File.WriteAllText(path, d.ToString());
            var check = Requires.Sh($"/usr/sbin/haproxy -c -f '{path}' 2>&1");
            Assert.Equal(0, check.Code);
            Assert.DoesNotContain("ALERT", check.Out);
            // haproxy itself confirms that a frontend ignores 'timeout server', as the document assumes.
            Assert.Contains("'timeout server' will be ignored because frontend 'fe'", check.Out);
        }
    }
}
