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
    /// Everything a host drain asks of the cloud: the migrations' own calls and checks, and beyond them the host's
    /// compute service, what Nova lists on the host, and the planner's input. An interface so the drain (resume,
    /// throttle, rounds) is tested against a scripted cloud with no network.
    /// </summary>
    internal interface IDrainApi : IMigrationApi, IMigrationChecks
    {
        /// <summary>The cloud's name, recorded in the state file.</summary>
        string CloudName { get; }

        /// <summary>The nova-compute service of one host; OSComputeHostNotFound when there is none.</summary>
        Task<ComputeService> GetComputeServiceAsync(string host, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Enables or disables the service (with the reason when disabling); the service as Nova then has it.</summary>
        Task<ComputeService> SetServiceStatusAsync(ComputeService service, bool enable, string? reason, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Every instance Nova lists on the host, of every project, in any state.</summary>
        Task<IReadOnlyList<Instance>> ListHostInstancesAsync(string host, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Stops (os-stop) or starts (os-start) an instance; returns the request id.</summary>
        Task<string?> SetPowerAsync(string instanceId, bool start, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>What the planner needs (services, hypervisors with capacity, the sources' instances, server groups), as it is now.</summary>
        Task<PlannerInput> ReadPlanInputAsync(PlanRequest request, IEngineSink sink, CancellationToken cancellationToken);
    }

    /// <summary>The real thing: Nova, Placement and Cinder through a session.</summary>
    internal sealed class NovaDrainApi : NovaMigrationApi, IDrainApi
    {
        private readonly CloudSession _session;
        private readonly CloudInventory _inventory;
        private readonly MaintenancePlanReader _planReader;
        private readonly TargetReaderChecks _checks;
        private readonly NovaClient _nova;

        public NovaDrainApi(CloudSession session)
            : base(session)
        {
            _session = session;
            _inventory = new CloudInventory(session);
            _planReader = new MaintenancePlanReader(session);
            _checks = new TargetReaderChecks(session);
            _nova = new NovaClient(session);
        }

        public string CloudName => _session.Name;

        public Task<ComputeService> GetComputeServiceAsync(string host, IEngineSink sink, CancellationToken cancellationToken) => _inventory.GetComputeServiceAsync(host, sink, cancellationToken);

        public Task<ComputeService> SetServiceStatusAsync(ComputeService service, bool enable, string? reason, IEngineSink sink, CancellationToken cancellationToken) =>
            _inventory.SetComputeServiceStatusAsync(service, enable, reason, sink, cancellationToken);

        public async Task<IReadOnlyList<Instance>> ListHostInstancesAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var found = new List<Instance>();
            await _inventory.GetInstancesAsync(null, host, true, found.Add, sink, cancellationToken).ConfigureAwait(false);
            return found;
        }

        public Task<PlannerInput> ReadPlanInputAsync(PlanRequest request, IEngineSink sink, CancellationToken cancellationToken) => _planReader.ReadAsync(request, sink, cancellationToken);

        public Task<string?> SetPowerAsync(string instanceId, bool start, IEngineSink sink, CancellationToken cancellationToken) => _nova.SetPowerAsync(instanceId, start, sink, cancellationToken);

        public Task PreloadAsync(IEngineSink sink, CancellationToken cancellationToken) => _checks.PreloadAsync(sink, cancellationToken);

        public Task<MigrationCheckReport> CheckAsync(Instance instance, MigrationKind kind, string? destinationHost, BlockMigrationMode blockMigration, bool freshCapacity, IEngineSink sink, CancellationToken cancellationToken) =>
            _checks.CheckAsync(instance, kind, destinationHost, blockMigration, freshCapacity, sink, cancellationToken);
    }
}
