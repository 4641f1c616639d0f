#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Nodes;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Nodes
{
    /// <summary>What a write says when it cannot be done, and what it does when its caller goes away.</summary>
    public class WriteReportTests
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);

        private static readonly LocalNodeSession Local = new LocalNodeSession(false);

        private static async Task<NodeFile> Read(string path) => (await NodeFiles.ReadAsync(Local, new[] { path }, CancellationToken.None)).Single();

        private static string[] Hidden(string path) => Directory.GetFiles(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".osm-*");

        [RequiresFact(Requires.Root)]
        [Trait("Category", "Integration")]
        public async Task AnImmutableFileIsNamedAsSuchNotSentToSudo()
        {
            using var dir = new TempDir();
            var path = dir.Write("nova.conf", "[DEFAULT]\ndebug = false\n");
            Requires.Sh($"chattr +i '{path}'");
            var file = await Read(path);
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                NodeFiles.ReplaceAsync(Local, file, Encoding.UTF8.GetBytes("[DEFAULT]\ndebug = true\n"), null, CancellationToken.None));
            Assert.Equal("OSConfigFileImmutable", ex.ErrorId);
            Assert.Equal(FailureKind.PermissionDenied, ex.Kind);
            Assert.Contains("immutable", ex.Message);
            Assert.DoesNotContain("-Sudo", ex.Message);
            Assert.DoesNotContain("(readonly)", ex.Message);
            Assert.Contains($"chattr -i {path}", ex.RecommendedAction);
            Assert.Equal("[DEFAULT]\ndebug = false\n", File.ReadAllText(path));
        }

        [RequiresFact(Requires.HAProxy)]
        [Trait("Category", "Integration")]
        public async Task AFileThatWasAlreadyInvalidIsSaidToBeSoWithoutTheTemporaryPath()
        {
            using var dir = new TempDir();
            var path = dir.Write("haproxy.cfg", "defaults\n    timeout server 5s\n    no-such-keyword here\n");
            var file = await Read(path);
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                NodeFiles.ReplaceAsync(Local, file, Encoding.UTF8.GetBytes("defaults\n    timeout server 30s\n    no-such-keyword here\n"), ServiceControl.HAProxyValidator("\"$tmp\""), CancellationToken.None));
            Assert.Equal("OSConfigAlreadyInvalid", ex.ErrorId);
            Assert.Contains("already fails validation", ex.Message);
            Assert.Contains("no-such-keyword", ex.Message);
            Assert.Contains(path, ex.Message);
            Assert.DoesNotContain(".osm-", ex.Message);
            Assert.Empty(Hidden(path));

            // A valid file that the edit breaks is the edit's fault, and the message names the real file too.
            var good = dir.Write("good.cfg", "defaults\n    mode http\n    timeout server 5s\nlisten x\n    bind 127.0.0.1:1\n");
            file = await Read(good);
            ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                NodeFiles.ReplaceAsync(Local, file, Encoding.UTF8.GetBytes("defaults\n    mode http\n    timeout server = 5s\nlisten x\n    bind 127.0.0.1:1\n"), ServiceControl.HAProxyValidator("\"$tmp\""), CancellationToken.None));
            Assert.Equal("OSConfigValidationFailed", ex.ErrorId);
            Assert.Contains(good, ex.Message);
            Assert.DoesNotContain(".osm-", ex.Message);
        }

        /// <summary>
        /// The caller dies (pwsh killed, SSH channel dropped) while the helper runs: its input stops short, or its
        /// output goes nowhere. The helper still ends with the old file or the new one, complete, and leaves nothing.
        /// </summary>
        [Fact]
        [Trait("Category", "Integration")]
        public async Task AWriteWhoseCallerDiesEndsWithTheOldFileOrTheNewOneAndNoLeftovers()
        {
            var before = Encoding.UTF8.GetBytes("[DEFAULT]\n" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"# comment {i}\n")) + "debug = false\n");
            var after = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(before).Replace("debug = false", "debug = true"));
            var rng = new Random(15);
            int landed = 0;
            for (int trial = 0; trial < 12; trial++)
            {
                using var dir = new TempDir();
                var path = dir.File("nova.conf");
                File.WriteAllBytes(path, before);
                var file = await Read(path);
                var script = Encoding.UTF8.GetBytes(NodeFileWrite.Script(file, after, Sha256(after), null));

                // Half the trials cut the script short at a random point; the others send it whole and then vanish.
                int sent = trial % 2 == 0 ? rng.Next(1, script.Length) : script.Length;
                var psi = new ProcessStartInfo("/bin/sh", "-s") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var sh = Process.Start(psi)!;
                sh.StandardOutput.BaseStream.Dispose();
                sh.StandardError.BaseStream.Dispose();
                try
                {
                    sh.StandardInput.BaseStream.Write(script, 0, sent);
                    sh.StandardInput.BaseStream.Dispose();
                }
                catch (IOException)
                {
                }

                // A vanishing session may also hang up on the helper once it has started writing.
                if (sent == script.Length)
                {
                    var sw = Stopwatch.StartNew();
                    while (!sh.HasExited && Hidden(path).Length == 0 && sw.ElapsedMilliseconds < 5000) { }
                    Thread.Sleep(rng.Next(0, 4));
                    kill(sh.Id, 1);
                }

                Assert.True(sh.WaitForExit(20000), $"trial {trial}: the helper did not end");
                var now = File.ReadAllBytes(path);
                Assert.True(now.SequenceEqual(before) || now.SequenceEqual(after), $"trial {trial}: the file is torn");
                if (sent == script.Length) Assert.True(now.SequenceEqual(after), $"trial {trial}: a whole script did not finish its write after its caller went away");
                if (now.SequenceEqual(after)) landed++;
                Assert.Empty(Hidden(path));
                foreach (var b in Directory.GetFiles(dir.Path, "nova.conf.osm-*.bak")) Assert.Equal(before, File.ReadAllBytes(b));

                // The next read tells the truth about what happened.
                Assert.Equal(now, (await Read(path)).Content);
            }

            Assert.True(landed >= 6);
        }

        private static string Sha256(byte[] bytes)
        {
            using var sha = System.Security.Cryptography.SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}
