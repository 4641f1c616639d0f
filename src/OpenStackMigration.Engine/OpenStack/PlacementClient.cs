using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

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

        /// <summary>Creates a client over a session.</summary>
        public PlacementClient(CloudSession session)
        {
            _session = session;
        }

        /// <summary>Fills in Vcpu, MemoryMB and DiskGB of each hypervisor from its resource provider.</summary>
        public async Task FillCapacityAsync(IReadOnlyList<Hypervisor> hypervisors, int parallelism, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (hypervisors.Count == 0)
            {
                return;
            }

            // Before compute 2.53 hypervisor ids are integers; the provider is then found by node name.
            Dictionary<string, string>? uuidByName = null;
            if (hypervisors.Any(h => !LooksLikeUuid(h.Id)))
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

                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var capacity = await GetCapacityAsync(uuid!, sink, cancellationToken).ConfigureAwait(false);
                    capacity.TryGetValue("VCPU", out var vcpu);
                    capacity.TryGetValue("MEMORY_MB", out var memory);
                    capacity.TryGetValue("DISK_GB", out var disk);
                    h.Vcpu = vcpu;
                    h.MemoryMB = memory;
                    h.DiskGB = disk;
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
        }

        /// <summary>A resource provider's capacity per resource class (inventory joined with usage).</summary>
        public async Task<IReadOnlyDictionary<string, ResourceCapacity>> GetCapacityAsync(string providerUuid, IEngineSink sink, CancellationToken cancellationToken)
        {
            var inventoriesTask = SendAsync($"/resource_providers/{providerUuid}/inventories", sink, cancellationToken);
            var usagesTask = SendAsync($"/resource_providers/{providerUuid}/usages", sink, cancellationToken);
            var inventories = (await inventoriesTask.ConfigureAwait(false)).Object;
            var usages = (await usagesTask.ConfigureAwait(false)).Object;
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

        private Task<ApiResponse> SendAsync(string path, IEngineSink sink, CancellationToken cancellationToken)
        {
            return _session.SendAsync(
                new ServiceRequest("GET", path, "Placement")
                {
                    ServiceTypes = new[] { "placement" },
                    Microversion = new Microversion(1, 0),
                    MicroversionService = "placement",
                },
                sink,
                cancellationToken);
        }

        private static bool LooksLikeUuid(string id) => Guid.TryParse(id, out _);
    }
}
