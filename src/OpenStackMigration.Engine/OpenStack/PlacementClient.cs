using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.Text;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// Placement: the one place capacity is right on every compute microversion. Capacity and use of every
    /// provider come in one request (allocation candidates' provider summaries); inventories and usages are
    /// per provider, so what needs them goes in parallel under a bound.
    /// </summary>
    public sealed class PlacementClient
    {
        /// <summary>How many Placement requests may be in flight at once by default.</summary>
        public const int DefaultParallelism = 8;

        /// <summary>The first version whose allocation candidates summarise every resource class of a provider, not only those asked for.</summary>
        internal static readonly Microversion BulkVersion = new Microversion(1, 27);

        /// <summary>The first version whose provider list names each provider's root (nested providers).</summary>
        internal static readonly Microversion RootsVersion = new Microversion(1, 14);

        private readonly CloudSession _session;
        private readonly PlacementCache _cache;

        /// <summary>Creates a client over a session; every client of the same session shares its <see cref="PlacementCache"/>.</summary>
        public PlacementClient(CloudSession session)
        {
            _session = session;
            _cache = PlacementCache.For(session);
        }

        /// <summary>
        /// Starts Placement's bulk read (see <see cref="ReadBulkAsync"/>) before Nova has said which hypervisors
        /// there are, so the listing takes as long as the slower of the two. Hand the task to
        /// <see cref="FillCapacityAsync"/> or <see cref="ReadCapacityAsync"/>.
        /// </summary>
        public Task<BulkCapacity?> StartBulkRead(IEngineSink sink, CancellationToken cancellationToken) =>
            Task.Run(() => ReadBulkAsync(sink, cancellationToken), cancellationToken);

        /// <summary>
        /// Capacity and use of every resource class of every provider that has at least one MB of memory free, in one
        /// request: allocation candidates' provider summaries (placement 1.27+). Null when Placement cannot answer it
        /// (older than 1.27, or failing): each provider is then read on its own, and that read reports the failure.
        /// </summary>
        public async Task<BulkCapacity?> ReadBulkAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            var answer = await AllocationCandidatesAsync("MEMORY_MB:1", "reading each provider", sink, cancellationToken).ConfigureAwait(false);
            return answer == null ? null : BulkCapacity.Parse(answer);
        }

        /// <summary>
        /// The providers Placement offers for these amounts (allocation candidates, as the scheduler asks them): each
        /// has room for all of them within its inventories' max_unit, min_unit and step_size. Null when Placement
        /// does not answer (older than 1.27, or failing); the caller then judges on the inventory figures.
        /// </summary>
        public async Task<IReadOnlyCollection<string>?> ReadOfferedAsync(ResourceNeed need, IEngineSink sink, CancellationToken cancellationToken)
        {
            var resources = new[] { ("VCPU", need.Vcpus), ("MEMORY_MB", need.MemoryMB), ("DISK_GB", need.DiskGB) }.Where(r => r.Item2 > 0).Select(r => $"{r.Item1}:{r.Item2}").ToList();
            if (resources.Count == 0)
            {
                return null;
            }

            var answer = await AllocationCandidatesAsync(string.Join(",", resources), "judging on inventories", sink, cancellationToken).ConfigureAwait(false);
            return answer == null ? null : new HashSet<string>((answer["provider_summaries"] as JObject ?? new JObject()).Properties().Select(p => p.Name), StringComparer.OrdinalIgnoreCase);
        }

        /// <summary>Placement's allocation candidates for <paramref name="resources"/> at 1.27; null (and a Debug line saying <paramref name="instead"/>) when it does not answer.</summary>
        private async Task<JObject?> AllocationCandidatesAsync(string resources, string instead, IEngineSink sink, CancellationToken cancellationToken)
        {
            try
            {
                var response = await _session.SendAsync(
                    new ServiceRequest("GET", "/allocation_candidates?resources=" + resources, "Placement")
                    {
                        ServiceTypes = new[] { "placement" },
                        Microversion = BulkVersion,
                        MicroversionService = "placement",
                        AcceptStatuses = new[] { 400, 404, 406 },
                    },
                    sink,
                    cancellationToken).ConfigureAwait(false);
                if (response.Status < 400)
                {
                    return response.Object;
                }

                sink.Debug($"Placement does not answer allocation candidates for {resources} at {BulkVersion} ({response.Status}); {instead}.");
            }
            catch (OpenStackMigrationException ex)
            {
                sink.Debug($"Placement's allocation candidates for {resources} failed ({ex.Message}); {instead}.");
            }

            return null;
        }

        /// <summary>Fills in Vcpu, MemoryMB and DiskGB of each hypervisor from its resource provider (inventory figures read on first use).</summary>
        public async Task FillCapacityAsync(IReadOnlyList<Hypervisor> hypervisors, int parallelism, IEngineSink sink, CancellationToken cancellationToken, Task<BulkCapacity?>? bulk = null, bool withInventories = false)
        {
            var capacity = await ReadCapacityAsync(hypervisors, parallelism, sink, cancellationToken, bulk, withInventories).ConfigureAwait(false);
            foreach (var h in hypervisors)
            {
                if (capacity.TryGetValue(h, out var figures))
                {
                    h.ApplyCapacity(figures);
                }
            }
        }

        /// <summary>
        /// Reads the capacity of each hypervisor's resource provider, by resource class; the hypervisors are not
        /// changed. One whose provider Placement does not have is left out (with a warning). Capacity and use come
        /// from the bulk read; only providers missing from it are read one by one. The inventory figures (total,
        /// reserved, ratio, max_unit) are read per provider: all now with <paramref name="withInventories"/> (checks
        /// that need max_unit), else on first use (a listing that shows only use and room sends no such request).
        /// </summary>
        public async Task<IReadOnlyDictionary<Hypervisor, IReadOnlyDictionary<string, ResourceCapacity>>> ReadCapacityAsync(IReadOnlyList<Hypervisor> hypervisors, int parallelism, IEngineSink sink, CancellationToken cancellationToken, Task<BulkCapacity?>? bulk = null, bool withInventories = false)
        {
            var read = new ConcurrentDictionary<Hypervisor, IReadOnlyDictionary<string, ResourceCapacity>>(HypervisorReferenceComparer.Instance);
            if (hypervisors.Count == 0)
            {
                if (bulk != null)
                {
                    await bulk.SettledAsync().ConfigureAwait(false);
                }

                return read;
            }

            var generations = withInventories ? ReadGenerationsAsync(sink, cancellationToken) : null;
            var summaries = await (bulk ?? ReadBulkAsync(sink, cancellationToken)).ConfigureAwait(false);

            // Before compute 2.53 hypervisor ids are integers; the provider is then found by node name.
            Dictionary<string, string>? uuidByName = null;
            if (hypervisors.Any(h => !LooksLikeUuid(h.Id)))
            {
                var all = await SendAsync("/resource_providers", sink, cancellationToken).ConfigureAwait(false);
                uuidByName = (all.Object["resource_providers"] as JArray ?? new JArray())
                    .GroupBy(p => Json.Str(p, "name") ?? string.Empty, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => Json.Str(g.First(), "uuid") ?? string.Empty, StringComparer.Ordinal);
            }

            var known = generations == null ? null : await generations.ConfigureAwait(false);
            var inventories = new InventoryReads(this);
            using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
            var done = 0;
            OpenStackMigrationException? notFound = null;
            var tasks = hypervisors.Select(async h =>
            {
                var uuid = uuidByName == null ? h.Id : (uuidByName.TryGetValue(h.Name, out var u) ? u : null);
                if (string.IsNullOrEmpty(uuid))
                {
                    sink.Warning($"Placement has no resource provider named '{h.Name}'; its capacity is unknown.");
                    return;
                }

                var summary = summaries?.Find(uuid!);
                if (summary != null && !withInventories)
                {
                    read[h] = inventories.Lazy(uuid!, summary);
                    return;
                }

                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    long? generation = known != null && known.TryGetValue(uuid!, out var g) ? g : (long?)null;
                    read[h] = summary != null
                        ? WithUsages(await GetInventoriesAsync(uuid!, sink, cancellationToken, generation).ConfigureAwait(false), summary)
                        : await GetCapacityAsync(uuid!, sink, cancellationToken, generation).ConfigureAwait(false);
                }
                catch (OpenStackMigrationException e) when (e.Kind == FailureKind.NotFound)
                {
                    // A node Nova has just registered, or one being removed: the others are still listed.
                    Interlocked.CompareExchange(ref notFound, e, null);
                    sink.Warning($"Placement has no resource provider for '{h.Name}' ({uuid}); its capacity is unknown.");
                }
                finally
                {
                    gate.Release();
                }

                var n = Interlocked.Increment(ref done);
                if (hypervisors.Count > 20 && (n % 25 == 0 || n == hypervisors.Count))
                {
                    sink.Progress(new ProgressReport("placement", "Reading capacity from Placement", $"{n} of {hypervisors.Count} hosts") { PercentComplete = 100 * n / hypervisors.Count, Completed = n == hypervisors.Count });
                }
            });
            await Task.WhenAll(tasks).ConfigureAwait(false);
            if (notFound != null && read.IsEmpty && hypervisors.Count > 1)
            {
                // Not one provider of several found: the endpoint is wrong, not a node new to Placement. (One node
                // alone, just registered, is only warned of.)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(notFound).Throw();
            }

            return read;
        }

        /// <summary>Every root resource provider (uuid, name, generation), without capacity: one request.</summary>
        public async Task<IReadOnlyList<RootProvider>> ListRootProvidersAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            var list = await _session.SendAsync(
                new ServiceRequest("GET", "/resource_providers", "Placement")
                {
                    ServiceTypes = new[] { "placement" },
                    Microversion = RootsVersion,
                    MicroversionService = "placement",
                    AcceptStatuses = new[] { 406 },
                },
                sink,
                cancellationToken).ConfigureAwait(false);
            if (list.Status == 406)
            {
                list = await SendAsync("/resource_providers", sink, cancellationToken).ConfigureAwait(false);
            }

            return (list.Object["resource_providers"] as JArray ?? new JArray())
                .Where(p => Json.Str(p, "root_provider_uuid") is not string root || string.Equals(root, Json.Str(p, "uuid"), StringComparison.OrdinalIgnoreCase))
                .Select(p => new RootProvider(Json.Str(p, "uuid") ?? string.Empty, Json.Str(p, "name") ?? string.Empty, Json.Long(p, "generation")))
                .Where(p => p.Uuid.Length > 0)
                .ToList();
        }

        /// <summary>Every provider's generation, from one list (cheap): inventories kept at that generation are not read again.</summary>
        private async Task<IReadOnlyDictionary<string, long>?> ReadGenerationsAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            try
            {
                var list = await SendAsync("/resource_providers", sink, cancellationToken).ConfigureAwait(false);
                var generations = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
                foreach (var provider in list.Object["resource_providers"] as JArray ?? new JArray())
                {
                    var uuid = Json.Str(provider, "uuid");
                    var generation = Json.Long(provider, "generation");
                    if (uuid != null && generation != null)
                    {
                        generations[uuid] = generation.Value;
                    }
                }

                return generations;
            }
            catch (OpenStackMigrationException ex)
            {
                sink.Debug($"Placement's provider list failed ({ex.Message}); inventories are read again.");
                return null;
            }
        }

        /// <summary>
        /// A provider's inventories: the ones kept for the session when <paramref name="knownGeneration"/> is the
        /// generation they were read at, else read now (and kept).
        /// </summary>
        private async Task<JObject> GetInventoriesAsync(string providerUuid, IEngineSink sink, CancellationToken cancellationToken, long? knownGeneration)
        {
            var kept = _cache.Find(providerUuid);
            if (kept != null && knownGeneration == kept.Generation)
            {
                return kept.Inventories;
            }

            var inventories = (await SendAsync($"/resource_providers/{providerUuid}/inventories", sink, cancellationToken).ConfigureAwait(false)).Object;
            var generation = Json.Long(inventories, "resource_provider_generation");
            if (generation != null)
            {
                _cache.Keep(providerUuid, generation.Value, inventories);
            }

            return inventories;
        }

        /// <summary>Inventories joined with the bulk answer's use.</summary>
        private static IReadOnlyDictionary<string, ResourceCapacity> WithUsages(JObject inventories, IReadOnlyDictionary<string, BulkFigure> summary)
        {
            var usages = new JObject();
            foreach (var figure in summary)
            {
                usages[figure.Key] = figure.Value.Used;
            }

            return ParseCapacity(inventories, new JObject { ["usages"] = usages });
        }

        /// <summary>The inventory reads of one listing, made on first use of a figure and shared by a provider's classes.</summary>
        private sealed class InventoryReads
        {
            private readonly PlacementClient _client;
            private readonly ConcurrentDictionary<string, Lazy<Task<JObject>>> _reads = new ConcurrentDictionary<string, Lazy<Task<JObject>>>(StringComparer.OrdinalIgnoreCase);

            public InventoryReads(PlacementClient client) => _client = client;

            public IReadOnlyDictionary<string, ResourceCapacity> Lazy(string uuid, IReadOnlyDictionary<string, BulkFigure> summary)
            {
                var result = new Dictionary<string, ResourceCapacity>(StringComparer.Ordinal);
                foreach (var figure in summary)
                {
                    var resourceClass = figure.Key;
                    result[resourceClass] = new ResourceCapacity(resourceClass, figure.Value.Capacity, figure.Value.Used, () => Details(uuid, resourceClass), (sink, token) => ReadAsync(uuid, sink, token));
                }

                return result;
            }

            // A reader's read before its checks (ResourceCapacity.ReadDetailsAsync): on its sink, cancellable, one per
            // provider for all its classes.
            private async Task<JObject> ReadAsync(string uuid, IEngineSink sink, CancellationToken cancellationToken)
            {
                var read = _reads.GetOrAdd(uuid, u => new Lazy<Task<JObject>>(() => _client.GetInventoriesAsync(u, sink, cancellationToken, null)));
                try
                {
                    return await read.Value.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // A failed or cancelled read is not kept: the next use asks again.
                    _reads.TryRemove(uuid, out _);
                    throw;
                }
            }

            // Otherwise read on the pipeline thread when a property is first shown, after the command that listed has
            // ended: nothing to report to (its sink is gone) and nothing to cancel; the session's request timeout
            // bounds it. After a reader's read it takes that answer without waiting.
            private ResourceCapacity? Details(string uuid, string resourceClass)
            {
                var inventories = ReadAsync(uuid, NullSink.Instance, CancellationToken.None).ConfigureAwait(false).GetAwaiter().GetResult();
                return ParseCapacity(inventories, new JObject()).TryGetValue(resourceClass, out var figure) ? figure : null;
            }
        }

        /// <summary>
        /// Reads the inventory figures (max_unit, total, reserved, ratio) of <paramref name="figures"/> that are not
        /// read yet, a few providers at a time, so the pure checks that follow send nothing and the read can be
        /// cancelled; an API failure is thrown with what Placement said.
        /// </summary>
        public static async Task ReadInventoriesAsync(IEnumerable<ResourceCapacity?> figures, IEngineSink sink, CancellationToken cancellationToken)
        {
            var unread = figures.Where(f => f != null && !f.HasDetails).Distinct().ToList();
            if (unread.Count == 0)
            {
                return;
            }

            sink.Debug($"Reading the inventory figures of {unread.Count} resource(s) the checks look at (not in Placement's bulk answer).");
            await Throttled.ForEachAsync(unread, DefaultParallelism, figure => figure!.ReadDetailsAsync(sink, cancellationToken), cancellationToken).ConfigureAwait(false);
        }

        /// <summary>
        /// A resource provider's capacity per resource class (inventory joined with usage). Usages are read every
        /// time. Inventories are kept for the session with the provider generation they were read at: every
        /// inventory change bumps the generation, so while a provider's generation (from the provider list,
        /// <paramref name="knownGeneration"/>, or from the usages answer) is the one kept, its inventories are
        /// too, and only usages are asked for. (Deleting allocations does not bump it, so usages cannot be kept.)
        /// </summary>
        public async Task<IReadOnlyDictionary<string, ResourceCapacity>> GetCapacityAsync(string providerUuid, IEngineSink sink, CancellationToken cancellationToken, long? knownGeneration = null)
        {
            var kept = _cache.Find(providerUuid);
            Task<ApiResponse>? inventoriesTask = null;
            if (kept == null || (knownGeneration != null && knownGeneration != kept.Generation))
            {
                inventoriesTask = SendAsync($"/resource_providers/{providerUuid}/inventories", sink, cancellationToken);
            }

            JObject usages;
            try
            {
                usages = (await SendAsync($"/resource_providers/{providerUuid}/usages", sink, cancellationToken).ConfigureAwait(false)).Object;
            }
            catch
            {
                // The inventories asked for beside it are not left failing unobserved (a provider that is gone fails both).
                if (inventoriesTask != null)
                {
                    await inventoriesTask.SettledAsync().ConfigureAwait(false);
                }

                throw;
            }

            if (inventoriesTask == null && Json.Long(usages, "resource_provider_generation") != kept!.Generation)
            {
                // The provider changed since its inventories were kept: read them again.
                inventoriesTask = SendAsync($"/resource_providers/{providerUuid}/inventories", sink, cancellationToken);
            }

            JObject inventories;
            if (inventoriesTask != null)
            {
                inventories = (await inventoriesTask.ConfigureAwait(false)).Object;
                var generation = Json.Long(inventories, "resource_provider_generation");
                if (generation != null)
                {
                    _cache.Keep(providerUuid, generation.Value, inventories);
                }
            }
            else
            {
                inventories = kept!.Inventories;
            }

            return ParseCapacity(inventories, usages);
        }

        /// <summary>Joins a provider's inventories and usages answers.</summary>
        internal static IReadOnlyDictionary<string, ResourceCapacity> ParseCapacity(JObject inventoriesBody, JObject usagesBody)
        {
            var inventories = inventoriesBody["inventories"] as JObject ?? new JObject();
            var usages = usagesBody["usages"] as JObject ?? new JObject();
            var result = new Dictionary<string, ResourceCapacity>(StringComparer.Ordinal);
            foreach (var inventory in inventories.Properties())
            {
                var i = inventory.Value;
                var total = Json.Long(i, "total") ?? 0;
                result[inventory.Name] = new ResourceCapacity(
                    inventory.Name,
                    total,
                    Json.Long(i, "reserved") ?? 0,
                    Json.Double(i, "allocation_ratio") ?? 1.0,
                    Json.Long(usages, inventory.Name) ?? 0,
                    Json.Long(i, "max_unit") ?? total,
                    Json.Long(i, "min_unit") ?? 1,
                    Json.Long(i, "step_size") ?? 1);
            }

            return result;
        }

        private Task<ApiResponse> SendAsync(string path, IEngineSink sink, CancellationToken cancellationToken, Microversion? microversion = null)
        {
            return _session.SendAsync(
                new ServiceRequest("GET", path, "Placement")
                {
                    ServiceTypes = new[] { "placement" },
                    Microversion = microversion ?? new Microversion(1, 0),
                    MicroversionService = "placement",
                },
                sink,
                cancellationToken);
        }

        private static bool LooksLikeUuid(string id) => Guid.TryParse(id, out _);
    }

    /// <summary>A root resource provider as Placement lists it.</summary>
    public sealed class RootProvider
    {
        /// <summary>Creates an entry.</summary>
        public RootProvider(string uuid, string name, long? generation)
        {
            Uuid = uuid;
            Name = name;
            Generation = generation;
        }

        /// <summary>The provider's uuid (a compute node's provider has the node's uuid: the hypervisor id from compute 2.53).</summary>
        public string Uuid { get; }

        /// <summary>The provider's name (a compute node's is its hypervisor_hostname).</summary>
        public string Name { get; }

        /// <summary>The generation it was listed at.</summary>
        public long? Generation { get; }
    }

    /// <summary>Hypervisors are keyed by identity: two nodes never share a read.</summary>
    internal sealed class HypervisorReferenceComparer : IEqualityComparer<Hypervisor>
    {
        public static readonly HypervisorReferenceComparer Instance = new HypervisorReferenceComparer();

        public bool Equals(Hypervisor? x, Hypervisor? y) => ReferenceEquals(x, y);

        public int GetHashCode(Hypervisor obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }
}
