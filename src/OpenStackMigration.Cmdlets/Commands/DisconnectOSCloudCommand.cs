using System.Management.Automation;

namespace OpenStackMigration.Commands
{
    /// <summary>Revokes the session's token and forgets the session.</summary>
    /// <remarks>
    /// <para>Asks Keystone to revoke the token, so it cannot be used again, and clears the default session if it was this one.</para>
    /// </remarks>
    /// <example>
    /// <code>Disconnect-OSCloud</code>
    /// <para>Revokes the default session's token.</para>
    /// </example>
    /// <example>
    /// <code>Disconnect-OSCloud -Session $prod</code>
    /// <para>Revokes a session kept in a variable.</para>
    /// </example>
    [Cmdlet(VerbsCommunications.Disconnect, "OSCloud", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class DisconnectOSCloudCommand : OSCloudCmdletBase
    {
        /// <inheritdoc/>
        protected override void EndProcessing()
        {
            var session = ResolveSession();
            if (ShouldProcess(session.ToString(), "Revoke the token"))
            {
                try
                {
                    RunEngine(async (sink, token) =>
                    {
                        await session.CloseAsync(sink, token).ConfigureAwait(false);
                        return true;
                    });
                }
                catch (OpenStackMigrationException e)
                {
                    ThrowFailure(e, session.Name);
                }

                if (ReferenceEquals(SessionStore.Default, session))
                {
                    SessionStore.Default = null;
                }
            }

            base.EndProcessing();
        }
    }
}
