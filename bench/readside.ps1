<#
.SYNOPSIS
    Whole-process listing of hypervisors and instances: this module versus the openstack client, side by side.
.DESCRIPTION
    Each run is a new process, as an admin or a runbook would start it: ours is a fresh pwsh that imports the
    module, connects from the lab's clouds.yaml and lists; theirs is `openstack hypervisor list --long` /
    `openstack server list --all-projects --long`. With -Scale N, also brings up N extra fake hypervisors
    (tests/lab/up.sh --scale N) and times the listing again: only on a lab of its own (see README, Benchmarks).
    A later process of one job is timed too: the first process keeps its token (clouds.yaml cache: auth: true),
    the next ones reuse it.
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
    $script:LastClient = $theirs

    $ours = Measure-Ours 'Get-OSInstance -AllProjects | Out-Null'
    $theirs = Measure-Process openstack @('server', 'list', '--all-projects', '--long', '-f', 'value') -Runs $Runs -Environment $labEnv
    Write-Comparison 'instances' 'Get-OSInstance -AllProjects' $ours 'openstack server list --all-projects --long' $theirs

    # Later processes of one job: the first keeps its token (clouds.yaml cache: auth: true), the next ones reuse it
    # and skip Keystone's password check. The token stays in a private folder of this run, removed at the end.
    $jobDir = Join-Path ([IO.Path]::GetTempPath()) ('osm-bench-job-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory $jobDir | Out-Null
    try {
        if (-not $IsWindows) { & chmod 700 $jobDir }
        $jobClouds = Join-Path $jobDir 'clouds.yaml'
        "cache:`n  auth: true`n" + (Get-Content -Raw (Join-Path $LabDir 'clouds.yaml')) | Set-Content $jobClouds
        $jobEnv = @{ OS_CLIENT_CONFIG_FILE = $jobClouds; OSM_TOKEN_CACHE_DIR = (Join-Path $jobDir 'tokens') }
        $first = Invoke-TimedProcess dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; Get-OSHypervisor | Out-Null") $jobEnv
        $later = Measure-Process dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; Get-OSHypervisor | Out-Null") -Runs $Runs -Environment $jobEnv
        Write-Host ("A job's first process (keeps its token): {0}" -f (Format-Seconds $first.Seconds))
        Write-Comparison "hypervisors ($count), later process of one job" 'Get-OSHypervisor (token kept)' $later 'openstack hypervisor list --long' $script:LastClient
    }
    finally { Remove-Item -Recurse -Force $jobDir -ErrorAction SilentlyContinue }

    # In-process cost, without process start-up: what a runbook that is already connected pays.
    $inproc = & dotnet $PwshDll -NoProfile -NonInteractive -Command "`$env:OS_CLIENT_CONFIG_FILE='$(Join-Path $LabDir 'clouds.yaml')'; Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; `$null = Get-OSHypervisor; 1..$Runs | % { (Measure-Command { Get-OSHypervisor | Out-Null }).TotalSeconds }"
    Write-Host ("Get-OSHypervisor in an already connected session (median of {0}): {1:N3} s" -f $Runs, (Get-Median ($inproc | ForEach-Object { [double]$_ })))
}

# The fixed part of any whole process, ours or theirs: what neither tool can go below on this machine.
function Write-Floor {
    $pwshOnly = Get-Median (Measure-Process dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', 'exit') -Runs $Runs)
    $import = Get-Median (Measure-Process dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'") -Runs $Runs)
    $connect = Get-Median (Measure-Ours '$null')
    $oscToken = Get-Median (Measure-Process openstack @('token', 'issue', '-f', 'value', '-c', 'expires') -Runs $Runs -Environment $labEnv)
    # Keystone's own time for a password token, with curl (the body, with the password, goes through a 0600 file).
    $body = Join-Path ([IO.Path]::GetTempPath()) ('osm-auth-' + [guid]::NewGuid().ToString('N') + '.json')
    try {
        New-Item -ItemType File $body | Out-Null
        if (-not $IsWindows) { & chmod 600 $body }
        @{ auth = @{ identity = @{ methods = @('password'); password = @{ user = @{ name = $labEnv.OS_USERNAME; domain = @{ name = $labEnv.OS_USER_DOMAIN_NAME }; password = $labEnv.OS_PASSWORD } } }
                     scope = @{ project = @{ name = $labEnv.OS_PROJECT_NAME; domain = @{ name = $labEnv.OS_PROJECT_DOMAIN_NAME } } } } } | ConvertTo-Json -Depth 8 | Set-Content $body
        $keystone = Get-Median (Measure-Process curl @('-s', '-o', '/dev/null', '--cacert', $labEnv.OS_CACERT, '-H', 'Content-Type: application/json', '--data', "@$body", "$($labEnv.OS_AUTH_URL)/auth/tokens") -Runs $Runs)
    }
    finally { Remove-Item $body -ErrorAction SilentlyContinue }
    Write-Host ('Import-Module over a bare pwsh start: +{0:P0}' -f (($import - $pwshOnly) / $pwshOnly))
    Write-Host 'Fixed costs of a whole process (medians):'
    [pscustomobject]@{ 'pwsh start' = Format-Seconds $pwshOnly; '+ Import-Module' = Format-Seconds $import; '+ Connect-OSCloud' = Format-Seconds $connect; 'Keystone password token (curl)' = Format-Seconds $keystone; 'openstack token issue' = Format-Seconds $oscToken } |
        Format-Table -AutoSize | Out-String -Width 200 | Write-Host
}

Invoke-Round 'lab'
Write-Floor
if ($Scale -gt 0) {
    Write-Host "Bringing up $Scale more fake hypervisors (tests/lab/up.sh --scale $Scale)..."
    & bash (Join-Path $PSScriptRoot '../tests/lab/up.sh') --scale $Scale | Out-Host
    Invoke-Round "lab + $Scale"
}
