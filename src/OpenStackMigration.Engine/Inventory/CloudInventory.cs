using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Text;

namespace OpenStackMigration.Inventory
{
    /// <summary>
    /// The read side an admin starts from: hypervisors with Placement capacity, instances,
    /// compute services. Joins Nova and Placement so callers never do.
    /// </summary>
    public sealed class CloudInventory
    {
        private readonly NovaClient _nova;
        private readonly PlacementClient _placement;

        /// <summary>Creates the reader for a session.</summary>
        public CloudInventory(CloudSession session)
        {
            Session = session;
            _nova = new NovaClient(session);
            _placement = new PlacementClient(session);
        }

        /// <summary>The session.</summary>
        public CloudSession Session { get; }

        /// <summary>
        /// Hypervisors whose node or host name matches any of the wildcard patterns (all when none), with capacity.
        /// <paramref name="brief"/>: state and room only, without Nova's hypervisor list while the kept node map holds
        /// (<see cref="NodeDirectory"/>; compute 2.53+): no hypervisor type, version, IP or instance count.
        /// </summary>
        public async Task<IReadOnlyList<Hypervisor>> GetHypervisorsAsync(IReadOnlyCollection<string>? namePatterns, bool withCapacity, int parallelism, IEngineSink sink, CancellationToken cancellationToken, bool brief = false)
        {
            // Placement is read while Nova answers, not after: the listing takes as long as the slower of the two.
            var bulk = withCapacity ? _placement.StartBulkRead(sink, cancellationToken) : null;
            try
            {
                var directory = new NodeDirectory(Session);
                var all = brief && directory.CanSkipNova
                    ? await directory.ReadNodesAsync(_nova.ListServicesAsync("nova-compute", null, sink, cancellationToken), _placement.ListRootProvidersAsync(sink, cancellationToken), sink, cancellationToken).ConfigureAwait(false)
                    : await _nova.ListHypervisorsAsync(sink, cancellationToken).ConfigureAwait(false);
                var selected = all.Where(h => Wildcard.MatchesAny(namePatterns, h.Name) || Wildcard.MatchesAny(namePatterns, h.HostName)).OrderBy(h => h.Name, StringComparer.OrdinalIgnoreCase).ToList();
                ReportUnmatched(namePatterns, selected.SelectMany(h => new[] { h.Name, h.HostName }), "hypervisor", "OSHypervisorNotFound");
                if (withCapacity)
                {
                    await _placement.FillCapacityAsync(selected, parallelism, sink, cancellationToken, bulk).ConfigureAwait(false);
                }

                return selected;
            }
            finally
            {
                if (bulk != null)
                {
                    // No request outlives the command (Nova failed first, or no hypervisor matched).
                    await bulk.SettledAsync().ConfigureAwait(false);
                }
            }
        }

        /// <summary>Compute services matching host patterns and a binary.</summary>
        public async Task<IReadOnlyList<ComputeService>> GetServicesAsync(IReadOnlyCollection<string>? hostPatterns, string? binary, IEngineSink sink, CancellationToken cancellationToken)
        {
            var exactHost = hostPatterns != null && hostPatterns.Count == 1 && !Wildcard.HasWildcards(hostPatterns.First()) ? hostPatterns.First() : null;
            var services = await _nova.ListServicesAsync(binary, exactHost, sink, cancellationToken).ConfigureAwait(false);
            return services.Where(s => Wildcard.MatchesAny(hostPatterns, s.HostName)).OrderBy(s => s.HostName, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.Binary, StringComparer.Ordinal).ToList();
        }

        /// <summary>The nova-compute service of one host; a NotFound error names the hosts that exist.</summary>
        public async Task<ComputeService> GetComputeServiceAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var services = await _nova.ListServicesAsync("nova-compute", null, sink, cancellationToken).ConfigureAwait(false);
            var match = services.FirstOrDefault(s => string.Equals(s.HostName, host, StringComparison.Ordinal));
            if (match == null)
            {
                throw new OpenStackMigrationException(
                    "OSComputeHostNotFound",
                    FailureKind.NotFound,
                    $"There is no compute host '{host}'. Compute hosts: {string.Join(", ", services.Select(s => s.HostName).OrderBy(h => h, StringComparer.Ordinal))}.")
                { Target = host };
            }

            return match;
        }

        /// <summary>Enables or disables a compute service (a reason is recorded when disabling); returns the service as Nova now has it.</summary>
        public Task<ComputeService> SetComputeServiceStatusAsync(ComputeService service, bool enable, string? reason, IEngineSink sink, CancellationToken cancellationToken) =>
            _nova.SetServiceStatusAsync(service, enable, reason, sink, cancellationToken);

        /// <summary>Sets or clears a compute service's forced_down flag (compute API 2.53+); the service as Nova then has it.</summary>
        public Task<ComputeService> SetForcedDownAsync(ComputeService service, bool forcedDown, IEngineSink sink, CancellationToken cancellationToken) =>
            _nova.SetForcedDownAsync(service, forcedDown, sink, cancellationToken);

        /// <summary>One instance by id, as Nova has it now; OSInstanceNotFound when it does not exist.</summary>
        public Task<Instance> GetInstanceAsync(string id, IEngineSink sink, CancellationToken cancellationToken) =>
            _nova.GetServerAsync(id, sink, cancellationToken);

        /// <summary>Streams instances page by page, filtered by name patterns (applied here) and host (applied by Nova).</summary>
        public Task GetInstancesAsync(IReadOnlyCollection<string>? namePatterns, string? host, bool allProjects, Action<Instance> onInstance, IEngineSink sink, CancellationToken cancellationToken)
        {
            // One literal name can be filtered by Nova itself; patterns are matched here.
            var query = new ServerQuery { AllProjects = allProjects, Host = host };
            if (namePatterns != null && namePatterns.Count == 1)
            {
                query.NameRegex = Wildcard.ToNovaRegex(namePatterns.First());
            }

            var matched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            return _nova.ListServersAsync(
                query,
                page =>
                {
                    foreach (var instance in page.Where(i => Wildcard.MatchesAny(namePatterns, i.Name)))
                    {
                        matched.Add(instance.Name);
                        onInstance(instance);
                    }
                },
                sink,
                cancellationToken).ContinueWith(
                    t =>
                    {
                        t.GetAwaiter().GetResult();
                        ReportUnmatched(namePatterns, matched, "instance", "OSInstanceNotFound");
                    },
                    cancellationToken,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
        }

        private static void ReportUnmatched(IReadOnlyCollection<string>? patterns, IEnumerable<string> found, string what, string errorId)
        {
            if (patterns == null)
            {
                return;
            }

            var names = found.ToList();
            foreach (var pattern in patterns.Where(p => !Wildcard.HasWildcards(p)))
            {
                if (!names.Any(n => Wildcard.Matches(pattern, n)))
                {
                    throw new OpenStackMigrationException(errorId, FailureKind.NotFound, $"No {what} named '{pattern}'.") { Target = pattern };
                }
            }
        }
    }
}
