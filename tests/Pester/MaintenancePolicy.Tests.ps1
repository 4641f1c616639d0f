# Drains an admin can leave running at night (issue 16), against the real OpenStack of the lab: instances that
# cannot move live (paused, suspended, stopped, in an affinity group), anti-affinity groups, the circuit breaker
# tripped by a destination whose pre-check really fails, and the re-enable rule. Every Describe starts from
# `scenario.sh cleanup`; server groups made here are deleted at the end.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $LabSkipReason = Get-LabSkipReason
    $SkipLab = [bool]$LabSkipReason
    if ($SkipLab) { Write-Host "Maintenance policy integration tests skipped: $LabSkipReason." }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $Session = Connect-Lab
    $StateDir = Join-Path ([IO.Path]::GetTempPath()) ("osm-policy-" + [guid]::NewGuid().ToString('N'))

    function New-LabGroupServer([string] $Name, [string] $GroupId, [string] $HostName) {
        Invoke-LabOS server create $Name --flavor m1.tiny --image cirros --nic none --host $HostName --hint "group=$GroupId" --wait -f value -c id
    }

    function New-LabGroup([string] $Name, [string] $Policy, [int] $MaxPerHost = 0) {
        $id = if ($MaxPerHost) { Invoke-LabOS server group create $Name --policy $Policy --rule "max_server_per_host=$MaxPerHost" --os-compute-api-version 2.64 -f value -c id }
              else { Invoke-LabOS server group create $Name --policy $Policy -f value -c id }
        $script:Groups += @("$id".Trim())
        "$id".Trim()
    }

    $script:Groups = @()
}

AfterAll {
    Invoke-LabScenario cleanup
    foreach ($g in $script:Groups) { try { Invoke-LabOS server group delete $g | Out-Null } catch { Write-Host "  could not delete group ${g}: $_" } }
    Remove-Item $StateDir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'What can move, before anything moves' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute2 4 m1.tiny
        Invoke-LabOS server pause crowd-compute2-1 | Out-Null
        Invoke-LabOS server suspend crowd-compute2-2 | Out-Null
        Invoke-LabOS server stop crowd-compute2-3 | Out-Null
        Wait-LabStatus crowd-compute2-1 PAUSED
        Wait-LabStatus crowd-compute2-2 SUSPENDED
        Wait-LabStatus crowd-compute2-3 SHUTOFF
    }

    It 'classifies paused as live, suspended as cannot move and stopped as cold only, with the reason' {
        $plan = Get-OSMigrationPlan -SourceHost compute2
        $by = @{}; $plan | ForEach-Object { $by[$_.InstanceName] = $_ }
        $by['crowd-compute2-1'].Migratability | Should -Be 'Live'
        $by['crowd-compute2-1'].Placement | Should -Be 'Placed'
        $by['crowd-compute2-2'].Migratability | Should -Be 'CannotMove'
        $by['crowd-compute2-2'].Reason | Should -Match 'SUSPENDED: Nova live-migrates only ACTIVE or PAUSED'
        $by['crowd-compute2-3'].Migratability | Should -Be 'ColdOnly'
        $by['crowd-compute2-3'].Reason | Should -Match '-NonLiveMigratable Cold'
        $by['crowd-compute2-4'].Migratability | Should -Be 'Live'
    }

    It '-NonLiveMigratable Fail refuses the drain and changes nothing' {
        $path = Join-Path $StateDir 'fail.json'
        { Start-OSHostMaintenance compute2 -Reason 'osm-policy fail' -NonLiveMigratable Fail -StatePath $path -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSMaintenanceNotLiveMigratable,OpenStackMigration.Commands.StartOSHostMaintenanceCommand'
        (Get-OSComputeService -HostName compute2).Status | Should -Be 'Enabled'
        Test-Path $path | Should -BeFalse
        @(Get-OSInstance -HostName compute2 -AllProjects).Count | Should -Be 4
    }

    It '-NonLiveMigratable Cold moves the stopped one cold and the paused one live; the suspended one stays with its reason' {
        $path = Join-Path $StateDir 'cold.json'
        $r = Start-OSHostMaintenance compute2 -Reason 'osm-policy cold' -NonLiveMigratable Cold -StatePath $path -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $rec = @{}; $r.Instances | ForEach-Object { $rec[$_.InstanceName] = $_ }
        $rec['crowd-compute2-1'].Outcome | Should -Be 'Moved'
        $rec['crowd-compute2-1'].Kind | Should -Be 'Live'
        $rec['crowd-compute2-3'].Outcome | Should -Be 'Moved'
        $rec['crowd-compute2-3'].Kind | Should -Be 'Cold'
        $rec['crowd-compute2-2'].Outcome | Should -Be 'Unplaceable'
        (Get-OSInstance -Name crowd-compute2-1).Status | Should -Be 'Paused'
        (Get-OSInstance -Name crowd-compute2-3).Status | Should -Be 'Shutoff'
        $r.Left | Should -HaveCount 1
        $r.Left[0] | Should -Match '^crowd-compute2-2 \(SUSPENDED\): Unplaceable: crowd-compute2-2 is SUSPENDED'
        $errs.FullyQualifiedErrorId | Should -Contain 'OSHostNotEmpty,OpenStackMigration.Commands.StartOSHostMaintenanceCommand'
    }
}

Describe 'Server groups in a drain' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        $anti = New-LabGroup osm-policy-anti anti-affinity 2
        $aff = New-LabGroup osm-policy-aff affinity
        New-LabGroupServer osm-anti-1 $anti compute2 | Out-Null
        New-LabGroupServer osm-anti-2 $anti compute2 | Out-Null
        New-LabGroupServer osm-aff-1 $aff compute2 | Out-Null
        New-LabGroupServer osm-aff-2 $aff compute2 | Out-Null
    }

    It 'refuses the affinity group with the reason, and moves the anti-affinity members one at a time to hosts that keep the policy' {
        $since = (Get-Date).ToUniversalTime().AddSeconds(-2)
        $path = Join-Path $StateDir 'groups.json'
        $r = Start-OSHostMaintenance compute2 -Reason 'osm-policy groups' -ThrottleLimit 3 -StatePath $path -Confirm:$false -ErrorAction SilentlyContinue
        $rec = @{}; $r.Instances | ForEach-Object { $rec[$_.InstanceName] = $_ }
        foreach ($n in 'osm-aff-1', 'osm-aff-2') {
            $rec[$n].Outcome | Should -Be 'Unplaceable'
            $rec[$n].Reason | Should -Match "affinity group 'osm-policy-aff' with 1 other member\(s\) on compute2"
            (Get-OSInstance -Name $n).HostName | Should -Be 'compute2'
        }
        $hosts = foreach ($n in 'osm-anti-1', 'osm-anti-2') { $rec[$n].Outcome | Should -Be 'Moved'; (Get-OSInstance -Name $n).HostName }
        $hosts | Should -Not -Contain 'compute2'
        ($hosts | Select-Object -Unique).Count | Should -Be 2
        # Nova's own records: the second member's migration was created after the first one's ended.
        $m = @(Get-OSMigration -HostName compute2 -Type Live -Since $since | Where-Object { $_.SourceHost -eq 'compute2' } | Sort-Object CreatedAt)
        $m.Count | Should -Be 2
        $m[1].CreatedAt | Should -BeGreaterOrEqual $m[0].UpdatedAt
    }
}

Describe 'The circuit breaker and the re-enable rule' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute2 3 m1.tiny
        # Every other compute refuses the CPU, however many the lab has.
        $script:Refusing = @((Get-OSComputeService -Binary nova-compute).HostName | Where-Object { $_ -ne 'compute2' })
        foreach ($h in $Refusing) { Invoke-LabScenario refuse-cpu $h on }
    }

    AfterAll {
        foreach ($h in $Refusing) { Invoke-LabScenario refuse-cpu $h off }
    }

    It 'stops after -MaxFailures real failures, starts nothing more, leaves the host disabled and says why' {
        $path = Join-Path $StateDir 'breaker.json'
        $r = Start-OSHostMaintenance compute2 -Reason 'osm-policy breaker' -MaxFailures 1 -ThrottleLimit 1 -StatePath $path -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.BreakerTripped | Should -BeTrue
        $r.StopReason | Should -Match 'after 1 failed migration\(s\) \(-MaxFailures 1\)'
        @($r.Instances | Where-Object Outcome -eq 'Failed').Count | Should -Be 1
        @($r.Instances | Where-Object Outcome -eq 'NotStarted').Count | Should -Be 2
        ($r.Instances | Where-Object Outcome -eq 'Failed').Cause | Should -Not -Be 'None'
        $r.Left | Should -HaveCount 3
        $errs.FullyQualifiedErrorId | Should -Contain 'OSMaintenanceCircuitBreakerTripped,OpenStackMigration.Commands.StartOSHostMaintenanceCommand'
        $svc = Get-OSComputeService -HostName compute2
        $svc.Status | Should -Be 'Disabled'
        $svc.DisabledReason | Should -Be 'osm-policy breaker'
        # Nova tried exactly one migration.
        @(Get-OSMigration -HostName compute2 -Type Live -Since $r.StartedAt.UtcDateTime.AddSeconds(-2) | Where-Object SourceHost -eq compute2).Count | Should -Be 1
    }

    It 'Stop-OSHostMaintenance leaves a host someone else disabled since, with a warning; -Force enables it' {
        $path = Join-Path $StateDir 'breaker.json'
        Invoke-LabScenario disable compute2 'osm-policy hardware fault'
        $svc = Stop-OSHostMaintenance compute2 -StatePath $path -PassThru -Confirm:$false -WarningVariable warn -WarningAction SilentlyContinue
        $warn | Should -Match "compute2 stays disabled: its disabled reason is now reason 'osm-policy hardware fault', not the maintenance's 'osm-policy breaker'"
        (Get-OSComputeService -HostName compute2).Status | Should -Be 'Disabled'
        Test-Path $path | Should -BeTrue
        Stop-OSHostMaintenance compute2 -StatePath $path -Force -Confirm:$false
        (Get-OSComputeService -HostName compute2).Status | Should -Be 'Enabled'
        Test-Path $path | Should -BeFalse
    }
}

Describe 'Failback' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute2 2 m1.tiny
    }

    It 'puts the drained instances back on their origin host, each with a verdict' {
        $path = Join-Path $StateDir 'failback.json'
        $r = Start-OSHostMaintenance compute2 -Reason 'osm-policy failback' -StatePath $path -Confirm:$false
        $r.IsEmpty | Should -BeTrue
        $back = @(Stop-OSHostMaintenance compute2 -StatePath $path -Failback -ThrottleLimit 2 -Confirm:$false | Where-Object { $_ -is [OpenStackMigration.Model.MigrationResult] })
        $back.Count | Should -Be 2
        $back | ForEach-Object { $_.Verdict | Should -Be 'Succeeded'; $_.DestinationHost | Should -Be 'compute2' }
        foreach ($n in 'crowd-compute2-1', 'crowd-compute2-2') { (Get-OSInstance -Name $n).HostName | Should -Be 'compute2' }
        (Get-OSComputeService -HostName compute2).Status | Should -Be 'Enabled'
    }
}
