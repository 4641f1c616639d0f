using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace OpenStackMigration.Nodes
{
    /// <summary>What the known hosts file says about a host key.</summary>
    public enum KnownHostVerdict
    {
        /// <summary>The host is listed with this very key.</summary>
        Match,

        /// <summary>The host is not listed for this key type.</summary>
        Unknown,

        /// <summary>The host is listed with a different key of the same type, or the key is revoked: refuse.</summary>
        Mismatch,
    }

    /// <summary>Reads OpenSSH known_hosts files: plain and hashed (|1|) host names, [host]:port entries, @revoked.</summary>
    public static class KnownHosts
    {
        /// <summary>The default file, ~/.ssh/known_hosts.</summary>
        public static string DefaultPath =>
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ssh", "known_hosts");

        /// <summary>Checks a host key against a known hosts file (a missing file knows nothing).</summary>
        public static KnownHostVerdict Check(string? path, string host, int port, string keyType, byte[] key)
        {
            path ??= DefaultPath;
            if (!File.Exists(path))
            {
                return KnownHostVerdict.Unknown;
            }

            string name = port == 22 ? host : "[" + host + "]:" + port;
            var verdict = KnownHostVerdict.Unknown;
            foreach (var raw in File.ReadAllLines(path))
            {
                var fields = raw.Trim().Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 3 || fields[0].StartsWith("#", StringComparison.Ordinal))
                {
                    continue;
                }

                string? marker = null;
                if (fields[0].StartsWith("@", StringComparison.Ordinal))
                {
                    marker = fields[0];
                    fields = fields.Skip(1).ToArray();
                    if (fields.Length < 3 || marker == "@cert-authority") continue;
                }

                if (!HostMatches(fields[0], name) || fields[1] != keyType)
                {
                    continue;
                }

                byte[] listed;
                try
                {
                    listed = Convert.FromBase64String(fields[2]);
                }
                catch (FormatException)
                {
                    continue;
                }

                bool same = listed.SequenceEqual(key);
                if (marker == "@revoked")
                {
                    if (same) return KnownHostVerdict.Mismatch;
                    continue;
                }

                if (same) return KnownHostVerdict.Match;
                verdict = KnownHostVerdict.Mismatch;
            }

            return verdict;
        }

        private static bool HostMatches(string patterns, string name)
        {
            if (patterns.StartsWith("|1|", StringComparison.Ordinal))
            {
                var parts = patterns.Split('|');
                if (parts.Length != 4) return false;
                try
                {
                    using var hmac = new HMACSHA1(Convert.FromBase64String(parts[2]));
                    return Convert.ToBase64String(hmac.ComputeHash(Encoding.ASCII.GetBytes(name))) == parts[3];
                }
                catch (FormatException)
                {
                    return false;
                }
            }

            var list = patterns.Split(',');
            return !list.Any(p => p.StartsWith("!", StringComparison.Ordinal) && Glob(p.Substring(1), name))
                && list.Any(p => !p.StartsWith("!", StringComparison.Ordinal) && Glob(p, name));
        }

        private static bool Glob(string pattern, string name)
        {
            string regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$";
            return System.Text.RegularExpressions.Regex.IsMatch(name, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        }

        /// <summary>An OpenSSH style SHA256 fingerprint of a key blob.</summary>
        public static string Fingerprint(byte[] key)
        {
            using var sha = SHA256.Create();
            return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(key)).TrimEnd('=');
        }
    }
}
