using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Orchestration
{
    /// <summary>
    /// Restarts one service on one node and proves it came back: the configuration is checked first (haproxy -c,
    /// oslo.config's reading), the manager's command runs, then the manager is asked until the service has stayed up
    /// for <see cref="RestartOptions.StableFor"/> (crm, pcs and podman exit 0 even when the start failed), and a
    /// restarted nova-compute must report to Nova again.
    /// </summary>
    public sealed class ServiceRestarter
    {
        private readonly Func<DateTimeOffset> _clock;
        private readonly Func<TimeSpan, CancellationToken, Task> _delay;

        /// <summary>A restarter on the wall clock.</summary>
        public ServiceRestarter()
            : this(() => DateTimeOffset.UtcNow, (d, t) => Task.Delay(d, t))
        {
        }

        /// <summary>A restarter with its own clock and delay (tests).</summary>
        public ServiceRestarter(Func<DateTimeOffset> clock, Func<TimeSpan, CancellationToken, Task> delay)
        {
            _clock = clock;
            _delay = delay;
        }

        /// <summary>How often the manager (and Nova) are asked while waiting.</summary>
        public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>The result a restart would have, without running anything (-WhatIf, and the plan shown before confirming).</summary>
        public static OSServiceRestart Describe(string computerName, ResolvedService service, RestartRequest request, int order) => new OSServiceRestart
        {
            ComputerName = computerName,
            Service = service.Name,
            Manager = service.Manager.ToString(),
            Action = request.Reload && (service.Manager == ServiceManager.Systemd || service.Manager == ServiceManager.Signal) ? "Reload" : "Restart",
            Command = ServiceControl.Command(service.Manager, service.Name, request.Reload, request.PidFile, request.Signal),
            Order = order,
            OldProcessId = service.ProcessId,
        };

        /// <summary>
        /// Restarts <paramref name="service"/> and waits until it is healthy. Never throws for the service's own
        /// failures: the result carries the error id and the next step (<paramref name="restore"/> names the backup to put back).
        /// </summary>
        public async Task<OSServiceRestart> RestartAsync(INodeSession node, ResolvedService service, RestartRequest request, RestartOptions options, int order,
            string? restore, IEngineSink sink, CancellationToken cancellationToken)
        {
            var result = Describe(node.ComputerName, service, request, order);
            var started = _clock();
            try
            {
                string? validate = await ValidationAsync(node, service, request.HAProxyConfigPath, sink, cancellationToken).ConfigureAwait(false);
                string? computeHost = options.Nova != null && IsNovaCompute(service) ? await ComputeHostAsync(node, service, cancellationToken).ConfigureAwait(false) : null;

                // The pid right before the command (a rolling restart's later nodes were found before earlier ones restarted).
                string probe = ServiceControl.ProbeScript(service, request.PidFile);
                var (_, pidBefore, _) = ServiceControl.ParseProbe(service, (await node.RunScriptAsync(probe, cancellationToken).ConfigureAwait(false)).StdOut);
                result.OldProcessId = pidBefore ?? service.ProcessId;

                var script = "PATH=$PATH:/usr/sbin:/sbin\n";
                if (validate != null)
                {
                    script += "out=$(" + validate + " 2>&1) || { printf 'OSM-INVALID %s\\n' \"$(printf '%s' \"$out\" | tr '\\n' ' ')\"; exit 3; }\n";
                }

                script += result.Command + " </dev/null 2>&1\n";
                sink.Verbose($"{node.ComputerName}: {result.Command}");
                var r = await node.RunScriptAsync(script, cancellationToken).ConfigureAwait(false);
                string? invalid = r.StdOut.Split('\n').FirstOrDefault(l => l.StartsWith("OSM-INVALID ", StringComparison.Ordinal));
                if (invalid != null)
                {
                    throw new OpenStackMigrationException("OSConfigValidationFailed", FailureKind.Configuration,
                        $"{node.ComputerName}: not restarting {service.Name}: its configuration fails validation: {invalid.Substring(12).Trim()}") { Target = service.Name };
                }

                if (r.ExitCode != 0)
                {
                    throw new OpenStackMigrationException("OSServiceRestartFailed", FailureKind.CommandFailed,
                        $"{node.ComputerName}: '{result.Command}' failed (exit {r.ExitCode}): {(r.StdOut + r.StdErr).Trim()}. Next: {ServiceControl.NextStep(service, restore)}") { Target = service.Name };
                }

                await WaitHealthyAsync(node, service, request, options, result, restore, sink, cancellationToken).ConfigureAwait(false);
                if (computeHost != null)
                {
                    result.ComputeHost = computeHost;
                    try
                    {
                        await WaitReportAsync(options.Nova!, computeHost, options.ReportTimeout, result, sink, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OpenStackMigrationException e) when (e.ErrorId == "OSServiceNotReporting")
                    {
                        // A service that died meanwhile (it stayed up for the stable time, then exited) is that error, not a quiet one.
                        await WaitHealthyAsync(node, service, request, new RestartOptions { StartTimeout = TimeSpan.Zero, StableFor = TimeSpan.Zero }, result, restore, sink, cancellationToken).ConfigureAwait(false);
                        throw;
                    }

                    // nova-compute updates its service record while it starts, before it can still fail: it must be running after its report too.
                    await WaitHealthyAsync(node, service, request, new RestartOptions { StartTimeout = options.StartTimeout, StableFor = TimeSpan.Zero }, result, restore, sink, cancellationToken).ConfigureAwait(false);
                }

                result.Restarted = true;
                sink.Verbose($"{node.ComputerName}: {service.Name} is {result.State} again (pid {Pid(result.OldProcessId)} -> {Pid(result.ProcessId)}).");
            }
            catch (OpenStackMigrationException ex)
            {
                result.Error = ex.Message;
                result.ErrorId = ex.ErrorId;
                result.ErrorKind = ex.Kind;
            }

            result.Duration = _clock() - started;
            return result;
        }

        private static string Pid(int? pid) => pid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";

        private async Task WaitHealthyAsync(INodeSession node, ResolvedService service, RestartRequest request, RestartOptions options, OSServiceRestart result,
            string? restore, IEngineSink sink, CancellationToken cancellationToken)
        {
            var deadline = _clock() + options.StartTimeout;
            DateTimeOffset? healthySince = null;
            int? lastPid = null;
            string probe = ServiceControl.ProbeScript(service, request.PidFile);
            while (true)
            {
                var output = await node.RunScriptAsync(probe, cancellationToken).ConfigureAwait(false);
                var (health, pid, state) = ServiceControl.ParseProbe(service, output.StdOut);
                result.State = state;
                if (pid != null) result.ProcessId = pid;
                var now = _clock();
                if (health == ServiceHealth.Failed)
                {
                    throw Unhealthy(node, service, result, restore, $"is not running afterwards ({state})");
                }

                if (health == ServiceHealth.Healthy)
                {
                    // A new pid while "up" is the manager restarting a crashing service: the stable time starts again.
                    if (healthySince == null || (pid != null && lastPid != null && pid != lastPid)) healthySince = now;
                    if (now - healthySince >= options.StableFor) return;
                }
                else
                {
                    healthySince = null;
                }

                lastPid = pid ?? lastPid;
                if (now >= deadline)
                {
                    throw Unhealthy(node, service, result, restore, health == ServiceHealth.Healthy
                        ? $"keeps restarting ({state})"
                        : $"is still {state} after {options.StartTimeout.TotalSeconds:0} s");
                }

                sink.Debug($"{node.ComputerName}: {service.Name}: {state}");
                await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }

        private static OpenStackMigrationException Unhealthy(INodeSession node, ResolvedService service, OSServiceRestart result, string? restore, string what) =>
            new OpenStackMigrationException("OSServiceUnhealthy", FailureKind.CommandFailed,
                $"{node.ComputerName}: '{result.Command}' returned, but {service.Name} {what}. Next: {ServiceControl.NextStep(service, restore)}") { Target = service.Name };

        private async Task WaitReportAsync(IComputeServiceProbe nova, string host, TimeSpan timeout, OSServiceRestart result, IEngineSink sink, CancellationToken cancellationToken)
        {
            var first = await nova.GetAsync(host, sink, cancellationToken).ConfigureAwait(false);
            if (first == null)
            {
                sink.Warning($"{result.ComputerName}: Nova has no nova-compute service on host '{host}', so its report after the restart is not checked.");
                return;
            }

            // The old process is gone once the manager's command returned: a report newer than this one is the new process's.
            var seen = first.Value.UpdatedAt;
            var deadline = _clock() + timeout;
            while (true)
            {
                await _delay(PollInterval, cancellationToken).ConfigureAwait(false);
                var now = await nova.GetAsync(host, sink, cancellationToken).ConfigureAwait(false);
                if (now != null && now.Value.Up && now.Value.UpdatedAt != null && (seen == null || now.Value.UpdatedAt > seen))
                {
                    result.ReportedToNova = true;
                    return;
                }

                if (_clock() >= deadline)
                {
                    result.ReportedToNova = false;
                    throw new OpenStackMigrationException("OSServiceNotReporting", FailureKind.Timeout,
                        $"{result.ComputerName}: {result.Service} runs ({result.State}) but nova-compute on host '{host}' has not reported to Nova in {timeout.TotalSeconds:0} s (last report {seen:u}): see its log (Find-OSLogEntry, or the service's log file) for why it cannot reach the message queue or the database.")
                    { Target = result.Service };
                }
            }
        }

        private static bool IsNovaCompute(ResolvedService service) =>
            service.Requested.Replace('_', '-').Equals("nova-compute", StringComparison.OrdinalIgnoreCase) || service.Name.Replace('_', '-').Equals("nova-compute", StringComparison.OrdinalIgnoreCase);

        /// <summary>The host name the restarted nova-compute reports under: its host option, else the host name its process sees.</summary>
        private static async Task<string?> ComputeHostAsync(INodeSession node, ResolvedService service, CancellationToken cancellationToken)
        {
            var views = await OsloConfigReader.ReadAsync(node, "nova", null, cancellationToken).ConfigureAwait(false);

            // A node can run several nova-computes (a container beside a packaged one, test labs): the restarted one's
            // process first, then one of the same kind (in a container or not), never simply the first found.
            var computes = views.Where(v => v.Service == "nova-compute" && v.ProcessId != null).ToList();
            var inContainer = service.Manager == ServiceManager.Docker || service.Manager == ServiceManager.Podman;
            var view = computes.FirstOrDefault(v => service.ProcessId != null && v.ProcessId == service.ProcessId)
                ?? computes.FirstOrDefault(v => (v.ContainerRoot != null) == inContainer);
            if (view == null) return null;
            var host = OsloConfigReader.Evaluate(view, OsloServices.NovaHost, node.ComputerName).Value;
            if (!string.IsNullOrWhiteSpace(host)) return host!.Trim();
            string read = view.ContainerRoot != null ? "cat -- " + NodeFiles.Quote(view.ContainerRoot + "/etc/hostname") : "hostname";
            var r = await node.RunScriptAsync(read, cancellationToken).ConfigureAwait(false);
            var name = r.StdOut.Trim();
            return name.Length == 0 ? null : name;
        }

        /// <summary>The check that must pass before restarting: haproxy -c, or oslo.config's reading of a nova/cinder service's files.</summary>
        internal static async Task<string?> ValidationAsync(INodeSession node, ResolvedService service, string haproxyPath, IEngineSink sink, CancellationToken cancellationToken)
        {
            string name = service.Requested;
            if (name.IndexOf("haproxy", StringComparison.OrdinalIgnoreCase) >= 0 || service.Name.IndexOf("haproxy", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return ServiceControl.HAProxyValidator(NodeFiles.Quote(haproxyPath));
            }

            string? project = OsloServices.Daemons.Keys.FirstOrDefault(p => name.StartsWith(p + "-", StringComparison.OrdinalIgnoreCase) || name.StartsWith(p + "_", StringComparison.OrdinalIgnoreCase));
            if (project == null) return null;
            var views = await OsloConfigReader.ReadAsync(node, project, null, cancellationToken).ConfigureAwait(false);
            var bad = views.SelectMany(v => OsloServices.RpcOptions(project).Select(o => OsloConfigReader.Evaluate(v, o, node.ComputerName)))
                .FirstOrDefault(s => !s.Valid || s.Error != null);
            if (bad == null) return null;
            string why = bad.Error ?? $"{bad.Setting} = '{bad.Value}' from {bad.Source} is not an integer";
            sink.Verbose($"{node.ComputerName}: {name} would not start: {why}");
            return "echo " + NodeFiles.Quote(why) + "; false";
        }
    }
}
