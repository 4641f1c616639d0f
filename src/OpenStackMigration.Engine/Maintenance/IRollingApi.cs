using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Orchestration;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// What a rolling maintenance asks of the cloud beyond one host's drain: every compute service (which hosts may
    /// receive instances) and a compute's reports. An interface so the sequencing, breaker, retries and resume are
    /// tested against a scripted cloud.
    /// </summary>
    internal interface IRollingApi : IComputeServiceProbe
    {
        /// <summary>The drain's calls (also used for the failback's migrations).</summary>
        IDrainApi Drain { get; }

        /// <summary>
        /// A drain API with nothing cached, for one host's drain or failback: the migrations' pre-flight checks cache the
        /// services and capacities they read, and a host enabled since then (the previous host of the run) must not be
        /// refused as disabled.
        /// </summary>
        IDrainApi FreshDrain();

        /// <summary>Every nova-compute service, as Nova has it now.</summary>
        Task<IReadOnlyList<ComputeService>> ListComputeServicesAsync(IEngineSink sink, CancellationToken cancellationToken);
    }

    /// <summary>The real thing, over a session.</summary>
    internal sealed class NovaRollingApi : IRollingApi
    {
        private readonly CloudSession _session;
        private readonly CloudInventory _inventory;
        private readonly NovaComputeProbe _probe;

        public NovaRollingApi(CloudSession session)
        {
            _session = session;
            Drain = new NovaDrainApi(session);
            _inventory = new CloudInventory(session);
            _probe = new NovaComputeProbe(_inventory);
        }

        public IDrainApi Drain { get; }

        public IDrainApi FreshDrain() => new NovaDrainApi(_session);

        public Task<IReadOnlyList<ComputeService>> ListComputeServicesAsync(IEngineSink sink, CancellationToken cancellationToken) =>
            _inventory.GetServicesAsync(null, "nova-compute", sink, cancellationToken);

        public Task<(System.DateTimeOffset? UpdatedAt, bool Up)?> GetAsync(string host, IEngineSink sink, CancellationToken cancellationToken) =>
            _probe.GetAsync(host, sink, cancellationToken);
    }
}
