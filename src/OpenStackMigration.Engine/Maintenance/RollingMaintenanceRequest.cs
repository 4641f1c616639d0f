using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// The admin's code for one host (a scriptblock in PowerShell): the engine calls it and awaits it, never knowing
    /// what runs it. It returns a line for the step's message (or null) and throws to fail the step.
    /// </summary>
    public delegate Task<string?> RollingHostAction(string hostName, CancellationToken cancellationToken);

    /// <summary>What a rolling maintenance is asked to do.</summary>
    public sealed class RollingMaintenanceRequest
    {
        /// <summary>The compute hosts, in the order they are taken.</summary>
        public IReadOnlyList<string> HostNames { get; set; } = Array.Empty<string>();

        /// <summary>Why (each host's disabled reason while in maintenance).</summary>
        public string Reason { get; set; } = string.Empty;

        /// <summary>How many hosts are in maintenance at once.</summary>
        public int Concurrency { get; set; } = 1;

        /// <summary>How many hosts may fail before the run stops starting new ones (0: the first failure stops it).</summary>
        public int MaxFailedHosts { get; set; }

        /// <summary>How many times a failed host is tried again (from its failed step) before it counts as failed.</summary>
        public int MaxRetriesPerHost { get; set; }

        /// <summary>How long to wait before trying a failed host again.</summary>
        public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>The drain's policies (throttle, cold migration, block migration, timeouts, rounds); its host, reason and state path are set per host.</summary>
        public HostDrainRequest Drain { get; set; } = new HostDrainRequest();

        /// <summary>The admin's work, given the host; null for none.</summary>
        public RollingHostAction? Work { get; set; }

        /// <summary>A shell command run on each host's node (after <see cref="Work"/>); null for none.</summary>
        public string? NodeCommand { get; set; }

        /// <summary>The node session of a host, for <see cref="NodeCommand"/>.</summary>
        public Func<string, INodeSession>? NodeFor { get; set; }

        /// <summary>Where a host's node is reached, in words, for the plan (no session is opened to plan).</summary>
        public Func<string, string>? NodeNameFor { get; set; }

        /// <summary>How long nova-compute may take to be up and report to Nova after the work.</summary>
        public TimeSpan ComputeTimeout { get; set; } = TimeSpan.FromMinutes(10);

        /// <summary>The admin's health check, given the host; null for none.</summary>
        public RollingHostAction? HealthCheck { get; set; }

        /// <summary>Move the instances the drain moved back onto the host once it is enabled again.</summary>
        public bool Failback { get; set; }

        /// <summary>The run's state file.</summary>
        public string StatePath { get; set; } = string.Empty;

        /// <summary>The drain state file of a host (by default the one Start-OSHostMaintenance uses, so Stop-OSHostMaintenance finds it).</summary>
        public Func<string, string> DrainStatePath { get; set; } = h => h + ".json";
    }
}
