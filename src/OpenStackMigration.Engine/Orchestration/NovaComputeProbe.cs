using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Orchestration
{
    /// <summary>Nova's os-services as seen through a connected session: when a host's nova-compute last reported.</summary>
    public sealed class NovaComputeProbe : IComputeServiceProbe
    {
        private readonly CloudInventory _inventory;

        /// <summary>A probe over <paramref name="inventory"/>.</summary>
        public NovaComputeProbe(CloudInventory inventory)
        {
            _inventory = inventory;
        }

        /// <inheritdoc/>
        public async Task<(DateTimeOffset? UpdatedAt, bool Up)?> GetAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var services = await _inventory.GetServicesAsync(new[] { host }, "nova-compute", sink, cancellationToken).ConfigureAwait(false);
            var service = services.FirstOrDefault(s => string.Equals(s.HostName, host, StringComparison.Ordinal));
            return service == null ? null : (service.UpdatedAt, service.State == ServiceState.Up);
        }
    }
}
