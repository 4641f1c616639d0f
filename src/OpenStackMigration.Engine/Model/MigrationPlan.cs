using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Model
{
    /// <summary>What a migration plan is for.</summary>
    public enum MaintenanceGoal
    {
        /// <summary>Move every instance off the source hosts (planned maintenance).</summary>
        Drain,

        /// <summary>Move just enough instances to bring each source's RAM and vCPU use down to the mean of the hosts involved.</summary>
        Balance,
    }

    /// <summary>Whether the planner found a destination for an instance.</summary>
    public enum PlanPlacement
    {
        /// <summary>A destination was chosen; the item can be piped to Move-OSInstance.</summary>
        Placed,

        /// <summary>No destination can take it; Reason says why. It stays where it is.</summary>
        Unplaceable,
    }

    /// <summary>
    /// One instance in a migration plan: where it goes and why, or why it cannot go anywhere.
    /// Carries InstanceId and DestinationHost, which Move-OSInstance binds from the pipeline.
    /// </summary>
    public sealed class MigrationPlanItem
    {
        /// <summary>The order in which the planner chose (and the drain starts) the moves, from 1.</summary>
        public int Order { get; set; }

        /// <summary>The instance's id.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The instance's name.</summary>
        public string InstanceName { get; set; } = string.Empty;

        /// <summary>The host it is on.</summary>
        public string? SourceHost { get; set; }

        /// <summary>The chosen destination; null when <see cref="Placement"/> is Unplaceable.</summary>
        public string? DestinationHost { get; set; }

        /// <summary>Placed or Unplaceable.</summary>
        public PlanPlacement Placement { get; set; }

        /// <summary>Live, or Cold when the instance cannot move live and cold migration was allowed.</summary>
        public MigrationKind Kind { get; set; }

        /// <summary>The instance's status (ACTIVE, SHUTOFF...).</summary>
        public string? InstanceStatus { get; set; }

        /// <summary>The flavor's name.</summary>
        public string? Flavor { get; set; }

        /// <summary>vCPUs the move takes on the destination.</summary>
        public int Vcpus { get; set; }

        /// <summary>RAM in MB the move takes on the destination.</summary>
        public int RamMB { get; set; }

        /// <summary>Local disk in GB the move takes on the destination.</summary>
        public long DiskGB { get; set; }

        /// <summary>Why this destination (the use it leaves behind, the others that could take it), or why no host can take it.</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>The pre-flight checks against the chosen destination, as Test-OSMigrationTarget makes them, counting the plan's earlier choices.</summary>
        public MigrationCheckReport? Checks { get; set; }

        /// <summary>Each destination that was ruled out, with the reason ("compute3: ...").</summary>
        public IReadOnlyList<string> RuledOut { get; set; } = Array.Empty<string>();

        /// <summary>Live, ColdOnly or CannotMove: how the instance can leave its host at all, whatever the destinations.</summary>
        public OpenStackMigration.Maintenance.MigratabilityClass Migratability { get; set; }

        /// <summary>Why it is ColdOnly or CannotMove (state, flavor extra specs, image properties, server group), with notes that do not change the class.</summary>
        public string MigratabilityReason { get; set; } = string.Empty;

        /// <summary>True when a destination was chosen.</summary>
        public bool CanMigrate => Placement == PlanPlacement.Placed;

        /// <inheritdoc/>
        public override string ToString() => CanMigrate ? $"{InstanceName}: {SourceHost} -> {DestinationHost} ({Kind})" : $"{InstanceName}: stays on {SourceHost} ({Reason})";
    }

    /// <summary>One host's RAM and vCPU use (Placement's figures), before and after the plan.</summary>
    public sealed class HostUsage
    {
        /// <summary>The compute host.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>Source or Destination.</summary>
        public string Role { get; set; } = string.Empty;

        /// <summary>MB of RAM allocated now.</summary>
        public long MemoryUsedMB { get; set; }

        /// <summary>MB of RAM that can be allocated ((total - reserved) x allocation ratio).</summary>
        public long MemoryCapacityMB { get; set; }

        /// <summary>vCPUs allocated now.</summary>
        public long VcpuUsed { get; set; }

        /// <summary>vCPUs that can be allocated.</summary>
        public long VcpuCapacity { get; set; }

        /// <summary>MB of RAM allocated once the plan is carried out.</summary>
        public long MemoryUsedMBAfter { get; set; }

        /// <summary>vCPUs allocated once the plan is carried out.</summary>
        public long VcpuUsedAfter { get; set; }

        /// <summary>Instances planned to leave the host.</summary>
        public int InstancesOut { get; set; }

        /// <summary>Instances planned to arrive.</summary>
        public int InstancesIn { get; set; }

        /// <summary>RAM use now, in percent of capacity.</summary>
        public double MemoryPercent => Percent(MemoryUsedMB, MemoryCapacityMB);

        /// <summary>RAM use after the plan, in percent of capacity.</summary>
        public double MemoryPercentAfter => Percent(MemoryUsedMBAfter, MemoryCapacityMB);

        /// <summary>vCPU use now, in percent of capacity.</summary>
        public double VcpuPercent => Percent(VcpuUsed, VcpuCapacity);

        /// <summary>vCPU use after the plan, in percent of capacity.</summary>
        public double VcpuPercentAfter => Percent(VcpuUsedAfter, VcpuCapacity);

        /// <inheritdoc/>
        public override string ToString() => $"{HostName}: RAM {MemoryPercent}% -> {MemoryPercentAfter}%, vCPU {VcpuPercent}% -> {VcpuPercentAfter}%";

        internal static double Percent(long used, long capacity) => capacity <= 0 ? 0 : Math.Round(100.0 * used / capacity, 3);
    }

    /// <summary>A whole plan: the moves, the instances that cannot move, and each host's use before and after.</summary>
    public sealed class MigrationPlan
    {
        /// <summary>Drain or Balance.</summary>
        public MaintenanceGoal Goal { get; set; }

        /// <summary>The hosts instances leave.</summary>
        public IReadOnlyList<string> SourceHosts { get; set; } = Array.Empty<string>();

        /// <summary>The hosts considered as destinations.</summary>
        public IReadOnlyList<string> DestinationHosts { get; set; } = Array.Empty<string>();

        /// <summary>Placed items in the order chosen, then the unplaceable ones.</summary>
        public IReadOnlyList<MigrationPlanItem> Items { get; set; } = Array.Empty<MigrationPlanItem>();

        /// <summary>Use per host before and after the plan.</summary>
        public IReadOnlyList<HostUsage> Hosts { get; set; } = Array.Empty<HostUsage>();

        /// <summary>Balance: the mean RAM use of the hosts involved, in percent (the level every host would have if the load were spread evenly).</summary>
        public double MeanMemoryPercent { get; set; }

        /// <summary>Balance: the mean vCPU use of the hosts involved, in percent.</summary>
        public double MeanVcpuPercent { get; set; }

        /// <summary>Balance: how far above the mean (in percent of the mean) a source may stay.</summary>
        public double TolerancePercent { get; set; }

        /// <summary>What the plan could not do, in words (a source still above the tolerance, no destination at all...).</summary>
        public IReadOnlyList<string> Notes { get; set; } = Array.Empty<string>();

        /// <summary>When the plan was made.</summary>
        public DateTimeOffset CreatedAt { get; set; } = DateTimeOffset.UtcNow;

        /// <summary>Items with a destination.</summary>
        public int PlacedCount => Items.Count(i => i.CanMigrate);

        /// <summary>Items without one.</summary>
        public int UnplaceableCount => Items.Count(i => !i.CanMigrate);

        /// <inheritdoc/>
        public override string ToString() => $"{Goal} {string.Join(",", SourceHosts)}: {PlacedCount} move(s), {UnplaceableCount} unplaceable";
    }
}
