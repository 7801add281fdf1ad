#!/usr/bin/env bash
# Install Debian's chromium for the browser test of the WebSocket tunnel
# (test/http/tunnel_browser.test.ts drives it with playwright-core).
# Idempotent: does nothing when /usr/bin/chromium exists; otherwise runs
# `apt-get update` and installs the package non-interactively. Needs root
# (or passwordless sudo).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "install-chromium: apt-get not found; install chromium manually" >&2; exit 1; }
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "install-chromium: need root to install chromium" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-chromium: installing chromium" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium; } >"$log" 2>&1; then
  tail -20 "$log" >&2
  exit 1
fi
