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
    /// <summary>The atomic write, on this machine's real shell and file system.</summary>
    public class NodeFilesTests
    {
        private static readonly LocalNodeSession Local = new LocalNodeSession(false);

        private static async Task<NodeFile> Read(string path) => (await NodeFiles.ReadAsync(Local, new[] { path }, CancellationToken.None)).Single();

        private static string Stat(string path) => Requires.Sh($"stat -c '%a %u:%g %F' -- '{path}'").Out.Trim();

        private static string[] Leftovers(TempDir dir) => Directory.GetFiles(dir.Path, ".*osm-*", SearchOption.AllDirectories);

        [RequiresFact(Requires.Root)]
        [Trait("Category", "Integration")]
        public async Task ReplaceKeepsOwnerModeAndSymlinkAndMakesABackup()
        {
            using var dir = new TempDir();
            var target = dir.Write("real/nova.conf", "[DEFAULT]\r\nx = 1\r\n");
            Requires.Sh($"chown 65534:65534 '{target}' && chmod 640 '{target}' && ln -s '{target}' '{dir.File("nova.conf")}'");
            var link = dir.File("nova.conf");
            var file = await Read(link);
            Assert.Equal(target, file.ResolvedPath);
            var backup = await NodeFiles.ReplaceAsync(Local, file, Encoding.UTF8.GetBytes("[DEFAULT]\r\nx = 2\r\n"), null, CancellationToken.None);

            Assert.Equal("symbolic link", Requires.Sh($"stat -c %F -- '{link}'").Out.Trim());
            Assert.Equal("640 65534:65534 regular file", Stat(target));
            Assert.Equal("[DEFAULT]\r\nx = 2\r\n", File.ReadAllText(link));
            Assert.Equal("[DEFAULT]\r\nx = 1\r\n", File.ReadAllText(backup));
            Assert.StartsWith(target + ".osm-", backup);
            Assert.EndsWith(".bak", backup);
            Assert.Empty(Leftovers(dir));
        }

        [Fact]
        public async Task RefusesWhenSomeoneElseChangedTheFileAfterTheRead()
        {
            using var dir = new TempDir();
            var path = dir.Write("cinder.conf", "[DEFAULT]\nx = 1\n");
            var file = await Read(path);
            File.WriteAllText(path, "[DEFAULT]\nx = 1\ny = theirs\n");
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                NodeFiles.ReplaceAsync(Local, file, Encoding.UTF8.GetBytes("[DEFAULT]\nx = 2\n"), null, CancellationToken.None));
            Assert.Equal("OSConfigChangedConcurrently", ex.ErrorId);
            Assert.Equal("[DEFAULT]\nx = 1\ny = theirs\n", File.ReadAllText(path));
            Assert.Empty(Leftovers(dir));
            Assert.Single(Directory.GetFiles(dir.Path));
        }

        [Fact]
        public async Task RefusesWhenOnlyTheMtimeChanged()
        {
            using var dir = new TempDir();
            var path = dir.Write("a.conf", "[DEFAULT]\nx = 1\n");
            var file = await Read(path);
            Requires.Sh($"touch -d '2001-01-01' '{path}'");
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                NodeFiles.ReplaceAsync(Local, file, Encoding.UTF8.GetBytes("x"), null, CancellationToken.None));
            Assert.Equal("OSConfigChangedConcurrently", ex.ErrorId);
        }

        [Fact]
        public async Task AFailingValidatorLeavesTheFileAlone()
        {
            using var dir = new TempDir();
            var path = dir.Write("haproxy.cfg", "defaults\n  timeout server 60s\n");
            var file = await Read(path);
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                NodeFiles.ReplaceAsync(Local, file, Encoding.UTF8.GetBytes("broken"), "grep -q timeout \"$tmp\" || { echo no timeout line; false; }", CancellationToken.None));
            Assert.Equal("OSConfigValidationFailed", ex.ErrorId);
            Assert.Contains("no timeout line", ex.Message);
            Assert.Equal("defaults\n  timeout server 60s\n", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories));
        }

        [Fact]
        public async Task ReportsMissingAndNonRegularFiles()
        {
            using var dir = new TempDir();
            var files = await NodeFiles.ReadAsync(Local, new[] { dir.File("none.conf"), dir.Path }, CancellationToken.None);
            Assert.Equal("OSConfigFileNotFound", files[0].Error!.ErrorId);
            Assert.Equal(FailureKind.NotFound, files[0].Error!.Kind);
            Assert.Equal("OSConfigFileNotRegular", files[1].Error!.ErrorId);
            Assert.Equal(FailureKind.InvalidArgument, files[1].Error!.Kind);
        }

        [Fact]
        public async Task ReadsBytesExactlyWhateverTheyAre()
        {
            using var dir = new TempDir();
            var bytes = new byte[] { 0xEF, 0xBB, 0xBF, (byte)'[', (byte)'\r', (byte)'\n', 0xC3, 0xA9, (byte)'\'', (byte)'"', (byte)'$' };
            var path = dir.File("odd name 'quoted'.conf");
            File.WriteAllBytes(path, bytes);
            var file = await Read(path);
            Assert.Equal(bytes, file.Content);
        }

        [RequiresFact(Requires.Root)]
        [Trait("Category", "Integration")]
        public async Task AReadOnlyFileIsRefusedForAUserWhoCannotWriteIt()
        {
            using var dir = new TempDir();
            var path = dir.Write("ro/nova.conf", "[DEFAULT]\nx = 1\n");
            Requires.Sh($"chmod 755 '{dir.Path}' && chown -R 65534:65534 '{dir.File("ro")}' && chmod 444 '{path}'");
            var nobody = new LocalNodeSession(false) { ShellCommand = new[] { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-s" } };
            var file = (await NodeFiles.ReadAsync(nobody, new[] { path }, CancellationToken.None)).Single();
            Assert.Null(file.Error);
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() =>
                NodeFiles.ReplaceAsync(nobody, file, Encoding.UTF8.GetBytes("[DEFAULT]\nx = 2\n"), null, CancellationToken.None));
            Assert.Equal("OSConfigFileReadOnly", ex.ErrorId);
            Assert.Equal("[DEFAULT]\nx = 1\n", File.ReadAllText(path));
        }

        [RequiresFact(Requires.Root)]
        [Trait("Category", "Integration")]
        public async Task AnUnreadableFileIsReportedNotGuessed()
        {
            using var dir = new TempDir();
            var path = dir.Write("secret.conf", "[DEFAULT]\n");
            Requires.Sh($"chmod 755 '{dir.Path}' && chmod 600 '{path}'");
            var nobody = new LocalNodeSession(false) { ShellCommand = new[] { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/bin/sh", "-s" } };
            var file = (await NodeFiles.ReadAsync(nobody, new[] { path }, CancellationToken.None)).Single();
            Assert.Equal("OSConfigFileUnreadable", file.Error!.ErrorId);
            Assert.Equal(FailureKind.PermissionDenied, file.Error.Kind);
        }
    }
}
