using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Completion;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Waits for migrations already running and writes the verdict of each, as Move-OSInstance -Wait does (PowerCLI's Wait-Task).</summary>
    /// <remarks>
    /// <para>Reattaches to migrations started by Move-OSInstance without -Wait, by an earlier run of a runbook, by someone else or by the openstack CLI: given by migration id (-Id), by instance (-InstanceId, -Name, or instances from Get-OSInstance: the instance's migration in progress), or from the pipeline (Get-OSMigration -InProgress, Move-OSInstance's Accepted results).</para>
    /// <para>The watch is Move-OSInstance -Wait's own: progress with rate and time left, a warning when memory stops converging, -TimeoutSec (counted from now) with -OnTimeout Abort, ForceComplete or Leave, the check that every volume is attached on the destination only, and for a failure the failed instance-action event with the diagnosis (Cause, Diagnosis). A migration that is already over gets its verdict at once.</para>
    /// <para>A verdict that is not Succeeded is also written as an error (OSMigrationFailed, OSMigrationAborted, OSMigrationTimedOut), so -ErrorAction Stop stops a runbook and pwsh -File exits 1. Ctrl+C stops waiting and leaves the migrations as they are. A cold migration that reaches VERIFY_RESIZE is left for its owner unless -VerifyResize Confirm or Revert is given.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSMigration -InProgress | Wait-OSMigration -TimeoutSec 900 -OnTimeout Abort</code>
    /// <para>Waits for every migration of the cloud in progress, aborting any still running 15 minutes from now.</para>
    /// </example>
    /// <example>
    /// <code>$started = Get-OSInstance -HostName compute1 | Move-OSInstance -Confirm:$false
    /// # ... later, or in the next run of the runbook:
    /// $started | Wait-OSMigration</code>
    /// <para>Starts migrations without waiting, then waits for their verdicts.</para>
    /// </example>
    /// <example>
    /// <code>Wait-OSMigration -Name web01 -ErrorAction Stop</code>
    /// <para>Waits for web01's migration in progress (started with openstack server migrate --live-migration, for example) and stops the script if it does not succeed.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Wait, "OSMigration", DefaultParameterSetName = MigrationSet)]
    [OutputType(typeof(MigrationResult))]
    public sealed class WaitOSMigrationCommand : OSCloudCmdletBase
    {
        private const string MigrationSet = "Migration";
        private const string NameSet = "Name";
        private const string InputObjectSet = "InputObject";
        private readonly List<MigrationRequest> _requests = new List<MigrationRequest>();
        private MigrationControl? _control;

        /// <summary>The migration's id. Binds Id from Get-OSMigration and MigrationId from Move-OSInstance.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = MigrationSet)]
        [Alias("MigrationId")]
        [ArgumentCompleter(typeof(MigrationIdCompleter))]
        public long? Id { get; set; }

        /// <summary>The instance whose migration in progress to wait for (or, with -Id, whose migration it is). Binds InstanceId from Get-OSMigration and Move-OSInstance.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = MigrationSet)]
        [ArgumentCompleter(typeof(InstanceIdCompleter))]
        public string? InstanceId { get; set; }

        /// <summary>Instance names (wildcards allowed): waits for each one's migration in progress.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
        [SupportsWildcards]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(InstanceNameCompleter))]
        public string[] Name { get; set; } = Array.Empty<string>();

        /// <summary>Instances, as Get-OSInstance writes them: waits for each one's migration in progress.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
        public Instance[] InputObject { get; set; } = Array.Empty<Instance>();

        /// <summary>How many seconds, from now, to wait for each migration before -OnTimeout applies (0, the default, waits for ever).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        /// <summary>What to do with a live migration still running after -TimeoutSec: Leave it (verdict TimedOut; the default), Abort it (verdict Aborted), or ForceComplete it (the instance is paused briefly so the copy finishes).</summary>
        [Parameter]
        public TimeoutAction OnTimeout { get => _onTimeout.Value; set => _onTimeout.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<TimeoutAction> _onTimeout = new Held<TimeoutAction>(TimeoutAction.Leave);

        /// <summary>What to do with a cold migration that reaches VERIFY_RESIZE: Leave it for whoever started it (default), Confirm it, or Revert it.</summary>
        [Parameter]
        public VerifyResizeAction VerifyResize { get => _verifyResize.Value; set => _verifyResize.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<VerifyResizeAction> _verifyResize = new Held<VerifyResizeAction>(VerifyResizeAction.Leave);

        /// <summary>How many migrations are watched at once (default 16).</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = 16;

        private MigrationControl Control => _control ??= new MigrationControl(ResolveSession());

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            switch (ParameterSetName)
            {
                case InputObjectSet:
                    foreach (var instance in InputObject.Where(i => i != null))
                    {
                        Add(instance.Id, null, instance.Name);
                    }

                    break;
                case NameSet:
                    IReadOnlyList<Instance> found;
                    try
                    {
                        var reader = new MigrationTargetReader(ResolveSession());
                        found = RunEngine((sink, token) => reader.FindByNameAsync(Name, sink, token));
                    }
                    catch (OpenStackMigrationException e)
                    {
                        WriteFailure(e, string.Join(", ", Name));
                        return;
                    }

                    foreach (var instance in found)
                    {
                        Add(instance.Id, null, instance.Name);
                    }

                    break;
                default:
                    Add(InstanceId, Id, InstanceId ?? Id?.ToString());
                    break;
            }
        }

        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            if (_requests.Count > 0)
            {
                RunMigrations(_requests, ThrottleLimit);
            }

            base.EndProcessing();
        }

        private void Add(string? instanceId, long? migrationId, string? target)
        {
            MigrationRecord record;
            try
            {
                record = RunEngine((sink, token) => Control.FindToWaitAsync(instanceId, migrationId, sink, token));
                MigrationRunner.KindOf(record);
            }
            catch (OpenStackMigrationException e)
            {
                WriteFailure(e, target);
                return;
            }

            if (_requests.Any(r => r.Existing!.Id == record.Id))
            {
                return;
            }

            WriteVerbose($"Migration {record.Id} of instance {record.InstanceId} ({record.MigrationType}) is '{record.Status}'.");
            _requests.Add(new MigrationRequest(new Instance { Id = record.InstanceId, Name = target ?? record.InstanceId })
            {
                Existing = record,
                Wait = true,
                Timeout = TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : (TimeSpan?)null,
                OnTimeout = OnTimeout,
                VerifyResize = VerifyResize,
                SkipPreflight = true,
            });
        }
    }
}
