namespace OpenStackMigration.Nodes
{
    /// <summary>How a service is run on a node.</summary>
    public enum ServiceManager
    {
        /// <summary>Find out: a Kolla container (docker, podman), a pacemaker resource, else a systemd unit.</summary>
        Auto,

        /// <summary>systemctl restart / reload.</summary>
        Systemd,

        /// <summary>Pacemaker through crmsh: crm -w resource restart.</summary>
        Crm,

        /// <summary>Pacemaker through pcs: pcs resource restart --wait.</summary>
        Pcs,

        /// <summary>A docker container (Kolla names them nova_compute, cinder_volume, haproxy...).</summary>
        Docker,

        /// <summary>A podman container.</summary>
        Podman,

        /// <summary>A signal to the process in a pid file (haproxy -W master: SIGUSR2 reloads).</summary>
        Signal,
    }

    /// <summary>Where a restart stands after a look at the service manager.</summary>
    public enum ServiceHealth
    {
        /// <summary>Still starting or stopping: look again.</summary>
        Pending,

        /// <summary>Running.</summary>
        Healthy,

        /// <summary>Not running, and the manager says it failed or gave up.</summary>
        Failed,
    }
}
