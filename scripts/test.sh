#!/usr/bin/env bash
# The whole suite: Debian packages it needs (installed when missing), type checks, the
# console's bundle, tap.
# Ends with a plain "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/test-deps.sh || { echo "test-deps failed: cannot install what the suite needs"; echo "0 passed, 1 failed"; exit 1; }
npx tsc -p tsconfig.json --noEmit || { echo "type check failed"; echo "0 passed, 1 failed"; exit 1; }
# The layers (docs/architecture.md): an upward import fails the suite here.
npx depcruise --config .dependency-cruiser.cjs app.ts server.ts bin lib plugins routes sim || { echo "dependency check failed: an import points up a layer (see .dependency-cruiser.cjs)"; echo "0 passed, 1 failed"; exit 1; }
npx vue-tsc -p web/tsconfig.json || { echo "console type check failed"; echo "0 passed, 1 failed"; exit 1; }
# The browser tests drive the built console (dist/web); rebuilt only when web/ changed.
node scripts/build-web.mjs || { echo "console build failed"; echo "0 passed, 1 failed"; exit 1; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
npx tap "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
summary=$(grep -E '^# \{ total: [0-9]+' "$out" | tail -n 1)
pass=$(sed -nE 's/.*pass: ([0-9]+).*/\1/p' <<<"$summary")
fail=$(sed -nE 's/.*fail: ([0-9]+).*/\1/p' <<<"$summary")
total=$(sed -nE 's/.*total: ([0-9]+).*/\1/p' <<<"$summary")
pass=${pass:-0}; fail=${fail:-0}; total=${total:-0}
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
if [ "$total" -eq 0 ]; then echo "no test ran"; status=1; fi
echo "${pass} passed, ${fail} failed"
exit "$status"
