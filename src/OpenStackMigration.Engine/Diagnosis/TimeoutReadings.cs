using System.Collections.Generic;
using OpenStackMigration.Model;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>One haproxy proxy that fronts an OpenStack API, with the timeouts that govern it.</summary>
    public sealed class HAProxyProxyReading
    {
        /// <summary>The node.</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>The haproxy configuration file.</summary>
        public string Path { get; set; } = string.Empty;

        /// <summary>"listen nova_api", or "frontend nova_front -> backend nova_api".</summary>
        public string Proxy { get; set; } = string.Empty;

        /// <summary>The section whose 'timeout server' counts (a listen or backend), by name, for Set-OSHAProxyTimeout -Proxy.</summary>
        public string ServerSection { get; set; } = string.Empty;

        /// <summary>The API it fronts: nova, cinder, keystone, placement, glance or neutron.</summary>
        public string Api { get; set; } = string.Empty;

        /// <summary>'timeout server' as written, or null when unset (haproxy then never times out the server).</summary>
        public string? ServerValue { get; set; }

        /// <summary>'timeout server' in milliseconds, or null when unset or invalid.</summary>
        public long? ServerMilliseconds { get; set; }

        /// <summary>Where 'timeout server' is set ("file:line (section)"), or "unset".</summary>
        public string ServerSource { get; set; } = string.Empty;

        /// <summary>'timeout client' as written, or null when unset.</summary>
        public string? ClientValue { get; set; }

        /// <summary>'timeout client' in milliseconds, or null when unset or invalid.</summary>
        public long? ClientMilliseconds { get; set; }

        /// <summary>Where 'timeout client' is set, or "unset".</summary>
        public string ClientSource { get; set; } = string.Empty;
    }

    /// <summary>Everything the timeout-chain rules look at, read from the nodes (or made up by a test).</summary>
    public sealed class TimeoutChainReadings
    {
        /// <summary>The nodes audited, as named (empty or "localhost" alone: this machine), for the fix commands.</summary>
        public List<string> Nodes { get; } = new List<string>();

        /// <summary>Parameters the fix commands need besides -ComputerName (such as " -UserName root -KeyFilePath ~/.ssh/id"); never a secret.</summary>
        public string FixArguments { get; set; } = string.Empty;

        /// <summary>Parameters only Set-OSMigrationTimeout takes (such as " -HAProxyPath /etc/lb/haproxy.cfg").</summary>
        public string SetMigrationTimeoutArguments { get; set; } = string.Empty;

        /// <summary>Every proxy that fronts an OpenStack API, on every node.</summary>
        public List<HAProxyProxyReading> Proxies { get; } = new List<HAProxyProxyReading>();

        /// <summary>Nova's rpc_response_timeout, one per service (and node).</summary>
        public List<OSConfigSetting> NovaRpc { get; } = new List<OSConfigSetting>();

        /// <summary>Nova's long_rpc_timeout, one per service (and node).</summary>
        public List<OSConfigSetting> NovaLongRpc { get; } = new List<OSConfigSetting>();

        /// <summary>Cinder's rpc_response_timeout, one per service (and node).</summary>
        public List<OSConfigSetting> CinderRpc { get; } = new List<OSConfigSetting>();

        /// <summary>Nova's [service_user] send_service_user_token, one per service (and node).</summary>
        public List<OSConfigSetting> ServiceUserToken { get; } = new List<OSConfigSetting>();

        /// <summary>Keystone's [token] expiration, one per node that has keystone.conf.</summary>
        public List<OSConfigSetting> TokenExpiration { get; } = new List<OSConfigSetting>();
    }
}
