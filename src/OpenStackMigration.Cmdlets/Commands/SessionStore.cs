using OpenStackMigration.OpenStack;

namespace OpenStackMigration.Commands
{
    /// <summary>The session Connect-OSCloud made last, used by every cmdlet that is not given -Session.</summary>
    internal static class SessionStore
    {
        private static CloudSession? _default;

        public static CloudSession? Default
        {
            get => System.Threading.Volatile.Read(ref _default);
            set => System.Threading.Volatile.Write(ref _default, value);
        }

        /// <summary>The error when a cmdlet needs a cloud and none is connected.</summary>
        public static OpenStackMigrationException NotConnected() => new OpenStackMigrationException(
            "OSNotConnected",
            FailureKind.InvalidState,
            "Not connected to a cloud. Run Connect-OSCloud first (with -Cloud NAME, credentials, or an openrc's OS_* variables), or pass -Session.")
        { RecommendedAction = "Run Connect-OSCloud." };
    }
}
