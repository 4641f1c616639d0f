using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>The OpenStack clients are the bottom layer: they never reach up into the inventory, migration or maintenance code.</summary>
    public class LayeringTests
    {
        [Fact]
        public void TheOpenStackLayerNamesNoLayerAboveIt()
        {
            var folder = Path.Combine(RepositoryRoot(), "src", "OpenStackMigration.Engine", "OpenStack");
            var above = new Regex(@"\b(OpenStackMigration\.)?(Inventory|Migration|Maintenance)\.[A-Z]|using OpenStackMigration\.(Inventory|Migration|Maintenance);");
            var offenders = Directory.GetFiles(folder, "*.cs")
                .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetFileName(f), Line: i + 1, Text: line)))
                .Where(l => above.IsMatch(l.Text))
                .Select(l => $"{l.File}:{l.Line}: {l.Text.Trim()}")
                .ToList();

            Assert.Empty(offenders);
        }

        private static string RepositoryRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "src", "OpenStackMigration.Engine")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
        }
    }
}
