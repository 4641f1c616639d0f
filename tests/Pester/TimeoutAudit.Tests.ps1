# Test-OSMigrationTimeout against the lab's real files and running services: the nova services of this machine (the
# conductor and scheduler read .lab/etc/nova/nova.conf; compute2's nova-compute runs in the container nova_compute),
# compute3 over SSH (its systemd nova-compute), the lab's haproxy.cfg and keystone.conf. The expected values are read
# from the files with grep, never from the cmdlet. Only copies are edited; the lab's own files are left alone.

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
    }
    $script:Node = "127.0.0.1:$($Parts.OSM_LAB_NODE_SSH_PORT)"
    $script:NodeSsh = @{ UserName = 'root'; KeyFilePath = $Parts.OSM_LAB_NODE_KEY; KnownHostsPath = $Parts.OSM_LAB_NODE_KNOWN_HOSTS; HostKeyPolicy = 'Strict' }
    $script:Keystone = Join-Path $Parts.OSM_LAB_DIR 'etc/keystone/keystone.conf'
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) ("osm-audit-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Work | Out-Null

    # The last assignment of a [DEFAULT] option in a file, as oslo.config reads it (grep, not the module).
    function Get-LastDefault([string] $Path, [string] $Name) {
        $section = ''; $value = $null
        foreach ($line in Get-Content $Path) {
            if ($line -match '^\[(.+)\]\s*$') { $section = $Matches[1] }
            elseif ($section -eq 'DEFAULT' -and $line -match "^$Name\s*[=:]\s*(.*)$") { $value = $Matches[1].Trim() }
        }
        $value
    }
    # What -WhatIf prints goes to the host: run the line in a fresh pwsh and read its output.
    function Invoke-WhatIf([string] $Line) {
        $exe = [Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
        $lead = @(if ($exe -match 'dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
        & $exe @lead -NoProfile -NonInteractive -Command "Import-Module '$script:ModulePath'; $Line" 2>&1 | Out-String
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Work -ErrorAction SilentlyContinue
}

Describe 'Test-OSMigrationTimeout on the lab' -Tag 'Integration' -Skip:([bool]$LabSkip) {
    It 'reads the effective values of every running nova service of this machine, and the lab''s proxies' {
        $conf = Join-Path $Parts.OSM_LAB_DIR 'etc/nova/nova.conf'
        $expected = Get-LastDefault $conf 'long_rpc_timeout'
        $r = @(Test-OSMigrationTimeout -HAProxyPath $Parts.OSM_LAB_HAPROXY_CFG -KeystoneConfigPath $Keystone -IncludePassed)
        $conductor = $r | Where-Object { $_.Service -eq 'nova-conductor' -and $_.Rule -eq 'TimeoutChain.LongRpcBelowRpc' }
        $conductor | Should -Not -BeNullOrEmpty
        $conductor.Value | Should -Be $expected
        if ($null -ne $expected) {
            $conductor.Path | Should -Be $conf
            $conductor.Source | Should -Be "${conf}:$((Select-String -Path $conf -Pattern '^long_rpc_timeout\s*=' | Select-Object -Last 1).LineNumber)"
            # A scenario's long_rpc_timeout below 60 (the lab leaves rpc_response_timeout at its default) is an Error.
            $conductor.Severity | Should -Be $(if ([int]$expected -lt 60) { 'Error' } else { 'OK' })
        }
        # compute2's nova-compute is read inside its container.
        ($r | Where-Object { $_.Service -eq 'nova-compute' -and $_.Path -like '/proc/*/root/etc/nova/nova.conf' }) | Should -Not -BeNullOrEmpty

        $nova = $r | Where-Object { $_.Rule -eq 'TimeoutChain.HAProxyBelowRpc' -and $_.Api -eq 'nova' }
        $line = Select-String -Path $Parts.OSM_LAB_HAPROXY_CFG -Pattern '^\s*timeout server (\S+)' | Where-Object { $_.LineNumber -gt (Select-String -Path $Parts.OSM_LAB_HAPROXY_CFG -Pattern '^listen nova_api').LineNumber } | Select-Object -First 1
        $nova.Value | Should -Be $line.Matches[0].Groups[1].Value
        $nova.Source | Should -Be "$($Parts.OSM_LAB_HAPROXY_CFG):$($line.LineNumber) (listen nova_api_external)"
        ($r | Where-Object { $_.Rule -eq 'TimeoutChain.HAProxyClientBelowServer' }).Api | Sort-Object | Should -Be @('cinder', 'glance', 'keystone', 'neutron', 'nova', 'placement')
        ($r | Where-Object Layer -eq 'Keystone').ValueSeconds | Should -Be 3600
        $r[0].PSObject.TypeNames[0] | Should -Be 'OpenStackMigration.Model.OSTimeoutFinding'
    }

    It 'reads compute3 over SSH: its systemd nova-compute and its own nova.conf' {
        $r = @(Test-OSMigrationTimeout -ComputerName $Node @NodeSsh -HAProxyPath /nonexistent/haproxy.cfg -KeystoneConfigPath /nonexistent/keystone.conf -IncludePassed)
        $token = $r | Where-Object { $_.Rule -eq 'TimeoutChain.NoServiceUserToken' }
        $token.ComputerName | Should -Be $Node
        $token.Service | Should -Be 'nova-compute'
        $token.Path | Should -Be '/etc/nova/nova.conf'
        $seen = & ssh -p $Parts.OSM_LAB_NODE_SSH_PORT -i $Parts.OSM_LAB_NODE_KEY -o "UserKnownHostsFile=$($Parts.OSM_LAB_NODE_KNOWN_HOSTS)" -o StrictHostKeyChecking=yes -o BatchMode=yes root@127.0.0.1 "grep -n '^send_service_user_token' /etc/nova/nova.conf"
        $token.Source | Should -Be "/etc/nova/nova.conf:$(($seen -split ':')[0])"
        $token.Value | Should -Be (($seen -split '=')[1].Trim())
        @($r | Where-Object Layer -eq 'HAProxy').Count | Should -Be 0
    }

    It 'finds a nova proxy cut below nova''s timeout in a copy of the lab''s haproxy.cfg, and its fix pipes into Set-OSMigrationTimeout -WhatIf' {
        $cfg = Join-Path $Work 'haproxy.cfg'
        $text = Get-Content -Raw $Parts.OSM_LAB_HAPROXY_CFG
        $cut = $text -replace '(?ms)(listen nova_api_external.*?timeout server )\S+', '${1}30s'
        $cut | Should -Not -Be $text
        Set-Content -Path $cfg -Value $cut -NoNewline
        $conf = Join-Path $Work 'nova.conf'
        Set-Content -Path $conf -Value "[DEFAULT]`nrpc_response_timeout = 90`n[service_user]`nsend_service_user_token = true`n" -NoNewline

        $r = @(Test-OSMigrationTimeout -HAProxyPath $cfg -NovaConfigFile $conf -CinderConfigFile $conf -KeystoneConfigPath $Keystone)
        $f = $r | Where-Object { $_.Rule -eq 'TimeoutChain.HAProxyBelowRpc' -and $_.Api -eq 'nova' }
        $f.Severity | Should -Be 'Error'
        $f.Value | Should -Be '30s'
        $f.Seconds | Should -Be 90
        $f.Fix | Should -Be "Set-OSMigrationTimeout -Seconds 90 -HAProxyPath $cfg -Restart"
        $f.Why | Should -Match "rpc_response_timeout 90 s"

        # Piped: the largest Seconds is planned, and haproxy gets it plus the 10 s margin, in the copy only.
        $hash = (Get-FileHash $cfg).Hash
        # A smaller Seconds and one without any come after the finding: the largest still wins, the empty one is skipped.
        $out = Invoke-WhatIf "@(Test-OSMigrationTimeout -HAProxyPath '$cfg' -NovaConfigFile '$conf' -CinderConfigFile '$conf' -KeystoneConfigPath '$Keystone') + @([pscustomobject]@{ ComputerName = 'localhost'; Seconds = 45 }, [pscustomobject]@{ ComputerName = 'localhost'; Seconds = `$null }) | Set-OSMigrationTimeout -HAProxyPath '$cfg' -WhatIf -Verbose"
        $out | Should -Match "Seconds = 90 on 1 node\(s\); haproxy 'timeout server' = 100 s"
        $out | Should -Match ([regex]::Escape("${cfg};") + '.*timeout server 30s ->\s+timeout server 100s')
        $out | Should -Match 'carries no Seconds'
        (Get-FileHash $cfg).Hash | Should -Be $hash
    }

    It 'leaves a chain Set-OSMigrationTimeout aligned without problems' {
        $cfg = Join-Path $Work 'aligned.cfg'
        Copy-Item $Parts.OSM_LAB_HAPROXY_CFG $cfg
        $conf = Join-Path $Work 'aligned-nova.conf'
        Set-Content -Path $conf -Value "[DEFAULT]`nrpc_response_timeout = 60`n[service_user]`nsend_service_user_token = true`n" -NoNewline
        $changes = @(Set-OSHAProxyTimeout -Seconds 50 -Path $cfg -Confirm:$false)
        $changes.Count | Should -BeGreaterThan 0
        @(Test-OSMigrationTimeout -HAProxyPath $cfg -NovaConfigFile $conf -CinderConfigFile $conf -KeystoneConfigPath $Keystone | Where-Object Rule -eq 'TimeoutChain.HAProxyBelowRpc').Count | Should -Be 2
        # What Set-OSMigrationTimeout writes to haproxy (Seconds + 10) passes the audit's rule.
        $null = Set-OSHAProxyTimeout -Seconds 70 -Path $cfg -Confirm:$false
        @(Test-OSMigrationTimeout -HAProxyPath $cfg -NovaConfigFile $conf -CinderConfigFile $conf -KeystoneConfigPath $Keystone | Where-Object Rule -eq 'TimeoutChain.HAProxyBelowRpc').Count | Should -Be 0
    }
}
