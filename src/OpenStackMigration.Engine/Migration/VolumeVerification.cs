using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OpenStackMigration.Model;

namespace OpenStackMigration.Migration
{
    /// <summary>
    /// After a volume-backed (or volume-carrying) instance moves, Cinder must have moved its attachments:
    /// every volume in-use and attached on the destination only. Nova finishes the migration before Cinder's
    /// old attachment is always gone, so the check is repeated for a short settle time before it fails.
    /// </summary>
    internal static class VolumeVerification
    {
        internal static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(20);
        internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

        public static async Task VerifyAsync(IMigrationApi api, Instance instance, MigrationResult result, Func<TimeSpan, CancellationToken, Task> delay, IEngineSink sink, CancellationToken cancellationToken)
        {
            var ids = instance.Volumes.Select(v => v.VolumeId).ToList();
            var destination = result.DestinationHost!;
            var waited = TimeSpan.Zero;
            while (true)
            {
                var checks = await api.CheckVolumesAsync(instance.Id, ids, destination, sink, cancellationToken).ConfigureAwait(false);
                if (checks == null)
                {
                    sink.Warning($"{instance.Name} has {ids.Count} volume(s), but the catalog has no block-storage endpoint: their attachments were not verified.");
                    return;
                }

                result.VolumeChecks = checks;
                result.VolumesVerified = checks.All(c => c.Passed);
                if (result.VolumesVerified == true)
                {
                    sink.Verbose($"{instance.Name}: {checks.Count} volume(s) in-use and attached on {destination}.");
                    result.Reason += $" {checks.Count} volume(s) verified in-use and attached on {destination}.";
                    return;
                }

                if (waited >= SettleTime)
                {
                    var bad = string.Join("; ", checks.Where(c => !c.Passed).Select(c => $"{c.VolumeId}: {c.Reason}"));
                    result.Verdict = MigrationVerdict.Failed;
                    result.Reason = $"{instance.Name} is on {destination}, but Cinder does not show its volumes attached there after {SettleTime.TotalSeconds:0} s: {bad}.";
                    return;
                }

                await delay(Interval, cancellationToken).ConfigureAwait(false);
                waited += Interval;
            }
        }
    }
}
