using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Commands;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Completion
{
    /// <summary>
    /// Tab completion from what the connected cloud has (the session of -Session or Connect-OSCloud's), cached briefly.
    /// Offers nothing, silently and at once, when no cloud is connected or the cloud cannot be read.
    /// </summary>
    public abstract class CloudCompleter : IArgumentCompleter
    {
        /// <inheritdoc/>
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            try
            {
                var word = Unquote(wordToComplete ?? string.Empty);
                var pattern = new WildcardPattern(word + "*", WildcardOptions.IgnoreCase);
                var session = fakeBoundParameters?["Session"] is CloudSession s ? s : (fakeBoundParameters?["Session"] as PSObject)?.BaseObject as CloudSession ?? SessionStore.Default;
                return Candidates(session, fakeBoundParameters ?? new Hashtable())
                    .Where(c => pattern.IsMatch(c.Value) || pattern.IsMatch(c.ListItem))
                    .GroupBy(c => c.Value, StringComparer.OrdinalIgnoreCase).Select(g => g.First())
                    .Select(c => new CompletionResult(Quote(c.Value), c.ListItem, CompletionResultType.ParameterValue, c.ToolTip))
                    .ToList();
            }
            catch (Exception)
            {
                // Completion runs while the user types: never an error, never a prompt.
                return Array.Empty<CompletionResult>();
            }
        }

        /// <summary>The values to offer (before matching what was typed).</summary>
        internal abstract IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound);

        internal static IReadOnlyList<Candidate> Cached(CloudSession? session, string kind, Func<CloudSession, CancellationToken, Task<IReadOnlyList<Candidate>>> load) =>
            session == null ? Array.Empty<Candidate>() : CompletionCache.Get(kind, session, load);

        internal static Task<IReadOnlyList<Candidate>> Instances(CloudSession session, CancellationToken token) => Read(session, token, async (s, t) =>
        {
            var list = new List<Instance>();
            await new OpenStackMigration.Inventory.CloudInventory(s).GetInstancesAsync(null, null, true, i => { lock (list) list.Add(i); }, NullSink.Instance, t).ConfigureAwait(false);
            return list.OrderBy(i => i.Name, StringComparer.OrdinalIgnoreCase)
                .Select(i => new Candidate(i.Id, i.Name, $"{i.Name} ({i.Id}): {i.StatusText} on {i.HostName ?? "no host"}"))
                .ToList();
        });

        internal static Task<IReadOnlyList<Candidate>> ComputeHosts(CloudSession session, CancellationToken token) => Read(session, token, async (s, t) =>
        {
            var services = await new OpenStackMigration.Inventory.CloudInventory(s).GetServicesAsync(null, "nova-compute", NullSink.Instance, t).ConfigureAwait(false);
            return services.Select(v => new Candidate(v.HostName, v.HostName, $"nova-compute on {v.HostName}: {v.State}, {v.Status}" + (v.DisabledReason != null ? $" ({v.DisabledReason})" : string.Empty))).ToList();
        });

        private static Task<IReadOnlyList<Candidate>> Read(CloudSession session, CancellationToken token, Func<CloudSession, CancellationToken, Task<List<Candidate>>> read) =>
            read(session, token).ContinueWith(t => (IReadOnlyList<Candidate>)t.GetAwaiter().GetResult(), TaskScheduler.Default);

        private static string Unquote(string word) => word.Length > 0 && (word[0] == '\'' || word[0] == '"') ? word.Trim(word[0]) : word;

        private static string Quote(string value) =>
            value.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', '(', ')', '{', '}', ';', ',', '&', '|', '@', '#', '<', '>' }) >= 0 ? "'" + value.Replace("'", "''") + "'" : value;
    }

    /// <summary>Completes instance names (any project) of the connected cloud.</summary>
    public sealed class InstanceNameCompleter : CloudCompleter
    {
        internal override IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound) =>
            Cached(session, "instances", Instances).Select(c => new Candidate(c.ListItem, c.ListItem, c.ToolTip));
    }

    /// <summary>Completes instance ids of the connected cloud; typing the start of a name offers that instance's id.</summary>
    public sealed class InstanceIdCompleter : CloudCompleter
    {
        internal override IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound) =>
            Cached(session, "instances", Instances).Select(c => new Candidate(c.Value, $"{c.ListItem} ({c.Value})", c.ToolTip));
    }

    /// <summary>Completes the compute hosts (nova-compute services) of the connected cloud.</summary>
    public sealed class ComputeHostCompleter : CloudCompleter
    {
        internal override IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound) => Cached(session, "hosts", ComputeHosts);
    }

    /// <summary>Completes migration ids: those in progress first, then the most recent; only the instance's when -InstanceId is given.</summary>
    public sealed class MigrationIdCompleter : CloudCompleter
    {
        internal override IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound)
        {
            var instance = bound["InstanceId"] as string;
            return Cached(session, "migrations", Migrations).Where(c => instance == null || c.ToolTip.IndexOf(instance, StringComparison.OrdinalIgnoreCase) >= 0);
        }

        private static async Task<IReadOnlyList<Candidate>> Migrations(CloudSession session, CancellationToken token)
        {
            var records = new List<MigrationRecord>();
            using var firstPage = CancellationTokenSource.CreateLinkedTokenSource(token);
            try
            {
                // The newest page is enough to complete from; stop reading after it.
                await new MigrationControl(session).GetHistoryAsync(new MigrationQuery(), page => { records.AddRange(page); firstPage.Cancel(); }, NullSink.Instance, firstPage.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
            }

            return records.OrderByDescending(m => MigrationControl.IsInProgress(m.Status)).ThenByDescending(m => m.Id).Take(100)
                .Select(m => new Candidate(m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), $"{m.Id} {m.MigrationType} {m.Status}", $"{m.Id}: {m.MigrationType} of {m.InstanceId} {m.SourceHost} -> {m.DestinationHost ?? "?"}, {m.Status}"))
                .ToList();
        }
    }

    /// <summary>Completes node names: those registered with Add-OSNode, then the cloud's compute hosts.</summary>
    public sealed class NodeNameCompleter : CloudCompleter
    {
        internal override IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound) =>
            NodeMap.All().Select(n => new Candidate(n.HostName, n.HostName, $"{n} (Add-OSNode){(n.Role.Count > 0 ? ", " + string.Join(", ", n.Role) : string.Empty)}"))
                .Concat(Cached(session, "hosts", ComputeHosts));
    }

    /// <summary>Completes the roles of the nodes registered with Add-OSNode.</summary>
    public sealed class NodeRoleCompleter : CloudCompleter
    {
        internal override IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound) =>
            NodeMap.All().SelectMany(n => n.Role.Select(r => (Role: r, Node: n.HostName))).GroupBy(x => x.Role, StringComparer.OrdinalIgnoreCase)
                .Select(g => new Candidate(g.Key, g.Key, $"{g.Key}: {string.Join(", ", g.Select(x => x.Node))}"));
    }

    /// <summary>Completes the cloud names of the clouds.yaml Connect-OSCloud reads (OS_CLIENT_CONFIG_FILE, then the usual folders).</summary>
    public sealed class CloudNameCompleter : CloudCompleter
    {
        internal override IEnumerable<Candidate> Candidates(CloudSession? session, IDictionary bound)
        {
            string folder;
            try
            {
                folder = System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath ?? Environment.CurrentDirectory;
            }
            catch (Exception)
            {
                folder = Environment.CurrentDirectory;
            }

            return CloudConfig.CloudNames(folder, Environment.GetEnvironmentVariables()).Select(n => new Candidate(n, n, "cloud " + n + " in clouds.yaml"));
        }
    }
}
