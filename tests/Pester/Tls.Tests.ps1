# TLS against the lab's HAProxy, which terminates HTTPS for every public endpoint with a lab CA:
# refused without the CA, accepted with each way to trust it, refused for a certificate of another host name,
# skipped only when asked. Skipped with the reason when the lab (with TLS) is not up.

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force

    # The lab's parts.env (KEY=VALUE lines), or why these tests cannot run.
    $PartsFile = Join-Path $LabDir 'parts.env'
    $Parts = @{}
    $SkipReason = if ($env:OSM_LAB_SKIP_REASON) { $env:OSM_LAB_SKIP_REASON }
    elseif (-not (Test-Path $PartsFile)) { "the lab is not up ($PartsFile is missing): run build.ps1 Lab" }
    if (-not $SkipReason) {
        Get-Content $PartsFile | Where-Object { $_ -match '^(OSM_\w+)=(.*)$' } | ForEach-Object { $Parts[$Matches[1]] = $Matches[2] }
        if (-not $Parts.OSM_LAB_CACERT -or -not ($Parts.OSM_LAB_KEYSTONE_URL -like 'https://*')) {
            $SkipReason = 'the lab has no TLS (parts.env names no OSM_LAB_CACERT or no https Keystone URL)'
        }
    }

    $ConnectId = 'OpenStackMigration.Commands.ConnectOSCloudCommand'

    function Get-LabCredential {
        [pscredential]::new('admin', (ConvertTo-SecureString (Get-LabPassword) -AsPlainText -Force))
    }

    # Runs $Body with the openrc's OS_* variables (changed by $Change), then puts the environment back.
    function Invoke-WithOpenrc([hashtable] $Change, [scriptblock] $Body) {
        $vars = @{}
        Get-Content (Join-Path $LabDir 'openrc') | Where-Object { $_ -match '^export (OS_\w+)=(.*)$' } |
            ForEach-Object { $vars[$Matches[1]] = $Matches[2].Trim("'", '"') }
        foreach ($k in $Change.Keys) { $vars[$k] = $Change[$k] }
        $saved = @{}
        foreach ($k in @($vars.Keys) + 'OS_CLOUD', 'OS_CLIENT_CONFIG_FILE') {
            $saved[$k] = [Environment]::GetEnvironmentVariable($k)
            [Environment]::SetEnvironmentVariable($k, $vars[$k])
        }
        try { & $Body } finally { foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) } }
    }

    function Get-FreePort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start()
        try { $l.LocalEndpoint.Port } finally { $l.Stop() }
    }

    function Test-Port([int] $Port) {
        $c = [System.Net.Sockets.TcpClient]::new()
        try { $c.Connect('127.0.0.1', $Port); $true } catch { $false } finally { $c.Dispose() }
    }
}

Describe 'TLS to the lab''s HAProxy' -Tag Integration {
    It 'refuses Keystone when its CA is not given, before the password is sent, naming the three ways to trust it' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $chain = [System.Security.Cryptography.X509Certificates.X509Chain]::new()
        if ($chain.Build([System.Security.Cryptography.X509Certificates.X509Certificate2]::new($Parts.OSM_LAB_SERVER_CERT))) {
            Set-ItResult -Skipped -Because 'this computer''s trust store already has the lab CA'; return
        }
        $password = Get-LabPassword
        $DebugPreference = 'Continue'
        $all = & {
            try { Connect-OSCloud -AuthUrl $Parts.OSM_LAB_KEYSTONE_URL -Credential (Get-LabCredential) -ProjectName admin -Verbose -Debug -ErrorAction Stop } catch { $_ }
        } *>&1
        $DebugPreference = 'SilentlyContinue'
        $err = $all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | Select-Object -First 1
        $err.FullyQualifiedErrorId | Should -Be "OSCertificateUntrusted,$ConnectId"
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $endpoint = ([uri]$Parts.OSM_LAB_KEYSTONE_URL).GetLeftPart('Authority')
        $err.Exception.Message | Should -BeLike "*Keystone at $endpoint*"
        foreach ($way in '-CACertFile', 'OS_CACERT', 'cacert in the clouds.yaml', '-SkipCertificateCheck') { $err.Exception.Message | Should -BeLike "*$way*" }
        (($all | Out-String) + $err.Exception.ToString()).Contains($password) | Should -BeFalse
        { Connect-OSCloud -AuthUrl $Parts.OSM_LAB_KEYSTONE_URL -Credential (Get-LabCredential) -ProjectName admin -ErrorAction Stop } |
            Should -Throw -ErrorId "OSCertificateUntrusted,$ConnectId"
    }

    It 'connects with -CACertFile, and reaches Nova and Placement from the catalog through the same CA' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $s = Connect-OSCloud -AuthUrl $Parts.OSM_LAB_KEYSTONE_URL -Credential (Get-LabCredential) -ProjectName admin -CACertFile $Parts.OSM_LAB_CACERT -WarningVariable warnings
        $s.ProjectName | Should -Be 'admin'
        $s.SkipCertificateCheck | Should -BeFalse
        $warnings | Should -BeNullOrEmpty
        $public = $s.Catalog | Where-Object { $_.Interface -eq 'public' -and $_.ServiceType -in 'compute', 'placement' }
        @($public).Count | Should -BeGreaterOrEqual 2
        $public.Url | Should -BeLike 'https://*'
        $h = @(Get-OSHypervisor -Session $s)
        $h.Count | Should -BeGreaterThan 0
        $h[0].Vcpu.Total | Should -BeGreaterThan 0 -Because 'capacity comes from Placement, over HTTPS too'
    }

    It 'connects with OS_CACERT from the openrc' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Invoke-WithOpenrc @{} {
            $env:OS_CACERT | Should -Be $Parts.OSM_LAB_CACERT
            $env:OS_AUTH_URL | Should -BeLike 'https://*'
            $s = Connect-OSCloud
            $s.Source | Should -Match 'environment'
            $s.UserName | Should -Be 'admin'
        }
        Invoke-WithOpenrc @{ OS_CACERT = $null } {
            { Connect-OSCloud -ErrorAction Stop } | Should -Throw -ErrorId "OSCertificateUntrusted,$ConnectId"
        }
    }

    It 'connects with cacert in clouds.yaml' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $yaml = Join-Path $LabDir 'clouds.yaml'
        (Get-Content $yaml -Raw) | Should -Match 'cacert:'
        $saved = $env:OS_CLIENT_CONFIG_FILE
        try {
            $env:OS_CLIENT_CONFIG_FILE = $yaml
            $s = Connect-OSCloud -Cloud osm-lab -WarningVariable warnings
            $s.Name | Should -Be 'osm-lab'
            $warnings | Should -BeNullOrEmpty
            @(Get-OSComputeService -Session $s).Count | Should -BeGreaterThan 0
        }
        finally { $env:OS_CLIENT_CONFIG_FILE = $saved }
    }

    It 'needs no bundle when the system trust store already has the CA (SSL_CERT_FILE, in a fresh pwsh)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if (-not $IsLinux) { Set-ItResult -Skipped -Because 'SSL_CERT_FILE sets the trust store of .NET on Linux only'; return }
        $child = Join-Path $TestDrive 'system-store.ps1'
        Set-Content $child -Value @'
param($ModulePath, $Openrc, $AuthUrl)
Import-Module $ModulePath
$line = Get-Content $Openrc | Where-Object { $_ -match '^export OS_PASSWORD=' }
$cred = [pscredential]::new('admin', (ConvertTo-SecureString (($line -replace '^export OS_PASSWORD=', '').Trim("'", '"')) -AsPlainText -Force))
try { $s = Connect-OSCloud -AuthUrl $AuthUrl -Credential $cred -ProjectName admin -ErrorAction Stop; "connected $($s.ProjectName)" } catch { "refused $($_.FullyQualifiedErrorId)" }
'@
        $exe = [Environment]::ProcessPath
        $pre = @()
        if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { $pre = @(Join-Path $PSHOME 'pwsh.dll') }
        $saved = $env:SSL_CERT_FILE
        try {
            $env:SSL_CERT_FILE = $Parts.OSM_LAB_CACERT
            $out = & $exe @pre -NoProfile -NonInteractive -File $child $ModulePath (Join-Path $LabDir 'openrc') $Parts.OSM_LAB_KEYSTONE_URL
        }
        finally { $env:SSL_CERT_FILE = $saved }
        $out | Should -Contain 'connected admin'
    }

    It '-SkipCertificateCheck connects without the CA, and warns' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $s = Connect-OSCloud -AuthUrl $Parts.OSM_LAB_KEYSTONE_URL -Credential (Get-LabCredential) -ProjectName admin -SkipCertificateCheck -WarningVariable warnings -WarningAction SilentlyContinue
        $s.SkipCertificateCheck | Should -BeTrue
        "$warnings" | Should -BeLike '*not be verified*(-SkipCertificateCheck)*'
    }

    It 'OS_INSECURE=true connects without the CA, and warns as well' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Invoke-WithOpenrc @{ OS_CACERT = $null; OS_INSECURE = 'true' } {
            $s = Connect-OSCloud -WarningVariable warnings -WarningAction SilentlyContinue
            $s.SkipCertificateCheck | Should -BeTrue
            "$warnings" | Should -BeLike '*not be verified*(OS_INSECURE=true)*'
        }
    }
}

Describe 'A certificate for another host name, signed by the lab CA' -Tag Integration {
    BeforeAll {
        $Server = $null
        $Why = $SkipReason
        if (-not $Why -and -not (Get-Command openssl -ErrorAction SilentlyContinue)) { $Why = 'openssl is not installed' }
        if (-not $Why) {
            try { [IO.File]::OpenRead($Parts.OSM_LAB_CAKEY).Dispose() } catch { $Why = "cannot read the lab CA key $($Parts.OSM_LAB_CAKEY) (run as its owner): $($_.Exception.Message)" }
        }
        if (-not $Why) {
            # A key and certificate for other-host.example only, signed by the lab CA (no serial file is written next to it).
            $key = Join-Path $TestDrive 'other.key'; $csr = Join-Path $TestDrive 'other.csr'; $crt = Join-Path $TestDrive 'other.pem'; $ext = Join-Path $TestDrive 'other.ext'
            Set-Content $ext "subjectAltName=DNS:other-host.example`nextendedKeyUsage=serverAuth"
            $serial = '0x' + [guid]::NewGuid().ToString('N').Substring(0, 16)
            & openssl req -new -newkey rsa:2048 -nodes -keyout $key -subj '/CN=other-host.example' -out $csr 2>&1 | Out-Null
            & openssl x509 -req -in $csr -CA $Parts.OSM_LAB_CACERT -CAkey $Parts.OSM_LAB_CAKEY -set_serial $serial -days 2 -extfile $ext -out $crt 2>&1 | Out-Null
            if ($LASTEXITCODE -ne 0) { throw 'openssl could not sign the certificate for other-host.example' }
            $Port = Get-FreePort
            $Server = Start-Process openssl -ArgumentList 's_server', '-accept', "127.0.0.1:$Port", '-cert', $crt, '-key', $key, '-www', '-quiet' -PassThru `
                -RedirectStandardOutput (Join-Path $TestDrive 's_server.out') -RedirectStandardError (Join-Path $TestDrive 's_server.err')
            $deadline = [DateTime]::UtcNow.AddSeconds(15)
            while (-not (Test-Port $Port) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
            if (-not (Test-Port $Port)) { throw "openssl s_server did not listen on 127.0.0.1:$Port" }
        }
    }

    AfterAll {
        if ($Server -and -not $Server.HasExited) { Stop-Process -Id $Server.Id -Force }
    }

    It 'is refused with OSCertificateNameMismatch although the CA is trusted, naming the URL''s host and the certificate''s' {
        if ($Why) { Set-ItResult -Skipped -Because $Why; return }
        $url = "https://127.0.0.1:$Port/v3"
        { Connect-OSCloud -AuthUrl $url -Credential (Get-LabCredential) -ProjectName admin -CACertFile $Parts.OSM_LAB_CACERT -ErrorAction Stop } |
            Should -Throw -ErrorId "OSCertificateNameMismatch,$ConnectId"
        try { Connect-OSCloud -AuthUrl $url -Credential (Get-LabCredential) -ProjectName admin -CACertFile $Parts.OSM_LAB_CACERT -ErrorAction Stop } catch { $err = $_ }
        $err.Exception.Message | Should -BeLike "*https://127.0.0.1:$Port is for 'other-host.example', not for '127.0.0.1'*"
        $err.Exception.Message | Should -Not -BeLike '*not trusted either*'
    }
}
