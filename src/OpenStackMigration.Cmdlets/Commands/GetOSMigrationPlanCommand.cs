using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Plans where the instances of one or more hosts should go, to empty them or to spread their load, and explains each choice.</summary>
    /// <remarks>
    /// <para>Reads the compute services, the hypervisors with their Placement capacity, the instances on the source hosts (every project, any state) and the server groups, then plans without changing anything. Each candidate destination is judged by the same pre-flight checks as Test-OSMigrationTarget (instance state, compute service up and enabled, hypervisor type and version, vCPU, RAM and disk as Placement counts them, storage, server-group policies), against capacity and group membership that already count the plan's earlier choices: a destination is never promised more than it has, and two anti-affinity members never land together.</para>
    /// <para>-Goal Drain (the default) moves every instance: largest first (RAM, then vCPU, then disk), each to the destination that passes the checks and is left least used (the higher of its RAM and vCPU percentages after the move).</para>
    /// <para>-Goal Balance moves just enough. For RAM and for vCPU, the mean is the use of the source and destination hosts together as a percentage of their capacity together: the level every host would be at if the load were spread evenly. A source is balanced when its use is at most mean x (1 + TolerancePercent/100) for both. Until it is, the planner takes the move (instance, destination) that brings the source closest to the mean (the sum, over RAM and vCPU, of the distance from the mean), among moves that pass the checks and leave the destination within the same tolerance (at most mean x (1 + TolerancePercent/100)), so every host ends inside one band around the mean. With whole instances the mean can rarely be hit exactly: -TolerancePercent 0 keeps every destination at or below the mean itself. It stops when the source is balanced or no move helps, and says so in the plan's Notes.</para>
    /// <para>Without -DestinationHost, every compute host that is up and enabled, other than the sources, is a candidate. An instance that can only move cold (SHUTOFF) is planned as a cold migration with -AllowColdMigration, and is otherwise reported with the reason.</para>
    /// <para>Writes one item per instance: placed items in the order chosen, then the unplaceable ones (Placement Unplaceable, no DestinationHost, Reason saying why and RuledOut listing every destination with its reason). Items carry InstanceId and DestinationHost, so they pipe into Move-OSInstance, which refuses unplaceable items (OSPlanItemUnplaceable) rather than letting the scheduler choose. -Summary writes the whole plan instead, with every host's RAM and vCPU use before and after.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSMigrationPlan -SourceHost compute2</code>
    /// <para>Plans how to empty compute2 onto every other enabled host.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSMigrationPlan compute2 -Goal Balance -DestinationHost compute1, compute3 -Summary | Select-Object -ExpandProperty Hosts</code>
    /// <para>Plans how to bring compute2 down to the mean use of the three hosts and shows each host's use before and after.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSMigrationPlan compute2 -Goal Balance | Where-Object CanMigrate | Move-OSInstance -Wait -ThrottleLimit 3</code>
    /// <para>Carries the balance plan out, three migrations at a time.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSMigrationPlan compute2 | Where-Object Placement -eq Unplaceable | Format-List InstanceName, Reason, RuledOut</code>
    /// <para>Shows why some instances cannot leave compute2.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSMigrationPlan")]
    [OutputType(typeof(MigrationPlanItem))]
    [OutputType(typeof(MigrationPlan))]
    public sealed class GetOSMigrationPlanCommand : OSCloudCmdletBase
    {
        private readonly List<string> _sources = new List<string>();

        /// <summary>The hosts to take instances from (compute service host names). Binds HostName from Get-OSHypervisor and Get-OSComputeService.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("HostName")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string[] SourceHost { get; set; } = Array.Empty<string>();

        /// <summary>The hosts that may receive instances; by default every compute host that is up and enabled, other than the sources.</summary>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string[]? DestinationHost { get; set; }

        /// <summary>Drain (move every instance; the default) or Balance (move just enough to bring each source down to the mean use).</summary>
        [Parameter]
        public MaintenanceGoal Goal { get => _goal.Value; set => _goal.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<MaintenanceGoal> _goal = new Held<MaintenanceGoal>(MaintenanceGoal.Drain);

        /// <summary>With -Goal Balance: how far above the mean, in percent of the mean, a source may stay (default 10: up to 1.1 x the mean).</summary>
        [Parameter]
        [ValidateRange(0.0, 1000.0)]
        public double TolerancePercent { get; set; } = 10;

        /// <summary>Plans a cold migration (the instance is stopped, moved and started) for an instance that cannot move live, such as a SHUTOFF one.</summary>
        [Parameter]
        public SwitchParameter AllowColdMigration { get; set; }

        /// <summary>How local disks would be handled by the live migrations: Auto (default), Always, Never.</summary>
        [Parameter]
        public BlockMigrationMode BlockMigration { get => _blockMigration.Value; set => _blockMigration.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<BlockMigrationMode> _blockMigration = new Held<BlockMigrationMode>(BlockMigrationMode.Auto);

        /// <summary>Writes the whole plan (items, each host's use before and after, the means, notes) instead of the items.</summary>
        [Parameter]
        public SwitchParameter Summary { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            _sources.AddRange(SourceHost.Where(h => !_sources.Contains(h, StringComparer.Ordinal)));
        }

        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            var reader = new MaintenancePlanReader(ResolveSession());
            var request = new PlanRequest
            {
                SourceHosts = _sources,
                DestinationHosts = DestinationHost,
                Goal = Goal,
                TolerancePercent = TolerancePercent,
                AllowCold = AllowColdMigration,
                BlockMigration = BlockMigration,
            };
            MigrationPlan plan;
            try
            {
                plan = RunEngine((sink, token) => reader.PlanAsync(request, sink, token));
            }
            catch (OpenStackMigrationException e)
            {
                ThrowFailure(e, string.Join(", ", _sources));
                return;
            }

            foreach (var note in plan.Notes)
            {
                WriteWarning(note);
            }

            if (Summary)
            {
                WriteObject(plan);
            }
            else
            {
                WriteObject(plan.Items, enumerateCollection: true);
            }

            base.EndProcessing();
        }
    }
}
