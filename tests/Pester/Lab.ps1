# Shared by the Integration-tagged test files: where the lab is and how to reach it.
$script:LabDir = if ($env:OSM_LAB_DIR) { $env:OSM_LAB_DIR } else { Join-Path $PSScriptRoot '../../.lab' }
$script:LabScenario = Join-Path $PSScriptRoot '../lab/scenario.sh'
# The cloud the tests connect to: the lab itself, or (build.ps1 -ApiCap) the lab behind tests/tools/api-cap-proxy.py,
# a clouds.yaml entry whose compute and placement endpoints present an older release's API.
$script:LabCloud = if ($env:OSM_LAB_CLOUD) { $env:OSM_LAB_CLOUD } else { 'osm-lab' }
$script:LabCloudsYaml = if ($env:OSM_LAB_CLOUDS_YAML) { $env:OSM_LAB_CLOUDS_YAML } else { Join-Path $script:LabDir 'clouds.yaml' }
# The compute and Placement maxima the tests should see (the cap's, or the lab's Zed).
$script:LabComputeMax = if ($env:OSM_LAB_COMPUTE_MAX) { $env:OSM_LAB_COMPUTE_MAX } else { '2.93' }
$script:LabPlacementMax = if ($env:OSM_LAB_PLACEMENT_MAX) { $env:OSM_LAB_PLACEMENT_MAX } else { '1.39' }
# True when a feature that needs compute microversion $Version is there.
function Test-LabCompute([string] $Version) { [version]$script:LabComputeMax -ge [version]$Version }
$script:ModulePath = if ($env:OSM_MODULE_PATH) { $env:OSM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/OpenStackMigration/0.1.0/OpenStackMigration.psd1' }

function Connect-Lab {
    [CmdletBinding()] param()
    $env:OS_CLIENT_CONFIG_FILE = $script:LabCloudsYaml
    Connect-OSCloud -Cloud $script:LabCloud
}

# The lab admin's password, read from the openrc the lab wrote (to prove it never appears in output).
function Get-LabPassword {
    $line = Get-Content (Join-Path $script:LabDir 'openrc') | Where-Object { $_ -match '^export OS_PASSWORD=' }
    return ($line -replace '^export OS_PASSWORD=', '').Trim("'", '"')
}

function Invoke-LabScenario {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    $output = & bash $script:LabScenario @Arguments 2>&1
    if ($LASTEXITCODE -ne 0) { throw "scenario.sh $($Arguments -join ' ') failed: $($output -join "`n")" }
    $output | ForEach-Object { Write-Host "  [lab] $_" }
}

# The openstack client as the lab's admin (never the module under test), microversion 2.74 (create on a host).
function Invoke-LabOS {
    $line = ($args | ForEach-Object { "'" + ($_ -replace "'", "'\''") + "'" }) -join ' '
    $out = & bash -c "set -a; . '$script:LabDir/openrc'; export OS_COMPUTE_API_VERSION=2.74; openstack $line" 2>&1
    if ($LASTEXITCODE -ne 0) { throw "openstack $($args -join ' ') failed: $($out -join "`n")" }
    $out
}

# Waits until the openstack client shows the server in that status.
function Wait-LabStatus([string] $Name, [string] $Status) {
    $until = (Get-Date).AddSeconds(60)
    while ((Get-Date) -lt $until) {
        if ((Invoke-LabOS server show $Name -f value -c status) -eq $Status) { return }
        Start-Sleep -Milliseconds 500
    }
    throw "$Name did not become $Status."
}

function Test-LabUp { Test-Path (Join-Path $script:LabDir 'clouds.yaml') }

# Placement as the lab's own admin reads it, with a token from the openstack client and the endpoint from its
# catalog: never through the module under test. Returns { Url; Headers }.
function Get-LabPlacement {
    $lines = @(& bash -c "set -a; . '$script:LabDir/openrc'; openstack token issue -f value -c id && openstack endpoint list --service placement --interface public -f value -c URL")
    if ($LASTEXITCODE -ne 0 -or $lines.Count -lt 2) { throw "openstack token issue / endpoint list failed: $($lines -join "`n")" }
    [pscustomobject]@{ Url = $lines[1].TrimEnd('/'); Headers = @{ 'X-Auth-Token' = $lines[0] } }
}

# One resource provider's inventories and usages, as Placement itself answers (GET by name, then by uuid).
function Get-LabProvider([Parameter(Mandatory)] $Placement, [Parameter(Mandatory)] [string] $Name) {
    $rp = @((Invoke-LabRest -Url "$($Placement.Url)/resource_providers?name=$Name" -Headers $Placement.Headers).resource_providers)
    if ($rp.Count -ne 1) { throw "Placement has $($rp.Count) resource providers named '$Name'." }
    [pscustomobject]@{
        Uuid        = $rp[0].uuid
        Inventories = (Invoke-LabRest -Url "$($Placement.Url)/resource_providers/$($rp[0].uuid)/inventories" -Headers $Placement.Headers).inventories
        Usages      = (Invoke-LabRest -Url "$($Placement.Url)/resource_providers/$($rp[0].uuid)/usages" -Headers $Placement.Headers).usages
    }
}

# A value the lab wrote into its openrc (OS_AUTH_URL is the public https Keystone, OS_CACERT the lab's CA).
function Get-LabOpenrc([Parameter(Mandatory)] [string] $Name) {
    $line = Get-Content (Join-Path $script:LabDir 'openrc') -ErrorAction SilentlyContinue | Where-Object { $_ -match "^export $Name=" } | Select-Object -First 1
    if ($line) { ($line -replace "^export $Name=", '').Trim("'", '"') }
}

# A value of the lab's parts.env (public URLs, the systemd node, the container, haproxy; see tests/lab/README.md).
function Get-LabPart([Parameter(Mandatory)] [string] $Name) {
    $line = Get-Content (Join-Path $script:LabDir 'parts.env') -ErrorAction SilentlyContinue | Where-Object { $_ -match "^$Name=" } | Select-Object -First 1
    if ($line) { $line.Substring($Name.Length + 1) }
}

# GET on a lab API over verified https (curl with the lab's CA): @{ Status; Body }.
function Invoke-LabGet([Parameter(Mandatory)] [string] $Url, [Parameter(Mandatory)] [hashtable] $Headers) {
    $h = foreach ($k in $Headers.Keys) { '-H'; "${k}: $($Headers[$k])" }
    $out = & curl -s --cacert (Get-LabOpenrc OS_CACERT) -w "`n%{http_code}" @h $Url
    $lines = @($out)
    [pscustomobject]@{ Status = [int]$lines[-1]; Body = ($lines[0..($lines.Count - 2)] -join "`n") }
}

# The same, parsed from JSON; anything but 2xx throws.
function Invoke-LabRest([Parameter(Mandatory)] [string] $Url, [Parameter(Mandatory)] [hashtable] $Headers) {
    $r = Invoke-LabGet -Url $Url -Headers $Headers
    if ($r.Status -lt 200 -or $r.Status -ge 300) { throw "GET $Url answered $($r.Status): $($r.Body)" }
    $r.Body | ConvertFrom-Json
}

$script:LabAuthUrl = Get-LabOpenrc OS_AUTH_URL
$script:LabCACert = Get-LabOpenrc OS_CACERT

# A new token of the lab's admin, from the openstack client (not the module under test).
function New-LabToken {
    $t = & bash -c "set -a; . '$script:LabDir/openrc'; openstack token issue -f value -c id"
    if ($LASTEXITCODE -ne 0 -or -not $t) { throw "openstack token issue failed: $t" }
    return "$t".Trim()
}

# Keystone's own answer about a token: GET /v3/auth/tokens with X-Subject-Token (200 valid, 404 unknown or revoked).
function Get-KeystoneTokenStatus([Parameter(Mandatory)] [string] $Token) {
    if (-not $script:KeystoneAskingToken) { $script:KeystoneAskingToken = New-LabToken }
    $headers = @{ 'X-Auth-Token' = $script:KeystoneAskingToken; 'X-Subject-Token' = $Token }
    (Invoke-LabGet -Url "$(Get-LabOpenrc OS_AUTH_URL)/auth/tokens" -Headers $headers).Status
}

# Why the Integration tests of a file cannot run here, or $null: build.ps1's reason (OSM_LAB_SKIP_REASON, where the lab
# cannot run), or no lab in $LabDir. Called in BeforeDiscovery, so the tests are reported as skipped, not failed.
function Get-LabSkipReason {
    if ($env:OSM_LAB_SKIP_REASON) { return $env:OSM_LAB_SKIP_REASON }
    if (-not (Test-LabUp)) { return "the lab is not up ($script:LabDir/clouds.yaml is missing): run build.ps1 Lab" }
    return $null
}
