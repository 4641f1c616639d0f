using System.Management.Automation;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Disables a host's nova-compute service, with a reason, so the scheduler stops placing instances there.</summary>
    /// <remarks>
    /// <para>The first step of host maintenance: instances already on the host keep running, and can then be moved off it with Move-OSInstance. The reason is recorded in Nova and shown by Get-OSComputeService and Get-OSHypervisor.</para>
    /// </remarks>
    /// <example>
    /// <code>Disable-OSComputeService -HostName compute2 -Reason 'BIOS update, ticket 4711'</code>
    /// <para>Disables compute2 with the reason.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSHypervisor compute2 | Disable-OSComputeService -Reason maintenance -PassThru</code>
    /// <para>Takes the host from the pipeline and shows the service afterwards.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Disable, "OSComputeService", SupportsShouldProcess = true)]
    [OutputType(typeof(ComputeService))]
    public sealed class DisableOSComputeServiceCommand : SetComputeServiceStatusCommandBase
    {
        /// <summary>Why the host is disabled (recorded in Nova as disabled_reason).</summary>
        [Parameter(Mandatory = true)]
        [ValidateNotNullOrEmpty]
        [Alias("DisabledReason")]
        public string Reason { get; set; } = string.Empty;

        /// <inheritdoc/>
        protected override bool Enable => false;

        /// <inheritdoc/>
        protected override string? ReasonForChange => Reason;
    }
}
