using System.Net;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    public class KeystoneTests
    {
        [Theory]
        [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/v3")]
        [InlineData("http://127.0.0.1:5000/v3/", "http://127.0.0.1:5000/v3")]
        [InlineData("https://k.example.com/identity/v3", "https://k.example.com/identity/v3")]
        public void AuthUrlIsNormalisedToV3(string given, string expected)
        {
            Assert.Equal(expected, Keystone.V3Root(given));
        }

        [Fact]
        public void ANonUrlIsRefusedWithAStableId()
        {
            var e = Assert.Throws<OpenStackMigrationException>(() => Keystone.V3Root("keystone:5000"));
            Assert.Equal("OSInvalidAuthUrl", e.ErrorId);
        }

        [Fact]
        public void PasswordRequestIsScopedToTheProjectAndDomains()
        {
            var options = new AuthOptions { AuthUrl = "http://k:5000", Credential = new NetworkCredential("admin", "pw"), ProjectName = "ops", UserDomainName = "Users", ProjectDomainName = "Projects" };
            var body = Keystone.BuildRequest(options);
            Assert.Equal("admin", (string?)body["auth"]!["identity"]!["password"]!["user"]!["name"]);
            Assert.Equal("Users", (string?)body["auth"]!["identity"]!["password"]!["user"]!["domain"]!["name"]);
            Assert.Equal("ops", (string?)body["auth"]!["scope"]!["project"]!["name"]);
            Assert.Equal("Projects", (string?)body["auth"]!["scope"]!["project"]!["domain"]!["name"]);
        }

        [Fact]
        public void DescriptionsNeverCarryTheSecret()
        {
            var options = new AuthOptions { AuthUrl = "http://k:5000", Credential = new NetworkCredential("admin", "TopSecret1") };
            Assert.DoesNotContain("TopSecret1", Keystone.Describe(options));
            options.Method = AuthMethod.Token;
            Assert.DoesNotContain("TopSecret1", Keystone.Describe(options));
        }
    }
}
