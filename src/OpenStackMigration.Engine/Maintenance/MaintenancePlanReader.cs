using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Maintenance
{
    /// <summary>What a plan is asked for.</summary>
    public sealed class PlanRequest
    {
        /// <summary>The hosts to take instances from.</summary>
        public IReadOnlyList<string> SourceHosts { get; set; } = Array.Empty<string>();

        /// <summary>The hosts that may receive them; null for every compute host that is up and enabled.</summary>
        public IReadOnlyList<string>? DestinationHosts { get; set; }

        /// <summary>Drain or Balance.</summary>
        public MaintenanceGoal Goal { get; set; }

        /// <summary>How local disks are treated by live migrations.</summary>
        public BlockMigrationMode BlockMigration { get; set; }

        /// <summary>Plan cold migrations for instances that cannot move live.</summary>
        public bool AllowCold { get; set; }

        /// <summary>Balance: how far above the mean, in percent of the mean, a source may stay.</summary>
        public double TolerancePercent { get; set; } = 10;
    }

    /// <summary>Reads from Nova and Placement what the planner needs, then plans.</summary>
    public sealed class MaintenancePlanReader
    {
        private readonly NovaClient _nova;
        private readonly PlacementClient _placement;
        private readonly GlanceClient _glance;
        private readonly CloudSession _session;
        private readonly string? _nodeMapFolder;

        /// <summary>Creates a reader over a session; the node map is kept in <paramref name="nodeMapFolder"/> (default <see cref="Inventory.NodeDirectory.Folder"/>).</summary>
        public MaintenancePlanReader(CloudSession session, string? nodeMapFolder = null)
        {
            _nova = new NovaClient(session);
            _placement = new PlacementClient(session);
            _glance = new GlanceClient(session);
            _session = session;
            _nodeMapFolder = nodeMapFolder;
        }

        /// <summary>Reads the cloud as it is now and makes the plan.</summary>
        public async Task<MigrationPlan> PlanAsync(PlanRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var input = await ReadAsync(request, sink, cancellationToken).ConfigureAwait(false);
            return Plan(input, sink);
        }

        /// <summary>Plans over input already read, and says on Verbose what the plan is and why.</summary>
        internal static MigrationPlan Plan(PlannerInput input, IEngineSink sink)
        {
            var plan = MigrationPlanner.Plan(input);
            sink.Verbose($"{plan.Goal} plan for {string.Join(", ", plan.SourceHosts)}: {plan.PlacedCount} move(s), {plan.UnplaceableCount} instance(s) without a destination, destinations considered: {string.Join(", ", plan.DestinationHosts)}.");
            foreach (var host in plan.Hosts)
            {
                sink.Verbose($"  {host.Role} {host}");
            }

            foreach (var note in plan.Notes)
            {
                sink.Verbose("  " + note);
            }

            return plan;
        }

        /// <summary>Reads the planner's input: services, hypervisors with capacity, the sources' instances, server groups.</summary>
        public async Task<PlannerInput> ReadAsync(PlanRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var reads = new ReadsInFlight();
            try
            {
                return await ReadAsync(request, reads, sink, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // A failed read (an unknown host, a server list Nova refused) does not leave the others running.
                await reads.SettledAsync().ConfigureAwait(false);
            }
        }

        private async Task<PlannerInput> ReadAsync(PlanRequest request, ReadsInFlight reads, IEngineSink sink, CancellationToken cancellationToken)
        {
            var servicesTask = reads.Start(_nova.ListServicesAsync("nova-compute", null, sink, cancellationToken));

            // The nodes from the services, Placement and the kept node map (compute 2.53+), not Nova's hypervisor list,
            // its slowest read at scale (seconds at hundreds of nodes, and a rolling maintenance plans once per host).
            // The planner judges hypervisor types and versions as Nova listed them when the map was made (read again
            // when a service or provider changes, or after an hour) and says so; each move of the plan checks its two
            // hosts' nodes as Nova has them then (MigrationTargetReader), so a rolling upgrade is never judged stale.
            var hypervisorsTask = reads.Start(new Inventory.NodeDirectory(_session, _nodeMapFolder).ReadNodesForChecksAsync(servicesTask, _placement, sink, cancellationToken));
            var groupsTask = reads.Start(_nova.ListServerGroupsAsync(sink, cancellationToken));
            var services = await servicesTask.ConfigureAwait(false);
            var known = new HashSet<string>(services.Select(s => s.HostName), StringComparer.Ordinal);
            foreach (var host in request.SourceHosts.Concat(request.DestinationHosts ?? Array.Empty<string>()).Where(h => !known.Contains(h)))
            {
                throw new OpenStackMigrationException(
                    "OSComputeHostNotFound",
                    FailureKind.NotFound,
                    $"There is no compute host '{host}'. Compute hosts: {string.Join(", ", known.OrderBy(h => h, StringComparer.Ordinal))}.")
                { Target = host };
            }

            var involved = new HashSet<string>(request.SourceHosts.Concat(request.DestinationHosts ?? (IEnumerable<string>)known), StringComparer.Ordinal);
            var hypervisors = (await hypervisorsTask.ConfigureAwait(false)).Where(h => involved.Contains(h.HostName)).ToList();
            // Capacity and use from one bulk read; max_unit is answered by Placement's offer for each need (below),
            // so no provider's inventory is read unless a check cannot do without it.
            var capacity = reads.Start(_placement.FillCapacityAsync(hypervisors, PlacementClient.DefaultParallelism, sink, cancellationToken));

            var instances = new List<Instance>();
            foreach (var host in request.SourceHosts)
            {
                await _nova.ListServersAsync(new ServerQuery { AllProjects = true, Host = host }, page => instances.AddRange(page), sink, cancellationToken).ConfigureAwait(false);
            }

            var groups = await groupsTask.ConfigureAwait(false);
            var ids = new HashSet<string>(instances.Select(i => i.Id), StringComparer.OrdinalIgnoreCase);
            var memberHosts = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var member in groups.Where(g => g.Members.Any(ids.Contains)).SelectMany(g => g.Members).Where(m => !ids.Contains(m)).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                try
                {
                    memberHosts[member] = (await _nova.GetServerAsync(member, sink, cancellationToken).ConfigureAwait(false)).HostName;
                }
                catch (OpenStackMigrationException e) when (e.Kind == FailureKind.NotFound)
                {
                    // A deleted member no longer constrains anything.
                }
            }

            var needs = instances.Select(ResourceNeed.Of).GroupBy(n => n.Key, StringComparer.Ordinal).Select(g => g.First()).ToList();
            // One question to Placement per distinct need, a few at a time (each is a cloud-wide query).
            var offers = reads.Start(Throttled.SelectAsync(
                needs,
                PlacementClient.DefaultParallelism,
                async need => (Need: need.Key, Nodes: await _placement.ReadOfferedAsync(need, sink, cancellationToken).ConfigureAwait(false)),
                cancellationToken));
            var images = await ReadImagesAsync(instances, sink, cancellationToken).ConfigureAwait(false);
            await capacity.ConfigureAwait(false);
            var offered = (await offers.ConfigureAwait(false)).Where(o => o.Nodes != null).ToDictionary(o => o.Need, o => o.Nodes!, StringComparer.Ordinal);
            // The inventory limits the planner may look at: for each need, the nodes Placement did not offer that have
            // room now (moves only take room from destinations). Read here, where the read reports and can be cancelled.
            var figures = instances.GroupBy(i => ResourceNeed.Of(i).Key, StringComparer.Ordinal)
                .SelectMany(g => MigrationPreflight.FiguresToRead(g.First(), offered.TryGetValue(g.Key, out var nodes) ? nodes : null, hypervisors));
            await PlacementClient.ReadInventoriesAsync(figures, sink, cancellationToken).ConfigureAwait(false);

            sink.Verbose($"Planning over {instances.Count} instance(s) on {string.Join(", ", request.SourceHosts)} and {hypervisors.Count} node(s).");
            return new PlannerInput
            {
                Goal = request.Goal,
                SourceHosts = request.SourceHosts,
                DestinationHosts = request.DestinationHosts,
                Instances = instances,
                Hypervisors = hypervisors,
                ComputeServices = services,
                ServerGroups = groups,
                MemberHosts = memberHosts,
                BlockMigration = request.BlockMigration,
                AllowCold = request.AllowCold,
                TolerancePercent = request.TolerancePercent,
                ImageProperties = images,
                ComputeMaxMicroversion = _session.ComputeMaxMicroversion,
                OfferedByNeed = offered,
            };
        }

        /// <summary>The properties of every image the instances booted from (vTPM, SEV... can be asked for by the image alone).</summary>
        private async Task<Dictionary<string, IReadOnlyDictionary<string, string>>> ReadImagesAsync(IReadOnlyList<Instance> instances, IEngineSink sink, CancellationToken cancellationToken)
        {
            var images = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
            if (!_glance.IsAvailable)
            {
                sink.Verbose("The catalog has no image service: instances are classified by their flavors and states alone.");
                return images;
            }

            foreach (var id in instances.Select(i => i.ImageId).Where(i => !string.IsNullOrEmpty(i)).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var properties = await _glance.GetImagePropertiesAsync(id!, sink, cancellationToken).ConfigureAwait(false);
                if (properties != null)
                {
                    images[id!] = properties;
                }
            }

            return images;
        }
    }
}
