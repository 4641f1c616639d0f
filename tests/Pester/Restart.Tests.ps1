# Every restart route of the module against real service managers in the lab: systemd (nova-compute as a unit in the
# lab's systemd-nspawn machine, over SSH), Pacemaker (haproxy as the resource p_haproxy, through crm and pcs) and
# a Kolla-style container (compute2's nova-compute as the podman container nova_compute, also through a docker name).
# Each restart is proven by a new pid read from the manager itself and a healthy service afterwards (for
# nova-compute: a new report in Nova); each failure by the manager's own state. Skipped when the lab is down.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $script:LabSkip = if ($env:OSM_LAB_SKIP_REASON) { $env:OSM_LAB_SKIP_REASON }
    elseif (-not (Test-Path (Join-Path $script:LabDir 'parts.env'))) { "the lab is not up with its real parts ($script:LabDir/parts.env is missing; run build.ps1 Lab)" }
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $script:ModulePath -Force
    $script:Parts = @{}
    if (Test-Path (Join-Path $script:LabDir 'parts.env')) {
        Get-Content (Join-Path $script:LabDir 'parts.env') | Where-Object { $_ -match '^(\w+)=(.*)$' } | ForEach-Object { $script:Parts[$Matches[1]] = $Matches[2] }
        $null = Connect-Lab
    }
    $script:Node = "127.0.0.1:$($Parts.OSM_LAB_NODE_SSH_PORT)"
    $script:NodeSsh = @{ UserName = 'root'; KeyFilePath = $Parts.OSM_LAB_NODE_KEY; KnownHostsPath = $Parts.OSM_LAB_NODE_KNOWN_HOSTS; HostKeyPolicy = 'Strict' }

    # A command on the systemd node through the system's own ssh client (an independent witness).
    function Invoke-NodeShell([string] $Command) {
        $out = & ssh -p $Parts.OSM_LAB_NODE_SSH_PORT -i $Parts.OSM_LAB_NODE_KEY -o "UserKnownHostsFile=$($Parts.OSM_LAB_NODE_KNOWN_HOSTS)" -o StrictHostKeyChecking=yes -o BatchMode=yes root@127.0.0.1 $Command 2>&1
        if ($LASTEXITCODE -ne 0) { throw "ssh '$Command' failed: $out" }
        $out
    }
    function Get-NodeMainPid { [int](Invoke-NodeShell 'systemctl show -p MainPID --value nova-compute') }
    function Get-ContainerPid { [int](& podman inspect -f '{{.State.Pid}}' $Parts.OSM_LAB_CONTAINER) }
    function Get-HAProxyPid { [int]((Get-Content $Parts.OSM_LAB_HAPROXY_PIDFILE -ErrorAction SilentlyContinue | Select-Object -First 1) -as [int]) }
    function Get-ResourceRole { ([xml](& crm_mon -1 --output-as=xml)).SelectNodes("//resource[@id='p_haproxy']").role }
    function Test-PublicKeystone {
        & curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert $Parts.OSM_LAB_CACERT $Parts.OSM_LAB_KEYSTONE_URL 2>$null
    }
    function Wait-Until([scriptblock] $Condition, [int] $Seconds, [string] $What) {
        $end = (Get-Date).AddSeconds($Seconds)
        while (-not (& $Condition)) {
            if ((Get-Date) -gt $end) { throw "timed out after $Seconds s waiting for $What" }
            Start-Sleep -Milliseconds 500
        }
    }
    # What -WhatIf prints goes to the host, not to a stream: run the line in a fresh pwsh and read its output.
    function Invoke-WhatIf([string] $Line) {
        $script = "Import-Module '$script:ModulePath'; `$env:OS_CLIENT_CONFIG_FILE = '$script:LabCloudsYaml'; `$null = Connect-OSCloud -Cloud $script:LabCloud; $Line"
        # This pwsh again, as a new process (the pinned one runs as `dotnet pwsh.dll`).
        $exe = [Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
        $lead = @(if ($exe -match 'dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
        & $exe @lead -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
    }
}

Describe 'Restarts through systemd on a real systemd node' -Tag 'Integration' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $script:savedConf = Invoke-NodeShell 'cat /etc/nova/nova.conf' | Out-String
        Invoke-NodeShell 'cp -p /etc/nova/nova.conf /root/nova.conf.pester' | Out-Null
    }
    AfterAll {
        # Back to the lab's own file and a running, reporting compute3, whatever a test left.
        Invoke-NodeShell 'cp -p /root/nova.conf.pester /etc/nova/nova.conf && systemctl reset-failed nova-compute; systemctl restart nova-compute' | Out-Null
        Wait-Until { (Get-OSComputeService -HostName $Parts.OSM_LAB_NODE_NAME).State -eq 'Up' } 60 'compute3 up'
    }

    It 'restarts nova-compute with systemctl: a new MainPID, and a new report in Nova' {
        $before = Get-NodeMainPid
        $r = Restart-OSService nova-compute -ComputerName $Node @NodeSsh -Confirm:$false
        $r.Manager | Should -Be 'Systemd'
        $r.Service | Should -Be 'nova-compute'
        $r.Command | Should -Be "systemctl restart -- 'nova-compute'"
        $r.Error | Should -BeNullOrEmpty
        $r.Restarted | Should -BeTrue
        $r.OldProcessId | Should -Be $before
        $after = Get-NodeMainPid
        $after | Should -Not -Be $before
        $r.ProcessId | Should -Be $after
        $r.State | Should -Be 'active (running)'
        $r.ComputeHost | Should -Be $Parts.OSM_LAB_NODE_NAME
        $r.ReportedToNova | Should -BeTrue
        (Get-OSComputeService -HostName $Parts.OSM_LAB_NODE_NAME).State | Should -Be 'Up'
    }

    It 'Set-OSMigrationTimeout -Restart changes the node''s nova.conf and the running nova-compute sees it' {
        $before = Get-NodeMainPid
        $r = @(Set-OSMigrationTimeout -Seconds 301 -ComputerName $Node @NodeSsh -Restart -Confirm:$false)
        $change = $r | Where-Object { $_.Path -eq '/etc/nova/nova.conf' -and $_.Setting -eq 'rpc_response_timeout' }
        $change.Action | Should -BeIn 'Updated', 'Inserted'
        $change.Restarted | Should -BeTrue
        $after = Get-NodeMainPid
        $after | Should -Not -Be $before
        $change.RestartedServices | Should -Be "nova-compute (Systemd, pid $before -> $after)"
        (Invoke-NodeShell 'grep -E "^rpc_response_timeout *=" /etc/nova/nova.conf') | Should -Match '= 301$'
        $seen = Get-OSRpcTimeout -Service nova -ComputerName $Node @NodeSsh | Where-Object { $_.Service -eq 'nova-compute' -and $_.Setting -eq 'rpc_response_timeout' }
        $seen.ProcessId | Should -Be $after
        $seen.Seconds | Should -Be 301
    }

    It 'Set-OSRpcTimeout -Restart sets long_rpc_timeout on the node and restarts only the nova services it runs' {
        $before = Get-NodeMainPid
        $r = Set-OSRpcTimeout -Seconds 1802 -Service nova -Setting long_rpc_timeout -ComputerName $Node @NodeSsh -Restart -Confirm:$false
        $r.Action | Should -BeIn 'Updated', 'Inserted'
        $after = Get-NodeMainPid
        $r.RestartedServices | Should -Be "nova-compute (Systemd, pid $before -> $after)"
        $seen = Get-OSRpcTimeout -Service nova -ComputerName $Node @NodeSsh | Where-Object { $_.Service -eq 'nova-compute' -and $_.Setting -eq 'long_rpc_timeout' }
        $seen.ProcessId | Should -Be $after
        $seen.Seconds | Should -Be 1802
    }

    It 'catches a unit that dies after systemctl restart returned, and names journalctl' {
        # debug = maybe is not a boolean: nova-compute exits at start; systemctl restart itself succeeds.
        Invoke-NodeShell "sed -i 's/^\[DEFAULT\]/[DEFAULT]\ndebug = maybe/' /etc/nova/nova.conf" | Out-Null
        try {
            $r = Restart-OSService nova-compute -ComputerName $Node @NodeSsh -RestartTimeoutSec 30 -Confirm:$false -ErrorVariable failures -ErrorAction SilentlyContinue
            $r.Restarted | Should -BeFalse
            $r.ErrorId | Should -Be 'OSServiceUnhealthy'
            $r.Error | Should -Match "journalctl -u nova-compute"
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'OSServiceUnhealthy*'
            (Invoke-NodeShell 'systemctl is-active nova-compute; true') | Should -Not -Be 'active'
        }
        finally {
            Invoke-NodeShell 'cp -p /root/nova.conf.pester /etc/nova/nova.conf && systemctl reset-failed nova-compute; systemctl restart nova-compute' | Out-Null
        }
    }

    It 'catches a nova-compute that runs but never reports to Nova (its message queue unreachable)' {
        Invoke-NodeShell "sed -i 's/^\[DEFAULT\]/[DEFAULT]\ntransport_url = rabbit:\/\/nobody:nothing@127.0.0.1:9\//' /etc/nova/nova.conf" | Out-Null
        try {
            $r = Restart-OSService nova-compute -ComputerName $Node @NodeSsh -RestartTimeoutSec 30 -Confirm:$false -ErrorAction SilentlyContinue
            $r.ErrorId | Should -Be 'OSServiceNotReporting'
            $r.ReportedToNova | Should -BeFalse
            $r.State | Should -Be 'active (running)'
            $r.Error | Should -Match "nova-compute on host '$($Parts.OSM_LAB_NODE_NAME)' has not reported to Nova in 30 s"
        }
        finally {
            Invoke-NodeShell 'cp -p /root/nova.conf.pester /etc/nova/nova.conf && systemctl restart nova-compute' | Out-Null
        }
    }

    It 'refuses a service the node does not run, and restarts nothing' {
        $before = Get-NodeMainPid
        { Restart-OSService cinder-volume -ComputerName $Node @NodeSsh -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSServiceNotFound*'
        { Restart-OSService nova-compute, cinder-volume -ComputerName $Node @NodeSsh -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSServiceNotFound*'
        Get-NodeMainPid | Should -Be $before
    }

    It 'restarts nodes one after another: -WhatIf shows the order, and the second starts from the pid the first left' {
        $known = Join-Path $TestDrive 'known_hosts'
        Copy-Item $Parts.OSM_LAB_NODE_KNOWN_HOSTS $known
        # The same machine named twice is two nodes in a row.
        $names = "'127.0.0.1:$($Parts.OSM_LAB_NODE_SSH_PORT)', 'localhost:$($Parts.OSM_LAB_NODE_SSH_PORT)'"
        $out = Invoke-WhatIf "Restart-OSService nova-compute -ComputerName $names -UserName root -KeyFilePath '$($Parts.OSM_LAB_NODE_KEY)' -KnownHostsPath '$known' -WhatIf"
        $out | Should -Match "127\.0\.0\.1:$($Parts.OSM_LAB_NODE_SSH_PORT) \(node 1 of 2 in rolling order\): restart nova-compute \(Systemd: systemctl restart -- 'nova-compute'\)"
        $out | Should -Match "localhost:$($Parts.OSM_LAB_NODE_SSH_PORT) \(node 2 of 2 in rolling order\)"

        $before = Get-NodeMainPid
        $r = @(Restart-OSService nova-compute -ComputerName "127.0.0.1:$($Parts.OSM_LAB_NODE_SSH_PORT)", "localhost:$($Parts.OSM_LAB_NODE_SSH_PORT)" -UserName root -KeyFilePath $Parts.OSM_LAB_NODE_KEY -KnownHostsPath $known -Confirm:$false -WarningAction SilentlyContinue)
        $r.Count | Should -Be 2
        $r.Order | Should -Be 1, 2
        $r[0].OldProcessId | Should -Be $before
        $r[1].OldProcessId | Should -Be $r[0].ProcessId
        $r[1].ProcessId | Should -Be (Get-NodeMainPid)
    }
}

Describe 'Restarts through Pacemaker: haproxy as p_haproxy' -Tag 'Integration' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $script:cfg = $Parts.OSM_LAB_HAPROXY_CFG
        $script:savedCfg = [IO.File]::ReadAllBytes($cfg)
    }
    AfterAll {
        [IO.File]::WriteAllBytes($script:cfg, $script:savedCfg)
        & crm resource cleanup p_haproxy *> $null
        & crm -w resource restart p_haproxy *> $null
        Wait-Until { (Get-ResourceRole) -eq 'Started' -and (Test-PublicKeystone) -eq '200' } 60 'p_haproxy started and Keystone answering over https'
    }

    It 'Set-OSHAProxyTimeout -Reload finds p_haproxy behind "haproxy", restarts it with crm, and the APIs answer again' {
        $before = Get-HAProxyPid
        $r = Set-OSHAProxyTimeout -Seconds 91 -Path $cfg -Reload -Confirm:$false
        $r | ForEach-Object { $_.Action | Should -BeIn 'Updated', 'Inserted' }
        $after = Get-HAProxyPid
        $after | Should -Not -Be $before
        $r[0].Restarted | Should -BeTrue
        $r[0].RestartedServices | Should -Be "p_haproxy (Crm, pid $before -> $after)"
        Get-ResourceRole | Should -Be 'Started'
        Test-PublicKeystone | Should -Be '200'
        (Get-OSHAProxyTimeout -Path $cfg | Where-Object SectionType -eq 'defaults').Seconds | Should -Be 91
    }

    It 'restarts through pcs when asked, and by the resource''s own name' {
        $before = Get-HAProxyPid
        $r = Restart-OSService haproxy -Manager Pcs -HAProxyConfigPath $cfg -Confirm:$false
        $r.Manager | Should -Be 'Pcs'
        $r.Service | Should -Be 'p_haproxy'
        $r.Restarted | Should -BeTrue
        $r.State | Should -Be 'Started'
        $r.ProcessId | Should -Be (Get-HAProxyPid)
        $r.ProcessId | Should -Not -Be $before

        $again = Restart-OSService p_haproxy -HAProxyConfigPath $cfg -Confirm:$false
        $again.Manager | Should -Be 'Crm'
        $again.OldProcessId | Should -Be $r.ProcessId
        $again.ProcessId | Should -Be (Get-HAProxyPid)
        $again.ProcessId | Should -Not -Be $r.ProcessId
        Test-PublicKeystone | Should -Be '200'
    }

    It 'refuses a manager this machine does not have (systemd is not its init system) and restarts nothing' {
        $before = Get-HAProxyPid
        $bytes = [IO.File]::ReadAllBytes($cfg)
        { Restart-OSService haproxy -Manager Systemd -HAProxyConfigPath $cfg -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSServiceManagerNotInstalled*'
        { Set-OSHAProxyTimeout -Seconds 93 -Path $cfg -Reload -Manager Systemd -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSServiceManagerNotInstalled*'
        [IO.File]::ReadAllBytes($cfg) | Should -Be $bytes
        Get-HAProxyPid | Should -Be $before
    }

    It 'restarts nothing when the file fails haproxy -c' {
        $before = Get-HAProxyPid
        [IO.File]::WriteAllText($cfg, [Text.Encoding]::UTF8.GetString($savedCfg) + "`nlisten osm_bad`n    timeout server = 600`n")
        try {
            { Restart-OSService haproxy -HAProxyConfigPath $cfg -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSConfigValidationFailed*'
            Get-HAProxyPid | Should -Be $before
            Get-ResourceRole | Should -Be 'Started'
        }
        finally { [IO.File]::WriteAllBytes($cfg, $savedCfg) }
    }

    It 'catches a restart that crm calls done although haproxy did not start (a port already in use), and names crm resource cleanup' {
        # haproxy -c accepts a bind to a port that is taken; only the start fails. Keystone's own port is taken.
        $keystonePort = ([uri]((& bash -c ". '$($Parts.OSM_LAB_OPENRC)'; openstack endpoint list --service identity --interface internal -f value -c URL" 2>$null) | Select-Object -First 1)).Port
        $keystonePort | Should -BeGreaterThan 0
        [IO.File]::WriteAllText($cfg, [Text.Encoding]::UTF8.GetString($savedCfg) + "`nlisten osm_port_taken`n    mode http`n    bind 127.0.0.1:$keystonePort`n    server k 127.0.0.1:$keystonePort`n")
        & haproxy -c -f $cfg *> $null
        $LASTEXITCODE | Should -Be 0
        try {
            $r = Restart-OSService haproxy -HAProxyConfigPath $cfg -RestartTimeoutSec 30 -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failures
            $r.Restarted | Should -BeFalse
            $r.ErrorId | Should -Be 'OSServiceUnhealthy'
            $r.Error | Should -Match "crm resource cleanup 'p_haproxy'"
            $r.State | Should -Match 'Stopped'
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'OSServiceUnhealthy*'
            Get-ResourceRole | Should -Be 'Stopped'
        }
        finally {
            [IO.File]::WriteAllBytes($cfg, $savedCfg)
            & crm resource cleanup p_haproxy *> $null
            Wait-Until { (Get-ResourceRole) -eq 'Started' -and (Test-PublicKeystone) -eq '200' } 60 'p_haproxy started again after cleanup'
        }
    }
}

Describe 'Restarts of a Kolla-style container: nova_compute under podman' -Tag 'Integration' -Skip:([bool]$LabSkip) {
    BeforeAll {
        $script:conf = $Parts.OSM_LAB_CONTAINER_CONF
        $script:savedConf = [IO.File]::ReadAllBytes($conf)
        $script:savedPath = $env:PATH
    }
    AfterAll {
        $env:PATH = $script:savedPath
        [IO.File]::WriteAllBytes($script:conf, $script:savedConf)
        & podman start $Parts.OSM_LAB_CONTAINER *> $null
        Wait-Until { (Get-OSComputeService -HostName $Parts.OSM_LAB_CONTAINER_HOST).State -eq 'Up' } 60 "$($Parts.OSM_LAB_CONTAINER_HOST) up"
    }

    It 'restarts nova-compute as the container nova_compute with podman: a new pid and a new report in Nova' {
        $before = Get-ContainerPid
        $r = Restart-OSService nova-compute -Manager Podman -Confirm:$false
        $r.Manager | Should -Be 'Podman'
        $r.Service | Should -Be $Parts.OSM_LAB_CONTAINER
        $r.Restarted | Should -BeTrue
        $r.OldProcessId | Should -Be $before
        $r.ProcessId | Should -Be (Get-ContainerPid)
        $r.ProcessId | Should -Not -Be $before
        $r.ComputeHost | Should -Be $Parts.OSM_LAB_CONTAINER_HOST
        $r.ReportedToNova | Should -BeTrue
    }

    It 'finds the container through a docker command first, as on a Kolla node' {
        $env:PATH = (Split-Path $Parts.OSM_LAB_DOCKER) + ':' + $script:savedPath
        try {
            $before = Get-ContainerPid
            $r = Restart-OSService nova-compute -Confirm:$false
            $r.Manager | Should -Be 'Docker'
            $r.Command | Should -Be "docker restart -- '$($Parts.OSM_LAB_CONTAINER)'"
            $r.Restarted | Should -BeTrue
            $r.ProcessId | Should -Be (Get-ContainerPid)
            $r.ProcessId | Should -Not -Be $before
        }
        finally { $env:PATH = $script:savedPath }
    }

    It 'Set-OSDebugLogging -Restart on the container''s file restarts only the container, and the service sees debug on' {
        $before = Get-ContainerPid
        # The container's output goes to compute2's log in the lab's log folder; only lines written after the restart count.
        $log = Join-Path $script:LabDir "log/nova-compute-$($Parts.OSM_LAB_CONTAINER_HOST).log"
        $skip = @(Get-Content $log).Count
        $r = Set-OSDebugLogging -Enabled $true -Service nova -Path $conf -ConfigFile $conf -Restart -Confirm:$false -WarningAction SilentlyContinue
        $r.Action | Should -BeIn 'Updated', 'Inserted'
        $r.Restarted | Should -BeTrue
        $after = Get-ContainerPid
        $r.RestartedServices | Should -Be "$($Parts.OSM_LAB_CONTAINER) (Podman, pid $before -> $after)"
        (& podman exec $Parts.OSM_LAB_CONTAINER grep -E '^debug *=' /etc/nova/nova.conf) | Should -Match '= true$'
        Wait-Until { @(Get-Content $log | Select-Object -Skip $skip | Where-Object { $_ -match ' DEBUG ' }).Count -gt 0 } 60 'DEBUG lines from the restarted nova-compute'
        Set-OSDebugLogging -Enabled $false -Service nova -Path $conf -ConfigFile $conf -Restart -Confirm:$false -WarningAction SilentlyContinue | Out-Null
    }

    It 'catches a container that podman restarted but that exited, and names podman logs' {
        [IO.File]::WriteAllText($conf, ([Text.Encoding]::UTF8.GetString($savedConf) -replace '(?m)^\[DEFAULT\]', "[DEFAULT]`ndebug = maybe"))
        try {
            $r = Restart-OSService nova-compute -Manager Podman -RestartTimeoutSec 30 -Confirm:$false -ErrorAction SilentlyContinue
            $r.Restarted | Should -BeFalse
            $r.ErrorId | Should -Be 'OSServiceUnhealthy'
            $r.State | Should -Match '^exited'
            $r.Error | Should -Match "podman logs --tail 50 '$($Parts.OSM_LAB_CONTAINER)'"
            (& podman inspect -f '{{.State.Status}}' $Parts.OSM_LAB_CONTAINER) | Should -Be 'exited'
        }
        finally {
            [IO.File]::WriteAllBytes($conf, $savedConf)
            & podman start $Parts.OSM_LAB_CONTAINER *> $null
        }
    }
}
