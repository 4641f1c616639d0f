using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;

namespace OpenStackMigration
{
    /// <summary>
    /// Registers, at import, the resolver that loads third-party assemblies from the module's
    /// <c>dependencies</c> folder. Windows PowerShell 5.1 needs it: the System.Memory, System.Buffers
    /// and System.Runtime.CompilerServices.Unsafe versions inside RestSharp's System.Text.Json set
    /// disagree, and .NET Framework has no binding redirects for a module, so it would refuse them.
    /// Resolving by simple name from our folder gives every requester the one copy we ship.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly string ModuleDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location) ?? ".";
        private static readonly string DependencyDirectory = Path.Combine(ModuleDirectory, "dependencies");

        /// <summary>Called by PowerShell when the module is imported.</summary>
        public void OnImport()
        {
            AppDomain.CurrentDomain.AssemblyResolve += Resolve;
        }

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

            foreach (var directory in new[] { ModuleDirectory, DependencyDirectory })
            {
                var candidate = Path.Combine(directory, name + ".dll");
                if (File.Exists(candidate))
                {
                    // Already loaded (by an earlier request for another version)? Hand out that copy.
                    foreach (var loaded in AppDomain.CurrentDomain.GetAssemblies())
                    {
                        if (string.Equals(loaded.GetName().Name, name, StringComparison.OrdinalIgnoreCase) && !loaded.IsDynamic
                            && string.Equals(Path.GetDirectoryName(loaded.Location), directory, StringComparison.OrdinalIgnoreCase))
                        {
                            return loaded;
                        }
                    }

                    return Assembly.LoadFrom(candidate);
                }
            }

            return null;
        }
    }
}
