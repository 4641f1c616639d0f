using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Migration
{
    /// <summary>Finds, aborts and force-completes migrations in progress, and lists the history.</summary>
    public sealed class MigrationControl
    {
        private static readonly string[] InProgressStatuses = { "accepted", "queued", "preparing", "running", "post-migrating", "migrating", "pre-migrating", "confirming", "reverting" };
        private readonly NovaClient _nova;

        /// <summary>Creates the control over a session.</summary>
        public MigrationControl(CloudSession session)
        {
            _nova = new NovaClient(session);
        }

        /// <summary>Maps Live, Cold, Resize, Evacuation to Nova's migration_type.</summary>
        public static string? NovaType(string? type) => type?.ToLowerInvariant() switch
        {
            null => null,
            "live" => "live-migration",
            "cold" => "migration",
            "resize" => "resize",
            "evacuation" => "evacuation",
            _ => type,
        };

        /// <summary>True for a status of a migration that is not over.</summary>
        public static bool IsInProgress(string status) => InProgressStatuses.Contains(status);

        /// <summary>An instance's live migrations in progress, with byte counters.</summary>
        public Task<IReadOnlyList<MigrationRecord>> GetInProgressAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken) => _nova.ListServerMigrationsAsync(instanceId, sink, cancellationToken);

        /// <summary>The history, newest first, page by page.</summary>
        public Task GetHistoryAsync(MigrationQuery query, Action<IReadOnlyList<MigrationRecord>> onPage, IEngineSink sink, CancellationToken cancellationToken) => _nova.ListMigrationsAsync(query, onPage, sink, cancellationToken);

        /// <summary>
        /// Of the history that <paramref name="query"/> selects, the migrations still in progress (<see cref="InProgressRecords"/>),
        /// page by page; Verbose names each record left out because its instance has migrated since.
        /// </summary>
        public Task GetInProgressAsync(MigrationQuery query, Action<IReadOnlyList<MigrationRecord>> onPage, IEngineSink sink, CancellationToken cancellationToken)
        {
            var inProgress = new InProgressRecords();
            return _nova.ListMigrationsAsync(
                query,
                page =>
                {
                    onPage(inProgress.Of(page, out var superseded));
                    foreach (var m in superseded)
                    {
                        sink.Verbose($"Migration {m.Id} of instance {m.InstanceId} is '{m.Status}' in Nova's records, but the instance has migrated since (migration {inProgress.NewestOf(m.InstanceId)}): Nova left it unfinished (its nova-compute restarted during it), and it keeps that status for good. Not listed.");
                    }
                },
                sink,
                cancellationToken);
        }

        /// <summary>
        /// The migration to wait for: the one with <paramref name="migrationId"/> (of the instance, when given; any instance's
        /// otherwise, found in the history newest first), or the instance's migration in progress of any type.
        /// </summary>
        public async Task<MigrationRecord> FindToWaitAsync(string? instanceId, long? migrationId, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (string.IsNullOrEmpty(instanceId) && !migrationId.HasValue)
            {
                throw new OpenStackMigrationException("OSMigrationNotGiven", FailureKind.InvalidArgument, "Name the migration to wait for: -Id, -InstanceId, -Name, or records from the pipeline (Get-OSMigration -InProgress, Move-OSInstance).");
            }

            var found = new List<MigrationRecord>();
            using (var enough = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                try
                {
                    // The history is newest first: a recent migration is on the first page; stop reading once it is seen.
                    await _nova.ListMigrationsAsync(
                        new MigrationQuery { InstanceId = string.IsNullOrEmpty(instanceId) ? null : instanceId },
                        page =>
                        {
                            found.AddRange(page);
                            if (migrationId.HasValue && page.Any(m => m.Id == migrationId.Value))
                            {
                                enough.Cancel();
                            }
                        },
                        sink,
                        enough.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
            }

            // With no id, the instance's migration in progress: its newest record, if that one is not over. An older
            // record still 'preparing' or 'running' is one Nova left unfinished (see InProgressRecords).
            var record = migrationId.HasValue ? found.FirstOrDefault(m => m.Id == migrationId.Value) : new InProgressRecords().Of(found, out _).FirstOrDefault();
            if (record != null)
            {
                return record;
            }

            if (migrationId.HasValue)
            {
                throw new OpenStackMigrationException("OSMigrationNotFound", FailureKind.NotFound, $"Migration {migrationId} {(string.IsNullOrEmpty(instanceId) ? "does not exist" : $"of instance {instanceId} does not exist")}.") { Target = instanceId ?? migrationId.ToString() };
            }

            var last = found.OrderByDescending(m => m.Id).FirstOrDefault();
            throw new OpenStackMigrationException(
                "OSMigrationNotInProgress",
                FailureKind.InvalidState,
                $"Instance {instanceId} has no migration in progress" + (last != null ? $"; its last one, {last.Id} ({last.MigrationType}), is '{last.Status}'. Wait-OSMigration -Id {last.Id} gives its verdict." : "."))
            { Target = instanceId };
        }

        /// <summary>
        /// Of an instance's live migrations in progress, the one to abort or force-complete when none is named: the newest.
        /// Nova runs one live migration of an instance at a time, so an older record still in progress is one Nova left
        /// unfinished (its nova-compute restarted during that migration: it stays 'preparing' or 'running' for good), and
        /// Nova lists oldest first.
        /// </summary>
        internal static MigrationRecord? TheOneToActOn(IReadOnlyList<MigrationRecord> inProgress) =>
            inProgress.OrderByDescending(m => m.Id).FirstOrDefault();

        /// <summary>Aborts (or force-completes) a live migration in progress; with no id, the instance's one. Returns the record, final when <paramref name="wait"/>.</summary>
        public async Task<MigrationRecord> ActAsync(string instanceId, long? migrationId, bool abort, bool wait, TimeSpan waitLimit, IEngineSink sink, CancellationToken cancellationToken)
        {
            var inProgress = await _nova.ListServerMigrationsAsync(instanceId, sink, cancellationToken).ConfigureAwait(false);
            var record = migrationId.HasValue ? inProgress.FirstOrDefault(m => m.Id == migrationId.Value) : TheOneToActOn(inProgress);
            if (!migrationId.HasValue && record != null && inProgress.Count > 1)
            {
                sink.Verbose($"Instance {instanceId} has {inProgress.Count} migrations in progress in Nova's records ({string.Join(", ", inProgress.Select(m => $"{m.Id} '{m.Status}'"))}); acting on {record.Id}. "
                    + "A record Nova left unfinished (its nova-compute restarted during that migration) keeps its status for good; -MigrationId names another.");
            }
            if (record == null)
            {
                var history = await HistoryOfAsync(instanceId, sink, cancellationToken).ConfigureAwait(false);
                var known = migrationId.HasValue ? history.FirstOrDefault(m => m.Id == migrationId.Value) : null;
                if (known == null && migrationId.HasValue)
                {
                    throw new OpenStackMigrationException("OSMigrationNotFound", FailureKind.NotFound, $"Migration {migrationId} of instance {instanceId} does not exist.") { Target = instanceId };
                }

                throw new OpenStackMigrationException(
                    "OSMigrationNotInProgress",
                    FailureKind.InvalidState,
                    known != null
                        ? $"Migration {known.Id} of instance {instanceId} is not in progress: it is '{known.Status}'."
                        : $"Instance {instanceId} has no live migration in progress.")
                { Target = instanceId };
            }

            if (abort)
            {
                if (record.Status != "running")
                {
                    // Nova before 2.65 aborts only a running live migration; asking anyway gets a 400 that reads as a bug.
                    _nova.Require(NovaClient.AbortQueuedVersion, $"Aborting migration {record.Id} of instance {instanceId} while it is '{record.Status}' (not yet running)", "Wait until Get-OSMigration shows it 'running', then run Stop-OSMigration again.");
                }

                sink.Verbose($"Aborting migration {record.Id} of {instanceId} ({record.Status}).");
                await _nova.AbortMigrationAsync(instanceId, record.Id, sink, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (record.Status != "running")
                {
                    throw new OpenStackMigrationException("OSMigrationNotRunning", FailureKind.InvalidState, $"Migration {record.Id} of instance {instanceId} is '{record.Status}'; only a running live migration can be forced to complete.") { Target = instanceId };
                }

                sink.Verbose($"Forcing migration {record.Id} of {instanceId} to complete (the instance is paused briefly).");
                await _nova.ForceCompleteMigrationAsync(instanceId, record.Id, sink, cancellationToken).ConfigureAwait(false);
            }

            if (!wait)
            {
                return record;
            }

            var until = DateTimeOffset.UtcNow + waitLimit;
            while (true)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken).ConfigureAwait(false);
                var current = (await HistoryOfAsync(instanceId, sink, cancellationToken).ConfigureAwait(false)).FirstOrDefault(m => m.Id == record.Id) ?? record;
                if (current.IsFinished)
                {
                    return current;
                }

                if (DateTimeOffset.UtcNow >= until)
                {
                    throw new OpenStackMigrationException("OSMigrationTimedOut", FailureKind.Timeout, $"Migration {record.Id} of instance {instanceId} is still '{current.Status}' {waitLimit.TotalSeconds:0} s after the {(abort ? "abort" : "force-complete")}.") { Target = instanceId };
                }
            }
        }

        private async Task<List<MigrationRecord>> HistoryOfAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var all = new List<MigrationRecord>();
            await _nova.ListMigrationsAsync(new MigrationQuery { InstanceId = instanceId, MigrationType = "live-migration" }, all.AddRange, sink, cancellationToken).ConfigureAwait(false);
            return all;
        }
    }
}
