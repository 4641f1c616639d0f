<#
.SYNOPSIS
    Starts tests/tools/api-cap-proxy.py in front of the lab's Nova and Placement and writes a clouds.yaml with a
    cloud entry (osm-lab-<release>) whose compute and placement endpoints go through it.
.DESCRIPTION
    Returns @{ Process; Release; Cloud; CloudsYaml; ComputeMax; PlacementMax; Log }. Stop it with
    Stop-Process -Id $r.Process.Id when done. The proxy forwards to the lab's internal (plain http) endpoints;
    Keystone, Cinder and the rest stay the lab's own.
.EXAMPLE
    $cap = ./tests/tools/Start-ApiCapProxy.ps1 -LabDir .lab -Release ocata -OutDir out/api-cap
    $env:OS_CLIENT_CONFIG_FILE = $cap.CloudsYaml; Connect-OSCloud -Cloud $cap.Cloud
#>
param(
    [Parameter(Mandatory)] [string] $LabDir,
    [Parameter(Mandatory)] [ValidateSet('ocata', 'pike', 'queens', 'rocky', 'stein', 'train', 'ussuri', 'victoria', 'wallaby')] [string] $Release,
    [Parameter(Mandatory)] [string] $OutDir
)
$ErrorActionPreference = 'Stop'
# The maxima the proxy applies (api-cap-proxy.py RELEASES), for the tests to expect.
$maxima = @{
    ocata = '2.42', '1.4'; pike = '2.53', '1.10'; queens = '2.60', '1.17'; rocky = '2.65', '1.30'; stein = '2.72', '1.31'
    train = '2.79', '1.36'; ussuri = '2.87', '1.36'; victoria = '2.87', '1.36'; wallaby = '2.88', '1.36'
}

$parts = @{}
Get-Content (Join-Path $LabDir 'parts.env') | Where-Object { $_ -match '^(\w+)=(.*)$' } | ForEach-Object { $parts[$Matches[1]] = $Matches[2] }
$offset = [int]($parts['OSM_LAB_PORT_OFFSET'] ?? 0)
# The lab's internal endpoints (tests/lab/lib/common.sh: PORT_NOVA, PORT_PLACEMENT).
$nova = "http://127.0.0.1:$(8774 + $offset)"
$placement = "http://127.0.0.1:$(8778 + $offset)"

New-Item -ItemType Directory -Force -Path $OutDir | Out-Null
$out = Join-Path $OutDir "proxy-$Release.out"
$log = Join-Path $OutDir "proxy-$Release.log"
Remove-Item $out, $log -ErrorAction SilentlyContinue
$proxy = Start-Process -FilePath python3 -PassThru -RedirectStandardOutput $out -RedirectStandardError $log -ArgumentList @(
    (Join-Path $PSScriptRoot 'api-cap-proxy.py'), '--release', $Release, '--nova', $nova, '--placement', $placement)
$deadline = (Get-Date).AddSeconds(10)
$urls = @{}
while ($urls.Count -lt 2) {
    if ($proxy.HasExited) { throw "api-cap-proxy.py exited ($($proxy.ExitCode)): $(Get-Content $log -Raw)" }
    if ((Get-Date) -gt $deadline) { Stop-Process -Id $proxy.Id; throw "api-cap-proxy.py did not say where it listens within 10 s." }
    Start-Sleep -Milliseconds 100
    Get-Content $out -ErrorAction SilentlyContinue | Where-Object { $_ -match '^(compute|placement) (\S+)$' } | ForEach-Object { $urls[$Matches[1]] = $Matches[2] }
}

# The lab's osm-lab entry again, under another name, with the per-service endpoint overrides openstacksdk reads.
$labYaml = Get-Content (Join-Path $LabDir 'clouds.yaml')
$start = [array]::IndexOf($labYaml, '  osm-lab:')
if ($start -lt 0) { Stop-Process -Id $proxy.Id; throw "No 'osm-lab' entry in $LabDir/clouds.yaml." }
$entry = @($labYaml[($start + 1)..($labYaml.Count - 1)] | ForEach-Object -Begin { $in = $true } -Process { if ($in -and $_ -match '^ {0,2}\S') { $in = $false }; if ($in) { $_ } })
$cloud = "osm-lab-$Release"
$yaml = @('clouds:', "  ${cloud}:") + $entry + @(
    "    compute_endpoint_override: $($urls.compute)",
    "    placement_endpoint_override: $($urls.placement)")
$cloudsYaml = Join-Path $OutDir 'clouds.yaml'
Set-Content -Path $cloudsYaml -Value $yaml
[pscustomobject]@{
    Process = $proxy; Release = $Release; Cloud = $cloud; CloudsYaml = $cloudsYaml
    ComputeMax = $maxima[$Release][0]; PlacementMax = $maxima[$Release][1]; Log = $log
}
