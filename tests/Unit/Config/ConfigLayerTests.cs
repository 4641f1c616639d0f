#nullable enable
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.Config
{
    /// <summary>
    /// What else decides the value a service sees, said before the write: conf.d folders (given or default),
    /// interpolation of the edited option into others, faults the file already has, hard links, and a value that
    /// already reads as asked in another spelling.
    /// </summary>
    public class ConfigLayerTests : IClassFixture<LoopbackNovaNode>
    {
        private readonly LoopbackNovaNode _node;

        static ConfigLayerTests()
        {
            // A project of our own, so that nova or cinder services running on this machine do not interfere.
            OsloServices.DaemonTable["osmlayer"] = new[] { "osmlayer-compute" };
        }

        public ConfigLayerTests(LoopbackNovaNode node)
        {
            _node = node;
        }

        private static async Task<(FilePlan Plan, CollectingSink Sink)> Plan(string project, OsloEdit edit, string path, IReadOnlyList<string>? configFiles, NodeTarget? target = null)
        {
            var sink = new CollectingSink();
            using var pool = new NodePool(new[] { target ?? new NodeTarget() }, 1, sink);
            var plans = await OsloConfigEngine.PlanAsync(pool, project, new[] { edit }, path, configFiles, false, sink, CancellationToken.None);
            return (Assert.Single(plans), sink);
        }

        [Fact]
        public async Task DebugAlreadyOnInAnotherSpellingIsLeftAlone()
        {
            using var dir = new TempDir();
            var path = dir.Write("osmlayer.conf", "[DEFAULT]\ndebug = True\nrpc_response_timeout = 0_300\n");
            var (plan, _) = await Plan("osmlayer", new OsloEdit(OsloServices.Debug, "true"), path, new[] { path });
            Assert.False(plan.HasChanges);
            Assert.Equal(ConfigAction.Unchanged, Assert.Single(plan.Results).Action);
            (plan, _) = await Plan("osmlayer", new OsloEdit(OsloServices.CinderRpcResponseTimeout, "300"), path, new[] { path });
            Assert.False(plan.HasChanges);
        }

        [Fact]
        public async Task AHardLinkedFileIsSaidToBeSplit()
        {
            using var dir = new TempDir();
            var path = dir.Write("osmlayer.conf", "[DEFAULT]\ndebug = false\n");
            Requires.Sh($"ln '{path}' '{dir.File("other-name.conf")}'");
            var (plan, sink) = await Plan("osmlayer", new OsloEdit(OsloServices.Debug, "true"), path, new[] { path });
            Assert.True(plan.HasChanges);
            Assert.Contains(sink.Warnings, w => w.Contains(path) && w.Contains("2 hard links") && w.Contains("keep the old content"));
        }

        [Fact]
        public async Task AFolderGivenWithConfigFileIsReadLikeConfigDirAndItsWinnerNamed()
        {
            using var dir = new TempDir();
            var main = dir.Write("osmlayer.conf", "[DEFAULT]\nrpc_response_timeout = 60\n");
            var winner = dir.Write("osmlayer.conf.d/50-tuning.conf", "[DEFAULT]\nrpc_response_timeout = 90\n");
            var (plan, sink) = await Plan("osmlayer", new OsloEdit(OsloServices.CinderRpcResponseTimeout, "300"), main, new[] { main, dir.File("osmlayer.conf.d") });
            var result = Assert.Single(plan.Results);
            Assert.Equal("90", result.EffectiveValue);
            Assert.Equal(winner, result.EffectiveSource);
            Assert.Contains(sink.Warnings, w => w.Contains(winner + ":2") && w.Contains("wins"));
        }

        [RequiresFact(Requires.Root, Requires.Sshd)]
        [Trait("Category", "Integration")]
        public async Task TheDefaultConfDOfANodeIsReadWithPathAlone()
        {
            // The node has its own /etc/nova (a mount namespace): nova.conf, and nova.conf.d/ that oslo.config reads after it.
            var r = _node.Ssh("printf '[DEFAULT]\\nrpc_response_timeout = 60\\n' > /etc/nova/nova.conf && mkdir -p /etc/nova/nova.conf.d && printf '[DEFAULT]\\nrpc_response_timeout = 90\\n' > /etc/nova/nova.conf.d/50-tuning.conf");
            Assert.True(r.Code == 0, r.Err);
            var (plan, sink) = await Plan("nova", new OsloEdit(OsloServices.NovaRpcResponseTimeout, "300"), "/etc/nova/nova.conf", null, _node.Target);
            var result = Assert.Single(plan.Results);
            Assert.Equal("90", result.EffectiveValue);
            Assert.Contains(sink.Warnings, w => w.Contains("/etc/nova/nova.conf.d/50-tuning.conf:2") && w.Contains("wins"));
        }

        [RequiresFact(Requires.Oslo)]
        [Trait("Category", "Integration")]
        public async Task AnOptionThatInterpolatesTheEditedOneIsSaidToChangeToo()
        {
            using var dir = new TempDir();
            var path = dir.Write("nova.conf", "[DEFAULT]\nlong_rpc_timeout = 1800\nrpc_response_timeout = $long_rpc_timeout\n");
            Assert.Equal("1800", OsloReference.Effective(new[] { "--config-file", path })["rpc_response_timeout"]!.ToString());

            var (plan, sink) = await Plan("nova", new OsloEdit(OsloServices.NovaLongRpcTimeout, "3600"), path, new[] { path });
            Assert.True(plan.HasChanges);
            var warning = Assert.Single(sink.Warnings, w => w.Contains("interpolat"));
            Assert.Contains(path + ":3", warning);
            Assert.Contains("rpc_response_timeout = $long_rpc_timeout", warning);
            Assert.Contains("from 1800 to 3600", warning);
            Assert.Contains("rpc_response_timeout", Assert.Single(plan.Results).Note);

            // What the warning says is what oslo.config then reads.
            File.WriteAllBytes(path, plan.NewContent!);
            Assert.Equal("3600", OsloReference.Effective(new[] { "--config-file", path })["rpc_response_timeout"]!.ToString());
        }

        [RequiresFact(Requires.Oslo)]
        [Trait("Category", "Integration")]
        public async Task AFaultTheFileAlreadyHasIsSaidBeforeTheEdit()
        {
            using var dir = new TempDir();
            var path = dir.Write("osmlayer.conf", "[DEFAULT]\ndebug = true ; temporary\nrpc_response_timeout = 60\n");
            Assert.Throws<System.Exception>(() => OsloReference.Effective(new[] { "--config-file", path }));

            var (plan, sink) = await Plan("osmlayer", new OsloEdit(OsloServices.CinderRpcResponseTimeout, "300"), path, new[] { path });
            Assert.True(plan.HasChanges);
            Assert.Contains(sink.Warnings, w => w.Contains(path + ":2") && w.Contains("debug = 'true ; temporary'") && w.Contains("will still not start"));
        }
    }
}
