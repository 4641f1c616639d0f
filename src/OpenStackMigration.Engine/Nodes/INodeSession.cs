using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration.Nodes
{
    /// <summary>What a shell script printed and how it ended.</summary>
    public sealed class NodeCommandResult
    {
        /// <summary>Creates a result.</summary>
        public NodeCommandResult(int exitCode, string stdOut, string stdErr)
        {
            ExitCode = exitCode;
            StdOut = stdOut;
            StdErr = stdErr;
        }

        /// <summary>The exit code.</summary>
        public int ExitCode { get; }

        /// <summary>Standard output.</summary>
        public string StdOut { get; }

        /// <summary>Standard error.</summary>
        public string StdErr { get; }
    }

    /// <summary>
    /// A machine we run POSIX shell scripts on: the local one or one reached over SSH. Scripts are fed to
    /// <c>sh -s</c> on standard input (never on the command line), so any size of content can travel in them,
    /// nothing has to be installed on the node, and the local and remote paths run the very same code.
    /// </summary>
    public interface INodeSession : IDisposable
    {
        /// <summary>The node's name as the user gave it ("localhost" for the local machine).</summary>
        string ComputerName { get; }

        /// <summary>
        /// Runs a script with <c>sh -s</c>; when the target asks for sudo, as root through <c>sudo sh -s</c> (see
        /// <see cref="NodeTarget.SudoPassword"/>). A sudo failure throws OSSudo* errors; the script's own exit code and
        /// output come back as they are.
        /// </summary>
        Task<NodeCommandResult> RunScriptAsync(string script, CancellationToken cancellationToken);
    }

    /// <summary>How to trust a node's SSH host key.</summary>
    public enum HostKeyPolicy
    {
        /// <summary>Known hosts are checked and a changed key is refused; an unknown host is accepted with a warning.</summary>
        AcceptNew,

        /// <summary>The host must be in the known hosts file with the same key.</summary>
        Strict,

        /// <summary>No check (only for labs).</summary>
        None,
    }

    /// <summary>Where and how to reach one node.</summary>
    public sealed class NodeTarget
    {
        /// <summary>The host name or address; null, empty, "." or "localhost" (without SSH options) means this machine.</summary>
        public string? ComputerName { get; set; }

        /// <summary>The SSH port (22 unless given).</summary>
        public int? Port { get; set; }

        /// <summary>The name the cloud knows the node by, when it is reached at another address (Add-OSNode); shown in results.</summary>
        public string? NodeName { get; set; }

        /// <summary>User name and password (or, with <see cref="KeyFilePath"/>, the key's passphrase).</summary>
        public NetworkCredential? Credential { get; set; }

        /// <summary>A private key file for SSH.</summary>
        public string? KeyFilePath { get; set; }

        /// <summary>The SSH user when no credential is given (default: the current user).</summary>
        public string? UserName { get; set; }

        /// <summary>Run scripts as root through sudo: <c>sudo -n</c> (passwordless; never prompts) unless <see cref="SudoPassword"/> is given.</summary>
        public bool UseSudo { get; set; }

        /// <summary>
        /// The password sudo asks for (implies <see cref="UseSudo"/>). It travels only inside the script on the
        /// session's standard input and reaches sudo through a one-shot askpass helper: never on a command line, in a
        /// file or in any message. Unused when sudo does not ask (NOPASSWD, cached credentials).
        /// </summary>
        public System.Security.SecureString? SudoPassword { get; set; }

        /// <summary>How host keys are trusted.</summary>
        public HostKeyPolicy HostKeyPolicy { get; set; } = HostKeyPolicy.AcceptNew;

        /// <summary>The known_hosts file (default ~/.ssh/known_hosts).</summary>
        public string? KnownHostsPath { get; set; }

        /// <summary>Seconds to wait for the SSH connection.</summary>
        public int ConnectTimeoutSec { get; set; } = 15;

        /// <summary>True when this target is the local machine.</summary>
        public bool IsLocal =>
            string.IsNullOrEmpty(ComputerName) || ComputerName == "." ||
            (string.Equals(ComputerName, "localhost", StringComparison.OrdinalIgnoreCase) && Port is null && Credential is null && KeyFilePath is null);

        /// <summary>The name shown in results.</summary>
        public string DisplayName => IsLocal ? "localhost" : NodeName ?? (Port is null || Port == 22 ? ComputerName! : ComputerName + ":" + Port);

        /// <summary>Opens a session to the target (SSH connects lazily on first use).</summary>
        public INodeSession Open(IEngineSink sink) => IsLocal ? new LocalNodeSession(UseSudo, SudoPassword) : (INodeSession)new SshNodeSession(this, sink);
    }
}
