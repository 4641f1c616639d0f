using System;

namespace OpenStackMigration.Model
{
    /// <summary>
    /// One resource class of one host as Placement counts it.
    /// Free = (Total - Reserved) * AllocationRatio - Used; one allocation can be at most MaxUnit.
    /// </summary>
    public sealed class ResourceCapacity
    {
        /// <summary>Creates a figure from Placement's inventory and usage.</summary>
        public ResourceCapacity(string resourceClass, long total, long reserved, double allocationRatio, long used, long maxUnit, long minUnit = 1, long stepSize = 1)
        {
            ResourceClass = resourceClass;
            Total = total;
            Reserved = reserved;
            AllocationRatio = allocationRatio;
            Used = used;
            MaxUnit = maxUnit;
            MinUnit = minUnit;
            StepSize = stepSize;
        }

        /// <summary>VCPU, MEMORY_MB or DISK_GB.</summary>
        public string ResourceClass { get; }

        /// <summary>The physical amount.</summary>
        public long Total { get; }

        /// <summary>Held back for the host itself.</summary>
        public long Reserved { get; }

        /// <summary>The overcommit ratio.</summary>
        public double AllocationRatio { get; }

        /// <summary>Allocated to consumers.</summary>
        public long Used { get; }

        /// <summary>The largest single allocation allowed.</summary>
        public long MaxUnit { get; }

        /// <summary>The smallest single allocation allowed.</summary>
        public long MinUnit { get; }

        /// <summary>Allocations must be a multiple of this.</summary>
        public long StepSize { get; }

        /// <summary>What can be allocated in all: (Total - Reserved) * AllocationRatio.</summary>
        public long Capacity => (long)Math.Floor((Total - Reserved) * AllocationRatio);

        /// <summary>What is left: Capacity - Used (never below zero).</summary>
        public long Free => Math.Max(0, Capacity - Used);

        /// <summary>Used as a percentage of Capacity.</summary>
        public double UsedPercent => Capacity <= 0 ? 100 : Math.Round(100.0 * Used / Capacity, 1);

        /// <summary>Whether one more allocation of <paramref name="amount"/> fits, and if not, why.</summary>
        public string? WhyNotFits(long amount)
        {
            if (amount <= 0)
            {
                return null;
            }

            if (amount > MaxUnit)
            {
                return $"{ResourceClass}: {amount} asked, but one allocation can be at most {MaxUnit} (max_unit)";
            }

            if (amount > Free)
            {
                return $"{ResourceClass}: {amount} asked, {Free} free of {Capacity} ((total {Total} - reserved {Reserved}) x ratio {AllocationRatio}; {Used} used)";
            }

            return null;
        }

        /// <inheritdoc/>
        public override string ToString() => $"{Used}/{Capacity} ({Free} free)";
    }
}
