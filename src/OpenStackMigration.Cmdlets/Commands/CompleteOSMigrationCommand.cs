using System.Management.Automation;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Forces a running live migration to complete.</summary>
    /// <remarks>
    /// <para>Asks Nova to force the live migration to complete (compute API 2.22+): the hypervisor pauses the instance so its memory stops changing and the copy finishes, then it resumes on the destination. Use it for a migration that does not converge. With -Wait it waits until the record is final and writes it.</para>
    /// <para>Without -Id, the instance's live migration in progress is forced. Only a migration in status running can be forced.</para>
    /// </remarks>
    /// <example>
    /// <code>Complete-OSMigration -InstanceId $id -Wait</code>
    /// <para>Forces the instance's live migration to complete and waits for the final record.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSMigration -InstanceId $id -InProgress | Complete-OSMigration</code>
    /// <para>Forces the migration shown by Get-OSMigration.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Complete, "OSMigration", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(MigrationRecord))]
    public sealed class CompleteOSMigrationCommand : MigrationActionCmdletBase
    {
        /// <inheritdoc/>
        protected override bool Abort => false;
    }
}
