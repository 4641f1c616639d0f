using System.Management.Automation;

namespace OpenStackMigration.Commands
{
    /// <summary>
    /// Like ValidateRange(1, max) but lets null through: a finding piped in without Seconds (one that another command fixes)
    /// must bind and be skipped, not fail the binding. PowerShell's own range and script validators refuse null.
    /// </summary>
    public sealed class ValidateSecondsAttribute : ValidateArgumentsAttribute
    {
        /// <summary>The largest value accepted.</summary>
        public int Maximum { get; set; } = 2147483;

        /// <inheritdoc/>
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            if (arguments == null) return;
            var value = LanguagePrimitives.ConvertTo<long>(arguments is PSObject pso ? pso.BaseObject : arguments);
            if (value < 1 || value > Maximum)
            {
                throw new ValidationMetadataException($"{value} is outside the range 1 to {Maximum} seconds.");
            }
        }
    }
}
