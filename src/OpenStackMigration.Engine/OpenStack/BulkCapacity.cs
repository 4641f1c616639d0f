using System;
using System.Collections.Generic;
using Newtonsoft.Json.Linq;

namespace OpenStackMigration.OpenStack
{
    /// <summary>One resource class of one provider in Placement's bulk answer: (total - reserved) x ratio, and what is used.</summary>
    public readonly struct BulkFigure
    {
        /// <summary>Creates a figure.</summary>
        public BulkFigure(long capacity, long used)
        {
            Capacity = capacity;
            Used = used;
        }

        /// <summary>(total - reserved) x allocation ratio, as Placement computes it.</summary>
        public long Capacity { get; }

        /// <summary>Allocated to consumers.</summary>
        public long Used { get; }
    }

    /// <summary>
    /// Capacity and use of the providers in allocation candidates' provider summaries (placement 1.27+: every
    /// resource class of each provider, not only those asked for). A provider with no free unit of the class asked
    /// for is not in it: <see cref="Find"/> is null for it, and it is read on its own.
    /// </summary>
    public sealed class BulkCapacity
    {
        private readonly Dictionary<string, IReadOnlyDictionary<string, BulkFigure>> _byProvider;

        private BulkCapacity(Dictionary<string, IReadOnlyDictionary<string, BulkFigure>> byProvider) => _byProvider = byProvider;

        /// <summary>How many providers the answer has.</summary>
        public int Count => _byProvider.Count;

        /// <summary>A provider's figures by resource class, or null when the answer does not have it.</summary>
        public IReadOnlyDictionary<string, BulkFigure>? Find(string providerUuid) => _byProvider.TryGetValue(providerUuid, out var f) ? f : null;

        /// <summary>Reads an allocation candidates answer.</summary>
        public static BulkCapacity Parse(JObject body)
        {
            var byProvider = new Dictionary<string, IReadOnlyDictionary<string, BulkFigure>>(StringComparer.OrdinalIgnoreCase);
            foreach (var provider in (body["provider_summaries"] as JObject ?? new JObject()).Properties())
            {
                var figures = new Dictionary<string, BulkFigure>(StringComparer.Ordinal);
                foreach (var resource in (provider.Value["resources"] as JObject ?? new JObject()).Properties())
                {
                    figures[resource.Name] = new BulkFigure(Json.Long(resource.Value, "capacity") ?? 0, Json.Long(resource.Value, "used") ?? 0);
                }

                byProvider[provider.Name] = figures;
            }

            return new BulkCapacity(byProvider);
        }
    }
}
