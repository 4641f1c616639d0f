using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;

namespace OpenStackMigration.Nodes
{
    /// <summary>Searches nova and cinder logs on nodes for instance ids, request ids or any fixed text.</summary>
    public static class LogSearch
    {
        private static readonly Regex Header = new Regex(
            @"^(?<ts>\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?) (?<pid>\d+) (?<level>[A-Z]+) (?<logger>\S+) (?<rest>.*)$", RegexOptions.Compiled);

        private static readonly Regex RequestId = new Regex(@"req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", RegexOptions.Compiled);

        private static readonly Regex Instance = new Regex(@"\[instance: (?<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\]", RegexOptions.Compiled);

        /// <summary>The log files of a project on Debian/Ubuntu/RDO packages and on Kolla nodes.</summary>
        public static IEnumerable<string> DefaultPaths(string project) =>
            new[] { $"/var/log/{project}/*.log", $"/var/log/kolla/{project}/*.log" };

        /// <summary>
        /// Finds lines that contain any of <paramref name="terms"/> (fixed strings) in the files matching
        /// <paramref name="paths"/> (shell globs). Rotated files (.log.1, .log.N.gz) are searched too when asked.
        /// </summary>
        public static async Task<IReadOnlyList<OSLogEntry>> SearchAsync(INodeSession node, IReadOnlyList<string> paths, IReadOnlyList<string> terms,
            bool includeRotated, int maxPerFile, CancellationToken cancellationToken)
        {
            if (terms.Count == 0)
            {
                throw new OpenStackMigrationException("OSLogSearchNoTerm", FailureKind.InvalidArgument, "Give at least one id or text to search for.");
            }

            var s = new StringBuilder("LC_ALL=C; export LC_ALL\n");
            string e = string.Join(" ", terms.Select(t => "-e " + NodeFiles.Quote(t)));
            string m = maxPerFile > 0 ? " -m " + maxPerFile.ToString(CultureInfo.InvariantCulture) : string.Empty;
            s.Append("osm_grep() { for f in \"$@\"; do [ -f \"$f\" ] && [ -r \"$f\" ] || continue; case \"$f\" in *.gz) zcat -- \"$f\" | grep -F -n").Append(m).Append(' ').Append(e)
             .Append(" | F=\"$f\" awk '{print ENVIRON[\"F\"] \"\\037\" $0}' ;; *) grep -F -n").Append(m).Append(' ').Append(e).Append(" -- \"$f\" | F=\"$f\" awk '{print ENVIRON[\"F\"] \"\\037\" $0}' ;; esac; done; }\n");
            foreach (var p in paths)
            {
                // The glob is left unquoted on purpose: the node's shell expands it.
                string glob = GlobSafe(p);
                s.Append("osm_grep ").Append(glob);
                if (includeRotated) s.Append(' ').Append(glob).Append(".[0-9]* ");
                s.Append('\n');
            }

            var r = await node.RunScriptAsync(s.ToString(), cancellationToken).ConfigureAwait(false);
            var entries = new List<OSLogEntry>();
            foreach (var line in r.StdOut.Split('\n'))
            {
                int sep = line.IndexOf('\x1f');
                if (sep < 0) continue;
                int colon = line.IndexOf(':', sep + 1);
                if (colon < 0 || !int.TryParse(line.Substring(sep + 1, colon - sep - 1), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) continue;
                entries.Add(Parse(node.ComputerName, line.Substring(0, sep), n, line.Substring(colon + 1).TrimEnd('\r')));
            }

            return entries;
        }

        /// <summary>Parses an oslo.log line (time, pid, level, logger, [request context], [instance: id] message).</summary>
        public static OSLogEntry Parse(string computerName, string path, int lineNumber, string text)
        {
            var entry = new OSLogEntry { ComputerName = computerName, Path = path, LineNumber = lineNumber, Line = text, Message = text };
            var h = Header.Match(text);
            if (h.Success)
            {
                if (DateTime.TryParse(h.Groups["ts"].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out var ts)) entry.Timestamp = ts;
                entry.ProcessId = int.Parse(h.Groups["pid"].Value, CultureInfo.InvariantCulture);
                entry.Level = h.Groups["level"].Value;
                entry.Logger = h.Groups["logger"].Value;
                string rest = h.Groups["rest"].Value;
                if (rest.StartsWith("[", StringComparison.Ordinal) && rest.IndexOf("] ", StringComparison.Ordinal) is int close && close > 0)
                {
                    rest = rest.Substring(close + 2);
                }

                entry.Message = Instance.Replace(rest, string.Empty, 1).TrimStart();
            }

            var req = RequestId.Match(text);
            if (req.Success) entry.RequestId = req.Value;
            var inst = Instance.Match(text);
            if (inst.Success) entry.InstanceId = inst.Groups["id"].Value;
            return entry;
        }

        private static string GlobSafe(string path)
        {
            // Quote everything but the glob characters so spaces and quotes in a path cannot break the script.
            var sb = new StringBuilder();
            foreach (char c in path)
            {
                sb.Append(c == '*' || c == '?' || c == '[' || c == ']' ? c.ToString() : NodeFiles.Quote(c.ToString()));
            }

            return sb.ToString();
        }
    }
}
