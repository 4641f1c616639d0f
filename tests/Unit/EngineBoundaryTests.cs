using System.Linq;
using Xunit;

namespace OpenStackMigration.Tests
{
    public class EngineBoundaryTests
    {
        [Fact]
        public void EngineDoesNotReferencePowerShell()
        {
            var refs = typeof(IEngineSink).Assembly.GetReferencedAssemblies().Select(a => a.Name);
            Assert.DoesNotContain("System.Management.Automation", refs);
        }
    }
}
