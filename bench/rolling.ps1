<#
.SYNOPSIS
    A rolling maintenance of every compute of the lab (Invoke-OSRollingMaintenance) against its floor.
.DESCRIPTION
    Crowds compute2 and compute4 with m1.tiny instances, then takes every compute* host through capacity check, disable,
    drain, work (compute3's: `systemctl restart nova-compute` in the machine over SSH; the others': nothing), the wait for
    nova-compute to report again, enable, -Concurrency hosts at a time, in this process (the module already loaded).
    The floor: each live migration's own duration as Nova recorded it (compute_pre_live_migration start to the end of
    compute_post_live_migration_at_destination), summed and divided by what Nova lets run at once (its
    max_concurrent_live_migrations per source, times the hosts drained at once), plus the waits for the computes to report
    again (the restart's own time, which no client can shorten) divided by the hosts at once. Figures only; nothing is asserted.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $LabDir,
    [int] $Runs = 1,
    [int] $Concurrency = 2,
    [int] $Count = 3
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
$LabDir = (Resolve-Path $LabDir).Path
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$scenario = Join-Path $PSScriptRoot '../tests/lab/scenario.sh'
$env:OS_CLIENT_CONFIG_FILE = Join-Path $LabDir 'clouds.yaml'
Import-Module $ModulePath
$session = Connect-OSCloud -Cloud osm-lab
$nova = [OpenStackMigration.OpenStack.NovaClient]::new($session)
$parts = @{}
Get-Content (Join-Path $LabDir 'parts.env') | Where-Object { $_ -match '^(\w+)=(.*)$' } | ForEach-Object { $parts[$Matches[1]] = $Matches[2] }
$ssh = @('-p', $parts.OSM_LAB_NODE_SSH_PORT, '-i', $parts.OSM_LAB_NODE_KEY, '-o', "UserKnownHostsFile=$($parts.OSM_LAB_NODE_KNOWN_HOSTS)", '-o', 'BatchMode=yes', 'root@127.0.0.1')

function Invoke-Scenario { $out = & bash $scenario @args 2>&1; if ($LASTEXITCODE) { throw "scenario.sh $args failed: $out" } }

# Nova's default is 1; the lab keeps it (a value in its nova.conf would be read here).
$allowed = 1
$line = Get-Content (Join-Path $LabDir 'etc/nova/nova.conf') | Where-Object { $_ -match '^\s*max_concurrent_live_migrations\s*[=:]\s*(\d+)' } | Select-Object -Last 1
if ($line) { $allowed = [Math]::Max(1, [int]$Matches[1]) }

function Get-OwnDurations([datetimeoffset] $Since) {
    $none = [OpenStackMigration.NullSink]::Instance
    $token = [Threading.CancellationToken]::None
    foreach ($vm in (Get-OSInstance -AllProjects)) {
        $actions = $nova.ListInstanceActionsAsync($vm.Id, $none, $token).GetAwaiter().GetResult() | Where-Object { $_.Action -eq 'live-migration' -and $_.StartTime -ge $Since.AddSeconds(-1) }
        foreach ($a in $actions) {
            $full = $nova.GetInstanceActionAsync($vm.Id, $a.RequestId, $none, $token).GetAwaiter().GetResult()
            $pre = $full.Events | Where-Object Event -eq 'compute_pre_live_migration' | Select-Object -First 1
            $post = $full.Events | Where-Object { $_.Event -eq 'compute_post_live_migration_at_destination' -and $_.FinishTime } | Select-Object -First 1
            if ($pre -and $post) { ($post.FinishTime - $pre.StartTime).TotalSeconds }
        }
    }
}

$rows = foreach ($run in 1..$Runs) {
    Invoke-Scenario cleanup
    Invoke-Scenario crowd compute2 $Count m1.tiny
    Invoke-Scenario crowd compute4 $Count m1.tiny
    $state = Join-Path ([IO.Path]::GetTempPath()) "osm-bench-rolling-$PID.json"
    $since = [datetimeoffset]::UtcNow
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $steps = @(Invoke-OSRollingMaintenance 'compute*' -Reason 'bench' -Concurrency $Concurrency -StatePath $state -Confirm:$false `
            -Work { if ($_ -eq 'compute3') { & ssh @ssh 'systemctl restart nova-compute' } })
    $watch.Stop()
    Remove-Item (Join-Path ([IO.Path]::GetTempPath()) "osm-bench-rolling-$PID*.json") -ErrorAction Ignore
    $own = @(Get-OwnDurations $since)
    $waits = ($steps | Where-Object Step -eq 'WaitForCompute' | ForEach-Object { $_.Duration.TotalSeconds } | Measure-Object -Sum).Sum
    $sum = ($own | Measure-Object -Sum).Sum
    $floor = $sum / ($allowed * $Concurrency) + $waits / $Concurrency
    $byStep = $steps | Group-Object Step | ForEach-Object { '{0} {1:n1}' -f $_.Name, ($_.Group | ForEach-Object { $_.Duration.TotalSeconds } | Measure-Object -Sum).Sum }
    Write-Host ("  run {0}: seconds per step, all hosts: {1}" -f $run, ($byStep -join ', '))
    [pscustomobject]@{
        Run              = $run
        Hosts            = @($steps | Select-Object -ExpandProperty HostName -Unique).Count
        Concurrency      = $Concurrency
        Failed           = @($steps | Where-Object Status -eq 'Failed').Count
        Migrations       = $own.Count
        'Wall s'         = [Math]::Round($watch.Elapsed.TotalSeconds, 1)
        'Sum own s'      = [Math]::Round($sum, 1)
        'Report waits s' = [Math]::Round($waits, 1)
        'Floor s'        = [Math]::Round($floor, 1)
        'Wall/Floor'     = if ($floor) { '{0:N2}' -f ($watch.Elapsed.TotalSeconds / $floor) } else { 'n/a' }
    }
}
Invoke-Scenario cleanup
Write-Host "Nova lets each source run $allowed live migration(s) at once (max_concurrent_live_migrations); $Concurrency host(s) drained at once."
$rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
