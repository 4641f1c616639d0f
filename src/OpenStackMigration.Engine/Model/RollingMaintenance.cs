using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Model
{
    /// <summary>The steps of one host in a rolling maintenance, in the order they run.</summary>
    public enum RollingStep
    {
        /// <summary>The rest of the cloud can absorb the host's instances (Placement's figures; hosts in maintenance counted out).</summary>
        Capacity,

        /// <summary>The compute service is disabled with the run's reason.</summary>
        Disable,

        /// <summary>Every instance is moved off the host (the host drain, with its state file and policies).</summary>
        Drain,

        /// <summary>The admin's work: a scriptblock given the host, and/or a command run on the node.</summary>
        Work,

        /// <summary>nova-compute is up and has reported to Nova after the work.</summary>
        WaitForCompute,

        /// <summary>The admin's health check.</summary>
        HealthCheck,

        /// <summary>The compute service is enabled again.</summary>
        Enable,

        /// <summary>The instances moved off the host are moved back.</summary>
        Failback,
    }

    /// <summary>How a step (or a host) ended.</summary>
    public enum RollingStatus
    {
        /// <summary>Not started yet (or, in -WhatIf, what would run).</summary>
        Planned,

        /// <summary>Started and not seen to end (an interrupted run leaves these; the next run does the step again).</summary>
        Running,

        /// <summary>Done.</summary>
        Succeeded,

        /// <summary>Failed; Message and ErrorId say why.</summary>
        Failed,

        /// <summary>Nothing to do (no work given, no failback asked, or done by an earlier run).</summary>
        Skipped,

        /// <summary>Not run because the run stopped (-MaxFailedHosts) or an earlier step of the host failed.</summary>
        NotRun,
    }

    /// <summary>
    /// One step of one host in a rolling maintenance: what it did, how long it took, what it moved, why it failed.
    /// Invoke-OSRollingMaintenance writes one per host and step as each ends; -WhatIf writes the plan as these, with the capacity figures.
    /// </summary>
    public sealed class RollingStepResult
    {
        /// <summary>The compute host.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>The host's place in the run (1 = first).</summary>
        public int Order { get; set; }

        /// <summary>Which step.</summary>
        public RollingStep Step { get; set; }

        /// <summary>How it ended.</summary>
        public RollingStatus Status { get; set; }

        /// <summary>The host's attempt this step belongs to (1, then 2... with -MaxRetriesPerHost).</summary>
        public int Attempt { get; set; } = 1;

        /// <summary>When it started.</summary>
        public DateTimeOffset? StartedAt { get; set; }

        /// <summary>When it ended.</summary>
        public DateTimeOffset? FinishedAt { get; set; }

        /// <summary>How long it took.</summary>
        public TimeSpan? Duration => StartedAt.HasValue && FinishedAt.HasValue ? FinishedAt - StartedAt : null;

        /// <summary>Instances on the host when the step started (Capacity, Drain).</summary>
        public int? Instances { get; set; }

        /// <summary>Instances the step moved (Drain: off the host; Failback: back onto it).</summary>
        public int InstancesMoved { get; set; }

        /// <summary>Instances the step failed to move.</summary>
        public int InstancesFailed { get; set; }

        /// <summary>Capacity: MB of RAM the host's instances need elsewhere.</summary>
        public long? MemoryNeededMB { get; set; }

        /// <summary>Capacity: MB of RAM free on the hosts that may receive them (Placement's capacity minus use).</summary>
        public long? MemoryFreeMB { get; set; }

        /// <summary>Capacity: vCPUs the host's instances need elsewhere.</summary>
        public long? VcpusNeeded { get; set; }

        /// <summary>Capacity: vCPUs free on the hosts that may receive them.</summary>
        public long? VcpusFree { get; set; }

        /// <summary>Capacity: the hosts that may receive the instances (up, enabled, not in maintenance).</summary>
        public IReadOnlyList<string>? DestinationHosts { get; set; }

        /// <summary>What happened, in words.</summary>
        public string Message { get; set; } = string.Empty;

        /// <summary>The stable error id when it failed.</summary>
        public string? ErrorId { get; set; }

        /// <summary>The kind of failure when it failed.</summary>
        public FailureKind? ErrorKind { get; set; }

        /// <summary>True when an earlier, interrupted run of the same command did this step (written again so the report is whole).</summary>
        public bool FromEarlierRun { get; set; }

        /// <inheritdoc/>
        public override string ToString() => $"{HostName} {Step}: {Status} {Message}";
    }

    /// <summary>Where one host of a rolling maintenance stands.</summary>
    public sealed class RollingHostRecord
    {
        /// <summary>The compute host.</summary>
        public string HostName { get; set; } = string.Empty;

        /// <summary>Its place in the run (1 = first).</summary>
        public int Order { get; set; }

        /// <summary>Planned, Running, Succeeded, Failed or NotRun.</summary>
        public RollingStatus Status { get; set; }

        /// <summary>Attempts made (retries included).</summary>
        public int Attempts { get; set; }

        /// <summary>Each step as it last ran.</summary>
        public List<RollingStepResult> Steps { get; set; } = new List<RollingStepResult>();

        /// <summary>Instances the drain moved off the host (id, name, where to), for the failback.</summary>
        public List<RollingMovedInstance> Moved { get; set; } = new List<RollingMovedInstance>();

        /// <summary>The host drain's own state file.</summary>
        public string? DrainStatePath { get; set; }

        /// <summary>True while the host's compute service is disabled by this run.</summary>
        public bool DisabledByRun { get; set; }

        /// <summary>The step of the last failure, if any.</summary>
        public RollingStep? FailedStep { get; set; }

        /// <summary>The last failure's message.</summary>
        public string? Error { get; set; }

        /// <summary>The step's record, or null before it ran.</summary>
        public RollingStepResult? StepRecord(RollingStep step) => Steps.FirstOrDefault(s => s.Step == step);

        /// <summary>The time from its first step's start to its last step's end.</summary>
        public TimeSpan? Duration
        {
            get
            {
                var start = Steps.Where(s => s.StartedAt.HasValue).Select(s => s.StartedAt!.Value).DefaultIfEmpty().Min();
                var end = Steps.Where(s => s.FinishedAt.HasValue).Select(s => s.FinishedAt!.Value).DefaultIfEmpty().Max();
                return start == default || end == default ? null : end - start;
            }
        }
    }

    /// <summary>An instance a rolling maintenance moved off a host.</summary>
    public sealed class RollingMovedInstance
    {
        /// <summary>Its id.</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>Its name.</summary>
        public string InstanceName { get; set; } = string.Empty;

        /// <summary>The host the drain put it on.</summary>
        public string? MovedTo { get; set; }

        /// <summary>True once it is back on its host.</summary>
        public bool FailedBack { get; set; }
    }

    /// <summary>
    /// A rolling maintenance run as its state file holds it: the hosts in order and where each stands. A rerun of the
    /// same command reads it and carries on: hosts done are not touched again, a host's finished steps are not run again.
    /// </summary>
    public sealed class RollingRunState
    {
        /// <summary>The cloud (session name).</summary>
        public string? CloudName { get; set; }

        /// <summary>Why (each host's disabled reason).</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>When the first run started.</summary>
        public DateTimeOffset StartedAt { get; set; }

        /// <summary>When the last run ended (null while running or after an interruption).</summary>
        public DateTimeOffset? FinishedAt { get; set; }

        /// <summary>How many runs (the first and every resume).</summary>
        public int Runs { get; set; }

        /// <summary>Hosts at once in the last run.</summary>
        public int Concurrency { get; set; }

        /// <summary>The breaker of the last run.</summary>
        public int MaxFailedHosts { get; set; }

        /// <summary>True when the breaker stopped the run.</summary>
        public bool Stopped { get; set; }

        /// <summary>Why the run stopped early.</summary>
        public string? StopReason { get; set; }

        /// <summary>The most hosts this run had out of service (disabled by it) at once.</summary>
        public int MaxHostsInMaintenance { get; set; }

        /// <summary>Every host, in order.</summary>
        public List<RollingHostRecord> Hosts { get; set; } = new List<RollingHostRecord>();

        /// <summary>The state file.</summary>
        public string? StatePath { get; set; }

        /// <summary>Hosts done.</summary>
        public int SucceededCount => Hosts.Count(h => h.Status == RollingStatus.Succeeded);

        /// <summary>Hosts that failed.</summary>
        public int FailedCount => Hosts.Count(h => h.Status == RollingStatus.Failed);
    }
}
