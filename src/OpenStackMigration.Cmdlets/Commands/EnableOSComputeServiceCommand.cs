using System.Management.Automation;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Enables a host's nova-compute service again, so the scheduler may place instances there.</summary>
    /// <remarks>
    /// <para>Ends maintenance of a host: clears the disabled state and its reason.</para>
    /// </remarks>
    /// <example>
    /// <code>Enable-OSComputeService -HostName compute2</code>
    /// <para>Enables compute2.</para>
    /// </example>
    /// <example>
    /// <code>Enable-OSComputeService -HostName compute4 -ClearForcedDown</code>
    /// <para>compute4 is repaired after an evacuation (Invoke-OSHostEvacuation): clears its forced_down flag and enables it.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSComputeService | Where-Object Status -eq Disabled | Enable-OSComputeService -WhatIf</code>
    /// <para>Shows which disabled hosts would be enabled.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Enable, "OSComputeService", SupportsShouldProcess = true)]
    [OutputType(typeof(ComputeService))]
    public sealed class EnableOSComputeServiceCommand : SetComputeServiceStatusCommandBase
    {
        /// <summary>Also clears the service's forced_down flag (set by Invoke-OSHostEvacuation -ForceDown or a fencing agent); do so only once the host is repaired.</summary>
        [Parameter]
        public SwitchParameter ClearForcedDown { get; set; }

        /// <inheritdoc/>
        protected override bool Enable => true;

        /// <inheritdoc/>
        protected override bool ClearForcedDownFlag => ClearForcedDown;
    }
}
