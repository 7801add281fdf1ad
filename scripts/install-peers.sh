#!/usr/bin/env bash
# Install the real TLS peers the interop tests talk to: OpenSSL (openssl
# s_client/s_server) and GnuTLS (gnutls-cli/gnutls-serv from gnutls-bin), plus
# the tools that run gnutls-serv in a private network namespace (unshare from
# util-linux, ip from iproute2).
#
# Idempotent and quiet: does nothing when every tool is already there; otherwise
# runs `apt-get update` once and installs only the missing Debian packages,
# non-interactively. Needs root (or sudo) for the install; prints what it did.
#
#   scripts/install-peers.sh          install what is missing
#   scripts/install-peers.sh --check  exit 0 when everything is there, 1 if not
set -euo pipefail

# tool -> Debian package
declare -A PKG=(
  [openssl]=openssl
  [gnutls-cli]=gnutls-bin
  [gnutls-serv]=gnutls-bin
  [unshare]=util-linux
  [ip]=iproute2
)

missing=()
for tool in "${!PKG[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PKG[$tool]}")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
# unique package names
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "${1:-}" = "--check" ]; then
  echo "missing packages: ${missing[*]}" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-peers: apt-get not found; install manually: ${missing[*]}" >&2
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "install-peers: need root to install ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-peers: installing ${missing[*]}" >&2
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { "${SUDO[@]}" apt-get update -qq && "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-peers: apt-get failed" >&2
  exit 1
fi
echo "install-peers: done" >&2
