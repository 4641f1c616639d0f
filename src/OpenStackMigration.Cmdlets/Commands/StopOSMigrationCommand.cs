using System.Management.Automation;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Aborts a live migration in progress; the instance stays on its source.</summary>
    /// <remarks>
    /// <para>Asks Nova to abort the live migration (compute API 2.24+; queued and preparing ones from 2.65). Nova then marks it cancelled and the instance keeps running on its source. With -Wait it waits until the record is final and writes it.</para>
    /// <para>Without -Id, the instance's live migration in progress is aborted. Input can be piped from Get-OSMigration -InProgress or from Move-OSInstance (without -Wait).</para>
    /// </remarks>
    /// <example>
    /// <code>Stop-OSMigration -InstanceId $id -Wait</code>
    /// <para>Aborts the instance's live migration and waits until Nova has cancelled it.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSMigration -InProgress -HostName compute1 | Stop-OSMigration -Confirm:$false</code>
    /// <para>Aborts every migration in progress from or to compute1.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Stop, "OSMigration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(MigrationRecord))]
    public sealed class StopOSMigrationCommand : MigrationActionCmdletBase
    {
        /// <inheritdoc/>
        protected override bool Abort => true;
    }
}
