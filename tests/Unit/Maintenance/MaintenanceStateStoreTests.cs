using System;
using System.IO;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;
using Xunit;

namespace OpenStackMigration.Tests.Maintenance
{
    public sealed class MaintenanceStateStoreTests : IDisposable
    {
        private readonly string _folder = Path.Combine(Path.GetTempPath(), "osm-state-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(_folder))
            {
                Directory.Delete(_folder, recursive: true);
            }
        }

        private static HostMaintenanceReport Sample() => new HostMaintenanceReport
        {
            HostName = "compute2",
            Reason = "BIOS update",
            StartedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Runs = 1,
            Instances =
            {
                new MaintenanceInstanceRecord { InstanceId = "a", InstanceName = "vm-a", Outcome = MaintenanceOutcome.Moved, CurrentHost = "compute1", Verdict = MigrationVerdict.Succeeded, Attempts = 1 },
                new MaintenanceInstanceRecord { InstanceId = "b", InstanceName = "vm-b", Outcome = MaintenanceOutcome.InFlight, PlannedHost = "compute3", Attempts = 1 },
            },
        };

        [Fact]
        public void SavesAndReadsBackWithReadableEnumsAndNoTemporaryFileLeft()
        {
            var path = Path.Combine(_folder, "nested", "lab-compute2.json");
            MaintenanceStateStore.Save(path, Sample());
            MaintenanceStateStore.Save(path, Sample());

            var text = File.ReadAllText(path);
            Assert.Contains("\"Outcome\": \"InFlight\"", text);
            var back = MaintenanceStateStore.Load(path)!;
            Assert.Equal("compute2", back.HostName);
            Assert.Equal(MaintenanceOutcome.InFlight, back.Instances[1].Outcome);
            Assert.Equal(MigrationVerdict.Succeeded, back.Instances[0].Verdict);
            Assert.Equal(Sample().StartedAt, back.StartedAt);
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
        }

        [Fact]
        public void MissingFileIsNoState()
        {
            Assert.Null(MaintenanceStateStore.Load(Path.Combine(_folder, "none.json")));
        }

        [Fact]
        public void BrokenFileIsAClearError()
        {
            Directory.CreateDirectory(_folder);
            var path = Path.Combine(_folder, "broken.json");
            File.WriteAllText(path, "{ \"HostName\": ");
            var e = Assert.Throws<OpenStackMigrationException>(() => MaintenanceStateStore.Load(path));
            Assert.Equal("OSMaintenanceStateUnreadable", e.ErrorId);
            Assert.Contains(path, e.Message);
        }

        [Fact]
        public void DefaultPathIsPerCloudAndHostUnderLocalAppData()
        {
            var path = MaintenanceStateStore.DefaultPath("osm-lab", "compute/2");
            Assert.EndsWith(Path.Combine("OpenStackMigration", "maintenance", "osm-lab-compute_2.json"), path);
            Assert.StartsWith(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), path);
        }

        [Fact]
        public void ArchiveKeepsTheRecordAside()
        {
            var path = Path.Combine(_folder, "lab-compute2.json");
            MaintenanceStateStore.Save(path, Sample());
            var archived = MaintenanceStateStore.Archive(path);
            Assert.False(File.Exists(path));
            Assert.True(File.Exists(archived));
            Assert.Contains("lab-compute2-ended-", archived);
        }
    }
}
