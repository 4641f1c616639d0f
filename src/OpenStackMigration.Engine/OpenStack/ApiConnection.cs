using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using RestSharp;

namespace OpenStackMigration.OpenStack
{
    /// <summary>One answer from an OpenStack API.</summary>
    internal sealed class ApiResponse
    {
        public ApiResponse(int status, JToken? body, string? requestId, IReadOnlyDictionary<string, string> headers)
        {
            Status = status;
            Body = body;
            RequestId = requestId;
            Headers = headers;
        }

        public int Status { get; }

        public JToken? Body { get; }

        public string? RequestId { get; }

        public IReadOnlyDictionary<string, string> Headers { get; }

        public JObject Object => Body as JObject ?? new JObject();
    }

    /// <summary>
    /// The HTTP layer shared by every service client: TLS policy, timeouts, microversion headers,
    /// error mapping with the service's own message and request id, and Debug logging with secrets redacted.
    /// </summary>
    internal sealed class ApiConnection : IDisposable
    {
        private readonly RestClient _client;
        private readonly ServerCertificatePolicy? _certificates;

        public ApiConnection(AuthOptions options)
        {
            var restOptions = new RestClientOptions
            {
                Timeout = TimeSpan.FromSeconds(Math.Max(1, options.RequestTimeoutSec)),
                ThrowOnAnyError = false,
                UserAgent = "OpenStackMigration/" + typeof(ApiConnection).Assembly.GetName().Version,
            };
            if (options.SkipCertificateCheck)
            {
                restOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            }
            else
            {
                // Always our callback, even without a bundle: it keeps why a certificate was refused for the error.
                _certificates = new ServerCertificatePolicy(options.CACertFile);
                restOptions.RemoteCertificateValidationCallback = _certificates.Validate;
            }

            _client = new RestClient(restOptions);
        }

        public async Task<ApiResponse> SendAsync(
            string method,
            string url,
            JToken? body,
            IDictionary<string, string> headers,
            string serviceName,
            IEngineSink sink,
            bool redactBody,
            CancellationToken cancellationToken)
        {
            var request = new RestRequest(url, ParseMethod(method));
            foreach (var header in headers)
            {
                request.AddHeader(header.Key, header.Value);
            }

            request.AddHeader("Accept", "application/json");
            if (body != null)
            {
                request.AddStringBody(body.ToString(Formatting.None), ContentType.Json);
            }

            var watch = Stopwatch.StartNew();
            var response = await _client.ExecuteAsync(request, cancellationToken).ConfigureAwait(false);
            watch.Stop();
            cancellationToken.ThrowIfCancellationRequested();

            var responseHeaders = (response.Headers ?? Array.Empty<HeaderParameter>())
                .Concat(response.ContentHeaders ?? Array.Empty<HeaderParameter>())
                .GroupBy(h => h.Name ?? string.Empty, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First().Value?.ToString() ?? string.Empty, StringComparer.OrdinalIgnoreCase);
            responseHeaders.TryGetValue("x-openstack-request-id", out var requestId);
            if (requestId == null)
            {
                responseHeaders.TryGetValue("x-compute-request-id", out requestId);
            }

            var version = headers.TryGetValue("OpenStack-API-Version", out var v) ? " [" + v + "]" : string.Empty;
            sink.Debug($"{method} {url}{version}{(redactBody && body != null ? " (body redacted)" : string.Empty)} -> {(int)response.StatusCode} in {watch.ElapsedMilliseconds} ms{(requestId != null ? " req " + requestId : string.Empty)}");

            // RestSharp marks HTTP error statuses as ResponseStatus.Error too; only a missing status means no answer.
            if (response.StatusCode == 0)
            {
                if (response.ResponseStatus == ResponseStatus.TimedOut)
                {
                    throw new OpenStackMigrationException(
                        "OSRequestTimedOut",
                        FailureKind.Timeout,
                        $"{serviceName} did not answer {method} {url} within the request timeout.");
                }

                var refused = _certificates?.ErrorFor(url, serviceName, response.ErrorException);
                if (refused != null)
                {
                    throw refused;
                }

                var reason = Innermost(response.ErrorException)?.Message ?? response.ErrorMessage ?? "no response";
                throw new OpenStackMigrationException(
                    "OSEndpointUnreachable",
                    FailureKind.ConnectionFailed,
                    $"Cannot reach {serviceName} at {BaseOf(url)}: {reason}",
                    response.ErrorException)
                {
                    RecommendedAction = "Check the URL (OS_AUTH_URL or the catalog's endpoint), that the service runs, and for TLS the CA bundle (-CACertFile) or -SkipCertificateCheck.",
                };
            }

            JToken? parsed = null;
            if (!string.IsNullOrWhiteSpace(response.Content))
            {
                try
                {
                    // Dates stay strings: Nova's timestamps have no offset and mean UTC, which Json.Time applies.
                    using var reader = new JsonTextReader(new System.IO.StringReader(response.Content!)) { DateParseHandling = DateParseHandling.None };
                    parsed = JToken.ReadFrom(reader);
                }
                catch (JsonReaderException)
                {
                    parsed = new JValue(response.Content);
                }
            }

            return new ApiResponse((int)response.StatusCode, parsed, requestId, responseHeaders);
        }

        /// <summary>Builds the error for a non-success answer, keeping what the service said.</summary>
        public static OpenStackApiException ErrorFor(ApiResponse response, string method, string url, string serviceName, string? what = null)
        {
            var serviceMessage = ServiceMessageOf(response.Body);
            var (id, kind) = response.Status switch
            {
                400 => ("OSApiBadRequest", FailureKind.InvalidArgument),
                401 => ("OSAuthenticationFailed", FailureKind.Authentication),
                403 => ("OSPermissionDenied", FailureKind.PermissionDenied),
                404 => ("OSNotFound", FailureKind.NotFound),
                409 => ("OSConflict", FailureKind.InvalidState),
                _ when response.Status >= 500 => ("OSServiceError", FailureKind.ServiceError),
                _ => ("OSApiError", FailureKind.ServiceError),
            };
            var subject = what ?? $"{method} {url}";
            var message = $"{serviceName} refused {subject}: HTTP {response.Status}"
                + (serviceMessage != null ? $": {serviceMessage}" : string.Empty)
                + (response.RequestId != null ? $" (request id {response.RequestId})" : string.Empty);
            var error = new OpenStackApiException(id, kind, message, response.Status, serviceMessage, response.RequestId, method, url);
            error.RecommendedAction = response.Status switch
            {
                403 => "The user's roles do not allow this. Hypervisors, compute services, other projects' instances and migrations need the admin role: connect with an admin user or project.",
                404 => "Check the name or id; it may have been deleted.",
                409 => "The object is busy or in a state that does not allow this; wait for its task to end and try again.",
                _ when response.Status >= 500 => "The service failed; look for the request id in its logs (Find-OSLogEntry -RequestId).",
                _ => null,
            };
            return error;
        }

        /// <summary>Nova, Cinder, Keystone and Placement each wrap their message differently; find it.</summary>
        internal static string? ServiceMessageOf(JToken? body)
        {
            if (body is JObject obj)
            {
                if (obj["errors"] is JArray errors && errors.Count > 0)
                {
                    var first = errors[0];
                    return (string?)first["detail"] ?? (string?)first["title"];
                }

                if (obj["error"] is JObject keystone)
                {
                    return (string?)keystone["message"];
                }

                foreach (var property in obj.Properties())
                {
                    if (property.Value is JObject inner && inner["message"] != null)
                    {
                        return (string?)inner["message"];
                    }
                }

                return (string?)obj["message"];
            }

            if (body is JValue value && value.Type == JTokenType.String)
            {
                var text = ((string?)value)?.Trim();
                return string.IsNullOrEmpty(text) ? null : text!.Length > 300 ? text.Substring(0, 300) : text;
            }

            return null;
        }

        public void Dispose() => _client.Dispose();

        private static Method ParseMethod(string method) => method switch
        {
            "GET" => Method.Get,
            "POST" => Method.Post,
            "PUT" => Method.Put,
            "DELETE" => Method.Delete,
            "PATCH" => Method.Patch,
            "HEAD" => Method.Head,
            _ => throw new ArgumentException("Unsupported HTTP method " + method, nameof(method)),
        };

        internal static string BaseOf(string url)
        {
            return Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : url;
        }

        private static Exception? Innermost(Exception? exception)
        {
            while (exception?.InnerException != null)
            {
                exception = exception.InnerException;
            }

            return exception;
        }
    }

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
                    FailureKind.Authentication,
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
                FailureKind.Authentication,
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
