using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Commands
{
    /// <summary>Gets haproxy's 'timeout server' of the defaults sections and of every proxy that overrides it.</summary>
    /// <remarks>
    /// <para>'timeout server' counts in defaults, listen and backend sections; a frontend ignores it. A proxy's own value beats
    /// its defaults section (the one named with 'from', else the last one before it). A number without a unit is milliseconds:
    /// 'timeout server 60' is 60 ms, and the Note property says so.</para>
    /// <para>With -Proxy, reports the named sections (wildcards allowed) with the value they end up with, inherited or not.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSHAProxyTimeout</code>
    /// <para>Reads /etc/haproxy/haproxy.cfg on this machine.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSHAProxyTimeout -Proxy *nova* -ComputerName lb1,lb2 -UserName root -KeyFilePath ~/.ssh/id_ed25519</code>
    /// <para>Shows the timeout every nova proxy gets on two load balancers.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSHAProxyTimeout")]
    [OutputType(typeof(OSHAProxyTimeout))]
    public sealed class GetOSHAProxyTimeoutCommand : OSNodeCmdletBase
    {
        /// <summary>The haproxy configuration file (default /etc/haproxy/haproxy.cfg).</summary>
        [Parameter]
        public string Path { get; set; } = HAProxyEngine.DefaultPath;

        /// <summary>Only these proxies or defaults sections (wildcards allowed).</summary>
        [Parameter(Position = 0)]
        [SupportsWildcards]
        public string? Proxy { get; set; }

        /// <inheritdoc/>
        protected override void Run(NodePool pool)
        {
            RunEngineStreaming<OSHAProxyTimeout>((emit, sink, token) => HAProxyEngine.GetAsync(pool, Path, Proxy, emit, sink, token));
        }
    }
}
