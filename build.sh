#!/usr/bin/env bash
# CitusHa build entry point for bash (build.ps1 offers the same tasks to pwsh users).
#   ./build.sh build     build everything; lay out the module in out/CitusHa/<version>/
#   ./build.sh demo      the quick start: build, start a local etcd, import the module, run Get-CitusTopology
#   ./build.sh test      install missing test dependencies, build, run every test; ends with 'N passed, N failed[, N skipped]'
#   ./build.sh package   the PowerShell Gallery .nupkg and the Azure Automation .zip in out/
#   ./build.sh image     the agent's container image (needs a Docker engine)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
CONFIGURATION=${CONFIGURATION:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

version() { sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props; }

require_dotnet() {
    command -v dotnet >/dev/null 2>&1 || die "the .NET SDK (10.0) is not installed: see https://learn.microsoft.com/dotnet/core/install/linux-debian"
}

task_build() {
    require_dotnet
    say "building ($CONFIGURATION)"
    dotnet build CitusHa.sln -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:quiet
    say "module: out/CitusHa/$(version)/CitusHa.psd1"
}

# Runs a PowerShell script with the built module: pwsh when installed, otherwise the bundled minimal host.
run_powershell() {
    local script=$1; shift
    if command -v pwsh >/dev/null 2>&1; then
        pwsh -NoProfile -NonInteractive -File "$script" "$@"
    else
        dotnet "tools/CitusHa.Shell/bin/$CONFIGURATION/net10.0/citusha-shell.dll" -File "$script" "$@"
    fi
}

task_demo() {
    bash scripts/install-test-deps.sh
    task_build
    local port=${CITUSHA_DEMO_ETCD_PORT:-23790} peer=${CITUSHA_DEMO_ETCD_PEER_PORT:-23800}
    for p in "$port" "$peer"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            die "port $p on 127.0.0.1 is already in use; stop what listens there (ss -ltnp 'sport = :$p') or choose other ports: CITUSHA_DEMO_ETCD_PORT=<free> CITUSHA_DEMO_ETCD_PEER_PORT=<free> ./build.sh demo"
        fi
    done
    local etcd_bin=${CITUSHA_ETCD_BIN:-$(command -v etcd || true)}
    [ -x "$etcd_bin" ] || die "etcd is not installed and could not be installed: apt-get install etcd-server, or set CITUSHA_ETCD_BIN"
    local data; data=$(mktemp -d /tmp/citusha-demo.XXXXXX)
    say "starting etcd on 127.0.0.1:$port (data in $data)"
    "$etcd_bin" --name demo --data-dir "$data" --log-level warn \
        --listen-client-urls "http://127.0.0.1:$port" --advertise-client-urls "http://127.0.0.1:$port" \
        --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
        --initial-cluster "demo=http://127.0.0.1:$peer" >"$data/etcd.log" 2>&1 &
    local etcd_pid=$!
    # Stop our etcd by its PID, whatever happens next.
    trap 'kill '"$etcd_pid"' 2>/dev/null || true; wait '"$etcd_pid"' 2>/dev/null || true; rm -rf '"$data" EXIT
    for _ in $(seq 1 100); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
        kill -0 "$etcd_pid" 2>/dev/null || die "etcd exited while starting: $(tail -5 "$data/etcd.log")"
        sleep 0.1
    done
    say "publishing sample member records (the shape CitusHa and Patroni agents write) for cluster 'demo'"
    seed_sample_formation "127.0.0.1:$port"
    run_powershell examples/quickstart.ps1 -Endpoint "127.0.0.1:$port" -ModulePath "$ROOT/out/CitusHa/$(version)/CitusHa.psd1"
}

# Until the agent runs formations (see ROADMAP.md), the quick start shows the module on records shaped
# exactly as agents publish them: a coordinator group and one worker group.
seed_sample_formation() {
    local put="etcdctl --endpoints=$1 put"
    export ETCDCTL_API=3
    $put /service/demo/0/initialize 7300000000000000001 >/dev/null
    $put /service/demo/0/config '{"ttl":10,"loop_wait":1,"retry_timeout":3,"synchronous_mode":"quorum"}' >/dev/null
    $put /service/demo/0/leader demo-0-0 >/dev/null
    $put /service/demo/0/sync '{"leader":"demo-0-0","quorum":1,"sync_standby":"demo-0-1"}' >/dev/null
    $put /service/demo/0/status '{"optime":50331648}' >/dev/null
    $put /service/demo/0/members/demo-0-0 '{"conn_url":"postgres://demo-0-0.demo-0:5432/postgres","api_url":"http://demo-0-0.demo-0:8008/patroni","state":"running","role":"primary","version":"0.1.0","xlog_location":50331648,"timeline":2}' >/dev/null
    $put /service/demo/0/members/demo-0-1 '{"conn_url":"postgres://demo-0-1.demo-0:5432/postgres","api_url":"http://demo-0-1.demo-0:8008/patroni","state":"running","role":"replica","version":"0.1.0","replication_state":"streaming","xlog_location":50331648,"receive_lsn":50331648,"replay_lsn":50331648,"timeline":2}' >/dev/null
    $put /service/demo/1/leader demo-1-1 >/dev/null
    $put /service/demo/1/status '{"optime":33554432}' >/dev/null
    $put /service/demo/1/members/demo-1-0 '{"conn_url":"postgres://demo-1-0.demo-1:5432/postgres","api_url":"http://demo-1-0.demo-1:8008/patroni","state":"running","role":"replica","version":"0.1.0","replication_state":"streaming","xlog_location":29360128,"timeline":3,"tags":{"nofailover":true}}' >/dev/null
    $put /service/demo/1/members/demo-1-1 '{"conn_url":"postgres://demo-1-1.demo-1:5432/postgres","api_url":"http://demo-1-1.demo-1:8008/patroni","state":"running","role":"primary","version":"0.1.0","xlog_location":33554432,"timeline":3}' >/dev/null
}

# Sums the Counters of every TRX file in $1: prints "passed failed skipped".
sum_trx() {
    local passed=0 failed=0 skipped=0 total p n f
    for f in "$1"/*.trx; do
        [ -e "$f" ] || continue
        local counters; counters=$(grep -o '<Counters [^>]*>' "$f" | head -1)
        total=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
        p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
        n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$counters")
        passed=$((passed + ${p:-0})); skipped=$((skipped + ${n:-0}))
        failed=$((failed + ${total:-0} - ${p:-0} - ${n:-0}))
    done
    echo "$passed $failed $skipped"
}

stop_leftover_servers() {
    local dir=${CITUSHA_TEST_PID_DIR:-} pid
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    for pid in $(ls "$dir"); do
        # Only our fixtures' servers: their command lines name the citusha-tests folder.
        if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q 'citusha-tests'; then
            kill -CONT "$pid" 2>/dev/null || true
            kill -KILL "$pid" 2>/dev/null || true
            say "stopped leftover test server $pid"
        fi
    done
    return 0
}

task_test() {
    bash scripts/install-test-deps.sh || die "test dependencies are missing and could not be installed (see above)"
    task_build
    local results="$ROOT/out/test-results"
    rm -rf "$results"; mkdir -p "$results"
    # Servers the fixtures start record their PIDs here; whatever still runs when we finish (a test
    # host killed by the hang timeout cannot clean up) is stopped by PID, never by name.
    export CITUSHA_TEST_PID_DIR="$results/pids"
    mkdir -p "$CITUSHA_TEST_PID_DIR"
    trap stop_leftover_servers EXIT
    say "running the xunit suites (real etcd and PostgreSQL on loopback)"
    local dotnet_rc=0
    dotnet test CitusHa.sln -c "$CONFIGURATION" --no-build --results-directory "$results" \
        --blame-hang-timeout 10m || dotnet_rc=$?
    read -r passed failed skipped < <(sum_trx "$results")
    # Every test project must have left its results; one that crashed before writing them counts as failed.
    local project
    for project in tests/*/*.Tests.csproj; do
        local name; name=$(basename "$project" .csproj)
        if [ ! -e "$results/$name.trx" ]; then
            say "$name left no test results (crashed or did not run): counting it as a failure"
            failed=$((failed + 1))
        fi
    done
    if [ "$dotnet_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        say "dotnet test exited $dotnet_rc without reporting failures in its results: counting that as a failure"
        failed=$((failed + 1))
    fi

    if command -v pwsh >/dev/null 2>&1 && pwsh -NoProfile -NonInteractive -Command 'if (-not (Get-Module -ListAvailable Pester | Where-Object Version -ge ([version]"5.0"))) { exit 1 }' >/dev/null 2>&1; then
        say "running the Pester suite"
        local pester_out="$results/pester.txt" pester_rc=0
        pwsh -NoProfile -NonInteractive -File tests/Pester/Invoke-PesterSuite.ps1 -ModulePath "$ROOT/out/CitusHa/$(version)/CitusHa.psd1" 2>&1 | tee "$pester_out" || pester_rc=$?
        local line; line=$(grep -E '^PESTER passed=[0-9]+ failed=[0-9]+ skipped=[0-9]+$' "$pester_out" | tail -1 || true)
        if [ -n "$line" ]; then
            passed=$((passed + $(sed 's/.*passed=\([0-9]*\).*/\1/' <<<"$line")))
            failed=$((failed + $(sed 's/.*failed=\([0-9]*\).*/\1/' <<<"$line")))
            skipped=$((skipped + $(sed 's/.*skipped=\([0-9]*\).*/\1/' <<<"$line")))
        else
            say "the Pester run (exit $pester_rc) reported no totals: counting that as a failure"
            failed=$((failed + 1))
        fi
    else
        say "Pester suite skipped: pwsh with Pester 5 is not installed (the same stories run in-process in CitusHa.Cmdlets.Tests)"
    fi

    local summary="$passed passed, $failed failed"
    [ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
    echo "$summary"
    [ "$failed" -eq 0 ]
}

task_package() {
    require_dotnet
    say "packing (module $(version))"
    dotnet pack build/CitusHa.Module.csproj -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:quiet
    ls -1 out/*.nupkg out/azure-automation/*.zip
}

task_image() {
    command -v docker >/dev/null 2>&1 || die "docker is not installed"
    docker info >/dev/null 2>&1 || die "no Docker engine answers here (docker info failed); build the image where one runs"
    docker build -f src/CitusHa.Agent/Dockerfile -t "citusha/agent:$(version)" .
}

case "${1:-build}" in
    build) task_build ;;
    demo) task_demo ;;
    test) task_test ;;
    package) task_package ;;
    image) task_image ;;
    *) die "unknown task '$1': use build, demo, test, package or image" ;;
esac
