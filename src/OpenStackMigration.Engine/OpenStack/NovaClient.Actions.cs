using System;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.OpenStack
{
    /// <summary>Server power actions, evacuation, and a compute service's forced_down flag.</summary>
    public sealed partial class NovaClient
    {
        private static readonly Microversion ForcedDownByIdVersion = new Microversion(2, 53);

        /// <summary>Stops (os-stop) or starts (os-start) a server; returns the request id.</summary>
        public async Task<string?> SetPowerAsync(string instanceId, bool start, IEngineSink sink, CancellationToken cancellationToken)
        {
            var action = start ? "os-start" : "os-stop";
            var response = await SendAsync("POST", $"/servers/{Uri.EscapeDataString(instanceId)}/action", new Microversion(2, 1), sink, cancellationToken, new JObject { [action] = JValue.CreateNull() }, $"{(start ? "starting" : "stopping")} instance {instanceId}").ConfigureAwait(false);
            return response.RequestId;
        }

        /// <summary>Rebuilds a server of a failed host elsewhere (evacuate); the scheduler picks when <paramref name="host"/> is null. Returns the request id.</summary>
        public async Task<string?> EvacuateAsync(string instanceId, string? host, IEngineSink sink, CancellationToken cancellationToken)
        {
            // 2.14+: Nova finds out about shared storage itself; 2.68+: no force (the scheduler checks a named host).
            var version = At(new Microversion(2, 68));
            var body = new JObject();
            if (host != null)
            {
                body["host"] = host;
            }

            if (version < new Microversion(2, 14))
            {
                body["onSharedStorage"] = false;
            }

            var response = await SendAsync("POST", $"/servers/{Uri.EscapeDataString(instanceId)}/action", version, sink, cancellationToken, new JObject { ["evacuate"] = body }, $"evacuating instance {instanceId}" + (host != null ? $" to {host}" : string.Empty)).ConfigureAwait(false);
            return response.RequestId;
        }

        /// <summary>Sets or clears forced_down on a compute service (2.53+, by its uuid); the service as Nova then has it.</summary>
        public async Task<ComputeService> SetForcedDownAsync(ComputeService service, bool forcedDown, IEngineSink sink, CancellationToken cancellationToken)
        {
            Require(ForcedDownByIdVersion, "Marking a compute service forced down");
            try
            {
                var response = await SendAsync("PUT", "/os-services/" + Uri.EscapeDataString(service.Id), ForcedDownByIdVersion, sink, cancellationToken, new JObject { ["forced_down"] = forcedDown }, $"{(forcedDown ? "forcing down" : "clearing forced_down of")} {service.Binary} on {service.HostName}").ConfigureAwait(false);
                return ParseService(response.Object["service"] ?? new JObject());
            }
            catch (OpenStackApiException e) when (!forcedDown && e.StatusCode == 400)
            {
                // Since Wallaby Nova keeps a host forced down while evacuations from it are `done` but not `completed`:
                // the host's own nova-compute completes them as it starts (and removes the evacuated instances' leftovers).
                throw new OpenStackMigrationException("OSForcedDownNotCleared", FailureKind.InvalidState, $"Nova keeps {service.Binary} on {service.HostName} forced down: {e.ServiceMessage ?? e.Message}", e)
                {
                    Target = service.HostName,
                    RecommendedAction = $"Start nova-compute on the repaired {service.HostName} first: as it starts it removes what the evacuated instances left there and completes their evacuation records (Get-OSMigration shows them 'completed'); then clear forced_down again.",
                };
            }
        }
    }
}
