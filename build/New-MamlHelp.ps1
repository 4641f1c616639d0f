<#
.SYNOPSIS
    Writes the module's MAML help file from the cmdlets' XML doc comments.
.DESCRIPTION
    platyPS is not available, so help is generated here, at build time, from the source the
    contributor already writes: the XML doc comments on each cmdlet class and its parameter properties.
      <summary>                 the synopsis (one sentence)
      <remarks><para>...        the description, one paragraph per <para>
      <example><code>...</code><para>...</para></example>   one example each; the paras explain it
      <seealso cref="T:..."/> or <seealso href="..."/>        related links
      a parameter property's <summary>   that parameter's help
    Parameter sets, types, pipeline input, positions and [OutputType] come from the compiled
    cmdlet itself, so the help cannot drift from the code.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $DocFiles,
    [Parameter(Mandatory)] [string] $OutFile
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$docs = @{}
foreach ($file in $DocFiles -split ',') {
    if (-not (Test-Path $file)) { continue }
    foreach ($member in ([xml](Get-Content $file -Raw)).doc.members.member) { $docs[$member.name] = $member }
}

function Get-Doc([string] $Key) { if ($docs.ContainsKey($Key)) { $docs[$Key] } else { $null } }

# Inner text of a doc element, with <see cref="..."/> turned into the short name and whitespace tidied.
function Get-Text($Node) {
    if ($null -eq $Node) { return '' }
    $clone = $Node.Clone()
    foreach ($see in @($clone.SelectNodes('.//see|.//paramref|.//typeparamref'))) {
        $name = if ($see.HasAttribute('cref')) { ($see.cref -split '[.:]')[-1] } elseif ($see.HasAttribute('langword')) { $see.langword } else { $see.name }
        $see.ParentNode.ReplaceChild($clone.OwnerDocument.CreateTextNode($name), $see) | Out-Null
    }
    return (($clone.InnerText -split "`n" | ForEach-Object { $_.Trim() }) -join ' ').Trim() -replace '\s{2,}', ' '
}

function Get-Paragraphs($Node) {
    if ($null -eq $Node) { return @() }
    $paras = @($Node.SelectNodes('para'))
    if ($paras.Count -eq 0) { return @(Get-Text $Node) }
    return @($paras | ForEach-Object { Get-Text $_ })
}

function Get-ParameterDoc([System.Reflection.PropertyInfo] $Property) {
    $doc = Get-Doc "P:$($Property.DeclaringType.FullName).$($Property.Name)"
    if ($doc) { return Get-Text $doc.SelectSingleNode("summary") }
    return ''
}

$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
Import-Module $ModulePath -Force
$module = Get-Module OpenStackMigration
$cmdletOfType = @{}
foreach ($c in $module.ExportedCmdlets.Values) { $cmdletOfType[$c.ImplementingType.FullName] = $c.Name }

$settings = [System.Xml.XmlWriterSettings]::new()
$settings.Indent = $true
$settings.Encoding = [System.Text.UTF8Encoding]::new($false)
$w = [System.Xml.XmlWriter]::Create($OutFile, $settings)
$ns = @{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
function Start-El([string] $Prefix, [string] $Name) { $w.WriteStartElement($Prefix, $Name, $ns[$Prefix]) }
function Write-El([string] $Prefix, [string] $Name, [string] $Value) { $w.WriteElementString($Prefix, $Name, $ns[$Prefix], $Value) }
function Write-Paras([string[]] $Paras) {
    Start-El maml description
    foreach ($p in $Paras) { Write-El maml para $p }
    $w.WriteEndElement()
}
function Write-Type([string] $Name) {
    Start-El dev type; Write-El maml name $Name; Write-El maml uri ''; $w.WriteEndElement()
}

$missing = [System.Collections.Generic.List[string]]::new()
$w.WriteStartDocument()
$w.WriteStartElement('helpItems'); $w.WriteAttributeString('schema', 'maml')
foreach ($ns1 in $ns.GetEnumerator()) { $w.WriteAttributeString('xmlns', $ns1.Key, $null, $ns1.Value) }

foreach ($cmd in ($module.ExportedCmdlets.Values | Sort-Object Name)) {
    $type = $cmd.ImplementingType
    $typeDoc = Get-Doc "T:$($type.FullName)"
    if (-not $typeDoc) { $missing.Add("$($cmd.Name): no XML doc comment on $($type.FullName)"); continue }
    $props = @{}
    foreach ($p in $type.GetProperties()) { $props[$p.Name] = $p }

    Start-El command command
    Start-El command details
    Write-El command name $cmd.Name
    Write-El command verb $cmd.Verb
    Write-El command noun $cmd.Noun
    Write-Paras @(Get-Text $typeDoc.SelectSingleNode("summary"))
    $w.WriteEndElement()
    Write-Paras (Get-Paragraphs $typeDoc.SelectSingleNode('remarks'))

    Start-El command syntax
    foreach ($set in $cmd.ParameterSets) {
        Start-El command syntaxItem
        Write-El maml name $cmd.Name
        foreach ($p in $set.Parameters | Where-Object { $common -notcontains $_.Name }) {
            Start-El command parameter
            $w.WriteAttributeString('required', $p.IsMandatory.ToString().ToLower())
            $w.WriteAttributeString('position', $(if ($p.Position -ge 0) { [string]($p.Position + 1) } else { 'named' }))
            Write-El maml name $p.Name
            if ($p.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
                Start-El command parameterValue; $w.WriteAttributeString('required', 'true'); $w.WriteString($p.ParameterType.Name); $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    Start-El command parameters
    foreach ($p in ($cmd.Parameters.Values | Where-Object { $common -notcontains $_.Name } | Sort-Object Name)) {
        $text = if ($props.ContainsKey($p.Name)) { Get-ParameterDoc $props[$p.Name] } else { '' }
        if (-not $text) { $missing.Add("$($cmd.Name) -$($p.Name): no <summary> on the parameter") }
        $attrs = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
        $byValue = [bool]($attrs | Where-Object ValueFromPipeline)
        $byName = [bool]($attrs | Where-Object ValueFromPipelineByPropertyName)
        $position = $null
        foreach ($a in $attrs) { if ($a.Position -ge 0) { $position = $a.Position; break } }
        Start-El command parameter
        $w.WriteAttributeString('required', ([bool]($attrs | Where-Object Mandatory)).ToString().ToLower())
        $w.WriteAttributeString('globbing', ([bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })).ToString().ToLower())
        $w.WriteAttributeString('pipelineInput', $(if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }))
        $w.WriteAttributeString('position', $(if ($null -ne $position) { [string]($position + 1) } else { 'named' }))
        Write-El maml name $p.Name
        Write-Paras @($text)
        Start-El command parameterValue; $w.WriteAttributeString('required', 'true'); $w.WriteString($p.ParameterType.Name); $w.WriteEndElement()
        Write-Type $p.ParameterType.FullName
        if ($p.Aliases.Count) { Write-El maml alias ($p.Aliases -join ', ') }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    Start-El command inputTypes
    $inputs = @($cmd.Parameters.Values | Where-Object { $_.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and ($_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName) } })
    foreach ($p in $inputs) {
        Start-El command inputType; Write-Type $p.ParameterType.FullName; Write-Paras @("-$($p.Name) from the pipeline"); $w.WriteEndElement()
    }
    $w.WriteEndElement()

    Start-El command returnValues
    foreach ($o in $cmd.OutputType) {
        Start-El command returnValue; Write-Type $o.Name; Write-Paras @(''); $w.WriteEndElement()
    }
    $w.WriteEndElement()

    Start-El command examples
    $i = 0
    foreach ($ex in @($typeDoc.SelectNodes('example'))) {
        $i++
        Start-El command example
        Write-El maml title "-------------------------- Example $i --------------------------"
        $code = (($ex.SelectSingleNode('code').InnerText -split "`n" | ForEach-Object { $_.TrimEnd() }) -join "`n").Trim()
        Write-El dev code $code
        Start-El dev remarks
        foreach ($p in Get-Paragraphs $ex) { if ($p -and $p -ne $code) { Write-El maml para $p } }
        $w.WriteEndElement()
        $w.WriteEndElement()
    }
    if ($i -eq 0) { $missing.Add("$($cmd.Name): no <example>") }
    $w.WriteEndElement()

    Start-El command relatedLinks
    foreach ($see in @($typeDoc.SelectNodes('seealso'))) {
        Start-El maml navigationLink
        if ($see.HasAttribute('href')) { Write-El maml linkText $see.href; Write-El maml uri $see.href }
        elseif ($see.HasAttribute('cref') -and $cmdletOfType.ContainsKey($see.cref.Substring(2))) { Write-El maml linkText $cmdletOfType[$see.cref.Substring(2)]; Write-El maml uri '' }
        else { Write-El maml linkText (Get-Text $see); Write-El maml uri '' }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteEndElement()
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()

foreach ($m in $missing) { Write-Warning "Help: $m" }
Write-Host "Help for $($module.ExportedCmdlets.Count) cmdlets written to $OutFile"
