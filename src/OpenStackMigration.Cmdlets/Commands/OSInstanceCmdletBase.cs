using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using OpenStackMigration.Migration;
using OpenStackMigration.Model;

namespace OpenStackMigration.Commands
{
    /// <summary>A cmdlet that takes instances: from the pipeline (Get-OSInstance), by -Id, or by -Name with wildcards.</summary>
    public abstract class OSInstanceCmdletBase : OSCloudCmdletBase
    {
        /// <summary>The parameter set for instances from the pipeline.</summary>
        protected const string InputObjectSet = "InputObject";

        /// <summary>The parameter set for instance ids.</summary>
        protected const string IdSet = "Id";

        /// <summary>The parameter set for instance names.</summary>
        protected const string NameSet = "Name";

        private MigrationTargetReader? _reader;

        /// <summary>Instances, as Get-OSInstance writes them.</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
        public Instance[] InputObject { get; set; } = Array.Empty<Instance>();

        /// <summary>
        /// An instance id (uuid). Binds the InstanceId of Test-OSMigrationTarget's reports from the pipeline.
        /// (One id, not a list: a list would need type coercion, which PowerShell tries only after binding
        /// DestinationHost by name, and the report would then not bind.)
        /// </summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = IdSet)]
        [Alias("InstanceId")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(Completion.InstanceIdCompleter))]
        public string Id { get; set; } = string.Empty;

        /// <summary>Instance names, of any project; wildcards are allowed.</summary>
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
        [ValidateNotNullOrEmpty]
        [SupportsWildcards]
        [ArgumentCompleter(typeof(Completion.InstanceNameCompleter))]
        public string[] Name { get; set; } = Array.Empty<string>();

        /// <summary>The reader for this command (one per command, so cloud data is read once).</summary>
        protected MigrationTargetReader Reader => _reader ??= new MigrationTargetReader(ResolveSession());

        /// <summary>The instances this record names, read from Nova; errors for those not found are written here.</summary>
        protected IReadOnlyList<Instance> ReadInputInstances()
        {
            switch (ParameterSetName)
            {
                case InputObjectSet:
                    return InputObject.Where(i => i != null).ToList();
                case IdSet:
                    try
                    {
                        return new[] { RunEngine((sink, token) => Reader.GetInstanceAsync(Id, sink, token)) };
                    }
                    catch (OpenStackMigrationException e)
                    {
                        WriteFailure(e, Id);
                        return Array.Empty<Instance>();
                    }
                default:
                    try
                    {
                        return RunEngine((sink, token) => Reader.FindByNameAsync(Name, sink, token));
                    }
                    catch (OpenStackMigrationException e)
                    {
                        WriteFailure(e, string.Join(", ", Name));
                        return Array.Empty<Instance>();
                    }
            }
        }
    }
}
