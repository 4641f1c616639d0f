using System;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Newtonsoft.Json.Linq;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// What the Placement clients of one session keep between commands: each provider's inventories with the
    /// provider generation they were read at (see <see cref="PlacementClient.GetCapacityAsync"/>). There is one per
    /// session, made on first use and gone with the session, so the session itself knows nothing of Placement.
    /// </summary>
    internal sealed class PlacementCache
    {
        private static readonly ConditionalWeakTable<CloudSession, PlacementCache> BySession = new ConditionalWeakTable<CloudSession, PlacementCache>();

        private readonly ConcurrentDictionary<string, KeptInventories> _inventories = new ConcurrentDictionary<string, KeptInventories>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The cache of a session.</summary>
        public static PlacementCache For(CloudSession session) => BySession.GetValue(session, _ => new PlacementCache());

        /// <summary>A provider's inventories as last read, or null.</summary>
        public KeptInventories? Find(string providerUuid) => _inventories.TryGetValue(providerUuid, out var kept) ? kept : null;

        /// <summary>Keeps a provider's inventories with the generation they were read at.</summary>
        public void Keep(string providerUuid, long generation, JObject inventories) => _inventories[providerUuid] = new KeptInventories(generation, inventories);
    }

    /// <summary>A provider's inventories as read, with the provider generation they were read at.</summary>
    internal sealed class KeptInventories
    {
        public KeptInventories(long generation, JObject inventories)
        {
            Generation = generation;
            Inventories = inventories;
        }

        public long Generation { get; }

        public JObject Inventories { get; }
    }
}
