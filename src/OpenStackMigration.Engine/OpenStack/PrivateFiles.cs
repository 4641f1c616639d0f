using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace OpenStackMigration.OpenStack
{
    /// <summary>
    /// Files kept between processes of one user (kept tokens, the node map): in a folder only the user can open
    /// (0700; files 0600, private before anything is written to them), replaced whole (a reader never sees half a
    /// file). On Windows in the user's local application data, private by its ACL.
    /// </summary>
    internal static class PrivateFiles
    {
        /// <summary>
        /// The user's folder for <paramref name="name"/>: <paramref name="overrideVariable"/> when set; on Windows the
        /// local application data; else $XDG_RUNTIME_DIR (memory, gone at logout) when <paramref name="preferRuntime"/>
        /// and it exists, else the user's cache folder ($XDG_CACHE_HOME or ~/.cache).
        /// </summary>
        public static string UserFolder(string name, string overrideVariable, bool preferRuntime)
        {
            var overridden = Environment.GetEnvironmentVariable(overrideVariable);
            if (!string.IsNullOrEmpty(overridden))
            {
                return overridden!;
            }

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "OpenStackMigration", name);
            }

            var runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            if (preferRuntime && !string.IsNullOrEmpty(runtime) && Directory.Exists(runtime))
            {
                return Path.Combine(runtime, "openstackmigration-" + name);
            }

            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            return Path.Combine(string.IsNullOrEmpty(cache) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : cache!, "openstackmigration", name);
        }

        /// <summary>
        /// The folder exists (or is made, 0700) and only its owner can open it; false when that cannot be ensured. The
        /// mode of a folder this call did not make is never changed: a folder others can open (say OSM_TOKEN_CACHE_DIR
        /// pointed at /var/tmp) is refused, not made private under its other users' feet.
        /// </summary>
        public static bool PrivateFolder(string folder, bool create)
        {
            if (!Directory.Exists(folder))
            {
                if (!create)
                {
                    return false;
                }

                Directory.CreateDirectory(folder);
                return Chmod(folder, 0x1C0);
            }

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                return true;
            }

            var mode = UnixMode(folder);
            if (mode.HasValue && (mode.Value & 0x3F) != 0)
            {
                return false;
            }

            // Already 0700 (or the runtime cannot say, before .NET 7): chmod to the same mode fails unless we own it.
            return Chmod(folder, 0x1C0);
        }

        /// <summary>The permission bits of a path; null on runtimes without FileSystemInfo.UnixFileMode (.NET 6 and older).</summary>
        private static int? UnixMode(string path)
        {
            var property = typeof(FileSystemInfo).GetProperty("UnixFileMode");
            return property == null ? (int?)null : Convert.ToInt32(property.GetValue(new DirectoryInfo(path)), System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>Replaces <paramref name="path"/> with <paramref name="text"/> in its private folder; false (and a Debug line) when it could not.</summary>
        public static bool Write(string path, string text, IEngineSink sink)
        {
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                if (!PrivateFolder(Path.GetDirectoryName(path)!, create: true))
                {
                    sink.Debug($"{Path.GetDirectoryName(path)} is not private to this user; nothing is kept there.");
                    return false;
                }

                // Made empty and private first, then filled: the text is never in a file others could open.
                using (File.Create(temp))
                {
                }

                if (!Chmod(temp, 0x180))
                {
                    File.Delete(temp);
                    return false;
                }

                File.WriteAllText(temp, text);
                if (File.Exists(path))
                {
                    // One rename: a reader sees the old file or the new one, never none.
                    File.Replace(temp, path, null);
                }
                else
                {
                    File.Move(temp, path);
                }

                return true;
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                sink.Debug($"{Path.GetFileName(path)} could not be written ({e.GetType().Name}).");
                try
                {
                    File.Delete(temp);
                }
                catch (IOException)
                {
                    // Nothing more to do: a leftover temporary file in the private folder.
                }

                return false;
            }
        }

        /// <summary>The text of a kept file when its folder is private, else null.</summary>
        public static string? Read(string path)
        {
            if (!File.Exists(path) || !PrivateFolder(Path.GetDirectoryName(path)!, create: false))
            {
                return null;
            }

            try
            {
                return File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return null;
            }
        }

        /// <summary>SHA-256 of the text, in lower-case hex (file names that reveal nothing of what they are for).</summary>
        public static string Sha256Hex(string text)
        {
            using var sha = SHA256.Create();
            var bytes = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
            var sb = new StringBuilder(bytes.Length * 2);
            foreach (var b in bytes)
            {
                sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return sb.ToString();
        }

        private static bool Chmod(string path, int mode)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                // The user's local application data is private to the user by its ACL.
                return true;
            }

            return NativeMethods.chmod(path, mode) == 0;
        }

        private static class NativeMethods
        {
            [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300 // the C library's name
            public static extern int chmod(string path, int mode);
#pragma warning restore SA1300
        }
    }
}
