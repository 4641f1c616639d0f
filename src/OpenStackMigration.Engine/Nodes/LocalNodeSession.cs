using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration.Nodes
{
    /// <summary>Runs scripts on this machine with /bin/sh.</summary>
    public sealed class LocalNodeSession : INodeSession
    {
        private readonly SudoRunner? _sudo;

        /// <summary>Creates a local session.</summary>
        public LocalNodeSession(bool useSudo)
            : this(useSudo, null)
        {
        }

        /// <summary>Creates a local session that runs scripts through sudo, with a password when sudo asks for one.</summary>
        public LocalNodeSession(bool useSudo, System.Security.SecureString? sudoPassword)
        {
            _sudo = SudoRunner.For(useSudo, sudoPassword, "localhost");
        }

        /// <inheritdoc/>
        public string ComputerName => "localhost";

        /// <summary>The program and arguments that read the script from stdin; tests use it to run as another user.</summary>
        internal string[] ShellCommand { get; set; } = { "/bin/sh", "-s" };

        /// <inheritdoc/>
        public Task<NodeCommandResult> RunScriptAsync(string script, CancellationToken cancellationToken) =>
            _sudo == null ? RunShellAsync(script, cancellationToken) : _sudo.RunAsync(script, wrapped => RunShellAsync(wrapped, cancellationToken));

        private async Task<NodeCommandResult> RunShellAsync(string script, CancellationToken cancellationToken)
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                throw new OpenStackMigrationException("OSLocalNodeNotSupported", FailureKind.NotSupported,
                    "OpenStack configuration lives on Linux nodes; on Windows, name the node with -ComputerName to reach it over SSH.");
            }

            string file = ShellCommand[0];
            string args = string.Join(" ", ShellCommand, 1, ShellCommand.Length - 1);
            var psi = new ProcessStartInfo(file, args)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                StandardOutputEncoding = Encoding.UTF8,
                StandardErrorEncoding = Encoding.UTF8,
            };
            using var process = new Process { StartInfo = psi };
            try
            {
                process.Start();
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception || ex is IOException)
            {
                throw new OpenStackMigrationException("OSNodeCommandFailed", FailureKind.CommandFailed, $"Cannot start {file}: {ex.Message}", ex) { Target = ComputerName };
            }

            using var reg = cancellationToken.Register(() =>
            {
                try
                {
                    process.Kill();
                }
                catch (InvalidOperationException)
                {
                }
            });
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var stdin = process.StandardInput.BaseStream;
            var bytes = new UTF8Encoding(false).GetBytes(script);
            try
            {
                await stdin.WriteAsync(bytes, 0, bytes.Length, cancellationToken).ConfigureAwait(false);
                stdin.Close();
            }
            catch (IOException)
            {
                // The shell exited before reading everything; its exit code and stderr tell why.
            }

            string output = await stdout.ConfigureAwait(false);
            string error = await stderr.ConfigureAwait(false);
            await Task.Run(() => process.WaitForExit(), CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new NodeCommandResult(process.ExitCode, output, error);
        }

        /// <inheritdoc/>
        public void Dispose()
        {
        }
    }
}
