using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Orchestration;

namespace OpenStackMigration.Commands
{
    /// <summary>Sets rpc_response_timeout (or Nova's long_rpc_timeout) in nova.conf and cinder.conf, safely, on many nodes.</summary>
    /// <remarks>
    /// <para>Edits only the line that wins (the last assignment in the last [DEFAULT] section), or adds one next to the commented
    /// sample line; comments, order, spacing and line endings stay as they were, and a re-run changes nothing. The file is
    /// written atomically (a temporary file in the same folder, flushed, renamed) with its owner, mode and symlink kept, after
    /// a complete backup (FILE.osm-TIMESTAMP.bak), under a lock that serialises concurrent runs on the node; if another run or
    /// a person changed it since it was read, nothing is written (OSConfigChangedConcurrently). A file that oslo.config
    /// cannot read (byte order mark, parse error) is refused and left untouched.</para>
    /// <para>Warns when the edited file is not the one that wins (a nova.conf.d file, an extra --config-file such as
    /// nova-compute.conf, or OS_DEFAULT__RPC_RESPONSE_TIMEOUT in the service's environment). Since Rocky, Nova's live
    /// migration calls use long_rpc_timeout: use -Setting long_rpc_timeout, or Set-OSMigrationTimeout, for them.</para>
    /// <para>-WhatIf prints every node, file and line old -> new. Use -Confirm:$false in runbooks.</para>
    /// </remarks>
    /// <example>
    /// <code>Set-OSRpcTimeout -Seconds 300 -WhatIf</code>
    /// <para>Shows the lines of /etc/nova/nova.conf and /etc/cinder/cinder.conf that would change on this machine.</para>
    /// </example>
    /// <example>
    /// <code>Set-OSRpcTimeout -Seconds 300 -Service nova -Setting long_rpc_timeout -ComputerName c1,c2,c3 -UserName root -KeyFilePath ~/.ssh/id_ed25519 -Restart</code>
    /// <para>Sets long_rpc_timeout on three compute nodes in parallel and restarts their nova services.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Set, "OSRpcTimeout", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OSConfigChange))]
    public sealed class SetOSRpcTimeoutCommand : OSNodeChangeCmdletBase
    {
        /// <summary>The timeout in seconds.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateRange(1, int.MaxValue)]
        public int Seconds { get; set; }

        /// <summary>nova, cinder or both (default).</summary>
        [Parameter]
        [ValidateSet("nova", "cinder")]
        public string[] Service { get; set; } = { "nova", "cinder" };

        /// <summary>rpc_response_timeout (default) or long_rpc_timeout (Nova only; the one its live migration calls use).</summary>
        [Parameter]
        [ValidateSet("rpc_response_timeout", "long_rpc_timeout")]
        public string Setting { get; set; } = "rpc_response_timeout";

        /// <summary>The file to edit (default /etc/nova/nova.conf or /etc/cinder/cinder.conf). Only with a single -Service.</summary>
        [Parameter]
        public string? Path { get; set; }

        /// <summary>The files the service reads, in order, instead of those learnt from its process.</summary>
        [Parameter]
        public string[]? ConfigFile { get; set; }

        /// <summary>Restart the project's services on each node whose file changed (systemd, pacemaker or containers, detected).</summary>
        [Parameter]
        public SwitchParameter Restart { get; set; }

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            if (Path != null && Service.Distinct().Count() > 1)
            {
                ThrowFailure(new OpenStackMigrationException("OSPathNeedsOneService", FailureKind.InvalidArgument, "-Path names one file: give a single -Service with it."));
            }

            var plans = new List<FilePlan>();
            foreach (var project in Service.Distinct())
            {
                if (Setting == "long_rpc_timeout" && project == "cinder")
                {
                    WriteWarning("Cinder has no long_rpc_timeout; cinder is skipped. Its live migration calls use rpc_response_timeout.");
                    continue;
                }

                var edit = new OsloEdit(OsloServices.Option(project, Setting), Seconds.ToString(CultureInfo.InvariantCulture));
                plans.AddRange(RunEngine((sink, token) => OsloConfigEngine.PlanAsync(pool, project, new[] { edit }, Path, ConfigFile, false, sink, token)));
            }

            ApplyPlans(pool, plans, Restart ? RestartRequests.ForOslo : (System.Func<FilePlan, RestartRequest?>?)null);
        }
    }
}
