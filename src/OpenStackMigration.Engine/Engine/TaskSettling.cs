using System.Threading;
using System.Threading.Tasks;

namespace OpenStackMigration
{
    /// <summary>Waiting for work started alongside, without taking on its outcome.</summary>
    internal static class TaskSettling
    {
        /// <summary>
        /// Completes when <paramref name="task"/> has ended, however it ended: a read started beside another is waited
        /// for (nothing outlives the command) and its failure is observed, while the first failure is the one thrown.
        /// </summary>
        public static Task SettledAsync(this Task task) =>
            task.ContinueWith(t => { _ = t.Exception; }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
