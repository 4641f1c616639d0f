using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration.Nodes
{
    /// <summary>A file as read from a node, with what is needed to replace it safely.</summary>
    public sealed class NodeFile
    {
        /// <summary>The path asked for (maybe a symlink).</summary>
        public string Path { get; internal set; } = string.Empty;

        /// <summary>The real file behind any symlinks; that is the file we replace, so the link stays a link.</summary>
        public string ResolvedPath { get; internal set; } = string.Empty;

        /// <summary>The bytes, or null when the file could not be read (see <see cref="Error"/>).</summary>
        public byte[]? Content { get; internal set; }

        /// <summary>The SHA-256 of the content as read, used to detect a change by someone else before the rename.</summary>
        public string Sha256 { get; internal set; } = string.Empty;

        /// <summary>Modification time (seconds.nanoseconds) as read.</summary>
        public string MTime { get; internal set; } = string.Empty;

        /// <summary>Octal mode, owner and group ids.</summary>
        public string Mode { get; internal set; } = string.Empty;

        /// <summary>How many hard links (names) the real file has; replacing it by rename splits them from it.</summary>
        public int LinkCount { get; internal set; } = 1;

        /// <summary>True when the node has gzip: content travels compressed both ways (a 10,000-line nova.conf is mostly comments; gzip -1 takes it from 354 KB to 115 KB at a third of the default level's CPU).</summary>
        public bool Gzip { get; internal set; }

        /// <summary>Why the file could not be read, or null.</summary>
        public OpenStackMigrationException? Error { get; internal set; }
    }

    /// <summary>
    /// Reading and atomically replacing files on a node with plain POSIX shell and coreutils. A write goes to a
    /// temporary file in the same folder, gets the original's owner, mode (and SELinux label), is flushed to
    /// disk, is checked (optionally by a validator such as <c>haproxy -c -f</c>), a backup is made, and it is
    /// renamed over the original only if the original still has the content and mtime we read.
    /// </summary>
    public static class NodeFiles
    {
        /// <summary>Quotes a string for the POSIX shell.</summary>
        public static string Quote(string s) => "'" + s.Replace("'", "'\"'\"'") + "'";

        private const string ReadFunction = @"LC_ALL=C; export LC_ALL
osm_emit() {
  p=$1
  printf 'OSM-FILE %s\n' ""$p""
  if [ ! -e ""$p"" ]; then echo 'OSM-ERR missing'; return; fi
  # A container's file seen through /proc/PID/root: readlink -f would resolve that link to our own root.
  case ""$p"" in
    /proc/[0-9]*/root/*) r=$p ;;
    *) r=$(readlink -f -- ""$p"") || { echo 'OSM-ERR missing'; return; } ;;
  esac
  if [ ! -f ""$r"" ]; then echo 'OSM-ERR notfile'; return; fi
  if [ ! -r ""$r"" ]; then echo 'OSM-ERR unreadable'; return; fi
  printf 'OSM-REAL %s\n' ""$r""
  stat -c 'OSM-STAT %a %u %g %.9Y %h' -- ""$r""
  printf 'OSM-SHA %s\n' ""$(sha256sum < ""$r"" | cut -c1-64)""
  if command -v gzip >/dev/null 2>&1; then
    echo 'OSM-DATA-GZ'; gzip -1 -c < ""$r"" | base64 || echo 'OSM-ERR unreadable'
  else
    echo 'OSM-DATA'; base64 < ""$r"" || echo 'OSM-ERR unreadable'
  fi
  echo 'OSM-END'
}
";

        /// <summary>The shell function <c>osm_emit PATH</c> that prints a file for <see cref="ParseFiles"/>.</summary>
        public static string EmitFunction => ReadFunction;

        /// <summary>Reads files from a node in one round trip; missing or unreadable files come back with an error.</summary>
        public static async Task<IReadOnlyList<NodeFile>> ReadAsync(INodeSession node, IEnumerable<string> paths, CancellationToken cancellationToken)
        {
            var script = new StringBuilder(ReadFunction);
            foreach (var p in paths)
            {
                script.Append("osm_emit ").Append(Quote(p)).Append('\n');
            }

            var result = await node.RunScriptAsync(script.ToString(), cancellationToken).ConfigureAwait(false);
            return ParseFiles(result.StdOut, node.ComputerName);
        }

        /// <summary>Parses the output of <c>osm_emit</c> calls.</summary>
        public static List<NodeFile> ParseFiles(string output, string computerName)
        {
            var files = new List<NodeFile>();
            NodeFile? current = null;
            StringBuilder? data = null;
            foreach (var line in output.Split('\n'))
            {
                if (data != null && current != null && line != "OSM-END" && !line.StartsWith("OSM-ERR ", StringComparison.Ordinal))
                {
                    data.Append(line);
                    continue;
                }

                if (line.StartsWith("OSM-FILE ", StringComparison.Ordinal))
                {
                    current = new NodeFile { Path = line.Substring(9), ResolvedPath = line.Substring(9) };
                    files.Add(current);
                    data = null;
                }
                else if (current == null)
                {
                    continue;
                }
                else if (line.StartsWith("OSM-ERR ", StringComparison.Ordinal))
                {
                    current.Error = ReadError(line.Substring(8), current.Path, computerName);
                    data = null;
                }
                else if (line.StartsWith("OSM-REAL ", StringComparison.Ordinal))
                {
                    current.ResolvedPath = line.Substring(9);
                }
                else if (line.StartsWith("OSM-STAT ", StringComparison.Ordinal))
                {
                    var f = line.Substring(9).Split(' ');
                    current.Mode = $"{f[0]} {f[1]}:{f[2]}";
                    current.MTime = f[3];
                    current.LinkCount = f.Length > 4 && int.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out int links) ? links : 1;
                }
                else if (line.StartsWith("OSM-SHA ", StringComparison.Ordinal))
                {
                    current.Sha256 = line.Substring(8);
                }
                else if (line == "OSM-DATA" || line == "OSM-DATA-GZ")
                {
                    data = new StringBuilder();
                    current.Gzip = line == "OSM-DATA-GZ";
                }
                else if (line == "OSM-END" && data != null)
                {
                    var bytes = Convert.FromBase64String(data.ToString());
                    current.Content = current.Gzip ? Gunzip(bytes) : bytes;
                    data = null;
                }
            }

            return files;
        }

        private static string Sha256Hex(byte[] bytes)
        {
            using var sha = System.Security.Cryptography.SHA256.Create();
            return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        }

        private static byte[] Gunzip(byte[] bytes)
        {
            using var input = new System.IO.Compression.GZipStream(new System.IO.MemoryStream(bytes), System.IO.Compression.CompressionMode.Decompress);
            using var output = new System.IO.MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }

        internal static byte[] Gzip(byte[] bytes)
        {
            using var output = new System.IO.MemoryStream();
            using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
            {
                gz.Write(bytes, 0, bytes.Length);
            }

            return output.ToArray();
        }

        private static OpenStackMigrationException ReadError(string what, string path, string computerName)
        {
            string message = what switch
            {
                "missing" => $"{computerName}: '{path}' does not exist.",
                "notfile" => $"{computerName}: '{path}' is not a regular file.",
                _ => $"{computerName}: '{path}' cannot be read (permission denied; try -Sudo, with -SudoPassword if sudo asks for one).",
            };
            return what switch
            {
                "missing" => new OpenStackMigrationException("OSConfigFileNotFound", FailureKind.NotFound, message) { Target = path },
                "notfile" => new OpenStackMigrationException("OSConfigFileNotRegular", FailureKind.InvalidArgument, message) { Target = path },
                _ => new OpenStackMigrationException("OSConfigFileUnreadable", FailureKind.PermissionDenied, message) { Target = path },
            };
        }

        /// <summary>
        /// Replaces <paramref name="original"/> with <paramref name="content"/> atomically and returns the backup path.
        /// <paramref name="validator"/> is a shell command run on the temporary file (its path is in <c>$tmp</c>);
        /// when it fails, nothing is written. Throws OSConfigChangedConcurrently when the file changed since it was read.
        /// Runs of this module writing the same file are serialised on the node (see <see cref="WriteAsync"/>).
        /// </summary>
        public static async Task<string> ReplaceAsync(INodeSession node, NodeFile original, byte[] content, string? validator, CancellationToken cancellationToken) =>
            (await WriteAsync(node, original, content, validator, cancellationToken).ConfigureAwait(false)).BackupPath;

        /// <summary>
        /// Replaces the file as <see cref="ReplaceAsync"/> does and says how: under the folder's lock (flock) so that no
        /// concurrent run of this module loses an update, with a backup that is complete or absent and named for this
        /// write alone, removing this file's temporary leftovers of killed runs. A write that has started is not
        /// cancelled: it ends with the old file or the new one and is reported as it ended.
        /// </summary>
        public static Task<NodeWriteOutcome> WriteAsync(INodeSession node, NodeFile original, byte[] content, string? validator, CancellationToken cancellationToken) =>
            NodeFileWrite.RunAsync(node, original, content, Sha256Hex(content), validator, cancellationToken);
    }
}
