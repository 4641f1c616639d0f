# The read side against the real OpenStack of the lab: connect, hosts and capacity, instances, services.
BeforeDiscovery { $SkipLab = [bool]$env:OSM_LAB_SKIP_REASON }

BeforeAll {
    . (Join-Path $PSScriptRoot 'Lab.ps1')
    Import-Module $ModulePath -Force
    if (-not (Test-LabUp)) { throw "The lab is not up ($LabDir/clouds.yaml is missing): run build.ps1 Lab." }
    $Session = Connect-Lab
}

Describe 'Connect-OSCloud against the lab' -Tag Integration -Skip:$SkipLab {
    It 'connects from clouds.yaml and negotiates the compute microversion' -Tag ApiCap {
        $Session.ProjectName | Should -Be 'admin'
        $Session.ComputeMaxMicroversion.ToString() | Should -Be $LabComputeMax
        $Session.ComputeMicroversion.ToString() | Should -Be $LabComputeMax
        $Session.TokenExpiresAt | Should -BeGreaterThan ([DateTimeOffset]::UtcNow)
    }

    It 'connects from the OS_* variables of the openrc' {
        $saved = @{}
        Get-Content (Join-Path $LabDir 'openrc') | Where-Object { $_ -match '^export (OS_\w+)=(.*)$' } | ForEach-Object {
            $saved[$Matches[1]] = [Environment]::GetEnvironmentVariable($Matches[1])
            [Environment]::SetEnvironmentVariable($Matches[1], $Matches[2].Trim("'", '"'))
        }
        try {
            $s = Connect-OSCloud
            $s.UserName | Should -Be 'admin'
            $s.Source | Should -Match 'environment'
        }
        finally {
            foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
            $null = Connect-Lab
        }
    }

    It 'refuses a wrong password with OSAuthenticationFailed' {
        $cred = [pscredential]::new('admin', (ConvertTo-SecureString 'wrong-password' -AsPlainText -Force))
        { Connect-OSCloud -AuthUrl $LabAuthUrl -CACertFile $LabCACert -Credential $cred -ProjectName admin -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSAuthenticationFailed,OpenStackMigration.Commands.ConnectOSCloudCommand'
    }

    It 'names the clouds that exist when the cloud name is wrong' {
        { Connect-OSCloud -Cloud no-such-cloud -ErrorAction Stop } | Should -Throw -ErrorId 'OSCloudNotFound,OpenStackMigration.Commands.ConnectOSCloudCommand'
    }

    It 'says the endpoint is unreachable' {
        $cred = [pscredential]::new('admin', (ConvertTo-SecureString 'x' -AsPlainText -Force))
        { Connect-OSCloud -AuthUrl http://127.0.0.1:9/v3 -Credential $cred -ProjectName admin -ErrorAction Stop } |
            Should -Throw -ErrorId 'OSEndpointUnreachable,OpenStackMigration.Commands.ConnectOSCloudCommand'
    }

    It 'gives a clear error for a revoked token and for a session used after Disconnect-OSCloud' {
        # A token Keystone has revoked (openstack token revoke, as another admin would).
        $token = New-LabToken
        $secure = ConvertTo-SecureString $token -AsPlainText -Force
        $t = Connect-OSCloud -AuthUrl $LabAuthUrl -CACertFile $LabCACert -Token $secure -ProjectName admin -ErrorAction Stop
        $t.AuthMethod | Should -Be 'Token'
        $t.ProjectName | Should -Be 'admin'
        Get-KeystoneTokenStatus $token | Should -Be 200
        & bash -c "set -a; . '$LabDir/openrc'; openstack token revoke '$token'"
        $LASTEXITCODE | Should -Be 0
        Get-KeystoneTokenStatus $token | Should -Be 404 -Because 'Keystone itself no longer knows the revoked token'
        $err = $null
        try { Connect-OSCloud -AuthUrl $LabAuthUrl -CACertFile $LabCACert -Token $secure -ProjectName admin -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'OSAuthenticationFailed,OpenStackMigration.Commands.ConnectOSCloudCommand'
        $err.Exception.Message | Should -Match 'existing token'
        $err.Exception.Message.Contains($token) | Should -BeFalse

        # Disconnect-OSCloud revokes the session's own token in Keystone, and the session says it is closed.
        $s = Connect-Lab
        # The session keeps its token private; read it only to ask Keystone about it.
        $field = $s.GetType().GetFields([Reflection.BindingFlags]'NonPublic, Instance') | Where-Object { $_.FieldType.Name -eq 'KeystoneToken' }
        @($field).Count | Should -Be 1 -Because 'the session holds one Keystone token (test reads it by reflection)'
        $sessionToken = $field.GetValue($s).Id
        Get-KeystoneTokenStatus $sessionToken | Should -Be 200
        Disconnect-OSCloud -Session $s -Confirm:$false
        $s.IsClosed | Should -BeTrue
        Get-KeystoneTokenStatus $sessionToken | Should -Be 404 -Because 'Disconnect-OSCloud revokes the token in Keystone'
        { Get-OSHypervisor -Session $s -ErrorAction Stop } | Should -Throw -ErrorId 'OSSessionClosed,OpenStackMigration.Commands.GetOSHypervisorCommand'
        $null = Connect-Lab
    }

    It 'refuses a token Keystone does not know, naming the token method (never the token)' {
        $bogus = 'gAAAAABnot-a-real-token'
        $err = $null
        try { Connect-OSCloud -AuthUrl $LabAuthUrl -CACertFile $LabCACert -Token (ConvertTo-SecureString $bogus -AsPlainText -Force) -ProjectName admin -ErrorAction Stop }
        catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'OSAuthenticationFailed,OpenStackMigration.Commands.ConnectOSCloudCommand'
        $err.Exception.Message | Should -Match 'existing token'
        $err.Exception.Message.Contains($bogus) | Should -BeFalse
    }
}

Describe 'Get-OSHypervisor on the lab' -Tag Integration, ApiCap -Skip:$SkipLab {
    It 'lists the three computes with Placement capacity' {
        $h = Get-OSHypervisor -Name compute*
        @($h).Count | Should -BeGreaterOrEqual 3
        $c1 = $h | Where-Object Name -eq 'compute1'
        $c1.State | Should -Be 'Up'
        $c1.HypervisorType | Should -Be 'fake'
        $c1.MemoryMB.Total | Should -Be 800000
        $c1.MemoryMB.AllocationRatio | Should -Be 1.5
        $c1.Vcpu.Total | Should -Be 1000
        $c1.MemoryMB.Used | Should -BeGreaterThan 0 -Because 'cirros_vm runs on compute1'
    }

    It 'computes Free as Placement counts it: (total - reserved) x allocation_ratio - used, from Placement''s own inventories and usages' {
        $placement = Get-LabPlacement
        $hosts = @(Get-OSHypervisor -Name compute1, compute2, compute3)
        $hosts.Count | Should -Be 3
        foreach ($h in $hosts) {
            $rp = Get-LabProvider $placement $h.Name
            # Before compute 2.53 a hypervisor's id is an integer: the provider is then found by the node's name.
            if (Test-LabCompute 2.53) { $h.Id | Should -Be $rp.Uuid } else { $h.Id | Should -Match '^\d+$' }
            foreach ($class in @{ P = 'Vcpu'; R = 'VCPU' }, @{ P = 'MemoryMB'; R = 'MEMORY_MB' }, @{ P = 'DiskGB'; R = 'DISK_GB' }) {
                $inv = $rp.Inventories.($class.R)
                $used = [long]$rp.Usages.($class.R)
                $expected = [Math]::Max(0, [long][Math]::Floor(($inv.total - $inv.reserved) * $inv.allocation_ratio) - $used)
                $mine = $h.($class.P)
                $because = "$($h.Name) $($class.R): Placement says total $($inv.total), reserved $($inv.reserved), ratio $($inv.allocation_ratio), used $used"
                $mine.Free | Should -Be $expected -Because $because
                $mine.Total | Should -Be $inv.total -Because $because
                $mine.Reserved | Should -Be $inv.reserved -Because $because
                $mine.AllocationRatio | Should -Be $inv.allocation_ratio -Because $because
                $mine.Used | Should -Be $used -Because $because
            }
        }
    }

    It 'agrees with Placement as the openstack client reads it' {
        $c1 = Get-OSHypervisor compute1
        $token = & bash -c "set -a; . '$LabDir/openrc'; openstack token issue -f value -c id"
        $uuid = if (Test-LabCompute 2.53) { $c1.Id } else { (Get-LabProvider (Get-LabPlacement) compute1).Uuid }
        $usages = (Invoke-LabRest -Url "$(Get-LabPart OSM_LAB_PLACEMENT_URL)/resource_providers/$uuid/usages" -Headers @{ 'X-Auth-Token' = $token }).usages
        $c1.MemoryMB.Used | Should -Be $usages.MEMORY_MB
        $c1.Vcpu.Used | Should -Be $usages.VCPU
        $c1.DiskGB.Used | Should -Be $usages.DISK_GB
    }

    It 'has a table view an admin reads at a glance' {
        $text = Get-OSHypervisor | Format-Table | Out-String -Width 200
        $text | Should -Match 'Name\s+State\s+Status\s+VMs'
        $text | Should -Match 'compute1\s+Up\s+Enabled'
    }

    It 'says so when a named hypervisor does not exist' {
        { Get-OSHypervisor -Name no-such-host -ErrorAction Stop } | Should -Throw -ErrorId 'OSHypervisorNotFound,OpenStackMigration.Commands.GetOSHypervisorCommand'
    }
}

Describe 'State and room without Nova''s hypervisor list (Get-OSHypervisor -Brief)' -Tag Integration, ApiCap -Skip:$SkipLab {
    BeforeAll {
        # A node map of this test's own (the user's is left alone).
        $env:OSM_NODE_CACHE_DIR = Join-Path $TestDrive 'nodes'
        # Runs a listing with Debug on: its objects, and the requests it sent.
        function Invoke-Listing([scriptblock] $Listing) {
            $DebugPreference = 'Continue'
            $all = @(& $Listing 5>&1)
            [pscustomobject]@{
                Nodes = @($all | Where-Object { $_ -isnot [System.Management.Automation.DebugRecord] })
                # One text, one request per line: Should -Match reads one value.
                Requests = ($all | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message | Where-Object { $_ -match '^GET ' }) -join "`n"
            }
        }
        function Get-Facts($Node) { '{0} {1} {2} {3} {4} {5} {6} {7}' -f $Node.Id, $Node.Name, $Node.HostName, $Node.State, $Node.Status, $Node.MemoryMB.Free, $Node.Vcpu.Free, $Node.DiskGB.Free }
    }
    AfterAll {
        Remove-Item Env:OSM_NODE_CACHE_DIR -ErrorAction SilentlyContinue
        Enable-OSComputeService -HostName compute3 -Confirm:$false
        Invoke-LabOS compute service set --up compute5 nova-compute
    }

    It 'gives the nodes, hosts, state, status and room of the full listing; later runs read no hypervisor list' {
        $full = Get-OSHypervisor
        $first = Invoke-Listing { Get-OSHypervisor -Brief }
        $first.Requests | Should -Match '/os-hypervisors/detail' -Because 'there is no node map yet: it is made from Nova''s list'
        $second = Invoke-Listing { Get-OSHypervisor -Brief }
        $second.Nodes.Count | Should -Be @($full).Count
        ($second.Nodes | ForEach-Object { Get-Facts $_ } | Sort-Object) | Should -Be ($full | ForEach-Object { Get-Facts $_ } | Sort-Object)
        if (Test-LabCompute 2.53) {
            $second.Requests | Should -Not -Match '/os-hypervisors' -Because 'the kept node map still holds'
            $second.Requests | Should -Match '/os-services'
            ($second.Nodes | Where-Object Name -eq compute1).HypervisorType | Should -BeNullOrEmpty -Because 'type, version, IP and instance count are Nova''s list''s'
        }
        else {
            # Below 2.53 a hypervisor id is not its provider's uuid: the full listing is made.
            $second.Requests | Should -Match '/os-hypervisors'
        }
    }

    It 'shows a service disabled since, and one gone down makes it read Nova''s list again' {
        if (-not (Test-LabCompute 2.53)) { Set-ItResult -Skipped -Because 'below compute 2.53 every -Brief listing is the full one' ; return }
        $null = Get-OSHypervisor -Brief
        Disable-OSComputeService -HostName compute3 -Reason 'brief listing test' -Confirm:$false
        $after = Invoke-Listing { Get-OSHypervisor -Brief compute3 }
        $after.Requests | Should -Not -Match '/os-hypervisors' -Because 'enabling or disabling moves no node'
        $after.Nodes[0].Status | Should -Be 'Disabled'
        $after.Nodes[0].DisabledReason | Should -Be 'brief listing test'

        # Forced down, as a fenced host is: nodes move between hosts only when services come and go (Ironic's do).
        Invoke-LabOS compute service set --down compute5 nova-compute
        $down = Invoke-Listing { Get-OSHypervisor -Brief compute5 }
        $down.Requests | Should -Match '/os-hypervisors/detail'
        $down.Nodes[0].State | Should -Be 'Down'
        Invoke-LabOS compute service set --up compute5 nova-compute
    }

    It 'ranks destinations from the kept map with the type and version Nova listed, and checks named destinations against their nodes as Nova has them now' {
        if (-not (Test-LabCompute 2.53)) { Set-ItResult -Skipped -Because 'below compute 2.53 a ranking reads Nova''s list' ; return }
        $null = Get-OSHypervisor -Brief
        $vm = Get-OSInstance -Name cirros_vm
        $ranked = Invoke-Listing { $vm | Test-OSMigrationTarget }
        $ranked.Requests | Should -Not -Match '/os-hypervisors' -Because 'state comes from the services, room from Placement, type and version from the map'
        $ranked.Requests | Should -Match '/os-services'
        $ranked.Nodes.Count | Should -BeGreaterThan 2
        $passed = ($ranked.Nodes | Where-Object CanMigrate | Select-Object -First 1).Checks | Where-Object Name -eq Hypervisor
        $passed.Reason | Should -Match '^Same hypervisor type \(fake\), version \d+ not older than the source''s \d+ \(as Nova listed them at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ; a move checks again\)\.$'

        # The same destinations named: each named host's node and the source's are read from Nova one by one (not its
        # whole list), and every verdict agrees.
        $named = Invoke-Listing { $vm | Test-OSMigrationTarget -DestinationHost $ranked.Nodes.DestinationHost }
        $named.Requests | Should -Not -Match '/os-hypervisors/detail'
        @($named.Requests -split "`n" -match 'GET \S+/os-hypervisors/[0-9a-f-]{36} ').Count | Should -Be ($ranked.Nodes.Count + 1) -Because 'one node per lab host: the named ones and the source'
        ($named.Nodes | ForEach-Object { "$($_.DestinationHost) $($_.CanMigrate) $($_.FreeMemoryMBAfter)" } | Sort-Object) |
            Should -Be ($ranked.Nodes | ForEach-Object { "$($_.DestinationHost) $($_.CanMigrate) $($_.FreeMemoryMBAfter)" } | Sort-Object)
        ($named.Nodes[0].Checks | Where-Object Name -eq Hypervisor).Reason | Should -Not -Match 'as Nova listed them'
    }
}

Describe 'Get-OSInstance on the lab' -Tag Integration, ApiCap -Skip:$SkipLab {
    It 'finds cirros_vm with its host, flavor and storage' {
        $vm = Get-OSInstance -Name cirros_vm
        $vm.Status | Should -Be 'Active'
        $vm.HostName | Should -BeLike 'compute*'
        $vm.PowerState | Should -Be 'Running'
        $vm.Flavor.RamMB | Should -BeGreaterThan 0
        $vm.IsVolumeBacked | Should -BeFalse
    }

    It 'finds by id, by wildcard and by host, and pipes from a hypervisor' {
        $vm = Get-OSInstance -Name cirros_vm
        (Get-OSInstance -Id $vm.Id).Name | Should -Be 'cirros_vm'
        (Get-OSInstance -Name 'cirros_v*').Id | Should -Contain $vm.Id
        (Get-OSInstance -HostName $vm.HostName).Id | Should -Contain $vm.Id
        (Get-OSHypervisor $vm.HostName | Get-OSInstance).Id | Should -Contain $vm.Id
    }

    It 'reads a listing from both ends at once as Nova pages it: what the openstack client lists, each once, newest first' {
        # The engine's listing with pages of one server, so the lab's few instances take each reader several pages
        # (the cmdlet reads 100, then 1,000 a page: the same code, with only the page size changed). Nova's own
        # request log shows the oldest-first reader's pages.
        $novaLog = Join-Path $LabDir 'log/nova-api.log'
        function Get-OldestFirstPageCount { @(Select-String -Path $novaLog -Pattern 'requestlog .*"GET /v2.1/servers/detail\?[^"]*sort_dir=asc' -ErrorAction SilentlyContinue).Count }
        $cli = @(& bash -c "set -a; . '$LabDir/openrc'; openstack server list --all-projects --limit -1 -f value -c ID")
        $cli.Count | Should -BeGreaterOrEqual 3 -Because 'the lab has instances enough for two readers of one-server pages'
        $before = Get-OldestFirstPageCount

        $pages = [Collections.Concurrent.ConcurrentQueue[Collections.Generic.IReadOnlyList[OpenStackMigration.Model.Instance]]]::new()
        $query = [OpenStackMigration.OpenStack.ServerQuery]@{ AllProjects = $true; PageSize = 1 }
        $null = [OpenStackMigration.OpenStack.NovaClient]::new($Session).ListServersAsync($query, [Action[Collections.Generic.IReadOnlyList[OpenStackMigration.Model.Instance]]]$pages.Enqueue, [OpenStackMigration.NullSink]::Instance, [Threading.CancellationToken]::None).GetAwaiter().GetResult()
        $listed = @($pages | ForEach-Object { $_ })

        @($listed.Id | Sort-Object) | Should -Be @($cli | Sort-Object)
        @($listed.Id | Select-Object -Unique).Count | Should -Be $listed.Count
        $created = @($listed.Created)
        @($created | Sort-Object -Descending) | Should -Be $created -Because 'the listing is newest first, as Nova lists by default'
        (Get-OldestFirstPageCount) - $before | Should -BeGreaterOrEqual 1 -Because 'a reader paged oldest first'
    }

    It 'says which id was not found, and goes on with the others' {
        $vm = Get-OSInstance -Name cirros_vm
        $found = Get-OSInstance -Id '00000000-0000-0000-0000-000000000000', $vm.Id -ErrorVariable errs -ErrorAction SilentlyContinue
        $found.Id | Should -Be $vm.Id
        $errs[0].FullyQualifiedErrorId | Should -Be 'OSInstanceNotFound,OpenStackMigration.Commands.GetOSInstanceCommand'
    }
}

Describe 'Compute services on the lab' -Tag Integration, ApiCap -Skip:$SkipLab {
    AfterAll { Enable-OSComputeService -HostName compute3 -Confirm:$false }

    It 'disables with a reason and enables again' {
        Disable-OSComputeService -HostName compute3 -Reason 'pester maintenance' -Confirm:$false
        $s = Get-OSComputeService compute3
        $s.Status | Should -Be 'Disabled'
        $s.DisabledReason | Should -Be 'pester maintenance'
        (Get-OSHypervisor compute3).DisabledReason | Should -Be 'pester maintenance'
        Enable-OSComputeService -HostName compute3 -Confirm:$false
        (Get-OSComputeService compute3).Status | Should -Be 'Enabled'
    }

    It 'changes nothing under -WhatIf' {
        Disable-OSComputeService -HostName compute3 -Reason x -WhatIf
        (Get-OSComputeService compute3).Status | Should -Be 'Enabled'
    }

    It 'names the hosts that exist when a host is wrong' {
        { Disable-OSComputeService -HostName nohost -Reason x -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'OSComputeHostNotFound,OpenStackMigration.Commands.DisableOSComputeServiceCommand'
    }
}

Describe 'A user without the admin role' -Tag Integration -Skip:$SkipLab {
    BeforeAll {
        $memberPassword = [guid]::NewGuid().ToString()
        & bash -c "set -a; . '$LabDir/openrc'; openstack user show osm-member >/dev/null 2>&1 || openstack user create --domain Default --password '$memberPassword' osm-member >/dev/null; openstack user set --password '$memberPassword' osm-member; openstack role add --user osm-member --project admin member" 2>&1 | Out-Null
        $cred = [pscredential]::new('osm-member', (ConvertTo-SecureString $memberPassword -AsPlainText -Force))
        $Member = Connect-OSCloud -AuthUrl (Get-LabOpenrc OS_AUTH_URL) -CACertFile (Get-LabOpenrc OS_CACERT) -Credential $cred -ProjectName admin
        $null = Connect-Lab
    }

    It 'gets OSPermissionDenied, with what to do, for the hypervisor list' {
        $err = $null
        try { Get-OSHypervisor -Session $Member -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'OSPermissionDenied,OpenStackMigration.Commands.GetOSHypervisorCommand'
        $err.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $err.Exception.Message | Should -Match 'HTTP 403'
        $err.ErrorDetails.RecommendedAction | Should -Match 'admin role'
    }
}

Describe 'No secret in any output stream' -Tag Integration -Skip:$SkipLab {
    It 'never shows the password or the token in objects, verbose, debug, warnings or errors' {
        $password = Get-LabPassword
        $password | Should -Not -BeNullOrEmpty
        $token = & bash -c "set -a; . '$LabDir/openrc'; openstack token issue -f value -c id"
        $DebugPreference = 'Continue'
        $all = & {
            $s = Connect-Lab -Verbose -Debug
            $s
            # -ErrorAction Stop: a failed connect throws out of this block and fails the test instead of joining the text.
            $t = Connect-OSCloud -AuthUrl $LabAuthUrl -CACertFile $LabCACert -Token (ConvertTo-SecureString $token -AsPlainText -Force) -ProjectName admin -Verbose -Debug -ErrorAction Stop
            $t
            Get-OSComputeService -Session $t -Verbose -Debug -ErrorAction Stop
            Get-OSHypervisor -Verbose -Debug
            Get-OSInstance -AllProjects -Verbose -Debug
            Get-OSComputeService -Verbose -Debug
            $bad = [pscredential]::new('admin', (ConvertTo-SecureString "$password-x" -AsPlainText -Force))
            try { Connect-OSCloud -AuthUrl $LabAuthUrl -CACertFile $LabCACert -Credential $bad -ProjectName admin -Verbose -Debug -ErrorAction Stop } catch { $_ }
            Get-OSInstance -Id nope -Verbose -Debug -ErrorAction Continue
        } *>&1
        $text = ($all | ForEach-Object {
                if ($_ -is [System.Management.Automation.ErrorRecord]) { $_.ToString(); $_.Exception.ToString(); $_.ErrorDetails } 
                elseif ($_ -is [string] -or $_ -is [System.Management.Automation.InformationalRecord]) { "$_" }
                else { $_ | Format-List * -Force | Out-String; $_ | ConvertTo-Json -Depth 4 -WarningAction SilentlyContinue }
            }) -join "`n"
        # Both connects returned a session, the second one made with the token, and that session worked.
        $sessions = @($all | Where-Object { $_ -is [OpenStackMigration.OpenStack.CloudSession] })
        $sessions.Count | Should -Be 2
        $sessions.AuthMethod | Should -Be @('Password', 'Token')
        $sessions[1].ProjectName | Should -Be 'admin'
        $sessions[1].UserName | Should -Be 'admin'
        $sessions[1].IsClosed | Should -BeFalse
        @($all | Where-Object { $_ -is [OpenStackMigration.Model.ComputeService] }).Count | Should -BeGreaterOrEqual 6 -Because 'Get-OSComputeService ran once with each session'
        $text.Length | Should -BeGreaterThan 1000
        $text | Should -Match "POST $([regex]::Escape($LabAuthUrl))/auth/tokens" -Because 'Debug shows the requests'
        $text.Contains($password) | Should -BeFalse
        $text.Contains($token) | Should -BeFalse
    }
}
