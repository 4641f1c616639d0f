using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Config
{
    /// <summary>One assignment as oslo.config reads it.</summary>
    public sealed class OsloEntry
    {
        internal OsloEntry(string section, string key, string value, int firstLine, int lastLine, int valueStart)
        {
            Section = section;
            Key = key;
            Value = value;
            FirstLine = firstLine;
            LastLine = lastLine;
            ValueStart = valueStart;
        }

        /// <summary>The section exactly as written between the brackets.</summary>
        public string Section { get; }

        /// <summary>The key (case-sensitive; <c>-</c> is not <c>_</c>).</summary>
        public string Key { get; }

        /// <summary>The value oslo.config sees: trimmed, one pair of quotes removed, continuation lines joined with "\n".</summary>
        public string Value { get; }

        /// <summary>Zero-based index of the line holding the key.</summary>
        public int FirstLine { get; }

        /// <summary>Zero-based index of the last continuation line (same as <see cref="FirstLine"/> when none).</summary>
        public int LastLine { get; }

        /// <summary>Column where the raw value starts on the key line.</summary>
        internal int ValueStart { get; }

        /// <summary>One-based line number, as editors and oslo.config's errors count.</summary>
        public int LineNumber => FirstLine + 1;
    }

    /// <summary>A line changed by an edit, for -WhatIf and for the result objects.</summary>
    public sealed class LineChange
    {
        /// <summary>Creates a change record.</summary>
        public LineChange(int lineNumber, string? oldText, string? newText)
        {
            LineNumber = lineNumber;
            OldText = oldText;
            NewText = newText;
        }

        /// <summary>One-based line number in the file before the edit; for an insertion, the line it goes after (0 = top).</summary>
        public int LineNumber { get; }

        /// <summary>The line before (null for an inserted line).</summary>
        public string? OldText { get; }

        /// <summary>The line after (null for a removed line).</summary>
        public string? NewText { get; }

        /// <inheritdoc/>
        public override string ToString() =>
            OldText is null ? $"after line {LineNumber}: + {NewText}"
            : NewText is null ? $"line {LineNumber}: - {OldText}"
            : $"line {LineNumber}: {OldText} -> {NewText}";
    }

    /// <summary>
    /// An oslo.config INI file held losslessly: every byte of every line is kept, and an edit touches only the
    /// lines it must. Parsing follows oslo.config 9.0's iniparser exactly, including its surprises
    /// (comments only at column 0, indented lines continue a value, only <c>[DEFAULT]</c> is the default section).
    /// </summary>
    public sealed class OsloIniDocument
    {
        /// <summary>The default section's name; <c>[default]</c> is a different section.</summary>
        public const string DefaultSection = "DEFAULT";

        private readonly List<ConfigLine> _lines;
        private List<OsloEntry> _entries;

        private OsloIniDocument(string path, List<ConfigLine> lines)
        {
            Path = path;
            _lines = lines;
            _entries = ParseEntries(path, lines);
        }

        /// <summary>The file this document came from (for messages).</summary>
        public string Path { get; }

        /// <summary>Every assignment in file order.</summary>
        public IReadOnlyList<OsloEntry> Entries => _entries;

        /// <summary>The lines as they are now.</summary>
        public IReadOnlyList<ConfigLine> Lines => _lines;

        /// <summary>Parses file bytes; throws <see cref="OpenStackMigrationException"/> (OSConfigParseError) where oslo.config would fail.</summary>
        public static OsloIniDocument Parse(byte[] content, string path) => Parse(ConfigText.Decode(content, path), path);

        /// <summary>Parses text; throws where oslo.config would fail.</summary>
        public static OsloIniDocument Parse(string text, string path) => new OsloIniDocument(path, ConfigText.Split(text));

        /// <summary>The document as text, byte for byte as read except for edited lines.</summary>
        public override string ToString() => ConfigText.Join(_lines);

        /// <summary>The winning (last) assignment of <paramref name="key"/> in <paramref name="section"/>, or null.</summary>
        public OsloEntry? Find(string section, string key) =>
            _entries.LastOrDefault(e => e.Section == section && e.Key == key);

        /// <summary>Every assignment of the key in the section (more than one means all but the last are ignored).</summary>
        public IEnumerable<OsloEntry> FindAll(string section, string key) =>
            _entries.Where(e => e.Section == section && e.Key == key);

        /// <summary>
        /// Makes <paramref name="key"/> in <paramref name="section"/> read as <paramref name="value"/>. Changes only the
        /// winning line (and its continuation lines); inserts a line when the key is absent. Returns the changed
        /// lines, empty when the value already reads as asked.
        /// </summary>
        public IReadOnlyList<LineChange> Set(string section, string key, string value)
        {
            if (value.Length == 0 || value.Trim() != value || value.IndexOfAny(new[] { '\r', '\n' }) >= 0)
            {
                throw new ArgumentException("The value must be non-empty, without surrounding spaces or line breaks.", nameof(value));
            }

            var before = Snapshot(_entries);
            var changes = new List<LineChange>();
            var entry = Find(section, key);
            if (entry != null)
            {
                if (entry.Value == value)
                {
                    return changes;
                }

                ReplaceValue(entry, value, changes);
            }
            else
            {
                Insert(section, key, value, changes);
            }

            _entries = ParseEntries(Path, _lines);
            VerifyOnlyChanged(before, section, key, value);
            return changes;
        }

        private void ReplaceValue(OsloEntry entry, string value, List<LineChange> changes)
        {
            var line = _lines[entry.FirstLine];
            string raw = line.Text.Substring(entry.ValueStart).Trim();
            string prefix = line.Text.Substring(0, entry.ValueStart);
            if (raw.Length == 0)
            {
                prefix = prefix.TrimEnd() + " ";
            }
            else
            {
                // Keep the spacing the author used after the delimiter.
                int lead = line.Text.Length - entry.ValueStart - line.Text.Substring(entry.ValueStart).TrimStart().Length;
                prefix = line.Text.Substring(0, entry.ValueStart + lead);
            }

            for (int i = entry.LastLine; i > entry.FirstLine; i--)
            {
                changes.Add(new LineChange(i + 1, _lines[i].Text, null));
                _lines.RemoveAt(i);
            }

            string newText = prefix + value;
            changes.Insert(0, new LineChange(entry.LineNumber, line.Text, newText));
            line.Text = newText;

            // "x = 120 # note": oslo.config read the note as part of the value. Keep the note as a real comment.
            string? note = InlineNote(raw);
            if (note != null)
            {
                ConfigText.InsertAfter(_lines, entry.FirstLine - 1, "# " + note);
                changes.Add(new LineChange(entry.LineNumber - 1, null, "# " + note));
            }
        }

        private static string? InlineNote(string raw)
        {
            for (int i = 1; i < raw.Length; i++)
            {
                if ((raw[i] == '#' || raw[i] == ';') && char.IsWhiteSpace(raw[i - 1]))
                {
                    string note = raw.Substring(i + 1).Trim();
                    return note.Length == 0 ? null : note;
                }
            }

            return null;
        }

        private void Insert(string section, string key, string value, List<LineChange> changes)
        {
            string text = key + " = " + value;
            int after = FindInsertionPoint(section, key);
            if (after == int.MinValue)
            {
                // No such section at all: add it at the top, where readers look for [DEFAULT].
                int top = -1;
                ConfigText.InsertAfter(_lines, top, "[" + section + "]");
                ConfigText.InsertAfter(_lines, top + 1, text);
                changes.Add(new LineChange(0, null, "[" + section + "]"));
                changes.Add(new LineChange(0, null, text));
                if (_lines.Count > 2 && _lines[2].Text.Trim().Length > 0)
                {
                    ConfigText.InsertAfter(_lines, top + 2, string.Empty);
                    changes.Add(new LineChange(0, null, string.Empty));
                }

                return;
            }

            ConfigText.InsertAfter(_lines, after, text);
            changes.Add(new LineChange(after + 1, null, text));
        }

        /// <summary>
        /// Where a new assignment goes: right after the commented sample line (<c>#key = default</c>) when the
        /// section has one, as Debian's packaged files do; else after the section's last assignment; else
        /// right after its header. <see cref="int.MinValue"/> when the section does not exist.
        /// </summary>
        private int FindInsertionPoint(string section, string key)
        {
            string? current = null;
            int header = int.MinValue, lastEntryEnd = int.MinValue, sample = int.MinValue;
            var entryEnds = _entries.ToDictionary(e => e.FirstLine, e => e.LastLine);
            for (int i = 0; i < _lines.Count; i++)
            {
                string t = _lines[i].Text.TrimEnd();
                if (t.StartsWith("[", StringComparison.Ordinal) && t.EndsWith("]", StringComparison.Ordinal))
                {
                    current = t.Substring(1, t.Length - 2);
                    if (current == section)
                    {
                        header = i;
                    }

                    continue;
                }

                if (current != section)
                {
                    continue;
                }

                if (entryEnds.TryGetValue(i, out int end))
                {
                    lastEntryEnd = end;
                }
                else if (sample == int.MinValue && IsSampleLine(t, key) && !ContinuesAfter(i))
                {
                    sample = i;
                }
            }

            if (sample != int.MinValue) return sample;
            if (lastEntryEnd != int.MinValue) return lastEntryEnd;
            return header;
        }

        private bool ContinuesAfter(int i) =>
            i + 1 < _lines.Count && _lines[i + 1].Text.TrimEnd().Length > 0 && (_lines[i + 1].Text[0] == ' ' || _lines[i + 1].Text[0] == '\t');

        private static bool IsSampleLine(string t, string key)
        {
            if (t.Length < 2 || (t[0] != '#' && t[0] != ';')) return false;
            string rest = t.Substring(1).TrimStart();
            if (!rest.StartsWith(key, StringComparison.Ordinal)) return false;
            string after = rest.Substring(key.Length).TrimStart();
            return after.StartsWith("=", StringComparison.Ordinal) || after.StartsWith(":", StringComparison.Ordinal);
        }

        private static Dictionary<(string, string), string> Snapshot(IEnumerable<OsloEntry> entries)
        {
            var d = new Dictionary<(string, string), string>();
            foreach (var e in entries)
            {
                d[(e.Section, e.Key)] = e.Value;
            }

            return d;
        }

        private void VerifyOnlyChanged(Dictionary<(string, string), string> before, string section, string key, string value)
        {
            var after = Snapshot(_entries);
            var expected = new Dictionary<(string, string), string>(before) { [(section, key)] = value };
            bool same = expected.Count == after.Count && expected.All(kv => after.TryGetValue(kv.Key, out var v) && v == kv.Value);
            if (!same)
            {
                throw new OpenStackMigrationException(
                    "OSConfigEditCheckFailed",
                    FailureKind.Configuration,
                    $"Editing '{Path}' would have changed more than [{section}] {key}; nothing was written.")
                { Target = Path };
            }
        }

        private static List<OsloEntry> ParseEntries(string path, List<ConfigLine> lines)
        {
            var entries = new List<OsloEntry>();
            string? section = null;
            string? key = null;
            var value = new List<string>();
            int first = -1, last = -1, valueStart = 0;

            void Flush()
            {
                if (key == null) return;
                if (section == null)
                {
                    throw ParseError(path, first, lines, "Section must be started before assignment");
                }

                entries.Add(new OsloEntry(section, key, string.Join("\n", value), first, last, valueStart));
                key = null;
                value.Clear();
            }

            for (int i = 0; i < lines.Count; i++)
            {
                string line = lines[i].Text.TrimEnd();
                if (line.Length == 0)
                {
                    Flush();
                    continue;
                }

                if (line[0] == ' ' || line[0] == '\t')
                {
                    if (key == null) throw ParseError(path, i, lines, "Unexpected continuation line");
                    value.Add(line.TrimStart());
                    last = i;
                    continue;
                }

                Flush();
                if (line[0] == '[')
                {
                    if (line[line.Length - 1] != ']') throw ParseError(path, i, lines, "Invalid section (must end with ])");
                    if (line.Length <= 2) throw ParseError(path, i, lines, "Empty section name");
                    section = line.Substring(1, line.Length - 2);
                }
                else if (line[0] != '#' && line[0] != ';')
                {
                    int colon = line.IndexOf(':');
                    int equal = line.IndexOf('=');
                    if (colon < 0 && equal < 0) throw ParseError(path, i, lines, "No ':' or '=' found in assignment");
                    int delim = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon;
                    key = line.Substring(0, delim).Trim();
                    if (key.Length == 0) throw ParseError(path, i, lines, "Key cannot be empty");
                    string v = line.Substring(delim + 1).Trim();
                    if (v.Length > 0 && v[0] == v[v.Length - 1] && (v[0] == '"' || v[0] == '\''))
                    {
                        v = v.Length == 1 ? string.Empty : v.Substring(1, v.Length - 2);
                    }

                    value.Add(v);
                    first = last = i;
                    valueStart = delim + 1;
                }
            }

            Flush();
            return entries;
        }

        private static OpenStackMigrationException ParseError(string path, int index, List<ConfigLine> lines, string what) =>
            new OpenStackMigrationException(
                "OSConfigParseError",
                FailureKind.Configuration,
                $"oslo.config cannot read '{path}': at line {index + 1}, {what}: '{lines[index].Text.Trim()}'. The file was left untouched.")
            {
                Target = path,
                RecommendedAction = "Fix that line by hand (the service would not start with it), then run the command again.",
            };
    }
}
