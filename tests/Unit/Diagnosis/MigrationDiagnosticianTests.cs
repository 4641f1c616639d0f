#nullable enable
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Diagnosis;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Diagnosis
{
    /// <summary>How Debug-OSMigration gathers Nova's records, over responses captured from the lab.</summary>
    public class MigrationDiagnosticianTests
    {
        [Fact]
        public async Task ARecordThatSaysCompletedWhileTheInstanceIsStuckOnItsSourceIsAFailure()
        {
            var api = new CapturedNova("destination-down");

            var d = await new MigrationDiagnostician(api, null).DiagnoseAsync(new DiagnosisRequest { InstanceId = api.Server.Id }, null, new NullSink(), CancellationToken.None);

            Assert.Equal(MigrationFailureCause.ComputeServiceDown, d.Cause);
            Assert.Equal(9, d.MigrationId);
            Assert.Equal("req-95cfc33f-61d2-44ed-9077-42e483e389b9", d.RequestId);
        }

        [Fact]
        public async Task WithoutARequestIdTheActionIsTheOneThatStartedWithTheMigration()
        {
            var api = new CapturedNova("rpc-timeout-precheck");

            var d = await new MigrationDiagnostician(api, null).DiagnoseAsync(new DiagnosisRequest { InstanceId = api.Server.Id, MigrationId = 2 }, null, new NullSink(), CancellationToken.None);

            Assert.Equal("req-326ca662-4927-451c-9943-5905c66d97ff", api.ActionAskedFor);
            Assert.Equal(MigrationFailureCause.PreCheckRpcTimeout, d.Cause);
            Assert.Equal("compute2", d.DestinationHost); // the record has none: the destination's own event names it
        }

        [Fact]
        public async Task AnUnknownMigrationIdIsAnErrorWithAnId()
        {
            var api = new CapturedNova("rpc-timeout-precheck");

            var e = await Assert.ThrowsAsync<OpenStackMigrationException>(() => new MigrationDiagnostician(api, null).DiagnoseAsync(new DiagnosisRequest { InstanceId = api.Server.Id, MigrationId = 987654 }, null, new NullSink(), CancellationToken.None));

            Assert.Equal("OSMigrationNotFound", e.ErrorId);
        }

        private sealed class CapturedNova : IDiagnosisApi
        {
            private readonly string _scenario;

            public CapturedNova(string scenario)
            {
                _scenario = scenario;
                Server = NovaClient.ParseInstance(DiagnosisFixture.Json(scenario, "server.json")["server"]!);
            }

            public Instance Server { get; }

            public string? ActionAskedFor { get; private set; }

            public Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => Task.FromResult(Server);

            public Task<IReadOnlyList<MigrationRecord>> ListMigrationsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken) =>
                Task.FromResult<IReadOnlyList<MigrationRecord>>(((JArray)DiagnosisFixture.Json(_scenario, "migrations.json")["migrations"]!).Select(m => NovaClient.ParseMigration(m, null)).ToList());

            public Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string instanceId, IEngineSink sink, CancellationToken cancellationToken) =>
                Task.FromResult<IReadOnlyList<InstanceActionRecord>>(((JArray)DiagnosisFixture.Json(_scenario, "instance-actions.json")["instanceActions"]!).Select(NovaClient.ParseAction).ToList());

            public Task<InstanceActionRecord?> GetInstanceActionAsync(string instanceId, string requestId, IEngineSink sink, CancellationToken cancellationToken)
            {
                ActionAskedFor = requestId;
                var action = NovaClient.ParseAction(DiagnosisFixture.Json(_scenario, "instance-action.json")["instanceAction"]!);
                return Task.FromResult<InstanceActionRecord?>(action.RequestId == requestId ? action : null);
            }

            public Task<IReadOnlyList<ComputeService>> ListComputeServicesAsync(IEngineSink sink, CancellationToken cancellationToken) =>
                Task.FromResult<IReadOnlyList<ComputeService>>(((JArray)DiagnosisFixture.Json(_scenario, "services.json")["services"]!).Select(NovaClient.ParseService).Where(s => s.Binary == "nova-compute").ToList());
        }

        private sealed class NullSink : IEngineSink
        {
            public void Verbose(string message) { }

            public void Debug(string message) { }

            public void Warning(string message) { }

            public void Progress(ProgressReport report) { }
        }
    }
}
