#!/usr/bin/env bash
# Install tshark (Debian package `tshark`) for the key-log test, which
# captures a loopback connection and decrypts it with the SSLKEYLOGFILE the
# CLI wrote. Idempotent: nothing happens when tshark is on PATH. Needs root
# (or passwordless sudo) to install and to capture on lo.
#
#   scripts/install-tshark.sh          install if missing
#   scripts/install-tshark.sh --check  exit 0 when tshark is there, 1 if not
set -euo pipefail

command -v tshark >/dev/null 2>&1 && exit 0
if [ "${1:-}" = "--check" ]; then
  echo "missing package: tshark" >&2
  exit 1
fi
as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo -n)
export DEBIAN_FRONTEND=noninteractive
echo "install-tshark: installing tshark" >&2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# wireshark-common asks whether non-root users may capture: keep the default (no).
if ! { "${as_root[@]}" apt-get update -qq && "${as_root[@]}" apt-get install -y -qq --no-install-recommends tshark; } >"$out" 2>&1; then
  cat "$out" >&2
  echo "install-tshark: apt-get failed" >&2
  exit 1
fi
command -v tshark >/dev/null 2>&1 || { echo "install-tshark: tshark still not on PATH" >&2; exit 1; }
echo "install-tshark: done" >&2
