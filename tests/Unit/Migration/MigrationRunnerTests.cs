#nullable enable
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Migration
{
    /// <summary>The watch loop against a scripted Nova and a fake clock: each poll takes the next scripted state.</summary>
    public partial class MigrationRunnerTests
    {
        [Fact]
        public async Task ALiveMigrationThatMovesSucceedsWithProgressOnTheWay()
        {
            var api = new ScriptedNova();
            api.Poll(Migrating(), Running(100, 412));
            api.Poll(Migrating(), Running(300, 212));
            api.Poll(On("compute2"), Final("completed"));
            var sink = new CollectingSink();

            var result = await Run(api, sink, new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.Equal(CompletionSignal.MigrationRecord, result.WaitedFor);
            Assert.Equal("compute1", result.SourceHost);
            Assert.Equal("compute2", result.DestinationHost);
            Assert.Equal(42, result.MigrationId);
            Assert.Equal("req-start", result.RequestId);
            Assert.Equal(TimeSpan.FromSeconds(1.5), result.Duration);
            Assert.Contains(sink.Progress, p => p.PercentComplete == 58 && p.SecondsRemaining == 1); // 200 MiB in 0.5 s, 212 MiB left
            Assert.True(sink.Progress.Last().Completed);
            Assert.Equal(0, api.Aborts + api.ForceCompletes);
        }

        [Fact]
        public async Task VolumesAreVerifiedOnTheDestinationOnceCinderHasSettled()
        {
            var api = new ScriptedNova();
            api.Poll(On("compute2"), Final("completed"));
            var moved = new VolumeAttachmentCheck { VolumeId = "vol1", Status = "in-use", AttachedHosts = new[] { "compute2" }, Passed = true, Reason = "in-use, attached on compute2" };
            var lagging = new VolumeAttachmentCheck { VolumeId = "vol1", Status = "in-use", AttachedHosts = new[] { "compute1", "compute2" }, Reason = "attached on compute1, compute2, expected only compute2" };
            api.Volumes = n => n == 1 ? new[] { lagging } : new[] { moved };
            var instance = Fixtures.ActiveOnCompute1();
            instance.Volumes = new[] { new AttachedVolume { VolumeId = "vol1" } };

            var result = await Run(api, new CollectingSink(), new MigrationRequest(instance) { DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.True(result.VolumesVerified);
            Assert.Equal(2, api.VolumeChecks);
            Assert.Contains("verified in-use and attached on compute2", result.Reason);
        }

        [Fact]
        public async Task AVolumeLeftOnTheSourceTurnsTheVerdictIntoAFailure()
        {
            var api = new ScriptedNova();
            api.Poll(On("compute2"), Final("completed"));
            api.Volumes = _ => new[] { new VolumeAttachmentCheck { VolumeId = "vol1", Status = "in-use", AttachedHosts = new[] { "compute1" }, Reason = "attached on compute1, expected only compute2" } };
            var instance = Fixtures.ActiveOnCompute1();
            instance.Volumes = new[] { new AttachedVolume { VolumeId = "vol1" } };

            var result = await Run(api, new CollectingSink(), new MigrationRequest(instance) { DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Failed, result.Verdict);
            Assert.False(result.VolumesVerified);
            Assert.Contains("vol1: attached on compute1", result.Reason);
            Assert.True(api.VolumeChecks > 1, "the check is repeated while Cinder may still be settling");
        }

        [Fact]
        public async Task WithoutCinderTheVolumesAreNotClaimedVerified()
        {
            var api = new ScriptedNova();
            api.Poll(On("compute2"), Final("completed"));
            var instance = Fixtures.ActiveOnCompute1();
            instance.Volumes = new[] { new AttachedVolume { VolumeId = "vol1" } };
            var sink = new CollectingSink();

            var result = await Run(api, sink, new MigrationRequest(instance) { DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.Null(result.VolumesVerified);
        }

        [Fact]
        public async Task AnAsyncFailureGivesTheFailedEventAndTheInstanceStays()
        {
            var api = new ScriptedNova { Action = Fixtures.NoValidHostAction() };
            api.Poll(Migrating(), null);
            api.Poll(Fixtures.ActiveOnCompute1(), Final("error"));

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute3", Wait = true });

            Assert.Equal(MigrationVerdict.Failed, result.Verdict);
            Assert.Equal("compute1", result.DestinationHost);
            Assert.Equal("conductor_live_migrate_instance", result.FailedEvent);
            Assert.StartsWith("No valid host was found.", result.FailedEventDetails);
            Assert.StartsWith("The live migration of cirros_vm to compute3 failed: No valid host was found.", result.Reason);
            Assert.Contains("cirros_vm is ACTIVE on compute1.", result.Reason);
            // Refused within a second, and no pre-flight to name a reason: the scheduler's plain "no valid host".
            Assert.Equal(MigrationFailureCause.NoValidHost, result.Cause);
            Assert.Equal("req-start", api.ActionAskedFor);
        }

        [Fact]
        public async Task ARefusalByNovaIsAFailedVerdictWithNovasMessage()
        {
            var api = new ScriptedNova { StartError = new OpenStackApiException("OSApiBadRequest", FailureKind.InvalidArgument, "x", 400, "Compute host nohost could not be found.", "req-400", "POST", "u") };

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "nohost", Wait = true });

            Assert.Equal(MigrationVerdict.Failed, result.Verdict);
            Assert.Equal(CompletionSignal.ApiResponse, result.WaitedFor);
            Assert.Equal("req-400", result.RequestId);
            Assert.Contains("Compute host nohost could not be found.", result.Reason);
        }

        private static OpenStackApiException HAProxy504() =>
            new OpenStackApiException("OSGatewayTimeout", FailureKind.Timeout, "HAProxy in front of nova answered ... with HTTP 504 Gateway Time-out", 504, null, null, "POST", "https://127.0.0.1:38774/v2.1/servers/0231c93f-93d7-432f-99b8-e85be8686243/action") { Gateway = "HAProxy" };

        [Fact]
        public async Task AGatewayTimeoutAfterWhichNovaStartsTheMigrationIsWatchedToItsVerdict()
        {
            var api = new ScriptedNova { StartError = HAProxy504() };
            api.Poll(Migrating(), Running(300, 212));
            api.Poll(On("compute2"), Final("completed"));
            var sink = new CollectingSink();

            var result = await Run(api, sink, new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.Equal("compute2", result.DestinationHost);
            Assert.Equal(504, result.Gateway!.StatusCode);
            Assert.Equal("HAProxy", result.Gateway.Proxy);
            Assert.True(result.Gateway.StartedAnyway);
            Assert.Contains(sink.Warnings, w => w.StartsWith("Nova started migration 42 of cirros_vm anyway", StringComparison.Ordinal));
        }

        [Fact]
        public async Task AGatewayTimeoutWithNoMigrationStartedFailsAsTheGatewaysAfterLooking()
        {
            var api = new ScriptedNova { StartError = HAProxy504() };
            api.Poll(Fixtures.ActiveOnCompute1(), null);

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Failed, result.Verdict);
            Assert.Equal(MigrationFailureCause.GatewayTimeout, result.Cause);
            Assert.False(result.Gateway!.StartedAnyway);
            Assert.True(result.Duration >= new MigrationWatchOptions().GatewayLookup, "it looked for the migration for the whole lookup window");
            Assert.StartsWith("HAProxy (not Nova) answered HTTP 504 to POST /v2.1/servers/0231c93f-93d7-432f-99b8-e85be8686243/action", result.Reason);
            Assert.Contains("Nova had not started a migration when we looked", result.Reason);
            Assert.Equal("OSGatewayTimeout", MigrationVerdicts.ErrorFor(result)!.ErrorId);
        }

        [Fact]
        public async Task TimeoutLeaveReportsTimedOutAndTouchesNothing()
        {
            var api = new ScriptedNova();
            for (var i = 0; i < 10; i++)
            {
                api.Poll(Migrating(), Running(500, 12));
            }

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true, Timeout = TimeSpan.FromSeconds(2), OnTimeout = TimeoutAction.Leave });

            Assert.Equal(MigrationVerdict.TimedOut, result.Verdict);
            Assert.Equal(0, api.Aborts + api.ForceCompletes);
            Assert.Contains("did not finish within 2 s and was left running", result.Reason);
        }

        [Fact]
        public async Task TimeoutAbortAbortsAndWaitsForTheCancellation()
        {
            var api = new ScriptedNova();
            for (var i = 0; i < 5; i++)
            {
                api.Poll(Migrating(), Running(500, 12));
            }

            api.Poll(Fixtures.ActiveOnCompute1(), Final("cancelled"));
            var sink = new CollectingSink();

            var result = await Run(api, sink, new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true, Timeout = TimeSpan.FromSeconds(2), OnTimeout = TimeoutAction.Abort });

            Assert.Equal(MigrationVerdict.Aborted, result.Verdict);
            Assert.Equal(1, api.Aborts);
            Assert.Contains(sink.Warnings, w => w.Contains("aborting it"));
            Assert.Contains("stays ACTIVE on compute1", result.Reason);
        }

        [Fact]
        public async Task TimeoutForceCompleteForcesAndSucceeds()
        {
            var api = new ScriptedNova();
            for (var i = 0; i < 5; i++)
            {
                api.Poll(Migrating(), Running(500, 12));
            }

            api.Poll(On("compute2"), Final("completed"));

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true, Timeout = TimeSpan.FromSeconds(2), OnTimeout = TimeoutAction.ForceComplete });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.True(result.ForceCompleted);
            Assert.Equal(1, api.ForceCompletes);
        }

        [Fact]
        public async Task ANonConvergingMigrationWarnsOnce()
        {
            var api = new ScriptedNova();
            var processed = 0L;
            foreach (var left in new[] { 400, 200, 20, 12, 22, 15, 25, 14, 20, 16, 24, 13, 21, 18, 23, 17, 19, 22, 15, 20, 16, 24, 14, 21, 18, 23, 17, 19, 22, 20 })
            {
                processed += 100;
                api.Poll(Migrating(), Running(processed, left));
            }

            api.Poll(Fixtures.ActiveOnCompute1(), Final("cancelled"));
            var sink = new CollectingSink();

            var result = await Run(api, sink, new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Aborted, result.Verdict);
            Assert.Single(sink.Warnings, w => w.Contains("is not converging"));
        }

        [Fact]
        public async Task AColdMigrationIsConfirmedAtVerifyResize()
        {
            var api = new ScriptedNova();
            api.Poll(Cold("resize_migrating", "compute1"), Final("migrating"));
            api.Poll(VerifyResize(), Final("finished"));
            api.Poll(VerifyResize(), Final("confirming"));
            api.Poll(On("compute2"), Final("confirmed"));

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { Kind = MigrationKind.Cold, DestinationHost = "compute2", Wait = true });

            Assert.Equal(MigrationVerdict.Succeeded, result.Verdict);
            Assert.Equal(new[] { true }, api.Confirmations);
            Assert.Equal("compute2", result.DestinationHost);
            Assert.Equal("confirmed", result.MigrationStatus);
        }

        [Fact]
        public async Task ColdRevertRevertsAndReportsReverted()
        {
            var api = new ScriptedNova();
            api.Poll(VerifyResize(), Final("finished"));
            api.Poll(Fixtures.ActiveOnCompute1(), Final("reverted"));

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { Kind = MigrationKind.Cold, Wait = true, VerifyResize = VerifyResizeAction.Revert });

            Assert.Equal(MigrationVerdict.Reverted, result.Verdict);
            Assert.Equal(new[] { false }, api.Confirmations);
        }

        [Fact]
        public async Task WithoutWaitItReturnsAcceptedWithTheNewMigration()
        {
            var api = new ScriptedNova();
            api.Poll(Migrating(), Final("accepted"));

            var result = await Run(api, new CollectingSink(), new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2" });

            Assert.Equal(MigrationVerdict.Accepted, result.Verdict);
            Assert.Equal(42, result.MigrationId);
            Assert.Equal("accepted", result.MigrationStatus);
        }

        [Fact]
        public async Task CancellingStopsWaitingWithoutTouchingTheMigration()
        {
            var api = new ScriptedNova();
            for (var i = 0; i < 100; i++)
            {
                api.Poll(Migrating(), Running(i, 400));
            }

            using var cts = new CancellationTokenSource();
            var polls = 0;
            var runner = new MigrationRunner(api, new MigrationWatchOptions(), () => api.Now, (t, c) =>
            {
                api.Now += t;
                if (++polls == 3)
                {
                    cts.Cancel();
                }

                c.ThrowIfCancellationRequested();
                return Task.CompletedTask;
            });

            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(new MigrationRequest(Fixtures.ActiveOnCompute1()) { DestinationHost = "compute2", Wait = true }, new CollectingSink(), cts.Token));
            Assert.Equal(0, api.Aborts + api.ForceCompletes);
        }

        private static Task<MigrationResult> Run(ScriptedNova api, CollectingSink sink, MigrationRequest request)
        {
            var runner = new MigrationRunner(api, new MigrationWatchOptions(), () => api.Now, (t, c) =>
            {
                api.Now += t;
                return Task.CompletedTask;
            });
            return runner.RunAsync(request, sink, CancellationToken.None);
        }

        private static Instance Migrating() => Fixtures.Server("server-migrating.json");

        private static Instance On(string host)
        {
            var server = Fixtures.ActiveOnCompute1();
            server.HostName = host;
            return server;
        }

        private static Instance Cold(string task, string host)
        {
            var server = On(host);
            server.Status = ServerStatus.Resize;
            server.StatusText = "RESIZE";
            server.TaskState = task;
            return server;
        }

        private static Instance VerifyResize()
        {
            var server = On("compute2");
            server.Status = ServerStatus.VerifyResize;
            server.StatusText = "VERIFY_RESIZE";
            return server;
        }

        private static MigrationRecord Running(long processedMiB, long remainingMiB)
        {
            var record = Fixtures.RunningWithCounters();
            record.Id = 42;
            record.MemoryProcessedBytes = processedMiB * 1024 * 1024;
            record.MemoryRemainingBytes = remainingMiB * 1024 * 1024;
            return record;
        }

        private static MigrationRecord Final(string status) => new MigrationRecord { Id = 42, Status = status, MigrationType = "live-migration", SourceHost = "compute1", DestinationHost = "compute2" };

        private sealed class ScriptedNova : IMigrationApi
        {
            private readonly Queue<(Instance Server, MigrationRecord? Record)> _script = new Queue<(Instance, MigrationRecord?)>();
            private (Instance Server, MigrationRecord? Record) _current;
            private bool _started;

            public DateTimeOffset Now { get; set; } = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

            public Exception? StartError { get; set; }

            public InstanceActionRecord? Action { get; set; }

            public string? ActionAskedFor { get; private set; }

            public int Aborts { get; private set; }

            public int ForceCompletes { get; private set; }

            public List<bool> Confirmations { get; } = new List<bool>();

            public Microversion ComputeMicroversion => new Microversion(2, 93);

            /// <summary>What Cinder answers on the n-th volume check (null: no Cinder in the catalog).</summary>
            public Func<int, IReadOnlyList<VolumeAttachmentCheck>?> Volumes { get; set; } = _ => null;

            public int VolumeChecks { get; private set; }

            public Task<IReadOnlyList<VolumeAttachmentCheck>?> CheckVolumesAsync(string id, IReadOnlyList<string> volumeIds, string expectedHost, IEngineSink sink, CancellationToken cancellationToken) =>
                Task.FromResult(Volumes(++VolumeChecks));

            public void Poll(Instance server, MigrationRecord? record) => _script.Enqueue((server, record));

            /// <summary>The migration was started by someone else before the test: the instance's history shows it.</summary>
            public void StartedElsewhere() => _started = true;

            public Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken)
            {
                if (_script.Count > 0)
                {
                    _current = _script.Dequeue();
                }

                return Task.FromResult(_current.Server);
            }

            public Task<string?> LiveMigrateAsync(string id, string? host, BlockMigrationMode mode, bool localDisks, IEngineSink sink, CancellationToken cancellationToken) => Start();

            public Task<string?> MigrateAsync(string id, string? host, IEngineSink sink, CancellationToken cancellationToken) => Start();

            public Task<string?> ConfirmOrRevertAsync(string id, bool confirm, IEngineSink sink, CancellationToken cancellationToken)
            {
                Confirmations.Add(confirm);
                return Task.FromResult<string?>("req-confirm");
            }

            public Task<IReadOnlyList<MigrationRecord>> ListServerMigrationsAsync(string id, IEngineSink sink, CancellationToken cancellationToken) =>
                Task.FromResult<IReadOnlyList<MigrationRecord>>(_current.Record != null && !_current.Record.IsFinished ? new[] { _current.Record } : Array.Empty<MigrationRecord>());

            public Task<IReadOnlyList<MigrationRecord>> ListInstanceMigrationsAsync(string id, string migrationType, IEngineSink sink, CancellationToken cancellationToken)
            {
                var old = new MigrationRecord { Id = 7, Status = "completed" };
                if (!_started)
                {
                    return Task.FromResult<IReadOnlyList<MigrationRecord>>(new[] { old });
                }

                var current = _current.Record ?? _script.FirstOrDefault().Record;
                return Task.FromResult<IReadOnlyList<MigrationRecord>>(current != null ? new[] { current, old } : new[] { old });
            }

            public Task<InstanceActionRecord?> GetInstanceActionAsync(string id, string requestId, IEngineSink sink, CancellationToken cancellationToken)
            {
                ActionAskedFor = requestId;
                return Task.FromResult(Action);
            }

            public Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string id, IEngineSink sink, CancellationToken cancellationToken) =>
                Task.FromResult<IReadOnlyList<InstanceActionRecord>>(Action != null ? new[] { Action } : Array.Empty<InstanceActionRecord>());

            public Task AbortAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken)
            {
                Aborts++;
                return Task.CompletedTask;
            }

            public DateTimeOffset? ForcedAt { get; private set; }

            public Task ForceCompleteAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken)
            {
                ForcedAt = Now;
                ForceCompletes++;
                return Task.CompletedTask;
            }

            private Task<string?> Start()
            {
                _started = true;
                if (StartError != null)
                {
                    throw StartError;
                }

                return Task.FromResult<string?>("req-start");
            }
        }

        private sealed class CollectingSink : IEngineSink
        {
            public List<string> Warnings { get; } = new List<string>();

            public List<ProgressReport> Progress { get; } = new List<ProgressReport>();

            public void Verbose(string message)
            {
            }

            public void Debug(string message)
            {
            }

            public void Warning(string message) => Warnings.Add(message);

            void IEngineSink.Progress(ProgressReport report) => Progress.Add(report);
        }
    }
}
