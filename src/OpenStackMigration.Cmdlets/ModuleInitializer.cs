using System;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;

namespace OpenStackMigration
{
    /// <summary>
    /// At import: loads the engine precompiled for this runtime when the build made one (<see cref="Precompiled"/>),
    /// and registers the resolver that loads third-party assemblies from the <c>dependencies</c> folder beside the
    /// engine that was loaded. The cmdlets themselves (this assembly, the manifest's root) are IL on every PowerShell:
    /// they are thin, and Windows PowerShell 5.1 loads the same file. Import-Module lists the cmdlets without the
    /// engine (<see cref="Commands.Held{T}"/>), so the engine is first needed after this has run, and the runtime then
    /// binds it to the copy loaded here. Windows PowerShell 5.1 needs the resolver: the System.Memory, System.Buffers
    /// and System.Runtime.CompilerServices.Unsafe versions inside RestSharp's System.Text.Json set disagree, and .NET
    /// Framework has no binding redirects for a module, so it would refuse them. Resolving by simple name from our
    /// folder gives every requester the one copy we ship.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string ModuleDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";

        /// <summary>Where the assemblies this import resolves come from: the engine's folder first, then the module's.</summary>
        private static string[] _searched = Searched(ModuleDirectory);

        /// <summary>Called by PowerShell when the module is imported.</summary>
        public void OnImport()
        {
            // Another import in this process (or OSM_READYTORUN=0 before it) may have chosen already: one engine per process.
            var engine = Loaded("OpenStackMigration.Engine") ?? LoadPrecompiledEngine();
            _searched = Searched(engine == null ? ModuleDirectory : Path.GetDirectoryName(engine.Location) ?? ModuleDirectory);
            AppDomain.CurrentDomain.AssemblyResolve += Resolve;
        }

        /// <summary>The assembly of that simple name already loaded in this process (from <paramref name="directory"/>, if given).</summary>
        private static Assembly? Loaded(string name, string? directory = null)
        {
            foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
            {
                if (string.Equals(loaded.GetName().Name, name, StringComparison.OrdinalIgnoreCase) && !loaded.IsDynamic
                    && (directory == null || string.Equals(Path.GetDirectoryName(loaded.Location), directory, StringComparison.OrdinalIgnoreCase)))
                {
                    return loaded;
                }
            }

            return null;
        }

        private static Assembly? LoadPrecompiledEngine()
        {
            var folder = Precompiled.Folder(ModuleDirectory);
            return folder == null ? null : Assembly.LoadFrom(Path.Combine(folder, Precompiled.EngineFile));
        }

        private static string[] Searched(string engineDirectory) =>
            new[] { engineDirectory, Path.Combine(engineDirectory, "dependencies"), ModuleDirectory, Path.Combine(ModuleDirectory, "dependencies") }
                .Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

        /// <summary>Called by PowerShell when the module is removed.</summary>
        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            AppDomain.CurrentDomain.AssemblyResolve -= Resolve;
        }

        internal static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            var name = new AssemblyName(args.Name).Name;
            if (string.IsNullOrEmpty(name))
            {
                return null;
            }

            foreach (var directory in _searched)
            {
                var candidate = Path.Combine(directory, name + ".dll");
                if (File.Exists(candidate))
                {
                    // Already loaded (by an earlier request for another version)? Hand out that copy.
                    return Loaded(name!, directory) ?? Assembly.LoadFrom(candidate);
                }
            }

            return null;
        }
    }
}
