using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using OpenStackMigration.Model;

namespace OpenStackMigration.Config
{
    /// <summary>
    /// What an edit of one option does beyond that option, said before anything is written: other options that
    /// interpolate it (<c>rpc_response_timeout = $long_rpc_timeout</c>), and faults the files already have that
    /// keep the service from starting whatever the edit.
    /// </summary>
    internal static class OsloPlanChecks
    {
        /// <summary>True when <paramref name="current"/> already reads as <paramref name="wanted"/> for the option's type (<c>True</c> is <c>true</c>).</summary>
        internal static bool SameValue(OsloOption option, string current, string wanted)
        {
            if (current == wanted) return true;
            if (option.IsBool)
            {
                return OsloValue.TryParseBool(current, out bool a) && OsloValue.TryParseBool(wanted, out bool b) && a == b;
            }

            return OsloValue.TryParseInt(current, out long? x) && OsloValue.TryParseInt(wanted, out long? y) && x != null && x == y;
        }

        /// <summary>
        /// oslo.config substitutes <c>$name</c>, <c>${name}</c> and <c>$DEFAULT.name</c> in every value (string.Template
        /// with idpattern <c>[_a-z][._a-z0-9]*</c>, ignoring case); <c>$$</c> and <c>\$</c> are a literal dollar.
        /// </summary>
        private static Regex Reference(string name) => new Regex(
            @"\$(?:\{(?:DEFAULT\.)?" + Regex.Escape(name) + @"\}|(?:DEFAULT\.)?" + Regex.Escape(name) + @"(?![._a-z0-9]))",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private static string Unescaped(string value) => value.Replace(@"\$", "\u0001").Replace("$$", "\u0001");

        /// <summary>
        /// Warns (and notes on <paramref name="result"/>) about every winning assignment, in any file the services read,
        /// whose value interpolates the edited option and so changes with it.
        /// </summary>
        internal static void Interpolations(IReadOnlyList<ServiceConfigView> views, OsloOption option, string before, string after, string editedPath, OsloIniDocument edited,
            OSConfigChange result, string computerName, IEngineSink sink)
        {
            var reference = Reference(option.Name);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var notes = new List<string>();
            foreach (var view in views)
            {
                // The assignment that wins for each (section, key): the last one across the files in order.
                var winners = new Dictionary<(string, string), (OsloEntry Entry, string Path)>();
                foreach (var file in view.Files)
                {
                    var doc = file.File.Path == editedPath || file.File.ResolvedPath == editedPath ? edited : file.Document;
                    if (doc == null) continue;
                    foreach (var e in doc.Entries) winners[(e.Section, e.Key)] = (e, file.File.Path);
                }

                foreach (var w in winners.Values)
                {
                    if (w.Entry.Section == OsloIniDocument.DefaultSection && w.Entry.Key == option.Name) continue;
                    string value = Unescaped(w.Entry.Value);
                    if (!reference.IsMatch(value)) continue;
                    string label = w.Entry.Section == OsloIniDocument.DefaultSection ? w.Entry.Key : $"[{w.Entry.Section}] {w.Entry.Key}";
                    string from = reference.Replace(value, before.Replace("$", "$$")).Replace("\u0001", "$");
                    string to = reference.Replace(value, after.Replace("$", "$$")).Replace("\u0001", "$");
                    if (from == to || !seen.Add($"{w.Path}:{w.Entry.LineNumber}")) continue;
                    sink.Warning($"{computerName}: {w.Path}:{w.Entry.LineNumber}: {w.Entry.Key} = {w.Entry.Value} interpolates {option.Name}, so {label} changes too, from {from} to {to}. Set it to a value of its own first if that is not wanted.");
                    notes.Add($"{label} changes too ({w.Path}:{w.Entry.LineNumber} interpolates {option.Name}): {from} -> {to}.");
                }
            }

            if (notes.Count > 0)
            {
                result.Note = ((result.Note ?? string.Empty) + " " + string.Join(" ", notes)).Trim();
            }
        }

        /// <summary>
        /// Warns about what will still keep a service from starting after the edit: another option of ours whose value
        /// oslo.config refuses, and another file it reads that it cannot parse.
        /// </summary>
        internal static void ExistingFaults(string project, IReadOnlyList<ServiceConfigView> views, IEnumerable<string> edited, string editedPath, OsloIniDocument doc,
            string computerName, IEngineSink sink)
        {
            var said = new HashSet<string>(StringComparer.Ordinal);
            var options = OsloServices.RpcOptions(project).Concat(new[] { OsloServices.Debug }).Where(o => !edited.Contains(o.Name)).ToList();
            foreach (var view in views)
            {
                foreach (var file in view.Files.Where(f => f.Error != null && f.Error.ErrorId != "OSConfigFileNotFound" && f.File.Path != editedPath && f.File.ResolvedPath != editedPath))
                {
                    string text = $"{computerName}: {view.Service} also reads {file.File.Path}, which it cannot load ({file.Error!.Message}); it will still not start after this edit.";
                    if (said.Add(text)) sink.Warning(text);
                }

                foreach (var option in options)
                {
                    var s = OsloConfigReader.Evaluate(view, option, computerName, editedPath, doc);
                    if (s.Valid || s.Value == null || s.Value.Contains("$")) continue;
                    string where = s.Path != null ? $"{s.Path}:{s.LineNumber}" : s.Source;
                    string kind = option.IsBool ? "a boolean (true/false, yes/no, on/off, 1/0)" : "an integer";
                    string text = $"{computerName}: {where}: {option.Name} = '{s.Value}' is not {kind} for oslo.config, so {view.Service} will still not start with these files after this edit; fix that line too.";
                    if (said.Add(text)) sink.Warning(text);
                }
            }
        }
    }
}
