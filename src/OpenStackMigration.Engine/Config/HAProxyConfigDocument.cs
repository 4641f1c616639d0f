using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Config
{
    /// <summary>The kind of a haproxy.cfg section.</summary>
    public enum HAProxySectionKind
    {
        /// <summary>A section that holds no proxy (global, userlist, peers, resolvers...).</summary>
        Other,

        /// <summary>A defaults section (anonymous or named).</summary>
        Defaults,

        /// <summary>A frontend: <c>timeout server</c> is ignored there.</summary>
        Frontend,

        /// <summary>A backend.</summary>
        Backend,

        /// <summary>A listen section (frontend and backend in one).</summary>
        Listen,
    }

    /// <summary>One section of haproxy.cfg and what it says about <c>timeout server</c>.</summary>
    public sealed class HAProxySection
    {
        internal HAProxySection(HAProxySectionKind kind, string keyword, string? name, string? from, int headerLine)
        {
            Kind = kind;
            Keyword = keyword;
            Name = name;
            From = from;
            HeaderLine = headerLine;
        }

        /// <summary>The section kind.</summary>
        public HAProxySectionKind Kind { get; }

        /// <summary>The section keyword as written.</summary>
        public string Keyword { get; }

        /// <summary>The section's name (null for an anonymous defaults section or global).</summary>
        public string? Name { get; }

        /// <summary>The defaults section named by <c>from</c>, if any.</summary>
        public string? From { get; }

        /// <summary>Zero-based index of the header line.</summary>
        public int HeaderLine { get; }

        /// <summary>Zero-based index of the last line that is not blank or a comment.</summary>
        public int LastContentLine { get; internal set; }

        /// <summary>The <c>timeout server</c> lines of this section; the last one counts.</summary>
        internal List<(int Line, int Start, int Length)> TimeoutServer { get; } = new List<(int, int, int)>();

        /// <summary>The <c>timeout client</c> lines of this section; the last one counts.</summary>
        internal List<(int Line, int Start, int Length)> TimeoutClient { get; } = new List<(int, int, int)>();

        /// <summary>The addresses of its <c>server</c> lines (host:port), in file order.</summary>
        public List<string> Servers { get; } = new List<string>();

        /// <summary>The addresses of its <c>bind</c> lines, in file order.</summary>
        public List<string> Binds { get; } = new List<string>();

        /// <summary>The backends a frontend or listen section sends to (<c>default_backend</c>, <c>use_backend</c>).</summary>
        public List<string> Backends { get; } = new List<string>();

        /// <summary>The defaults section this proxy takes its defaults from (null for defaults without from, or none).</summary>
        public HAProxySection? Defaults { get; internal set; }

        /// <summary>A label such as <c>backend nova_api</c> or <c>defaults</c>.</summary>
        public string Label => Name is null ? Keyword : Keyword + " " + Name;
    }

    /// <summary>One section's <c>timeout server</c> changed by an edit.</summary>
    public sealed class HAProxyEdit
    {
        internal HAProxyEdit(HAProxySection section, string? oldValue, LineChange change)
        {
            Section = section;
            OldValue = oldValue;
            Change = change;
        }

        /// <summary>The section (as parsed before the edit).</summary>
        public HAProxySection Section { get; }

        /// <summary>The section's own value before, or null when it had none (a line was inserted).</summary>
        public string? OldValue { get; }

        /// <summary>The line changed or inserted.</summary>
        public LineChange Change { get; }
    }

    /// <summary>The <c>timeout server</c> a section ends up with.</summary>
    public sealed class HAProxyTimeoutValue
    {
        internal HAProxyTimeoutValue(HAProxySection section, HAProxySection? owner, string? raw, int lineNumber)
        {
            Section = section;
            Owner = owner;
            Raw = raw;
            LineNumber = lineNumber;
            if (raw != null && HAProxyTime.TryParse(raw, out long ms, out bool unit, out _))
            {
                Milliseconds = ms;
                HasUnit = unit;
            }
        }

        /// <summary>The section asked about.</summary>
        public HAProxySection Section { get; }

        /// <summary>The section whose line gives the value (the section itself, a defaults section, or null when unset).</summary>
        public HAProxySection? Owner { get; }

        /// <summary>The value as written, or null when no section sets it (haproxy then never times out).</summary>
        public string? Raw { get; }

        /// <summary>The value in milliseconds, or null when unset or invalid.</summary>
        public long? Milliseconds { get; }

        /// <summary>False for a bare number, which haproxy reads as milliseconds.</summary>
        public bool HasUnit { get; }

        /// <summary>One-based line number of the value, or 0.</summary>
        public int LineNumber { get; }

        /// <summary>True when the value comes from a defaults section rather than the proxy itself.</summary>
        public bool Inherited => Owner != null && Owner != Section;
    }

    /// <summary>
    /// haproxy.cfg held losslessly. It knows which sections count for <c>timeout server</c> (defaults, listen,
    /// backend; a frontend ignores it), that a proxy's own value beats its defaults section, and which defaults
    /// section a proxy uses (the one named by <c>from</c>, else the last one before it).
    /// </summary>
    public sealed class HAProxyConfigDocument
    {
        private static readonly Dictionary<string, HAProxySectionKind> Keywords = new Dictionary<string, HAProxySectionKind>(StringComparer.Ordinal)
        {
            ["global"] = HAProxySectionKind.Other,
            ["defaults"] = HAProxySectionKind.Defaults,
            ["frontend"] = HAProxySectionKind.Frontend,
            ["backend"] = HAProxySectionKind.Backend,
            ["listen"] = HAProxySectionKind.Listen,
            ["userlist"] = HAProxySectionKind.Other,
            ["peers"] = HAProxySectionKind.Other,
            ["resolvers"] = HAProxySectionKind.Other,
            ["mailers"] = HAProxySectionKind.Other,
            ["program"] = HAProxySectionKind.Other,
            ["http-errors"] = HAProxySectionKind.Other,
            ["ring"] = HAProxySectionKind.Other,
            ["cache"] = HAProxySectionKind.Other,
        };

        private readonly List<ConfigLine> _lines;
        private List<HAProxySection> _sections;

        private HAProxyConfigDocument(string path, List<ConfigLine> lines)
        {
            Path = path;
            _lines = lines;
            _sections = ParseSections(lines);
        }

        /// <summary>The file this document came from.</summary>
        public string Path { get; }

        /// <summary>Every section in file order.</summary>
        public IReadOnlyList<HAProxySection> Sections => _sections;

        /// <summary>Parses file bytes (a byte order mark or invalid UTF-8 is refused).</summary>
        public static HAProxyConfigDocument Parse(byte[] content, string path) => Parse(ConfigText.Decode(content, path), path);

        /// <summary>Parses text.</summary>
        public static HAProxyConfigDocument Parse(string text, string path) => new HAProxyConfigDocument(path, ConfigText.Split(text));

        /// <summary>The document as text.</summary>
        public override string ToString() => ConfigText.Join(_lines);

        /// <summary>The <c>timeout server</c> that governs a section: its own last line, else its defaults section's.</summary>
        public HAProxyTimeoutValue TimeoutServer(HAProxySection section) => Timeout(section, s => s.TimeoutServer, HAProxySectionKind.Frontend);

        /// <summary>
        /// The <c>timeout client</c> that governs a section: its own last line, else its defaults section's. A backend
        /// ignores it (the frontend's value counts), so a backend only ever gets its own line, as for a frontend's server timeout.
        /// </summary>
        public HAProxyTimeoutValue TimeoutClient(HAProxySection section) => Timeout(section, s => s.TimeoutClient, HAProxySectionKind.Backend);

        private HAProxyTimeoutValue Timeout(HAProxySection section, Func<HAProxySection, List<(int Line, int Start, int Length)>> lines, HAProxySectionKind ignoredIn)
        {
            for (var s = section; s != null; s = s.Defaults)
            {
                var own = lines(s);
                if (own.Count > 0 && (s == section || section.Kind != ignoredIn))
                {
                    var (line, start, length) = own[own.Count - 1];
                    return new HAProxyTimeoutValue(section, s, _lines[line].Text.Substring(start, length), line + 1);
                }
            }

            return new HAProxyTimeoutValue(section, null, null, 0);
        }

        /// <summary>The sections that set <c>timeout server</c> themselves (frontends included, though they ignore it).</summary>
        public IEnumerable<HAProxySection> SectionsSettingTimeoutServer() => _sections.Where(s => s.TimeoutServer.Count > 0);

        /// <summary>
        /// Sets <c>timeout server</c> to <paramref name="seconds"/> (written with an explicit unit). Without a proxy
        /// name, every defaults section and every listen/backend that overrides it (or has no defaults section) is
        /// set, so every proxy ends up with the new value. With a name, only that section. Returns the changed lines.
        /// </summary>
        /// <param name="seconds">The new value.</param>
        /// <param name="proxy">Only this section; null: every defaults section and overriding proxy.</param>
        /// <param name="raiseOnly">Leave a section whose value is already at least <paramref name="seconds"/> (a 6 h image-upload proxy stays 6 h).</param>
        public IReadOnlyList<HAProxyEdit> SetTimeoutServer(int seconds, string? proxy = null, bool raiseOnly = false)
        {
            string value = HAProxyTime.FromSeconds(seconds);
            long ms = seconds * 1000L;
            IEnumerable<HAProxySection> targets;
            if (proxy != null)
            {
                var named = _sections.Where(s => s.Name == proxy && s.Kind != HAProxySectionKind.Other).ToList();
                if (named.Count == 0)
                {
                    throw new OpenStackMigrationException("OSHAProxyProxyNotFound", FailureKind.NotFound,
                        $"'{Path}' has no defaults, listen or backend section named '{proxy}'.") { Target = Path };
                }

                if (named.All(s => s.Kind == HAProxySectionKind.Frontend))
                {
                    throw new OpenStackMigrationException("OSHAProxyFrontendIgnoresTimeoutServer", FailureKind.InvalidArgument,
                        $"'{proxy}' in '{Path}' is a frontend, and haproxy ignores 'timeout server' in a frontend. Name its backend instead.")
                    { Target = Path };
                }

                targets = named.Where(s => s.Kind != HAProxySectionKind.Frontend);
            }
            else
            {
                targets = _sections.Where(s => s.Kind == HAProxySectionKind.Defaults
                    || ((s.Kind == HAProxySectionKind.Backend || s.Kind == HAProxySectionKind.Listen)
                        && (s.TimeoutServer.Count > 0 || s.Defaults == null)));
            }

            var changes = new List<HAProxyEdit>();

            // Edit from the bottom up so earlier line numbers stay valid while we insert.
            foreach (var s in targets.OrderByDescending(t => t.HeaderLine).ToList())
            {
                if (s.TimeoutServer.Count > 0)
                {
                    var (line, start, length) = s.TimeoutServer[s.TimeoutServer.Count - 1];
                    string old = _lines[line].Text;
                    string raw = old.Substring(start, length);
                    if (HAProxyTime.TryParse(raw, out long oldMs, out bool hasUnit, out string? trailing) && trailing == null && ((oldMs == ms && hasUnit) || (raiseOnly && oldMs > ms)))
                    {
                        continue;
                    }

                    string updated = old.Substring(0, start) + value + old.Substring(start + length);
                    _lines[line].Text = updated;
                    changes.Add(new HAProxyEdit(s, raw, new LineChange(line + 1, old, updated)));
                }
                else
                {
                    int after = s.LastContentLine;
                    string indent = Indentation(after == s.HeaderLine ? null : _lines[after].Text);
                    string text = indent + "timeout server " + value;
                    ConfigText.InsertAfter(_lines, after, text);
                    changes.Add(new HAProxyEdit(s, null, new LineChange(after + 1, null, text)));
                }
            }

            changes.Reverse();
            _sections = ParseSections(_lines);
            return changes;
        }

        private static string Indentation(string? line)
        {
            if (line == null) return "    ";
            int i = 0;
            while (i < line.Length && (line[i] == ' ' || line[i] == '\t')) i++;
            return i == 0 ? "    " : line.Substring(0, i);
        }

        /// <summary>Splits a line into haproxy words with their columns; stops at an unquoted '#'.</summary>
        internal static List<(string Word, int Start, int Length)> Words(string line)
        {
            var words = new List<(string, int, int)>();
            int i = 0;
            while (i < line.Length)
            {
                while (i < line.Length && (line[i] == ' ' || line[i] == '\t')) i++;
                if (i >= line.Length || line[i] == '#') break;
                int start = i;
                char quote = '\0';
                var word = new System.Text.StringBuilder();
                for (; i < line.Length; i++)
                {
                    char c = line[i];
                    if (quote != '\0')
                    {
                        if (c == quote) quote = '\0'; else word.Append(c);
                    }
                    else if (c == '"' || c == '\'') quote = c;
                    else if (c == '\\' && i + 1 < line.Length) word.Append(line[++i]);
                    else if (c == ' ' || c == '\t' || c == '#') break;
                    else word.Append(c);
                }

                words.Add((word.ToString(), start, i - start));
            }

            return words;
        }

        private static List<HAProxySection> ParseSections(List<ConfigLine> lines)
        {
            var sections = new List<HAProxySection>();
            HAProxySection? current = null;
            HAProxySection? lastDefaults = null;
            for (int i = 0; i < lines.Count; i++)
            {
                var words = Words(lines[i].Text);
                if (words.Count == 0) continue;
                if (Keywords.TryGetValue(words[0].Word, out var kind))
                {
                    string? name = words.Count > 1 && words[1].Word != "from" ? words[1].Word : null;
                    int fromAt = words.FindIndex(w => w.Word == "from");
                    string? from = fromAt > 0 && fromAt + 1 < words.Count ? words[fromAt + 1].Word : null;
                    current = new HAProxySection(kind, words[0].Word, kind == HAProxySectionKind.Other && words[0].Word == "global" ? null : name, from, i)
                    {
                        LastContentLine = i,
                    };
                    if (from != null)
                    {
                        current.Defaults = sections.LastOrDefault(s => s.Kind == HAProxySectionKind.Defaults && s.Name == from);
                    }
                    else if (kind != HAProxySectionKind.Defaults && kind != HAProxySectionKind.Other)
                    {
                        current.Defaults = lastDefaults;
                    }

                    if (kind == HAProxySectionKind.Defaults) lastDefaults = current;
                    sections.Add(current);
                    continue;
                }

                if (current == null) continue;
                current.LastContentLine = i;
                if (words.Count >= 3 && words[0].Word == "timeout" && words[1].Word == "server")
                {
                    current.TimeoutServer.Add((i, words[2].Start, words[2].Length));
                }
                else if (words.Count >= 3 && words[0].Word == "timeout" && words[1].Word == "client")
                {
                    current.TimeoutClient.Add((i, words[2].Start, words[2].Length));
                }
                else if (words.Count >= 3 && words[0].Word == "server")
                {
                    current.Servers.Add(words[2].Word);
                }
                else if (words.Count >= 2 && words[0].Word == "bind")
                {
                    current.Binds.Add(words[1].Word);
                }
                else if (words.Count >= 2 && (words[0].Word == "default_backend" || words[0].Word == "use_backend"))
                {
                    current.Backends.Add(words[1].Word);
                }
            }

            return sections;
        }
    }
}
