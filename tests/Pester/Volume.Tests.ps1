# The seed's own case on the lab's real Cinder (up.sh --cinder): volume-backed live migration, attachments verified.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    $SkipLab = [bool]$env:OSM_LAB_SKIP_REASON
}

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    $null = Connect-Lab
    $Token = & bash -c "set -a; . '$LabDir/openrc'; openstack token issue -f value -c id"
    $Session = Connect-Lab

    # Cinder's own view of a volume's attachments, read with curl: not through the module under test.
    function Get-CinderAttachmentHosts([string] $VolumeId) {
        $endpoint = ($Session.Catalog | Where-Object { $_.ServiceType -eq 'volumev3' -and $_.Interface -eq 'public' }).Url
        $volume = (Invoke-LabRest -Url "$endpoint/volumes/$VolumeId" -Headers @{ 'X-Auth-Token' = $Token; 'OpenStack-API-Version' = 'volume 3.27' }).volume
        [pscustomobject]@{ Status = $volume.status; Hosts = @($volume.attachments | ForEach-Object host_name) }
    }

    function Get-OtherHost([string] $HostName) {
        (Get-OSHypervisor | Where-Object { $_.IsAvailable -and $_.HostName -ne $HostName -and $_.HostName -like 'compute*' } | Select-Object -First 1).HostName
    }
}

Describe 'Volume-backed live migration on the lab''s Cinder' -Tag Integration, ApiCap -Skip:$SkipLab {
    It 'sees a boot-from-volume instance as volume-backed, with its root volume' {
        $vm = Get-OSInstance -Name cirros_bfv
        $vm.IsVolumeBacked | Should -BeTrue
        $vm.ImageId | Should -BeNullOrEmpty
        @($vm.Volumes).Count | Should -Be 1
    }

    It 'says the storage case in the pre-flight check' {
        $bfv = Get-OSInstance -Name cirros_bfv
        $check = $bfv | Test-OSMigrationTarget -DestinationHost (Get-OtherHost $bfv.HostName)
        ($check.Checks | Where-Object Name -eq 'Storage').Reason | Should -Match 'Volume-backed'
        $data = Get-OSInstance -Name cirros_data
        $check = $data | Test-OSMigrationTarget -DestinationHost (Get-OtherHost $data.HostName)
        ($check.Checks | Where-Object Name -eq 'Storage').Reason | Should -Match 'Mixed'
    }

    It 'live-migrates <_> with a Succeeded verdict and its volumes attached on the destination' -ForEach 'cirros_bfv', 'cirros_data' {
        $vm = Get-OSInstance -Name $_
        $target = Get-OtherHost $vm.HostName
        $result = $vm | Move-OSInstance -DestinationHost $target -Wait -TimeoutSec 180 -Confirm:$false
        $result.Verdict | Should -Be 'Succeeded'
        $result.DestinationHost | Should -Be $target
        $result.VolumesVerified | Should -BeTrue
        @($result.VolumeChecks).Count | Should -Be @($vm.Volumes).Count
        (Get-OSInstance -Id $vm.Id).HostName | Should -Be $target
        foreach ($v in $vm.Volumes) {
            $seen = Get-CinderAttachmentHosts $v.VolumeId
            $seen.Status | Should -Be 'in-use'
            $seen.Hosts | Should -Be @($target)
        }
    }
}
