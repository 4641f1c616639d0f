using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Xml;
using OpenStackMigration.Model;

namespace OpenStackMigration.Maintenance
{
    /// <summary>
    /// A rolling maintenance as JUnit XML (the format Jenkins' junit step reads): one test suite for the run, one test case
    /// per host (failed: a &lt;failure&gt; with the step and error id; not run: &lt;skipped&gt;), each step a line of its system-out.
    /// </summary>
    public static class RollingJUnitReport
    {
        /// <summary>The report as XML text.</summary>
        public static string ToXml(RollingRunState state)
        {
            var text = new StringBuilder();
            var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false };
            using (var writer = XmlWriter.Create(new StringWriterUtf8(text), settings))
            {
                var failures = state.Hosts.Count(h => h.Status == RollingStatus.Failed);
                var skipped = state.Hosts.Count(h => h.Status != RollingStatus.Succeeded && h.Status != RollingStatus.Failed);
                var total = (state.FinishedAt ?? DateTimeOffset.UtcNow) - state.StartedAt;
                writer.WriteStartElement("testsuites");
                writer.WriteAttributeString("name", "Invoke-OSRollingMaintenance");
                writer.WriteAttributeString("tests", Number(state.Hosts.Count));
                writer.WriteAttributeString("failures", Number(failures));
                writer.WriteAttributeString("time", Seconds(total));
                writer.WriteStartElement("testsuite");
                writer.WriteAttributeString("name", $"Rolling maintenance of {state.CloudName}: {state.Reason}");
                writer.WriteAttributeString("tests", Number(state.Hosts.Count));
                writer.WriteAttributeString("failures", Number(failures));
                writer.WriteAttributeString("errors", "0");
                writer.WriteAttributeString("skipped", Number(skipped));
                writer.WriteAttributeString("timestamp", state.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
                writer.WriteAttributeString("time", Seconds(total));
                foreach (var host in state.Hosts.OrderBy(h => h.Order))
                {
                    writer.WriteStartElement("testcase");
                    writer.WriteAttributeString("classname", "OpenStackMigration.RollingMaintenance." + (state.CloudName ?? "cloud"));
                    writer.WriteAttributeString("name", host.HostName);
                    writer.WriteAttributeString("time", Seconds(host.Duration ?? TimeSpan.Zero));
                    var failed = host.Steps.LastOrDefault(s => s.Status == RollingStatus.Failed);
                    if (host.Status == RollingStatus.Failed && failed != null)
                    {
                        writer.WriteStartElement("failure");
                        writer.WriteAttributeString("type", failed.ErrorId ?? "OSRollingStepFailed");
                        writer.WriteAttributeString("message", $"{failed.Step}: {failed.Message}");
                        writer.WriteString($"{host.HostName} failed at {failed.Step} (attempt {failed.Attempt}) and was left {(host.DisabledByRun ? "disabled" : "as it was")}: {failed.Message}");
                        writer.WriteEndElement();
                    }
                    else if (host.Status != RollingStatus.Succeeded)
                    {
                        writer.WriteStartElement("skipped");
                        writer.WriteAttributeString("message", state.StopReason ?? $"Not finished ({host.Status}).");
                        writer.WriteEndElement();
                    }

                    writer.WriteElementString("system-out", string.Join("\n", host.Steps.Select(s =>
                        $"{s.Step} {s.Status} {Seconds(s.Duration ?? TimeSpan.Zero)}s moved={s.InstancesMoved} failed={s.InstancesFailed}: {s.Message}")));
                    writer.WriteEndElement();
                }

                writer.WriteEndElement();
                writer.WriteEndElement();
            }

            return text.ToString();
        }

        /// <summary>Writes the report to a file (UTF-8, whole or not at all).</summary>
        public static void Write(RollingRunState state, string path)
        {
            var temporary = path + ".tmp-" + Guid.NewGuid().ToString("N").Substring(0, 8);
            File.WriteAllText(temporary, ToXml(state), new UTF8Encoding(false));
            if (File.Exists(path))
            {
                File.Replace(temporary, path, null);
            }
            else
            {
                File.Move(temporary, path);
            }
        }

        private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

        private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

        private sealed class StringWriterUtf8 : StringWriter
        {
            public StringWriterUtf8(StringBuilder text)
                : base(text, CultureInfo.InvariantCulture)
            {
            }

            public override Encoding Encoding => new UTF8Encoding(false);
        }
    }
}
