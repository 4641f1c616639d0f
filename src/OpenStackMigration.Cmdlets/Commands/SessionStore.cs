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
    }
}
