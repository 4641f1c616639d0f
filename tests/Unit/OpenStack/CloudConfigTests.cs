using System;
using System.Collections;
using System.IO;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    public sealed class CloudConfigTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("osm-cfg").FullName;

        public void Dispose() => Directory.Delete(_dir, true);

        [Fact]
        public void SecureYamlIsMergedOverCloudsYaml()
        {
            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), "clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:5000\n      username: admin\n      project_name: admin\n      user_domain_name: Default\n      project_domain_name: Default\n    region_name: RegionOne\n    interface: internal\n");
            File.WriteAllText(Path.Combine(_dir, "secure.yaml"), "clouds:\n  lab:\n    auth:\n      password: s3cret\n");
            var options = CloudConfig.FromCloudsYaml("lab", _dir, new Hashtable());
            Assert.Equal("http://127.0.0.1:5000", options.AuthUrl);
            Assert.Equal("admin", options.Credential!.UserName);
            Assert.Equal("s3cret", options.Credential.Password);
            Assert.Equal("RegionOne", options.Region);
            Assert.Equal("internal", options.Interface);
            Assert.Equal(AuthMethod.Password, options.Method);
            Assert.Contains("secure.yaml", options.Source);
        }

        [Fact]
        public void ExplicitConfigFileWinsOverTheCurrentFolder()
        {
            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), "clouds:\n  lab:\n    auth:\n      auth_url: http://here:5000\n");
            var other = Path.Combine(_dir, "other.yaml");
            File.WriteAllText(other, "clouds:\n  lab:\n    auth:\n      auth_url: http://there:5000\n    verify: false\n");
            var options = CloudConfig.FromCloudsYaml("lab", _dir, new Hashtable { ["OS_CLIENT_CONFIG_FILE"] = other });
            Assert.Equal("http://there:5000", options.AuthUrl);
            Assert.True(options.SkipCertificateCheck);
        }

        [Fact]
        public void AMissingCloudNamesTheCloudsThatExist()
        {
            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), "clouds:\n  prod:\n    auth:\n      auth_url: http://p:5000\n  test:\n    auth:\n      auth_url: http://t:5000\n");
            var e = Assert.Throws<OpenStackMigrationException>(() => CloudConfig.FromCloudsYaml("lab", _dir, new Hashtable()));
            Assert.Equal("OSCloudNotFound", e.ErrorId);
            Assert.Contains("prod, test", e.Message);
        }

        [Fact]
        public void OpenrcVariablesMakePasswordAuth()
        {
            var env = new Hashtable
            {
                ["OS_AUTH_URL"] = "https://keystone.example.com:5000/v3",
                ["OS_USERNAME"] = "admin",
                ["OS_PASSWORD"] = "pw",
                ["OS_PROJECT_NAME"] = "admin",
                ["OS_USER_DOMAIN_NAME"] = "Users",
                ["OS_PROJECT_DOMAIN_NAME"] = "Projects",
                ["OS_REGION_NAME"] = "RegionTwo",
                ["OS_ENDPOINT_TYPE"] = "internalURL",
                ["OS_CACERT"] = "/etc/ssl/ca.pem",
            };
            var options = CloudConfig.FromEnvironment(env, _dir);
            Assert.Equal(AuthMethod.Password, options.Method);
            Assert.Equal("Users", options.UserDomainName);
            Assert.Equal("Projects", options.ProjectDomainName);
            Assert.Equal("RegionTwo", options.Region);
            Assert.Equal("internal", options.Interface);
            Assert.Equal("/etc/ssl/ca.pem", options.CACertFile);
            Assert.False(options.SkipCertificateCheck);
        }

        [Fact]
        public void ApplicationCredentialFromEnvironment()
        {
            var env = new Hashtable { ["OS_AUTH_URL"] = "http://k:5000", ["OS_AUTH_TYPE"] = "v3applicationcredential", ["OS_APPLICATION_CREDENTIAL_ID"] = "abc", ["OS_APPLICATION_CREDENTIAL_SECRET"] = "xyz" };
            var options = CloudConfig.FromEnvironment(env, _dir);
            Assert.Equal(AuthMethod.ApplicationCredential, options.Method);
            var body = Keystone.BuildRequest(options).ToString();
            Assert.Contains("\"id\": \"abc\"", body);
            Assert.Contains("application_credential", body);
        }

        [Fact]
        public void NothingConfiguredSaysWhatToDo()
        {
            var e = Assert.Throws<OpenStackMigrationException>(() => CloudConfig.FromEnvironment(new Hashtable(), _dir));
            Assert.Equal("OSNoCloudConfigured", e.ErrorId);
            Assert.Contains("openrc", e.RecommendedAction);
        }

        [Fact]
        public void OsCloudVariableReadsCloudsYaml()
        {
            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), "clouds:\n  lab:\n    auth:\n      auth_url: http://lab:5000\n      token: tok\n    auth_type: token\n");
            var options = CloudConfig.FromEnvironment(new Hashtable { ["OS_CLOUD"] = "lab" }, _dir);
            Assert.Equal(AuthMethod.Token, options.Method);
            Assert.Equal("lab", options.CloudName);
        }

        [Fact]
        public void PerServiceEndpointOverridesAreReadAsOpenstacksdkNamesThem()
        {
            File.WriteAllText(Path.Combine(_dir, "clouds.yaml"), "clouds:\n  old:\n    auth:\n      auth_url: http://lab:5000\n    compute_endpoint_override: http://127.0.0.1:4242/v2.1\n    placement_endpoint_override: 'http://127.0.0.1:4343'\n    block_storage_endpoint_override: http://c:8776/v3/%(project_id)s\n    compute_api_version: '2.42'\n");
            var options = CloudConfig.FromCloudsYaml("old", _dir, new Hashtable());
            Assert.Equal("http://127.0.0.1:4242/v2.1", options.EndpointOverrides["compute"]);
            Assert.Equal("http://127.0.0.1:4343", options.EndpointOverrides["placement"]);
            Assert.Equal("http://c:8776/v3/%(project_id)s", options.EndpointOverrides["block_storage"]);
            Assert.Equal(3, options.EndpointOverrides.Count);
        }

        [Fact]
        public void EndpointOverridesComeFromOsVariablesToo()
        {
            var env = new Hashtable { ["OS_AUTH_URL"] = "http://lab:5000/v3", ["OS_COMPUTE_ENDPOINT_OVERRIDE"] = "http://127.0.0.1:4242/v2.1", ["OS_REGION_NAME"] = "RegionOne" };
            var options = CloudConfig.FromEnvironment(env, _dir);
            Assert.Equal("http://127.0.0.1:4242/v2.1", Assert.Single(options.EndpointOverrides).Value);
            Assert.Equal("compute", Assert.Single(options.EndpointOverrides).Key);
        }
    }
}
