using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Config
{
    /// <summary>Reads and plans changes of haproxy's <c>timeout server</c> on many nodes.</summary>
    public static class HAProxyEngine
    {
        /// <summary>Debian's (and Kolla's) haproxy configuration file.</summary>
        public const string DefaultPath = "/etc/haproxy/haproxy.cfg";

        /// <summary>
        /// Reports <c>timeout server</c> of every defaults section and of every proxy that sets its own; with
        /// <paramref name="proxy"/>, of the named sections (wildcards allowed), inherited or not.
        /// </summary>
        public static Task GetAsync(NodePool pool, string path, string? proxy, Action<OSHAProxyTimeout> emit, IEngineSink sink, CancellationToken cancellationToken) =>
            pool.ForEachAsync(
                pool.Targets,
                async (target, ct) =>
                {
                    var node = pool.Session(target);
                    var file = (await NodeFiles.ReadAsync(node, new[] { path }, ct).ConfigureAwait(false))[0];
                    if (file.Error != null) throw file.Error;
                    var doc = HAProxyConfigDocument.Parse(file.Content!, file.Path);
                    return Report(doc, node.ComputerName, proxy, sink);
                },
                (target, ex) => new[] { new OSHAProxyTimeout { ComputerName = target.DisplayName, Path = path, Error = ex.Message } },
                emit,
                cancellationToken);

        /// <summary>The report rows for one document.</summary>
        public static IEnumerable<OSHAProxyTimeout> Report(HAProxyConfigDocument doc, string computerName, string? proxy, IEngineSink sink)
        {
            var pattern = proxy == null ? null : new System.Text.RegularExpressions.Regex(
                "^" + System.Text.RegularExpressions.Regex.Escape(proxy).Replace(@"\*", ".*").Replace(@"\?", ".") + "$");
            foreach (var s in doc.Sections.Where(s => s.Kind != HAProxySectionKind.Other))
            {
                bool own = s.TimeoutServer.Count > 0;
                bool wanted = pattern != null ? pattern.IsMatch(s.Name ?? string.Empty) : s.Kind == HAProxySectionKind.Defaults || own;
                if (!wanted) continue;
                var v = doc.TimeoutServer(s);
                var row = new OSHAProxyTimeout
                {
                    ComputerName = computerName,
                    Path = doc.Path,
                    SectionType = s.Keyword,
                    Proxy = s.Name ?? string.Empty,
                    Value = v.Raw,
                    Milliseconds = v.Milliseconds,
                    Seconds = v.Milliseconds / 1000.0,
                    Inherited = v.Inherited,
                    DefinedIn = v.Owner?.Label,
                    LineNumber = v.LineNumber == 0 ? (int?)null : v.LineNumber,
                };
                if (s.Kind == HAProxySectionKind.Frontend)
                {
                    row.Note = "A frontend ignores 'timeout server'; its backends' values count.";
                }
                else if (v.Raw == null)
                {
                    row.Note = "Not set: haproxy never times out the server and warns about missing timeouts.";
                }
                else if (v.Milliseconds == null)
                {
                    row.Note = $"'{v.Raw}' is not a valid haproxy time.";
                }
                else if (!v.HasUnit)
                {
                    row.Note = $"'{v.Raw}' has no unit, so haproxy reads it as {v.Raw} milliseconds.";
                    sink.Warning($"{computerName}: {doc.Path}:{v.LineNumber}: 'timeout server {v.Raw}' means {v.Raw} ms, not seconds.");
                }

                yield return row;
            }
        }

        /// <summary>
        /// Plans <c>timeout server</c> = <paramref name="seconds"/> in the file on every node: every defaults section and
        /// every overriding proxy, or only <paramref name="proxy"/>. The write is validated with <c>haproxy -c -f</c>
        /// on the node before it replaces the file.
        /// </summary>
        public static async Task<List<FilePlan>> PlanAsync(NodePool pool, string path, int seconds, string? proxy, bool skipMissingFile,
            IEngineSink sink, CancellationToken cancellationToken, bool raiseOnly = false)
        {
            var plans = new List<FilePlan>();
            await pool.ForEachAsync(
                pool.Targets,
                async (target, ct) =>
                {
                    var node = pool.Session(target);
                    var file = (await NodeFiles.ReadAsync(node, new[] { path }, ct).ConfigureAwait(false))[0];
                    var plan = new FilePlan(target, node.ComputerName, file) { Validator = ServiceControl.HAProxyValidator("\"$tmp\""), Service = "haproxy" };
                    if (file.Error != null)
                    {
                        if (skipMissingFile && file.Error.ErrorId == "OSConfigFileNotFound")
                        {
                            sink.Verbose($"{node.ComputerName}: {path} does not exist; haproxy is not configured on this node, skipped.");
                            return new[] { plan };
                        }

                        throw file.Error;
                    }

                    var doc = HAProxyConfigDocument.Parse(file.Content!, file.Path);
                    var edits = doc.SetTimeoutServer(seconds, proxy, raiseOnly);
                    string value = HAProxyTime.FromSeconds(seconds);
                    foreach (var e in edits)
                    {
                        plan.Results.Add(new OSConfigChange
                        {
                            ComputerName = node.ComputerName,
                            Path = file.Path,
                            Section = e.Section.Label,
                            Setting = "timeout server",
                            OldValue = e.OldValue,
                            NewValue = value,
                            LineNumber = e.Change.LineNumber,
                            Action = ConfigAction.WouldChange,
                            Diff = new[] { e.Change.ToString() },
                            EffectiveValue = value,
                            EffectiveSource = e.Section.Label,
                        });
                    }

                    if (plan.Results.Count == 0)
                    {
                        plan.Results.Add(new OSConfigChange
                        {
                            ComputerName = node.ComputerName,
                            Path = file.Path,
                            Section = proxy ?? "defaults",
                            Setting = "timeout server",
                            OldValue = value,
                            NewValue = value,
                            Action = ConfigAction.Unchanged,
                            EffectiveValue = value,
                        });
                    }
                    else
                    {
                        plan.Changes.AddRange(edits.Select(e => e.Change));
                        plan.NewContent = ConfigText.Encode(doc.ToString());
                        plan.WarnAboutHardLinks(sink);
                    }

                    WarnAboutOthers(doc, node.ComputerName, seconds, sink);
                    return new[] { plan };
                },
                (target, ex) =>
                {
                    var failed = new FilePlan(target, target.DisplayName, new NodeFile { Path = path, ResolvedPath = path });
                    failed.Results.Add(FilePlan.Failure(target.DisplayName, path, "timeout server", ex));
                    return new[] { failed };
                },
                p => { lock (plans) plans.Add(p); },
                cancellationToken).ConfigureAwait(false);
            return plans.Where(p => p.Results.Count > 0).OrderBy(p => pool.Targets.ToList().IndexOf(p.Target)).ToList();
        }

        private static void WarnAboutOthers(HAProxyConfigDocument doc, string computerName, int seconds, IEngineSink sink)
        {
            foreach (var s in doc.Sections.Where(s => s.Kind == HAProxySectionKind.Backend || s.Kind == HAProxySectionKind.Listen))
            {
                var v = doc.TimeoutServer(s);
                if (v.Milliseconds != seconds * 1000L)
                {
                    string shown = v.Raw ?? "unset";
                    sink.Verbose($"{computerName}: {s.Label} keeps timeout server {shown} (from {v.Owner?.Label ?? "nowhere"}).");
                }
            }

            foreach (var s in doc.Sections.Where(s => s.Kind == HAProxySectionKind.Frontend && s.TimeoutServer.Count > 0))
            {
                sink.Warning($"{computerName}: {s.Label} sets 'timeout server', which haproxy ignores in a frontend.");
            }
        }
    }
}
