<#
.SYNOPSIS
    Runs Pester in this (fresh) pwsh and writes a small JSON summary for build.ps1.
#>
param(
    [Parameter(Mandatory)] [string] $PesterPath,
    [Parameter(Mandatory)] [string] $TestPath,
    [string] $Tag = '',
    [string] $ExcludeTag = '',
    [Parameter(Mandatory)] [string] $ResultFile
)
$ErrorActionPreference = 'Stop'
Import-Module $PesterPath -Force
$config = New-PesterConfiguration
$config.Run.Path = $TestPath
$config.Run.PassThru = $true
$config.Output.Verbosity = 'Detailed'
$config.TestResult.Enabled = $true
$config.TestResult.OutputPath = [IO.Path]::ChangeExtension($ResultFile, '.xml')
if ($Tag) { $config.Filter.Tag = $Tag -split ',' }
if ($ExcludeTag) { $config.Filter.ExcludeTag = $ExcludeTag -split ',' }
$result = Invoke-Pester -Configuration $config
# A container that failed to load (syntax error, BeforeAll throwing) counts as a failure, not as nothing.
$failedBlocks = @($result.FailedBlocks).Count + @($result.FailedContainers).Count
[pscustomobject]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $failedBlocks
    # NotRun are the tests the tag filter left to the other run; they are not skipped.
    Skipped = $result.SkippedCount
} | ConvertTo-Json | Set-Content -Path $ResultFile
