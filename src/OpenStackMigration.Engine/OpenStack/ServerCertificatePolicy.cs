using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// Decides whether to trust an API's TLS certificate: the system's trust store, or, when a CA bundle is given,
    /// only that bundle (as the OpenStack client tools do). Keeps why it refused, per host and port, so the error
    /// says what was wrong rather than "the SSL connection could not be established".
    /// </summary>
    internal sealed class ServerCertificatePolicy
    {
        private const string AnyHost = "*";
        private readonly X509Certificate2Collection? _bundle;
        private readonly string? _bundlePath;
        private readonly ConcurrentDictionary<string, Refusal> _refusals = new ConcurrentDictionary<string, Refusal>(StringComparer.OrdinalIgnoreCase);

        public ServerCertificatePolicy(string? bundlePath)
        {
            if (!string.IsNullOrEmpty(bundlePath))
            {
                _bundlePath = bundlePath;
                _bundle = LoadBundle(bundlePath!);
            }
        }

        /// <summary>The TLS validation callback: true to trust, false (and why, kept for <see cref="ErrorFor"/>) to refuse.</summary>
        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            // HttpClient passes the request that opened the connection; anything else still gets an answer.
            var key = sender is HttpRequestMessage message && message.RequestUri != null ? KeyOf(message.RequestUri) : AnyHost;
            var refusal = Judge(certificate, chain, errors);
            if (refusal == null)
            {
                _refusals.TryRemove(key, out _);
                return true;
            }

            _refusals[key] = refusal;
            return false;
        }

        /// <summary>The error for a request that failed because this policy refused the server's certificate, else null.</summary>
        public OpenStackMigrationException? ErrorFor(string url, string serviceName, Exception? failure)
        {
            var refusedInHandshake = false;
            for (var e = failure; e != null; e = e.InnerException)
            {
                refusedInHandshake |= e is System.Security.Authentication.AuthenticationException;
            }

            if (!refusedInHandshake || !Uri.TryCreate(url, UriKind.Absolute, out var uri)
                || (!_refusals.TryGetValue(KeyOf(uri), out var refusal) && !_refusals.TryGetValue(AnyHost, out refusal)))
            {
                return null;
            }

            var endpoint = uri.GetLeftPart(UriPartial.Authority);
            var certificate = refusal.Subject != null ? $" (subject '{refusal.Subject}', issued by '{refusal.Issuer}')" : string.Empty;
            if (refusal.NameMismatch)
            {
                return new OpenStackMigrationException(
                    "OSCertificateNameMismatch",
                    FailureKind.Untrusted,
                    $"The TLS certificate of {serviceName} at {endpoint} is for {refusal.Names}, not for '{uri.Host}'{certificate}"
                    + (refusal.Untrusted != null ? $"; it is not trusted either: {refusal.Untrusted}" : string.Empty)
                    + ". Another server may be answering at this address, or the URL names the host differently from the certificate.")
                {
                    Target = endpoint,
                    RecommendedAction = "Use a host name the certificate is issued for in the URL (-AuthUrl, OS_AUTH_URL, auth_url, or the catalog's endpoints), or have the certificate reissued for this name. Trusting a CA does not change this; -SkipCertificateCheck turns off all verification (labs only).",
                };
            }

            var trustedBy = _bundlePath != null ? $"by the CA bundle '{_bundlePath}'" : "by this computer";
            return new OpenStackMigrationException(
                "OSCertificateUntrusted",
                FailureKind.Untrusted,
                $"The TLS certificate of {serviceName} at {endpoint} is not trusted {trustedBy}: {refusal.Untrusted}{certificate}. "
                + "To trust its CA, give a PEM file holding it with -CACertFile, the OS_CACERT environment variable, or cacert in the clouds.yaml entry. "
                + "-SkipCertificateCheck turns verification off instead (labs only: anyone in the path can then read the password and token).")
            {
                Target = endpoint,
                RecommendedAction = "Connect-OSCloud -CACertFile ca.pem, or set OS_CACERT=ca.pem, or add 'cacert: ca.pem' to the cloud in clouds.yaml.",
            };
        }

        private static string KeyOf(Uri uri) => uri.Host + ":" + uri.Port;

        private Refusal? Judge(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate == null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                return new Refusal(null, null, "nothing", false, "the server sent no certificate");
            }

            using var cert = new X509Certificate2(certificate);
            var untrusted = _bundle != null
                ? NotTrustedByBundle(cert)
                : (errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0 ? Problems(chain?.ChainStatus, cert) : null;
            var mismatch = (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0;
            if (!mismatch && untrusted == null)
            {
                return null;
            }

            var names = SubjectAltNames(cert);
            var simpleName = cert.GetNameInfo(X509NameType.SimpleName, false);
            var namesText = names.Count > 0 ? string.Join(", ", names.Select(n => "'" + n + "'")) : string.IsNullOrEmpty(simpleName) ? "no host name" : "'" + simpleName + "'";
            return new Refusal(cert.Subject, cert.Issuer, namesText, mismatch, untrusted);
        }

        /// <summary>Null when the chain ends at a certificate of the bundle, else why not.</summary>
        private string? NotTrustedByBundle(X509Certificate2 cert)
        {
            using var custom = new X509Chain();
            custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            custom.ChainPolicy.VerificationFlags = X509VerificationFlags.AllowUnknownCertificateAuthority;
            custom.ChainPolicy.ExtraStore.AddRange(_bundle!);
            if (!custom.Build(cert))
            {
                return Problems(custom.ChainStatus, cert);
            }

            var root = custom.ChainElements[custom.ChainElements.Count - 1].Certificate;
            if (_bundle!.Cast<X509Certificate2>().Any(t => t.Thumbprint == root.Thumbprint))
            {
                return null;
            }

            return root.Thumbprint == cert.Thumbprint && cert.Subject != cert.Issuer
                ? $"its issuer '{cert.Issuer}' is not in the bundle"
                : $"its chain ends at '{root.Subject}', which is not in the bundle";
        }

        private static string Problems(X509ChainStatus[]? statuses, X509Certificate2 cert)
        {
            var flags = (statuses ?? Array.Empty<X509ChainStatus>()).Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
            var reasons = new List<string>();
            if ((flags & X509ChainStatusFlags.UntrustedRoot) != 0)
            {
                reasons.Add("it chains to a root CA that is not trusted");
            }

            if ((flags & X509ChainStatusFlags.PartialChain) != 0)
            {
                reasons.Add("its issuer is not a known CA (and the server sends no intermediate certificate that leads to one)");
            }

            if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
            {
                reasons.Add($"it is valid only from {cert.NotBefore.ToUniversalTime():u} to {cert.NotAfter.ToUniversalTime():u}");
            }

            var known = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotTimeValid;
            var others = flags & ~known;
            if (others != X509ChainStatusFlags.NoError)
            {
                reasons.Add("its chain has " + others);
            }

            return reasons.Count > 0 ? string.Join("; ", reasons) : "its chain cannot be verified";
        }

        /// <summary>The DNS names and IP addresses of the subjectAltName extension (read from its DER, the same on every OS).</summary>
        internal static IReadOnlyList<string> SubjectAltNames(X509Certificate2 cert)
        {
            var names = new List<string>();
            foreach (var extension in cert.Extensions)
            {
                if (extension.Oid?.Value != "2.5.29.17")
                {
                    continue;
                }

                var der = extension.RawData;
                try
                {
                    var at = 0;
                    if (der[at++] != 0x30)
                    {
                        continue;
                    }

                    var end = ReadLength(der, ref at) + at;
                    while (at < end)
                    {
                        var tag = der[at++];
                        var length = ReadLength(der, ref at);
                        if (tag == 0x82)
                        {
                            names.Add(System.Text.Encoding.ASCII.GetString(der, at, length));
                        }
                        else if (tag == 0x87 && (length == 4 || length == 16))
                        {
                            var address = new byte[length];
                            Array.Copy(der, at, address, 0, length);
                            names.Add(new IPAddress(address).ToString());
                        }

                        at += length;
                    }
                }
                catch (IndexOutOfRangeException)
                {
                    // A malformed extension: keep the names read so far.
                }
                catch (ArgumentException)
                {
                }
            }

            return names;
        }

        private static int ReadLength(byte[] der, ref int at)
        {
            int first = der[at++];
            if (first < 0x80)
            {
                return first;
            }

            var length = 0;
            for (var i = 0; i < (first & 0x7f); i++)
            {
                length = (length << 8) | der[at++];
            }

            return length;
        }

        private static X509Certificate2Collection LoadBundle(string path)
        {
            string text;
            try
            {
                text = System.IO.File.ReadAllText(path);
            }
            catch (Exception e) when (e is System.IO.IOException || e is UnauthorizedAccessException)
            {
                throw new OpenStackMigrationException("OSCACertUnreadable", FailureKind.Configuration, $"Cannot read the CA bundle '{path}': {e.Message}", e);
            }

            var collection = new X509Certificate2Collection();
            const string begin = "-----BEGIN CERTIFICATE-----";
            const string end = "-----END CERTIFICATE-----";
            var at = 0;
            while ((at = text.IndexOf(begin, at, StringComparison.Ordinal)) >= 0)
            {
                var stop = text.IndexOf(end, at, StringComparison.Ordinal);
                if (stop < 0)
                {
                    break;
                }

                var base64 = text.Substring(at + begin.Length, stop - at - begin.Length);
                try
                {
                    collection.Add(new X509Certificate2(Convert.FromBase64String(string.Concat(base64.Where(c => !char.IsWhiteSpace(c))))));
                }
                catch (Exception e) when (e is FormatException || e is System.Security.Cryptography.CryptographicException)
                {
                    throw new OpenStackMigrationException("OSCACertUnreadable", FailureKind.Configuration, $"The CA bundle '{path}' holds a certificate that cannot be read: {e.Message}", e);
                }

                at = stop + end.Length;
            }

            if (collection.Count == 0)
            {
                throw new OpenStackMigrationException("OSCACertUnreadable", FailureKind.Configuration, $"The CA bundle '{path}' holds no PEM certificate.");
            }

            return collection;
        }

        private sealed class Refusal
        {
            public Refusal(string? subject, string? issuer, string names, bool nameMismatch, string? untrusted)
            {
                Subject = subject;
                Issuer = issuer;
                Names = names;
                NameMismatch = nameMismatch;
                Untrusted = untrusted;
            }

            public string? Subject { get; }

            public string? Issuer { get; }

            /// <summary>What the certificate is for: its subjectAltNames, else its common name.</summary>
            public string Names { get; }

            public bool NameMismatch { get; }

            /// <summary>Why the chain is not trusted, or null when it is.</summary>
            public string? Untrusted { get; }
        }
    }
}
