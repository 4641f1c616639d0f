namespace OpenStackMigration.Model
{
    /// <summary>Whether a compute service reports in (Nova's "state").</summary>
    public enum ServiceState
    {
        /// <summary>Not reported.</summary>
        Unknown,

        /// <summary>Heartbeats arrive.</summary>
        Up,

        /// <summary>No heartbeat within service_down_time, or forced down.</summary>
        Down,
    }

    /// <summary>Whether the scheduler may use a compute service (Nova's "status").</summary>
    public enum ServiceStatus
    {
        /// <summary>Not reported.</summary>
        Unknown,

        /// <summary>Takes new instances.</summary>
        Enabled,

        /// <summary>Disabled by an admin.</summary>
        Disabled,
    }

    /// <summary>Nova's server status.</summary>
    public enum ServerStatus
    {
        /// <summary>A status this module does not know.</summary>
        Unknown,
#pragma warning disable CS1591 // Nova's own status names.
        Active,
        Build,
        Deleted,
        Error,
        HardReboot,
        Migrating,
        Password,
        Paused,
        Reboot,
        Rebuild,
        Rescue,
        Resize,
        RevertResize,
        Shelved,
        ShelvedOffloaded,
        Shutoff,
        SoftDeleted,
        Suspended,
        VerifyResize,
#pragma warning restore CS1591
    }

    /// <summary>The hypervisor's view of a server's power (OS-EXT-STS:power_state).</summary>
    public enum PowerState
    {
        /// <summary>No state.</summary>
        NoState = 0,

        /// <summary>Running.</summary>
        Running = 1,

        /// <summary>Paused.</summary>
        Paused = 3,

        /// <summary>Shut down.</summary>
        Shutdown = 4,

        /// <summary>Crashed.</summary>
        Crashed = 6,

        /// <summary>Suspended.</summary>
        Suspended = 7,
    }

    /// <summary>How a live migration treats local disks.</summary>
    public enum BlockMigrationMode
    {
        /// <summary>Nova decides from the storage (2.25+); the module's pre-flight check decides on older clouds.</summary>
        Auto,

        /// <summary>Copy local disks to the destination.</summary>
        Always,

        /// <summary>Shared storage or volumes only: nothing is copied.</summary>
        Never,
    }
}
