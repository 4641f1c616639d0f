using System.Management.Automation;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Shared by Enable- and Disable-OSComputeService: find each host's nova-compute service and change its status.</summary>
    public abstract class SetComputeServiceStatusCommandBase : OSCloudCmdletBase
    {
        /// <summary>The compute hosts.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string[] HostName { get; set; } = new string[0];

        /// <summary>Write the updated service objects.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>True to enable, false to disable.</summary>
        protected abstract bool Enable { get; }

        /// <summary>The reason recorded when disabling.</summary>
        protected virtual string? ReasonForChange => null;

        /// <summary>True to clear forced_down as well (a host back from an evacuation).</summary>
        protected virtual bool ClearForcedDownFlag => false;

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var inventory = new CloudInventory(ResolveSession());
            foreach (var host in HostName)
            {
                try
                {
                    var service = RunEngine((sink, token) => inventory.GetComputeServiceAsync(host, sink, token));
                    var action = Enable ? "Enable the compute service" + (ClearForcedDownFlag && service.ForcedDown ? " and clear forced_down" : string.Empty) : "Disable the compute service" + (ReasonForChange != null ? $" (reason: {ReasonForChange})" : string.Empty);
                    if (!ShouldProcess(host, action))
                    {
                        continue;
                    }

                    if (ClearForcedDownFlag && service.ForcedDown)
                    {
                        // Cleared first: a service still forced down is not up, whatever its status says.
                        service = RunEngine((sink, token) => inventory.SetForcedDownAsync(service, false, sink, token));
                        WriteVerbose($"{service.Binary} on {host} is no longer forced down: Nova reports it up again once it reports in.");
                    }

                    var updated = RunEngine((sink, token) => inventory.SetComputeServiceStatusAsync(service, Enable, ReasonForChange, sink, token));
                    WriteVerbose($"{updated.Binary} on {host} is now {updated.Status}{(updated.DisabledReason != null ? $" ({updated.DisabledReason})" : string.Empty)}.");
                    if (PassThru)
                    {
                        WriteObject(updated);
                    }
                }
                catch (OpenStackMigrationException e)
                {
                    WriteFailure(e, host);
                }
            }
        }
    }
}
