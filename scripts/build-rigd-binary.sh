#!/usr/bin/env bash
# The self-contained rigd (issue 11): one executable with no node_modules beside it.
# server/bundle/build-rigd-bundle.mjs bundles server/src/rigd/binary-main.ts and every
# dependency into one CommonJS script (esbuild); Node's single executable application
# support turns it into a blob (node --experimental-sea-config) that postject injects
# into a copy of the node binary.
#   scripts/build-rigd-binary.sh [OUT]        default build/rigd
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$root/.tools/node/bin:$root/node_modules/.bin:$PATH"
out=${1:-$root/build/rigd}
work=$(mktemp -d "${TMPDIR:-/tmp}/rigd-binary.XXXXXX")
trap 'rm -rf "$work"' EXIT
version=$(node -p 'require(process.argv[1]).version' "$root/server/package.json")

node "$root/server/bundle/build-rigd-bundle.mjs" "$work/rigd.cjs"

# execArgv: rigd's node flags (server/src/rigd/node-flags.ts).
cat >"$work/sea-config.json" <<JSON
{ "main": "$work/rigd.cjs", "output": "$work/rigd.blob", "disableExperimentalSEAWarning": true, "useCodeCache": false,
  "execArgv": ["--max-semi-space-size=32", "--min-semi-space-size=32"] }
JSON
node --experimental-sea-config "$work/sea-config.json" >/dev/null 2>&1 || node --experimental-sea-config "$work/sea-config.json"

mkdir -p "$(dirname "$out")"
cp "$(command -v node)" "$work/rigd"
chmod u+w "$work/rigd"
# postject warns about ELF note sections it does not know; show its output only on failure.
if ! postject "$work/rigd" NODE_SEA_BLOB "$work/rigd.blob" --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >"$work/postject.log" 2>&1; then
  cat "$work/postject.log" >&2
  exit 1
fi
mv "$work/rigd" "$out"
echo "rigd-binary: $out ($(du -h "$out" | cut -f1), rigd $version, Node $(node -p process.versions.node))"
