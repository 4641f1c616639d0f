using System;
using System.Collections.Generic;
using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>Names the cause of a failed or timed-out migration, with Nova's records and the nodes' log lines as evidence, and the fix.</summary>
    /// <remarks>
    /// <para>Takes a result of Move-OSInstance, a migration of Get-OSMigration, an instance of Get-OSInstance, or -InstanceId
    /// (with -MigrationId; else the instance's latest migration). It reads Nova's instance action and its events, the instance
    /// fault, the migration record and the compute services, runs the same move's pre-flight again, and returns one of a
    /// documented set of causes (about_OpenStackMigration_Diagnosis): NoCapacity, DestinationUnavailable, PreCheckRpcTimeout,
    /// PreLiveMigrationRpcTimeout, RpcTimeout, GatewayTimeout, ComputeServiceDown, CpuIncompatible, HypervisorIncompatible,
    /// VolumeAttachmentFailed, NoValidHost, RequestRefused, NotConverging, StillRunning, Aborted, Unknown.</para>
    /// <para>Nova often hides the cause: with a destination given, a pre-check that timed out, a CPU mismatch and a full host
    /// all read "No valid host was found". The diagnosis tells them apart by the pre-flight's figures, the time the
    /// conductor took, the destination's own event for its check and, with nodes given, the log lines.</para>
    /// <para>With -ComputerName (controllers, both computes, load balancers), it also searches their nova, cinder and haproxy
    /// logs for the request id, the instance id and the migration uuid within the migration's window, and reads the
    /// effective long_rpc_timeout and rpc_response_timeout of each nova service there (and haproxy's 'timeout server' of the
    /// proxy a 504 came through), so the fix names the option that governs the call that timed out, where it is set, and
    /// its value on each node. Nothing is changed anywhere.</para>
    /// </remarks>
    /// <example>
    /// <code>Move-OSInstance -Name web1 -DestinationHost compute2 -Wait | Debug-OSMigration -ComputerName ctl1,compute1,compute2 -UserName root -KeyFilePath ~/.ssh/id_ed25519</code>
    /// <para>Moves web1 and, if it fails, names the cause with the controllers' and computes' log lines.</para>
    /// </example>
    /// <example>
    /// <code>Debug-OSMigration -InstanceId 0b1c5f6e-2f9c-4a51-9d3c-2f6f0a0e7d11 | Format-List</code>
    /// <para>Explains the instance's latest migration from Nova's records alone.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSMigration -Status error -Since (Get-Date).AddHours(-1) | Debug-OSMigration | Group-Object Cause</code>
    /// <para>Counts the last hour's failed migrations by cause.</para>
    /// </example>
    [Cmdlet(VerbsDiagnostic.Debug, "OSMigration", DefaultParameterSetName = "InputObject")]
    [OutputType(typeof(MigrationDiagnosis))]
    public sealed class DebugOSMigrationCommand : OSNodeCmdletBase
    {
        private readonly List<DiagnosisRequest> _requests = new List<DiagnosisRequest>();

        /// <summary>A Move-OSInstance result, a Get-OSMigration record or a Get-OSInstance instance.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "InputObject")]
        public PSObject? InputObject { get; set; }

        /// <summary>The instance's uuid.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "Id")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.InstanceIdCompleter))]
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>One of its migrations (default: its latest).</summary>
        [Parameter(Position = 1, ParameterSetName = "Id")]
        [ArgumentCompleter(typeof(Completion.MigrationIdCompleter))]
        public long? MigrationId { get; set; }

        /// <summary>Log files to search on the nodes (shell globs; default: /var/log/nova/*.log, /var/log/cinder/*.log, /var/log/haproxy.log and Kolla's /var/log/kolla/...).</summary>
        [Parameter]
        public string[]? LogPath { get; set; }

        /// <summary>haproxy's configuration on the load balancers (default /etc/haproxy/haproxy.cfg).</summary>
        [Parameter]
        public string HAProxyPath { get; set; } = HAProxyEngine.DefaultPath;

        /// <summary>Do not run the move's pre-flight again (it tells a full host from a timeout).</summary>
        [Parameter]
        public SwitchParameter SkipPreflight { get; set; }

        /// <summary>The session (default: the one Connect-OSCloud made).</summary>
        [Parameter]
        public CloudSession? Session { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            base.ProcessRecord();
            if (ParameterSetName == "Id")
            {
                _requests.Add(new DiagnosisRequest { InstanceId = InstanceId, MigrationId = MigrationId, Preflight = !SkipPreflight });
                return;
            }

            var request = RequestFor(InputObject?.BaseObject);
            if (request == null)
            {
                WriteFailure(new OpenStackMigrationException("OSDiagnosisInputInvalid", FailureKind.InvalidArgument,
                    $"Debug-OSMigration takes a Move-OSInstance result, a Get-OSMigration record or a Get-OSInstance instance, not {InputObject?.BaseObject?.GetType().Name ?? "null"}."), InputObject);
                return;
            }

            request.Preflight = !SkipPreflight;
            _requests.Add(request);
        }

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            var session = Session ?? SessionStore.Default;
            if (session == null)
            {
                ThrowFailure(SessionStore.NotConnected());
                return;
            }

            var diagnostician = new MigrationDiagnostician(session);
            var nodes = NodesGiven ? new NodeEvidence(pool, LogPath, HAProxyPath) : null;
            foreach (var request in _requests)
            {
                try
                {
                    WriteObject(RunEngine((sink, token) => diagnostician.DiagnoseAsync(request, nodes, sink, token)));
                }
                catch (OpenStackMigrationException e)
                {
                    WriteFailure(e, request.Result?.InstanceName ?? request.InstanceId);
                }
            }
        }

        private static DiagnosisRequest? RequestFor(object? input) => input switch
        {
            MigrationResult r => new DiagnosisRequest { InstanceId = r.InstanceId, MigrationId = r.MigrationId, Result = r },
            MigrationRecord m => new DiagnosisRequest { InstanceId = m.InstanceId, MigrationId = m.Id },
            Instance i => new DiagnosisRequest { InstanceId = i.Id },
            string s when s.Length > 0 => new DiagnosisRequest { InstanceId = s },
            _ => null,
        };
    }
}
