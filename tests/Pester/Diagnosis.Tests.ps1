# Why a migration failed, against the real Nova of the lab: each scenario makes Nova fail for real (tests/lab/scenario.sh),
# then the verdict of Move-OSInstance -Wait and Debug-OSMigration must name the cause, the option that governs it and the
# evidence from Nova's records and the lab's real logs. Each Describe puts the lab back (scenario.sh cleanup).
BeforeDiscovery { $SkipLab = [bool]$env:OSM_LAB_SKIP_REASON }

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $null = Connect-Lab
    $Vm = 'cirros_vm'
    # Every log of the lab's processes is on this machine; the lab's haproxy.cfg is the load balancer's.
    $Logs = @{ ComputerName = 'localhost'; LogPath = (Join-Path $LabDir 'log/*.log'); HAProxyPath = (Get-LabPart OSM_LAB_HAPROXY_CFG) }

    # Where the instance is, as Nova says now (read apart from the result under test).
    function Get-VmHost { (Get-OSInstance -Name $Vm -AllProjects).HostName }
    function Move-Vm([string] $To, [switch] $SkipPreflight) {
        Get-OSInstance -Name $Vm -AllProjects | Move-OSInstance -DestinationHost $To -Wait -TimeoutSec 120 -SkipPreflight:$SkipPreflight -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable script:MoveErrors -WarningAction SilentlyContinue -WarningVariable script:MoveWarnings
    }

    Invoke-LabScenario cleanup
}

AfterAll {
    if (Test-LabUp) { Invoke-LabScenario cleanup }
}

Describe 'A pre-check that times out (Nova says only "No valid host")' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        # nova-conductor waits 8 s for the destination's check_can_live_migrate_destination, which takes 15 s on compute2.
        Invoke-LabScenario rpc-timeout conductor long_rpc_timeout 8
        Invoke-LabScenario slow-precheck compute2 15
        $script:R = Move-Vm compute2
    }
    AfterAll { Invoke-LabScenario cleanup }

    It 'fails, leaves the instance where it was, and names the timeout, not a full host' {
        $R.Verdict | Should -Be 'Failed'
        Get-VmHost | Should -Be 'compute1'
        $R.FailedEventDetails | Should -Match '^No valid host was found'
        $R.Cause | Should -Be 'PreCheckRpcTimeout'
        $R.Diagnosis.Setting | Should -Be 'long_rpc_timeout'
        $R.Diagnosis.GovernedBy | Should -Be 'nova-conductor'
        $R.Diagnosis.Fix | Should -Match '^Set-OSRpcTimeout -Setting long_rpc_timeout -Seconds \d+ -Service nova'
        $R.Reason | Should -Match 'Cause \((confirmed|likely)\): The destination compute2''s pre-check'
        $MoveErrors[0].FullyQualifiedErrorId | Should -BeLike 'OSMigrationFailed*'
        $MoveErrors[0].ErrorDetails.RecommendedAction | Should -Match 'Set-OSRpcTimeout -Setting long_rpc_timeout'
    }

    It 'Debug-OSMigration finds the scheduler''s line in the real log and the conductor''s effective value' {
        $d = $R | Debug-OSMigration @Logs
        $d.Cause | Should -Be 'PreCheckRpcTimeout'
        $d.Certainty | Should -Be 'Confirmed'
        $d.RequestId | Should -Be $R.RequestId
        ($d.Evidence | Where-Object Source -like 'log nova-scheduler.log:*').Text | Should -Match 'Host filter ignoring hosts: compute2'
        ($d.Evidence | Where-Object Source -eq 'instance action').Text | Should -Contain ($d.Evidence | Where-Object Text -like 'compute_check_can_live_migrate_destination*').Text
        $d.EffectiveValues | Where-Object { $_ -match 'nova-conductor .*: 8 s from ' } | Should -Not -BeNullOrEmpty
        $d.Summary | Should -Match 'long_rpc_timeout \(8 s\)'
    }

    It 'takes migrations from Get-OSMigration, and refuses what it cannot diagnose with an error id' {
        $d = Get-OSMigration -InstanceId $R.InstanceId | Where-Object Id -eq $R.MigrationId | Debug-OSMigration -SkipPreflight
        $d.Cause | Should -Be 'PreCheckRpcTimeout'
        $d.MigrationId | Should -Be $R.MigrationId
        [pscustomobject]@{ Name = 'x' } | Debug-OSMigration -ErrorAction SilentlyContinue -ErrorVariable bad | Should -BeNullOrEmpty
        $bad[0].FullyQualifiedErrorId | Should -BeLike 'OSDiagnosisInputInvalid*'
        { Debug-OSMigration -InstanceId $R.InstanceId -MigrationId 987654 -ErrorAction Stop } | Should -Throw -ErrorId 'OSMigrationNotFound,OpenStackMigration.Commands.DebugOSMigrationCommand'
    }

    It 'names the same cause from the instance alone, later, once the destination has answered' {
        Start-Sleep -Seconds 8   # the destination's check (15 s) finishes after the conductor gave up
        $d = Debug-OSMigration -InstanceId (Get-OSInstance -Name $Vm -AllProjects).Id
        $d.Cause | Should -Be 'PreCheckRpcTimeout'
        $d.Certainty | Should -Be 'Confirmed'
        $d.Summary | Should -Match 'compute2 took 1\d\.\d s to answer'
    }
}

Describe 'pre_live_migration that times out' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        # The source (compute1) waits 8 s for pre_live_migration on the destination, which takes 15 s.
        Invoke-LabScenario rpc-timeout compute1 long_rpc_timeout 8
        Invoke-LabScenario slow-pre-live compute2 15
        $script:R = Move-Vm compute2
    }
    AfterAll { Invoke-LabScenario cleanup }

    It 'fails on the source''s timeout and names the source''s long_rpc_timeout' {
        $R.Verdict | Should -Be 'Failed'
        Get-VmHost | Should -Be 'compute1'
        $R.Cause | Should -Be 'PreLiveMigrationRpcTimeout'
        $R.Diagnosis.Setting | Should -Be 'long_rpc_timeout'
        $R.Diagnosis.GovernedBy | Should -Be 'nova-compute on the source (compute1)'
    }

    It 'Debug-OSMigration quotes the source compute''s error line and its effective value' {
        $d = $R | Debug-OSMigration @Logs
        $d.Cause | Should -Be 'PreLiveMigrationRpcTimeout'
        ($d.Evidence | Where-Object Source -like 'log nova-compute-compute1.log:*').Text -join "`n" | Should -Match 'Pre live migration failed at compute2'
        # The value shown is the source's own nova-compute's (8 s) or none: the lab runs several plain nova-computes on one
        # machine, and the module reads one process per program there; another host's value must never be shown as the source's.
        $d.EffectiveValues | Where-Object { $_ -notmatch 'nova-compute .*: 8 s from ' } | Should -BeNullOrEmpty
    }
}

Describe 'A CPU the destination refuses' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario refuse-cpu compute2 on
        $script:R = Move-Vm compute2
    }
    AfterAll { Invoke-LabScenario cleanup }

    It 'names the CPU mismatch that Nova reported as "No valid host"' {
        $R.Verdict | Should -Be 'Failed'
        Get-VmHost | Should -Be 'compute1'
        $R.Cause | Should -Be 'CpuIncompatible'
        $R.Diagnosis.Certainty | Should -Be 'Confirmed'
        ($R.Diagnosis.Evidence | Where-Object Text -like 'compute_check_can_live_migrate_destination: Error*').Text | Should -Match "CPU doesn't have compatibility"
    }
}

Describe 'A destination without room' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario small-host compute3 256
        $script:R = Move-Vm compute3 -SkipPreflight
    }
    AfterAll { Invoke-LabScenario cleanup }

    It 'names the lack of room with the pre-flight''s figures, and says it was immediate' {
        $R.Verdict | Should -Be 'Failed'
        $R.Cause | Should -Be 'NoCapacity'
        $R.Diagnosis.Summary | Should -Match 'compute3 .*256.*m1\.tiny needs 512'
        $R.Diagnosis.Explanation | Should -Match 'Nova refused within \d+\.\d s'
        $R.Diagnosis.Fix | Should -Match 'Test-OSMigrationTarget'
    }
}

Describe 'HAProxy gives up on a slow API call (504) while Nova carries on' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        # HAProxy waits 3 s for nova-api; nova-api takes 8 s over the live-migrate action, then starts the migration.
        Invoke-LabScenario haproxy-timeout nova_api 3s
        Invoke-LabScenario slow-api 8 POST '/servers/[^/]+/action'
        $script:R = Move-Vm compute2
    }
    AfterAll { Invoke-LabScenario cleanup }

    It 'reports HAProxy''s 504, finds the migration Nova started anyway, and watches it to its verdict' {
        $R.Gateway.StatusCode | Should -Be 504
        $R.Gateway.Proxy | Should -Be 'HAProxy'
        $R.Gateway.ElapsedSeconds | Should -BeGreaterOrEqual 2.5
        $R.Gateway.StartedAnyway | Should -BeTrue
        $R.Verdict | Should -Be 'Succeeded'
        Get-VmHost | Should -Be 'compute2'
        $MoveWarnings -join "`n" | Should -Match 'HAProxy in front of Nova answered live-migrating instance .* with HTTP 504 Gateway Time-out'
        $MoveWarnings -join "`n" | Should -Match 'Nova started migration \d+ of cirros_vm anyway'
    }

    It 'Debug-OSMigration says it was HAProxy''s, with the backend''s timeout server and its log line' {
        $d = $R | Debug-OSMigration @Logs
        $d.Cause | Should -Be 'GatewayTimeout'
        $d.Summary | Should -Match '^HAProxy \(not Nova\) answered HTTP 504 to POST /v2\.1/servers/.*/action after \d+\.\d s'
        $d.Summary | Should -Match 'Nova carried on and started the migration anyway'
        ($d.Evidence | Where-Object Source -like 'log haproxy.log:*').Text | Should -Match ' 504 '
        $d.EffectiveValues | Where-Object { $_ -match 'haproxy (listen|backend) nova_api\S*: 3s ' } | Should -Not -BeNullOrEmpty
    }
}

Describe 'The destination''s nova-compute goes down during a migration' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        # The source (compute1) gives up on a silent destination after its rpc_response_timeout (10 s: no heartbeat).
        Invoke-LabScenario rpc-timeout compute1 rpc_response_timeout 10
        Invoke-LabScenario hold-migrations on
        $script:Accepted = Get-OSInstance -Name $Vm -AllProjects | Move-OSInstance -DestinationHost compute3 -Confirm:$false
        $deadline = (Get-Date).AddSeconds(60)
        while (-not (Get-OSMigration -InstanceId $Accepted.InstanceId -InProgress | Where-Object Status -eq 'running') -and (Get-Date) -lt $deadline) { Start-Sleep -Seconds 1 }
        Invoke-LabScenario stop-compute compute3
        Complete-OSMigration -InstanceId $Accepted.InstanceId -Confirm:$false
        # Nova records nothing more; wait for the source's error line (10 s after it asks the dead destination).
        $log = Join-Path $LabDir 'log/nova-compute-compute1.log'
        $errorLines = { @(Select-String -Path $log -SimpleMatch "[instance: $($Accepted.InstanceId)] Post live migration at destination compute3 failed").Count }
        $before = & $errorLines
        $deadline = (Get-Date).AddSeconds(60)
        while ((& $errorLines) -eq $before -and (Get-Date) -lt $deadline) { Start-Sleep -Seconds 1 }
        # The source marks the record completed just after that line (a fresh CI run diagnosed in between: 'running').
        $deadline = (Get-Date).AddSeconds(30)
        while ((Get-OSMigration -InstanceId $Accepted.InstanceId | Where-Object Id -eq $Accepted.MigrationId).Status -ne 'completed' -and (Get-Date) -lt $deadline) { Start-Sleep -Seconds 1 }
        $script:D = Debug-OSMigration -InstanceId $Accepted.InstanceId @Logs
    }
    AfterAll { Invoke-LabScenario cleanup }

    It 'names the dead destination though the record says completed, and the instance stuck on its source' {
        (Get-OSMigration -InstanceId $Accepted.InstanceId | Where-Object Id -eq $Accepted.MigrationId).Status | Should -Be 'completed'
        Get-VmHost | Should -Be 'compute1'
        $D.Cause | Should -Be 'ComputeServiceDown'
        $D.Summary | Should -Match 'nova-compute on compute3 went down'
        $D.Summary | Should -Match 'still MIGRATING/migrating on compute1'
        ($D.Evidence | Where-Object Source -like 'log nova-compute-compute1.log:*').Text -join "`n" | Should -Match 'Post live migration at destination compute3 failed: oslo_messaging.exceptions.MessagingTimeout'
        $D.EffectiveValues | Where-Object { $_ -notmatch 'nova-compute .*: 10 s from ' } | Should -BeNullOrEmpty
    }
}
