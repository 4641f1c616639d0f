<#
.SYNOPSIS
    The same configuration change on 1 and on 10 SSH nodes: wall times, to show the nodes are worked on in parallel.
.DESCRIPTION
    Starts 10 real sshd on 127.0.0.1 (tests/tools/loopback-sshd.sh), each in its own mount namespace with its own
    /etc/nova and /etc/haproxy seeded from this machine's (Debian's packaged nova.conf is used when /etc/nova has none),
    then times Set-OSMigrationTimeout (nova.conf rpc_response_timeout and long_rpc_timeout, haproxy.cfg timeout server,
    each file validated, backed up and replaced atomically) and Get-OSRpcTimeout on 1 node and on 10 nodes.
    Each run starts from the original files (a value that alternates, so every run really writes).
    Then the same again with every node behind a proxy that adds -RoundTripMs of network latency
    (tests/tools/latency-proxy.py): on loopback all nodes share this machine's cores with the client, so the
    10-node figure is bounded by CPU; with real round trips it shows what working on the nodes in parallel buys.
    The default 40 ms is a runbook's view of its nodes over a VPN (an Azure Automation runbook reaching an
    on-premises cloud); inside one datacenter the round trip is far shorter and each node's own work, done on
    its own CPU there, is what the client waits for in parallel.
    Needs root on Debian with openssh-server and haproxy (tests/integration-deps.sh).
.EXAMPLE
    ./bench/config-ssh.ps1 -ModulePath ./out/OpenStackMigration/0.1.0/OpenStackMigration.psd1
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/OpenStackMigration/0.1.0/OpenStackMigration.psd1'),
    [int] $Nodes = 10,
    [int] $Repeat = 5,
    [int] $RoundTripMs = 40
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
if (-not $IsLinux -or -not (Test-Path /etc/debian_version) -or (& id -u) -ne '0') { Write-Warning 'config-ssh bench skipped: needs root on Debian.'; return }
if (-not (Test-Path /usr/sbin/sshd) -or -not (Test-Path /etc/haproxy/haproxy.cfg)) { Write-Warning 'config-ssh bench skipped: run tests/integration-deps.sh first.'; return }
Import-Module $ModulePath -Force

$dir = Join-Path ([IO.Path]::GetTempPath()) ('osm-bench-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$samples = if ($env:OSM_SAMPLES_DIR) { $env:OSM_SAMPLES_DIR } else { '/var/tmp/openstackmigration-samples' }
$helper = Join-Path $PSScriptRoot '../tests/tools/loopback-sshd.sh'
$env:OSM_NODE_ETC = 'nova haproxy'
$createdNova = -not (Test-Path /etc/nova)
if ($createdNova) { New-Item -ItemType Directory /etc/nova | Out-Null }
try {
    # Seed: the node's own nova.conf when it has one, else Debian's packaged sample.
    $seed = Join-Path $dir 'seed'; New-Item -ItemType Directory -Force $seed | Out-Null
    $ports = @(& sh $helper start $dir $Nodes)
    if ($LASTEXITCODE -ne 0) { throw 'could not start sshd' }
    foreach ($p in $ports) {
        $node = Join-Path $dir "node-$p"
        if (-not (Test-Path "$node/nova/nova.conf") -and (Test-Path "$samples/nova.conf")) { Copy-Item "$samples/nova.conf" "$node/nova/nova.conf" }
    }
    $ssh = @{ UserName = 'root'; KeyFilePath = "$dir/id_ed25519"; KnownHostsPath = "$dir/known_hosts"; HostKeyPolicy = 'Strict' }
    $all = $ports | ForEach-Object { "127.0.0.1:$_" }
    $lines = (Get-Content "$dir/node-$($ports[0])/nova/nova.conf").Count

    # Warm up (JIT, first connection) so the first measurement is not an outlier.
    Get-OSRpcTimeout -Service nova -ComputerName $all[0] @ssh | Out-Null

    # The machine's busy CPU seconds (all processes: the client, the 10 sshd, and whatever else runs here).
    function Get-BusyCpu { $f = (Get-Content /proc/stat -TotalCount 1) -split '\s+'; ([long]$f[1] + [long]$f[2] + [long]$f[3] + [long]$f[6] + [long]$f[7]) / 100.0 }
    $script:busy = @{}
    function Measure-Median([scriptblock] $Body) {
        $c0 = Get-BusyCpu; $w0 = [Diagnostics.Stopwatch]::StartNew()
        $times = foreach ($i in 1..$Repeat) { (Measure-Command { & $Body $i }).TotalSeconds }
        $script:lastCpu = [math]::Round(100 * ((Get-BusyCpu) - $c0) / ($w0.Elapsed.TotalSeconds * [Environment]::ProcessorCount))
        Get-Median $times
    }

    # The same nodes behind proxies that add the round trip time of a network (a known_hosts entry per proxy port).
    $proxyOut = Join-Path $dir 'proxies'
    $proxyArgs = @((Join-Path $PSScriptRoot '../tests/tools/latency-proxy.py'), [string]($RoundTripMs / 2)) + $ports
    $proxy = Start-Process /usr/bin/python3 -ArgumentList $proxyArgs -RedirectStandardOutput $proxyOut -RedirectStandardError (Join-Path $dir 'proxies.err') -PassThru
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while (@(Get-Content $proxyOut -ErrorAction SilentlyContinue).Count -lt $ports.Count) { if ([DateTime]::UtcNow -gt $deadline) { throw 'latency proxies did not start' }; Start-Sleep -Milliseconds 100 }
    $hostKey = (Get-Content "$dir/host_ed25519.pub") -split ' '
    $far = foreach ($line in Get-Content $proxyOut) {
        $listen = ($line -split ' ')[0]
        Add-Content "$dir/known_hosts" "[127.0.0.1]:$listen $($hostKey[0]) $($hostKey[1])"
        "127.0.0.1:$listen"
    }
    Get-OSRpcTimeout -Service nova -ComputerName $far[0] @ssh | Out-Null

    $sets = @(
        @{ Network = 'loopback'; Name = '1 node'; Nodes = @($all[0]) },
        @{ Network = 'loopback'; Name = "$Nodes nodes"; Nodes = $all },
        @{ Network = "$RoundTripMs ms round trip"; Name = '1 node'; Nodes = @($far[0]) },
        @{ Network = "$RoundTripMs ms round trip"; Name = "$Nodes nodes"; Nodes = $far })
    $results = foreach ($set in $sets) {
        $targets = $set.Nodes
        $setTime = Measure-Median { param($i) $r = Set-OSMigrationTimeout -Seconds (300 + $i) -ComputerName $targets @ssh -Confirm:$false; $bad = @($r | Where-Object Error); if ($bad) { throw ($bad[0] | Format-List * | Out-String) } }
        $setCpu = $script:lastCpu
        $getTime = Measure-Median { param($i) Get-OSRpcTimeout -Service nova -ComputerName $targets @ssh | Out-Null }
        [pscustomobject]@{ Network = $set.Network; Nodes = $set.Name; 'Set-OSMigrationTimeout (s)' = [math]::Round($setTime, 2); 'CPU busy during Set (%)' = $setCpu; 'Get-OSRpcTimeout (s)' = [math]::Round($getTime, 2); 'CPU busy during Get (%)' = $script:lastCpu }
    }
    Write-Host "Same change on SSH nodes (nova.conf: $lines lines, haproxy.cfg; median of $Repeat; ThrottleLimit 32; $([Environment]::ProcessorCount) cores)"
    $results | Format-Table -AutoSize | Out-String -Width 200 | Out-Host
    foreach ($network in ($results.Network | Select-Object -Unique)) {
        $pair = @($results | Where-Object Network -eq $network)
        $ratio = $pair[1].'Set-OSMigrationTimeout (s)' / [math]::Max(0.01, $pair[0].'Set-OSMigrationTimeout (s)')
        Write-Host ("{0}: {1} nodes took {2:N1}x the time of 1 node for Set-OSMigrationTimeout." -f $network, $Nodes, $ratio)
    }
    Write-Host "On loopback all nodes share this machine's cores with the client: when CPU busy nears 100%, the nodes' own work (sshd crypto, sh, gzip, sha256sum, haproxy -c) limits the speed-up, not the client."
    Write-Host "With a round trip per exchange (the proxy delays each byte by half of it each way; TCP connects to it are local), the nodes are waited on at once, not in turn."
    $results
}
finally {
    if ($proxy) { Stop-Process -Id $proxy.Id -Force -ErrorAction SilentlyContinue }
    & sh $helper stop $dir
    Remove-Item -Recurse -Force $dir -ErrorAction SilentlyContinue
    if ($createdNova) { Remove-Item -Recurse -Force /etc/nova -ErrorAction SilentlyContinue }
    Remove-Item Env:OSM_NODE_ETC -ErrorAction SilentlyContinue
}
