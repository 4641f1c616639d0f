using System.Management.Automation;
using OpenStackMigration.Inventory;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Ends a host maintenance: re-enables the host's compute service and sets the maintenance's state file aside.</summary>
    /// <remarks>
    /// <para>Enables the nova-compute service so the scheduler places instances on the host again, but only when it is still disabled with the reason Start-OSHostMaintenance set (read from the state file): a host that someone else disabled since, or one with no state file, stays disabled with a warning unless -Force is given (then the state file is kept too). Instances moved off it stay where they are (move them back with Get-OSMigrationPlan -Goal Balance if wanted). The state file of Start-OSHostMaintenance is renamed to ...-ended-&lt;time&gt;.json beside it, so the next maintenance of the host starts afresh and the record of this one is kept.</para>
    /// <para>Use -Confirm:$false in runbooks when $ConfirmPreference is Medium or lower.</para>
    /// </remarks>
    /// <example>
    /// <code>Stop-OSHostMaintenance -HostName compute2</code>
    /// <para>Re-enables compute2 after its maintenance.</para>
    /// </example>
    /// <example>
    /// <code>Stop-OSHostMaintenance compute2 -Failback -ThrottleLimit 2 -Confirm:$false | Format-Table InstanceName, Verdict, DestinationHost, Duration</code>
    /// <para>Re-enables compute2 and moves back the instances its maintenance moved off it, two at a time, with a verdict for each.</para>
    /// </example>
    /// <example>
    /// <code>Stop-OSHostMaintenance compute2 -Force</code>
    /// <para>Re-enables compute2 even though someone else disabled it (or its state file is gone).</para>
    /// </example>
    /// <example>
    /// <code>Stop-OSHostMaintenance compute2 -PassThru | Format-List HostName, Status, DisabledReason</code>
    /// <para>Re-enables compute2 and shows its compute service.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Stop, "OSHostMaintenance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(ComputeService))]
    [OutputType(typeof(MigrationResult))]
    public sealed class StopOSHostMaintenanceCommand : OSCloudCmdletBase
    {
        /// <summary>The host under maintenance. Binds HostName from the pipeline (Start-OSHostMaintenance's report, Get-OSComputeService).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string HostName { get; set; } = string.Empty;

        /// <summary>The state file Start-OSHostMaintenance used, when it was not the default one.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string? StatePath { get; set; }

        /// <summary>Enables the host whatever its disabled reason, even without a state file.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>After enabling the host, moves the instances the maintenance moved off it back (failback), with the same pre-flight checks, throttle and verdicts; writes one MigrationResult per instance.</summary>
        [Parameter]
        public SwitchParameter Failback { get; set; }

        /// <summary>With -Failback: at most this many migrations in flight at once (default 3).</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 3;

        /// <summary>Writes the compute service after the change.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            var inventory = new CloudInventory(session);
            try
            {
                var service = RunEngine((sink, token) => inventory.GetComputeServiceAsync(HostName, sink, token));
                var path = string.IsNullOrEmpty(StatePath) ? MaintenanceStateStore.DefaultPath(session.Name, HostName) : GetUnresolvedProviderPathFromPSPath(StatePath);
                var state = MaintenanceStateStore.Load(path);
                var enable = ReenableRule.ShouldEnable(service, state, Force, out var why);
                if (!enable && service.Status != ServiceStatus.Enabled)
                {
                    WriteWarning(why);
                    if (PassThru)
                    {
                        WriteObject(service);
                    }

                    return;
                }

                if (!ShouldProcess(HostName, "End the maintenance: " + (enable ? why : "set the state file aside")))
                {
                    return;
                }

                if (enable)
                {
                    service = RunEngine((sink, token) => inventory.SetComputeServiceStatusAsync(service, true, null, sink, token));
                }

                WriteVerbose($"The compute service on {HostName} is {service.Status}.");
                if (Failback)
                {
                    var drain = new HostDrain(session);
                    var request = new HostDrainRequest { HostName = HostName, StatePath = path, ThrottleLimit = ThrottleLimit };
                    foreach (var result in RunEngine((sink, token) => drain.FailbackAsync(request, sink, token)))
                    {
                        if (!result.IsSuccess)
                        {
                            WriteFailure(new OpenStackMigrationException("OSMigrationFailed", FailureKind.CommandFailed, $"Failback of {result.InstanceName} ({result.InstanceId}) to {HostName}: {result.Verdict}. {result.Reason}") { Target = result.InstanceId }, result.InstanceName);
                        }

                        WriteObject(result);
                    }
                }

                var archived = MaintenanceStateStore.Archive(path);
                if (archived != null)
                {
                    WriteVerbose($"The maintenance state file is kept as {archived}.");
                }

                if (PassThru)
                {
                    WriteObject(service);
                }
            }
            catch (OpenStackMigrationException e)
            {
                WriteFailure(e, HostName);
            }
            catch (System.IO.IOException e)
            {
                WriteFailure(new OpenStackMigrationException("OSMaintenanceStateUnwritable", FailureKind.Configuration, $"The state file could not be set aside: {e.Message}", e), HostName);
            }
        }
    }
}
