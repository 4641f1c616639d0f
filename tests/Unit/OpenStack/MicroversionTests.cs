using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    public class MicroversionTests
    {
        [Fact]
        public void ComparesNumericallyNotAsText()
        {
            Assert.True(Microversion.Parse("2.10")! > Microversion.Parse("2.9")!);
            Assert.Equal("2.53", Microversion.Min(Microversion.Parse("2.93")!, new Microversion(2, 53)).ToString());
        }

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("latest")]
        [InlineData("2")]
        public void MalformedTextIsNull(string? text)
        {
            Assert.Null(Microversion.Parse(text));
        }
    }
}
