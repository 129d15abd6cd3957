<#
.SYNOPSIS
    The quick start: import the built CitusHa module and read a running formation from its etcd.
.DESCRIPTION
    Run by './build.sh demo', which first starts a local formation (etcd plus three agents, each with
    its own PostgreSQL), or by hand against any formation:
        ./examples/quickstart.ps1 -Endpoint 127.0.0.1:27000 -ModulePath ./out/CitusHa/0.1.0/CitusHa.psd1
#>
param(
    [Parameter(Mandatory)] [string] $Endpoint,
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Name = 'demo'
)

$ErrorActionPreference = 'Stop'
# Plain text in logs and pipelines; colours only on an interactive terminal.
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module $ModulePath
$module = Get-Module CitusHa
"CitusHa $($module.Version) imported; cmdlets: $($module.ExportedCmdlets.Keys -join ', ')"

"`nThe formation '$Name', as patronictl list would show it:"
Get-CitusTopology -Name $Name -Endpoint $Endpoint | Out-Default

"Its standbys (objects in the pipeline, not text):"
Get-CitusTopology $Name -Group 0 -Endpoint $Endpoint |
    Where-Object Role -ne Leader |
    ForEach-Object { "  {0} on {1}:{2}: {3}, {4} MiB behind, timeline {5}" -f $_.Member, $_.Host, $_.Port, $_.State, $_.LagMB, $_.Timeline }

"`nA cluster that does not exist is an error with a stable id, not a warning:"
try {
    Get-CitusTopology -Name no-such-cluster -Endpoint $Endpoint -ErrorAction Stop
} catch {
    "  $($_.FullyQualifiedErrorId): $($_.Exception.Message)"
}

"`nThe operator's day. Connect once; later commands take the cluster and etcd from the session:"
$null = Connect-CitusCluster -Name $Name -Endpoint $Endpoint
$ProgressPreference = 'SilentlyContinue'   # progress bars are for terminals; logs get -Verbose lines instead
Get-CitusCluster | Out-Default

"A switchover to the healthiest standby (checked first; -Force because a script cannot answer a prompt):"
Invoke-CitusSwitchover -Group 0 -Force | Out-Default

"Maintenance mode on and off:"
Suspend-CitusCluster | Out-Default
Resume-CitusCluster | Out-Default

"The old leader rejoins as a standby (the rewind check, then streaming from the new leader):"
$deadline = [DateTime]::UtcNow.AddSeconds(60)
do {
    $group = Get-CitusCluster | Where-Object Group -eq 0
    if ($group.Streaming -eq $group.Members - 1) { break }
    Start-Sleep -Milliseconds 250
} while ([DateTime]::UtcNow -lt $deadline)
Get-CitusTopology | Out-Default

"A switchover that cannot succeed is refused before any member is asked:"
try {
    Invoke-CitusSwitchover -Group 0 -Candidate no-such-member -Force -ErrorAction Stop
} catch {
    "  $($_.FullyQualifiedErrorId): $($_.Exception.Message)"
}
Disconnect-CitusCluster
