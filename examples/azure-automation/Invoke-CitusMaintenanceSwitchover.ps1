<#
.SYNOPSIS
    Azure Automation runbook (PowerShell 7.4 runtime): hands every group's leader role over before a
    node's maintenance, one group at a time, and fails the job on the first group that cannot.
.DESCRIPTION
    Import the CitusHa module into the Automation account from out/azure-automation/CitusHa.zip
    (./build.sh package). Create credential assets 'citusha-etcd' (the etcd user) and 'citusha-api'
    (the agents' restapi.authentication user), and a variable asset 'citusha-etcd-hosts' with
    host:port,host:port. Schedule it for the maintenance window, or run it with -ScheduledAt to
    record the switchovers now and let the agents run them at that time.
#>
param(
    [Parameter(Mandatory)] [string] $ClusterName,
    # Only leaders whose host name matches (the node being drained); all groups when empty.
    [string] $LeaderHostLike = '*',
    [DateTimeOffset] $ScheduledAt
)

$ErrorActionPreference = 'Stop'       # any CitusHa error fails the job instead of scrolling by
$ProgressPreference = 'SilentlyContinue'

$connection = @{
    Name          = $ClusterName
    Endpoint      = (Get-AutomationVariable -Name 'citusha-etcd-hosts') -split ','
    Credential    = Get-AutomationPSCredential -Name 'citusha-etcd'
    ApiCredential = Get-AutomationPSCredential -Name 'citusha-api'
}
Connect-CitusCluster @connection | Out-String | Write-Output

$groups = Get-CitusCluster | Where-Object { $_.HasLeader }
$leaders = Get-CitusTopology | Where-Object { $_.IsLeader -and $_.Host -like $LeaderHostLike }
foreach ($group in $groups | Where-Object { $_.Group -in $leaders.Group }) {
    # -Force: a runbook cannot answer a confirmation (without it the cmdlet fails with ConfirmationRequired).
    $switch = @{ Group = $group.Group; Force = $true; Verbose = $true }
    if ($PSBoundParameters.ContainsKey('ScheduledAt')) { $switch.ScheduledAt = $ScheduledAt }
    Invoke-CitusSwitchover @switch | Out-String | Write-Output
}

Get-CitusCluster | Out-String | Write-Output
Disconnect-CitusCluster
