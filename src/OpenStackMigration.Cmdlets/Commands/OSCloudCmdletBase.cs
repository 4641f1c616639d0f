using System.Management.Automation;
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
    }
}
