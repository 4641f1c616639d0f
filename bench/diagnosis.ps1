<#
.SYNOPSIS
    From a failed migration to its named cause with log evidence, whole process: Debug-OSMigration versus doing it by
    hand as the source text suggests (find the request id with the openstack client, then grep for it on every node).
.DESCRIPTION
    Stages one real failure on the lab first (nova-conductor's long_rpc_timeout lowered to 8 s, compute2's pre-check
    slowed to 15 s: Nova says "No valid host was found"), then times, each run a new process:
      ours:    pwsh -> Import-Module, Connect-OSCloud, Debug-OSMigration -InstanceId X -ComputerName '.', <compute3 node>
               (Nova's records, the lab's logs on this machine, the node's logs and effective settings over SSH);
      by hand: `openstack server event list X` (to find the request id), `openstack server event show X REQ`, then
               `grep REQ` in the logs on this machine and `ssh node grep -r REQ /var/log/nova` on the node.
    The hand-made way ends with raw lines; naming the cause from them (a timeout behind "No valid host") is left to the
    admin, so the figures compare only the reading. Prints figures only; nothing here is a test.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $LabDir,
    [int] $Runs = 5,
    [string] $Instance = 'cirros_vm'
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$labEnv = Get-LabEnvironment $LabDir
$clouds = Join-Path $LabDir 'clouds.yaml'
$scenario = Join-Path $PSScriptRoot '../tests/lab/scenario.sh'
$parts = @{}
Get-Content (Join-Path $LabDir 'parts.env') | Where-Object { $_ -match '^(\w+)=(.*)$' } | ForEach-Object { $parts[$Matches[1]] = $Matches[2].Trim("'", '"') }
$port = $parts.OSM_LAB_NODE_SSH_PORT
$key = $parts.OSM_LAB_NODE_KEY
$known = $parts.OSM_LAB_NODE_KNOWN_HOSTS
$logs = Join-Path $LabDir 'log/*.log'

& bash $scenario cleanup | Out-Null
& bash $scenario rpc-timeout conductor long_rpc_timeout 8 | Out-Null
& bash $scenario slow-precheck compute2 15 | Out-Null
try {
    $stage = "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; " +
        "`$r = Move-OSInstance -Name '$Instance' -DestinationHost compute2 -Wait -Confirm:`$false -ErrorAction SilentlyContinue; " +
        "`"STAGED `$(`$r.InstanceId) `$(`$r.RequestId) `$(`$r.Verdict) `$(`$r.Cause)`""
    $staged = Invoke-TimedProcess dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', $stage) @{ OS_CLIENT_CONFIG_FILE = $clouds }
    $line = ($staged.Output -split "`n" | Where-Object { $_ -like 'STAGED *' } | Select-Object -Last 1).Trim()
    $null, $id, $req, $verdict, $cause = $line -split ' '
    Write-Host "Staged: $Instance ($id) migration to compute2: $verdict, request $req; Move-OSInstance's cause: $cause"
    Start-Sleep -Seconds 8   # let the destination's slow check finish, so both sides read the same final records
}
finally {
    & bash $scenario slow-precheck compute2 off | Out-Null
}

$ssh = "-UserName root -KeyFilePath '$key' -KnownHostsPath '$known' -HostKeyPolicy Strict"
$ours = "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; " +
    "`$d = Debug-OSMigration -InstanceId $id -ComputerName '.', '127.0.0.1:$port' $ssh -LogPath '$logs'; " +
    "`"CAUSE `$(`$d.Cause) `$(`$d.Certainty) `$(@(`$d.Evidence).Count)`""
$oursTimes = @(); $theirsTimes = @(); $oursCause = $null; $handLines = 0
foreach ($i in 1..$Runs) {
    $run = Invoke-TimedProcess dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', $ours) @{ OS_CLIENT_CONFIG_FILE = $clouds }
    $oursTimes += $run.Seconds
    $oursCause = ($run.Output -split "`n" | Where-Object { $_ -like 'CAUSE *' } | Select-Object -Last 1).Trim()

    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $list = Invoke-TimedProcess openstack @('server', 'event', 'list', $id, '-f', 'value', '-c', 'Request ID', '-c', 'Action') $labEnv
    $handReq = (($list.Output -split "`n" | Where-Object { $_ -match 'live-migration' } | Select-Object -First 1) -split ' ')[0]
    $null = Invoke-TimedProcess openstack @('server', 'event', 'show', $id, $handReq, '-f', 'json') $labEnv
    $local = & bash -c "grep -h -- '$handReq' $logs || true"
    $remote = & ssh -p $port -i $key -o "UserKnownHostsFile=$known" -o StrictHostKeyChecking=yes -o BatchMode=yes root@127.0.0.1 "grep -rh -- '$handReq' /var/log/nova /var/log/cinder 2>/dev/null || true"
    $sw.Stop()
    $theirsTimes += $sw.Elapsed.TotalSeconds
    $handLines = @($local).Count + @($remote).Count
}
& bash $scenario cleanup | Out-Null

Write-Host "Ours named: $oursCause (cause, certainty, pieces of evidence). By hand: $handLines raw log line(s) for the request id, no cause."
Write-Comparison -Title 'failed migration -> cause with log evidence' -OursLabel 'Debug-OSMigration (new process)' -Ours $oursTimes -TheirsLabel 'openstack event list+show, grep, ssh grep' -Theirs $theirsTimes
