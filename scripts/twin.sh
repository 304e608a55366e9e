#!/usr/bin/env bash
# A twin of this checkout at DIR, for running a second suite beside the first (CI's Node 24, see
# .ci/run): the files (the repository's history too: production.test asks git for its files)
# copied, node_modules hard-linked (613 MB, no copy), except the native binaries, which are copied
# so that scripts/node24.sh can put Node 24's in place in the twin without writing through the
# links into this checkout's Node 20 ones. Nothing in node_modules is written in place by the
# suite (production.test already works on such hard links).
#   bash scripts/twin.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:?usage: twin.sh DIR}
[ ! -e "$dir" ] || { echo "twin: $dir exists" >&2; exit 1; }
mkdir -p "$dir"
tar --exclude=./node_modules --exclude=./.tap -cf - . | tar -C "$dir" -xf -
cp -al node_modules "$dir/node_modules"
(cd "$dir" && find node_modules -name '*.node' -path '*/build/Release/*' -type f \
  -exec sh -c 'for f; do cp -p "$f" "$f.own" && mv "$f.own" "$f"; done' sh {} +)
echo "twin: $dir ($(du -sh --exclude=node_modules "$dir" | cut -f1) of files, node_modules linked)" >&2
