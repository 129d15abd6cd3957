<#
.SYNOPSIS
    Azure Automation runbook (PowerShell 7.4 runtime): rebalances a Citus formation's shards inside a
    maintenance window, checks the formation first, and cancels the rebalance if the window closes.
.DESCRIPTION
    Import the CitusHa module into the Automation account from out/azure-automation/CitusHa.zip
    (./build.sh package). Create credential assets 'citusha-etcd' (the etcd user) and
    'citusha-postgres' (the PostgreSQL superuser the coordinator accepts), and a variable asset
    'citusha-etcd-hosts' with host:port,host:port. Moves already done when the window closes stay
    done; the next run goes on from there.
#>
param(
    [Parameter(Mandatory)] [string] $ClusterName,
    # How long the window lasts, in minutes.
    [ValidateRange(1, 1440)] [int] $WindowMinutes = 120,
    [ValidateSet('Auto', 'ForceLogical', 'BlockWrites')] [string] $ShardTransferMode = 'Auto'
)

$ErrorActionPreference = 'Stop'       # any CitusHa error fails the job instead of scrolling by
$ProgressPreference = 'SilentlyContinue'

Connect-CitusCluster -Name $ClusterName `
    -Endpoint ((Get-AutomationVariable -Name 'citusha-etcd-hosts') -split ',') `
    -Credential (Get-AutomationPSCredential -Name 'citusha-etcd') `
    -PostgresCredential (Get-AutomationPSCredential -Name 'citusha-postgres') | Out-String | Write-Output

# Never move shards while a group is unhealthy: a failed check fails the job here.
$failed = Test-CitusCluster | Where-Object Status -eq 'Failed'
if ($failed) {
    $failed | Out-String | Write-Output
    throw "Formation '$ClusterName' is not healthy; not rebalancing."
}

# Start-CitusRebalance writes nothing (and a warning) when Citus finds nothing to move.
$job = Start-CitusRebalance -ShardTransferMode $ShardTransferMode
if (-not $job) {
    Write-Output 'Nothing to move.'
    Disconnect-CitusCluster
    return
}

try {
    $job | Wait-CitusRebalance -TimeoutSec ($WindowMinutes * 60) -Verbose | Out-String | Write-Output
} catch {
    if ($_.FullyQualifiedErrorId -like 'OperationTimedOut,*') {
        # The window closed: stop the moves (-Force: a runbook cannot answer a confirmation).
        Stop-CitusRebalance -JobId $job.JobId -Force | Out-String | Write-Output
        Write-Warning "The window closed before rebalance job $($job.JobId) finished; the moves done so far stay."
    } else {
        throw
    }
} finally {
    Disconnect-CitusCluster
}
