using System;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Names a node once per session: how the node cmdlets reach a host the cloud calls by name (address, port, user, key, roles).</summary>
    /// <remarks>
    /// <para>Every node cmdlet (Get-OSRpcTimeout, Set-OSRpcTimeout, Restart-OSService, Debug-OSMigration...) looks each -ComputerName, and each HostName piped from Get-OSComputeService or Get-OSHypervisor, up in this map first: a registered host is reached at its -Address and -Port as its -UserName with its key or credential, and results still carry the cloud's name. Parameters given to the node cmdlet itself win over the map's.</para>
    /// <para>-Role names a group (controller, compute...): the node cmdlets' -Role parameter then works on every node of that group, so a runbook names its control plane once instead of on every line.</para>
    /// <para>From the cloud: Get-OSHypervisor | Add-OSNode registers every compute host at its host_ip (HostIp binds -Address). From a file a runbook keeps: Import-Csv nodes.csv | Add-OSNode (columns HostName, Address, Port, UserName, KeyFilePath, KnownHostsPath, Role). The map lives until the PowerShell process ends; a node added again replaces the old entry. Credentials are kept in memory only and never shown.</para>
    /// </remarks>
    /// <example>
    /// <code>Add-OSNode -HostName ctl1, ctl2, ctl3 -Role controller -UserName ops -KeyFilePath ~/.ssh/ops_ed25519
    /// Set-OSRpcTimeout -Seconds 300 -Role controller -Restart -Confirm:$false</code>
    /// <para>Names the controllers once, then changes all three without repeating -ComputerName or the SSH options.</para>
    /// </example>
    /// <example>
    /// <code>Add-OSNode -HostName compute3 -Address 127.0.0.1 -Port 2203 -UserName root -KeyFilePath ./id_ed25519
    /// Get-OSComputeService -HostName compute3 | Get-OSRpcTimeout</code>
    /// <para>A compute host that SSH reaches only at another address and port, fed from the cloud's own service list.</para>
    /// </example>
    /// <example>
    /// <code>Import-Csv /etc/osm/nodes.csv | Add-OSNode</code>
    /// <para>Loads the nodes a runbook keeps in a file.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Add, "OSNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(OSNode))]
    public sealed class AddOSNodeCommand : OSCmdletBase
    {
        /// <summary>The names the cloud uses for the hosts (binds HostName from Get-OSComputeService and Get-OSHypervisor, and a Name or HostName column).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "ComputerName")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string[] HostName { get; set; } = Array.Empty<string>();

        /// <summary>The address or DNS name SSH connects to (default: the host name). Binds HostIp from Get-OSHypervisor.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("HostIp", "IPAddress")]
        public string? Address { get; set; }

        /// <summary>The SSH port (default 22).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateRange(1, 65535)]
        public int Port { get; set; }

        /// <summary>The SSH user.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? UserName { get; set; }

        /// <summary>A private key file for SSH (kept as a full path).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? KeyFilePath { get; set; }

        /// <summary>The known_hosts file to check the node's host key against.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? KnownHostsPath { get; set; }

        /// <summary>User name and password for SSH (with a key, the password is its passphrase); kept in memory only.</summary>
        [Parameter]
        [Credential]
        public PSCredential? Credential { get; set; }

        /// <summary>Run the node cmdlets' commands through sudo on these nodes.</summary>
        [Parameter]
        public SwitchParameter Sudo { get; set; }

        /// <summary>Roles (controller, compute, network...) that the node cmdlets' -Role selects these nodes by.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string[] Role { get; set; } = Array.Empty<string>();

        /// <summary>Writes the registered nodes.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            foreach (var name in HostName.Where(n => !string.IsNullOrWhiteSpace(n)).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var node = new OSNode
                {
                    HostName = name,
                    Address = string.IsNullOrEmpty(Address) ? null : Address,
                    Port = Port > 0 ? Port : (int?)null,
                    UserName = string.IsNullOrEmpty(UserName) ? Credential?.UserName : UserName,
                    KeyFilePath = string.IsNullOrEmpty(KeyFilePath) ? null : GetUnresolvedProviderPathFromPSPath(KeyFilePath),
                    KnownHostsPath = string.IsNullOrEmpty(KnownHostsPath) ? null : GetUnresolvedProviderPathFromPSPath(KnownHostsPath),
                    Sudo = Sudo,
                    Role = Role.SelectMany(r => r.Split(new[] { ',', ';', ' ' }, StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.OrdinalIgnoreCase).ToList(),
                };
                if (!ShouldProcess($"{name} (reached at {node.Address ?? name}:{node.Port ?? 22})", "Register the node for this session"))
                {
                    continue;
                }

                NodeMap.Set(node, Credential);
                WriteVerbose($"Node {node}: user {node.UserName ?? "(current user)"}, {(node.KeyFilePath != null ? "key " + node.KeyFilePath : node.HasCredential ? "password" : "no key or password yet")}{(node.Role.Count > 0 ? ", roles " + string.Join(", ", node.Role) : string.Empty)}.");
                if (PassThru)
                {
                    WriteObject(node);
                }
            }
        }
    }
}
