using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;

namespace OpenStackMigration.Nodes
{
    /// <summary>Runs scripts on a node over SSH (SSH.NET); one connection per session, opened on first use.</summary>
    public sealed class SshNodeSession : INodeSession
    {
        private readonly NodeTarget _target;
        private readonly IEngineSink _sink;
        private readonly SemaphoreSlim _connectLock = new SemaphoreSlim(1, 1);
        private readonly SudoRunner? _sudo;
        private SshClient? _client;
        private string? _hostKeyProblem;

        /// <summary>Creates a session; nothing is connected yet.</summary>
        public SshNodeSession(NodeTarget target, IEngineSink sink)
        {
            _target = target;
            _sink = sink;
            _sudo = SudoRunner.For(target.UseSudo, target.SudoPassword, target.DisplayName);
        }

        /// <inheritdoc/>
        public string ComputerName => _target.DisplayName;

        /// <inheritdoc/>
        public Task<NodeCommandResult> RunScriptAsync(string script, CancellationToken cancellationToken) =>
            _sudo == null ? RunShellAsync(script, cancellationToken) : _sudo.RunAsync(script, wrapped => RunShellAsync(wrapped, cancellationToken));

        /// <summary>Runs a script with <c>sh -s</c> as the SSH user; the script travels on standard input only.</summary>
        private async Task<NodeCommandResult> RunShellAsync(string script, CancellationToken cancellationToken)
        {
            var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            using var command = client.CreateCommand("sh -s");

            // SSH.NET opens the channel and sends the exec request and the input synchronously, each waiting a
            // round trip for the node. Done on the caller's thread, that made the nodes of one command wait for
            // each other (one node at a time once connections were open); on a thread of its own, they do not.
            var run = await Task.Factory.StartNew(
                () =>
                {
                    var started = command.ExecuteAsync(cancellationToken);
                    using (var input = command.CreateInputStream())
                    {
                        var bytes = new UTF8Encoding(false).GetBytes(script);
                        input.Write(bytes, 0, bytes.Length);
                    }

                    return started;
                },
                cancellationToken,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default).ConfigureAwait(false);

            await run.ConfigureAwait(false);
            return new NodeCommandResult(command.ExitStatus ?? -1, command.Result, command.Error);
        }

        private async Task<SshClient> ConnectAsync(CancellationToken cancellationToken)
        {
            await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_client != null && _client.IsConnected)
                {
                    return _client;
                }

                _client?.Dispose();
                _client = new SshClient(BuildConnectionInfo());
                _client.HostKeyReceived += OnHostKey;
                _sink.Verbose($"{ComputerName}: connecting over SSH as {UserName()}.");
                try
                {
                    await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SshException || ex is SocketException || ex is SshOperationTimeoutException)
                {
                    string id = _hostKeyProblem != null ? "OSSshHostKeyRejected"
                        : ex is SshAuthenticationException ? "OSSshAuthenticationFailed" : "OSSshConnectionFailed";
                    var kind = ex is SshAuthenticationException ? FailureKind.Authentication : FailureKind.ConnectionFailed;
                    throw new OpenStackMigrationException(id, kind, $"{ComputerName}: {_hostKeyProblem ?? ex.Message}", ex) { Target = ComputerName };
                }

                return _client;
            }
            finally
            {
                _connectLock.Release();
            }
        }

        private string UserName() =>
            _target.Credential?.UserName is { Length: > 0 } u ? u : _target.UserName ?? Environment.UserName;

        private ConnectionInfo BuildConnectionInfo()
        {
            var methods = new List<AuthenticationMethod>();
            string user = UserName();
            string? secret = _target.Credential?.Password;
            if (_target.KeyFilePath != null)
            {
                PrivateKeyFile key;
                try
                {
                    key = string.IsNullOrEmpty(secret) ? new PrivateKeyFile(_target.KeyFilePath) : new PrivateKeyFile(_target.KeyFilePath, secret);
                }
                catch (Exception ex) when (ex is SshException || ex is System.IO.IOException || ex is UnauthorizedAccessException)
                {
                    throw new OpenStackMigrationException("OSSshKeyFileUnreadable", FailureKind.InvalidArgument,
                        $"Cannot load the private key '{_target.KeyFilePath}': {ex.Message}", ex) { Target = _target.KeyFilePath };
                }

                methods.Add(new PrivateKeyAuthenticationMethod(user, key));
            }
            else if (!string.IsNullOrEmpty(secret))
            {
                methods.Add(new PasswordAuthenticationMethod(user, secret));
            }
            else
            {
                throw new OpenStackMigrationException("OSSshNoCredential", FailureKind.InvalidArgument,
                    $"{ComputerName}: give -KeyFilePath or -Credential to reach the node over SSH.") { Target = ComputerName };
            }

            return new ConnectionInfo(_target.ComputerName!, _target.Port ?? 22, user, methods.ToArray())
            {
                Timeout = TimeSpan.FromSeconds(_target.ConnectTimeoutSec),
            };
        }

        private void OnHostKey(object? sender, HostKeyEventArgs e)
        {
            if (_target.HostKeyPolicy == HostKeyPolicy.None)
            {
                e.CanTrust = true;
                return;
            }

            string fp = KnownHosts.Fingerprint(e.HostKey);
            var verdict = KnownHosts.Check(_target.KnownHostsPath, _target.ComputerName!, _target.Port ?? 22, e.HostKeyName, e.HostKey);
            switch (verdict)
            {
                case KnownHostVerdict.Match:
                    e.CanTrust = true;
                    break;
                case KnownHostVerdict.Unknown when _target.HostKeyPolicy == HostKeyPolicy.AcceptNew:
                    _sink.Warning($"{ComputerName}: host key {e.HostKeyName} {fp} is not in the known hosts file; accepted for this connection.");
                    e.CanTrust = true;
                    break;
                default:
                    _hostKeyProblem = verdict == KnownHostVerdict.Mismatch
                        ? $"the host key {e.HostKeyName} {fp} does not match the known hosts file (possible man-in-the-middle); connection refused."
                        : $"the host key {e.HostKeyName} {fp} is not in the known hosts file and the policy is Strict; connection refused.";
                    e.CanTrust = false;
                    break;
            }
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            _client?.Dispose();
            _connectLock.Dispose();
        }
    }
}
