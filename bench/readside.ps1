<#
.SYNOPSIS
    Whole-process listing of hypervisors and instances: this module versus the openstack client, side by side.
.DESCRIPTION
    Each run is a new process, as an admin or a runbook would start it: ours is a fresh pwsh that imports the
    module, connects from the lab's clouds.yaml and lists; theirs is `openstack hypervisor list --long` /
    `openstack server list --all-projects --long`. With -Scale N, also brings up N extra fake hypervisors
    (tests/lab/up.sh --scale N) and times the listing again.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $LabDir,
    [int] $Runs = 5,
    [int] $Scale = 0
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$labEnv = Get-LabEnvironment $LabDir
$ourEnv = @{ OS_CLIENT_CONFIG_FILE = (Join-Path $LabDir 'clouds.yaml') }

function Measure-Ours([string] $Script) {
    Measure-Process dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; $Script") -Runs $Runs -Environment $ourEnv
}

function Invoke-Round([string] $Label) {
    $count = & dotnet $PwshDll -NoProfile -NonInteractive -Command "`$env:OS_CLIENT_CONFIG_FILE='$(Join-Path $LabDir 'clouds.yaml')'; Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; @(Get-OSHypervisor).Count"
    Write-Host "$Label : $count hypervisors"
    $ours = Measure-Ours 'Get-OSHypervisor | Out-Null'
    $theirs = Measure-Process openstack @('hypervisor', 'list', '--long', '-f', 'value') -Runs $Runs -Environment $labEnv
    Write-Comparison "hypervisors ($count)" 'Get-OSHypervisor' $ours 'openstack hypervisor list --long' $theirs

    $ours = Measure-Ours 'Get-OSInstance -AllProjects | Out-Null'
    $theirs = Measure-Process openstack @('server', 'list', '--all-projects', '--long', '-f', 'value') -Runs $Runs -Environment $labEnv
    Write-Comparison 'instances' 'Get-OSInstance -AllProjects' $ours 'openstack server list --all-projects --long' $theirs

    # In-process cost, without process start-up: what a runbook that is already connected pays.
    $inproc = & dotnet $PwshDll -NoProfile -NonInteractive -Command "`$env:OS_CLIENT_CONFIG_FILE='$(Join-Path $LabDir 'clouds.yaml')'; Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; `$null = Get-OSHypervisor; (1..$Runs | % { (Measure-Command { Get-OSHypervisor | Out-Null }).TotalSeconds } | Sort-Object)[[int]($Runs/2)]"
    Write-Host ("Get-OSHypervisor in an already connected session (median of {0}): {1:N3} s" -f $Runs, [double]$inproc)
}

Invoke-Round 'lab'
if ($Scale -gt 0) {
    Write-Host "Bringing up $Scale more fake hypervisors (tests/lab/up.sh --scale $Scale)..."
    & bash (Join-Path $PSScriptRoot '../tests/lab/up.sh') --scale $Scale | Out-Host
    Invoke-Round "lab + $Scale"
}
