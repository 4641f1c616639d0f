using System.Collections.Generic;
using System.Management.Automation;
using OpenStackMigration.Migration;
using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>A cmdlet that talks to a cloud: adds -Session and its resolution to the default session.</summary>
    public abstract class OSCloudCmdletBase : OSCmdletBase
    {
        /// <summary>The connection made by Connect-OSCloud to use; the most recent one when omitted.</summary>
        [Parameter]
        public CloudSession? Session { get; set; }

        /// <summary>The session to use: -Session, or the default one. Terminates with a clear error when there is none.</summary>
        protected CloudSession ResolveSession()
        {
            var session = Session ?? SessionStore.Default;
            if (session == null)
            {
                ThrowFailure(SessionStore.NotConnected());
            }

            return session!;
        }

        /// <summary>
        /// Runs migrations (new or reattached) through one batch and writes each verdict as it comes; a verdict that is not a
        /// success is also written as an error with its stable id, so -ErrorAction Stop stops a script (and pwsh -File exits 1).
        /// </summary>
        protected void RunMigrations(IReadOnlyList<MigrationRequest> requests, int throttleLimit)
        {
            var batch = new MigrationBatch(ResolveSession()) { ThrottleLimit = throttleLimit };
            RunEngineStreaming<MigrationOutcome>(
                (emit, sink, token) => batch.RunAsync(requests, emit, sink, token),
                outcome =>
                {
                    if (outcome.Result != null)
                    {
                        WriteObject(outcome.Result);
                        var error = MigrationVerdicts.ErrorFor(outcome.Result);
                        if (error != null)
                        {
                            WriteError(ToErrorRecord(error, outcome.Result));
                        }
                    }
                    else if (outcome.Error != null)
                    {
                        WriteFailure(outcome.Error, outcome.Request.Instance.Name);
                    }
                });
        }
    }
}
