using System;
using System.Linq;
using System.Management.Automation;

namespace OpenStackMigration.Commands
{
    /// <summary>Forgets nodes registered with Add-OSNode (and the credentials kept for them).</summary>
    /// <remarks>
    /// <para>Afterwards the node cmdlets reach the name as given, on port 22, with the parameters of each command.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSNode -Role compute | Remove-OSNode</code>
    /// <para>Forgets every node registered as a compute node.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Remove, "OSNode", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(void))]
    public sealed class RemoveOSNodeCommand : OSCmdletBase
    {
        /// <summary>The host names to forget (binds HostName from Get-OSNode).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("Name", "ComputerName")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.NodeNameCompleter))]
        public string[] HostName { get; set; } = Array.Empty<string>();

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            foreach (var name in HostName.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (NodeMap.All().All(n => !string.Equals(n.HostName, name, StringComparison.OrdinalIgnoreCase)))
                {
                    WriteFailure(new OpenStackMigrationException("OSNodeNotRegistered", FailureKind.NotFound, $"No node named '{name}' is registered (Get-OSNode lists them).") { Target = name }, name);
                    continue;
                }

                if (ShouldProcess(name, "Forget the node"))
                {
                    NodeMap.Remove(name);
                }
            }
        }
    }
}
