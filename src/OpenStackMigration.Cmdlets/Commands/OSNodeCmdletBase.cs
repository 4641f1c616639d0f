using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Commands
{
    /// <summary>
    /// A cmdlet that works on files and services of nodes: this machine, or many over SSH in parallel.
    /// Node names come from -ComputerName or the pipeline; the work starts once all are known.
    /// </summary>
    public abstract class OSNodeCmdletBase : OSCmdletBase
    {
        private readonly List<string> _names = new List<string>();

        /// <summary>
        /// The nodes to work on, reached over SSH ("host" or "host:port"). Omit for this machine. Accepts HostName from the pipeline
        /// (Get-OSComputeService, Get-OSHypervisor). A name registered with Add-OSNode is reached at its address, port and user,
        /// with its key or credential (parameters given here win).
        /// </summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("HostName", "Host", "Cn")]
        [ArgumentCompleter(typeof(Completion.NodeNameCompleter))]
        public string[]? ComputerName { get; set; }

        /// <summary>Adds the nodes registered with Add-OSNode under any of these roles (wildcards allowed), so a runbook names its controllers once.</summary>
        [Parameter]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completion.NodeRoleCompleter))]
        public string[]? Role { get; set; }

        /// <summary>The SSH port (default 22).</summary>
        [Parameter]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        /// <summary>User name and password for SSH; with -KeyFilePath, the password is the key's passphrase. Never written anywhere.</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>A private key file for SSH (OpenSSH or PEM format).</summary>
        [Parameter]
        public string? KeyFilePath { get; set; }

        /// <summary>The SSH user when -Credential is not given (default: the current user name).</summary>
        [Parameter]
        public string? UserName { get; set; }

        /// <summary>Run the commands as root through sudo on the node. Without -SudoPassword it is sudo -n: passwordless sudo only, it never prompts, and a sudo that wants a password fails with OSSudoPasswordRequired.</summary>
        [Parameter]
        public SwitchParameter Sudo { get; set; }

        /// <summary>
        /// The password sudo asks for on the nodes, usually that of the SSH user; implies -Sudo. Works whether or not sudoers
        /// says NOPASSWD or sudo has cached credentials. It never appears on a command line, in a file or in any output:
        /// it travels inside the script on the SSH channel and reaches sudo through a one-shot askpass helper. To reuse the
        /// SSH password, pass it explicitly: -SudoPassword $cred.Password. A wrong password fails with OSSudoPasswordRejected
        /// after a single attempt per node.
        /// </summary>
        [Parameter]
        public SecureString? SudoPassword { get; set; }

        /// <summary>How many nodes are worked on at once (default 32).</summary>
        [Parameter]
        [ValidateRange(1, 1024)]
        public int ThrottleLimit { get; set; } = 32;

        /// <summary>AcceptNew (default: a changed host key is refused, an unknown host is accepted with a warning), Strict, or None.</summary>
        [Parameter]
        public HostKeyPolicy HostKeyPolicy { get => _hostKeyPolicy.Value; set => _hostKeyPolicy.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<HostKeyPolicy> _hostKeyPolicy = new Held<HostKeyPolicy>(HostKeyPolicy.AcceptNew);

        /// <summary>The known_hosts file to check host keys against (default ~/.ssh/known_hosts).</summary>
        [Parameter]
        public string? KnownHostsPath { get; set; }

        /// <summary>Seconds to wait for an SSH connection (default 15).</summary>
        [Parameter]
        [ValidateRange(1, 3600)]
        public int TimeoutSec { get; set; } = 15;

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            if (ComputerName != null)
            {
                _names.AddRange(ComputerName);
            }
        }

        /// <inheritdoc/>
        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (Role != null)
            {
                var named = NodeMap.WithRole(Role);
                if (named.Count == 0)
                {
                    ThrowFailure(new OpenStackMigrationException("OSNodeRoleEmpty", FailureKind.NotFound, $"No node is registered with the role {string.Join(" or ", Role.Select(r => "'" + r + "'"))}. Register them with Add-OSNode -Role (Get-OSNode lists those there are).") { Target = string.Join(", ", Role) });
                }

                _names.AddRange(named);
            }
        }

        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            try
            {
                try
                {
                    SudoRunner.Validate(SudoPassword);
                }
                catch (OpenStackMigrationException ex)
                {
                    ThrowFailure(ex, nameof(SudoPassword));
                }

                using var pool = new NodePool(Targets(), ThrottleLimit, CommandSink);
                Run(pool);
            }
            finally
            {
                base.EndProcessing();
            }
        }

        /// <summary>True when nodes were named (otherwise the pool holds this machine).</summary>
        protected bool NodesGiven => _names.Count > 0;

        /// <summary>Does the cmdlet's work on every node.</summary>
        protected abstract void Run(NodePool pool);

        /// <summary>The nodes asked for (this machine when none); a name registered with Add-OSNode takes its entry's settings.</summary>
        protected IReadOnlyList<NodeTarget> Targets()
        {
            var names = _names.Count == 0 ? new List<string?> { null } : _names.Distinct(StringComparer.OrdinalIgnoreCase).Select(n => (string?)n).ToList();
            return names.Select(n => Target(n)).ToList();
        }

        private NodeTarget Target(string? name)
        {
            var (host, port) = SplitPort(name);
            var entry = host == null ? null : NodeMap.Find(host);
            var bound = MyInvocation.BoundParameters;
            var node = entry?.Node;
            var credential = Credential ?? entry?.Credential;
            var keyFile = KeyFilePath ?? node?.KeyFilePath;
            var knownHosts = KnownHostsPath ?? node?.KnownHostsPath;
            if (node != null)
            {
                WriteVerbose($"{host}: reached as {node.Address ?? node.HostName}:{port ?? (bound.ContainsKey(nameof(Port)) ? Port : node.Port ?? 22)} (Add-OSNode).");
            }

            return new NodeTarget
            {
                ComputerName = node?.Address ?? host,
                NodeName = node?.HostName,
                Port = port ?? (bound.ContainsKey(nameof(Port)) ? Port : node?.Port),
                Credential = credential?.GetNetworkCredential(),
                KeyFilePath = keyFile == null ? null : GetUnresolvedProviderPathFromPSPath(keyFile),
                UserName = UserName ?? node?.UserName,
                UseSudo = Sudo || SudoPassword != null || node?.Sudo == true,
                SudoPassword = SudoPassword,
                HostKeyPolicy = HostKeyPolicy,
                KnownHostsPath = knownHosts == null ? null : GetUnresolvedProviderPathFromPSPath(knownHosts),
                ConnectTimeoutSec = TimeoutSec,
            };
        }

        /// <summary>"host:port" or "[v6 address]:port" gives a node its own SSH port; anything else is a plain name.</summary>
        internal static (string? Host, int? Port) SplitPort(string? name)
        {
            if (name == null) return (null, null);
            var m = System.Text.RegularExpressions.Regex.Match(name, @"^(?:\[(?<h>[^\]]+)\]|(?<h>[^:\[\]]+)):(?<p>\d{1,5})$");
            return m.Success && int.TryParse(m.Groups["p"].Value, out int port) && port > 0 && port < 65536 ? (m.Groups["h"].Value, port) : (name, null);
        }

        /// <summary>
        /// Writes, as they come, the effective value of <paramref name="options"/> for every service of each project on
        /// every node (OsloConfigEngine.GetAsync). Warns about a value the service would refuse, and writes a node that
        /// could not be read (SSH, sudo) as an error too, once per node and project, keeping its error id.
        /// </summary>
        protected void WriteOsloSettings(NodePool pool, IEnumerable<string> projects, Func<string, IReadOnlyList<OsloOption>> options, IReadOnlyList<string>? configFiles)
        {
            var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            RunEngineStreaming<OSConfigSetting>(
                async (emit, sink, token) =>
                {
                    foreach (var project in projects.Distinct(StringComparer.OrdinalIgnoreCase))
                    {
                        await OsloConfigEngine.GetAsync(pool, project, options(project), configFiles, emit, sink, token).ConfigureAwait(false);
                    }
                },
                s =>
                {
                    if (!s.Valid && s.Error == null)
                    {
                        bool isBool = s.Setting == OsloServices.Debug.Name;
                        WriteWarning($"{s.ComputerName}: {s.Service} cannot read {s.Setting} = '{s.Value}' from {s.Source}: it is not {(isBool ? "a boolean (true/false, yes/no, on/off, 1/0)" : "an integer")}; the service will not start.");
                    }

                    WriteObject(s);
                    if (s.ErrorId != null && reported.Add(s.ComputerName + "\n" + s.Service))
                    {
                        WriteResultFailure(s.ErrorId, s.ErrorKind, s.Error, s.ComputerName);
                    }
                });
        }

        /// <summary>Writes failed results as errors too, so scripts can rely on $? and -ErrorAction.</summary>
        protected void ReportFailures(IEnumerable<OSConfigChange> results)
        {
            foreach (var r in results.Where(r => r.ErrorId != null))
            {
                WriteResultFailure(r.ErrorId!, r.ErrorKind, r.Error, r.ComputerName + ":" + r.Path);
            }
        }

        /// <summary>Writes the error a result object carries, with the id and kind decided where it was raised.</summary>
        protected void WriteResultFailure(string errorId, FailureKind? kind, string? message, object target) =>
            WriteFailure(new OpenStackMigrationException(errorId, kind ?? FailureKind.CommandFailed, message ?? errorId), target);
    }
}
