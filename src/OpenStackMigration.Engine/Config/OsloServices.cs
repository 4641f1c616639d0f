using System;
using System.Collections.Generic;
using System.Linq;

namespace OpenStackMigration.Config
{
    /// <summary>An oslo.config option we read or change, and what it means for live migration.</summary>
    public sealed class OsloOption
    {
        internal OsloOption(string name, bool isBool, string defaultValue, string role, string section = OsloIniDocument.DefaultSection)
        {
            Name = name;
            IsBool = isBool;
            Default = defaultValue;
            Role = role;
            Section = section;
        }

        /// <summary>The option name.</summary>
        public string Name { get; }

        /// <summary>Its section (DEFAULT for every option we change).</summary>
        public string Section { get; }

        /// <summary>True for a BoolOpt, false for an IntOpt.</summary>
        public bool IsBool { get; }

        /// <summary>The default when nothing sets it.</summary>
        public string Default { get; }

        /// <summary>What it does for live migration.</summary>
        public string Role { get; }

        /// <summary>The environment variable that beats every file (oslo.config's environment source).</summary>
        public string EnvironmentVariable => "OS_" + Section.ToUpperInvariant() + "__" + Name.ToUpperInvariant();
    }

    /// <summary>What we know about the nova and cinder services and their options.</summary>
    public static class OsloServices
    {
        /// <summary>rpc_response_timeout as Nova uses it since Rocky.</summary>
        public static readonly OsloOption NovaRpcResponseTimeout = new OsloOption("rpc_response_timeout", false, "60",
            "Nova: timeout of ordinary RPC calls; for live migration calls only the heartbeat interval (long_rpc_timeout is their timeout since Rocky).");

        /// <summary>long_rpc_timeout, Nova only.</summary>
        public static readonly OsloOption NovaLongRpcTimeout = new OsloOption("long_rpc_timeout", false, "1800",
            "Nova: timeout of long-running RPC calls, the live migration calls included (since Rocky). This is the one that matters for live migration.");

        /// <summary>rpc_response_timeout as Cinder uses it.</summary>
        public static readonly OsloOption CinderRpcResponseTimeout = new OsloOption("rpc_response_timeout", false, "60",
            "Cinder: timeout of every RPC call, the volume attachment calls of a live migration included. Cinder has no long_rpc_timeout.");

        /// <summary>host (Nova): the name the service reports to Nova under; its default is the machine's host name.</summary>
        public static readonly OsloOption NovaHost = new OsloOption("host", false, string.Empty, "Nova: the host name this service reports under.");

        /// <summary>[service_user] send_service_user_token (Nova): send a service token with the user's, so a call made after the user's token expired is still accepted.</summary>
        public static readonly OsloOption NovaSendServiceUserToken = new OsloOption("send_service_user_token", true, "false",
            "Nova: with it, calls nova makes to Cinder, Neutron and Glance on a user's behalf carry nova's own service token too, and are accepted after the user's token expired.",
            "service_user");

        /// <summary>[token] expiration (Keystone): how long a token is valid, in seconds.</summary>
        public static readonly OsloOption KeystoneTokenExpiration = new OsloOption("expiration", false, "3600",
            "Keystone: seconds a token stays valid after it is issued.", "token");

        /// <summary>debug (oslo.log).</summary>
        public static readonly OsloOption Debug = new OsloOption("debug", true, "false", "Logs at DEBUG level (oslo.log).");

        /// <summary>The daemons of each project whose configuration we follow.</summary>
        public static IReadOnlyDictionary<string, string[]> Daemons => DaemonTable;

        /// <summary>Tests add a project of their own here so that services running on the machine do not interfere.</summary>
        internal static readonly Dictionary<string, string[]> DaemonTable = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase)
        {
            ["nova"] = new[] { "nova-compute", "nova-conductor", "nova-scheduler", "nova-api", "nova-api-metadata", "nova-novncproxy", "nova-spicehtml5proxy", "nova-serialproxy" },
            ["cinder"] = new[] { "cinder-volume", "cinder-scheduler", "cinder-api", "cinder-backup" },
        };

        /// <summary>The options Get-OSRpcTimeout reports for a project.</summary>
        public static IReadOnlyList<OsloOption> RpcOptions(string project) =>
            project.Equals("nova", StringComparison.OrdinalIgnoreCase)
                ? new[] { NovaRpcResponseTimeout, NovaLongRpcTimeout }
                : new[] { CinderRpcResponseTimeout };

        /// <summary>Looks an option up by name for a project.</summary>
        public static OsloOption Option(string project, string name)
        {
            var found = RpcOptions(project).Concat(new[] { Debug }).FirstOrDefault(o => o.Name == name);
            return found ?? throw new OpenStackMigrationException("OSUnknownOption", FailureKind.InvalidArgument,
                $"{project} has no option '{name}' that this module manages.");
        }

        /// <summary>The main configuration file of a project, such as /etc/nova/nova.conf.</summary>
        public static string MainFile(string project) => $"/etc/{project}/{project}.conf";
    }

    /// <summary>One place oslo.config reads configuration from, in order.</summary>
    public sealed class ConfigSource
    {
        private ConfigSource(string kind, IReadOnlyList<string> paths)
        {
            Kind = kind;
            Paths = paths;
        }

        /// <summary>File (must exist), FirstOf (the first existing candidate, or nothing), or Dir (its *.conf, sorted).</summary>
        public string Kind { get; }

        /// <summary>The path, or the candidates.</summary>
        public IReadOnlyList<string> Paths { get; }

        internal static ConfigSource File(string path) => new ConfigSource("File", new[] { path });

        internal static ConfigSource FirstOf(IEnumerable<string> candidates) => new ConfigSource("FirstOf", candidates.ToList());

        internal static ConfigSource Dir(string path) => new ConfigSource("Dir", new[] { path });

        internal static ConfigSource FirstDirOf(IEnumerable<string> candidates) => new ConfigSource("FirstDirOf", candidates.ToList());

        /// <summary>
        /// The sources in the order oslo.config 9.0 reads them for a program started with <paramref name="args"/>:
        /// the default files ([project].conf, [prog].conf) unless --config-file was given, then the default
        /// folders ([project].conf.d, [prog].conf.d) unless --config-dir was given, then the command line's
        /// --config-file and --config-dir in their order. Later sources win.
        /// </summary>
        public static IReadOnlyList<ConfigSource> Resolve(string project, string prog, IReadOnlyList<string> args, string? home)
        {
            var explicitSources = new List<ConfigSource>();
            bool hasFile = false, hasDir = false;
            for (int i = 0; i < args.Count; i++)
            {
                foreach (var (flag, isFile) in new[] { ("--config-file", true), ("--config-dir", false) })
                {
                    string? value = null;
                    if (args[i] == flag && i + 1 < args.Count) value = args[++i];
                    else if (args[i].StartsWith(flag + "=", StringComparison.Ordinal)) value = args[i].Substring(flag.Length + 1);
                    if (value == null) continue;
                    explicitSources.Add(isFile ? File(value) : Dir(value));
                    hasFile |= isFile;
                    hasDir |= !isFile;
                    break;
                }
            }

            var dirs = new List<string>();
            if (home != null)
            {
                dirs.Add(home.TrimEnd('/') + "/." + project);
                dirs.Add(home.TrimEnd('/'));
            }

            dirs.Add("/etc/" + project);
            dirs.Add("/etc");
            var names = prog == project ? new[] { project } : new[] { project, prog };
            var sources = new List<ConfigSource>();
            if (!hasFile)
            {
                sources.AddRange(names.Select(n => FirstOf(dirs.Select(d => d + "/" + n + ".conf"))));
            }

            if (!hasDir)
            {
                sources.AddRange(names.Select(n => FirstDirOf(dirs.Select(d => d + "/" + n + ".conf.d"))));
            }

            sources.AddRange(explicitSources);
            return sources;
        }
    }
}
