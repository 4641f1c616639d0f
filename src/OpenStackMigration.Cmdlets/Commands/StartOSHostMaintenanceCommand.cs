using System;
using System.Linq;
using System.Management.Automation;
using System.Text;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>Empties a host for maintenance: disables it with a reason, moves every instance off it under a throttle, and verifies it is empty.</summary>
    /// <remarks>
    /// <para>Disables the host's nova-compute service with -Reason (so the scheduler places nothing new there), plans every move as Get-OSMigrationPlan -Goal Drain does, and live-migrates the instances to the planned hosts with at most -ThrottleLimit migrations in flight (Nova queues what goes beyond its own max_concurrent_live_migrations); a migration stays in flight until Nova's record of it is final, as the source host cleans up after the instance has moved (at most 20 s longer). Each migration is checked again with fresh Placement figures just before it starts and watched to a verified verdict, as Move-OSInstance -Wait does. A SHUTOFF instance is cold-migrated (and confirmed) only with -AllowColdMigration. Progress shows how many instances have moved, are in flight, failed, or have no destination.</para>
    /// <para>An instance that cannot move (no destination, a refused or failed migration) is left running where it was and reported with its reason, as a warning while running and as an OSMaintenanceInstanceNotMoved error at the end. Later rounds re-plan instances that were busy or appeared meanwhile. The run ends by listing what Nova still has on the host, in any state: the host is empty only if that list is empty (otherwise an OSHostNotEmpty error).</para>
    /// <para>Every instance's record is written to a state file (JSON, written atomically after each instance settles; by default OpenStackMigration/maintenance/&lt;cloud&gt;-&lt;host&gt;.json under the user's local application data, or -StatePath). Running the same command again resumes: the file says what was started, Nova says where each instance really is (the file is never trusted over Nova), instances still busy with a migration from the interrupted run are waited for, and the rest are planned again. Ctrl+C stops starting migrations and stops waiting; migrations already started are left to Nova and picked up by the next run.</para>
    /// <para>Before anything moves, every instance is classified as Live, ColdOnly or CannotMove, with the reason: its state (SHUTOFF, SUSPENDED, SHELVED, ERROR, a task in progress), its flavor's extra specs and its image's properties (vTPM, AMD SEV, PCI passthrough, Cyborg accelerators, dedicated CPUs on clouds older than Train), and affinity groups it shares with other instances on the host (Nova's scheduler lets no member leave alone). -NonLiveMigratable says what happens to those that cannot move live. Members of one anti-affinity group are never in flight together, and each goes to a host that keeps the group's policy. -MaxFailures is a circuit breaker.</para>
    /// <para>-WhatIf prints the plan (each move with its destination and reason, each instance that cannot move and why) and changes nothing. Use -Confirm:$false in runbooks when $ConfirmPreference is Medium or lower. Stop-OSHostMaintenance re-enables the host afterwards.</para>
    /// </remarks>
    /// <example>
    /// <code>Start-OSHostMaintenance -HostName compute2 -Reason 'BIOS update, ticket 4711' -ThrottleLimit 3</code>
    /// <para>Disables compute2, moves every instance off it three at a time, and reports the host empty (or what is left and why).</para>
    /// </example>
    /// <example>
    /// <code>Start-OSHostMaintenance compute2 -Reason 'BIOS update' -WhatIf</code>
    /// <para>Prints the plan without changing anything.</para>
    /// </example>
    /// <example>
    /// <code>$r = Start-OSHostMaintenance compute2 -Reason 'disk swap' -AllowColdMigration -TimeoutSec 900 -OnTimeout Abort
    /// $r.Instances | Format-Table InstanceName, Outcome, CurrentHost, Kind, Duration, Reason</code>
    /// <para>Also cold-migrates SHUTOFF instances, aborts any live migration that runs over 15 minutes, and shows each instance's record.</para>
    /// </example>
    /// <example>
    /// <code>Start-OSHostMaintenance compute2 -Reason 'kernel update' -NonLiveMigratable Cold -MaxFailures 2 -TimeoutSec 600 -OnTimeout Abort -Confirm:$false</code>
    /// <para>A drain to leave running at night: instances that cannot move live are cold-migrated; after two failed migrations no new one starts, the running ones are aborted, compute2 stays disabled and the report says what is left and why.</para>
    /// </example>
    /// <example>
    /// <code>Start-OSHostMaintenance compute2 -Reason 'BIOS update'   # interrupted with Ctrl+C
    /// Start-OSHostMaintenance compute2 -Reason 'BIOS update'   # resumes where it stopped</code>
    /// <para>Resumes an interrupted maintenance from its state file.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Start, "OSHostMaintenance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(HostMaintenanceReport))]
    public sealed class StartOSHostMaintenanceCommand : OSCloudCmdletBase
    {
        /// <summary>The host to empty (compute service host name). Binds HostName from Get-OSHypervisor and Get-OSComputeService.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string HostName { get; set; } = string.Empty;

        /// <summary>Why the host goes into maintenance; recorded as the compute service's disabled reason.</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        [Alias("DisabledReason")]
        public string Reason { get; set; } = string.Empty;

        /// <summary>The hosts that may receive instances; by default every compute host that is up and enabled.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? DestinationHost { get; set; }

        /// <summary>At most this many migrations in flight at once (default 3).</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 3;

        /// <summary>Cold-migrates instances that cannot move live (SHUTOFF); they are confirmed when they reach VERIFY_RESIZE. The same as -NonLiveMigratable Cold.</summary>
        [Parameter]
        public SwitchParameter AllowColdMigration { get; set; }

        /// <summary>
        /// What to do with instances that cannot move live (SHUTOFF, vTPM, SEV, PCI passthrough, dedicated CPUs on a pre-Train cloud, PAUSED or SUSPENDED
        /// with such specs...): Skip leaves them running where they are and reports why (default); Cold cold-migrates those a cold migration can move;
        /// Stop shuts the running ones down on the host; Fail refuses to start the drain (nothing is changed) while any instance cannot move live.
        /// </summary>
        [Parameter]
        public NonLiveMigratablePolicy NonLiveMigratable { get => _nonLiveMigratable.Value; set => _nonLiveMigratable.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<NonLiveMigratablePolicy> _nonLiveMigratable = new Held<NonLiveMigratablePolicy>(NonLiveMigratablePolicy.Skip);

        /// <summary>The circuit breaker: after this many failed migrations, start no new one, apply -OnTimeout to those running (Leave lets them finish), leave the host disabled and report what is left and why. 0 (default) never trips.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxFailures { get; set; }

        /// <summary>How local disks are handled by the live migrations: Auto (default), Always, Never.</summary>
        [Parameter]
        public BlockMigrationMode BlockMigration { get => _blockMigration.Value; set => _blockMigration.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<BlockMigrationMode> _blockMigration = new Held<BlockMigrationMode>(BlockMigrationMode.Auto);

        /// <summary>How many seconds to watch each migration before -OnTimeout applies (0, the default, waits for ever).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        /// <summary>What to do with a migration still running after -TimeoutSec: Leave it (the next run picks it up; default), Abort it, or ForceComplete it.</summary>
        [Parameter]
        public TimeoutAction OnTimeout { get => _onTimeout.Value; set => _onTimeout.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<TimeoutAction> _onTimeout = new Held<TimeoutAction>(TimeoutAction.Leave);

        /// <summary>The state file; by default OpenStackMigration/maintenance/&lt;cloud&gt;-&lt;host&gt;.json under the user's local application data.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            var request = new HostDrainRequest
            {
                HostName = HostName,
                Reason = Reason,
                DestinationHosts = DestinationHost,
                ThrottleLimit = ThrottleLimit,
                AllowCold = AllowColdMigration,
                NonLiveMigratable = NonLiveMigratable,
                MaxFailures = MaxFailures,
                BlockMigration = BlockMigration,
                MigrationTimeout = TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : (TimeSpan?)null,
                OnTimeout = OnTimeout,
                StatePath = StatePath == null ? MaintenanceStateStore.DefaultPath(session.Name, HostName) : GetUnresolvedProviderPathFromPSPath(StatePath),
            };
            var drain = new HostDrain(session);
            try
            {
                var plan = RunEngine((sink, token) => drain.PlanAsync(request, sink, token));
                if (!ShouldProcess(Describe(request, plan), $"Disable {HostName} and move {plan.PlacedCount} instance(s) off it?", "Start-OSHostMaintenance"))
                {
                    return;
                }

                var report = RunEngine((sink, token) => drain.RunAsync(request, _ => { }, sink, token));
                if (report.BreakerTripped)
                {
                    WriteFailure(
                        new OpenStackMigrationException("OSMaintenanceCircuitBreakerTripped", FailureKind.InvalidState, report.StopReason ?? "The circuit breaker tripped.")
                        {
                            Target = HostName,
                            RecommendedAction = "See each instance's Reason and Cause in the report (Debug-OSMigration for more); fix the cause and run the same command again to resume.",
                        },
                        HostName);
                }

                foreach (var record in report.Instances.Where(r => r.Outcome == MaintenanceOutcome.Failed || r.Outcome == MaintenanceOutcome.Unplaceable || r.Outcome == MaintenanceOutcome.InFlight || r.Outcome == MaintenanceOutcome.NotStarted))
                {
                    WriteFailure(
                        new OpenStackMigrationException("OSMaintenanceInstanceNotMoved", FailureKind.InvalidState, $"{record.InstanceName} ({record.InstanceId}) was not moved off {HostName} ({record.Outcome}): {record.Reason}") { Target = record.InstanceId },
                        record.InstanceName);
                }

                if (!report.IsEmpty)
                {
                    WriteFailure(
                        new OpenStackMigrationException("OSHostNotEmpty", FailureKind.InvalidState, $"{HostName} still carries {report.RemainingInstances.Count} instance(s): {string.Join(", ", report.RemainingInstances)}.")
                        {
                            Target = HostName,
                            RecommendedAction = "See each instance's Reason in the report's Instances; fix what stops it and run the same command again.",
                        },
                        HostName);
                }

                WriteObject(report);
            }
            catch (OpenStackMigrationException e)
            {
                ThrowFailure(e, HostName);
            }
        }

        private string Describe(HostDrainRequest request, MigrationPlan plan)
        {
            var text = new StringBuilder();
            text.AppendLine($"Disable the compute service on {HostName} (reason: {Reason}) and move {plan.PlacedCount} instance(s) off it, {ThrottleLimit} at a time"
                + (MaxFailures > 0 ? $", stopping after {MaxFailures} failure(s)" : string.Empty) + $" (state file {request.StatePath}):");
            foreach (var item in plan.Items.Where(i => i.CanMigrate))
            {
                text.AppendLine($"  {item.Order,3}. {item.InstanceName} ({item.InstanceId}, {item.Flavor}) {item.Kind.ToString().ToLowerInvariant()} -> {item.DestinationHost}: {item.Reason}"
                    + (item.Migratability != MigratabilityClass.Live || item.MigratabilityReason.Length > 0 ? $" [{item.Migratability}: {item.MigratabilityReason}]" : string.Empty));
            }

            foreach (var item in plan.Items.Where(i => !i.CanMigrate))
            {
                var policy = item.Migratability == MigratabilityClass.Live ? string.Empty
                    : NonLiveMigratable == NonLiveMigratablePolicy.Stop && item.InstanceStatus == "ACTIVE" ? " -> stopped on the host (-NonLiveMigratable Stop)"
                    : " -> left running (-NonLiveMigratable " + NonLiveMigratable + ")";
                text.AppendLine($"  cannot move ({item.Migratability}){policy}: {item.InstanceName} ({item.InstanceId}, {item.InstanceStatus}): {item.Reason}");
            }

            foreach (var note in plan.Notes)
            {
                text.AppendLine("  note: " + note);
            }

            return text.ToString().TrimEnd();
        }
    }
}
