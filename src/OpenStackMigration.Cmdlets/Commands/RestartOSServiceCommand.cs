using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Orchestration;

namespace OpenStackMigration.Commands
{
    /// <summary>Restarts or reloads OpenStack services and haproxy on nodes: systemd, pacemaker (crm or pcs), or Kolla's docker/podman containers.</summary>
    /// <remarks>
    /// <para>How each service runs is detected on each node (a container named like Kolla's nova_compute, a pacemaker resource,
    /// else a systemd unit), or chosen with -Manager. -Manager Signal sends a signal to the process in -PidFile (SIGUSR2 reloads a
    /// 'haproxy -W' master).</para>
    /// <para>Nothing is restarted on a configuration that would not load: haproxy's file is checked with 'haproxy -c -f' first,
    /// and a nova or cinder service's files are read as oslo.config reads them (a parse error or a timeout that is not an integer
    /// stops the restart).</para>
    /// <para>After each restart the manager is asked until the service has stayed up for a few seconds (crm, pcs, docker and podman
    /// exit 0 even when the service fails to start): a service left down fails with OSServiceUnhealthy and the next step
    /// (crm resource cleanup, journalctl, podman logs...). A restarted nova-compute must also report to Nova again when a cloud is
    /// connected (OSServiceNotReporting otherwise). Nodes restart one at a time in the order given (-RestartThrottleLimit for more),
    /// and none after a failure, so a service is never down everywhere at once; -WhatIf shows the order.</para>
    /// <para>A service that is not on a node (OSServiceNotFound) or a -Manager that is not installed (OSServiceManagerNotInstalled)
    /// stops the command before anything restarts.</para>
    /// </remarks>
    /// <example>
    /// <code>Restart-OSService -Name nova-compute -ComputerName c1,c2 -UserName root -KeyFilePath ~/.ssh/id_ed25519 -Confirm:$false</code>
    /// <para>Restarts nova-compute on c1, then (once it is up and has reported to Nova) on c2.</para>
    /// </example>
    /// <example>
    /// <code>Restart-OSService -Name haproxy -ComputerName ctl1,ctl2,ctl3 -UserName root -KeyFilePath ~/.ssh/id_ed25519 -WhatIf</code>
    /// <para>Shows, per controller in rolling order, how haproxy runs there (e.g. the pacemaker resource p_haproxy) and the command.</para>
    /// </example>
    /// <example>
    /// <code>Restart-OSService -Name haproxy -Reload -Manager Signal -PidFile /run/haproxy.pid</code>
    /// <para>Validates /etc/haproxy/haproxy.cfg and reloads a haproxy master-worker started by hand.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Restart, "OSService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OSServiceRestart))]
    public sealed class RestartOSServiceCommand : OSNodeChangeCmdletBase
    {
        /// <summary>Service, unit, pacemaker resource or container names (nova-compute, cinder-volume, haproxy...).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public string[] Name { get; set; } = new string[0];

        /// <summary>How the services run (default: detected on each node).</summary>
        [Parameter]
        public ServiceManager Manager { get => _manager.Value; set => _manager.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<ServiceManager> _manager = new Held<ServiceManager>(ServiceManager.Auto);

        /// <summary>Reload instead of restart (systemd reload; a signal for -Manager Signal). Pacemaker and containers restart.</summary>
        [Parameter]
        public SwitchParameter Reload { get; set; }

        /// <summary>The pid file of the process to signal, for -Manager Signal.</summary>
        [Parameter]
        public string? PidFile { get; set; }

        /// <summary>The signal for -Manager Signal (default USR2).</summary>
        [Parameter]
        [ValidateSet("USR2", "HUP", "USR1", "TERM")]
        public string Signal { get; set; } = "USR2";

        /// <summary>haproxy's configuration file, validated before haproxy is restarted or reloaded.</summary>
        [Parameter]
        public string HAProxyConfigPath { get; set; } = HAProxyEngine.DefaultPath;

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            var request = new RestartRequest { Services = Name, Manager = Manager, Reload = Reload, PidFile = PidFile, Signal = Signal, HAProxyConfigPath = HAProxyConfigPath };
            var nodes = RunEngine((sink, token) => RollingRestart.PlanAsync(pool, pool.Targets.Select(t => (t, request, (FilePlan?)null)), sink, token));

            // A service that is not there, or a manager that is not installed, stops everything before anything restarts.
            if (nodes.Any(n => n.Errors.Count > 0))
            {
                ReportRestartErrors(nodes);
                return;
            }

            ConfirmRestarts(nodes, n => true);
            var options = NewRestartOptions();
            var results = new System.Collections.Concurrent.ConcurrentQueue<OSServiceRestart>();
            RunEngineStreaming<OSServiceRestart>((emit, sink, token) =>
                RollingRestart.RestartAsync(pool, nodes, options, new ServiceRestarter(), r => { results.Enqueue(r); emit(r); }, sink, token));
            foreach (var r in results.Where(r => r.ErrorId != null))
            {
                WriteResultFailure(r.ErrorId!, r.ErrorKind, r.Error, r.ComputerName);
            }
        }
    }
}
