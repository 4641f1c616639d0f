<#
.SYNOPSIS
    Draining a host: Start-OSHostMaintenance against the floor nobody can beat and against novaclient's host-evacuate-live.
.DESCRIPTION
    Each run crowds the host with -Count m1.tiny instances (tests/lab/scenario.sh crowd) and empties it twice:
    - ours: a fresh pwsh that imports the module, connects and runs Start-OSHostMaintenance -ThrottleLimit N
      (it disables the host, moves everything, waits for each verdict and verifies the host is empty);
    - theirs: `nova host-evacuate-live <host>` (fires one live-migration request per instance and returns), plus a
      loop that lists the host's instances every second until there are none (`nova list --host <host> --all-tenants`).
    The floor: each migration's own duration as Nova recorded it in the instance action's events, from
    compute_pre_live_migration (the first step once the source compute takes the migration out of its queue) to the
    end of compute_post_live_migration_at_destination (Nova's events have whole-second times), summed, divided by the live
    migrations Nova lets the source run at once (max_concurrent_live_migrations, read from the lab's nova.conf
    files; Nova's default is 1). A drain cannot end before that, whatever the client does.
    The lab is cleaned (scenario.sh cleanup) before and after. Figures only; nothing is asserted.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $LabDir,
    [int] $Runs = 1,
    [int] $Count = 10,
    [int] $ThrottleLimit = 3,
    [string] $HostName = 'compute2'
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
$LabDir = (Resolve-Path $LabDir).Path
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$scenario = Join-Path $PSScriptRoot '../tests/lab/scenario.sh'
$labEnv = Get-LabEnvironment $LabDir
$env:OS_CLIENT_CONFIG_FILE = Join-Path $LabDir 'clouds.yaml'
Import-Module $ModulePath
$session = Connect-OSCloud -Cloud osm-lab
$nova = [OpenStackMigration.OpenStack.NovaClient]::new($session)

function Invoke-Scenario { $out = & bash $scenario @args 2>&1; if ($LASTEXITCODE) { throw "scenario.sh $args failed: $out" } }

# max_concurrent_live_migrations as the source compute reads it (the last file wins), else Nova's default 1.
function Get-AllowedConcurrency {
    $value = 1
    foreach ($f in @('nova.conf', "nova-compute-$HostName.conf")) {
        $path = Join-Path $LabDir "etc/nova/$f"
        if (Test-Path $path) {
            $line = Get-Content $path | Where-Object { $_ -match '^\s*max_concurrent_live_migrations\s*[=:]\s*(\d+)' } | Select-Object -Last 1
            if ($line) { $value = [int]$Matches[1] }
        }
    }
    if ($value -eq 0) { $value = [int]::MaxValue }
    return $value
}

# The own duration of each live migration started after $Since for these instances: the source compute's event.
function Get-OwnDurations([string[]] $InstanceIds, [datetimeoffset] $Since) {
    $none = [OpenStackMigration.NullSink]::Instance
    $token = [Threading.CancellationToken]::None
    foreach ($id in $InstanceIds) {
        $actions = $nova.ListInstanceActionsAsync($id, $none, $token).GetAwaiter().GetResult() |
            Where-Object { $_.Action -eq 'live-migration' -and $_.StartTime -ge $Since.AddSeconds(-1) }
        foreach ($a in $actions) {
            $full = $nova.GetInstanceActionAsync($id, $a.RequestId, $none, $token).GetAwaiter().GetResult()
            $pre = $full.Events | Where-Object Event -eq 'compute_pre_live_migration' | Select-Object -First 1
            $post = $full.Events | Where-Object { $_.Event -eq 'compute_post_live_migration_at_destination' -and $_.FinishTime } | Select-Object -First 1
            if ($pre -and $post) { ($post.FinishTime - $pre.StartTime).TotalSeconds }
        }
    }
}

function Get-CrowdIds { @(Get-OSInstance -Name "crowd-$HostName-*" -AllProjects | ForEach-Object Id) }

$allowed = Get-AllowedConcurrency
Write-Host "Draining $HostName of $Count m1.tiny, -ThrottleLimit $ThrottleLimit; Nova lets $HostName run $allowed live migration(s) at once (max_concurrent_live_migrations)."
$rows = foreach ($run in 1..$Runs) {
    # Ours.
    Invoke-Scenario cleanup
    Invoke-Scenario crowd $HostName $Count m1.tiny
    $ids = Get-CrowdIds
    $state = Join-Path ([IO.Path]::GetTempPath()) "osm-bench-maintenance-$PID.json"
    Remove-Item $state -ErrorAction Ignore
    $since = [datetimeoffset]::UtcNow
    $ours = (Measure-Process dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command',
            "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; `$r = Start-OSHostMaintenance -HostName $HostName -Reason 'bench' -ThrottleLimit $ThrottleLimit -StatePath '$state' -Confirm:`$false; if (-not `$r.IsEmpty) { exit 3 }") -Runs 1 -Environment @{ OS_CLIENT_CONFIG_FILE = $env:OS_CLIENT_CONFIG_FILE })[0]
    $oursOwn = @(Get-OwnDurations $ids $since)
    Stop-OSHostMaintenance -HostName $HostName -StatePath $state -Confirm:$false
    Remove-Item (Join-Path ([IO.Path]::GetTempPath()) "osm-bench-maintenance-$PID-ended-*.json") -ErrorAction Ignore

    # Theirs: novaclient's host-evacuate-live, then a loop until the host is empty.
    Invoke-Scenario cleanup
    Invoke-Scenario crowd $HostName $Count m1.tiny
    $ids = Get-CrowdIds
    $since = [datetimeoffset]::UtcNow
    $loop = "nova host-evacuate-live $HostName >/dev/null && while [ -n `"`$(nova list --host $HostName --all-tenants --minimal | awk 'NR>3 && /\|/ {print `$2}')`" ]; do sleep 1; done"
    $theirs = (Measure-Process bash @('-c', $loop) -Runs 1 -Environment $labEnv)[0]
    $theirsOwn = @(Get-OwnDurations $ids $since)

    foreach ($x in @(@{ Tool = "Start-OSHostMaintenance -ThrottleLimit $ThrottleLimit"; Wall = $ours; Own = $oursOwn }, @{ Tool = 'nova host-evacuate-live + wait loop'; Wall = $theirs; Own = $theirsOwn })) {
        $sum = ($x.Own | Measure-Object -Sum).Sum
        $floor = $sum / [Math]::Min($allowed, $Count)
        [pscustomobject]@{
            Run           = $run
            Tool          = $x.Tool
            Migrations    = $x.Own.Count
            'Wall s'      = [Math]::Round($x.Wall, 1)
            'Sum own s'   = [Math]::Round($sum, 1)
            'Floor s'     = [Math]::Round($floor, 1)
            'Wall/Floor'  = if ($floor) { '{0:N2}' -f ($x.Wall / $floor) } else { 'n/a' }
            'Mean own s'  = if ($x.Own.Count) { [Math]::Round($sum / $x.Own.Count, 2) } else { 0 }
        }
    }
}
Invoke-Scenario cleanup
$rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
foreach ($tool in ($rows | Select-Object -ExpandProperty Tool -Unique)) {
    $walls = @($rows | Where-Object Tool -eq $tool | ForEach-Object 'Wall s')
    Write-Host ("{0}: median wall {1}" -f $tool, (Format-Seconds (Get-Median $walls)))
}
