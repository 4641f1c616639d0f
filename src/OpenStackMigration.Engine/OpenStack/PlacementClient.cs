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
    /// Placement: the one place capacity is right on every compute microversion. Inventories
    /// and usages are per resource provider, so many hosts mean many requests: they go in
    /// parallel under a bound so a 500-node cloud is read quickly without flooding the API.
    /// </summary>
    public sealed class PlacementClient
    {
        /// <summary>How many Placement requests may be in flight at once by default.</summary>
        public const int DefaultParallelism = 8;

        private readonly CloudSession _session;
        private readonly PlacementCache _cache;

        /// <summary>Creates a client over a session; every client of the same session shares its <see cref="PlacementCache"/>.</summary>
        public PlacementClient(CloudSession session)
        {
            _session = session;
            _cache = PlacementCache.For(session);
        }

        /// <summary>
        /// Starts reading the capacity of every root resource provider whose name matches
        /// <paramref name="namePatterns"/> (all when none), before Nova has said which hypervisors there are:
        /// a compute node's provider is named after the node and has its id, so the Placement requests can run
        /// while Nova is still answering. Hand the result to <see cref="FillCapacityAsync"/>; providers it
        /// did not read are read then. Failures here are not reported (the regular path reports them).
        /// </summary>
        public CapacityPrefetch StartPrefetch(IReadOnlyCollection<string>? namePatterns, int parallelism, IEngineSink sink, CancellationToken cancellationToken)
        {
            var prefetch = new CapacityPrefetch(Math.Max(1, parallelism), cancellationToken);
            prefetch.Listing = PrefetchAsync(prefetch, namePatterns, sink);
            return prefetch;
        }

        private async Task PrefetchAsync(CapacityPrefetch prefetch, IReadOnlyCollection<string>? namePatterns, IEngineSink sink)
        {
            ApiResponse list;
            try
            {
                // 1.14 is the first version that says which providers are roots (compute nodes are).
                list = await SendAsync("/resource_providers", sink, prefetch.Token, new Microversion(1, 14)).ConfigureAwait(false);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException))
            {
                sink.Debug($"Placement prefetch skipped: {ex.Message}");
                return;
            }

            foreach (var provider in list.Object["resource_providers"] as JArray ?? new JArray())
            {
                var uuid = Json.Str(provider, "uuid");
                var generation = Json.Long(provider, "generation");
                var name = Json.Str(provider, "name") ?? string.Empty;
                if (uuid == null || Json.Str(provider, "parent_provider_uuid") != null || !Wildcard.MatchesAny(namePatterns, name))
                {
                    continue;
                }

                prefetch.Add(uuid, name, async () =>
                {
                    await prefetch.Gate.WaitAsync(prefetch.Token).ConfigureAwait(false);
                    try
                    {
                        return await GetCapacityAsync(uuid, sink, prefetch.Token, generation).ConfigureAwait(false);
                    }
                    finally
                    {
                        prefetch.Gate.Release();
                    }
                });
            }
        }

        /// <summary>Fills in Vcpu, MemoryMB and DiskGB of each hypervisor from its resource provider.</summary>
        public async Task FillCapacityAsync(IReadOnlyList<Hypervisor> hypervisors, int parallelism, IEngineSink sink, CancellationToken cancellationToken, CapacityPrefetch? prefetch = null)
        {
            var capacity = await ReadCapacityAsync(hypervisors, parallelism, sink, cancellationToken, prefetch).ConfigureAwait(false);
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
        /// changed. One whose provider Placement does not have is left out (with a warning).
        /// </summary>
        public async Task<IReadOnlyDictionary<Hypervisor, IReadOnlyDictionary<string, ResourceCapacity>>> ReadCapacityAsync(IReadOnlyList<Hypervisor> hypervisors, int parallelism, IEngineSink sink, CancellationToken cancellationToken, CapacityPrefetch? prefetch = null)
        {
            var read = new ConcurrentDictionary<Hypervisor, IReadOnlyDictionary<string, ResourceCapacity>>(HypervisorReferenceComparer.Instance);
            if (hypervisors.Count == 0)
            {
                return read;
            }

            if (prefetch != null)
            {
                await prefetch.Listing.ConfigureAwait(false);
            }

            // Before compute 2.53 hypervisor ids are integers; the provider is then found by node name.
            // The providers read ahead are named after nodes; one matched only by its host name needs the full list.
            Dictionary<string, string>? uuidByName = null;
            if (hypervisors.Any(h => !LooksLikeUuid(h.Id)))
            {
                uuidByName = prefetch?.UuidByName();
            }

            bool needList = uuidByName != null
                ? hypervisors.Any(h => !uuidByName.ContainsKey(h.Name))
                : hypervisors.Any(h => !LooksLikeUuid(h.Id));
            if (needList)
            {
                var all = await SendAsync("/resource_providers", sink, cancellationToken).ConfigureAwait(false);
                uuidByName = (all.Object["resource_providers"] as JArray ?? new JArray())
                    .GroupBy(p => Json.Str(p, "name") ?? string.Empty, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => Json.Str(g.First(), "uuid") ?? string.Empty, StringComparer.Ordinal);
            }

            using var gate = new SemaphoreSlim(Math.Max(1, parallelism));
            var done = 0;
            var tasks = hypervisors.Select(async h =>
            {
                var uuid = uuidByName == null ? h.Id : (uuidByName.TryGetValue(h.Name, out var u) ? u : null);
                if (string.IsNullOrEmpty(uuid))
                {
                    sink.Warning($"Placement has no resource provider named '{h.Name}'; its capacity is unknown.");
                    return;
                }

                var started = prefetch?.Find(uuid!);
                if (started == null)
                {
                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                try
                {
                    read[h] = started != null
                        ? await started.ConfigureAwait(false)
                        : await GetCapacityAsync(uuid!, sink, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    if (started == null)
                    {
                        gate.Release();
                    }
                }

                var n = Interlocked.Increment(ref done);
                if (hypervisors.Count > 20 && (n % 25 == 0 || n == hypervisors.Count))
                {
                    sink.Progress(new ProgressReport("placement", "Reading capacity from Placement", $"{n} of {hypervisors.Count} hosts") { PercentComplete = 100 * n / hypervisors.Count, Completed = n == hypervisors.Count });
                }
            });
            await Task.WhenAll(tasks).ConfigureAwait(false);
            return read;
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

            var usages = (await SendAsync($"/resource_providers/{providerUuid}/usages", sink, cancellationToken).ConfigureAwait(false)).Object;
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

    /// <summary>Hypervisors are keyed by identity: two nodes never share a read.</summary>
    internal sealed class HypervisorReferenceComparer : IEqualityComparer<Hypervisor>
    {
        public static readonly HypervisorReferenceComparer Instance = new HypervisorReferenceComparer();

        public bool Equals(Hypervisor? x, Hypervisor? y) => ReferenceEquals(x, y);

        public int GetHashCode(Hypervisor obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }

    /// <summary>Capacity reads started before Nova answered (see <see cref="PlacementClient.StartPrefetch"/>).</summary>
    public sealed class CapacityPrefetch : IDisposable
    {
        private readonly Dictionary<string, (string Name, Task<IReadOnlyDictionary<string, ResourceCapacity>> Read)> _started =
            new Dictionary<string, (string, Task<IReadOnlyDictionary<string, ResourceCapacity>>)>(StringComparer.OrdinalIgnoreCase);

        private readonly CancellationTokenSource _cancel;

        internal CapacityPrefetch(int parallelism, CancellationToken cancellationToken)
        {
            Gate = new SemaphoreSlim(parallelism, parallelism);
            _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }

        internal SemaphoreSlim Gate { get; }

        internal CancellationToken Token => _cancel.Token;

        internal Task Listing { get; set; } = Task.CompletedTask;

        internal void Add(string uuid, string name, Func<Task<IReadOnlyDictionary<string, ResourceCapacity>>> read)
        {
            lock (_started) _started[uuid] = (name, Task.Run(read));
        }

        internal Task<IReadOnlyDictionary<string, ResourceCapacity>>? Find(string uuid)
        {
            lock (_started) return _started.TryGetValue(uuid, out var s) ? s.Read : null;
        }

        internal Dictionary<string, string> UuidByName()
        {
            lock (_started)
            {
                return _started.GroupBy(kv => kv.Value.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);
            }
        }

        /// <summary>Stops the reads nobody asked for and waits for them to end, so no request outlives the command.</summary>
        public async Task StopAsync()
        {
            _cancel.Cancel();
            Task[] all;
            lock (_started) all = _started.Values.Select(v => (Task)v.Read).Append(Listing).ToArray();
            try
            {
                await Task.WhenAll(all).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled or failed reads of providers no hypervisor needed: nothing to report.
            }
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            _cancel.Dispose();
            Gate.Dispose();
        }
    }
}
