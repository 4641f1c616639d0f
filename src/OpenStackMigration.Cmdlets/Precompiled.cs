using System;
using System.IO;
using System.Runtime.InteropServices;

namespace OpenStackMigration
{
    /// <summary>
    /// Where the build put the engine precompiled (ReadyToRun) for the running runtime and platform:
    /// <c>core/net&lt;runtime major&gt;-&lt;os&gt;-&lt;arch&gt;/</c> under the module. Precompiled code serves only the runtime
    /// major it was compiled for, hence one folder per major. None on Windows PowerShell 5.1 (.NET Framework cannot run
    /// such an image), for a runtime or platform the build did not precompile for, or with OSM_READYTORUN=0.
    /// </summary>
    internal static class Precompiled
    {
        internal const string EngineFile = "OpenStackMigration.Engine.dll";

        internal static string? Folder(string moduleDirectory)
        {
            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal)
                || Environment.GetEnvironmentVariable("OSM_READYTORUN") == "0")
            {
                return null;
            }

            var os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win" : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx" : "linux";
            var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            var folder = Path.Combine(moduleDirectory, "core", "net" + Environment.Version.Major + "-" + os + "-" + arch);
            return File.Exists(Path.Combine(folder, EngineFile)) ? folder : null;
        }
    }
}
