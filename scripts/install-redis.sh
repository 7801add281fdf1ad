#!/usr/bin/env bash
# Install redis-server (Debian package `redis-server`) for the Redis store
# tests, which start their own throw-away redis-server on 127.0.0.1 with a
# random port. Nothing is started or enabled here.
#
# Idempotent and quiet: does nothing when redis-server is already on PATH;
# otherwise runs `apt-get update` once and installs the package
# non-interactively (no recommends). Needs root (or passwordless sudo).
#
#   scripts/install-redis.sh          install if missing
#   scripts/install-redis.sh --check  exit 0 when redis-server is there, 1 if not
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing package: redis-server" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-redis: apt-get not found; install redis-server manually" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "install-redis: need root to install redis-server" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-redis: installing redis-server" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# policy-rc.d 101: never start the system service (containers have no init; tests run their own).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ] && [ "$(id -u)" -eq 0 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
rc=0
{ "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends redis-server; } >"$log" 2>&1 || rc=$?
[ "$created_policy" -eq 0 ] || rm -f "$policy"
if [ "$rc" -ne 0 ]; then
  cat "$log" >&2
  echo "install-redis: apt-get failed" >&2
  exit 1
fi
command -v redis-server >/dev/null 2>&1 || { echo "install-redis: redis-server still not on PATH" >&2; exit 1; }
echo "install-redis: done" >&2
