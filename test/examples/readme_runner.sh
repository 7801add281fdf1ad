# Sourced by readme_commands.test.ts inside `unshare -n`: brings loopback up and
# defines `run FILE` (one README command, exactly as written, must exit 0) and
# `server FILE` (a README server, in the background in its own process group
# until it prints its {"listening":…} line; stopped with SIGINT at exit).
set -uo pipefail
ip link set lo up
servers=()
stop_servers() {
  for g in "${servers[@]+"${servers[@]}"}"; do kill -INT -- "-$g" 2>/dev/null; done
  for g in "${servers[@]+"${servers[@]}"}"; do
    for _ in $(seq 50); do kill -0 -- "-$g" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$g" 2>/dev/null
  done
  return 0
}
trap stop_servers EXIT
run() { # run FILE: one README command, exactly as written
  printf '+ %s\n' "$(cat "$1")" >&2
  bash "$1" </dev/null || { rc=$?; printf 'README command failed (exit %s): %s\n' "$rc" "$(cat "$1")" >&2; exit 1; }
}
server() { # server FILE: in the background (own process group) until its listening line
  printf '+ (background) %s\n' "$(cat "$1")" >&2
  setsid bash "$1" </dev/null >"$1.out" 2>"$1.err" &
  servers+=($!)
  for _ in $(seq 600); do
    grep -q '"listening"' "$1.err" && return 0
    kill -0 "$!" 2>/dev/null || { cat "$1.err" >&2; printf 'README server exited: %s\n' "$(cat "$1")" >&2; exit 1; }
    sleep 0.1
  done
  printf 'README server not listening after 60 s: %s\n' "$(cat "$1")" >&2
  exit 1
}
