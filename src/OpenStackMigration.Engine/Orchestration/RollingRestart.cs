using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Orchestration
{
    /// <summary>One service to restart on one node, as found there.</summary>
    public sealed class RestartStep
    {
        /// <summary>The service as found on the node.</summary>
        public ResolvedService Service { get; set; } = new ResolvedService();

        /// <summary>How to restart it.</summary>
        public RestartRequest Request { get; set; } = new RestartRequest();

        /// <summary>The file change that calls for it, if any (its backup is the way back).</summary>
        public FilePlan? Plan { get; set; }
    }

    /// <summary>What one node restarts, in order, or why it cannot.</summary>
    public sealed class NodeRestart
    {
        /// <summary>The node.</summary>
        public NodeTarget Target { get; set; } = new NodeTarget();

        /// <summary>Its display name.</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>Its place in the rolling order (1 = first).</summary>
        public int Order { get; set; }

        /// <summary>The services to restart, in order.</summary>
        public List<RestartStep> Steps { get; } = new List<RestartStep>();

        /// <summary>Services that could not be found or whose manager is missing.</summary>
        public List<OpenStackMigrationException> Errors { get; } = new List<OpenStackMigrationException>();

        /// <summary>The restarts as they would run (-WhatIf, ShouldProcess).</summary>
        public IEnumerable<OSServiceRestart> Describe() => Steps.Select(s => ServiceRestarter.Describe(ComputerName, s.Service, s.Request, Order));
    }

    /// <summary>
    /// Restarts across nodes without taking a service down everywhere at once: at most
    /// <see cref="RestartOptions.RollingLimit"/> nodes at a time, in the order given, each proven healthy before the
    /// next starts, and none started after a failure.
    /// </summary>
    public static class RollingRestart
    {
        /// <summary>Finds, on every node at once, how each requested service runs there.</summary>
        public static async Task<IReadOnlyList<NodeRestart>> PlanAsync(NodePool pool, IEnumerable<(NodeTarget Target, RestartRequest Request, FilePlan? Plan)> requests,
            IEngineSink sink, CancellationToken cancellationToken)
        {
            var byNode = requests.GroupBy(r => r.Target).ToList();
            var order = pool.Targets.ToList();
            var plans = new List<NodeRestart>();
            await pool.ForEachAsync(
                byNode,
                async (group, ct) =>
                {
                    var node = new NodeRestart { Target = group.Key, ComputerName = group.Key.DisplayName };
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var (_, request, plan) in group)
                    {
                        var session = pool.Session(group.Key);
                        var found = await ServiceControl.ResolveAsync(session, request.Services, request.Manager, request.PidFile, ct).ConfigureAwait(false);
                        foreach (var (name, service, error) in found)
                        {
                            if (service != null)
                            {
                                if (seen.Add(service.Manager + "\n" + service.Name)) node.Steps.Add(new RestartStep { Service = service, Request = request, Plan = plan });
                            }
                            else if (error!.ErrorId == "OSServiceNotFound" && request.SkipMissing)
                            {
                                sink.Verbose($"{node.ComputerName}: {name} does not run here; not restarted.");
                            }
                            else
                            {
                                node.Errors.Add(error);
                            }
                        }
                    }

                    return new[] { node };
                },
                (group, ex) =>
                {
                    var node = new NodeRestart { Target = group.Key, ComputerName = group.Key.DisplayName };
                    node.Errors.Add(ex);
                    return new[] { node };
                },
                n => { lock (plans) plans.Add(n); },
                cancellationToken).ConfigureAwait(false);

            var sorted = plans.OrderBy(p => order.IndexOf(p.Target)).ToList();
            int i = 0;
            foreach (var p in sorted.Where(p => p.Steps.Count > 0)) p.Order = ++i;
            return sorted;
        }

        /// <summary>
        /// Runs <paramref name="work"/> for each item in order, at most <paramref name="limit"/> at once; once one
        /// returns false no further item starts, and each item never started goes to <paramref name="notStarted"/>
        /// with the item that failed.
        /// </summary>
        public static async Task RunAsync<T>(IReadOnlyList<T> items, int limit, Func<T, CancellationToken, Task<bool>> work, Action<T, T> notStarted, CancellationToken cancellationToken)
            where T : class
        {
            var running = new List<Task<(T Item, bool Ok)>>();
            T? failed = null;
            int next = 0;
            while (next < items.Count || running.Count > 0)
            {
                while (failed == null && next < items.Count && running.Count < Math.Max(1, limit))
                {
                    var item = items[next++];
                    running.Add(Run(item));
                }

                if (running.Count == 0) break;
                var done = await Task.WhenAny(running).ConfigureAwait(false);
                running.Remove(done);
                var (doneItem, ok) = await done.ConfigureAwait(false);
                if (!ok && failed == null) failed = doneItem;
            }

            if (failed != null)
            {
                for (; next < items.Count; next++) notStarted(items[next], failed);
            }

            async Task<(T, bool)> Run(T item) => (item, await work(item, cancellationToken).ConfigureAwait(false));
        }

        /// <summary>Restarts every step of each node, node after node (Restart-OSService); each result is handed to <paramref name="emit"/> as it is known.</summary>
        public static Task RestartAsync(NodePool pool, IReadOnlyList<NodeRestart> nodes, RestartOptions options, ServiceRestarter restarter, Action<OSServiceRestart> emit,
            IEngineSink sink, CancellationToken cancellationToken) =>
            RunAsync(
                nodes.Where(n => n.Steps.Count > 0).ToList(),
                options.RollingLimit,
                async (node, ct) =>
                {
                    var done = await RestartStepsAsync(pool, node, node.Steps, step => null, options, restarter, sink, ct).ConfigureAwait(false);
                    foreach (var (_, r) in done) emit(r);
                    return done.All(d => d.Result.Error == null);
                },
                (node, failedAt) =>
                {
                    foreach (var d in node.Describe()) emit(Halted(d, failedAt.ComputerName, null));
                },
                cancellationToken);

        /// <summary>
        /// Restarts <paramref name="steps"/> of one node in order; after the first failure the rest are not run but
        /// marked halted. <paramref name="restore"/> names each step's way back (the backup), or null.
        /// </summary>
        internal static async Task<List<(RestartStep Step, OSServiceRestart Result)>> RestartStepsAsync(NodePool pool, NodeRestart node, IEnumerable<RestartStep> steps,
            Func<RestartStep, string?> restore, RestartOptions options, ServiceRestarter restarter, IEngineSink sink, CancellationToken cancellationToken)
        {
            var done = new List<(RestartStep, OSServiceRestart)>();
            string? failed = null;
            foreach (var step in steps)
            {
                var result = failed == null
                    ? await restarter.RestartAsync(pool.Session(node.Target), step.Service, step.Request, options, node.Order, restore(step), sink, cancellationToken).ConfigureAwait(false)
                    : Halted(ServiceRestarter.Describe(node.ComputerName, step.Service, step.Request, node.Order), node.ComputerName, failed);
                if (result.Error != null) failed ??= step.Service.Name;
                done.Add((step, result));
            }

            return done;
        }

        /// <summary>Marks a restart that was not run because an earlier one failed.</summary>
        internal static OSServiceRestart Halted(OSServiceRestart result, string failedNode, string? failedService)
        {
            var ex = HaltedError(result.ComputerName, failedNode, failedService);
            result.Error = ex.Message;
            result.ErrorId = ex.ErrorId;
            result.ErrorKind = ex.Kind;
            return result;
        }

        /// <summary>The error of a node left alone because the rolling restart stopped.</summary>
        internal static OpenStackMigrationException HaltedError(string node, string failedNode, string? failedService) =>
            new OpenStackMigrationException("OSRestartHalted", FailureKind.InvalidState,
                failedService != null
                    ? $"{node}: not restarted: {failedService} failed on this node first, and the rolling restart stops at the first failure."
                    : $"{node}: left as it was: the rolling restart stopped after a failure on {failedNode}; fix that node first, then run the command again.");
    }
}
