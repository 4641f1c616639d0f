using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Maintenance
{
    /// <summary>Everything the planner looks at, read beforehand; planning makes no request.</summary>
    public sealed class PlannerInput
    {
        /// <summary>Drain or Balance.</summary>
        public MaintenanceGoal Goal { get; set; }

        /// <summary>The hosts to take instances from.</summary>
        public IReadOnlyList<string> SourceHosts { get; set; } = Array.Empty<string>();

        /// <summary>The hosts that may receive them; null means every compute host that is up and enabled, other than the sources.</summary>
        public IReadOnlyList<string>? DestinationHosts { get; set; }

        /// <summary>The instances on the source hosts, in any state.</summary>
        public IReadOnlyList<Instance> Instances { get; set; } = Array.Empty<Instance>();

        /// <summary>Every hypervisor (node), with Placement capacity.</summary>
        public IReadOnlyList<Hypervisor> Hypervisors { get; set; } = Array.Empty<Hypervisor>();

        /// <summary>Every nova-compute service.</summary>
        public IReadOnlyList<ComputeService> ComputeServices { get; set; } = Array.Empty<ComputeService>();

        /// <summary>Every server group.</summary>
        public IReadOnlyList<ServerGroupInfo> ServerGroups { get; set; } = Array.Empty<ServerGroupInfo>();

        /// <summary>The host of each member of those groups (by instance id), the source instances included.</summary>
        public IReadOnlyDictionary<string, string?> MemberHosts { get; set; } = new Dictionary<string, string?>();

        /// <summary>How local disks are treated by live migrations.</summary>
        public BlockMigrationMode BlockMigration { get; set; }

        /// <summary>Plan a cold migration for an instance that cannot move live (SHUTOFF).</summary>
        public bool AllowCold { get; set; }

        /// <summary>The properties (hw_*, ...) of the source instances' images, by image id; an image missing here is judged by its flavor alone.</summary>
        public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ImageProperties { get; set; } = new Dictionary<string, IReadOnlyDictionary<string, string>>();

        /// <summary>The cloud's newest compute microversion (null: assume a current cloud).</summary>
        public Microversion? ComputeMaxMicroversion { get; set; }

        /// <summary>
        /// The nodes Placement offers for each need of the instances (<see cref="ResourceNeed.Key"/>): an
        /// offered node is within its inventories' max_unit for that need, so its inventory figures need not be read.
        /// </summary>
        public IReadOnlyDictionary<string, IReadOnlyCollection<string>> OfferedByNeed { get; set; } = new Dictionary<string, IReadOnlyCollection<string>>();

        /// <summary>Balance: how far above the mean, in percent of the mean, a source may stay (10 = up to 1.1 x the mean).</summary>
        public double TolerancePercent { get; set; } = 10;
    }

    /// <summary>
    /// Decides where each instance goes. Every candidate destination is judged by the pre-flight checks of
    /// Test-OSMigrationTarget, against capacity and server-group membership that already count the plan's earlier
    /// choices, so a destination is never promised more than Placement says it has.
    /// </summary>
    /// <remarks>
    /// Drain: instances are placed largest first (RAM, then vCPU, then disk), each on the destination that passes
    /// the checks and is left least used (the higher of its RAM and vCPU percentages after the move).
    /// Balance: for RAM and vCPU, the mean is the use of the source and destination hosts together, as a percentage
    /// of their capacity together (what each host would carry if the load were spread evenly). A source is balanced
    /// when its use is at most mean x (1 + tolerance/100) for both. Until it is, the planner takes the move (instance,
    /// destination) that brings the source closest to the mean (the sum over RAM and vCPU of the distance to the mean),
    /// among moves that pass the checks and leave the destination within the same tolerance of the mean; it stops when no move helps.
    /// </remarks>
    public static class MigrationPlanner
    {
        private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

        /// <summary>Makes the plan.</summary>
        public static MigrationPlan Plan(PlannerInput input)
        {
            var state = new PlanState(input);
            var notes = new List<string>();
            var destinations = state.Destinations;
            if (destinations.Count == 0)
            {
                notes.Add("No destination host: " + (input.DestinationHosts == null ? "no other compute host is up and enabled." : "none was given."));
            }

            var items = input.Goal == MaintenanceGoal.Drain ? PlanDrain(state) : PlanBalance(state, notes);
            var order = 0;
            foreach (var item in items.Where(i => i.CanMigrate))
            {
                item.Order = ++order;
            }

            return new MigrationPlan
            {
                Goal = input.Goal,
                SourceHosts = input.SourceHosts.ToList(),
                DestinationHosts = destinations,
                Items = items.Where(i => i.CanMigrate).Concat(items.Where(i => !i.CanMigrate)).ToList(),
                Hosts = state.Usage(items),
                MeanMemoryPercent = Math.Round(state.MeanPercent(Resource.Memory), 4),
                MeanVcpuPercent = Math.Round(state.MeanPercent(Resource.Vcpu), 4),
                TolerancePercent = input.TolerancePercent,
                Notes = notes,
            };
        }

        private static List<MigrationPlanItem> PlanDrain(PlanState state)
        {
            var items = new List<MigrationPlanItem>();
            var ordered = state.Input.Instances
                .OrderByDescending(i => i.Flavor.RamMB).ThenByDescending(i => i.Flavor.Vcpus).ThenByDescending(i => ResourceNeed.Of(i).DiskGB)
                .ThenBy(i => i.Name, StringComparer.Ordinal).ThenBy(i => i.Id, StringComparer.Ordinal);
            foreach (var instance in ordered)
            {
                var options = state.Evaluate(instance);
                var best = options.Candidates.OrderBy(c => c.LoadAfter).ThenBy(c => c.Host, StringComparer.Ordinal).FirstOrDefault();
                if (best == null)
                {
                    items.Add(state.Unplaceable(instance, options));
                    continue;
                }

                var others = options.Candidates.Where(c => c != best).OrderBy(c => c.LoadAfter).Take(3).Select(c => $"{c.Host} {Pct(c.LoadAfter)}").ToList();
                var why = $"Drain: {best.Host} passes the checks and is left least used after the move (RAM {Pct(best.MemoryAfter)}, vCPU {Pct(best.VcpuAfter)})"
                    + (others.Count > 0 ? $"; next: {string.Join(", ", others)}." : "; it is the only host that can take it.");
                items.Add(state.Place(instance, options, best, why));
            }

            return items;
        }

        private static List<MigrationPlanItem> PlanBalance(PlanState state, List<string> notes)
        {
            var items = new List<MigrationPlanItem>();
            var meanMemory = state.MeanPercent(Resource.Memory);
            var meanVcpu = state.MeanPercent(Resource.Vcpu);
            var factor = 1 + (state.Input.TolerancePercent / 100.0);
            foreach (var source in state.Input.SourceHosts)
            {
                var remaining = state.Input.Instances.Where(i => string.Equals(i.HostName, source, StringComparison.Ordinal)).ToList();
                while (true)
                {
                    var memory = state.HostPercent(source, Resource.Memory);
                    var vcpu = state.HostPercent(source, Resource.Vcpu);
                    if (memory <= meanMemory * factor && vcpu <= meanVcpu * factor)
                    {
                        if (!items.Any(i => i.SourceHost == source))
                        {
                            notes.Add($"{source} is already within {state.Input.TolerancePercent}% of the mean (RAM {Pct(memory)} vs {Pct(meanMemory)}, vCPU {Pct(vcpu)} vs {Pct(meanVcpu)}): nothing to move.");
                        }

                        break;
                    }

                    var distance = Distance(memory, vcpu, meanMemory, meanVcpu);
                    (Instance Instance, Evaluation Options, Candidate Candidate, double Distance)? best = null;
                    foreach (var instance in remaining)
                    {
                        var options = state.Evaluate(instance);
                        foreach (var candidate in options.Candidates.Where(c => c.MemoryAfter <= (meanMemory * factor) + 1e-9 && c.VcpuAfter <= (meanVcpu * factor) + 1e-9))
                        {
                            var after = Distance(
                                state.HostPercent(source, Resource.Memory, -instance.Flavor.RamMB),
                                state.HostPercent(source, Resource.Vcpu, -instance.Flavor.Vcpus),
                                meanMemory,
                                meanVcpu);
                            if (after < distance - 1e-12 && (best == null || after < best.Value.Distance - 1e-12
                                || (Math.Abs(after - best.Value.Distance) <= 1e-12 && candidate.LoadAfter < best.Value.Candidate.LoadAfter)))
                            {
                                best = (instance, options, candidate, after);
                            }
                        }
                    }

                    if (best == null)
                    {
                        notes.Add($"{source} stays above the mean (RAM {Pct(memory)} vs {Pct(meanMemory)}, vCPU {Pct(vcpu)} vs {Pct(meanVcpu)}, tolerance {state.Input.TolerancePercent}%): no further move passes the checks without pushing a destination above the mean's tolerance or bringing {source} further from it.");
                        break;
                    }

                    var (chosen, evaluation, target, _) = best.Value;
                    var why = $"Balance: {source} uses RAM {Pct(memory)} and vCPU {Pct(vcpu)} against a mean of {Pct(meanMemory)} and {Pct(meanVcpu)} (tolerance {state.Input.TolerancePercent}%); "
                        + $"moving {chosen.Name} ({chosen.Flavor.RamMB} MB, {chosen.Flavor.Vcpus} vCPU) to {target.Host} brings {source} to RAM {Pct(state.HostPercent(source, Resource.Memory, -chosen.Flavor.RamMB))}, vCPU {Pct(state.HostPercent(source, Resource.Vcpu, -chosen.Flavor.Vcpus))}, "
                        + $"and leaves {target.Host} at RAM {Pct(target.MemoryAfter)}, vCPU {Pct(target.VcpuAfter)}, within the tolerance of the mean.";
                    items.Add(state.Place(chosen, evaluation, target, why));
                    remaining.Remove(chosen);
                }
            }

            return items;
        }

        private static double Distance(double memory, double vcpu, double meanMemory, double meanVcpu) => Math.Abs(memory - meanMemory) + Math.Abs(vcpu - meanVcpu);

        internal static string Pct(double value) => value.ToString(value != 0 && Math.Abs(value) < 1 ? "0.####" : "0.##", Invariant) + "%";

        internal enum Resource
        {
            Memory,
            Vcpu,
        }

        internal sealed class Candidate
        {
            public Candidate(string host, MigrationCheckReport report, double memoryAfter, double vcpuAfter)
            {
                Host = host;
                Report = report;
                MemoryAfter = memoryAfter;
                VcpuAfter = vcpuAfter;
            }

            public string Host { get; }

            public MigrationCheckReport Report { get; }

            public double MemoryAfter { get; }

            public double VcpuAfter { get; }

            public double LoadAfter => Math.Max(MemoryAfter, VcpuAfter);
        }

        internal sealed class Evaluation
        {
            public MigrationKind Kind { get; set; }

            public List<Candidate> Candidates { get; } = new List<Candidate>();

            public List<string> RuledOut { get; } = new List<string>();

            public string? StateProblem { get; set; }

            public MigratabilityAssessment? Assessment { get; set; }
        }
    }
}
