using System;
using System.Management.Automation.Host;

namespace OpenStackMigration.Commands
{
    /// <summary>
    /// Whether the module runs in a host where nobody watches a progress bar but every progress record may be kept: a
    /// runspace hosted by a service or a runbook engine (PowerShell's "Default Host", or a host without UI), which writes each
    /// record to the job's log. The console host needs nothing: it draws one bar in a terminal, and nothing at all when its
    /// output is redirected (pwsh -File under Jenkins or cron).
    /// </summary>
    internal static class RunbookHost
    {
        /// <summary>At most one progress record per activity this often in such a host (Verbose has the detail).</summary>
        internal static TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>True when progress records would be logged rather than drawn.</summary>
        public static bool IsNonInteractive(PSHost? host) =>
            host == null || host.UI == null || string.Equals(host.Name, "Default Host", StringComparison.Ordinal);
    }
}
