# Shared by the Integration-tagged test files: where the lab is and how to reach it.
$script:LabDir = if ($env:OSM_LAB_DIR) { $env:OSM_LAB_DIR } else { Join-Path $PSScriptRoot '../../.lab' }
$script:LabScenario = Join-Path $PSScriptRoot '../lab/scenario.sh'
$script:ModulePath = if ($env:OSM_MODULE_PATH) { $env:OSM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/OpenStackMigration/0.1.0/OpenStackMigration.psd1' }

function Connect-Lab {
    [CmdletBinding()] param()
    $env:OS_CLIENT_CONFIG_FILE = Join-Path $script:LabDir 'clouds.yaml'
    Connect-OSCloud -Cloud osm-lab
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

function Test-LabUp { Test-Path (Join-Path $script:LabDir 'clouds.yaml') }
