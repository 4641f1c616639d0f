@{
    # The cmdlets (IL, for every PowerShell); at import they load the engine precompiled for the running runtime when
    # the build made it (core/), else the IL one beside them.
    RootModule           = 'OpenStackMigration.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '7f0d3c56-2f7e-4a53-9a63-3b1b6f7b2d11'
    Author               = 'OpenStackMigration contributors'
    CompanyName          = 'OpenStackMigration'
    Copyright            = '(c) OpenStackMigration contributors. Apache License 2.0.'
    Description          = 'OpenStack live and cold migration an admin can script, trust and watch: hosts and capacity, pre-flight checks, migrations with progress and a real verdict, host maintenance, and safe nova/cinder/haproxy timeout tuning on every node.'
    CompatiblePSEditions = @('Desktop', 'Core')
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    # The build joins every module/*.Format.ps1xml into this one file (one file costs a cold import less than several).
    FormatsToProcess     = @('OpenStackMigration.Format.ps1xml')
    # No TypesToProcess: a types file cost a cold import about 5 ms (a tenth of it); the two names other tools bind to
    # (Instance.InstanceId, Hypervisor.HypervisorHostname) are properties of the objects themselves.
    CmdletsToExport      = @(
        'Connect-OSCloud'
        'Disconnect-OSCloud'
        'Get-OSHypervisor'
        'Get-OSInstance'
        'Get-OSComputeService'
        'Disable-OSComputeService'
        'Invoke-OSRollingMaintenance'
        'Invoke-OSHostEvacuation'
        'Enable-OSComputeService'
        'Test-OSMigrationTarget'
        'Move-OSInstance'
        'Get-OSMigration'
        'Stop-OSMigration'
        'Complete-OSMigration'
        'Debug-OSMigration'
        'Get-OSRpcTimeout'
        'Set-OSRpcTimeout'
        'Get-OSHAProxyTimeout'
        'Set-OSHAProxyTimeout'
        'Get-OSDebugLogging'
        'Set-OSDebugLogging'
        'Restart-OSService'
        'Find-OSLogEntry'
        'Set-OSMigrationTimeout'
        'Test-OSMigrationTimeout'
        'Get-OSMigrationPlan'
        'Start-OSHostMaintenance'
        'Stop-OSHostMaintenance'
        'Wait-OSMigration'
        'Add-OSNode'
        'Get-OSNode'
        'Remove-OSNode'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('OpenStack', 'Nova', 'LiveMigration', 'Migration', 'Cloud', 'Placement', 'Cinder', 'HAProxy', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ProjectUri   = 'https://github.com/openstackmigration/OpenStackMigration'
            ReleaseNotes = 'First release.'
        }
    }
}
