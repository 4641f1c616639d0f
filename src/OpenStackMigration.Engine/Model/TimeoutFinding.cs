namespace OpenStackMigration.Model
{
    /// <summary>How bad a finding of the timeout-chain audit is.</summary>
    public enum FindingSeverity
    {
        /// <summary>The check passed (shown with -IncludePassed).</summary>
        OK,

        /// <summary>Worth knowing; nothing breaks because of it on its own (shown with -IncludePassed).</summary>
        Info,

        /// <summary>Can make a migration fail in a case you may well meet (a long migration, a slow node).</summary>
        Warning,

        /// <summary>Makes calls fail, or makes a failure look like something else, as configured now.</summary>
        Error,
    }

    /// <summary>
    /// One finding of Test-OSMigrationTimeout: one setting on one node (or one proxy), the rule it was checked against,
    /// why the rule matters and how to fix it. ComputerName and Seconds bind by property name to Set-OSMigrationTimeout.
    /// </summary>
    public sealed class OSTimeoutFinding
    {
        /// <summary>HAProxy, Nova, Cinder or Keystone.</summary>
        public string Layer { get; set; } = string.Empty;

        /// <summary>The node the value was read on, as it was named (host, or host:port for SSH on another port; localhost for this machine).</summary>
        public string ComputerName { get; set; } = string.Empty;

        /// <summary>What the value belongs to: a service program (nova-compute...), a haproxy proxy ("listen nova_api"), or keystone.</summary>
        public string Service { get; set; } = string.Empty;

        /// <summary>For HAProxy: the OpenStack API the proxy fronts (nova, cinder, keystone, placement, glance, neutron); else null.</summary>
        public string? Api { get; set; }

        /// <summary>The setting checked, such as rpc_response_timeout or "timeout server".</summary>
        public string Setting { get; set; } = string.Empty;

        /// <summary>The effective value as written (null when unset and the default applies).</summary>
        public string? Value { get; set; }

        /// <summary>The effective value in seconds, where it is a time (null when none, invalid, or not a time).</summary>
        public double? ValueSeconds { get; set; }

        /// <summary>Where the value comes from: "file:line", the environment variable, "default", or a haproxy section ("defaults" when inherited).</summary>
        public string Source { get; set; } = string.Empty;

        /// <summary>The file the value was read from (null when it comes from the environment or the default).</summary>
        public string? Path { get; set; }

        /// <summary>The stable id of the rule, such as TimeoutChain.HAProxyBelowRpc.</summary>
        public string Rule { get; set; } = string.Empty;

        /// <summary>OK, Info, Warning or Error.</summary>
        public FindingSeverity Severity { get; set; }

        /// <summary>Why the rule matters, and what the values are, in plain words.</summary>
        public string Why { get; set; } = string.Empty;

        /// <summary>A command that fixes it (null when the check passed).</summary>
        public string? Fix { get; set; }

        /// <summary>
        /// The value to give Set-OSMigrationTimeout -Seconds to fix this finding, or null when Set-OSMigrationTimeout is
        /// not the fix (then Fix names the command that is). Never lower than any rpc_response_timeout found, so the fix lowers nothing.
        /// </summary>
        public int? Seconds { get; set; }
    }
}
