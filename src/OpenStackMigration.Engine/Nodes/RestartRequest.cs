using System;
using System.Collections.Generic;

namespace OpenStackMigration.Nodes
{
    /// <summary>What to restart on a node, and how.</summary>
    public sealed class RestartRequest
    {
        /// <summary>Service names (units, resources or containers) to restart, in order.</summary>
        public IReadOnlyList<string> Services { get; set; } = Array.Empty<string>();

        /// <summary>How they are run (Auto: found on each node).</summary>
        public ServiceManager Manager { get; set; } = ServiceManager.Auto;

        /// <summary>Reload instead of restart (systemd reload, a signal); pacemaker and containers restart.</summary>
        public bool Reload { get; set; }

        /// <summary>The pid file for the Signal manager.</summary>
        public string? PidFile { get; set; }

        /// <summary>The signal for the Signal manager.</summary>
        public string Signal { get; set; } = "USR2";

        /// <summary>haproxy's configuration file, checked with haproxy -c before haproxy is restarted or reloaded.</summary>
        public string HAProxyConfigPath { get; set; } = "/etc/haproxy/haproxy.cfg";

        /// <summary>Skip services that are not on the node rather than failing (a project's daemons: a compute node has no nova-api).</summary>
        public bool SkipMissing { get; set; }
    }

    /// <summary>How restarts across nodes are paced and checked.</summary>
    public sealed class RestartOptions
    {
        /// <summary>How many nodes restart at once (default 1: a rolling restart). Later nodes wait until earlier ones are healthy, and none starts after a failure.</summary>
        public int RollingLimit { get; set; } = 1;

        /// <summary>How long a service may take to be running again after its manager's command returned.</summary>
        public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>
        /// How long a service must stay running to count as healthy. Python services that read a bad option die a few
        /// seconds after their manager called them started (a nova-compute with debug = maybe: 4 s, exit 0).
        /// </summary>
        public TimeSpan StableFor { get; set; } = TimeSpan.FromSeconds(6);

        /// <summary>How long to wait for a restarted nova-compute to report to Nova.</summary>
        public TimeSpan ReportTimeout { get; set; } = TimeSpan.FromSeconds(90);

        /// <summary>Nova's view of compute services, to see a restarted nova-compute report again; null when not connected.</summary>
        public IComputeServiceProbe? Nova { get; set; }
    }

    /// <summary>Nova's view of one compute service (the cmdlet layer implements it over the connected session).</summary>
    public interface IComputeServiceProbe
    {
        /// <summary>When the nova-compute service of <paramref name="host"/> last reported, and whether Nova calls it up; null when Nova has no such service.</summary>
        System.Threading.Tasks.Task<(DateTimeOffset? UpdatedAt, bool Up)?> GetAsync(string host, IEngineSink sink, System.Threading.CancellationToken cancellationToken);
    }
}
