<#
.SYNOPSIS
    Runs the Pester suite against a built module and prints one machine-readable totals line:
    PESTER passed=N failed=N skipped=N
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath
)

$ErrorActionPreference = 'Stop'
if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }
Import-Module Pester -MinimumVersion 5.0
$env:CITUSHA_MODULE_PATH = (Resolve-Path $ModulePath).Path

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Run.Exit = $false
$configuration.Output.Verbosity = 'Detailed'
$result = Invoke-Pester -Configuration $configuration

"PESTER passed=$($result.PassedCount) failed=$($result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount) skipped=$($result.SkippedCount + $result.NotRunCount)"
if ($result.Result -ne 'Passed') { exit 1 }
