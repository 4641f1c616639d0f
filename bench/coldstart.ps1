<#
.SYNOPSIS
    A cold process, step by step: pwsh's own start, Import-Module, and a whole Get-OSHypervisor / Get-OSInstance
    process cut into its steps. Figures side by side; nothing asserts a time.
.DESCRIPTION
    Without the lab: a bare `pwsh -NoProfile -Command exit` against the same plus `Import-Module`, and plus importing a
    manifest with nothing in it (what pwsh charges for any module), run alternately (all see the same machine load)
    -ImportRuns times each; medians. Beside them the floor of any binary module of this one's size: 32 trivial cmdlets
    compiled here (Add-Type), alone and with a one-view format file (pwsh rebuilds its whole format table for every
    format file a module brings, whatever its size, so one view costs what two dozen do). Then the same with PowerShell's own
    telemetry off (POWERSHELL_TELEMETRY_OPTOUT=1): pwsh reports every Import-Module to it on the pipeline thread, a
    cost any module pays and only the user can turn off.
    With -LabDir: fresh processes that connect to the lab's cloud 'osm-lab' and time, from inside, each step a cold
    Get-OSHypervisor or Get-OSInstance goes through (import, Connect-OSCloud, the first call, formatting its answer
    for the screen); the process's CPU time beside its wall time shows how CPU-bound a cold process is.
    Every figure is taken on two pwsh builds side by side: the repository's dotnet tool, whose assemblies are IL only
    (every PowerShell method a process runs is JIT-compiled first), and a ReadyToRun copy of it that
    bench/New-ReadyToRunPwsh.ps1 makes (a few minutes, once), as Microsoft's pwsh packages ship it and users run it.
    The JIT columns count the methods a process JIT-compiled ([System.Runtime.JitInfo]), which machine load does not
    change.
    Standalone: dotnet pwsh -NoProfile -File bench/coldstart.ps1 -ModulePath out/OpenStackMigration/0.1.0/OpenStackMigration.psd1 [-LabDir .lab] [-NoReadyToRunPwsh]
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $LabDir,
    [int] $Runs = 5,
    # Alternating pairs for the import figures: a fraction of a second each, and the machine's noise is of that order.
    [int] $ImportRuns = 21,
    # Only the running pwsh: skip the ReadyToRun copy.
    [switch] $NoReadyToRunPwsh
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BenchCommon.ps1')
$ModulePath = (Resolve-Path $ModulePath).Path
$pwshes = [ordered]@{ "$(Get-PwshKind $PwshDll) ($(Split-Path -Leaf (Split-Path $PwshDll)))" = $PwshDll }
if (-not $NoReadyToRunPwsh -and (Get-PwshKind $PwshDll) -ne 'ReadyToRun') {
    $r2r = @(& (Join-Path $PSScriptRoot 'New-ReadyToRunPwsh.ps1'))[-1]
    $pwshes['ReadyToRun (as installed)'] = $r2r
}
$jitCount = "; [Console]::Out.WriteLine('jit=' + [System.Runtime.JitInfo]::GetCompiledMethodCount())"

# What pwsh charges for importing any module at all: a manifest with nothing in it.
$emptyDir = Join-Path ([IO.Path]::GetTempPath()) ('osm-bench-empty-' + [guid]::NewGuid().ToString('N'))
New-Item -ItemType Directory $emptyDir | Out-Null
$emptyModule = Join-Path $emptyDir 'OSMBenchEmpty.psd1'
"@{ ModuleVersion = '1.0'; GUID = '$([guid]::NewGuid())'; FunctionsToExport = @(); CmdletsToExport = @() }" | Set-Content $emptyModule

# The floor: 32 cmdlets that do nothing, then the same with a format file of one table view.
$verbs = 'Get', 'Set', 'Test', 'Move', 'Start', 'Stop', 'Invoke', 'Enable', 'Disable', 'Add', 'Remove', 'Find', 'Wait', 'Complete', 'Restart', 'Debug'
$cmdlets = foreach ($noun in 'OSAlpha', 'OSBeta') {
    foreach ($verb in $verbs) {
        "[Cmdlet(`"$verb`", `"$noun`")] public sealed class $verb${noun}Command : PSCmdlet { [Parameter(Position = 0)] public string Name { get; set; } [Parameter] public SwitchParameter Force { get; set; } protected override void ProcessRecord() { WriteObject(Name); } }"
    }
}
Add-Type -TypeDefinition ("using System.Management.Automation; namespace OSMBenchFloor {`n" + ($cmdlets -join "`n") + "`n}") -OutputAssembly (Join-Path $emptyDir 'OSMBenchFloor.dll') -OutputType Library
@'
<?xml version="1.0" encoding="utf-8"?>
<Configuration><ViewDefinitions><View><Name>Floor</Name><ViewSelectedBy><TypeName>OSMBenchFloor.Thing</TypeName></ViewSelectedBy>
<TableControl><TableHeaders><TableColumnHeader /></TableHeaders><TableRowEntries><TableRowEntry><TableColumnItems>
<TableColumnItem><PropertyName>Name</PropertyName></TableColumnItem></TableColumnItems></TableRowEntry></TableRowEntries></TableControl></View></ViewDefinitions></Configuration>
'@ | Set-Content (Join-Path $emptyDir 'OSMBenchFloor.Format.ps1xml')
$floorModule = Join-Path $emptyDir 'OSMBenchFloor.psd1'
"@{ RootModule = 'OSMBenchFloor.dll'; ModuleVersion = '1.0'; GUID = '$([guid]::NewGuid())'; CmdletsToExport = '*' }" | Set-Content $floorModule
$floorFormatModule = Join-Path $emptyDir 'OSMBenchFloorFormat.psd1'
"@{ RootModule = 'OSMBenchFloor.dll'; ModuleVersion = '1.0'; GUID = '$([guid]::NewGuid())'; CmdletsToExport = '*'; FormatsToProcess = 'OSMBenchFloor.Format.ps1xml' }" | Set-Content $floorFormatModule

function Measure-ImportPair([string] $Dll, [hashtable] $Environment) {
    $bare = [Collections.Generic.List[double]]::new(); $import = [Collections.Generic.List[double]]::new(); $empty = [Collections.Generic.List[double]]::new()
    $floor = [Collections.Generic.List[double]]::new(); $floorFormat = [Collections.Generic.List[double]]::new()
    foreach ($i in 1..$ImportRuns) {
        $bare.Add((Invoke-TimedProcess dotnet @($Dll, '-NoProfile', '-NonInteractive', '-Command', 'exit') $Environment).Seconds)
        $import.Add((Invoke-TimedProcess dotnet @($Dll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$ModulePath'") $Environment).Seconds)
        $empty.Add((Invoke-TimedProcess dotnet @($Dll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$emptyModule'") $Environment).Seconds)
        $floor.Add((Invoke-TimedProcess dotnet @($Dll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$floorModule'") $Environment).Seconds)
        $floorFormat.Add((Invoke-TimedProcess dotnet @($Dll, '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$floorFormatModule'") $Environment).Seconds)
    }
    # JIT-compiled methods: the same in every run, whatever the load.
    $jit = foreach ($command in '$null', "Import-Module '$ModulePath'", "Import-Module '$emptyModule'") {
        $out = (Invoke-TimedProcess dotnet @($Dll, '-NoProfile', '-NonInteractive', '-Command', "$command$jitCount") $Environment).Output
        [int]([regex]::Match($out, 'jit=(\d+)').Groups[1].Value)
    }
    [pscustomobject]@{ Bare = Get-Median $bare; Import = Get-Median $import; Empty = Get-Median $empty; Floor = Get-Median $floor; FloorFormat = Get-Median $floorFormat; BareMin = ($bare | Measure-Object -Minimum).Minimum; ImportMin = ($import | Measure-Object -Minimum).Minimum; Jit = $jit }
}

function Format-Over([double] $Value, [double] $Bare) { '{0:+0.000;-0.000} s ({1:+0%;-0%})' -f ($Value - $Bare), (($Value - $Bare) / $Bare) }

Write-Host "Import-Module against a bare pwsh start ($ImportRuns alternating runs each, medians):"
$rows = foreach ($kind in $pwshes.Keys) {
    foreach ($case in @(@{ Label = 'telemetry on (default)'; Env = @{} }, @{ Label = 'POWERSHELL_TELEMETRY_OPTOUT=1'; Env = @{ POWERSHELL_TELEMETRY_OPTOUT = '1' } })) {
        $m = Measure-ImportPair $pwshes[$kind] $case.Env
        [pscustomobject]@{
            'pwsh'                 = $kind
            'telemetry'            = $case.Label
            'bare start'           = Format-Seconds $m.Bare
            '+ Import-Module'      = Format-Seconds $m.Import
            'import over bare'     = Format-Over $m.Import $m.Bare
            'an empty module over bare' = Format-Over $m.Empty $m.Bare
            'floor: 32 cmdlets / + a format file' = '{0} / {1}' -f (Format-Over $m.Floor $m.Bare), (Format-Over $m.FloorFormat $m.Bare)
            'min bare / min import' = '{0} / {1}' -f (Format-Seconds $m.BareMin), (Format-Seconds $m.ImportMin)
            'JIT bare / +import / +empty' = '{0} / +{1} / +{2}' -f $m.Jit[0], ($m.Jit[1] - $m.Jit[0]), ($m.Jit[2] - $m.Jit[0])
        }
    }
}
Remove-Item -Recurse -Force $emptyDir
$rows | Format-Table -AutoSize | Out-String -Width 250 | Write-Host

# What got loaded by the import itself: assemblies the import did not need would show here.
$loaded = & dotnet $PwshDll -NoProfile -NonInteractive -Command "`$before = [AppDomain]::CurrentDomain.GetAssemblies().FullName; Import-Module '$ModulePath'; [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$before -notcontains `$_.FullName } | ForEach-Object { `$_.GetName().Name }"
Write-Host "Assemblies Import-Module loads: $(@($loaded) -join ', ')"

if (-not $LabDir) { return }

# One cold process, timed from inside: each step's wall milliseconds, then the process's CPU milliseconds so far.
$steps = @'
$p = [Diagnostics.Process]::GetCurrentProcess(); $sw = [Diagnostics.Stopwatch]::StartNew(); $t = [ordered]@{}
function Step($name) { $t[$name] = $sw.Elapsed.TotalMilliseconds; $sw.Restart() }
Import-Module '__MODULE__'; Step 'Import-Module'
$null = Connect-OSCloud -Cloud osm-lab; Step 'Connect-OSCloud'
$r = __CALL__; Step 'first call'
$r | Out-String | Out-Null; Step 'formatting'
$t['JIT methods'] = [System.Runtime.JitInfo]::GetCompiledMethodCount()
$p.Refresh(); $t['process CPU'] = $p.TotalProcessorTime.TotalMilliseconds; $t['since process start'] = ([DateTime]::Now - $p.StartTime).TotalMilliseconds
($t.GetEnumerator() | ForEach-Object { '{0}={1:F0}' -f $_.Key, $_.Value }) -join ';'
'@
$environment = @{ OS_CLIENT_CONFIG_FILE = (Join-Path $LabDir 'clouds.yaml') }
$table = foreach ($kind in $pwshes.Keys) {
    foreach ($call in 'Get-OSHypervisor', 'Get-OSInstance -AllProjects') {
        $samples = foreach ($i in 1..$Runs) {
            $run = Invoke-TimedProcess dotnet @($pwshes[$kind], '-NoProfile', '-NonInteractive', '-Command', $steps.Replace('__MODULE__', $ModulePath).Replace('__CALL__', $call)) $environment
            $figures = @{}
            foreach ($pair in ($run.Output.Trim() -split ';')) { $k, $v = $pair -split '='; $figures[$k] = [double]$v }
            $figures['whole process'] = $run.Seconds * 1000
            $figures
        }
        $row = [ordered]@{ 'pwsh' = $kind; 'cold process' = $call }
        foreach ($k in 'Import-Module', 'Connect-OSCloud', 'first call', 'formatting', 'since process start', 'process CPU', 'whole process') {
            $row[$k] = '{0:N0} ms' -f (Get-Median @($samples | ForEach-Object { $_[$k] }))
        }
        $row['JIT methods'] = Get-Median @($samples | ForEach-Object { $_['JIT methods'] })
        [pscustomobject]$row
    }
}
$table | Format-Table -AutoSize | Out-String -Width 250 | Write-Host
Write-Host "(medians of $Runs fresh processes; 'since process start' ends after formatting, 'whole process' adds pwsh's exit)"
