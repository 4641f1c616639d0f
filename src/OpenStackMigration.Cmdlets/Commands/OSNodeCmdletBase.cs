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

        /// <summary>The nodes to work on, reached over SSH ("host" or "host:port"). Omit for this machine. Accepts HostName from the pipeline (Get-OSComputeService, Get-OSHypervisor).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("HostName", "Host", "Cn")]
        public string[]? ComputerName { get; set; }

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
        public HostKeyPolicy HostKeyPolicy { get; set; } = HostKeyPolicy.AcceptNew;

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

        /// <summary>Does the cmdlet's work on every node.</summary>
        protected abstract void Run(NodePool pool);

        /// <summary>The nodes asked for (this machine when none).</summary>
        protected IReadOnlyList<NodeTarget> Targets()
        {
            var names = _names.Count == 0 ? new List<string?> { null } : _names.Distinct(StringComparer.OrdinalIgnoreCase).Select(n => (string?)n).ToList();
            return names.Select(n => new NodeTarget
            {
                ComputerName = SplitPort(n).Host,
                Port = SplitPort(n).Port ?? (MyInvocation.BoundParameters.ContainsKey(nameof(Port)) ? Port : (int?)null),
                Credential = Credential?.GetNetworkCredential(),
                KeyFilePath = KeyFilePath == null ? null : GetUnresolvedProviderPathFromPSPath(KeyFilePath),
                UserName = UserName,
                UseSudo = Sudo || SudoPassword != null,
                SudoPassword = SudoPassword,
                HostKeyPolicy = HostKeyPolicy,
                KnownHostsPath = KnownHostsPath == null ? null : GetUnresolvedProviderPathFromPSPath(KnownHostsPath),
                ConnectTimeoutSec = TimeoutSec,
            }).ToList();
        }

        /// <summary>"host:port" or "[v6 address]:port" gives a node its own SSH port; anything else is a plain name.</summary>
        internal static (string? Host, int? Port) SplitPort(string? name)
        {
            if (name == null) return (null, null);
            var m = System.Text.RegularExpressions.Regex.Match(name, @"^(?:\[(?<h>[^\]]+)\]|(?<h>[^:\[\]]+)):(?<p>\d{1,5})$");
            return m.Success && int.TryParse(m.Groups["p"].Value, out int port) && port > 0 && port < 65536 ? (m.Groups["h"].Value, port) : (name, null);
        }

        /// <summary>
        /// Plans, asks ShouldProcess once per changed file (its text lists node, file and every line old -> new),
        /// applies what was approved in parallel, optionally restarts, and writes one result per setting and file.
        /// </summary>
        protected void ApplyPlans(NodePool pool, IReadOnlyList<FilePlan> plans, Func<FilePlan, RestartRequest?>? restart = null)
        {
            var approved = new List<FilePlan>();
            foreach (var plan in plans)
            {
                if (plan.HasChanges && ShouldProcess(plan.Description, plan.Description + Environment.NewLine + "Change this file?", "Change configuration"))
                {
                    approved.Add(plan);
                }
            }

            var all = new System.Collections.Concurrent.ConcurrentQueue<OSConfigChange>();
            RunEngineStreaming<OSConfigChange>(async (emit, sink, token) =>
            {
                await pool.ForEachAsync(
                    plans.GroupBy(p => p.Target),
                    async (group, ct) =>
                    {
                        // A node's files are written at once, each over its own channel of the node's one connection.
                        await System.Threading.Tasks.Task.WhenAll(group.Where(approved.Contains).Select(plan => plan.ApplyAsync(pool, sink, ct))).ConfigureAwait(false);

                        if (restart != null)
                        {
                            foreach (var plan in group.Where(p => approved.Contains(p) && p.Results.Any(r => r.BackupPath != null)))
                            {
                                var request = restart(plan);
                                if (request == null) continue;
                                var done = await RestartForPlanAsync(pool, plan, request, sink, ct).ConfigureAwait(false);
                                foreach (var r in plan.Results.Where(r => r.BackupPath != null))
                                {
                                    r.Restarted = done.Count > 0 && done.All(d => d.Restarted);
                                    r.RestartedServices = string.Join(", ", done.Where(d => d.Restarted).Select(d => d.Service));
                                    var failed = done.FirstOrDefault(d => d.Error != null);
                                    if (failed != null) r.Error = failed.Error;
                                }
                            }
                        }

                        return group.SelectMany(p => p.Results);
                    },
                    (group, ex) => group.SelectMany(p => p.Results),
                    r => { all.Enqueue(r); emit(r); },
                    token).ConfigureAwait(false);
            });
            ReportFailures(all);
        }

        private static async System.Threading.Tasks.Task<List<OSServiceRestart>> RestartForPlanAsync(NodePool pool, FilePlan plan, RestartRequest request, IEngineSink sink, System.Threading.CancellationToken ct)
        {
            var node = pool.Session(plan.Target);
            var done = new List<OSServiceRestart>();
            foreach (var name in request.Services)
            {
                var r = await ServiceControl.RestartAsync(node, name, request.Manager, request.Reload, request.PidFile, request.Signal, request.Validate, false, sink, ct).ConfigureAwait(false);
                if (r.ErrorId == "OSServiceNotFound" && request.SkipMissing)
                {
                    sink.Verbose(r.Error!);
                    continue;
                }

                if (r.Error != null) sink.Warning(r.Error);
                done.Add(r);
            }

            return done;
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
                        WriteFailure(new OpenStackMigrationException(s.ErrorId, KindOf(s.ErrorId), s.Error ?? s.ErrorId), s.ComputerName);
                    }
                });
        }

        /// <summary>Writes failed results as errors too, so scripts can rely on $? and -ErrorAction.</summary>
        protected void ReportFailures(IEnumerable<OSConfigChange> results)
        {
            foreach (var r in results.Where(r => r.ErrorId != null))
            {
                WriteFailure(new OpenStackMigrationException(r.ErrorId!, KindOf(r.ErrorId!), r.Error ?? r.ErrorId!), r.ComputerName + ":" + r.Path);
            }
        }

        /// <summary>The failure kind behind an error id carried on a result object.</summary>
        protected static FailureKind KindOf(string errorId) => errorId switch
        {
            "OSConfigFileNotFound" or "OSServiceNotFound" or "OSHAProxyProxyNotFound" => FailureKind.NotFound,
            "OSConfigFileReadOnly" or "OSConfigFileUnreadable" => FailureKind.PermissionDenied,
            "OSSshConnectionFailed" or "OSSshHostKeyRejected" => FailureKind.ConnectionFailed,
            "OSSshAuthenticationFailed" or "OSSudoPasswordRequired" or "OSSudoPasswordRejected" => FailureKind.Authentication,
            "OSSudoNotAllowed" => FailureKind.PermissionDenied,
            "OSSudoNotFound" => FailureKind.NotFound,
            "OSSudoFailed" => FailureKind.CommandFailed,
            "OSServiceRestartFailed" or "OSNodeCommandFailed" => FailureKind.CommandFailed,
            "OSHAProxyFrontendIgnoresTimeoutServer" => FailureKind.InvalidArgument,
            _ => FailureKind.Configuration,
        };
    }

    /// <summary>What to restart after a file changed.</summary>
    public sealed class RestartRequest
    {
        /// <summary>Service names (units, resources or containers) to restart.</summary>
        public IReadOnlyList<string> Services { get; set; } = Array.Empty<string>();

        /// <summary>How they are run.</summary>
        public ServiceManager Manager { get; set; } = ServiceManager.Auto;

        /// <summary>Reload instead of restart.</summary>
        public bool Reload { get; set; }

        /// <summary>The pid file for the Signal manager.</summary>
        public string? PidFile { get; set; }

        /// <summary>The signal for the Signal manager.</summary>
        public string Signal { get; set; } = "USR2";

        /// <summary>A command that must succeed before restarting.</summary>
        public string? Validate { get; set; }

        /// <summary>Skip services that are not found on the node rather than failing.</summary>
        public bool SkipMissing { get; set; }
    }
}
