<#
.SYNOPSIS
    The quick start: import the built CitusHa module and read a formation from a local etcd.
.DESCRIPTION
    Run by './build.sh demo' (which starts etcd and publishes sample member records), or by hand:
        ./examples/quickstart.ps1 -Endpoint 127.0.0.1:2379 -ModulePath ./out/CitusHa/0.1.0/CitusHa.psd1
    Uses only core PowerShell, so it also runs in the minimal host (citusha-shell) on machines without pwsh.
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

"Standbys of worker group 1 (objects in the pipeline, not text):"
Get-CitusTopology $Name -Group 1 -Endpoint $Endpoint |
    Where-Object Role -ne Leader |
    ForEach-Object { "  {0} on {1}: {2}, {3} MiB behind" -f $_.Member, $_.Host, $_.State, $_.LagMB }

"`nA cluster that does not exist is an error with a stable id, not a warning:"
try {
    Get-CitusTopology -Name no-such-cluster -Endpoint $Endpoint -ErrorAction Stop
} catch {
    "  $($_.FullyQualifiedErrorId): $($_.Exception.Message)"
}
