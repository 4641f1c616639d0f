#nullable enable
using System;
using System.IO;
using System.Linq;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Tests.Support
{
    /// <summary>
    /// One real sshd on 127.0.0.1 (tests/tools/loopback-sshd.sh, as the Pester tests use it), started on first use
    /// and stopped with the test class. It runs in a mount namespace of its own, so <see cref="NodeEtc"/> folders of
    /// /etc are private to it. Needs root and openssh-server: tests that use it are RequiresFact(Root, Sshd).
    /// </summary>
    public class LoopbackSshd : IDisposable
    {
        private readonly object _gate = new object();
        private string? _dir;
        private int _port;

        /// <summary>Folders of /etc that the node gets private copies of (an empty one, made and left, when this machine has none).</summary>
        protected virtual string NodeEtc => string.Empty;

        /// <summary>The node, connected as root with the fixture's key and strict host key checking.</summary>
        public NodeTarget Target
        {
            get
            {
                Start();
                return new NodeTarget
                {
                    ComputerName = "127.0.0.1",
                    Port = _port,
                    UserName = "root",
                    KeyFilePath = Path.Combine(_dir!, "id_ed25519"),
                    KnownHostsPath = Path.Combine(_dir!, "known_hosts"),
                    HostKeyPolicy = HostKeyPolicy.Strict,
                };
            }
        }

        /// <summary>Runs a shell script on the node with the OpenSSH client (to see its private /etc).</summary>
        public (int Code, string Out, string Err) Ssh(string script)
        {
            Start();
            return Requires.Sh($"ssh -p {_port} -i '{_dir}/id_ed25519' -o UserKnownHostsFile='{_dir}/known_hosts' -o StrictHostKeyChecking=yes -o BatchMode=yes root@127.0.0.1 sh -s <<'OSM_EOF'\n{script}\nOSM_EOF\n");
        }

        private void Start()
        {
            lock (_gate)
            {
                if (_dir != null) return;
                var dir = Path.Combine(Path.GetTempPath(), "osm-sshd-" + Guid.NewGuid().ToString("N").Substring(0, 8));
                var env = new System.Collections.Generic.Dictionary<string, string> { ["OSM_NODE_ETC"] = NodeEtc };
                var r = Requires.Sh($"sh '{Script()}' start '{dir}' 1", env);
                if (r.Code != 0) throw new InvalidOperationException("loopback-sshd.sh failed: " + r.Err);
                _port = int.Parse(r.Out.Trim().Split('\n').Last(), System.Globalization.CultureInfo.InvariantCulture);
                _dir = dir;
            }
        }

        private static string Script()
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "tests", "tools", "loopback-sshd.sh");
                if (File.Exists(candidate)) return candidate;
            }

            throw new FileNotFoundException("tests/tools/loopback-sshd.sh not found above " + AppContext.BaseDirectory);
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (_dir == null) return;
            Requires.Sh($"sh '{Script()}' stop '{_dir}'; rm -rf '{_dir}'");
        }
    }

    /// <summary>A loopback node with private copies of /etc/nova (for the default conf.d of a nova service).</summary>
    public sealed class LoopbackNovaNode : LoopbackSshd
    {
        /// <inheritdoc/>
        protected override string NodeEtc => "nova";
    }
}
