# Invoke-OSRollingMaintenance against the real OpenStack of the lab (six computes: compute1 and compute4..6 plain
# processes, compute2 a podman container, compute3 a systemd machine reached over SSH): a whole rolling run with
# Keystone's tokens living one minute, a run killed mid-way and rerun, and a compute that never comes back.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $LabSkipReason = Get-LabSkipReason
    $SkipLab = [bool]$LabSkipReason
    if ($SkipLab) { Write-Host "Rolling maintenance integration tests skipped: $LabSkipReason." }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $Parts = @{}
    Get-Content (Join-Path $LabDir 'parts.env') | Where-Object { $_ -match '^(\w+)=(.*)$' } | ForEach-Object { $Parts[$Matches[1]] = $Matches[2] }
    $Computes = @((Get-OSComputeService -Session (Connect-Lab) | Where-Object HostName -like 'compute*').HostName | Sort-Object)

    # Nova's own records: every live migration since a time, and those that moved an instance off the same host twice.
    function Get-LabMoves([datetime] $Since) {
        @(Get-OSMigration -Type Live -Since $Since | Where-Object { $_.CreatedAt -ge $Since -and $_.Status -eq 'completed' })
    }

    function Get-DuplicateMoves($Moves) {
        @($Moves | Group-Object InstanceId, SourceHost | Where-Object Count -gt 1 | ForEach-Object Name)
    }

    # The most hosts whose maintenance windows (Disable start to Enable end, from the step objects) overlap.
    function Get-MaxOverlap($Steps) {
        $events = foreach ($h in ($Steps | Group-Object HostName)) {
            $from = ($h.Group | Where-Object Step -eq 'Disable').StartedAt
            $to = ($h.Group | Where-Object Step -eq 'Enable').FinishedAt
            if ($from -and $to) { [pscustomobject]@{ T = $from; D = 1 }; [pscustomobject]@{ T = $to; D = -1 } }
        }
        $now = 0; $max = 0
        foreach ($e in ($events | Sort-Object T, D)) { $now += $e.D; if ($now -gt $max) { $max = $now } }
        $max
    }
}

AfterAll {
    Invoke-LabScenario cleanup
}

Describe 'A rolling run over every compute of the lab, with one-minute tokens' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario token-lifetime 60
        $Session = Connect-Lab
        Invoke-LabScenario crowd compute2 2 m1.tiny
        Invoke-LabScenario crowd compute4 2 m1.tiny
        $Since = (Get-Date).ToUniversalTime().AddSeconds(-5)
        $Disabled = [System.Collections.Generic.List[int]]::new()
        $StatePath = Join-Path $TestDrive 'rolling.json'
        $JUnit = Join-Path $TestDrive 'rolling.xml'
        $ssh = @('-p', $Parts.OSM_LAB_NODE_SSH_PORT, '-i', $Parts.OSM_LAB_NODE_KEY, '-o', "UserKnownHostsFile=$($Parts.OSM_LAB_NODE_KNOWN_HOSTS)", '-o', 'BatchMode=yes', 'root@127.0.0.1')
        $watch = [Diagnostics.Stopwatch]::StartNew()
        # compute3's patch restarts its nova-compute through systemctl in the machine; every host's work and check
        # count, in Nova, the hosts disabled at that moment.
        $all = @(Invoke-OSRollingMaintenance -HostName 'compute*' -Reason 'rolling-pester' -Concurrency 2 -ComputeTimeoutSec 90 -StatePath $StatePath -JUnitPath $JUnit -Confirm:$false -Verbose `
                -Work {
                    param($h)
                    $Disabled.Add(@(Get-OSComputeService | Where-Object Status -eq 'Disabled').Count)
                    if ($h -eq 'compute3') { & ssh @ssh 'systemctl restart nova-compute && systemctl show -p MainPID --value nova-compute' }
                } `
                -HealthCheck { $Disabled.Add(@(Get-OSComputeService | Where-Object Status -eq 'Disabled').Count); "checked $_" } 4>&1)
        $Verbose = @($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $Steps = @($all | Where-Object { $_ -is [OpenStackMigration.Model.RollingStepResult] })
        $watch.Stop()
        Write-Host ("  rolling run over {0} hosts, 2 at a time: {1:n1} s, {2} instance(s) moved" -f $Computes.Count, $watch.Elapsed.TotalSeconds, ($Steps | Where-Object Step -eq 'Drain' | Measure-Object InstancesMoved -Sum).Sum)
    }

    AfterAll {
        Invoke-LabScenario token-lifetime default
    }

    It 'takes every host through every step, in order, and leaves every host enabled' {
        ($Steps | Where-Object Status -eq 'Failed') | Should -BeNullOrEmpty
        ($Steps | Select-Object -ExpandProperty HostName -Unique | Sort-Object) | Should -Be $Computes
        foreach ($h in $Computes) {
            ($Steps | Where-Object HostName -eq $h).Step | Should -Be @('Capacity', 'Disable', 'Drain', 'Work', 'WaitForCompute', 'HealthCheck', 'Enable', 'Failback')
            (Get-OSComputeService -HostName $h).Status | Should -Be 'Enabled'
        }
        ($Steps | Where-Object { $_.HostName -eq 'compute3' -and $_.Step -eq 'Work' }).Message | Should -Match '^\d+$' -Because 'the new MainPID of nova-compute in the machine'
        ($Steps | Where-Object { $_.HostName -eq 'compute3' -and $_.Step -eq 'WaitForCompute' }).Status | Should -Be 'Succeeded'
    }

    It 'ends with every instance ACTIVE, none moved twice off the same host, and no host left with instances while it was worked on' {
        Get-OSInstance -AllProjects | ForEach-Object { $_.StatusText | Should -Be 'ACTIVE' }
        $moves = Get-LabMoves $Since
        $moves.Count | Should -BeGreaterOrEqual 7 -Because 'cirros_vm, the 2+2 crowd and each instance moved again when its new host takes its turn'
        Get-DuplicateMoves $moves | Should -BeNullOrEmpty
        ($Steps | Where-Object Step -eq 'Drain' | Measure-Object InstancesMoved -Sum).Sum | Should -Be $moves.Count
    }

    It 'never has more than two hosts in maintenance at once' {
        $Disabled.Count | Should -Be (2 * $Computes.Count)
        ($Disabled | Measure-Object -Maximum).Maximum | Should -BeLessOrEqual 2
        Get-MaxOverlap $Steps | Should -Be 2
    }

    It 'shows capacity figures per host and renews its one-minute token as it goes' {
        $capacity = $Steps | Where-Object Step -eq 'Capacity'
        $capacity | ForEach-Object { $_.MemoryFreeMB | Should -BeGreaterThan $_.MemoryNeededMB }
        ($capacity | Where-Object HostName -eq 'compute2').MemoryNeededMB | Should -BeGreaterOrEqual 1024
        $watch.Elapsed.TotalSeconds | Should -BeGreaterThan 60 -Because 'the run must outlive a one-minute token for this test to mean anything'
        @($Verbose | Where-Object { $_ -match '^Renewing the token' }).Count | Should -BeGreaterThan 0
    }

    It 'writes a JUnit report with one passing test case per host and sets the state file aside' {
        [xml] $x = Get-Content $JUnit -Raw
        $x.testsuites.testsuite.tests | Should -Be "$($Computes.Count)"
        $x.testsuites.testsuite.failures | Should -Be '0'
        @($x.testsuites.testsuite.testcase).name | Should -Be $Computes
        Test-Path $StatePath | Should -BeFalse
        @(Get-ChildItem $TestDrive -Filter 'rolling-ended-*.json').Count | Should -Be 1
    }
}

Describe 'A rolling run killed mid-way and run again' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        $Session = Connect-Lab
        Invoke-LabScenario crowd compute5 3 m1.tiny
        $Since = (Get-Date).ToUniversalTime().AddSeconds(-5)
        $StatePath = Join-Path $TestDrive 'killed.json'
        $Hosts = 'compute1', 'compute5', 'compute6'
        # A runbook worker that dies: a separate pwsh, killed (SIGKILL) while compute5 is being drained.
        $script = "Import-Module '$ModulePath'; `$env:OS_CLIENT_CONFIG_FILE = '$(Join-Path $LabDir 'clouds.yaml')'; `$null = Connect-OSCloud -Cloud osm-lab; Invoke-OSRollingMaintenance $($Hosts -join ',') -Reason 'rolling-pester kill' -StatePath '$StatePath' -ThrottleLimit 1 -Confirm:`$false"
        $exe = (Get-Process -Id $PID).Path
        $lead = @(if ($exe -match 'dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
        $child = Start-Process -FilePath $exe -ArgumentList (@($lead) + @('-NoProfile', '-Command', $script)) -PassThru -RedirectStandardOutput (Join-Path $TestDrive 'child.out') -RedirectStandardError (Join-Path $TestDrive 'child.err')
        $deadline = (Get-Date).AddSeconds(180)
        do {
            Start-Sleep -Milliseconds 300
            $drain = $null
            if (Test-Path $StatePath) { try { $drain = ((Get-Content $StatePath -Raw | ConvertFrom-Json).Hosts | Where-Object HostName -eq 'compute5').Steps | Where-Object Step -eq 'Drain' } catch { } }
            $moved = @(Get-OSMigration -HostName compute5 -Type Live -Since $Since | Where-Object { $_.SourceHost -eq 'compute5' -and $_.Status -eq 'completed' }).Count
        } until (($drain.Status -eq 'Running' -and $moved -ge 1) -or $child.HasExited -or (Get-Date) -gt $deadline)
        $FinishedEarly = $child.HasExited
        $child.Kill()
        $child.WaitForExit()
        $Interrupted = Get-Content $StatePath -Raw | ConvertFrom-Json
        Write-Host ("  killed with compute5's drain running, {0} instance(s) moved off it" -f $moved)
        $Steps = @(Invoke-OSRollingMaintenance $Hosts -Reason 'rolling-pester kill' -StatePath $StatePath -ThrottleLimit 1 -Confirm:$false)
    }

    It 'was killed in the middle of a host' {
        $FinishedEarly | Should -BeFalse
        ($Interrupted.Hosts | Where-Object HostName -eq 'compute1').Status | Should -Be 'Succeeded'
        ($Interrupted.Hosts | Where-Object HostName -eq 'compute5').Status | Should -Be 'Running'
    }

    It 'completes on the rerun without touching the finished host again or moving anything twice' {
        ($Steps | Where-Object Status -eq 'Failed') | Should -BeNullOrEmpty
        ($Steps | Where-Object HostName -eq 'compute1') | ForEach-Object { $_.FromEarlierRun | Should -BeTrue }
        ($Steps | Where-Object { $_.HostName -eq 'compute6' -and $_.Step -eq 'Enable' }).Status | Should -Be 'Succeeded'
        foreach ($h in $Hosts) { (Get-OSComputeService -HostName $h).Status | Should -Be 'Enabled' }
        Get-OSInstance -AllProjects | ForEach-Object { $_.StatusText | Should -Be 'ACTIVE' }
        Get-DuplicateMoves (Get-LabMoves $Since) | Should -BeNullOrEmpty
    }
}

Describe 'A compute that never comes back' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        $Session = Connect-Lab
        $Errors = $null
        $Steps = @(Invoke-OSRollingMaintenance compute4, compute5, compute6 -Reason 'rolling-pester dead' -ComputeTimeoutSec 20 -StatePath (Join-Path $TestDrive 'dead.json') -Confirm:$false `
                -Work { if ($_ -eq 'compute5') { Invoke-LabScenario stop-compute compute5 } } -ErrorVariable Errors -ErrorAction SilentlyContinue)
    }

    It 'trips -MaxFailedHosts: compute5 stays disabled and compute6 is not started' {
        $failed = $Steps | Where-Object Status -eq 'Failed'
        $failed.HostName | Should -Be 'compute5'
        $failed.Step | Should -Be 'WaitForCompute'
        $failed.ErrorId | Should -Be 'OSRollingComputeNotReporting'
        $failed.Duration.TotalSeconds | Should -BeGreaterOrEqual 20
        $svc = Get-OSComputeService -HostName compute5
        $svc.Status | Should -Be 'Disabled'
        $svc.DisabledReason | Should -Be 'rolling-pester dead'
        ($Steps | Where-Object HostName -eq 'compute6').Status | Should -Be 'NotRun'
        (Get-OSComputeService -HostName compute6).Status | Should -Be 'Enabled'
        (Get-OSComputeService -HostName compute4).Status | Should -Be 'Enabled'
        $Errors.FullyQualifiedErrorId | Should -Contain 'OSRollingComputeNotReporting,OpenStackMigration.Commands.InvokeOSRollingMaintenanceCommand'
        $Errors.FullyQualifiedErrorId | Should -Contain 'OSRollingRunStopped,OpenStackMigration.Commands.InvokeOSRollingMaintenanceCommand'
    }
}

Describe 'The plan and a token-only session' -Tag Integration -Skip:$SkipLab {
    It '-WhatIf prints every host and step with capacity figures, and a token session is warned first' {
        Invoke-LabScenario cleanup
        $script = "Import-Module '$ModulePath'; `$t = ConvertTo-SecureString '$(New-LabToken)' -AsPlainText -Force; `$null = Connect-OSCloud -AuthUrl '$(Get-LabOpenrc OS_AUTH_URL)' -CACertFile '$(Get-LabOpenrc OS_CACERT)' -Token `$t -ProjectName admin; Invoke-OSRollingMaintenance 'compute*' -Reason 'rolling-pester plan' -Concurrency 3 -NodeCommand 'apt-get -y upgrade' -NodeAddress @{ compute3 = '127.0.0.1:$($Parts.OSM_LAB_NODE_SSH_PORT)' } -WhatIf 3>&1"
        $exe = (Get-Process -Id $PID).Path
        $lead = @(if ($exe -match 'dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
        $out = (& $exe @lead -NoProfile -Command $script) -join "`n"
        $out | Should -Match 'made with a token, which expires at .* cannot be renewed'
        $out | Should -Match 'What if: Rolling maintenance of \d+ host\(s\), 3 at a time'
        $out | Should -Match 'Capacity +\d+ instance\(s\) need \d+ MB RAM and \d+ vCPU; \d+ host\(s\) may receive them \(.*\) with \d+ MB and \d+ vCPU free'
        $out | Should -Match 'Counted out as in maintenance alongside it: compute1, compute2\.'
        $out | Should -Match 'Work +Run on 127\.0\.0\.1:\d+: apt-get -y upgrade'
        foreach ($h in $Computes) { (Get-OSComputeService -HostName $h).Status | Should -Be 'Enabled' }
        @(Get-OSMigration -Type Live -Since (Get-Date).AddMinutes(-1) | Where-Object CreatedAt -ge (Get-Date).ToUniversalTime().AddSeconds(-30)).Count | Should -Be 0
    }
}
