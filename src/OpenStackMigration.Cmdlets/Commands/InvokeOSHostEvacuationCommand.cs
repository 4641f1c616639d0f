using System;
using System.Linq;
using System.Management.Automation;
using System.Text;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Rebuilds the instances of a failed compute host on other hosts (Nova's evacuate), once the host is down and fenced.</summary>
    /// <remarks>
    /// <para>The HA counterpart of Start-OSHostMaintenance: for a host that has failed, not one that runs. It first checks that the host's nova-compute service is down and marked forced down (the sign that the host is fenced: powered off, so the instances cannot run twice). A service that is up is refused with OSHostNotDown; one that is down but not forced down is refused with OSHostNotFenced unless -ForceDown is given, which marks it forced down for you. Nothing is changed when the check refuses.</para>
    /// <para>Every instance Nova lists on the host is classified first: Nova evacuates only ACTIVE, SHUTOFF and ERROR instances with no task running; the others are refused with the reason. For each one to be rebuilt the record says what the rebuild loses: a running one's memory and processes, a local root disk rebuilt from the image and ephemeral and swap disks rebuilt empty unless the instances directory is on shared storage (Nova finds that out itself); a root disk on a Cinder volume and attached volumes are kept. -WhatIf prints all this and changes nothing.</para>
    /// <para>At most -ThrottleLimit rebuilds are in flight (default 2); the scheduler picks each destination unless -DestinationHost names one. Each is watched to a verdict read from Nova: Evacuated when the instance is on another host, not in ERROR, and its evacuation record is not failed; otherwise Failed with Nova's fault and the request id to look for in the logs. -MaxFailures stops starting new evacuations after that many failures. A record per instance is written to a state file as it is asked for and as it settles (by default OpenStackMigration/maintenance/&lt;cloud&gt;-&lt;host&gt;-evacuation.json under the user's local application data, or -StatePath); running the same command again waits for rebuilds already asked for instead of asking twice, and retries the failed ones.</para>
    /// <para>Output: one EvacuationRecord per instance at the end, then OSInstanceNotEvacuated errors for those that were not rebuilt and OSHostNotEmpty when Nova still lists instances on the host. The host stays forced down (the scheduler places nothing there): once it is repaired, Enable-OSComputeService -ClearForcedDown brings it back. ConfirmImpact is High: pass -Confirm:$false in runbooks.</para>
    /// </remarks>
    /// <example>
    /// <code>Invoke-OSHostEvacuation -HostName compute4 -WhatIf</code>
    /// <para>Checks that compute4 is down and fenced, and lists what would be rebuilt, what would be refused and what each rebuild loses.</para>
    /// </example>
    /// <example>
    /// <code>Invoke-OSHostEvacuation compute4 -ForceDown -ThrottleLimit 3 -TimeoutSec 600 -Confirm:$false</code>
    /// <para>compute4 has been powered off by its BMC: marks its service forced down, rebuilds its instances three at a time, and reports a verdict per instance.</para>
    /// </example>
    /// <example>
    /// <code>Invoke-OSHostEvacuation compute4 -Instance db01, db02 -DestinationHost compute7 -Confirm:$false</code>
    /// <para>Rebuilds only two instances, on a named host (Nova's scheduler still checks it).</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Invoke, "OSHostEvacuation", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(EvacuationRecord))]
    public sealed class InvokeOSHostEvacuationCommand : OSCloudCmdletBase
    {
        /// <summary>The failed host (compute service host name). Binds HostName from Get-OSComputeService and Get-OSHypervisor.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string HostName { get; set; } = string.Empty;

        /// <summary>Only these instances (names or ids); by default every instance Nova lists on the host.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[]? Instance { get; set; }

        /// <summary>The host to rebuild on; by default Nova's scheduler picks one for each instance.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string? DestinationHost { get; set; }

        /// <summary>Marks the host's compute service forced down when it is down but not yet marked: say so only once the host is fenced (powered off).</summary>
        [Parameter]
        public SwitchParameter ForceDown { get; set; }

        /// <summary>At most this many rebuilds in flight at once (default 2).</summary>
        [Parameter]
        [ValidateRange(1, 64)]
        public int ThrottleLimit { get; set; } = 2;

        /// <summary>After this many failed evacuations, start no new one (0, the default, never stops).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxFailures { get; set; }

        /// <summary>How many seconds to wait for each rebuild (0, the default, waits for ever); one still rebuilding is left to Nova and waited for by the next run.</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int TimeoutSec { get; set; }

        /// <summary>The state file; by default OpenStackMigration/maintenance/&lt;cloud&gt;-&lt;host&gt;-evacuation.json under the user's local application data.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string? StatePath { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var session = ResolveSession();
            var request = new HostEvacuationRequest
            {
                HostName = HostName,
                DestinationHost = DestinationHost,
                ForceDown = ForceDown,
                Instances = Instance,
                ThrottleLimit = ThrottleLimit,
                MaxFailures = MaxFailures,
                Timeout = TimeoutSec > 0 ? TimeSpan.FromSeconds(TimeoutSec) : (TimeSpan?)null,
                StatePath = StatePath == null ? MaintenanceStateStore.DefaultEvacuationPath(session.Name, HostName) : GetUnresolvedProviderPathFromPSPath(StatePath),
            };
            var evacuation = new HostEvacuation(session);
            try
            {
                var plan = RunEngine((sink, token) => evacuation.PlanAsync(request, sink, token));
                var count = plan.Instances.Count(r => r.Outcome == EvacuationOutcome.Pending);
                if (!ShouldProcess(Describe(request, plan), $"Rebuild {count} instance(s) of {HostName} on other hosts? What each loses is listed above.", "Invoke-OSHostEvacuation"))
                {
                    return;
                }

                var report = RunEngine((sink, token) => evacuation.RunAsync(request, _ => { }, sink, token));
                foreach (var record in report.Instances)
                {
                    WriteObject(record);
                }

                if (report.BreakerTripped)
                {
                    WriteFailure(
                        new OpenStackMigrationException("OSMaintenanceCircuitBreakerTripped", FailureKind.InvalidState, report.StopReason ?? "The circuit breaker tripped.")
                        {
                            Target = HostName,
                            RecommendedAction = "See each instance's Reason; fix the cause and run the same command again to resume.",
                        },
                        HostName);
                }

                foreach (var record in report.Instances.Where(r => r.Outcome != EvacuationOutcome.Evacuated))
                {
                    WriteFailure(
                        new OpenStackMigrationException("OSInstanceNotEvacuated", FailureKind.InvalidState, $"{record.InstanceName} ({record.InstanceId}) was not evacuated from {HostName} ({record.Outcome}): {record.Reason}")
                        {
                            Target = record.InstanceId,
                            RecommendedAction = record.Outcome == EvacuationOutcome.TimedOut ? "Run the same command again to wait for it." : "Fix what the reason names and run the same command again; it retries what failed.",
                        },
                        record.InstanceName);
                }

                if (!report.IsEmpty)
                {
                    WriteFailure(
                        new OpenStackMigrationException("OSHostNotEmpty", FailureKind.InvalidState, $"{HostName} still carries {report.RemainingInstances.Count} instance(s): {string.Join(", ", report.RemainingInstances)}.")
                        {
                            Target = HostName,
                            RecommendedAction = "See each instance's Reason; fix what stops it and run the same command again.",
                        },
                        HostName);
                }
            }
            catch (OpenStackMigrationException e)
            {
                ThrowFailure(e, HostName);
            }
        }

        private string Describe(HostEvacuationRequest request, HostEvacuationReport plan)
        {
            var text = new StringBuilder();
            var fence = plan.ServiceLastReport.HasValue ? $"last report {plan.ServiceLastReport.Value.UtcDateTime:u}" : "never reported";
            text.AppendLine($"{HostName} is down ({fence}){(ForceDown ? "; -ForceDown: its compute service is marked forced down if it is not yet" : ", forced down")}. Rebuild its instances on "
                + (DestinationHost ?? "hosts Nova's scheduler picks") + $", {ThrottleLimit} at a time" + (MaxFailures > 0 ? $", stopping after {MaxFailures} failure(s)" : string.Empty) + $" (state file {request.StatePath}):");
            foreach (var record in plan.Instances.Where(r => r.Outcome == EvacuationOutcome.Pending))
            {
                text.AppendLine($"  {record.InstanceName} ({record.InstanceId}, {record.StatusBefore}{(record.VolumeBacked ? ", volume-backed" : string.Empty)}) loses: {(record.Loses.Count == 0 ? "nothing" : string.Join("; ", record.Loses))}");
            }

            foreach (var record in plan.Instances.Where(r => r.Outcome == EvacuationOutcome.Refused))
            {
                text.AppendLine($"  refused: {record.InstanceName} ({record.InstanceId}, {record.StatusBefore}): {record.Reason}");
            }

            return text.ToString().TrimEnd();
        }
    }
}
