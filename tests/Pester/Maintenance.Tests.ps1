# Host maintenance and load spreading against the real OpenStack of the lab: plans, a throttled drain,
# an interrupted drain resumed, and a balance. Every test starts from `scenario.sh cleanup` (only cirros_vm left,
# on compute1, every host enabled) and crowds hosts with the lab's own crowd-<host>-N instances.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $LabSkipReason = Get-LabSkipReason
    $SkipLab = [bool]$LabSkipReason
    if ($SkipLab) { Write-Host "Maintenance integration tests skipped: $LabSkipReason." }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $Session = Connect-Lab

    function Get-HostInstances([string] $HostName) { @(Get-OSInstance -HostName $HostName -AllProjects) }

    # Where compute2's instances may go: every other compute host the lab has (compute1, compute3..6).
    $OtherComputes = @((Get-OSComputeService | Where-Object { $_.Binary -eq 'nova-compute' -and $_.HostName -like 'compute*' -and $_.HostName -ne 'compute2' }).HostName)

    # Nova's own record of the live migrations off a host since a time: start, end, and how many ran at once.
    function Get-LabMigrationWindow([string] $HostName, [datetime] $Since) {
        $m = @(Get-OSMigration -HostName $HostName -Type Live -Since $Since | Where-Object { $_.SourceHost -eq $HostName -and $_.CreatedAt -ge $Since })
        $events = foreach ($x in $m) { [pscustomobject]@{ T = $x.CreatedAt; D = 1 }; [pscustomobject]@{ T = $x.UpdatedAt; D = -1 } }
        $now = 0; $max = 0
        foreach ($e in ($events | Sort-Object T, D)) { $now += $e.D; if ($now -gt $max) { $max = $now } }
        [pscustomobject]@{ Count = $m.Count; MaxConcurrent = $max; Records = $m }
    }
}

AfterAll {
    Invoke-LabScenario cleanup
}

Describe 'Get-OSMigrationPlan on the lab' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute2 4 m1.tiny
    }

    It 'places every instance of a host, explains each choice, and counts its own earlier choices' {
        $plan = Get-OSMigrationPlan -SourceHost compute2
        $plan.Count | Should -Be 4
        $plan | ForEach-Object {
            $_.Placement | Should -Be 'Placed'
            $_.DestinationHost | Should -BeIn $OtherComputes
            $_.Reason | Should -Match 'passes the checks and is left least used'
            $_.Checks.CanMigrate | Should -BeTrue
        }
        # Spread: each goes to the host left least used, counting the plan's earlier choices, so however the seed
        # instances sit (cirros_vm alone, or with the Cinder seeds on compute1) no host that received one ends more
        # than one m1.tiny above the least used destination.
        $summary = Get-OSMigrationPlan -SourceHost compute2 -Summary
        ($summary.Hosts | Where-Object HostName -eq compute2).MemoryUsedMBAfter | Should -Be 0
        $ends = @($summary.Hosts | Where-Object HostName -in $OtherComputes)
        $lowest = ($ends | Measure-Object MemoryUsedMBAfter -Minimum).Minimum
        foreach ($h in @($ends | Where-Object InstancesIn -gt 0)) { $h.MemoryUsedMBAfter - $lowest | Should -BeLessOrEqual 512 }
        foreach ($h in $ends) {
            $h.MemoryUsedMBAfter | Should -Be ($h.MemoryUsedMB + 512 * @($plan | Where-Object DestinationHost -eq $h.HostName).Count)
        }
    }

    It 'reports instances no destination can take, and Move-OSInstance refuses them rather than asking the scheduler' {
        Invoke-LabScenario disable compute3 'maint-pester'
        try {
            $plan = Get-OSMigrationPlan -SourceHost compute2 -DestinationHost compute3
            $plan | ForEach-Object {
                $_.Placement | Should -Be 'Unplaceable'
                $_.DestinationHost | Should -BeNullOrEmpty
                $_.Reason | Should -Match 'compute3: The compute service on compute3 is disabled \(maint-pester\)'
            }
            $before = Get-HostInstances compute2
            $errors = $null
            $plan | Move-OSInstance -Wait -Confirm:$false -ErrorVariable errors -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
            $errors.Count | Should -Be 4
            $errors[0].FullyQualifiedErrorId | Should -Be 'OSPlanItemUnplaceable,OpenStackMigration.Commands.MoveOSInstanceCommand'
            (Get-HostInstances compute2).Count | Should -Be $before.Count
        }
        finally { Invoke-LabScenario enable compute3 }
    }

    It 'names an unknown source host' {
        { Get-OSMigrationPlan -SourceHost no-such-host -ErrorAction Stop } | Should -Throw -ErrorId 'OSComputeHostNotFound,OpenStackMigration.Commands.GetOSMigrationPlanCommand'
    }

    It 'prints the plan for Start-OSHostMaintenance -WhatIf and changes nothing' {
        $state = Join-Path $TestDrive 'whatif.json'
        $script = "Import-Module '$ModulePath'; `$env:OS_CLIENT_CONFIG_FILE = '$LabCloudsYaml'; `$null = Connect-OSCloud -Cloud $LabCloud; Start-OSHostMaintenance compute2 -Reason 'maint-pester whatif' -StatePath '$state' -WhatIf"
        # This pwsh again, as a new process (the pinned one runs as `dotnet pwsh.dll`): -WhatIf writes to the host.
        $exe = (Get-Process -Id $PID).Path
        $lead = @(if ($exe -match 'dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
        $out = (& $exe @lead -NoProfile -Command $script) -join "`n"
        $out | Should -Match 'What if: Disable the compute service on compute2 \(reason: maint-pester whatif\) and move 4 instance\(s\)'
        $out | Should -Match 'crowd-compute2-1 \(.*m1\.tiny\) live -> compute[13-9]'
        (Get-OSComputeService -HostName compute2).Status | Should -Be 'Enabled'
        Test-Path $state | Should -BeFalse
        (Get-HostInstances compute2).Count | Should -Be 4
    }
}

Describe 'Start-OSHostMaintenance drains a host on the lab' -Tag Integration, ApiCap -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute2 10 m1.tiny
        $StatePath = Join-Path $TestDrive 'drain.json'
        $since = (Get-Date).ToUniversalTime().AddSeconds(-5)
        $Report = Start-OSHostMaintenance -HostName compute2 -Reason 'maint-pester drain' -ThrottleLimit 3 -StatePath $StatePath -Confirm:$false
        $Window = Get-LabMigrationWindow compute2 $since
        Write-Host ("  drain: {0} migrations, at most {1} at once (Nova's records), {2:n1} s in all" -f $Window.Count, $Window.MaxConcurrent, $Report.Duration.TotalSeconds)
    }

    It 'moves every instance, each ACTIVE on another host' {
        $Report.Instances.Count | Should -Be 10
        $Report.MovedCount | Should -Be 10
        foreach ($r in $Report.Instances) {
            $vm = Get-OSInstance -Id $r.InstanceId
            $vm.HostName | Should -BeIn $OtherComputes
            $vm.StatusText | Should -Be 'ACTIVE'
            $r.CurrentHost | Should -Be $vm.HostName
            $r.Outcome | Should -Be 'Moved'
            $r.Verdict | Should -Be 'Succeeded'
        }
    }

    It 'leaves the host disabled with the reason and verified empty' {
        $Report.IsEmpty | Should -BeTrue
        $Report.RemainingInstances | Should -BeNullOrEmpty
        (Get-HostInstances compute2).Count | Should -Be 0
        $svc = Get-OSComputeService -HostName compute2
        $svc.Status | Should -Be 'Disabled'
        $svc.DisabledReason | Should -Be 'maint-pester drain'
    }

    It 'never had more than -ThrottleLimit migrations in flight' {
        $Window.Count | Should -Be 10
        $Window.MaxConcurrent | Should -BeLessOrEqual 3
    }

    It 'wrote the state file, and a rerun finds nothing left to do' {
        $saved = Get-Content $StatePath -Raw | ConvertFrom-Json
        $saved.HostName | Should -Be 'compute2'
        @($saved.Instances | Where-Object Outcome -eq 'Moved').Count | Should -Be 10
        $again = Start-OSHostMaintenance -HostName compute2 -Reason 'maint-pester drain' -StatePath $StatePath -Confirm:$false
        $again.Runs | Should -Be 2
        $again.IsEmpty | Should -BeTrue
        ($again.Instances | Where-Object Attempts -gt 1) | Should -BeNullOrEmpty
    }

    It 'Stop-OSHostMaintenance re-enables the host and keeps the state file aside' {
        $svc = Stop-OSHostMaintenance -HostName compute2 -StatePath $StatePath -PassThru -Confirm:$false
        $svc.Status | Should -Be 'Enabled'
        Test-Path $StatePath | Should -BeFalse
        @(Get-ChildItem $TestDrive -Filter 'drain-ended-*.json').Count | Should -Be 1
    }
}

Describe 'An interrupted drain resumes on the lab' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute2 10 m1.tiny
        $StatePath = Join-Path $TestDrive 'resume.json'
    }

    AfterAll { Enable-OSComputeService -HostName compute2 -Confirm:$false }

    It 'stops on Stop (Ctrl+C) with the state recorded, and the rerun empties the host' {
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($ModulePath, $Config, $StatePath)
                Import-Module $ModulePath
                $env:OS_CLIENT_CONFIG_FILE = $Config
                $null = Connect-OSCloud -Cloud osm-lab
                Start-OSHostMaintenance -HostName compute2 -Reason 'maint-pester resume' -ThrottleLimit 2 -StatePath $StatePath -Confirm:$false
            }).AddArgument($ModulePath).AddArgument((Join-Path $LabDir 'clouds.yaml')).AddArgument($StatePath)
        $async = $ps.BeginInvoke()
        $deadline = (Get-Date).AddSeconds(180)
        do {
            Start-Sleep -Milliseconds 500
            $moved = 0
            if (Test-Path $StatePath) { try { $moved = @((Get-Content $StatePath -Raw | ConvertFrom-Json).Instances | Where-Object Outcome -eq 'Moved').Count } catch { } }
        } until ($moved -ge 3 -or $async.IsCompleted -or (Get-Date) -gt $deadline)
        $finishedEarly = $async.IsCompleted
        $ps.Stop()
        $ps.Streams.Error | ForEach-Object { Write-Host "  interrupted run: $_" }
        $ps.Dispose()
        $finishedEarly | Should -BeFalse -Because 'the drain of 10 cannot finish before 3 have moved'

        $moved | Should -BeGreaterOrEqual 3
        $interrupted = Get-Content $StatePath -Raw | ConvertFrom-Json
        $interrupted.FinishedAt | Should -BeNullOrEmpty
        @($interrupted.Instances | Where-Object Outcome -eq 'Moved').Count | Should -BeLessThan 10
        @($interrupted.Instances | Where-Object Outcome -eq 'InFlight').Count | Should -BeLessOrEqual 2
        (Get-HostInstances compute2).Count | Should -BeGreaterThan 0
        Write-Host ("  interrupted with {0} moved, {1} in flight, {2} not started" -f @($interrupted.Instances | Where-Object Outcome -eq 'Moved').Count, @($interrupted.Instances | Where-Object Outcome -eq 'InFlight').Count, @($interrupted.Instances | Where-Object Outcome -eq 'Pending').Count)

        $report = Start-OSHostMaintenance -HostName compute2 -Reason 'maint-pester resume' -ThrottleLimit 2 -StatePath $StatePath -Confirm:$false
        $report.Runs | Should -Be 2
        $report.IsEmpty | Should -BeTrue
        $report.MovedCount | Should -Be 10
        ($report.Instances | Where-Object Attempts -gt 1) | Should -BeNullOrEmpty
        (Get-HostInstances compute2).Count | Should -Be 0
        Get-OSInstance -Name 'crowd-compute2-*' -AllProjects | ForEach-Object { $_.StatusText | Should -Be 'ACTIVE' }
    }
}

Describe 'Balancing a crowded host on the lab' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute2 8 m1.tiny
    }

    It 'moves just enough to bring the host to the mean, never pushing another host past the tolerance band' {
        $plan = Get-OSMigrationPlan -SourceHost compute2 -DestinationHost compute1, compute3 -Goal Balance -TolerancePercent 20 -Summary
        $before = Get-OSHypervisor compute1, compute2, compute3
        $plan.Items | Where-Object CanMigrate | Move-OSInstance -Wait -ThrottleLimit 3 -Confirm:$false | ForEach-Object { $_.Verdict | Should -Be 'Succeeded' }
        # Placement releases a source's allocation when Nova's source host has finished cleaning up: wait for it to agree with the plan.
        $deadline = (Get-Date).AddSeconds(90)
        do {
            $after = Get-OSHypervisor compute1, compute2, compute3
            $settled = @($after | Where-Object { $_.MemoryMB.Used -ne ($plan.Hosts | Where-Object HostName -eq $_.HostName).MemoryUsedMBAfter }).Count -eq 0
            if (-not $settled) { Start-Sleep -Seconds 2 }
        } until ($settled -or (Get-Date) -gt $deadline)
        Write-Host '  RAM used (MB) per host, before -> after:'
        foreach ($h in $before) {
            $a = $after | Where-Object Name -eq $h.Name
            Write-Host ("    {0}: {1} -> {2} ({3}% -> {4}%)" -f $h.Name, $h.MemoryMB.Used, $a.MemoryMB.Used, $h.MemoryMB.UsedPercent, $a.MemoryMB.UsedPercent)
        }

        # All m1.tiny (512 MB): compute2 keeps as many as fit within 20% of the mean use, and moves the rest.
        $totalMB = ($before | Measure-Object { $_.MemoryMB.Used } -Sum).Sum
        $keep = [Math]::Floor($totalMB / 3 * 1.2 / 512)
        $plan.PlacedCount | Should -Be (8 - $keep)
        (Get-HostInstances compute2).Count | Should -Be $keep
        $mean = $plan.MeanMemoryPercent
        foreach ($h in $after) {
            $h.MemoryMB.Used | Should -Be (($plan.Hosts | Where-Object HostName -eq $h.HostName).MemoryUsedMBAfter)
        }
        ($after | Where-Object Name -ne compute2 | ForEach-Object { 100.0 * $_.MemoryMB.Used / $_.MemoryMB.Capacity }) | ForEach-Object { $_ | Should -BeLessOrEqual ($mean * 1.2 + 0.001) }
        $plan.Items | ForEach-Object { $_.Reason | Should -Match '^Balance: compute2 uses RAM' }
    }
}
