using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.OpenStack
{
    /// <summary>What to list servers by.</summary>
    public sealed class ServerQuery
    {
        /// <summary>Every project's servers (admin).</summary>
        public bool AllProjects { get; set; }

        /// <summary>Only those on this compute host (admin).</summary>
        public string? Host { get; set; }

        /// <summary>A regular expression on the name, applied by Nova.</summary>
        public string? NameRegex { get; set; }

        /// <summary>Only this status (ACTIVE, ERROR...).</summary>
        public string? Status { get; set; }

        /// <summary>Only this project's servers.</summary>
        public string? ProjectId { get; set; }

        /// <summary>Servers per page.</summary>
        public int PageSize { get; set; } = 1000;
    }

    public sealed partial class NovaClient
    {
        /// <summary>Embedded flavor figures in server bodies.</summary>
        internal static readonly Microversion EmbeddedFlavorVersion = new Microversion(2, 47);

        /// <summary>
        /// The microversion server listings are asked at (or the session's, if lower): the newest whose detailed list does
        /// not load every instance's system metadata. From 2.73 Nova joins it for locked_reason, which a listing does
        /// not show, and that made each page about 40% slower (403 instances, one page, curl, medians of 7: 0.92 s at
        /// 2.72 and at 2.1, 1.31 s at 2.73, 1.34 s at 2.93). 2.72 keeps what a listing reads: the embedded flavor
        /// (2.47), locked (2.9), the extended attributes. One server (<see cref="GetServerAsync"/>) is read at the
        /// session's.
        /// </summary>
        internal static readonly Microversion ServerListVersion = new Microversion(2, 72);

        /// <summary>Servers in the first page: small, so the first instance comes out while Nova still builds the next pages.</summary>
        internal const int FirstPageSize = 100;

        /// <summary>
        /// Lists servers page by page (limit/marker), handing each page over as it arrives. The first page is small
        /// (<see cref="FirstPageSize"/>): the first instance comes out in the time Nova takes for a hundred. Each next
        /// page is asked for as soon as a page's last id is known, before its instances are read and handed over,
        /// so Nova builds a page while the previous one is consumed.
        /// </summary>
        public async Task ListServersAsync(ServerQuery query, Action<IReadOnlyList<Instance>> onPage, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = At(ServerListVersion);
            var flavors = new Dictionary<string, FlavorInfo>(StringComparer.Ordinal);
            var pages = 0;

            // While instances are being created, Nova pages over build requests and cell records that change
            // underneath (an instance leaves its build request for its cell): a page can repeat one already handed
            // over. Each is handed over once.
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var repeated = 0;
            // A page asked for ahead is cancelled when the listing stops early (a failure, or the consumer stopped).
            using var ahead = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<ApiResponse>? next = SendAsync("GET", ServersPath(query, Math.Min(FirstPageSize, query.PageSize), null), version, sink, ahead.Token);
            try
            {
                while (next != null)
                {
                    var response = await next.ConfigureAwait(false);
                    next = null;
                    var servers = response.Object["servers"] as JArray ?? new JArray();

                    // Nova gives a "next" link while more pages remain.
                    var hasNext = (response.Object["servers_links"] as JArray)?.Any(l => Json.Str(l, "rel") == "next") == true;
                    var last = servers.Count > 0 ? Json.Str(servers[servers.Count - 1], "id") : null;
                    if (hasNext && last != null)
                    {
                        next = SendAsync("GET", ServersPath(query, query.PageSize, last), version, sink, ahead.Token);
                    }

                    var page = new List<Instance>(servers.Count);
                    foreach (var s in servers)
                    {
                        var instance = await ParseInstanceAsync(s, flavors, sink, cancellationToken).ConfigureAwait(false);
                        if (seen.Add(instance.Id))
                        {
                            page.Add(instance);
                        }
                        else
                        {
                            repeated++;
                        }
                    }

                    pages++;
                    sink.Verbose($"Servers page {pages}: {page.Count} servers{(repeated > 0 ? $" ({repeated} repeated by Nova's paging so far, each handed over once)" : string.Empty)}.");
                    onPage(page);
                }
            }
            finally
            {
                if (next != null)
                {
                    // Stopped early: the page asked for ahead is cancelled and outlives nothing.
                    ahead.Cancel();
                    await next.SettledAsync().ConfigureAwait(false);
                }
            }
        }

        private static string ServersPath(ServerQuery query, int limit, string? marker)
        {
            var parameters = new List<string> { "limit=" + limit };
            if (query.AllProjects)
            {
                parameters.Add("all_tenants=1");
            }

            if (query.Host != null)
            {
                parameters.Add("host=" + Uri.EscapeDataString(query.Host));
            }

            if (query.NameRegex != null)
            {
                parameters.Add("name=" + Uri.EscapeDataString(query.NameRegex));
            }

            if (query.Status != null)
            {
                parameters.Add("status=" + Uri.EscapeDataString(query.Status));
            }

            if (query.ProjectId != null)
            {
                parameters.Add("project_id=" + Uri.EscapeDataString(query.ProjectId));
            }

            if (marker != null)
            {
                parameters.Add("marker=" + Uri.EscapeDataString(marker));
            }

            return "/servers/detail?" + string.Join("&", parameters);
        }

        /// <summary>One server by id; a NotFound error names the id.</summary>
        public async Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken)
        {
            var response = await SendAsync("GET", "/servers/" + Uri.EscapeDataString(id), _session.ComputeMicroversion, sink, cancellationToken, accept: 404).ConfigureAwait(false);
            if (response.Status == 404)
            {
                throw new OpenStackMigrationException("OSInstanceNotFound", FailureKind.NotFound, $"No instance with id '{id}' (Nova: {ApiConnection.ServiceMessageOf(response.Body) ?? "not found"}).") { Target = id };
            }

            return await ParseInstanceAsync(response.Object["server"] ?? new JObject(), new Dictionary<string, FlavorInfo>(), sink, cancellationToken).ConfigureAwait(false);
        }

        internal async Task<Instance> ParseInstanceAsync(JToken s, Dictionary<string, FlavorInfo> flavorCache, IEngineSink sink, CancellationToken cancellationToken)
        {
            var instance = ParseInstance(s);
            if (instance.Flavor.Id != null && instance.Flavor.Vcpus == 0)
            {
                // Before 2.47 a server names its flavor only by id.
                if (!flavorCache.TryGetValue(instance.Flavor.Id, out var flavor))
                {
                    var response = await SendAsync("GET", "/flavors/" + Uri.EscapeDataString(instance.Flavor.Id), new Microversion(2, 1), sink, cancellationToken, accept: 404).ConfigureAwait(false);
                    flavor = response.Status == 404 ? instance.Flavor : ParseFlavor(response.Object["flavor"], null);
                    flavorCache[instance.Flavor.Id] = flavor;
                }

                instance.Flavor = flavor;
            }

            return instance;
        }

        internal static Instance ParseInstance(JToken s)
        {
            var statusText = Json.Str(s, "status") ?? string.Empty;
            var imageToken = s["image"];

            // A volume-backed server shows "image": "" (an empty string), not null.
            var imageId = imageToken is JObject image ? Json.Str(image, "id") : null;
            var volumes = (s["os-extended-volumes:volumes_attached"] as JArray ?? new JArray())
                .Select(v => new AttachedVolume
                {
                    VolumeId = Json.Str(v, "id") ?? string.Empty,
                    DeleteOnTermination = v["delete_on_termination"]?.Type == JTokenType.Boolean ? (bool)v["delete_on_termination"]! : (bool?)null,
                })
                .ToList();
            return new Instance
            {
                Id = Json.Str(s, "id") ?? string.Empty,
                Name = Json.Str(s, "name") ?? string.Empty,
                StatusText = statusText,
                Status = ParseServerStatus(statusText),
                TaskState = Json.Str(s, "OS-EXT-STS:task_state"),
                VmState = Json.Str(s, "OS-EXT-STS:vm_state"),
                PowerState = (PowerState)(int)(Json.Long(s, "OS-EXT-STS:power_state") ?? 0),
                HostName = Json.Str(s, "OS-EXT-SRV-ATTR:host"),
                HypervisorHostname = Json.Str(s, "OS-EXT-SRV-ATTR:hypervisor_hostname"),
                InstanceName = Json.Str(s, "OS-EXT-SRV-ATTR:instance_name"),
                AvailabilityZone = Json.Str(s, "OS-EXT-AZ:availability_zone"),
                ProjectId = Json.Str(s, "tenant_id"),
                UserId = Json.Str(s, "user_id"),
                Flavor = ParseFlavor(s["flavor"], Json.Str(s["flavor"], "id")),
                ImageId = imageId,
                IsVolumeBacked = imageId == null,
                Volumes = volumes,
                ServerGroups = (s["server_groups"] as JArray ?? new JArray()).Select(g => (string?)g ?? string.Empty).ToList(),
                Locked = Json.Bool(s, "locked"),
                Created = Json.Time(s, "created"),
                Updated = Json.Time(s, "updated"),
                Fault = Json.Str(s["fault"], "message"),
            };
        }

        internal static FlavorInfo ParseFlavor(JToken? f, string? id)
        {
            var extra = new Dictionary<string, string>(StringComparer.Ordinal);
            if (f?["extra_specs"] is JObject specs)
            {
                foreach (var p in specs.Properties())
                {
                    extra[p.Name] = p.Value.ToString();
                }
            }

            return new FlavorInfo
            {
                Id = id ?? Json.Str(f, "id"),
                Name = Json.Str(f, "original_name") ?? Json.Str(f, "name") ?? id ?? string.Empty,
                Vcpus = Json.Int(f, "vcpus"),
                RamMB = Json.Int(f, "ram"),
                DiskGB = Json.Int(f, "disk"),
                EphemeralGB = Json.Int(f, "ephemeral") + Json.Int(f, "OS-FLV-EXT-DATA:ephemeral"),
                SwapMB = Json.Int(f, "swap"),
                ExtraSpecs = extra,
            };
        }

        internal static ServerStatus ParseServerStatus(string status)
        {
            var key = status.Replace("_", string.Empty);
            return Enum.TryParse<ServerStatus>(key, ignoreCase: true, out var parsed) ? parsed : ServerStatus.Unknown;
        }
    }
}
