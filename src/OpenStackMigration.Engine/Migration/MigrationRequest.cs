using System;
using System.Collections.Generic;
using System.Threading;
using OpenStackMigration.Model;

namespace OpenStackMigration.Migration
{
    /// <summary>What to do with a cold migration that reaches VERIFY_RESIZE.</summary>
    public enum VerifyResizeAction
    {
        /// <summary>Confirm it: the instance stays on the destination.</summary>
        Confirm,

        /// <summary>Revert it: the instance goes back to its source.</summary>
        Revert,

        /// <summary>Leave it waiting for a person to confirm or revert.</summary>
        Leave,
    }

    /// <summary>One instance to move, and how.</summary>
    public sealed class MigrationRequest
    {
        /// <summary>Creates a request.</summary>
        public MigrationRequest(Instance instance)
        {
            Instance = instance;
        }

        /// <summary>The instance (re-read before it is moved).</summary>
        public Instance Instance { get; set; }

        /// <summary>True when <see cref="Instance"/> was read from Nova by this command just now (it is not read again).</summary>
        public bool InstanceIsFresh { get; set; }

        /// <summary>Live or Cold.</summary>
        public MigrationKind Kind { get; set; }

        /// <summary>The destination; null lets the scheduler pick.</summary>
        public string? DestinationHost { get; set; }

        /// <summary>How local disks are handled (live).</summary>
        public BlockMigrationMode BlockMigration { get; set; }

        /// <summary>Wait for the verdict; otherwise return once Nova accepted the request.</summary>
        public bool Wait { get; set; }

        /// <summary>How long to wait before applying <see cref="OnTimeout"/>; null waits for ever.</summary>
        public TimeSpan? Timeout { get; set; }

        /// <summary>What to do when the timeout passes.</summary>
        public TimeoutAction OnTimeout { get; set; }

        /// <summary>What to do when a cold migration reaches VERIFY_RESIZE.</summary>
        public VerifyResizeAction VerifyResize { get; set; }

        /// <summary>Skip the pre-flight checks and let Nova decide.</summary>
        public bool SkipPreflight { get; set; }

        /// <summary>Keys (anti-affinity group ids) of which a batch runs at most one migration at a time.</summary>
        internal IReadOnlyList<string> ExclusiveKeys { get; set; } = Array.Empty<string>();

        /// <summary>Cancelled when the caller wants <see cref="OnTimeout"/> applied now (a drain's circuit breaker tripped); the watching goes on.</summary>
        internal CancellationToken ActNow { get; set; }

        /// <summary>A migration already started (by anyone) to wait for instead of starting one: no checks, no request to Nova.</summary>
        public MigrationRecord? Existing { get; set; }
    }

    /// <summary>Timings of the watch loop.</summary>
    public sealed class MigrationWatchOptions
    {
        /// <summary>The first and shortest poll interval; the verdict comes at most about this long after Nova is done.</summary>
        public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromSeconds(0.5);

        /// <summary>The longest poll interval, reached gradually on long migrations (and left when the end is near).</summary>
        public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(2);

        /// <summary>How long memory_remaining may go without a new low before a "not converging" warning.</summary>
        public TimeSpan StallWindow { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>How long the instance may sit idle on its source before its migration record must be final.</summary>
        public TimeSpan SettleGrace { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>
        /// How long a batch keeps a place under its throttle after a live migration's instance runs on the destination
        /// while Nova's record still says running (the source is still cleaning up): the place is freed when the record
        /// is final or after this long, whichever comes first.
        /// </summary>
        public TimeSpan RecordSettleLimit { get; set; } = TimeSpan.FromSeconds(20);

        /// <summary>How long to wait for an abort or force-complete (after a timeout) to take effect.</summary>
        public TimeSpan ActionGrace { get; set; } = TimeSpan.FromSeconds(120);

        /// <summary>How long to look for the new migration record when not waiting.</summary>
        public TimeSpan AcceptLookup { get; set; } = TimeSpan.FromSeconds(3);

        /// <summary>After a load balancer's 504, how long to look for the migration Nova may start anyway.</summary>
        public TimeSpan GatewayLookup { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>The interval for the poll after <paramref name="elapsed"/>, sooner when the end is near.</summary>
        public TimeSpan NextInterval(TimeSpan elapsed, int secondsRemaining)
        {
            if (secondsRemaining >= 0 && secondsRemaining <= 5)
            {
                return MinPollInterval;
            }

            // Fast for the first 30 s (most migrations end there), then slower up to the maximum at 2 minutes.
            var over = Math.Max(0, elapsed.TotalSeconds - 30) / 90.0;
            var ms = MinPollInterval.TotalMilliseconds + (Math.Min(1, over) * (MaxPollInterval - MinPollInterval).TotalMilliseconds);
            return TimeSpan.FromMilliseconds(ms);
        }
    }
}
