#!/usr/bin/env bash
# Installs the pinned PowerShell and Pester that the quick start and the Pester suite run in, when they
# are missing, into a folder this project owns (default: .tools/ in the clone; set CITUSHA_TOOLS_DIR to
# share one between clones). Nothing goes to system paths:
#   <tools>/pwsh/pwsh                       PowerShell 7.6.9, the .NET global tool from NuGet
#   <tools>/Modules/Pester/5.9.1/           Pester 5.9.1, the module inside NuGet's Pester package
# Prints the pwsh path on stdout; build.sh puts <tools>/Modules first on PSModulePath.
set -euo pipefail
cd "$(dirname "$0")/.."

PWSH_VERSION=7.6.9
PESTER_VERSION=5.9.1
TOOLS=${CITUSHA_TOOLS_DIR:-$(pwd)/.tools}
PWSH=$TOOLS/pwsh/pwsh
PESTER=$TOOLS/Modules/Pester/$PESTER_VERSION

say() { printf 'install-powershell: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK is needed to install PowerShell (dotnet tool install)"
mkdir -p "$TOOLS"

installed_pwsh_version() { [ -x "$PWSH" ] && "$PWSH" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null || true; }

if [ "$(installed_pwsh_version)" != "$PWSH_VERSION" ]; then
    say "installing PowerShell $PWSH_VERSION into $TOOLS/pwsh (dotnet tool install)"
    rm -rf "$TOOLS/pwsh"
    log=$(mktemp)
    if ! dotnet tool install --tool-path "$TOOLS/pwsh" PowerShell --version "$PWSH_VERSION" >"$log" 2>&1; then
        cat "$log" >&2; rm -f "$log"
        fail "could not install PowerShell $PWSH_VERSION from NuGet (see above). Check that NuGet is reachable, or install it by hand: dotnet tool install --tool-path '$TOOLS/pwsh' PowerShell --version $PWSH_VERSION"
    fi
    rm -f "$log"
    [ "$(installed_pwsh_version)" = "$PWSH_VERSION" ] || fail "PowerShell $PWSH_VERSION was installed into $TOOLS/pwsh but does not start"
fi

if [ ! -f "$PESTER/Pester.psd1" ]; then
    say "installing Pester $PESTER_VERSION into $TOOLS/Modules (NuGet package Pester)"
    packages=$TOOLS/packages
    log=$(mktemp)
    if ! dotnet restore build/tools/PowerShellTools.proj -p:PesterVersion="$PESTER_VERSION" --packages "$packages" >"$log" 2>&1; then
        cat "$log" >&2; rm -f "$log"
        fail "could not download Pester $PESTER_VERSION from NuGet (see above)"
    fi
    rm -f "$log"
    [ -f "$packages/pester/$PESTER_VERSION/tools/Pester.psd1" ] || fail "the Pester $PESTER_VERSION package has no tools/Pester.psd1"
    rm -rf "$PESTER"; mkdir -p "$PESTER"
    cp -R "$packages/pester/$PESTER_VERSION/tools/." "$PESTER/"
    rm -rf "$packages" build/tools/obj
fi

echo "$PWSH"
