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

    Invoke-InstanceRound

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

    # State and room only (-Brief): no Nova hypervisor list while the node map kept by an earlier process holds.
    $mapDir = Join-Path ([IO.Path]::GetTempPath()) ('osm-bench-nodes-' + [guid]::NewGuid().ToString('N'))
    try {
        $briefEnv = @{ OS_CLIENT_CONFIG_FILE = (Join-Path $LabDir 'clouds.yaml'); OSM_NODE_CACHE_DIR = $mapDir }
        $briefLine = "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; Get-OSHypervisor -Brief | Out-Null"
        $first = Invoke-TimedProcess dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', $briefLine) $briefEnv
        Write-Host ("Get-OSHypervisor -Brief, first process (reads Nova's list, keeps the node map): {0}" -f (Format-Seconds $first.Seconds))
        $brief = Measure-Process dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', $briefLine) -Runs $Runs -Environment $briefEnv
        Write-Comparison "hypervisors ($count), state and room" 'Get-OSHypervisor -Brief (node map kept)' $brief 'openstack hypervisor list --long' $script:LastClient
    }
    finally { Remove-Item -Recurse -Force $mapDir -ErrorAction SilentlyContinue }

    # In-process cost, without process start-up: what a runbook that is already connected pays; and the same HTTP
    # requests made by curl (Nova's hypervisor list and Placement's bulk read, at once, as the module sends them),
    # alternating with it in the same loop: Nova's own time for that list varies by a second from minute to minute
    # (2.3-3.5 s at 506 nodes), far more than what the module adds (15-50 ms), so only interleaved runs compare.
    $curl = New-CurlListing
    try {
        $inSession = & dotnet $PwshDll -NoProfile -NonInteractive -Command @"
`$env:OS_CLIENT_CONFIG_FILE='$(Join-Path $LabDir 'clouds.yaml')'; `$env:OSM_NODE_CACHE_DIR='$mapDir'
Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab
`$null = Get-OSHypervisor; `$null = Get-OSHypervisor -Brief
`$vm = Get-OSInstance -AllProjects | Where-Object { `$_.Status -eq 'Active' -and `$_.Name -notlike 'flood-*' } | Select-Object -First 1
`$curlArgs = @(Get-Content '$($curl.ArgsFile)')
foreach (`$i in 1..$Runs) {
  'full {0}' -f (Measure-Command { Get-OSHypervisor | Out-Null }).TotalSeconds
  'curl {0}' -f (Measure-Command { & curl @curlArgs }).TotalSeconds
  'brief {0}' -f (Measure-Command { Get-OSHypervisor -Brief | Out-Null }).TotalSeconds
  'rank {0}' -f (Measure-Command { `$script:r = @(`$vm | Test-OSMigrationTarget) }).TotalSeconds
  'plan {0}' -f (Measure-Command { `$script:p = Get-OSMigrationPlan -SourceHost `$vm.HostName }).TotalSeconds
  # The same plan with no node map to keep (an empty folder each time): Nova's hypervisor list is read, as it was before.
  `$env:OSM_NODE_CACHE_DIR = '$mapDir-none-' + `$i
  'planlist {0}' -f (Measure-Command { `$null = Get-OSMigrationPlan -SourceHost `$vm.HostName }).TotalSeconds
  Remove-Item -Recurse -Force `$env:OSM_NODE_CACHE_DIR -ErrorAction SilentlyContinue
  `$env:OSM_NODE_CACHE_DIR = '$mapDir'
}
'instances {0}' -f @(`$script:p).Count
'hosts {0}' -f `$script:r.Count
Remove-Item -Recurse -Force '$mapDir' -ErrorAction SilentlyContinue
"@
    }
    finally { Remove-Item -Recurse -Force $curl.Folder -ErrorAction SilentlyContinue }
    $figures = @{}
    foreach ($line in $inSession) { $k, $v = "$line".Split(' ', 2); $figures[$k] += , [double]$v }
    $curlTimes = $figures.curl
    [pscustomobject]@{ 'Get-OSHypervisor' = Format-Seconds (Get-Median $figures.full); 'same requests by curl' = Format-Seconds (Get-Median $curlTimes); Ratio = '{0:P0}' -f ((Get-Median $figures.full) / (Get-Median $curlTimes)); 'Get-OSHypervisor -Brief' = Format-Seconds (Get-Median $figures.brief); "Test-OSMigrationTarget (ranks $($figures.hosts[0]) hosts)" = Format-Seconds (Get-Median $figures.rank)
        "Get-OSMigrationPlan ($($figures.instances[0]) instances; node map / Nova's list)" = '{0} / {1}' -f (Format-Seconds (Get-Median $figures.plan)), (Format-Seconds (Get-Median $figures.planlist)) } |
        Format-Table -AutoSize | Out-String -Width 250 | Write-Host
    Write-Host "(in an already connected session, medians of $Runs; curl alternating with Get-OSHypervisor)"
}

# GNU time's last line on standard error: the maximum resident set in KB.
function Get-PeakKB($Run) { [double](($Run.Error.Trim() -split "`n")[-1]) }

# What curl needs to ask the lab's APIs as its admin: a private folder (700) holding a header file with a fresh token
# (never printed), and the public endpoint of each service named, without its trailing slash. The caller removes the
# folder.
function New-CurlAuth([string[]] $Services) {
    $token = (Invoke-TimedProcess openstack @('token', 'issue', '-f', 'value', '-c', 'id') $labEnv).Output.Trim()
    $folder = Join-Path ([IO.Path]::GetTempPath()) ('osm-bench-curl-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory $folder | Out-Null
    if (-not $IsWindows) { & chmod 700 $folder }
    $headers = Join-Path $folder 'headers'
    "X-Auth-Token: $token" | Set-Content $headers
    $endpoints = @{}
    foreach ($service in $Services) {
        $endpoints[$service] = (Invoke-TimedProcess openstack @('endpoint', 'list', '--service', $service, '--interface', 'public', '-f', 'value', '-c', 'URL') $labEnv).Output.Trim().TrimEnd('/')
    }
    [pscustomobject]@{ Folder = $folder; Headers = $headers; Endpoints = $endpoints }
}

# Nova's hypervisor list and Placement's bulk read, sent at once by curl: the arguments, one a line, in the folder of
# New-CurlAuth, for the in-session loop to run between its own listings. The caller removes the folder.
function New-CurlListing {
    $auth = New-CurlAuth 'compute', 'placement'
    $argsFile = Join-Path $auth.Folder 'args'
    @('-s', '--parallel', '--no-progress-meter', '--cacert', $labEnv.OS_CACERT, '-H', "@$($auth.Headers)",
        '-H', 'OpenStack-API-Version: compute 2.53', '-o', '/dev/null', "$($auth.Endpoints.compute)/os-hypervisors/detail?limit=1000",
        '-H', 'OpenStack-API-Version: placement 1.27', '-o', '/dev/null', "$($auth.Endpoints.placement)/allocation_candidates?resources=MEMORY_MB:1") |
        Set-Content $argsFile
    [pscustomobject]@{ Folder = $auth.Folder; ArgsFile = $argsFile }
}

# Every page of /servers/detail (all projects, 1000 a page, marker = last id) with curl, one after the other, at the
# microversion the module uses and at 2.1 (the client's), and from both ends at once: seconds, medians of $Runs.
function Measure-CurlPages([int] $Runs, [int] $Count) {
    $version = (& dotnet $PwshDll -NoProfile -NonInteractive -Command "`$env:OS_CLIENT_CONFIG_FILE='$(Join-Path $LabDir 'clouds.yaml')'; Import-Module '$ModulePath'; (Connect-OSCloud -Cloud osm-lab).ComputeMicroversion.ToString()").Trim()
    # Listings are asked at 2.72 at most (NovaClient.ServerListVersion: from 2.73 Nova loads each instance's system metadata).
    if ([version]$version -gt [version]'2.72') { $version = '2.72' }
    $auth = New-CurlAuth 'compute'
    $nova = $auth.Endpoints.compute
    $headers = $auth.Headers
    try {
        $pages = {
            param([string] $Microversion)
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $marker = $null
            do {
                $url = "$nova/servers/detail?all_tenants=1&limit=1000" + $(if ($marker) { "&marker=$marker" })
                # System.Text.Json reads the body in a few milliseconds: the figure is Nova's, not the parser's.
                $doc = [System.Text.Json.JsonDocument]::Parse((& curl -s --cacert $labEnv.OS_CACERT -H "@$headers" -H "OpenStack-API-Version: compute $Microversion" $url) -join "`n")
                $servers = $doc.RootElement.GetProperty('servers')
                $n = $servers.GetArrayLength()
                $marker = if ($n -eq 1000) { $servers[$n - 1].GetProperty('id').GetString() }
                $doc.Dispose()
            } while ($marker)
            $sw.Elapsed.TotalSeconds
        }
        $ours = foreach ($i in 1..$Runs) { Start-Sleep 5; & $pages $version }
        $client = foreach ($i in 1..$Runs) { Start-Sleep 5; & $pages '2.1' }
        # Two ends: newest first and oldest first (created_at, uuid), each stopping at its half of the $Count: no
        # page read twice, as if each end knew where they meet. The module's readers find that out as they go.
        $twoEnds = foreach ($i in 1..$Runs) {
            Start-Sleep 5
            $sw = [Diagnostics.Stopwatch]::StartNew()
            'desc', 'asc' | ForEach-Object -ThrottleLimit 2 -Parallel {
                $dir = $_
                $left = if ($dir -eq 'desc') { [Math]::Ceiling($using:Count / 2) } else { [Math]::Floor($using:Count / 2) }
                $marker = $null
                while ($left -gt 0) {
                    $limit = [Math]::Min(1000, $left)
                    $url = "$($using:nova)/servers/detail?all_tenants=1&limit=$limit&sort_key=created_at&sort_dir=$dir&sort_key=uuid&sort_dir=$dir" + $(if ($marker) { "&marker=$marker" })
                    $doc = [System.Text.Json.JsonDocument]::Parse((& curl -s --cacert ($using:labEnv).OS_CACERT -H "@$($using:headers)" -H "OpenStack-API-Version: compute $($using:version)" $url) -join "`n")
                    $servers = $doc.RootElement.GetProperty('servers')
                    $n = $servers.GetArrayLength()
                    $left = if ($n -eq $limit) { $left - $n } else { 0 }
                    $marker = if ($n -gt 0) { $servers[$n - 1].GetProperty('id').GetString() }
                    $doc.Dispose()
                }
            }
            $sw.Elapsed.TotalSeconds
        }
        [pscustomobject]@{ Version = $version; Ours = Get-Median $ours; Client = Get-Median $client; TwoEnds = Get-Median $twoEnds }
    }
    finally { Remove-Item -Recurse -Force $auth.Folder -ErrorAction SilentlyContinue }
}

# Every instance of every project, whole processes: the time, the peak memory (GNU time's maximum resident set), and
# how soon the first instance comes out in an already connected session (the listing streams page by page).
function Invoke-InstanceRound {
    $ours = Invoke-TimedProcess /usr/bin/time @('-f', '%M', 'dotnet', $PwshDll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; `$n = 0; Get-OSInstance -AllProjects | ForEach-Object { `$n++ }; `$n") $ourEnv
    # Without --limit the client shows one page only (Nova's max_limit, 1000 by default): compared with --limit -1.
    $theirs = Invoke-TimedProcess /usr/bin/time @('-f', '%M', 'openstack', 'server', 'list', '--all-projects', '--long', '--limit', '-1', '-f', 'value', '-c', 'ID') $labEnv
    $onePage = @((Invoke-TimedProcess openstack @('server', 'list', '--all-projects', '--long', '-f', 'value', '-c', 'ID') $labEnv).Output.Trim() -split "`n").Count
    $count = ($ours.Output.Trim() -split "`n")[-1]
    Write-Host "instances: Get-OSInstance -AllProjects lists $count; openstack server list --all-projects --long shows $onePage without --limit -1"
    # Alternating, with Nova idle before each run (5 s): a listing read from both ends cancels the page the other
    # reader has in flight when they meet, and Nova finishes computing it; the next run must not pay for that.
    $times = @{ ours = @(); theirs = @() }
    foreach ($i in 1..$Runs) {
        Start-Sleep 5
        $times.ours += (Invoke-TimedProcess dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; Get-OSInstance -AllProjects | Out-Null") $ourEnv).Seconds
        Start-Sleep 5
        $times.theirs += (Invoke-TimedProcess openstack @('server', 'list', '--all-projects', '--long', '--limit', '-1', '-f', 'value') $labEnv).Seconds
    }
    Write-Comparison "instances ($count)" 'Get-OSInstance -AllProjects' $times.ours 'openstack server list --all-projects --long --limit -1' $times.theirs
    # Nova's own time for the same pages, one after the other (curl): the floor of any listing of them.
    $floor = Measure-CurlPages $Runs $count
    Write-Host ("Nova's pages for the same listing by curl, in sequence (median of {0}): {1:N2} s at compute {2}, {3:N2} s at compute 2.1 (the client's)" -f $Runs, $floor.Ours, $floor.Version, $floor.Client)
    Write-Host ("The same pages read from both ends at once by curl, each end half the listing (median of {0}): {1:N2} s at compute {2}: the floor of a two-reader listing" -f $Runs, $floor.TwoEnds, $floor.Version)
    # Timed when the first instance reaches the next command. A listing asks for its next page before it hands over
    # the first, and Nova goes on computing that page after the pipeline stops: each run first waits for Nova to be
    # idle again (5 s), or it would time Nova's leftover work from the run before.
    $first = & dotnet $PwshDll -NoProfile -NonInteractive -Command "`$env:OS_CLIENT_CONFIG_FILE='$(Join-Path $LabDir 'clouds.yaml')'; Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; `$null = Get-OSInstance -AllProjects | Select-Object -First 1; 1..$Runs | % { Start-Sleep 5; `$sw = [Diagnostics.Stopwatch]::StartNew(); Get-OSInstance -AllProjects | Select-Object -First 1 | % { `$sw.Elapsed.TotalSeconds } }"
    Write-Host ("First instance out of Get-OSInstance -AllProjects in a connected session, Nova idle (median of {0}): {1:N3} s" -f $Runs, (Get-Median ($first | ForEach-Object { [double]$_ })))
    Write-Host ("Peak memory (maximum resident set) listing {0} instances: Get-OSInstance -AllProjects (whole pwsh process) {1:N0} MB; openstack server list {2:N0} MB" -f $count, ((Get-PeakKB $ours) / 1024), ((Get-PeakKB $theirs) / 1024))
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
