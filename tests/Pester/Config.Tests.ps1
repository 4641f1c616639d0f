# The config feature as a user drives it: the built module in a fresh pwsh, against real parts.
# Integration tests need root on Debian with haproxy, openssh-server and python3-oslo.config
# (tests/integration-deps.sh installs them); otherwise they are reported as skipped with the reason.

BeforeAll {
    $ModulePath = if ($env:OSM_MODULE_PATH) { $env:OSM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/OpenStackMigration/0.1.0/OpenStackMigration.psd1' }
    Import-Module $ModulePath -Force
    $Samples = if ($env:OSM_SAMPLES_DIR) { $env:OSM_SAMPLES_DIR } else { '/var/tmp/openstackmigration-samples' }
    $IsRoot = $IsLinux -and ((& id -u) -eq '0')
    $IsDebian = Test-Path /etc/debian_version

    function Get-MissingPart([string[]] $Need) {
        if (-not $IsLinux -or -not $IsDebian) { return 'not a Debian system' }
        if (-not $IsRoot) { return 'not running as root' }
        $missing = switch ($Need) {
            'oslo' { & /usr/bin/python3 -c 'import oslo_config' 2>$null; if ($LASTEXITCODE -ne 0) { 'python3-oslo.config' } }
            'haproxy' { if (-not (Test-Path /usr/sbin/haproxy)) { 'haproxy' } }
            'sshd' { if (-not (Test-Path /usr/sbin/sshd)) { 'openssh-server' } }
            'samples' { if (-not (Test-Path (Join-Path $Samples 'nova.conf'))) { "Debian's nova.conf sample" } }
        }
        if ($missing) { return "missing: $($missing -join ', ') (run tests/integration-deps.sh)" }
    }

    # What Debian's python3-oslo.config reads from a file: { section: { key: [values] } } as JSON.
    function Read-WithOslo([string] $Path) {
        $py = "import sys, json`nfrom oslo_config import cfg`ns = {}`ncfg.ConfigParser(sys.argv[1], s).parse()`nprint(json.dumps({k: v for k, v in s.items() if v}, sort_keys=True))"
        $json = & /usr/bin/python3 -c $py $Path
        if ($LASTEXITCODE -ne 0) { throw "oslo.config could not read $Path" }
        $json | ConvertFrom-Json -AsHashtable
    }

    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start()
        try { $l.LocalEndpoint.Port } finally { $l.Stop() }
    }

    $Work = Join-Path ([IO.Path]::GetTempPath()) ("osm-pester-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Path $Work | Out-Null
}

AfterAll {
    Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
}

Describe 'Set-OSRpcTimeout on Debian''s packaged files' -Tag 'Integration' {
    It 'changes only rpc_response_timeout, as python3-oslo.config reads it' {
        $why = Get-MissingPart 'oslo', 'samples'
        if ($why) { Set-ItResult -Skipped -Because $why; return }
        foreach ($svc in 'nova', 'cinder') {
            $path = Join-Path $Work "$svc.conf"
            Copy-Item (Join-Path $Samples "$svc.conf") $path
            $before = Read-WithOslo $path
            $r = Set-OSRpcTimeout -Seconds 300 -Service $svc -Path $path -ConfigFile $path -Confirm:$false
            $r.Action | Should -Be 'Inserted'
            $r.BackupPath | Should -Exist
            $after = Read-WithOslo $path
            $after.DEFAULT.rpc_response_timeout | Should -Be @('300')
            $after.DEFAULT.Remove('rpc_response_timeout')
            ($after | ConvertTo-Json -Depth 5 -Compress) | Should -Be ($before | ConvertTo-Json -Depth 5 -Compress)
            # A re-run changes nothing, not even the file's time stamp.
            $stamp = (Get-Item $path).LastWriteTimeUtc
            (Set-OSRpcTimeout -Seconds 300 -Service $svc -Path $path -ConfigFile $path -Confirm:$false).Action | Should -Be 'Unchanged'
            (Get-Item $path).LastWriteTimeUtc | Should -Be $stamp
        }
    }

    It 'shows the exact line with -WhatIf and writes nothing' {
        $why = Get-MissingPart 'samples'
        if ($why) { Set-ItResult -Skipped -Because $why; return }
        $path = Join-Path $Work 'whatif-nova.conf'
        Copy-Item (Join-Path $Samples 'nova.conf') $path
        # A second copy where rpc_response_timeout is set, so the WhatIf shows a changed line, not only an added one.
        $setPath = Join-Path $Work 'whatif-nova-set.conf'
        (Get-Content $path) -replace '^#rpc_response_timeout = 60$', 'rpc_response_timeout = 60' | Set-Content $setPath
        $bytes = [IO.File]::ReadAllBytes($path); $setBytes = [IO.File]::ReadAllBytes($setPath)
        $stamp = (Get-Item $path).LastWriteTimeUtc
        # Where the lines are, read from the files themselves.
        $sample = @(Select-String -Path $path -Pattern '^#long_rpc_timeout = ')
        $sample.Count | Should -Be 1
        $set = @(Select-String -Path $setPath -Pattern '^rpc_response_timeout = 60$')
        $set.Count | Should -Be 1

        # -WhatIf writes to the host, which no stream redirection catches: run it in a new pwsh and read its output.
        $script = "Import-Module '$ModulePath'; Set-OSRpcTimeout -Seconds 300 -Service nova -Setting long_rpc_timeout -Path '$path' -ConfigFile '$path' -WhatIf; Set-OSRpcTimeout -Seconds 300 -Service nova -Path '$setPath' -ConfigFile '$setPath' -WhatIf"
        $exe = (Get-Process -Id $PID).Path
        $lead = @(if ($exe -match 'dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
        $out = @(& $exe @lead -NoProfile -NonInteractive -Command $script *>&1 | ForEach-Object { "$_" })
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        $whatIf = @($out | Where-Object { $_ -like 'What if:*' })
        $whatIf | Should -Be @(
            "What if: localhost: ${path}; after line $($sample[0].LineNumber): + long_rpc_timeout = 300"
            "What if: localhost: ${setPath}; line $($set[0].LineNumber): rpc_response_timeout = 60 -> rpc_response_timeout = 300"
        ) -Because "it printed: $($whatIf -join ' | ')"

        [IO.File]::ReadAllBytes($path) | Should -Be $bytes
        [IO.File]::ReadAllBytes($setPath) | Should -Be $setBytes
        (Get-Item $path).LastWriteTimeUtc | Should -Be $stamp
        @(Get-ChildItem "$path.osm-*", "$setPath.osm-*").Count | Should -Be 0
    }

    It 'warns that a later file wins, and Get-OSRpcTimeout names it' {
        $why = Get-MissingPart 'oslo'
        if ($why) { Set-ItResult -Skipped -Because $why; return }
        $main = Join-Path $Work 'main.conf'; $later = Join-Path $Work 'nova-compute.conf'
        Set-Content $main "[DEFAULT]`nrpc_response_timeout = 60`n" -NoNewline
        Set-Content $later "[DEFAULT]`nrpc_response_timeout = 90`n" -NoNewline
        $r = Set-OSRpcTimeout -Seconds 300 -Service nova -Path $main -ConfigFile $main, $later -Confirm:$false -WarningVariable warnings 3>$null
        $r.EffectiveValue | Should -Be '90'
        ($warnings -join "`n") | Should -Match ([regex]::Escape($later))
        $g = Get-OSRpcTimeout -Service nova -ConfigFile $main, $later | Where-Object Setting -eq rpc_response_timeout | Select-Object -First 1
        $g.Value | Should -Be '90'
        $g.Path | Should -Be $later
    }

    It 'refuses a file with a byte order mark and leaves it untouched' {
        $path = Join-Path $Work 'bom.conf'
        [IO.File]::WriteAllBytes($path, [byte[]](0xEF, 0xBB, 0xBF) + [Text.Encoding]::ASCII.GetBytes("[DEFAULT]`nx = 1`n"))
        $hash = (Get-FileHash $path).Hash
        { Set-OSRpcTimeout -Seconds 300 -Service cinder -Path $path -ConfigFile $path -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSConfigByteOrderMark,*'
        (Get-FileHash $path).Hash | Should -Be $hash
    }
}

Describe 'Get-OSDebugLogging on this machine' {
    It 'reports the effective debug value, the file and line that win, and every assignment' {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'the local node needs Linux'; return }
        $main = Join-Path $Work 'debug-main.conf'; $later = Join-Path $Work 'debug-later.conf'
        Set-Content $main "[DEFAULT]`ndebug = yes`n" -NoNewline
        Set-Content $later "[DEFAULT]`n#debug = true`n[oslo_concurrency]`ndebug = true`n[DEFAULT]`ndebug = Off`n" -NoNewline
        $r = @(Get-OSDebugLogging -Service cinder -ConfigFile $main, $later)
        $r.Count | Should -BeGreaterThan 0
        foreach ($s in $r) {
            $s.ComputerName | Should -Be 'localhost'
            $s.Setting | Should -Be 'debug'
            $s.Value | Should -Be 'Off'
            $s.Enabled | Should -BeFalse
            $s.Valid | Should -BeTrue
            $s.Path | Should -Be $later
            $s.Source | Should -Be $later
            $s.LineNumber | Should -Be 6
            $s.Occurrences | Should -Be @("${main}:2 = yes", "${later}:6 = Off")
            $s.ConfigFiles | Should -Be @($main, $later)
        }
        $r[0].PSObject.TypeNames[0] | Should -Be 'OpenStackMigration.Model.OSConfigSetting'
        ($r | Out-String) | Should -Match 'debug\s+Off'
    }

    It 'says the default applies when no file sets it' {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'the local node needs Linux'; return }
        $path = Join-Path $Work 'debug-none.conf'
        Set-Content $path "[DEFAULT]`n#debug = true`nrpc_response_timeout = 60`n"
        $s = Get-OSDebugLogging -Service nova -ConfigFile $path | Select-Object -First 1
        $s.Value | Should -BeNullOrEmpty
        $s.Source | Should -Be 'default'
        $s.Enabled | Should -BeFalse
        $s.Valid | Should -BeTrue
        ($s | Out-String) | Should -Match '\(false\)'
    }

    It 'warns when the service would refuse the value' {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'the local node needs Linux'; return }
        $path = Join-Path $Work 'debug-bad.conf'
        Set-Content $path "[DEFAULT]`ndebug = maybe`n"
        $s = Get-OSDebugLogging -Service cinder -ConfigFile $path -WarningVariable warnings 3>$null | Select-Object -First 1
        $s.Valid | Should -BeFalse
        $s.Enabled | Should -BeNullOrEmpty
        ($warnings -join "`n") | Should -Match "debug = 'maybe'.*not a boolean"
    }

    It 'agrees with Set-OSDebugLogging' {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'the local node needs Linux'; return }
        $path = Join-Path $Work 'debug-set.conf'
        Set-Content $path "[DEFAULT]`n# keep me`n#debug = false`n" -NoNewline
        $set = Set-OSDebugLogging -Enabled $true -Service cinder -Path $path -ConfigFile $path -Confirm:$false
        $set.Action | Should -Be 'Inserted'
        $get = Get-OSDebugLogging -Service cinder -ConfigFile $path | Select-Object -First 1
        $get.Enabled | Should -BeTrue
        $get.Value | Should -Be $set.EffectiveValue
        $get.Source | Should -Be $set.EffectiveSource
        $get.LineNumber | Should -Be (Select-String -Path $path -Pattern '^debug = true$').LineNumber
    }
}

Describe 'Set-OSHAProxyTimeout on a running haproxy' -Tag 'Integration' {
    BeforeAll {
        $script:skip = Get-MissingPart 'haproxy'
        if ($script:skip) { return }
        $script:slowPort = Get-FreePort; $script:fePort = Get-FreePort
        # A backend that answers after 2 seconds.
        $py = "import http.server, time`nclass H(http.server.BaseHTTPRequestHandler):`n  def do_GET(self):`n    time.sleep(2); self.send_response(200); self.end_headers(); self.wfile.write(b'ok')`n  def log_message(self, *a): pass`nhttp.server.ThreadingHTTPServer(('127.0.0.1', $slowPort), H).serve_forever()"
        $script:backend = Start-Process /usr/bin/python3 -ArgumentList '-c', "`"$($py -replace '"','\"')`"" -PassThru
        $script:cfg = Join-Path $Work 'haproxy.cfg'
        $script:pidFile = Join-Path $Work 'haproxy.pid'
        Set-Content $cfg @"
global
    maxconn 100

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 1s

listen nova_api
    bind 127.0.0.1:$fePort
    server slow 127.0.0.1:$slowPort
"@
        $script:haproxy = Start-Process /usr/sbin/haproxy -ArgumentList '-W', '-f', $cfg, '-p', $pidFile -PassThru -RedirectStandardError (Join-Path $Work 'haproxy.err')
        $deadline = (Get-Date).AddSeconds(10)
        while (-not (Test-Path $pidFile) -and (Get-Date) -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Start-Sleep -Milliseconds 500
    }
    AfterAll {
        if ($script:haproxy) { Stop-Process -Id $script:haproxy.Id -ErrorAction SilentlyContinue }
        if ($script:backend) { Stop-Process -Id $script:backend.Id -ErrorAction SilentlyContinue }
    }

    It 'turns a 504 into a 200 after validating and reloading' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $url = "http://127.0.0.1:$fePort/"
        (Invoke-WebRequest $url -SkipHttpErrorCheck -TimeoutSec 20).StatusCode | Should -Be 504
        $r = Set-OSHAProxyTimeout -Seconds 10 -Path $cfg -Reload -Manager Signal -PidFile $pidFile -Confirm:$false
        $r.Action | Should -Be 'Updated'
        $r.OldValue | Should -Be '1s'
        $r.Restarted | Should -BeTrue
        Start-Sleep -Seconds 1
        (Invoke-WebRequest $url -SkipHttpErrorCheck -TimeoutSec 20).StatusCode | Should -Be 200
        (Get-OSHAProxyTimeout -Path $cfg -Proxy nova_api).Seconds | Should -Be 10
    }

    It 'never writes a file haproxy rejects, and says when it was already rejected before the edit' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $bad = Join-Path $Work 'bad.cfg'
        Set-Content $bad "defaults`n    timeout server 5s`n    no-such-keyword here`n"
        $hash = (Get-FileHash $bad).Hash
        $e = { Set-OSHAProxyTimeout -Seconds 30 -Path $bad -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSConfigAlreadyInvalid,*' -PassThru
        $e.Exception.Message | Should -Match 'already fails validation'
        $e.Exception.Message | Should -Not -Match '\.osm-'
        (Get-FileHash $bad).Hash | Should -Be $hash
    }
}

Describe 'Remote nodes over a real sshd' -Tag 'Integration' {
    BeforeAll {
        $script:skip = Get-MissingPart 'sshd', 'oslo'
        if ($script:skip) { return }
        $script:sshDir = Join-Path $Work 'ssh'
        $script:ports = @(& sh (Join-Path $PSScriptRoot '../tools/loopback-sshd.sh') start $sshDir 3)
        $script:ssh = @{ UserName = 'root'; KeyFilePath = (Join-Path $sshDir 'id_ed25519'); KnownHostsPath = (Join-Path $sshDir 'known_hosts'); HostKeyPolicy = 'Strict' }
    }
    AfterAll {
        if ($script:sshDir) { & sh (Join-Path $PSScriptRoot '../tools/loopback-sshd.sh') stop $sshDir }
    }

    It 'sets cinder''s timeout over SSH, and oslo.config reads the new value' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $path = Join-Path $Work 'remote-cinder.conf'
        Set-Content $path "[DEFAULT]`r`n# keep me`r`nrpc_response_timeout = 60`r`ndebug = false`r`n" -NoNewline
        $r = Set-OSRpcTimeout -Seconds 240 -Service cinder -Path $path -ConfigFile $path -ComputerName 127.0.0.1 -Port $ports[0] @ssh -Confirm:$false
        $r.ComputerName | Should -Be "127.0.0.1:$($ports[0])"
        $r.Action | Should -Be 'Updated'
        (Read-WithOslo $path).DEFAULT.rpc_response_timeout | Should -Be @('240')
        [IO.File]::ReadAllText($path) | Should -BeExactly "[DEFAULT]`r`n# keep me`r`nrpc_response_timeout = 240`r`ndebug = false`r`n"
    }

    It 'works on several nodes at once and reports each' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $path = Join-Path $Work 'multi.conf'
        Set-Content $path "[DEFAULT]`ndebug = false`n"
        # Three sshd on three ports of one address are three nodes ("host:port").
        $nodes = $ports | ForEach-Object { "127.0.0.1:$_" }
        $results = Get-OSRpcTimeout -Service cinder -ConfigFile $path -ComputerName $nodes @ssh
        @($results).Count | Should -Be 3
        @($results.ComputerName | Sort-Object) | Should -Be @($nodes | Sort-Object)
        $results.Value | Should -Be @($null, $null, $null)
        $on = Set-OSDebugLogging -Enabled $true -Service cinder -Path $path -ConfigFile $path -ComputerName 127.0.0.1 -Port $ports[1] @ssh -Confirm:$false
        $on.NewValue | Should -Be 'true'
        (Read-WithOslo $path).DEFAULT.debug | Should -Be @('true')
    }

    It 'gets debug logging on several nodes, and the environment variable of a running service beats the file' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $path = Join-Path $Work 'debug-remote.conf'
        Set-Content $path "[DEFAULT]`ndebug = false`n"
        $nodes = $ports | ForEach-Object { "127.0.0.1:$_" }
        $all = Get-OSDebugLogging -Service cinder -ConfigFile $path -ComputerName $nodes @ssh
        @($all).Count | Should -Be 3
        @($all.ComputerName | Sort-Object) | Should -Be @($nodes | Sort-Object)
        $all.Enabled | Should -Be @($false, $false, $false)
        $all.Path | Should -Be @($path, $path, $path)

        # A cinder-volume started with OS_DEFAULT__DEBUG=true inside the pid namespace of the third node's sshd.
        $sshArgs = @('-p', $ports[2], '-i', $ssh.KeyFilePath, '-o', "UserKnownHostsFile=$($ssh.KnownHostsPath)", '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'root@127.0.0.1')
        $fakePid = & ssh @sshArgs "OS_DEFAULT__DEBUG=true nohup /usr/bin/python3 -c 'import time; time.sleep(120)' cinder-volume --config-file '$path' </dev/null >/dev/null 2>&1 & echo `$!"
        $LASTEXITCODE | Should -Be 0
        try {
            Start-Sleep -Milliseconds 300
            $s = Get-OSDebugLogging -Service cinder -ComputerName 127.0.0.1 -Port $ports[2] @ssh | Where-Object Service -eq 'cinder-volume'
            $s | Should -Not -BeNullOrEmpty
            $s.ProcessId | Should -BeGreaterThan 0
            $s.ConfigFiles | Should -Contain $path
            $s.Source | Should -Be 'OS_DEFAULT__DEBUG'
            $s.Value | Should -Be 'true'
            $s.Enabled | Should -BeTrue
            $s.Occurrences | Should -Contain "${path}:2 = false"
            # The other nodes (their own pid namespaces) run no cinder service.
            (Get-OSDebugLogging -Service cinder -ComputerName 127.0.0.1 -Port $ports[1] @ssh).Service | Should -Be 'cinder'
        }
        finally {
            & ssh @sshArgs "kill $fakePid" 2>$null
        }
    }

    It 'writes an unreachable node as an error with a stable id, and still reports the others' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $path = Join-Path $Work 'debug-remote.conf'
        $r = Get-OSDebugLogging -Service cinder -ConfigFile $path -ComputerName "127.0.0.1:$($ports[0])", "127.0.0.1:$(Get-FreePort)" @ssh -ErrorVariable errs -ErrorAction SilentlyContinue
        @($r).Count | Should -Be 2
        ($r | Where-Object ErrorId -eq $null).Enabled | Should -BeFalse
        ($r | Where-Object ErrorId).ErrorId | Should -Be 'OSSshConnectionFailed'
        @($errs).Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'OSSshConnectionFailed,OpenStackMigration.Commands.GetOSDebugLoggingCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'ConnectionError'
    }

    It 'refuses a host whose key is not the known one' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $other = Join-Path $Work 'other_known_hosts'
        "[127.0.0.1]:$($ports[2]) ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDA8S7G1MwedQKNAPzYLljm5/YhP6G2ZozoAZYxlcQGb" | Set-Content $other
        $r = Get-OSRpcTimeout -Service cinder -ComputerName 127.0.0.1 -Port $ports[2] -UserName root -KeyFilePath $ssh.KeyFilePath -KnownHostsPath $other -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Error | Should -Match 'does not match the known hosts file'
        $errs[0].FullyQualifiedErrorId | Should -Be 'OSSshHostKeyRejected,OpenStackMigration.Commands.GetOSRpcTimeoutCommand'
    }

    It 'warns when it accepts a host it does not know yet (AcceptNew)' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $empty = Join-Path $Work 'empty_known_hosts'
        Set-Content $empty -Value @()
        $r = Get-OSRpcTimeout -Service cinder -ComputerName 127.0.0.1 -Port $ports[2] -UserName root -KeyFilePath $ssh.KeyFilePath -KnownHostsPath $empty -HostKeyPolicy AcceptNew -WarningVariable warned -WarningAction SilentlyContinue
        $r | Should -Not -BeNullOrEmpty
        ($warned -join ' ') | Should -Match 'is not in the known hosts file; accepted for this connection'
    }

    It 'finds log lines of an instance on a remote node' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $log = Join-Path $Work 'nova-compute.log'
        $id = '0b1c5f6e-2f9c-4a51-9d3c-2f6f0a0e7d11'
        Set-Content $log @(
            "2024-05-01 12:00:00.123 4242 INFO nova.compute.manager [req-6a1c0a2e-1f1e-4c8a-9f0e-8a4a1f0c2b3d admin admin - - default default] [instance: $id] Live migration started"
            "2024-05-01 12:00:01.000 4242 DEBUG oslo_concurrency.lockutils [-] Lock acquired"
            "2024-05-01 12:05:00.456 4242 ERROR nova.compute.manager [req-6a1c0a2e-1f1e-4c8a-9f0e-8a4a1f0c2b3d admin admin - - default default] [instance: $id] MessagingTimeout: Timed out waiting for a reply"
        )
        $e = Find-OSLogEntry -InstanceId $id -Path $log -ComputerName 127.0.0.1 -Port $ports[0] @ssh
        @($e).Count | Should -Be 2
        $e[1].Level | Should -Be 'ERROR'
        $e[1].RequestId | Should -Be 'req-6a1c0a2e-1f1e-4c8a-9f0e-8a4a1f0c2b3d'
        $e[1].Message | Should -Match '^MessagingTimeout'
        $e[0].Timestamp | Should -Be ([datetime]'2024-05-01 12:00:00.123')
    }
}

Describe 'Concurrent Set-* runs on one file' -Tag 'Integration' {
    BeforeAll {
        # Runs in parallel as separate runbooks would: each in a runspace of its own, each with its own setting and value.
        function Invoke-Race([string] $Path, [hashtable] $Node, [int] $Rounds) {
            $module = $ModulePath
            foreach ($round in 1..$Rounds) {
                $jobs = @(
                    @{ Cmd = 'Set-OSRpcTimeout'; Args = @{ Seconds = 100 + $round; Setting = 'rpc_response_timeout' }; Setting = 'rpc_response_timeout'; Value = "$(100 + $round)" }
                    @{ Cmd = 'Set-OSRpcTimeout'; Args = @{ Seconds = 2000 + $round; Setting = 'long_rpc_timeout' }; Setting = 'long_rpc_timeout'; Value = "$(2000 + $round)" }
                    @{ Cmd = 'Set-OSDebugLogging'; Args = @{ Enabled = ($round % 2 -eq 0) }; Setting = 'debug'; Value = if ($round % 2 -eq 0) { 'true' } else { 'false' } }
                ) | ForEach-Object {
                    $j = $_
                    Start-ThreadJob -ArgumentList $module, $j, $Path, $Node -ScriptBlock {
                        param($module, $j, $path, $node)
                        Import-Module $module
                        $a = $j.Args
                        & $j.Cmd @a @node -Service nova -Path $path -ConfigFile $path -Confirm:$false -ErrorAction SilentlyContinue
                    } | Add-Member -PassThru NoteProperty Expect $j
                }
                $null = $jobs | Wait-Job -Timeout 120
                $text = Get-Content $Path -Raw
                foreach ($job in $jobs) {
                    $r = Receive-Job $job
                    $r | Should -Not -BeNullOrEmpty
                    if ($r.Action -in 'Updated', 'Inserted') {
                        $text | Should -Match "(?m)^$($job.Expect.Setting) = $($job.Expect.Value)$" -Because "round ${round}: $($job.Expect.Cmd) reported $($r.Action)"
                        $r.BackupPath | Should -Exist
                    }
                    elseif ($r.Action -eq 'Failed') {
                        $r.ErrorId | Should -Be 'OSConfigChangedConcurrently' -Because $r.Error
                    }
                }
                $jobs | Remove-Job -Force
            }
            @(Get-ChildItem -Force (Split-Path $Path) -Filter ".$(Split-Path -Leaf $Path).osm-*").Count | Should -Be 0
        }
    }

    It 'loses no reported change on this machine' {
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'the local node needs Linux'; return }
        $path = Join-Path $Work 'race-local.conf'
        Set-Content $path "[DEFAULT]`n#debug = false`n" -NoNewline
        Invoke-Race -Path $path -Node @{} -Rounds 4
    }

    It 'loses no reported change over SSH' {
        $why = Get-MissingPart 'sshd'
        if ($why) { Set-ItResult -Skipped -Because $why; return }
        $dir = Join-Path $Work 'race-ssh'
        $port = @(& sh (Join-Path $PSScriptRoot '../tools/loopback-sshd.sh') start $dir 1)[-1]
        try {
            $path = Join-Path $Work 'race-ssh.conf'
            Set-Content $path "[DEFAULT]`n#debug = false`n" -NoNewline
            Invoke-Race -Path $path -Rounds 3 -Node @{ ComputerName = '127.0.0.1'; Port = [int]$port; UserName = 'root'; KeyFilePath = (Join-Path $dir 'id_ed25519'); KnownHostsPath = (Join-Path $dir 'known_hosts'); HostKeyPolicy = 'Strict' }
        }
        finally {
            & sh (Join-Path $PSScriptRoot '../tools/loopback-sshd.sh') stop $dir
        }
    }
}
