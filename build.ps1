#requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages the OpenStackMigration module.
.DESCRIPTION
    Tasks (run one or several, in order):
      Build     publish a ready module folder: out/OpenStackMigration/<version>/ (manifest, DLLs, formats, help)
      Test      Build, unit tests, Pester against the built module in a fresh pwsh, then the integration
                tests on the local lab (skipped with the reason where the lab cannot run), then the ApiCap-tagged
                ones again with the lab's Nova and Placement capped at Ocata (compute 2.42, Placement 1.4).
                Last line: "N passed, N failed".
      IntegrationTest  the integration tests on the lab, then at Ocata; with -ApiCap, only the ApiCap-tagged tests at
                those releases' caps (tests/tools/api-cap-proxy.py).
      Lab       bring the local OpenStack lab up (tests/lab/up.sh --cinder)
      LabDown   stop the lab and remove its state
      Demo      Build, bring the lab up unless a cloud is configured, and run the seed scenario
      Bench     Build, then run the benchmarks under bench/ against the lab and print their figures
      Package   Build, then make a .nupkg that PowerShellGet / PSResourceGet repositories accept (out/packages/)
      Clean     remove out/ and the build folders
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 Test
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0, ValueFromRemainingArguments = $true)]
    [ValidateSet('Build', 'Test', 'UnitTest', 'PesterTest', 'IntegrationTest', 'Lab', 'LabDown', 'Demo', 'Bench', 'Package', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Skip the lab even where it could run (integration tests are then reported as skipped).
    [switch] $NoLab,

    # Bench: which benchmarks (names of bench/*.ps1), all when omitted.
    [string[]] $BenchName,

    # Bench: extra fake hypervisors for the scale round of the read-side benchmark.
    [int] $Scale = 0,

    # IntegrationTest: run only the ApiCap-tagged tests, with the lab's Nova and Placement presenting these releases' APIs.
    [ValidateSet('ocata', 'pike', 'queens', 'rocky', 'stein', 'train', 'ussuri', 'victoria', 'wallaby', 'all')]
    [string[]] $ApiCap,

    # Build, Package: which PowerShell 7 runtimes and platforms get precompiled (ReadyToRun) assemblies beside the IL
    # ones, as <net major>-<os>-<arch>; by default the running pwsh's (this machine's); named ones replace it; 'none' for none.
    # PowerShell 7.4 runs on .NET 8, 7.5 on .NET 9, 7.6 on .NET 10. Example: -ReadyToRun net8-linux-x64,net10-win-x64
    [string[]] $ReadyToRun
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
if ($env:CI -or [Console]::IsOutputRedirected) { $PSStyle.OutputRendering = "PlainText" }

$Root = $PSScriptRoot
$ModuleName = 'OpenStackMigration'
$Manifest = Import-PowerShellDataFile (Join-Path $Root "module/$ModuleName.psd1")
$Version = $Manifest.ModuleVersion
$ModuleOut = Join-Path $Root "out/$ModuleName/$Version"
$ResultsDir = Join-Path $Root 'out/test-results'
$LabDir = if ($env:OSM_LAB_DIR) { $env:OSM_LAB_DIR } else { Join-Path $Root '.lab' }
# A fresh pwsh of the same version as this one, wherever it was installed from.
$PwshDll = Join-Path $PSHOME 'pwsh.dll'

$script:Passed = 0
$script:Failed = 0
$script:Skipped = 0

function Write-Step([string] $Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

function Invoke-Native {
    param([string] $FilePath, [string[]] $ArgumentList, [switch] $AllowFailure)
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0 -and -not $AllowFailure) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code $LASTEXITCODE."
    }
}

function Invoke-FreshPwsh {
    param([string] $File, [string[]] $ArgumentList = @(), [switch] $AllowFailure)
    Invoke-Native dotnet (@($PwshDll, '-NoProfile', '-NonInteractive', '-File', $File) + $ArgumentList) -AllowFailure:$AllowFailure
}

function Get-PesterPath {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $path = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    if (-not (Test-Path $path)) {
        Invoke-Native dotnet @('restore', (Join-Path $Root 'build/tools.csproj'), '--nologo', '-v', 'quiet')
    }
    return $path
}

function Test-LabPossible {
    if ($NoLab) { return 'the -NoLab switch was given' }
    if (-not $IsLinux) { return 'the lab needs Linux (Debian 12)' }
    if ((& id -u) -ne '0') { return 'the lab installs Debian packages and must run as root' }
    if (-not (Test-Path /etc/debian_version) -or -not ((Get-Content /etc/debian_version -Raw) -match '^12\.')) { return 'the lab needs Debian 12 (it uses its OpenStack Zed packages)' }
    if (-not (Test-Path (Join-Path $Root 'tests/lab/up.sh'))) { return 'tests/lab/up.sh is missing' }
    return $null
}

function Invoke-Build {
    Write-Step "Building $ModuleName $Version ($Configuration)"
    $publish = Join-Path $Root 'out/publish'
    Remove-Item $publish, $ModuleOut -Recurse -Force -ErrorAction SilentlyContinue
    Invoke-Native dotnet @('publish', (Join-Path $Root "src/$ModuleName.Cmdlets/$ModuleName.Cmdlets.csproj"), '-c', $Configuration, '-o', $publish, '--nologo', '-v', 'quiet')

    $dependencies = Join-Path $ModuleOut 'dependencies'
    New-Item -ItemType Directory -Force -Path $dependencies | Out-Null
    # Our own assemblies sit beside the manifest; third-party ones in dependencies/, loaded by the module's resolver.
    $own = @("$ModuleName.dll", "$ModuleName.Engine.dll")
    Get-ChildItem $publish -Filter *.dll | ForEach-Object {
        if ($_.Name -eq 'System.Management.Automation.dll') { return }
        $target = if ($own -contains $_.Name) { $ModuleOut } else { $dependencies }
        Copy-Item $_.FullName $target
    }
    Copy-Item (Join-Path $Root 'module/*') $ModuleOut -Recurse -Exclude '*.md', '*.Format.ps1xml'
    Join-FormatFile (Get-ChildItem (Join-Path $Root 'module') -Filter '*.Format.ps1xml') (Join-Path $ModuleOut "$ModuleName.Format.ps1xml")

    Write-Step 'Generating MAML help from the XML doc comments'
    $helpDir = Join-Path $ModuleOut 'en-US'
    New-Item -ItemType Directory -Force -Path $helpDir | Out-Null
    Invoke-FreshPwsh (Join-Path $Root 'build/New-MamlHelp.ps1') @(
        '-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"),
        '-DocFiles', ((Join-Path $publish "$ModuleName.xml"), (Join-Path $publish "$ModuleName.Engine.xml") -join ','),
        '-OutFile', (Join-Path $helpDir "$ModuleName.dll-Help.xml"))
    foreach ($target in Get-ReadyToRunTarget) { Add-ReadyToRun $target }
    Write-Host "Module ready in $ModuleOut"
}

# The running pwsh's runtime and platform, named as the module's initializer looks for them (Cmdlets/Precompiled.cs).
function Get-ReadyToRunTarget {
    if ($ReadyToRun -contains 'none') { return }
    if ($ReadyToRun) { return $ReadyToRun -split ',' }
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    $arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
    if ($arch -notin 'x64', 'arm64') { Write-Warning "No ReadyToRun assemblies for $os-${arch}: PowerShell 7 there uses the IL ones."; return }
    "net$([Environment]::Version.Major)-$os-$arch"
}

# core/<target>/: the engine and its dependencies precompiled to ReadyToRun for one runtime major and platform, laid
# out as the IL ones are (engine beside, third-party in dependencies/). The cmdlets stay IL (the manifest's root for
# every PowerShell; thin, so precompiling them saves a cold process next to nothing). A cold process then
# JIT-compiles several hundred fewer methods (bench/coldstart.ps1 counts them). Without the compiler (an offline
# machine whose NuGet feed lacks it) the module is complete without the folder: a warning, not a failure.
function Add-ReadyToRun([string] $Target) {
    if ($Target -notmatch '^net(?<major>\d+)-(?<rid>(linux|win|osx)-(x64|arm64))$') { throw "-ReadyToRun '$Target': expected <net major>-<os>-<arch>, such as net10-linux-x64." }
    $framework = "net$($Matches.major).0"; $rid = $Matches.rid
    Write-Step "Precompiling to ReadyToRun for PowerShell 7 on $framework, $rid"
    $publish = Join-Path $Root "out/publish-r2r/$Target"
    Remove-Item $publish -Recurse -Force -ErrorAction SilentlyContinue
    # Not -p:TargetFramework: the restore that publish runs first leaves that property out, and then lacks the target.
    $log = & dotnet publish (Join-Path $Root 'build/readytorun/ReadyToRun.csproj') -c $Configuration -r $rid "-p:OsmReadyToRunFramework=$framework" -o $publish --nologo -v quiet 2>&1
    if ($LASTEXITCODE -ne 0) {
        Write-Warning "No ReadyToRun assemblies for ${Target}: dotnet publish failed (PowerShell 7 there uses the IL ones). $(($log | Select-Object -Last 5) -join ' ')"
        return
    }
    $dir = Join-Path $ModuleOut "core/$Target"
    New-Item -ItemType Directory -Force -Path (Join-Path $dir 'dependencies') | Out-Null
    foreach ($il in Get-ChildItem (Join-Path $ModuleOut 'dependencies') -Filter *.dll) {
        $compiled = Join-Path $publish $il.Name
        # What the runtime already holds (System.Memory, System.Text.Json...) is not published for it: PowerShell 7 loads the runtime's.
        if (Test-Path $compiled) { Copy-Item $compiled (Join-Path $dir 'dependencies') }
    }
    Copy-Item (Join-Path $publish "$ModuleName.Engine.dll") $dir
}

# The views live in several files (one per area, so that people adding views do not collide); the module ships them
# as one. Import-Module rebuilds PowerShell's whole format table once per import whatever the count, but resolves,
# reads and parses each file on its own: one file is what a cold process can afford.
function Join-FormatFile([IO.FileInfo[]] $Source, [string] $Destination) {
    $merged = [xml]'<?xml version="1.0" encoding="utf-8"?><Configuration/>'
    # The file named like the destination first, then the others by name: the first view of a type is its default.
    foreach ($file in $Source | Sort-Object { $_.Name -ne (Split-Path $Destination -Leaf) }, Name) {
        $doc = [xml](Get-Content -Raw -LiteralPath $file.FullName)
        foreach ($section in $doc.DocumentElement.ChildNodes) {
            if ($section.NodeType -ne 'Element') { continue }
            $target = $merged.DocumentElement.SelectSingleNode($section.LocalName)
            if (-not $target) { $target = $merged.DocumentElement.AppendChild($merged.CreateElement($section.LocalName)) }
            foreach ($item in $section.ChildNodes) {
                if ($item.NodeType -eq 'Element') { [void]$target.AppendChild($merged.ImportNode($item, $true)) }
            }
        }
    }
    $merged.Save($Destination)
}

function Read-TrxCounts([string] $Path) {
    [xml] $trx = Get-Content $Path -Raw
    $counters = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{ Passed = [int]$counters.passed; Failed = [int]$counters.failed + [int]$counters.error; Skipped = [int]$counters.total - [int]$counters.executed }
}

function Invoke-UnitTest {
    Write-Step 'Unit tests (xunit)'
    $trxDir = Join-Path $ResultsDir 'unit'
    Remove-Item $trxDir -Recurse -Force -ErrorAction SilentlyContinue
    Invoke-Native dotnet @('test', (Join-Path $Root 'tests/Unit'), '-c', $Configuration, '--nologo', '--logger', 'trx;LogFileName=unit.trx', '--logger', 'console;verbosity=normal', '--results-directory', $trxDir) -AllowFailure
    $code = $LASTEXITCODE
    $trx = Join-Path $trxDir 'unit.trx'
    if (-not (Test-Path $trx)) { $script:Failed++; Write-Warning "Unit tests did not run (exit $code)."; return }
    $counts = Read-TrxCounts $trx
    $script:Passed += $counts.Passed; $script:Failed += $counts.Failed; $script:Skipped += $counts.Skipped
    Write-Host "Unit: $($counts.Passed) passed, $($counts.Failed) failed, $($counts.Skipped) skipped"
    if ($counts.Failed -eq 0 -and $code -ne 0) { $script:Failed++; Write-Warning "dotnet test exited $code." }
}

function Invoke-PesterSuite([string] $Name, [string[]] $Tag, [string[]] $ExcludeTag, [hashtable] $Environment = @{}) {
    Write-Step "Pester: $Name (fresh pwsh, built module)"
    $resultFile = Join-Path $ResultsDir "pester-$Name.json"
    New-Item -ItemType Directory -Force -Path $ResultsDir | Out-Null
    Remove-Item $resultFile -ErrorAction SilentlyContinue
    $saved = @{}
    foreach ($key in $Environment.Keys) { $saved[$key] = [Environment]::GetEnvironmentVariable($key); [Environment]::SetEnvironmentVariable($key, $Environment[$key]) }
    try {
        $env:OSM_MODULE_PATH = Join-Path $ModuleOut "$ModuleName.psd1"
        $env:OSM_LAB_DIR = $LabDir
        Invoke-FreshPwsh (Join-Path $Root 'build/Invoke-PesterRun.ps1') @(
            '-PesterPath', (Get-PesterPath), '-TestPath', (Join-Path $Root 'tests/Pester'),
            '-Tag', ($Tag -join ','), '-ExcludeTag', ($ExcludeTag -join ','), '-ResultFile', $resultFile) -AllowFailure
    }
    finally {
        foreach ($key in $saved.Keys) { [Environment]::SetEnvironmentVariable($key, $saved[$key]) }
    }
    if (-not (Test-Path $resultFile)) { $script:Failed++; Write-Warning "Pester run '$Name' ended without results."; return }
    $r = Get-Content $resultFile -Raw | ConvertFrom-Json
    $script:Passed += $r.Passed; $script:Failed += $r.Failed; $script:Skipped += $r.Skipped
    Write-Host "Pester ${Name}: $($r.Passed) passed, $($r.Failed) failed, $($r.Skipped) skipped"
}

function Invoke-Lab {
    $why = Test-LabPossible
    if ($why) { throw "The local lab cannot run here: $why." }
    Write-Step 'Bringing the local OpenStack lab up'
    Invoke-Native bash @((Join-Path $Root 'tests/lab/up.sh'), '--cinder')
}

function Invoke-IntegrationTest {
    $why = Test-LabPossible
    if ($why) {
        # The Integration-tagged tests still run through Pester, which reports each one as skipped.
        Write-Warning "Integration tests SKIPPED: $why."
        Invoke-PesterSuite -Name 'integration' -Tag @('Integration') -ExcludeTag @() -Environment @{ OSM_LAB_SKIP_REASON = $why }
        return
    }
    Write-Step 'Installing what the integration tests need (haproxy, sshd, oslo.config)'
    Invoke-Native bash @((Join-Path $Root 'tests/integration-deps.sh'))
    Invoke-Lab
    if ($ApiCap) {
        $releases = if ($ApiCap -contains 'all') { 'ocata', 'queens', 'train', 'wallaby' } else { $ApiCap }
        foreach ($release in $releases) { Invoke-CappedIntegrationTest $release }
        return
    }
    Invoke-PesterSuite -Name 'integration' -Tag @('Integration') -ExcludeTag @()
    # Every CI run proves the admin's features on the oldest API the module supports.
    Invoke-CappedIntegrationTest 'ocata'
}

# The ApiCap-tagged integration tests again, through tests/tools/api-cap-proxy.py: the lab's real Nova and Placement
# advertising and serving only what <Release> had.
function Invoke-CappedIntegrationTest([string] $Release) {
    Write-Step "Capping the lab's Nova and Placement at $Release"
    $cap = & (Join-Path $Root 'tests/tools/Start-ApiCapProxy.ps1') -LabDir $LabDir -Release $Release -OutDir (Join-Path $Root "out/api-cap/$Release")
    try {
        Write-Host "compute $($cap.ComputeMax), placement $($cap.PlacementMax): cloud '$($cap.Cloud)' in $($cap.CloudsYaml)"
        Invoke-PesterSuite -Name "integration-$Release" -Tag @('ApiCap') -ExcludeTag @() -Environment @{
            OSM_LAB_CLOUD = $cap.Cloud; OSM_LAB_CLOUDS_YAML = $cap.CloudsYaml
            OSM_LAB_COMPUTE_MAX = $cap.ComputeMax; OSM_LAB_PLACEMENT_MAX = $cap.PlacementMax
        }
    }
    finally {
        Stop-Process -Id $cap.Process.Id -ErrorAction SilentlyContinue
        $refused = @(Get-Content $cap.Log -ErrorAction SilentlyContinue | Where-Object { $_ -match ' refused ' })
        Write-Host "The capped APIs refused $($refused.Count) request(s) above the cap (the module's probes and fallbacks; $($cap.Log))."
    }
}

function Invoke-Test {
    Invoke-Build
    # The unit tests drive real haproxy, sshd, sudo and oslo.config too: installed first (as root on Debian; the
    # script skips itself elsewhere), else those tests are skipped with the reason.
    if ($IsLinux -and -not $NoLab) { Invoke-Native bash @((Join-Path $Root 'tests/integration-deps.sh')) -AllowFailure }
    Invoke-UnitTest
    Invoke-PesterSuite -Name 'module' -Tag @() -ExcludeTag @('Integration')
    Invoke-IntegrationTest
    if ($env:CI -eq 'true' -and $IsLinux -and -not $NoLab) {
        # A CI machine keeps nothing: the lab's container would outlive the run in the machine's podman store.
        Write-Step 'CI: stopping the lab'
        Invoke-Native bash @((Join-Path $Root 'tests/lab/down.sh')) -AllowFailure
    }
    if ($script:Skipped -gt 0) { Write-Host "$($script:Skipped) skipped" }
    Write-Host "$($script:Passed) passed, $($script:Failed) failed"
    if ($script:Failed -gt 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    if (-not $env:OS_CLOUD -and -not $env:OS_AUTH_URL) {
        Invoke-Lab
        $env:OS_CLIENT_CONFIG_FILE = Join-Path $LabDir 'clouds.yaml'
        $env:OS_CLOUD = 'osm-lab'
    }
    Invoke-FreshPwsh (Join-Path $Root 'demo/Invoke-Demo.ps1') @('-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"), '-LabDir', $LabDir)
}

function Invoke-Bench {
    Invoke-Build
    # The scale round adds hundreds of hypervisors to the lab for good: never to a lab others already use.
    $keystonePid = Join-Path $LabDir 'run/keystone.pid'
    $labUp = (Test-Path $keystonePid) -and [bool](Get-Process -Id ([int](Get-Content $keystonePid)) -ErrorAction SilentlyContinue)
    if ($Scale -gt 0 -and $labUp -and -not (Test-Path (Join-Path $LabDir 'control/scale_nodes'))) {
        throw "Bench -Scale $Scale adds $Scale hypervisors to the lab in $LabDir, which is already running: run it on a lab of its own (OSM_LAB_DIR=<a new folder>, on a machine with no other lab running)."
    }
    Invoke-Native bash @((Join-Path $Root 'tests/integration-deps.sh'))
    Invoke-Lab
    $benchArgs = @('-ModulePath', (Join-Path $ModuleOut "$ModuleName.psd1"), '-LabDir', $LabDir, '-Scale', $Scale)
    if ($BenchName) { $benchArgs += @('-Name', ($BenchName -join ',')) }
    Invoke-FreshPwsh (Join-Path $Root 'bench/Invoke-Bench.ps1') $benchArgs
}

function Invoke-Package {
    Invoke-Build
    Write-Step 'Packaging a .nupkg with PSResourceGet'
    $repo = Join-Path $Root 'out/packages'
    New-Item -ItemType Directory -Force -Path $repo | Out-Null
    Remove-Item (Join-Path $repo "$ModuleName.$Version.nupkg") -ErrorAction SilentlyContinue
    Invoke-FreshPwsh (Join-Path $Root 'build/Publish-LocalPackage.ps1') @('-ModuleDir', $ModuleOut, '-Repository', $repo)
}

foreach ($t in $Task) {
    switch ($t) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'UnitTest' { Invoke-UnitTest; Write-Host "$($script:Passed) passed, $($script:Failed) failed"; if ($script:Failed) { exit 1 } }
        'PesterTest' { Invoke-PesterSuite -Name 'module' -Tag @() -ExcludeTag @('Integration'); Write-Host "$($script:Passed) passed, $($script:Failed) failed"; if ($script:Failed) { exit 1 } }
        'IntegrationTest' { Invoke-IntegrationTest; Write-Host "$($script:Passed) passed, $($script:Failed) failed"; if ($script:Failed) { exit 1 } }
        'Lab' { Invoke-Lab }
        'LabDown' { Invoke-Native bash @((Join-Path $Root 'tests/lab/down.sh')) }
        'Demo' { Invoke-Demo }
        'Bench' { Invoke-Bench }
        'Package' { Invoke-Package }
        'Clean' { Remove-Item (Join-Path $Root 'out') -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
