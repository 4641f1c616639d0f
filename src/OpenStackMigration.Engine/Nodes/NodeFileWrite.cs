using System;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration.Nodes
{
    /// <summary>What a write did besides replacing the file.</summary>
    public sealed class NodeWriteOutcome
    {
        internal NodeWriteOutcome(string backupPath, bool locked, int linkCount)
        {
            BackupPath = backupPath;
            Locked = locked;
            LinkCount = linkCount;
        }

        /// <summary>The backup of the file as it was right before the rename (complete, named for this write only).</summary>
        public string BackupPath { get; }

        /// <summary>False when the node has no flock(1), so the write could not be serialised with other runs.</summary>
        public bool Locked { get; }

        /// <summary>The hard links the replaced file had; above 1, the other names kept the old content.</summary>
        public int LinkCount { get; }
    }

    /// <summary>
    /// The node-side write, as one POSIX shell script. Its guarantees, and why each step is where it is:
    /// <list type="bullet">
    /// <item>Exclusive: the script holds flock(1) on the file's folder from before it creates anything until after
    /// the rename, so runs of this module (local, over SSH, through sudo) write one file one after another and the
    /// "unchanged since read" check cannot be overtaken by another run's rename: a loser is a clear conflict, never
    /// a lost update. The kernel drops the lock when the shell dies, whatever kills it. The folder is locked rather
    /// than a lock file beside the config, so nothing new ever appears in /etc and no owner or mode question arises.</item>
    /// <item>All or nothing: new content and backup are written to hidden temporary files, flushed, and only then
    /// given their names (rename for the file; link for the backup, which never replaces an existing name, so two
    /// runs in one second get two backups and a backup is never seen half-written).</item>
    /// <item>Caller gone: once the script has arrived it ignores SIGHUP and SIGPIPE, so a killed pwsh or a dropped
    /// SSH channel does not stop it halfway: it ends with the old file or the new one, and the next Get shows which.</item>
    /// <item>Leftovers: hidden temporary files of this file that a killed run left behind are removed under the
    /// lock (so no run of ours is writing them) once they are older than <see cref="LeftoverMinutes"/> minutes.</item>
    /// </list>
    /// </summary>
    internal static class NodeFileWrite
    {
        /// <summary>How old a leftover must be before a later run removes it (older versions did not take the lock).</summary>
        internal const int LeftoverMinutes = 5;

        /// <summary>How long a run waits for another run's write of the same folder.</summary>
        internal const int LockWaitSeconds = 30;

        internal static string Script(NodeFile original, byte[] content, string newSha, string? validator)
        {
            var s = new StringBuilder();
            s.Append("r=").Append(NodeFiles.Quote(original.ResolvedPath)).Append('\n');
            s.Append("sha=").Append(NodeFiles.Quote(original.Sha256)).Append("; mt=").Append(NodeFiles.Quote(original.MTime)).Append('\n');
            s.Append("newsha=").Append(NodeFiles.Quote(newSha)).Append('\n');
            s.Append(@"LC_ALL=C; export LC_ALL
trap '' HUP PIPE
d=$(dirname -- ""$r""); b=$(basename -- ""$r"")
tmp=; bkt=
trap 'rm -f -- ${tmp:+""$tmp""} ${bkt:+""$bkt""}' EXIT
trap 'exit 143' INT TERM
fail() { echo ""OSM-ERR $1""; exit 1; }
full() { case ""$1"" in *'No space left'*|*'Disk quota exceeded'*) fail nospace ;; esac; }
immutable() { lsattr -d -- ""$1"" 2>/dev/null | cut -d' ' -f1 | grep -q i; }
unchanged() { [ ""$(sha256sum < ""$r"" | cut -c1-64)"" = ""$sha"" ] && [ ""$(stat -c %.9Y -- ""$r"")"" = ""$mt"" ]; }
[ -f ""$r"" ] || fail missing
if [ ! -w ""$r"" ]; then immutable ""$r"" && fail immutable; [ ""$(id -u)"" = 0 ] && fail rootdenied; fail readonly; fi
if [ ! -w ""$d"" ]; then immutable ""$d"" && fail dirimmutable; [ ""$(id -u)"" = 0 ] && fail rootdenied; fail dirreadonly; fi
if command -v flock >/dev/null 2>&1 && [ -r ""$d"" ]; then
  exec 9<""$d""
  flock -w ").Append(LockWaitSeconds).Append(@" 9 || fail locked
else
  echo 'OSM-NOLOCK'
fi
for f in ""$d/.$b.osm-""*; do
  [ -f ""$f"" ] && [ ! -L ""$f"" ] || continue
  [ -n ""$(find ""$f"" -maxdepth 0 -mmin +").Append(LeftoverMinutes).Append(@" 2>/dev/null)"" ] && rm -f -- ""$f""
done
tmp=$(mktemp -- ""$d/.$b.osm-XXXXXX"" 2>/dev/null) || fail mktemp
");
            s.Append(original.Gzip
                ? "err=$( { base64 -d | gzip -dc > \"$tmp\"; } 2>&1 <<'OSM_CONTENT_EOF'\n"
                : "err=$( { base64 -d > \"$tmp\"; } 2>&1 <<'OSM_CONTENT_EOF'\n");
            s.Append(Convert.ToBase64String(original.Gzip ? NodeFiles.Gzip(content) : content, Base64FormattingOptions.InsertLineBreaks).Replace("\r\n", "\n")).Append('\n');
            s.Append(@"OSM_CONTENT_EOF
) || { full ""$err""; fail decode; }
[ ""$(sha256sum < ""$tmp"" | cut -c1-64)"" = ""$newsha"" ] || fail decode
chown ""$(stat -c %u:%g -- ""$r"")"" -- ""$tmp"" || fail chown
chmod ""$(stat -c %a -- ""$r"")"" -- ""$tmp"" || fail chmod
if command -v chcon >/dev/null 2>&1; then chcon --reference=""$r"" -- ""$tmp"" 2>/dev/null || true; fi
if ! err=$(sync -- ""$tmp"" 2>&1); then full ""$err""; sync; fi
");
            if (validator != null)
            {
                // On failure, check the file as it is too: an already broken file is not the edit's fault.
                s.Append("if ! out=$( { ").Append(validator).Append("; } 2>&1); then\n")
                 .Append("  printf 'OSM-TMP %s\\n' \"$tmp\"\n")
                 .Append("  if before=$(tmp=$r; { ").Append(validator).Append("; } 2>&1); then\n")
                 .Append("    printf 'OSM-INVALID %s\\n' \"$(printf '%s' \"$out\" | tr '\\n' ' ')\"\n")
                 .Append("  else\n")
                 .Append("    printf 'OSM-INVALID-BEFORE %s\\n' \"$(printf '%s' \"$before\" | tr '\\n' ' ')\"\n")
                 .Append("  fi\n  exit 1\nfi\n");
            }

            s.Append(@"unchanged || fail changed
stamp=$(date -u +%Y%m%dT%H%M%SZ)
bkt=$(mktemp -- ""$d/.$b.osm-bak-XXXXXX"" 2>/dev/null) || fail backup
err=$(cp -p -- ""$r"" ""$bkt"" 2>&1) || { full ""$err""; fail backup; }
if ! err=$(sync -- ""$bkt"" 2>&1); then full ""$err""; sync; fi
bk=""$r.osm-$stamp.bak""; n=1
until ln -- ""$bkt"" ""$bk"" 2>/dev/null; do
  [ -e ""$bk"" ] && [ $n -lt 100 ] || fail backup
  n=$((n+1)); bk=""$r.osm-$stamp-$n.bak""
done
rm -f -- ""$bkt""; bkt=
unchanged || { rm -f -- ""$bk""; fail changed; }
links=$(stat -c %h -- ""$r"")
mv -f -- ""$tmp"" ""$r"" || { rm -f -- ""$bk""; fail rename; }
tmp=
sync -- ""$d"" 2>/dev/null || true
printf 'OSM-LINKS %s\n' ""$links""
printf 'OSM-BACKUP %s\n' ""$bk""
");
            return s.ToString();
        }

        /// <summary>
        /// Runs the write. It is not cancelled once sent: a write takes milliseconds, and stopping it halfway would
        /// leave the caller unable to say whether the file changed; it ends as it ends and is reported truthfully.
        /// </summary>
        internal static async Task<NodeWriteOutcome> RunAsync(INodeSession node, NodeFile original, byte[] content, string newSha, string? validator, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = await node.RunScriptAsync(Script(original, content, newSha, validator), CancellationToken.None).ConfigureAwait(false);
            return Interpret(result, original, node.ComputerName);
        }

        internal static NodeWriteOutcome Interpret(NodeCommandResult result, NodeFile original, string computerName)
        {
            var lines = result.StdOut.Split('\n');
            string? Line(string prefix) => lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?.Substring(prefix.Length);
            string? backup = Line("OSM-BACKUP ");
            if (result.ExitCode == 0 && backup != null)
            {
                int.TryParse(Line("OSM-LINKS "), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int links);
                return new NodeWriteOutcome(backup, !lines.Contains("OSM-NOLOCK"), links);
            }

            string path = original.Path;
            string? tmp = Line("OSM-TMP ");
            string Clean(string text) => (tmp == null ? text : text.Replace(tmp, path)).Trim();
            string? invalid = Line("OSM-INVALID ");
            if (invalid != null)
            {
                throw new OpenStackMigrationException("OSConfigValidationFailed", FailureKind.Configuration,
                    $"{computerName}: '{path}' would fail validation after the edit, so it was not written: {Clean(invalid)}") { Target = path };
            }

            string? before = Line("OSM-INVALID-BEFORE ");
            if (before != null)
            {
                throw new OpenStackMigrationException("OSConfigAlreadyInvalid", FailureKind.Configuration,
                    $"{computerName}: '{path}' already fails validation as it is, before any edit; nothing was written: {Clean(before)}")
                {
                    Target = path,
                    RecommendedAction = "Fix the file by hand until its service's check passes (for haproxy: haproxy -c -f FILE), then run the command again.",
                };
            }

            string why = Line("OSM-ERR ") ?? "shell";
            throw why switch
            {
                "changed" => new OpenStackMigrationException("OSConfigChangedConcurrently", FailureKind.Configuration,
                    $"{computerName}: '{path}' changed after it was read (another run or a person edited it); nothing was written. Run the command again: it reads the file anew.") { Target = path },
                "locked" => new OpenStackMigrationException("OSConfigLocked", FailureKind.Timeout,
                    $"{computerName}: another run kept the folder of '{path}' locked for {LockWaitSeconds} s; nothing was written. Run the command again when it has finished.") { Target = path },
                "immutable" or "dirimmutable" => new OpenStackMigrationException("OSConfigFileImmutable", FailureKind.PermissionDenied,
                    $"{computerName}: '{(why == "immutable" ? path : System.IO.Path.GetDirectoryName(original.ResolvedPath))}' is immutable (chattr +i): nobody, root included, can replace it; nothing was written.")
                {
                    Target = path,
                    RecommendedAction = $"If that is not on purpose, run 'chattr -i {(why == "immutable" ? original.ResolvedPath : System.IO.Path.GetDirectoryName(original.ResolvedPath))}' on the node, then run the command again.",
                },
                "rootdenied" => new OpenStackMigrationException("OSConfigFileReadOnly", FailureKind.PermissionDenied,
                    $"{computerName}: '{path}' cannot be written even by root (a read-only file system or mount); nothing was written.") { Target = path },
                "readonly" or "dirreadonly" or "chown" => new OpenStackMigrationException("OSConfigFileReadOnly", FailureKind.PermissionDenied,
                    $"{computerName}: '{path}' cannot be replaced with its owner and mode kept: {ReadOnlyReason(why)}; nothing was written. Use -Sudo (with -SudoPassword if sudo asks for one) or a user allowed to write it.") { Target = path },
                "nospace" => new OpenStackMigrationException("OSConfigNoSpace", FailureKind.CommandFailed,
                    $"{computerName}: no space left on the file system of '{path}' for the new file and its backup; the file was left as it was and nothing else remains.")
                {
                    Target = path,
                    RecommendedAction = "Free some space there (df -h on the node), then run the command again.",
                },
                _ => new OpenStackMigrationException("OSConfigWriteFailed", FailureKind.Configuration,
                    $"{computerName}: writing '{path}' failed at step '{why}'; the file was left as it was. {Clean(result.StdErr)}") { Target = path },
            };
        }

        private static string ReadOnlyReason(string why) => why switch
        {
            "readonly" => "the user may not write the file",
            "dirreadonly" => "the user may not create files in its folder",
            _ => "the user may not give a new file the owner of the old one",
        };
    }
}
