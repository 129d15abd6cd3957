#!/usr/bin/env bash
# CitusHa build entry point for bash (build.ps1 offers the same tasks to pwsh users).
#   ./build.sh build     build everything; lay out the module in out/CitusHa/<version>/
#   ./build.sh demo      the quick start: build, run a local formation (etcd + 3 agents + PostgreSQL), a tour of the module (switchover included)
#   ./build.sh test      install missing test dependencies, build, run every test; ends with 'N passed, N failed[, N skipped]'
#   ./build.sh package   the PowerShell Gallery .nupkg and the Azure Automation .zip in out/
#   ./build.sh bench     failover, switchover, crash restart and agent footprint on a local formation, then the Citus
#                        worker switchover/failover benchmark, then the module's (numbers)
#   ./build.sh soak      N random faults (kill/freeze any process, whole-group restart, etcd frozen/restarted/cut, disk full) under a quorum-mode
#                        writer: recovery per fault, writes lost, two-primary moments, manual reinits (numbers)
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

# The pinned PowerShell (and Pester) in the project's tools folder, installed when missing; sets PWSH.
# Its module folder goes first on PSModulePath, so the Pester suite imports the pinned Pester.
ensure_powershell() {
    [ -n "${PWSH:-}" ] && return 0
    require_dotnet
    PWSH=$(bash scripts/install-powershell.sh) || die "PowerShell and Pester could not be installed (see above)"
    export PSModulePath="$(dirname "$(dirname "$PWSH")")/Modules${PSModulePath:+:$PSModulePath}"
}

# Runs a PowerShell script in the pinned pwsh.
run_powershell() {
    local script=$1; shift
    ensure_powershell
    "$PWSH" -NoProfile -NonInteractive -File "$script" "$@"
}

task_demo() {
    bash scripts/install-test-deps.sh
    ensure_powershell
    task_build
    local port=${CITUSHA_DEMO_BASE_PORT:-27000} p
    for p in $(seq "$port" $((port + 7))); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            die "port $p on 127.0.0.1 is already in use; the demo needs ports $port-$((port + 7)). Stop what listens there (ss -ltnp 'sport = :$p') or choose others: CITUSHA_DEMO_BASE_PORT=<first free port> ./build.sh demo"
        fi
    done
    local citusha="src/CitusHa.Agent/bin/$CONFIGURATION/net10.0/citusha.dll"
    local root; root=$(mktemp -d /tmp/citusha-demo.XXXXXX)
    chmod 755 "$root"
    say "starting a local formation: etcd and three agents, each with its own PostgreSQL (folder $root)"
    dotnet "$citusha" local up --root "$root" --base-port "$port" > "$root/local.log" 2>&1 &
    local launcher=$!
    # Stop the formation by the launcher's PID whatever happens next; it stops every agent by PID.
    trap 'kill -TERM '"$launcher"' 2>/dev/null || true; wait '"$launcher"' 2>/dev/null || true; rm -rf '"$root" EXIT
    for _ in $(seq 1 900); do
        grep -q '^ready:' "$root/local.log" 2>/dev/null && break
        kill -0 "$launcher" 2>/dev/null || die "the local formation failed to start: $(tail -5 "$root/local.log")"
        sleep 0.2
    done
    grep -q '^ready:' "$root/local.log" || die "the local formation did not become healthy in 3 minutes: $(tail -5 "$root/local.log")"
    say "$(grep '^ready:' "$root/local.log")"
    run_powershell examples/quickstart.ps1 -Endpoint "127.0.0.1:$port" -ModulePath "$ROOT/out/CitusHa/$(version)/CitusHa.psd1"
    say "the same formation through the agent's CLI inside a pod (citusha list, as patronictl list)"
    dotnet "$citusha" list demo -d "127.0.0.1:$port"
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
    bash scripts/install-schema-validator.sh || true # optional lane: skipped, with the reason printed, when it cannot be installed
    # The Pester suite is part of every run; leaving it out takes an explicit CITUSHA_SKIP_PESTER=1.
    local pester=1
    if [ "${CITUSHA_SKIP_PESTER:-0}" = 1 ]; then
        pester=0
        say "CITUSHA_SKIP_PESTER=1: the Pester suite is left out of this run and of its totals"
    else
        ensure_powershell
    fi
    task_build
    # The container lane (the agent image run for real) needs a Docker engine: where one answers, the
    # image is built from Debian's packages (no registry needed); CITUSHA_CONTAINER_LANE=1 also
    # installs and starts Debian's engine. Elsewhere the lane is reported as skipped.
    if [ "${CITUSHA_CONTAINER_LANE:-0}" = 1 ]; then
        bash scripts/install-docker.sh || say "no Docker engine could be started: the container lane will be skipped"
    fi
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        ( CITUSHA_IMAGE_OFFLINE="${CITUSHA_IMAGE_OFFLINE:-1}" task_image ) || say "the agent image could not be built: the container lane will be skipped"
    else
        say "no Docker engine answers here: the container lane will be skipped (CITUSHA_CONTAINER_LANE=1 installs and starts one)"
    fi
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

    local totals_args=(--results "$results" --dotnet-exit "$dotnet_rc") project
    # Every test project must leave its TRX: one that crashed before writing it counts as failed.
    for project in tests/*/*Tests.csproj; do
        totals_args+=(--project "$(basename "$project" .csproj)")
    done
    if [ "$pester" = 1 ]; then
        say "running the Pester suite in pwsh $("$PWSH" -NoProfile -Command '$PSVersionTable.PSVersion.ToString()')"
        local pester_rc=0
        run_powershell tests/Pester/Invoke-PesterSuite.ps1 -ModulePath "$ROOT/out/CitusHa/$(version)/CitusHa.psd1" 2>&1 \
            | tee "$results/pester.txt" || pester_rc=$?
        totals_args+=(--pester-output "$results/pester.txt" --pester-exit "$pester_rc")
    fi
    # The totals line, from each test's own outcome in the TRX files and the Pester totals.
    dotnet "tools/CitusHa.TestTotals/bin/$CONFIGURATION/net10.0/citusha-test-totals.dll" "${totals_args[@]}"
}

task_package() {
    require_dotnet
    say "packing (module $(version))"
    dotnet pack build/CitusHa.Module.csproj -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:quiet
    ls -1 out/*.nupkg out/azure-automation/*.zip
}

task_bench() {
    bash scripts/install-test-deps.sh
    task_build
    say "benchmark: a three-member local formation under a writer committing every 10 ms (prints numbers, asserts nothing)"
    dotnet "tools/CitusHa.Benchmarks/bin/$CONFIGURATION/net10.0/citusha-bench.dll" --rounds "${CITUSHA_BENCH_ROUNDS:-3}"
    say "benchmark: a Citus formation (coordinator + 2 worker groups, 2 members each), real Citus when installed, else the stand-in catalog"
    dotnet "tools/CitusHa.Benchmarks/bin/$CONFIGURATION/net10.0/citusha-bench.dll" --citus --rounds "${CITUSHA_BENCH_ROUNDS:-3}"
    say "benchmark: the module in-process against 64 groups x 3 members in etcd (import, Get-CitusTopology, Get-CitusCluster, completion)"
    dotnet "tools/CitusHa.ModuleBenchmarks/bin/$CONFIGURATION/net10.0/citusha-module-bench.dll" --groups 64 --members 3 --rounds 20
}

task_soak() {
    bash scripts/install-test-deps.sh
    task_build
    say "fault soak: ${CITUSHA_SOAK_FAULTS:-12} random faults on a three-member group under a quorum-mode writer (prints numbers, asserts nothing)"
    dotnet "tools/CitusHa.Benchmarks/bin/$CONFIGURATION/net10.0/citusha-bench.dll" --soak --faults "${CITUSHA_SOAK_FAULTS:-12}" ${CITUSHA_SOAK_SEED:+--seed "$CITUSHA_SOAK_SEED"}
}

# The docker CLI that can build with BuildKit (the Dockerfile skips the stage it does not need): one
# with buildx, or else the engine's own 20.10+ client, which has BuildKit built in.
buildkit_docker() {
    if docker buildx version >/dev/null 2>&1; then echo docker; return; fi
    local client
    for client in /usr/bin/docker /usr/local/bin/docker; do
        if [ -x "$client" ] && DOCKER_BUILDKIT=1 "$client" build --help 2>/dev/null | grep -q -- '--secret'; then echo "$client"; return; fi
    done
    echo docker
}

task_image() {
    command -v docker >/dev/null 2>&1 || die "docker is not installed (scripts/install-docker.sh installs and starts Debian's engine)"
    docker info >/dev/null 2>&1 || die "no Docker engine answers here (docker info failed); scripts/install-docker.sh starts one"
    local tag="citusha/agent:$(version)"
    if [ "${CITUSHA_IMAGE_OFFLINE:-0}" = 1 ]; then
        # No image registry reachable (this project's CI): a Debian base made from Debian's packages,
        # the agent published on this machine, PostgreSQL from Debian's archive and no Citus.
        say "CITUSHA_IMAGE_OFFLINE=1: local Debian base, agent published here, PostgreSQL from Debian, no Citus"
        local base
        base=$(bash scripts/make-debian-base.sh) || die "could not make the Debian base image (mmdebstrap)"
        rm -rf out/image/agent
        dotnet publish src/CitusHa.Agent/CitusHa.Agent.csproj -c Release -r linux-x64 --self-contained -o out/image/agent --nologo -v quiet \
            || die "dotnet publish of the agent failed"
        DOCKER_BUILDKIT=1 "$(buildkit_docker)" build -f src/CitusHa.Agent/Dockerfile -t "$tag" \
            --build-arg BASE_IMAGE="$base" --build-arg AGENT_STAGE=prebuilt --build-arg APT_SOURCES=debian --build-arg CITUS_PACKAGE= . \
            || die "docker build failed"
    else
        DOCKER_BUILDKIT=1 "$(buildkit_docker)" build -f src/CitusHa.Agent/Dockerfile -t "$tag" . \
            || die "docker build failed (set CITUSHA_IMAGE_OFFLINE=1 where no image registry or publisher repository is reachable)"
    fi
    say "image: $tag ($(docker image inspect "$tag" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1000000}'))"
}

case "${1:-build}" in
    build) task_build ;;
    demo) task_demo ;;
    test) task_test ;;
    package) task_package ;;
    image) task_image ;;
    bench) task_bench ;;
    soak) task_soak ;;
    *) die "unknown task '$1': use build, demo, test, bench, soak, package or image" ;;
esac
