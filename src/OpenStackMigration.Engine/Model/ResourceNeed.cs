namespace OpenStackMigration.Model
{
    /// <summary>What one instance asks of a host's Placement inventories, as Nova's scheduler asks it.</summary>
    public readonly struct ResourceNeed
    {
        private ResourceNeed(long vcpus, long memoryMB, long diskGB)
        {
            Vcpus = vcpus;
            MemoryMB = memoryMB;
            DiskGB = diskGB;
        }

        /// <summary>VCPU units.</summary>
        public long Vcpus { get; }

        /// <summary>MEMORY_MB units.</summary>
        public long MemoryMB { get; }

        /// <summary>DISK_GB units: root disk unless volume-backed, plus ephemeral, plus swap rounded up to GB.</summary>
        public long DiskGB { get; }

        /// <summary>The same text for every instance that asks the same amounts (one Placement question per need).</summary>
        public string Key => $"{Vcpus}:{MemoryMB}:{DiskGB}";

        /// <summary>The need of <paramref name="instance"/>'s flavor and storage.</summary>
        public static ResourceNeed Of(Instance instance)
        {
            var flavor = instance.Flavor;
            return new ResourceNeed(flavor.Vcpus, flavor.RamMB, (instance.IsVolumeBacked ? 0 : flavor.DiskGB) + flavor.EphemeralGB + ((flavor.SwapMB + 1023) / 1024));
        }
    }
}
