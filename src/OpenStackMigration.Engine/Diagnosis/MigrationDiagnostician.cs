using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>What to diagnose: a watched migration's result, or an instance (and optionally one of its migrations).</summary>
    public sealed class DiagnosisRequest
    {
        /// <summary>The instance's uuid (or name when <see cref="Result"/> is null).</summary>
        public string InstanceId { get; set; } = string.Empty;

        /// <summary>One migration of the instance; null: its latest.</summary>
        public long? MigrationId { get; set; }

        /// <summary>A result from Move-OSInstance: its verdict, request id, gateway answer and timings are used.</summary>
        public MigrationResult? Result { get; set; }

        /// <summary>Whether to run a fresh pre-flight of the same move (it tells a full host from a timeout).</summary>
        public bool Preflight { get; set; } = true;
    }

    /// <summary>Where the nodes' evidence comes from; null when no nodes were given.</summary>
    public interface INodeEvidence
    {
        /// <summary>Log lines that carry any of the terms, between the two times (UTC).</summary>
        Task<(IReadOnlyList<OSLogEntry> Lines, IReadOnlyList<string> Unread)> FindLogLinesAsync(IReadOnlyList<string> terms, DateTimeOffset from, DateTimeOffset to, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Effective timeouts (long_rpc_timeout, rpc_response_timeout; haproxy 'timeout server' of the named proxies).</summary>
        Task<IReadOnlyList<OSConfigSetting>> ReadSettingsAsync(IReadOnlyList<string> haproxyProxies, IEngineSink sink, CancellationToken cancellationToken);
    }

    /// <summary>
    /// Gathers the facts of a failed migration (Nova's records; with nodes, their logs and settings) and names the cause
    /// with <see cref="CauseRules"/>. Reads only.
    /// </summary>
    public sealed class MigrationDiagnostician
    {
        private readonly IDiagnosisApi _api;
        private readonly IMigrationChecks? _checks;

        /// <summary>Creates a diagnostician over a session.</summary>
        public MigrationDiagnostician(CloudSession session)
            : this(new NovaDiagnosisApi(session), new TargetReaderChecks(session))
        {
        }

        internal MigrationDiagnostician(IDiagnosisApi api, IMigrationChecks? checks)
        {
            _api = api;
            _checks = checks;
        }

        /// <summary>Diagnoses one migration.</summary>
        public async Task<MigrationDiagnosis> DiagnoseAsync(DiagnosisRequest request, INodeEvidence? nodes, IEngineSink sink, CancellationToken cancellationToken)
        {
            var facts = await GatherAsync(request, sink, cancellationToken).ConfigureAwait(false);
            if (nodes != null)
            {
                await AddNodeEvidenceAsync(facts, request.Result, nodes, sink, cancellationToken).ConfigureAwait(false);
            }

            return CauseRules.Diagnose(facts);
        }

        /// <summary>Nova's records of the migration (and a fresh pre-flight): the facts that need no node access.</summary>
        internal async Task<FailureFacts> GatherAsync(DiagnosisRequest request, IEngineSink sink, CancellationToken cancellationToken)
        {
            var result = request.Result;
            var instanceId = result?.InstanceId ?? request.InstanceId;
            var server = await _api.GetServerAsync(instanceId, sink, cancellationToken).ConfigureAwait(false);
            var migrations = await _api.ListMigrationsAsync(server.Id, sink, cancellationToken).ConfigureAwait(false);
            var migrationId = request.MigrationId ?? result?.MigrationId;
            var record = migrationId.HasValue
                ? migrations.FirstOrDefault(m => m.Id == migrationId.Value)
                : migrations.OrderByDescending(m => m.Id).FirstOrDefault();
            if (migrationId.HasValue && record == null)
            {
                throw new OpenStackMigrationException("OSMigrationNotFound", FailureKind.NotFound, $"Instance {server.Name} ({server.Id}) has no migration {migrationId}.")
                {
                    RecommendedAction = $"List its migrations: Get-OSMigration -InstanceId {server.Id}.",
                };
            }

            var kind = result?.Kind ?? (record?.MigrationType == "live-migration" ? MigrationKind.Live : record != null ? MigrationKind.Cold : MigrationKind.Live);
            var action = await FindActionAsync(server.Id, result?.RequestId, record, kind, sink, cancellationToken).ConfigureAwait(false);
            var facts = new FailureFacts
            {
                Kind = kind,
                InstanceId = server.Id,
                InstanceName = server.Name,
                SourceHost = result?.SourceHost ?? record?.SourceHost ?? server.HostName,
                DestinationHost = result?.RequestedHost ?? record?.DestinationHost,
                InstanceHost = server.HostName,
                InstanceStatus = server.StatusText,
                InstanceTaskState = server.TaskState,
                Verdict = result == null || result.Verdict == MigrationVerdict.Accepted ? VerdictOf(record, server) : result.Verdict,
                Record = record,
                Action = action,
                Fault = server.Fault,
                Gateway = result?.Gateway,
                NotConverging = result?.Diagnosis?.Cause == MigrationFailureCause.NotConverging,
                Timeout = result?.Diagnosis?.Cause == MigrationFailureCause.StillRunning || result?.Diagnosis?.Cause == MigrationFailureCause.NotConverging ? result.Duration : null,
                Refusal = result != null && result.WaitedFor == CompletionSignal.ApiResponse && result.Verdict == MigrationVerdict.Failed && result.Gateway == null ? result.Reason : null,
            };

            facts.Services = await _api.ListComputeServicesAsync(sink, cancellationToken).ConfigureAwait(false);
            var stayed = string.Equals(server.HostName, facts.SourceHost, StringComparison.Ordinal);
            if (request.Preflight && _checks != null && stayed && facts.DestinationHost != null && facts.Verdict == MigrationVerdict.Failed)
            {
                // The same move checked now: a full or refused destination fails it; a timeout does not.
                facts.Preflight = await _checks.CheckAsync(server, kind, facts.DestinationHost, BlockMigrationMode.Auto, freshCapacity: true, sink, cancellationToken).ConfigureAwait(false);
            }

            return facts;
        }

        private async Task AddNodeEvidenceAsync(FailureFacts facts, MigrationResult? result, INodeEvidence nodes, IEngineSink sink, CancellationToken cancellationToken)
        {
            var terms = new List<string> { facts.InstanceId };
            if (facts.Action?.RequestId is string req && req.Length > 0) terms.Add(req);
            if (facts.Record?.Uuid is string uuid && uuid.Length > 0) terms.Add(uuid);
            var start = facts.Action?.StartTime ?? facts.Record?.CreatedAt ?? result?.StartedAt ?? facts.Gateway?.SentAt ?? DateTimeOffset.UtcNow.AddHours(-1);
            var lastEvent = facts.Events.Select(e => e.FinishTime ?? e.StartTime).Where(t => t.HasValue).Select(t => t!.Value).DefaultIfEmpty(start).Max();
            var end = new[] { lastEvent, facts.Record?.UpdatedAt ?? start, result?.FinishedAt ?? start }.Max().AddMinutes(2);
            var logs = await nodes.FindLogLinesAsync(terms, start.AddSeconds(-10), end, sink, cancellationToken).ConfigureAwait(false);
            facts.Logs = logs.Lines;
            var proxies = ProxiesIn(logs.Lines);
            facts.Settings = await nodes.ReadSettingsAsync(proxies, sink, cancellationToken).ConfigureAwait(false);
            facts.Unread = logs.Unread;
        }

        /// <summary>The backends HAProxy's log lines name ("frontend backend/server ... status").</summary>
        internal static IReadOnlyList<string> ProxiesIn(IEnumerable<OSLogEntry> lines)
        {
            var names = new List<string>();
            foreach (var l in lines.Where(l => l.Path.IndexOf("haproxy", StringComparison.OrdinalIgnoreCase) >= 0))
            {
                var m = System.Text.RegularExpressions.Regex.Match(l.Line, @"\] (?<fe>\S+?)~? (?<be>[^/\s]+)/\S+ ");
                if (m.Success && !names.Contains(m.Groups["be"].Value))
                {
                    names.Add(m.Groups["be"].Value);
                }
            }

            return names;
        }

        private async Task<InstanceActionRecord?> FindActionAsync(string instanceId, string? requestId, MigrationRecord? record, MigrationKind kind, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (requestId == null)
            {
                var name = kind == MigrationKind.Live ? "live-migration" : "migrate";
                var actions = await _api.ListInstanceActionsAsync(instanceId, sink, cancellationToken).ConfigureAwait(false);
                var candidates = actions.Where(a => a.Action == name).ToList();
                var match = record?.CreatedAt is DateTimeOffset created
                    ? candidates.OrderBy(a => Math.Abs(((a.StartTime ?? DateTimeOffset.MinValue) - created).TotalSeconds)).FirstOrDefault()
                    : candidates.OrderByDescending(a => a.StartTime).FirstOrDefault();
                requestId = match?.RequestId;
            }

            return requestId == null ? null : await _api.GetInstanceActionAsync(instanceId, requestId, sink, cancellationToken).ConfigureAwait(false);
        }

        /// <summary>What a record and the instance say now. A record can say completed while the instance is stuck on its source.</summary>
        private static MigrationVerdict? VerdictOf(MigrationRecord? record, Instance server) => record?.Status switch
        {
            null => null,
            "cancelled" => MigrationVerdict.Aborted,
            "error" or "failed" => MigrationVerdict.Failed,
            "completed" or "confirmed" or "finished" or "done" when string.IsNullOrEmpty(server.TaskState) && server.HostName == record.DestinationHost => MigrationVerdict.Succeeded,
            "completed" or "confirmed" or "finished" or "done" => MigrationVerdict.Failed,
            _ => (MigrationVerdict?)null,
        };
    }

    /// <summary>The Nova reads a diagnosis needs.</summary>
    internal interface IDiagnosisApi
    {
        Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken);

        Task<IReadOnlyList<MigrationRecord>> ListMigrationsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken);

        Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken);

        Task<InstanceActionRecord?> GetInstanceActionAsync(string instanceId, string requestId, IEngineSink sink, CancellationToken cancellationToken);

        Task<IReadOnlyList<ComputeService>> ListComputeServicesAsync(IEngineSink sink, CancellationToken cancellationToken);
    }

    internal sealed class NovaDiagnosisApi : IDiagnosisApi
    {
        private readonly NovaClient _nova;

        public NovaDiagnosisApi(CloudSession session)
        {
            _nova = new NovaClient(session);
        }

        public Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => _nova.GetServerAsync(id, sink, cancellationToken);

        public async Task<IReadOnlyList<MigrationRecord>> ListMigrationsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var all = new List<MigrationRecord>();
            await _nova.ListMigrationsAsync(new MigrationQuery { InstanceId = instanceId }, page => all.AddRange(page), sink, cancellationToken).ConfigureAwait(false);
            return all;
        }

        public Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken) => _nova.ListInstanceActionsAsync(instanceId, sink, cancellationToken);

        public Task<InstanceActionRecord?> GetInstanceActionAsync(string instanceId, string requestId, IEngineSink sink, CancellationToken cancellationToken) => _nova.GetInstanceActionAsync(instanceId, requestId, sink, cancellationToken);

        public Task<IReadOnlyList<ComputeService>> ListComputeServicesAsync(IEngineSink sink, CancellationToken cancellationToken) => _nova.ListServicesAsync("nova-compute", null, sink, cancellationToken);
    }
}
