using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace OpenStackMigration.Tests
{
    /// <summary>
    /// One catalog of error ids: every id the code raises is a whole string literal in src/ (greppable), is listed in
    /// about_OpenStackMigration_Errors with one kind, and every place that pairs the id with a kind uses that kind.
    /// </summary>
    public class ErrorCatalogTests
    {
        private static readonly string Root = FindRoot();

        private static string FindRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "OpenStackMigration.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("checkout not found");
        }

        private static Dictionary<string, string> Catalog()
        {
            var text = File.ReadAllText(Path.Combine(Root, "module/en-US/about_OpenStackMigration_Errors.help.txt"));
            var ids = text.Substring(text.IndexOf("ERROR IDS", StringComparison.Ordinal));
            return Regex.Matches(ids, @"^    (OS[A-Z]\w+)\s+(\w+)\s{2,}\S", RegexOptions.Multiline).Cast<Match>()
                .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        }

        private static List<(string File, string Text)> Sources() =>
            Directory.GetFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains(Path.DirectorySeparatorChar + "obj" + Path.DirectorySeparatorChar) && !f.Contains(Path.DirectorySeparatorChar + "bin" + Path.DirectorySeparatorChar))
                .Select(f => (Path.GetRelativePath(Root, f), File.ReadAllText(f))).ToList();

        [Fact]
        public void EveryIdInTheCodeIsInTheCatalogAndEveryCatalogIdIsALiteralInTheCode()
        {
            var sources = Sources();
            var nouns = new HashSet<string>(sources.SelectMany(s => Regex.Matches(s.Text, @"\[Cmdlet\([^,]+,\s*""(OS\w+)""").Cast<Match>().Select(m => m.Groups[1].Value)));
            var literals = new HashSet<string>(sources.SelectMany(s => Regex.Matches(s.Text, @"""(OS[A-Z][A-Za-z0-9]+)""").Cast<Match>().Select(m => m.Groups[1].Value)).Where(id => !nouns.Contains(id)));
            var catalog = Catalog();

            Assert.Empty(literals.Except(catalog.Keys).OrderBy(x => x));
            Assert.Empty(catalog.Keys.Except(literals).OrderBy(x => x));
        }

        [Fact]
        public void AnIdHasOneKindWhereverItIsRaised()
        {
            var catalog = Catalog();
            var kinds = Enum.GetNames(typeof(FailureKind));
            Assert.All(catalog, e => Assert.Contains(e.Value, kinds));
            var wrong = Sources()
                .SelectMany(s => Regex.Matches(s.Text, @"""(OS[A-Z]\w+)""\s*,\s*FailureKind\.(\w+)").Cast<Match>().Select(m => (s.File, Id: m.Groups[1].Value, Kind: m.Groups[2].Value)))
                .Where(x => catalog.TryGetValue(x.Id, out var k) && k != x.Kind)
                .Select(x => $"{x.File}: {x.Id} raised as {x.Kind}, catalogued as {catalog[x.Id]}")
                .ToList();
            Assert.Empty(wrong);

            // An id raised with a computed kind would have a kind per path: the kind after an id literal is a literal too.
            var computed = Sources()
                .SelectMany(s => Regex.Matches(s.Text, @"Exception\(\s*""(OS[A-Z]\w+)""\s*,(?>\s*)(?!FailureKind\.\w+\s*,)([^,]{0,60})").Cast<Match>().Select(m => $"{s.File}: {m.Groups[1].Value} raised with kind '{m.Groups[2].Value.Trim()}'"))
                .ToList();
            Assert.Empty(computed);
        }
    }
}
