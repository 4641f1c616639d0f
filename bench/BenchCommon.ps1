# Helpers shared by the benchmarks: whole-process timing, medians, and a table of results.
# The pwsh every benchmark starts: the one running (the repository's dotnet tool, IL only), or the ReadyToRun copy
# that Invoke-Bench -ReadyToRunPwsh makes (bench/New-ReadyToRunPwsh.ps1), as Microsoft's pwsh packages ship it.
$script:PwshDll = if ($env:OSM_BENCH_PWSH) { $env:OSM_BENCH_PWSH } else { Join-Path $PSHOME 'pwsh.dll' }

# What kind of pwsh a pwsh.dll is: 'ReadyToRun' when its System.Management.Automation is precompiled, else 'IL only'.
function Get-PwshKind([string] $Dll) {
    $sma = Join-Path (Split-Path $Dll) 'System.Management.Automation.dll'
    $stream = [IO.File]::OpenRead($sma)
    try {
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        if ($pe.PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size -gt 0) { 'ReadyToRun' } else { 'IL only' }
    } finally { $stream.Dispose() }
}

# Runs a command line once as a whole new process: wall seconds, when it ended, and what it printed.
function Invoke-TimedProcess {
    param([string] $FilePath, [string[]] $ArgumentList, [hashtable] $Environment = @{})
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $p = [System.Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    $p.WaitForExit()
    $sw.Stop()
    $ended = [DateTime]::Now
    if ($p.ExitCode -ne 0) { throw "$FilePath $($ArgumentList -join ' ') failed ($($p.ExitCode)): $($out.Result) $($err.Result)" }
    [pscustomobject]@{ Seconds = $sw.Elapsed.TotalSeconds; Ended = $ended; Output = $out.Result; Error = $err.Result }
}

# Runs a command line as a whole new process $Runs times; returns the wall seconds of each run.
function Measure-Process {
    param([string] $FilePath, [string[]] $ArgumentList, [int] $Runs = 5, [hashtable] $Environment = @{})
    $times = foreach ($i in 1..$Runs) { (Invoke-TimedProcess $FilePath $ArgumentList $Environment).Seconds }
    return , @($times)
}

function Get-Median([double[]] $Values) {
    $sorted = $Values | Sort-Object
    $n = $sorted.Count
    if ($n % 2) { return $sorted[[int][Math]::Floor($n / 2)] }
    return ($sorted[$n / 2 - 1] + $sorted[$n / 2]) / 2
}

function Format-Seconds([double] $s) { '{0:N2} s' -f $s }

# The environment an openstack client process needs to reach the lab (its openrc, without printing it).
function Get-LabEnvironment([string] $LabDir) {
    $envs = @{}
    Get-Content (Join-Path $LabDir 'openrc') | Where-Object { $_ -match '^export (OS_\w+)=(.*)$' } | ForEach-Object { $envs[$Matches[1]] = $Matches[2].Trim("'", '"') }
    return $envs
}

function Write-Comparison {
    param([string] $Title, [string] $OursLabel, [double[]] $Ours, [string] $TheirsLabel, [double[]] $Theirs)
    $mo = Get-Median $Ours; $mt = Get-Median $Theirs
    [pscustomobject]@{ Benchmark = $Title; Tool = $OursLabel; Median = Format-Seconds $mo; Min = Format-Seconds ($Ours | Measure-Object -Minimum).Minimum; Runs = $Ours.Count; Ratio = '{0:P0}' -f ($mo / $mt) },
    [pscustomobject]@{ Benchmark = $Title; Tool = $TheirsLabel; Median = Format-Seconds $mt; Min = Format-Seconds ($Theirs | Measure-Object -Minimum).Minimum; Runs = $Theirs.Count; Ratio = '100%' } |
        Format-Table -AutoSize | Out-String -Width 200 | Write-Host
}
