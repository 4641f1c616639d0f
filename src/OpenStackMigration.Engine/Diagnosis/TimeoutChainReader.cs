using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>Where the timeout-chain audit looks on each node.</summary>
    public sealed class TimeoutChainSources
    {
        /// <summary>haproxy's configuration file; a node without it has no haproxy.</summary>
        public string HAProxyPath { get; set; } = HAProxyEngine.DefaultPath;

        /// <summary>Keystone's configuration file; a node without it has no Keystone.</summary>
        public string KeystonePath { get; set; } = "/etc/keystone/keystone.conf";

        /// <summary>The files nova services read, instead of those learnt from their processes.</summary>
        public IReadOnlyList<string>? NovaConfigFiles { get; set; }

        /// <summary>The files cinder services read, instead of those learnt from their processes.</summary>
        public IReadOnlyList<string>? CinderConfigFiles { get; set; }
    }

    /// <summary>A node that could not be read at all (SSH, sudo...).</summary>
    public sealed class NodeReadFailure
    {
        internal NodeReadFailure(string computerName, OpenStackMigrationException error)
        {
            ComputerName = computerName;
            Error = error;
        }

        /// <summary>The node.</summary>
        public string ComputerName { get; }

        /// <summary>Why, with its stable id.</summary>
        public OpenStackMigrationException Error { get; }
    }

    /// <summary>Reads the timeout chain on every node: haproxy's proxies, nova's and cinder's effective values per service, Keystone's token lifetime.</summary>
    public static class TimeoutChainReader
    {
        private static readonly (int Port, string Api)[] Ports =
        {
            (5000, "keystone"), (35357, "keystone"), (8774, "nova"), (8776, "cinder"), (8778, "placement"), (9292, "glance"), (9696, "neutron"),
        };

        // Placement first: old deployments call it nova_placement. Nova's console and metadata proxies are not its API.
        private static readonly string[] Names = { "placement", "keystone", "glance", "neutron", "cinder", "nova" };
        private static readonly string[] NotNovaApi = { "novnc", "spice", "serial", "metadata" };

        /// <summary>Reads every node in parallel; a node that cannot be read goes to <paramref name="failures"/> and the others go on.</summary>
        public static async Task<TimeoutChainReadings> ReadAsync(NodePool pool, TimeoutChainSources sources, List<NodeReadFailure> failures, IEngineSink sink, CancellationToken cancellationToken)
        {
            var readings = new TimeoutChainReadings();
            readings.Nodes.AddRange(pool.Targets.Select(t => t.DisplayName));
            var perNode = new List<(int Order, TimeoutChainReadings Part)>();
            await pool.ForEachAsync(
                pool.Targets.Select((t, i) => (Target: t, Order: i)),
                async (item, ct) =>
                {
                    var node = pool.Session(item.Target);
                    var part = await ReadNodeAsync(node, item.Target.DisplayName, sources, sink, ct).ConfigureAwait(false);
                    return new[] { (item.Order, part, (NodeReadFailure?)null) };
                },
                (item, ex) => new[] { (item.Order, new TimeoutChainReadings(), (NodeReadFailure?)new NodeReadFailure(item.Target.DisplayName, ex)) },
                result =>
                {
                    lock (perNode)
                    {
                        perNode.Add((result.Item1, result.Item2));
                        if (result.Item3 != null) failures.Add(result.Item3);
                    }
                },
                cancellationToken).ConfigureAwait(false);

            // Node order as given, whatever order they answered in.
            foreach (var (_, part) in perNode.OrderBy(p => p.Order))
            {
                readings.Proxies.AddRange(part.Proxies);
                readings.NovaRpc.AddRange(part.NovaRpc);
                readings.NovaLongRpc.AddRange(part.NovaLongRpc);
                readings.CinderRpc.AddRange(part.CinderRpc);
                readings.ServiceUserToken.AddRange(part.ServiceUserToken);
                readings.TokenExpiration.AddRange(part.TokenExpiration);
            }

            return readings;
        }

        private static async Task<TimeoutChainReadings> ReadNodeAsync(INodeSession node, string name, TimeoutChainSources sources, IEngineSink sink, CancellationToken ct)
        {
            var part = new TimeoutChainReadings();
            var nova = OsloConfigReader.ReadAsync(node, "nova", sources.NovaConfigFiles, ct);
            var cinder = OsloConfigReader.ReadAsync(node, "cinder", sources.CinderConfigFiles, ct);
            var files = NodeFiles.ReadAsync(node, new[] { sources.HAProxyPath, sources.KeystonePath }, ct);
            await Task.WhenAll(nova, cinder, files).ConfigureAwait(false);

            foreach (var view in Configured(nova.Result))
            {
                part.NovaRpc.Add(OsloConfigReader.Evaluate(view, OsloServices.NovaRpcResponseTimeout, name));
                part.NovaLongRpc.Add(OsloConfigReader.Evaluate(view, OsloServices.NovaLongRpcTimeout, name));
                part.ServiceUserToken.Add(OsloConfigReader.Evaluate(view, OsloServices.NovaSendServiceUserToken, name));
            }

            foreach (var view in Configured(cinder.Result))
            {
                part.CinderRpc.Add(OsloConfigReader.Evaluate(view, OsloServices.CinderRpcResponseTimeout, name));
            }

            var haproxy = files.Result[0];
            if (haproxy.Error == null)
            {
                part.Proxies.AddRange(Proxies(HAProxyConfigDocument.Parse(haproxy.Content!, haproxy.Path), name));
            }
            else if (haproxy.Error.ErrorId == "OSConfigFileNotFound")
            {
                sink.Verbose($"{name}: {sources.HAProxyPath} does not exist; no haproxy here.");
            }
            else
            {
                throw haproxy.Error;
            }

            var keystone = files.Result[1];
            if (keystone.Error?.ErrorId == "OSConfigFileNotFound")
            {
                sink.Verbose($"{name}: {sources.KeystonePath} does not exist; no Keystone here.");
            }
            else
            {
                var view = new ServiceConfigView { Project = "keystone", Service = "keystone" };
                view.Files.Add(OsloConfigReader.Parse(keystone));
                part.TokenExpiration.Add(OsloConfigReader.Evaluate(view, OsloServices.KeystoneTokenExpiration, name));
            }

            return part;
        }

        /// <summary>The services that run, or whose default files exist: a node without nova has nothing to say about nova.</summary>
        private static IEnumerable<ServiceConfigView> Configured(IEnumerable<ServiceConfigView> views) =>
            views.Where(v => v.ProcessId != null || v.Files.Any(f => f.Document != null));

        /// <summary>Every listen section, and every frontend's backend, that fronts an OpenStack API.</summary>
        public static IEnumerable<HAProxyProxyReading> Proxies(HAProxyConfigDocument doc, string computerName)
        {
            foreach (var s in doc.Sections)
            {
                if (s.Kind == HAProxySectionKind.Listen)
                {
                    var api = Identify(new[] { s.Name }, s.Servers, s.Binds);
                    if (api != null) yield return Reading(doc, computerName, s.Label, s, s, api);
                }
                else if (s.Kind == HAProxySectionKind.Frontend)
                {
                    foreach (var backendName in s.Backends.Distinct(StringComparer.Ordinal))
                    {
                        var backend = doc.Sections.LastOrDefault(b => b.Kind == HAProxySectionKind.Backend && b.Name == backendName);
                        if (backend == null) continue;
                        var api = Identify(new[] { backend.Name, s.Name }, backend.Servers, s.Binds);
                        if (api != null) yield return Reading(doc, computerName, s.Label + " -> " + backend.Label, s, backend, api);
                    }
                }
            }
        }

        /// <summary>The API by the servers' port, else the bind port, else a name that contains it; null when none.</summary>
        internal static string? Identify(IEnumerable<string?> names, IEnumerable<string> servers, IEnumerable<string> binds)
        {
            foreach (var address in servers.Concat(binds))
            {
                int colon = address.LastIndexOf(':');
                if (colon >= 0 && int.TryParse(address.Substring(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                {
                    var known = Ports.FirstOrDefault(p => p.Port == port);
                    if (known.Api != null) return known.Api;
                }
            }

            foreach (var n in names.Where(n => n != null).Select(n => n!.ToLowerInvariant()))
            {
                var api = Names.FirstOrDefault(a => n.Contains(a));
                if (api == "nova" && NotNovaApi.Any(x => n.Contains(x))) continue;
                if (api != null) return api;
            }

            return null;
        }

        private static HAProxyProxyReading Reading(HAProxyConfigDocument doc, string computerName, string label, HAProxySection client, HAProxySection server, string api)
        {
            var sv = doc.TimeoutServer(server);
            var cv = doc.TimeoutClient(client);
            return new HAProxyProxyReading
            {
                ComputerName = computerName,
                Path = doc.Path,
                Proxy = label,
                ServerSection = server.Name ?? string.Empty,
                Api = api,
                ServerValue = sv.Raw,
                ServerMilliseconds = sv.Milliseconds,
                ServerSource = sv.Owner == null ? "unset" : $"{doc.Path}:{sv.LineNumber} ({sv.Owner.Label})",
                ClientValue = cv.Raw,
                ClientMilliseconds = cv.Milliseconds,
                ClientSource = cv.Owner == null ? "unset" : $"{doc.Path}:{cv.LineNumber} ({cv.Owner.Label})",
            };
        }
    }
}
