#nullable enable
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Completion;
using OpenStackMigration.OpenStack;
using Xunit;

namespace OpenStackMigration.Tests.Completion
{
    /// <summary>The cache behind Tab: one read per kind and session while fresh, never an error, never a long wait.</summary>
    [Collection(Runspace.ProcessEnvironmentCollection.Name)]
    public sealed class CompletionCacheTests : IDisposable
    {
        // The cache only tells sessions apart by reference: an object that was never connected is enough.
        private readonly CloudSession _session = (CloudSession)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(CloudSession));
        private DateTimeOffset _now = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

        public CompletionCacheTests()
        {
            CompletionCache.Clear();
            CompletionCache.Now = () => _now;
        }

        public void Dispose()
        {
            CompletionCache.Clear();
            CompletionCache.Now = () => DateTimeOffset.UtcNow;
            CompletionCache.Budget = TimeSpan.FromSeconds(3);
        }

        [Fact]
        public void RepeatedTabsReadTheCloudOnceUntilTheReadIsStale()
        {
            var reads = 0;
            Task<IReadOnlyList<Candidate>> Load(CloudSession s, CancellationToken t)
            {
                reads++;
                return Task.FromResult<IReadOnlyList<Candidate>>(new[] { new Candidate("compute" + reads, "compute" + reads, "") });
            }

            Assert.Equal("compute1", CompletionCache.Get("hosts", _session, Load)[0].Value);
            _now += TimeSpan.FromSeconds(29);
            Assert.Equal("compute1", CompletionCache.Get("hosts", _session, Load)[0].Value);
            Assert.Equal(1, reads);
            _now += TimeSpan.FromSeconds(2);
            Assert.Equal("compute2", CompletionCache.Get("hosts", _session, Load)[0].Value);
            Assert.Equal(2, reads);
        }

        [Fact]
        public void ASlowReadAnswersNothingNowAndServesTheNextTab()
        {
            CompletionCache.Budget = TimeSpan.FromMilliseconds(50);
            var release = new TaskCompletionSource<IReadOnlyList<Candidate>>();
            var reads = 0;
            Task<IReadOnlyList<Candidate>> Load(CloudSession s, CancellationToken t)
            {
                reads++;
                return release.Task;
            }

            var started = DateTime.UtcNow;
            Assert.Empty(CompletionCache.Get("instances", _session, Load));
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(1));
            release.SetResult(new[] { new Candidate("id1", "web01", "") });
            Assert.Equal("id1", Assert.Single(CompletionCache.Get("instances", _session, Load)).Value);
            Assert.Equal(1, reads);
        }

        [Fact]
        public void AFailedReadIsSilentAndTriedAgainOnTheNextTab()
        {
            var reads = 0;
            Task<IReadOnlyList<Candidate>> Load(CloudSession s, CancellationToken t)
            {
                if (++reads == 1)
                {
                    throw new OpenStackMigrationException("OSApiError", FailureKind.ServiceError, "503");
                }

                return Task.FromResult<IReadOnlyList<Candidate>>(new[] { new Candidate("42", "42", "") });
            }

            Assert.Empty(CompletionCache.Get("migrations", _session, Load));
            Assert.Equal("42", Assert.Single(CompletionCache.Get("migrations", _session, Load)).Value);
        }
    }
}
