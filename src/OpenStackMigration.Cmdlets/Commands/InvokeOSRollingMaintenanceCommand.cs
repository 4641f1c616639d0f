using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>Maintains many compute hosts one (or -Concurrency) at a time: capacity check, disable, drain, your work, wait for nova-compute, health check, enable, failback.</summary>
    /// <remarks>
    /// <para>For each host, in the order given (a wildcard's matches by name): checks with Placement's figures that the other hosts can take every instance (the hosts up and enabled, less those of this run in maintenance at the same time); disables the compute service with -Reason; drains it as Start-OSHostMaintenance does (same policies, same state file per host); runs -Work (a scriptblock given the host name as $_ and its first argument; throw to fail) and then -NodeCommand on the node over SSH (a non-zero exit fails); waits until nova-compute is up and has reported to Nova again (-ComputeTimeoutSec); runs -HealthCheck; enables the service; and with -Failback moves the instances the drain moved back onto the host. Then the next host.</para>
    /// <para>A host whose step fails is tried again from that step -MaxRetriesPerHost times, then left disabled (its instances stay where the drain put them). When more than -MaxFailedHosts hosts have failed no further host is started (hosts already in maintenance finish) and each host left out is reported with OSRollingRunStopped.</para>
    /// <para>One object is written per host and step as it ends (status, duration, instances moved and failed, capacity figures, error id); a failed step is also written as an error with its id. -JUnitPath writes the run as JUnit XML (one test case per host) for Jenkins' junit step.</para>
    /// <para>The run's state is written to a file before and after each step (by default OpenStackMigration/maintenance/&lt;cloud&gt;-rolling-&lt;hash of the hosts&gt;.json under the user's local application data; -StatePath to choose). Running the same command again after the process died resumes: hosts done are not touched, finished steps are not repeated, the interrupted step runs again (the drain's own state file and Nova say where each instance is, so nothing is moved twice; -Work and -NodeCommand should be safe to run twice). A run that completes sets its state file aside, so the next run of the same line is a new maintenance.</para>
    /// <para>Long runs outlive tokens: a session made with a password or an application credential renews its token as it goes. A session made with a token cannot; the command warns before starting when the run is likely to outlive it.</para>
    /// <para>-WhatIf prints the whole plan, host by host and step by step, with each host's capacity figures, and changes nothing. Use -Confirm:$false in runbooks.</para>
    /// </remarks>
    /// <example>
    /// <code>Invoke-OSRollingMaintenance -HostName 'compute*' -Reason 'kernel 6.1.0-18, CHG-2231' -NodeCommand 'apt-get -y upgrade &amp;&amp; systemctl restart nova-compute' -UserName root -KeyFilePath ~/.ssh/id_ed25519 -Confirm:$false</code>
    /// <para>Patches every compute host one at a time over SSH and restarts its nova-compute, waiting for it to report before enabling the host.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSComputeService -Binary nova-compute | Invoke-OSRollingMaintenance -Reason 'BIOS 2.3' -Concurrency 2 -MaxFailedHosts 1 -Work { Invoke-MyIpmiFlash -Node $_ } -HealthCheck { Test-MyNode $_ } -Failback -JUnitPath ./rolling.xml</code>
    /// <para>Two hosts at a time, your own scriptblocks for the work and the check, instances moved back afterwards; the run stops once two hosts have failed; a JUnit report for Jenkins.</para>
    /// </example>
    /// <example>
    /// <code>Invoke-OSRollingMaintenance compute1,compute2,compute3 -Reason 'patch' -Concurrency 2 -WhatIf</code>
    /// <para>Shows the plan with each host's capacity figures.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Invoke, "OSRollingMaintenance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(RollingStepResult))]
    public sealed class InvokeOSRollingMaintenanceCommand : OSCloudCmdletBase
    {
        private readonly List<string> _hosts = new List<string>();

        /// <summary>The compute hosts (names or wildcards), in order. Binds HostName from Get-OSComputeService and Get-OSHypervisor.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        public string[] HostName { get; set; } = Array.Empty<string>();

        /// <summary>Why; each host's compute service is disabled with it while in maintenance.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        public string Reason { get; set; } = string.Empty;

        /// <summary>How many hosts are in maintenance at once (default 1).</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int Concurrency { get; set; } = 1;

        /// <summary>How many hosts may fail before no further host is started (default 0: the first failure stops the run).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxFailedHosts { get; set; }

        /// <summary>How many times a failed host is tried again, from its failed step (default 0).</summary>
        [Parameter]
        [ValidateRange(0, 100)]
        public int MaxRetriesPerHost { get; set; }

        /// <summary>Seconds to wait before trying a failed host again (default 30).</summary>
        [Parameter]
        [ValidateRange(0, 86400)]
        public int RetryDelaySec { get; set; } = 30;

        /// <summary>Your work on each host, once it is empty: a scriptblock given the host name ($_ and $args[0]); what it outputs becomes the step's message; throw to fail the host.</summary>
        [Parameter]
        public ScriptBlock? Work { get; set; }

        /// <summary>A shell command run on each host's node over SSH after -Work (e.g. 'apt-get -y upgrade &amp;&amp; systemctl restart nova-compute'); a non-zero exit fails the host.</summary>
        [Parameter]
        public string? NodeCommand { get; set; }

        /// <summary>Where to reach each host's node over SSH when it is not the host name: @{ compute3 = '10.0.0.13'; compute4 = '10.0.0.14:2222' }.</summary>
        [Parameter]
        public Hashtable? NodeAddress { get; set; }

        /// <summary>The SSH user for -NodeCommand (default: the current user name).</summary>
        [Parameter]
        public string? UserName { get; set; }

        /// <summary>A private key file for -NodeCommand's SSH.</summary>
        [Parameter]
        public string? KeyFilePath { get; set; }

        /// <summary>User name and password (or the key's passphrase) for -NodeCommand's SSH. Never written anywhere.</summary>
        [Parameter]
        [Credential]
        public PSCredential? NodeCredential { get; set; }

        /// <summary>Run -NodeCommand as root through passwordless sudo.</summary>
        [Parameter]
        public SwitchParameter Sudo { get; set; }

        /// <summary>AcceptNew (default), Strict, or None for the nodes' SSH host keys.</summary>
        [Parameter]
        public HostKeyPolicy HostKeyPolicy { get => _hostKeyPolicy.Value; set => _hostKeyPolicy.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<HostKeyPolicy> _hostKeyPolicy = new Held<HostKeyPolicy>(HostKeyPolicy.AcceptNew);

        /// <summary>The known_hosts file for the nodes (default ~/.ssh/known_hosts).</summary>
        [Parameter]
        public string? KnownHostsPath { get; set; }

        /// <summary>Seconds nova-compute may take to be up and report to Nova after the work (default 600).</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int ComputeTimeoutSec { get; set; } = 600;

        /// <summary>Your health check of each host after its compute reported: a scriptblock given the host name; throw to fail the host (it stays disabled).</summary>
        [Parameter]
        public ScriptBlock? HealthCheck { get; set; }

        /// <summary>Moves the instances the drain moved back onto each host once it is enabled again.</summary>
        [Parameter]
        public SwitchParameter Failback { get; set; }

        /// <summary>The drain's migrations in flight per host (default 3).</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 3;

        /// <summary>Cold-migrates instances that cannot move live (SHUTOFF).</summary>
        [Parameter]
        public SwitchParameter AllowColdMigration { get; set; }

        /// <summary>How local disks are handled by the live migrations: Auto (default), Always, Never.</summary>
        [Parameter]
        public BlockMigrationMode BlockMigration { get => _blockMigration.Value; set => _blockMigration.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<BlockMigrationMode> _blockMigration = new Held<BlockMigrationMode>(BlockMigrationMode.Auto);

        /// <summary>Seconds to watch each migration before -OnTimeout applies (0, the default, waits for ever).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MigrationTimeoutSec { get; set; }

        /// <summary>What to do with a migration still running after -MigrationTimeoutSec: Leave (default), Abort, ForceComplete.</summary>
        [Parameter]
        public TimeoutAction OnTimeout { get => _onTimeout.Value; set => _onTimeout.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<TimeoutAction> _onTimeout = new Held<TimeoutAction>(TimeoutAction.Leave);

        /// <summary>The run's state file (see the description for the default).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        /// <summary>Writes the run as JUnit XML to this file when it ends (also when it stops or fails).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? JUnitPath { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord() => _hosts.AddRange(HostName);

        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            try
            {
                Run();
            }
            finally
            {
                base.EndProcessing();
            }
        }

        private void Run()
        {
            var session = ResolveSession();
            var rolling = new RollingMaintenance(session);
            using var pool = NodeCommand == null ? null : new NodePool(Array.Empty<NodeTarget>(), 1, CommandSink);
            RollingMaintenanceRequest request;
            try
            {
                var hosts = RunEngine((sink, token) => rolling.ResolveHostsAsync(_hosts, sink, token));
                request = NewRequest(session, hosts, pool);
            }
            catch (OpenStackMigrationException e)
            {
                ThrowFailure(e);
                return;
            }

            var plan = RunEngine((sink, token) => rolling.PlanAsync(request, sink, token));
            WarnIfTokenTooShort(session, request, plan);
            if (!ShouldProcess(Describe(request, plan), $"Take {request.HostNames.Count} host(s) through maintenance, {Concurrency} at a time?", "Invoke-OSRollingMaintenance"))
            {
                return;
            }

            RollingRunState? state = null;
            try
            {
                RunEngineStreaming<RollingStepResult>(
                    async (emit, sink, token) => state = await rolling.RunAsync(request, emit, sink, token).ConfigureAwait(false),
                    step =>
                    {
                        WriteObject(step);
                        if (step.Status == RollingStatus.Failed && !step.FromEarlierRun)
                        {
                            WriteFailure(new OpenStackMigrationException(step.ErrorId ?? "OSRollingStepFailed", step.ErrorKind ?? FailureKind.CommandFailed, $"{step.HostName}: {step.Step} failed: {step.Message}") { Target = step.HostName }, step.HostName);
                        }
                    });
                if (state?.Stopped == true)
                {
                    WriteFailure(new OpenStackMigrationException("OSRollingRunStopped", FailureKind.InvalidState, "The rolling maintenance stopped: " + state.StopReason)
                    {
                        RecommendedAction = "Fix the failed host(s), then run the same command again: it resumes where it stopped.",
                    }, Reason);
                }
            }
            catch (OpenStackMigrationException e)
            {
                ThrowFailure(e);
            }
            finally
            {
                if (JUnitPath != null)
                {
                    var path = GetUnresolvedProviderPathFromPSPath(JUnitPath);
                    var written = state ?? RollingStateStore.Load(request.StatePath);
                    if (written != null)
                    {
                        RollingJUnitReport.Write(written, path);
                        WriteVerbose($"JUnit report written to {path}.");
                    }
                }
            }
        }

        private RollingMaintenanceRequest NewRequest(CloudSession session, IReadOnlyList<string> hosts, NodePool? pool)
        {
            var targets = new Dictionary<string, NodeTarget>(StringComparer.Ordinal);
            return new RollingMaintenanceRequest
            {
                HostNames = hosts,
                Reason = Reason,
                Concurrency = Concurrency,
                MaxFailedHosts = MaxFailedHosts,
                MaxRetriesPerHost = MaxRetriesPerHost,
                RetryDelay = TimeSpan.FromSeconds(RetryDelaySec),
                Drain = new HostDrainRequest
                {
                    ThrottleLimit = ThrottleLimit,
                    AllowCold = AllowColdMigration,
                    BlockMigration = BlockMigration,
                    MigrationTimeout = MigrationTimeoutSec > 0 ? TimeSpan.FromSeconds(MigrationTimeoutSec) : (TimeSpan?)null,
                    OnTimeout = OnTimeout,
                },
                Work = Work == null ? null : (host, _) => InvokeOnPipelineThread(() => Invoke(Work, host)),
                HealthCheck = HealthCheck == null ? null : (host, _) => InvokeOnPipelineThread(() => Invoke(HealthCheck, host)),
                NodeCommand = NodeCommand,
                NodeFor = pool == null ? null : host =>
                {
                    lock (targets)
                    {
                        if (!targets.TryGetValue(host, out var target))
                        {
                            target = Target(host);
                            targets[host] = target;
                        }

                        return pool.Session(target);
                    }
                },
                NodeNameFor = host => NodeAddress?.Contains(host) == true ? NodeAddress[host]?.ToString() ?? host : host,
                ComputeTimeout = TimeSpan.FromSeconds(ComputeTimeoutSec),
                Failback = Failback,
                StatePath = StatePath == null ? RollingStateStore.DefaultPath(session.Name, hosts) : GetUnresolvedProviderPathFromPSPath(StatePath),
                DrainStatePath = h => MaintenanceStateStore.DefaultPath(session.Name, h),
            };
        }

        /// <summary>Runs a scriptblock with the host as $_ and $args[0]; its output, as text, is the step's message.</summary>
        private static string? Invoke(ScriptBlock block, string host)
        {
            var output = block.InvokeWithContext(null, new List<PSVariable> { new PSVariable("_", host) }, host);
            var text = string.Join(" ", output.Where(o => o != null).Select(o => o.ToString()));
            return text.Length == 0 ? null : text;
        }

        private NodeTarget Target(string host)
        {
            var address = NodeAddress?.Contains(host) == true ? NodeAddress[host]?.ToString() : host;
            var (name, port) = OSNodeCmdletBase.SplitPort(address);
            return new NodeTarget
            {
                ComputerName = name,
                Port = port,
                Credential = NodeCredential?.GetNetworkCredential(),
                KeyFilePath = KeyFilePath == null ? null : GetUnresolvedProviderPathFromPSPath(KeyFilePath),
                UserName = UserName,
                UseSudo = Sudo,
                HostKeyPolicy = HostKeyPolicy,
                KnownHostsPath = KnownHostsPath == null ? null : GetUnresolvedProviderPathFromPSPath(KnownHostsPath),
            };
        }

        /// <summary>A token cannot renew itself: say so before hours of work, with a rough floor of the run's length.</summary>
        private void WarnIfTokenTooShort(CloudSession session, RollingMaintenanceRequest request, IReadOnlyList<RollingStepResult> plan)
        {
            if (session.AuthMethod != AuthMethod.Token)
            {
                return;
            }

            // At least a compute report interval per host, and a few seconds per migration (Nova's own time), spread over the hosts at once.
            var instances = plan.Where(p => p.Step == RollingStep.Capacity).Sum(p => p.Instances ?? 0);
            var floor = TimeSpan.FromSeconds((request.HostNames.Count * 20.0 + instances * 10.0 / Math.Max(1, ThrottleLimit)) / Concurrency);
            var left = session.TokenExpiresAt - DateTimeOffset.UtcNow;
            WriteWarning(left < floor
                ? $"This session was made with a token, which expires at {session.TokenExpiresAt:u} (in {left.TotalMinutes:0.#} min) and cannot be renewed: the run ({request.HostNames.Count} host(s), {instances} instance(s); at least {floor.TotalMinutes:0.#} min) will outlive it and fail with OSTokenExpired part-way. Connect with a password or an application credential, then run the same command."
                : $"This session was made with a token, which expires at {session.TokenExpiresAt:u} (in {left.TotalMinutes:0.#} min) and cannot be renewed; the run takes at least {floor.TotalMinutes:0.#} min and may outlive it. A password or an application credential is renewed as the run goes.");
        }

        private string Describe(RollingMaintenanceRequest request, IReadOnlyList<RollingStepResult> plan)
        {
            var text = new StringBuilder();
            text.AppendLine($"Rolling maintenance of {request.HostNames.Count} host(s), {Concurrency} at a time, stopping after {MaxFailedHosts + 1} failed host(s) (reason: {Reason}; state file {request.StatePath}):");
            foreach (var host in plan.GroupBy(p => p.HostName))
            {
                text.AppendLine($"  {host.First().Order,3}. {host.Key}");
                foreach (var step in host)
                {
                    var mark = step.FromEarlierRun ? "done " : step.Status == RollingStatus.Failed ? "FAIL " : step.Status == RollingStatus.Skipped ? "skip " : "     ";
                    text.AppendLine($"       {mark}{step.Step,-14} {step.Message}");
                }
            }

            return text.ToString().TrimEnd();
        }
    }
}
