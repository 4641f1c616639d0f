using System.Management.Automation;
using OpenStackMigration.Inventory;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Lists instances with the host they run on, their state, flavor and storage.</summary>
    /// <remarks>
    /// <para>Answers "where does each instance run", like `nova list` and `nova show` together: host (OS-EXT-SRV-ATTR:host) and hypervisor node, status, task state, power state, flavor (vCPU, RAM, disk), whether it boots from a volume and which volumes are attached (a volume-backed instance live-migrates without copying disks), its project and server groups.</para>
    /// <para>Select by -Id, by -Name (wildcards), or by -HostName; add -AllProjects to see every project's instances (admin). Results are read page by page (limit/marker) and written as they arrive, so clouds with tens of thousands of instances work.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSInstance -Name cirros_vm</code>
    /// <para>Shows where cirros_vm runs.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSInstance -HostName compute2 -AllProjects</code>
    /// <para>Every instance on compute2, whatever its project: what a drain of that host would move.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSHypervisor compute1 | Get-OSInstance -AllProjects | Where-Object IsVolumeBacked</code>
    /// <para>The volume-backed instances on compute1.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSInstance", DefaultParameterSetName = NameSet)]
    [OutputType(typeof(Instance))]
    public sealed class GetOSInstanceCommand : OSCloudCmdletBase
    {
        private const string NameSet = "Name";
        private const string IdSet = "Id";

        /// <summary>Instance names; wildcards allowed.</summary>
        [Parameter(Position = 0, ParameterSetName = NameSet)]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completion.InstanceNameCompleter))]
        public string[]? Name { get; set; }

        /// <summary>Instance ids (uuids).</summary>
        [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
        [Alias("InstanceId")]
        [ArgumentCompleter(typeof(Completion.InstanceIdCompleter))]
        public string[] Id { get; set; } = new string[0];

        /// <summary>Only instances on this compute host.</summary>
        [Parameter(ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string? HostName { get; set; }

        /// <summary>Instances of every project, not only the session's (needs the admin role).</summary>
        [Parameter(ParameterSetName = NameSet)]
        public SwitchParameter AllProjects { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var inventory = new CloudInventory(ResolveSession());
            if (ParameterSetName == IdSet)
            {
                foreach (var id in Id)
                {
                    try
                    {
                        WriteObject(RunEngine((sink, token) => inventory.GetInstanceAsync(id, sink, token)));
                    }
                    catch (OpenStackMigrationException e)
                    {
                        WriteFailure(e, id);
                    }
                }

                return;
            }

            try
            {
                // A host filter is an admin query; Nova only honours it across projects.
                var allProjects = AllProjects.IsPresent || HostName != null;
                RunEngineStreaming<Instance>((emit, sink, token) => inventory.GetInstancesAsync(Name, HostName, allProjects, emit, sink, token));
            }
            catch (OpenStackMigrationException e)
            {
                WriteFailure(e, e.Target);
            }
        }
    }
}
