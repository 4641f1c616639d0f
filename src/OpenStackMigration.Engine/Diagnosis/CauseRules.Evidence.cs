using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.Diagnosis
{
    /// <summary>The cause table's helpers: evidence from events, faults, log lines and settings, and the fixes' figures.</summary>
    public static partial class CauseRules
    {
        /// <summary>The records every diagnosis shows: the failed events, the fault, the record.</summary>
        private static IEnumerable<DiagnosisEvidence> BaseEvidence(FailureFacts f)
        {
            foreach (var e in f.FailedEvents)
            {
                yield return EventEvidence(e);
            }

            if (!string.IsNullOrEmpty(f.Fault))
            {
                yield return new DiagnosisEvidence { Source = "instance fault", Text = Trim(f.Fault!) };
            }

            if (f.Record != null)
            {
                yield return new DiagnosisEvidence { Source = "migration record", Time = f.Record.UpdatedAt, Text = $"migration {f.Record.Id} ({f.Record.MigrationType}) {f.Record.SourceHost} -> {f.Record.DestinationHost}: {f.Record.Status}" };
            }
        }

        private static string RaiseFix(int? current, double? took, string service, string nodes, string? destination)
        {
            if (current >= NovaDefaultLongRpcTimeout && !took.HasValue)
            {
                return $"{destination} took more than {current} s to answer: a healthy compute answers in seconds, so look at {destination}'s nova-compute (hung, overloaded, or its RPC queue stuck: Find-OSLogEntry on it) before raising long_rpc_timeout.";
            }

            var need = Math.Max((current ?? 60) * 2, took.HasValue ? took.Value * 2 : 0);
            var seconds = RoundUp(Math.Max(need, 60));
            return $"Set-OSRpcTimeout -Setting long_rpc_timeout -Seconds {seconds} -Service nova -ComputerName {nodes} -Restart"
                + (took.HasValue ? $" ({destination} needed {took.Value:0} s; also find out why it is that slow)" : string.Empty);
        }

        internal static bool IsNoValidHost(FailureFacts f) =>
            f.FailedEvents.Any(e => Contains(e.Details, "No valid host")) || Contains(f.Fault, "No valid host");

        private static bool IsError(InstanceActionEvent e) => e.Result != null && e.Result.IndexOf("error", StringComparison.OrdinalIgnoreCase) >= 0;

        private static double? Seconds(InstanceActionEvent? e) =>
            e?.StartTime != null && e.FinishTime != null ? (e.FinishTime.Value - e.StartTime.Value).TotalSeconds : (double?)null;

        private static string NovaHid(FailureFacts f, string what) =>
            IsNoValidHost(f) ? $"Nova reported only \"No valid host was found\": with a destination given, nova-conductor logs {what} at DEBUG, excludes the host and asks the scheduler again." : string.Empty;

        /// <summary>Evidence from events, the fault and log lines whose text matches any of the phrases.</summary>
        private static List<DiagnosisEvidence> Said(FailureFacts f, IReadOnlyList<string> phrases)
        {
            var list = new List<DiagnosisEvidence>();
            list.AddRange(f.Events.Where(e => ContainsAny(e.Details, phrases) || ContainsAny(e.Traceback, phrases)).Select(EventEvidence));
            if (ContainsAny(f.Fault, phrases))
            {
                list.Add(new DiagnosisEvidence { Source = "instance fault", Text = Trim(f.Fault!) });
            }

            // A traceback repeats the phrase on many lines: the first few distinct messages say it.
            list.AddRange(f.Logs.Where(l => ContainsAny(l.Message, phrases)).GroupBy(l => l.Message).Select(g => g.First()).Take(MaxLinesPerRule).Select(LogEvidence));
            return list;
        }

        private static IEnumerable<DiagnosisEvidence> LogMatches(FailureFacts f, string pathPart, Func<OSLogEntry, bool> match) =>
            f.Logs.Where(l => (l.Path.IndexOf(pathPart, StringComparison.OrdinalIgnoreCase) >= 0 || (l.Logger ?? string.Empty).IndexOf(pathPart, StringComparison.OrdinalIgnoreCase) >= 0) && match(l))
                .GroupBy(l => l.Message).Select(g => g.First()).Take(MaxLinesPerRule).Select(LogEvidence);

        /// <summary>At most this many log lines back one rule.</summary>
        private const int MaxLinesPerRule = 6;

        private static DiagnosisEvidence EventEvidence(InstanceActionEvent e) => new DiagnosisEvidence
        {
            Source = "instance action",
            ComputerName = e.Host,
            Time = e.FinishTime ?? e.StartTime,
            Text = $"{e.Event}: {e.Result ?? "not finished"}"
                + (e.StartTime.HasValue && e.FinishTime.HasValue ? $" after {(e.FinishTime.Value - e.StartTime.Value).TotalSeconds:0.0} s" : string.Empty)
                + (string.IsNullOrEmpty(e.Details) ? string.Empty : ": " + Trim(e.Details!)),
        };

        private static DiagnosisEvidence LogEvidence(OSLogEntry l) => new DiagnosisEvidence
        {
            Source = "log " + System.IO.Path.GetFileName(l.Path) + ":" + l.LineNumber.ToString(CultureInfo.InvariantCulture),
            ComputerName = l.ComputerName,
            Time = l.Timestamp.HasValue ? new DateTimeOffset(l.Timestamp.Value.Kind == DateTimeKind.Utc ? l.Timestamp.Value : l.Timestamp.Value.ToUniversalTime()) : (DateTimeOffset?)null,
            Text = Trim(l.Line, 400),
        };

        private static string[] SettingValues(FailureFacts f, string setting, string? serviceContains, string? computeHost = null) =>
            Relevant(f, setting, serviceContains, computeHost)
                .Select(s => $"{s.ComputerName} {s.Service}{(s.ProcessId.HasValue ? " (pid " + s.ProcessId.Value.ToString(CultureInfo.InvariantCulture) + ")" : string.Empty)}: {s.Value ?? "(default)"}{(s.Value != null && s.Value.All(char.IsDigit) ? " s" : string.Empty)}"
                    + (s.Path != null ? " from " + s.Path + (s.LineNumber.HasValue ? ":" + s.LineNumber.Value.ToString(CultureInfo.InvariantCulture) : string.Empty) : " from " + s.Source))
                .Distinct().ToArray();

        private static int? SettingSeconds(FailureFacts f, string setting, string serviceContains, string? computeHost = null) =>
            Relevant(f, setting, serviceContains, computeHost).Where(s => s.Seconds.HasValue).Select(s => (int?)s.Seconds!.Value).Min();

        /// <summary>
        /// The settings of the services that matter. For one compute host, only the nova-compute whose own 'host' option
        /// names it (a node runs several, or shows its containers' processes too), when the 'host' values were read.
        /// </summary>
        private static IEnumerable<OSConfigSetting> Relevant(FailureFacts f, string setting, string? serviceContains, string? computeHost)
        {
            var matching = f.Settings.Where(s => s.Setting == setting && (serviceContains == null || s.Service.IndexOf(serviceContains, StringComparison.Ordinal) >= 0)).ToList();
            if (computeHost == null)
            {
                return matching;
            }

            var hosts = f.Settings.Where(s => s.Setting == "host" && !string.IsNullOrEmpty(s.Value))
                .GroupBy(s => (s.ComputerName, s.ProcessId)).ToDictionary(g => g.Key, g => g.First().Value);
            if (hosts.Count == 0)
            {
                return matching;
            }

            // The services' hosts are known and none is this one: another host's value would mislead, so say nothing.
            return matching.Where(s => hosts.TryGetValue((s.ComputerName, s.ProcessId), out var h) && h == computeHost).ToList();
        }

        private static int RoundUp(double seconds) => seconds <= 60 ? (int)Math.Ceiling(seconds / 10) * 10 : (int)Math.Ceiling(seconds / 60) * 60;

        private static string ServiceOf(string url)
        {
            var path = PathOf(url);
            return path.IndexOf("/servers", StringComparison.Ordinal) >= 0 || path.IndexOf("/os-", StringComparison.Ordinal) >= 0 ? "the Compute API (nova-api)" : "the API at " + Api.BaseOf(url);
        }

        private static string PathOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.AbsolutePath : url;

        private static bool Contains(string? text, string phrase) => text != null && text.IndexOf(phrase, StringComparison.OrdinalIgnoreCase) >= 0;

        private static bool ContainsAny(string? text, IReadOnlyList<string> phrases) => text != null && phrases.Any(p => text.IndexOf(p, StringComparison.OrdinalIgnoreCase) >= 0);

        private static string Trim(string text, int max = 300)
        {
            var t = text.Trim();
            return t.Length > max ? t.Substring(0, max) + "..." : t;
        }

        private static class Api
        {
            public static string BaseOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.GetLeftPart(UriPartial.Authority) : url;
        }
    }
}
