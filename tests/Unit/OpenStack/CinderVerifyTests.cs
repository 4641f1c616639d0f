using Newtonsoft.Json.Linq;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    public class CinderVerifyTests
    {
        private static string Volume(string status, params (string server, string host)[] attachments)
        {
            var list = new JArray();
            foreach (var (server, host) in attachments)
            {
                list.Add(new JObject { ["server_id"] = server, ["host_name"] = host, ["attachment_id"] = "a-" + host, ["device"] = "/dev/vda" });
            }

            return new JObject { ["id"] = "vol1", ["status"] = status, ["attachments"] = list }.ToString();
        }

        [Fact]
        public void InUseOnTheDestinationPasses()
        {
            var check = CinderClient.Verify(CinderClient.ParseVolume(JToken.Parse(Volume("in-use", ("vm", "compute2")))), "vm", "compute2");
            Assert.True(check.Passed);
        }

        [Fact]
        public void StillAttachedOnTheSourceFails()
        {
            var check = CinderClient.Verify(CinderClient.ParseVolume(JToken.Parse(Volume("in-use", ("vm", "compute1"), ("vm", "compute2")))), "vm", "compute2");
            Assert.False(check.Passed);
            Assert.Contains("compute1", check.Reason);
        }

        [Fact]
        public void NotInUseFails()
        {
            var check = CinderClient.Verify(CinderClient.ParseVolume(JToken.Parse(Volume("available"))), "vm", "compute2");
            Assert.False(check.Passed);
            Assert.Contains("available", check.Reason);
        }
    }
}
