using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
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
        private readonly string? _content;
        private JToken? _body;
        private int _parsed;

        public ApiResponse(int status, JToken? body, string? requestId, IReadOnlyDictionary<string, string> headers)
        {
            Status = status;
            _body = body;
            _parsed = 1;
            RequestId = requestId;
            Headers = headers;
        }

        /// <summary>An answer kept as the service's text: parsed into a document only if <see cref="Body"/> is asked for.</summary>
        public ApiResponse(int status, string? content, string? requestId, IReadOnlyDictionary<string, string> headers)
        {
            Status = status;
            _content = string.IsNullOrWhiteSpace(content) ? null : content;
            RequestId = requestId;
            Headers = headers;
        }

        public int Status { get; }

        /// <summary>The answer as a document (a string value when it is not JSON); null when empty.</summary>
        public JToken? Body
        {
            get
            {
                if (Volatile.Read(ref _parsed) == 0)
                {
                    var parsed = Parse(_content);
                    Interlocked.CompareExchange(ref _body, parsed, null);
                    Volatile.Write(ref _parsed, 1);
                }

                return _body;
            }
        }

        public string? RequestId { get; }

        public IReadOnlyDictionary<string, string> Headers { get; }

        public JObject Object => Body as JObject ?? new JObject();

        /// <summary>
        /// A reader over the answer, token by token, for the answers big enough that a document would cost more than
        /// what is kept from it (a page of servers); dates stay text. Over the document when the answer was made from one.
        /// </summary>
        public JsonReader Reader() =>
            _content != null && Volatile.Read(ref _parsed) == 0
                ? TextReader(_content)
                : (JsonReader)(Body ?? JValue.CreateNull()).CreateReader();

        /// <summary>
        /// A reader over an answer's text. Dates stay strings: Nova's timestamps have no offset and mean UTC, which
        /// Json.Time applies.
        /// </summary>
        private static JsonTextReader TextReader(string content) =>
            new JsonTextReader(new System.IO.StringReader(content)) { DateParseHandling = DateParseHandling.None };

        private static JToken? Parse(string? content)
        {
            if (content == null)
            {
                return null;
            }

            try
            {
                using var reader = TextReader(content);
                return JToken.ReadFrom(reader);
            }
            catch (JsonReaderException)
            {
                return new JValue(content);
            }
        }
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

            return new ApiResponse((int)response.StatusCode, response.Content, requestId, responseHeaders);
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
            var gateway = GatewayOf(response);
            if (gateway != null)
            {
                return GatewayError(response, method, url, serviceName, subject, gateway);
            }

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

        /// <summary>
        /// Who answered a 502/503/504 when it was not the service: OpenStack APIs answer errors in JSON, a load balancer with
        /// its own HTML page. HAProxy's default pages are recognised by their sentences, nginx's by its name.
        /// </summary>
        internal static string? GatewayOf(ApiResponse response)
        {
            if (response.Status < 502 || response.Status > 504 || !(response.Body is JValue value) || value.Type != JTokenType.String)
            {
                return null;
            }

            var page = (string?)value ?? string.Empty;
            if (page.IndexOf("The server didn't respond in time", StringComparison.Ordinal) >= 0
                || page.IndexOf("No server is available to handle this request", StringComparison.Ordinal) >= 0
                || page.IndexOf("The server returned an invalid or incomplete response", StringComparison.Ordinal) >= 0)
            {
                return "HAProxy";
            }

            return page.IndexOf("nginx", StringComparison.OrdinalIgnoreCase) >= 0 ? "nginx" : "a proxy";
        }

        private static OpenStackApiException GatewayError(ApiResponse response, string method, string url, string serviceName, string subject, string gateway)
        {
            var timeout = response.Status == 504;
            var who = gateway == "a proxy" ? "A load balancer or proxy" : gateway;
            var message = timeout
                ? $"{who} in front of {serviceName} answered {subject} with HTTP 504 Gateway Time-out: {serviceName} did not answer within the proxy's 'timeout server'. {serviceName} itself may still carry out the request."
                : $"{who} in front of {serviceName} answered {subject} with HTTP {response.Status}: it has no healthy {serviceName} server to pass the request to, or the server broke the connection.";
            return new OpenStackApiException(timeout ? "OSGatewayTimeout" : "OSGatewayError", timeout ? FailureKind.Timeout : FailureKind.ServiceError, message, response.Status, null, response.RequestId, method, url)
            {
                Gateway = gateway,
                RecommendedAction = timeout
                    ? "Check whether the request took effect before you retry it. Then raise the proxy's 'timeout server' above the slowest call it fronts (Test-OSMigrationTimeout shows the chain, Set-OSHAProxyTimeout sets it)."
                    : "Check the service behind the proxy (is it running? its log) and the proxy's health checks.",
            };
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
}
