using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.OpenStack
{
    /// <summary>Filters for Nova's migration history.</summary>
    public sealed class MigrationQuery
    {
        /// <summary>One instance's migrations.</summary>
        public string? InstanceId { get; set; }

        /// <summary>Migrations from or to this host.</summary>
        public string? Host { get; set; }

        /// <summary>One status.</summary>
        public string? Status { get; set; }

        /// <summary>live-migration, migration, resize, evacuation.</summary>
        public string? MigrationType { get; set; }

        /// <summary>Changed at or after this time.</summary>
        public DateTimeOffset? ChangesSince { get; set; }

        /// <summary>Changed at or before this time (2.66+).</summary>
        public DateTimeOffset? ChangesBefore { get; set; }
    }

    /// <summary>A server group's policy and members.</summary>
    public sealed class ServerGroupInfo
    {
        /// <summary>The group's id.</summary>
        public string Id { get; set; } = string.Empty;

        /// <summary>The group's name.</summary>
        public string Name { get; set; } = string.Empty;

        /// <summary>affinity, anti-affinity, soft-affinity, soft-anti-affinity.</summary>
        public string Policy { get; set; } = string.Empty;

        /// <summary>max_server_per_host for anti-affinity (2.64+), when set.</summary>
        public int? MaxServerPerHost { get; set; }

        /// <summary>The member instances' ids.</summary>
        public IReadOnlyList<string> Members { get; set; } = Array.Empty<string>();
    }

    public sealed partial class NovaClient
    {
        /// <summary>A cold migration names its destination host from 2.56 (Queens).</summary>
        internal static readonly Microversion ColdMigrationHostVersion = new Microversion(2, 56);

        /// <summary>A queued or preparing live migration can be aborted from 2.65 (Rocky); before, only a running one.</summary>
        internal static readonly Microversion AbortQueuedVersion = new Microversion(2, 65);

        private static readonly Microversion AsyncLiveMigrationVersion = new Microversion(2, 68);
        private static readonly Microversion MigrationListVersion = new Microversion(2, 80);
        private static readonly Microversion ActionDetailsVersion = new Microversion(2, 84);

        /// <summary>Starts a live migration; returns the request id (the instance action's key).</summary>
        public async Task<string?> LiveMigrateAsync(string instanceId, string? host, BlockMigrationMode mode, bool localDisks, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = At(AsyncLiveMigrationVersion);
            var response = await SendAsync("POST", $"/servers/{Uri.EscapeDataString(instanceId)}/action", version, sink, cancellationToken, LiveMigrateBody(version, host, mode, localDisks), $"live-migrating instance {instanceId}" + (host != null ? $" to {host}" : string.Empty)).ConfigureAwait(false);
            return response.RequestId;
        }

        /// <summary>
        /// The os-migrateLive body for a microversion: before 2.25 block_migration is a boolean (decided
        /// here from the storage) with disk_over_commit; from 2.25 "auto" is allowed and disk_over_commit
        /// is gone; "force" (2.30-2.67) is never sent, so Nova's scheduler still checks the destination.
        /// </summary>
        internal static JObject LiveMigrateBody(Microversion version, string? host, BlockMigrationMode mode, bool localDisks)
        {
            var body = new JObject { ["host"] = host == null ? JValue.CreateNull() : (JToken)host };
            if (version >= new Microversion(2, 25))
            {
                body["block_migration"] = mode switch
                {
                    BlockMigrationMode.Always => true,
                    BlockMigrationMode.Never => false,
                    _ => "auto",
                };
            }
            else
            {
                body["block_migration"] = mode == BlockMigrationMode.Always || (mode == BlockMigrationMode.Auto && localDisks);
                body["disk_over_commit"] = false;
            }

            return new JObject { ["os-migrateLive"] = body };
        }

        /// <summary>Starts a cold migration (the host may be named from 2.56); returns the request id.</summary>
        public async Task<string?> MigrateAsync(string instanceId, string? host, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = At(ColdMigrationHostVersion);
            if (host != null)
            {
                Require(ColdMigrationHostVersion, $"Cold migration to a named host ({host})", "Leave out -DestinationHost and Nova's scheduler picks the host (Test-OSMigrationTarget shows which hosts fit), or move it live: a live migration names its host on every microversion.");
            }

            var response = await SendAsync("POST", $"/servers/{Uri.EscapeDataString(instanceId)}/action", version, sink, cancellationToken, MigrateBody(host), $"cold-migrating instance {instanceId}" + (host != null ? $" to {host}" : string.Empty)).ConfigureAwait(false);
            return response.RequestId;
        }

        /// <summary>The migrate body: null, or the host (2.56+).</summary>
        internal static JObject MigrateBody(string? host) => new JObject { ["migrate"] = host == null ? JValue.CreateNull() : new JObject { ["host"] = host } };

        /// <summary>Confirms (keeps) or reverts a cold migration waiting in VERIFY_RESIZE.</summary>
        public async Task<string?> ConfirmOrRevertAsync(string instanceId, bool confirm, IEngineSink sink, CancellationToken cancellationToken)
        {
            var action = confirm ? "confirmResize" : "revertResize";
            var response = await SendAsync("POST", $"/servers/{Uri.EscapeDataString(instanceId)}/action", new Microversion(2, 1), sink, cancellationToken, new JObject { [action] = JValue.CreateNull() }, $"{(confirm ? "confirming" : "reverting")} the migration of instance {instanceId}").ConfigureAwait(false);
            return response.RequestId;
        }

        /// <summary>The live migrations in progress for an instance, with their byte counters (2.23+).</summary>
        public async Task<IReadOnlyList<MigrationRecord>> ListServerMigrationsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = Require(new Microversion(2, 23), "Listing an instance's migrations in progress");
            var response = await SendAsync("GET", $"/servers/{Uri.EscapeDataString(instanceId)}/migrations", At(MigrationListVersion) > version ? At(MigrationListVersion) : version, sink, cancellationToken).ConfigureAwait(false);
            return (response.Object["migrations"] as JArray ?? new JArray()).Select(m => ParseMigration(m, "live-migration")).ToList();
        }

        /// <summary>Migration history across the cloud, newest first, paged (2.59+).</summary>
        public async Task ListMigrationsAsync(MigrationQuery query, Action<IReadOnlyList<MigrationRecord>> onPage, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = At(MigrationListVersion);
            string? marker = null;
            do
            {
                var parameters = new List<string>();
                void Add(string name, string? value)
                {
                    if (!string.IsNullOrEmpty(value))
                    {
                        parameters.Add(name + "=" + Uri.EscapeDataString(value!));
                    }
                }

                Add("instance_uuid", query.InstanceId);
                Add("host", query.Host);
                Add("status", query.Status);
                Add("migration_type", query.MigrationType);
                Add("changes-since", query.ChangesSince?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));
                if (query.ChangesBefore != null)
                {
                    Require(new Microversion(2, 66), "Filtering migrations by -Before");
                    Add("changes-before", query.ChangesBefore.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));
                }

                var paged = version >= new Microversion(2, 59);
                if (paged)
                {
                    Add("limit", "1000");
                    Add("marker", marker);
                }

                var response = await SendAsync("GET", "/os-migrations" + (parameters.Count > 0 ? "?" + string.Join("&", parameters) : string.Empty), version, sink, cancellationToken).ConfigureAwait(false);
                var page = (response.Object["migrations"] as JArray ?? new JArray()).Select(m => ParseMigration(m, null)).ToList();
                onPage(page);
                var hasNext = (response.Object["migrations_links"] as JArray)?.Any(l => Json.Str(l, "rel") == "next") == true;
                marker = paged && hasNext && page.Count > 0 ? page[page.Count - 1].Uuid : null;
            }
            while (marker != null);
        }

        /// <summary>Aborts a live migration in progress (2.24+; queued or preparing ones from 2.65).</summary>
        public async Task AbortMigrationAsync(string instanceId, long migrationId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = Require(new Microversion(2, 24), "Aborting a live migration");
            await SendAsync("DELETE", $"/servers/{Uri.EscapeDataString(instanceId)}/migrations/{migrationId}", At(AbortQueuedVersion) > version ? At(AbortQueuedVersion) : version, sink, cancellationToken, description: $"aborting migration {migrationId} of instance {instanceId}").ConfigureAwait(false);
        }

        /// <summary>Forces a running live migration to complete (pauses the instance so memory converges; 2.22+).</summary>
        public async Task ForceCompleteMigrationAsync(string instanceId, long migrationId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = Require(new Microversion(2, 22), "Force-completing a live migration");
            await SendAsync("POST", $"/servers/{Uri.EscapeDataString(instanceId)}/migrations/{migrationId}/action", version, sink, cancellationToken, new JObject { ["force_complete"] = JValue.CreateNull() }, $"force-completing migration {migrationId} of instance {instanceId}").ConfigureAwait(false);
        }

        /// <summary>One instance action with its events (details from 2.84).</summary>
        public async Task<InstanceActionRecord?> GetInstanceActionAsync(string instanceId, string requestId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var response = await SendAsync("GET", $"/servers/{Uri.EscapeDataString(instanceId)}/os-instance-actions/{Uri.EscapeDataString(requestId)}", At(ActionDetailsVersion), sink, cancellationToken, accept: 404).ConfigureAwait(false);
            return response.Status == 404 ? null : ParseAction(response.Object["instanceAction"] ?? new JObject());
        }

        /// <summary>An instance's actions, newest first.</summary>
        public async Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken)
        {
            var response = await SendAsync("GET", $"/servers/{Uri.EscapeDataString(instanceId)}/os-instance-actions", At(ActionDetailsVersion), sink, cancellationToken).ConfigureAwait(false);
            return (response.Object["instanceActions"] as JArray ?? new JArray()).Select(ParseAction).ToList();
        }

        /// <summary>Every server group (all projects for an admin), with policy and members.</summary>
        public async Task<IReadOnlyList<ServerGroupInfo>> ListServerGroupsAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = At(new Microversion(2, 64));
            var response = await SendAsync("GET", "/os-server-groups?all_projects=True&limit=1000", version, sink, cancellationToken).ConfigureAwait(false);
            return (response.Object["server_groups"] as JArray ?? new JArray()).Select(g => new ServerGroupInfo
            {
                Id = Json.Str(g, "id") ?? string.Empty,
                Name = Json.Str(g, "name") ?? string.Empty,
                Policy = Json.Str(g, "policy") ?? (g["policies"] as JArray)?.FirstOrDefault()?.ToString() ?? string.Empty,
                MaxServerPerHost = (int?)Json.Long(g["rules"], "max_server_per_host"),
                Members = (g["members"] as JArray ?? new JArray()).Select(m => (string?)m ?? string.Empty).ToList(),
            }).ToList();
        }

        internal static MigrationRecord ParseMigration(JToken m, string? defaultType) => new MigrationRecord
        {
            Id = Json.Long(m, "id") ?? 0,
            Uuid = Json.Str(m, "uuid"),
            InstanceId = Json.Str(m, "instance_uuid") ?? Json.Str(m, "server_uuid") ?? string.Empty,
            MigrationType = Json.Str(m, "migration_type") ?? defaultType ?? string.Empty,
            Status = Json.Str(m, "status") ?? string.Empty,
            SourceHost = Json.Str(m, "source_compute"),
            SourceNode = Json.Str(m, "source_node"),
            DestinationHost = Json.Str(m, "dest_compute"),
            DestinationNode = Json.Str(m, "dest_node"),
            MemoryTotalBytes = Json.Long(m, "memory_total_bytes"),
            MemoryProcessedBytes = Json.Long(m, "memory_processed_bytes"),
            MemoryRemainingBytes = Json.Long(m, "memory_remaining_bytes"),
            DiskTotalBytes = Json.Long(m, "disk_total_bytes"),
            DiskProcessedBytes = Json.Long(m, "disk_processed_bytes"),
            DiskRemainingBytes = Json.Long(m, "disk_remaining_bytes"),
            CreatedAt = Json.Time(m, "created_at"),
            UpdatedAt = Json.Time(m, "updated_at"),
            ProjectId = Json.Str(m, "project_id"),
        };

        internal static InstanceActionRecord ParseAction(JToken a) => new InstanceActionRecord
        {
            Action = Json.Str(a, "action") ?? string.Empty,
            RequestId = Json.Str(a, "request_id") ?? string.Empty,
            InstanceId = Json.Str(a, "instance_uuid") ?? string.Empty,
            StartTime = Json.Time(a, "start_time"),
            Message = Json.Str(a, "message"),
            Events = (a["events"] as JArray ?? new JArray()).Select(e => new InstanceActionEvent
            {
                Event = Json.Str(e, "event") ?? string.Empty,
                Result = Json.Str(e, "result"),
                Host = Json.Str(e, "host"),
                Details = Json.Str(e, "details"),
                Traceback = Json.Str(e, "traceback"),
                StartTime = Json.Time(e, "start_time"),
                FinishTime = Json.Time(e, "finish_time"),
            }).ToList(),
        };
    }
}
