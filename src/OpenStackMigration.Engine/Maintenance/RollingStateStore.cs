using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// The state file of a rolling maintenance: JSON, written whole beside itself and renamed over it (as the drain's),
    /// so a process that dies leaves the last complete state.
    /// </summary>
    public static class RollingStateStore
    {
        /// <summary>
        /// The default path, the same for the same cloud and hosts whatever their order or how they were named, so the same
        /// command line finds it again: OpenStackMigration/maintenance/&lt;cloud&gt;-rolling-&lt;hash of the hosts&gt;.json
        /// beside the drains' state files.
        /// </summary>
        public static string DefaultPath(string cloudName, IEnumerable<string> hosts)
        {
            var key = string.Join("\n", hosts.OrderBy(h => h, StringComparer.Ordinal));
            using var sha = SHA256.Create();
            var hash = string.Concat(sha.ComputeHash(Encoding.UTF8.GetBytes(key)).Take(5).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            var drain = MaintenanceStateStore.DefaultPath(cloudName, "x");
            return Path.Combine(Path.GetDirectoryName(drain) ?? ".", Path.GetFileName(drain).Substring(0, Path.GetFileName(drain).Length - "x.json".Length) + "rolling-" + hash + ".json");
        }

        /// <summary>The state in the file, or null when there is none.</summary>
        public static RollingRunState? Load(string path) =>
            MaintenanceStateStore.LoadJson<RollingRunState>(path, "rolling maintenance", "Move the file aside (each host's drain state file and Nova still say where every instance is) or pass another -StatePath.");

        /// <summary>Writes the state atomically (temporary file, then rename).</summary>
        public static void Save(string path, RollingRunState state) => MaintenanceStateStore.SaveJson(path, state, "rolling maintenance");
    }
}
