using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Newtonsoft.Json.Linq;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// Tokens kept between processes of one user (opt-in, as openstacksdk's <c>cache: {auth: true}</c>): a job that
    /// starts many processes authenticates once. A token is kept in a folder only the user can open (0700; files
    /// 0600), in $XDG_RUNTIME_DIR when there is one (memory, gone at logout), else the user's cache folder; on
    /// Windows in the user's local application data. A token is found only with the same settings and the same
    /// secret (its file is named by a hash of both), and only while it has more than a few minutes left.
    /// Nothing else about the secret is kept.
    /// </summary>
    internal static class TokenCache
    {
        /// <summary>A kept token is reused only while it has more than this left (the session renews 5 minutes before).</summary>
        private static readonly TimeSpan MinimumLeft = TimeSpan.FromMinutes(10);

        /// <summary>The folder tokens are kept in (OSM_TOKEN_CACHE_DIR overrides it): memory ($XDG_RUNTIME_DIR) when there is one.</summary>
        public static string Directory() => PrivateFiles.UserFolder("tokens", "OSM_TOKEN_CACHE_DIR", preferRuntime: true);

        /// <summary>A kept token for these settings and secret with time left, or null.</summary>
        public static KeystoneToken? Load(AuthOptions options, IEngineSink sink)
        {
            var path = PathFor(options);
            var text = path == null ? null : PrivateFiles.Read(path);
            if (text == null)
            {
                return null;
            }

            try
            {
                var kept = JObject.Parse(text);
                var token = Keystone.Parse((string?)kept["id"] ?? string.Empty, kept["token"] as JObject ?? new JObject());
                if (token.Id.Length == 0 || token.ExpiresAt - DateTimeOffset.UtcNow < MinimumLeft)
                {
                    return null;
                }

                sink.Verbose($"Reusing a token kept by an earlier process (valid until {token.ExpiresAt:u}; clouds.yaml cache: auth: true).");
                return token;
            }
            catch (Exception e) when (e is Newtonsoft.Json.JsonException || e is OpenStackMigrationException || e is FormatException)
            {
                sink.Debug($"The kept token could not be read ({e.GetType().Name}); authenticating.");
                return null;
            }
        }

        /// <summary>Keeps a token for later processes; failures only cost the next process a password check.</summary>
        public static void Store(AuthOptions options, KeystoneToken token, IEngineSink sink)
        {
            var path = PathFor(options);
            if (path == null)
            {
                return;
            }

            if (!PrivateFiles.Write(path, new JObject { ["id"] = token.Id, ["token"] = token.Body }.ToString(Newtonsoft.Json.Formatting.None), sink))
            {
                sink.Debug("The token was not kept.");
            }
        }

        /// <summary>Forgets the token kept for these settings (Disconnect-OSCloud revoked it).</summary>
        public static void Remove(AuthOptions options)
        {
            var path = PathFor(options);
            try
            {
                if (path != null && File.Exists(path))
                {
                    File.Delete(path);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // A revoked token left behind is refused by Keystone and replaced on the next use.
            }
        }

        /// <summary>The file for these settings and secret; null when tokens are not to be kept (a token given by the caller is not).</summary>
        internal static string? PathFor(AuthOptions options)
        {
            if (!options.CacheToken || options.Method == AuthMethod.Token || options.Credential == null)
            {
                return null;
            }

            var key = string.Join(
                "\n",
                Keystone.V3Root(options.AuthUrl),
                options.Method.ToString(),
                options.Credential.UserName ?? string.Empty,
                options.UserId ?? string.Empty,
                options.UserDomainName ?? string.Empty,
                options.UserDomainId ?? string.Empty,
                options.ProjectName ?? string.Empty,
                options.ProjectId ?? string.Empty,
                options.ProjectDomainName ?? string.Empty,
                options.ProjectDomainId ?? string.Empty,
                PrivateFiles.Sha256Hex(options.Credential.Password ?? string.Empty));
            return Path.Combine(Directory(), PrivateFiles.Sha256Hex(key) + ".json");
        }
    }
}
