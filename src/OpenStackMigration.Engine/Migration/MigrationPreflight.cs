using System;
using System.Collections.Generic;
using System.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Migration
{
    /// <summary>Everything the pre-flight checks look at, read beforehand; the checks themselves make no request.</summary>
    public sealed class PreflightInput
    {
        /// <summary>Creates the input for one instance.</summary>
        public PreflightInput(Instance instance, MigrationKind kind)
        {
            Instance = instance;
            Kind = kind;
        }

        /// <summary>The instance, read just now.</summary>
        public Instance Instance { get; }

        /// <summary>Live or Cold.</summary>
        public MigrationKind Kind { get; }

        /// <summary>The destination asked for; null when the scheduler is to pick.</summary>
        public string? DestinationHost { get; set; }

        /// <summary>How local disks are to be treated (live).</summary>
        public BlockMigrationMode BlockMigration { get; set; }

        /// <summary>Every hypervisor (node) of the cloud; those of the destination host need Placement capacity.</summary>
        public IReadOnlyList<Hypervisor> Hypervisors { get; set; } = Array.Empty<Hypervisor>();

        /// <summary>Every nova-compute service.</summary>
        public IReadOnlyList<ComputeService> ComputeServices { get; set; } = Array.Empty<ComputeService>();

        /// <summary>The server groups the instance belongs to.</summary>
        public IReadOnlyList<ServerGroupInfo> ServerGroups { get; set; } = Array.Empty<ServerGroupInfo>();

        /// <summary>The host of each other member of those groups (by instance id).</summary>
        public IReadOnlyDictionary<string, string?> MemberHosts { get; set; } = new Dictionary<string, string?>();

        /// <summary>
        /// Ids of the nodes Placement offers for the instance's flavor (its allocation candidates for the flavor's
        /// VCPU, MEMORY_MB and DISK_GB), read with the capacity figures; null when not asked. A node in it fits
        /// within every inventory's max_unit, min_unit and step_size, so those figures need not be read for it.
        /// </summary>
        public IReadOnlyCollection<string>? FittingNodes { get; set; }
    }

    /// <summary>
    /// Pre-flight checks: pure functions over what was read from Nova and Placement. They say
    /// whether Nova would take the move and why not, before anything is asked of Nova.
    /// </summary>
    public static class MigrationPreflight
    {
        /// <summary>Check names, stable for scripts.</summary>
        public const string InstanceStateCheck = "InstanceState";
#pragma warning disable CS1591 // The names speak for themselves.
        public const string DestinationHostCheck = "DestinationHost";
        public const string ComputeServiceCheck = "ComputeService";
        public const string HypervisorCheck = "Hypervisor";
        public const string VcpuCheck = "Vcpu";
        public const string MemoryCheck = "Memory";
        public const string DiskCheck = "Disk";
        public const string StorageCheck = "Storage";
        public const string ServerGroupCheck = "ServerGroup";
        public const string SchedulerCheck = "Scheduler";
#pragma warning restore CS1591

        /// <summary>Runs every check for one instance and one destination (or the scheduler's choice).</summary>
        public static MigrationCheckReport Evaluate(PreflightInput input)
        {
            var instance = input.Instance;
            var checks = new List<MigrationCheck> { CheckState(instance, input.Kind) };
            long? freeMemory = null, freeVcpu = null;
            if (input.DestinationHost == null)
            {
                checks.Add(Skip(DestinationHostCheck, MigrationCheckCode.SchedulerPicksHost, "No destination named: the scheduler picks one."));
                checks.Add(CheckSchedulerHasRoom(input));
                checks.Add(CheckStorage(instance, input.Kind, input.BlockMigration));
            }
            else
            {
                var destination = input.DestinationHost;
                var nodes = input.Hypervisors.Where(h => string.Equals(h.HostName, destination, StringComparison.Ordinal)).ToList();
                var service = input.ComputeServices.FirstOrDefault(s => string.Equals(s.HostName, destination, StringComparison.Ordinal));
                if (nodes.Count == 0 && service == null)
                {
                    var known = input.ComputeServices.Select(s => s.HostName).Concat(input.Hypervisors.Select(h => h.HostName)).Distinct().OrderBy(h => h, StringComparer.Ordinal);
                    checks.Add(Fail(DestinationHostCheck, MigrationCheckCode.NoSuchHost, $"There is no compute host '{destination}'. Compute hosts: {string.Join(", ", known)}."));
                    return new MigrationCheckReport(instance.Id, instance.Name, instance.HostName, destination, input.Kind, checks);
                }

                checks.Add(string.Equals(destination, instance.HostName, StringComparison.Ordinal)
                    ? Fail(DestinationHostCheck, MigrationCheckCode.SameHost, $"{instance.Name} is already on {destination}; a migration needs another host.")
                    : Pass(DestinationHostCheck, $"{destination} is a compute host other than the source ({instance.HostName ?? "unknown"})."));
                checks.Add(CheckService(service, destination));
                var source = input.Hypervisors.FirstOrDefault(h => string.Equals(h.Name, instance.HypervisorHostname, StringComparison.Ordinal))
                    ?? input.Hypervisors.FirstOrDefault(h => string.Equals(h.HostName, instance.HostName, StringComparison.Ordinal));
                checks.Add(CheckHypervisor(source, nodes, destination, input.Kind));
                var node = PickNode(nodes, input);
                checks.AddRange(CheckCapacity(instance, node, destination, Offered(input, node)));
                if (node?.MemoryMB != null)
                {
                    freeMemory = node.MemoryMB.Free - instance.Flavor.RamMB;
                }

                if (node?.Vcpu != null)
                {
                    freeVcpu = node.Vcpu.Free - instance.Flavor.Vcpus;
                }

                checks.Add(CheckStorage(instance, input.Kind, input.BlockMigration));
                checks.Add(CheckServerGroups(instance, destination, input.ServerGroups, input.MemberHosts));
            }

            return new MigrationCheckReport(instance.Id, instance.Name, instance.HostName, input.DestinationHost, input.Kind, checks)
            {
                FreeMemoryMBAfter = freeMemory,
                FreeVcpuAfter = freeVcpu,
            };
        }

        internal static MigrationCheck CheckState(Instance instance, MigrationKind kind)
        {
            var allowed = kind == MigrationKind.Live
                ? new[] { ServerStatus.Active, ServerStatus.Paused }
                : new[] { ServerStatus.Active, ServerStatus.Shutoff };
            var allowedText = kind == MigrationKind.Live ? "ACTIVE or PAUSED" : "ACTIVE or SHUTOFF";
            if (!allowed.Contains(instance.Status))
            {
                return Fail(InstanceStateCheck, MigrationCheckCode.InstanceStatusNotAllowed, $"{instance.Name} is {instance.StatusText}; a {Word(kind)} migration needs it {allowedText}.");
            }

            if (!string.IsNullOrEmpty(instance.TaskState))
            {
                return Fail(InstanceStateCheck, MigrationCheckCode.InstanceBusy, $"{instance.Name} is busy (task '{instance.TaskState}'); wait until that ends.");
            }

            if (string.IsNullOrEmpty(instance.HostName))
            {
                return Fail(InstanceStateCheck, MigrationCheckCode.InstanceHasNoHost, $"{instance.Name} has no host (is this an admin session?).");
            }

            if (instance.Locked)
            {
                return Warn(InstanceStateCheck, MigrationCheckCode.InstanceLocked, $"{instance.Name} is {instance.StatusText} but locked: only an admin can move it.");
            }

            return Pass(InstanceStateCheck, $"{instance.Name} is {instance.StatusText} with no task in progress.");
        }

        internal static MigrationCheck CheckService(ComputeService? service, string host)
        {
            if (service == null)
            {
                return Fail(ComputeServiceCheck, MigrationCheckCode.NoComputeService, $"{host} has no nova-compute service.");
            }

            if (service.ForcedDown)
            {
                return Fail(ComputeServiceCheck, MigrationCheckCode.ServiceForcedDown, $"The compute service on {host} is forced down.");
            }

            if (service.State != ServiceState.Up)
            {
                var seen = service.UpdatedAt.HasValue ? $" (last heartbeat {service.UpdatedAt.Value.UtcDateTime:u})" : string.Empty;
                return Fail(ComputeServiceCheck, MigrationCheckCode.ServiceDown, $"The compute service on {host} is down{seen}.");
            }

            if (service.Status != ServiceStatus.Enabled)
            {
                return Fail(ComputeServiceCheck, MigrationCheckCode.ServiceDisabled, $"The compute service on {host} is disabled" + (string.IsNullOrEmpty(service.DisabledReason) ? "." : $" ({service.DisabledReason})."));
            }

            return Pass(ComputeServiceCheck, $"The compute service on {host} is up and enabled.");
        }

        /// <summary>When the types and versions compared came from the kept node map: as of when Nova listed them.</summary>
        private static string ListedAt(Hypervisor node, Hypervisor source)
        {
            var listed = new[] { node.TypeAndVersionListedAt, source.TypeAndVersionListedAt }.Where(t => t.HasValue).Select(t => t!.Value).ToList();
            return listed.Count == 0 ? string.Empty : $" (as Nova listed them at {listed.Min():u}; a move checks again)";
        }

        internal static MigrationCheck CheckHypervisor(Hypervisor? source, IReadOnlyList<Hypervisor> destinationNodes, string host, MigrationKind kind)
        {
            if (destinationNodes.Count == 0)
            {
                return Fail(HypervisorCheck, MigrationCheckCode.NoHypervisor, $"{host} has no hypervisor registered with Nova.");
            }

            if (source == null)
            {
                return Skip(HypervisorCheck, MigrationCheckCode.SourceHypervisorUnknown, "The source hypervisor is not known; its type and version were not compared.");
            }

            var node = destinationNodes[0];
            if (!string.Equals(source.HypervisorType, node.HypervisorType, StringComparison.OrdinalIgnoreCase))
            {
                return Fail(HypervisorCheck, MigrationCheckCode.HypervisorTypeMismatch, $"{host} runs {node.HypervisorType ?? "an unknown hypervisor"}, the source runs {source.HypervisorType ?? "an unknown one"}; a migration needs the same type" + ListedAt(node, source) + ".");
            }

            if (kind == MigrationKind.Live && source.HypervisorVersion.HasValue && node.HypervisorVersion.HasValue && node.HypervisorVersion < source.HypervisorVersion)
            {
                return Fail(HypervisorCheck, MigrationCheckCode.HypervisorOlder, $"{host} runs {node.HypervisorType} version {node.HypervisorVersion}, older than the source's {source.HypervisorVersion}; a live migration cannot go to an older hypervisor" + ListedAt(node, source) + ".");
            }

            return Pass(HypervisorCheck, $"Same hypervisor type ({node.HypervisorType}), version {node.HypervisorVersion?.ToString() ?? "unknown"} not older than the source's {source.HypervisorVersion?.ToString() ?? "unknown"}" + ListedAt(node, source) + ".");
        }

        /// <summary>
        /// The capacity checks of one node. <paramref name="offered"/>: whether Placement offers the node for the flavor
        /// (null when not asked). Offered, each class passes on its free figure alone; not offered, a class short of
        /// room fails on that, and the inventory limits (max_unit) are read only when no class is short of room.
        /// </summary>
        internal static IEnumerable<MigrationCheck> CheckCapacity(Instance instance, Hypervisor? node, string host, bool? offered = null)
        {
            var flavor = instance.Flavor;
            var disk = ResourceNeed.Of(instance).DiskGB;
            if (offered == false && node != null
                && new[] { (node.Vcpu, (long)flavor.Vcpus), (node.MemoryMB, (long)flavor.RamMB), (node.DiskGB, disk) }.Any(c => c.Item1 != null && c.Item2 > c.Item1.Free))
            {
                // One class is short of room: that is the reason; the others are judged on room alone.
                offered = true;
            }

            yield return CheckResource(VcpuCheck, node?.Vcpu, flavor.Vcpus, host, "vCPU", instance, offered == true);
            yield return CheckResource(MemoryCheck, node?.MemoryMB, flavor.RamMB, host, "MB of RAM", instance, offered == true);
            if (disk == 0)
            {
                yield return Pass(DiskCheck, "Volume-backed with no ephemeral or swap disk: no local disk needed.");
            }
            else
            {
                yield return CheckResource(DiskCheck, node?.DiskGB, disk, host, "GB of local disk", instance, offered == true);
            }
        }

        internal static MigrationCheck CheckStorage(Instance instance, MigrationKind kind, BlockMigrationMode mode)
        {
            if (kind == MigrationKind.Cold)
            {
                return Pass(StorageCheck, instance.IsVolumeBacked ? "Volume-backed: the volumes are re-attached on the destination." : "Local disks are copied by the cold migration.");
            }

            var local = instance.HasLocalDisks;
            var check = (local, mode) switch
            {
                (false, BlockMigrationMode.Always) => Warn(StorageCheck, MigrationCheckCode.BlockMigrationWithoutLocalDisk, "Volume-backed with no local disk, yet -BlockMigration Always: Nova may refuse block migration with only shared storage; use Auto."),
                (false, _) => Pass(StorageCheck, $"Volume-backed ({instance.Volumes.Count} volume(s)): nothing on local disk to copy; Cinder moves the attachments to the destination."),
                (true, BlockMigrationMode.Never) => Warn(StorageCheck, MigrationCheckCode.SharedStorageNeeded, "The instance has local disks and -BlockMigration Never: this works only if the instances directory is on storage shared by both hosts."),
                (true, BlockMigrationMode.Always) => Pass(StorageCheck, $"Local disks ({ResourceNeed.Of(instance).DiskGB} GB) will be copied (block migration)."),
                _ => Pass(StorageCheck, $"Local disks ({ResourceNeed.Of(instance).DiskGB} GB): Nova decides between block migration and shared storage (auto)."),
            };

            // Mixed: an image-booted instance with data volumes copies its local disks and re-attaches the volumes.
            if (local && instance.Volumes.Count > 0)
            {
                return new MigrationCheck(check.Name, check.Result, $"Mixed: {check.Reason} Its {instance.Volumes.Count} volume(s) are not copied; Cinder moves their attachments.", check.Code);
            }

            return check;
        }

        internal static MigrationCheck CheckServerGroups(Instance instance, string host, IReadOnlyList<ServerGroupInfo> groups, IReadOnlyDictionary<string, string?> memberHosts)
        {
            if (groups.Count == 0)
            {
                return Pass(ServerGroupCheck, "Not in a server group.");
            }

            var problems = new List<string>();
            var warnings = new List<string>();
            foreach (var group in groups)
            {
                var others = group.Members.Where(m => !string.Equals(m, instance.Id, StringComparison.OrdinalIgnoreCase)).ToList();
                var onDestination = others.Count(m => memberHosts.TryGetValue(m, out var h) && string.Equals(h, host, StringComparison.Ordinal));
                var elsewhere = others.Count(m => memberHosts.TryGetValue(m, out var h) && h != null && !string.Equals(h, host, StringComparison.Ordinal));
                switch (group.Policy)
                {
                    case "anti-affinity":
                        var limit = group.MaxServerPerHost ?? 1;
                        if (onDestination + 1 > limit)
                        {
                            problems.Add($"anti-affinity group '{group.Name}' already has {onDestination} member(s) on {host} (at most {limit} per host)");
                        }

                        break;
                    case "affinity":
                        if (elsewhere > 0)
                        {
                            problems.Add($"affinity group '{group.Name}' keeps its {others.Count} other member(s) together on another host than {host}");
                        }

                        break;
                    case "soft-anti-affinity":
                        if (onDestination > 0)
                        {
                            warnings.Add($"soft-anti-affinity group '{group.Name}' has {onDestination} member(s) on {host}");
                        }

                        break;
                    case "soft-affinity":
                        if (elsewhere > 0)
                        {
                            warnings.Add($"soft-affinity group '{group.Name}' has members on other hosts than {host}");
                        }

                        break;
                }
            }

            if (problems.Count > 0)
            {
                return Fail(ServerGroupCheck, MigrationCheckCode.ServerGroupPolicyViolated, "Server group policy: " + string.Join("; ", problems) + ".");
            }

            return warnings.Count > 0
                ? Warn(ServerGroupCheck, MigrationCheckCode.ServerGroupSoftPolicy, "Server group policy allows it, but " + string.Join("; ", warnings) + ".")
                : Pass(ServerGroupCheck, $"Server group policies allow {host} ({string.Join(", ", groups.Select(g => $"{g.Name}: {g.Policy}"))}).");
        }

        private static MigrationCheck CheckSchedulerHasRoom(PreflightInput input)
        {
            var instance = input.Instance;
            var candidates = input.Hypervisors
                .Where(h => !string.Equals(h.HostName, instance.HostName, StringComparison.Ordinal))
                .Where(h => input.ComputeServices.Any(s => s.HostName == h.HostName && s.State == ServiceState.Up && s.Status == ServiceStatus.Enabled && !s.ForcedDown))
                .ToList();
            if (candidates.Count == 0)
            {
                return Fail(SchedulerCheck, MigrationCheckCode.NoHostAvailable, "No other compute host is up and enabled.");
            }

            if (candidates.All(h => h.MemoryMB == null))
            {
                return Pass(SchedulerCheck, $"{candidates.Count} other host(s) up and enabled; capacity not read.");
            }

            var fitting = candidates.Where(h => Fits(input, h)).Select(h => h.HostName).Distinct().ToList();
            return fitting.Count == 0
                ? Fail(SchedulerCheck, MigrationCheckCode.NoHostHasRoom, $"None of the {candidates.Count} other hosts up and enabled has room for {instance.Flavor.Name} ({instance.Flavor.Vcpus} vCPU, {instance.Flavor.RamMB} MB RAM, {ResourceNeed.Of(instance).DiskGB} GB disk).")
                : Pass(SchedulerCheck, $"{fitting.Count} host(s) have room: {string.Join(", ", fitting.Take(5))}{(fitting.Count > 5 ? ", ..." : string.Empty)}.");
        }

        // Room in every class first: the inventory limits (max_unit) of a figure from the bulk answer are read only
        // for a node that has room.
        private static bool FitsAll(Instance instance, Hypervisor h) =>
            HasRoom(instance, h)
            && (h.Vcpu?.WhyNotFits(instance.Flavor.Vcpus) == null)
            && (h.MemoryMB?.WhyNotFits(instance.Flavor.RamMB) == null)
            && (h.DiskGB?.WhyNotFits(ResourceNeed.Of(instance).DiskGB) == null);

        /// <summary>Whether Placement offers the node for the flavor (null when it was not asked).</summary>
        private static bool? Offered(PreflightInput input, Hypervisor? node) =>
            input.FittingNodes == null || node == null ? (bool?)null : input.FittingNodes.Contains(node.Id);

        /// <summary>
        /// An offer only ever says yes: an offered node is within max_unit and fits on room alone (its figures as they
        /// stand, a plan's earlier moves included). A node not offered is judged on its own figures, as the offer asks
        /// only VCPU, MEMORY_MB and DISK_GB (a flavor asking PCPU or a custom class is never offered).
        /// </summary>
        internal static bool Fits(PreflightInput input, Hypervisor h) => Offered(input, h) == true ? HasRoom(input.Instance, h) : FitsAll(input.Instance, h);

        /// <summary>
        /// The figures whose inventory limits (max_unit) the checks of <paramref name="instance"/> may look at and that
        /// are not read yet: those of a node Placement did not offer for it (or when it was not asked) that has room in
        /// every class. A reader reads them first (<see cref="PlacementClient.ReadInventoriesAsync"/>), so the checks,
        /// which are pure, send no request; a node without room is refused on room alone and costs nothing.
        /// </summary>
        internal static IEnumerable<ResourceCapacity> FiguresToRead(Instance instance, IReadOnlyCollection<string>? offered, IEnumerable<Hypervisor> nodes) =>
            nodes.Where(n => (offered == null || !offered.Contains(n.Id)) && HasRoom(instance, n))
                .SelectMany(n => new[] { n.Vcpu, n.MemoryMB, n.DiskGB })
                .Where(c => c != null && !c.HasDetails)
                .Select(c => c!);

        /// <summary>Room alone, each known class: max_unit is not looked at.</summary>
        internal static bool HasRoom(Instance instance, Hypervisor h) =>
            (h.Vcpu?.Free ?? long.MaxValue) >= instance.Flavor.Vcpus
            && (h.MemoryMB?.Free ?? long.MaxValue) >= instance.Flavor.RamMB
            && (h.DiskGB?.Free ?? long.MaxValue) >= ResourceNeed.Of(instance).DiskGB;

        private static Hypervisor? PickNode(IReadOnlyList<Hypervisor> nodes, PreflightInput input)
        {
            // A host with several nodes: the one with room, else the first (its reason is reported).
            return nodes.FirstOrDefault(n => n.MemoryMB != null && Fits(input, n)) ?? nodes.FirstOrDefault();
        }

        private static MigrationCheck CheckResource(string name, ResourceCapacity? capacity, long amount, string host, string unit, Instance instance, bool roomAlone = false)
        {
            if (capacity == null)
            {
                return Skip(name, MigrationCheckCode.CapacityUnknown, $"Placement's {name} figures for {host} are not known.");
            }

            if (capacity.InventoryGone)
            {
                return Fail(name, MigrationCheckCode.InsufficientCapacity, $"{host}: {capacity.InventoryGoneReason}; {instance.Flavor.Name} needs {amount} {unit}.");
            }

            // max_unit first when it is known (the lasting reason); read for it only when room alone does not decide.
            var exceedsMaxUnit = capacity.HasDetails && amount > capacity.MaxUnit;
            if (!exceedsMaxUnit && amount > capacity.Free)
            {
                // The inventory's own figures are quoted only when they were read: a refusal costs no request.
                var formula = capacity.HasDetails ? $" = (total {capacity.Total} - reserved {capacity.Reserved}) x allocation ratio {capacity.AllocationRatio}" : string.Empty;
                return Fail(name, MigrationCheckCode.InsufficientCapacity, $"{host} has only {capacity.Free} {unit} free ({capacity.Used} used of {capacity.Capacity}{formula}); {instance.Flavor.Name} needs {amount}.");
            }

            if (!exceedsMaxUnit && (roomAlone || amount <= capacity.MaxUnit))
            {
                return Pass(name, $"{host} has {capacity.Free} {unit} free of {capacity.Capacity}; {instance.Flavor.Name} needs {amount}.");
            }

            return Fail(name, MigrationCheckCode.ExceedsMaxUnit, $"{host} cannot take {amount} {unit} in one allocation: at most {capacity.MaxUnit} (max_unit); {instance.Flavor.Name} needs {amount}.");
        }

        private static string Word(MigrationKind kind) => kind == MigrationKind.Live ? "live" : "cold";

        private static MigrationCheck Pass(string name, string reason) => new MigrationCheck(name, MigrationCheckResult.Passed, reason);

        private static MigrationCheck Fail(string name, MigrationCheckCode code, string reason) => new MigrationCheck(name, MigrationCheckResult.Failed, reason, code);

        private static MigrationCheck Warn(string name, MigrationCheckCode code, string reason) => new MigrationCheck(name, MigrationCheckResult.Warning, reason, code);

        private static MigrationCheck Skip(string name, MigrationCheckCode code, string reason) => new MigrationCheck(name, MigrationCheckResult.Skipped, reason, code);
    }
}
