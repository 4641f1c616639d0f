using System;
using System.Collections.Generic;
using System.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Maintenance
{
    /// <summary>How an instance can leave its host.</summary>
    public enum MigratabilityClass
    {
        /// <summary>A live migration can move it.</summary>
        Live,

        /// <summary>Only a cold migration can move it (it is stopped, moved, and started again if it was running).</summary>
        ColdOnly,

        /// <summary>Nova moves it neither live nor cold as it is; the reason says what would change that.</summary>
        CannotMove,
    }

    /// <summary>What a drain does with an instance that cannot move live.</summary>
    public enum NonLiveMigratablePolicy
    {
        /// <summary>Leave it where it is, running as it was, and report it with the reason (the default).</summary>
        Skip,

        /// <summary>Cold-migrate it when a cold migration can move it; otherwise leave it and report why.</summary>
        Cold,

        /// <summary>Shut it down cleanly and leave it on the host (for a host that only reboots); the report says it was stopped.</summary>
        Stop,

        /// <summary>Refuse to start the drain at all (nothing is changed) while any instance cannot move live.</summary>
        Fail,
    }

    /// <summary>The verdict on one instance: live, cold only or cannot move, and every reason found.</summary>
    public sealed class MigratabilityAssessment
    {
        /// <summary>Live, ColdOnly or CannotMove.</summary>
        public MigratabilityClass Class { get; set; }

        /// <summary>Each reason (state, flavor extra spec, image property, server group), in words naming the spec or state.</summary>
        public IReadOnlyList<string> Reasons { get; set; } = Array.Empty<string>();

        /// <summary>Notes that do not change the class (NUMA-aware live migration, shared storage needed...).</summary>
        public IReadOnlyList<string> Notes { get; set; } = Array.Empty<string>();

        /// <summary>The reasons and notes as one sentence.</summary>
        public string Reason => string.Join(" ", Reasons.Concat(Notes));

        /// <inheritdoc/>
        public override string ToString() => $"{Class}: {Reason}";
    }

    /// <summary>
    /// Classifies an instance as live, cold only or cannot move, from what Nova itself checks before it moves one:
    /// the instance's vm state and task (compute API's check_instance_state), the flavor's extra specs and the image's
    /// properties (vTPM and SEV are refused for live migration by the API; non-VIF PCI requests by the conductor's
    /// pre-check; Cyborg device profiles by both migrations), dedicated CPUs / NUMA (live only from Train, compute API
    /// 2.79) and the server groups it shares with instances on the same host.
    /// </summary>
    public static class MigratabilityRules
    {
        /// <summary>The compute API microversion of Train, the release that made live migration NUMA-aware.</summary>
        public static readonly Microversion NumaAwareLiveMigration = new Microversion(2, 79);

        /// <summary>Classifies one instance.</summary>
        /// <param name="instance">The instance as Nova lists it (2.47+ embeds the flavor with its extra specs).</param>
        /// <param name="imageProperties">The image's properties (hw_*), or null when unknown or volume-backed.</param>
        /// <param name="computeMaxMicroversion">The cloud's newest compute microversion (tells Train and later from older).</param>
        /// <param name="groups">The server groups it is a member of.</param>
        /// <param name="memberHosts">The host of every member of those groups.</param>
        /// <param name="blockMigration">How the drain treats local disks.</param>
        public static MigratabilityAssessment Classify(
            Instance instance,
            IReadOnlyDictionary<string, string>? imageProperties,
            Microversion computeMaxMicroversion,
            IReadOnlyList<ServerGroupInfo> groups,
            IReadOnlyDictionary<string, string?> memberHosts,
            BlockMigrationMode blockMigration)
        {
            var cannot = new List<string>();
            var coldOnly = new List<string>();
            var notes = new List<string>();
            var name = instance.Name;
            var state = StateReason(instance, out var stateClass);
            if (state != null)
            {
                (stateClass == MigratabilityClass.ColdOnly ? coldOnly : cannot).Add(state);
            }

            var specs = instance.Flavor.ExtraSpecs;
            var image = imageProperties ?? new Dictionary<string, string>();
            var tpm = Spec(specs, "hw:tpm_version") ?? Spec(image, "hw_tpm_version");
            if (tpm != null)
            {
                coldOnly.Add($"It has a vTPM ({Source(specs, "hw:tpm_version", "hw_tpm_version")} {tpm}): Nova refuses to live-migrate (and to evacuate or shelve) it (OperationNotSupportedForVTPM); a cold migration moves it.");
            }

            if (IsTrue(Spec(specs, "hw:mem_encryption")) || IsTrue(Spec(image, "hw_mem_encryption")))
            {
                coldOnly.Add($"Its memory is encrypted with AMD SEV ({Source(specs, "hw:mem_encryption", "hw_mem_encryption")}): Nova refuses to live-migrate it (OperationNotSupportedForSEV); a cold migration moves it.");
            }

            var pci = Spec(specs, "pci_passthrough:alias");
            if (pci != null)
            {
                coldOnly.Add($"It has PCI passthrough devices (flavor extra spec pci_passthrough:alias {pci}): Nova's conductor allows only VIF-related (SR-IOV port) PCI requests in a live migration; a cold migration moves it to a host with the same devices free.");
            }

            var accel = Spec(specs, "accel:device_profile");
            if (accel != null)
            {
                cannot.Add($"It has Cyborg accelerators (flavor extra spec accel:device_profile {accel}): Nova refuses both live and cold migration of such instances.");
            }

            var dedicated = string.Equals(Spec(specs, "hw:cpu_policy") ?? Spec(image, "hw_cpu_policy"), "dedicated", StringComparison.OrdinalIgnoreCase);
            var numa = dedicated || Spec(specs, "hw:numa_nodes") != null || Spec(specs, "hw:mem_page_size") != null || Spec(image, "hw_mem_page_size") != null;
            if (numa)
            {
                var what = dedicated ? "dedicated CPUs (hw:cpu_policy dedicated)" : "a NUMA topology (hw:numa_nodes / hw:mem_page_size)";
                if (computeMaxMicroversion < NumaAwareLiveMigration)
                {
                    coldOnly.Add($"It has {what} and this cloud is older than Train (compute API up to {computeMaxMicroversion}): live migration there keeps the source's CPU pinning and can break the destination's, so only a cold migration moves it safely.");
                }
                else
                {
                    notes.Add($"It has {what}: the live migration is NUMA-aware (Train and later), so the destination needs matching free dedicated CPUs and pages.");
                }
            }

            foreach (var group in groups.Where(g => g.Policy == "affinity"))
            {
                var together = group.Members.Count(m => !string.Equals(m, instance.Id, StringComparison.OrdinalIgnoreCase)
                    && memberHosts.TryGetValue(m, out var h) && string.Equals(h, instance.HostName, StringComparison.Ordinal));
                if (together > 0)
                {
                    cannot.Add($"It is in affinity group '{group.Name}' with {together} other member(s) on {instance.HostName}: Nova's scheduler accepts for one member only the host of the others, so the group cannot leave member by member (every live or cold migration of a member is refused with \"No valid host\").");
                }
            }

            if (instance.HasLocalDisks && blockMigration == BlockMigrationMode.Never)
            {
                notes.Add("It has local disks and -BlockMigration Never: it moves live only if the instances directory is shared by both hosts.");
            }

            var result = cannot.Count > 0 ? MigratabilityClass.CannotMove : coldOnly.Count > 0 ? MigratabilityClass.ColdOnly : MigratabilityClass.Live;

            // A state that allows no cold migration (PAUSED, SUSPENDED) makes a cold-only spec a "cannot move".
            if (result == MigratabilityClass.ColdOnly && state == null && !ColdStates.Contains(instance.Status))
            {
                result = MigratabilityClass.CannotMove;
                coldOnly.Add($"{name} is {instance.StatusText}: a cold migration needs it ACTIVE or SHUTOFF.");
            }

            return new MigratabilityAssessment
            {
                Class = result,
                Reasons = cannot.Concat(coldOnly).ToList(),
                Notes = notes,
            };
        }

        private static readonly ServerStatus[] ColdStates = { ServerStatus.Active, ServerStatus.Shutoff };

        private static string? StateReason(Instance instance, out MigratabilityClass stateClass)
        {
            var name = instance.Name;
            stateClass = MigratabilityClass.CannotMove;
            if (!string.IsNullOrEmpty(instance.TaskState) && instance.Status != ServerStatus.Error)
            {
                return $"{name} is busy (task '{instance.TaskState}'): Nova moves no instance with a task in progress; the drain waits for it and plans it again.";
            }

            switch (instance.Status)
            {
                case ServerStatus.Active:
                case ServerStatus.Paused:
                    return null;
                case ServerStatus.Shutoff:
                    stateClass = MigratabilityClass.ColdOnly;
                    return $"{name} is SHUTOFF: a live migration needs it ACTIVE or PAUSED; a cold migration moves it (it stays SHUTOFF).";
                case ServerStatus.Suspended:
                    return $"{name} is SUSPENDED: Nova live-migrates only ACTIVE or PAUSED instances and cold-migrates only ACTIVE or SHUTOFF ones; resume it first.";
                case ServerStatus.Shelved:
                    return $"{name} is SHELVED: Nova migrates no shelved instance; offload it (openstack server shelve --offload) and it leaves the host.";
                case ServerStatus.ShelvedOffloaded:
                    return $"{name} is SHELVED_OFFLOADED: it has no host and takes nothing on one; unshelving places it anew.";
                case ServerStatus.Error:
                    return $"{name} is ERROR: Nova moves no instance in ERROR; find out why ({instance.Fault ?? "see its fault"}), then reset its state, or evacuate it if its host is down.";
                default:
                    return $"{name} is {instance.StatusText}: a live migration needs it ACTIVE or PAUSED, a cold one ACTIVE or SHUTOFF.";
            }
        }

        private static string? Spec(IReadOnlyDictionary<string, string> specs, string key) =>
            specs.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

        private static string Source(IReadOnlyDictionary<string, string> specs, string flavorKey, string imageKey) =>
            specs.ContainsKey(flavorKey) ? "flavor extra spec " + flavorKey : "image property " + imageKey;

        private static bool IsTrue(string? value) =>
            value != null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1" || value.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }
}
