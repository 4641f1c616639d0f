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
        private static readonly IReadOnlyDictionary<string, ResourceCapacity> NoFigures = new Dictionary<string, ResourceCapacity>();
        private IReadOnlyList<Hypervisor>? _hypervisors;
        private IReadOnlyList<ComputeService>? _services;
        private IReadOnlyList<ServerGroupInfo>? _groups;
        private bool _allCapacityRead;

        /// <summary>Creates a reader over a session.</summary>
        public MigrationTargetReader(CloudSession session)
        {
            _session = session;
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

        /// <summary>Runs the checks for one instance and destination; <paramref name="freshCapacity"/> re-reads the destination's Placement figures.</summary>
        public async Task<MigrationCheckReport> CheckAsync(Instance instance, MigrationKind kind, string? destinationHost, BlockMigrationMode blockMigration, bool freshCapacity, IEngineSink sink, CancellationToken cancellationToken)
        {
            await LoadAsync(sink, cancellationToken).ConfigureAwait(false);
            var input = new PreflightInput(instance, kind)
            {
                DestinationHost = destinationHost,
                BlockMigration = blockMigration,
                ComputeServices = _services!,
            };

            List<Hypervisor> nodes;
            if (destinationHost == null)
            {
                await ReadAllCapacityAsync(sink, cancellationToken).ConfigureAwait(false);
                nodes = _hypervisors!.Select(Copy).ToList();
                foreach (var node in nodes)
                {
                    Apply(node, _capacity.TryGetValue(node.Id, out var c) ? c : null);
                }
            }
            else
            {
                nodes = _hypervisors!.Select(Copy).ToList();

                var destinationNodes = nodes.Where(n => string.Equals(n.HostName, destinationHost, StringComparison.Ordinal) && Guid.TryParse(n.Id, out _)).ToList();

                // Before compute 2.53 (Ocata) a hypervisor id is an integer, not the resource provider's uuid: Placement's
                // provider of the same name is read instead.
                var byName = nodes.Where(n => string.Equals(n.HostName, destinationHost, StringComparison.Ordinal) && !Guid.TryParse(n.Id, out _)
                    && (freshCapacity || !_capacity.ContainsKey(n.Id))).ToList();
                if (byName.Count > 0)
                {
                    var read = await _placement.ReadCapacityAsync(byName, PlacementClient.DefaultParallelism, sink, cancellationToken).ConfigureAwait(false);
                    foreach (var node in byName)
                    {
                        _capacity[node.Id] = read.TryGetValue(node, out var figures) ? figures : NoFigures;
                    }
                }

                foreach (var node in nodes.Where(n => string.Equals(n.HostName, destinationHost, StringComparison.Ordinal) && !Guid.TryParse(n.Id, out _)))
                {
                    Apply(node, _capacity.TryGetValue(node.Id, out var c) ? c : null);
                }

                using var gate = new SemaphoreSlim(PlacementClient.DefaultParallelism);
                await Task.WhenAll(destinationNodes.Select(async node =>
                {
                    if (freshCapacity || !_capacity.TryGetValue(node.Id, out var capacity))
                    {
                        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                        try
                        {
                            capacity = await _placement.GetCapacityAsync(node.Id, sink, cancellationToken).ConfigureAwait(false);
                        }
                        finally
                        {
                            gate.Release();
                        }

                        _capacity[node.Id] = capacity;
                    }

                    Apply(node, capacity);
                })).ConfigureAwait(false);
            }

            input.Hypervisors = nodes;
            var groups = _groups!.Where(g => g.Members.Contains(instance.Id, StringComparer.OrdinalIgnoreCase)).ToList();
            input.ServerGroups = groups;
            if (destinationHost != null && groups.Count > 0)
            {
                var hosts = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                foreach (var member in groups.SelectMany(g => g.Members).Where(m => !string.Equals(m, instance.Id, StringComparison.OrdinalIgnoreCase)).Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    try
                    {
                        hosts[member] = (await _nova.GetServerAsync(member, sink, cancellationToken).ConfigureAwait(false)).HostName;
                    }
                    catch (OpenStackMigrationException e) when (e.Kind == FailureKind.NotFound)
                    {
                        // A deleted member no longer constrains anything.
                    }
                }

                input.MemberHosts = hosts;
            }

            var report = MigrationPreflight.Evaluate(input);
            sink.Verbose($"Pre-flight {instance.Name} -> {destinationHost ?? "(scheduler)"}: {(report.CanMigrate ? "can migrate" : "cannot migrate")}. {report.Reason}");
            return report;
        }

        /// <summary>Reads hypervisors, compute services and server groups now (once per reader), so later checks only read Placement.</summary>
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

                var hypervisors = _nova.ListHypervisorsAsync(sink, cancellationToken);
                var services = _nova.ListServicesAsync("nova-compute", null, sink, cancellationToken);
                var groups = _nova.ListServerGroupsAsync(sink, cancellationToken);
                _services = await services.ConfigureAwait(false);
                _groups = await groups.ConfigureAwait(false);
                _hypervisors = await hypervisors.ConfigureAwait(false);
            }
            finally
            {
                _loadLock.Release();
            }
        }

        private async Task ReadAllCapacityAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            if (_allCapacityRead)
            {
                return;
            }

            await _loadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_allCapacityRead)
                {
                    return;
                }

                // The checks need max_unit (and the figures a refusal quotes): inventories are read now, not on first use.
                var read = await _placement.ReadCapacityAsync(_hypervisors!, PlacementClient.DefaultParallelism, sink, cancellationToken, withInventories: true).ConfigureAwait(false);
                foreach (var h in _hypervisors!)
                {
                    // A node without a provider is known to have no figures: it is not asked for again.
                    _capacity[h.Id] = read.TryGetValue(h, out var figures) ? figures : NoFigures;
                }

                _allCapacityRead = true;
            }
            finally
            {
                _loadLock.Release();
            }
        }

        private static void Apply(Hypervisor node, IReadOnlyDictionary<string, ResourceCapacity>? capacity)
        {
            if (capacity != null)
            {
                node.ApplyCapacity(capacity);
            }
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
