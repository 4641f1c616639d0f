using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>Lists the nodes registered with Add-OSNode: where each host is reached, as whom, and its roles.</summary>
    /// <remarks>
    /// <para>Credentials are never shown: HasCredential says whether one is kept.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSNode -Role controller</code>
    /// <para>The nodes registered as controllers.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSNode")]
    [OutputType(typeof(OSNode))]
    public sealed class GetOSNodeCommand : OSCmdletBase
    {
        /// <summary>Host names; wildcards allowed. All when omitted.</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "ComputerName")]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completion.NodeNameCompleter))]
        public string[]? HostName { get; set; }

        /// <summary>Only nodes with any of these roles; wildcards allowed.</summary>
        [Parameter]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completion.NodeRoleCompleter))]
        public string[]? Role { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            var names = HostName?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            var roles = Role?.Select(r => new WildcardPattern(r, WildcardOptions.IgnoreCase)).ToList();
            foreach (var node in NodeMap.All())
            {
                if ((names == null || names.Any(p => p.IsMatch(node.HostName))) && (roles == null || node.Role.Any(r => roles.Any(p => p.IsMatch(r)))))
                {
                    WriteObject(node);
                }
            }
        }
    }
}
