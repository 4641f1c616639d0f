using System;
using System.Collections.Generic;
using System.Linq;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using static OpenStackMigration.Maintenance.MigrationPlanner;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// The cloud as the plan leaves it so far: node capacity with the plan's earlier moves already allocated
    /// (and released from their sources), and server-group members already on their planned hosts.
    /// </summary>
    internal sealed class PlanState
    {
        private readonly List<Hypervisor> _nodes;
        private readonly Dictionary<string, string?> _memberHosts;
        private readonly Dictionary<string, (long Memory, long Vcpu)> _initialUse;

        public PlanState(PlannerInput input)
        {
            Input = input;
            _nodes = input.Hypervisors.Select(h => h.Clone()).ToList();
            _memberHosts = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var pair in input.MemberHosts)
            {
                _memberHosts[pair.Key] = pair.Value;
            }

            foreach (var instance in input.Instances)
            {
                _memberHosts[instance.Id] = instance.HostName;
            }

            var sources = new HashSet<string>(input.SourceHosts, StringComparer.Ordinal);
            Destinations = (input.DestinationHosts ?? input.ComputeServices
                    .Where(s => s.Status == ServiceStatus.Enabled && s.State == ServiceState.Up && !s.ForcedDown)
                    .Select(s => s.HostName))
                .Where(h => !sources.Contains(h))
                .Distinct(StringComparer.Ordinal)
                .OrderBy(h => h, StringComparer.Ordinal)
                .ToList();
            _initialUse = Hosts.ToDictionary(h => h, h => (Sum(h, n => n.MemoryMB), Sum(h, n => n.Vcpu)), StringComparer.Ordinal);
        }

        public PlannerInput Input { get; }

        public IReadOnlyList<string> Destinations { get; }

        private IEnumerable<string> Hosts => Input.SourceHosts.Concat(Destinations).Distinct(StringComparer.Ordinal);

        /// <summary>Use of the sources and destinations together, in percent of their capacity together.</summary>
        public double MeanPercent(Resource resource)
        {
            long used = 0, capacity = 0;
            foreach (var host in Hosts)
            {
                foreach (var figure in Figures(host, resource))
                {
                    used += figure.Used;
                    capacity += figure.Capacity;
                }
            }

            return Exact(used, capacity);
        }

        /// <summary>A host's use in percent as the plan leaves it, optionally with <paramref name="delta"/> more.</summary>
        public double HostPercent(string host, Resource resource, long delta = 0)
        {
            var figures = Figures(host, resource).ToList();
            return Exact(figures.Sum(f => f.Used) + delta, figures.Sum(f => f.Capacity));
        }

        /// <summary>Which destinations pass every check for the instance, as the plan stands now.</summary>
        public Evaluation Evaluate(Instance instance)
        {
            var evaluation = new Evaluation { Kind = MigrationKind.Live };
            var groups = Input.ServerGroups.Where(g => g.Members.Contains(instance.Id, StringComparer.OrdinalIgnoreCase)).ToList();
            IReadOnlyDictionary<string, string>? image = null;
            if (instance.ImageId != null && Input.ImageProperties.TryGetValue(instance.ImageId, out var properties))
            {
                image = properties;
            }

            var assessment = MigratabilityRules.Classify(instance, image, Input.ComputeMaxMicroversion ?? MigratabilityRules.NumaAwareLiveMigration, groups, _memberHosts, Input.BlockMigration);
            evaluation.Assessment = assessment;
            if (assessment.Class == MigratabilityClass.ColdOnly && Input.AllowCold)
            {
                evaluation.Kind = MigrationKind.Cold;
            }
            else if (assessment.Class != MigratabilityClass.Live)
            {
                evaluation.StateProblem = assessment.Reason + (assessment.Class == MigratabilityClass.ColdOnly
                    ? " A cold migration could move it (it stops and starts the instance): allow it with -NonLiveMigratable Cold (or -AllowColdMigration)."
                    : " Neither a live nor a cold migration can move it as it is.");
                return evaluation;
            }

            foreach (var host in Destinations)
            {
                var report = MigrationPreflight.Evaluate(new PreflightInput(instance, evaluation.Kind)
                {
                    DestinationHost = host,
                    BlockMigration = Input.BlockMigration,
                    Hypervisors = _nodes,
                    ComputeServices = Input.ComputeServices,
                    ServerGroups = groups,
                    MemberHosts = _memberHosts,
                    FittingNodes = Offered(instance),
                });
                if (report.CanMigrate)
                {
                    evaluation.Candidates.Add(new Candidate(host, report, HostPercent(host, Resource.Memory, instance.Flavor.RamMB), HostPercent(host, Resource.Vcpu, instance.Flavor.Vcpus)));
                }
                else
                {
                    evaluation.RuledOut.Add($"{host}: {report.Reason}");
                }
            }

            return evaluation;
        }

        /// <summary>Records the move: the destination's node takes the allocation, the source's gives it back.</summary>
        public MigrationPlanItem Place(Instance instance, Evaluation evaluation, Candidate candidate, string reason)
        {
            var disk = ResourceNeed.Of(instance).DiskGB;
            var fitting = new PreflightInput(instance, evaluation.Kind) { FittingNodes = Offered(instance) };
            var node = _nodes.Where(n => string.Equals(n.HostName, candidate.Host, StringComparison.Ordinal))
                .FirstOrDefault(n => MigrationPreflight.Fits(fitting, n));
            if (node != null)
            {
                Adjust(node, instance.Flavor.Vcpus, instance.Flavor.RamMB, disk);
            }

            var source = _nodes.FirstOrDefault(n => string.Equals(n.Name, instance.HypervisorHostname, StringComparison.Ordinal))
                ?? _nodes.FirstOrDefault(n => string.Equals(n.HostName, instance.HostName, StringComparison.Ordinal));
            if (source != null)
            {
                Adjust(source, -instance.Flavor.Vcpus, -instance.Flavor.RamMB, -disk);
            }

            _memberHosts[instance.Id] = candidate.Host;
            var item = NewItem(instance, evaluation);
            item.Placement = PlanPlacement.Placed;
            item.DestinationHost = candidate.Host;
            item.Checks = candidate.Report;
            item.Reason = reason;
            return item;
        }

        public MigrationPlanItem Unplaceable(Instance instance, Evaluation evaluation)
        {
            var item = NewItem(instance, evaluation);
            item.Placement = PlanPlacement.Unplaceable;
            item.Reason = evaluation.StateProblem
                ?? (Destinations.Count == 0
                    ? "No destination host to consider."
                    : $"No destination can take it, counting the moves planned before it. {string.Join(" | ", evaluation.RuledOut)}");
            return item;
        }

        /// <summary>Use per host before and after the plan.</summary>
        public IReadOnlyList<HostUsage> Usage(IReadOnlyList<MigrationPlanItem> items)
        {
            var sources = new HashSet<string>(Input.SourceHosts, StringComparer.Ordinal);
            return Hosts.Select(h => new HostUsage
            {
                HostName = h,
                Role = sources.Contains(h) ? "Source" : "Destination",
                MemoryUsedMB = _initialUse[h].Memory,
                VcpuUsed = _initialUse[h].Vcpu,
                MemoryCapacityMB = Figures(h, Resource.Memory).Sum(f => f.Capacity),
                VcpuCapacity = Figures(h, Resource.Vcpu).Sum(f => f.Capacity),
                MemoryUsedMBAfter = Figures(h, Resource.Memory).Sum(f => f.Used),
                VcpuUsedAfter = Figures(h, Resource.Vcpu).Sum(f => f.Used),
                InstancesOut = items.Count(i => i.CanMigrate && i.SourceHost == h),
                InstancesIn = items.Count(i => i.CanMigrate && i.DestinationHost == h),
            }).ToList();
        }

        // Unrounded: on big hosts one small instance is a few thousandths of a percent.
        private static double Exact(long used, long capacity) => capacity <= 0 ? 0 : 100.0 * used / capacity;

        private static MigrationPlanItem NewItem(Instance instance, Evaluation evaluation) => new MigrationPlanItem
        {
            InstanceId = instance.Id,
            InstanceName = instance.Name,
            SourceHost = instance.HostName,
            Kind = evaluation.Kind,
            InstanceStatus = instance.StatusText,
            Flavor = instance.Flavor.Name,
            Vcpus = instance.Flavor.Vcpus,
            RamMB = instance.Flavor.RamMB,
            DiskGB = ResourceNeed.Of(instance).DiskGB,
            RuledOut = evaluation.RuledOut.ToList(),
            Migratability = evaluation.Assessment?.Class ?? MigratabilityClass.Live,
            MigratabilityReason = evaluation.Assessment?.Reason ?? string.Empty,
        };

        private IEnumerable<ResourceCapacity> Figures(string host, Resource resource) =>
            _nodes.Where(n => string.Equals(n.HostName, host, StringComparison.Ordinal))
                .Select(n => resource == Resource.Memory ? n.MemoryMB : n.Vcpu)
                .Where(f => f != null)
                .Select(f => f!);

        private long Sum(string host, Func<Hypervisor, ResourceCapacity?> pick) =>
            _nodes.Where(n => string.Equals(n.HostName, host, StringComparison.Ordinal)).Sum(n => pick(n)?.Used ?? 0);

        private IReadOnlyCollection<string>? Offered(Instance instance) =>
            Input.OfferedByNeed.TryGetValue(ResourceNeed.Of(instance).Key, out var offered) ? offered : null;

        private static void Adjust(Hypervisor node, long vcpu, long memory, long disk)
        {
            node.Vcpu = Add(node.Vcpu, vcpu);
            node.MemoryMB = Add(node.MemoryMB, memory);
            node.DiskGB = Add(node.DiskGB, disk);
        }

        private static ResourceCapacity? Add(ResourceCapacity? c, long amount) => c?.WithUsed(Math.Max(0, c.Used + amount));
    }
}
