<#
.SYNOPSIS
    The seed scenario, run with the module as an admin would: hosts and capacity, where cirros_vm runs,
    a pre-flight check, a live migration with progress and a verdict, proof that it moved, then a failing
    migration with its reason, a migration that times out (its cause from Nova's records and the nodes' logs, the
    timeout chain, the fix through the node's real service manager, and the retry); and, when the cloud has Cinder,
    the volume-backed case.
.DESCRIPTION
    Connects with OS_CLOUD / OS_CLIENT_CONFIG_FILE or an openrc's OS_* variables (build.ps1 Demo sets them
    to the local lab). The failing migration is staged with the lab's scenario.sh (a host too small for the
    flavor); on another cloud that step only shows the pre-flight refusal and changes nothing.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $LabDir
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'Continue'
Import-Module $ModulePath -Force
$isLab = $LabDir -and (Test-Path (Join-Path $LabDir 'clouds.yaml')) -and $env:OS_CLOUD -eq 'osm-lab'
$scenario = Join-Path $PSScriptRoot '../tests/lab/scenario.sh'

function Step([string] $Text) { Write-Host "`n### $Text" -ForegroundColor Cyan }
function Show([Parameter(ValueFromPipeline)] $InputObject) { begin { $all = [System.Collections.Generic.List[object]]::new() } process { $all.Add($InputObject) } end { $all | Format-Table -AutoSize | Out-String -Width 160 | Write-Host } }
function Run([string] $Command) { Write-Host "PS> $Command" -ForegroundColor Yellow }

Step 'Connect to the cloud'
Run 'Connect-OSCloud'
Connect-OSCloud | Show

Step '1. The hosts, and what each has free (nova hypervisor-list / hypervisor-show)'
Run 'Get-OSHypervisor'
Get-OSHypervisor | Show

Step '2. Where does cirros_vm run? (nova show)'
Run 'Get-OSInstance -Name cirros_vm'
$vm = Get-OSInstance -Name cirros_vm
$vm | Show
$source = $vm.HostName

Step '3. Can another host take it? Pre-flight checks for every enabled host'
Run 'Get-OSInstance -Name cirros_vm | Test-OSMigrationTarget'
$reports = @($vm | Test-OSMigrationTarget)
$reports | Show
# On the lab, compute3 is kept for step 6, where it is made too small for the flavor.
$target = ($reports | Where-Object { $_.CanMigrate -and -not ($isLab -and $_.DestinationHost -eq 'compute3') } | Select-Object -First 1).DestinationHost
if (-not $target) { throw 'No host can take cirros_vm; the demo needs at least two enabled compute hosts.' }
Run "Get-OSInstance -Name cirros_vm | Test-OSMigrationTarget -DestinationHost $target | Select-Object -ExpandProperty Checks"
($reports | Where-Object DestinationHost -eq $target).Checks | Show

Step "4. Live-migrate it to $target, with progress and a verdict (nova live-migration, but it answers)"
Run "Get-OSInstance -Name cirros_vm | Move-OSInstance -DestinationHost $target -Wait"
$result = $vm | Move-OSInstance -DestinationHost $target -Wait -Confirm:$false
$result | Show
$result | Format-List Verdict, Reason, SourceHost, DestinationHost, Duration, MigrationId, RequestId, WaitedFor | Out-String | Write-Host

Step '5. Did it move? (nova show)'
Run 'Get-OSInstance -Name cirros_vm'
Get-OSInstance -Name cirros_vm | Show

Step '6. A migration that fails, and why'
$vm = Get-OSInstance -Name cirros_vm
if ($isLab) {
    & bash $scenario small-host | Out-Host
    $small = 'compute3'
    Run "Get-OSInstance -Name cirros_vm | Test-OSMigrationTarget -DestinationHost $small"
    $vm | Test-OSMigrationTarget -DestinationHost $small | Show
    Write-Host 'The pre-flight check refuses it. Asking Nova anyway (-SkipPreflight), as `nova live-migration` would:'
    Run "Get-OSInstance -Name cirros_vm | Move-OSInstance -DestinationHost $small -SkipPreflight -Wait -ErrorAction Continue"
    $failed = $vm | Move-OSInstance -DestinationHost $small -SkipPreflight -Wait -Confirm:$false -ErrorAction Continue
    $failed | Format-List Verdict, Reason, SourceHost, DestinationHost, FailedEvent, FailedEventDetails, RequestId | Out-String | Write-Host
    Run 'Get-OSInstance -Name cirros_vm   # still ACTIVE where it was'
    Get-OSInstance -Name cirros_vm | Show
    & bash $scenario cleanup | Out-Host
}
else {
    Run "Get-OSInstance -Name cirros_vm | Test-OSMigrationTarget -DestinationHost $($vm.HostName)"
    $vm | Test-OSMigrationTarget -DestinationHost $vm.HostName | Show
}

if ($isLab) {
    # The lab's parts: compute3 is a systemd machine reached over SSH; every lab process logs under $LabDir/log.
    $parts = @{}
    Get-Content (Join-Path $LabDir 'parts.env') | Where-Object { $_ -match '^(\w+)=(.*)$' } | ForEach-Object { $parts[$Matches[1]] = $Matches[2].Trim("'", '"') }
    $node = "127.0.0.1:$($parts.OSM_LAB_NODE_SSH_PORT)"
    $ssh = @{ UserName = 'root'; KeyFilePath = $parts.OSM_LAB_NODE_KEY; KnownHostsPath = $parts.OSM_LAB_NODE_KNOWN_HOSTS; HostKeyPolicy = 'Strict' }
    $logs = @{ LogPath = (Join-Path $LabDir 'log/*.log'); HAProxyPath = $parts.OSM_LAB_HAPROXY_CFG }

    Step '7. The source text''s gotcha: a migration that times out, why, and the fix'
    Write-Host 'Staging it: cirros_vm runs on compute3 (a systemd node); compute3 waits 10 s (long_rpc_timeout) for'
    Write-Host 'pre_live_migration on the destination, and compute1 takes 20 s over it (a slow volume or network plug).'
    $null = Get-OSInstance -Name cirros_vm | Move-OSInstance -DestinationHost compute3 -Wait -Confirm:$false
    & bash $scenario rpc-timeout compute3 long_rpc_timeout 10 | Out-Host
    & bash $scenario slow-pre-live compute1 20 | Out-Host
    Run 'Get-OSInstance -Name cirros_vm | Move-OSInstance -DestinationHost compute1 -Wait'
    $failed = Get-OSInstance -Name cirros_vm | Move-OSInstance -DestinationHost compute1 -Wait -Confirm:$false -ErrorAction SilentlyContinue
    $failed | Format-List Verdict, Cause, Reason | Out-String -Width 160 | Write-Host
    Run "`$failed | Debug-OSMigration -ComputerName '.', $node -UserName root -KeyFilePath ... -LogPath '$($logs.LogPath)'"
    $failed | Debug-OSMigration -ComputerName '.', $node @ssh @logs | Format-List | Out-String -Width 160 | Write-Host
    if (Get-Command Test-OSMigrationTimeout -ErrorAction SilentlyContinue) {
        Run "Test-OSMigrationTimeout -ComputerName $node -UserName root -KeyFilePath ..."
        $findings = @(Test-OSMigrationTimeout -ComputerName $node @ssh)
        $findings | Show
    }
    Run "Set-OSMigrationTimeout -Seconds 60 -ComputerName $node -UserName root -KeyFilePath ... -Restart   # systemctl restart, then waits until nova-compute reports"
    Set-OSMigrationTimeout -Seconds 60 -ComputerName $node @ssh -Restart -Confirm:$false | Show
    Run 'Get-OSInstance -Name cirros_vm | Move-OSInstance -DestinationHost compute1 -Wait   # again'
    Get-OSInstance -Name cirros_vm | Move-OSInstance -DestinationHost compute1 -Wait -Confirm:$false | Format-List Verdict, Reason, Duration | Out-String -Width 160 | Write-Host
    & bash $scenario cleanup | Out-Host
}

$bfv = Get-OSInstance -Name cirros_bfv -ErrorAction SilentlyContinue
if ($bfv) {
    Step '8. The source text''s own case: a volume-backed instance (nothing copied; Cinder moves the attachment)'
    Run 'Get-OSInstance -Name cirros_bfv | Format-List Name, HostName, IsVolumeBacked, Volumes'
    $bfv | Format-List Name, HostName, IsVolumeBacked, Volumes | Out-String | Write-Host
    $dest = (@($bfv | Test-OSMigrationTarget) | Where-Object CanMigrate | Select-Object -First 1).DestinationHost
    Run "Get-OSInstance -Name cirros_bfv | Move-OSInstance -DestinationHost $dest -Wait"
    $r = $bfv | Move-OSInstance -DestinationHost $dest -Wait -Confirm:$false
    $r | Format-List Verdict, Reason, SourceHost, DestinationHost, Duration, VolumeChecks | Out-String | Write-Host
}
Write-Host "`nDemo finished." -ForegroundColor Green
