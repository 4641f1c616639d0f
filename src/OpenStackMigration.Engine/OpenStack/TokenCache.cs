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

        /// <summary>The folder tokens are kept in (OSM_TOKEN_CACHE_DIR overrides it).</summary>
        public static string Directory()
        {
            var overridden = Environment.GetEnvironmentVariable("OSM_TOKEN_CACHE_DIR");
            if (!string.IsNullOrEmpty(overridden))
            {
                return overridden!;
            }

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "OpenStackMigration", "tokens");
            }

            var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            if (!string.IsNullOrEmpty(runtime) && System.IO.Directory.Exists(runtime))
            {
                return Path.Combine(runtime, "openstackmigration-tokens");
            }

            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            return Path.Combine(string.IsNullOrEmpty(cache) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : cache!, "openstackmigration", "tokens");
        }

        /// <summary>A kept token for these settings and secret with time left, or null.</summary>
        public static KeystoneToken? Load(AuthOptions options, IEngineSink sink)
        {
            var path = PathFor(options);
            if (path == null || !File.Exists(path) || !PrivateFolder(Path.GetDirectoryName(path)!, create: false))
            {
                return null;
            }

            try
            {
                var kept = JObject.Parse(File.ReadAllText(path));
                var token = Keystone.Parse((string?)kept["id"] ?? string.Empty, kept["token"] as JObject ?? new JObject());
                if (token.Id.Length == 0 || token.ExpiresAt - DateTimeOffset.UtcNow < MinimumLeft)
                {
                    return null;
                }

                sink.Verbose($"Reusing a token kept by an earlier process (valid until {token.ExpiresAt:u}; clouds.yaml cache: auth: true).");
                return token;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is Newtonsoft.Json.JsonException || e is OpenStackMigrationException || e is FormatException)
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

            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                if (!PrivateFolder(Path.GetDirectoryName(path)!, create: true))
                {
                    sink.Debug("The token cache folder is not private to this user; the token is not kept.");
                    return;
                }

                // Made empty and private first, then filled: the token is never in a file others could open.
                using (File.Create(temp))
                {
                }

                if (!Chmod(temp, 0x180))
                {
                    File.Delete(temp);
                    return;
                }

                File.WriteAllText(temp, new JObject { ["id"] = token.Id, ["token"] = token.Body }.ToString(Newtonsoft.Json.Formatting.None));
                if (File.Exists(path))
                {
                    File.Delete(path);
                }

                File.Move(temp, path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                sink.Debug($"The token could not be kept ({e.GetType().Name}).");
                try
                {
                    File.Delete(temp);
                }
                catch (IOException)
                {
                    // Nothing more to do: a leftover temporary file in the private folder.
                }
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
                Hex(Sha256(options.Credential.Password ?? string.Empty)));
            return Path.Combine(Directory(), Hex(Sha256(key)) + ".json");
        }

        /// <summary>The folder exists (or is made) and only its owner can open it; false when that cannot be ensured.</summary>
        private static bool PrivateFolder(string folder, bool create)
        {
            if (!System.IO.Directory.Exists(folder))
            {
                if (!create)
                {
                    return false;
                }

                System.IO.Directory.CreateDirectory(folder);
            }

            // 0700, every time: chmod fails unless we own the folder.
            return Chmod(folder, 0x1C0);
        }

        private static bool Chmod(string path, int mode)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                // The user's local application data is private to the user by its ACL.
                return true;
            }

            return NativeMethods.chmod(path, mode) == 0;
        }

        private static byte[] Sha256(string text)
        {
            using var sha = SHA256.Create();
            return sha.ComputeHash(Encoding.UTF8.GetBytes(text));
        }

        private static string Hex(byte[] bytes)
        {
            var sb = new StringBuilder(bytes.Length * 2);
            foreach (var b in bytes)
            {
                sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return sb.ToString();
        }

        private static class NativeMethods
        {
            [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300 // the C library's name
            public static extern int chmod(string path, int mode);
#pragma warning restore SA1300
        }
    }
}
