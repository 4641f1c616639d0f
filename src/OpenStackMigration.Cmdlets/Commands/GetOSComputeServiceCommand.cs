using System.Management.Automation;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Lists Nova services (nova-compute by default) with their state, status and disabled reason.</summary>
    /// <remarks>
    /// <para>Shows whether each host's compute service is up (heartbeats arrive), enabled (the scheduler may place instances there) or forced down, and why an admin disabled it. A host must be up and enabled to receive a live migration.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSComputeService</code>
    /// <para>Every nova-compute service.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSComputeService -Binary * | Where-Object State -eq Down</code>
    /// <para>Every Nova service that has stopped reporting.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSComputeService")]
    [OutputType(typeof(ComputeService))]
    public sealed class GetOSComputeServiceCommand : OSCloudCmdletBase
    {
        /// <summary>Host names; wildcards allowed. All hosts when omitted.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string[]? HostName { get; set; }

        /// <summary>The service binary (default nova-compute; * for every service).</summary>
        [Parameter]
        public string Binary { get; set; } = "nova-compute";

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var inventory = new CloudInventory(ResolveSession());
            try
            {
                var binary = Binary == "*" ? null : Binary;
                WriteObject(RunEngine((sink, token) => inventory.GetServicesAsync(HostName, binary, sink, token)), enumerateCollection: true);
            }
            catch (OpenStackMigrationException e)
            {
                WriteFailure(e, e.Target);
            }
        }
    }
}
