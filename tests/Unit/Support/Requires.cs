using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace OpenStackMigration.Tests.Support
{
    /// <summary>
    /// A fact that needs real parts (python3-oslo.config, haproxy, sshd, root). When one is missing the test is
    /// reported as skipped with the reason, never as passed. tests/integration-deps.sh installs them.
    /// </summary>
    public sealed class RequiresFactAttribute : FactAttribute
    {
        public RequiresFactAttribute(params string[] needs)
        {
            var missing = needs.Select(Requires.Missing).Where(m => m != null).ToList();
            if (missing.Count > 0)
            {
                Skip = string.Join("; ", missing) + " (run tests/integration-deps.sh as root on Debian)";
            }
        }
    }

    public static class Requires
    {
        public const string Oslo = "oslo";
        public const string HAProxy = "haproxy";
        public const string Sshd = "sshd";
        public const string Root = "root";
        public const string Samples = "samples";

        public static readonly string SamplesDir = Environment.GetEnvironmentVariable("OSM_SAMPLES_DIR") ?? "/var/tmp/openstackmigration-samples";

        private static readonly ConcurrentDictionary<string, string?> Cache = new ConcurrentDictionary<string, string?>();

        public static string? Missing(string need) => Cache.GetOrAdd(need, n => n switch
        {
            Oslo => Run("/usr/bin/python3", "-c \"import oslo_config\"") == 0 ? null : "python3-oslo.config is not installed",
            HAProxy => File.Exists("/usr/sbin/haproxy") ? null : "haproxy is not installed",
            Sshd => File.Exists("/usr/sbin/sshd") && File.Exists("/usr/bin/ssh-keygen") ? null : "openssh-server is not installed",
            Root => Run("/usr/bin/id", "-u", out var uid) == 0 && uid.Trim() == "0" ? null : "not running as root",
            Samples => File.Exists(Path.Combine(SamplesDir, "nova.conf")) && File.Exists(Path.Combine(SamplesDir, "cinder.conf")) ? null : "Debian's nova.conf/cinder.conf samples are not in " + SamplesDir,
            _ => "unknown requirement " + n,
        });

        public static int Run(string file, string args) => Run(file, args, out _);

        public static int Run(string file, string args, out string stdout)
        {
            try
            {
                var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using var p = Process.Start(psi)!;
                stdout = p.StandardOutput.ReadToEnd();
                p.StandardError.ReadToEnd();
                p.WaitForExit();
                return p.ExitCode;
            }
            catch (Exception)
            {
                stdout = string.Empty;
                return -1;
            }
        }

        public static (int Code, string Out, string Err) Sh(string script, IDictionary<string, string>? env = null)
        {
            var psi = new ProcessStartInfo("/bin/sh", "-s") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (env != null) foreach (var kv in env) psi.Environment[kv.Key] = kv.Value;
            using var p = Process.Start(psi)!;
            p.StandardInput.Write(script);
            p.StandardInput.Close();
            var o = p.StandardOutput.ReadToEndAsync();
            var e = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, o.Result, e);
        }
    }

    public sealed class TempDir : IDisposable
    {
        public TempDir()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "osm-test-" + Guid.NewGuid().ToString("N").Substring(0, 10));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public string Write(string name, string text)
        {
            var p = File(name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
            System.IO.File.WriteAllBytes(p, new System.Text.UTF8Encoding(false).GetBytes(text));
            return p;
        }

        public void Dispose()
        {
            Requires.Sh($"chattr -i -R '{Path}' 2>/dev/null; chmod -R u+rwX '{Path}' 2>/dev/null; rm -rf '{Path}'");
        }
    }

    public sealed class CollectingSink : IEngineSink
    {
        public ConcurrentQueue<string> Warnings { get; } = new ConcurrentQueue<string>();
        public ConcurrentQueue<string> Verbose { get; } = new ConcurrentQueue<string>();
        public ConcurrentQueue<string> Debugs { get; } = new ConcurrentQueue<string>();

        void IEngineSink.Verbose(string message) => Verbose.Enqueue(message);
        public void Debug(string message) => Debugs.Enqueue(message);
        public void Warning(string message) => Warnings.Enqueue(message);
        public void Progress(ProgressReport report) { }
    }
}
