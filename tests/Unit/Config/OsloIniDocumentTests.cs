using System.IO;
using System.Linq;
using OpenStackMigration.Config;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Config
{
    public class OsloIniDocumentTests
    {
        private const string Hostile =
            "[DEFAULT]\r\n" +
            "# a comment\r\n" +
            "rpc_response_timeout = 120 # raised for migrations\r\n" +
            "  ; indented: part of the value above? no: blank line first\r\n" +
            "\r\n" +
            "[default]\r\n" +
            "rpc_response_timeout = 5\r\n" +
            "[DEFAULT]\r\n" +
            "transport_url: rabbit://u:p@h:5672/\r\n" +
            "long_rpc_timeout = \"2400\"\r\n" +
            "Debug = true\r\n" +
            "my_list = a,\r\n" +
            "    b,\r\n" +
            "\tc\r\n" +
            "[DEFAULT]\r\n" +
            "rpc_response_timeout=90\r\n";

        private static OsloIniDocument Doc(string text) => OsloIniDocument.Parse(text, "test.conf");

        [Fact]
        public void ReadsLikeOsloConfig()
        {
            var doc = Doc(Hostile);
            // The last [DEFAULT] wins; [default] is another section; the inline "# ..." is part of the value.
            Assert.Equal("90", doc.Find("DEFAULT", "rpc_response_timeout")!.Value);
            Assert.Equal("5", doc.Find("default", "rpc_response_timeout")!.Value);
            Assert.Equal("120 # raised for migrations\n; indented: part of the value above? no: blank line first",
                doc.FindAll("DEFAULT", "rpc_response_timeout").First().Value);
            Assert.Equal("2400", doc.Find("DEFAULT", "long_rpc_timeout")!.Value);
            Assert.Null(doc.Find("DEFAULT", "debug"));
            Assert.Equal("a,\nb,\nc", doc.Find("DEFAULT", "my_list")!.Value);
        }

        [Theory]
        [InlineData("rpc_response_timeout = 60\n", "Section must be started")]
        [InlineData("  [DEFAULT]\n", "Unexpected continuation")]
        [InlineData("[DEFAULT\n", "must end with ]")]
        [InlineData("[]\n", "Empty section name")]
        [InlineData("[DEFAULT]\njust words\n", "No ':' or '='")]
        [InlineData("[DEFAULT]\n= 1\n", "Key cannot be empty")]
        [InlineData("[DEFAULT]\n# c\n  x\n", "Unexpected continuation")]
        public void RefusesWhatOsloConfigRefuses(string text, string why)
        {
            var ex = Assert.Throws<OpenStackMigrationException>(() => Doc(text));
            Assert.Equal("OSConfigParseError", ex.ErrorId);
            Assert.Contains(why, ex.Message);
        }

        [Fact]
        public void RefusesByteOrderMark()
        {
            var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(System.Text.Encoding.UTF8.GetBytes("[DEFAULT]\nx = 1\n")).ToArray();
            var ex = Assert.Throws<OpenStackMigrationException>(() => OsloIniDocument.Parse(bytes, "bom.conf"));
            Assert.Equal("OSConfigByteOrderMark", ex.ErrorId);
        }

        [Fact]
        public void ChangesOnlyTheWinningLineAndKeepsCrlf()
        {
            var doc = Doc(Hostile);
            var changes = doc.Set("DEFAULT", "rpc_response_timeout", "300");
            var change = Assert.Single(changes);
            Assert.Equal(16, change.LineNumber);
            Assert.Equal("rpc_response_timeout=90", change.OldText);
            Assert.Equal("rpc_response_timeout=300", change.NewText);
            Assert.Equal(Hostile.Replace("rpc_response_timeout=90", "rpc_response_timeout=300"), doc.ToString());
            Assert.Empty(doc.Set("DEFAULT", "rpc_response_timeout", "300"));
        }

        [Fact]
        public void QuotedValueEqualToTheNewOneIsLeftAlone()
        {
            var doc = Doc(Hostile);
            Assert.Empty(doc.Set("DEFAULT", "long_rpc_timeout", "2400"));
            Assert.Equal(Hostile, doc.ToString());
        }

        [Fact]
        public void InlineNoteBecomesACommentAndContinuationLinesGo()
        {
            var text = "[DEFAULT]\nrpc_response_timeout = 120 # raised\n    30\n\nx = 1\n";
            var doc = Doc(text);
            var changes = doc.Set("DEFAULT", "rpc_response_timeout", "300");
            Assert.Equal("[DEFAULT]\n# raised\nrpc_response_timeout = 300\n\nx = 1\n", doc.ToString());
            Assert.Equal(3, changes.Count);
        }

        [Fact]
        public void InsertsNextToTheCommentedSampleLine()
        {
            var text = "[DEFAULT]\n\n#\n# Help text.\n#rpc_response_timeout = 60\n\n[oslo_messaging_rabbit]\n#rpc_response_timeout = 1\n";
            var doc = Doc(text);
            var change = Assert.Single(doc.Set("DEFAULT", "rpc_response_timeout", "300"));
            Assert.Equal(5, change.LineNumber);
            Assert.Equal("[DEFAULT]\n\n#\n# Help text.\n#rpc_response_timeout = 60\nrpc_response_timeout = 300\n\n[oslo_messaging_rabbit]\n#rpc_response_timeout = 1\n", doc.ToString());
        }

        [Fact]
        public void AddsDefaultSectionWhenMissingAndEndsLastLine()
        {
            var doc = Doc("[database]\nconnection = x");
            doc.Set("DEFAULT", "debug", "true");
            Assert.Equal("[DEFAULT]\ndebug = true\n\n[database]\nconnection = x", doc.ToString());
            var doc2 = Doc("[DEFAULT]\nx = 1");
            doc2.Set("DEFAULT", "debug", "true");
            Assert.Equal("[DEFAULT]\nx = 1\ndebug = true", doc2.ToString());
        }

        [Theory]
        [InlineData("120", true, 120L)]
        [InlineData(" 1_000 ", true, 1000L)]
        [InlineData("-5", true, -5L)]
        [InlineData("", true, null)]
        [InlineData("120s", false, null)]
        [InlineData("60.0", false, null)]
        [InlineData("1__0", false, null)]
        [InlineData("120 # note", false, null)]
        public void ReadsIntegersLikeIntOpt(string text, bool ok, long? value)
        {
            Assert.Equal(ok, OsloValue.TryParseInt(text, out var v));
            Assert.Equal(value, v);
        }

        [RequiresFact(Requires.Oslo)]
        [Trait("Category", "Integration")]
        public void OsloConfigReadsTheHostileFileAsWeDo()
        {
            using var dir = new TempDir();
            var path = dir.Write("hostile.conf", Hostile);
            AssertSameAsOslo(path);
            var doc = OsloIniDocument.Parse(File.ReadAllBytes(path), path);
            doc.Set("DEFAULT", "rpc_response_timeout", "300");
            doc.Set("DEFAULT", "debug", "true");
            File.WriteAllText(path, doc.ToString());
            var after = OsloReference.Parse(path);
            Assert.True(after.Ok, after.Error);
            Assert.Equal("300", after.Sections["DEFAULT"]["rpc_response_timeout"].Last());
            Assert.Equal("true", after.Sections["DEFAULT"]["debug"].Last());
            AssertSameAsOslo(path);
        }

        [RequiresFact(Requires.Oslo)]
        [Trait("Category", "Integration")]
        public void OsloConfigRefusesWhatWeRefuse()
        {
            using var dir = new TempDir();
            foreach (var text in new[] { "x = 1\n", "[DEFAULT]\n# c\n  x\n", "[DEFAULT\n", "\uFEFF[DEFAULT]\nx = 1\n" })
            {
                var path = dir.Write("bad.conf", text);
                Assert.False(OsloReference.Parse(path).Ok, text);
                Assert.Throws<OpenStackMigrationException>(() => OsloIniDocument.Parse(File.ReadAllBytes(path), path));
            }
        }

        [RequiresFact(Requires.Oslo, Requires.Samples)]
        [Trait("Category", "Integration")]
        public void DebianSampleFilesEditedAreReadByOsloConfigWithOnlyOurChange()
        {
            using var dir = new TempDir();
            foreach (var name in new[] { "nova.conf", "cinder.conf" })
            {
                var path = dir.File(name);
                File.Copy(Path.Combine(Requires.SamplesDir, name), path);
                var before = OsloReference.Parse(path);
                Assert.True(before.Ok, before.Error);
                AssertSameAsOslo(path);
                var original = File.ReadAllText(path);
                var doc = OsloIniDocument.Parse(File.ReadAllBytes(path), path);
                var changes = doc.Set("DEFAULT", "rpc_response_timeout", "300");
                Assert.Single(changes);
                File.WriteAllText(path, doc.ToString());
                var after = OsloReference.Parse(path);
                Assert.Equal(new[] { "300" }, after.Sections["DEFAULT"]["rpc_response_timeout"]);
                after.Sections["DEFAULT"].Remove("rpc_response_timeout");
                Assert.Equal(Normalize(before), Normalize(after));
                // Exactly one line more, next to "#rpc_response_timeout = 60".
                var lines = File.ReadAllLines(path);
                Assert.Equal(original.Split('\n').Length, File.ReadAllText(path).Split('\n').Length - 1);
                Assert.Equal("#rpc_response_timeout = 60", lines[changes[0].LineNumber - 1]);
            }
        }

        private static void AssertSameAsOslo(string path)
        {
            var oslo = OsloReference.Parse(path);
            Assert.True(oslo.Ok, oslo.Error);
            var ours = OsloReference.Ours(OsloIniDocument.Parse(File.ReadAllBytes(path), path));
            Assert.Equal(Normalize(oslo), Normalize(new OsloReference.Parsed { Ok = true, Sections = ours }));
        }

        private static string Normalize(OsloReference.Parsed p) =>
            Newtonsoft.Json.JsonConvert.SerializeObject(p.Sections.Where(s => s.Value.Count > 0).OrderBy(s => s.Key, System.StringComparer.Ordinal)
                .ToDictionary(s => s.Key, s => s.Value.OrderBy(k => k.Key, System.StringComparer.Ordinal).ToDictionary(k => k.Key, k => k.Value)));
    }
}
