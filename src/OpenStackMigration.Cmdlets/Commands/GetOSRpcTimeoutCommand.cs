using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Commands
{
    /// <summary>Gets the RPC timeouts nova and cinder services really use, and which file (or environment variable) sets them.</summary>
    /// <remarks>
    /// <para>For every running nova and cinder service on each node, reads its command line and environment from /proc to learn
    /// which files it reads (--config-file, --config-dir, /etc/nova/nova.conf.d/*.conf...), then reads them as oslo.config does:
    /// the last assignment in [DEFAULT] wins, and OS_DEFAULT__RPC_RESPONSE_TIMEOUT in the process environment beats every file.
    /// When no service runs, the files oslo.config reads by default are used.</para>
    /// <para>Nova reports two options: since Rocky its live migration RPC calls time out after long_rpc_timeout (default 1800),
    /// and rpc_response_timeout is only their heartbeat. Cinder has only rpc_response_timeout. The Role property says which matters.
    /// Valid is false when the service would refuse the value (for example "120s", "60.0" or "120 # note").</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSRpcTimeout</code>
    /// <para>Shows the timeouts of the nova and cinder services of this machine.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSComputeService | Get-OSRpcTimeout -Service nova -UserName root -KeyFilePath ~/.ssh/id_ed25519 | Format-List</code>
    /// <para>Reads every compute host over SSH, in parallel, and lists the value, its source and every assignment found.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSRpcTimeout")]
    [OutputType(typeof(OSConfigSetting))]
    public sealed class GetOSRpcTimeoutCommand : OSNodeCmdletBase
    {
        /// <summary>nova, cinder or both (default).</summary>
        [Parameter]
        [ValidateSet("nova", "cinder")]
        public string[] Service { get; set; } = { "nova", "cinder" };

        /// <summary>The files the service reads, in order, instead of those learnt from its process (like its --config-file arguments).</summary>
        [Parameter]
        public string[]? ConfigFile { get; set; }

        /// <inheritdoc/>
        protected override void Run(NodePool pool) => WriteOsloSettings(pool, Service, OsloServices.RpcOptions, ConfigFile);
    }
}
