#nullable enable
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;
using OpenStackMigration.Tests.Support;
using Xunit;

namespace OpenStackMigration.Tests.OpenStack
{
    /// <summary>
    /// A long server listing read from both ends at once, over loopback HTTP, against a server list that pages as
    /// Nova's does: sorted by the keys asked for, a marker continues strictly after its instance (found even when
    /// deleted), a full page carries a "next" link, and each page takes time in proportion to its servers.
    /// </summary>
    public sealed class TwoEndedListingTests : IDisposable
    {
        private static readonly DateTime T0 = new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc);
        private readonly LoopbackCloud _cloud = new LoopbackCloud();
        private readonly object _lock = new object();
        private readonly List<Server> _servers = new List<Server>();
        private readonly List<string> _asked = new List<string>();
        private readonly string?[] _lastServed = new string?[2];
        private int _served;
        private int _inFlight;
        private int _mostInFlight;

        public TwoEndedListingTests()
        {
            _cloud.Handler = AnswerAsync;
        }

        /// <summary>Called before each servers request is answered, with its number (1-based).</summary>
        private Action<int>? BeforeAnswer { get; set; }

        /// <summary>When set, requests in this direction fail with a 500.</summary>
        private string? FailDirection { get; set; }

        public void Dispose() => _cloud.Dispose();

        [Fact]
        public async Task AListingLongerThanItsFirstPageIsReadFromBothEndsAtOnceAndHandedOverOnceNewestFirst()
        {
            // 2,345 servers, 25 created in each second (Nova's batches share their second), pages of 200.
            Seed(2345, perSecond: 25);
            var listed = await ListAsync(pageSize: 200);

            Assert.Equal(Expected(), listed);
            Assert.Contains(_asked, a => a.Contains("sort_dir=asc", StringComparison.Ordinal));
            Assert.Contains(_asked, a => a.Contains("sort_dir=desc", StringComparison.Ordinal));
            Assert.Equal(2, _mostInFlight);

            // They stop where they meet: at most a page each beyond the listing (one page of 200 a reader, a second of 25).
            Assert.InRange(_served, 2345, 2345 + 200 + 200 + 25);
        }

        [Fact]
        public async Task AListingOfOnePageIsOneRequest()
        {
            Seed(80, perSecond: 25);
            var listed = await ListAsync(pageSize: 1000);

            Assert.Equal(Expected(), listed);
            Assert.Single(_asked);
        }

        [Fact]
        public async Task InstancesDeletedWhileTheListingRunsLoseNoOtherInstance()
        {
            // Before the third page is answered, a third of the instances are deleted, among them instances already
            // listed and the last one each reader has (the marker it continues from).
            Seed(1500, perSecond: 10);
            var rng = new Random(7);
            BeforeAnswer = n =>
            {
                if (n == 3)
                {
                    foreach (var s in _servers.Where(s => rng.Next(3) == 0 || s.Id == _lastServed[0] || s.Id == _lastServed[1]))
                    {
                        s.Deleted = true;
                    }
                }
            };

            var listed = await ListAsync(pageSize: 200);

            var kept = _servers.Where(s => !s.Deleted).Select(s => s.Id).ToHashSet();
            Assert.Empty(kept.Except(listed));
            Assert.Equal(listed.Count, listed.Distinct().Count());
            Assert.Equal(Expected(withDeleted: true).Where(listed.Contains), listed);
        }

        [Fact]
        public async Task WhenTheOldestFirstReaderFailsTheListingFailsWithNovasErrorWithoutReadingOnToTheEnd()
        {
            Seed(3000, perSecond: 25);
            FailDirection = "asc";

            var error = await Assert.ThrowsAnyAsync<OpenStackMigrationException>(() => ListAsync(pageSize: 200));

            Assert.Contains("500", error.Message, StringComparison.Ordinal);
            Assert.True(_served < 3000 / 2, $"the newest-first reader went on for {_served} servers after the other failed");
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public async Task WhenTheConsumerStopsNeitherReaderOutlivesTheListing(bool byCancelling)
        {
            // The consumer stops at the second page: by cancelling (Ctrl+C, a stopped pipeline) or by failing.
            Seed(3000, perSecond: 25);
            using var stop = new CancellationTokenSource();
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var pages = 0;

            var error = await Record.ExceptionAsync(() => new NovaClient(session).ListServersAsync(
                new ServerQuery { AllProjects = true, PageSize = 200 },
                page =>
                {
                    if (++pages == 2)
                    {
                        if (!byCancelling)
                        {
                            throw new InvalidOperationException("the consumer failed");
                        }

                        stop.Cancel();
                    }
                },
                NullSink.Instance,
                stop.Token));

            Assert.IsAssignableFrom(byCancelling ? typeof(OperationCanceledException) : typeof(InvalidOperationException), error);
            // A request sent just before the stop may reach the server after it; none is sent after. A reader left
            // running would ask for a page every quarter of a second.
            await Task.Delay(500);
            int asked;
            lock (_lock)
            {
                asked = _asked.Count;
            }

            await Task.Delay(1000);
            lock (_lock)
            {
                Assert.Equal(asked, _asked.Count);
            }
        }

        private async Task<List<string>> ListAsync(int pageSize)
        {
            using var session = await CloudSession.ConnectAsync(_cloud.Options(), NullSink.Instance, CancellationToken.None);
            var listed = new List<string>();
            await new NovaClient(session).ListServersAsync(
                new ServerQuery { AllProjects = true, PageSize = pageSize },
                page => listed.AddRange(page.Select(i => i.Id)),
                NullSink.Instance,
                CancellationToken.None);
            return listed;
        }

        private void Seed(int count, int perSecond)
        {
            var rng = new Random(count);
            for (var i = 0; i < count; i++)
            {
                var bytes = new byte[16];
                rng.NextBytes(bytes);
                _servers.Add(new Server { Id = new Guid(bytes).ToString(), Created = T0.AddSeconds(i / perSecond) });
            }
        }

        /// <summary>Nova's order for the newest-first reader: created, then uuid, both descending.</summary>
        private List<string> Expected(bool withDeleted = false) =>
            _servers.Where(s => withDeleted || !s.Deleted).OrderByDescending(s => s.Created).ThenByDescending(s => s.Id, StringComparer.Ordinal).Select(s => s.Id).ToList();

        private async Task<(int, string)> AnswerAsync(System.Net.HttpListenerRequest r)
        {
            if (r.Url!.AbsolutePath != "/v2.1/servers/detail")
            {
                return (404, "{}");
            }

            var q = r.QueryString;
            var ascending = (q["sort_dir"] ?? "desc").StartsWith("asc", StringComparison.Ordinal);
            int n;
            lock (_lock)
            {
                _asked.Add(r.Url.Query);
                n = _asked.Count;
                _mostInFlight = Math.Max(_mostInFlight, ++_inFlight);
            }

            try
            {
                if (FailDirection == (ascending ? "asc" : "desc"))
                {
                    await Task.Delay(50);
                    return (500, "{\"computeFault\": {\"code\": 500, \"message\": \"Unexpected API Error.\"}}");
                }

                List<Server> page;
                bool full;
                lock (_lock)
                {
                    BeforeAnswer?.Invoke(n);
                    Comparison<Server> order = (a, b) =>
                    {
                        var c = a.Created.CompareTo(b.Created);
                        c = c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
                        return ascending ? c : -c;
                    };
                    var sorted = _servers.ToList();
                    sorted.Sort(order);
                    var start = 0;
                    var marker = q["marker"];
                    if (marker != null)
                    {
                        // Nova finds a marker among deleted instances too.
                        start = sorted.FindIndex(s => s.Id == marker) + 1;
                    }

                    var limit = int.Parse(q["limit"]!, CultureInfo.InvariantCulture);
                    page = sorted.Skip(start).Where(s => !s.Deleted).Take(limit).ToList();
                    full = page.Count == limit;
                    if (page.Count > 0)
                    {
                        _lastServed[ascending ? 1 : 0] = page[page.Count - 1].Id;
                    }

                    _served += page.Count;
                }

                // Nova's time: about a millisecond a server here.
                await Task.Delay(5 + page.Count);
                var body = new JObject
                {
                    ["servers"] = new JArray(page.Select(s => new JObject
                    {
                        ["id"] = s.Id,
                        ["name"] = "vm-" + s.Id.Substring(0, 8),
                        ["status"] = "ACTIVE",
                        ["created"] = s.Created.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                        ["flavor"] = new JObject { ["original_name"] = "m1.tiny", ["vcpus"] = 1, ["ram"] = 512, ["disk"] = 1 },
                    })),
                };
                if (full)
                {
                    body["servers_links"] = new JArray(new JObject { ["rel"] = "next", ["href"] = "next" });
                }

                return (200, body.ToString());
            }
            finally
            {
                lock (_lock)
                {
                    _inFlight--;
                }
            }
        }

        private sealed class Server
        {
            public string Id { get; set; } = string.Empty;

            public DateTime Created { get; set; }

            public bool Deleted { get; set; }
        }
    }
}
