using System;
using System.Management.Automation;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Stop-OSMigration and Complete-OSMigration: act on one live migration in progress.</summary>
    public abstract class MigrationActionCmdletBase : OSCloudCmdletBase
    {
        /// <summary>The instance whose migration it is. Binds InstanceId from Get-OSMigration and Move-OSInstance.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The migration's id; when omitted, the instance's live migration in progress. Binds Id from Get-OSMigration and MigrationId from Move-OSInstance.</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("MigrationId")]
        public long? Id { get; set; }

        /// <summary>Waits until the migration is over and writes its final record.</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        /// <summary>Writes the migration record (as it was when acted on, or final with -Wait).</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        /// <summary>With -Wait: how many seconds to wait at most (default 120).</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int TimeoutSec { get; set; } = 120;

        /// <summary>True to abort, false to force-complete.</summary>
        protected abstract bool Abort { get; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var what = Id.HasValue ? $"migration {Id} of instance {InstanceId}" : $"the live migration in progress of instance {InstanceId}";
            if (!ShouldProcess(what, Abort ? "Abort" : "Force to complete (pauses the instance briefly)"))
            {
                return;
            }

            var control = new MigrationControl(ResolveSession());
            try
            {
                var record = RunEngine((sink, token) => control.ActAsync(InstanceId, Id, Abort, Wait, TimeSpan.FromSeconds(TimeoutSec), sink, token));
                if (Wait || PassThru)
                {
                    WriteObject(record);
                }
            }
            catch (OpenStackMigrationException e)
            {
                WriteFailure(e, InstanceId);
            }
        }
    }

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
