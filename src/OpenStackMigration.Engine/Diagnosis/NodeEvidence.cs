using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>Reads a migration's log lines and the effective timeouts on the given nodes (in parallel, read only).</summary>
    public sealed class NodeEvidence : INodeEvidence
    {
        private readonly NodePool _pool;
        private readonly IReadOnlyList<string> _logPaths;
        private readonly string _haproxyPath;

        /// <summary>Creates the reader.</summary>
        /// <param name="pool">The nodes.</param>
        /// <param name="logPaths">Log files (shell globs); null: nova's, cinder's and haproxy's usual places.</param>
        /// <param name="haproxyPath">haproxy.cfg on the load balancers.</param>
        public NodeEvidence(NodePool pool, IReadOnlyList<string>? logPaths, string haproxyPath)
        {
            _pool = pool;
            _logPaths = logPaths ?? DefaultLogPaths;
            _haproxyPath = haproxyPath;
        }

        /// <summary>Where nova, cinder and haproxy log on Debian/Ubuntu/RDO and Kolla nodes.</summary>
        public static IReadOnlyList<string> DefaultLogPaths { get; } =
            LogSearch.DefaultPaths("nova").Concat(LogSearch.DefaultPaths("cinder")).Concat(new[] { "/var/log/haproxy.log", "/var/log/kolla/haproxy/haproxy.log" }).ToList();

        /// <inheritdoc/>
        public async Task<(IReadOnlyList<OSLogEntry> Lines, IReadOnlyList<string> Unread)> FindLogLinesAsync(IReadOnlyList<string> terms, DateTimeOffset from, DateTimeOffset to, IEngineSink sink, CancellationToken cancellationToken)
        {
            var lines = new ConcurrentBag<OSLogEntry>();
            var unread = new ConcurrentBag<string>();
            await _pool.ForEachAsync(
                _pool.Targets,
                async (target, ct) =>
                {
                    var node = _pool.Session(target);
                    var found = await LogSearch.SearchAsync(node, _logPaths, terms, includeRotated: false, maxPerFile: 5000, ct).ConfigureAwait(false);
                    sink.Verbose($"{node.ComputerName}: {found.Count} log line(s) mention the migration.");
                    return found;
                },
                (target, ex) =>
                {
                    unread.Add($"{target.DisplayName}: {ex.Message}");
                    return Array.Empty<OSLogEntry>();
                },
                lines.Add,
                cancellationToken).ConfigureAwait(false);
            var within = lines.Where(l => !l.Timestamp.HasValue || InWindow(l.Timestamp.Value, from, to))
                .OrderBy(l => l.Timestamp ?? DateTime.MaxValue).ThenBy(l => l.ComputerName, StringComparer.Ordinal).ThenBy(l => l.LineNumber)
                .ToList();
            return (within, unread.ToList());
        }

        /// <inheritdoc/>
        public async Task<IReadOnlyList<OSConfigSetting>> ReadSettingsAsync(IReadOnlyList<string> haproxyProxies, IEngineSink sink, CancellationToken cancellationToken)
        {
            var settings = new ConcurrentBag<OSConfigSetting>();
            // 'host' too: it tells which nova-compute serves which compute host.
            await OsloConfigEngine.GetAsync(_pool, "nova", OsloServices.RpcOptions("nova").Concat(new[] { OsloServices.NovaHost }).ToList(), null, s =>
            {
                if (s.Error == null)
                {
                    settings.Add(s);
                }
            }, sink, cancellationToken).ConfigureAwait(false);
            foreach (var proxy in haproxyProxies)
            {
                await HAProxyEngine.GetAsync(_pool, _haproxyPath, proxy, t =>
                {
                    if (t.Error == null)
                    {
                        settings.Add(new OSConfigSetting
                        {
                            ComputerName = t.ComputerName,
                            Service = "haproxy " + t.SectionType + " " + t.Proxy,
                            Setting = "timeout server",
                            Value = t.Value,
                            Seconds = t.Seconds.HasValue ? (long?)Math.Round(t.Seconds.Value) : null,
                            Source = t.Inherited ? "inherited from " + t.DefinedIn : "set in " + t.Proxy,
                            Path = t.Path,
                            LineNumber = t.LineNumber,
                        });
                    }
                }, sink, cancellationToken).ConfigureAwait(false);
            }

            return settings.OrderBy(s => s.ComputerName, StringComparer.Ordinal).ThenBy(s => s.Service, StringComparer.Ordinal).ToList();
        }

        // oslo.log writes local time without an offset; the nodes are assumed to log in the time zone the timestamp was parsed in.
        private static bool InWindow(DateTime stamp, DateTimeOffset from, DateTimeOffset to)
        {
            var utc = stamp.Kind == DateTimeKind.Utc ? stamp : stamp.ToUniversalTime();
            return utc >= from.UtcDateTime && utc <= to.UtcDateTime;
        }
    }
}
