using System;

namespace OpenStackMigration
{
    /// <summary>What kind of failure, so the cmdlet layer can pick an error category without parsing text.</summary>
    public enum FailureKind
    {
        /// <summary>Bad input from the user.</summary>
        InvalidArgument,

        /// <summary>The thing asked for does not exist.</summary>
        NotFound,

        /// <summary>Credentials were refused.</summary>
        Authentication,

        /// <summary>Authenticated, but not allowed.</summary>
        PermissionDenied,

        /// <summary>The endpoint could not be reached (DNS, refused connection, TLS).</summary>
        ConnectionFailed,

        /// <summary>A time limit passed.</summary>
        Timeout,

        /// <summary>The object is in a state that does not allow the request.</summary>
        InvalidState,

        /// <summary>The service failed (5xx) or answered something unexpected.</summary>
        ServiceError,

        /// <summary>A file or configuration could not be read or written safely.</summary>
        Configuration,

        /// <summary>The cloud does not offer what the request needs (service or microversion).</summary>
        NotSupported,

        /// <summary>A command on a node failed.</summary>
        CommandFailed,

        /// <summary>The operation was cancelled.</summary>
        Cancelled,

        /// <summary>The other side cannot be trusted (a TLS certificate of an unknown CA or for another name).</summary>
        Untrusted,
    }

    /// <summary>
    /// An error the user can act on. <see cref="ErrorId"/> is stable across releases so scripts
    /// can match on it; the message names what to fix and, for API failures, what the service said.
    /// </summary>
    [Serializable]
    public class OpenStackMigrationException : Exception
    {
        /// <summary>Creates an error.</summary>
        public OpenStackMigrationException(string errorId, FailureKind kind, string message, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
        }

        /// <summary>A stable identifier such as <c>OSAuthenticationFailed</c>.</summary>
        public string ErrorId { get; }

        /// <summary>The kind of failure.</summary>
        public FailureKind Kind { get; }

        /// <summary>The thing the error is about (an instance id, a host, a file), if any.</summary>
        public string? Target { get; set; }

        /// <summary>What to do about it, if the message alone does not say.</summary>
        public string? RecommendedAction { get; set; }
    }

    /// <summary>An OpenStack API answered with an error status.</summary>
    [Serializable]
    public sealed class OpenStackApiException : OpenStackMigrationException
    {
        /// <summary>Creates an API error.</summary>
        public OpenStackApiException(string errorId, FailureKind kind, string message, int statusCode, string? serviceMessage, string? requestId, string method, string url)
            : base(errorId, kind, message)
        {
            StatusCode = statusCode;
            ServiceMessage = serviceMessage;
            RequestId = requestId;
            Method = method;
            Url = url;
        }

        /// <summary>The HTTP status code.</summary>
        public int StatusCode { get; }

        /// <summary>The service's own explanation, taken from its error body.</summary>
        public string? ServiceMessage { get; }

        /// <summary>The x-openstack-request-id (or x-compute-request-id) to look for in the service logs.</summary>
        public string? RequestId { get; }

        /// <summary>The HTTP method of the failed request.</summary>
        public string Method { get; }

        /// <summary>The URL of the failed request (never carries secrets).</summary>
        public string Url { get; }

        /// <summary>When a load balancer or proxy answered instead of the service (502/503/504 with its own page): who, by its page ("HAProxy", "nginx", "a proxy").</summary>
        public string? Gateway { get; set; }
    }
}
