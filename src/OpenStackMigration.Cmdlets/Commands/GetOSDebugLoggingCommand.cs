using System.Management.Automation;
using OpenStackMigration.Config;
using OpenStackMigration.Model;
using OpenStackMigration.Nodes;

namespace OpenStackMigration.Commands
{
    /// <summary>Gets whether nova and cinder services log at DEBUG level ('debug' in [DEFAULT]), and which file (or environment variable) decides it.</summary>
    /// <remarks>
    /// <para>Reads the configuration exactly as Get-OSRpcTimeout does: for every running nova and cinder service on each node,
    /// its command line and environment are read from /proc to learn which files it reads (--config-file, --config-dir,
    /// /etc/nova/nova.conf.d/*.conf...), and those files are read as oslo.config does: the last assignment in [DEFAULT] wins, and
    /// OS_DEFAULT__DEBUG in the process environment beats every file. When no service runs, the files oslo.config reads by
    /// default are used.</para>
    /// <para>Enabled is what the service uses ($false when nothing sets it: oslo.log's default). Value is the text as written
    /// (empty when unset), Source the winning file or environment variable ("default" when none), LineNumber the winning line
    /// and Occurrences every assignment found in reading order. Valid is false, with a warning, when the service would refuse
    /// the value (oslo.config accepts true/false, yes/no, on/off, 1/0, t/f, y/n, in any case). A node that cannot be reached
    /// or read (SSH, sudo) gives a result with Error and ErrorId, and an error record with the same id.</para>
    /// <para>Change it with Set-OSDebugLogging, which reports the same effective value and source after the change.</para>
    /// </remarks>
    /// <example>
    /// <code>Get-OSDebugLogging</code>
    /// <para>Shows whether the nova and cinder services of this machine log at DEBUG level, and from which file or variable.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSComputeService | Get-OSDebugLogging -Service nova -UserName ops -KeyFilePath ~/.ssh/id_ed25519 -SudoPassword (Read-Host -AsSecureString) | Where-Object Enabled</code>
    /// <para>Reads every compute host over SSH, in parallel, as root through sudo with a password, and lists the services that log at DEBUG level.</para>
    /// </example>
    /// <example>
    /// <code>Get-OSDebugLogging -Service cinder -ComputerName c1 -UserName root -KeyFilePath ~/.ssh/id_ed25519 | Format-List Service, Enabled, Source, LineNumber, Occurrences</code>
    /// <para>Shows, for each cinder service on c1, the effective value, the file and line that win, and every assignment that lost.</para>
    /// </example>
    [Cmdlet(VerbsCommon.Get, "OSDebugLogging")]
    [OutputType(typeof(OSConfigSetting))]
    public sealed class GetOSDebugLoggingCommand : OSNodeCmdletBase
    {
        /// <summary>nova, cinder or both (default).</summary>
        [Parameter]
        [ValidateSet("nova", "cinder")]
        public string[] Service { get; set; } = { "nova", "cinder" };

        /// <summary>The files the service reads, in order, instead of those learnt from its process (like its --config-file arguments).</summary>
        [Parameter]
        public string[]? ConfigFile { get; set; }

        /// <inheritdoc/>
        protected override void Run(NodePool pool) => WriteOsloSettings(pool, Service, _ => new[] { OsloServices.Debug }, ConfigFile);
    }
}
