using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Xml.Linq;

namespace OpenStackMigration.Nodes
{
    /// <summary>A service found on a node: how it runs, its name there and its main process.</summary>
    public sealed class ResolvedService
    {
        /// <summary>The name asked for (nova-compute, haproxy...).</summary>
        public string Requested { get; set; } = string.Empty;

        /// <summary>How it runs.</summary>
        public ServiceManager Manager { get; set; }

        /// <summary>Its name under that manager (nova_compute, p_haproxy, nova-compute...).</summary>
        public string Name { get; set; } = string.Empty;

        /// <summary>Its main process, when the manager tells it.</summary>
        public int? ProcessId { get; set; }
    }

    /// <summary>
    /// How services are found, restarted and checked on a node: shell lines for systemd, pacemaker (crm, pcs), docker,
    /// podman and signals, and the reading of what each manager reports afterwards.
    /// </summary>
    public static class ServiceControl
    {
        /// <summary>
        /// The shell function that finds how "$3" is run (manager "$2", or auto: container, pacemaker resource, systemd
        /// unit, in that order) and prints "OSM-SVC index manager name pid", "OSM-SVC index nomgr tool" or "OSM-SVC index none".
        /// </summary>
        internal const string ResolveFunction = @"PATH=$PATH:/usr/sbin:/sbin
osm_resolve() {
  i=$1; m=$2; n=$3; k=$(printf '%s' ""$n"" | tr - _)
  case $m in auto|docker|podman)
    for rt in docker podman; do
      [ $m = auto ] || [ $m = $rt ] || continue
      if ! command -v $rt >/dev/null 2>&1; then [ $m = $rt ] && { echo ""OSM-SVC $i nomgr $rt""; return; }; continue; fi
      for c in ""$k"" ""$n""; do
        if p=$($rt inspect --type container -f '{{.State.Pid}}' -- ""$c"" 2>/dev/null); then echo ""OSM-SVC $i $rt $c ${p:-0}""; return; fi
      done
    done ;;
  esac
  case $m in auto|crm|pcs)
    t=$m
    if [ $m = auto ]; then
      if command -v crm >/dev/null 2>&1; then t=crm; elif command -v pcs >/dev/null 2>&1; then t=pcs; else t=; fi
    elif ! command -v $m >/dev/null 2>&1 || ! command -v crm_resource >/dev/null 2>&1; then echo ""OSM-SVC $i nomgr $m""; return
    fi
    if [ -n ""$t"" ] && command -v crm_resource >/dev/null 2>&1; then
      for r in ""$n"" ""p_$n"" ""p_$k"" ""$n-bundle"" ""$n-clone"" ""openstack-$n"" ""$n-master""; do
        if crm_resource --resource ""$r"" --locate >/dev/null 2>&1; then
          f=$(crm_resource --resource ""$r"" --get-parameter pidfile 2>/dev/null); p=
          [ -n ""$f"" ] && p=$(cat -- ""$f"" 2>/dev/null)
          echo ""OSM-SVC $i $t $r ${p:-0}""; return
        fi
      done
    fi ;;
  esac
  case $m in auto|systemd)
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      if [ ""$(systemctl show -p LoadState --value -- ""$n.service"" 2>/dev/null)"" = loaded ]; then
        echo ""OSM-SVC $i systemd $n $(systemctl show -p MainPID --value -- ""$n.service"")""; return
      fi
    elif [ $m = systemd ]; then echo ""OSM-SVC $i nomgr systemd""; return
    fi ;;
  esac
  echo ""OSM-SVC $i none""
}
";

        /// <summary>Finds how each of <paramref name="names"/> runs on the node, in one round trip. A name that cannot be found gives an error with its id.</summary>
        public static async Task<IReadOnlyList<(string Name, ResolvedService? Service, OpenStackMigrationException? Error)>> ResolveAsync(
            INodeSession node, IReadOnlyList<string> names, ServiceManager manager, string? pidFile, CancellationToken cancellationToken)
        {
            var results = new List<(string, ResolvedService?, OpenStackMigrationException?)>();
            if (manager == ServiceManager.Signal)
            {
                if (pidFile == null)
                {
                    throw new OpenStackMigrationException("OSPidFileRequired", FailureKind.InvalidArgument, "-Manager Signal needs -PidFile (the master process's pid file).");
                }

                var r = await node.RunScriptAsync("p=$(cat -- " + NodeFiles.Quote(pidFile) + " 2>/dev/null) && kill -0 \"$p\" 2>/dev/null && echo \"OSM-PID $p\"", cancellationToken).ConfigureAwait(false);
                int? pid = ParsePid(r.StdOut, "OSM-PID ");
                foreach (var name in names)
                {
                    results.Add(pid == null
                        ? (name, null, new OpenStackMigrationException("OSServiceNotFound", FailureKind.NotFound, $"{node.ComputerName}: no running process in the pid file {pidFile} for '{name}'.") { Target = name })
                        : (name, new ResolvedService { Requested = name, Manager = ServiceManager.Signal, Name = name, ProcessId = pid }, null));
                }

                return results;
            }

            var script = new StringBuilder(ResolveFunction);
            string m = manager == ServiceManager.Auto ? "auto" : manager.ToString().ToLowerInvariant();
            for (int i = 0; i < names.Count; i++)
            {
                script.Append("osm_resolve ").Append(i.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(m).Append(' ').Append(NodeFiles.Quote(names[i])).Append('\n');
            }

            var run = await node.RunScriptAsync(script.ToString(), cancellationToken).ConfigureAwait(false);
            var lines = run.StdOut.Split('\n').Where(l => l.StartsWith("OSM-SVC ", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')).ToList();
            for (int i = 0; i < names.Count; i++)
            {
                var f = lines.FirstOrDefault(l => l.Length >= 3 && l[1] == i.ToString(CultureInfo.InvariantCulture));
                results.Add(Interpret(node.ComputerName, names[i], manager, f));
            }

            return results;
        }

        private static (string, ResolvedService?, OpenStackMigrationException?) Interpret(string computer, string name, ServiceManager asked, string[]? f)
        {
            if (f != null && f.Length >= 4 && Enum.TryParse(f[2], true, out ServiceManager found))
            {
                int.TryParse(f.Length > 4 ? f[4] : "0", NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid);
                return (name, new ResolvedService { Requested = name, Manager = found, Name = f[3], ProcessId = pid > 0 ? pid : (int?)null }, null);
            }

            if (f != null && f.Length >= 4 && f[2] == "nomgr")
            {
                return (name, null, new OpenStackMigrationException("OSServiceManagerNotInstalled", FailureKind.NotSupported,
                    $"{computer}: -Manager {asked} was asked for '{name}', but {ManagerTool(f[3])} is not installed there (or, for systemd, systemd is not running as the init system). Use -Manager Auto to find how it runs.") { Target = name });
            }

            string where = asked == ServiceManager.Auto ? "neither a container (docker, podman), a pacemaker resource (also tried p_, -bundle, -clone) nor a systemd unit" : $"not known to {asked}";
            return (name, null, new OpenStackMigrationException("OSServiceNotFound", FailureKind.NotFound,
                $"{computer}: '{name}' is {where} on this node. Check the name, or choose -Manager (Signal with -PidFile for a haproxy -W started by hand).") { Target = name });
        }

        private static string ManagerTool(string manager) => manager switch
        {
            "crm" => "crmsh (crm) with pacemaker's crm_resource",
            "pcs" => "pcs with pacemaker's crm_resource",
            _ => manager,
        };

        /// <summary>The command that restarts (or reloads) a service under its manager; pacemaker's and podman's wait until the start is done.</summary>
        public static string Command(ServiceManager manager, string name, bool reload, string? pidFile, string signal)
        {
            string q = NodeFiles.Quote(name);
            switch (manager)
            {
                case ServiceManager.Systemd: return (reload ? "systemctl reload -- " : "systemctl restart -- ") + q;
                case ServiceManager.Crm: return "crm -w resource restart " + q;
                case ServiceManager.Pcs: return "pcs resource restart " + q + " --wait=120";
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

        /// <summary>The shell that asks the manager how the service is now (read by <see cref="ParseProbe"/>).</summary>
        public static string ProbeScript(ResolvedService service, string? pidFile)
        {
            string q = NodeFiles.Quote(service.Name);
            return service.Manager switch
            {
                ServiceManager.Systemd => "systemctl show -p ActiveState -p SubState -p MainPID -p Result -- " + q,
                ServiceManager.Crm or ServiceManager.Pcs => "PATH=$PATH:/usr/sbin:/sbin\nf=$(crm_resource --resource " + q + " --get-parameter pidfile 2>/dev/null); p=\n" +
                    "[ -n \"$f\" ] && p=$(cat -- \"$f\" 2>/dev/null)\necho \"OSM-PID ${p:-0}\"\ncrm_mon -1 --output-as=xml",
                ServiceManager.Docker or ServiceManager.Podman => (service.Manager == ServiceManager.Docker ? "docker" : "podman") +
                    " inspect --type container -f 'OSM-CT {{.State.Status}} {{.State.ExitCode}} {{.State.Pid}}' -- " + q,
                ServiceManager.Signal => "p=$(cat -- " + NodeFiles.Quote(pidFile ?? "/dev/null") + " 2>/dev/null); if kill -0 \"$p\" 2>/dev/null; then echo \"OSM-PID $p\"; else echo 'OSM-PID 0'; fi",
                _ => throw new ArgumentOutOfRangeException(nameof(service)),
            };
        }

        /// <summary>Reads a probe's output: healthy, still changing, or failed; the main process and a short state.</summary>
        public static (ServiceHealth Health, int? ProcessId, string State) ParseProbe(ResolvedService service, string output)
        {
            switch (service.Manager)
            {
                case ServiceManager.Systemd:
                {
                    var v = output.Split('\n').Select(l => l.Trim()).Where(l => l.Contains('=')).ToDictionary(l => l.Substring(0, l.IndexOf('=')), l => l.Substring(l.IndexOf('=') + 1));
                    v.TryGetValue("ActiveState", out var active);
                    v.TryGetValue("SubState", out var sub);
                    v.TryGetValue("Result", out var result);
                    int? pid = v.TryGetValue("MainPID", out var p) && int.TryParse(p, out int n) && n > 0 ? n : (int?)null;
                    string state = $"{active} ({sub})" + (result != null && result != "success" ? ", result " + result : string.Empty);
                    return (active switch
                    {
                        "active" or "reloading" when sub != "exited" || pid != null => ServiceHealth.Healthy,
                        "activating" or "deactivating" or "reloading" => ServiceHealth.Pending,
                        _ => ServiceHealth.Failed,
                    }, pid, state);
                }

                case ServiceManager.Crm:
                case ServiceManager.Pcs:
                    return ParseCrmMon(service.Name, output);

                case ServiceManager.Docker:
                case ServiceManager.Podman:
                {
                    var f = output.Split('\n').FirstOrDefault(l => l.StartsWith("OSM-CT ", StringComparison.Ordinal))?.Trim().Split(' ');
                    if (f == null || f.Length < 4) return (ServiceHealth.Failed, null, "not found");
                    int? pid = int.TryParse(f[3], out int n) && n > 0 ? n : (int?)null;
                    string state = f[1] == "running" ? "running" : $"{f[1]} {f[2]}";
                    return (f[1] switch
                    {
                        "running" => ServiceHealth.Healthy,
                        // Podman's "stopped": the process has ended and the clean-up that records how ("exited N")
                        // is still running; a restart's probe seen there waits for the verdict instead of "stopped 0".
                        "created" or "restarting" or "starting" or "stopping" or "stopped" => ServiceHealth.Pending,
                        _ => ServiceHealth.Failed,
                    }, pid, state);
                }

                default:
                {
                    int? pid = ParsePid(output, "OSM-PID ");
                    return (pid == null ? ServiceHealth.Failed : ServiceHealth.Healthy, pid, pid == null ? "not running" : "running");
                }
            }
        }

        /// <summary>
        /// Reads crm_mon's XML: the resource (or every instance of a clone or bundle) must be Started and not failed;
        /// a failed start, or Stopped with a start failure recorded, is a failure (crm and pcs exit 0 in that case).
        /// </summary>
        internal static (ServiceHealth, int?, string) ParseCrmMon(string resource, string output)
        {
            int? pid = ParsePid(output, "OSM-PID ");
            int at = output.IndexOf("<pacemaker-result", StringComparison.Ordinal);
            if (at < 0) at = output.IndexOf("<?xml", StringComparison.Ordinal);
            if (at < 0) return (ServiceHealth.Failed, pid, "crm_mon gave no status: " + Short(output));
            XDocument doc;
            try
            {
                doc = XDocument.Parse(output.Substring(at));
            }
            catch (System.Xml.XmlException)
            {
                return (ServiceHealth.Pending, pid, "crm_mon's status could not be read");
            }

            var owners = doc.Descendants().Where(e => (e.Name.LocalName == "clone" || e.Name.LocalName == "bundle" || e.Name.LocalName == "group") && (string?)e.Attribute("id") == resource).ToList();
            var resources = owners.Count > 0
                ? owners.SelectMany(o => o.Descendants("resource")).ToList()
                : doc.Descendants("resource").Where(e => (string?)e.Attribute("id") == resource).ToList();
            if (resources.Count == 0) return (ServiceHealth.Failed, pid, $"{resource} is not in crm_mon's status");

            var roles = resources.Select(r => (string?)r.Attribute("role") ?? "?").ToList();
            string state = string.Join(", ", roles.Distinct());
            var ids = new HashSet<string>(resources.Select(r => (string?)r.Attribute("id") ?? string.Empty).Append(resource));
            // A failure's op_key is "<resource>_<task>_<interval>"; resource ids may hold underscores themselves.
            var failures = doc.Descendants("failure").Where(f => ids.Any(id => ((string?)f.Attribute("op_key") ?? string.Empty).StartsWith(id + "_", StringComparison.Ordinal))).ToList();
            bool failed = resources.Any(r => (string?)r.Attribute("failed") == "true");
            if (!failed && roles.All(r => r == "Started" || r == "Promoted" || r == "Unpromoted" || r == "Master" || r == "Slave")) return (ServiceHealth.Healthy, pid, state);

            var startFailure = failures.FirstOrDefault(f => (string?)f.Attribute("task") == "start");
            if (startFailure != null || failed)
            {
                string reason = (string?)startFailure?.Attribute("exitreason") ?? string.Empty;
                string why = startFailure == null ? "failed" : "start failed (" + ((string?)startFailure.Attribute("exitstatus") ?? "error") + (reason.Length > 0 ? ": " + reason : string.Empty) + ")";
                return (ServiceHealth.Failed, pid, $"{state}; {why}");
            }

            return (ServiceHealth.Pending, pid, state);
        }

        private static int? ParsePid(string output, string marker)
        {
            var line = output.Split('\n').FirstOrDefault(l => l.StartsWith(marker, StringComparison.Ordinal));
            return line != null && int.TryParse(line.Substring(marker.Length).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : (int?)null;
        }

        private static string Short(string text)
        {
            text = text.Replace('\n', ' ').Trim();
            return text.Length > 200 ? text.Substring(0, 200) + "..." : text;
        }

        /// <summary>What to do when a restart left the service down: the manager's own way to see why and to recover.</summary>
        public static string NextStep(ResolvedService service, string? restore)
        {
            string q = NodeFiles.Quote(service.Name);
            string first = restore == null ? string.Empty : restore + ", then ";
            return service.Manager switch
            {
                ServiceManager.Crm => $"see 'crm resource status {service.Name}' and the resource's log; {first}run 'crm resource cleanup {q}' so pacemaker starts it again.",
                ServiceManager.Pcs => $"see 'pcs resource status {service.Name}'; {first}run 'pcs resource cleanup {q}' so pacemaker starts it again.",
                ServiceManager.Systemd => $"see 'journalctl -u {service.Name} -n 50'; {first}run 'systemctl restart {q}'.",
                ServiceManager.Docker or ServiceManager.Podman => $"see '{service.Manager.ToString().ToLowerInvariant()} logs --tail 50 {q}'; {first}run '{service.Manager.ToString().ToLowerInvariant()} start {q}'.",
                _ => $"{first}start it again.",
            };
        }

        /// <summary>The validation command for haproxy.cfg (the haproxy binary must be on the node).</summary>
        public static string HAProxyValidator(string file) =>
            "PATH=$PATH:/usr/sbin:/sbin; if command -v haproxy >/dev/null 2>&1; then haproxy -c -f " + file +
            "; else echo 'haproxy is not installed on the node, so the file cannot be validated'; false; fi";
    }
}
