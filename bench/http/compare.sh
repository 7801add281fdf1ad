#!/usr/bin/env bash
# docs/http.md's comparison: candidates A and B interleaved on Bun, Deno and
# Node (a bun-built bundle), ROUNDS rounds; one JSON line per run on stdout.
#   bash bench/http/compare.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"
rounds=${1:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bun build bench/http/compare.ts --target=node --outfile="$tmp/compare.mjs" >/dev/null
for round in $(seq "$rounds"); do
  for cand in a b; do
    for rt in bun deno node; do
      case $rt in
        bun) cmd=(bun bench/http/compare.ts) ;;
        deno) cmd=(deno run -A bench/http/compare.ts) ;;
        node) cmd=(node "$tmp/compare.mjs") ;;
      esac
      out=$(CANDIDATE=$cand timeout 300 "${cmd[@]}" 2>/dev/null | tail -1) || out='{"error":"failed or timed out"}'
      echo "{\"round\":$round,\"runtime\":\"$rt\",${out#\{}"
    done
  done
done
