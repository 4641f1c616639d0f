<#
.SYNOPSIS
    Makes a ReadyToRun copy of the pwsh this repository runs, for the cold-process benchmarks. Not a benchmark itself.
.DESCRIPTION
    The pwsh of `dotnet tool restore` (the PowerShell global tool) ships its assemblies as IL only, so every method
    of PowerShell's own that a process runs is JIT-compiled first: a bare start JIT-compiles about 5,000 methods and
    an Import-Module about 1,000 more. Microsoft's pwsh packages (deb, rpm, msi, tar.gz) ship them precompiled to
    ReadyToRun. Measured against the tool alone, a cold process charges PowerShell's JIT to whatever it times.
    This script copies $PSHOME to -Destination and overlays every assembly with its ReadyToRun image (crossgen2
    through bench/pwsh-r2r/PwshReadyToRun.csproj; a few minutes on two cores), then prints the path of its pwsh.dll.
    A copy that is already there for the same pwsh version is reused.
    Standalone: dotnet pwsh -NoProfile -File bench/New-ReadyToRunPwsh.ps1 [-Destination out/bench/pwsh-r2r]
#>
param(
    [string] $Destination = (Join-Path $PSScriptRoot '../out/bench/pwsh-r2r')
)
$ErrorActionPreference = 'Stop'
if (-not $IsLinux -or [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture -ne 'X64') { throw 'New-ReadyToRunPwsh builds a linux-x64 copy; run it on Linux on x64.' }
$Destination = [IO.Path]::GetFullPath($Destination)
$stamp = Join-Path $Destination '.osm-source'
$source = "$PSHOME|$($PSVersionTable.PSVersion)"
if ((Test-Path $stamp) -and (Get-Content $stamp -Raw).Trim() -eq $source) { return (Join-Path $Destination 'pwsh.dll') }

$publish = "$Destination.publish"
Remove-Item -Recurse -Force $Destination, $publish -ErrorAction SilentlyContinue
Write-Host "Precompiling $PSHOME's assemblies to ReadyToRun (a few minutes)..."
$project = Join-Path $PSScriptRoot 'pwsh-r2r/PwshReadyToRun.csproj'
$log = & dotnet publish $project -c Release -o $publish "-p:PwshDir=$PSHOME" "-p:BaseIntermediateOutputPath=$publish.obj/" 2>&1
if ($LASTEXITCODE -ne 0) { throw "dotnet publish of $project failed: $($log -join "`n")" }
Copy-Item -Recurse $PSHOME $Destination
$overlaid = 0
foreach ($dll in Get-ChildItem $Destination -Filter *.dll) {
    $compiled = Join-Path $publish $dll.Name
    if (Test-Path $compiled) { Copy-Item $compiled $dll.FullName -Force; $overlaid++ }
}
Remove-Item -Recurse -Force $publish, "$publish.obj" -ErrorAction SilentlyContinue
Set-Content $stamp $source
Write-Host "$overlaid assemblies precompiled into $Destination"
return (Join-Path $Destination 'pwsh.dll')
