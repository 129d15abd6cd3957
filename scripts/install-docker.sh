#!/usr/bin/env bash
# A Docker engine for the container lane and ./build.sh image: Debian's docker.io, started here when
# no engine answers (no systemd needed). Prints nothing and exits 0 when an engine already answers.
set -uo pipefail
say() { echo "==> $*"; }
docker info >/dev/null 2>&1 && exit 0
if ! command -v dockerd >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 || { say "no Docker engine, and docker.io cannot be installed here (needs root and apt-get)"; exit 1; }
    say "installing docker.io"
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends docker.io iptables >/dev/null \
        || { say "apt-get install docker.io failed"; exit 1; }
fi
say "starting dockerd (log: /var/log/citusha-dockerd.log)"
setsid nohup dockerd >/var/log/citusha-dockerd.log 2>&1 < /dev/null &
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
done
say "dockerd did not answer within 60 s; see /var/log/citusha-dockerd.log"
exit 1
