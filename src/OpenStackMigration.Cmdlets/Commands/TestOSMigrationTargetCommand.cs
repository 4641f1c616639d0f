using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Checks whether instances can migrate to a host, and says why not.</summary>
    /// <remarks>
    /// <para>For each instance and destination host, writes a report with every check, its result (Passed, Failed, Warning, Skipped) and the reason in words: the instance is in a state that can migrate (live: ACTIVE or PAUSED; cold: ACTIVE or SHUTOFF; no task in progress); the destination exists and is not the source; its compute service is up, enabled and not forced down; it runs the same hypervisor type at a version not older than the source's; it has room for the flavor in vCPU, RAM and disk as Placement counts it (reserved, allocation ratio and max_unit included); the storage (volume-backed, or local disks that need block migration); and the server groups' policies (affinity, anti-affinity).</para>
    /// <para>Without -DestinationHost every other enabled compute host is checked and the reports come ranked: hosts that can take the instance first, the one with most free RAM after the move on top. A ranking does not read Nova's hypervisor list (its slowest read with hundreds of hosts): state comes from the compute services and room from Placement, both as they are now, and each node's hypervisor type and version from the node map kept since Nova last listed them (read again when a compute service or a resource provider changes, and at least hourly; the Hypervisor check's reason gives the time). With -DestinationHost, and in Move-OSInstance's own pre-flight, they are read from Nova's list of now.</para>
    /// <para>Nothing is changed. The reports carry InstanceId and DestinationHost, so they can be piped to Move-OSInstance. -Quiet returns only $true or $false per instance.</para>
    /// </remarks>
    /// <example>
    /// <code>Test-OSMigrationTarget -Name web01 -DestinationHost compute2</code>
    /// <para>Checks whether web01 can live-migrate to compute2.</para>
    /// </example>
    /// <example>
    /// <code>Test-OSMigrationTarget -Name web01 | Select-Object -First 3</code>
    /// <para>Ranks every enabled host for web01 and shows the three best.</para>
    /// </example>
    /// <example>
    /// <code>(Test-OSMigrationTarget -Name web01 -DestinationHost compute3).Checks | Where-Object Result -ne Passed</code>
    /// <para>Shows only the checks that did not pass, with their reasons.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSInstance -HostName compute1 | Test-OSMigrationTarget -DestinationHost compute2 | Where-Object CanMigrate | Move-OSInstance -Wait</code>
    /// <para>Moves every instance of compute1 that compute2 can take, and waits for each verdict.</para>
    /// </example>
    /// <example>
    /// <code>if (Test-OSMigrationTarget -Name db01 -DestinationHost compute2 -Quiet) { Move-OSInstance -Name db01 -DestinationHost compute2 -Wait }</code>
    /// <para>Uses -Quiet in a condition.</para>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Test, "OSMigrationTarget", DefaultParameterSetName = InputObjectSet)]
    [OutputType(typeof(MigrationCheckReport))]
    [OutputType(typeof(bool))]
    public sealed class TestOSMigrationTargetCommand : OSInstanceCmdletBase
    {
        private readonly List<Instance> _instances = new List<Instance>();

        /// <summary>The hosts to check (compute service host names); without it, every other enabled compute host is checked and ranked.</summary>
        [Parameter(Position = 1)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.ComputeHostCompleter))]
        public string[]? DestinationHost { get; set; }

        /// <summary>Checks for a cold migration instead of a live one.</summary>
        [Parameter]
        public SwitchParameter Cold { get; set; }

        /// <summary>How local disks would be handled by a live migration: Auto (Nova decides), Always, Never (shared storage).</summary>
        [Parameter]
        public BlockMigrationMode BlockMigration { get => _blockMigration.Value; set => _blockMigration.Value = value; }

        // An engine enum kept by reference: see Held<T>.
        private readonly Held<BlockMigrationMode> _blockMigration = new Held<BlockMigrationMode>(BlockMigrationMode.Auto);

        /// <summary>Returns only $true or $false per instance: whether it can move to the host (to at least one of them when several are checked).</summary>
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            _instances.AddRange(ReadInputInstances());
        }

        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            var kind = Cold ? MigrationKind.Cold : MigrationKind.Live;
            var instances = _instances.GroupBy(i => i.Id, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToList();
            var reader = Reader;
            RunEngineStreaming<object>(
                async (emit, sink, token) =>
                {
                    foreach (var given in instances)
                    {
                        Instance instance;
                        try
                        {
                            instance = await reader.GetInstanceAsync(given.Id, sink, token).ConfigureAwait(false);
                        }
                        catch (OpenStackMigrationException e)
                        {
                            emit(e);
                            continue;
                        }

                        var reports = DestinationHost == null
                            ? await reader.RankDestinationsAsync(instance, kind, BlockMigration, sink, token).ConfigureAwait(false)
                            : await Task.WhenAll(DestinationHost.Select(h => reader.CheckAsync(instance, kind, h, BlockMigration, freshCapacity: false, sink, token))).ConfigureAwait(false);

                        if (Quiet)
                        {
                            emit(reports.Any(r => r.CanMigrate));
                        }
                        else
                        {
                            foreach (var report in reports)
                            {
                                emit(report);
                            }
                        }
                    }
                },
                item =>
                {
                    if (item is Exception e)
                    {
                        WriteFailure(e, null);
                    }
                    else
                    {
                        WriteObject(item);
                    }
                });
            base.EndProcessing();
        }
    }
}
