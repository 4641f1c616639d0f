using System;
using System.Linq;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using System.Threading.Tasks;

namespace OpenStackMigration.Nodes
{
    /// <summary>
    /// Runs a node's scripts as root through sudo. The session always runs <c>sh -s</c> as the SSH (or local) user and
    /// feeds it a wrapper script on standard input; the wrapper runs the real script with <c>sudo sh -s</c>, the real
    /// script travelling in a quoted here-document.
    /// </summary>
    /// <remarks>
    /// <para>Without a password the wrapper uses <c>sudo -n</c>: it never prompts, and a sudo that wants a password fails
    /// with OSSudoPasswordRequired instead of leaving empty output behind.</para>
    /// <para>With a password, the password is a single-quoted shell word of the wrapper (so it is on the SSH channel's
    /// standard input only: never on a command line, never in a here-document that a shell could spool to a file).
    /// It reaches sudo in the environment of the sudo process alone, which runs with <c>-A</c>: sudo asks an askpass
    /// helper made for this run in a <c>mktemp -d</c> folder (mode 0700). The helper holds no secret; it prints the
    /// variable, once only, so a wrong password costs one failed attempt and not three (no lockout by pam_faillock).
    /// When sudo needs no password (NOPASSWD, cached credentials, root) it never runs the helper, and the password is
    /// never read by anything: nothing is ever written to sudo's or the script's standard input but the script.
    /// A trap removes the folder however the wrapper ends.</para>
    /// <para>The root shell prints a marker with a per-run nonce on standard error before the real script starts, so
    /// a sudo failure (wrong password, not in sudoers, no sudo) is told apart from the script's own failure, whose
    /// exit code and output come back unchanged (the marker lines are removed). A session remembers a sudo refusal
    /// and does not try again.</para>
    /// </remarks>
    public sealed class SudoRunner
    {
        private readonly SecureString? _password;
        private readonly string _computerName;
        private OpenStackMigrationException? _refused;

        /// <summary>Creates a runner for one session; <paramref name="password"/> null means passwordless sudo (-n).</summary>
        internal SudoRunner(SecureString? password, string computerName)
        {
            _password = password;
            _computerName = computerName;
        }

        /// <summary>The runner of a session that runs scripts as root (<paramref name="password"/> implies sudo), or null when it does not.</summary>
        internal static SudoRunner? For(bool useSudo, SecureString? password, string computerName) =>
            useSudo || password != null ? new SudoRunner(password, computerName) : null;

        /// <summary>sudo -n found that sudo wants a password.</summary>
        public const string PasswordRequired = "OSSudoPasswordRequired";

        /// <summary>sudo did not accept the password.</summary>
        public const string PasswordRejected = "OSSudoPasswordRejected";

        /// <summary>The user may not run commands as root.</summary>
        public const string NotAllowed = "OSSudoNotAllowed";

        /// <summary>No sudo on the node.</summary>
        public const string NotFound = "OSSudoNotFound";

        /// <summary>Anything else that kept sudo from running the script.</summary>
        public const string Failed = "OSSudoFailed";

        /// <summary>The password cannot be given to sudo (line break or NUL).</summary>
        public const string PasswordInvalid = "OSSudoPasswordInvalid";

        /// <summary>Runs <paramref name="script"/> as root: <paramref name="runShell"/> runs a script with <c>sh -s</c> as the user.</summary>
        internal async Task<NodeCommandResult> RunAsync(string script, Func<string, Task<NodeCommandResult>> runShell)
        {
            if (_refused != null)
            {
                throw Copy(_refused);
            }

            string nonce = Guid.NewGuid().ToString("N");
            string? password = _password == null ? null : Plain(_password);
            var raw = await runShell(Wrap(script, password, nonce)).ConfigureAwait(false);
            try
            {
                return Unwrap(raw, nonce, password, _computerName);
            }
            catch (OpenStackMigrationException ex)
            {
                _refused = ex;
                throw;
            }
        }

        /// <summary>Throws OSSudoPasswordInvalid when sudo could not be given this password (it reads one line).</summary>
        public static void Validate(SecureString? password)
        {
            if (password == null)
            {
                return;
            }

            CheckOneLine(Plain(password));
        }

        private static void CheckOneLine(string password)
        {
            if (password.IndexOfAny(new[] { '\0', '\n', '\r' }) >= 0)
            {
                throw new OpenStackMigrationException(PasswordInvalid, FailureKind.InvalidArgument,
                    "The sudo password contains a line break or a NUL character; sudo reads a single line, so it could never accept it.");
            }
        }

        /// <summary>The wrapper script the user's <c>sh -s</c> runs.</summary>
        internal static string Wrap(string script, string? password, string nonce)
        {
            string delimiter = "OSM_SUDO_SCRIPT_" + nonce;
            var s = new StringBuilder();
            s.Append("command -v sudo >/dev/null 2>&1 || { printf 'OSM-SUDO-MISSING %s\\n' ").Append(nonce).Append(" >&2; exit 127; }\n");
            if (password == null)
            {
                s.Append("LC_ALL=C sudo -n sh -s <<'").Append(delimiter).Append("'\n");
            }
            else
            {
                CheckOneLine(password);

                // Not exported: only the sudo process gets it (below), and sudo hands its environment to the askpass helper only.
                s.Append("osm_sudo_pw=").Append(NodeFiles.Quote(password)).Append('\n');
                s.Append(@"osm_sudo_dir=
trap '[ -z ""$osm_sudo_dir"" ] || rm -rf -- ""$osm_sudo_dir""' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
for osm_base in ""${TMPDIR:-/tmp}"" /tmp /dev/shm ""${XDG_RUNTIME_DIR:-/nonexistent}"" ""${HOME:-/nonexistent}""; do
  [ -d ""$osm_base"" ] && [ -w ""$osm_base"" ] || continue
  osm_sudo_dir=$(mktemp -d ""$osm_base/.osm-sudo.XXXXXXXX"" 2>/dev/null) || { osm_sudo_dir=; continue; }
  printf '%s\n' '#!/bin/sh' '[ ""${1-}"" = osm-probe ] && exit 0' 'f=""${0%/*}/asked""' '[ -e ""$f"" ] && exit 1' ': > ""$f""' 'printf ""%s\n"" ""$OSM_SUDO_PW""' > ""$osm_sudo_dir/askpass"" &&
    chmod 700 ""$osm_sudo_dir/askpass"" && ""$osm_sudo_dir/askpass"" osm-probe 2>/dev/null && break
  rm -rf -- ""$osm_sudo_dir""; osm_sudo_dir=
done
");
                s.Append("[ -n \"$osm_sudo_dir\" ] || { printf 'OSM-SUDO-NOASKPASS %s\\n' ").Append(nonce).Append(" >&2; exit 1; }\n");
                s.Append("OSM_SUDO_PW=\"$osm_sudo_pw\" SUDO_ASKPASS=\"$osm_sudo_dir/askpass\" LC_ALL=C sudo -A -p '' sh -s <<'").Append(delimiter).Append("'\n");
            }

            s.Append("printf 'OSM-SUDO-OK %s\\n' ").Append(nonce).Append(" >&2\n");
            s.Append("unset OSM_SUDO_PW SUDO_ASKPASS\n");
            s.Append(script);
            if (!script.EndsWith("\n", StringComparison.Ordinal))
            {
                s.Append('\n');
            }

            s.Append(delimiter).Append('\n');
            if (password != null)
            {
                s.Append("osm_rc=$?\n");
                s.Append("[ -e \"$osm_sudo_dir/asked\" ] && printf 'OSM-SUDO-ASKED %s\\n' ").Append(nonce).Append(" >&2\n");
                s.Append("exit $osm_rc\n");
            }

            return s.ToString();
        }

        /// <summary>
        /// The real script's result with the marker lines removed, or the sudo failure as an exception whose message
        /// never holds the password.
        /// </summary>
        internal static NodeCommandResult Unwrap(NodeCommandResult raw, string nonce, string? password, string computerName)
        {
            bool started = false, asked = false, missing = false, noAskpass = false;
            var kept = new StringBuilder();
            var lines = raw.StdErr.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                string line = lines[i].TrimEnd('\r');
                bool marker = true;
                if (line == "OSM-SUDO-OK " + nonce) started = true;
                else if (line == "OSM-SUDO-ASKED " + nonce) asked = true;
                else if (line == "OSM-SUDO-MISSING " + nonce) missing = true;
                else if (line == "OSM-SUDO-NOASKPASS " + nonce) noAskpass = true;
                else marker = false;
                if (!marker)
                {
                    kept.Append(lines[i]);
                    if (i < lines.Length - 1) kept.Append('\n');
                }
            }

            string stderr = kept.ToString();
            if (started)
            {
                return new NodeCommandResult(raw.ExitCode, raw.StdOut, stderr);
            }

            string said = Scrub((stderr + "\n" + raw.StdOut).Trim(), password);
            string saidText = said.Length == 0 ? "no message" : said;
            var (id, kind, message, action) =
                missing ? (NotFound, FailureKind.NotFound, $"{computerName}: sudo is not installed (or not in PATH), so nothing could be run as root.",
                    "Install sudo on the node, or connect as a user that can read and write the files without -Sudo.")
                : noAskpass ? (Failed, FailureKind.CommandFailed, $"{computerName}: no folder where the user may create and run sudo's askpass helper ($TMPDIR, /tmp, /dev/shm, $XDG_RUNTIME_DIR, $HOME are missing, read-only or noexec); nothing was run as root.",
                    "Give the user a writable folder that allows execution in TMPDIR or HOME.")
                : Has(said, "not in the sudoers file", "is not allowed to execute", "may not run sudo", "is not allowed to run sudo")
                    ? (NotAllowed, FailureKind.PermissionDenied, $"{computerName}: the user may not run the script as root with sudo: {saidText}",
                        "Allow the SSH user to run sh as root in sudoers, or connect as another user.")
                : Has(said, "a password is required")
                    ? (PasswordRequired, FailureKind.Authentication, $"{computerName}: sudo asks for a password; nothing was run as root.",
                        "Give it with -SudoPassword (for example -SudoPassword (Read-Host -AsSecureString), or $cred.Password to reuse the password of -Credential), or allow the user passwordless sudo (NOPASSWD).")
                : password != null && (asked || Has(said, "incorrect password", "Sorry, try again", "no password was provided"))
                    ? (PasswordRejected, FailureKind.Authentication, $"{computerName}: sudo did not accept the password given with -SudoPassword; nothing was run as root and no more attempts were made on this node.",
                        "Give the password of the SSH user (or, if sudoers sets rootpw, targetpw or runaspw, the password that asks for).")
                : (Failed, FailureKind.CommandFailed, $"{computerName}: sudo did not run the script (exit {raw.ExitCode}): {saidText}", (string?)null);

            // No Target: results of file operations take the error's target as their path; the message names the node.
            throw new OpenStackMigrationException(id, kind, message) { RecommendedAction = action };
        }

        /// <summary>The whole string (NetworkCredential would stop at a NUL character).</summary>
        private static string Plain(SecureString secure)
        {
            IntPtr p = Marshal.SecureStringToGlobalAllocUnicode(secure);
            try
            {
                return Marshal.PtrToStringUni(p, secure.Length);
            }
            finally
            {
                Marshal.ZeroFreeGlobalAllocUnicode(p);
            }
        }

        private static bool Has(string text, params string[] parts) => parts.Any(p => text.IndexOf(p, StringComparison.OrdinalIgnoreCase) >= 0);

        /// <summary>Sudo never prints the password, but a message built from a node's output must not be able to carry it.</summary>
        private static string Scrub(string text, string? password) =>
            string.IsNullOrEmpty(password) ? text : text.Replace(password, "********");

        private static OpenStackMigrationException Copy(OpenStackMigrationException ex) =>
            new OpenStackMigrationException(ex.ErrorId, ex.Kind, ex.Message) { Target = ex.Target, RecommendedAction = ex.RecommendedAction };
    }
}
