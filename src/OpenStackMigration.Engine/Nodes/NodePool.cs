using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration.Nodes
{
    /// <summary>
    /// The nodes of one command, each with one session kept open from planning to applying, worked on in
    /// parallel up to a throttle limit. Dispose it to close every connection.
    /// </summary>
    public sealed class NodePool : IDisposable
    {
        private readonly ConcurrentDictionary<NodeTarget, Lazy<INodeSession>> _sessions = new ConcurrentDictionary<NodeTarget, Lazy<INodeSession>>();

        private readonly Func<NodeTarget, INodeSession> _open;

        /// <summary>Creates a pool.</summary>
        public NodePool(IEnumerable<NodeTarget> targets, int throttleLimit, IEngineSink sink)
            : this(targets, throttleLimit, sink, null)
        {
        }

        /// <summary>Creates a pool whose sessions <paramref name="open"/> makes (tests script the nodes with it).</summary>
        internal NodePool(IEnumerable<NodeTarget> targets, int throttleLimit, IEngineSink sink, Func<NodeTarget, INodeSession>? open)
        {
            _open = open ?? (t => t.Open(sink));
            Targets = targets.ToList();
            ThrottleLimit = Math.Max(1, throttleLimit);
            EnsureThreads(Math.Min(ThrottleLimit, Targets.Count));
        }

        /// <summary>
        /// SSH.NET waits for the network on thread-pool threads in places. The pool starts with one thread per
        /// core and adds more only slowly, so with many nodes those waits would take turns: 10 nodes 40 ms away
        /// took 1.2 s to plan instead of 1.0 s. Raises (never lowers) the pool's minimum to what the nodes need.
        /// </summary>
        private static void EnsureThreads(int concurrentNodes)
        {
            ThreadPool.GetMinThreads(out var workers, out var io);
            int wanted = Math.Min(256, (concurrentNodes * 3) + Environment.ProcessorCount);
            if (workers < wanted)
            {
                ThreadPool.SetMinThreads(wanted, io);
            }
        }

        /// <summary>The nodes.</summary>
        public IReadOnlyList<NodeTarget> Targets { get; }

        /// <summary>How many nodes are worked on at once.</summary>
        public int ThrottleLimit { get; }

        /// <summary>The session of a node (opened on first use).</summary>
        public INodeSession Session(NodeTarget target) =>
            _sessions.GetOrAdd(target, t => new Lazy<INodeSession>(() => _open(t))).Value;

        /// <summary>
        /// Runs <paramref name="work"/> for every item, at most <see cref="ThrottleLimit"/> at once, and hands each
        /// result to <paramref name="emit"/> as soon as it is ready. A failure of one item goes to
        /// <paramref name="onError"/> and does not stop the others; cancellation stops them all.
        /// </summary>
        public async Task ForEachAsync<TItem, TResult>(
            IEnumerable<TItem> items,
            Func<TItem, CancellationToken, Task<IEnumerable<TResult>>> work,
            Func<TItem, OpenStackMigrationException, IEnumerable<TResult>> onError,
            Action<TResult> emit,
            CancellationToken cancellationToken)
        {
            using var gate = new SemaphoreSlim(ThrottleLimit, ThrottleLimit);
            var tasks = items.Select(async item =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    IEnumerable<TResult> results;
                    try
                    {
                        results = (await work(item, cancellationToken).ConfigureAwait(false)).ToList();
                    }
                    catch (OpenStackMigrationException ex)
                    {
                        results = onError(item, ex).ToList();
                    }
                    catch (Exception ex) when (!(ex is OperationCanceledException) && !cancellationToken.IsCancellationRequested)
                    {
                        results = onError(item, new OpenStackMigrationException("OSNodeCommandFailed", FailureKind.CommandFailed, ex.Message, ex)).ToList();
                    }

                    foreach (var r in results)
                    {
                        emit(r);
                    }
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            foreach (var s in _sessions.Values.Where(l => l.IsValueCreated))
            {
                s.Value.Dispose();
            }
        }
    }
}
