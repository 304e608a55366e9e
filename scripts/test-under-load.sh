#!/usr/bin/env bash
# The suite beside two CPU-bound processes (issue 23: green on a busy machine): each spins one
# core for as long as the suite runs. Arguments go to scripts/test.sh (and so to tap).
#   bash scripts/test-under-load.sh            # the whole suite, npm test's way
#   FWMAINT_CHECKS=0 bash scripts/test-under-load.sh test/console.test.ts
set -uo pipefail
cd "$(dirname "$0")/.."
busy=()
for _ in 1 2; do
  sha256sum /dev/zero > /dev/null &
  busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT
echo "== beside ${#busy[@]} CPU-bound processes (pids ${busy[*]}) on $(nproc) cores"
bash scripts/test.sh "$@"
