<#
.SYNOPSIS
    Azure Automation runbook (PowerShell 7.4 runtime): fails when a Citus member lags too far behind.
.DESCRIPTION
    Import the CitusHa module into the Automation account from out/azure-automation/CitusHa.zip
    (./build.sh package). Create a credential asset 'citusha-etcd' with the etcd user and password,
    and a variable asset 'citusha-etcd-hosts' with host:port,host:port.
#>
param(
    [Parameter(Mandatory)] [string] $ClusterName,
    [long] $MaximumLagBytes = 16MB
)

$ErrorActionPreference = 'Stop'       # any CitusHa error fails the job instead of scrolling by
$ProgressPreference = 'SilentlyContinue'

$credential = Get-AutomationPSCredential -Name 'citusha-etcd'
$endpoints = (Get-AutomationVariable -Name 'citusha-etcd-hosts') -split ','

$members = Get-CitusTopology -Name $ClusterName -Endpoint $endpoints -Credential $credential -TimeoutSec 15
$members | Format-Table -AutoSize | Out-String | Write-Output

$lagging = $members | Where-Object { $null -ne $_.LagBytes -and $_.LagBytes -gt $MaximumLagBytes }
$leaderless = $members | Group-Object Group | Where-Object { -not ($_.Group | Where-Object IsLeader) }

if ($leaderless) {
    throw "Groups without a leader: $($leaderless.Name -join ', ')"
}
if ($lagging) {
    throw "Members more than $MaximumLagBytes bytes behind: $(($lagging | ForEach-Object { "$($_.Group)/$($_.Member) ($($_.LagMB) MiB)" }) -join ', ')"
}
"All $($members.Count) members of '$ClusterName' have a leader and are within $MaximumLagBytes bytes."
