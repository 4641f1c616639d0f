namespace OpenStackMigration.Commands
{
    /// <summary>
    /// Keeps a cmdlet parameter whose type is one of the engine's enums. Import-Module lists a module's cmdlets by
    /// loading every public type of its assembly, and loading a type lays out its fields: a field of an engine enum
    /// (an auto-property's hidden one too) would load the engine assembly there, before the module's initializer has
    /// chosen which build of it to load (<see cref="ModuleInitializer"/>: the ReadyToRun one on PowerShell 7). A field of
    /// this class is a reference, laid out without the engine. The Module tests check that no cmdlet has such a field.
    /// </summary>
    internal sealed class Held<T>
    {
        public Held(T value)
        {
            Value = value;
        }

        public T Value { get; set; }
    }
}
