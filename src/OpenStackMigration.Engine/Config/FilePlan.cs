using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Config
{
    /// <summary>
    /// A planned change of one file on one node: the lines that change and the new content. Planning reads and
    /// never writes; the cmdlet asks ShouldProcess with <see cref="Description"/>, then <see cref="ApplyAsync"/>
    /// writes it atomically, refusing if the file changed meanwhile.
    /// </summary>
    public sealed class FilePlan
    {
        /// <summary>Creates a plan.</summary>
        public FilePlan(NodeTarget target, string computerName, NodeFile file)
        {
            Target = target;
            ComputerName = computerName;
            File = file;
        }

        /// <summary>The node.</summary>
        public NodeTarget Target { get; }

        /// <summary>The node's display name.</summary>
        public string ComputerName { get; }

        /// <summary>The file as read.</summary>
        public NodeFile File { get; }

        /// <summary>The content to write, or null when nothing changes.</summary>
        public byte[]? NewContent { get; set; }

        /// <summary>The lines that change.</summary>
        public List<LineChange> Changes { get; } = new List<LineChange>();

        /// <summary>One result per setting in this file; updated by apply.</summary>
        public List<OSConfigChange> Results { get; } = new List<OSConfigChange>();

        /// <summary>A shell command that validates the temporary file ($tmp) before it replaces the original.</summary>
        public string? Validator { get; set; }

        /// <summary>The services to restart or reload on the node after the write (filled by the caller).</summary>
        public string? Service { get; set; }

        /// <summary>True when applying would change the file.</summary>
        public bool HasChanges => NewContent != null && Changes.Count > 0;

        /// <summary>What -WhatIf prints: node, file and every line old -> new.</summary>
        public string Description
        {
            get
            {
                var sb = new StringBuilder($"{ComputerName}: {File.Path}");
                if (File.ResolvedPath != File.Path) sb.Append($" (-> {File.ResolvedPath})");
                foreach (var c in Changes) sb.Append("; ").Append(c);
                return sb.ToString();
            }
        }

        /// <summary>Writes the new content (with a backup) and marks the results Updated/Inserted, or Failed.</summary>
        public async Task ApplyAsync(NodePool pool, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (!HasChanges) return;
            try
            {
                var written = await NodeFiles.WriteAsync(pool.Session(Target), File, NewContent!, Validator, cancellationToken).ConfigureAwait(false);
                string backup = written.BackupPath;
                sink.Verbose($"{ComputerName}: wrote {File.Path} (backup {backup}).");
                if (!written.Locked)
                {
                    sink.Warning($"{ComputerName}: the node has no flock (util-linux), so this write of {File.Path} was not serialised with other runs; only the check that the file had not changed protected it.");
                }

                foreach (var r in Results.Where(r => r.Action == ConfigAction.WouldChange))
                {
                    r.Action = r.OldValue == null ? ConfigAction.Inserted : ConfigAction.Updated;
                    r.BackupPath = backup;
                }
            }
            catch (OpenStackMigrationException ex)
            {
                Fail(ex);
            }
        }

        /// <summary>
        /// Says, before the write, that the file has other names (hard links): the write replaces this name with a new
        /// file (that is what keeps it atomic), so the other names keep the old content.
        /// </summary>
        public void WarnAboutHardLinks(IEngineSink sink)
        {
            if (File.LinkCount > 1)
            {
                sink.Warning($"{ComputerName}: {File.Path} has {File.LinkCount} hard links: the write replaces this name with a new file, and the other names keep the old content (find them with 'find / -xdev -samefile {File.ResolvedPath}').");
            }
        }

        /// <summary>Marks every pending result of this plan as failed.</summary>
        public void Fail(OpenStackMigrationException ex)
        {
            foreach (var r in Results.Where(r => r.Action == ConfigAction.WouldChange || r.Action == ConfigAction.Unchanged))
            {
                r.Action = ConfigAction.Failed;
                r.Error = ex.Message;
                r.ErrorId = ex.ErrorId;
                r.ErrorKind = ex.Kind;
            }
        }

        /// <summary>A result that says a node or file failed before any plan could be made.</summary>
        public static OSConfigChange Failure(string computerName, string path, string setting, OpenStackMigrationException ex) => new OSConfigChange
        {
            ComputerName = computerName,
            Path = ex.Target ?? path,
            Setting = setting,
            Action = ConfigAction.Failed,
            Error = ex.Message,
            ErrorId = ex.ErrorId,
            ErrorKind = ex.Kind,
        };

        /// <summary>Formats changes the way results show them.</summary>
        internal static string[] Diff(IEnumerable<LineChange> changes) => changes.Select(c => c.ToString()).ToArray();
    }
}
