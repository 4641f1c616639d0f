using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// A page of servers read token by token from Nova's text (as a listing reads it), and the same reader over a
    /// document. Expected values are written out, taken from the captured answer by eye, not from the reader.
    /// </summary>
    public class ServerReaderTests
    {
        private static string Fixture(string name) => File.ReadAllText(Path.Combine(Path.GetDirectoryName(typeof(ServerReaderTests).Assembly.Location)!, "Fixtures", name));

        private static (List<Instance> Servers, bool Next) ReadText(string content)
        {
            using var reader = new ApiResponse(200, content, "req-1", new Dictionary<string, string>()).Reader();
            return ServerReader.ReadPage(reader);
        }

        [Fact]
        public void APageCapturedAt272ReadsEveryFieldAnInstanceKeeps()
        {
            var (servers, next) = ReadText(Fixture("nova-servers-detail-2.72.json"));

            Assert.True(next);
            Assert.Equal(new[] { "flood-1200-199", "cirros_vm" }, servers.Select(s => s.Name));
            var failed = servers[0];
            Assert.Equal("2a5b22f5-f40e-41e6-ac56-40f9f520d369", failed.Id);
            Assert.Equal(ServerStatus.Error, failed.Status);
            Assert.Equal("ERROR", failed.StatusText);
            Assert.Equal("error", failed.VmState);
            Assert.Null(failed.TaskState);
            Assert.Null(failed.HostName);
            Assert.Null(failed.HypervisorHostname);
            Assert.Null(failed.AvailabilityZone);
            Assert.Equal(PowerState.NoState, failed.PowerState);
            Assert.Equal("instance-00000257", failed.InstanceName);
            Assert.Equal(new DateTimeOffset(2026, 12, 4, 16, 12, 2, TimeSpan.Zero), failed.Created);
            Assert.Equal(new DateTimeOffset(2026, 12, 4, 16, 18, 47, TimeSpan.Zero), failed.Updated);

            var vm = servers[1];
            Assert.Equal("0356ab45-39ea-42b1-8c09-828a5cd4ba09", vm.Id);
            Assert.Equal(ServerStatus.Active, vm.Status);
            Assert.Equal(PowerState.Running, vm.PowerState);
            Assert.Equal("active", vm.VmState);
            Assert.Equal("compute1", vm.HostName);
            Assert.Equal("compute1", vm.HypervisorHostname);
            Assert.Equal("nova", vm.AvailabilityZone);
            Assert.Equal("4348ccbc68d64bdc8b288aef81fae6ea", vm.ProjectId);
            Assert.Equal("af2aca7d0b6d43febafb276594acda5f", vm.UserId);
            Assert.Equal("cd8f1b60-4b52-4fa9-8db8-884e6987af1d", vm.ImageId);
            Assert.False(vm.IsVolumeBacked);
            Assert.False(vm.Locked);
            Assert.Empty(vm.Volumes);
            Assert.Null(vm.Fault);
            Assert.Equal("m1.tiny", vm.Flavor.Name);
            Assert.Null(vm.Flavor.Id);
            Assert.Equal((1, 512, 1, 0, 0), (vm.Flavor.Vcpus, vm.Flavor.RamMB, vm.Flavor.DiskGB, vm.Flavor.EphemeralGB, vm.Flavor.SwapMB));
            Assert.Empty(vm.Flavor.ExtraSpecs);
        }

        [Fact]
        public void NestedIdsAndNamesDoNotOverwriteTheServersOwn()
        {
            // metadata, addresses, security_groups, links and the image's links all hold "id", "name" or "rel" keys of their own.
            var (servers, next) = ReadText(@"{""servers"": [{
                ""metadata"": {""id"": ""meta-id"", ""name"": ""meta-name"", ""status"": ""BOGUS""},
                ""id"": ""s1"",
                ""addresses"": {""net"": [{""addr"": ""10.0.0.5"", ""name"": ""nic"", ""id"": ""port-id""}]},
                ""name"": ""web-1"",
                ""security_groups"": [{""name"": ""default""}],
                ""links"": [{""rel"": ""next"", ""href"": ""x""}],
                ""image"": {""links"": [{""id"": ""link-id""}], ""id"": ""img-1""},
                ""flavor"": {""id"": ""f-9"", ""links"": [{""id"": ""not-it""}], ""vcpus"": 2, ""ram"": 2048, ""disk"": 20,
                             ""extra_specs"": {""hw:tpm_version"": ""2.0"", ""hw:cpu_policy"": ""dedicated""}},
                ""status"": ""ACTIVE""
            }]}");

            Assert.False(next, "a server's own links are not the page's next link");
            var s = Assert.Single(servers);
            Assert.Equal(("s1", "web-1", ServerStatus.Active), (s.Id, s.Name, s.Status));
            Assert.Equal("img-1", s.ImageId);
            Assert.Equal(("f-9", "f-9", 2, 2048, 20), (s.Flavor.Id, s.Flavor.Name, s.Flavor.Vcpus, s.Flavor.RamMB, s.Flavor.DiskGB));
            Assert.Equal("2.0", s.Flavor.ExtraSpecs["hw:tpm_version"]);
            Assert.Equal("dedicated", s.Flavor.ExtraSpecs["hw:cpu_policy"]);
        }

        [Fact]
        public void ValuesReadAsTheDocumentReaderReadThem()
        {
            // Numbers where text is expected, text where numbers are, an empty image, a fault, volumes, groups, and the
            // page's links before its servers.
            var (servers, next) = ReadText(@"{""servers_links"": [{""rel"": ""next"", ""href"": ""y""}], ""servers"": [
                {""id"": 42, ""name"": """", ""status"": ""SHELVED_OFFLOADED"", ""OS-EXT-STS:power_state"": ""4"",
                 ""image"": """", ""locked"": true, ""OS-EXT-SRV-ATTR:host"": """",
                 ""fault"": {""code"": 500, ""message"": ""No valid host was found."", ""created"": ""2026-12-04T16:18:47Z""},
                 ""os-extended-volumes:volumes_attached"": [{""id"": ""v1"", ""delete_on_termination"": true}, {""id"": ""v2""}],
                 ""server_groups"": [""g1""],
                 ""flavor"": {""vcpus"": 1.0, ""ram"": ""512"", ""ephemeral"": 1, ""OS-FLV-EXT-DATA:ephemeral"": 2, ""swap"": 64, ""original_name"": ""m1.x"", ""extra_specs"": {""quota:n"": 5}},
                 ""created"": ""2026-12-04T16:10:24.123456"", ""updated"": null},
                17,
                {""locked"": {""reason"": [""not a boolean""]}, ""id"": ""s3"", ""OS-EXT-STS:power_state"": [1], ""created"": {""at"": 1}, ""name"": ""after-containers""}
            ]}");

            Assert.True(next);
            Assert.Equal(2, servers.Count);
            var s = servers[0];
            Assert.Equal("42", s.Id);
            Assert.Equal(string.Empty, s.Name);
            Assert.Equal(ServerStatus.ShelvedOffloaded, s.Status);
            Assert.Equal(PowerState.Shutdown, s.PowerState);
            Assert.Null(s.ImageId);
            Assert.True(s.IsVolumeBacked);
            Assert.True(s.Locked);
            Assert.Null(s.HostName);
            Assert.Equal("No valid host was found.", s.Fault);
            Assert.Equal(new[] { "v1", "v2" }, s.Volumes.Select(v => v.VolumeId));
            Assert.Equal(new bool?[] { true, null }, s.Volumes.Select(v => v.DeleteOnTermination));
            Assert.Equal(new[] { "g1" }, s.ServerGroups);
            Assert.Equal(("m1.x", 1, 512, 3, 64), (s.Flavor.Name, s.Flavor.Vcpus, s.Flavor.RamMB, s.Flavor.EphemeralGB, s.Flavor.SwapMB));
            Assert.Equal("5", s.Flavor.ExtraSpecs["quota:n"]);
            Assert.Equal(new DateTimeOffset(2026, 12, 4, 16, 10, 24, 123, TimeSpan.Zero).AddTicks(4560), s.Created);
            Assert.Null(s.Updated);
            Assert.Equal(("s3", "after-containers", false), (servers[1].Id, servers[1].Name, servers[1].Locked));
            Assert.Equal(PowerState.NoState, servers[1].PowerState);
            Assert.Null(servers[1].Created);
            Assert.Equal(ServerStatus.Unknown, servers[1].Status);
        }

        [Fact]
        public void TheSameServerReadsTheSameFromTextAndFromADocument()
        {
            var text = Fixture("nova-servers-detail-2.93.json");
            var fromText = ReadText(text).Servers;
            using var reader = new ApiResponse(200, JToken.Parse(text), "req-1", new Dictionary<string, string>()).Reader();
            var fromDocument = ServerReader.ReadPage(reader).Servers;

            Assert.NotEmpty(fromText);
            Assert.Equal(
                fromDocument.Select(Newtonsoft.Json.JsonConvert.SerializeObject),
                fromText.Select(Newtonsoft.Json.JsonConvert.SerializeObject));
        }

        [Theory]
        [InlineData("")]
        [InlineData("{}")]
        [InlineData("{\"servers\": []}")]
        [InlineData("{\"servers\": null, \"servers_links\": []}")]
        [InlineData("[]")]
        public void AnAnswerWithoutServersIsAnEmptyLastPage(string content)
        {
            var (servers, next) = ReadText(content);
            Assert.Empty(servers);
            Assert.False(next);
        }

        [Fact]
        public void ABodyIsParsedOnlyWhenAskedForAndTheReaderThenUsesIt()
        {
            var response = new ApiResponse(200, "{\"servers\": [{\"id\": \"a\"}]}", null, new Dictionary<string, string>());
            Assert.Equal("a", (string?)response.Body!["servers"]![0]!["id"]);
            using var reader = response.Reader();
            Assert.IsType<JTokenReader>(reader);
            Assert.Equal("a", ServerReader.ReadPage(reader).Servers.Single().Id);

            var notJson = new ApiResponse(502, "<html>Bad Gateway</html>", null, new Dictionary<string, string>());
            Assert.Equal(JTokenType.String, notJson.Body!.Type);
        }
    }
}
