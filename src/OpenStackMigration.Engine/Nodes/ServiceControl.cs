using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;

namespace OpenStackMigration.Nodes
{
    /// <summary>How a service is run on a node.</summary>
    public enum ServiceManager
    {
        /// <summary>Find out: a Kolla container (docker, podman), a pacemaker resource, else a systemd unit.</summary>
        Auto,

        /// <summary>systemctl restart / reload.</summary>
        Systemd,

        /// <summary>Pacemaker through crmsh: crm resource restart.</summary>
        Crm,

        /// <summary>Pacemaker through pcs: pcs resource restart.</summary>
        Pcs,

        /// <summary>A docker container (Kolla names them nova_compute, cinder_volume, haproxy...).</summary>
        Docker,

        /// <summary>A podman container.</summary>
        Podman,

        /// <summary>A signal to the process in a pid file (haproxy -W master: SIGUSR2 reloads).</summary>
        Signal,
    }

    /// <summary>Restarts or reloads services on a node, refusing when the configuration would not load.</summary>
    public static class ServiceControl
    {
        /// <summary>The shell that finds how <c>$n</c> is run; prints "manager name" or "none".</summary>
        internal const string DetectScript = @"PATH=$PATH:/usr/sbin:/sbin
k=$(printf '%s' ""$n"" | tr - _)
for rt in docker podman; do
  if command -v $rt >/dev/null 2>&1; then
    for c in ""$k"" ""$n""; do
      if $rt inspect --type container -- ""$c"" >/dev/null 2>&1; then echo ""$rt $c""; exit 0; fi
    done
  fi
done
if command -v crm_resource >/dev/null 2>&1; then
  for r in ""$n"" ""openstack-$n"" ""$n-clone""; do
    if crm_resource --resource ""$r"" --locate >/dev/null 2>&1; then
      if command -v pcs >/dev/null 2>&1; then echo ""pcs $r""; else echo ""crm $r""; fi; exit 0
    fi
  done
fi
if command -v systemctl >/dev/null 2>&1 && systemctl cat -- ""$n.service"" >/dev/null 2>&1; then echo ""systemd $n""; exit 0; fi
echo none
";

        /// <summary>The command that restarts (or reloads) <paramref name="name"/> under <paramref name="manager"/>.</summary>
        public static string Command(ServiceManager manager, string name, bool reload, string? pidFile, string signal)
        {
            string q = NodeFiles.Quote(name);
            switch (manager)
            {
                case ServiceManager.Systemd: return (reload ? "systemctl reload -- " : "systemctl restart -- ") + q;
                case ServiceManager.Crm: return "crm resource restart " + q;
                case ServiceManager.Pcs: return "pcs resource restart " + q;
                case ServiceManager.Docker: return "docker restart -- " + q;
                case ServiceManager.Podman: return "podman restart -- " + q;
                case ServiceManager.Signal:
                    if (pidFile == null)
                    {
                        throw new OpenStackMigrationException("OSPidFileRequired", FailureKind.InvalidArgument, "-Manager Signal needs -PidFile (the master process's pid file).");
                    }

                    return $"kill -s {signal} \"$(cat -- {NodeFiles.Quote(pidFile)})\"";
                default: throw new ArgumentOutOfRangeException(nameof(manager));
            }
        }

        /// <summary>Finds how a service is run on the node.</summary>
        public static async Task<(ServiceManager Manager, string Name)?> DetectAsync(INodeSession node, string name, CancellationToken cancellationToken)
        {
            var r = await node.RunScriptAsync("n=" + NodeFiles.Quote(name) + "\n" + DetectScript, cancellationToken).ConfigureAwait(false);
            var f = r.StdOut.Trim().Split(' ');
            if (f.Length != 2) return null;
            return f[0] switch
            {
                "docker" => (ServiceManager.Docker, f[1]),
                "podman" => (ServiceManager.Podman, f[1]),
                "pcs" => (ServiceManager.Pcs, f[1]),
                "crm" => (ServiceManager.Crm, f[1]),
                "systemd" => (ServiceManager.Systemd, f[1]),
                _ => ((ServiceManager, string)?)null,
            };
        }

        /// <summary>
        /// Restarts or reloads a service. <paramref name="validate"/> is a shell command that must succeed first
        /// (for haproxy: <c>haproxy -c -f FILE</c>); when it fails nothing is restarted. With
        /// <paramref name="whatIf"/>, only detects and reports the command.
        /// </summary>
        public static async Task<OSServiceRestart> RestartAsync(INodeSession node, string name, ServiceManager manager, bool reload, string? pidFile,
            string signal, string? validate, bool whatIf, IEngineSink sink, CancellationToken cancellationToken)
        {
            var result = new OSServiceRestart { ComputerName = node.ComputerName, Service = name, Action = reload ? "Reload" : "Restart" };
            try
            {
                string resolvedName = name;
                if (manager == ServiceManager.Auto)
                {
                    var found = await DetectAsync(node, name, cancellationToken).ConfigureAwait(false)
                        ?? throw new OpenStackMigrationException("OSServiceNotFound", FailureKind.NotFound,
                            $"{node.ComputerName}: '{name}' is neither a container, a pacemaker resource nor a systemd unit. Choose -Manager (Signal with -PidFile for a bare haproxy -W).") { Target = name };
                    (manager, resolvedName) = found;
                }

                result.Manager = manager.ToString();
                result.Service = resolvedName;
                result.Command = Command(manager, resolvedName, reload, pidFile, signal);
                if (whatIf)
                {
                    return result;
                }

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
                        $"{node.ComputerName}: not restarting {resolvedName}: its configuration fails validation: {invalid.Substring(12).Trim()}") { Target = resolvedName };
                }

                if (r.ExitCode != 0)
                {
                    throw new OpenStackMigrationException("OSServiceRestartFailed", FailureKind.CommandFailed,
                        $"{node.ComputerName}: '{result.Command}' failed (exit {r.ExitCode}): {(r.StdOut + r.StdErr).Trim()}") { Target = resolvedName };
                }

                result.Restarted = true;
            }
            catch (OpenStackMigrationException ex)
            {
                result.Error = ex.Message;
                result.ErrorId = ex.ErrorId;
            }

            return result;
        }

        /// <summary>The validation command for haproxy.cfg (the haproxy binary must be on the node).</summary>
        public static string HAProxyValidator(string file) =>
            "PATH=$PATH:/usr/sbin:/sbin; if command -v haproxy >/dev/null 2>&1; then haproxy -c -f " + file +
            "; else echo 'haproxy is not installed on the node, so the file cannot be validated'; false; fi";
    }
}
