#nullable enable
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Maintenance;
using OpenStackMigration.Model;

namespace OpenStackMigration.Tests.Maintenance
{
    /// <summary>
    /// A scripted Nova for evacuations, on a fake clock: a failed host (compute4) with instances, and Nova's rules that matter
    /// here. Evacuate is refused while the host's service is up (ComputeServiceInUse) and sets the task to rebuilding at
    /// once; the rebuild takes <see cref="RebuildTime"/>, then the instance is on another host with its evacuation record
    /// done, or (for <see cref="Failures"/>) ERROR on the failed host with Nova's fault and the record error. Thread-safe.
    /// </summary>
    internal sealed class EvacuationCloud : IEvacuationApi
    {
        public static readonly DateTimeOffset Start = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

        private readonly object _lock = new object();
        private readonly Dictionary<string, Vm> _vms = new Dictionary<string, Vm>();
        private readonly List<MigrationRecord> _migrations = new List<MigrationRecord>();
        private readonly List<string> _evacuated = new List<string>();
        private readonly string[] _destinations = { "compute1", "compute2", "compute3" };
        private DateTimeOffset _now = Start;
        private int _maxInFlight;
        private int _next;

        public ServiceState State { get; set; } = ServiceState.Down;

        public bool ForcedDown { get; private set; }

        public TimeSpan RebuildTime { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>Instances whose rebuild fails, with the fault Nova records.</summary>
        public Dictionary<string, string> Failures { get; } = new Dictionary<string, string>();

        /// <summary>Instances whose evacuate call Nova refuses (HTTP 409), with its message.</summary>
        public Dictionary<string, string> Refusals { get; } = new Dictionary<string, string>();

        public string CloudName => "scripted";

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

        /// <summary>Every evacuate call Nova accepted, by instance name, in order.</summary>
        public IReadOnlyList<string> Evacuated
        {
            get
            {
                lock (_lock)
                {
                    return _evacuated.Distinct().ToList();
                }
            }
        }

        public int MaxInFlight
        {
            get
            {
                lock (_lock)
                {
                    return _maxInFlight;
                }
            }
        }

        public int EvacuateCalls(string name)
        {
            lock (_lock)
            {
                return _evacuated.Count(n => n == name);
            }
        }

        public void Add(string name, string status = "ACTIVE", bool volumeBacked = false, int ephemeralGb = 0, int swapMb = 0) =>
            _vms[name] = new Vm
            {
                Instance = new Instance
                {
                    Id = "id-" + name,
                    Name = name,
                    StatusText = status,
                    HostName = "compute4",
                    ImageId = volumeBacked ? null : "img-cirros",
                    IsVolumeBacked = volumeBacked,
                    Flavor = new FlavorInfo { Name = "m1.tiny", DiskGB = 1, RamMB = 512, Vcpus = 1, EphemeralGB = ephemeralGb, SwapMB = swapMb },
                },
            };

        public Instance Server(string name)
        {
            lock (_lock)
            {
                Advance(_vms[name]);
                return Copy(_vms[name].Instance);
            }
        }

        public async Task Delay(TimeSpan time, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                _now += time;
            }

            await Task.Yield();
        }

        public Task<ComputeService> GetComputeServiceAsync(string host, IEngineSink sink, CancellationToken cancellationToken) =>
            Task.FromResult(Service(host));

        public Task<ComputeService> SetForcedDownAsync(ComputeService service, bool forcedDown, IEngineSink sink, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                ForcedDown = forcedDown;
            }

            return Task.FromResult(Service(service.HostName));
        }

        public Task<IReadOnlyList<Instance>> ListHostInstancesAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                foreach (var vm in _vms.Values)
                {
                    Advance(vm);
                }

                return Task.FromResult<IReadOnlyList<Instance>>(_vms.Values.Where(v => v.Instance.HostName == host).Select(v => Copy(v.Instance)).ToList());
            }
        }

        public Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                var vm = _vms.Values.Single(v => v.Instance.Id == id);
                Advance(vm);
                return Task.FromResult(Copy(vm.Instance));
            }
        }

        public Task<string?> EvacuateAsync(string id, string? host, IEngineSink sink, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                var vm = _vms.Values.Single(v => v.Instance.Id == id);
                var name = vm.Instance.Name;
                if (Refusals.TryGetValue(name, out var refusal))
                {
                    throw new OpenStackMigrationException("OSApiError", FailureKind.InvalidState, refusal);
                }

                if (State == ServiceState.Up && !ForcedDown)
                {
                    throw new OpenStackMigrationException("OSApiError", FailureKind.InvalidState, "Compute service of compute4 is still in use.");
                }

                vm.Instance.TaskState = "rebuilding";
                vm.RebuildEnds = _now + RebuildTime;
                vm.Destination = host ?? _destinations[_next++ % _destinations.Length];
                vm.Migration = new MigrationRecord { Id = 200 + _migrations.Count, InstanceId = id, MigrationType = "evacuation", Status = "accepted", SourceHost = "compute4", CreatedAt = _now };
                _migrations.Add(vm.Migration);
                _evacuated.Add(name);
                _maxInFlight = Math.Max(_maxInFlight, _vms.Values.Count(v => v.Instance.TaskState == "rebuilding"));
                return Task.FromResult<string?>("req-evacuate-" + name);
            }
        }

        public Task<IReadOnlyList<MigrationRecord>> ListEvacuationsAsync(string id, IEngineSink sink, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                return Task.FromResult<IReadOnlyList<MigrationRecord>>(_migrations.Where(m => m.InstanceId == id).OrderByDescending(m => m.Id).ToList());
            }
        }

        private ComputeService Service(string host)
        {
            lock (_lock)
            {
                return new ComputeService
                {
                    Id = "svc-" + host,
                    Binary = "nova-compute",
                    HostName = host,
                    State = ForcedDown ? ServiceState.Down : State,
                    Status = ServiceStatus.Enabled,
                    ForcedDown = ForcedDown,
                    UpdatedAt = Start.AddMinutes(-2),
                };
            }
        }

        /// <summary>Lands or fails a rebuild whose time is up (called under the lock).</summary>
        private void Advance(Vm vm)
        {
            if (vm.Instance.TaskState != "rebuilding" || _now < vm.RebuildEnds)
            {
                return;
            }

            vm.Instance.TaskState = null;
            if (Failures.TryGetValue(vm.Instance.Name, out var fault))
            {
                vm.Instance.StatusText = "ERROR";
                vm.Instance.Fault = fault;
                vm.Migration!.Status = "error";
            }
            else
            {
                vm.Instance.HostName = vm.Destination;
                vm.Instance.StatusText = vm.Instance.StatusText == "ERROR" ? "ACTIVE" : vm.Instance.StatusText;
                vm.Instance.Fault = null;
                vm.Migration!.Status = "done";
            }
        }

        private static Instance Copy(Instance i) => new Instance
        {
            Id = i.Id,
            Name = i.Name,
            StatusText = i.StatusText,
            TaskState = i.TaskState,
            HostName = i.HostName,
            ImageId = i.ImageId,
            IsVolumeBacked = i.IsVolumeBacked,
            Flavor = i.Flavor,
            Fault = i.Fault,
        };

        private sealed class Vm
        {
            public Instance Instance { get; set; } = new Instance();

            public DateTimeOffset RebuildEnds { get; set; }

            public string? Destination { get; set; }

            public MigrationRecord? Migration { get; set; }
        }
    }
}
