using System;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// Whether ending a maintenance may enable the host's compute service: only when it is disabled with the reason the
    /// drain set (or when forced). A host someone else disabled (another maintenance, a hardware fault) stays disabled.
    /// </summary>
    public static class ReenableRule
    {
        /// <summary>True when the service should be enabled; <paramref name="why"/> says why or why not.</summary>
        /// <param name="service">The compute service as Nova has it now.</param>
        /// <param name="state">The drain's state file, or null when there is none.</param>
        /// <param name="force">-Force: enable whatever the reason.</param>
        /// <param name="why">The decision in words (a warning when it is false and the host is disabled).</param>
        public static bool ShouldEnable(ComputeService service, HostMaintenanceReport? state, bool force, out string why)
        {
            var host = service.HostName;
            if (service.Status == ServiceStatus.Enabled)
            {
                why = $"The compute service on {host} is already enabled.";
                return false;
            }

            var current = string.IsNullOrEmpty(service.DisabledReason) ? "no reason" : $"reason '{service.DisabledReason}'";
            if (force)
            {
                why = $"Enabling {host} (disabled with {current}) because of -Force.";
                return true;
            }

            if (state == null)
            {
                why = $"{host} stays disabled ({current}): there is no maintenance state file for it, so nothing says this maintenance disabled it. Use -Force to enable it anyway.";
                return false;
            }

            if (string.Equals(service.DisabledReason, state.Reason, StringComparison.Ordinal))
            {
                why = $"Enabling {host}: it is disabled with the maintenance's own reason '{state.Reason}'.";
                return true;
            }

            why = $"{host} stays disabled: its disabled reason is now {current}, not the maintenance's '{state.Reason}' (someone else disabled it since). Use -Force to enable it anyway.";
            return false;
        }
    }
}
