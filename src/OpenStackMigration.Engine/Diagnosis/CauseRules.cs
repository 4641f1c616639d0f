using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>
    /// The cause table, as pure functions over <see cref="FailureFacts"/>. Each rule names one cause, the evidence
    /// it rests on and the fix. The order matters: what a record or log line states beats what timings suggest.
    /// </summary>
    /// <remarks>
    /// The hard case is Nova's "No valid host was found". With a destination given (not forced), nova-conductor asks the
    /// scheduler, runs the destination's check_can_live_migrate_destination, and when that check fails or times out it
    /// logs the reason only at DEBUG ("Skipping host: X because: ..."), excludes the host and asks again; the user sees
    /// "No valid host" exactly as for a full host. What still tells them apart: the pre-flight's figures (a full host
    /// fails them), the time the conductor took (a capacity refusal is immediate; a timeout takes long_rpc_timeout),
    /// the destination's own event for the check (it finishes after the conductor gave up), the scheduler's "Host
    /// filter ignoring hosts" line naming the destination, and, with debug on, the conductor's DEBUG line.
    /// </remarks>
    public static partial class CauseRules
    {
        /// <summary>Nova's default long_rpc_timeout (seconds).</summary>
        public const int NovaDefaultLongRpcTimeout = 1800;

        /// <summary>A refusal that takes longer than this (seconds) was not a capacity refusal.</summary>
        public const double ImmediateSeconds = 4;

        internal const string ConductorLive = "conductor_live_migrate_instance";
        internal const string DestCheck = "compute_check_can_live_migrate_destination";
        internal const string SourceCheck = "compute_check_can_live_migrate_source";
        internal const string PreLive = "compute_pre_live_migration";
        internal const string LiveMigration = "compute_live_migration";

        /// <summary>Names the cause of a failed, refused, aborted or timed-out migration.</summary>
        public static MigrationDiagnosis Diagnose(FailureFacts facts)
        {
            var d = new MigrationDiagnosis
            {
                InstanceId = facts.InstanceId,
                InstanceName = facts.InstanceName,
                MigrationId = facts.Record?.Id,
                MigrationStatus = facts.Record?.Status,
                RequestId = facts.Action?.RequestId,
                SourceHost = facts.Record?.SourceHost ?? facts.SourceHost,
                DestinationHost = facts.Destination,
                Unread = facts.Unread.ToArray(),
            };
            var evidence = new List<DiagnosisEvidence>();
            // A gateway's answer first: even when Nova carried on and the migration succeeded, the 504 is what to fix.
            var found = Gateway(facts, d, evidence)
                || Settled(facts, d, evidence)
                || Aborted(facts, d, evidence)
                || Refused(facts, d, evidence)
                || Incompatible(facts, d, evidence)
                || PreCheckTimeout(facts, d, evidence)
                || PreLiveMigrationTimeout(facts, d, evidence)
                || ServiceDown(facts, d, evidence)
                || Timeout(facts, d, evidence)
                || Volume(facts, d, evidence)
                || Preflight(facts, d, evidence)
                || OtherRpcTimeout(facts, d, evidence)
                || NoValidHost(facts, d, evidence);
            if (!found)
            {
                d.Cause = MigrationFailureCause.Unknown;
                d.Certainty = DiagnosisCertainty.Unknown;
                var said = facts.FailedEvents.Select(e => e.Details).FirstOrDefault(x => !string.IsNullOrEmpty(x)) ?? facts.Fault;
                d.Summary = said != null ? $"Nova says: {Trim(said)}" : "Nova recorded no reason.";
                d.Fix = "Look at the nova-conductor and nova-compute logs of the migration's window: Debug-OSMigration ... -ComputerName <controllers and both computes>, or Find-OSLogEntry -RequestId " + (facts.Action?.RequestId ?? "<request id>") + ".";
            }

            evidence.AddRange(BaseEvidence(facts).Where(b => !evidence.Any(e => e.Text == b.Text)));
            d.Evidence = evidence.OrderBy(e => e.Time ?? DateTimeOffset.MaxValue).ToList();
            return d;
        }

        /// <summary>The facts a watched migration's result holds (Nova's records only).</summary>
        internal static FailureFacts FactsOf(MigrationResult r, MigrationCheckReport? preflight = null) => new FailureFacts
        {
            Kind = r.Kind,
            InstanceId = r.InstanceId,
            InstanceName = r.InstanceName,
            InstanceHost = r.DestinationHost,
            InstanceStatus = r.InstanceStatus,
            SourceHost = r.SourceHost,
            DestinationHost = r.RequestedHost,
            Verdict = r.Verdict,
            Timeout = r.Verdict == MigrationVerdict.TimedOut ? r.Duration : null,
            NotConverging = r.NotConverging,
            Record = r.Record,
            Action = r.Action,
            Fault = r.InstanceFault,
            Gateway = r.Gateway,
            Refusal = r.WaitedFor == CompletionSignal.ApiResponse && r.Verdict == MigrationVerdict.Failed && r.Gateway == null ? r.Reason : null,
            Preflight = preflight,
        };

        /// <summary>The cause as a sentence to append to a verdict's reason.</summary>
        public static string Sentence(MigrationDiagnosis d) =>
            d.Cause == MigrationFailureCause.Unknown || d.Cause == MigrationFailureCause.None
                ? string.Empty
                : $" Cause ({(d.Certainty == DiagnosisCertainty.Confirmed ? "confirmed" : "likely")}): {d.Summary}" + (d.Fix != null ? $" Fix: {d.Fix}" : string.Empty);

        /// <summary>Nothing to diagnose: it succeeded, or it is still under way.</summary>
        private static bool Settled(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            if (f.Verdict == MigrationVerdict.Succeeded)
            {
                d.Cause = MigrationFailureCause.None;
                d.Certainty = DiagnosisCertainty.Confirmed;
                d.Summary = "The migration succeeded: nothing to diagnose.";
                return true;
            }

            if (f.Verdict == null && f.Gateway == null && f.Record != null && !f.Record.IsFinished)
            {
                d.Cause = MigrationFailureCause.StillRunning;
                d.Certainty = DiagnosisCertainty.Confirmed;
                d.Summary = $"Migration {f.Record.Id} is still {f.Record.Status}: nothing has failed yet.";
                d.Fix = $"Watch it: Get-OSMigration -InstanceId {f.InstanceId} -InProgress.";
                return true;
            }

            return false;
        }

        private static bool Gateway(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            var g = f.Gateway;
            if (g == null)
            {
                return false;
            }

            var who = g.Proxy ?? "The load balancer";
            d.Cause = MigrationFailureCause.GatewayTimeout;
            d.Certainty = DiagnosisCertainty.Confirmed;
            d.Setting = "timeout server";
            d.GovernedBy = (g.Proxy ?? "load balancer") + " in front of " + ServiceOf(g.Url);
            d.Summary = $"{who} (not Nova) answered HTTP {g.StatusCode} to {g.Method} {PathOf(g.Url)}"
                + (g.ElapsedSeconds.HasValue ? $" after {g.ElapsedSeconds.Value:0.0} s" : string.Empty)
                + ": Nova did not answer within the proxy's 'timeout server'. "
                + (g.StartedAnyway == true ? $"Nova carried on and started the migration anyway{(f.Record != null ? $" (migration {f.Record.Id}, {f.Record.Status})" : string.Empty)}."
                    : g.StartedAnyway == false ? "Nova had not started a migration when we looked; it may still act on the request: check before you retry."
                    : "Nova may still carry out the request.");
            d.Explanation = "A 504 from the proxy only means the proxy stopped waiting; the API behind it keeps working on the request. The proxy's 'timeout server' must exceed the slowest call it fronts (Test-OSMigrationTimeout checks the chain).";
            var seconds = g.ElapsedSeconds.HasValue ? RoundUp(Math.Max(g.ElapsedSeconds.Value * 4, 60)) : 300;
            d.Fix = $"Set-OSHAProxyTimeout -Seconds {seconds} -Reload -ComputerName <load balancers> (raise 'timeout server' of the proxy that fronts {ServiceOf(g.Url)})";
            ev.Add(new DiagnosisEvidence { Source = "http", Time = g.SentAt, Text = g.ToString() });
            ev.AddRange(LogMatches(f, "haproxy", l => l.Message.IndexOf(" 504 ", StringComparison.Ordinal) >= 0));
            d.EffectiveValues = SettingValues(f, "timeout server", null);
            return true;
        }

        private static bool Timeout(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            if (f.Verdict != MigrationVerdict.TimedOut)
            {
                return false;
            }

            var wait = f.Timeout.HasValue ? $"{f.Timeout.Value.TotalSeconds:0} s" : "the timeout";
            d.Certainty = DiagnosisCertainty.Confirmed;
            if (f.NotConverging)
            {
                d.Cause = MigrationFailureCause.NotConverging;
                d.Summary = $"The migration was still copying memory after {wait}: the guest writes memory about as fast as it is copied, so it never converges.";
                d.Fix = $"Complete-OSMigration -InstanceId {f.InstanceId} (pauses the guest briefly to finish), or let Nova handle it: [libvirt] live_migration_permit_auto_converge = true or live_migration_permit_post_copy = true on the computes.";
                d.Setting = "live_migration_permit_auto_converge";
                d.GovernedBy = "nova-compute on the source";
            }
            else
            {
                d.Cause = MigrationFailureCause.StillRunning;
                d.Summary = $"The migration was still running after {wait}" + (f.Record != null ? $" (migration {f.Record.Id} is {f.Record.Status})" : string.Empty) + "; nothing failed.";
                d.Fix = $"Wait for it: Get-OSMigration -InstanceId {f.InstanceId} -InProgress; or give it more time next run (-TimeoutSec).";
            }

            return true;
        }

        private static bool Aborted(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            if (f.Verdict != MigrationVerdict.Aborted && f.Record?.Status != "cancelled")
            {
                return false;
            }

            d.Cause = MigrationFailureCause.Aborted;
            d.Certainty = DiagnosisCertainty.Confirmed;
            d.Summary = $"Migration {f.Record?.Id} was aborted (status {f.Record?.Status ?? "cancelled"}); the instance stayed on {d.SourceHost}.";
            ev.AddRange(f.Events.Where(e => e.Event.IndexOf("abort", StringComparison.Ordinal) >= 0).Select(EventEvidence));
            return true;
        }

        private static bool Refused(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            if (f.Refusal == null)
            {
                return false;
            }

            d.Cause = MigrationFailureCause.RequestRefused;
            d.Certainty = DiagnosisCertainty.Confirmed;
            d.Summary = "Nova refused the request at once: " + Trim(f.Refusal);
            ev.Add(new DiagnosisEvidence { Source = "http", Text = f.Refusal });
            return true;
        }

        private static bool Incompatible(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            var cpu = Said(f, Signals.CpuIncompatible);
            if (cpu.Count > 0)
            {
                d.Cause = MigrationFailureCause.CpuIncompatible;
                d.Certainty = DiagnosisCertainty.Confirmed;
                d.Summary = $"{f.Destination}'s CPU cannot run the instance's CPU model: the destination's check refused it.";
                d.Explanation = NovaHid(f, "the CPU mismatch");
                d.Setting = "cpu_mode / cpu_models";
                d.GovernedBy = "nova-compute ([libvirt] section) on every compute the instance may move between";
                d.Fix = "Pick a destination with the same or a newer CPU (Test-OSMigrationTarget ranks them), or give the computes a common CPU model: [libvirt] cpu_mode = custom, cpu_models = <the oldest CPU's model> on all of them, then restart nova-compute.";
                ev.AddRange(cpu);
                return true;
            }

            var hv = Said(f, Signals.HypervisorIncompatible);
            if (hv.Count > 0)
            {
                d.Cause = MigrationFailureCause.HypervisorIncompatible;
                d.Certainty = DiagnosisCertainty.Confirmed;
                d.Summary = $"{f.Destination}'s hypervisor type or version cannot take the instance from {d.SourceHost}.";
                d.Explanation = NovaHid(f, "the hypervisor mismatch");
                d.Fix = "Pick a destination with the same hypervisor type and the same or a newer version (Test-OSMigrationTarget shows both).";
                ev.AddRange(hv);
                return true;
            }

            return false;
        }

        private static bool PreCheckTimeout(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            var stated = Said(f, Signals.PreCheckTimeout);
            var conductor = f.Event(ConductorLive);
            var check = f.Event(DestCheck);
            var waited = Seconds(conductor);
            var checkTook = Seconds(check);

            // The destination answered only after the conductor had given up: its own event says so.
            var lateAnswer = conductor?.FinishTime != null && IsError(conductor)
                && check != null && (check.FinishTime == null || check.FinishTime > conductor.FinishTime)
                && (waited ?? 0) >= ImmediateSeconds;
            var slowNoValidHost = IsNoValidHost(f) && (waited ?? 0) >= ImmediateSeconds && f.Kind == MigrationKind.Live && f.DestinationHost != null
                && (f.Preflight == null || f.Preflight.CanMigrate);
            var ignored = LogMatches(f, "scheduler", l => l.Message.IndexOf("ignoring hosts", StringComparison.Ordinal) >= 0 && f.Destination != null && l.Message.IndexOf(f.Destination, StringComparison.Ordinal) >= 0).ToList();
            if (stated.Count == 0 && !lateAnswer && !slowNoValidHost)
            {
                return false;
            }

            d.Cause = MigrationFailureCause.PreCheckRpcTimeout;
            d.Certainty = stated.Count > 0 || lateAnswer ? DiagnosisCertainty.Confirmed : DiagnosisCertainty.Likely;
            d.Setting = "long_rpc_timeout";
            d.GovernedBy = "nova-conductor";
            var conductors = SettingValues(f, "long_rpc_timeout", "conductor");
            d.EffectiveValues = conductors;
            var current = SettingSeconds(f, "long_rpc_timeout", "conductor") ?? (waited.HasValue ? (int?)Math.Round(waited.Value) : null);
            d.Summary = $"The destination {f.Destination}'s pre-check (check_can_live_migrate_destination) did not answer within nova-conductor's long_rpc_timeout"
                + (current.HasValue ? $" ({current} s)" : string.Empty) + "."
                + (check?.FinishTime != null && checkTook.HasValue ? $" {f.Destination} took {checkTook.Value:0.0} s to answer." : string.Empty);
            d.Explanation = (IsNoValidHost(f) ? "Nova reported \"No valid host was found\": with a destination given, nova-conductor swallows the timeout (it logs it only at DEBUG), excludes the host and asks the scheduler again. " : string.Empty)
                + (waited.HasValue ? $"The conductor gave up after {waited.Value:0.0} s; a full or refused host is answered at once. " : string.Empty)
                + (f.Preflight != null && f.Preflight.CanMigrate ? $"The pre-flight finds room on {f.Destination}. " : string.Empty)
                + "Since Rocky this call waits long_rpc_timeout (rpc_response_timeout is only its heartbeat interval), as set on the nodes that run nova-conductor."
                + (check == null ? $" But {f.Destination} recorded no check at all: its nova-compute may not have taken the message (down, hung, or its queue stuck), and then the call fails after rpc_response_timeout, the heartbeat interval; look at {f.Destination} first." : string.Empty);
            d.Fix = RaiseFix(current, checkTook, "nova-conductor", "<nodes that run nova-conductor>", f.Destination);
            ev.AddRange(stated);
            ev.AddRange(ignored);
            if (conductor != null) ev.Add(EventEvidence(conductor));
            if (check != null) ev.Add(EventEvidence(check));
            return true;
        }

        private static bool PreLiveMigrationTimeout(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            // The source's live_migration event only covers handing the work to a thread, so it reads Success even
            // here; what shows the timeout is the destination's own pre_live_migration event, still running (or
            // finished) after the migration record failed, and the source's ERROR line (logged without a request id).
            var live = f.Event(LiveMigration);
            var pre = f.Event(PreLive);
            var failedRecord = f.Record != null && (f.Record.Status == "error" || f.Record.Status == "failed");
            var recordEnd = f.Record?.UpdatedAt;
            var lateAnswer = failedRecord && pre != null && (pre.FinishTime == null || (recordEnd.HasValue && pre.FinishTime > recordEnd.Value));
            var logs = Said(f, Signals.PreLiveMigrationFailed).Where(e => ContainsAny(e.Text, Signals.MessagingTimeout)).ToList();
            var eventSaid = live != null && IsError(live) && Contains(live.Details, "MessagingTimeout") && pre != null;
            if (logs.Count == 0 && !lateAnswer && !eventSaid)
            {
                return false;
            }

            d.Cause = MigrationFailureCause.PreLiveMigrationRpcTimeout;
            d.Certainty = DiagnosisCertainty.Confirmed;
            d.Setting = "long_rpc_timeout";
            d.GovernedBy = $"nova-compute on the source ({d.SourceHost})";
            d.EffectiveValues = SettingValues(f, "long_rpc_timeout", "compute", d.SourceHost);
            var preTook = Seconds(pre);
            var waited = pre?.StartTime != null && recordEnd.HasValue ? (recordEnd.Value - pre.StartTime.Value).TotalSeconds : (double?)null;
            var current = SettingSeconds(f, "long_rpc_timeout", "compute", d.SourceHost);
            d.Summary = $"pre_live_migration on the destination {f.Destination} did not answer within the source nova-compute's long_rpc_timeout"
                + (current.HasValue ? $" ({current} s)" : waited.HasValue ? $" (the source gave up within about {waited.Value:0} s)" : string.Empty)
                + $"; the instance stayed on {d.SourceHost}."
                + (pre?.FinishTime != null && preTook.HasValue ? $" {f.Destination} took {preTook.Value:0.0} s over it." : pre != null ? $" {f.Destination} was still working on it when the migration failed." : string.Empty);
            d.Explanation = "The source nova-compute calls pre_live_migration on the destination (which plugs networks and connects volumes there) and waits long_rpc_timeout as set on the source host (rpc_response_timeout is only the heartbeat). "
                + $"Nova records only the migration's '{f.Record?.Status ?? "failed"}' status; the source logs \"Pre live migration failed at {f.Destination}: ... MessagingTimeout\" without a request id.";
            d.Fix = RaiseFix(current ?? (waited.HasValue ? (int?)Math.Round(waited.Value) : null), preTook, "nova-compute", $"<the source host {d.SourceHost}>", f.Destination);
            ev.AddRange(logs);
            if (pre != null) ev.Add(EventEvidence(pre));
            return true;
        }

        private static bool ServiceDown(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            var down = f.Services.Where(s => s.Binary == "nova-compute" && (s.HostName == f.Destination || s.HostName == d.SourceHost) && (s.State == ServiceState.Down || s.ForcedDown)).ToList();
            var said = Said(f, Signals.ServiceUnavailable);
            var postFailed = Said(f, Signals.PostLiveMigrationFailed).Where(e => ContainsAny(e.Text, Signals.MessagingTimeout)).ToList();
            if (down.Count == 0 && said.Count == 0 && postFailed.Count == 0)
            {
                return false;
            }

            var host = down.Select(s => s.HostName).FirstOrDefault() ?? f.Destination;
            var stuck = f.Record != null && f.Record.IsSucceeded && f.InstanceHost != null && f.InstanceHost != f.Record.DestinationHost;
            d.Cause = MigrationFailureCause.ComputeServiceDown;
            d.Certainty = DiagnosisCertainty.Confirmed;
            d.Summary = $"nova-compute on {host} " + (stuck || postFailed.Count > 0 ? "went down during the migration" : "is down")
                + (down.FirstOrDefault()?.UpdatedAt is DateTimeOffset u ? $" (its last report was at {u:u})" : string.Empty) + "."
                + (stuck ? $" The migration record says {f.Record!.Status}, but the instance is still {f.InstanceStatus}{(f.InstanceTaskState != null ? "/" + f.InstanceTaskState : string.Empty)} on {f.InstanceHost}: {host} never finished its part (post_live_migration_at_destination)." : string.Empty);
            if (postFailed.Count > 0)
            {
                d.Setting = "rpc_response_timeout";
                d.GovernedBy = $"nova-compute on the source ({d.SourceHost}): a dead destination sends no heartbeat, so the call fails after rpc_response_timeout";
                d.EffectiveValues = SettingValues(f, "rpc_response_timeout", "compute", d.SourceHost);
            }

            d.Explanation = stuck
                ? $"The guest may already run on {host}. If {host}'s nova-compute comes back soon, it takes the message still queued for it and finishes the move; otherwise Nova leaves the instance so until someone resets it."
                : null;
            d.Fix = $"Start nova-compute on {host} and check it reports (Restart-OSService nova-compute -ComputerName <{host}>; Get-OSComputeService -HostName {host})"
                + (stuck ? $"; if the instance is still {f.InstanceStatus} on {f.InstanceHost} afterwards, find where the guest really runs, then reset it (openstack server set --state active {f.InstanceId}) and restart nova-compute on {f.InstanceHost} so Nova re-reads it." : "; then move again.");
            ev.AddRange(down.Select(s => new DiagnosisEvidence { Source = "compute service", ComputerName = s.HostName, Time = s.UpdatedAt, Text = $"{s.Binary} on {s.HostName}: {s.State}, {s.Status}{(s.ForcedDown ? ", forced down" : string.Empty)}, last report {s.UpdatedAt:u}" }));
            ev.AddRange(said);
            ev.AddRange(postFailed);
            if (stuck)
            {
                ev.Add(new DiagnosisEvidence { Source = "instance", ComputerName = f.InstanceHost, Text = $"{f.InstanceName ?? f.InstanceId}: {f.InstanceStatus}/{f.InstanceTaskState ?? "-"} on {f.InstanceHost}" });
            }

            return true;
        }

        private static bool Volume(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            var said = Said(f, Signals.VolumeFailure);
            if (said.Count == 0)
            {
                return false;
            }

            d.Cause = MigrationFailureCause.VolumeAttachmentFailed;
            d.Certainty = DiagnosisCertainty.Confirmed;
            d.Summary = "Cinder failed to attach or move a volume for the migration.";
            d.Fix = "Read cinder-volume's log for the request (Find-OSLogEntry -RequestId " + (f.Action?.RequestId ?? "<id>") + " -Service cinder), check the volumes (Get-OSInstance shows them), then move again.";
            ev.AddRange(said);
            return true;
        }

        private static bool Preflight(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            var failed = f.Preflight?.Checks.Where(c => c.Result == MigrationCheckResult.Failed).ToList();
            if (failed == null || failed.Count == 0)
            {
                return false;
            }

            var capacity = failed.Any(c => c.Code == MigrationCheckCode.InsufficientCapacity || c.Code == MigrationCheckCode.ExceedsMaxUnit);
            d.Cause = capacity ? MigrationFailureCause.NoCapacity : MigrationFailureCause.DestinationUnavailable;
            d.Certainty = IsNoValidHost(f) ? DiagnosisCertainty.Likely : DiagnosisCertainty.Confirmed;
            var conductor = f.Event(ConductorLive) ?? f.Event("conductor_migrate_server");
            d.Summary = string.Join("; ", failed.Select(c => c.Reason.TrimEnd('.'))) + ".";
            d.Explanation = (IsNoValidHost(f) ? "Nova said only \"No valid host was found\"; a pre-flight of the same move, run afterwards, names why. " : string.Empty)
                + (Seconds(conductor) is double s ? $"Nova refused within {s:0.0} s, as it does for a host that cannot take the instance." : string.Empty);
            d.Fix = capacity
                ? $"Pick another destination (Test-OSMigrationTarget -InstanceId {f.InstanceId} ranks them) or free room on {f.Destination}."
                : $"Fix what the check names, or pick another destination (Test-OSMigrationTarget -InstanceId {f.InstanceId}).";
            ev.AddRange(failed.Select(c => new DiagnosisEvidence { Source = "pre-flight", ComputerName = f.Destination, Text = $"{c.Name}: {c.Reason}" }));
            return true;
        }

        private static bool OtherRpcTimeout(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            var said = Said(f, Signals.MessagingTimeout);
            if (said.Count == 0)
            {
                return false;
            }

            d.Cause = MigrationFailureCause.RpcTimeout;
            d.Certainty = DiagnosisCertainty.Confirmed;
            d.Setting = "rpc_response_timeout";
            d.GovernedBy = "the calling service (see the evidence's node and process)";
            d.EffectiveValues = SettingValues(f, "rpc_response_timeout", null);
            d.Summary = "An RPC call of the migration timed out (MessagingTimeout).";
            d.Fix = "Set-OSMigrationTimeout -Seconds <a value above the slowest call> -ComputerName <all nodes> -Restart (Test-OSMigrationTimeout shows the chain).";
            ev.AddRange(said);
            return true;
        }

        private static bool NoValidHost(FailureFacts f, MigrationDiagnosis d, List<DiagnosisEvidence> ev)
        {
            if (!IsNoValidHost(f))
            {
                return false;
            }

            d.Cause = MigrationFailureCause.NoValidHost;
            d.Certainty = DiagnosisCertainty.Likely;
            d.Summary = "The scheduler found no host that passes its filters" + (f.DestinationHost != null ? $" among {f.DestinationHost}" : string.Empty) + ", and nothing in the records says which filter refused.";
            d.Fix = "Turn on debug logging on nova-scheduler and nova-conductor (Set-OSDebugLogging -Enable -Restart -ComputerName <controllers>), move again, then Debug-OSMigration with -ComputerName to read the filters' verdicts.";
            ev.AddRange(LogMatches(f, "scheduler", l => l.Message.IndexOf("returned 0 hosts", StringComparison.Ordinal) >= 0 || l.Message.IndexOf("ignoring hosts", StringComparison.Ordinal) >= 0));
            return true;
        }
    }
}
