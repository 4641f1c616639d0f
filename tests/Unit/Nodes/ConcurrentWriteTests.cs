#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Nodes;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Nodes
{
    /// <summary>
    /// Many runs editing one file at once, as two runbooks (or a runbook and a person) do: no reported success may be
    /// lost, every loser is a clear conflict, every success has its own complete backup, and nothing is left behind.
    /// </summary>
    public class ConcurrentWriteTests : IClassFixture<LoopbackSshd>
    {
        private readonly LoopbackSshd _sshd;

        public ConcurrentWriteTests(LoopbackSshd sshd)
        {
            _sshd = sshd;
        }

        private sealed class Outcome
        {
            public string Key = string.Empty;
            public string Value = string.Empty;
            public string? Backup;
            public string? ErrorId;
            public string? Error;
        }

        /// <summary>One run as a Set-* command does it: read, change one key, write.</summary>
        private static async Task<Outcome> RunOnce(INodeSession node, string path, string key, string value)
        {
            var outcome = new Outcome { Key = key, Value = value };
            var file = (await NodeFiles.ReadAsync(node, new[] { path }, CancellationToken.None)).Single();
            var doc = OsloIniDocument.Parse(file.Content!, path);
            doc.Set(OsloIniDocument.DefaultSection, key, value);
            try
            {
                outcome.Backup = await NodeFiles.ReplaceAsync(node, file, ConfigText.Encode(doc.ToString()), null, CancellationToken.None);
            }
            catch (OpenStackMigrationException ex)
            {
                outcome.ErrorId = ex.ErrorId;
                outcome.Error = ex.Message;
            }

            return outcome;
        }

        private static async Task RaceAsync(IReadOnlyList<INodeSession> sessions, string path, int rounds)
        {
            var backups = new HashSet<string>();
            for (int round = 0; round < rounds; round++)
            {
                var outcomes = await Task.WhenAll(sessions.Select((s, i) => Task.Run(() => RunOnce(s, path, "key_" + i, $"r{round}v{i}"))));
                foreach (var o in outcomes.Where(o => o.ErrorId != null))
                {
                    Assert.True(o.ErrorId == "OSConfigChangedConcurrently", $"round {round}: {o.Key} failed with {o.ErrorId}: {o.Error}");
                    Assert.Contains("changed after it was read", o.Error);
                }

                var won = outcomes.Where(o => o.ErrorId == null).ToList();
                Assert.NotEmpty(won);
                var final = OsloIniDocument.Parse(File.ReadAllBytes(path), path);
                foreach (var o in won)
                {
                    Assert.True(final.Find(OsloIniDocument.DefaultSection, o.Key)?.Value == o.Value,
                        $"round {round}: {o.Key} = {o.Value} was reported written, the file has {final.Find(OsloIniDocument.DefaultSection, o.Key)?.Value ?? "nothing"} ({won.Count} of {outcomes.Length} won)");
                    Assert.True(backups.Add(o.Backup!), $"round {round}: backup {o.Backup} was reported by two runs");
                    Assert.True(File.Exists(o.Backup), $"round {round}: backup {o.Backup} of {o.Key} is gone");

                    // The backup is the file as it was right before this run's rename: complete, without this run's value.
                    var before = OsloIniDocument.Parse(File.ReadAllBytes(o.Backup!), o.Backup!);
                    Assert.NotEqual(o.Value, before.Find(OsloIniDocument.DefaultSection, o.Key)?.Value);
                }
            }

            var dir = Path.GetDirectoryName(path)!;
            Assert.Empty(Directory.GetFiles(dir, "." + Path.GetFileName(path) + ".osm-*"));
        }

        [Fact]
        [Trait("Category", "Integration")]
        public async Task ConcurrentLocalRunsLoseNoReportedSuccess()
        {
            using var dir = new TempDir();
            var path = dir.Write("nova.conf", "[DEFAULT]\n# keep me\ndebug = false\n");
            var sessions = Enumerable.Range(0, 6).Select(_ => (INodeSession)new LocalNodeSession(false)).ToList();
            await RaceAsync(sessions, path, 10);
        }

        [RequiresFact(Requires.Root, Requires.Sshd)]
        [Trait("Category", "Integration")]
        public async Task ConcurrentRunsOverSshLoseNoReportedSuccess()
        {
            using var dir = new TempDir();
            var path = dir.Write("cinder.conf", "[DEFAULT]\n# keep me\ndebug = false\n");
            var sink = new CollectingSink();

            // One connection per run, as separate runbooks have.
            var sessions = Enumerable.Range(0, 6).Select(_ => (INodeSession)new SshNodeSession(_sshd.Target, sink)).ToList();
            try
            {
                await RaceAsync(sessions, path, 6);
            }
            finally
            {
                foreach (var s in sessions) s.Dispose();
            }
        }
    }
}
