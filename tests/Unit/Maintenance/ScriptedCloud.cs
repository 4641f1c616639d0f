#nullable enable
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>
    /// A scripted cloud for the drain, on a fake clock: instances on hosts, live migrations that take <see cref="MigrationTime"/>
    /// and then land on the destination (or fail with Nova's reason), instances busy with another task for a while, and the
    /// counts a test asserts. Nova's rules that matter here are kept: a busy instance cannot be migrated (HTTP 409), a
    /// migration record goes running -> completed/error, and the instance's host changes only when the migration completes.
    /// Thread-safe: the drain's migrations poll it from several tasks at once.
    /// </summary>
    internal sealed class ScriptedCloud : IDrainApi
    {
        public static readonly DateTimeOffset Start = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

        private readonly object _lock = new object();
        private readonly List<Vm> _vms = new List<Vm>();
        private readonly List<MigrationRecord> _migrations = new List<MigrationRecord>();
        private readonly List<InstanceActionRecord> _actions = new List<InstanceActionRecord>();
        private readonly List<ComputeService> _services;
        private readonly List<string> _migrated = new List<string>();
        private readonly List<string> _reads = new List<string>();
        private DateTimeOffset _now = Start;
        private long _nextMigration = 100;
        private int _inFlight;
        private int _maxInFlight;
        private int _conflicts;

        public ScriptedCloud(params string[] hosts)
        {
            _services = (hosts.Length > 0 ? hosts : new[] { "compute1", "compute2", "compute3" })
                .Select(h => new ComputeService { Id = "svc-" + h, Binary = "nova-compute", HostName = h, State = ServiceState.Up, Status = ServiceStatus.Enabled })
                .ToList();
        }

        public DateTimeOffset Now
        {
            get
            {
                lock (_lock)
                {
                    return _now;
                }
            }
        }

        /// <summary>How long a live migration runs before it lands (or fails).</summary>
        public TimeSpan MigrationTime { get; set; } = TimeSpan.FromSeconds(3);

        /// <summary>
        /// How long the source host cleans up after the instance runs on the destination: Nova's record stays
        /// running (and counts as in flight) that long, as on a host presenting many nodes.
        /// </summary>
        public TimeSpan SourceCleanup { get; set; } = TimeSpan.Zero;

        /// <summary>Instances whose migrations fail, with the details Nova's failed event gives.</summary>
        public Dictionary<string, string> Failures { get; } = new Dictionary<string, string>();

        /// <summary>Instances that a failed migration leaves in ERROR (otherwise Nova rolls them back to ACTIVE).</summary>
        public HashSet<string> FailToError { get; } = new HashSet<string>();

        /// <summary>Server groups returned with the plan input.</summary>
        public List<ServerGroupInfo> Groups { get; } = new List<ServerGroupInfo>();

        /// <summary>Every live migration's [start, end) on the fake clock, by instance name.</summary>
        public List<(string Name, DateTimeOffset Start, DateTimeOffset End)> Windows { get; } = new List<(string, DateTimeOffset, DateTimeOffset)>();

        /// <summary>Instances stopped through os-stop, in order.</summary>
        public List<string> Stopped { get; } = new List<string>();

        /// <summary>Called (outside the cloud's lock) with the instance's name each time Nova accepts a migration.</summary>
        public Action<string>? OnMigrate { get; set; }

        /// <summary>The most live migrations running at once.</summary>
        public int MaxInFlight => Locked(() => _maxInFlight);

        /// <summary>Live migrations running now by Nova's records (the source's clean-up included).</summary>
        public int InFlight => Locked(() => _inFlight);

        /// <summary>Migrations refused because the instance was busy (Nova's 409).</summary>
        public int Conflicts => Locked(() => _conflicts);

        /// <summary>The instance of each migration Nova accepted, in order.</summary>
        public IReadOnlyList<string> Migrated => Locked(() => _migrated.ToList());

        /// <summary>The instances read one by one (GET /servers/{id}), in order.</summary>
        public IReadOnlyList<string> Reads => Locked(() => _reads.ToList());

        public string CloudName => "scripted";

        public Microversion ComputeMicroversion => new Microversion(2, 93);

        public ComputeService Service(string host) => Locked(() => Copy(_services.Single(s => s.HostName == host)));

        /// <summary>Where the instance is now, as Nova would answer.</summary>
        public Instance Server(string name) => Locked(() =>
        {
            Tick();
            return Copy(_vms.Single(v => v.Server.Name == name).Server);
        });

        /// <summary>An m1.tiny on the host, ACTIVE unless <paramref name="status"/> says otherwise; busy with <paramref name="task"/> (REBOOT by default) for <paramref name="busyFor"/> when given, ACTIVE after.</summary>
        public void Add(string name, string host, string? task = null, TimeSpan? busyFor = null, ServerStatus? status = null)
        {
            lock (_lock)
            {
                var vm = new Vm(new Instance
                {
                    Id = "id-" + name,
                    Name = name,
                    HostName = host,
                    HypervisorHostname = host,
                    Status = ServerStatus.Active,
                    StatusText = "ACTIVE",
                    Flavor = new FlavorInfo { Name = "m1.tiny", RamMB = 512, Vcpus = 1, DiskGB = 1 },
                    Updated = _now,
                });
                _vms.Add(vm);
                vm.Server.Status = status ?? (task != null ? ServerStatus.Reboot : ServerStatus.Active);
                vm.Server.StatusText = vm.Server.Status.ToString().ToUpperInvariant();
                if (task != null)
                {
                    vm.Server.TaskState = task;
                    vm.Until = _now + (busyFor ?? TimeSpan.FromDays(1));
                    vm.Then = () => Idle(vm);
                }
            }
        }

        /// <summary>A live migration an earlier run started, still running for <paramref name="left"/>.</summary>
        public void Running(string name, string destination, DateTimeOffset startedAt, TimeSpan left)
        {
            lock (_lock)
            {
                var vm = _vms.Single(v => v.Server.Name == name);
                Begin(vm, destination, startedAt);
                vm.Until = _now + left;
            }
        }

        /// <summary>
        /// The fake delay: the clock moves on at once. The caller then gives way for a real millisecond, so that the drain's
        /// loop, which starts migrations without pausing, starts every one the throttle allows before the first watcher's
        /// polls can finish its migration (with a plain yield, a watcher on another thread can poll it to the end first).
        /// </summary>
        public async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_lock)
            {
                _now += delay;
                if (_now - Start > TimeSpan.FromDays(2))
                {
                    throw new InvalidOperationException("The drain is still waiting two (fake) days later.");
                }
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        public Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            Tick();
            var vm = Find(id);
            _reads.Add(vm.Server.Name);
            return Task.FromResult(Copy(vm.Server));
        });

        public Task<string?> LiveMigrateAsync(string id, string? host, BlockMigrationMode mode, bool localDisks, IEngineSink sink, CancellationToken cancellationToken)
        {
            string requestId;
            string name;
            lock (_lock)
            {
                Tick();
                var vm = Find(id);
                name = vm.Server.Name;
                if (!string.IsNullOrEmpty(vm.Server.TaskState))
                {
                    _conflicts++;
                    throw new OpenStackApiException("OSApiConflict", FailureKind.InvalidState, "conflict", 409, $"Cannot 'os-migrateLive' instance {id} while it is in task_state {vm.Server.TaskState}", "req-409", "POST", "/servers/" + id + "/action");
                }

                requestId = Begin(vm, host ?? throw new NotSupportedException("The scripted cloud has no scheduler."), _now);
                _migrated.Add(name);
            }

            OnMigrate?.Invoke(name);
            return Task.FromResult<string?>(requestId);
        }

        public Task<string?> MigrateAsync(string id, string? host, IEngineSink sink, CancellationToken cancellationToken) => throw new NotSupportedException("Cold migrations are not scripted.");

        public Task<string?> ConfirmOrRevertAsync(string id, bool confirm, IEngineSink sink, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<MigrationRecord>> ListServerMigrationsAsync(string id, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            Tick();
            return Task.FromResult<IReadOnlyList<MigrationRecord>>(_migrations.Where(m => m.InstanceId == id && !m.IsFinished).Select(Copy).ToList());
        });

        public Task<IReadOnlyList<MigrationRecord>> ListInstanceMigrationsAsync(string id, string migrationType, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            Tick();
            return Task.FromResult<IReadOnlyList<MigrationRecord>>(_migrations.Where(m => m.InstanceId == id && m.MigrationType == migrationType).OrderByDescending(m => m.Id).Select(Copy).ToList());
        });

        public Task<InstanceActionRecord?> GetInstanceActionAsync(string id, string requestId, IEngineSink sink, CancellationToken cancellationToken) =>
            Locked(() => Task.FromResult(_actions.FirstOrDefault(a => a.InstanceId == id && a.RequestId == requestId)));

        public Task<IReadOnlyList<InstanceActionRecord>> ListInstanceActionsAsync(string id, IEngineSink sink, CancellationToken cancellationToken) =>
            Locked(() => Task.FromResult<IReadOnlyList<InstanceActionRecord>>(_actions.Where(a => a.InstanceId == id).OrderByDescending(a => a.StartTime).ToList()));

        public Task AbortAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task ForceCompleteAsync(string id, long migrationId, IEngineSink sink, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<VolumeAttachmentCheck>?> CheckVolumesAsync(string id, IReadOnlyList<string> volumeIds, string expectedHost, IEngineSink sink, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<VolumeAttachmentCheck>?>(null);

        public Task<string?> SetPowerAsync(string instanceId, bool start, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            var vm = Find(instanceId);
            Stopped.Add(vm.Server.Name);
            vm.Server.Status = start ? ServerStatus.Active : ServerStatus.Shutoff;
            vm.Server.StatusText = vm.Server.Status.ToString().ToUpperInvariant();
            return Task.FromResult<string?>("req-power");
        });

        public Task PreloadAsync(IEngineSink sink, CancellationToken cancellationToken) => Task.CompletedTask;

        // The pre-flight checks are MigrationPreflight's business (tested on their own); here every destination passes.
        public Task<MigrationCheckReport> CheckAsync(Instance instance, MigrationKind kind, string? destinationHost, BlockMigrationMode blockMigration, bool freshCapacity, IEngineSink sink, CancellationToken cancellationToken) =>
            Task.FromResult(new MigrationCheckReport(instance.Id, instance.Name, instance.HostName, destinationHost, kind, Array.Empty<MigrationCheck>()));

        public Task<ComputeService> GetComputeServiceAsync(string host, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            var service = _services.FirstOrDefault(s => s.HostName == host) ?? throw new OpenStackMigrationException("OSComputeHostNotFound", FailureKind.NotFound, $"There is no compute host '{host}'.");
            return Task.FromResult(Copy(service));
        });

        public Task<ComputeService> SetServiceStatusAsync(ComputeService service, bool enable, string? reason, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            var mine = _services.Single(s => s.Id == service.Id);
            mine.Status = enable ? ServiceStatus.Enabled : ServiceStatus.Disabled;
            mine.DisabledReason = enable ? null : reason;
            return Task.FromResult(Copy(mine));
        });

        public Task<IReadOnlyList<Instance>> ListHostInstancesAsync(string host, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            Tick();
            return Task.FromResult<IReadOnlyList<Instance>>(_vms.Where(v => v.Server.HostName == host).Select(v => Copy(v.Server)).ToList());
        });

        public Task<PlannerInput> ReadPlanInputAsync(PlanRequest request, IEngineSink sink, CancellationToken cancellationToken) => Locked(() =>
        {
            Tick();
            return Task.FromResult(new PlannerInput
            {
                Goal = request.Goal,
                SourceHosts = request.SourceHosts,
                DestinationHosts = request.DestinationHosts,
                Instances = _vms.Where(v => request.SourceHosts.Contains(v.Server.HostName)).Select(v => Copy(v.Server)).ToList(),
                Hypervisors = _services.Select(s => Node(s.HostName, _vms.Count(v => v.Server.HostName == s.HostName))).ToList(),
                ComputeServices = _services.Select(Copy).ToList(),
                ServerGroups = Groups.ToList(),
                MemberHosts = _vms.ToDictionary(v => v.Server.Id, v => v.Server.HostName),
                BlockMigration = request.BlockMigration,
                AllowCold = request.AllowCold,
                TolerancePercent = request.TolerancePercent,
            });
        });

        private static Hypervisor Node(string host, int tinies) => new Hypervisor
        {
            Id = "rp-" + host,
            Name = host,
            HostName = host,
            State = ServiceState.Up,
            Status = ServiceStatus.Enabled,
            HypervisorType = "fake",
            HypervisorVersion = 1000,
            Vcpu = new ResourceCapacity("VCPU", 64, 0, 1.0, tinies, 64),
            MemoryMB = new ResourceCapacity("MEMORY_MB", 65536, 0, 1.0, tinies * 512L, 65536),
            DiskGB = new ResourceCapacity("DISK_GB", 1000, 0, 1.0, tinies, 1000),
        };

        private static Instance Copy(Instance i) => new Instance
        {
            Id = i.Id,
            Name = i.Name,
            HostName = i.HostName,
            HypervisorHostname = i.HypervisorHostname,
            Status = i.Status,
            StatusText = i.StatusText,
            TaskState = i.TaskState,
            Flavor = i.Flavor,
            Updated = i.Updated,
        };

        private static ComputeService Copy(ComputeService s) => new ComputeService { Id = s.Id, Binary = s.Binary, HostName = s.HostName, State = s.State, Status = s.Status, DisabledReason = s.DisabledReason };

        private static MigrationRecord Copy(MigrationRecord m) => new MigrationRecord
        {
            Id = m.Id,
            InstanceId = m.InstanceId,
            MigrationType = m.MigrationType,
            Status = m.Status,
            SourceHost = m.SourceHost,
            DestinationHost = m.DestinationHost,
            CreatedAt = m.CreatedAt,
            UpdatedAt = m.UpdatedAt,
        };

        private T Locked<T>(Func<T> read)
        {
            lock (_lock)
            {
                return read();
            }
        }

        private Vm Find(string id) =>
            _vms.FirstOrDefault(v => v.Server.Id == id) ?? throw new OpenStackMigrationException("OSInstanceNotFound", FailureKind.NotFound, $"No instance with id {id}.");

        /// <summary>Whatever was due by now happens (under the lock).</summary>
        private void Tick()
        {
            foreach (var vm in _vms.Where(v => v.Until.HasValue && v.Until.Value <= _now).ToList())
            {
                vm.Until = null;
                vm.Then?.Invoke();
            }
        }

        private string Begin(Vm vm, string destination, DateTimeOffset startedAt)
        {
            var source = vm.Server.HostName;
            var record = new MigrationRecord { Id = _nextMigration++, InstanceId = vm.Server.Id, MigrationType = "live-migration", Status = "running", SourceHost = source, DestinationHost = destination, CreatedAt = startedAt };
            var action = new InstanceActionRecord { Action = "live-migration", RequestId = "req-" + record.Id, InstanceId = vm.Server.Id, StartTime = startedAt };
            _migrations.Add(record);
            _actions.Add(action);
            vm.Server.Status = ServerStatus.Migrating;
            vm.Server.StatusText = "MIGRATING";
            vm.Server.TaskState = "migrating";
            _inFlight++;
            _maxInFlight = Math.Max(_maxInFlight, _inFlight);
            vm.Until = _now + MigrationTime;
            vm.Then = () =>
            {
                Windows.Add((vm.Server.Name, startedAt, _now));
                _inFlight--;
                Idle(vm);
                record.UpdatedAt = _now;
                if (Failures.TryGetValue(vm.Server.Name, out var why))
                {
                    record.Status = "error";
                    action.Events = new[] { new InstanceActionEvent { Event = "compute_live_migration", Result = "Error", Host = source, Details = why } };
                    if (FailToError.Contains(vm.Server.Name))
                    {
                        vm.Server.Status = ServerStatus.Error;
                        vm.Server.StatusText = "ERROR";
                    }
                }
                else
                {
                    vm.Server.HostName = destination;
                    vm.Server.HypervisorHostname = destination;
                    if (SourceCleanup > TimeSpan.Zero)
                    {
                        // The instance runs on the destination; the source is still at it.
                        _inFlight++;
                        record.UpdatedAt = null;
                        vm.Until = _now + SourceCleanup;
                        vm.Then = () =>
                        {
                            _inFlight--;
                            record.Status = "completed";
                            record.UpdatedAt = _now;
                        };
                        return;
                    }

                    record.Status = "completed";
                }
            };
            return action.RequestId;
        }

        private void Idle(Vm vm)
        {
            vm.Server.TaskState = null;
            vm.Server.Status = ServerStatus.Active;
            vm.Server.StatusText = "ACTIVE";
            vm.Server.Updated = _now;
        }

        private sealed class Vm
        {
            public Vm(Instance server)
            {
                Server = server;
            }

            public Instance Server { get; }

            public DateTimeOffset? Until { get; set; }

            public Action? Then { get; set; }
        }
    }
}
