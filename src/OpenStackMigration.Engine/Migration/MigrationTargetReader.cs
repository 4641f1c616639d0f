using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Migration
{
    /// <summary>
    /// Reads what the pre-flight checks need (hypervisors, compute services, server groups, Placement
    /// capacity) once per command, and runs the checks. Safe to use from several tasks at once.
    /// </summary>
    public sealed class MigrationTargetReader
    {
        private readonly CloudSession _session;
        private readonly NovaClient _nova;
        private readonly PlacementClient _placement;
        private readonly SemaphoreSlim _loadLock = new SemaphoreSlim(1, 1);
        private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, ResourceCapacity>> _capacity = new ConcurrentDictionary<string, IReadOnlyDictionary<string, ResourceCapacity>>(StringComparer.Ordinal);
        /// <summary>Up to this many nodes of one destination are read node by node; more in one bulk read.</summary>
        private const int PerNodeReadLimit = 4;

        private static readonly IReadOnlyDictionary<string, ResourceCapacity> NoFigures = new Dictionary<string, ResourceCapacity>();
        private IReadOnlyList<Hypervisor>? _hypervisors;
        private IReadOnlyList<ComputeService>? _services;
        private Dictionary<string, IReadOnlyList<Hypervisor>>? _nodesByHost;
        private IReadOnlyList<ServerGroupInfo>? _groups;
        private volatile bool _allCapacityRead;
        private readonly object _providersLock = new object();
        private Task? _everyNode;
        private readonly ConcurrentDictionary<string, Task<(bool Exists, string? Host)>> _memberHosts = new ConcurrentDictionary<string, Task<(bool Exists, string? Host)>>(StringComparer.OrdinalIgnoreCase);
        private readonly ConcurrentDictionary<string, Task<IReadOnlyCollection<string>?>> _offered = new ConcurrentDictionary<string, Task<IReadOnlyCollection<string>?>>(StringComparer.Ordinal);

        private readonly string? _nodeMapFolder;

        /// <summary>The nodes of a host as Nova has them now, read once per reader for the checks that name the host.</summary>
        private readonly Dictionary<string, Task<IReadOnlyList<Hypervisor>>> _nodesNow = new Dictionary<string, Task<IReadOnlyList<Hypervisor>>>(StringComparer.Ordinal);

        /// <summary>Creates a reader over a session; the node map is kept in <paramref name="nodeMapFolder"/> (default <see cref="Inventory.NodeDirectory.Folder"/>).</summary>
        public MigrationTargetReader(CloudSession session, string? nodeMapFolder = null)
        {
            _session = session;
            _nodeMapFolder = nodeMapFolder;
            _nova = new NovaClient(session);
            _placement = new PlacementClient(session);
        }

        /// <summary>The instance as Nova has it now; OSInstanceNotFound when it does not exist.</summary>
        public Task<Instance> GetInstanceAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => _nova.GetServerAsync(id, sink, cancellationToken);

        /// <summary>Instances of every project whose names match the wildcard patterns; OSInstanceNotFound for a literal name that matches none.</summary>
        public async Task<IReadOnlyList<Instance>> FindByNameAsync(IReadOnlyCollection<string> patterns, IEngineSink sink, CancellationToken cancellationToken)
        {
            var found = new List<Instance>();
            await new Inventory.CloudInventory(_session).GetInstancesAsync(patterns, null, true, i => found.Add(i), sink, cancellationToken).ConfigureAwait(false);
            return found;
        }

        /// <summary>The enabled, up compute hosts other than <paramref name="exceptHost"/>.</summary>
        public async Task<IReadOnlyList<string>> GetCandidateHostsAsync(string? exceptHost, IEngineSink sink, CancellationToken cancellationToken)
        {
            await LoadAsync(sink, cancellationToken).ConfigureAwait(false);
            return _services!.Where(s => s.Status == ServiceStatus.Enabled && !string.Equals(s.HostName, exceptHost, StringComparison.Ordinal))
                .Select(s => s.HostName).Distinct().OrderBy(h => h, StringComparer.Ordinal).ToList();
        }

        /// <summary>
        /// Runs the checks for one instance and destination; <paramref name="freshCapacity"/> re-reads the destination's
        /// Placement figures. A named destination is checked against its own and the source's nodes as Nova has them
        /// now (one small read per node, once per reader), not against the kept map's hypervisor types and versions.
        /// </summary>
        public Task<MigrationCheckReport> CheckAsync(Instance instance, MigrationKind kind, string? destinationHost, BlockMigrationMode blockMigration, bool freshCapacity, IEngineSink sink, CancellationToken cancellationToken) =>
            CheckAsync(instance, kind, destinationHost, blockMigration, freshCapacity, nodesNow: true, sink, cancellationToken);

        private async Task<MigrationCheckReport> CheckAsync(Instance instance, MigrationKind kind, string? destinationHost, BlockMigrationMode blockMigration, bool freshCapacity, bool nodesNow, IEngineSink sink, CancellationToken cancellationToken)
        {
            List<Hypervisor> nodes;
            IReadOnlyCollection<string>? offered;
            if (destinationHost == null)
            {
                var offeredTask = OfferedAsync(instance, sink, cancellationToken);
                await ReadAllCapacityAsync(sink, cancellationToken).ConfigureAwait(false);
                nodes = _hypervisors!.Select(Copy).ToList();
                offered = await offeredTask.ConfigureAwait(false);
            }
            else
            {
                // Only the source's and the destination's nodes take part: a check against one host of hundreds
                // copies a handful of nodes, not all of them.
                await LoadAsync(sink, cancellationToken).ConfigureAwait(false);
                var sourceNodes = nodesNow ? NodesNowAsync(instance.HostName ?? string.Empty, sink, cancellationToken) : Task.FromResult(NodesOf(instance.HostName ?? string.Empty));
                var destinationNodes = nodesNow ? await NodesNowAsync(destinationHost, sink, cancellationToken).ConfigureAwait(false) : NodesOf(destinationHost);
                offered = await ReadCapacityAsync(instance, destinationNodes, freshCapacity, sink, cancellationToken).ConfigureAwait(false);
                nodes = destinationNodes.Concat(await sourceNodes.ConfigureAwait(false))
                    .Concat(_hypervisors!.Where(h => string.Equals(h.Name, instance.HypervisorHostname, StringComparison.Ordinal)))
                    .GroupBy(h => h.Id, StringComparer.OrdinalIgnoreCase).Select(g => Copy(g.First())).ToList();
            }

            var input = new PreflightInput(instance, kind)
            {
                DestinationHost = destinationHost,
                BlockMigration = blockMigration,
                ComputeServices = _services!,
                FittingNodes = offered,
            };

            foreach (var node in nodes)
            {
                Apply(node, _capacity.TryGetValue(node.Id, out var c) ? c : null);
            }

            input.Hypervisors = nodes;
            // The inventory limits the checks may look at are read here, where the read reports and can be cancelled.
            var looked = destinationHost == null ? nodes : nodes.Where(n => string.Equals(n.HostName, destinationHost, StringComparison.Ordinal));
            await PlacementClient.ReadInventoriesAsync(MigrationPreflight.FiguresToRead(instance, offered, looked), sink, cancellationToken).ConfigureAwait(false);
            var groups = _groups!.Where(g => g.Members.Contains(instance.Id, StringComparer.OrdinalIgnoreCase)).ToList();
            input.ServerGroups = groups;
            if (destinationHost != null && groups.Count > 0)
            {
                var hosts = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                foreach (var member in groups.SelectMany(g => g.Members).Where(m => !string.Equals(m, instance.Id, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    // Read once per reader for the checks of one ranking; again for a fresh check (a drain moves members).
                    var read = freshCapacity
                        ? _memberHosts[member] = MemberHostAsync(member, sink, cancellationToken)
                        : _memberHosts.GetOrAdd(member, m => MemberHostAsync(m, sink, cancellationToken));
                    var (exists, host) = await read.ConfigureAwait(false);
                    if (exists)
                    {
                        hosts[member] = host;
                    }
                }

                input.MemberHosts = hosts;
            }

            var report = MigrationPreflight.Evaluate(input);
            sink.Verbose($"Pre-flight {instance.Name} -> {destinationHost ?? "(scheduler)"}: {(report.CanMigrate ? "can migrate" : "cannot migrate")}. {report.Reason}");
            return report;
        }

        /// <summary>
        /// Checks every enabled host other than the instance's own and ranks them (<see cref="DestinationRanking"/>).
        /// The capacity of every node comes from one bulk Placement read shared by all the checks, and which nodes can
        /// take the flavor from one more question (no provider's inventory is read for a node Placement offers), so
        /// ranking hundreds of hosts sends a few requests, not several per host.
        /// </summary>
        public async Task<IReadOnlyList<MigrationCheckReport>> RankDestinationsAsync(Instance instance, MigrationKind kind, BlockMigrationMode blockMigration, IEngineSink sink, CancellationToken cancellationToken)
        {
            // The nodes from the services, Placement and the kept node map, not Nova's hypervisor list (its slowest
            // read at scale): state is the services' of now, room Placement's of now, and the hypervisor type and
            // version as Nova last listed them (the map is read again when a service or provider changes, or after an
            // hour). A move to the destination chosen checks against both hosts' nodes as Nova has them then.
            var offered = OfferedAsync(instance, sink, cancellationToken);
            await ReadAllCapacityAsync(sink, cancellationToken).ConfigureAwait(false);
            var fitting = await offered.ConfigureAwait(false);
            var hosts = await GetCandidateHostsAsync(instance.HostName, sink, cancellationToken).ConfigureAwait(false);
            // Every inventory the checks below may look at, read once a few at a time, not host by host.
            var candidates = new HashSet<string>(hosts, StringComparer.Ordinal);
            await PlacementClient.ReadInventoriesAsync(
                MigrationPreflight.FiguresToRead(instance, fitting, _hypervisors!.Where(h => candidates.Contains(h.HostName)).Select(WithFigures)),
                sink,
                cancellationToken).ConfigureAwait(false);
            var reports = await Task.WhenAll(hosts.Select(host => CheckAsync(instance, kind, host, blockMigration, freshCapacity: false, nodesNow: false, sink, cancellationToken))).ConfigureAwait(false);
            return DestinationRanking.Rank(reports);
        }

        /// <summary>Reads the nodes, compute services and server groups now (once per reader), so later checks only read Placement (and the nodes of the hosts they name).</summary>
        public Task PreloadAsync(IEngineSink sink, CancellationToken cancellationToken) => LoadAsync(sink, cancellationToken);

        private async Task LoadAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            if (_hypervisors != null)
            {
                return;
            }

            await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_hypervisors != null)
                {
                    return;
                }

                var reads = new ReadsInFlight();
                try
                {
                    var services = reads.Start(_nova.ListServicesAsync("nova-compute", null, sink, cancellationToken));
                    // A check that names hosts reads their nodes from Nova again (NodesNowAsync); a ranking takes the map's.
                    var hypervisors = reads.Start(new Inventory.NodeDirectory(_session, _nodeMapFolder).ReadNodesForChecksAsync(services, _placement, sink, cancellationToken));
                    var groups = reads.Start(_nova.ListServerGroupsAsync(sink, cancellationToken));
                    _services = await services.ConfigureAwait(false);
                    _groups = await groups.ConfigureAwait(false);
                    var all = await hypervisors.ConfigureAwait(false);
                    _nodesByHost = all.GroupBy(h => h.HostName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => (IReadOnlyList<Hypervisor>)g.ToList(), StringComparer.Ordinal);
                    _hypervisors = all;
                }
                finally
                {
                    // A refused service list (or a cancel) does not leave the hypervisor and group reads running.
                    await reads.SettledAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                _loadLock.Release();
            }
        }

        /// <summary>
        /// Every node's capacity and use from Placement's bulk answer (inventory figures such as max_unit are read
        /// per provider only if a check needs them: see <see cref="OfferedAsync"/>). Placement is read while Nova
        /// lists the hypervisors, not after: a compute node's provider has the node's uuid (its id from compute 2.53)
        /// and name, so Placement needs nothing from Nova's answer.
        /// </summary>
        private Task ReadAllCapacityAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            if (_allCapacityRead)
            {
                return Task.CompletedTask;
            }

            lock (_providersLock)
            {
                // One read for all the checks running at once; one that failed or was cancelled is made again.
                if (_everyNode == null || _everyNode.IsFaulted || _everyNode.IsCanceled)
                {
                    _everyNode = ReadEveryNodeAsync(sink, cancellationToken);
                }

                return _everyNode;
            }
        }

        private async Task ReadEveryNodeAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            var bulk = _placement.StartBulkRead(sink, cancellationToken);
            try
            {
                await LoadAsync(sink, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Nova failed first: Placement's read is not left running unobserved.
                await bulk.SettledAsync().ConfigureAwait(false);
                throw;
            }

            var read = await _placement.ReadCapacityAsync(_hypervisors!, PlacementClient.DefaultParallelism, sink, cancellationToken, bulk).ConfigureAwait(false);
            foreach (var h in _hypervisors!)
            {
                // A node without a provider (Placement's read warned of it) is known to have no figures: it is not asked for again.
                _capacity[h.Id] = read.TryGetValue(h, out var figures) ? figures : NoFigures;
            }

            _allCapacityRead = true;
        }

        /// <summary>
        /// The nodes Placement offers for the instance's flavor, asked once per flavor and disk need, alongside the
        /// bulk read: with it, the checks read no inventory for a node that fits (Placement checked max_unit).
        /// </summary>
        private Task<IReadOnlyCollection<string>?> OfferedAsync(Instance instance, IEngineSink sink, CancellationToken cancellationToken)
        {
            var need = ResourceNeed.Of(instance);
            return _offered.GetOrAdd(need.Key, _ => _placement.ReadOfferedAsync(need, sink, cancellationToken));
        }

        private async Task<(bool Exists, string? Host)> MemberHostAsync(string member, IEngineSink sink, CancellationToken cancellationToken)
        {
            try
            {
                return (true, (await _nova.GetServerAsync(member, sink, cancellationToken).ConfigureAwait(false)).HostName);
            }
            catch (OpenStackMigrationException e) when (e.Kind == FailureKind.NotFound)
            {
                // A deleted member no longer constrains anything.
                return (false, null);
            }
        }

        private IReadOnlyList<Hypervisor> NodesOf(string host) =>
            _nodesByHost!.TryGetValue(host, out var nodes) ? nodes : (IReadOnlyList<Hypervisor>)Array.Empty<Hypervisor>();

        /// <summary>
        /// A host's nodes as Nova has them now: read node by node (by uuid) when they came from the kept map, once per
        /// reader (again after a failed or cancelled read); a node Nova no longer has is left out.
        /// </summary>
        private Task<IReadOnlyList<Hypervisor>> NodesNowAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var listed = NodesOf(host);
            if (!listed.Any(n => n.TypeAndVersionListedAt.HasValue))
            {
                // Nova's own list of this command (before compute 2.53, or when the map was made now).
                return Task.FromResult(listed);
            }

            lock (_nodesNow)
            {
                // One read per host for the checks running at once (ConcurrentDictionary may run a factory twice).
                if (!_nodesNow.TryGetValue(host, out var read) || read.IsFaulted || read.IsCanceled)
                {
                    _nodesNow[host] = read = ReadNodesNowAsync(listed, sink, cancellationToken);
                }

                return read;
            }
        }

        private async Task<IReadOnlyList<Hypervisor>> ReadNodesNowAsync(IReadOnlyList<Hypervisor> listed, IEngineSink sink, CancellationToken cancellationToken)
        {
            var now = await Task.WhenAll(listed.Select(n => _nova.GetHypervisorAsync(n.Id, sink, cancellationToken))).ConfigureAwait(false);
            return now.Where(n => n != null).Select(n => n!).ToList();
        }

        /// <summary>
        /// Capacity of a destination's nodes: kept figures unless <paramref name="fresh"/>. A host with a few nodes is
        /// read node by node (usages, and inventories unless kept); one with many from one bulk read. Returns the
        /// nodes Placement offers for the instance's flavor when the figures came from a bulk read, else null.
        /// </summary>
        private async Task<IReadOnlyCollection<string>?> ReadCapacityAsync(Instance instance, IReadOnlyList<Hypervisor> nodes, bool fresh, IEngineSink sink, CancellationToken cancellationToken)
        {
            var wanted = nodes.Where(n => fresh || !_capacity.ContainsKey(n.Id)).ToList();
            if (wanted.Count == 0)
            {
                return _allCapacityRead ? await OfferedAsync(instance, sink, cancellationToken).ConfigureAwait(false) : null;
            }

            if (wanted.Count > PerNodeReadLimit || wanted.Any(n => !Guid.TryParse(n.Id, out _)))
            {
                // Before compute 2.53 (Ocata) a hypervisor id is an integer, not its provider's uuid: the bulk path
                // finds the provider by name. The offer is asked again with the figures, not taken from before.
                var offered = _placement.ReadOfferedAsync(ResourceNeed.Of(instance), sink, cancellationToken);
                var read = await _placement.ReadCapacityAsync(wanted, PlacementClient.DefaultParallelism, sink, cancellationToken).ConfigureAwait(false);
                foreach (var node in wanted)
                {
                    _capacity[node.Id] = read.TryGetValue(node, out var figures) ? figures : NoFigures;
                }

                return await offered.ConfigureAwait(false);
            }

            await Task.WhenAll(wanted.Select(async node =>
            {
                _capacity[node.Id] = await _placement.GetCapacityAsync(node.Id, sink, cancellationToken).ConfigureAwait(false);
            })).ConfigureAwait(false);
            return null;
        }

        private static void Apply(Hypervisor node, IReadOnlyDictionary<string, ResourceCapacity>? capacity)
        {
            if (capacity != null)
            {
                node.ApplyCapacity(capacity);
            }
        }

        private Hypervisor WithFigures(Hypervisor h)
        {
            var copy = Copy(h);
            Apply(copy, _capacity.TryGetValue(h.Id, out var c) ? c : null);
            return copy;
        }

        /// <summary>A copy without capacity: each caller applies the figures it read.</summary>
        private static Hypervisor Copy(Hypervisor h)
        {
            var copy = h.Clone();
            copy.Vcpu = copy.MemoryMB = copy.DiskGB = null;
            return copy;
        }
    }
}
