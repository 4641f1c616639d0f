using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using YamlDotNet.RepresentationModel;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// Reads connection settings the way the OpenStack client tools do: clouds.yaml merged with
    /// secure.yaml, or an openrc's OS_* environment variables.
    /// </summary>
    public static class CloudConfig
    {
        /// <summary>The folders searched for clouds.yaml and secure.yaml, in order, after OS_CLIENT_CONFIG_FILE / OS_CLIENT_SECURE_FILE.</summary>
        public static IReadOnlyList<string> SearchFolders(string currentDirectory)
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            var folders = new List<string> { currentDirectory };
            var localAppData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            if (Path.DirectorySeparatorChar == '\\' && !string.IsNullOrEmpty(localAppData))
            {
                folders.Add(Path.Combine(localAppData, "OpenStack", "openstack"));
            }

            folders.Add(Path.Combine(home, ".config", "openstack"));
            if (Path.DirectorySeparatorChar == '\\')
            {
                var programData = Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData);
                folders.Add(Path.Combine(programData, "OpenStack", "openstack"));
            }

            folders.Add("/etc/openstack");
            return folders;
        }

        /// <summary>The cloud names of the clouds.yaml Connect-OSCloud -Cloud would read (none when there is none or it cannot be parsed).</summary>
        public static IReadOnlyList<string> CloudNames(string currentDirectory, IDictionary environment)
        {
            var cloudsFile = FindFile(Env(environment, "OS_CLIENT_CONFIG_FILE"), currentDirectory, "clouds.yaml", "clouds.yml");
            try
            {
                return cloudsFile == null ? Array.Empty<string>() : LoadClouds(cloudsFile, out _).Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
            }
            catch (OpenStackMigrationException)
            {
                return Array.Empty<string>();
            }
        }

        /// <summary>Settings for the cloud called <paramref name="cloudName"/> in clouds.yaml (plus secure.yaml).</summary>
        public static AuthOptions FromCloudsYaml(string cloudName, string currentDirectory, IDictionary environment)
        {
            var cloudsFile = FindFile(Env(environment, "OS_CLIENT_CONFIG_FILE"), currentDirectory, "clouds.yaml", "clouds.yml");
            if (cloudsFile == null)
            {
                throw new OpenStackMigrationException(
                    "OSCloudsYamlNotFound",
                    FailureKind.NotFound,
                    $"No clouds.yaml found for cloud '{cloudName}'. Looked at OS_CLIENT_CONFIG_FILE and in: {string.Join(", ", SearchFolders(currentDirectory))}.")
                {
                    RecommendedAction = "Put a clouds.yaml in one of those folders, set OS_CLIENT_CONFIG_FILE, or connect with -AuthUrl and -Credential.",
                };
            }

            var clouds = LoadClouds(cloudsFile, out var cacheAuth);
            if (!clouds.TryGetValue(cloudName, out var cloud))
            {
                throw new OpenStackMigrationException(
                    "OSCloudNotFound",
                    FailureKind.NotFound,
                    $"Cloud '{cloudName}' is not in {cloudsFile}. It names: {(clouds.Count == 0 ? "no clouds" : string.Join(", ", clouds.Keys.OrderBy(k => k, StringComparer.Ordinal)))}.")
                {
                    RecommendedAction = "Use one of the names listed, or fix OS_CLOUD / -Cloud.",
                };
            }

            var secureFile = FindFile(Env(environment, "OS_CLIENT_SECURE_FILE"), currentDirectory, "secure.yaml", "secure.yml");
            if (secureFile != null && LoadClouds(secureFile, out _).TryGetValue(cloudName, out var secure))
            {
                Merge(cloud, secure);
            }

            var options = FromCloudEntry(cloud);
            options.CloudName = cloudName;
            options.CacheToken = cacheAuth;
            options.Source = cloudsFile + (secureFile != null ? " + " + secureFile : string.Empty);
            options.CACertFile = ResolvePath(options.CACertFile, currentDirectory);
            if (options.SkipCertificateCheck)
            {
                options.SkipCertificateCheckSource += $" for cloud '{cloudName}' in {options.Source}";
            }

            return options;
        }

        /// <summary>Settings from an openrc's OS_* variables; OS_CLOUD, when set, names a clouds.yaml entry instead.</summary>
        public static AuthOptions FromEnvironment(IDictionary environment, string currentDirectory)
        {
            var cloud = Env(environment, "OS_CLOUD");
            if (!string.IsNullOrEmpty(cloud) && string.IsNullOrEmpty(Env(environment, "OS_AUTH_URL")))
            {
                return FromCloudsYaml(cloud!, currentDirectory, environment);
            }

            var authUrl = Env(environment, "OS_AUTH_URL");
            if (string.IsNullOrEmpty(authUrl))
            {
                throw new OpenStackMigrationException(
                    "OSNoCloudConfigured",
                    FailureKind.InvalidArgument,
                    "No cloud to connect to: OS_AUTH_URL and OS_CLOUD are not set, and no -Cloud or -AuthUrl was given.")
                {
                    RecommendedAction = "Source an openrc file, set OS_CLOUD to a clouds.yaml entry, or run Connect-OSCloud -Cloud NAME / -AuthUrl URL -Credential (Get-Credential) -ProjectName P.",
                };
            }

            var map = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["auth_url"] = authUrl,
                ["username"] = Env(environment, "OS_USERNAME"),
                ["user_id"] = Env(environment, "OS_USER_ID"),
                ["password"] = Env(environment, "OS_PASSWORD"),
                ["project_name"] = Env(environment, "OS_PROJECT_NAME") ?? Env(environment, "OS_TENANT_NAME"),
                ["project_id"] = Env(environment, "OS_PROJECT_ID") ?? Env(environment, "OS_TENANT_ID"),
                ["user_domain_name"] = Env(environment, "OS_USER_DOMAIN_NAME"),
                ["user_domain_id"] = Env(environment, "OS_USER_DOMAIN_ID"),
                ["project_domain_name"] = Env(environment, "OS_PROJECT_DOMAIN_NAME"),
                ["project_domain_id"] = Env(environment, "OS_PROJECT_DOMAIN_ID"),
                ["domain_name"] = Env(environment, "OS_DOMAIN_NAME"),
                ["application_credential_id"] = Env(environment, "OS_APPLICATION_CREDENTIAL_ID"),
                ["application_credential_name"] = Env(environment, "OS_APPLICATION_CREDENTIAL_NAME"),
                ["application_credential_secret"] = Env(environment, "OS_APPLICATION_CREDENTIAL_SECRET"),
                ["token"] = Env(environment, "OS_TOKEN"),
            };
            var top = new Dictionary<string, string?>(StringComparer.Ordinal)
            {
                ["auth_type"] = Env(environment, "OS_AUTH_TYPE"),
                ["region_name"] = Env(environment, "OS_REGION_NAME"),
                ["interface"] = Env(environment, "OS_INTERFACE") ?? Env(environment, "OS_ENDPOINT_TYPE"),
                ["cacert"] = Env(environment, "OS_CACERT"),
                ["insecure"] = Env(environment, "OS_INSECURE"),
            };
            var options = Build(map, top);
            foreach (DictionaryEntry entry in environment)
            {
                var name = entry.Key as string ?? string.Empty;
                if (name.StartsWith("OS_", StringComparison.Ordinal))
                {
                    AddEndpointOverride(options, name.Substring(3).ToLowerInvariant(), entry.Value as string);
                }
            }

            options.Source = "environment (OS_* variables)";
            options.CACertFile = ResolvePath(options.CACertFile, currentDirectory);
            if (options.SkipCertificateCheck)
            {
                options.SkipCertificateCheckSource = "OS_INSECURE=" + Env(environment, "OS_INSECURE");
            }

            return options;
        }

        internal static AuthOptions FromCloudEntry(YamlMappingNode cloud)
        {
            var auth = cloud.Children.TryGetValue(new YamlScalarNode("auth"), out var a) && a is YamlMappingNode am ? Scalars(am) : new Dictionary<string, string?>();
            var top = Scalars(cloud);
            string? skippedBy = null;
            if (top.TryGetValue("insecure", out var insecure) && YamlBoolean(insecure) == true)
            {
                skippedBy = "insecure: " + insecure;
            }
            else if (top.TryGetValue("verify", out var verify) && YamlBoolean(verify) == false)
            {
                skippedBy = "verify: " + verify;
            }

            // openstacksdk reads these with YAML 1.1, where yes/no/on/off are booleans too.
            top["insecure"] = skippedBy != null ? "true" : null;
            var options = Build(auth, top);
            options.SkipCertificateCheckSource = skippedBy;
            foreach (var entry in top)
            {
                AddEndpointOverride(options, entry.Key, entry.Value);
            }

            return options;
        }

        private static AuthOptions Build(IDictionary<string, string?> auth, IDictionary<string, string?> top)
        {
            string? Get(IDictionary<string, string?> d, string key) => d.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v) ? v : null;

            var authType = (Get(top, "auth_type") ?? string.Empty).ToLowerInvariant();
            var options = new AuthOptions
            {
                AuthUrl = Get(auth, "auth_url") ?? throw new OpenStackMigrationException("OSNoAuthUrl", FailureKind.InvalidArgument, "The cloud's settings have no auth_url."),
                UserId = Get(auth, "user_id"),
                ProjectName = Get(auth, "project_name") ?? Get(auth, "tenant_name"),
                ProjectId = Get(auth, "project_id") ?? Get(auth, "tenant_id"),
                UserDomainName = Get(auth, "user_domain_name") ?? Get(auth, "domain_name"),
                UserDomainId = Get(auth, "user_domain_id") ?? Get(auth, "domain_id"),
                ProjectDomainName = Get(auth, "project_domain_name") ?? Get(auth, "domain_name"),
                ProjectDomainId = Get(auth, "project_domain_id") ?? Get(auth, "domain_id"),
                Region = Get(top, "region_name"),
                Interface = NormaliseInterface(Get(top, "interface")),
                CACertFile = Get(top, "cacert"),
                SkipCertificateCheck = string.Equals(Get(top, "insecure"), "true", StringComparison.OrdinalIgnoreCase),
            };

            if (authType.Contains("applicationcredential") || Get(auth, "application_credential_secret") != null)
            {
                options.Method = AuthMethod.ApplicationCredential;
                var id = Get(auth, "application_credential_id");
                options.Credential = new NetworkCredential(id ?? Get(auth, "application_credential_name") ?? string.Empty, Get(auth, "application_credential_secret") ?? string.Empty);
                if (id == null)
                {
                    // By name: the credential belongs to a user, named here with its domain.
                    options.Credential.Domain = Get(auth, "username") ?? string.Empty;
                }
            }
            else if (authType.Contains("token") || (Get(auth, "token") != null && Get(auth, "password") == null))
            {
                options.Method = AuthMethod.Token;
                options.Credential = new NetworkCredential("token", Get(auth, "token") ?? string.Empty);
            }
            else
            {
                options.Method = AuthMethod.Password;
                options.Credential = new NetworkCredential(Get(auth, "username") ?? string.Empty, Get(auth, "password") ?? string.Empty);
            }

            return options;
        }

        /// <summary>
        /// <c>&lt;service type&gt;_endpoint_override</c>, the way openstacksdk names a per-service endpoint that replaces
        /// the catalog's (service type with '-' as '_': compute, placement, block_storage).
        /// </summary>
        private static void AddEndpointOverride(AuthOptions options, string key, string? value)
        {
            const string Suffix = "_endpoint_override";
            if (!string.IsNullOrWhiteSpace(value) && key.EndsWith(Suffix, StringComparison.Ordinal) && key.Length > Suffix.Length)
            {
                options.EndpointOverrides[key.Substring(0, key.Length - Suffix.Length)] = value!.Trim();
            }
        }

        /// <summary>A YAML 1.1 boolean as PyYAML reads it, or null when the value is not one.</summary>
        private static bool? YamlBoolean(string? value)
        {
            switch ((value ?? string.Empty).ToLowerInvariant())
            {
                case "true":
                case "yes":
                case "on":
                    return true;
                case "false":
                case "no":
                case "off":
                    return false;
                default:
                    return null;
            }
        }

        /// <summary>
        /// cacert as openstacksdk takes it: ~ expanded, a relative path from the current folder
        /// (not from the clouds.yaml folder: openstacksdk only expands ~ and hands the path to requests).
        /// </summary>
        private static string? ResolvePath(string? path, string currentDirectory)
        {
            if (string.IsNullOrEmpty(path))
            {
                return path;
            }

            if (path == "~" || path!.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
            {
                path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Substring(Math.Min(2, path.Length)));
            }

            return Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(currentDirectory, path));
        }

        private static string NormaliseInterface(string? value)
        {
            var v = (value ?? "public").ToLowerInvariant();
            return v.EndsWith("url", StringComparison.Ordinal) ? v.Substring(0, v.Length - 3) : v;
        }

        private static string? FindFile(string? explicitPath, string currentDirectory, params string[] names)
        {
            if (!string.IsNullOrEmpty(explicitPath))
            {
                if (!File.Exists(explicitPath))
                {
                    throw new OpenStackMigrationException("OSCloudsYamlNotFound", FailureKind.NotFound, $"The file '{explicitPath}' named by the environment does not exist.");
                }

                return explicitPath;
            }

            foreach (var folder in SearchFolders(currentDirectory))
            {
                foreach (var name in names)
                {
                    var path = Path.Combine(folder, name);
                    if (File.Exists(path))
                    {
                        return path;
                    }
                }
            }

            return null;
        }

        /// <param name="path">The file.</param>
        /// <param name="cacheAuth">openstacksdk's top-level <c>cache: {auth: true}</c>: tokens may be reused between processes.</param>
        private static Dictionary<string, YamlMappingNode> LoadClouds(string path, out bool cacheAuth)
        {
            cacheAuth = false;
            var stream = new YamlStream();
            try
            {
                using var reader = new StreamReader(path);
                stream.Load(reader);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is YamlDotNet.Core.YamlException)
            {
                throw new OpenStackMigrationException("OSCloudsYamlInvalid", FailureKind.Configuration, $"Cannot read '{path}': {e.Message}", e);
            }

            var result = new Dictionary<string, YamlMappingNode>(StringComparer.Ordinal);
            if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode top
                && top.Children.TryGetValue(new YamlScalarNode("cache"), out var cache) && cache is YamlMappingNode cacheMap)
            {
                cacheAuth = Scalars(cacheMap).TryGetValue("auth", out var auth) && YamlBoolean(auth) == true;
            }

            if (stream.Documents.Count > 0 && stream.Documents[0].RootNode is YamlMappingNode root
                && root.Children.TryGetValue(new YamlScalarNode("clouds"), out var clouds) && clouds is YamlMappingNode map)
            {
                foreach (var entry in map.Children)
                {
                    if (entry.Key is YamlScalarNode key && entry.Value is YamlMappingNode value && key.Value != null)
                    {
                        result[key.Value] = value;
                    }
                }
            }

            return result;
        }

        private static void Merge(YamlMappingNode target, YamlMappingNode overlay)
        {
            foreach (var entry in overlay.Children)
            {
                if (entry.Value is YamlMappingNode child && target.Children.TryGetValue(entry.Key, out var existing) && existing is YamlMappingNode existingMap)
                {
                    Merge(existingMap, child);
                }
                else
                {
                    target.Children[entry.Key] = entry.Value;
                }
            }
        }

        private static Dictionary<string, string?> Scalars(YamlMappingNode node)
        {
            var result = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var entry in node.Children)
            {
                if (entry.Key is YamlScalarNode key && key.Value != null && entry.Value is YamlScalarNode value)
                {
                    result[key.Value] = value.Value;
                }
            }

            return result;
        }

        private static string? Env(IDictionary environment, string name)
        {
            var value = environment.Contains(name) ? environment[name] as string : null;
            return string.IsNullOrEmpty(value) ? null : value;
        }
    }
}
