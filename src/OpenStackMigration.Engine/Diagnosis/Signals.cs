using System.Collections.Generic;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>
    /// Phrases Nova and Cinder write (in event details, faults and log lines) that state a cause. They come from the
    /// exceptions' messages and log calls of Nova 26 (Zed); most are unchanged since Queens.
    /// </summary>
    internal static class Signals
    {
        /// <summary>InvalidCPUInfo ("Unacceptable CPU info: CPU doesn't have compatibility ...") and libvirt's own wording.</summary>
        public static readonly IReadOnlyList<string> CpuIncompatible = new[]
        {
            "Unacceptable CPU info", "CPU doesn't have compatibility", "InvalidCPUInfo", "incompatible with host CPU",
        };

        /// <summary>InvalidHypervisorType and DestinationHypervisorTooOld.</summary>
        public static readonly IReadOnlyList<string> HypervisorIncompatible = new[]
        {
            "The supplied hypervisor type of", "InvalidHypervisorType", "requires a newer hypervisor version", "DestinationHypervisorTooOld",
        };

        /// <summary>MigrationPreCheckError wrapping the conductor's MessagingTimeout.</summary>
        public static readonly IReadOnlyList<string> PreCheckTimeout = new[]
        {
            "Timeout while checking if we can live migrate",
        };

        /// <summary>The source compute's error when pre_live_migration on the destination fails.</summary>
        public static readonly IReadOnlyList<string> PreLiveMigrationFailed = new[]
        {
            "Pre live migration failed",
        };

        /// <summary>The source compute's error when the destination does not finish its part.</summary>
        public static readonly IReadOnlyList<string> PostLiveMigrationFailed = new[]
        {
            "Post live migration at destination",
        };

        /// <summary>ComputeServiceUnavailable.</summary>
        public static readonly IReadOnlyList<string> ServiceUnavailable = new[]
        {
            "is unavailable at this time", "ComputeServiceUnavailable",
        };

        /// <summary>Cinder calls that failed during the migration.</summary>
        public static readonly IReadOnlyList<string> VolumeFailure = new[]
        {
            "cinderclient.exceptions", "VolumeAttachmentNotFound", "VolumeBDMNotFound", "attachment_update", "attachment_create", "initialize_connection", "Failed to attach volume",
        };

        /// <summary>oslo.messaging's timeout.</summary>
        public static readonly IReadOnlyList<string> MessagingTimeout = new[]
        {
            "MessagingTimeout", "Timed out waiting for a reply",
        };
    }
}
