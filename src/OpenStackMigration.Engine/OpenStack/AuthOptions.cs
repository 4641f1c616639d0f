using System;
using System.Collections.Generic;
using System.Net;

namespace OpenStackMigration.OpenStack
{
    /// <summary>How to authenticate against Keystone v3.</summary>
    public enum AuthMethod
    {
        /// <summary>User name and password, scoped to a project.</summary>
        Password,

        /// <summary>An application credential (id, or name plus user), with its secret.</summary>
        ApplicationCredential,

        /// <summary>An existing token, re-scoped to a project when one is named.</summary>
        Token,
    }

    /// <summary>Everything needed to reach a cloud. Secrets are held in <see cref="NetworkCredential"/>s, never as plain strings.</summary>
    public sealed class AuthOptions
    {
        /// <summary>The clouds.yaml entry these came from, if any.</summary>
        public string? CloudName { get; set; }

        /// <summary>Keystone's URL, with or without the trailing /v3.</summary>
        public string AuthUrl { get; set; } = string.Empty;

        /// <summary>The method.</summary>
        public AuthMethod Method { get; set; } = AuthMethod.Password;

        /// <summary>User name and password (password auth), or id/name and secret (application credential), or the token in Password (token auth).</summary>
        public NetworkCredential? Credential { get; set; }

        /// <summary>The user's id, when given instead of a name.</summary>
        public string? UserId { get; set; }

        /// <summary>The user's domain by name (default: Default).</summary>
        public string? UserDomainName { get; set; }

        /// <summary>The user's domain by id.</summary>
        public string? UserDomainId { get; set; }

        /// <summary>The project to scope to, by name.</summary>
        public string? ProjectName { get; set; }

        /// <summary>The project to scope to, by id.</summary>
        public string? ProjectId { get; set; }

        /// <summary>The project's domain by name (default: Default).</summary>
        public string? ProjectDomainName { get; set; }

        /// <summary>The project's domain by id.</summary>
        public string? ProjectDomainId { get; set; }

        /// <summary>The region whose endpoints to use; the first one found when empty.</summary>
        public string? Region { get; set; }

        /// <summary>public, internal or admin (default public).</summary>
        public string Interface { get; set; } = "public";

        /// <summary>
        /// A PEM bundle of CA certificates to trust instead of the system store, as the OpenStack client tools
        /// do with cacert / OS_CACERT. Without one, the system store decides.
        /// </summary>
        public string? CACertFile { get; set; }

        /// <summary>Skips TLS certificate checks. Off unless the user asks.</summary>
        public bool SkipCertificateCheck { get; set; }

        /// <summary>What turned certificate checks off (OS_INSECURE, verify: false in clouds.yaml...), for the warning.</summary>
        public string? SkipCertificateCheckSource { get; set; }

        /// <summary>
        /// Reuse a still-valid token between processes of the same user and settings (clouds.yaml's top-level
        /// <c>cache: {auth: true}</c>, as openstacksdk reads it), kept in a folder only the user can read.
        /// </summary>
        public bool CacheToken { get; set; }

        /// <summary>
        /// Endpoints used instead of the catalog's, by service type with '-' as '_' (compute, placement, block_storage),
        /// as openstacksdk reads <c>compute_endpoint_override</c> from clouds.yaml or OS_COMPUTE_ENDPOINT_OVERRIDE.
        /// </summary>
        public IDictionary<string, string> EndpointOverrides { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Per-request timeout in seconds.</summary>
        public int RequestTimeoutSec { get; set; } = 60;

        /// <summary>Where the settings came from (parameters, environment, a clouds.yaml path), for messages.</summary>
        public string Source { get; set; } = "parameters";
    }
}
