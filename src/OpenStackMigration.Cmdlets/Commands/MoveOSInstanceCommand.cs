using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Live- or cold-migrates instances and, with -Wait, reports a verified verdict for each.</summary>
    /// <remarks>
    /// <para>Runs the pre-flight checks of Test-OSMigrationTarget first (with fresh Placement figures) and refuses a move that cannot work, before anything is asked of Nova (verdict Refused, error OSPreflightFailed or OSComputeHostNotFound); -SkipPreflight leaves the decision to Nova. Then asks Nova for a live migration (os-migrateLive, with the request body right for the negotiated compute microversion, never with "force", so Nova's scheduler still checks the destination) or, with -Cold, a cold migration. Without -DestinationHost the scheduler picks the host.</para>
    /// <para>Without -Wait it returns as soon as Nova accepts the request: a result with the verdict Accepted, the request id and, when Nova has created it by then, the migration id (pipe it to Stop-OSMigration or Complete-OSMigration).</para>
    /// <para>With -Wait it watches each migration: progress (percent, rate and time left) from Nova's memory and disk byte counters, a warning when memory stops converging, and -TimeoutSec with -OnTimeout Abort, ForceComplete or Leave. A cold migration is confirmed when it reaches VERIFY_RESIZE (-VerifyResize Revert reverts it, Leave leaves it for a person). Each ends with a result: Succeeded only when the instance's host is the destination (and, for live, the migration record is completed or the instance is idle on the destination: WaitedFor says which), Failed with the failed instance-action event, its details and the instance fault, Aborted, TimedOut or Reverted. A result that is not a success is also written as an error (OSMigrationFailed, OSMigrationAborted, OSMigrationTimedOut, OSPreflightFailed, OSComputeHostNotFound), so -ErrorAction Stop stops a runbook.</para>
    /// <para>Instances from the pipeline move concurrently, at most -ThrottleLimit at a time, with one progress bar per migration under an overall one; results are written as they finish. Ctrl+C stops waiting and leaves the migrations running. Use -Confirm:$false in runbooks when $ConfirmPreference is Medium or lower.</para>
    /// </remarks>
    /// <example>
    /// <code>Move-OSInstance -Name web01 -DestinationHost compute2 -Wait</code>
    /// <para>Live-migrates web01 to compute2 and waits for the verdict.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSInstance -HostName compute1 | Move-OSInstance -Wait -ThrottleLimit 3 -TimeoutSec 600 -OnTimeout Abort</code>
    /// <para>Empties compute1 three instances at a time, letting the scheduler pick the destinations, and aborts any migration that takes more than 10 minutes.</para>
    /// </example>
    /// <example>
    /// <code>Move-OSInstance -Name db01 -Cold -DestinationHost compute3 -Wait</code>
    /// <para>Cold-migrates db01 to compute3 and confirms it when it reaches VERIFY_RESIZE.</para>
    /// </example>
    /// <example>
    /// <code>$r = Move-OSInstance -Name web01 -DestinationHost compute3 -Wait -ErrorAction SilentlyContinue
    /// $r | Format-List Verdict, Reason, FailedEvent, FailedEventDetails, RequestId</code>
    /// <para>Shows why a migration failed.</para>
    /// </example>
    /// <example>
    /// <code>Move-OSInstance -Name web01 -DestinationHost compute2 | Stop-OSMigration</code>
    /// <para>Starts a migration without waiting, then aborts it.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Move, "OSInstance", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = IdSet)]
    [OutputType(typeof(MigrationResult))]
    public sealed class MoveOSInstanceCommand : OSInstanceCmdletBase
    {
        private readonly List<MigrationRequest> _requests = new List<MigrationRequest>();

        /// <summary>The destination compute host; when omitted, Nova's scheduler picks one. Binds DestinationHost from Test-OSMigrationTarget's reports.</summary>
        // Bound by property name only with -Id: PowerShell tries the default set first, and a report
        // would bind DestinationHost there and then miss InputObject.
        [Parameter(Position = 1, ParameterSetName = InputObjectSet)]
        [Parameter(Position = 1, ParameterSetName = NameSet)]
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string? DestinationHost { get; set; }

        /// <summary>A cold migration (the instance is stopped, moved, started) instead of a live one.</summary>
        [Parameter]
        public SwitchParameter Cold { get; set; }

        /// <summary>For a live migration: Auto (Nova decides from the storage; default), Always (copy local disks), Never (shared storage or volumes only).</summary>
        [Parameter]
        public BlockMigrationMode BlockMigration { get => _blockMigration.Value; set => _blockMigration.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<BlockMigrationMode> _blockMigration = new Held<BlockMigrationMode>(BlockMigrationMode.Auto);

        /// <summary>Waits for each migration to end and writes its verdict; without it, returns once Nova accepted the request.</summary>
        [Parameter]
        public SwitchParameter Wait { get; set; }

        /// <summary>With -Wait: how many seconds to wait for each migration before -OnTimeout applies (0, the default, waits for ever).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        /// <summary>What to do with a live migration still running after -TimeoutSec: Leave it (verdict TimedOut; the default), Abort it (verdict Aborted), or ForceComplete it (the instance is paused briefly so the copy finishes).</summary>
        [Parameter]
        public TimeoutAction OnTimeout { get => _onTimeout.Value; set => _onTimeout.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<TimeoutAction> _onTimeout = new Held<TimeoutAction>(TimeoutAction.Leave);

        /// <summary>With -Cold -Wait: what to do when the instance reaches VERIFY_RESIZE: Confirm (default), Revert, or Leave it for a person.</summary>
        [Parameter]
        public VerifyResizeAction VerifyResize { get => _verifyResize.Value; set => _verifyResize.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<VerifyResizeAction> _verifyResize = new Held<VerifyResizeAction>(VerifyResizeAction.Confirm);

        /// <summary>Skips the pre-flight checks and lets Nova decide (its failures still get a verdict and a reason).</summary>
        [Parameter]
        [Alias("Force")]
        public SwitchParameter SkipPreflight { get; set; }

        /// <summary>How many migrations run at once (default 4).</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 4;

        /// <summary>Bound from Get-OSMigrationPlan's items: an Unplaceable item (no destination) is refused, never handed to the scheduler.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        public PlanPlacement? Placement { get => _placement.Value; set => _placement.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<PlanPlacement?> _placement = new Held<PlanPlacement?>(null);

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            if (Placement == PlanPlacement.Unplaceable)
            {
                WriteFailure(new OpenStackMigrationException("OSPlanItemUnplaceable", FailureKind.InvalidState, $"The plan found no destination for {string.Join(", ", Id)}; it is not moved (see the plan item's Reason).") { Target = string.Join(", ", Id) }, string.Join(", ", Id));
                return;
            }

            var kind = Cold ? MigrationKind.Cold : MigrationKind.Live;
            foreach (var instance in ReadInputInstances())
            {
                if (_requests.Any(r => string.Equals(r.Instance.Id, instance.Id, StringComparison.OrdinalIgnoreCase)))
                {
                    WriteWarning($"{instance.Name} ({instance.Id}) was given more than once; it is moved once, to the first destination given.");
                    continue;
                }

                var target = $"{instance.Name} ({instance.Id}) on {instance.HostName ?? "an unknown host"}";
                var action = $"{(kind == MigrationKind.Live ? "Live-migrate" : "Cold-migrate")} to {DestinationHost ?? "a host the scheduler picks"}";
                if (!ShouldProcess(target, action))
                {
                    continue;
                }

                _requests.Add(new MigrationRequest(instance)
                {
                    Kind = kind,
                    DestinationHost = string.IsNullOrEmpty(DestinationHost) ? null : DestinationHost,
                    BlockMigration = BlockMigration,
                    Wait = Wait,
                    Timeout = TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : (TimeSpan?)null,
                    OnTimeout = OnTimeout,
                    VerifyResize = VerifyResize,
                    SkipPreflight = SkipPreflight,
                    InstanceIsFresh = ParameterSetName != InputObjectSet,
                });
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
    }
}
