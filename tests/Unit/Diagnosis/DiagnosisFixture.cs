#nullable enable
using System;
using System.IO;
using System.Linq;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Tests.Diagnosis
{
    /// <summary>
    /// One failure captured from the lab's real Nova (tests/Unit/Fixtures/Diagnosis/&lt;scenario&gt;, see FINDINGS.md there):
    /// the records read through the clients' own parsers, the log lines through LogSearch's parser.
    /// </summary>
    internal static class DiagnosisFixture
    {
        public static string Folder(string scenario) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Diagnosis", scenario);

        public static JObject Json(string scenario, string file)
        {
            using var reader = new JsonTextReader(new StringReader(File.ReadAllText(Path.Combine(Folder(scenario), file)))) { DateParseHandling = DateParseHandling.None };
            return (JObject)JToken.ReadFrom(reader);
        }

        /// <summary>The facts as Debug-OSMigration gathers them after the failure, with the nodes' log lines when asked.</summary>
        public static FailureFacts Facts(string scenario, bool withLogs = true)
        {
            var capture = Json(scenario, "capture.json");
            var server = NovaClient.ParseInstance(Json(scenario, "server.json")["server"]!);
            var migrationId = (long)capture["migration_id"]!;
            var record = ((JArray)Json(scenario, "migrations.json")["migrations"]!).Select(m => NovaClient.ParseMigration(m, null)).Single(m => m.Id == migrationId);
            var facts = new FailureFacts
            {
                InstanceId = server.Id,
                InstanceName = server.Name,
                SourceHost = (string?)capture["source_host"],
                DestinationHost = (string?)capture["destination_host"],
                InstanceHost = server.HostName,
                InstanceStatus = server.StatusText,
                InstanceTaskState = server.TaskState,
                // As Debug-OSMigration reads it: a completed record counts only once the instance runs on the destination.
                Verdict = record.IsSucceeded && server.HostName == record.DestinationHost && server.TaskState == null ? MigrationVerdict.Succeeded : MigrationVerdict.Failed,
                Record = record,
                Action = NovaClient.ParseAction(Json(scenario, "instance-action.json")["instanceAction"]!),
                Fault = server.Fault,
                Services = ((JArray)Json(scenario, "services.json")["services"]!).Select(NovaClient.ParseService).ToList(),
            };
            if (withLogs)
            {
                facts.Logs = Directory.GetFiles(Path.Combine(Folder(scenario), "logs"), "*.log").OrderBy(p => p, StringComparer.Ordinal)
                    .SelectMany(p => File.ReadAllLines(p).Select((line, i) => LogSearch.Parse("localhost", "/lab/log/" + Path.GetFileName(p), i + 1, line)))
                    .ToList();
            }

            return facts;
        }

        /// <summary>The same facts as Nova showed them at the moment the migration failed: events that finished later are still running.</summary>
        public static FailureFacts AtFailure(string scenario, bool withLogs = false)
        {
            var facts = Facts(scenario, withLogs);
            var failedAt = facts.Record!.UpdatedAt!.Value;
            foreach (var e in facts.Events.Where(e => e.FinishTime > failedAt))
            {
                e.FinishTime = null;
                e.Result = null;
            }

            return facts;
        }
    }
}
