using System;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// Checks that an API answered at the microversion it was asked for. A service refuses a version above its
    /// maximum with 406, and a proxy that drops the version header makes the service answer at its oldest version,
    /// whose bodies have another shape: either way the answer must not be read as if it were the one asked for.
    /// </summary>
    internal static class MicroversionCheck
    {
        /// <summary>The error for an answer that is not at <paramref name="asked"/>, or null when it is.</summary>
        public static OpenStackApiException? ErrorFor(ApiResponse response, ServiceRequest request, Microversion asked, Microversion? advertised, string url)
        {
            var subject = request.Description ?? $"{request.Method} {url}";
            var service = request.MicroversionService;
            var rid = response.RequestId != null ? $" (request id {response.RequestId})" : string.Empty;
            var offers = advertised != null ? $"its version document advertises up to {service} {advertised}" : "it did not say which versions it serves";
            // A caller that accepts 406 asked for a version it knew might be missing, and handles the answer itself.
            if (response.Status == 406 && !Array.Exists(request.AcceptStatuses, s => s == 406))
            {
                var said = ApiConnection.ServiceMessageOf(response.Body);
                return new OpenStackApiException(
                    "OSMicroversionRefused",
                    FailureKind.NotSupported,
                    $"{request.ServiceName} refused microversion {service} {asked} for {subject} with HTTP 406, though {offers}" + (said != null ? $": {said}" : ".") + rid,
                    406,
                    said,
                    response.RequestId,
                    request.Method,
                    url)
                {
                    RecommendedAction = $"Something between you and {request.ServiceName} (a proxy, a load balancer, another {request.ServiceName} API node of an older release) does not serve what the version document says. Find which node answered by the request id; Connect-OSCloud again to renegotiate once all nodes run the same release.",
                };
            }

            if (response.Status < 400 && response.Headers.TryGetValue("OpenStack-API-Version", out var echoed))
            {
                var answered = VersionFor(echoed, service);
                if (answered != null && !answered.Equals(asked))
                {
                    return new OpenStackApiException(
                        "OSMicroversionIgnored",
                        FailureKind.ServiceError,
                        $"{request.ServiceName} answered {subject} at microversion {service} {answered}, not at {service} {asked} as asked ({offers}); its answer has another shape and is not used.{rid}",
                        response.Status,
                        null,
                        response.RequestId,
                        request.Method,
                        url)
                    {
                        RecommendedAction = $"A proxy or load balancer in front of {request.ServiceName} drops or rewrites the OpenStack-API-Version header: let it pass the header unchanged.",
                    };
                }
            }

            return null;
        }

        /// <summary>The version for <paramref name="service"/> in an OpenStack-API-Version header ("compute 2.42").</summary>
        internal static Microversion? VersionFor(string header, string service)
        {
            foreach (var part in header.Split(','))
            {
                var words = part.Trim().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 2 && string.Equals(words[0], service, StringComparison.OrdinalIgnoreCase))
                {
                    return Microversion.Parse(words[1]);
                }
            }

            return null;
        }
    }
}
