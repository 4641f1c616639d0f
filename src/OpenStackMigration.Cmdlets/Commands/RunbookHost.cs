using System;
using System.Management.Automation.Host;

namespace OpenStackMigration.Commands
{
    /// <summary>
    /// Whether the module runs where nobody watches a progress bar: pwsh -NonInteractive (Jenkins, cron), or a host without
    /// a console such as Azure Automation's or a runspace of a service (their host is "Default Host" or has no UI). Those
    /// hosts record every progress record in the job's log, so progress is thinned there.
    /// </summary>
    internal static class RunbookHost
    {
        private static readonly Lazy<bool> NonInteractiveFlag = new Lazy<bool>(() =>
        {
            foreach (var arg in Environment.GetCommandLineArgs())
            {
                // pwsh accepts any unambiguous prefix of -NonInteractive from -noni on, with - or / on Windows.
                var a = arg.TrimStart('-', '/');
                if (a.Length >= 4 && a.Length <= "noninteractive".Length && "noninteractive".StartsWith(a, StringComparison.OrdinalIgnoreCase) && (arg.StartsWith("-", StringComparison.Ordinal) || arg.StartsWith("/", StringComparison.Ordinal)))
                {
                    return true;
                }
            }

            return false;
        });

        /// <summary>At most one progress record per activity this often in a non-interactive host.</summary>
        internal static TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>True when nobody is watching the host's progress bar.</summary>
        public static bool IsNonInteractive(PSHost? host) =>
            NonInteractiveFlag.Value || host == null || host.UI == null || string.Equals(host.Name, "Default Host", StringComparison.Ordinal) || host.Name.IndexOf("Automation", StringComparison.OrdinalIgnoreCase) >= 0;
    }
}
