using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Newtonsoft.Json.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.OpenStack
{
    /// <summary>What to list servers by.</summary>
    public sealed class ServerQuery
    {
        /// <summary>Every project's servers (admin).</summary>
        public bool AllProjects { get; set; }

        /// <summary>Only those on this compute host (admin).</summary>
        public string? Host { get; set; }

        /// <summary>A regular expression on the name, applied by Nova.</summary>
        public string? NameRegex { get; set; }

        /// <summary>Only this status (ACTIVE, ERROR...).</summary>
        public string? Status { get; set; }

        /// <summary>Only this project's servers.</summary>
        public string? ProjectId { get; set; }

        /// <summary>Servers per page.</summary>
        public int PageSize { get; set; } = 1000;
    }

    public sealed partial class NovaClient
    {
        /// <summary>Embedded flavor figures in server bodies.</summary>
        internal static readonly Microversion EmbeddedFlavorVersion = new Microversion(2, 47);

        /// <summary>
        /// The microversion server listings are asked at (or the session's, if lower): the newest whose detailed list does
        /// not load every instance's system metadata. From 2.73 Nova joins it for locked_reason, which a listing does
        /// not show, and that made each page about 40% slower (403 instances, one page, curl, medians of 7: 0.92 s at
        /// 2.72 and at 2.1, 1.31 s at 2.73, 1.34 s at 2.93). 2.72 keeps what a listing reads: the embedded flavor
        /// (2.47), locked (2.9), the extended attributes. One server (<see cref="GetServerAsync"/>) is read at the
        /// session's.
        /// </summary>
        internal static readonly Microversion ServerListVersion = new Microversion(2, 72);

        /// <summary>Servers in the first page: small, so the first instance comes out while Nova still builds the next pages.</summary>
        internal const int FirstPageSize = 100;

        /// <summary>
        /// Lists servers newest first, handing each page over as it arrives. The first page is small
        /// (<see cref="FirstPageSize"/>): the first instance comes out in the time Nova takes for a hundred. Each next
        /// page is asked for as soon as a page is read, before it is handed over, so Nova builds a page while the
        /// previous one is consumed.
        /// <para>
        /// A listing longer than its first page is read from both ends at once: a second reader pages oldest first
        /// while the first pages newest first, in the same total order (created_at, then uuid, the one reversed), and
        /// the two stop where they meet (<see cref="ListingEnds"/>). Nova builds a page of a thousand servers in about
        /// two seconds of one API worker's time, and a cloud runs several workers: two readers take about half the
        /// time of one. Both keys are immutable, so an instance that changes while the listing runs (migrates,
        /// changes state, is renamed) keeps its place and cannot fall between the two; a paged listing with any
        /// mutable key, or split by host or project, could miss it. The oldest-first pages are handed over last, in
        /// newest-first order, so the output keeps the order of a one-reader listing.
        /// </para>
        /// </summary>
        public async Task ListServersAsync(ServerQuery query, Action<IReadOnlyList<Instance>> onPage, IEngineSink sink, CancellationToken cancellationToken)
        {
            var version = At(ServerListVersion);
            var ends = new ListingEnds();
            // Each instance is handed over once: the two readers read the instances of the second they meet in, and
            // while instances are being created Nova's paging can repeat one (it leaves its build request for its cell).
            var handed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var repeated = 0;
            using var newestAhead = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var oldestAhead = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var newest = new ServerPager(this, query, newestFirst: true, version, sink);
            Task<List<List<Instance>>>? oldest = null;
            Task<ApiResponse>? next = newest.Ask(Math.Min(FirstPageSize, query.PageSize), newestAhead.Token);
            try
            {
                while (next != null)
                {
                    ApiResponse response;
                    try
                    {
                        response = await next.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (ends.Met && !cancellationToken.IsCancellationRequested)
                    {
                        // The oldest-first reader reached what this one had read (or failed): nothing more is needed here.
                        next = null;
                        break;
                    }

                    next = null;
                    var page = await newest.ReadAsync(response, cancellationToken).ConfigureAwait(false);
                    var goOn = ends.Take(page, newestFirst: true, lastPage: !newest.HasNext);
                    if (oldest == null && goOn && newest.Pages == 1 && page.Count > 0 && page[page.Count - 1].Created != null)
                    {
                        oldest = ReadOldestFirstAsync(query, version, ends, newestAhead, sink, oldestAhead.Token);
                    }

                    if (goOn)
                    {
                        next = newest.Ask(query.PageSize, newestAhead.Token);
                    }
                    else
                    {
                        // Met the other reader, or reached the end: the other reader's page in flight is not needed.
                        oldestAhead.Cancel();
                    }

                    repeated += page.RemoveAll(i => !handed.Add(i.Id));
                    sink.Verbose($"Servers page {newest.Pages}: {page.Count} servers{(repeated > 0 ? $" ({repeated} repeated by Nova's paging so far, each handed over once)" : string.Empty)}.");
                    onPage(page);
                }

                if (oldest != null)
                {
                    var pages = await oldest.ConfigureAwait(false);
                    for (var i = pages.Count - 1; i >= 0; i--)
                    {
                        var page = pages[i];
                        page.Reverse();
                        page.RemoveAll(i => !handed.Add(i.Id));
                        onPage(page);
                    }
                }
            }
            finally
            {
                if (next != null || oldest != null)
                {
                    // Stopped early (a failure, or the consumer stopped): what is in flight is cancelled and outlives nothing.
                    newestAhead.Cancel();
                    oldestAhead.Cancel();
                    if (next != null)
                    {
                        await next.SettledAsync().ConfigureAwait(false);
                    }

                    if (oldest != null)
                    {
                        await oldest.SettledAsync().ConfigureAwait(false);
                    }
                }
            }
        }

        /// <summary>
        /// The oldest-first reader: pages until it reaches what the newest-first reader has read, keeping its pages to
        /// be handed over at the end. When it stops first, the newest-first reader's page in flight is cancelled; if
        /// it fails, so is that page, and the listing fails with this reader's error.
        /// </summary>
        private async Task<List<List<Instance>>> ReadOldestFirstAsync(ServerQuery query, Microversion version, ListingEnds ends, CancellationTokenSource newestAhead, IEngineSink sink, CancellationToken cancellationToken)
        {
            await Task.Yield();
            var pager = new ServerPager(this, query, newestFirst: false, version, sink);
            var pages = new List<List<Instance>>();
            try
            {
                while (true)
                {
                    ApiResponse response;
                    try
                    {
                        response = await pager.Ask(query.PageSize, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (ends.Met)
                    {
                        return pages;
                    }

                    var page = await pager.ReadAsync(response, cancellationToken).ConfigureAwait(false);
                    var goOn = ends.Take(page, newestFirst: false, lastPage: !pager.HasNext);
                    pages.Add(page);
                    sink.Verbose($"Servers page {pager.Pages}, oldest first: {page.Count} servers.");
                    if (!goOn)
                    {
                        newestAhead.Cancel();
                        return pages;
                    }
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                ends.Fail();
                newestAhead.Cancel();
                throw;
            }
        }

        /// <summary>One direction of a server listing: asks for pages by limit and marker, reads them into instances.</summary>
        private sealed class ServerPager
        {
            private readonly NovaClient _nova;
            private readonly ServerQuery _query;
            private readonly bool _newestFirst;
            private readonly Microversion _version;
            private readonly IEngineSink _sink;
            private readonly Dictionary<string, FlavorInfo> _flavors = new Dictionary<string, FlavorInfo>(StringComparer.Ordinal);
            private string? _marker;

            public ServerPager(NovaClient nova, ServerQuery query, bool newestFirst, Microversion version, IEngineSink sink)
            {
                _nova = nova;
                _query = query;
                _newestFirst = newestFirst;
                _version = version;
                _sink = sink;
            }

            /// <summary>Whether Nova said more pages remain after the last one read.</summary>
            public bool HasNext { get; private set; } = true;

            /// <summary>Pages read so far.</summary>
            public int Pages { get; private set; }

            public Task<ApiResponse> Ask(int limit, CancellationToken cancellationToken) =>
                _nova.SendAsync("GET", ServersPath(_query, limit, _marker, _newestFirst), _version, _sink, cancellationToken);

            /// <summary>The page's instances in this reader's order.</summary>
            public async Task<List<Instance>> ReadAsync(ApiResponse response, CancellationToken cancellationToken)
            {
                List<Instance> page;
                bool nextLink;
                using (var reader = response.Reader())
                {
                    (page, nextLink) = ServerReader.ReadPage(reader);
                }

                // Nova gives a "next" link while more pages remain.
                _marker = page.Count > 0 && page[page.Count - 1].Id.Length > 0 ? page[page.Count - 1].Id : null;
                HasNext = _marker != null && nextLink;
                Pages++;
                foreach (var instance in page)
                {
                    await _nova.FillFlavorAsync(instance, _flavors, _sink, cancellationToken).ConfigureAwait(false);
                }

                return page;
            }
        }

        /// <summary>
        /// Where the two readers of a listing have got to. The newest-first reader has every instance created after
        /// the second of the last one it took; the oldest-first reader every one created before the second of its
        /// last. A reader stops at the first instance the other has thus covered: from there on, in its order, the
        /// other has them all. Whole seconds make the rule safe whatever order Nova gives instances created in the
        /// same second (those are read by both, and handed over once). Each page is judged whole, under one lock.
        /// </summary>
        internal sealed class ListingEnds
        {
            private readonly object _lock = new object();
            private DateTimeOffset? _newestReached;
            private DateTimeOffset? _oldestReached;
            private bool _met;

            /// <summary>The readers met (or one reached the end, or failed): the listing needs no more pages.</summary>
            public bool Met => Volatile.Read(ref _met);

            /// <summary>
            /// Cuts <paramref name="page"/> (in its reader's order) at the first instance the other reader has covered;
            /// false when the listing is complete with what is taken now.
            /// </summary>
            public bool Take(List<Instance> page, bool newestFirst, bool lastPage)
            {
                lock (_lock)
                {
                    if (Met)
                    {
                        page.Clear();
                        return false;
                    }

                    var other = newestFirst ? _oldestReached : _newestReached;
                    var cut = other == null ? -1 : page.FindIndex(i => i.Created != null && (newestFirst ? i.Created < other : i.Created > other));
                    if (cut >= 0)
                    {
                        page.RemoveRange(cut, page.Count - cut);
                    }

                    // An instance without a creation time (never seen from Nova) moves no frontier: what is claimed stays true.
                    var reached = page.LastOrDefault(i => i.Created != null)?.Created;
                    if (reached != null)
                    {
                        if (newestFirst)
                        {
                            _newestReached = reached;
                        }
                        else
                        {
                            _oldestReached = reached;
                        }
                    }

                    Volatile.Write(ref _met, cut >= 0 || lastPage);
                    return !_met;
                }
            }

            /// <summary>One reader failed: the other stops too.</summary>
            public void Fail()
            {
                lock (_lock)
                {
                    Volatile.Write(ref _met, true);
                }
            }
        }

        private static string ServersPath(ServerQuery query, int limit, string? marker, bool newestFirst)
        {
            // Nova's own order is created_at then id, newest first; uuid in place of id makes the order total across
            // cells and the same, reversed, for the oldest-first reader.
            var direction = newestFirst ? "desc" : "asc";
            var parameters = new List<string> { "limit=" + limit, "sort_key=created_at", "sort_dir=" + direction, "sort_key=uuid", "sort_dir=" + direction };
            if (query.AllProjects)
            {
                parameters.Add("all_tenants=1");
            }

            if (query.Host != null)
            {
                parameters.Add("host=" + Uri.EscapeDataString(query.Host));
            }

            if (query.NameRegex != null)
            {
                parameters.Add("name=" + Uri.EscapeDataString(query.NameRegex));
            }

            if (query.Status != null)
            {
                parameters.Add("status=" + Uri.EscapeDataString(query.Status));
            }

            if (query.ProjectId != null)
            {
                parameters.Add("project_id=" + Uri.EscapeDataString(query.ProjectId));
            }

            if (marker != null)
            {
                parameters.Add("marker=" + Uri.EscapeDataString(marker));
            }

            return "/servers/detail?" + string.Join("&", parameters);
        }

        /// <summary>One server by id; a NotFound error names the id.</summary>
        public async Task<Instance> GetServerAsync(string id, IEngineSink sink, CancellationToken cancellationToken)
        {
            var response = await SendAsync("GET", "/servers/" + Uri.EscapeDataString(id), _session.ComputeMicroversion, sink, cancellationToken, accept: 404).ConfigureAwait(false);
            if (response.Status == 404)
            {
                throw new OpenStackMigrationException("OSInstanceNotFound", FailureKind.NotFound, $"No instance with id '{id}' (Nova: {ApiConnection.ServiceMessageOf(response.Body) ?? "not found"}).") { Target = id };
            }

            var instance = ParseInstance(response.Object["server"] ?? new JObject());
            await FillFlavorAsync(instance, new Dictionary<string, FlavorInfo>(), sink, cancellationToken).ConfigureAwait(false);
            return instance;
        }

        /// <summary>Before 2.47 a server names its flavor only by id: its figures are read from the flavor, once per id.</summary>
        internal async Task FillFlavorAsync(Instance instance, Dictionary<string, FlavorInfo> flavorCache, IEngineSink sink, CancellationToken cancellationToken)
        {
            if (instance.Flavor.Id == null || instance.Flavor.Vcpus != 0)
            {
                return;
            }

            if (!flavorCache.TryGetValue(instance.Flavor.Id, out var flavor))
            {
                var response = await SendAsync("GET", "/flavors/" + Uri.EscapeDataString(instance.Flavor.Id), new Microversion(2, 1), sink, cancellationToken, accept: 404).ConfigureAwait(false);
                flavor = response.Status == 404 ? instance.Flavor : ParseFlavor(response.Object["flavor"], null);
                flavorCache[instance.Flavor.Id] = flavor;
            }

            instance.Flavor = flavor;
        }

        /// <summary>One server object as Nova shows it (see <see cref="ServerReader"/>).</summary>
        internal static Instance ParseInstance(JToken s) => ServerReader.ReadServer(s.CreateReader().Started());

        /// <summary>A flavor object (see <see cref="ServerReader.ReadFlavor"/>); <paramref name="id"/>, when given, is the id it is known by.</summary>
        internal static FlavorInfo ParseFlavor(JToken? f, string? id) =>
            f is JObject flavor ? ServerReader.ReadFlavor(flavor.CreateReader().Started(), id) : new FlavorInfo { Id = id, Name = id ?? string.Empty };

        internal static ServerStatus ParseServerStatus(string status)
        {
            var key = status.Replace("_", string.Empty);
            return Enum.TryParse<ServerStatus>(key, ignoreCase: true, out var parsed) ? parsed : ServerStatus.Unknown;
        }
    }
}
