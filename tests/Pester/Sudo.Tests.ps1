# -SudoPassword as a user drives it: the built module in a fresh pwsh, over a real sshd, against the real sudo.
# A non-root user of our own (password, sudoers.d entry) reaches 127.0.0.1 over an sshd of its own (the loopback
# nodes of tests/tools/loopback-sshd.sh only take root's key folder) and edits a root-owned file through sudo.
# Needs root on Debian with openssh-server and sudo (tests/integration-deps.sh installs them); otherwise every test
# is reported as skipped with the reason. Everything created (user, home, sudoers entry, sshd) is removed afterwards.

BeforeAll {
    $ModulePath = if ($env:OSM_MODULE_PATH) { $env:OSM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/OpenStackMigration/0.1.0/OpenStackMigration.psd1' }
    Import-Module $ModulePath -Force

    function Get-MissingPart {
        if (-not $IsLinux -or -not (Test-Path /etc/debian_version)) { return 'not a Debian system' }
        if ((& id -u) -ne '0') { return 'not running as root' }
        $missing = @(
            if (-not (Test-Path /usr/sbin/sshd)) { 'openssh-server' }
            if (-not (Test-Path /usr/bin/sudo)) { 'sudo' }
        )
        if ($missing) { return "missing: $($missing -join ', ') (run tests/integration-deps.sh)" }
        foreach ($tool in 'useradd', 'userdel', 'chpasswd', 'visudo', 'ssh-keygen') {
            if (-not (Get-Command $tool -ErrorAction SilentlyContinue)) { return "missing: $tool" }
        }
    }

    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start()
        try { $l.LocalEndpoint.Port } finally { $l.Stop() }
    }

    function Invoke-Checked([string] $File, [string[]] $ArgumentList, [string] $InputText) {
        $out = if ($PSBoundParameters.ContainsKey('InputText')) { $InputText | & $File @ArgumentList 2>&1 } else { & $File @ArgumentList 2>&1 }
        if ($LASTEXITCODE -ne 0) { throw "$File $($ArgumentList -join ' ') failed ($LASTEXITCODE): $out" }
        $out
    }

    # sudoers for our user: 'password' (sudo asks), 'nopasswd', or 'cached' (asks, then remembers for every process).
    function Set-Sudoers([ValidateSet('password', 'nopasswd', 'cached')] [string] $Mode) {
        $rule = if ($Mode -eq 'nopasswd') { "$User ALL=(ALL) NOPASSWD: ALL" } else { "$User ALL=(ALL) ALL" }
        $lines = @($rule)
        if ($Mode -eq 'cached') { $lines = @("Defaults:$User timestamp_type=global, timestamp_timeout=5") + $lines }
        else { $lines = @("Defaults:$User timestamp_timeout=0") + $lines }
        $tmp = "$SudoersFile.new"
        Set-Content -Path $tmp -Value $lines
        & chmod 0440 $tmp
        Invoke-Checked visudo @('-cqf', $tmp) | Out-Null
        Move-Item -Force $tmp $SudoersFile
        Remove-Item "/run/sudo/ts/$User", "/var/run/sudo/ts/$User", "/var/lib/sudo/ts/$User" -ErrorAction SilentlyContinue
    }

    $script:skip = Get-MissingPart
    if ($script:skip) { return }

    $suffix = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $script:User = "osm-sudo-$suffix"
    $script:Work = Join-Path ([IO.Path]::GetTempPath()) "osm-pester-sudo-$suffix"
    $script:SudoersFile = "/etc/sudoers.d/osm-pester-$suffix"
    $script:Pwned = Join-Path $Work 'pwned'
    # A password a shell would run (touch) if it were ever fed to one, with every quoting hazard of sh.
    $script:Password = "Osm $suffix `$HOME;touch '$Pwned';`"q`" \x ``id`` #"
    $script:SecurePassword = ConvertTo-SecureString $Password -AsPlainText -Force
    $script:WrongPassword = ConvertTo-SecureString "$Password-wrong" -AsPlainText -Force

    New-Item -ItemType Directory -Path $Work, "$Work/etc", "$Work/key", "$Work/keys", "$Work/sshd" | Out-Null
    & chmod 755 $Work "$Work/etc" "$Work/keys"
    & chmod 700 "$Work/key" "$Work/sshd"
    Invoke-Checked useradd @('-m', '-d', "$Work/home", '-s', '/bin/sh', $User) | Out-Null
    # chpasswd reads the password on standard input: it is on no command line, not even in this test.
    Invoke-Checked chpasswd @() -InputText "${User}:$Password" | Out-Null
    Set-Sudoers password

    Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', "$Work/key/id_ed25519") | Out-Null
    Invoke-Checked ssh-keygen @('-q', '-t', 'ed25519', '-N', '', '-f', "$Work/sshd/host_ed25519") | Out-Null
    Copy-Item "$Work/key/id_ed25519.pub" "$Work/keys/authorized_keys"
    & chmod 644 "$Work/keys/authorized_keys"
    $script:Port = Get-FreePort
    Set-Content "$Work/sshd/sshd.conf" @"
ListenAddress 127.0.0.1
HostKey $Work/sshd/host_ed25519
PidFile none
AuthorizedKeysFile $Work/keys/authorized_keys
AllowUsers $User
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 64
LogLevel ERROR
"@
    New-Item -ItemType Directory -Force /run/sshd | Out-Null
    $script:Sshd = Start-Process /usr/sbin/sshd -ArgumentList '-D', '-f', "$Work/sshd/sshd.conf", '-p', $Port, '-E', "$Work/sshd/sshd.log" -PassThru
    $deadline = (Get-Date).AddSeconds(10)
    while ($true) {
        try { [System.Net.Sockets.TcpClient]::new('127.0.0.1', $Port).Dispose(); break }
        catch { if ((Get-Date) -gt $deadline) { throw "sshd did not start: $(Get-Content "$Work/sshd/sshd.log" -Raw)" }; Start-Sleep -Milliseconds 100 }
    }
    "[127.0.0.1]:$Port $((Get-Content "$Work/sshd/host_ed25519.pub").Split(' ')[0..1] -join ' ')" | Set-Content "$Work/known_hosts"

    $script:Ssh = @{ ComputerName = "127.0.0.1:$Port"; UserName = $User; KeyFilePath = "$Work/key/id_ed25519"; KnownHostsPath = "$Work/known_hosts"; HostKeyPolicy = 'Strict' }

    # The root-owned file the user can neither read nor write without sudo.
    $script:Conf = "$Work/etc/cinder.conf"
    function Reset-Conf {
        Set-Content $Conf "[DEFAULT]`n# keep me`nrpc_response_timeout = 60`ndebug = false`n" -NoNewline
        & chown root:root $Conf; & chmod 600 $Conf
        Remove-Item "$Conf.osm-*" -ErrorAction SilentlyContinue
    }
    Reset-Conf
}

AfterAll {
    if ($script:skip) { return }
    if ($script:Sshd) { Stop-Process -Id $script:Sshd.Id -ErrorAction SilentlyContinue }
    Remove-Item $script:SudoersFile, "$($script:SudoersFile).new" -Force -ErrorAction SilentlyContinue
    Remove-Item "/run/sudo/ts/$($script:User)" -ErrorAction SilentlyContinue
    if ($script:User) {
        # Its SSH sessions end with the connections; userdel refuses while one is still closing.
        foreach ($i in 1..20) { & userdel $script:User 2>$null; if ($LASTEXITCODE -eq 0) { break }; Start-Sleep -Milliseconds 250 }
    }
    if ($script:Work) { Remove-Item -Recurse -Force $script:Work -ErrorAction SilentlyContinue }
}

Describe 'Sudo with a password on a remote node' -Tag 'Integration' {
    BeforeEach {
        if (-not $script:skip) { Reset-Conf; Set-Sudoers password }
    }

    It 'cannot read the root-owned file without sudo, and -Sudo alone says a password is needed' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $r = Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -ErrorAction SilentlyContinue
        $r.Error | Should -Match 'cannot be read'
        { Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -Sudo -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSSudoPasswordRequired,OpenStackMigration.Commands.GetOSRpcTimeoutCommand'
    }

    It 'reads and sets rpc_response_timeout in a root-owned file with the sudo password' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $before = Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -ErrorAction Stop
        $before.Value | Should -Be '60'
        $before.Path | Should -Be $Conf
        $r = Set-OSRpcTimeout -Seconds 240 -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -Confirm:$false -ErrorAction Stop
        $r.Action | Should -Be 'Updated'
        $r.OldValue | Should -Be '60'
        $r.BackupPath | Should -Exist
        [IO.File]::ReadAllText($Conf) | Should -BeExactly "[DEFAULT]`n# keep me`nrpc_response_timeout = 240`ndebug = false`n"
        (& stat -c '%U:%G %a' $Conf) | Should -Be 'root:root 600'
        (Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -ErrorAction Stop).Value | Should -Be '240'
        (Get-OSDebugLogging -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -ErrorAction Stop).Enabled | Should -BeFalse
        $Pwned | Should -Not -Exist
    }

    It 'refuses a wrong password with OSSudoPasswordRejected and changes nothing' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $hash = (Get-FileHash $Conf).Hash
        { Set-OSRpcTimeout -Seconds 300 -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $WrongPassword -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSSudoPasswordRejected,OpenStackMigration.Commands.SetOSRpcTimeoutCommand'
        $r = Set-OSRpcTimeout -Seconds 300 -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $WrongPassword -Confirm:$false -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Action | Should -Be 'Failed'
        $r.ErrorId | Should -Be 'OSSudoPasswordRejected'
        $errs[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $errs[0].Exception.Message | Should -Match 'sudo did not accept the password'
        $g = Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $WrongPassword -ErrorVariable gerrs -ErrorAction SilentlyContinue
        $g.ErrorId | Should -Be 'OSSudoPasswordRejected'
        @($gerrs).Count | Should -Be 1
        $gerrs[0].FullyQualifiedErrorId | Should -Be 'OSSudoPasswordRejected,OpenStackMigration.Commands.GetOSRpcTimeoutCommand'
        (Get-FileHash $Conf).Hash | Should -Be $hash
        @(Get-ChildItem "$Conf.osm-*" -Force -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'works when sudoers says NOPASSWD, and the password never reaches a shell' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        Set-Sudoers nopasswd
        $r = Set-OSRpcTimeout -Seconds 120 -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -Confirm:$false -ErrorAction Stop
        $r.Action | Should -Be 'Updated'
        (Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $WrongPassword -ErrorAction Stop).Value | Should -Be '120' -Because 'sudo does not ask, so the password is not even read'
        (Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -Sudo -ErrorAction Stop).Value | Should -Be '120'
        $Pwned | Should -Not -Exist -Because 'a naive sudo -S would have fed the password to sh as a command'
    }

    It 'works when sudo has cached credentials' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        Set-Sudoers cached
        (Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -ErrorAction Stop).Value | Should -Be '60'
        # Credentials are now cached for every process of the user: sudo asks nothing, with or without a password.
        $r = Set-OSRpcTimeout -Seconds 90 -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -Confirm:$false -ErrorAction Stop
        $r.Action | Should -Be 'Updated'
        (Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -Sudo -ErrorAction Stop).Value | Should -Be '90'
        (Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $WrongPassword -ErrorAction Stop).Value | Should -Be '90' -Because 'sudo does not ask while the credentials are cached'
        $Pwned | Should -Not -Exist
    }

    It 'reuses the SSH password for sudo when asked to explicitly' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        $cred = [pscredential]::new($User, $SecurePassword)
        $r = Get-OSRpcTimeout -Service cinder -ConfigFile $Conf -ComputerName "127.0.0.1:$Port" -KnownHostsPath "$Work/known_hosts" -HostKeyPolicy Strict -Credential $cred -SudoPassword $cred.Password -ErrorAction Stop
        $r.Value | Should -Be '60'
    }

    It 'leaves no helper behind and shows the password in no stream, object or process command line' {
        if ($script:skip) { Set-ItResult -Skipped -Because $script:skip; return }
        # Every process's command line, sampled while the commands run.
        Set-Content "$Work/sampler.sh" "while :; do for f in /proc/[0-9]*/cmdline; do tr '\000' ' ' < `$f; echo; done; done 2>/dev/null > '$Work/cmdlines'"
        $sampler = Start-Process /bin/sh -ArgumentList "$Work/sampler.sh" -PassThru
        try {
            $DebugPreference = 'Continue'
            $all = & {
                Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -Verbose -Debug
                Get-OSDebugLogging -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -Verbose -Debug
                Set-OSDebugLogging -Enabled $true -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -Confirm:$false -Verbose -Debug
                Set-OSRpcTimeout -Seconds 300 -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $SecurePassword -WhatIf -Verbose -Debug
                Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -SudoPassword $WrongPassword -Verbose -Debug -ErrorAction Continue
                try { Set-OSRpcTimeout -Seconds 300 -Service cinder -Path $Conf -ConfigFile $Conf @Ssh -SudoPassword $WrongPassword -Confirm:$false -Verbose -Debug -ErrorAction Stop } catch { $_ }
                Get-OSRpcTimeout -Service cinder -ConfigFile $Conf @Ssh -Sudo -Verbose -Debug -ErrorAction Continue
                try { Get-OSRpcTimeout @Ssh -SudoPassword (ConvertTo-SecureString "a`nb" -AsPlainText -Force) -ErrorAction Stop } catch { $_ }
            } *>&1
        }
        finally {
            Stop-Process -Id $sampler.Id -ErrorAction SilentlyContinue
        }
        $text = ($all | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails; $_.FullyQualifiedErrorId }
                elseif ($_ -is [string] -or $_ -is [System.Management.Automation.InformationalRecord]) { "$_" }
                else { $_ | Format-List * -Force | Out-String; $_ | ConvertTo-Json -Depth 4 -WarningAction SilentlyContinue }
            }) -join "`n"
        $text | Should -Match 'OSSudoPasswordRejected'
        $text | Should -Match 'OSSudoPasswordRequired'
        $text | Should -Match 'OSSudoPasswordInvalid'
        $text.Contains($Password) | Should -BeFalse
        $text.Contains("Osm $suffix ") | Should -BeFalse
        (Get-Item "$Work/cmdlines").Length | Should -BeGreaterThan 1000
        Select-String -Path "$Work/cmdlines" -SimpleMatch -CaseSensitive "Osm $suffix " | Should -BeNullOrEmpty
        Select-String -Path "$Work/cmdlines" -SimpleMatch 'sudo -A -p' | Should -Not -BeNullOrEmpty -Because 'the sampler saw sudo at work (it waits about 2 s on a wrong password)'
        # No helper left anywhere it could have been made, and no file holds the password.
        foreach ($dir in '/tmp', '/dev/shm', "$Work/home", [IO.Path]::GetTempPath()) {
            @(Get-ChildItem $dir -Force -Filter '.osm-sudo.*' -ErrorAction SilentlyContinue).Count | Should -Be 0 -Because "$dir keeps no askpass helper"
        }
        # Regular files only: /tmp holds FIFOs (the .NET debugger's) that would block a reader.
        $files = @(& find $Work /dev/shm -type f 2>$null) + @(& find /tmp -maxdepth 1 -type f -size -20M 2>$null)
        $files.Count | Should -BeGreaterThan 5
        Select-String -LiteralPath $files -SimpleMatch -CaseSensitive "Osm $suffix " -List -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        $Pwned | Should -Not -Exist
    }
}
