#!/usr/bin/env bash
# The whole test pipeline; `npm test` runs it and CI runs `npm test`.
#
#   scripts/test.sh              every stage
#   scripts/test.sh deno node    only the named groups: bun tsc deno node
#
# Stages: bun test (the whole suite) · tsc (strict typecheck of everything) ·
# deno check (exports with their JSDoc examples, examples/, the shim) /
# doc --lint (each entry point alone) / publish --dry-run / test (core tests through the bun:test shim) ·
# node (bun-built bundles of mod.ts and of the demo, run on Node). A failing
# stage does not stop the others; the last line is "N passed, N failed" over
# the stages and the exit status is 1 if any failed.
# Every stage is mandatory, locally and in CI (CI=true): nothing is skipped
# because a tool is missing — the tools come from node_modules (`npm ci`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
export NO_COLOR=1 # plain logs in CI

# Core test directories that must also pass under Deno. Missing ones are skipped.
DENO_TEST_DIRS=(test/wire test/codec test/crypto test/handshake test/record test/cert test/psk test/context test/workers test/_deno)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(bun tsc deno node)
for g in "${groups[@]}"; do
  case $g in bun | tsc | deno | node) ;; *) echo "unknown stage group: $g (bun tsc deno node)" >&2 && exit 2 ;; esac
done
wants() { [[ " ${groups[*]} " == *" $1 "* ]]; }

for tool in bun deno node tsc; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run npm ci first" >&2 && exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psk-tls-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
failures=()

# stage NAME CMD...: run one stage; its failure is counted, not fatal.
stage() {
  local name=$1
  shift
  printf '\n=== %s\n' "$name"
  if "$@"; then
    passed=$((passed + 1))
    printf -- '--- %s: ok\n' "$name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf -- '--- %s: FAILED\n' "$name"
  fi
}

# bundle ENTRY OUT: build ENTRY for Node with Bun.
bundle() {
  bun build "$1" --target=node --outfile="$2" >"$tmp/build.log" 2>&1 || {
    cat "$tmp/build.log"
    return 1
  }
}

node_smoke() {
  bundle mod.ts "$tmp/mod.mjs" && node test/_node/smoke.mjs "$tmp/mod.mjs"
}

node_demo() {
  bundle examples/demo.ts "$tmp/demo.mjs" && node "$tmp/demo.mjs"
}

if wants bun; then
  # bunfig.toml has no per-test timeout key that bun 1.4 reads: the flag sets it (the default is 5 s,
  # too short for interop tests that start peer processes on a loaded machine).
  stage "bun test" bun test --timeout 30000
fi

if wants tsc; then
  stage "tsc --noEmit (tsconfig.json)" tsc -p tsconfig.json
fi

if wants deno; then
  # Entry points: every value of "exports" in deno.json (mod.ts and any subpaths).
  entries=()
  while IFS= read -r e; do entries+=("$e"); done < <(node -e '
    const e = JSON.parse(require("fs").readFileSync("deno.json", "utf8")).exports;
    for (const p of typeof e === "string" ? [e] : Object.values(e)) console.log(p);')
  shopt -s nullglob
  examples=(examples/*.ts)
  shopt -u nullglob
  deno_tests=()
  for dir in "${DENO_TEST_DIRS[@]}"; do
    [ -d "$dir" ] || continue
    while IFS= read -r f; do
      # Files using Bun-only APIs stay Bun-only.
      if grep -qE "from ['\"]bun['\"]|\\bBun\\." "$f"; then
        echo "deno test: skipping $f (uses Bun-only APIs)"
        continue
      fi
      deno_tests+=("$f")
    done < <(find "$dir" -type f \( -name '*.test.ts' -o -name '*_test.ts' -o -name '*.spec.ts' -o -name '*_spec.ts' \) \
      ! -path '*/_deno/bun_test.ts' | sort)
  done

  # (`${a[@]+"${a[@]}"}`: empty arrays under `set -u` on bash 3.2, macOS's bash.)
  # --doc: the @example blocks in the exports' JSDoc are type-checked too.
  stage "deno check" deno check --doc "${entries[@]}" ${examples[@]+"${examples[@]}"} test/_deno/bun_test.ts
  # Each entry point alone: JSR documents each one separately (scripts/entry-types.mjs --check).
  stage "deno doc --lint (each entry point alone)" node scripts/entry-types.mjs --check
  stage "deno publish --dry-run" deno publish --dry-run --allow-dirty
  # Never call `deno test` without files: it would then collect every test file in the repo.
  [ ${#deno_tests[@]} -gt 0 ] || deno_tests=(test/_deno/shim.test.ts)
  # --no-check: types are the job of the `deno check` and `tsc` stages; here one
  # type error must not hide every runtime result under Deno.
  stage "deno test (${#deno_tests[@]} files via bun:test shim)" \
    deno test -A --no-check --config deno.json "${deno_tests[@]}"
fi

if wants node; then
  stage "node: bundled mod.ts smoke" node_smoke
  if [ -f examples/demo.ts ]; then
    stage "node: bundled examples/demo.ts" node_demo
  fi
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed stages:"
  printf '  - %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
