using System;
using System.Collections.Generic;
using System.Management.Automation;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>Gets migrations: those in progress with their byte counters, or the history with filters.</summary>
    /// <remarks>
    /// <para>With -InProgress and an instance, gets its live migrations in progress from Nova's server migrations API, with memory and disk bytes total, processed and remaining. With -InProgress alone, gets every migration of the cloud that is not over; a record Nova left unfinished (its nova-compute restarted during that migration, so its status stays 'preparing' or 'running' for good) is left out once its instance has migrated since, and Verbose names it.</para>
    /// <para>Otherwise gets Nova's migration history (os-migrations), newest first, filtered by instance, host (source or destination), status, type (Live, Cold, Resize, Evacuation) and time (-Since, -Before). Needs an admin session.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSMigration -InstanceId $id -InProgress</code>
    /// <para>Shows the instance's live migration in progress, with its byte counters.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSMigration -HostName compute1 -Status error -Since (Get-Date).AddDays(-1)</code>
    /// <para>Lists the migrations from or to compute1 that failed in the last day.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSInstance -Name web01 | Get-OSMigration -Type Live</code>
    /// <para>Lists web01's live migrations.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSMigration")]
    [OutputType(typeof(MigrationRecord))]
    public sealed class GetOSMigrationCommand : OSCloudCmdletBase
    {
        /// <summary>Only this instance's migrations (binds Id from Get-OSInstance and InstanceId from other objects of the module).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        [ArgumentCompleter(typeof(Completion.InstanceIdCompleter))]
        public string? InstanceId { get; set; }

        /// <summary>Only migrations that are not over (with byte counters when an instance is given).</summary>
        [Parameter]
        public SwitchParameter InProgress { get; set; }

        /// <summary>Only migrations from or to this compute host.</summary>
        [Parameter]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string? HostName { get; set; }

        /// <summary>Only migrations in this status (running, completed, error, cancelled, confirmed...).</summary>
        [Parameter]
        public string? Status { get; set; }

        /// <summary>Only migrations of this type: Live, Cold, Resize or Evacuation.</summary>
        [Parameter]
        [ValidateSet("Live", "Cold", "Resize", "Evacuation")]
        public string? Type { get; set; }

        /// <summary>Only migrations changed at or after this time.</summary>
        [Parameter]
        public DateTime? Since { get; set; }

        /// <summary>Only migrations changed at or before this time (compute API 2.66+).</summary>
        [Parameter]
        public DateTime? Before { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var control = new MigrationControl(ResolveSession());
            try
            {
                if (InProgress && !string.IsNullOrEmpty(InstanceId))
                {
                    foreach (var record in RunEngine((sink, token) => control.GetInProgressAsync(InstanceId!, sink, token)))
                    {
                        WriteObject(record);
                    }

                    return;
                }

                var query = new MigrationQuery
                {
                    InstanceId = InstanceId,
                    Host = HostName,
                    Status = Status,
                    MigrationType = MigrationControl.NovaType(Type),
                    ChangesSince = Since.HasValue ? new DateTimeOffset(Since.Value.ToUniversalTime()) : (DateTimeOffset?)null,
                    ChangesBefore = Before.HasValue ? new DateTimeOffset(Before.Value.ToUniversalTime()) : (DateTimeOffset?)null,
                };
                RunEngineStreaming<MigrationRecord>(
                    (emit, sink, token) =>
                    {
                        void OnPage(IReadOnlyList<MigrationRecord> page)
                        {
                            foreach (var record in page)
                            {
                                emit(record);
                            }
                        }

                        return InProgress ? control.GetInProgressAsync(query, OnPage, sink, token) : control.GetHistoryAsync(query, OnPage, sink, token);
                    },
                    WriteObject);
            }
            catch (OpenStackMigrationException e)
            {
                WriteFailure(e, InstanceId);
            }
        }
    }
}
