#!/usr/bin/env bash
# The Kubernetes schema lane's validator: kubernetes-models' generated OpenAPI validators, pinned in
# tests/schema/package-lock.json and installed from npm into tests/schema/node_modules. Node.js comes
# from apt when missing. The tests read the validators offline; where this cannot be installed, the
# schema tests are reported as skipped (never failed) and this script says why.
set -uo pipefail
cd "$(dirname "$0")/../tests/schema" || exit 1
say() { echo "==> $*"; }

if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing nodejs and npm (the Kubernetes schema lane)"
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends nodejs npm >/dev/null \
            || { say "nodejs/npm could not be installed: the Kubernetes schema tests will be skipped"; exit 1; }
    else
        say "npm is missing and cannot be installed here: the Kubernetes schema tests will be skipped"
        exit 1
    fi
fi

if [ -f node_modules/kubernetes-models/package.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
    exit 0
fi

timeout 600 npm ci --no-audit --no-fund --loglevel=error >/dev/null \
    || { say "npm ci in tests/schema failed: the Kubernetes schema tests will be skipped"; exit 1; }
say "installed the Kubernetes schema validator (kubernetes-models $(node -p 'require("./node_modules/kubernetes-models/package.json").version'))"
