# How the module fits an admin's hands, driven as a user drives it against the lab: Tab completion from the cloud,
# Wait-OSMigration reattaching to migrations started by the openstack CLI, node cmdlets fed from Get-OSComputeService
# through the Add-OSNode map, and runbooks (pwsh -File exit codes, no prompts, thinned progress in hosted runspaces).
BeforeDiscovery { $SkipLab = [bool]$env:OSM_LAB_SKIP_REASON }

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $Session = Connect-Lab
    $Vm = 'cirros_vm'
    $VmId = (Get-OSInstance -Name $Vm -AllProjects).Id
    $PwshDll = Join-Path $PSHOME 'pwsh.dll'

    function Get-Completion([string] $Line) { @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches) }
    # The openstack CLI with the lab's openrc: the "someone else" who starts migrations.
    function Invoke-Openstack([string] $Arguments) {
        $out = & bash -c "set -a; . '$LabDir/openrc'; openstack $Arguments" 2>&1
        if ($LASTEXITCODE -ne 0) { throw "openstack $Arguments failed: $out" }
        $out
    }
    # Where the instance is, as the CLI says (not through the module under test).
    function Get-VmHostByCli { (Invoke-Openstack "server show $Vm -f value -c OS-EXT-SRV-ATTR:host" | Select-Object -Last 1).Trim() }
    function Start-CliLiveMigration([string] $To) {
        Invoke-Openstack "--os-compute-api-version 2.68 server migrate --live-migration --host $To $Vm" | Out-Null
    }
    function Wait-MigrationRunning {
        $deadline = (Get-Date).AddSeconds(60)
        do { Start-Sleep -Milliseconds 500; $m = Get-OSMigration -InstanceId $VmId -InProgress } until ($m.Status -eq 'running' -or (Get-Date) -gt $deadline)
        $m.Status | Should -Be 'running' -Because 'the CLI started a live migration that the lab holds'
        $m
    }
    # A pwsh process as Jenkins runs it: the openrc's OS_* in its environment, -NonInteractive, no stdin, output to a log.
    function Invoke-RunbookProcess([string] $Script, [string] $Log) {
        $file = Join-Path $TestDrive "runbook-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content $file $Script
        & bash -c "set -a; . '$LabDir/openrc'; exec dotnet '$PwshDll' -NoProfile -NonInteractive -File '$file' </dev/null >'$Log' 2>&1"
        $LASTEXITCODE
    }

    Invoke-LabScenario cleanup
}

AfterAll {
    Get-OSNode | Remove-OSNode -Confirm:$false
    if (Test-LabUp) { Invoke-LabScenario cleanup }
}

Describe 'Tab completion from the connected cloud' -Tag Integration -Skip:$SkipLab {
    It 'completes instance names, instance ids (from a name typed), compute hosts and migration ids' {
        (Get-Completion 'Move-OSInstance -Name cirros_v').CompletionText | Should -Contain $Vm
        (Get-Completion 'Get-OSMigration -InstanceId cirros_v').CompletionText | Should -Contain $VmId
        $hosts = @(Invoke-Openstack 'compute service list --service nova-compute -f value -c Host' | Where-Object { $_ -like 'compute*' } | Sort-Object)
        @((Get-Completion "Move-OSInstance -Name $Vm -DestinationHost comp").CompletionText | Sort-Object) | Should -Be $hosts
        (Get-Completion 'Get-OSMigrationPlan -SourceHost compute1').CompletionText | Should -Be @('compute1')
        (Get-Completion 'Get-OSHypervisor comp').CompletionText | Should -Contain 'compute2'
        $last = Get-OSMigration -InstanceId $VmId | Select-Object -First 1
        if ($last) { (Get-Completion "Debug-OSMigration -InstanceId $VmId -MigrationId ").CompletionText | Should -Contain "$($last.Id)" }
    }

    It 'completes cloud names from clouds.yaml' {
        (Get-Completion 'Connect-OSCloud -Cloud osm').CompletionText | Should -Be @('osm-lab')
    }

    It 'answers the next Tab from its short cache, asking Nova nothing' {
        # Nova's own request log says whether the second Tab listed the instances again.
        $novaLog = Join-Path $LabDir 'log/nova-api.log'
        function Get-ListingCount { @(Select-String -Path $novaLog -Pattern 'requestlog .*"GET /v2.1/servers/detail' -ErrorAction SilentlyContinue).Count }
        $null = Get-Completion 'Wait-OSMigration -Name cirros'
        $before = Get-ListingCount
        $before | Should -BeGreaterThan 0 -Because 'the first Tab lists the instances, and Nova logs it'
        $again = Get-Completion 'Wait-OSMigration -Name cirros'
        $again.CompletionText | Should -Contain $Vm
        Get-ListingCount | Should -Be $before
    }

    It 'offers nothing, without an error, when no cloud is connected' {
        $out = & dotnet $PwshDll -NoProfile -NonInteractive -Command "Import-Module '$ModulePath'; `$r = TabExpansion2 -inputScript 'Move-OSInstance -Name cirros_v' -cursorColumn 30; 'offered:' + (`$r.CompletionMatches.CompletionText -join ','); `$Error.Count" 2>&1
        $LASTEXITCODE | Should -Be 0
        $out[0] | Should -Be 'offered:'
        [int]$out[-1] | Should -Be 0
    }
}

Describe 'Wait-OSMigration reattaches to migrations started elsewhere' -Tag Integration -Skip:$SkipLab {
    AfterEach { Invoke-LabScenario cleanup }

    It 'gives the verdict of a live migration started by the openstack CLI, from Get-OSMigration -InProgress, with thinned progress in a hosted runspace' {
        Invoke-LabScenario hold-migrations on
        Start-CliLiveMigration compute2
        $running = Wait-MigrationRunning
        # A hosted runspace ("Default Host", as a runbook engine runs scripts) logs every progress record: it gets few.
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$ModulePath'; `$env:OS_CLIENT_CONFIG_FILE = '$(Join-Path $LabDir 'clouds.yaml')'; `$null = Connect-OSCloud -Cloud osm-lab; `$VerbosePreference = 'Continue'").AddStatement().AddScript("Get-OSMigration -InProgress | Where-Object InstanceId -eq '$VmId' | Wait-OSMigration -TimeoutSec 6 -OnTimeout ForceComplete")
        try { $out = @($ps.Invoke()); $progress = @($ps.Streams.Progress); $verbose = @($ps.Streams.Verbose) } finally { $ps.Dispose() }
        $r = $out[0]
        $r.Verdict | Should -Be 'Succeeded'
        $r.MigrationId | Should -Be $running.Id
        $r.SourceHost | Should -Be 'compute1'
        $r.DestinationHost | Should -Be 'compute2'
        $r.ForceCompleted | Should -BeTrue
        $r.RequestId | Should -Match '^req-' -Because 'the action the CLI started is found'
        Get-VmHostByCli | Should -Be 'compute2'
        @($progress | Where-Object RecordType -eq 'Processing').Count | Should -BeLessOrEqual 2 -Because 'one record per activity per 30 s, though the watch polled every half second'
        @($progress | Where-Object RecordType -eq 'Completed').Count | Should -BeGreaterThan 0
        @($verbose | Where-Object Message -match "^Waiting for migration $($running.Id) of cirros_vm").Count | Should -Be 1 -Because 'Verbose keeps the detail'
        @($verbose | Where-Object Message -match '^cirros_vm: Succeeded after').Count | Should -Be 1
    }

    It "takes Move-OSInstance's Accepted results from the pipeline" {
        $r = Move-OSInstance -Name $Vm -DestinationHost compute3 -Confirm:$false | Wait-OSMigration
        $r.Verdict | Should -Be 'Succeeded'
        $r.DestinationHost | Should -Be 'compute3'
        Get-VmHostByCli | Should -Be 'compute3'
    }

    It 'diagnoses a failed migration the CLI started, with its cause and error id' {
        try {
            Invoke-LabScenario disable compute2 'hands test'
            Start-CliLiveMigration compute2
            $m = $null; $deadline = (Get-Date).AddSeconds(60)
            do { Start-Sleep -Milliseconds 500; $m = Get-OSMigration -InstanceId $VmId -Type Live | Select-Object -First 1 } until ($m.Status -eq 'error' -or (Get-Date) -gt $deadline)
            $r = Wait-OSMigration -Id $m.Id -ErrorVariable failed -ErrorAction SilentlyContinue
            $r.Verdict | Should -Be 'Failed'
            $r.FailedEvent | Should -Be 'conductor_live_migrate_instance'
            $r.Cause | Should -Not -Be 'None'
            $r.Diagnosis.Fix | Should -Not -BeNullOrEmpty
            # The CLI's --host is not in Nova's records (the failed record has no destination): the scheduler's words are all there is.
            $r.Reason | Should -Match 'No valid host was found'
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'OSMigrationFailed,*'
            Get-VmHostByCli | Should -Be 'compute1'
        }
        finally { Invoke-LabScenario enable compute2 }
    }

    It 'says so when an instance has no migration in progress' {
        { Wait-OSMigration -InstanceId $VmId -ErrorAction Stop } | Should -Throw -ErrorId 'OSMigrationNotInProgress,OpenStackMigration.Commands.WaitOSMigrationCommand'
    }
}

Describe 'Runbooks: pwsh -File as Jenkins runs it' -Tag Integration -Skip:$SkipLab {
    AfterEach { Invoke-LabScenario cleanup }

    It 'exits 1 and keeps its report when a reattached verdict is not Succeeded under -ErrorAction Stop; no progress in the log' {
        Invoke-LabScenario hold-migrations on
        Start-CliLiveMigration compute2
        $null = Wait-MigrationRunning
        $report = Join-Path $TestDrive 'report.json'
        $log = Join-Path $TestDrive 'abort.log'
        $code = Invoke-RunbookProcess -Log $log -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
Connect-OSCloud | Out-Null
`$results = [System.Collections.Generic.List[object]]::new()
try { Wait-OSMigration -Name $Vm -TimeoutSec 3 -OnTimeout Abort -Verbose | ForEach-Object { `$results.Add(`$_) } }
finally { `$results | Select-Object InstanceName, Verdict, Cause, MigrationStatus, Reason | ConvertTo-Json -EnumsAsStrings | Set-Content '$report' }
'not reached'
"@
        $text = Get-Content $log -Raw
        $code | Should -Be 1 -Because "the verdict is Aborted: $text"
        $r = Get-Content $report -Raw | ConvertFrom-Json
        $r.Verdict | Should -Be 'Aborted'
        $r.MigrationStatus | Should -Be 'cancelled'
        $text | Should -Match 'OSMigrationAborted|was aborted'
        $text | Should -Not -Match 'not reached'
        $text | Should -Not -Match 'Live-migrating cirros_vm: compute1 -> compute2' -Because 'progress is not drawn into a redirected log'
        $text | Should -Not -Match (Get-LabPassword)
        Get-VmHostByCli | Should -Be 'compute1'
    }

    It 'exits 0 when the migration succeeds, without prompting at the default $ConfirmPreference' {
        $log = Join-Path $TestDrive 'ok.log'
        $code = Invoke-RunbookProcess -Log $log -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module '$ModulePath'
Connect-OSCloud | Out-Null
`$r = Move-OSInstance -Name $Vm -DestinationHost compute3 -Wait
"verdict=`$(`$r.Verdict)"
"@
        $code | Should -Be 0 -Because (Get-Content $log -Raw)
        Get-Content $log | Should -Contain 'verdict=Succeeded'
        Get-VmHostByCli | Should -Be 'compute3'
    }
}

Describe 'Nodes named by the cloud' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        $Parts = @{}
        Get-Content (Join-Path $LabDir 'parts.env') | Where-Object { $_ -match '^(\w+)=(.*)$' } | ForEach-Object { $Parts[$Matches[1]] = $Matches[2] }
        $NodeName = $Parts.OSM_LAB_NODE_NAME
        function Invoke-NodeShell([string] $Command) {
            & ssh -p $Parts.OSM_LAB_NODE_SSH_PORT -i $Parts.OSM_LAB_NODE_KEY -o "UserKnownHostsFile=$($Parts.OSM_LAB_NODE_KNOWN_HOSTS)" -o StrictHostKeyChecking=yes -o BatchMode=yes "root@$($Parts.OSM_LAB_NODE_HOST)" $Command 2>&1
        }
        Invoke-NodeShell 'cp -p /etc/nova/nova.conf /root/nova.conf.hands' | Out-Null
    }
    AfterAll {
        Invoke-NodeShell 'cp -p /root/nova.conf.hands /etc/nova/nova.conf && rm -f /root/nova.conf.hands /etc/nova/nova.conf.osm-*.bak' | Out-Null
    }
    AfterEach { Get-OSNode | Remove-OSNode -Confirm:$false }

    It 'reaches a compute host that SSH knows only by address and port, piped from Get-OSComputeService, by its cloud name' {
        Add-OSNode -HostName $NodeName -Address $Parts.OSM_LAB_NODE_HOST -Port $Parts.OSM_LAB_NODE_SSH_PORT -UserName root -KeyFilePath $Parts.OSM_LAB_NODE_KEY -KnownHostsPath $Parts.OSM_LAB_NODE_KNOWN_HOSTS -Role compute-ssh
        $r = @(Get-OSComputeService -Binary nova-compute | Where-Object HostName -eq $NodeName | Set-OSRpcTimeout -Seconds 321 -Service nova -Confirm:$false)
        $r.ComputerName | Sort-Object -Unique | Should -Be $NodeName
        $r.Error | Where-Object { $_ } | Should -BeNullOrEmpty
        @($r | Where-Object Action -in 'Updated', 'Inserted').Count | Should -BeGreaterThan 0
        (Invoke-NodeShell 'grep -E "^rpc_response_timeout" /etc/nova/nova.conf') | Should -Be 'rpc_response_timeout = 321'
        # Named once, by role, with no -ComputerName or SSH options on the line.
        $s = @(Get-OSRpcTimeout -Role compute-ssh -Service nova)
        $s.ComputerName | Sort-Object -Unique | Should -Be $NodeName
        ($s | Where-Object Setting -eq 'rpc_response_timeout').Value | Sort-Object -Unique | Should -Be '321'
    }

    It 'registers hosts at the host_ip the cloud reports (Get-OSHypervisor | Add-OSNode), and without the map the name is not reachable' {
        $hv = Get-OSHypervisor -Name $NodeName -NoCapacity
        $hv | Add-OSNode -Port $Parts.OSM_LAB_NODE_SSH_PORT -UserName root -KeyFilePath $Parts.OSM_LAB_NODE_KEY -KnownHostsPath $Parts.OSM_LAB_NODE_KNOWN_HOSTS
        $n = Get-OSNode -HostName $NodeName
        $n.Address | Should -Be $hv.HostIp
        $n.HasCredential | Should -BeFalse
        Remove-OSNode $NodeName -Confirm:$false
        $r = Get-OSRpcTimeout -ComputerName $NodeName -Service nova -UserName root -KeyFilePath $Parts.OSM_LAB_NODE_KEY -TimeoutSec 3 -ErrorVariable e -ErrorAction SilentlyContinue
        $e.Count | Should -BeGreaterThan 0 -Because "SSH cannot reach '$NodeName' by that name on port 22"
        { Get-OSRpcTimeout -Role nothing-here -ErrorAction Stop } | Should -Throw -ErrorId 'OSNodeRoleEmpty,OpenStackMigration.Commands.GetOSRpcTimeoutCommand'
    }
}
