#!/usr/bin/env bash
# Installs, from Debian's packages and only when missing, what the quick start and the tests need:
# etcd (etcd-server, etcd-client), PostgreSQL 15 (which also creates the 'postgres' OS user that
# PostgreSQL runs as when the tests run as root), util-linux's setpriv, patroni (for patronictl,
# the real client the compatibility tests use) and pgbouncer (the rendered pooler's configuration). Services that the
# packages would start are kept from starting: fixtures start their own servers on free ports.
set -euo pipefail

say() { printf 'install-test-deps: %s\n' "$*" >&2; }

missing=()
command -v etcd >/dev/null 2>&1 || [ -n "${CITUSHA_ETCD_BIN:-}" ] || missing+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${CITUSHA_PG_BINDIR:-}" ]; then
    missing+=(postgresql-15 postgresql-client-15)
elif ! id postgres >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    missing+=(postgresql-common)
fi
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
# patronictl: the compatibility tests drive our agents with Patroni's own client.
command -v patronictl >/dev/null 2>&1 || missing+=(patroni)
# pgbouncer: the rendered PgBouncer configuration is tested against the real pooler.
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

say "missing: ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo --preserve-env=CITUSHA_ETCD_BIN,CITUSHA_PG_BINDIR "$0" "$@"
    fi
    say "not root and no sudo: install them yourself: apt-get install -y ${missing[*]}"
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get on this machine: install ${missing[*]} with your package manager, or set CITUSHA_ETCD_BIN / CITUSHA_PG_BINDIR to existing binaries."
    exit 1
fi

# Keep the packages' services from starting (no stray postgres on 5432 or etcd on 2379).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    created_policy=1
fi
cleanup() { [ "$created_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

# Debian's postgresql-common creates and starts a 'main' cluster on install; we need neither.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
fi

export DEBIAN_FRONTEND=noninteractive
# A fresh machine may still run unattended-upgrades: wait for the dpkg lock instead of failing.
apt_options=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
if ! timeout 900 apt-get "${apt_options[@]}" update -qq >/dev/null; then
    say "apt-get update failed: check the machine's package sources (Debian's repositories must be reachable)."
    exit 1
fi
if ! timeout 1800 apt-get "${apt_options[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    say "apt-get install ${missing[*]} failed. Install them by hand, or set CITUSHA_ETCD_BIN to an etcd binary and CITUSHA_PG_BINDIR to PostgreSQL's bin directory."
    exit 1
fi
say "installed: ${missing[*]}"
