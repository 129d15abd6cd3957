<#
.SYNOPSIS
    CitusHa build tasks for pwsh users: Build, Test, Package, Image, Demo.
.DESCRIPTION
    The same tasks as build.sh, which CI uses; dotnet does the work. Test and Demo run build.sh's
    tasks: Test installs what is missing (Debian's etcd and PostgreSQL packages; the pinned pwsh
    7.6.9 and Pester 5.9.1 into .tools/), runs the xunit suites on real etcd and PostgreSQL and then
    the Pester suite in tests/Pester, and ends with the line 'N passed, N failed[, N skipped]'.
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

switch ($Task) {
    'Build' { Invoke-Build }
    'Demo' {
        $env:CONFIGURATION = $Configuration
        Invoke-Native bash @((Join-Path $root 'build.sh'), 'demo')
    }
    'Package' {
        Invoke-Native dotnet @('pack', (Join-Path $root 'build/CitusHa.Module.csproj'), '-c', $Configuration, '-nologo', '-clp:ErrorsOnly', '-v:quiet')
        Get-ChildItem (Join-Path $root 'out') -Filter *.nupkg
        Get-ChildItem (Join-Path $root 'out/azure-automation') -Filter *.zip
    }
    'Image' {
        # build.sh's: one implementation of the image build (BuildKit client choice, CITUSHA_IMAGE_OFFLINE).
        $env:CONFIGURATION = $Configuration
        Invoke-Native bash @((Join-Path $root 'build.sh'), 'image')
    }
    'Test' {
        # One implementation of the test run and its totals: build.sh's (the fixtures need Debian's
        # etcd and PostgreSQL packages, so the suite runs where bash does).
        $env:CONFIGURATION = $Configuration
        Invoke-Native bash @((Join-Path $root 'build.sh'), 'test')
    }
}
