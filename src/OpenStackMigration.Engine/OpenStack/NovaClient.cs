using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// The compute API calls this module makes. Each states the microversion it needs and asks
    /// for the newest one that gives what it reads, never blindly the maximum (at 2.88 the
    /// hypervisor listing loses its resource fields and costs one RPC per node).
    /// </summary>
    public sealed partial class NovaClient
    {
        /// <summary>Hypervisor uuids (= Placement resource provider uuids), running_vms and service details, before 2.88 drops them.</summary>
        internal static readonly Microversion HypervisorListVersion = new Microversion(2, 53);

        private readonly CloudSession _session;

        /// <summary>Creates a client over a session.</summary>
        public NovaClient(CloudSession session)
        {
            _session = session;
        }

        /// <summary>The session's negotiated version, capped at <paramref name="wanted"/>.</summary>
        internal Microversion At(Microversion wanted) => Microversion.Min(_session.ComputeMicroversion, wanted);

        /// <summary>The compute microversion in use (the newest both Nova and this module support).</summary>
        internal Microversion ComputeMicroversion => _session.ComputeMicroversion;

        /// <summary>Fails with a clear error when the cloud is older than a call needs; <paramref name="instead"/> says what can be done.</summary>
        internal Microversion Require(Microversion needed, string what, string? instead = null)
        {
            if (_session.ComputeMicroversion < needed)
            {
                throw new OpenStackMigrationException(
                    "OSMicroversionTooOld",
                    FailureKind.NotSupported,
                    $"{what} needs compute API microversion {needed}; this cloud offers up to {_session.ComputeMaxMicroversion}.")
                {
                    RecommendedAction = instead,
                };
            }

            return needed;
        }

        internal Task<ApiResponse> SendAsync(string method, string path, Microversion? version, IEngineSink sink, CancellationToken cancellationToken, JToken? body = null, string? description = null, params int[] accept)
        {
            var request = new ServiceRequest(method, path, "Nova")
            {
                Microversion = version,
                Body = body,
                Description = description,
                AcceptStatuses = accept,
            };
            return _session.SendAsync(request, sink, cancellationToken);
        }

        /// <summary>Every hypervisor with its service state (capacity comes from Placement).</summary>
        public async Task<IReadOnlyList<Hypervisor>> ListHypervisorsAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = At(HypervisorListVersion);
            var result = new List<Hypervisor>();
            string? marker = null;
            do
            {
                var path = "/os-hypervisors/detail" + (version >= HypervisorListVersion ? "?limit=1000" + (marker != null ? "&marker=" + Uri.EscapeDataString(marker) : string.Empty) : string.Empty);
                var response = await SendAsync("GET", path, version, sink, cancellationToken).ConfigureAwait(false);
                var page = response.Object["hypervisors"] as JArray ?? new JArray();
                foreach (var h in page)
                {
                    result.Add(ParseHypervisor(h));
                }

                marker = version >= HypervisorListVersion && page.Count == 1000 ? result[result.Count - 1].Id : null;
            }
            while (marker != null);

            return result;
        }

        /// <summary>
        /// One hypervisor as Nova has it now (compute 2.53+: <paramref name="id"/> is the node's uuid), or null when Nova
        /// no longer has it. A few of these cost milliseconds where the whole list costs seconds at hundreds of nodes.
        /// </summary>
        public async Task<Hypervisor?> GetHypervisorAsync(string id, IEngineSink sink, CancellationToken cancellationToken)
        {
            var response = await SendAsync("GET", "/os-hypervisors/" + Uri.EscapeDataString(id), At(HypervisorListVersion), sink, cancellationToken, accept: 404).ConfigureAwait(false);
            return response.Status == 404 ? null : ParseHypervisor(response.Object["hypervisor"] ?? new JObject());
        }

        internal static Hypervisor ParseHypervisor(JToken h) => new Hypervisor
        {
            Id = Json.Str(h, "id") ?? string.Empty,
            Name = Json.Str(h, "hypervisor_hostname") ?? string.Empty,
            HostName = Json.Str(h["service"], "host") ?? Json.Str(h, "hypervisor_hostname") ?? string.Empty,
            State = ParseState(Json.Str(h, "state")),
            Status = ParseStatus(Json.Str(h, "status")),
            DisabledReason = Json.Str(h["service"], "disabled_reason"),
            HypervisorType = Json.Str(h, "hypervisor_type"),
            HypervisorVersion = Json.Long(h, "hypervisor_version"),
            HostIp = Json.Str(h, "host_ip"),
            RunningInstances = (int?)Json.Long(h, "running_vms"),
        };

        /// <summary>Compute services, optionally of one binary and host.</summary>
        public async Task<IReadOnlyList<ComputeService>> ListServicesAsync(string? binary, string? host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var query = new List<string>();
            if (binary != null)
            {
                query.Add("binary=" + Uri.EscapeDataString(binary));
            }

            if (host != null)
            {
                query.Add("host=" + Uri.EscapeDataString(host));
            }

            var response = await SendAsync("GET", "/os-services" + (query.Count > 0 ? "?" + string.Join("&", query) : string.Empty), At(HypervisorListVersion), sink, cancellationToken).ConfigureAwait(false);
            return (response.Object["services"] as JArray ?? new JArray()).Select(ParseService).ToList();
        }

        internal static ComputeService ParseService(JToken s) => new ComputeService
        {
            Id = Json.Str(s, "id") ?? string.Empty,
            Binary = Json.Str(s, "binary") ?? string.Empty,
            HostName = Json.Str(s, "host") ?? string.Empty,
            Zone = Json.Str(s, "zone"),
            State = ParseState(Json.Str(s, "state")),
            Status = ParseStatus(Json.Str(s, "status")),
            DisabledReason = Json.Str(s, "disabled_reason"),
            ForcedDown = Json.Bool(s, "forced_down"),
            UpdatedAt = Json.Time(s, "updated_at"),
        };

        /// <summary>Enables or disables a compute service (with the reason), by its uuid (2.53+) or by host and binary.</summary>
        public async Task<ComputeService> SetServiceStatusAsync(ComputeService service, bool enable, string? reason, IEngineSink sink, CancellationToken cancellationToken)
        {
            var what = $"{(enable ? "enabling" : "disabling")} {service.Binary} on {service.HostName}";
            if (_session.ComputeMicroversion >= HypervisorListVersion)
            {
                var body = new JObject { ["status"] = enable ? "enabled" : "disabled" };
                if (!enable && !string.IsNullOrEmpty(reason))
                {
                    body["disabled_reason"] = reason;
                }

                var response = await SendAsync("PUT", "/os-services/" + Uri.EscapeDataString(service.Id), HypervisorListVersion, sink, cancellationToken, body, what).ConfigureAwait(false);
                return ParseService(response.Object["service"] ?? new JObject());
            }

            var legacy = new JObject { ["host"] = service.HostName, ["binary"] = service.Binary };
            var action = enable ? "enable" : string.IsNullOrEmpty(reason) ? "disable" : "disable-log-reason";
            if (!enable && !string.IsNullOrEmpty(reason))
            {
                legacy["disabled_reason"] = reason;
            }

            await SendAsync("PUT", "/os-services/" + action, new Microversion(2, 1), sink, cancellationToken, legacy, what).ConfigureAwait(false);
            var updated = await ListServicesAsync(service.Binary, service.HostName, sink, cancellationToken).ConfigureAwait(false);
            return updated.FirstOrDefault() ?? service;
        }

        internal static ServiceState ParseState(string? state) => state switch
        {
            "up" => ServiceState.Up,
            "down" => ServiceState.Down,
            _ => ServiceState.Unknown,
        };

        internal static ServiceStatus ParseStatus(string? status) => status switch
        {
            "enabled" => ServiceStatus.Enabled,
            "disabled" => ServiceStatus.Disabled,
            _ => ServiceStatus.Unknown,
        };
    }
}
