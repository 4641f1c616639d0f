using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace OpenStackMigration.OpenStack
{
    /// <summary>One endpoint of the service catalog.</summary>
    public sealed class CatalogEndpoint
    {
        internal CatalogEndpoint(string serviceType, string serviceName, string region, string @interface, string url)
        {
            ServiceType = serviceType;
            ServiceName = serviceName;
            Region = region;
            Interface = @interface;
            Url = url;
        }

        /// <summary>compute, placement, volumev3, identity...</summary>
        public string ServiceType { get; }

        /// <summary>nova, placement, cinderv3...</summary>
        public string ServiceName { get; }

        /// <summary>The region.</summary>
        public string Region { get; }

        /// <summary>public, internal or admin.</summary>
        public string Interface { get; }

        /// <summary>The URL.</summary>
        public string Url { get; }
    }

    /// <summary>A Keystone token and what came with it. The token id never leaves this object.</summary>
    internal sealed class KeystoneToken
    {
        public KeystoneToken(string id, DateTimeOffset expiresAt, JObject body, string? userId, string? userName, string? projectId, string? projectName, IReadOnlyList<CatalogEndpoint> catalog, IReadOnlyList<string> roles)
        {
            Id = id;
            ExpiresAt = expiresAt;
            Body = body;
            UserId = userId;
            UserName = userName;
            ProjectId = projectId;
            ProjectName = projectName;
            Catalog = catalog;
            Roles = roles;
        }

        public string Id { get; }

        public DateTimeOffset ExpiresAt { get; }

        /// <summary>Keystone's answer, as the token cache keeps it.</summary>
        public JObject Body { get; }

        public string? UserId { get; }

        public string? UserName { get; }

        public string? ProjectId { get; }

        public string? ProjectName { get; }

        public IReadOnlyList<CatalogEndpoint> Catalog { get; }

        public IReadOnlyList<string> Roles { get; }

        public override string ToString() => "KeystoneToken(redacted)";
    }

    /// <summary>Keystone v3: issue and revoke tokens.</summary>
    internal static class Keystone
    {
        /// <summary>Normalises an auth URL to its v3 root.</summary>
        public static string V3Root(string authUrl)
        {
            var url = authUrl.Trim().TrimEnd('/');
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new OpenStackMigrationException("OSInvalidAuthUrl", FailureKind.InvalidArgument, $"'{authUrl}' is not an http(s) URL. Give Keystone's URL, such as https://keystone.example.com:5000/v3.");
            }

            return url.EndsWith("/v3", StringComparison.Ordinal) ? url : url + "/v3";
        }

        public static async Task<KeystoneToken> IssueAsync(ApiConnection http, AuthOptions options, IEngineSink sink, CancellationToken cancellationToken)
        {
            var url = V3Root(options.AuthUrl) + "/auth/tokens";
            sink.Verbose($"Authenticating to {V3Root(options.AuthUrl)} with {Describe(options)}.");
            var response = await http.SendAsync("POST", url, BuildRequest(options), new Dictionary<string, string>(), "Keystone", sink, redactBody: true, cancellationToken).ConfigureAwait(false);
            // An unknown or revoked token is a 404 ("Could not find token") rather than a 401.
            if (response.Status == 401 || (options.Method == AuthMethod.Token && response.Status == 404))
            {
                throw new OpenStackMigrationException(
                    "OSAuthenticationFailed",
                    FailureKind.Authentication,
                    $"Keystone at {V3Root(options.AuthUrl)} refused the credentials of {Describe(options)}: {ApiConnection.ServiceMessageOf(response.Body) ?? "unauthorized"}" + (response.RequestId != null ? $" (request id {response.RequestId})" : string.Empty))
                {
                    RecommendedAction = "Check the user name, password (or application credential secret, or token), and the user's domain.",
                };
            }

            if (response.Status != 201 && response.Status != 200)
            {
                throw ApiConnection.ErrorFor(response, "POST", url, "Keystone", "authentication for " + Describe(options));
            }

            if (!response.Headers.TryGetValue("X-Subject-Token", out var tokenId) || string.IsNullOrEmpty(tokenId))
            {
                throw new OpenStackMigrationException("OSKeystoneNoToken", FailureKind.ServiceError, "Keystone answered the authentication without an X-Subject-Token header (a proxy in between may drop it).");
            }

            return Parse(tokenId, response.Object["token"] as JObject ?? new JObject());
        }

        /// <summary>A token from its id and the body Keystone answered with (freshly issued, or kept by <see cref="TokenCache"/>).</summary>
        internal static KeystoneToken Parse(string tokenId, JObject token)
        {
            var expires = DateTimeOffset.Parse((string?)token["expires_at"] ?? DateTimeOffset.UtcNow.AddHours(1).ToString("o"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            var catalog = new List<CatalogEndpoint>();
            foreach (var service in token["catalog"] as JArray ?? new JArray())
            {
                foreach (var endpoint in service["endpoints"] as JArray ?? new JArray())
                {
                    catalog.Add(new CatalogEndpoint(
                        (string?)service["type"] ?? string.Empty,
                        (string?)service["name"] ?? string.Empty,
                        (string?)endpoint["region_id"] ?? (string?)endpoint["region"] ?? string.Empty,
                        (string?)endpoint["interface"] ?? string.Empty,
                        (string?)endpoint["url"] ?? string.Empty));
                }
            }

            if (token["project"] == null)
            {
                throw new OpenStackMigrationException("OSTokenNotScoped", FailureKind.InvalidArgument, "Keystone issued a token that is not scoped to a project, so it has no service catalog. Name a project (-ProjectName or OS_PROJECT_NAME).");
            }

            var roles = (token["roles"] as JArray ?? new JArray()).Select(r => (string?)r["name"] ?? string.Empty).ToList();
            return new KeystoneToken(tokenId, expires, token, (string?)token["user"]?["id"], (string?)token["user"]?["name"], (string?)token["project"]?["id"], (string?)token["project"]?["name"], catalog, roles);
        }

        public static async Task RevokeAsync(ApiConnection http, AuthOptions options, KeystoneToken token, IEngineSink sink, CancellationToken cancellationToken)
        {
            var url = V3Root(options.AuthUrl) + "/auth/tokens";
            var headers = new Dictionary<string, string> { ["X-Auth-Token"] = token.Id, ["X-Subject-Token"] = token.Id };
            var response = await http.SendAsync("DELETE", url, null, headers, "Keystone", sink, redactBody: true, cancellationToken).ConfigureAwait(false);
            if (response.Status != 204 && response.Status != 404)
            {
                throw ApiConnection.ErrorFor(response, "DELETE", url, "Keystone", "revoking the token");
            }
        }

        /// <summary>Who is authenticating, for messages. Never includes a secret.</summary>
        public static string Describe(AuthOptions options) => options.Method switch
        {
            AuthMethod.ApplicationCredential => $"application credential '{options.Credential?.UserName}'",
            AuthMethod.Token => "an existing token",
            _ => $"user '{options.Credential?.UserName ?? options.UserId}' (domain '{options.UserDomainName ?? options.UserDomainId ?? "Default"}')",
        };

        internal static JObject BuildRequest(AuthOptions options)
        {
            JObject identity;
            switch (options.Method)
            {
                case AuthMethod.ApplicationCredential:
                    var appCred = new JObject { ["secret"] = options.Credential?.Password ?? string.Empty };
                    var nameOrId = options.Credential?.UserName ?? string.Empty;
                    if (options.UserId != null || options.Credential?.Domain is { Length: > 0 })
                    {
                        appCred["name"] = nameOrId;
                        appCred["user"] = UserObject(options.UserId, options.Credential?.Domain, options);
                    }
                    else
                    {
                        appCred["id"] = nameOrId;
                    }

                    // Application credentials carry their own scope.
                    return new JObject { ["auth"] = new JObject { ["identity"] = new JObject { ["methods"] = new JArray("application_credential"), ["application_credential"] = appCred } } };
                case AuthMethod.Token:
                    identity = new JObject { ["methods"] = new JArray("token"), ["token"] = new JObject { ["id"] = options.Credential?.Password ?? string.Empty } };
                    break;
                default:
                    var user = UserObject(options.UserId, options.Credential?.UserName, options);
                    user["password"] = options.Credential?.Password ?? string.Empty;
                    identity = new JObject { ["methods"] = new JArray("password"), ["password"] = new JObject { ["user"] = user } };
                    break;
            }

            var auth = new JObject { ["identity"] = identity };
            var scope = ProjectScope(options);
            if (scope != null)
            {
                auth["scope"] = scope;
            }

            return new JObject { ["auth"] = auth };
        }

        private static JObject UserObject(string? userId, string? userName, AuthOptions options)
        {
            if (userId != null)
            {
                return new JObject { ["id"] = userId };
            }

            var domain = options.UserDomainId != null ? new JObject { ["id"] = options.UserDomainId } : new JObject { ["name"] = options.UserDomainName ?? "Default" };
            return new JObject { ["name"] = userName ?? string.Empty, ["domain"] = domain };
        }

        private static JObject? ProjectScope(AuthOptions options)
        {
            if (options.ProjectId != null)
            {
                return new JObject { ["project"] = new JObject { ["id"] = options.ProjectId } };
            }

            if (options.ProjectName == null)
            {
                return null;
            }

            var domain = options.ProjectDomainId != null ? new JObject { ["id"] = options.ProjectDomainId } : new JObject { ["name"] = options.ProjectDomainName ?? "Default" };
            return new JObject { ["project"] = new JObject { ["name"] = options.ProjectName, ["domain"] = domain } };
        }
    }
}
