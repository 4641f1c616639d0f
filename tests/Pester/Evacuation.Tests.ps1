# Evacuating a failed host (issue 16), against the lab's real Nova: compute4's nova-compute is stopped for real, the
# module checks it is down and fenced (and marks it forced down on request), and Nova rebuilds its instances on other
# hosts. The lab puts compute4 back (start-compute clears forced_down) and cleanup deletes what was made here.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $LabSkipReason = Get-LabSkipReason
    $SkipLab = [bool]$LabSkipReason
    if ($SkipLab) { Write-Host "Evacuation integration tests skipped: $LabSkipReason." }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $Session = Connect-Lab
    $StateDir = Join-Path ([IO.Path]::GetTempPath()) ("osm-evac-" + [guid]::NewGuid().ToString('N'))
    $StatePath = Join-Path $StateDir 'compute4-evacuation.json'
    $Failed = 'compute4'
    function Get-Hosts { $h = @{}; Get-OSInstance -Name 'crowd-compute4-*' -AllProjects | ForEach-Object { $h[$_.Name] = $_.HostName }; $h }
}

AfterAll {
    Invoke-LabScenario start-compute compute4
    Invoke-LabScenario cleanup
    Remove-Item $StateDir -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Evacuating a host that is down' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        Invoke-LabScenario cleanup
        Invoke-LabScenario crowd compute4 3 m1.tiny
        Invoke-LabOS server stop crowd-compute4-2 | Out-Null
        Invoke-LabOS server pause crowd-compute4-3 | Out-Null
        Wait-LabStatus crowd-compute4-2 SHUTOFF
        Wait-LabStatus crowd-compute4-3 PAUSED
    }

    It 'refuses a host whose compute service is up, naming the drain, and changes nothing' {
        { Invoke-OSHostEvacuation $Failed -ForceDown -StatePath $StatePath -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSHostNotDown,OpenStackMigration.Commands.InvokeOSHostEvacuationCommand'
        $err = $null
        try { Invoke-OSHostEvacuation $Failed -ForceDown -StatePath $StatePath -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
        $err.ErrorDetails.RecommendedAction | Should -Match 'Start-OSHostMaintenance -HostName compute4'
        (Get-OSComputeService -HostName $Failed).ForcedDown | Should -BeFalse
        (Get-Hosts).Values | Should -Be @('compute4', 'compute4', 'compute4')
        Test-Path $StatePath | Should -BeFalse
    }

    It 'refuses a host that does not exist' {
        { Invoke-OSHostEvacuation nosuchhost -ForceDown -StatePath $StatePath -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSComputeHostNotFound,OpenStackMigration.Commands.InvokeOSHostEvacuationCommand'
    }

    Context 'compute4 stopped' {
        BeforeAll { Invoke-LabScenario stop-compute compute4 }

        It 'refuses a host that is down but not forced down without -ForceDown, and changes nothing' {
            $err = $null
            try { Invoke-OSHostEvacuation $Failed -StatePath $StatePath -Confirm:$false -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'OSHostNotFenced,OpenStackMigration.Commands.InvokeOSHostEvacuationCommand'
            $err.Exception.Message | Should -Match 'The compute service on compute4 is down \(its last report was \d{4}-\d\d-\d\d '
            $err.ErrorDetails.RecommendedAction | Should -Match '-ForceDown'
            $svc = Get-OSComputeService -HostName $Failed
            $svc.State | Should -Be 'Down'
            $svc.ForcedDown | Should -BeFalse
            Test-Path $StatePath | Should -BeFalse
        }

        It '-WhatIf changes nothing' {
            Invoke-OSHostEvacuation $Failed -ForceDown -StatePath $StatePath -WhatIf
            (Get-OSComputeService -HostName $Failed).ForcedDown | Should -BeFalse
            (Get-Hosts).Values | Should -Be @('compute4', 'compute4', 'compute4')
            Test-Path $StatePath | Should -BeFalse
        }

        It 'with -ForceDown marks it forced down, rebuilds the ACTIVE and SHUTOFF instances elsewhere with a verdict each, and refuses the paused one' {
            $records = Invoke-OSHostEvacuation $Failed -ForceDown -ThrottleLimit 2 -TimeoutSec 120 -StatePath $StatePath -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
            $by = @{}; $records | ForEach-Object { $by[$_.InstanceName] = $_ }
            $now = Get-Hosts

            (Get-OSComputeService -HostName $Failed).ForcedDown | Should -BeTrue
            foreach ($name in 'crowd-compute4-1', 'crowd-compute4-2') {
                $by[$name].Outcome | Should -Be 'Evacuated'
                $by[$name].CurrentHost | Should -Not -Be 'compute4'
                $by[$name].CurrentHost | Should -Be $now[$name]
                $by[$name].MigrationStatus | Should -BeIn @('done', 'completed')
                $by[$name].RequestId | Should -Match '^req-'
                $by[$name].Loses | Should -Contain ('its local root disk (1 GB): rebuilt from image ' + (Get-OSInstance -Name $name).ImageId + ' unless the instances directory is on shared storage')
                $evac = Get-OSMigration -InstanceId $by[$name].InstanceId | Where-Object Id -eq $by[$name].MigrationId
                $evac.MigrationType | Should -Be 'evacuation'
                $evac.SourceHost | Should -Be 'compute4'
            }

            $by['crowd-compute4-1'].Loses | Should -Contain 'its memory and running processes (it is rebuilt and booted afresh)'
            $by['crowd-compute4-1'].StatusAfter | Should -Be 'ACTIVE'
            $by['crowd-compute4-2'].Loses | Should -Not -Contain 'its memory and running processes (it is rebuilt and booted afresh)'
            $by['crowd-compute4-2'].StatusAfter | Should -Be 'SHUTOFF'
            $by['crowd-compute4-3'].Outcome | Should -Be 'Refused'
            $by['crowd-compute4-3'].Reason | Should -Match 'It is PAUSED; Nova evacuates only ACTIVE, SHUTOFF and ERROR instances'
            $now['crowd-compute4-3'] | Should -Be 'compute4'
            $errs.FullyQualifiedErrorId | Should -Contain 'OSInstanceNotEvacuated,OpenStackMigration.Commands.InvokeOSHostEvacuationCommand'
            $errs.FullyQualifiedErrorId | Should -Contain 'OSHostNotEmpty,OpenStackMigration.Commands.InvokeOSHostEvacuationCommand'
            (Get-Content $StatePath -Raw | ConvertFrom-Json).Instances.Count | Should -Be 3
        }

        It 'a rerun asks Nova for nothing twice: what was evacuated keeps its verdict' {
            $records = Invoke-OSHostEvacuation $Failed -StatePath $StatePath -Confirm:$false -ErrorAction SilentlyContinue
            $by = @{}; $records | ForEach-Object { $by[$_.InstanceName] = $_ }
            $by['crowd-compute4-1'].Outcome | Should -Be 'Evacuated'
            $by['crowd-compute4-1'].Attempts | Should -Be 1
            $by['crowd-compute4-2'].Attempts | Should -Be 1
            @(Get-OSMigration -InstanceId $by['crowd-compute4-1'].InstanceId | Where-Object MigrationType -eq 'evacuation').Count | Should -Be 1
            (Get-Content $StatePath -Raw | ConvertFrom-Json).Runs | Should -Be 2
        }

        It 'Enable-OSComputeService -ClearForcedDown is refused with what to do while compute4 has not restarted, and brings it back once it has' {
            $err = $null
            Enable-OSComputeService -HostName $Failed -ClearForcedDown -Confirm:$false -ErrorVariable err -ErrorAction SilentlyContinue
            $err[0].FullyQualifiedErrorId | Should -Be 'OSForcedDownNotCleared,OpenStackMigration.Commands.EnableOSComputeServiceCommand'
            $err[0].Exception.Message | Should -Match 'Nova keeps nova-compute on compute4 forced down: Unable to force up host compute4 as `done` evacuation migration records remain'
            $err[0].ErrorDetails.RecommendedAction | Should -Match 'Start nova-compute on the repaired compute4 first'
            (Get-OSComputeService -HostName $Failed).ForcedDown | Should -BeTrue

            # The repaired host's nova-compute starts while still forced down, and completes the evacuations as it starts.
            Invoke-LabScenario launch-compute compute4
            $svc = $null
            $until = (Get-Date).AddSeconds(90)
            while (-not $svc -and (Get-Date) -lt $until) {
                Start-Sleep -Seconds 2
                $svc = Enable-OSComputeService -HostName $Failed -ClearForcedDown -PassThru -Confirm:$false -ErrorAction SilentlyContinue
            }
            $svc.ForcedDown | Should -BeFalse
            $svc.HostName | Should -Be 'compute4'
            (Get-OSComputeService -HostName $Failed).ForcedDown | Should -BeFalse
            (Get-OSMigration -InstanceId (Get-OSInstance -Name crowd-compute4-1).Id | Where-Object MigrationType -eq 'evacuation').Status | Should -Be 'completed'
        }
    }
}
