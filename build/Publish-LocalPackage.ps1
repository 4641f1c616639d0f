<#
.SYNOPSIS
    Publishes the built module to a folder repository with PSResourceGet, which writes the .nupkg
    exactly as PowerShell repositories expect it, then installs it back from there to prove it.
#>
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [Parameter(Mandatory)] [string] $Repository
)
$ErrorActionPreference = 'Stop'
$name = 'OpenStackMigrationBuild'
if (Get-PSResourceRepository -Name $name -ErrorAction SilentlyContinue) { Unregister-PSResourceRepository -Name $name }
Register-PSResourceRepository -Name $name -Uri $Repository -Trusted
try {
    Publish-PSResource -Path $ModuleDir -Repository $name
    $nupkg = Get-ChildItem $Repository -Filter 'OpenStackMigration.*.nupkg' | Sort-Object LastWriteTime | Select-Object -Last 1
    $check = Join-Path ([IO.Path]::GetTempPath()) ("osm-install-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $check | Out-Null
    try {
        Save-PSResource -Name OpenStackMigration -Repository $name -Path $check -TrustRepository
        $installed = Get-ChildItem $check -Recurse -Filter OpenStackMigration.psd1 | Select-Object -First 1
        if (-not $installed) { throw 'The package did not install back from the repository.' }
        Write-Host "Package: $($nupkg.FullName) (installs back as $((Import-PowerShellDataFile $installed.FullName).ModuleVersion))"
    }
    finally { Remove-Item $check -Recurse -Force }
}
finally { Unregister-PSResourceRepository -Name $name }
