# The module as pwsh users meet it. The same stories run in-process in tests/CitusHa.Cmdlets.Tests.
BeforeAll {
    $script:ModulePath = if ($env:CITUSHA_MODULE_PATH) { $env:CITUSHA_MODULE_PATH } else {
        $version = ([xml](Get-Content (Join-Path $PSScriptRoot '../../Directory.Build.props') -Raw)).Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
        Join-Path $PSScriptRoot "../../out/CitusHa/$version/CitusHa.psd1"
    }
    $script:ModuleDirectory = Split-Path $script:ModulePath
    Import-Module (Join-Path $PSScriptRoot 'TestEtcd.psm1') -Force
    Import-Module $script:ModulePath -Force
}

AfterAll {
    Remove-Module CitusHa -ErrorAction SilentlyContinue
}

Describe 'The CitusHa module' {
    It 'imports at the manifest version as a Core-edition binary module' {
        $module = Get-Module CitusHa
        $manifest = Import-PowerShellDataFile $script:ModulePath
        $module.Version | Should -Be ([version]$manifest.ModuleVersion)
        $module.ModuleType | Should -Be 'Binary'
        $manifest.PowerShellVersion | Should -Be '7.4'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'exports exactly the cmdlets the manifest lists' {
        $manifest = Import-PowerShellDataFile $script:ModulePath
        (Get-Module CitusHa).ExportedCmdlets.Keys | Sort-Object | Should -Be ($manifest.CmdletsToExport | Sort-Object)
        $manifest.FunctionsToExport | Should -BeNullOrEmpty
        $manifest.CmdletsToExport | Should -Not -Contain '*'
    }

    It 'keeps every assembly but CitusHa.dll in Dependencies' {
        (Get-ChildItem $script:ModuleDirectory -Filter *.dll).Name | Should -Be @('CitusHa.dll')
        (Get-ChildItem (Join-Path $script:ModuleDirectory 'Dependencies') -Filter *.dll).Name | Should -Contain 'CitusHa.Core.dll'
    }

    It 'loads its engine into its own AssemblyLoadContext' {
        # Any call loads the engine; this one fails (nothing listens there), which is fine.
        try { $null = Get-CitusTopology -Endpoint "127.0.0.1:$(Get-FreeTcpPort)" } catch { $_.FullyQualifiedErrorId | Should -BeLike 'EtcdUnavailable,*' }
        $context = [System.Runtime.Loader.AssemblyLoadContext]::All | Where-Object Name -eq 'CitusHa.Dependencies'
        $context.Assemblies.GetName().Name | Should -Contain 'CitusHa.Core'
        [System.Runtime.Loader.AssemblyLoadContext]::Default.Assemblies.GetName().Name | Should -Not -Contain 'CitusHa.Core'
    }

    It 'has written help with examples for every cmdlet' {
        foreach ($name in (Get-Module CitusHa).ExportedCmdlets.Keys) {
            $help = Get-Help $name -Full
            $help.Synopsis | Should -Not -BeLike "$name*" -Because "$name must not have only the generated syntax stub"
            @($help.Examples.Example).Count | Should -BeGreaterThan 0
            $help.Parameters.Parameter | Where-Object { -not $_.Description } | Should -BeNullOrEmpty
        }
        Get-Help about_CitusHa | Out-String | Should -Match 'CITUSHA_ETCD_HOSTS'
    }
}

Describe 'Get-CitusTopology' {
    BeforeAll {
        $script:Etcd = Start-TestEtcd
        $script:Namespace = "/pester$([guid]::NewGuid().ToString('N'))"
        Publish-TestFormation -Etcd $script:Etcd -Namespace $script:Namespace -Scope 'demo'
        Publish-TestFormation -Etcd $script:Etcd -Namespace $script:Namespace -Scope 'other'
        $script:Connection = @{ Endpoint = $script:Etcd.Endpoint; EtcdNamespace = $script:Namespace }
    }

    AfterAll {
        if ($script:Etcd) { Stop-TestEtcd -Etcd $script:Etcd }
    }

    It 'returns one typed object per member, read from etcd' {
        $members = Get-CitusTopology -Name demo @Connection
        $members | Should -HaveCount 3
        $members[0].PSObject.TypeNames[0] | Should -Be 'CitusHa.CitusMember'
        $members | ForEach-Object { "$($_.Group)/$($_.Member)/$($_.Role)" } | Should -Be @('0/coord-a/Leader', '0/coord-b/Replica', '1/work1-a/Leader')
        ($members | Where-Object Member -eq 'coord-b').LagMB | Should -Be 5
        ($members | Where-Object Member -eq 'coord-b').Tags['nofailover'] | Should -Be 'true'
    }

    It 'shows a patronictl-like table by default' {
        $text = Get-CitusTopology demo @Connection | Out-String -Width 200
        $text | Should -Match 'Group\s+Member\s+Host\s+Role\s+State\s+TL\s+Lag in MB'
        $text | Should -Match '0\s+coord-b\s+coord-b\.demo\s+Replica\s+streaming\s+2\s+5'
    }

    It 'lists every cluster when no name is given' {
        (Get-CitusTopology @Connection).Name | Sort-Object -Unique | Should -Be @('demo', 'other')
    }

    It 'binds names from the pipeline and keeps going past a missing cluster' {
        $found = 'demo', 'nosuch', 'other' | Get-CitusTopology @Connection -ErrorVariable failures -ErrorAction SilentlyContinue
        $found.Name | Sort-Object -Unique | Should -Be @('demo', 'other')
        $failures | Should -HaveCount 1
        $failures[0].FullyQualifiedErrorId | Should -Be 'ClusterNotFound,CitusHa.Commands.GetCitusTopologyCommand'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'binds Name and Group by property name' {
        ([pscustomobject]@{ Name = 'demo'; Group = 1 } | Get-CitusTopology @Connection).Member | Should -Be 'work1-a'
    }

    It 'stops with EtcdUnavailable when etcd cannot be reached' {
        { Get-CitusTopology demo -Endpoint "127.0.0.1:$(Get-FreeTcpPort)" -TimeoutSec 3 } |
            Should -Throw -ErrorId 'EtcdUnavailable,CitusHa.Commands.GetCitusTopologyCommand'
    }

    It 'refuses a bad endpoint with InvalidEndpoint' {
        { Get-CitusTopology demo -Endpoint 'ftp://x:1' } | Should -Throw -ErrorId 'InvalidEndpoint,CitusHa.Commands.GetCitusTopologyCommand'
    }

    It 'reads the connection from an agent or Patroni YAML file' {
        $file = Join-Path $TestDrive 'patroni.yml'
        Set-Content -Path $file -Value "scope: demo`nnamespace: $($script:Namespace)`netcd3:`n  hosts: $($script:Etcd.Endpoint)"
        (Get-CitusTopology -ConfigFile $file) | Should -HaveCount 3
    }

    It 'still works when an older YamlDotNet was loaded into the session first' {
        $older = Get-ChildItem -Path (Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages/yamldotnet/13.7.1/lib') -Recurse -Filter YamlDotNet.dll -ErrorAction SilentlyContinue |
            Where-Object { $_.Directory.Name -in 'net8.0', 'net6.0', 'netstandard2.1' } | Select-Object -First 1
        if (-not $older) {
            Set-ItResult -Skipped -Because 'YamlDotNet 13.7.1 is not in the NuGet cache (restore tests/CitusHa.Cmdlets.Tests first)'
            return
        }
        $file = Join-Path $TestDrive 'collision.yml'
        Set-Content -Path $file -Value "scope: demo`nnamespace: $($script:Namespace)`netcd3:`n  hosts: $($script:Etcd.Endpoint)"
        $script = "Add-Type -Path '$($older.FullName)'; Import-Module '$($script:ModulePath)'; (Get-CitusTopology -ConfigFile '$file').Count; [YamlDotNet.Serialization.Serializer].Assembly.GetName().Version.Major"
        $output = pwsh -NoProfile -NonInteractive -Command $script
        $LASTEXITCODE | Should -Be 0
        $output | Should -Be @('3', '13')
    }
}

Describe 'The operator cmdlets' {
    BeforeAll {
        $script:Etcd = Start-TestEtcd
        $script:Namespace = "/pester$([guid]::NewGuid().ToString('N'))"
        Publish-TestFormation -Etcd $script:Etcd -Namespace $script:Namespace -Scope 'demo'
        $script:Connection = @{ Endpoint = $script:Etcd.Endpoint; EtcdNamespace = $script:Namespace }
    }

    AfterAll {
        Disconnect-CitusCluster
        if ($script:Etcd) { Stop-TestEtcd -Etcd $script:Etcd }
    }

    It 'summarises each group with Get-CitusCluster' {
        $groups = Get-CitusCluster demo @Connection
        $groups | Should -HaveCount 2
        $groups[0].PSObject.TypeNames[0] | Should -Be 'CitusHa.CitusGroupStatus'
        $groups | ForEach-Object { "$($_.Group)/$($_.Leader)/$($_.Members)/$($_.Streaming)" } | Should -Be @('0/coord-a/2/1', '1/work1-a/1/0')
        (Get-CitusCluster demo @Connection | Out-String -Width 200) | Should -Match 'Cluster\s+Group\s+Leader\s+Members\s+Streaming'
    }

    It 'keeps a default connection from Connect-CitusCluster until Disconnect-CitusCluster' {
        $connection = Connect-CitusCluster -Name demo @Connection
        $connection.Groups | Should -Be 2
        $connection.PSObject.Properties.Name | Where-Object { $_ -like '*Password*' } | Should -BeNullOrEmpty
        (Get-CitusCluster -Group 1).Leader | Should -Be 'work1-a'
        Disconnect-CitusCluster
        { Get-CitusCluster -Group 1 -Endpoint $script:Etcd.Endpoint -ErrorAction Stop } | Should -Throw -ErrorId 'GroupNotFound,CitusHa.Commands.GetCitusClusterCommand'
    }

    It 'refuses a candidate that cannot take over before asking any member' {
        { Invoke-CitusSwitchover demo -Group 0 -Candidate ghost -Force @Connection -ErrorAction Stop } |
            Should -Throw -ErrorId 'MemberNotFound,CitusHa.Commands.InvokeCitusSwitchoverCommand'
        { Invoke-CitusSwitchover demo -Group 0 -Candidate coord-b -Force @Connection -ErrorAction Stop } |
            Should -Throw -ErrorId 'CandidateNotEligible,CitusHa.Commands.InvokeCitusSwitchoverCommand'
        { Get-CitusTopology demo -Group 0 @Connection | Where-Object Role -ne Leader | Invoke-CitusSwitchover -Force @Connection -ErrorAction Stop } |
            Should -Throw -ErrorId 'CandidateNotEligible,CitusHa.Commands.InvokeCitusSwitchoverCommand'
    }

    It 'fails at once with ConfirmationRequired in a non-interactive host instead of waiting for an answer' {
        $clock = [Diagnostics.Stopwatch]::StartNew()
        { Invoke-CitusSwitchover demo -Group 0 -Candidate coord-b @Connection -ErrorAction Stop } |
            Should -Throw -ErrorId 'ConfirmationRequired,CitusHa.Commands.InvokeCitusSwitchoverCommand'
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 30
    }

    It 'changes nothing under -WhatIf' {
        $output = Invoke-CitusSwitchover demo -Group 0 -Candidate ghost @Connection -WhatIf
        $output | Should -BeNullOrEmpty
        Suspend-CitusCluster demo @Connection -WhatIf | Should -BeNullOrEmpty
        (Get-CitusCluster demo @Connection).Paused | Should -Not -Contain $true
    }

    It 'reports each health check as a result and -Quiet as one Boolean' {
        $checks = Test-CitusCluster demo @Connection
        ($checks | Where-Object { $_.Group -eq 0 -and $_.Check -eq 'Lag' }).Status | Should -Be 'Failed'
        ($checks | Where-Object { $_.Group -eq 0 -and $_.Check -eq 'Lag' }).Detail | Should -Match 'coord-b is 5242880 bytes behind'
        ($checks | Where-Object Check -eq 'PgDistNode').Status | Should -Be 'Skipped'
        Test-CitusCluster demo -Group 1 -Quiet @Connection | Should -BeTrue
        Test-CitusCluster demo -Quiet @Connection | Should -BeFalse
    }

    It 'completes cluster, group and member names from etcd' {
        $line = "Invoke-CitusSwitchover -Endpoint $($script:Etcd.Endpoint) -EtcdNamespace $($script:Namespace) -Name demo -Group 0 -Candidate "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('coord-b', 'coord-a')
        $line = "Get-CitusCluster -Endpoint $($script:Etcd.Endpoint) -EtcdNamespace $($script:Namespace) -Name de"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('demo')
    }
}

Describe 'History and configuration' {
    BeforeAll {
        $script:Etcd = Start-TestEtcd
        $script:Namespace = "/pester$([guid]::NewGuid().ToString('N'))"
        Publish-TestFormation -Etcd $script:Etcd -Namespace $script:Namespace -Scope 'demo'
        Set-TestKey -Etcd $script:Etcd -Key "$($script:Namespace)/demo/0/history" -Value '[[1,50331744,"no recovery target specified","2026-11-30T04:00:00+00:00","coord-a"]]'
        Set-TestKey -Etcd $script:Etcd -Key "$($script:Namespace)/demo/0/config" -Value '{"ttl":10,"loop_wait":1,"retry_timeout":3,"postgresql":{"parameters":{"work_mem":"4MB"}}}'
        $script:Connection = @{ Endpoint = $script:Etcd.Endpoint; EtcdNamespace = $script:Namespace }
    }

    AfterAll {
        if ($script:Etcd) { Stop-TestEtcd -Etcd $script:Etcd }
    }

    It 'reads the timeline history like patronictl history' {
        $line = Get-CitusHistory demo @Connection
        $line.PSObject.TypeNames[0] | Should -Be 'CitusHa.CitusTimelineSwitch'
        "$($line.Group)/$($line.Timeline)/$($line.Lsn)/$($line.NewLeader)" | Should -Be '0/1/0/3000060/coord-a'
    }

    It 'reads the dynamic configuration with its PostgreSQL parameters' {
        $config = Get-CitusConfiguration demo -Group 0 @Connection
        $config.Ttl | Should -Be 10
        $config.PostgresParameters['work_mem'] | Should -Be '4MB'
        $config.Settings['postgresql.parameters.work_mem'] | Should -Be '"4MB"'
    }

    It 'shows the diff under -WhatIf and refuses a configuration the agents would ignore' {
        Set-CitusConfiguration demo -Group 0 -Setting @{ ttl = 20 } -WhatIf @Connection | Should -BeNullOrEmpty
        { Set-CitusConfiguration demo -Group 0 -Setting @{ ttl = 5 } -Confirm:$false @Connection -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidConfiguration,CitusHa.Commands.SetCitusConfigurationCommand'
        (Get-CitusConfiguration demo -Group 0 @Connection).Ttl | Should -Be 10
    }
}

Describe 'The rebalance cmdlets' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestPostgres.psm1') -Force
        $script:Etcd = Start-TestEtcd
        $script:Postgres = Start-TestPostgres -StandInSql (Join-Path $PSScriptRoot '../CitusHa.Testing/Citus/citus-standin.sql')
        $script:Namespace = "/pester$([guid]::NewGuid().ToString('N'))"
        Set-TestKey $script:Etcd "$($script:Namespace)/demo/0/leader" 'coord-a'
        Set-TestKey $script:Etcd "$($script:Namespace)/demo/0/members/coord-a" "{`"conn_url`":`"postgres://127.0.0.1:$($script:Postgres.Port)/postgres`",`"state`":`"running`",`"role`":`"primary`",`"timeline`":1}"
        Set-TestKey $script:Etcd "$($script:Namespace)/demo/1/leader" 'work1-a'
        Set-TestKey $script:Etcd "$($script:Namespace)/demo/1/members/work1-a" '{"conn_url":"postgres://work1-a.demo:5432/postgres","state":"running","role":"primary","timeline":1}'
        $script:Connection = @{ Endpoint = $script:Etcd.Endpoint; EtcdNamespace = $script:Namespace; PostgresCredential = $script:Postgres.Credential }
    }

    AfterAll {
        if ($script:Postgres) { Stop-TestPostgres -Postgres $script:Postgres }
        if ($script:Etcd) { Stop-TestEtcd -Etcd $script:Etcd }
    }

    It 'warns and starts nothing when Citus finds nothing to move, and nothing at all under -WhatIf' {
        Start-CitusRebalance demo @Connection -WarningVariable warned -WarningAction SilentlyContinue | Should -BeNullOrEmpty
        "$warned" | Should -Match 'No moves available for rebalancing'
        Invoke-TestSql $script:Postgres "INSERT INTO citus_standin.planned_moves (shardid, source, target) VALUES (102008, 'w1:5432', 'w2:5432')"
        Start-CitusRebalance demo @Connection -WhatIf | Should -BeNullOrEmpty
        Invoke-TestSql $script:Postgres 'SELECT count(*) FROM pg_dist_background_job' | Should -Be '0'
        Invoke-TestSql $script:Postgres 'DELETE FROM citus_standin.planned_moves'
    }

    It 'starts a job, refuses a second one while it runs, and waits for it through the pipeline' {
        Invoke-TestSql $script:Postgres "INSERT INTO citus_standin.planned_moves (shardid, source, target, duration) VALUES (102008, 'w1:5432', 'w2:5432', '500 ms'), (102009, 'w1:5432', 'w2:5432', '500 ms')"
        $job = Start-CitusRebalance demo @Connection -ShardTransferMode BlockWrites
        $job.PSObject.TypeNames[0] | Should -Be 'CitusHa.CitusRebalanceJob'
        $job.State | Should -Be 'Running'
        { Start-CitusRebalance demo @Connection -ErrorAction Stop } | Should -Throw -ErrorId 'RebalanceAlreadyRunning,CitusHa.Commands.StartCitusRebalanceCommand'
        $done = $job | Wait-CitusRebalance @Connection
        $done.State | Should -Be 'Finished'
        "$($done.TasksDone)/$($done.TasksTotal)" | Should -Be '2/2'
        (Get-CitusRebalanceStatus demo @Connection).JobId | Should -Be $job.JobId
        (Get-CitusRebalanceStatus demo @Connection | Out-String -Width 200) | Should -Match 'Cluster\s+JobId\s+State\s+Tasks'
    }

    It 'reports a failed move as RebalanceFailed with Citus message' {
        Invoke-TestSql $script:Postgres "INSERT INTO citus_standin.planned_moves (shardid, source, target, duration, fail_with) VALUES (102010, 'w1:5432', 'w2:5432', '200 ms', 'could not copy shard 102010')"
        { Start-CitusRebalance demo @Connection -Wait -ErrorAction Stop } | Should -Throw -ErrorId 'RebalanceFailed,CitusHa.Commands.StartCitusRebalanceCommand' -ExpectedMessage '*could not copy shard 102010*'
    }

    It 'names refused PostgreSQL credentials without showing the password' {
        $wrong = [pscredential]::new('postgres', (ConvertTo-SecureString 'not-the-password' -AsPlainText -Force))
        $thrown = { Get-CitusRebalanceStatus demo -Endpoint $script:Etcd.Endpoint -EtcdNamespace $script:Namespace -PostgresCredential $wrong -ErrorAction Stop } |
            Should -Throw -ErrorId 'PostgresAuthenticationFailed,CitusHa.Commands.GetCitusRebalanceStatusCommand' -PassThru
        $thrown.Exception.Message | Should -Not -Match 'not-the-password'
    }
}

Describe 'New-CitusCluster' {
    It 'renders typed KubernetesClient objects for every group' {
        $objects = New-CitusCluster sales -Namespace data -WorkerGroups 2 -EtcdEndpoint etcd:2379
        ($objects | Where-Object Kind -eq 'StatefulSet').Metadata.Name | Should -Be @('sales-coordinator', 'sales-worker-1', 'sales-worker-2')
        ($objects | Where-Object Kind -eq 'PodDisruptionBudget').Count | Should -Be 3
        $objects[0].GetType().FullName | Should -Be 'k8s.Models.V1ServiceAccount'
    }

    It 'gives the same YAML bytes for the same parameters, with no Secret in it' {
        $first = New-CitusCluster sales -Profile Production -DeployEtcd -AsYaml
        $second = New-CitusCluster sales -Profile Production -DeployEtcd -AsYaml
        $second | Should -BeExactly $first
        $first | Should -Not -Match 'kind: Secret'
        $first | Should -Match 'requiredDuringSchedulingIgnoredDuringExecution'
    }

    It 'writes nothing under -WhatIf and one file per object without it' {
        $out = Join-Path $TestDrive 'manifests'
        New-CitusCluster sales -EtcdEndpoint etcd:2379 -OutputPath $out -OneFilePerObject -WhatIf | Should -BeNullOrEmpty
        Test-Path $out | Should -BeFalse
        $files = New-CitusCluster sales -EtcdEndpoint etcd:2379 -OutputPath $out -OneFilePerObject
        @(Get-ChildItem $out).Count | Should -Be @($files).Count
    }

    It 'refuses a name that is no DNS label, naming the parameter, and writes nothing' {
        $out = Join-Path $TestDrive 'bad'
        { New-CitusCluster Sales -EtcdEndpoint etcd:2379 -OutputPath $out -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidManifestParameter,CitusHa.Commands.NewCitusClusterCommand' -ExpectedMessage '-Name:*'
        Test-Path $out | Should -BeFalse
    }
}

Describe 'Publish-CitusCluster and Add-CitusWorker' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestKubernetes.psm1') -Force
        $script:Api = Start-TestKubernetesApi
        $script:Kubeconfig = $script:Api.WriteKubeconfig((Join-Path $TestDrive 'kube'))
    }

    AfterAll {
        Stop-TestKubernetesApi $script:Api
    }

    It 'lists what it would create under -WhatIf and sends no change' {
        New-CitusCluster sales -Namespace data -EtcdEndpoint etcd:2379 -WorkerGroups 1 |
            Publish-CitusCluster -Kubeconfig $script:Kubeconfig -WhatIf | Should -BeNullOrEmpty
        $script:Api.Paths | Should -BeNullOrEmpty
    }

    It 'applies the rendered objects and creates the credentials Secret once' {
        $changes = New-CitusCluster sales -Namespace data -EtcdEndpoint etcd:2379 -WorkerGroups 1 | Publish-CitusCluster -Kubeconfig $script:Kubeconfig
        $changes[0].GetType().FullName | Should -Be 'CitusHa.CitusManifestChange'
        ($changes | Where-Object Action -ne 'Create') | Should -BeNullOrEmpty
        ($changes | Where-Object Kind -eq 'Secret').Name | Should -Be 'sales-credentials'
        $again = New-CitusCluster sales -Namespace data -EtcdEndpoint etcd:2379 -WorkerGroups 1 | Publish-CitusCluster -Kubeconfig $script:Kubeconfig
        ($again | Where-Object Kind -eq 'Secret').Action | Should -Be 'Keep'
        ($again | Where-Object { $_.Kind -ne 'Secret' -and $_.Action -ne 'Unchanged' }) | Should -BeNullOrEmpty
    }

    It 'grows the published formation by a worker group read from the cluster' {
        $changes = Add-CitusWorker sales -Namespace data -Kubeconfig $script:Kubeconfig | Publish-CitusCluster -Kubeconfig $script:Kubeconfig
        ($changes | Where-Object Kind -eq 'StatefulSet').Name | Should -Be 'sales-worker-2'
        ($changes | Where-Object Name -eq 'sales-agent').Action | Should -Be 'Update'
    }

    It 'fails -Wait with the groups that have no leader' {
        $script:Api.SetPod('data', 'sales-coordinator-0', 'sales', 0, 'primary')
        { New-CitusCluster sales -Namespace data -EtcdEndpoint etcd:2379 -WorkerGroups 1 |
            Publish-CitusCluster -Kubeconfig $script:Kubeconfig -Wait -TimeoutSec 2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'OperationTimedOut,CitusHa.Commands.PublishCitusClusterCommand' -ExpectedMessage '*group(s) 1 of sales*'
    }

    It 'refuses to remove the only worker group before draining or deleting anything' {
        $before = $script:Api.Paths.Count
        { Remove-CitusWorker sales -Namespace data -Endpoint http://127.0.0.1:9 -Kubeconfig $script:Kubeconfig -Count 2 -Force -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidManifestParameter,CitusHa.Commands.RemoveCitusWorkerCommand' -ExpectedMessage '-Count: 2 of the formation*'
        $script:Api.Paths.Count | Should -Be $before
    }

    It 'refuses an unknown kubeconfig context, listing the known ones' {
        { New-CitusCluster sales -EtcdEndpoint etcd:2379 | Publish-CitusCluster -Kubeconfig $script:Kubeconfig -Context nowhere -ErrorAction Stop } |
            Should -Throw -ErrorId 'KubeconfigInvalid,CitusHa.Commands.PublishCitusClusterCommand' -ExpectedMessage "*no context 'nowhere' (contexts: fake)*"
    }
}
