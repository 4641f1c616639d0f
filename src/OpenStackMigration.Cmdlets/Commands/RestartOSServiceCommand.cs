using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Commands
{
    /// <summary>Restarts or reloads OpenStack services and haproxy on nodes: systemd, pacemaker (crm or pcs), or Kolla's docker/podman containers.</summary>
    /// <remarks>
    /// <para>How each service runs is detected on each node (a container named like Kolla's nova_compute, a pacemaker resource,
    /// else a systemd unit), or chosen with -Manager. -Manager Signal sends a signal to the process in -PidFile (SIGUSR2 reloads a
    /// 'haproxy -W' master).</para>
    /// <para>Nothing is restarted on a configuration that would not load: haproxy's file is checked with 'haproxy -c -f' first,
    /// and a nova or cinder service's files are read as oslo.config reads them (a parse error or a timeout that is not an integer
    /// stops the restart).</para>
    /// </remarks>
    /// <example>
    /// <code>Restart-OSService -Name nova-compute -ComputerName c1,c2 -UserName root -KeyFilePath ~/.ssh/id_ed25519 -Confirm:$false</code>
    /// <para>Restarts nova-compute on two nodes in parallel.</para>
    /// </example>
    /// <example>
    /// <code>Restart-OSService -Name haproxy -Reload -Manager Signal -PidFile /run/haproxy.pid</code>
    /// <para>Validates /etc/haproxy/haproxy.cfg and reloads a haproxy master-worker started by hand.</para>
    /// </example>
    [Cmdlet(VerbsLifecycle.Restart, "OSService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(OSServiceRestart))]
    public sealed class RestartOSServiceCommand : OSNodeCmdletBase
    {
        /// <summary>Service, unit, pacemaker resource or container names (nova-compute, cinder-volume, haproxy...).</summary>
        [Parameter(Mandatory = true, Position = 0)]
        public string[] Name { get; set; } = new string[0];

        /// <summary>How the services run (default: detected on each node).</summary>
        [Parameter]
        public ServiceManager Manager { get; set; } = ServiceManager.Auto;

        /// <summary>Reload instead of restart (systemd reload; a signal for -Manager Signal). Pacemaker and containers restart.</summary>
        [Parameter]
        public SwitchParameter Reload { get; set; }

        /// <summary>The pid file of the process to signal, for -Manager Signal.</summary>
        [Parameter]
        public string? PidFile { get; set; }

        /// <summary>The signal for -Manager Signal (default USR2).</summary>
        [Parameter]
        [ValidateSet("USR2", "HUP", "USR1", "TERM")]
        public string Signal { get; set; } = "USR2";

        /// <summary>haproxy's configuration file, validated before haproxy is restarted or reloaded.</summary>
        [Parameter]
        public string HAProxyConfigPath { get; set; } = HAProxyEngine.DefaultPath;

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            var planned = new List<(NodeTarget Target, OSServiceRestart Plan)>();
            RunEngine(async (sink, token) =>
            {
                await pool.ForEachAsync(pool.Targets, async (t, ct) =>
                {
                    var list = new List<(NodeTarget, OSServiceRestart)>();
                    foreach (var n in Name)
                    {
                        list.Add((t, await ServiceControl.RestartAsync(pool.Session(t), n, Manager, Reload, PidFile, Signal, null, true, sink, ct).ConfigureAwait(false)));
                    }

                    return list;
                },
                (t, ex) => Name.Select(n => (t, new OSServiceRestart { ComputerName = t.DisplayName, Service = n, Error = ex.Message, ErrorId = ex.ErrorId })),
                p => { lock (planned) planned.Add(p); },
                token).ConfigureAwait(false);
                return true;
            });

            var approved = new List<(NodeTarget Target, OSServiceRestart Plan)>();
            foreach (var p in planned.OrderBy(p => pool.Targets.ToList().IndexOf(p.Target)))
            {
                if (p.Plan.Error != null)
                {
                    WriteFailure(new OpenStackMigrationException(p.Plan.ErrorId!, KindOf(p.Plan.ErrorId!), p.Plan.Error), p.Plan.ComputerName);
                    WriteObject(p.Plan);
                }
                else if (ShouldProcess($"{p.Plan.ComputerName}: {p.Plan.Command}", $"{p.Plan.ComputerName}: {p.Plan.Command}?", p.Plan.Action + " service"))
                {
                    approved.Add(p);
                }
            }

            var results = new System.Collections.Concurrent.ConcurrentQueue<OSServiceRestart>();
            RunEngineStreaming<OSServiceRestart>((emit, sink, token) => pool.ForEachAsync(
                approved.GroupBy(a => a.Target),
                async (g, ct) =>
                {
                    var done = new List<OSServiceRestart>();
                    foreach (var (target, plan) in g)
                    {
                        var manager = (ServiceManager)System.Enum.Parse(typeof(ServiceManager), plan.Manager);
                        string? validate = await ValidationAsync(pool.Session(target), plan.Service, sink, ct).ConfigureAwait(false);
                        done.Add(await ServiceControl.RestartAsync(pool.Session(target), plan.Service, manager, Reload, PidFile, Signal, validate, false, sink, ct).ConfigureAwait(false));
                    }

                    return done;
                },
                (g, ex) => g.Select(a => new OSServiceRestart { ComputerName = a.Plan.ComputerName, Service = a.Plan.Service, Manager = a.Plan.Manager, Command = a.Plan.Command, Error = ex.Message, ErrorId = ex.ErrorId }),
                r => { results.Enqueue(r); emit(r); },
                token));
            foreach (var r in results.Where(r => r.ErrorId != null))
            {
                WriteFailure(new OpenStackMigrationException(r.ErrorId!, KindOf(r.ErrorId!), r.Error!), r.ComputerName);
            }
        }

        /// <summary>The check that must pass before restarting: haproxy -c, or oslo.config's reading of a nova/cinder service's files.</summary>
        private async System.Threading.Tasks.Task<string?> ValidationAsync(INodeSession node, string service, IEngineSink sink, System.Threading.CancellationToken ct)
        {
            if (service.Contains("haproxy"))
            {
                return ServiceControl.HAProxyValidator(NodeFiles.Quote(HAProxyConfigPath));
            }

            string? project = OsloServices.Daemons.Keys.FirstOrDefault(p => service.Contains(p + "-") || service.Contains(p + "_"));
            if (project == null) return null;
            var views = await OsloConfigReader.ReadAsync(node, project, null, ct).ConfigureAwait(false);
            var bad = views.SelectMany(v => OsloServices.RpcOptions(project).Select(o => OsloConfigReader.Evaluate(v, o, node.ComputerName)))
                .FirstOrDefault(s => !s.Valid || s.Error != null);
            if (bad == null) return null;
            string why = bad.Error ?? $"{bad.Setting} = '{bad.Value}' from {bad.Source} is not an integer";
            sink.Verbose($"{node.ComputerName}: {service} would not start: {why}");
            return "echo " + NodeFiles.Quote(why) + "; false";
        }
    }
}
