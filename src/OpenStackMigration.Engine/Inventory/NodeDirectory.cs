using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Inventory
{
    /// <summary>
    /// Which compute host each node belongs to, without Nova's hypervisor list when nothing changed. Nova's list is
    /// its slowest read at scale (it looks up the service of every node: about 1.2 s at 500 nodes), and state and
    /// room need only the services (host, up or down, enabled) and Placement (each compute node's provider has the
    /// node's uuid and name). What is missing is the node-to-host link: it is kept between processes (a private
    /// file per cloud, <see cref="PrivateFiles"/>) and read from Nova again whenever it may have changed: a root
    /// provider it does not know, a nova-compute service added, removed, gone up or down, or forced down (nodes
    /// move between hosts only then, as Ironic's do), or after <see cref="MaxAge"/>.
    /// </summary>
    public sealed class NodeDirectory
    {
        /// <summary>A kept map older than this is read again.</summary>
        public static readonly TimeSpan MaxAge = TimeSpan.FromHours(1);

        /// <summary>The first compute microversion whose hypervisor id is the node's uuid (its provider's).</summary>
        internal static readonly Microversion UuidVersion = new Microversion(2, 53);

        private readonly CloudSession _session;
        private readonly NovaClient _nova;
        private readonly Func<DateTimeOffset> _now;
        private readonly string _folder;

        /// <summary>Creates the directory of a session's cloud, its map kept in <paramref name="folder"/> (default <see cref="Folder"/>).</summary>
        public NodeDirectory(CloudSession session, string? folder = null, Func<DateTimeOffset>? now = null)
        {
            _session = session;
            _nova = new NovaClient(session);
            _folder = folder ?? Folder();
            _now = now ?? (() => DateTimeOffset.UtcNow);
        }

        /// <summary>The folder maps are kept in (OSM_NODE_CACHE_DIR overrides it).</summary>
        public static string Folder() => PrivateFiles.UserFolder("nodes", "OSM_NODE_CACHE_DIR", preferRuntime: false);

        /// <summary>Whether this session can list nodes without Nova's hypervisor list (compute 2.53+).</summary>
        public bool CanSkipNova => _session.ComputeMicroversion >= UuidVersion;

        /// <summary>
        /// The nodes pre-flight checks and plans judge: from the kept map with each node's hypervisor type and version
        /// as Nova listed them (<see cref="ReadNodesAsync"/>) where this session can (compute 2.53+), else Nova's list.
        /// <paramref name="services"/> is the caller's own read, which it awaits too. A check that names hosts reads
        /// their nodes from Nova again (MigrationTargetReader), so what moves an instance never rests on the map.
        /// </summary>
        public Task<IReadOnlyList<Hypervisor>> ReadNodesForChecksAsync(Task<IReadOnlyList<ComputeService>> services, PlacementClient placement, IEngineSink sink, CancellationToken cancellationToken) =>
            CanSkipNova
                ? ReadNodesAsync(services, placement.ListRootProvidersAsync(sink, cancellationToken), sink, cancellationToken, withTypeAndVersion: true)
                : _nova.ListHypervisorsAsync(sink, cancellationToken);

        /// <summary>
        /// Every node, with state and status from its host's nova-compute service (no capacity, no hypervisor type,
        /// version, IP or instance count: those are Nova's list's). From the kept map when it still holds, else from
        /// Nova's list (whose nodes are then returned in full) and the map is kept again. With
        /// <paramref name="withTypeAndVersion"/> the nodes from the map carry the hypervisor type and version as Nova
        /// listed them when the map was made (<see cref="Hypervisor.TypeAndVersionListedAt"/>); a map that lacks them is
        /// read again.
        /// </summary>
        public async Task<IReadOnlyList<Hypervisor>> ReadNodesAsync(Task<IReadOnlyList<ComputeService>> services, Task<IReadOnlyList<RootProvider>> providers, IEngineSink sink, CancellationToken cancellationToken, bool withTypeAndVersion = false)
        {
            var path = Path.Combine(_folder, PrivateFiles.Sha256Hex(_session.EndpointFor("compute")) + ".json");
            IReadOnlyList<ComputeService> serviceList;
            try
            {
                serviceList = await services.ConfigureAwait(false);
            }
            catch
            {
                // No request outlives the command: Placement's read is let finish before Nova's failure is reported.
                await providers.SettledAsync().ConfigureAwait(false);
                throw;
            }

            var computes = serviceList.Where(s => s.Binary == "nova-compute").ToList();
            var roots = await providers.ConfigureAwait(false);
            var signature = Signature(computes);
            NodeMap? kept;
            try
            {
                kept = NodeMap.Parse(PrivateFiles.Read(path));
            }
            catch (Exception e)
            {
                sink.Debug($"The node map could not be read ({e.GetType().Name}).");
                kept = null;
            }

            var why = kept == null ? "no node map kept" : kept.WhyStale(signature, roots.Select(p => p.Uuid), _now(), MaxAge);
            if (why == null && withTypeAndVersion && kept!.Hosts.Any(pair => pair.Value != null && !kept.Kinds.ContainsKey(pair.Key)))
            {
                why = "the node map does not hold the hypervisor types and versions";
            }

            if (why == null)
            {
                sink.Verbose($"Nodes from the kept node map ({kept!.Hosts.Count} nodes; made {kept.Made:u}): Nova's hypervisor list not read.");
                var byHost = computes.GroupBy(s => s.HostName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
                return roots.Where(p => kept.Hosts.TryGetValue(p.Uuid, out var host) && host != null)
                    .Select(p => Node(p, kept.Hosts[p.Uuid]!, byHost, withTypeAndVersion ? kept : null))
                    .ToList();
            }

            sink.Verbose($"Reading Nova's hypervisor list ({why}).");
            var nodes = await _nova.ListHypervisorsAsync(sink, cancellationToken).ConfigureAwait(false);
            var map = new NodeMap(_now(), signature);
            foreach (var provider in roots)
            {
                // Providers that are not compute nodes (sharing providers) are known too, so they do not count as new.
                map.Hosts[provider.Uuid] = null;
            }

            foreach (var node in nodes)
            {
                map.Hosts[node.Id] = node.HostName;
                map.Kinds[node.Id] = new NodeKind(node.HypervisorType, node.HypervisorVersion);
            }

            try
            {
                PrivateFiles.Write(path, map.ToJson(), sink);
            }
            catch (Exception e)
            {
                // Only the next listing's speed depends on it.
                sink.Debug($"The node map could not be kept ({e.GetType().Name}).");
            }

            return nodes;
        }

        private static Hypervisor Node(RootProvider provider, string host, IReadOnlyDictionary<string, ComputeService> byHost, NodeMap? kinds)
        {
            byHost.TryGetValue(host, out var service);
            var node = new Hypervisor
            {
                Id = provider.Uuid,
                Name = provider.Name,
                HostName = host,
                State = service == null ? ServiceState.Unknown : service.ForcedDown ? ServiceState.Down : service.State,
                Status = service?.Status ?? ServiceStatus.Unknown,
                DisabledReason = service?.DisabledReason,
            };
            if (kinds != null)
            {
                var kind = kinds.Kinds[provider.Uuid];
                node.HypervisorType = kind.Type;
                node.HypervisorVersion = kind.Version;
                node.TypeAndVersionListedAt = kinds.Made;
            }

            return node;
        }

        /// <summary>A node's hypervisor type and version as Nova listed them.</summary>
        internal sealed class NodeKind
        {
            public NodeKind(string? type, long? version)
            {
                Type = type;
                Version = version;
            }

            public string? Type { get; }

            public long? Version { get; }
        }

        /// <summary>The nova-compute services as far as nodes follow them: host, up or down, forced down.</summary>
        private static string Signature(IEnumerable<ComputeService> computes) =>
            string.Join("\n", computes.Select(s => $"{s.HostName}|{s.State}|{s.ForcedDown}").OrderBy(s => s, StringComparer.Ordinal));

        /// <summary>The kept link of every root provider to its compute host (null: not a compute node).</summary>
        internal sealed class NodeMap
        {
            public NodeMap(DateTimeOffset made, string signature)
            {
                Made = made;
                Signature = signature;
            }

            public DateTimeOffset Made { get; }

            public string Signature { get; }

            public Dictionary<string, string?> Hosts { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

            /// <summary>Each compute node's hypervisor type and version when the map was made (none in a map kept by an older version).</summary>
            public Dictionary<string, NodeKind> Kinds { get; } = new Dictionary<string, NodeKind>(StringComparer.OrdinalIgnoreCase);

            public static NodeMap? Parse(string? text)
            {
                if (string.IsNullOrEmpty(text))
                {
                    return null;
                }

                try
                {
                    // Dates as text, read back as written: no time-zone conversion on the way.
                    using var reader = new Newtonsoft.Json.JsonTextReader(new StringReader(text!)) { DateParseHandling = Newtonsoft.Json.DateParseHandling.None };
                    var o = JObject.Load(reader);
                    if (!DateTimeOffset.TryParse((string?)o["made"], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var made))
                    {
                        return null;
                    }

                    var map = new NodeMap(made, (string?)o["services"] ?? string.Empty);
                    foreach (var p in (o["nodes"] as JObject ?? new JObject()).Properties())
                    {
                        map.Hosts[p.Name] = p.Value.Type == JTokenType.String ? (string?)p.Value : null;
                    }

                    foreach (var p in (o["kinds"] as JObject ?? new JObject()).Properties())
                    {
                        map.Kinds[p.Name] = new NodeKind(Json.Str(p.Value, "type"), Json.Long(p.Value, "version"));
                    }

                    return map;
                }
                catch (Exception)
                {
                    // A kept map that cannot be read is no map: Nova's list is read and the map written again.
                    return null;
                }
            }

            /// <summary>Why the map no longer holds, or null when it does.</summary>
            public string? WhyStale(string signature, IEnumerable<string> providers, DateTimeOffset now, TimeSpan maxAge)
            {
                if (now - Made > maxAge || Made > now)
                {
                    return $"the node map is from {Made:u}";
                }

                if (!string.Equals(Signature, signature, StringComparison.Ordinal))
                {
                    return "the nova-compute services changed since the node map was made";
                }

                var listed = new HashSet<string>(providers, StringComparer.OrdinalIgnoreCase);
                var unknown = listed.FirstOrDefault(p => !Hosts.ContainsKey(p));
                if (unknown != null)
                {
                    return $"Placement has a provider the node map does not know ({unknown})";
                }

                // A node gone from Placement (removed, or another Placement answers): the map would list nodes silently
                // missing, so Nova says what is there.
                var gone = Hosts.FirstOrDefault(pair => pair.Value != null && !listed.Contains(pair.Key)).Key;
                return gone == null ? null : $"a node of the node map has no provider in Placement ({gone})";
            }

            public string ToJson()
            {
                var nodes = new JObject();
                foreach (var pair in Hosts)
                {
                    nodes[pair.Key] = pair.Value;
                }

                var kinds = new JObject();
                foreach (var pair in Kinds)
                {
                    kinds[pair.Key] = new JObject { ["type"] = pair.Value.Type, ["version"] = pair.Value.Version };
                }

                return new JObject { ["made"] = Made.ToString("o", System.Globalization.CultureInfo.InvariantCulture), ["services"] = Signature, ["nodes"] = nodes, ["kinds"] = kinds }.ToString(Newtonsoft.Json.Formatting.None);
            }
        }
    }
}
