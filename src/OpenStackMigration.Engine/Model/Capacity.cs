using System;
using System.Threading;
using System.Threading.Tasks;

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
            _total = total;
            _reserved = reserved;
            _allocationRatio = allocationRatio;
            Used = used;
            _maxUnit = maxUnit;
            _minUnit = minUnit;
            _stepSize = stepSize;
        }

        /// <summary>
        /// A figure from Placement's bulk answer, which has only capacity and use: the inventory's own figures
        /// (total, reserved, ratio, max_unit...) are read from <paramref name="details"/> the first time one is
        /// asked for, so a listing that shows only use and room costs no request per provider.
        /// </summary>
        internal ResourceCapacity(string resourceClass, long capacity, long used, Func<ResourceCapacity?> details, Func<IEngineSink, CancellationToken, Task> read)
            : this(resourceClass, capacity, used, new Lazy<ResourceCapacity?>(details, LazyThreadSafetyMode.PublicationOnly), read)
        {
            // PublicationOnly: a failed read is not kept, the next use asks again.
        }

        private ResourceCapacity(string resourceClass, long capacity, long used, Lazy<ResourceCapacity?> details, Func<IEngineSink, CancellationToken, Task>? read)
        {
            ResourceClass = resourceClass;
            _capacity = capacity;
            Used = used;
            _details = details;
            _read = read;
        }

        private readonly long? _capacity;
        private readonly Lazy<ResourceCapacity?>? _details;
        private readonly Func<IEngineSink, CancellationToken, Task>? _read;
        private readonly long _total;
        private readonly long _reserved;
        private readonly double _allocationRatio;
        private readonly long _maxUnit;
        private readonly long _minUnit;
        private readonly long _stepSize;

        /// <summary>False while the inventory's own figures have not been read (a figure from the bulk answer).</summary>
        internal bool HasDetails => _details == null || _details.IsValueCreated;

        /// <summary>
        /// True when the inventory's own figures were read and Placement no longer had this class for the provider
        /// (it changed after the bulk answer): its figures other than capacity and use are not known.
        /// </summary>
        internal bool InventoryGone => _details != null && _details.IsValueCreated && _details.Value == null;

        /// <summary>
        /// Reads the inventory's own figures now if they are not read yet, on the caller's sink and cancellation. A
        /// reader does this before the pure checks look at max_unit, so the checks send no request of their own.
        /// </summary>
        internal async Task ReadDetailsAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            if (HasDetails)
            {
                return;
            }

            await _read!(sink, cancellationToken).ConfigureAwait(false);
            // The read is done: this takes its answer without waiting.
            _ = _details!.Value;
        }

        private ResourceCapacity Details => _details == null ? this : (_details.Value ?? throw new InvalidOperationException(
            $"Placement no longer has a {ResourceClass} inventory for this provider; only its capacity ({_capacity}) and use ({Used}) are known."));

        /// <summary>VCPU, MEMORY_MB or DISK_GB.</summary>
        public string ResourceClass { get; }

        /// <summary>The physical amount. (For a figure from Placement's bulk answer, this and the other inventory figures are read on first use.)</summary>
        public long Total => _details == null ? _total : Details.Total;

        /// <summary>Held back for the host itself.</summary>
        public long Reserved => _details == null ? _reserved : Details.Reserved;

        /// <summary>The overcommit ratio.</summary>
        public double AllocationRatio => _details == null ? _allocationRatio : Details.AllocationRatio;

        /// <summary>Allocated to consumers.</summary>
        public long Used { get; }

        /// <summary>The largest single allocation allowed.</summary>
        public long MaxUnit => _details == null ? _maxUnit : Details.MaxUnit;

        /// <summary>The smallest single allocation allowed.</summary>
        public long MinUnit => _details == null ? _minUnit : Details.MinUnit;

        /// <summary>Allocations must be a multiple of this.</summary>
        public long StepSize => _details == null ? _stepSize : Details.StepSize;

        /// <summary>What can be allocated in all: (Total - Reserved) * AllocationRatio.</summary>
        public long Capacity => _capacity ?? (long)Math.Floor((Total - Reserved) * AllocationRatio);

        /// <summary>What is left: Capacity - Used (never below zero).</summary>
        public long Free => Math.Max(0, Capacity - Used);

        /// <summary>Used as a percentage of Capacity.</summary>
        public double UsedPercent => Capacity <= 0 ? 100 : Math.Round(100.0 * Used / Capacity, 1);

        /// <summary>The same figure with another use (a what-if copy); inventory figures not yet read stay unread, and are read once for both.</summary>
        public ResourceCapacity WithUsed(long used) => _details == null
            ? new ResourceCapacity(ResourceClass, _total, _reserved, _allocationRatio, used, _maxUnit, _minUnit, _stepSize)
            : new ResourceCapacity(ResourceClass, _capacity ?? Capacity, used, _details, _read);

        /// <summary>Whether one more allocation of <paramref name="amount"/> fits, and if not, why.</summary>
        public string? WhyNotFits(long amount)
        {
            if (amount <= 0)
            {
                return null;
            }

            if (InventoryGone)
            {
                return InventoryGoneReason;
            }

            // Room first: a figure from the bulk answer reads its inventory (max_unit) only when room does not decide.
            if (HasDetails && amount > MaxUnit)
            {
                return MaxUnitReason(amount);
            }

            if (amount > Free)
            {
                return HasDetails
                    ? $"{ResourceClass}: {amount} asked, {Free} free of {Capacity} ((total {Total} - reserved {Reserved}) x ratio {AllocationRatio}; {Used} used)"
                    : $"{ResourceClass}: {amount} asked, {Free} free of {Capacity} ({Used} used)";
            }

            return amount > MaxUnit ? MaxUnitReason(amount) : null;
        }

        /// <summary>Why a figure whose inventory Placement no longer has takes nothing.</summary>
        internal string InventoryGoneReason => $"{ResourceClass}: Placement no longer has this inventory (the provider changed after it was read)";

        private string MaxUnitReason(long amount) => $"{ResourceClass}: {amount} asked, but one allocation can be at most {MaxUnit} (max_unit)";

        /// <inheritdoc/>
        public override string ToString() => $"{Used}/{Capacity} ({Free} free)";
    }
}
