using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Config
{
    /// <summary>One file a service reads, parsed (or why it could not be).</summary>
    public sealed class ReadFile
    {
        internal ReadFile(NodeFile file, OsloIniDocument? document, OpenStackMigrationException? error)
        {
            File = file;
            Document = document;
            Error = error;
        }

        /// <summary>The file as read.</summary>
        public NodeFile File { get; }

        /// <summary>The parsed document, or null.</summary>
        public OsloIniDocument? Document { get; }

        /// <summary>Why the file is unusable, or null.</summary>
        public OpenStackMigrationException? Error { get; }
    }

    /// <summary>What one service program on a node reads: its process, environment and files in order.</summary>
    public sealed class ServiceConfigView
    {
        /// <summary>nova or cinder.</summary>
        public string Project { get; internal set; } = string.Empty;

        /// <summary>The program (nova-compute...), or the project when no process runs.</summary>
        public string Service { get; internal set; } = string.Empty;

        /// <summary>The process the arguments came from, if one runs.</summary>
        public int? ProcessId { get; internal set; }

        /// <summary>
        /// "/proc/PID/root" when the process runs in a mount namespace of its own (a container, as Kolla runs
        /// services): the files it reads are read through that path, so the values are the ones it sees.
        /// </summary>
        public string? ContainerRoot { get; internal set; }

        /// <summary>Kolla's folder for this service on the node (/etc/kolla/[service]), when there is one.</summary>
        public string? KollaConfigDir { get; internal set; }

        /// <summary>The OS_DEFAULT__* variables (only those we manage), OS_SERVICE_USER__SEND_SERVICE_USER_TOKEN and HOME of the process.</summary>
        public Dictionary<string, string> Environment { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

        /// <summary>The files in the order the service reads them.</summary>
        public List<ReadFile> Files { get; } = new List<ReadFile>();
    }

    /// <summary>Finds which files (and environment) a nova or cinder service reads on a node and what value wins.</summary>
    public static class OsloConfigReader
    {
        private const string Managed = "RPC_RESPONSE_TIMEOUT|LONG_RPC_TIMEOUT|DEBUG";

        /// <summary>
        /// Reads the configuration of every running daemon of <paramref name="project"/> on the node (learning
        /// its --config-file/--config-dir arguments and environment from /proc), or, when none runs, the files
        /// oslo.config reads by default. <paramref name="configFiles"/> replaces the command line arguments.
        /// Two round trips whatever the number of files.
        /// </summary>
        public static async Task<List<ServiceConfigView>> ReadAsync(INodeSession node, string project, IReadOnlyList<string>? configFiles, CancellationToken cancellationToken)
        {
            // One scan of the process table for all the project's programs (a compute node may run thousands of
            // processes; one pgrep per program scanned them all each time). A process whose parent matched too is one
            // of its workers, sharing its command line and environment (whatever their pids: after the pid counter
            // wraps, a worker can have a lower pid than its parent); any other is a daemon of its own (a containerised
            // nova-compute beside a packaged one, several computes on one test machine).
            var programs = OsloServices.Daemons[project];
            var probe = new StringBuilder("LC_ALL=C; export LC_ALL\nosm_ns=$(readlink /proc/self/ns/mnt 2>/dev/null)\n");
            probe.Append("osm_list=$(pgrep -a -f ").Append(NodeFiles.Quote("(^|[ /'\"])(" + string.Join("|", programs) + ")([ '\"]|$)")).Append(" 2>/dev/null)\n")
                 .Append("osm_all=\" $(printf '%s\\n' \"$osm_list\" | cut -d' ' -f1 | tr '\\n' ' ')\"\n")
                 .Append("printf '%s\\n' \"$osm_list\" | while read -r pid args; do\n  [ -n \"$pid\" ] || continue\n  for prog in ").Append(string.Join(" ", programs)).Append("; do\n")
                 .Append("    case \"$args\" in \"$prog\"|\"$prog\"[\\ \\'\\\"]*|*[/\\ \\'\\\"]\"$prog\"|*[/\\ \\'\\\"]\"$prog\"[\\ \\'\\\"]*) ;; *) continue ;; esac\n")
                 .Append("    [ -r /proc/$pid/cmdline ] || continue\n")
                 .Append("    ppid=$(sed 's/^.*) [A-Za-z] //; s/ .*//' /proc/$pid/stat 2>/dev/null)\n")
                 .Append("    case \"$osm_all\" in *\" $ppid \"*) break ;; esac\n")
                 .Append("    printf 'OSM-PROC %s %s\\n' \"$prog\" \"$pid\"\n")
                 .Append("    ns=$(readlink /proc/$pid/ns/mnt 2>/dev/null) && [ -n \"$ns\" ] && [ \"$ns\" != \"$osm_ns\" ] && echo 'OSM-CONTAINER'\n")
                 .Append("    [ -d \"/etc/kolla/$prog\" ] && printf 'OSM-KOLLA /etc/kolla/%s\\n' \"$prog\"\n")
                 .Append("    tr '\\000' '\\n' < /proc/$pid/cmdline | sed 's/^/OSM-ARG /'\n")
                 .Append("    tr '\\000' '\\n' < /proc/$pid/environ 2>/dev/null | grep -E '^(OS_DEFAULT__(").Append(Managed).Append(")|OS_SERVICE_USER__SEND_SERVICE_USER_TOKEN|HOME)=' | sed 's/^/OSM-ENV /'\n")
                 .Append("    break\n  done\ndone\n");

            var probed = await node.RunScriptAsync(probe.ToString(), cancellationToken).ConfigureAwait(false);
            var views = new List<(ServiceConfigView View, List<string> Args)>();
            foreach (var line in probed.StdOut.Split('\n'))
            {
                if (line.StartsWith("OSM-PROC ", StringComparison.Ordinal))
                {
                    var f = line.Split(' ');
                    views.Add((new ServiceConfigView { Project = project, Service = f[1], ProcessId = int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture) }, new List<string>()));
                }
                else if (line == "OSM-CONTAINER" && views.Count > 0)
                {
                    var view = views[views.Count - 1].View;
                    view.ContainerRoot = "/proc/" + view.ProcessId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/root";
                }
                else if (line.StartsWith("OSM-KOLLA ", StringComparison.Ordinal) && views.Count > 0)
                {
                    views[views.Count - 1].View.KollaConfigDir = line.Substring(10);
                }
                else if (line.StartsWith("OSM-ARG ", StringComparison.Ordinal) && views.Count > 0)
                {
                    views[views.Count - 1].Args.Add(line.Substring(8));
                }
                else if (line.StartsWith("OSM-ENV ", StringComparison.Ordinal) && views.Count > 0)
                {
                    string kv = line.Substring(8);
                    int eq = kv.IndexOf('=');
                    views[views.Count - 1].View.Environment[kv.Substring(0, eq)] = kv.Substring(eq + 1);
                }
            }

            if (configFiles != null)
            {
                // Files named by the caller are read as they are on the node, even for a containerised service.
                var single = new ServiceConfigView { Project = project, Service = views.Count > 0 ? views[0].View.Service : project, ProcessId = views.FirstOrDefault().View?.ProcessId };
                foreach (var kv in views.GroupBy(v => v.View.Service).Select(g => g.First()).SelectMany(v => v.View.Environment)) single.Environment[kv.Key] = kv.Value;
                views = new List<(ServiceConfigView, List<string>)> { (single, configFiles.SelectMany(c => new[] { "--config-file", c }).ToList()) };
            }
            else if (views.Count == 0)
            {
                views.Add((new ServiceConfigView { Project = project, Service = project }, new List<string>()));
            }

            var read = new StringBuilder(NodeFiles.EmitFunction);
            read.Append("osm_first() { for c in \"$@\"; do if [ -e \"$c\" ]; then osm_emit \"$c\"; return; fi; done; }\n")
                .Append("osm_dir() { [ -d \"$1\" ] || { printf 'OSM-FILE %s\\nOSM-ERR missing\\n' \"$1\"; return; }; for f in \"$1\"/*.conf; do [ -e \"$f\" ] && osm_emit \"$f\"; done; }\n")
                .Append("osm_firstdir() { for c in \"$@\"; do if [ -d \"$c\" ]; then osm_dir \"$c\"; return; fi; done; }\n")
                .Append("osm_any() { if [ -d \"$1\" ]; then osm_dir \"$1\"; else osm_emit \"$1\"; fi; }\n");
            foreach (var (view, args) in views)
            {
                view.Environment.TryGetValue("HOME", out var home);
                read.Append("echo 'OSM-VIEW'\n");
                foreach (var source in ConfigSource.Resolve(project, view.Service, args, home))
                {
                    // A folder named with -ConfigFile is read as oslo.config reads a --config-dir: its *.conf in order.
                    string fn = source.Kind switch { "File" => configFiles != null ? "osm_any" : "osm_emit", "FirstOf" => "osm_first", "Dir" => "osm_dir", _ => "osm_firstdir" };
                    read.Append(fn).Append(' ').Append(string.Join(" ", source.Paths.Select(p => NodeFiles.Quote((view.ContainerRoot ?? string.Empty) + p)))).Append('\n');
                }
            }

            var result = await node.RunScriptAsync(read.ToString(), cancellationToken).ConfigureAwait(false);
            var chunks = result.StdOut.Split(new[] { "OSM-VIEW\n" }, StringSplitOptions.None).Skip(1).ToList();
            for (int i = 0; i < views.Count && i < chunks.Count; i++)
            {
                foreach (var file in NodeFiles.ParseFiles(chunks[i], node.ComputerName))
                {
                    views[i].View.Files.Add(Parse(file));
                }
            }

            return views.Select(v => v.View).ToList();
        }

        /// <summary>Parses a file read from a node; a read or parse failure is kept on the result, not thrown.</summary>
        public static ReadFile Parse(NodeFile file)
        {
            if (file.Error != null || file.Content == null)
            {
                return new ReadFile(file, null, file.Error);
            }

            try
            {
                return new ReadFile(file, OsloIniDocument.Parse(file.Content, file.Path), null);
            }
            catch (OpenStackMigrationException ex)
            {
                return new ReadFile(file, null, ex);
            }
        }

        /// <summary>
        /// The value <paramref name="view"/>'s service sees for <paramref name="option"/>: the environment variable
        /// beats every file; among files the last assignment in the option's section wins; else the default.
        /// <paramref name="substitute"/> replaces a file's document (to evaluate a planned edit).
        /// </summary>
        public static OSConfigSetting Evaluate(ServiceConfigView view, OsloOption option, string computerName, string? substitutePath = null, OsloIniDocument? substitute = null)
        {
            var setting = new OSConfigSetting
            {
                ComputerName = computerName,
                Service = view.Service,
                Setting = option.Name,
                Role = option.Role,
                ProcessId = view.ProcessId,
                ConfigFiles = view.Files.Where(f => f.Error == null).Select(f => f.File.Path).ToArray(),
            };
            var occurrences = new List<string>();
            OsloEntry? winner = null;
            string? winnerPath = null;
            var errors = new List<string>();
            foreach (var file in view.Files)
            {
                var doc = substitutePath != null && (file.File.Path == substitutePath || file.File.ResolvedPath == substitutePath) ? substitute : file.Document;
                if (doc == null)
                {
                    // A folder or first-found default that does not exist is normal; anything else stops the service.
                    if (file.Error != null) errors.Add(file.Error.Message);
                    continue;
                }

                foreach (var e in doc.FindAll(option.Section, option.Name))
                {
                    occurrences.Add($"{file.File.Path}:{e.LineNumber} = {e.Value}");
                    winner = e;
                    winnerPath = file.File.Path;
                }
            }

            setting.Occurrences = occurrences.ToArray();
            if (errors.Count > 0)
            {
                setting.Error = string.Join(" ", errors);
            }

            if (view.Environment.TryGetValue(option.EnvironmentVariable, out var env))
            {
                setting.Value = env;
                setting.Source = option.EnvironmentVariable;
            }
            else if (winner != null)
            {
                setting.Value = winner.Value;
                setting.Source = winnerPath!;
                setting.Path = winnerPath;
                setting.LineNumber = winner.LineNumber;
            }
            else
            {
                setting.Value = null;
                setting.Source = "default";
            }

            string effective = setting.Value ?? option.Default;
            if (option.IsBool)
            {
                setting.Valid = OsloValue.TryParseBool(effective, out bool on);
                setting.Enabled = setting.Valid ? on : (bool?)null;
            }
            else
            {
                setting.Valid = OsloValue.TryParseInt(effective, out long? seconds);
                setting.Seconds = seconds;
            }

            return setting;
        }
    }
}
