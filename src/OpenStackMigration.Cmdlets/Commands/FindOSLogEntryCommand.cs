using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Commands
{
    /// <summary>Finds the nova and cinder log lines that mention an instance id, a request id or any text, on many nodes.</summary>
    /// <remarks>
    /// <para>Searches /var/log/nova/*.log and /var/log/cinder/*.log (and Kolla's /var/log/kolla/...) on each node with grep, in
    /// parallel, and returns one object per line with its time, process, level, logger, request id, instance id and message
    /// parsed from oslo.log's format. Sort by Timestamp to follow a migration across nodes. Nothing is installed on the nodes.</para>
    /// </remarks>
    /// <example>
    /// <code>Find-OSLogEntry -InstanceId 0b1c5f6e-2f9c-4a51-9d3c-2f6f0a0e7d11 -ComputerName c1,c2,ctl1 -UserName root -KeyFilePath ~/.ssh/id_ed25519 | Sort-Object Timestamp</code>
    /// <para>Follows one instance through the logs of two computes and a controller.</para>
    /// </example>
    /// <example>
    /// <code>Find-OSLogEntry -RequestId req-6a1c0a2e-1f1e-4c8a-9f0e-8a4a1f0c2b3d -Service nova -IncludeRotated | Where-Object Level -eq ERROR</code>
    /// <para>Finds the errors of one request, rotated logs included.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Find, "OSLogEntry")]
    [OutputType(typeof(OSLogEntry))]
    public sealed class FindOSLogEntryCommand : OSNodeCmdletBase
    {
        private readonly List<string> _terms = new List<string>();

        /// <summary>Instance uuids to look for. Accepts Id from the pipeline (Get-OSInstance).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        [ArgumentCompleter(typeof(Completion.InstanceIdCompleter))]
        public string[]? InstanceId { get; set; }

        /// <summary>Request ids (req-...) to look for, such as the x-openstack-request-id of a failed call.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        public string[]? RequestId { get; set; }

        /// <summary>Any other fixed text to look for.</summary>
        [Parameter]
        public string[]? Pattern { get; set; }

        /// <summary>nova, cinder or both (default).</summary>
        [Parameter]
        [ValidateSet("nova", "cinder")]
        public string[] Service { get; set; } = { "nova", "cinder" };

        /// <summary>Log files to search instead (shell wildcards allowed), such as /var/log/nova/nova-compute.log.</summary>
        [Parameter]
        public string[]? Path { get; set; }

        /// <summary>Also search rotated files (.log.1, .log.2.gz...).</summary>
        [Parameter]
        public SwitchParameter IncludeRotated { get; set; }

        /// <summary>At most this many lines per file (default: all).</summary>
        [Parameter]
        [ValidateRange(0, int.MaxValue)]
        public int MaxCount { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            base.ProcessRecord();
            _terms.AddRange((InstanceId ?? new string[0]).Concat(RequestId ?? new string[0]).Concat(Pattern ?? new string[0]).Where(t => !string.IsNullOrEmpty(t)));
        }

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            if (_terms.Count == 0)
            {
                ThrowFailure(new OpenStackMigrationException("OSLogSearchNoTerm", FailureKind.InvalidArgument, "Give -InstanceId, -RequestId or -Pattern."));
            }

            var paths = Path ?? Service.Distinct().SelectMany(LogSearch.DefaultPaths).ToArray();
            var terms = _terms.Distinct().ToList();
            RunEngineStreaming<OSLogEntry>((emit, sink, token) => pool.ForEachAsync(
                pool.Targets,
                async (t, ct) => (IEnumerable<OSLogEntry>)await LogSearch.SearchAsync(pool.Session(t), paths, terms, IncludeRotated, MaxCount, ct).ConfigureAwait(false),
                (t, ex) =>
                {
                    sink.Warning($"{t.DisplayName}: {ex.Message}");
                    return new OSLogEntry[0];
                },
                emit,
                token));
        }
    }
}
