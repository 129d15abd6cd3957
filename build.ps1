<#
.SYNOPSIS
    CitusHa build tasks for pwsh users: Build, Test, Package, Image, Demo.
.DESCRIPTION
    The same tasks as build.sh, which CI uses; dotnet does the work. Test runs the xunit suites
    (real etcd and PostgreSQL on loopback; missing Debian packages are installed by
    scripts/install-test-deps.sh) and then the Pester suite in tests/Pester, and ends with the line
    'N passed, N failed[, N skipped]'.
.EXAMPLE
    ./build.ps1 -Task Test
.EXAMPLE
    ./build.ps1 -Task Package -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Image', 'Demo')]
    [string] $Task = 'Build',

    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$version = ([xml](Get-Content (Join-Path $root 'Directory.Build.props') -Raw)).Project.PropertyGroup.VersionPrefix | Where-Object { $_ } | Select-Object -First 1
$modulePath = Join-Path $root "out/CitusHa/$version/CitusHa.psd1"

function Invoke-Native {
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @())
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') failed with exit code $LASTEXITCODE." }
}

function Invoke-Build {
    Write-Verbose "Building CitusHa $version ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $root 'CitusHa.sln'), '-c', $Configuration, '-nologo', '-clp:ErrorsOnly', '-v:quiet')
    Write-Verbose "Module: $modulePath"
}

function Get-TrxTotals {
    param([string] $Directory)
    $totals = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0; Files = 0 }
    foreach ($file in Get-ChildItem $Directory -Filter *.trx -ErrorAction SilentlyContinue) {
        $counters = ([xml](Get-Content $file.FullName -Raw)).TestRun.ResultSummary.Counters
        $totals.Files++
        $totals.Passed += [int]$counters.passed
        $totals.Skipped += [int]$counters.notExecuted
        $totals.Failed += [int]$counters.total - [int]$counters.passed - [int]$counters.notExecuted
    }
    [pscustomobject]$totals
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Demo' { Invoke-Native bash @((Join-Path $root 'build.sh'), 'demo') }
    'Package' {
        Invoke-Native dotnet @('pack', (Join-Path $root 'build/CitusHa.Module.csproj'), '-c', $Configuration, '-nologo', '-clp:ErrorsOnly', '-v:quiet')
        Get-ChildItem (Join-Path $root 'out') -Filter *.nupkg
        Get-ChildItem (Join-Path $root 'out/azure-automation') -Filter *.zip
    }
    'Image' {
        if (-not (Get-Command docker -ErrorAction SilentlyContinue)) { throw 'docker is not installed.' }
        & docker info *> $null
        if ($LASTEXITCODE -ne 0) { throw 'No Docker engine answers here (docker info failed); build the image where one runs.' }
        Invoke-Native docker @('build', '-f', (Join-Path $root 'src/CitusHa.Agent/Dockerfile'), '-t', "citusha/agent:$version", $root)
    }
    'Test' {
        if ($IsLinux) { Invoke-Native bash @((Join-Path $root 'scripts/install-test-deps.sh')) }
        Invoke-Build
        $results = Join-Path $root 'out/test-results'
        Remove-Item $results -Recurse -Force -ErrorAction SilentlyContinue
        & dotnet test (Join-Path $root 'CitusHa.sln') -c $Configuration --no-build --results-directory $results --blame-hang-timeout 10m
        $dotnetExit = $LASTEXITCODE
        $totals = Get-TrxTotals $results
        $passed = $totals.Passed; $failed = $totals.Failed; $skipped = $totals.Skipped
        foreach ($project in Get-ChildItem (Join-Path $root 'tests') -Filter *.Tests.csproj -Recurse) {
            if (-not (Test-Path (Join-Path $results "$($project.BaseName).trx"))) {
                Write-Warning "$($project.BaseName) left no test results (crashed or did not run): counting it as a failure."
                $failed++
            }
        }
        if ($totals.Files -eq 0 -or ($dotnetExit -ne 0 -and $failed -eq 0)) {
            Write-Warning "dotnet test exited $dotnetExit without reporting failures in its results: counting that as a failure."
            $failed++
        }

        $hasPester = & pwsh -NoProfile -NonInteractive -Command 'if (Get-Module -ListAvailable Pester | Where-Object Version -ge ([version]"5.0")) { "yes" }'
        if ($hasPester -eq 'yes') {
            $pester = & pwsh -NoProfile -NonInteractive -File (Join-Path $root 'tests/Pester/Invoke-PesterSuite.ps1') -ModulePath $modulePath
            $pester | Where-Object { $_ -notmatch '^PESTER ' } | Out-Host
            $line = $pester | Where-Object { $_ -match '^PESTER passed=(\d+) failed=(\d+) skipped=(\d+)$' } | Select-Object -Last 1
            if ($line -and $line -match '^PESTER passed=(\d+) failed=(\d+) skipped=(\d+)$') {
                $passed += [int]$Matches[1]; $failed += [int]$Matches[2]; $skipped += [int]$Matches[3]
            } else {
                Write-Warning 'The Pester run reported no totals: counting that as a failure.'
                $failed++
            }
        } else {
            Write-Warning 'Pester suite skipped: Pester 5 is not installed.'
        }

        $summary = "$passed passed, $failed failed" + $(if ($skipped) { ", $skipped skipped" } else { '' })
        $summary
        if ($failed -gt 0) { exit 1 }
    }
}
