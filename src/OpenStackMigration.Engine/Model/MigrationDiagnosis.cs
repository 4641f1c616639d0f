using System;
using System.Collections.Generic;

namespace OpenStackMigration.Model
{
    /// <summary>Why a migration did not succeed: the documented set of causes (see about_OpenStackMigration_Diagnosis).</summary>
    public enum MigrationFailureCause
    {
        /// <summary>Nothing failed (or nothing is known yet).</summary>
        None,

        /// <summary>The records and logs do not show why.</summary>
        Unknown,

        /// <summary>The destination lacks room (RAM, vCPU or disk) for the instance.</summary>
        NoCapacity,

        /// <summary>The destination cannot be used: disabled, down, forced down, unknown or the source itself.</summary>
        DestinationUnavailable,

        /// <summary>The scheduler found no host and nothing says why.</summary>
        NoValidHost,

        /// <summary>The destination's pre-check (check_can_live_migrate_destination) did not answer within nova-conductor's long_rpc_timeout.</summary>
        PreCheckRpcTimeout,

        /// <summary>pre_live_migration on the destination did not answer within the source nova-compute's long_rpc_timeout.</summary>
        PreLiveMigrationRpcTimeout,

        /// <summary>Another RPC call timed out (rpc_response_timeout of the calling service).</summary>
        RpcTimeout,

        /// <summary>The load balancer in front of the API (HAProxy) gave up on the request: HTTP 504.</summary>
        GatewayTimeout,

        /// <summary>A compute service (usually the destination's) went down during the migration.</summary>
        ComputeServiceDown,

        /// <summary>The destination's CPU cannot run the instance's CPU model (the destination's check refused it).</summary>
        CpuIncompatible,

        /// <summary>The destination's hypervisor type or version cannot take the instance.</summary>
        HypervisorIncompatible,

        /// <summary>Cinder failed to attach or move a volume.</summary>
        VolumeAttachmentFailed,

        /// <summary>Nova refused the request at once (HTTP 4xx): wrong state, locked, bad parameters.</summary>
        RequestRefused,

        /// <summary>The migration was still copying when -TimeoutSec passed, and memory was not converging.</summary>
        NotConverging,

        /// <summary>The migration was still running (and progressing) when -TimeoutSec passed.</summary>
        StillRunning,

        /// <summary>Someone (or -OnTimeout Abort) aborted it.</summary>
        Aborted,
    }

    /// <summary>How sure the diagnosis is.</summary>
    public enum DiagnosisCertainty
    {
        /// <summary>No cause could be named.</summary>
        Unknown,

        /// <summary>The evidence points at the cause but does not state it (timings, figures).</summary>
        Likely,

        /// <summary>A record or log line states the cause.</summary>
        Confirmed,
    }

    /// <summary>One piece of evidence: a record of Nova's, a log line, a configuration value, or a figure.</summary>
    public sealed class DiagnosisEvidence
    {
        /// <summary>Where it comes from: "instance action", "instance fault", "migration record", "compute service", "pre-flight", "log", "config", "http".</summary>
        public string Source { get; set; } = string.Empty;

        /// <summary>The node (for log lines and settings), or the host the record names.</summary>
        public string? ComputerName { get; set; }

        /// <summary>When it happened, if known (UTC).</summary>
        public DateTimeOffset? Time { get; set; }

        /// <summary>The evidence itself: an event with its result and details, a log line, a value.</summary>
        public string Text { get; set; } = string.Empty;

        /// <inheritdoc/>
        public override string ToString() => $"[{Source}{(ComputerName != null ? " " + ComputerName : string.Empty)}] {Text}";
    }

    /// <summary>Why a migration failed or timed out, with the evidence and the fix.</summary>
    public sealed class MigrationDiagnosis
    {
        /// <summary>The instance's uuid.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>The instance's name.</summary>
        public string? InstanceName { get; set; }

        /// <summary>The migration's id, if there is a record.</summary>
        public long? MigrationId { get; set; }

        /// <summary>The migration record's status.</summary>
        public string? MigrationStatus { get; set; }

        /// <summary>The request id of the migration's instance action.</summary>
        public string? RequestId { get; set; }

        /// <summary>The source host.</summary>
        public string? SourceHost { get; set; }

        /// <summary>The destination host asked for (or Nova's record of it).</summary>
        public string? DestinationHost { get; set; }

        /// <summary>The cause.</summary>
        public MigrationFailureCause Cause { get; set; }

        /// <summary>How sure the diagnosis is.</summary>
        public DiagnosisCertainty Certainty { get; set; }

        /// <summary>One sentence: what happened.</summary>
        public string Summary { get; set; } = string.Empty;

        /// <summary>Why the evidence means that, and what Nova told the user instead (if it hid the cause).</summary>
        public string? Explanation { get; set; }

        /// <summary>The configuration option that governs what failed (e.g. long_rpc_timeout), if any.</summary>
        public string? Setting { get; set; }

        /// <summary>The service whose value of <see cref="Setting"/> counts (e.g. nova-conductor, nova-compute on the source).</summary>
        public string? GovernedBy { get; set; }

        /// <summary>The value of <see cref="Setting"/> in effect, per node where it was read ("node: 8 s from /etc/nova/nova.conf:12").</summary>
        public string[] EffectiveValues { get; set; } = Array.Empty<string>();

        /// <summary>What to do, as a command where there is one.</summary>
        public string? Fix { get; set; }

        /// <summary>The records, log lines and values the diagnosis rests on, oldest first.</summary>
        public IReadOnlyList<DiagnosisEvidence> Evidence { get; set; } = Array.Empty<DiagnosisEvidence>();

        /// <summary>Nodes whose logs could not be read, and why.</summary>
        public string[] Unread { get; set; } = Array.Empty<string>();

        /// <inheritdoc/>
        public override string ToString() => $"{InstanceName ?? InstanceId}: {Cause} ({Certainty}) {Summary}";
    }

    /// <summary>A load balancer (HAProxy) gave up on an API request: what the client got.</summary>
    public sealed class GatewayFailure
    {
        /// <summary>The HTTP status (504, or 502/503).</summary>
        public int StatusCode { get; set; }

        /// <summary>The request's method.</summary>
        public string Method { get; set; } = string.Empty;

        /// <summary>The request's URL.</summary>
        public string Url { get; set; } = string.Empty;

        /// <summary>Who answered, recognised by the error page (HAProxy, nginx), or null.</summary>
        public string? Proxy { get; set; }

        /// <summary>How long the client waited for the answer.</summary>
        public double? ElapsedSeconds { get; set; }

        /// <summary>When the request was sent (UTC).</summary>
        public DateTimeOffset? SentAt { get; set; }

        /// <summary>Whether Nova started the migration anyway (null: not looked).</summary>
        public bool? StartedAnyway { get; set; }

        /// <inheritdoc/>
        public override string ToString() => $"{Proxy ?? "gateway"} {StatusCode} after {ElapsedSeconds:0.0} s for {Method} {Url}";
    }
}
