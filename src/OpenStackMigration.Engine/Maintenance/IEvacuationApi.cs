using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Inventory;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// Everything an evacuation asks of the cloud: the failed host's compute service and its forced_down flag, what Nova
    /// lists on the host, the evacuate call, and the instance and its evacuation record while it is rebuilt. An interface
    /// so the fencing check, the throttle, the breaker and resume are tested against a scripted cloud with no network.
    /// </summary>
    internal interface IEvacuationApi
    {
        /// <summary>The cloud's name, recorded in the state file.</summary>
        string CloudName { get; }

        /// <summary>The nova-compute service of one host; OSComputeHostNotFound when there is none.</summary>
        Task<ComputeService> GetComputeServiceAsync(string host, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Sets or clears the service's forced_down flag; the service as Nova then has it.</summary>
        Task<ComputeService> SetForcedDownAsync(ComputeService service, bool forcedDown, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Every instance Nova lists on the host, of every project, in any state.</summary>
        Task<IReadOnlyList<Instance>> ListHostInstancesAsync(string host, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>The instance as Nova has it now.</summary>
        Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Asks Nova to rebuild the instance on another host (the scheduler picks when <paramref name="host"/> is null); the request id.</summary>
        Task<string?> EvacuateAsync(string id, string? host, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>The instance's migration records of type evacuation, newest first.</summary>
        Task<IReadOnlyList<MigrationRecord>> ListEvacuationsAsync(string id, IEngineSink sink, CancellationToken cancellationToken);
    }

    /// <summary>The real thing: Nova through a session.</summary>
    internal sealed class NovaEvacuationApi : IEvacuationApi
    {
        private readonly CloudSession _session;
        private readonly CloudInventory _inventory;
        private readonly NovaClient _nova;
        private readonly NovaMigrationApi _migrations;

        public NovaEvacuationApi(CloudSession session)
        {
            _session = session;
            _inventory = new CloudInventory(session);
            _nova = new NovaClient(session);
            _migrations = new NovaMigrationApi(session);
        }

        public string CloudName => _session.Name;

        public Task<ComputeService> GetComputeServiceAsync(string host, IEngineSink sink, CancellationToken cancellationToken) => _inventory.GetComputeServiceAsync(host, sink, cancellationToken);

        public Task<ComputeService> SetForcedDownAsync(ComputeService service, bool forcedDown, IEngineSink sink, CancellationToken cancellationToken) => _nova.SetForcedDownAsync(service, forcedDown, sink, cancellationToken);

        public async Task<IReadOnlyList<Instance>> ListHostInstancesAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var found = new List<Instance>();
            await _inventory.GetInstancesAsync(null, host, true, found.Add, sink, cancellationToken).ConfigureAwait(false);
            return found;
        }

        public Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => _nova.GetServerAsync(id, sink, cancellationToken);

        public Task<string?> EvacuateAsync(string id, string? host, IEngineSink sink, CancellationToken cancellationToken) => _nova.EvacuateAsync(id, host, sink, cancellationToken);

        public Task<IReadOnlyList<MigrationRecord>> ListEvacuationsAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => _migrations.ListInstanceMigrationsAsync(id, "evacuation", sink, cancellationToken);
    }
}
