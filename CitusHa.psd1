@{
    # The build (build/CitusHa.Module.csproj) stamps ModuleVersion from Directory.Build.props.
    RootModule           = 'CitusHa.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5f0b7c1e-3d2a-4c8e-9b61-7a4d2e9c8f10'
    Author               = 'CitusHa contributors'
    CompanyName          = 'CitusHa'
    Copyright            = '(c) CitusHa contributors. MIT License.'
    Description          = 'Run and operate highly available Citus (distributed PostgreSQL) formations on Kubernetes: topology, switchover, failover and manifests from PowerShell. Compatible with Patroni''s etcd layout.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('CitusHa.Format.ps1xml')
    CmdletsToExport      = @(
        'Add-CitusWorker'
        'Connect-CitusCluster'
        'Disconnect-CitusCluster'
        'Get-CitusCluster'
        'Get-CitusConfiguration'
        'Get-CitusHistory'
        'Get-CitusRebalanceStatus'
        'Get-CitusTopology'
        'Invoke-CitusFailover'
        'Invoke-CitusSwitchover'
        'New-CitusCluster'
        'Publish-CitusCluster'
        'Remove-CitusWorker'
        'Reset-CitusMember'
        'Restart-CitusMember'
        'Resume-CitusCluster'
        'Set-CitusConfiguration'
        'Start-CitusRebalance'
        'Stop-CitusRebalance'
        'Suspend-CitusCluster'
        'Test-CitusCluster'
        'Wait-CitusRebalance'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('PSEdition_Core', 'Linux', 'Windows', 'MacOS', 'Kubernetes', 'Citus', 'PostgreSQL', 'HighAvailability', 'Patroni', 'etcd')
            ProjectUri   = 'https://github.com/citusha/CitusHa'
            LicenseUri   = 'https://github.com/citusha/CitusHa/blob/main/LICENSE'
            ReleaseNotes = 'Connect-CitusCluster and Disconnect-CitusCluster (session default connection); Get-CitusTopology and Get-CitusCluster read a formation from etcd (Patroni-compatible layout); Invoke-CitusSwitchover and Invoke-CitusFailover (candidate checked first, result typed); Suspend-CitusCluster and Resume-CitusCluster (maintenance mode); Get-CitusHistory; Get-CitusConfiguration and Set-CitusConfiguration (validated, with the diff); Restart-CitusMember and Reset-CitusMember; Test-CitusCluster (leaders, replication, lag, sync, pending restarts, pg_dist_node against etcd).'
        }
    }
}
