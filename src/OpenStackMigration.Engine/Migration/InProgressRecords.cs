using System;
using System.Collections.Generic;
using System.Linq;
using OpenStackMigration.Model;

namespace OpenStackMigration.Migration
{
    /// <summary>
    /// Picks, from migration records read page by page, the migrations still in progress: in a status that is not over
    /// (<see cref="MigrationControl.IsInProgress"/>) and the newest record of their instance among all read so far. Nova
    /// runs one migration of an instance at a time, so an older record still 'preparing' or 'running' is one Nova left
    /// unfinished (its nova-compute restarted during it, and that status stays for good); once the instance has
    /// migrated again, its newer record shows it. Newest means the highest id: Nova's history is newest first from
    /// compute 2.59 and in no set order before, so each page is judged whole, and a later page (older records, from
    /// 2.59) cannot make a kept record stale. A record left unfinished whose instance has not migrated since still
    /// looks in progress: Nova's records alone cannot tell it from a real one.
    /// </summary>
    public sealed class InProgressRecords
    {
        private readonly Dictionary<string, long> _newest = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The id of the newest record read so far of <paramref name="instanceId"/> (0 when none).</summary>
        public long NewestOf(string instanceId) => _newest.TryGetValue(instanceId, out var id) ? id : 0;

        /// <summary>The records of <paramref name="page"/> still in progress, newest first; <paramref name="superseded"/>: those in a status not over that a newer record of their instance supersedes.</summary>
        public IReadOnlyList<MigrationRecord> Of(IReadOnlyList<MigrationRecord> page, out IReadOnlyList<MigrationRecord> superseded)
        {
            foreach (var m in page.Where(m => m.InstanceId.Length > 0))
            {
                if (!_newest.TryGetValue(m.InstanceId, out var newest) || m.Id > newest)
                {
                    _newest[m.InstanceId] = m.Id;
                }
            }

            var notOver = page.Where(m => MigrationControl.IsInProgress(m.Status)).OrderByDescending(m => m.Id).ToList();
            superseded = notOver.Where(m => m.InstanceId.Length > 0 && _newest[m.InstanceId] != m.Id).ToList();
            return notOver.Except(superseded).ToList();
        }
    }
}
