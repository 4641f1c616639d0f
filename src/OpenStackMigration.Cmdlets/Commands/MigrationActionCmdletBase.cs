using System;
using System.Management.Automation;
using OpenStackMigration.Migration;

namespace OpenStackMigration.Commands
{
    /// <summary>Stop-OSMigration and Complete-OSMigration: act on one live migration in progress.</summary>
    public abstract class MigrationActionCmdletBase : OSCloudCmdletBase
    {
        /// <summary>The instance whose migration it is. Binds InstanceId from Get-OSMigration and Move-OSInstance.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.InstanceIdCompleter))]
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The migration's id; when omitted, the instance's live migration in progress. Binds Id from Get-OSMigration and MigrationId from Move-OSInstance.</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("MigrationId")]
        [ArgumentCompleter(typeof(Completion.MigrationIdCompleter))]
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
}
