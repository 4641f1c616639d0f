using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Tests.Orchestration
{
    /// <summary>
    /// A node whose service manager is scripted: a script that contains one of the registered markers gets the next
    /// canned answer for it (the last one repeats); every other script runs for real in a local sh, so file writes,
    /// backups and validators are the real ones.
    /// </summary>
    internal sealed class ScriptedNode : INodeSession
    {
        private readonly List<(string Marker, Queue<NodeCommandResult> Answers)> _answers = new List<(string, Queue<NodeCommandResult>)>();
        private readonly LocalNodeSession _real = new LocalNodeSession(false);

        public ScriptedNode(string name)
        {
            ComputerName = name;
        }

        public string ComputerName { get; }

        /// <summary>Every script run, in order.</summary>
        public ConcurrentQueue<string> Scripts { get; } = new ConcurrentQueue<string>();

        /// <summary>Answers scripts containing <paramref name="marker"/> with <paramref name="stdout"/> in turn (the last one repeats).</summary>
        public ScriptedNode On(string marker, params string[] stdout) => OnExit(marker, 0, stdout);

        public ScriptedNode OnExit(string marker, int exitCode, params string[] stdout)
        {
            _answers.Add((marker, new Queue<NodeCommandResult>(stdout.Select(o => new NodeCommandResult(exitCode, o, string.Empty)))));
            return this;
        }

        public int Count(string marker) => Scripts.Count(s => s.Contains(marker));

        public Task<NodeCommandResult> RunScriptAsync(string script, CancellationToken cancellationToken)
        {
            Scripts.Enqueue(script);
            foreach (var (marker, answers) in _answers)
            {
                if (!script.Contains(marker)) continue;
                lock (answers)
                {
                    return Task.FromResult(answers.Count > 1 ? answers.Dequeue() : answers.Peek());
                }
            }

            return _real.RunScriptAsync(script, cancellationToken);
        }

        public void Dispose() => _real.Dispose();
    }

    /// <summary>A clock that moves only when the code under test waits.</summary>
    internal sealed class FakeTime
    {
        public DateTimeOffset Now { get; private set; } = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public Task Delay(TimeSpan span, CancellationToken token)
        {
            Now += span;
            return Task.CompletedTask;
        }
    }
}
