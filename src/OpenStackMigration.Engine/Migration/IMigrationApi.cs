using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Migration
{
    /// <summary>The Nova calls a migration makes and watches; an interface so the watch loop is tested without a cloud.</summary>
    internal interface IMigrationApi
    {
        Microversion ComputeMicroversion { get; }

        Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken);

        Task<string?> LiveMigrateAsync(string id, string? host, BlockMigrationMode mode, bool localDisks, IEngineSink sink, CancellationToken cancellationToken);

        Task<string?> MigrateAsync(string id, string? host, IEngineSink sink, CancellationToken cancellationToken);

        Task<string?> ConfirmOrRevertAsync(string id, bool confirm, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>In-progress live migrations of the instance, with byte counters.</summary>
        Task<IReadOnlyList<MigrationRecord>> ListServerMigrationsAsync(string id, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Every migration record of the instance of one type, newest first.</summary>
        Task<IReadOnlyList<MigrationRecord>> ListInstanceMigrationsAsync(string id, string migrationType, IEngineSink sink, CancellationToken cancellationToken);

        Task<InstanceActionRecord?> GetInstanceActionAsync(string id, string requestId, IEngineSink sink, CancellationToken cancellationToken);

        Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string id, IEngineSink sink, CancellationToken cancellationToken);

        Task AbortAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken);

        Task ForceCompleteAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>Each volume's status and attachment hosts as Cinder sees them; null when the cloud has no Cinder endpoint.</summary>
        Task<IReadOnlyList<VolumeAttachmentCheck>?> CheckVolumesAsync(string id, IReadOnlyList<string> volumeIds, string expectedHost, IEngineSink sink, CancellationToken cancellationToken);
    }

    /// <summary>What a batch reads and checks before it starts a migration; an interface so a batch is tested without a cloud.</summary>
    internal interface IMigrationChecks
    {
        /// <summary>Reads what the checks need once, so each later check only reads the destination's capacity.</summary>
        Task PreloadAsync(IEngineSink sink, CancellationToken cancellationToken);

        /// <summary>The pre-flight checks of one instance against one destination (null: the scheduler picks).</summary>
        Task<MigrationCheckReport> CheckAsync(Instance instance, MigrationKind kind, string? destinationHost, BlockMigrationMode blockMigration, bool freshCapacity, IEngineSink sink, CancellationToken cancellationToken);
    }

    /// <summary>The real checks: <see cref="MigrationTargetReader"/> over a session.</summary>
    internal sealed class TargetReaderChecks : IMigrationChecks
    {
        private readonly MigrationTargetReader _reader;

        public TargetReaderChecks(CloudSession session)
        {
            _reader = new MigrationTargetReader(session);
        }

        public Task PreloadAsync(IEngineSink sink, CancellationToken cancellationToken) => _reader.PreloadAsync(sink, cancellationToken);

        public Task<MigrationCheckReport> CheckAsync(Instance instance, MigrationKind kind, string? destinationHost, BlockMigrationMode blockMigration, bool freshCapacity, IEngineSink sink, CancellationToken cancellationToken) =>
            _reader.CheckAsync(instance, kind, destinationHost, blockMigration, freshCapacity, sink, cancellationToken);
    }

    /// <summary>The real thing: Nova through a session.</summary>
    internal class NovaMigrationApi : IMigrationApi
    {
        private readonly NovaClient _nova;
        private readonly CinderClient _cinder;
        private readonly CloudSession _session;

        public NovaMigrationApi(CloudSession session)
        {
            _session = session;
            _nova = new NovaClient(session);
            _cinder = new CinderClient(session);
        }

        public Microversion ComputeMicroversion => _session.ComputeMicroversion;

        public Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => _nova.GetServerAsync(id, sink, cancellationToken);

        public Task<string?> LiveMigrateAsync(string id, string? host, BlockMigrationMode mode, bool localDisks, IEngineSink sink, CancellationToken cancellationToken) => _nova.LiveMigrateAsync(id, host, mode, localDisks, sink, cancellationToken);

        public Task<string?> MigrateAsync(string id, string? host, IEngineSink sink, CancellationToken cancellationToken) => _nova.MigrateAsync(id, host, sink, cancellationToken);

        public Task<string?> ConfirmOrRevertAsync(string id, bool confirm, IEngineSink sink, CancellationToken cancellationToken) => _nova.ConfirmOrRevertAsync(id, confirm, sink, cancellationToken);

        public Task<IReadOnlyList<MigrationRecord>> ListServerMigrationsAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => _nova.ListServerMigrationsAsync(id, sink, cancellationToken);

        public async Task<IReadOnlyList<MigrationRecord>> ListInstanceMigrationsAsync(string id, string migrationType, IEngineSink sink, CancellationToken cancellationToken)
        {
            var all = new List<MigrationRecord>();
            await _nova.ListMigrationsAsync(new MigrationQuery { InstanceId = id, MigrationType = migrationType }, page => all.AddRange(page), sink, cancellationToken).ConfigureAwait(false);
            return all.OrderByDescending(m => m.Id).ToList();
        }

        public Task<InstanceActionRecord?> GetInstanceActionAsync(string id, string requestId, IEngineSink sink, CancellationToken cancellationToken) => _nova.GetInstanceActionAsync(id, requestId, sink, cancellationToken);

        public Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => _nova.ListInstanceActionsAsync(id, sink, cancellationToken);

        public Task AbortAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken) => _nova.AbortMigrationAsync(id, migrationId, sink, cancellationToken);

        public Task ForceCompleteAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken) => _nova.ForceCompleteMigrationAsync(id, migrationId, sink, cancellationToken);

        public async Task<IReadOnlyList<VolumeAttachmentCheck>?> CheckVolumesAsync(string id, IReadOnlyList<string> volumeIds, string expectedHost, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (!_cinder.IsAvailable)
            {
                return null;
            }

            return await _cinder.VerifyAttachmentsAsync(id, volumeIds, expectedHost, sink, cancellationToken).ConfigureAwait(false);
        }
    }
}
