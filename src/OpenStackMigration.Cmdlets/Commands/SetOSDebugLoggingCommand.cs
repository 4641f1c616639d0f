using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Orchestration;

namespace OpenStackMigration.Commands
{
    /// <summary>Turns oslo.log debug logging of nova and cinder on or off ('debug' in [DEFAULT]), safely, on many nodes.</summary>
    /// <remarks>
    /// <para>Edits the same way as Set-OSRpcTimeout: only the winning line changes (or one line is added next to the commented
    /// '#debug = false' sample), atomically, with a backup, owner, mode and symlink kept; re-running changes nothing. Services
    /// read the option at start: use -Restart, or Restart-OSService later. Get-OSDebugLogging shows what each service sees;
    /// then search the logs with Find-OSLogEntry.</para>
    /// </remarks>
    /// <example>
    /// <code>Set-OSDebugLogging -Enabled $true -Service nova -Restart</code>
    /// <para>Turns on debug logging of nova on this machine and restarts its services.</para>
    /// </example>
    /// <example>
    /// <code>Set-OSDebugLogging -Enabled $false -ComputerName c1,c2 -UserName root -KeyFilePath ~/.ssh/id_ed25519 -Confirm:$false</code>
    /// <para>Turns it off again on two nodes.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Set, "OSDebugLogging", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OSConfigChange))]
    public sealed class SetOSDebugLoggingCommand : OSNodeChangeCmdletBase
    {
        /// <summary>$true to log at DEBUG level, $false for the default (INFO).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public bool Enabled { get; set; }

        /// <summary>nova, cinder or both (default).</summary>
        [Parameter]
        [ValidateSet("nova", "cinder")]
        public string[] Service { get; set; } = { "nova", "cinder" };

        /// <summary>The file to edit (default /etc/nova/nova.conf or /etc/cinder/cinder.conf). Only with a single -Service.</summary>
        [Parameter]
        public string? Path { get; set; }

        /// <summary>The files the service reads, in order, instead of those learnt from its process.</summary>
        [Parameter]
        public string[]? ConfigFile { get; set; }

        /// <summary>Restart the project's services on each node whose file changed.</summary>
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
                var edit = new OsloEdit(OsloServices.Debug, Enabled ? "true" : "false");
                plans.AddRange(RunEngine((sink, token) => OsloConfigEngine.PlanAsync(pool, project, new[] { edit }, Path, ConfigFile, false, sink, token)));
            }

            ApplyPlans(pool, plans, Restart ? RestartRequests.ForOslo : (System.Func<FilePlan, RestartRequest?>?)null);
        }
    }
}
