<#
.SYNOPSIS
    One live migration with -Wait, whole process: Move-OSInstance versus `openstack --os-compute-api-version 2.30 server migrate --live-migration --host
    --wait`, side by side on the same lab; and how long after Nova finishes the verdict is printed.
.DESCRIPTION
    Each run is a new process, as a runbook would start it. The lab's cirros_vm goes back and forth between
    compute1 and compute2, ours and theirs taking turns, so both move the same instance between the same hosts.

    Verdict latency: the source nova-compute logs "Migrating instance to <host> finished successfully." (with
    milliseconds) when its part is done; ours prints the time it writes the verdict, theirs is taken when the
    openstack process exits (it prints "Complete" just before). The difference is how long each leaves the
    admin waiting after the migration is over. Negative means the verdict came before that log line (the instance
    already ran on the destination; WaitedFor says InstanceHost).

    Prints figures only; nothing here is a test.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $LabDir,
    [int] $Runs = 5,
    [string] $Instance = 'cirros_vm'
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$labEnv = Get-LabEnvironment $LabDir
$clouds = Join-Path $LabDir 'clouds.yaml'
$logDir = Join-Path $LabDir 'log'

function Get-Placement {
    $line = & dotnet $PwshDll -NoProfile -NonInteractive -Command "`$env:OS_CLIENT_CONFIG_FILE='$clouds'; Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; `$i = Get-OSInstance -Name '$Instance' -AllProjects; `"`$(`$i.Id) `$(`$i.HostName)`""
    $id, $hostName = ($line | Select-Object -Last 1) -split ' '
    [pscustomobject]@{ Id = $id; Host = $hostName }
}

# The source compute's "finished successfully" line for this move, as a local time.
function Get-FinishedAt([string] $Source, [string] $Destination, [string] $Id, [datetime] $After) {
    $pattern = "instance: $Id\] Migrating instance to $Destination finished successfully"
    $line = Get-Content (Join-Path $logDir "nova-compute-$Source.log") | Where-Object { $_ -match $pattern } | Select-Object -Last 1
    if (-not $line) { return $null }
    $at = [datetime]::ParseExact($line.Substring(0, 23), 'yyyy-MM-dd HH:mm:ss.fff', [cultureinfo]::InvariantCulture)
    if ($at -lt $After) { return $null }
    return $at
}

$start = Get-Placement
if ($start.Host -notin 'compute1', 'compute2') { throw "$Instance is on $($start.Host); put it on compute1 (tests/lab/scenario.sh cleanup)." }
Write-Host "$Instance ($($start.Id)) starts on $($start.Host); $Runs runs each, taking turns."
$current = $start.Host
$ours = @(); $theirs = @(); $oursLatency = @(); $theirsLatency = @(); $waitedFor = @()
foreach ($i in 1..$Runs) {
    foreach ($tool in 'ours', 'theirs') {
        $to = if ($current -eq 'compute1') { 'compute2' } else { 'compute1' }
        $began = [DateTime]::Now
        if ($tool -eq 'ours') {
            $script = "Import-Module '$ModulePath'; `$null = Connect-OSCloud -Cloud osm-lab; " +
                "`$r = Move-OSInstance -Name '$Instance' -DestinationHost $to -Wait -Confirm:`$false; " +
                "`"VERDICT `$(`$r.Verdict) `$(`$r.WaitedFor) `$([DateTime]::Now.ToString('yyyy-MM-dd HH:mm:ss.fff'))`"; if (`$r.Verdict -ne 'Succeeded') { exit 1 }"
            $run = Invoke-TimedProcess dotnet @($PwshDll, '-NoProfile', '-NonInteractive', '-Command', $script) @{ OS_CLIENT_CONFIG_FILE = $clouds }
            $verdictLine = ($run.Output -split "`n" | Where-Object { $_ -like 'VERDICT *' } | Select-Object -Last 1).Trim()
            $parts = $verdictLine -split ' ', 4
            $printed = [datetime]::ParseExact($parts[3], 'yyyy-MM-dd HH:mm:ss.fff', [cultureinfo]::InvariantCulture)
            $ours += $run.Seconds
            $waitedFor += $parts[2]
        }
        else {
            $run = Invoke-TimedProcess openstack @('--os-compute-api-version', '2.30', 'server', 'migrate', '--live-migration', '--host', $to, '--wait', $Instance) $labEnv
            $printed = $run.Ended
            $theirs += $run.Seconds
        }

        $finished = $null
        foreach ($try in 1..10) { $finished = Get-FinishedAt $current $to $start.Id $began; if ($finished) { break }; Start-Sleep -Milliseconds 500 }
        $now = Get-Placement
        if ($now.Host -ne $to) { throw "$tool run $i left $Instance on $($now.Host), not $to." }
        $latency = if ($finished) { ($printed - $finished).TotalSeconds } else { [double]::NaN }
        if ($tool -eq 'ours') { $oursLatency += $latency } else { $theirsLatency += $latency }
        Write-Host ("  run {0} {1,-6} {2} -> {3}: {4:N2} s, verdict {5:N2} s after Nova finished" -f $i, $tool, $current, $to, $run.Seconds, $latency)
        $current = $to
    }
}

Write-Comparison 'live migration -Wait (whole process)' 'Move-OSInstance -Wait' $ours 'openstack server migrate --live-migration --wait' $theirs
Write-Host ("Verdict after Nova finished, median of {0}: Move-OSInstance {1:N2} s (waited for: {2}); openstack client {3:N2} s" -f $Runs, (Get-Median ($oursLatency | Where-Object { -not [double]::IsNaN($_) })), (($waitedFor | Group-Object | ForEach-Object { "$($_.Name) x$($_.Count)" }) -join ', '), (Get-Median ($theirsLatency | Where-Object { -not [double]::IsNaN($_) })))
