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
    /// <summary>
    /// Writes approved file changes on many nodes and, when asked, restarts what reads them. Without restarts every
    /// node is written at once. With restarts, what each node runs is found first (a missing service or manager stops
    /// everything before any file is written), then nodes go one after another (<see cref="RestartOptions.RollingLimit"/>
    /// at a time): write, restart, prove healthy, next; after a failure no further node is touched.
    /// </summary>
    public sealed class ConfigApplier
    {
        private readonly ServiceRestarter _restarter;

        /// <summary>An applier that restarts with <paramref name="restarter"/>.</summary>
        public ConfigApplier(ServiceRestarter restarter)
        {
            _restarter = restarter;
        }

        /// <summary>Finds how the services each changed file needs restarted run on its node (before anything is written).</summary>
        public static Task<IReadOnlyList<NodeRestart>> PlanRestartsAsync(NodePool pool, IEnumerable<FilePlan> plans, Func<FilePlan, RestartRequest?> restart, IEngineSink sink, CancellationToken cancellationToken) =>
            RollingRestart.PlanAsync(
                pool,
                plans.Where(p => p.HasChanges).Select(p => (p.Target, Request: restart(p), Plan: (FilePlan?)p)).Where(r => r.Request != null).Select(r => (r.Target, r.Request!, r.Plan)),
                sink,
                cancellationToken);

        /// <summary>
        /// Applies the <paramref name="approved"/> plans and hands every result of <paramref name="plans"/> to
        /// <paramref name="emit"/>; <paramref name="restarts"/> (from <see cref="PlanRestartsAsync"/>, null for none) are run rolling.
        /// </summary>
        public async Task ApplyAsync(NodePool pool, IReadOnlyList<FilePlan> plans, ICollection<FilePlan> approved, IReadOnlyList<NodeRestart>? restarts, RestartOptions options,
            Action<OSConfigChange> emit, IEngineSink sink, CancellationToken cancellationToken)
        {
            var nodes = plans.GroupBy(p => p.Target).ToList();

            // Nodes whose writes restart nothing are all written at once (each node's files in parallel too).
            Task WriteAllAsync(IEnumerable<IGrouping<NodeTarget, FilePlan>> groups) => pool.ForEachAsync(
                groups,
                async (group, ct) =>
                {
                    await WriteAsync(pool, group.Where(approved.Contains), sink, ct).ConfigureAwait(false);
                    return group.SelectMany(p => p.Results);
                },
                (group, ex) => group.SelectMany(p => p.Results),
                emit,
                cancellationToken);

            if (restarts == null)
            {
                await WriteAllAsync(nodes).ConfigureAwait(false);
                return;
            }

            var blocked = restarts.FirstOrDefault(r => r.Errors.Count > 0 && plans.Any(p => p.Target == r.Target && approved.Contains(p)));
            if (blocked != null)
            {
                // Bad input (a service that is not there, a manager not installed): nothing is written anywhere.
                foreach (var group in nodes)
                {
                    var mine = restarts.FirstOrDefault(r => r.Target == group.Key)?.Errors.FirstOrDefault();
                    var error = mine ?? new OpenStackMigrationException("OSRestartHalted", FailureKind.InvalidState,
                        $"{group.Key.DisplayName}: left as it was: what to restart could not be found on {blocked.ComputerName} ({blocked.Errors[0].Message})");
                    foreach (var plan in group.Where(approved.Contains)) plan.Fail(error);
                    foreach (var r in group.SelectMany(p => p.Results)) emit(r);
                }

                return;
            }

            var byTarget = restarts.ToDictionary(r => r.Target);
            var ordered = nodes.OrderBy(g => byTarget.TryGetValue(g.Key, out var r) && r.Order > 0 ? r.Order : 0).ToList();

            // Nodes with nothing to restart are written at once; the others roll.
            var quiet = ordered.Where(g => !byTarget.TryGetValue(g.Key, out var r) || r.Steps.Count == 0).ToList();
            var rolling = ordered.Except(quiet).ToList();
            var writes = WriteAllAsync(quiet);

            var roll = RollingRestart.RunAsync(
                rolling,
                options.RollingLimit,
                async (group, ct) =>
                {
                    bool ok = await WriteAndRestartAsync(pool, group.ToList(), approved, byTarget[group.Key], options, sink, ct).ConfigureAwait(false);
                    foreach (var r in group.SelectMany(p => p.Results)) emit(r);
                    return ok;
                },
                (group, failedAt) =>
                {
                    var error = RollingRestart.HaltedError(group.Key.DisplayName, failedAt.Key.DisplayName, null);
                    foreach (var plan in group.Where(approved.Contains)) plan.Fail(error);
                    foreach (var r in group.SelectMany(p => p.Results)) emit(r);
                },
                cancellationToken);
            await Task.WhenAll(writes, roll).ConfigureAwait(false);
        }

        /// <summary>A node's files are written at once, each over its own channel of the node's one connection.</summary>
        private static Task WriteAsync(NodePool pool, IEnumerable<FilePlan> plans, IEngineSink sink, CancellationToken cancellationToken) =>
            Task.WhenAll(plans.Select(plan => plan.ApplyAsync(pool, sink, cancellationToken)));

        private async Task<bool> WriteAndRestartAsync(NodePool pool, List<FilePlan> plans, ICollection<FilePlan> approved, NodeRestart node, RestartOptions options,
            IEngineSink sink, CancellationToken cancellationToken)
        {
            await WriteAsync(pool, plans.Where(approved.Contains), sink, cancellationToken).ConfigureAwait(false);
            // Only what a written file needs: a plan that failed or was declined restarts nothing.
            var needed = node.Steps.Where(s => s.Plan != null && approved.Contains(s.Plan) && s.Plan.Results.Any(r => r.BackupPath != null));
            var done = await RollingRestart.RestartStepsAsync(
                pool,
                node,
                needed,
                step => $"restore the previous file ('cp -p {step.Plan!.Results.First(r => r.BackupPath != null).BackupPath} {step.Plan.File.Path}')",
                options,
                _restarter,
                sink,
                cancellationToken).ConfigureAwait(false);
            foreach (var (_, result) in done.Where(d => d.Result.Error != null)) sink.Warning(result.Error!);

            foreach (var plan in plans.Where(p => p.Results.Any(r => r.BackupPath != null)))
            {
                var mine = done.Where(d => d.Step.Plan == plan).Select(d => d.Result).ToList();
                foreach (var r in plan.Results.Where(r => r.BackupPath != null))
                {
                    r.Restarted = mine.Count > 0 && mine.All(d => d.Restarted);
                    r.RestartedServices = string.Join(", ", mine.Where(d => d.Restarted).Select(Summary));
                    var error = mine.FirstOrDefault(d => d.Error != null);
                    if (error != null)
                    {
                        r.Error = error.Error;
                        r.ErrorId = error.ErrorId;
                        r.ErrorKind = error.ErrorKind;
                    }
                }
            }

            return done.All(d => d.Result.Error == null);
        }

        private static string Summary(OSServiceRestart r) =>
            r.ProcessId != null ? $"{r.Service} ({r.Manager}, pid {r.OldProcessId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"} -> {r.ProcessId})" : $"{r.Service} ({r.Manager})";
    }
}
