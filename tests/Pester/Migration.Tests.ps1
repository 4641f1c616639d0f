# Migrations against the real Nova of the lab: pre-flight checks, live and cold migration with a verified
# verdict, Nova's own asynchronous failures, progress, abort and force-complete. Each Describe puts the lab
# back as it found it (scenario.sh cleanup sends cirros_vm home to compute1).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $SkipLab = [bool]$env:OSM_LAB_SKIP_REASON
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $Session = Connect-Lab
    $Vm = 'cirros_vm'

    # Where an instance is, as Nova says now (read through the module, not from the result under test).
    function Get-VmHost([string] $Name = $Vm) { (Get-OSInstance -Name $Name -AllProjects).HostName }
    function Get-VmState([string] $Name = $Vm) { $i = Get-OSInstance -Name $Name -AllProjects; "$($i.StatusText)/$($i.TaskState)" }
    function Get-ErrorIds { @(Get-OSInstance -AllProjects | Where-Object StatusText -eq 'ERROR' | ForEach-Object Id) }

    # Runs a script block in its own runspace so its progress records can be read (they cannot be redirected).
    function Invoke-Captured([scriptblock] $Script) {
        # Bound to this console host: a hosted runspace's "Default Host" gets thinned progress (one record per 30 s).
        $ps = [powershell]::Create()
        $ps.Runspace = [runspacefactory]::CreateRunspace($Host)
        $ps.Runspace.Open()
        $null = $ps.AddScript("Import-Module '$ModulePath'; `$env:OS_CLIENT_CONFIG_FILE = '$LabCloudsYaml'; `$null = Connect-OSCloud -Cloud $LabCloud").AddStatement().AddScript($Script)
        try {
            $output = $ps.Invoke()
            [pscustomobject]@{ Output = @($output); Progress = @($ps.Streams.Progress); Warning = @($ps.Streams.Warning | ForEach-Object Message); Error = @($ps.Streams.Error) }
        }
        finally { $ps.Runspace.Dispose(); $ps.Dispose() }
    }

    Invoke-LabScenario cleanup
    $ErrorBefore = Get-ErrorIds
}

AfterAll {
    if (Test-LabUp) { Invoke-LabScenario cleanup }
}

Describe 'Test-OSMigrationTarget' -Tag Integration, ApiCap -Skip:$SkipLab {
    It 'passes every check for a healthy host, with reasons' {
        $r = Test-OSMigrationTarget -Name $Vm -DestinationHost compute2
        $r.CanMigrate | Should -BeTrue
        $r.SourceHost | Should -Be 'compute1'
        $r.Checks.Name | Should -Be @('InstanceState', 'DestinationHost', 'ComputeService', 'Hypervisor', 'Vcpu', 'Memory', 'Disk', 'Storage', 'ServerGroup')
        $r.Checks.Result | Sort-Object -Unique | Should -Be 'Passed'
        $r.GetCheck('Memory').Reason | Should -Match '^compute2 has \d+ MB of RAM free of \d+; m1.tiny needs 512\.$'
    }

    It 'ranks every enabled host when none is named, and never offers the source' {
        $all = @(Test-OSMigrationTarget -Name $Vm)
        $all.DestinationHost | Should -Not -Contain 'compute1'
        $all.DestinationHost | Should -Contain 'compute2'
        $all[0].CanMigrate | Should -BeTrue
    }

    It 'answers only true or false with -Quiet' {
        Test-OSMigrationTarget -Name $Vm -DestinationHost compute2 -Quiet | Should -BeExactly $true
        Test-OSMigrationTarget -Name $Vm -DestinationHost compute1 -Quiet | Should -BeExactly $false
    }

    It 'takes instances from Get-OSInstance' {
        $r = Get-OSInstance -Name $Vm -AllProjects | Test-OSMigrationTarget -DestinationHost compute3
        $r.InstanceName | Should -Be $Vm
        $r.DestinationHost | Should -Be 'compute3'
    }
}

Describe 'A live migration that succeeds' -Tag Integration -Skip:$SkipLab {
    AfterAll { Invoke-LabScenario cleanup }

    It 'moves the instance and the verdict is verified by the instance host' -Tag ApiCap {
        $r = Move-OSInstance -Name $Vm -DestinationHost compute2 -Wait -Confirm:$false
        $r.Verdict | Should -Be 'Succeeded'
        $r.Kind | Should -Be 'Live'
        $r.SourceHost | Should -Be 'compute1'
        $r.DestinationHost | Should -Be 'compute2'
        $r.RequestedHost | Should -Be 'compute2'
        $r.WaitedFor | Should -BeIn 'MigrationRecord', 'InstanceHost'
        $r.MigrationId | Should -BeGreaterThan 0
        $r.RequestId | Should -Match '^req-'
        $r.Duration.TotalSeconds | Should -BeGreaterThan 0
        Get-VmHost | Should -Be 'compute2'
        Get-VmState | Should -Be 'ACTIVE/'
        (Get-OSMigration -InstanceId $r.InstanceId | Where-Object Id -eq $r.MigrationId).Status | Should -Be 'completed'
    }

    It 'moves it back through the pipeline: Test-OSMigrationTarget | Move-OSInstance -Wait' -Tag ApiCap {
        $r = Get-OSInstance -Name $Vm -AllProjects | Test-OSMigrationTarget -DestinationHost compute1 | Move-OSInstance -Wait -Confirm:$false
        $r.Verdict | Should -Be 'Succeeded'
        $r.DestinationHost | Should -Be 'compute1'
        Get-VmHost | Should -Be 'compute1'
    }

    It 'moves several instances from the pipeline at once, with one progress bar each under an overall one' {
        $names = @($Vm, 'cirros_bfv') | Where-Object { Get-OSInstance -Name $_ -AllProjects -ErrorAction SilentlyContinue }
        if ($names.Count -lt 2) { Set-ItResult -Skipped -Because 'the lab has no cirros_bfv (it was started without --cinder)'; return }
        $run = Invoke-Captured { 'cirros_vm', 'cirros_bfv' | ForEach-Object { Get-OSInstance -Name $_ -AllProjects } | Move-OSInstance -DestinationHost compute3 -Wait -ThrottleLimit 2 -Confirm:$false }
        $run.Output.Count | Should -Be 2
        $run.Output.Verdict | Sort-Object -Unique | Should -Be 'Succeeded'
        $run.Output.DestinationHost | Sort-Object -Unique | Should -Be 'compute3'
        $first, $second = $run.Output | Sort-Object StartedAt
        $second.StartedAt | Should -BeLessThan $first.FinishedAt -Because 'the two migrations overlap'
        $children = @($run.Progress | Where-Object ParentActivityId -gt 0)
        @($children.ActivityId | Sort-Object -Unique).Count | Should -Be 2
        @($run.Progress | Where-Object { $_.Activity -like 'Moving 2 instances*' }).Count | Should -BeGreaterThan 0
        (Test-OSMigrationTarget -Name cirros_bfv -DestinationHost compute1).GetCheck('Storage').Reason | Should -Match '^Volume-backed \(1 volume\(s\)\): nothing on local disk to copy'
        Get-VmHost | Should -Be 'compute3'
        Get-VmHost cirros_bfv | Should -Be 'compute3'
        Invoke-LabScenario cleanup
    }

    It 'changes nothing with -WhatIf' {
        $before = Get-VmHost
        $r = Move-OSInstance -Name $Vm -DestinationHost compute3 -Wait -WhatIf
        $r | Should -BeNullOrEmpty
        Get-VmHost | Should -Be $before
        (Get-OSMigration -InstanceId (Get-OSInstance -Name $Vm -AllProjects).Id -InProgress) | Should -BeNullOrEmpty
    }
}

Describe 'Moves that cannot work: refused before Nova is asked, and Nova''s own verdict with -SkipPreflight' -Tag Integration -Skip:$SkipLab {
    AfterEach { Invoke-LabScenario cleanup }

    It 'a host too small for the flavor' -Tag ApiCap {
        Invoke-LabScenario small-host compute3 256
        $check = Test-OSMigrationTarget -Name $Vm -DestinationHost compute3
        $check.CanMigrate | Should -BeFalse
        $check.GetCheck('Memory').Reason | Should -Be 'compute3 cannot take 512 MB of RAM in one allocation: at most 256 (max_unit); m1.tiny needs 512.'

        { Move-OSInstance -Name $Vm -DestinationHost compute3 -Wait -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSPreflightFailed,OpenStackMigration.Commands.MoveOSInstanceCommand'
        $refused = Move-OSInstance -Name $Vm -DestinationHost compute3 -Wait -Confirm:$false -ErrorAction SilentlyContinue
        $refused.Verdict | Should -Be 'Refused'
        $refused.MigrationId | Should -BeNullOrEmpty

        # Nova accepts it (202) and fails it asynchronously: the verdict still says why.
        $r = Move-OSInstance -Name $Vm -DestinationHost compute3 -Wait -SkipPreflight -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'Failed'
        $r.MigrationStatus | Should -Be 'error'
        $r.FailedEvent | Should -Be 'conductor_live_migrate_instance'
        if (Test-LabCompute 2.84) {
            $r.FailedEventDetails | Should -Match 'No valid host was found'
            $r.Reason | Should -Match 'Cause \(likely\): compute3 cannot take 512 MB of RAM'
                $r.Cause | Should -Be 'NoCapacity'
        }
        else {
            $r.FailedEventDetails | Should -BeNullOrEmpty
            $r.Reason | Should -Match ([regex]::Escape("gives an event's reason only from microversion 2.84; this cloud offers $LabComputeMax"))
        }
        $r.DestinationHost | Should -Be 'compute1'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OSMigrationFailed,*'
        $err[0].Exception.Message | Should -Match ([regex]::Escape("request id $($r.RequestId)"))
        Get-VmState | Should -Be 'ACTIVE/'
        Get-VmHost | Should -Be 'compute1'
    }

    It 'an instance that ends in ERROR: the verdict carries Nova''s instance fault, as Nova itself shows it' {
        # Nova shows an instance's fault only while it is in ERROR (or DELETED). An instance gets a fault row from a
        # move Nova fails (no valid host), is put in a held live migration, and is reset to ERROR by the admin meanwhile.
        # An instance of its own name (the lab is shared: crowd-<host>-N names are reused), booted as the lab's crowd is.
        $name = 'osm-fault-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $created = @(& bash -c "set -a; . '$LabDir/openrc'; openstack --os-compute-api-version 2.74 server create --flavor m1.tiny --image cirros --nic none --host compute2 --wait -f value -c id '$name'" 2>&1)
        $LASTEXITCODE | Should -Be 0 -Because ($created -join "`n")
        $id = "$($created[-1])".Trim()
        function Get-NovaFault { (& bash -c "set -a; . '$LabDir/openrc'; openstack server show '$id' -f json" | ConvertFrom-Json).fault }

        Invoke-LabScenario small-host compute3 256
        $first = Move-OSInstance -Id $id -DestinationHost compute3 -Wait -SkipPreflight -Confirm:$false -ErrorAction SilentlyContinue
        $first.Verdict | Should -Be 'Failed'
        Get-NovaFault | Should -BeNullOrEmpty -Because 'Nova shows no fault for an ACTIVE instance'
        $first.InstanceFault | Should -BeNullOrEmpty

        Invoke-LabScenario hold-migrations on
        # Bound to this console host: a hosted runspace's "Default Host" gets thinned progress (one record per 30 s).
        $ps = [powershell]::Create()
        $ps.Runspace = [runspacefactory]::CreateRunspace($Host)
        $ps.Runspace.Open()
        $null = $ps.AddScript("Import-Module '$ModulePath'; `$env:OS_CLIENT_CONFIG_FILE = '$LabCloudsYaml'; `$null = Connect-OSCloud -Cloud $LabCloud; Move-OSInstance -Id $id -DestinationHost compute1 -Wait -TimeoutSec 150 -Confirm:`$false -ErrorAction SilentlyContinue")
        $async = $ps.BeginInvoke()
        try {
            $deadline = (Get-Date).AddSeconds(60)
            do { Start-Sleep -Milliseconds 500; $m = Get-OSMigration -InstanceId $id -InProgress } until ($m.Status -eq 'running' -or (Get-Date) -gt $deadline)
            $m.Status | Should -Be 'running'
            & bash -c "set -a; . '$LabDir/openrc'; openstack server set --state error '$id'"
            $LASTEXITCODE | Should -Be 0
            $r = @($ps.EndInvoke($async))[0]
        }
        finally { $ps.Dispose() }

        $fault = Get-NovaFault
        $fault.message | Should -Match 'No valid host was found' -Because 'Nova shows the fault of the failed move now the instance is in ERROR'
        $r.Verdict | Should -Be 'Failed'
        $r.InstanceStatus | Should -Be 'ERROR'
        $r.InstanceFault | Should -BeExactly $fault.message
        & bash -c "set -a; . '$LabDir/openrc'; openstack server delete --wait '$id'"
    }

    It 'a disabled host' -Tag ApiCap {
        Invoke-LabScenario disable compute2 'osm integration test'
        $refused = Move-OSInstance -Name $Vm -DestinationHost compute2 -Wait -Confirm:$false -ErrorAction SilentlyContinue
        $refused.Verdict | Should -Be 'Refused'
        $refused.Reason | Should -Match 'The compute service on compute2 is disabled \(osm integration test\)'

        $r = Move-OSInstance -Name $Vm -DestinationHost compute2 -Wait -SkipPreflight -Confirm:$false -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'Failed'
        if (Test-LabCompute 2.84) {
            $r.FailedEventDetails | Should -Match 'No valid host was found'
            $r.Reason | Should -Match 'Cause \(likely\): The compute service on compute2 is disabled'
                $r.Cause | Should -Be 'DestinationUnavailable'
        }
        else {
            # Before 2.84 an event has no details: the verdict says where the reason is instead of guessing it.
            $r.FailedEventDetails | Should -BeNullOrEmpty
            $r.FailedEvent | Should -Be 'conductor_live_migrate_instance'
            $r.Reason | Should -Match ([regex]::Escape("Nova's compute API gives an event's reason only from microversion 2.84; this cloud offers $LabComputeMax") + '.*' + [regex]::Escape("nova-conductor's log has it under request id $($r.RequestId)"))
        }
        Get-VmHost | Should -Be 'compute1'
    }

    It 'the host it is on' {
        $refused = Move-OSInstance -Name $Vm -DestinationHost compute1 -Wait -Confirm:$false -ErrorAction SilentlyContinue
        $refused.Verdict | Should -Be 'Refused'
        $refused.Reason | Should -Match 'cirros_vm is already on compute1'

        $r = Move-OSInstance -Name $Vm -DestinationHost compute1 -Wait -SkipPreflight -Confirm:$false -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'Failed'
        $r.Reason | Should -Match 'cirros_vm is already on compute1'
        Get-VmState | Should -Be 'ACTIVE/'
    }

    It 'a host that does not exist' {
        { Move-OSInstance -Name $Vm -DestinationHost no-such-host -Wait -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSComputeHostNotFound,OpenStackMigration.Commands.MoveOSInstanceCommand'

        # Nova answers this one synchronously (400).
        $r = Move-OSInstance -Name $Vm -DestinationHost no-such-host -Wait -SkipPreflight -Confirm:$false -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'Failed'
        $r.WaitedFor | Should -Be 'ApiResponse'
        $r.Reason | Should -Match 'Compute host no-such-host could not be found'
        $r.RequestId | Should -Match '^req-'
    }

    It 'a host whose compute service is down' {
        Invoke-LabScenario stop-compute compute2
        $refused = Move-OSInstance -Name $Vm -DestinationHost compute2 -Wait -Confirm:$false -ErrorAction SilentlyContinue
        $refused.Verdict | Should -Be 'Refused'
        $refused.Reason | Should -Match 'The compute service on compute2 is down'

        $r = Move-OSInstance -Name $Vm -DestinationHost compute2 -Wait -SkipPreflight -Confirm:$false -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'Failed'
        $r.Reason | Should -Match 'Cause \(likely\): The compute service on compute2 is down'
        $r.Cause | Should -Be 'DestinationUnavailable'
        Get-VmHost | Should -Be 'compute1'
    }

    It 'an instance that does not exist' {
        { Move-OSInstance -Id 00000000-0000-0000-0000-000000000000 -DestinationHost compute2 -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSInstanceNotFound,OpenStackMigration.Commands.MoveOSInstanceCommand'
    }
}

Describe 'A migration held running: progress, abort, force-complete' -Tag Integration -Skip:$SkipLab {
    BeforeEach { Invoke-LabScenario hold-migrations on }
    AfterEach { Invoke-LabScenario cleanup }

    It 'shows progress from the byte counters, warns that it does not converge, and aborts it at -TimeoutSec' -Tag ApiCap {
        $run = Invoke-Captured { Move-OSInstance -Name cirros_vm -DestinationHost compute2 -Wait -TimeoutSec 25 -OnTimeout Abort -Confirm:$false }
        $r = $run.Output[0]
        $r.Verdict | Should -Be 'Aborted'
        $r.MigrationStatus | Should -Be 'cancelled'
        $r.Reason | Should -Match 'stays ACTIVE on compute1'
        $withBytes = @($run.Progress | Where-Object { $_.PercentComplete -ge 0 -and $_.StatusDescription -match 'memory \d+ MiB of 512 MiB' })
        $withBytes.Count | Should -BeGreaterThan 3
        ($withBytes | Where-Object StatusDescription -Match 'MiB/s').Count | Should -BeGreaterThan 0
        ($run.Progress | Select-Object -Last 1).RecordType | Should -Be 'Completed'
        # One warning that it does not converge, naming this migration, what is left of its 512 MiB, and what to do;
        # then the one that says -OnTimeout Abort is acting.
        @($run.Warning -match 'is not converging').Count | Should -Be 1
        $converging = [regex]::Escape("Migration $($r.MigrationId) of cirros_vm is not converging: ") + '(\d+) MiB' + [regex]::Escape(' of memory still to copy and over the last ') + '\d+' + [regex]::Escape(' s almost none of what was copied came off it (the guest writes memory about as fast as it is copied). Complete-OSMigration pauses it briefly to finish; Stop-OSMigration aborts it.')
        $warning = @($run.Warning -match "^$converging`$")
        $warning.Count | Should -Be 1 -Because "the warnings were: $($run.Warning -join ' | ')"
        [int]([regex]::Match($warning[0], $converging).Groups[1].Value) | Should -BeLessOrEqual 512
        @($run.Warning -match ('^' + [regex]::Escape("Migration $($r.MigrationId) of cirros_vm did not finish within ") + '2[5-9] s; aborting it \(-OnTimeout Abort\)\.$')).Count | Should -Be 1
        [array]::IndexOf($run.Warning, $warning[0]) | Should -BeLessThan ([array]::IndexOf($run.Warning, @($run.Warning -match 'aborting it')[0]))
        $run.Error[0].FullyQualifiedErrorId | Should -BeLike 'OSMigrationAborted,*'
        Get-VmHost | Should -Be 'compute1'
        Get-VmState | Should -Be 'ACTIVE/'
    }

    It 'force-completes at -TimeoutSec with -OnTimeout ForceComplete' {
        $r = Move-OSInstance -Name $Vm -DestinationHost compute2 -Wait -TimeoutSec 6 -OnTimeout ForceComplete -Confirm:$false -WarningAction SilentlyContinue
        $r.Verdict | Should -Be 'Succeeded'
        $r.ForceCompleted | Should -BeTrue
        Get-VmHost | Should -Be 'compute2'
    }

    It 'leaves it running with -OnTimeout Leave, and Stop-OSMigration aborts it' {
        $r = Move-OSInstance -Name $Vm -DestinationHost compute2 -Wait -TimeoutSec 4 -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'TimedOut'
        $err[0].FullyQualifiedErrorId | Should -BeLike 'OSMigrationTimedOut,*'
        $running = Get-OSMigration -InstanceId $r.InstanceId -InProgress
        $running.Id | Should -Be $r.MigrationId
        $running.Status | Should -Be 'running'

        $final = $r | Stop-OSMigration -Wait -Confirm:$false
        $final.Status | Should -Be 'cancelled'
        Get-VmHost | Should -Be 'compute1'
    }

    It 'returns Accepted without -Wait; Get-OSMigration shows the byte counters; Complete-OSMigration finishes it' {
        $r = Move-OSInstance -Name $Vm -DestinationHost compute3 -Confirm:$false
        $r.Verdict | Should -Be 'Accepted'
        $r.MigrationId | Should -BeGreaterThan 0
        $deadline = (Get-Date).AddSeconds(30)
        do { Start-Sleep -Milliseconds 500; $m = Get-OSMigration -InstanceId $r.InstanceId -InProgress } until ($m.MemoryTotalBytes -gt 0 -or (Get-Date) -gt $deadline)
        $m.Status | Should -Be 'running'
        $m.MemoryTotalBytes | Should -Be (512MB)
        $m.MemoryProcessedBytes | Should -BeGreaterThan 0

        $final = Get-OSMigration -InstanceId $r.InstanceId -InProgress | Complete-OSMigration -Wait -Confirm:$false
        $final.Status | Should -Be 'completed'
        Get-VmHost | Should -Be 'compute3'
    }

    It 'stops waiting on Ctrl+C and leaves the migration running' {
        # Bound to this console host: a hosted runspace's "Default Host" gets thinned progress (one record per 30 s).
        $ps = [powershell]::Create()
        $ps.Runspace = [runspacefactory]::CreateRunspace($Host)
        $ps.Runspace.Open()
        $null = $ps.AddScript("Import-Module '$ModulePath'; `$env:OS_CLIENT_CONFIG_FILE = '$LabCloudsYaml'; `$null = Connect-OSCloud -Cloud $LabCloud; Move-OSInstance -Name cirros_vm -DestinationHost compute2 -Wait -Confirm:`$false")
        $async = $ps.BeginInvoke()
        $id = (Get-OSInstance -Name $Vm -AllProjects).Id
        $deadline = (Get-Date).AddSeconds(60)
        do { Start-Sleep -Milliseconds 500; $m = Get-OSMigration -InstanceId $id -InProgress } until ($m.Status -eq 'running' -or (Get-Date) -gt $deadline)
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Dispose()
        Start-Sleep -Seconds 2
        (Get-OSMigration -InstanceId $id -InProgress).Status | Should -Be 'running'
        (Stop-OSMigration -InstanceId $id -Wait -Confirm:$false).Status | Should -Be 'cancelled'
    }
}

Describe 'A cold migration' -Tag Integration, ApiCap -Skip:$SkipLab {
    AfterAll { Invoke-LabScenario cleanup }

    It 'refuses a named host before compute 2.56, changing nothing, and says what to do' -Skip:(Test-LabCompute 2.56) {
        $err = $null
        try { Move-OSInstance -Name $Vm -Cold -DestinationHost compute3 -Wait -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'OSMicroversionTooOld,*'
        $err.Exception.Message | Should -BeLike "Cold migration to a named host (compute3) needs compute API microversion 2.56; this cloud offers up to $LabComputeMax."
        $err.Exception.RecommendedAction | Should -Match 'scheduler picks'
        Get-VmHost | Should -Be 'compute1'
        @(Get-OSMigration -InstanceId (Get-OSInstance -Name $Vm -AllProjects).Id -InProgress) | Should -BeNullOrEmpty
    }

    It 'moves to the host the scheduler picks before compute 2.56, verified' -Skip:(Test-LabCompute 2.56) {
        $r = Move-OSInstance -Name $Vm -Cold -Wait -Confirm:$false
        $r.Verdict | Should -Be 'Succeeded'
        $r.MigrationStatus | Should -Be 'confirmed'
        $r.DestinationHost | Should -Not -Be 'compute1'
        Get-VmHost | Should -Be $r.DestinationHost
        Invoke-LabScenario cleanup
    }

    It 'is confirmed when it reaches VERIFY_RESIZE and the verdict is verified' -Skip:(-not (Test-LabCompute 2.56)) {
        $r = Move-OSInstance -Name $Vm -Cold -DestinationHost compute3 -Wait -Confirm:$false
        $r.Verdict | Should -Be 'Succeeded'
        $r.Kind | Should -Be 'Cold'
        $r.MigrationStatus | Should -Be 'confirmed'
        $r.DestinationHost | Should -Be 'compute3'
        Get-VmHost | Should -Be 'compute3'
        Get-VmState | Should -Be 'ACTIVE/'
    }

    It 'is reverted on request' -Skip:(-not (Test-LabCompute 2.56)) {
        $r = Move-OSInstance -Name $Vm -Cold -DestinationHost compute2 -Wait -VerifyResize Revert -Confirm:$false -ErrorAction SilentlyContinue
        $r.Verdict | Should -Be 'Reverted'
        Get-VmHost | Should -Be 'compute3'
        Get-VmState | Should -Be 'ACTIVE/'
    }
}

Describe 'After every migration test' -Tag Integration, ApiCap -Skip:$SkipLab {
    It 'left no instance in ERROR that was not in ERROR before' {
        Invoke-LabScenario cleanup
        @(Get-ErrorIds | Where-Object { $ErrorBefore -notcontains $_ }) | Should -BeNullOrEmpty
    }
}
