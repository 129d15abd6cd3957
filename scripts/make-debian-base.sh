#!/usr/bin/env bash
# A Debian bookworm base image made from Debian's own packages, for machines that reach Debian's
# archive but no image registry: mmdebstrap (minbase) then docker import. Prints the image name.
set -euo pipefail
name=${1:-citusha/debian-base:bookworm}
if docker image inspect "$name" >/dev/null 2>&1; then echo "$name"; exit 0; fi
command -v mmdebstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
tar=$(mktemp --suffix=.tar)
trap 'rm -f "$tar"' EXIT
mmdebstrap --quiet --variant=minbase bookworm "$tar" >&2
docker import "$tar" "$name" >/dev/null
echo "$name"
