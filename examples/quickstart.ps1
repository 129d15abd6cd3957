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
