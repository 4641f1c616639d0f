# Loads the module's cmdlets from the assemblies that suit this PowerShell.
# PowerShell 7 on a runtime and platform the build precompiled for takes them from
# core/net<runtime major>-<os>-<arch>/: the same code with ReadyToRun native code for that runtime, so a cold
# process JIT-compiles several hundred fewer methods before its first answer. Precompiled code serves only the
# runtime major it was compiled for, hence one folder per major. Everything else (Windows PowerShell 5.1, another
# runtime or platform, or OSM_READYTORUN=0) takes the IL assemblies beside this file, which run everywhere; so does
# a session whose language mode refuses the lookup (constrained language under application control).
$assemblyDir = $PSScriptRoot
if ($PSEdition -eq 'Core' -and $env:OSM_READYTORUN -ne '0') {
    try {
        $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
        $arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
        $precompiled = [IO.Path]::Combine($PSScriptRoot, 'core', "net$([Environment]::Version.Major)-$os-$arch")
        if ([IO.File]::Exists([IO.Path]::Combine($precompiled, 'OpenStackMigration.dll'))) { $assemblyDir = $precompiled }
    }
    catch { $assemblyDir = $PSScriptRoot }
}
# A plain string, not Join-Path: a cold process's first Join-Path costs about 40 ms (the cmdlet and its provider
# are looked up), a third of the whole import; '/' separates on Windows too, and a string works in any language mode.
Import-Module "$assemblyDir/OpenStackMigration.dll"
