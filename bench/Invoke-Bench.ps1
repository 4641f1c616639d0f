<#
.SYNOPSIS
    Runs the benchmarks against the local lab and prints their figures. Nothing here asserts a time:
    the figures are for people to read (and to quote in notes), not for tests to pass or fail.
.PARAMETER Name
    Which benchmarks (file names under bench/ without .ps1); all when omitted.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $LabDir,
    [string[]] $Name,
    [int] $Runs = 5,
    # Extra fake hypervisors for the scale round of the read-side benchmark (0: none).
    [int] $Scale = 0,
    # Run every benchmark on a ReadyToRun copy of pwsh (bench/New-ReadyToRunPwsh.ps1), as Microsoft's pwsh packages
    # ship it, instead of the repository's dotnet tool, whose assemblies are IL only.
    [switch] $ReadyToRunPwsh
)
$ErrorActionPreference = 'Stop'
# The lab's scripts (scenario.sh, up.sh) act on the lab being measured, wherever its checkout is.
$env:OSM_LAB_DIR = $LabDir
if ($ReadyToRunPwsh) { $env:OSM_BENCH_PWSH = @(& (Join-Path $PSScriptRoot 'New-ReadyToRunPwsh.ps1'))[-1] }
$scripts = Get-ChildItem $PSScriptRoot -Filter *.ps1 | Where-Object { $_.Name -notin 'Invoke-Bench.ps1', 'BenchCommon.ps1', 'New-ReadyToRunPwsh.ps1' }
if ($Name) { $Name = $Name -split ','; $scripts = $scripts | Where-Object { $Name -contains $_.BaseName } }
foreach ($s in $scripts) {
    Write-Host "`n=== bench: $($s.BaseName) ===" -ForegroundColor Cyan
    if ($env:OSM_BENCH_PWSH) { Write-Host "(pwsh: $env:OSM_BENCH_PWSH)" }
    # Each benchmark gets the arguments it declares.
    $declared = (Get-Command $s.FullName).Parameters
    $offer = @{ ModulePath = $ModulePath; LabDir = $LabDir; Runs = $Runs; Repeat = $Runs; Scale = $Scale }
    $arguments = @{}
    foreach ($k in $offer.Keys) { if ($declared.ContainsKey($k)) { $arguments[$k] = $offer[$k] } }
    & $s.FullName @arguments
}
