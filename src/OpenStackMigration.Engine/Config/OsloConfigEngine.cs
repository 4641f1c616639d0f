using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Config
{
    /// <summary>One option to set in a nova or cinder file.</summary>
    public sealed class OsloEdit
    {
        /// <summary>Creates an edit.</summary>
        public OsloEdit(OsloOption option, string value, bool raiseOnly = false)
        {
            Option = option;
            Value = value;
            RaiseOnly = raiseOnly;
        }

        /// <summary>The option.</summary>
        public OsloOption Option { get; }

        /// <summary>The value to write.</summary>
        public string Value { get; }

        /// <summary>Leave the option alone when the service already sees a value at least this large.</summary>
        public bool RaiseOnly { get; }
    }

    /// <summary>Reads and plans changes of nova.conf / cinder.conf options on many nodes.</summary>
    public static class OsloConfigEngine
    {
        /// <summary>Reports the effective value of each option for every service of the project on every node.</summary>
        public static Task GetAsync(NodePool pool, string project, IReadOnlyList<OsloOption> options, IReadOnlyList<string>? configFiles,
            Action<OSConfigSetting> emit, IEngineSink sink, CancellationToken cancellationToken) =>
            pool.ForEachAsync(
                pool.Targets,
                async (target, ct) =>
                {
                    var node = pool.Session(target);
                    var views = await OsloConfigReader.ReadAsync(node, project, configFiles, ct).ConfigureAwait(false);
                    return views.SelectMany(v => options.Select(o => OsloConfigReader.Evaluate(v, o, node.ComputerName)));
                },
                (target, ex) => options.Select(o => new OSConfigSetting { ComputerName = target.DisplayName, Service = project, Setting = o.Name, Role = o.Role, Error = ex.Message, ErrorId = ex.ErrorId, ErrorKind = ex.Kind, Valid = false }),
                emit,
                cancellationToken);

        /// <summary>
        /// Plans the edits of one file per node (<paramref name="path"/>, default /etc/[project]/[project].conf) and
        /// warns when, after the edit, a service would still see another value (another file or the environment wins).
        /// </summary>
        public static async Task<List<FilePlan>> PlanAsync(NodePool pool, string project, IReadOnlyList<OsloEdit> edits, string? path,
            IReadOnlyList<string>? configFiles, bool skipMissingFile, IEngineSink sink, CancellationToken cancellationToken)
        {
            var plans = new List<FilePlan>();
            string file = path ?? OsloServices.MainFile(project);
            await pool.ForEachAsync(
                pool.Targets,
                async (target, ct) => new[] { await PlanNodeAsync(pool.Session(target), target, project, edits, file, configFiles, skipMissingFile, sink, ct).ConfigureAwait(false) },
                (target, ex) =>
                {
                    var failed = new FilePlan(target, target.DisplayName, new NodeFile { Path = file, ResolvedPath = file });
                    failed.Results.AddRange(edits.Select(e => FilePlan.Failure(target.DisplayName, file, e.Option.Name, ex)));
                    return new[] { failed };
                },
                p => { lock (plans) plans.Add(p); },
                cancellationToken).ConfigureAwait(false);
            return plans.Where(p => p.Results.Count > 0).OrderBy(p => pool.Targets.ToList().IndexOf(p.Target)).ToList();
        }

        private static async Task<FilePlan> PlanNodeAsync(INodeSession node, NodeTarget target, string project, IReadOnlyList<OsloEdit> edits, string path,
            IReadOnlyList<string>? configFiles, bool skipMissingFile, IEngineSink sink, CancellationToken ct)
        {
            var views = await OsloConfigReader.ReadAsync(node, project, configFiles, ct).ConfigureAwait(false);
            var read = views.SelectMany(v => v.Files).FirstOrDefault(f => f.File.Path == path || f.File.ResolvedPath == path);
            bool kolla = views.Any(v => v.KollaConfigDir != null && path.StartsWith(v.KollaConfigDir + "/", StringComparison.Ordinal));
            foreach (var v in views.Where(v => v.ContainerRoot != null && !kolla))
            {
                sink.Warning($"{node.ComputerName}: {v.Service} (pid {v.ProcessId}) runs in a container and reads {string.Join(", ", v.Files.Where(f => f.Document != null).Select(f => f.File.Path))}; editing {path} on the node does not change what it reads."
                    + (v.KollaConfigDir != null
                        ? $" Kolla copies its configuration in from {v.KollaConfigDir} when the container starts: use -Path {v.KollaConfigDir}/{project}.conf, then restart the container (Restart-OSService)."
                        : " Edit the file the container is built or started from, then restart it."));
            }

            if (read == null)
            {
                var files = await NodeFiles.ReadAsync(node, new[] { path }, ct).ConfigureAwait(false);
                read = OsloConfigReader.Parse(files[0]);
                if (kolla)
                {
                    sink.Verbose($"{node.ComputerName}: {path} is Kolla's copy of the configuration of {string.Join(", ", views.Where(v => v.KollaConfigDir != null).Select(v => v.Service))}; it takes effect when the container restarts.");
                }
                else if (read.Error == null)
                {
                    sink.Warning($"{node.ComputerName}: no {project} service reads '{path}' ({string.Join(", ", views.Select(v => v.Service))} read {string.Join(", ", views.SelectMany(v => v.Files).Select(f => f.File.Path).Distinct())}); the change will have no effect.");
                }
            }

            var plan = new FilePlan(target, node.ComputerName, read.File) { Service = project };
            if (read.Error != null || read.Document == null)
            {
                var error = read.Error ?? new OpenStackMigrationException("OSConfigFileUnreadable", FailureKind.PermissionDenied, $"'{path}' could not be read.");
                if (skipMissingFile && error.ErrorId == "OSConfigFileNotFound")
                {
                    sink.Verbose($"{node.ComputerName}: {path} does not exist; {project} is not configured on this node, skipped.");
                    return plan;
                }

                plan.Results.AddRange(edits.Select(e => FilePlan.Failure(node.ComputerName, path, e.Option.Name, error)));
                return plan;
            }

            // Re-parse so the views keep the document as read while we edit a copy.
            var doc = OsloIniDocument.Parse(read.File.Content!, read.File.Path);
            foreach (var edit in edits)
            {
                var old = doc.Find(OsloIniDocument.DefaultSection, edit.Option.Name);
                var result = new OSConfigChange
                {
                    ComputerName = node.ComputerName,
                    Path = read.File.Path,
                    Section = OsloIniDocument.DefaultSection,
                    Setting = edit.Option.Name,
                    OldValue = old?.Value,
                    NewValue = edit.Value,
                    Note = Note(project, edit.Option, views, node.ComputerName),
                };
                plan.Results.Add(result);
                if (edit.RaiseOnly && views.Select(v => OsloConfigReader.Evaluate(v, edit.Option, node.ComputerName)).All(s => s.Seconds >= long.Parse(edit.Value, System.Globalization.CultureInfo.InvariantCulture)))
                {
                    result.Action = ConfigAction.Unchanged;
                    result.NewValue = old?.Value;
                    result.Note = $"Kept: every {project} service already sees {edit.Option.Name} >= {edit.Value}; it is never lowered.";
                    continue;
                }

                if (old != null && OsloPlanChecks.SameValue(edit.Option, old.Value, edit.Value))
                {
                    // 'debug = True' already reads as true: rewriting its spelling would only make a backup and a restart.
                    result.Action = ConfigAction.Unchanged;
                    result.NewValue = old.Value;
                    continue;
                }

                var changes = doc.Set(OsloIniDocument.DefaultSection, edit.Option.Name, edit.Value);
                result.Action = changes.Count == 0 ? ConfigAction.Unchanged : ConfigAction.WouldChange;
                result.Diff = FilePlan.Diff(changes);
                result.LineNumber = changes.FirstOrDefault(c => c.NewText != null)?.LineNumber;
                plan.Changes.AddRange(changes);
                if (doc.FindAll(OsloIniDocument.DefaultSection, edit.Option.Name).Count() > 1)
                {
                    sink.Verbose($"{node.ComputerName}: {read.File.Path} sets {edit.Option.Name} more than once; only the last one counts and only it was changed.");
                }
            }

            if (plan.Changes.Count > 0)
            {
                plan.NewContent = ConfigText.Encode(doc.ToString());
            }

            var beforeEdit = plan.Results.ToDictionary(r => r.Setting, r => views.Select(v => OsloConfigReader.Evaluate(v, OsloServices.Option(project, r.Setting), node.ComputerName)).FirstOrDefault()?.Value);
            foreach (var result in plan.Results.Where(r => r.Action != ConfigAction.Failed))
            {
                if (kolla)
                {
                    result.Note = ((result.Note ?? string.Empty) + " Kolla copies this file into the container when it starts: restart the container for it to take effect.").Trim();
                }

                var option = OsloServices.Option(project, result.Setting);
                var after = views.Select(v => OsloConfigReader.Evaluate(v, option, node.ComputerName, read.File.Path, doc)).ToList();
                var first = after.FirstOrDefault();
                result.EffectiveValue = first?.Value ?? option.Default;
                result.EffectiveSource = first?.Source;
                bool kept = result.Note != null && result.Note.StartsWith("Kept", StringComparison.Ordinal);
                foreach (var s in after.Where(s => !kept && !kolla && s.Value != result.NewValue))
                {
                    string how = s.Source == option.EnvironmentVariable
                        ? $"the environment variable {s.Source} of the process, which beats every file"
                        : s.Source == "default"
                            ? $"its default, because it does not read {read.File.Path}"
                            : $"{s.Source}:{s.LineNumber}, which is read after {read.File.Path} and wins";
                    sink.Warning($"{node.ComputerName}: {s.Service} will still see {option.Name} = {s.Value ?? option.Default} from {how}. Edit that instead (-Path).");
                }

                if (result.Action == ConfigAction.WouldChange)
                {
                    OsloPlanChecks.Interpolations(views, option, beforeEdit[result.Setting] ?? option.Default, result.EffectiveValue ?? option.Default, read.File.Path, doc, result, node.ComputerName, sink);
                }
            }

            if (plan.HasChanges)
            {
                OsloPlanChecks.ExistingFaults(project, views, plan.Results.Select(r => r.Setting), read.File.Path, doc, node.ComputerName, sink);
                plan.WarnAboutHardLinks(sink);
            }

            return plan;
        }

        private static string? Note(string project, OsloOption option, List<ServiceConfigView> views, string computerName)
        {
            if (project.Equals("nova", StringComparison.OrdinalIgnoreCase) && option.Name == "rpc_response_timeout")
            {
                var longRpc = views.Select(v => OsloConfigReader.Evaluate(v, OsloServices.NovaLongRpcTimeout, computerName)).FirstOrDefault();
                return $"Since Rocky, Nova's live migration RPC calls time out after long_rpc_timeout (now {longRpc?.Value ?? OsloServices.NovaLongRpcTimeout.Default}); rpc_response_timeout is only their heartbeat.";
            }

            return null;
        }
    }
}
