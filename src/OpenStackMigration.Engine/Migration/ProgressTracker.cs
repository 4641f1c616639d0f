using System;
using System.Collections.Generic;
using System.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.Migration
{
    /// <summary>One progress reading of a live migration.</summary>
    public sealed class ProgressSnapshot
    {
        /// <summary>Percent of memory and disk copied (remaining counted against total), or -1 when unknown.</summary>
        public int Percent { get; set; } = -1;

        /// <summary>Bytes copied per second over the recent polls, or null until two readings exist.</summary>
        public double? BytesPerSecond { get; set; }

        /// <summary>Seconds left at that rate, or -1 when unknown.</summary>
        public int SecondsRemaining { get; set; } = -1;

        /// <summary>Memory still to copy.</summary>
        public long? MemoryRemainingBytes { get; set; }

        /// <summary>True when memory_remaining has not reached a new low for the stall window: the guest dirties memory as fast as it is copied.</summary>
        public bool NotConverging { get; set; }

        /// <summary>A status line: what is copied, how fast.</summary>
        public string Status { get; set; } = string.Empty;
    }

    /// <summary>
    /// Turns successive byte counters of one migration into percent, rate, ETA and a convergence verdict.
    /// Pure arithmetic over (time, record) pairs, so it is tested without a cloud.
    /// </summary>
    public sealed class ProgressTracker
    {
        private readonly List<(DateTimeOffset At, long Processed)> _samples = new List<(DateTimeOffset, long)>();
        private readonly List<(DateTimeOffset At, double Remaining, double Processed)> _window = new List<(DateTimeOffset, double, double)>();
        private DateTimeOffset? _firstAt;

        /// <summary>Creates a tracker.</summary>
        /// <param name="stallWindow">How long memory_remaining is watched: if it did not shrink over that long, the migration is not converging.</param>
        public ProgressTracker(TimeSpan stallWindow)
        {
            StallWindow = stallWindow;
        }

        /// <summary>How long memory_remaining is watched for shrinking.</summary>
        public TimeSpan StallWindow { get; }

        /// <summary>
        /// The least share of the bytes copied that must come off what remains for the migration to count as
        /// converging. When the guest writes memory about as fast as it is copied, almost nothing comes off:
        /// the bytes copied are re-dirtied pages. Compared on the averages of each half of the window, because
        /// the remaining counter bounces and single readings prove nothing.
        /// </summary>
        public double MinimumEfficiency { get; set; } = 0.10;

        /// <summary>Readings needed in the window before calling it stalled.</summary>
        public int MinimumSamples { get; set; } = 4;

        /// <summary>Takes one reading.</summary>
        public ProgressSnapshot Update(DateTimeOffset at, MigrationRecord record)
        {
            var snapshot = new ProgressSnapshot { MemoryRemainingBytes = record.MemoryRemainingBytes };
            var memTotal = record.MemoryTotalBytes ?? 0;
            var diskTotal = record.DiskTotalBytes ?? 0;
            var total = memTotal + diskTotal;
            var remaining = (record.MemoryRemainingBytes ?? memTotal) + (record.DiskRemainingBytes ?? diskTotal);
            var processed = (record.MemoryProcessedBytes ?? 0) + (record.DiskProcessedBytes ?? 0);
            if (total > 0)
            {
                snapshot.Percent = (int)Math.Max(0, Math.Min(100, Math.Floor(100.0 * (total - remaining) / total)));
            }

            _samples.Add((at, processed));
            while (_samples.Count > 6)
            {
                _samples.RemoveAt(0);
            }

            var first = _samples[0];
            var seconds = (at - first.At).TotalSeconds;
            if (_samples.Count >= 2 && seconds > 0 && processed >= first.Processed)
            {
                snapshot.BytesPerSecond = (processed - first.Processed) / seconds;
                if (snapshot.BytesPerSecond > 0)
                {
                    snapshot.SecondsRemaining = (int)Math.Ceiling(remaining / snapshot.BytesPerSecond.Value);
                }
            }

            if (record.MemoryRemainingBytes.HasValue && memTotal > 0)
            {
                _firstAt ??= at;
                _window.Add((at, remaining, processed));
                _window.RemoveAll(m => at - m.At > StallWindow);
                snapshot.NotConverging = IsStalled(at);
            }

            snapshot.Status = Describe(record, snapshot);
            return snapshot;
        }

        private bool IsStalled(DateTimeOffset at)
        {
            if (_firstAt == null || at - _firstAt.Value < StallWindow || _window.Count < MinimumSamples || _window[_window.Count - 1].Remaining <= 0)
            {
                return false;
            }

            var middle = at - TimeSpan.FromTicks(StallWindow.Ticks / 2);
            var first = _window.Where(m => m.At < middle).ToList();
            var second = _window.Where(m => m.At >= middle).ToList();
            if (first.Count == 0 || second.Count == 0)
            {
                return false;
            }

            var shrunk = first.Average(m => m.Remaining) - second.Average(m => m.Remaining);
            var copied = second.Average(m => m.Processed) - first.Average(m => m.Processed);
            return copied <= 0 ? shrunk <= 0 : shrunk < MinimumEfficiency * copied;
        }

        /// <summary>Bytes as MiB/GiB for people.</summary>
        public static string Size(double bytes)
        {
            const double mib = 1024 * 1024;
            return bytes >= 1024 * mib ? $"{bytes / (1024 * mib):0.0} GiB" : $"{bytes / mib:0} MiB";
        }

        private static string Describe(MigrationRecord record, ProgressSnapshot snapshot)
        {
            var parts = new List<string> { record.Status };
            if (record.DiskTotalBytes > 0)
            {
                parts.Add($"disk {Size(record.DiskTotalBytes.Value - (record.DiskRemainingBytes ?? 0))} of {Size(record.DiskTotalBytes.Value)}");
            }

            if (record.MemoryTotalBytes > 0)
            {
                parts.Add($"memory {Size(record.MemoryTotalBytes.Value - (record.MemoryRemainingBytes ?? 0))} of {Size(record.MemoryTotalBytes.Value)} ({Size(record.MemoryRemainingBytes ?? 0)} left)");
            }

            if (snapshot.BytesPerSecond.HasValue)
            {
                parts.Add($"{Size(snapshot.BytesPerSecond.Value)}/s");
            }

            if (snapshot.NotConverging)
            {
                parts.Add("not converging");
            }

            return string.Join(", ", parts.Where(p => !string.IsNullOrEmpty(p)));
        }
    }
}
