#nullable enable
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Nodes;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Nodes
{
    /// <summary>
    /// The write and its backup under an admin's worst night: the node-side helper killed with SIGKILL at chosen
    /// and random points, a full disk, and the leftovers of killed runs.
    /// </summary>
    public class WriteFaultTests
    {
        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);

        private static async Task<NodeFile> Read(string path) => (await NodeFiles.ReadAsync(new LocalNodeSession(false), new[] { path }, CancellationToken.None)).Single();

        private static string[] Hidden(string path) => Directory.GetFiles(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".osm-*");

        private static string[] Backups(string path) => Directory.GetFiles(Path.GetDirectoryName(path)!, Path.GetFileName(path) + ".osm-*.bak");

        /// <summary>A config of about 3 MB (mostly comments, as Debian's are), so each step of the write takes a few milliseconds.</summary>
        private static byte[] BigConfig(string value)
        {
            var sb = new StringBuilder("[DEFAULT]\n");
            for (int i = 0; i < 45000; i++) sb.Append("# a sample comment line of a packaged config file, number ").Append(i).Append('\n');
            sb.Append("rpc_response_timeout = ").Append(value).Append('\n');
            return Encoding.UTF8.GetBytes(sb.ToString());
        }

        /// <summary>
        /// Starts a write whose node-side shell runs in a process group of its own, and kills that whole group with
        /// SIGKILL when <paramref name="when"/> says so (polled in a tight loop). Returns once the write has ended.
        /// </summary>
        private static async Task KillDuringAsync(TempDir dir, string path, byte[] content, Func<bool> when, int extraMs)
        {
            var pidFile = dir.File("helper.pid");
            File.Delete(pidFile);
            var wrapper = dir.Write("helper.sh", "echo $$ > \"$1\"\nexec /usr/bin/setsid /bin/sh -s\n");
            var node = new LocalNodeSession(false) { ShellCommand = new[] { "/bin/sh", wrapper, pidFile } };
            var file = await Read(path);
            var write = Task.Run(async () =>
            {
                try
                {
                    await NodeFiles.ReplaceAsync(node, file, content, null, CancellationToken.None);
                }
                catch (OpenStackMigrationException)
                {
                }
            });
            var sw = Stopwatch.StartNew();
            int pid = 0;
            while (!write.IsCompleted && sw.ElapsedMilliseconds < 20000)
            {
                if (pid == 0 && File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var p)) pid = p;
                if (pid != 0 && when())
                {
                    if (extraMs > 0) Thread.Sleep(extraMs);
                    kill(-pid, 9);
                    break;
                }
            }

            await write;
        }

        /// <summary>After a kill: the file is whole (old or new), and every backup is the complete old file.</summary>
        private static void AssertWholeOrUntouched(string path, byte[] before, byte[] after, string trial)
        {
            var now = File.ReadAllBytes(path);
            Assert.True(now.SequenceEqual(before) || now.SequenceEqual(after), $"{trial}: the file is torn ({now.Length} bytes)");
            foreach (var b in Backups(path))
            {
                var bytes = File.ReadAllBytes(b);
                Assert.True(bytes.SequenceEqual(before), $"{trial}: backup {Path.GetFileName(b)} is not the complete old file ({bytes.Length} of {before.Length} bytes)");
            }
        }

        /// <summary>The next run, once the leftovers are old enough, writes normally and removes them.</summary>
        private static async Task AssertNextRunCleansUp(string path, string trial)
        {
            foreach (var h in Hidden(path)) File.SetLastWriteTimeUtc(h, DateTime.UtcNow.AddHours(-1));
            var file = await Read(path);
            var backup = await NodeFiles.ReplaceAsync(new LocalNodeSession(false), file, Encoding.UTF8.GetBytes("[DEFAULT]\nrpc_response_timeout = 999\n"), null, CancellationToken.None);
            Assert.True(File.ReadAllBytes(backup).SequenceEqual(file.Content!), $"{trial}: the next run's backup is not the file it replaced");
            Assert.True(Hidden(path).Length == 0, $"{trial}: leftovers remain after the next run: {string.Join(", ", Hidden(path).Select(Path.GetFileName))}");
        }

        [Fact]
        [Trait("Category", "Integration")]
        public async Task KillNineDuringTheWriteOrTheBackupLeavesTheFileWholeAndNoPartialBackup()
        {
            var before = BigConfig("60");
            var after = BigConfig("300");
            var rng = new Random(15);
            int trial = 0;

            // Killed while the new content is being written, while the backup is being written, and at random times.
            var triggers = new (string Name, Func<string, Func<bool>> When)[]
            {
                ("during the temporary file", p => () => Hidden(p).Length > 0),
                ("during the backup", p => () => Backups(p).Length > 0 || Hidden(p).Any(h => Path.GetFileName(h).Contains("bak"))),
                ("at a random time", p => { var sw = Stopwatch.StartNew(); int at = rng.Next(0, 120); return () => sw.ElapsedMilliseconds >= at; }),
            };
            foreach (var (name, when) in triggers)
            {
                for (int i = 0; i < 4; i++, trial++)
                {
                    using var dir = new TempDir();
                    var path = dir.File("nova.conf");
                    File.WriteAllBytes(path, before);
                    string label = $"trial {trial} ({name})";
                    await KillDuringAsync(dir, path, after, when(path), name == "during the backup" ? 0 : i % 3);
                    AssertWholeOrUntouched(path, before, after, label);
                    await AssertNextRunCleansUp(path, label);
                }
            }
        }

        [Fact]
        [Trait("Category", "Integration")]
        public async Task TheNextRunRemovesOnlyItsOwnKindOfOldLeftovers()
        {
            using var dir = new TempDir();
            var path = dir.Write("nova.conf", "[DEFAULT]\ndebug = false\n");
            var old = dir.Write(".nova.conf.osm-AbC123", "half a file");
            var fresh = dir.Write(".nova.conf.osm-XyZ789", "a run still writing");
            var otherFile = dir.Write(".cinder.conf.osm-AbC123", "not this file's");
            var backup = dir.Write("nova.conf.osm-20200101T000000Z.bak", "[DEFAULT]\n");
            var mine = dir.Write(".nova.conf.swp", "an editor's");
            foreach (var f in new[] { old, otherFile, backup, mine }) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-2));

            var file = await Read(path);
            await NodeFiles.ReplaceAsync(new LocalNodeSession(false), file, Encoding.UTF8.GetBytes("[DEFAULT]\ndebug = true\n"), null, CancellationToken.None);

            Assert.False(File.Exists(old));
            Assert.True(File.Exists(fresh));
            Assert.True(File.Exists(otherFile));
            Assert.True(File.Exists(backup));
            Assert.True(File.Exists(mine));
        }

        [RequiresFact(Requires.Root)]
        [Trait("Category", "Integration")]
        public async Task AFullDiskLeavesNoTruncatedBackupAndNoTemporaryFile()
        {
            using var dir = new TempDir();
            var mount = dir.File("tiny");
            Directory.CreateDirectory(mount);
            var m = Requires.Sh($"mount -t tmpfs -o size=64k tmpfs '{mount}'");
            Assert.True(m.Code == 0, "mount failed: " + m.Err);
            try
            {
                // 24 KB: the original and the new file fit in 64 KB, a backup as well does not.
                var path = Path.Combine(mount, "nova.conf");
                var text = "[DEFAULT]\n" + string.Concat(Enumerable.Range(0, 740).Select(i => $"# line {i:D5} of a comment block.\n")) + "debug = false\n";
                File.WriteAllText(path, text);
                var file = await Read(path);
                var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                    NodeFiles.ReplaceAsync(new LocalNodeSession(false), file, Encoding.UTF8.GetBytes(text.Replace("debug = false", "debug = true")), null, CancellationToken.None));
                Assert.Equal("OSConfigNoSpace", ex.ErrorId);
                Assert.Contains("no space left", ex.Message, StringComparison.OrdinalIgnoreCase);
                Assert.Equal(text, File.ReadAllText(path));
                Assert.Equal(new[] { "nova.conf" }, Directory.GetFiles(mount).Select(Path.GetFileName));

                // Fuller still: not even the new file fits.
                File.WriteAllBytes(Path.Combine(mount, "ballast"), new byte[28 * 1024]);
                file = await Read(path);
                ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                    NodeFiles.ReplaceAsync(new LocalNodeSession(false), file, Encoding.UTF8.GetBytes(text.Replace("debug = false", "debug = true")), null, CancellationToken.None));
                Assert.Equal("OSConfigNoSpace", ex.ErrorId);
                Assert.Equal(text, File.ReadAllText(path));
                Assert.Equal(new[] { "ballast", "nova.conf" }, Directory.GetFiles(mount).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal));
            }
            finally
            {
                Requires.Sh($"umount '{mount}'");
            }
        }
    }
}
