using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace OpenStackMigration.OpenStack
{
    /// <summary>The one Glance call the planner needs: an image's properties (hw_tpm_version, hw_mem_encryption...), which Nova's server JSON does not carry.</summary>
    public sealed class GlanceClient
    {
        private static readonly string[] ImageServiceTypes = { "image" };

        // Glance's own fields; everything else on an image is a property someone set.
        private static readonly HashSet<string> CoreFields = new HashSet<string>(StringComparer.Ordinal)
        {
            "id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size",
            "min_ram", "min_disk", "container_format", "disk_format", "created_at", "updated_at", "tags", "self", "file", "schema",
            "direct_url", "locations", "os_hidden", "stores",
        };

        private readonly CloudSession _session;

        /// <summary>Creates a client over a session.</summary>
        public GlanceClient(CloudSession session)
        {
            _session = session;
        }

        /// <summary>True when the catalog offers an image endpoint.</summary>
        public bool IsAvailable => _session.Catalog.Any(e => ImageServiceTypes.Contains(e.ServiceType));

        /// <summary>The image's properties as strings; null when the image no longer exists (its instances keep running).</summary>
        public async Task<IReadOnlyDictionary<string, string>?> GetImagePropertiesAsync(string imageId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var response = await _session.SendAsync(
                new ServiceRequest("GET", "/v2/images/" + Uri.EscapeDataString(imageId), "Glance") { ServiceTypes = ImageServiceTypes, AcceptStatuses = new[] { 404 } },
                sink,
                cancellationToken).ConfigureAwait(false);
            return response.Status == 404 ? null : ParseProperties(response.Object);
        }

        internal static IReadOnlyDictionary<string, string> ParseProperties(JObject image)
        {
            var properties = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in image.Properties().Where(p => !CoreFields.Contains(p.Name) && p.Value.Type != JTokenType.Null))
            {
                properties[p.Name] = p.Value.Type == JTokenType.String ? (string)p.Value! : p.Value.ToString(Newtonsoft.Json.Formatting.None);
            }

            return properties;
        }
    }
}
