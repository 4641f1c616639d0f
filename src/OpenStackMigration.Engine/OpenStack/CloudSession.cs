using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// A connection to one cloud: who we are, which endpoints and compute microversion we use.
    /// Holds the token privately; renews it before it expires and once on a 401.
    /// </summary>
    public sealed class CloudSession : IDisposable
    {
        /// <summary>The newest compute microversion this module knows how to read and write.</summary>
        public static readonly Microversion NewestSupportedCompute = new Microversion(2, 96);

        private static readonly TimeSpan MaxRenewBefore = TimeSpan.FromMinutes(5);
        private readonly SemaphoreSlim _authLock = new SemaphoreSlim(1, 1);
        private readonly AuthOptions _options;
        private KeystoneToken _token;
        private bool _disposed;

        private CloudSession(AuthOptions options, ApiConnection http, KeystoneToken token)
        {
            _options = options;
            Http = http;
            _token = token;
            RenewBefore = Margin(token);
        }

        // Renewed 5 minutes before it expires, or a third of its life for short-lived tokens (Keystone's [token]
        // expiration set to minutes): a fixed 5 minutes would make every call of a 3-minute token issue a new one.
        private TimeSpan RenewBefore { get; set; }

        private static TimeSpan Margin(KeystoneToken token)
        {
            var life = token.ExpiresAt - DateTimeOffset.UtcNow;
            return life <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(MaxRenewBefore.Ticks, life.Ticks / 3));
        }

        /// <summary>The clouds.yaml name, or the auth URL's host.</summary>
        public string Name => _options.CloudName ?? (Uri.TryCreate(_options.AuthUrl, UriKind.Absolute, out var u) ? u.Host : _options.AuthUrl);

        /// <summary>Keystone's v3 URL.</summary>
        public string AuthUrl => Keystone.V3Root(_options.AuthUrl);

        /// <summary>How we authenticated.</summary>
        public AuthMethod AuthMethod => _options.Method;

        /// <summary>The user.</summary>
        public string? UserName => _token.UserName;

        /// <summary>The user's id.</summary>
        public string? UserId => _token.UserId;

        /// <summary>The project the token is scoped to.</summary>
        public string? ProjectName => _token.ProjectName;

        /// <summary>The project's id.</summary>
        public string? ProjectId => _token.ProjectId;

        /// <summary>The roles the token carries in that project.</summary>
        public IReadOnlyList<string> Roles => _token.Roles;

        /// <summary>The region endpoints come from.</summary>
        public string? Region => _options.Region;

        /// <summary>The endpoint interface used.</summary>
        public string Interface => _options.Interface;

        /// <summary>When the current token expires; it is renewed before then.</summary>
        public DateTimeOffset TokenExpiresAt => _token.ExpiresAt;

        /// <summary>The compute microversion in use: the newest both Nova and this module support.</summary>
        public Microversion ComputeMicroversion { get; private set; } = new Microversion(2, 1);

        /// <summary>The newest compute microversion Nova offers.</summary>
        public Microversion ComputeMaxMicroversion { get; private set; } = new Microversion(2, 1);

        /// <summary>True when TLS certificates are not checked.</summary>
        public bool SkipCertificateCheck => _options.SkipCertificateCheck;

        /// <summary>Where the connection settings came from.</summary>
        public string Source => _options.Source;

        /// <summary>The service catalog as the token gave it.</summary>
        public IReadOnlyList<CatalogEndpoint> Catalog => _token.Catalog;

        /// <summary>True once Disconnect-OSCloud has revoked the token.</summary>
        public bool IsClosed => _disposed;

        internal ApiConnection Http { get; }

        /// <summary>Authenticates and discovers the compute API version.</summary>
        public static async Task<CloudSession> ConnectAsync(AuthOptions options, IEngineSink sink, CancellationToken cancellationToken)
        {
            var http = new ApiConnection(options);
            try
            {
                var token = options.CacheToken ? TokenCache.Load(options, sink) : null;
                if (token == null)
                {
                    token = await Keystone.IssueAsync(http, options, sink, cancellationToken).ConfigureAwait(false);
                    if (options.CacheToken)
                    {
                        TokenCache.Store(options, token, sink);
                    }
                }

                var session = new CloudSession(options, http, token);
                sink.Verbose($"Authenticated as '{token.UserName}' in project '{token.ProjectName}'; token valid until {token.ExpiresAt:u}.");
                foreach (var o in options.EndpointOverrides)
                {
                    sink.Verbose($"The {o.Key} endpoint is {o.Value} ({o.Key}_endpoint_override), not the catalog's.");
                }

                await session.DiscoverComputeAsync(sink, cancellationToken).ConfigureAwait(false);
                return session;
            }
            catch
            {
                http.Dispose();
                throw;
            }
        }

        /// <summary>The URL of a service's endpoint for this session's region and interface.</summary>
        public string EndpointFor(params string[] serviceTypes)
        {
            foreach (var type in serviceTypes)
            {
                if (_options.EndpointOverrides.TryGetValue(type.Replace('-', '_'), out var overridden))
                {
                    // As keystoneauth does, an override may name the project: http://host/v3/%(project_id)s.
                    return overridden.Replace("%(project_id)s", _token.ProjectId ?? string.Empty).TrimEnd('/');
                }
            }

            foreach (var type in serviceTypes)
            {
                var match = _token.Catalog.FirstOrDefault(e => e.ServiceType == type
                    && string.Equals(e.Interface, _options.Interface, StringComparison.OrdinalIgnoreCase)
                    && (string.IsNullOrEmpty(_options.Region) || e.Region == _options.Region));
                if (match != null)
                {
                    return match.Url.TrimEnd('/');
                }
            }

            var regions = string.Join(", ", _token.Catalog.Where(e => serviceTypes.Contains(e.ServiceType)).Select(e => $"{e.Region}/{e.Interface}").Distinct());
            throw new OpenStackMigrationException(
                "OSEndpointNotFound",
                FailureKind.NotSupported,
                $"The catalog has no '{serviceTypes[0]}' endpoint for region '{_options.Region ?? "(any)"}' and interface '{_options.Interface}'."
                + (regions.Length > 0 ? $" It has: {regions}." : " The cloud does not offer this service to this project."))
            {
                RecommendedAction = "Pick another -Region or -Interface (OS_REGION_NAME, OS_INTERFACE).",
            };
        }

        /// <summary>Sends one request to a catalog service, with the token and, if given, a microversion.</summary>
        internal async Task<ApiResponse> SendAsync(ServiceRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var url = request.AbsoluteUrl ?? EndpointFor(request.ServiceTypes) + request.Path;
            for (var attempt = 0; ; attempt++)
            {
                var token = await CurrentTokenAsync(sink, attempt > 0, cancellationToken).ConfigureAwait(false);
                var headers = new Dictionary<string, string> { ["X-Auth-Token"] = token.Id };
                if (request.Microversion != null)
                {
                    headers["OpenStack-API-Version"] = $"{request.MicroversionService} {request.Microversion}";
                    if (request.MicroversionService == "compute")
                    {
                        headers["X-OpenStack-Nova-API-Version"] = request.Microversion.ToString();
                    }
                }

                var response = await Http.SendAsync(request.Method, url, request.Body, headers, request.ServiceName, sink, redactBody: false, cancellationToken).ConfigureAwait(false);
                if (response.Status == 401 && attempt == 0)
                {
                    sink.Verbose($"{request.ServiceName} answered 401; authenticating again once.");
                    continue;
                }

                if (response.Status == 401)
                {
                    throw new OpenStackMigrationException(
                        "OSTokenRejected",
                        FailureKind.Authentication,
                        $"{request.ServiceName} refused a fresh token for {request.Method} {url}" + (response.RequestId != null ? $" (request id {response.RequestId})" : string.Empty) + ".")
                    {
                        RecommendedAction = "Run Connect-OSCloud again; if you connected with -Token, that token has expired or been revoked.",
                    };
                }

                if (request.Microversion != null)
                {
                    var advertised = request.MicroversionService == "compute" ? ComputeMaxMicroversion : null;
                    var wrongVersion = MicroversionCheck.ErrorFor(response, request, request.Microversion, advertised, url);
                    if (wrongVersion != null)
                    {
                        throw wrongVersion;
                    }
                }

                if (response.Status >= 400 && !request.AcceptStatuses.Contains(response.Status))
                {
                    throw ApiConnection.ErrorFor(response, request.Method, url, request.ServiceName, request.Description);
                }

                return response;
            }
        }

        /// <summary>Revokes the token.</summary>
        public async Task CloseAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            if (_disposed)
            {
                return;
            }

            if (_options.CacheToken)
            {
                TokenCache.Remove(_options);
            }

            await Keystone.RevokeAsync(Http, _options, _token, sink, cancellationToken).ConfigureAwait(false);
            Dispose();
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            _disposed = true;
            Http.Dispose();
        }

        /// <inheritdoc/>
        public override string ToString() => $"{Name} ({ProjectName}@{AuthUrl})";

        private async Task<KeystoneToken> CurrentTokenAsync(IEngineSink sink, bool force, CancellationToken cancellationToken)
        {
            if (_disposed)
            {
                throw new OpenStackMigrationException("OSSessionClosed", FailureKind.InvalidState, "This session was disconnected. Run Connect-OSCloud again.");
            }

            var current = _token;
            if (!force && current.ExpiresAt - DateTimeOffset.UtcNow > RenewBefore)
            {
                return current;
            }

            await _authLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!ReferenceEquals(current, _token) && _token.ExpiresAt - DateTimeOffset.UtcNow > RenewBefore)
                {
                    return _token; // another thread renewed it meanwhile
                }

                if (_options.Method == AuthMethod.Token && force)
                {
                    throw new OpenStackMigrationException("OSTokenRejected", FailureKind.Authentication, "The cloud no longer accepts the token this session was made with (revoked or expired); a token cannot renew itself.")
                    {
                        RecommendedAction = "Run Connect-OSCloud with a new token, a password or an application credential.",
                    };
                }

                if (_options.Method == AuthMethod.Token && _token.ExpiresAt <= DateTimeOffset.UtcNow)
                {
                    throw new OpenStackMigrationException("OSTokenExpired", FailureKind.Authentication, $"The token this session was made with expired at {_token.ExpiresAt:u}; a token cannot renew itself.")
                    {
                        RecommendedAction = "Run Connect-OSCloud with a new token, a password or an application credential.",
                    };
                }

                sink.Verbose(force ? "Renewing the token after a 401." : $"Renewing the token, which expires at {_token.ExpiresAt:u}.");
                _token = await Keystone.IssueAsync(Http, _options, sink, cancellationToken).ConfigureAwait(false);
                RenewBefore = Margin(_token);
                if (_options.CacheToken)
                {
                    TokenCache.Store(_options, _token, sink);
                }

                return _token;
            }
            finally
            {
                _authLock.Release();
            }
        }

        private async Task DiscoverComputeAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            var endpoint = EndpointFor("compute");
            var response = await SendAsync(new ServiceRequest("GET", string.Empty, "Nova") { AbsoluteUrl = endpoint + "/", ServiceTypes = new[] { "compute" } }, sink, cancellationToken).ConfigureAwait(false);
            var version = response.Object["version"] as JObject;
            ComputeMaxMicroversion = Microversion.Parse((string?)version?["version"]) ?? new Microversion(2, 1);
            ComputeMicroversion = ComputeMaxMicroversion < NewestSupportedCompute ? ComputeMaxMicroversion : NewestSupportedCompute;
            sink.Verbose($"Nova at {endpoint} offers compute microversions up to {ComputeMaxMicroversion}; using up to {ComputeMicroversion}.");
        }
    }

    /// <summary>A request to one catalog service.</summary>
    internal sealed class ServiceRequest
    {
        public ServiceRequest(string method, string path, string serviceName)
        {
            Method = method;
            Path = path;
            ServiceName = serviceName;
        }

        public string Method { get; }

        public string Path { get; }

        public string ServiceName { get; }

        public string[] ServiceTypes { get; set; } = new[] { "compute" };

        public string? AbsoluteUrl { get; set; }

        public JToken? Body { get; set; }

        public Microversion? Microversion { get; set; }

        public string MicroversionService { get; set; } = "compute";

        public int[] AcceptStatuses { get; set; } = Array.Empty<int>();

        /// <summary>What the request does, in words, for error messages ("live-migrating instance X").</summary>
        public string? Description { get; set; }
    }
}
