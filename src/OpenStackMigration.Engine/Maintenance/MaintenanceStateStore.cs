using System;
using System.IO;
using System.Linq;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// The state file of a host maintenance: JSON, written whole to a temporary file beside it and renamed over it,
    /// so a crash leaves either the old or the new state, never half of one.
    /// </summary>
    public static class MaintenanceStateStore
    {
        private static readonly JsonSerializerSettings Settings = new JsonSerializerSettings
        {
            Formatting = Formatting.Indented,
            Converters = { new StringEnumConverter() },
            DateParseHandling = DateParseHandling.DateTimeOffset,
            NullValueHandling = NullValueHandling.Ignore,
        };

        /// <summary>
        /// The default path: OpenStackMigration/maintenance/&lt;cloud&gt;-&lt;host&gt;.json under the user's local
        /// application data (~/.local/share on Linux, %LOCALAPPDATA% on Windows).
        /// </summary>
        public static string DefaultPath(string cloudName, string hostName)
        {
            var root = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            if (string.IsNullOrEmpty(root))
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            }

            return Path.Combine(root, "OpenStackMigration", "maintenance", Safe(cloudName) + "-" + Safe(hostName) + ".json");
        }

        /// <summary>The state in the file, or null when there is no file.</summary>
        public static HostMaintenanceReport? Load(string path) =>
            LoadJson<HostMaintenanceReport>(path, "maintenance", "Move the file aside (Nova is asked for the real state anyway) or pass another -StatePath.");

        /// <summary>Writes the state atomically (temporary file, then rename).</summary>
        public static void Save(string path, HostMaintenanceReport state) => SaveJson(path, state, "maintenance");

        /// <summary>The default path of a host's evacuation state: OpenStackMigration/maintenance/&lt;cloud&gt;-&lt;host&gt;-evacuation.json, beside the drains'.</summary>
        public static string DefaultEvacuationPath(string cloudName, string hostName) =>
            Path.Combine(Path.GetDirectoryName(DefaultPath(cloudName, hostName)) ?? ".", Safe(cloudName) + "-" + Safe(hostName) + "-evacuation.json");

        /// <summary>The evacuation state in the file, or null when there is no file.</summary>
        public static HostEvacuationReport? LoadEvacuation(string path) =>
            LoadJson<HostEvacuationReport>(path, "evacuation", "Move the file aside (Nova is asked for the real state anyway) or pass another -StatePath.");

        /// <summary>Writes the evacuation state atomically (temporary file, then rename).</summary>
        public static void SaveEvacuation(string path, HostEvacuationReport state) => SaveJson(path, state, "evacuation");

        /// <summary>A state file's content (a drain's or a rolling run's), or null when there is no file.</summary>
        internal static T? LoadJson<T>(string path, string what, string recommendedAction)
            where T : class
        {
            if (!File.Exists(path))
            {
                return null;
            }

            try
            {
                return JsonConvert.DeserializeObject<T>(File.ReadAllText(path, Encoding.UTF8), Settings)
                    ?? throw new JsonException("The file is empty.");
            }
            catch (Exception e) when (e is JsonException || e is IOException || e is UnauthorizedAccessException)
            {
                throw new OpenStackMigrationException("OSMaintenanceStateUnreadable", FailureKind.Configuration, $"The {what} state file '{path}' cannot be read: {e.Message}", e)
                {
                    Target = path,
                    RecommendedAction = recommendedAction,
                };
            }
        }

        /// <summary>Writes a state file atomically (temporary file, then rename), so a crash leaves the old or the new state.</summary>
        internal static void SaveJson<T>(string path, T state, string what)
        {
            try
            {
                var folder = Path.GetDirectoryName(Path.GetFullPath(path));
                if (!string.IsNullOrEmpty(folder))
                {
                    Directory.CreateDirectory(folder);
                }

                var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8);
                File.WriteAllText(temporary, JsonConvert.SerializeObject(state, Settings), new UTF8Encoding(false));
                if (File.Exists(path))
                {
                    File.Replace(temporary, path, null);
                }
                else
                {
                    File.Move(temporary, path);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new OpenStackMigrationException("OSMaintenanceStateUnwritable", FailureKind.Configuration, $"The {what} state file '{path}' cannot be written: {e.Message}", e) { Target = path };
            }
        }

        /// <summary>Renames the state file aside (…-ended-&lt;time&gt;.json) so the next maintenance of the host starts afresh; returns the new path.</summary>
        public static string? Archive(string path)
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var stem = Path.Combine(Path.GetDirectoryName(path) ?? ".", Path.GetFileNameWithoutExtension(path) + "-ended-" + DateTimeOffset.UtcNow.ToString("yyyyMMddTHHmmssZ", System.Globalization.CultureInfo.InvariantCulture));
            var archived = stem + ".json";
            // Two maintenances of one host can end within a second (a rolling run's retry, a test): keep both records.
            for (int n = 2; File.Exists(archived); n++)
            {
                archived = stem + "-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".json";
            }

            File.Move(path, archived);
            return archived;
        }

        private static string Safe(string name) => new string(name.Select(c => char.IsLetterOrDigit(c) || c == '-' || c == '_' || c == '.' ? c : '_').ToArray());
    }
}
