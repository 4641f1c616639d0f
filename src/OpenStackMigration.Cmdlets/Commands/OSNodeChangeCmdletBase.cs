using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Orchestration;

namespace OpenStackMigration.Commands
{
    /// <summary>
    /// A node cmdlet that changes files or restarts services: adds the rolling bound and the confirm-then-apply
    /// flow over <see cref="ConfigApplier"/> and <see cref="RollingRestart"/>.
    /// </summary>
    public abstract class OSNodeChangeCmdletBase : OSNodeCmdletBase
    {
        /// <summary>
        /// How many nodes restart at once (default 1: rolling, so a service is never down everywhere). Each node must be
        /// healthy again before the next starts, and nothing more is restarted after a failure.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 1024)]
        public int RestartThrottleLimit { get; set; } = 1;

        /// <summary>
        /// Seconds a restarted service may take to be running again, and a restarted nova-compute to report to Nova (default 90).
        /// </summary>
        [Parameter]
        [ValidateRange(5, 3600)]
        public int RestartTimeoutSec { get; set; } = 90;

        /// <summary>How restarts are paced and checked; a restarted nova-compute is checked in Nova when a cloud is connected.</summary>
        protected RestartOptions NewRestartOptions()
        {
            var session = SessionStore.Default;
            if (session == null)
            {
                WriteVerbose("Not connected to a cloud: a restarted nova-compute's report to Nova is not checked (Connect-OSCloud first to have it checked).");
            }

            return new RestartOptions
            {
                RollingLimit = RestartThrottleLimit,
                StartTimeout = TimeSpan.FromSeconds(RestartTimeoutSec),
                ReportTimeout = TimeSpan.FromSeconds(RestartTimeoutSec),
                Nova = session == null ? null : new NovaComputeProbe(new CloudInventory(session)),
            };
        }

        /// <summary>Asks ShouldProcess once per node's restarts (their rolling order, manager and command); a declined node keeps its services running.</summary>
        protected void ConfirmRestarts(IReadOnlyList<NodeRestart> restarts, Func<NodeRestart, bool> include)
        {
            var todo = restarts.Where(r => r.Steps.Count > 0 && include(r)).ToList();
            foreach (var node in todo)
            {
                var text = $"{node.ComputerName} (node {node.Order} of {todo.Count} in rolling order): " + string.Join("; ", node.Describe().Select(d => $"{d.Action.ToLowerInvariant()} {d.Service} ({d.Manager}: {d.Command})"));
                if (!ShouldProcess(text, text + Environment.NewLine + "Restart these services?", "Restart services"))
                {
                    node.Steps.Clear();
                }
            }
        }

        /// <summary>Writes the errors of services that could not be found, once, when nothing is going to be applied.</summary>
        protected void ReportRestartErrors(IEnumerable<NodeRestart> restarts)
        {
            foreach (var e in restarts.SelectMany(r => r.Errors))
            {
                WriteFailure(e, e.Target);
            }
        }

        /// <summary>
        /// Plans restarts (when <paramref name="restart"/> is given: a missing service or manager stops everything before
        /// any write), asks ShouldProcess once per changed file (its text lists node, file and every line old -> new) and
        /// once per node's restarts, applies what was approved, and writes one result per setting and file.
        /// </summary>
        protected void ApplyPlans(NodePool pool, IReadOnlyList<FilePlan> plans, Func<FilePlan, RestartRequest?>? restart = null)
        {
            var restarts = restart == null ? null : RunEngine((sink, token) => ConfigApplier.PlanRestartsAsync(pool, plans, restart, sink, token));
            var approved = new HashSet<FilePlan>();
            foreach (var plan in plans)
            {
                if (plan.HasChanges && ShouldProcess(plan.Description, plan.Description + Environment.NewLine + "Change this file?", "Change configuration"))
                {
                    approved.Add(plan);
                }
            }

            if (restarts != null)
            {
                if (approved.Count == 0) ReportRestartErrors(restarts);
                else if (restarts.All(r => r.Errors.Count == 0)) ConfirmRestarts(restarts, r => plans.Any(p => p.Target == r.Target && approved.Contains(p)));
            }

            var options = NewRestartOptions();
            var all = new System.Collections.Concurrent.ConcurrentQueue<OSConfigChange>();
            RunEngineStreaming<OSConfigChange>(
                (emit, sink, token) => new ConfigApplier(new ServiceRestarter()).ApplyAsync(pool, plans, approved, restarts, options, r => { all.Enqueue(r); emit(r); }, sink, token));
            ReportFailures(all);
        }
    }
}
