using System.Collections.Generic;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Orchestration;

namespace OpenStackMigration.Commands
{
    /// <summary>Sets haproxy's 'timeout server' (default 60s) in every defaults section and overriding proxy, or in one proxy, and reloads haproxy safely.</summary>
    /// <remarks>
    /// <para>Without -Proxy, every defaults section and every listen/backend that sets its own value (or has no defaults section)
    /// gets the new value, so every proxy ends up with it. With -Proxy, only that section (a frontend is refused: haproxy ignores
    /// 'timeout server' there). The value is always written with a unit (300s).</para>
    /// <para>The edited file is checked with 'haproxy -c -f' on the node before it replaces the original; a file that fails is
    /// never written, and haproxy is never reloaded on it. The write is atomic, keeps owner, mode, symlink and every other line,
    /// and makes a backup. With -Reload, the whole file is validated again and haproxy reloaded: systemd, pacemaker and
    /// containers are detected; for a bare 'haproxy -W' use -Manager Signal -PidFile (SIGUSR2 to the master).</para>
    /// </remarks>
    /// <example>
    /// <code>Set-OSHAProxyTimeout -Seconds 300 -Reload -WhatIf</code>
    /// <para>Shows the lines that would change in /etc/haproxy/haproxy.cfg.</para>
    /// </example>
    /// <example>
    /// <code>Set-OSHAProxyTimeout -Seconds 300 -Proxy nova_api -Reload -ComputerName lb1,lb2 -UserName root -KeyFilePath ~/.ssh/id_ed25519 -Confirm:$false</code>
    /// <para>Raises the nova_api backend's timeout on both load balancers and reloads haproxy there.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Set, "OSHAProxyTimeout", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OSConfigChange))]
    public sealed class SetOSHAProxyTimeoutCommand : OSNodeChangeCmdletBase
    {
        /// <summary>The timeout in seconds (1 to 2147483).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateRange(1, 2147483)]
        public int Seconds { get; set; }

        /// <summary>Only this listen, backend or defaults section.</summary>
        [Parameter]
        public string? Proxy { get; set; }

        /// <summary>The haproxy configuration file (default /etc/haproxy/haproxy.cfg).</summary>
        [Parameter]
        public string Path { get; set; } = HAProxyEngine.DefaultPath;

        /// <summary>Reload haproxy on each node whose file changed, after validating the whole file.</summary>
        [Parameter]
        public SwitchParameter Reload { get; set; }

        /// <summary>How haproxy runs (default: detected).</summary>
        [Parameter]
        public ServiceManager Manager { get => _manager.Value; set => _manager.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<ServiceManager> _manager = new Held<ServiceManager>(ServiceManager.Auto);

        /// <summary>The haproxy master's pid file, for -Manager Signal.</summary>
        [Parameter]
        public string? PidFile { get; set; }

        /// <summary>The service, pacemaker resource or container name (default haproxy; p_haproxy, haproxy-bundle and haproxy-clone are found too).</summary>
        [Parameter]
        public string ServiceName { get; set; } = "haproxy";

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            var plans = RunEngine((sink, token) => HAProxyEngine.PlanAsync(pool, Path, Seconds, Proxy, false, sink, token));
            ApplyPlans(pool, plans, Reload ? RestartRequests.ForHAProxy(ServiceName, Manager, PidFile, Path) : null);
        }
    }
}
