using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Model
{
    /// <summary>Live (the instance keeps running) or cold (it is stopped, moved and started, then confirmed).</summary>
    public enum MigrationKind
    {
        /// <summary>os-migrateLive: memory is copied while the instance runs.</summary>
        Live,

        /// <summary>migrate: the instance is moved while stopped and waits in VERIFY_RESIZE for a confirmation.</summary>
        Cold,
    }

    /// <summary>The outcome of one pre-flight check.</summary>
    public enum MigrationCheckResult
    {
        /// <summary>The check holds.</summary>
        Passed,

        /// <summary>The check fails: Nova would refuse or the migration would fail.</summary>
        Failed,

        /// <summary>The migration may go ahead, but something needs a look.</summary>
        Warning,

        /// <summary>The check does not apply (for example no destination was named).</summary>
        Skipped,
    }

    /// <summary>
    /// What a pre-flight check found, stable across releases: code and scripts test this, never the Reason's
    /// words. None when the check passed (or was skipped) with nothing to flag.
    /// </summary>
    public enum MigrationCheckCode
    {
        /// <summary>Nothing to flag: the check passed, or was skipped because it does not apply.</summary>
        None,

        /// <summary>InstanceState: the instance's status does not allow this kind of migration.</summary>
        InstanceStatusNotAllowed,

        /// <summary>InstanceState: a task is in progress on the instance.</summary>
        InstanceBusy,

        /// <summary>InstanceState: the instance has no host (not an admin session, or never scheduled).</summary>
        InstanceHasNoHost,

        /// <summary>InstanceState: the instance is locked; only an admin can move it.</summary>
        InstanceLocked,

        /// <summary>DestinationHost: no destination named, the scheduler picks one.</summary>
        SchedulerPicksHost,

        /// <summary>DestinationHost: there is no compute host of that name.</summary>
        NoSuchHost,

        /// <summary>DestinationHost: the destination is the host the instance is on.</summary>
        SameHost,

        /// <summary>ComputeService: the destination has no nova-compute service.</summary>
        NoComputeService,

        /// <summary>ComputeService: the destination's compute service is forced down.</summary>
        ServiceForcedDown,

        /// <summary>ComputeService: the destination's compute service is down.</summary>
        ServiceDown,

        /// <summary>ComputeService: the destination's compute service is disabled.</summary>
        ServiceDisabled,

        /// <summary>Hypervisor: the destination has no hypervisor registered with Nova.</summary>
        NoHypervisor,

        /// <summary>Hypervisor: the source hypervisor is not known, so nothing was compared.</summary>
        SourceHypervisorUnknown,

        /// <summary>Hypervisor: the destination runs another hypervisor type.</summary>
        HypervisorTypeMismatch,

        /// <summary>Hypervisor: the destination runs an older hypervisor version (live).</summary>
        HypervisorOlder,

        /// <summary>Vcpu, Memory, Disk: Placement's figures for the destination are not known.</summary>
        CapacityUnknown,

        /// <summary>Vcpu, Memory, Disk: the flavor asks more than one allocation may take (max_unit).</summary>
        ExceedsMaxUnit,

        /// <summary>Vcpu, Memory, Disk: not enough free on the destination.</summary>
        InsufficientCapacity,

        /// <summary>Storage: -BlockMigration Always for an instance with no local disk.</summary>
        BlockMigrationWithoutLocalDisk,

        /// <summary>Storage: -BlockMigration Never with local disks: needs shared storage.</summary>
        SharedStorageNeeded,

        /// <summary>ServerGroup: an affinity or anti-affinity policy forbids the destination.</summary>
        ServerGroupPolicyViolated,

        /// <summary>ServerGroup: a soft policy would rather not have the destination.</summary>
        ServerGroupSoftPolicy,

        /// <summary>Scheduler: no other compute host is up and enabled.</summary>
        NoHostAvailable,

        /// <summary>Scheduler: no other host up and enabled has room for the flavor.</summary>
        NoHostHasRoom,
    }

    /// <summary>One pre-flight check with its result and the reason, in words.</summary>
    public sealed class MigrationCheck
    {
        /// <summary>Creates a check result.</summary>
        public MigrationCheck(string name, MigrationCheckResult result, string reason, MigrationCheckCode code = MigrationCheckCode.None)
        {
            Name = name;
            Result = result;
            Reason = reason;
            Code = code;
        }

        /// <summary>InstanceState, DestinationHost, ComputeService, Hypervisor, Vcpu, Memory, Disk, Storage, ServerGroup, Scheduler.</summary>
        public string Name { get; }

        /// <summary>Passed, Failed, Warning or Skipped.</summary>
        public MigrationCheckResult Result { get; }

        /// <summary>Why, in words a person understands.</summary>
        public string Reason { get; }

        /// <summary>What the check found, as a stable code (None when there is nothing to flag); match on this, not on Reason.</summary>
        public MigrationCheckCode Code { get; }

        /// <inheritdoc/>
        public override string ToString() => $"{Name}: {Result} ({Reason})";
    }

    /// <summary>
    /// Whether one instance can move to one destination, with every check. Carries InstanceId and
    /// DestinationHost so it can be piped to Move-OSInstance.
    /// </summary>
    public sealed class MigrationCheckReport
    {
        /// <summary>Creates a report.</summary>
        public MigrationCheckReport(string instanceId, string instanceName, string? sourceHost, string? destinationHost, MigrationKind kind, IReadOnlyList<MigrationCheck> checks)
        {
            InstanceId = instanceId;
            InstanceName = instanceName;
            SourceHost = sourceHost;
            DestinationHost = destinationHost;
            Kind = kind;
            Checks = checks;
        }

        /// <summary>The instance's id.</summary>
        public string InstanceId { get; }

        /// <summary>The instance's name.</summary>
        public string InstanceName { get; }

        /// <summary>The host the instance is on.</summary>
        public string? SourceHost { get; }

        /// <summary>The destination checked; null when the scheduler is to pick one.</summary>
        public string? DestinationHost { get; }

        /// <summary>Live or Cold.</summary>
        public MigrationKind Kind { get; }

        /// <summary>Every check, in the order they were made.</summary>
        public IReadOnlyList<MigrationCheck> Checks { get; }

        /// <summary>True when no check failed (warnings allowed).</summary>
        public bool CanMigrate => Checks.All(c => c.Result != MigrationCheckResult.Failed);

        /// <summary>The failed checks' reasons, or the warnings', or "All checks passed".</summary>
        public string Reason
        {
            get
            {
                var failed = Checks.Where(c => c.Result == MigrationCheckResult.Failed).Select(c => c.Reason).ToList();
                if (failed.Count > 0)
                {
                    return string.Join("; ", failed);
                }

                var warnings = Checks.Where(c => c.Result == MigrationCheckResult.Warning).Select(c => c.Reason).ToList();
                return warnings.Count > 0 ? "Passed with warnings: " + string.Join("; ", warnings) : "All checks passed.";
            }
        }

        /// <summary>RAM in MB the destination would have left after the move (Placement's count), when known.</summary>
        public long? FreeMemoryMBAfter { get; set; }

        /// <summary>vCPUs the destination would have left after the move (Placement's count), when known.</summary>
        public long? FreeVcpuAfter { get; set; }

        /// <summary>The check of the given name, or null.</summary>
        public MigrationCheck? GetCheck(string name) => Checks.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

        /// <inheritdoc/>
        public override string ToString() => $"{InstanceName} -> {DestinationHost ?? "(scheduler)"}: {(CanMigrate ? "can migrate" : "cannot migrate")}";
    }
}
