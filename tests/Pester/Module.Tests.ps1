# Holds for every cmdlet the module exports, now and later. Runs in a fresh pwsh against the built module.
BeforeDiscovery {
    $script:ModulePath = if ($env:OSM_MODULE_PATH) { $env:OSM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/OpenStackMigration/0.1.0/OpenStackMigration.psd1' }
    Import-Module $script:ModulePath -Force
    $script:Cmdlets = @(Get-Command -Module OpenStackMigration -CommandType Cmdlet | ForEach-Object { @{ Name = $_.Name; Command = $_ } })
}

BeforeAll {
    $ModulePath = if ($env:OSM_MODULE_PATH) { $env:OSM_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/OpenStackMigration/0.1.0/OpenStackMigration.psd1' }
    Import-Module $ModulePath -Force
    $Manifest = Import-PowerShellDataFile $ModulePath
    # The manifest's root module is the cmdlets' assembly; at import it loads the engine that suits this PowerShell.
    $Assembly = (Get-Command -Module OpenStackMigration -CommandType Cmdlet | Select-Object -First 1).ImplementingType.Assembly
    # Verbs that change something and so must support -WhatIf/-Confirm.
    $ChangingVerbs = 'Set', 'Move', 'Start', 'Stop', 'Restart', 'Enable', 'Disable', 'Complete', 'Remove', 'New', 'Disconnect', 'Invoke', 'Register', 'Update', 'Reset', 'Clear', 'Resume', 'Suspend', 'Add'
}

Describe 'The module manifest' {
    It 'exports exactly the cmdlets compiled into the module' {
        $compiled = $Assembly.GetTypes() |
            Where-Object { -not $_.IsAbstract -and $_.IsPublic } |
            ForEach-Object { $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
            ForEach-Object { "$($_.VerbName)-$($_.NounName)" }
        @($Manifest.CmdletsToExport | Sort-Object) | Should -Be @($compiled | Sort-Object)
        @((Get-Module OpenStackMigration).ExportedCmdlets.Keys | Sort-Object) | Should -Be @($compiled | Sort-Object)
    }

    It 'runs on Windows PowerShell 5.1 and PowerShell 7' {
        $Manifest.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $Manifest.PowerShellVersion | Should -Be '5.1'
    }

    It 'exports no functions, aliases or variables' {
        foreach ($key in 'FunctionsToExport', 'AliasesToExport', 'VariablesToExport') {
            $Manifest.ContainsKey($key) | Should -BeTrue -Because "$key must be an explicit empty list"
            @($Manifest[$key]).Count | Should -Be 0
        }
    }

    It 'loads its format file' {
        $Manifest.FormatsToProcess | Should -Not -BeNullOrEmpty
        foreach ($f in $Manifest.FormatsToProcess) { Join-Path (Split-Path $ModulePath) $f | Should -Exist }
    }

    It 'loads every view of module/*.Format.ps1xml (the build joins them into one file)' {
        $source = Join-Path $PSScriptRoot '../../module'
        $written = @(Get-ChildItem $source -Filter '*.Format.ps1xml' | ForEach-Object { ([xml](Get-Content -Raw $_.FullName)).Configuration.ViewDefinitions.View.Name })
        $loaded = @(Get-FormatData -TypeName 'OpenStackMigration.*' | ForEach-Object { $_.FormatViewDefinition.Name })
        $written.Count | Should -BeGreaterThan 20
        @($loaded | Sort-Object -Unique) | Should -Be @($written | Sort-Object -Unique)
    }

    It "binds an instance to other tools' -InstanceId and a hypervisor to their -HypervisorHostname, by property name" {
        function Get-OtherInstance { param([Parameter(ValueFromPipelineByPropertyName)] [string] $InstanceId) process { $InstanceId } }
        function Get-OtherNode { param([Parameter(ValueFromPipelineByPropertyName)] [string] $HypervisorHostname) process { $HypervisorHostname } }
        $instance = [OpenStackMigration.Model.Instance]@{ Id = 'c0ffee00-0000-4000-8000-000000000001'; Name = 'web-1'; InstanceName = 'instance-0000002a' }
        $instance | Get-OtherInstance | Should -Be 'c0ffee00-0000-4000-8000-000000000001'
        [OpenStackMigration.Model.Hypervisor]@{ Id = 'rp-1'; Name = 'compute1.example'; HostName = 'compute1' } | Get-OtherNode | Should -Be 'compute1.example'
        # Kept out of the state files the maintenance cmdlets write: they are the same values again.
        [Newtonsoft.Json.JsonConvert]::SerializeObject($instance) | Should -Not -Match '"InstanceId"'
    }

    It 'has the about topics, with the runbook patterns' {
        $about = Get-Help about_OpenStackMigration | Out-String
        $about | Should -Match 'Get-AutomationPSCredential'
        $about | Should -Match 'withCredentials'
        Get-Help about_OpenStackMigration_Errors | Out-String | Should -Match 'OSMigrationNotWaitable'
    }

    It 'keeps third-party assemblies in dependencies/' {
        $root = Split-Path $ModulePath
        Join-Path $root 'dependencies/RestSharp.dll' | Should -Exist
        Join-Path $root 'dependencies/Newtonsoft.Json.dll' | Should -Exist
        Join-Path $root 'RestSharp.dll' | Should -Not -Exist
        Join-Path $root 'System.Management.Automation.dll' | Should -Not -Exist
    }

    It 'runs the engine precompiled for this runtime, and the IL one with OSM_READYTORUN=0' -Skip:(-not $IsLinux) {
        # Build precompiles the engine for the running pwsh's runtime (core/net<major>-linux-<arch>/); the cmdlets, the
        # manifest's root, are IL everywhere. Windows PowerShell 5.1 and any other runtime load the IL engine beside
        # them. A fresh pwsh each (this one has the module loaded); a connect to a closed port runs the engine's HTTP
        # code, so RestSharp is resolved too.
        $root = [IO.Path]::GetFullPath((Split-Path $ModulePath))
        $arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant()
        $precompiled = Join-Path $root "core/net$([Environment]::Version.Major)-linux-$arch"
        $probe = "Import-Module '$ModulePath'; `$null = Connect-OSCloud -AuthUrl http://127.0.0.1:9/v3 -Token (ConvertTo-SecureString x -AsPlainText -Force) -ErrorAction SilentlyContinue; " +
            '[AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -in "OpenStackMigration", "OpenStackMigration.Engine", "RestSharp" } | ForEach-Object { $_.Location }'
        $exe = (Get-Process -Id $PID).Path
        $lead = @(if ($exe -match 'dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
        $loaded = @(& $exe @lead -NoProfile -NonInteractive -Command $probe | Sort-Object)
        $loaded | Should -Be @(@((Join-Path $root 'OpenStackMigration.dll'), (Join-Path $precompiled 'OpenStackMigration.Engine.dll'), (Join-Path $precompiled 'dependencies/RestSharp.dll')) | Sort-Object)
        foreach ($dll in $loaded) {
            $stream = [IO.File]::OpenRead($dll)
            try {
                $native = [System.Reflection.PortableExecutable.PEReader]::new($stream).PEHeaders.CorHeader.ManagedNativeHeaderDirectory.Size
                if ($dll -like "$precompiled*") { $native | Should -BeGreaterThan 0 -Because "$dll is precompiled" } else { $native | Should -Be 0 -Because "$dll is IL" }
            }
            finally { $stream.Dispose() }
        }
        $env:OSM_READYTORUN = '0'
        try { $il = @(& $exe @lead -NoProfile -NonInteractive -Command $probe | Sort-Object) }
        finally { Remove-Item Env:OSM_READYTORUN }
        $il | Should -Be @(@((Join-Path $root 'OpenStackMigration.dll'), (Join-Path $root 'OpenStackMigration.Engine.dll'), (Join-Path $root 'dependencies/RestSharp.dll')) | Sort-Object)

        # Constrained language (application control) runs no script of ours: the module has none, and imports whole.
        $clm = "`$ExecutionContext.SessionState.LanguageMode = 'ConstrainedLanguage'; Import-Module '$ModulePath'; @(Get-Command -Module OpenStackMigration).Count"
        & $exe @lead -NoProfile -NonInteractive -Command $clm | Should -Be "$(@(Get-Command -Module OpenStackMigration).Count)"
    }

    It 'lists its cmdlets without loading the engine, so the engine can be chosen at import' {
        # Import-Module loads every public type of the root assembly, and a type is laid out with its fields: a field
        # whose type is a struct or enum of the engine (an auto-property's too) loads the engine there, before the
        # initializer could choose the precompiled one. Such parameters keep their value in a Held<T>.
        $engine = 'OpenStackMigration.Engine'
        $flags = [System.Reflection.BindingFlags]'Instance, Static, Public, NonPublic, DeclaredOnly'
        $offending = foreach ($type in $Assembly.GetExportedTypes()) {
            for ($t = $type; $t -and $t.Assembly -eq $Assembly; $t = $t.BaseType) {
                foreach ($field in $t.GetFields($flags)) {
                    # A struct is laid out with its own fields: Nullable<an engine enum> needs the engine too.
                    $laidOut = @($field.FieldType); $needs = $false
                    while ($laidOut) {
                        $next = @(foreach ($v in $laidOut | Where-Object IsValueType) {
                            if ($v.Assembly.GetName().Name -eq $engine) { $needs = $true }
                            if ($v.IsGenericType) { $v.GetGenericArguments() }
                        })
                        $laidOut = $next
                    }
                    if ($needs) { "$($t.Name).$($field.Name) ($($field.FieldType))" }
                }
            }
            if ($type.BaseType -and $type.BaseType.Assembly.GetName().Name -eq $engine) { "$($type.Name) derives from $($type.BaseType.Name)" }
            foreach ($i in $type.GetInterfaces()) { if ($i.Assembly.GetName().Name -eq $engine) { "$($type.Name) implements $($i.Name)" } }
        }
        @($offending) | Should -BeNullOrEmpty
    }
}

Describe '<Name>' -ForEach $Cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
    }

    It 'has a synopsis' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name\s"
    }

    It 'has a description' {
        ($help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'has at least one example with code and an explanation' {
        @($help.Examples.Example).Count | Should -BeGreaterThan 0
        foreach ($ex in $help.Examples.Example) {
            $ex.Code | Should -Match $Name -Because 'an example shows the cmdlet in use'
            ($ex.Remarks.Text -join '') | Should -Not -BeNullOrEmpty
        }
    }

    It 'documents every parameter' {
        foreach ($p in @($help.Parameters.Parameter)) {
            ($p.Description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$($p.Name) needs a <summary>"
        }
    }

    It 'declares [OutputType]' {
        @($Command.OutputType).Count | Should -BeGreaterThan 0
    }

    It 'supports ShouldProcess when it changes anything' {
        if ($ChangingVerbs -contains $Command.Verb) {
            $Command.Parameters.Keys | Should -Contain 'WhatIf'
            $Command.Parameters.Keys | Should -Contain 'Confirm'
        }
    }

    It 'asks for confirmation at the default $ConfirmPreference only if its help tells runbooks to pass -Confirm:$false' {
        $attribute = $Command.ImplementingType.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]
        if ($attribute.ConfirmImpact -eq 'High') {
            ($help.Description.Text -join ' ') | Should -Match 'Confirm:\$false in runbooks' -Because 'a runbook cannot answer the prompt'
        }
    }

    It 'uses an approved verb and the OS noun prefix' {
        (Get-Verb).Verb | Should -Contain $Command.Verb
        $Command.Noun | Should -BeLike 'OS*'
    }
}
