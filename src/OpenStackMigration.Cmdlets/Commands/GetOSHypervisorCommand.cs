using System.Management.Automation;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>Lists compute hosts with their state and what they have free in vCPU, RAM and disk.</summary>
    /// <remarks>
    /// <para>Answers the admin's question "what does each host have free", as `nova hypervisor-list` and `nova hypervisor-show` do, but right on every compute microversion: capacity comes from Placement (inventories and usages), because from microversion 2.88 Nova no longer returns it. Free = (total - reserved) x allocation ratio - used; MaxUnit is the largest single allocation the host accepts.</para>
    /// <para>State (Up/Down) and Status (Enabled/Disabled) come from the host's nova-compute service. Placement is read in parallel under -ThrottleLimit requests, so clouds with hundreds of hosts list quickly.</para>
    /// <para>The objects pipe by property name: HostName binds to Get-OSInstance -HostName and to -DestinationHost of the migration cmdlets.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSHypervisor</code>
    /// <para>Lists every host with state, status, instances and free vCPU, RAM and disk.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSHypervisor compute1 | Format-List *</code>
    /// <para>Shows one host in full, with total, reserved, ratio, used and free of each resource (like nova hypervisor-show).</para>
    /// </example>
    /// <example>
    /// <code>Get-OSHypervisor | Where-Object IsAvailable | Sort-Object { $_.MemoryMB.Free } -Descending | Select-Object -First 3</code>
    /// <para>The three available hosts with the most free RAM: candidates for a migration.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSHypervisor -Brief | Where-Object { $_.IsAvailable -and $_.MemoryMB.Free -ge 65536 }</code>
    /// <para>Which hosts have 64 GB of RAM free, at hundreds of hosts in about the time of Placement's answer: state from the services, room from Placement, the node-to-host map kept between runs (read from Nova again when a compute service or provider changes, and at least hourly).</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSHypervisor")]
    [OutputType(typeof(Hypervisor))]
    public sealed class GetOSHypervisorCommand : OSCloudCmdletBase
    {
        /// <summary>Node or host names; wildcards allowed. All hosts when omitted.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("HostName", "HypervisorHostname")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string[]? Name { get; set; }

        /// <summary>Skip Placement: state and status only, faster on very large clouds.</summary>
        [Parameter]
        public SwitchParameter NoCapacity { get; set; }

        /// <summary>
        /// State and room only: from the nova-compute services and Placement, without Nova's hypervisor list (its
        /// slowest read at hundreds of hosts) while the node-to-host map kept from an earlier listing still holds.
        /// HypervisorType, HypervisorVersion, HostIp and RunningInstances are then empty. Needs compute 2.53 (Pike);
        /// on older clouds the full listing is made.
        /// </summary>
        [Parameter]
        public SwitchParameter Brief { get; set; }

        /// <summary>How many Placement requests may be in flight at once (default 8).</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = PlacementClient.DefaultParallelism;

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var inventory = new CloudInventory(ResolveSession());
            try
            {
                var hypervisors = RunEngine((sink, token) => inventory.GetHypervisorsAsync(Name, !NoCapacity, ThrottleLimit, sink, token, Brief));
                WriteObject(hypervisors, enumerateCollection: true);
            }
            catch (OpenStackMigrationException e)
            {
                WriteFailure(e, e.Target);
            }
        }
    }
}
