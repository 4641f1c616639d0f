using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Completion
{
    /// <summary>One value Tab can offer: what is inserted, what the menu shows, and the tooltip.</summary>
    internal sealed class Candidate
    {
        public Candidate(string value, string listItem, string toolTip)
        {
            Value = value;
            ListItem = listItem;
            ToolTip = toolTip;
        }

        public string Value { get; }

        public string ListItem { get; }

        public string ToolTip { get; }
    }

    /// <summary>
    /// What the cloud has, per session and kind, kept for a short while: a user presses Tab several times in a row and
    /// each press must be instant. A read that takes longer than the budget answers nothing this time and keeps going,
    /// so the next Tab has it; a failed read answers nothing (completion is never the place for an error).
    /// </summary>
    internal static class CompletionCache
    {
        private static readonly ConcurrentDictionary<string, Entry> Entries = new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal);

        /// <summary>How long a read stays fresh.</summary>
        internal static TimeSpan Fresh { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>How long one Tab waits for a read in progress.</summary>
        internal static TimeSpan Budget { get; set; } = TimeSpan.FromSeconds(3);

        /// <summary>The clock (tests move it).</summary>
        internal static Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

        /// <summary>The candidates of <paramref name="kind"/> for <paramref name="session"/>, read with <paramref name="load"/> when not fresh.</summary>
        public static IReadOnlyList<Candidate> Get(string kind, CloudSession session, Func<CloudSession, CancellationToken, Task<IReadOnlyList<Candidate>>> load)
        {
            var now = Now();
            var entry = Entries.AddOrUpdate(
                kind,
                _ => Start(session, load, now),
                (_, old) => old.Session == session && !old.Task.IsFaulted && !old.Task.IsCanceled && (!old.Task.IsCompleted || now - old.At < Fresh) ? old : Start(session, load, now));
            try
            {
                return entry.Task.Wait(Budget) ? entry.Task.Result : Array.Empty<Candidate>();
            }
            catch (AggregateException)
            {
                return Array.Empty<Candidate>();
            }
        }

        /// <summary>Forgets everything (a new session, tests).</summary>
        public static void Clear() => Entries.Clear();

        private static Entry Start(CloudSession session, Func<CloudSession, CancellationToken, Task<IReadOnlyList<Candidate>>> load, DateTimeOffset now)
        {
            // Bounded, so a cloud that never answers does not keep a read open for ever.
            var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var task = Task.Run(() => load(session, cts.Token));
            task.ContinueWith(_ => cts.Dispose(), TaskScheduler.Default);
            return new Entry(session, now, task);
        }

        private sealed class Entry
        {
            public Entry(CloudSession session, DateTimeOffset at, Task<IReadOnlyList<Candidate>> task)
            {
                Session = session;
                At = at;
                Task = task;
            }

            public CloudSession Session { get; }

            public DateTimeOffset At { get; }

            public Task<IReadOnlyList<Candidate>> Task { get; }
        }
    }
}
