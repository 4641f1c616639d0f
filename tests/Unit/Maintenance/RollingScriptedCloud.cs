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
    /// The scripted cloud of the drain tests, plus what a rolling maintenance reads: every compute service, and each
    /// compute's reports to Nova (every 5 s on the fake clock, as the lab's computes do; none from a compute that died, and
    /// none during a restart until it is back). Records which hosts were disabled at each step, for the bound.
    /// </summary>
    internal sealed class RollingScriptedCloud : IRollingApi
    {
        private readonly string[] _hosts;
        private readonly Dictionary<string, DateTimeOffset> _deadSince = new Dictionary<string, DateTimeOffset>();
        private readonly Dictionary<string, DateTimeOffset> _backAt = new Dictionary<string, DateTimeOffset>();

        public RollingScriptedCloud(params string[] hosts)
        {
            _hosts = hosts;
            Cloud = new ScriptedCloud(hosts);
        }

        public ScriptedCloud Cloud { get; }

        public IDrainApi Drain => Cloud;

        /// <summary>How many drain APIs were asked for (one per drain and failback: nothing cached across hosts).</summary>
        public int FreshDrains { get; private set; }

        public IDrainApi FreshDrain()
        {
            FreshDrains++;
            return Cloud;
        }

        /// <summary>The most hosts disabled at once, as seen each time a compute's report was read or a service listed.</summary>
        public int MaxDisabled { get; private set; }

        /// <summary>The compute of the host stops reporting from now on.</summary>
        public void Kill(string host)
        {
            lock (_deadSince)
            {
                _deadSince[host] = Cloud.Now;
            }
        }

        /// <summary>The compute of the host restarts now and reports again after <paramref name="downFor"/>.</summary>
        public void Restart(string host, TimeSpan downFor)
        {
            lock (_deadSince)
            {
                _backAt[host] = Cloud.Now + downFor;
            }
        }

        public int DisabledNow() => _hosts.Count(h => Cloud.Service(h).Status == ServiceStatus.Disabled);

        public Task<IReadOnlyList<ComputeService>> ListComputeServicesAsync(IEngineSink sink, CancellationToken cancellationToken)
        {
            Observe();
            return Task.FromResult<IReadOnlyList<ComputeService>>(_hosts.Select(h => Cloud.Service(h)).ToList());
        }

        public Task<(DateTimeOffset? UpdatedAt, bool Up)?> GetAsync(string host, IEngineSink sink, CancellationToken cancellationToken)
        {
            Observe();
            var now = Cloud.Now;
            DateTimeOffset last = ScriptedCloud.Start + TimeSpan.FromSeconds(Math.Floor((now - ScriptedCloud.Start).TotalSeconds / 5) * 5);
            lock (_deadSince)
            {
                if (_deadSince.TryGetValue(host, out var dead))
                {
                    last = ScriptedCloud.Start + TimeSpan.FromSeconds(Math.Floor((dead - ScriptedCloud.Start).TotalSeconds / 5) * 5);
                }

                if (_backAt.TryGetValue(host, out var back) && now < back)
                {
                    last = back - TimeSpan.FromMinutes(1);
                }
            }

            // Nova calls a service down 20 s after its last report.
            return Task.FromResult<(DateTimeOffset?, bool)?>((last, now - last < TimeSpan.FromSeconds(20)));
        }

        private void Observe()
        {
            var disabled = DisabledNow();
            lock (_deadSince)
            {
                MaxDisabled = Math.Max(MaxDisabled, disabled);
            }
        }
    }
}
