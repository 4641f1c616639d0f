using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration
{
    /// <summary>Waiting for work started alongside, without taking on its outcome.</summary>
    internal static class TaskSettling
    {
        /// <summary>
        /// Completes when <paramref name="task"/> has ended, however it ended: a read started beside another is waited
        /// for (nothing outlives the command) and its failure is observed, while the first failure is the one thrown.
        /// </summary>
        public static Task SettledAsync(this Task task) =>
            task.ContinueWith(t => { _ = t.Exception; }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Work on many items, a few at a time.</summary>
    internal static class Throttled
    {
        /// <summary>
        /// Runs <paramref name="work"/> for every item, at most <paramref name="limit"/> at once, and completes when all
        /// have ended (the first failure is thrown), with their results in the items' order.
        /// </summary>
        public static async Task<TResult[]> SelectAsync<TItem, TResult>(IEnumerable<TItem> items, int limit, Func<TItem, Task<TResult>> work, CancellationToken cancellationToken)
        {
            using var gate = new SemaphoreSlim(Math.Max(1, limit));
            return await Task.WhenAll(items.Select(async item =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return await work(item).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }

        /// <summary>As <see cref="SelectAsync"/>, for work without a result.</summary>
        public static Task ForEachAsync<TItem>(IEnumerable<TItem> items, int limit, Func<TItem, Task> work, CancellationToken cancellationToken) =>
            SelectAsync(items, limit, async item =>
            {
                await work(item).ConfigureAwait(false);
                return true;
            }, cancellationToken);
    }

    /// <summary>
    /// Reads a piece of work starts alongside one another. Whatever ends the work (a result, the first failure, a
    /// cancel), <see cref="SettledAsync"/> waits for every read it started, so no request outlives the command.
    /// </summary>
    internal sealed class ReadsInFlight
    {
        private readonly List<Task> _reads = new List<Task>();

        /// <summary>Keeps <paramref name="read"/> to be waited for, and returns it.</summary>
        public T Start<T>(T read)
            where T : Task
        {
            lock (_reads)
            {
                _reads.Add(read);
            }

            return read;
        }

        /// <summary>Completes when every read started has ended, however it ended.</summary>
        public Task SettledAsync()
        {
            lock (_reads)
            {
                return Task.WhenAll(_reads.Select(r => r.SettledAsync()).ToList());
            }
        }
    }
}
