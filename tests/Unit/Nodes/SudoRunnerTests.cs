using System;
using System.IO;
using System.Linq;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Nodes;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Nodes
{
    /// <summary>
    /// The sudo wrapper: the script it builds, how it tells sudo's failures from the script's own, and the whole path on
    /// this machine's real shell with a stand-in sudo that behaves like the real one (askpass, -n, NOPASSWD, three tries).
    /// tests/Pester/Sudo.Tests.ps1 runs it against the real sudo over a real sshd.
    /// </summary>
    public class SudoRunnerTests
    {
        private const string Nonce = "0123456789abcdef0123456789abcdef";

        // A password a shell would run as a command (touch) if it were ever fed to one, with every quoting hazard.
        private static string Password(string pwned) => $"O'k \"$HOME\" \\ `id`;touch {pwned};x";

        private static SecureString Secure(string s)
        {
            var secure = new SecureString();
            foreach (char c in s) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }

        [Fact]
        public void ThePasswordIsOneQuotedWordOfTheUsersShellAndNeverReachesTheRootScript()
        {
            string pw = Password("/nonexistent/pwned");
            string wrapped = SudoRunner.Wrap("echo hi\n", pw, Nonce);
            string assignment = "osm_sudo_pw=" + NodeFiles.Quote(pw) + "\n";
            int at = wrapped.IndexOf(assignment, StringComparison.Ordinal);
            Assert.True(at >= 0);
            Assert.Equal(at, wrapped.LastIndexOf("osm_sudo_pw=", StringComparison.Ordinal));

            // The shell reads the word back exactly, whatever it holds.
            var sh = Requires.Sh(assignment + "printf '%s' \"$osm_sudo_pw\"\n");
            Assert.Equal(pw, sh.Out);

            // Only the sudo process gets it, in its environment; the root script and every command line are free of it.
            string rest = wrapped.Remove(at, assignment.Length);
            Assert.DoesNotContain("touch", rest);
            Assert.DoesNotContain("/nonexistent/pwned", rest);
            Assert.Contains("OSM_SUDO_PW=\"$osm_sudo_pw\" SUDO_ASKPASS=\"$osm_sudo_dir/askpass\" LC_ALL=C sudo -A -p '' sh -s <<'OSM_SUDO_SCRIPT_" + Nonce + "'\n", rest);
            Assert.DoesNotContain("export", wrapped);
        }

        [Fact]
        public void WithoutAPasswordSudoNeverPrompts()
        {
            string wrapped = SudoRunner.Wrap("echo hi", null, Nonce);
            Assert.Contains("sudo -n sh -s <<'OSM_SUDO_SCRIPT_" + Nonce + "'\n", wrapped);
            Assert.Contains("echo hi\nOSM_SUDO_SCRIPT_" + Nonce + "\n", wrapped);
            Assert.DoesNotContain("askpass", wrapped);
        }

        [Theory]
        [InlineData("two\nlines")]
        [InlineData("cr\r")]
        [InlineData("nul\0")]
        public void APasswordSudoCouldNotReadIsRefusedUpFront(string pw)
        {
            var ex = Assert.Throws<OpenStackMigrationException>(() => SudoRunner.Validate(Secure(pw)));
            Assert.Equal("OSSudoPasswordInvalid", ex.ErrorId);
            Assert.DoesNotContain(pw, ex.Message);
            Assert.Throws<OpenStackMigrationException>(() => SudoRunner.Wrap("true", pw, Nonce));
        }

        [Fact]
        public void TheScriptsOwnResultComesThroughWithoutTheMarkers()
        {
            var raw = new NodeCommandResult(7, "out\n", $"We trust you have received the usual lecture\nOSM-SUDO-OK {Nonce}\nerr\nOSM-SUDO-ASKED {Nonce}\n");
            var r = SudoRunner.Unwrap(raw, Nonce, "pw", "n1");
            Assert.Equal(7, r.ExitCode);
            Assert.Equal("out\n", r.StdOut);
            Assert.Equal("We trust you have received the usual lecture\nerr\n", r.StdErr);
        }

        [Theory]
        [InlineData("sudo: a password is required\n", false, "OSSudoPasswordRequired", FailureKind.Authentication)]
        [InlineData("Sorry, try again.\nsudo: no password was provided\nsudo: 1 incorrect password attempt\nOSM-SUDO-ASKED " + Nonce + "\n", true, "OSSudoPasswordRejected", FailureKind.Authentication)]
        [InlineData("ops is not in the sudoers file.\nOSM-SUDO-ASKED " + Nonce + "\n", true, "OSSudoNotAllowed", FailureKind.PermissionDenied)]
        [InlineData("Sorry, user ops is not allowed to execute '/bin/sh -s' as root on c1.\n", false, "OSSudoNotAllowed", FailureKind.PermissionDenied)]
        [InlineData("OSM-SUDO-MISSING " + Nonce + "\n", false, "OSSudoNotFound", FailureKind.NotFound)]
        [InlineData("OSM-SUDO-NOASKPASS " + Nonce + "\n", true, "OSSudoFailed", FailureKind.CommandFailed)]
        [InlineData("sudo: sorry, you must have a tty to run sudo\n", false, "OSSudoFailed", FailureKind.CommandFailed)]
        public void SudosOwnFailuresGetStableIds(string stderr, bool withPassword, string id, FailureKind kind)
        {
            var ex = Assert.Throws<OpenStackMigrationException>(() =>
                SudoRunner.Unwrap(new NodeCommandResult(1, string.Empty, stderr), Nonce, withPassword ? "s3cret" : null, "n1"));
            Assert.Equal(id, ex.ErrorId);
            Assert.Equal(kind, ex.Kind);
            Assert.StartsWith("n1: ", ex.Message);
            Assert.DoesNotContain("OSM-SUDO", ex.Message);
        }

        [Fact]
        public void AFailureMessageNeverCarriesThePassword()
        {
            var ex = Assert.Throws<OpenStackMigrationException>(() =>
                SudoRunner.Unwrap(new NodeCommandResult(1, string.Empty, "sudo: weird: s3cret-pw\n"), Nonce, "s3cret-pw", "n1"));
            Assert.Equal("OSSudoFailed", ex.ErrorId);
            Assert.DoesNotContain("s3cret-pw", ex.Message);
        }

        /// <summary>A stand-in for sudo in a folder put first in PATH: it logs each call and acts per FAKE_SUDO_MODE.</summary>
        private sealed class FakeSudo : IDisposable
        {
            private readonly TempDir _dir = new TempDir();

            public FakeSudo(string mode, string rightPassword)
            {
                File.WriteAllText(_dir.File("right"), rightPassword + "\n");
                Directory.CreateDirectory(_dir.File("bin"));
                Directory.CreateDirectory(_dir.File("tmp"));
                File.WriteAllText(_dir.File("bin/sudo"), @"#!/bin/sh
echo call >> ""$FAKE_SUDO_DIR/log""
askpass=; nonint=
while [ $# -gt 0 ]; do case ""$1"" in -A) askpass=1; shift;; -n) nonint=1; shift;; -p) shift 2;; *) break;; esac; done
if [ ""$FAKE_SUDO_MODE"" = password ]; then
  [ -z ""$nonint"" ] || { echo 'sudo: a password is required' >&2; exit 1; }
  [ -n ""$askpass"" ] || { echo 'sudo: no tty present and no askpass program specified' >&2; exit 1; }
  for i in 1 2 3; do
    pw=$(""$SUDO_ASKPASS"" '') || { echo 'sudo: no password was provided' >&2; echo ""sudo: $((i-1)) incorrect password attempt"" >&2; exit 1; }
    echo ask >> ""$FAKE_SUDO_DIR/log""
    [ ""$pw"" = ""$(cat ""$FAKE_SUDO_DIR/right"")"" ] && exec env -u OSM_SUDO_PW -u SUDO_ASKPASS ""$@""
    echo 'Sorry, try again.' >&2
  done
  echo 'sudo: 3 incorrect password attempts' >&2; exit 1
fi
exec ""$@""
");
                Requires.Sh($"chmod 755 '{_dir.File("bin/sudo")}'");
                Mode = mode;
            }

            public string Mode { get; }

            public string Dir => _dir.Path;

            public string[] Log => File.Exists(_dir.File("log")) ? File.ReadAllLines(_dir.File("log")) : Array.Empty<string>();

            public string[] Leftovers => Directory.GetFileSystemEntries(_dir.File("tmp"));

            public LocalNodeSession Session(bool sudo, string? password) => new LocalNodeSession(sudo, password == null ? null : Secure(password))
            {
                ShellCommand = new[]
                {
                    "/usr/bin/env", $"PATH={_dir.File("bin")}:/usr/sbin:/usr/bin:/sbin:/bin", $"FAKE_SUDO_DIR={Dir}", $"FAKE_SUDO_MODE={Mode}",
                    $"TMPDIR={_dir.File("tmp")}", "/bin/sh", "-s",
                },
            };

            public void Dispose() => _dir.Dispose();
        }

        private const string Probe = "echo out; echo \"pw=${OSM_SUDO_PW-unset}\"; echo err >&2; exit 7";

        [Fact]
        public async Task WithTheRightPasswordTheScriptsExitCodeAndOutputComeThrough()
        {
            using var fake = new FakeSudo("password", "placeholder");
            string pw = Password(Path.Combine(fake.Dir, "pwned"));
            File.WriteAllText(Path.Combine(fake.Dir, "right"), pw + "\n");
            var r = await fake.Session(true, pw).RunScriptAsync(Probe, CancellationToken.None);
            Assert.Equal(7, r.ExitCode);
            Assert.Equal("out\npw=unset\n", r.StdOut);
            Assert.Equal("err\n", r.StdErr);
            Assert.Equal(new[] { "call", "ask" }, fake.Log);
            Assert.Empty(fake.Leftovers);
            Assert.False(File.Exists(Path.Combine(fake.Dir, "pwned")));
        }

        [Fact]
        public async Task AWrongPasswordIsTriedOnceAndNeverAgainOnThatNode()
        {
            using var fake = new FakeSudo("password", "right one");
            var node = fake.Session(true, "wrong one");
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() => node.RunScriptAsync("touch '" + fake.Dir + "/ran'", CancellationToken.None));
            Assert.Equal("OSSudoPasswordRejected", ex.ErrorId);
            Assert.Equal(FailureKind.Authentication, ex.Kind);
            Assert.DoesNotContain("wrong one", ex.Message);
            Assert.Equal(new[] { "call", "ask" }, fake.Log);
            var again = await Assert.ThrowsAsync<OpenStackMigrationException>(() => node.RunScriptAsync("true", CancellationToken.None));
            Assert.Equal("OSSudoPasswordRejected", again.ErrorId);
            Assert.Equal(new[] { "call", "ask" }, fake.Log);
            Assert.False(File.Exists(Path.Combine(fake.Dir, "ran")));
            Assert.Empty(fake.Leftovers);
        }

        [Fact]
        public async Task WithNopasswdThePasswordIsNeverReadNorRun()
        {
            using var fake = new FakeSudo("nopasswd", string.Empty);
            string pwned = Path.Combine(fake.Dir, "pwned");
            var r = await fake.Session(false, Password(pwned)).RunScriptAsync(Probe, CancellationToken.None);
            Assert.Equal(7, r.ExitCode);
            // This sudo keeps the environment (like !env_reset): the root script removes the variable before anything else.
            Assert.Equal("out\npw=unset\n", r.StdOut);
            Assert.Equal("err\n", r.StdErr);
            Assert.False(File.Exists(pwned));
            Assert.Equal(new[] { "call" }, fake.Log);
            Assert.Empty(fake.Leftovers);
        }

        [Fact]
        public async Task SudoAloneSaysAPasswordIsNeededInsteadOfReturningNothing()
        {
            using var fake = new FakeSudo("password", "x");
            var ex = await Assert.ThrowsAsync<OpenStackMigrationException>(() => fake.Session(true, null).RunScriptAsync("echo hi", CancellationToken.None));
            Assert.Equal("OSSudoPasswordRequired", ex.ErrorId);
            Assert.Contains("-SudoPassword", ex.RecommendedAction);
        }

        [Fact]
        public async Task PasswordlessSudoRunsTheScriptAsBefore()
        {
            using var fake = new FakeSudo("nopasswd", string.Empty);
            var r = await fake.Session(true, null).RunScriptAsync("printf 'a\\nb'; exit 3", CancellationToken.None);
            Assert.Equal(3, r.ExitCode);
            Assert.Equal("a\nb", r.StdOut);
            Assert.Equal(string.Empty, r.StdErr);
        }

        [Fact]
        public async Task ABigScriptWithItsOwnHereDocumentsTravelsIntact()
        {
            using var fake = new FakeSudo("password", "pw");
            string payload = string.Concat(Enumerable.Range(0, 20000).Select(i => $"line {i} 'q' \"d\" $x `y` \\\n"));
            string script = "cat <<'EOF'\n" + payload + "EOF\n";
            var r = await fake.Session(true, "pw").RunScriptAsync(script, CancellationToken.None);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(payload, r.StdOut);
        }
    }
}
